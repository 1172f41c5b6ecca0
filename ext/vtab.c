/*
** vtab.c -- the `vae` virtual table, in two forms.
**
**   CREATE VIRTUAL TABLE s USING vae(m);
**     Columns: the model's columns, typed (REAL, INTEGER, INTEGER for binary,
**     TEXT for categorical), and a hidden `seed` (default 0). A scan yields
**     synthetic rows without end: bound it with LIMIT. Row i is drawn with
**     the seed vae_seed_mix(seed, i), as vae_sample does, so
**     `SELECT * FROM s LIMIT 5` gives the rows of vae_sample('m', 5, 0).
**     Equality constraints on columns condition the generation: with
**     `WHERE sex = 'F' AND age = 40` every row carries exactly those values
**     (in the column's type: `c = '1'` on an INTEGER column gives 1) and the
**     others are drawn from p(rest | sex, age) (vae_infer, VAE_DRAW).
**     A value the column can never hold (an unknown category, a binary 2)
**     gives no rows. Other constraints (ranges, IN lists of several values
**     matched by the rows rarely) are left to SQLite: rows are generated
**     until LIMIT is reached.
**
**   CREATE VIRTUAL TABLE f USING vae(m, source=t);
**     The rows of table t (same rowids) in the model's columns, with the
**     NULL cells filled. Hidden column `draw`: 0 (default) the best estimate,
**     as vae_impute gives it; k >= 1 the k-th draw from the conditional
**     distribution (multiple imputation), reproducible. `WHERE rowid = ?`
**     reads one row.
**
** The model is looked up when a scan starts, so a refit model is used at
** once and a deleted model gives `vae: no model named "m"`. Both forms keep
** working after the database is closed and reopened (the arguments are part
** of the schema); a table whose model has gone can still be dropped.
*/
#include "ext.h"
#include "rows.h"
#include "source.h"
#include "store.h"
#include "value.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEN_BATCH 256

typedef struct {
  sqlite3_vtab base;
  sqlite3 *db;
  vae_ext *x;
  char *model;           /* model name */
  char *source;          /* source table, NULL for the generating form */
  int p;                 /* declared model columns (0: model was missing) */
  char **names;          /* [p] declared column names */
  int *kinds;            /* [p] their kinds */
} vae_vtab;

typedef struct {
  sqlite3_vtab_cursor base;
  vae_entry *e;
  int *map;              /* [p] declared column -> model column */
  int eof;
  /* generating form */
  sqlite3_int64 i;       /* current row, 0-based */
  sqlite3_int64 seed;
  vae_cell *given;       /* [p] consumed equality values (type NULL: none) */
  int ngiven;
  float *tmpl;           /* [pm] row with the given cells, NaN elsewhere */
  float *in, *out;       /* GEN_BATCH x pm */
  uint64_t seeds[GEN_BATCH];
  sqlite3_int64 bstart;
  int bcount;
  /* source form */
  sqlite3_stmt *st;
  sqlite3_int64 draw;
  vae_rows rows;
  int k;                 /* current row in the batch */
} vae_cursor;

/* ---------------------------------------------------------------------
** Arguments, create and connect
*/

/* A copy of an argument without its quotes ('x', "x", [x], `x`). */
static char *dequote(const char *s, int n) {
  char q, *out;
  int i, k = 0;
  while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) { s++; n--; }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
  out = sqlite3_malloc(n + 1);
  if (!out) return NULL;
  q = n >= 2 ? s[0] : 0;
  if (q == '[') q = ']';
  if ((q == '\'' || q == '"' || q == '`' || q == ']') && s[n - 1] == q) {
    for (i = 1; i < n - 1; i++) {
      out[k++] = s[i];
      if (s[i] == q && q != ']' && i + 1 < n - 1 && s[i + 1] == q) i++;
    }
  } else {
    memcpy(out, s, (size_t)n);
    k = n;
  }
  out[k] = 0;
  return out;
}

static void vtab_free(vae_vtab *t) {
  int j;
  if (!t) return;
  for (j = 0; j < t->p; j++) sqlite3_free(t->names[j]);
  sqlite3_free(t->names);
  sqlite3_free(t->kinds);
  sqlite3_free(t->model);
  sqlite3_free(t->source);
  sqlite3_free(t);
}

static int vtab_init(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **pzErr, int creating) {
  vae_vtab *t;
  vae_entry *e = NULL;
  char *err = NULL, *decl = NULL;
  const char *hidden;
  int i, j, rc;

  *out = NULL;
  t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->db = db;
  t->x = aux;
  if (argc < 4 || argc > 5) {
    *pzErr = sqlite3_mprintf("vae: expects vae(model) or vae(model, source=table)");
    vtab_free(t);
    return SQLITE_ERROR;
  }
  t->model = dequote(argv[3], (int)strlen(argv[3]));
  if (!t->model) { vtab_free(t); return SQLITE_NOMEM; }
  for (i = 4; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(a, '=');
    char *key = eq ? dequote(a, (int)(eq - a)) : NULL;
    if (eq && !key) { vtab_free(t); return SQLITE_NOMEM; }
    if (!key || sqlite3_stricmp(key, "source") != 0 || t->source) {
      *pzErr = sqlite3_mprintf("vae: unknown argument \"%s\"; expects vae(model) or "
                               "vae(model, source=table)", a);
      sqlite3_free(key);
      vtab_free(t);
      return SQLITE_ERROR;
    }
    sqlite3_free(key);
    t->source = dequote(eq + 1, (int)strlen(eq + 1));
    if (!t->source) { vtab_free(t); return SQLITE_NOMEM; }
  }
  if (!*t->model) {
    *pzErr = sqlite3_mprintf("vae: expects vae(model) or vae(model, source=table)");
    vtab_free(t);
    return SQLITE_ERROR;
  }
  hidden = t->source ? "draw" : "seed";

  rc = vae_store_get(t->x, db, t->model, "vae", &e, &err);
  if (rc == SQLITE_NOTFOUND && !creating) {
    /* The model is gone: connect anyway, so the table can be dropped;
    ** a scan reports the missing model. */
    rc = SQLITE_OK;
  } else if (rc == SQLITE_NOTFOUND) {
    *pzErr = sqlite3_mprintf("vae: no model named \"%s\"", t->model);
    vtab_free(t);
    return SQLITE_ERROR;
  } else if (rc != SQLITE_OK) {
    *pzErr = err;
    vtab_free(t);
    return rc;
  }
  if (e) {
    t->p = vae_model_ncols(e->m);
    t->names = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->names);
    t->kinds = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->kinds);
    if (!t->names || !t->kinds) {
      t->p = 0;
      rc = SQLITE_NOMEM;
    } else {
      memset(t->names, 0, (size_t)t->p * sizeof *t->names);
      for (j = 0; j < t->p && rc == SQLITE_OK; j++) {
        const vae_column *c = vae_model_column(e->m, j);
        t->kinds[j] = c->kind;
        t->names[j] = sqlite3_mprintf("%s", c->name);
        if (!t->names[j]) rc = SQLITE_NOMEM;
        else if (sqlite3_stricmp(c->name, hidden) == 0) {
          *pzErr = sqlite3_mprintf("vae: model \"%s\" has a column named \"%s\", the "
                                   "name of the hidden column of this table",
                                   t->model, c->name);
          rc = SQLITE_ERROR;
        }
      }
    }
    vae_entry_release(e);
    if (rc != SQLITE_OK) {
      vtab_free(t);
      return rc;
    }
  }
  if (t->source && creating) {
    char *schema = NULL, *table = NULL;
    rc = vae_find_table(db, t->source, 0, &schema, &table);
    sqlite3_free(schema);
    sqlite3_free(table);
    if (rc != SQLITE_OK) {
      if (rc == SQLITE_NOTFOUND) {
        *pzErr = sqlite3_mprintf("vae: no such table: %s", t->source);
        rc = SQLITE_ERROR;
      }
      vtab_free(t);
      return rc;
    }
  }

  /* Without a model, one placeholder column, so that `SELECT *` still
  ** reaches xFilter and its message about the missing model. */
  decl = sqlite3_mprintf("CREATE TABLE x(%s", t->p ? "" : "vae_no_model, ");
  for (j = 0; j < t->p && decl; j++) {
    char *d = sqlite3_mprintf("%s\"%w\" %s, ", decl, t->names[j], vae_kind_sqltype(t->kinds[j]));
    sqlite3_free(decl);
    decl = d;
  }
  if (decl) {
    char *d = sqlite3_mprintf("%s\"%s\" HIDDEN INTEGER)", decl, hidden);
    sqlite3_free(decl);
    decl = d;
  }
  if (!decl) {
    vtab_free(t);
    return SQLITE_NOMEM;
  }
  rc = sqlite3_declare_vtab(db, decl);
  sqlite3_free(decl);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("vae: %s", sqlite3_errmsg(db));
    vtab_free(t);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = &t->base;
  return SQLITE_OK;
}

static int vtab_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err) {
  return vtab_init(db, aux, argc, argv, out, err, 1);
}

static int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
  return vtab_init(db, aux, argc, argv, out, err, 0);
}

static int vtab_disconnect(sqlite3_vtab *vt) {
  vtab_free((vae_vtab *)vt);
  return SQLITE_OK;
}

/* ---------------------------------------------------------------------
** Planning
**
** Generating form: idxStr lists the declared columns whose equality value
** is passed to xFilter, in argv order ("3 0 5"); column p is the seed.
** Source form: idxNum bit 1 = draw, bit 2 = rowid, in that argv order.
*/
static int vtab_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
  vae_vtab *t = (vae_vtab *)vt;
  const struct sqlite3_index_constraint *cons = info->aConstraint;
  int i, n = 0;
  if (t->source) {
    int at_draw = -1, at_rowid = -1, idx = 0;
    for (i = 0; i < info->nConstraint; i++) {
      if (!cons[i].usable || cons[i].op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
      if (cons[i].iColumn == t->p && at_draw < 0) at_draw = i;
      if (cons[i].iColumn == -1 && at_rowid < 0) at_rowid = i;
    }
    if (at_draw >= 0) {
      info->aConstraintUsage[at_draw].argvIndex = ++n;
      info->aConstraintUsage[at_draw].omit = 1;
      idx |= 1;
    }
    if (at_rowid >= 0) {
      info->aConstraintUsage[at_rowid].argvIndex = ++n;
      info->aConstraintUsage[at_rowid].omit = 1;
      idx |= 2;
      info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
      info->estimatedCost = 10;
      info->estimatedRows = 1;
    } else {
      info->estimatedCost = 100000;
      info->estimatedRows = 100000;
    }
    info->idxNum = idx;
    return SQLITE_OK;
  } else {
    char *list = sqlite3_mprintf("%s", "");
    unsigned char *used = sqlite3_malloc(t->p + 1);
    if (!list || !used) {
      sqlite3_free(list);
      sqlite3_free(used);
      return SQLITE_NOMEM;
    }
    memset(used, 0, (size_t)t->p + 1);
    for (i = 0; i < info->nConstraint && list; i++) {
      int col = cons[i].iColumn;
      char *l;
      if (!cons[i].usable || cons[i].op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
      if (col < 0 || col > t->p || used[col]) continue;
      used[col] = 1;
      info->aConstraintUsage[i].argvIndex = ++n;
      info->aConstraintUsage[i].omit = 1;
      l = sqlite3_mprintf("%s%s%d", list, *list ? " " : "", col);
      sqlite3_free(list);
      list = l;
    }
    sqlite3_free(used);
    if (!list) return SQLITE_NOMEM;
    info->idxStr = list;
    info->needToFreeIdxStr = 1;
    info->idxNum = n;
    /* Endless: the more conditions, the fewer rows SQLite must reject. */
    info->estimatedCost = 1e9 / (1 + n);
    info->estimatedRows = 1000000000;
    return SQLITE_OK;
  }
}

/* ---------------------------------------------------------------------
** Cursors
*/
static int vtab_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
  vae_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(vae_cursor *c) {
  sqlite3_free(c->given);
  c->given = NULL;
  sqlite3_free(c->map);
  c->map = NULL;
  sqlite3_free(c->tmpl);
  c->tmpl = c->in = c->out = NULL;
  sqlite3_finalize(c->st);
  c->st = NULL;
  vae_rows_free(&c->rows);
  vae_entry_release(c->e);
  c->e = NULL;
  c->ngiven = 0;
  c->eof = 1;
  c->bcount = 0;
  c->i = 0;
  c->k = 0;
}

static int vtab_close(sqlite3_vtab_cursor *cur) {
  vae_cursor *c = (vae_cursor *)cur;
  cursor_reset(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int vtab_error(vae_cursor *c, int rc, char *msg) {
  sqlite3_vtab *vt = c->base.pVtab;
  sqlite3_free(vt->zErrMsg);
  vt->zErrMsg = msg;
  return msg ? rc : SQLITE_NOMEM;
}

static int int_value(sqlite3_value *v, sqlite3_int64 *out) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (sqlite3_value_type(v) == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d == floor(d) && fabs(d) < 9.2e18) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  return 0;
}

/* The current model, and the map from declared to model columns. */
static int resolve_model(vae_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *err = NULL;
  int j, rc;
  rc = vae_store_get(t->x, t->db, t->model, "vae", &c->e, &err);
  if (rc == SQLITE_NOTFOUND)
    return vtab_error(c, SQLITE_ERROR,
                      sqlite3_mprintf("vae: no model named \"%s\"", t->model));
  if (rc != SQLITE_OK) return rc == SQLITE_NOMEM ? rc : vtab_error(c, rc, err);
  if (t->p == 0)
    return vtab_error(c, SQLITE_ERROR,
                      sqlite3_mprintf("vae: model \"%s\" was missing when this table "
                                      "was opened; reopen the database",
                                      t->model));
  c->map = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *c->map);
  if (!c->map) return SQLITE_NOMEM;
  for (j = 0; j < t->p; j++) {
    int k = vae_model_column_index(c->e->m, t->names[j]);
    if (k < 0 || vae_model_column(c->e->m, k)->kind != t->kinds[j] ||
        vae_model_ncols(c->e->m) != t->p)
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: model \"%s\" no longer has the columns of "
                                        "this table; drop and create it again",
                                        t->model));
    c->map[j] = k;
  }
  return SQLITE_OK;
}

/* Makes row c->i of the generating form available. */
static int gen_batch(vae_cursor *c) {
  const vae_model *m = c->e->m;
  int pm = vae_model_ncols(m), k, rc;
  if (c->i >= c->bstart && c->i < c->bstart + c->bcount) return SQLITE_OK;
  c->bstart = c->i;
  c->bcount = 0;
  for (k = 0; k < GEN_BATCH; k++)
    c->seeds[k] = vae_seed_mix((uint64_t)c->seed, (uint64_t)(c->i + k));
  if (c->ngiven == 0) {
    rc = vae_sample(m, GEN_BATCH, c->seeds, c->out);
  } else {
    for (k = 0; k < GEN_BATCH; k++)
      memcpy(&c->in[(size_t)k * pm], c->tmpl, (size_t)pm * sizeof(float));
    rc = vae_infer(m, VAE_DRAW, GEN_BATCH, c->in, c->seeds, 0, c->out, NULL);
  }
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK)
    return vtab_error(c, SQLITE_ERROR, sqlite3_mprintf("vae: generation failed"));
  c->bcount = GEN_BATCH;
  return SQLITE_OK;
}

static int gen_filter(vae_cursor *c, const char *idxStr, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  const char *s = idxStr ? idxStr : "";
  int a, j, pm, rc;
  c->seed = 0;
  pm = vae_model_ncols(c->e->m);
  c->given = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *c->given);
  c->tmpl = sqlite3_malloc64((sqlite3_uint64)pm * (1 + 2 * GEN_BATCH) * sizeof(float));
  if (!c->given || !c->tmpl) return SQLITE_NOMEM;
  memset(c->given, 0, (size_t)t->p * sizeof *c->given);
  c->in = c->tmpl + pm;
  c->out = c->in + (size_t)pm * GEN_BATCH;
  for (j = 0; j < pm; j++) c->tmpl[j] = NAN;
  c->eof = 0;
  for (a = 0; a < argc; a++) {
    char *end;
    long col = strtol(s, &end, 10);
    if (end == s) break;
    s = end;
    if (col == t->p) {
      if (sqlite3_value_type(argv[a]) != SQLITE_NULL && !int_value(argv[a], &c->seed))
        return vtab_error(c, SQLITE_ERROR, sqlite3_mprintf("vae: seed must be an integer"));
    } else if (col >= 0 && col < t->p) {
      const vae_column *mc = vae_model_column(c->e->m, c->map[col]);
      char *err = NULL;
      vae_val v;
      vae_val_from_sql(&v, argv[a]);
      if (v.type == SQLITE_NULL) {
        c->eof = 1; /* x = NULL is never true */
        continue;
      }
      rc = vae_val_to_cell(mc, &v, &c->tmpl[c->map[col]], "vae", &err);
      if (rc == VAE_CONV_NOMATCH) {
        sqlite3_free(err);
        c->eof = 1;
        continue;
      }
      if (rc != SQLITE_OK) return err ? vtab_error(c, SQLITE_ERROR, err) : SQLITE_NOMEM;
      vae_cell_given(&c->given[col], mc, &v, c->tmpl[c->map[col]]);
      c->ngiven++;
    }
  }
  if (c->eof) return SQLITE_OK;
  c->i = 0;
  return gen_batch(c);
}

/* Reads and completes the next batch of the source form. */
static int src_batch(vae_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *err = NULL;
  int rc;
  c->k = 0;
  if (c->rows.done) {
    c->rows.count = 0;
    c->eof = 1;
    return SQLITE_OK;
  }
  rc = vae_rows_read(&c->rows, t->db, c->st, &err);
  if (rc != SQLITE_OK) return err ? vtab_error(c, rc, err) : rc;
  if (c->rows.count == 0) {
    c->eof = 1;
    return SQLITE_OK;
  }
  rc = vae_rows_infer(&c->rows, c->draw);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK)
    return vtab_error(c, rc, sqlite3_mprintf("vae: inference failed"));
  return SQLITE_OK;
}

static int src_filter(vae_cursor *c, int idxNum, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *schema = NULL, *table = NULL, *sql;
  int a = 0, rc;
  c->draw = 0;
  if (idxNum & 1) {
    if (a >= argc || !int_value(argv[a], &c->draw) || c->draw < 0)
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: draw must be a non-negative integer"));
    a++;
  }
  rc = vae_find_table(t->db, t->source, 0, &schema, &table);
  if (rc == SQLITE_NOTFOUND)
    return vtab_error(c, SQLITE_ERROR, sqlite3_mprintf("vae: no such table: %s", t->source));
  if (rc != SQLITE_OK) return rc;
  {
    char *err = NULL;
    rc = vae_rows_check_table(t->db, c->e->m, "vae", schema, table, &err);
    if (rc != SQLITE_OK) {
      sqlite3_free(schema);
      sqlite3_free(table);
      return err ? vtab_error(c, rc, err) : rc;
    }
  }
  sql = vae_rows_sql(c->e->m, schema, table, (idxNum & 2) ? "WHERE vae_src.rowid = ?1" : NULL);
  sqlite3_free(schema);
  sqlite3_free(table);
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(t->db, sql, -1, &c->st, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK)
    return vtab_error(c, rc, sqlite3_mprintf("vae: source table \"%s\": %s", t->source,
                                             sqlite3_errmsg(t->db)));
  if (idxNum & 2) {
    if (a >= argc) return SQLITE_ERROR;
    sqlite3_bind_value(c->st, 1, argv[a]);
  }
  rc = vae_rows_init(&c->rows, c->e->m, "vae");
  if (rc != SQLITE_OK) return rc;
  c->eof = 0;
  return src_batch(c);
}

static int vtab_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  vae_cursor *c = (vae_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->pVtab;
  int rc;
  cursor_reset(c);
  rc = resolve_model(c);
  if (rc != SQLITE_OK) return rc;
  return t->source ? src_filter(c, idxNum, argc, argv) : gen_filter(c, idxStr, argc, argv);
}

static int vtab_next(sqlite3_vtab_cursor *cur) {
  vae_cursor *c = (vae_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->pVtab;
  if (c->eof) return SQLITE_OK;
  if (t->source) {
    if (++c->k < c->rows.count) return SQLITE_OK;
    return src_batch(c);
  }
  c->i++;
  return gen_batch(c);
}

static int vtab_eof(sqlite3_vtab_cursor *cur) {
  return ((vae_cursor *)cur)->eof;
}

static int vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  vae_cursor *c = (vae_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->pVtab;
  if (col >= t->p) {
    sqlite3_result_int64(ctx, t->source ? c->draw : c->seed);
    return SQLITE_OK;
  }
  if (t->source) {
    vae_rows_result(&c->rows, ctx, c->k, c->map[col]);
  } else {
    int pm = vae_model_ncols(c->e->m), j = c->map[col];
    vae_cell_result(ctx, vae_model_column(c->e->m, j), &c->given[col],
                    c->out[(size_t)(c->i - c->bstart) * pm + j]);
  }
  return SQLITE_OK;
}

static int vtab_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  vae_cursor *c = (vae_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->pVtab;
  *rowid = t->source ? c->rows.rowid[c->k] : c->i + 1;
  return SQLITE_OK;
}

static sqlite3_module vae_module = {
    0,                /* iVersion */
    vtab_create,      /* xCreate */
    vtab_connect,     /* xConnect */
    vtab_best_index,  /* xBestIndex */
    vtab_disconnect,  /* xDisconnect */
    vtab_disconnect,  /* xDestroy: nothing stored besides the schema */
    vtab_open,        /* xOpen */
    vtab_close,       /* xClose */
    vtab_filter,      /* xFilter */
    vtab_next,        /* xNext */
    vtab_eof,         /* xEof */
    vtab_column,      /* xColumn */
    vtab_rowid,       /* xRowid */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* xUpdate .. xShadowName */
};

int vae_register_vtab(sqlite3 *db, vae_ext *x) {
  x->refs++;
  return sqlite3_create_module_v2(db, "vae", &vae_module, x, vae_ext_unref);
}
