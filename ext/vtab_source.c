/*
** vtab_source.c -- the source form of the `vae` table (module: vtab.c).
**
**   CREATE VIRTUAL TABLE f USING vae(m, source=t);
**
** The rows of table or view t, every column of t (as t was when the table
** was opened), with the NULL cells of the model's columns filled; the
** others pass through, declared with their affinity. The rowid is t's real
** rowid whatever its columns are named (rows.h: vae_key_find); a view or
** WITHOUT ROWID table gives row numbers. Hidden column `draw`: 0 (default)
** the best estimate, as vae_impute gives it; k >= 1 the k-th draw from the
** conditional distribution (multiple imputation), reproducible. `WHERE
** rowid = ?` reads one row. Rows are read and completed in batches
** (rows.h).
**
** t may be another such table: a chain that reaches itself is refused at
** CREATE when visible (chain_check), and is an error when read
** (nest_enter), never a recursion without end.
**
** Planning: idxNum bit 1 = draw, bit 2 = rowid, in that argv order.
*/
#include "vtab.h"
#include "rows.h"
#include "source.h"
#include "codec.h"

#include <string.h>

typedef struct {
  vae_cursor c;          /* first: the shared part */
  sqlite3_stmt *st;
  sqlite3_int64 draw;
  vae_key key;
  int nkey;              /* leading key columns of st */
  vae_rows rows;
  int k;                 /* current row in the batch */
} src_cursor;

/* ---------------------------------------------------------------------
** Chains of sources: f2 reading f1 reading t. Every read of a source (and
** the look at its columns when a table is opened) is entered here first:
** a table already being read, or a chain deeper than VAE_MAX_NEST, is an
** error naming the chain, not a recursion without end.
*/
static char *chain_text(vae_ext *x, const char *last) {
  char *s = sqlite3_mprintf("");
  int i;
  for (i = 0; i < x->nest && s; i++) {
    char *t = sqlite3_mprintf("%s%s -> ", s, x->nest_name[i]);
    sqlite3_free(s);
    s = t;
  }
  if (s) {
    char *t = sqlite3_mprintf("%s%s", s, last);
    sqlite3_free(s);
    s = t;
  }
  return s;
}

/* Enters the read of t's source; on error *msg (sqlite3_mprintf). */
static int nest_enter(vae_vtab *t, char **msg) {
  vae_ext *x = t->x;
  int i;
  *msg = NULL;
  for (i = 0; i < x->nest; i++) {
    if (sqlite3_stricmp(x->nest_name[i], t->qname) == 0) {
      char *chain = chain_text(x, t->qname);
      *msg = chain ? sqlite3_mprintf("vae: the chain of sources reaches itself: %s", chain)
                   : NULL;
      sqlite3_free(chain);
      return *msg ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  if (x->nest >= VAE_MAX_NEST) {
    *msg = sqlite3_mprintf("vae: tables read from other tables' sources nest more than "
                           "%d deep (at %s)", VAE_MAX_NEST, t->qname);
    return *msg ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  x->nest_name[x->nest++] = t->qname;
  return SQLITE_OK;
}

static void nest_leave(vae_vtab *t) {
  t->x->nest--;
}

/* The source= argument of a `vae` table's CREATE statement, or NULL (also
** when sql is some other statement). */
static char *source_arg(const char *sql) {
  const char *s = sql, *a;
  char *out = NULL;
  int depth = 0;
  char q = 0;
  /* CREATE VIRTUAL TABLE <name> USING vae( */
  for (; *s; s++) {
    if (q) { if (*s == q) q = 0; continue; }
    if (*s == '"' || *s == '\'' || *s == '`') { q = *s; continue; }
    if (*s == '[') { q = ']'; continue; }
    if (sqlite3_strnicmp(s, "using", 5) == 0 && (s == sql || s[-1] == ' ' || s[-1] == '\n' ||
                                                   s[-1] == '\t' || s[-1] == '"' || s[-1] == ']'))
      break;
  }
  if (!*s) return NULL;
  for (s += 5; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++) {}
  if (sqlite3_strnicmp(s, "vae", 3) != 0) return NULL;
  for (s += 3; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++) {}
  if (*s != '(') return NULL;
  /* Arguments: split at commas outside quotes and parentheses. */
  for (a = ++s; *s; s++) {
    if (q) { if (*s == q) q = 0; continue; }
    if (*s == '"' || *s == '\'' || *s == '`') { q = *s; continue; }
    if (*s == '[') { q = ']'; continue; }
    if (*s == '(') { depth++; continue; }
    if (*s == ')' && depth > 0) { depth--; continue; }
    if ((*s == ',' || *s == ')') && depth == 0) {
      const char *eq = memchr(a, '=', (size_t)(s - a));
      if (eq) {
        char *key = vae_vtab_dequote(a, (int)(eq - a));
        if (key && sqlite3_stricmp(key, "source") == 0) {
          char *raw = sqlite3_mprintf("%.*s", (int)(s - eq - 1), eq + 1);
          out = raw ? vae_vtab_source_name(raw) : NULL;
          sqlite3_free(raw);
        }
        sqlite3_free(key);
        if (out) return out;
      }
      if (*s == ')') break;
      a = s + 1;
    }
  }
  return NULL;
}

/* At CREATE: follows the chain of `vae` tables from source; a chain that
** comes back to this table is refused. A view on the way ends the search
** (such a chain is found when it is read). */
static int chain_check(sqlite3 *db, const char *schema, const char *name,
                       const char *source, char **pzErr) {
  char *cur = sqlite3_mprintf("%s", source), *chain = sqlite3_mprintf("%s", name);
  int depth, rc = SQLITE_OK;
  for (depth = 0; cur && chain && depth < VAE_MAX_NEST; depth++) {
    char *s = NULL, *tb = NULL, *sql, *next = NULL, *t;
    sqlite3_stmt *st = NULL;
    if (vae_find_table(db, cur, 1, &s, &tb) != SQLITE_OK) break;
    t = sqlite3_mprintf("%s -> %s", chain, tb);
    sqlite3_free(chain);
    chain = t;
    if (sqlite3_stricmp(s, schema) == 0 && sqlite3_stricmp(tb, name) == 0) {
      *pzErr = chain ? sqlite3_mprintf("vae: the chain of sources reaches this table "
                                       "itself: %s", chain) : NULL;
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    } else {
      sql = sqlite3_mprintf("SELECT sql FROM \"%w\".sqlite_schema WHERE name = ?1", s);
      if (sql && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, tb, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
          next = source_arg((const char *)sqlite3_column_text(st, 0));
      }
      sqlite3_finalize(st);
      sqlite3_free(sql);
    }
    sqlite3_free(s);
    sqlite3_free(tb);
    sqlite3_free(cur);
    cur = next;
    if (rc != SQLITE_OK || !next) break;
  }
  sqlite3_free(cur);
  sqlite3_free(chain);
  return rc;
}

/* The type to declare for a column declared decl: the name of its
** affinity (SQLite's rules), never the source's text, which a hostile
** schema could make anything. NULL for none. */
static const char *affinity_type(const char *decl) {
  char up[128];
  size_t i;
  if (!decl || !*decl) return NULL;
  for (i = 0; decl[i] && i < sizeof up - 1; i++)
    up[i] = (decl[i] >= 'a' && decl[i] <= 'z') ? (char)(decl[i] - 32) : decl[i];
  up[i] = 0;
  if (strstr(up, "INT")) return "INTEGER";
  if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT")) return "TEXT";
  if (strstr(up, "BLOB")) return "BLOB";
  if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB")) return "REAL";
  return "NUMERIC";
}

/* The columns of t's source, declared for the table: every column of the
** source (names, and declared types for the ones the model does not use).
** When the source cannot be read now (missing, a chain that reaches
** itself) or lacks a model column, nothing changes: the table declares the
** model's columns and a scan reports the problem. */
static int source_columns(vae_vtab *t, char **pzErr) {
  sqlite3_stmt *st = NULL;
  char *schema = NULL, *table = NULL, *sql, *msg = NULL;
  char **names = NULL, **types = NULL;
  int *kinds = NULL, n, j, i, found = 0, rc;
  if (vae_find_table(t->db, t->source, 1, &schema, &table) != SQLITE_OK) return SQLITE_OK;
  sql = sqlite3_mprintf("SELECT * FROM \"%w\".\"%w\"", schema, table);
  sqlite3_free(schema);
  sqlite3_free(table);
  if (!sql) return SQLITE_NOMEM;
  rc = nest_enter(t, &msg);
  sqlite3_free(msg);
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(t->db, sql, -1, &st, NULL);
    nest_leave(t);
  }
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(st);
    return rc == SQLITE_NOMEM ? rc : SQLITE_OK;
  }
  n = sqlite3_column_count(st);
  names = sqlite3_malloc64((sqlite3_uint64)(n + 1) * sizeof *names);
  kinds = sqlite3_malloc64((sqlite3_uint64)(n + 1) * sizeof *kinds);
  types = sqlite3_malloc64((sqlite3_uint64)(n + 1) * sizeof *types);
  if (names) memset(names, 0, (size_t)(n + 1) * sizeof *names);
  if (types) memset(types, 0, (size_t)(n + 1) * sizeof *types);
  rc = names && kinds && types ? SQLITE_OK : SQLITE_NOMEM;
  for (i = 0; i < n && rc == SQLITE_OK; i++) {
    const char *nm = sqlite3_column_name(st, i);
    kinds[i] = -1;
    for (j = 0; j < t->p && nm; j++) {
      if (sqlite3_stricmp(nm, t->names[j]) == 0 && kinds[i] < 0) {
        kinds[i] = t->kinds[j];
        found++;
        nm = t->names[j]; /* the model's spelling */
        if (t->types && t->types[j] && !(types[i] = sqlite3_mprintf("%s", t->types[j])))
          rc = SQLITE_NOMEM;
      }
    }
    if (!nm) { rc = SQLITE_NOMEM; break; }
    if (kinds[i] < 0 && sqlite3_stricmp(nm, "draw") == 0) {
      *pzErr = sqlite3_mprintf("vae: source \"%s\" has a column named \"%s\", the name of "
                               "the hidden column of this table", t->source, nm);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    names[i] = sqlite3_mprintf("%s", nm);
    if (!names[i]) rc = SQLITE_NOMEM;
    if (kinds[i] < 0 && affinity_type(sqlite3_column_decltype(st, i))) {
      types[i] = sqlite3_mprintf("%s", affinity_type(sqlite3_column_decltype(st, i)));
      if (!types[i]) rc = SQLITE_NOMEM;
    }
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_OK && found == t->p) {
    for (j = 0; j < t->p; j++) sqlite3_free(t->names[j]);
    for (j = 0; j < t->p && t->types; j++) sqlite3_free(t->types[j]);
    sqlite3_free(t->types);
    sqlite3_free(t->names);
    sqlite3_free(t->kinds);
    t->names = names;
    t->kinds = kinds;
    t->types = types;
    t->p = n;
    return SQLITE_OK;
  }
  for (i = 0; i < n; i++) {
    if (names) sqlite3_free(names[i]);
    if (types) sqlite3_free(types[i]);
  }
  sqlite3_free(names);
  sqlite3_free(types);
  sqlite3_free(kinds);
  return rc;
}


static int src_batch(src_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->c.base.pVtab;
  char *err = NULL;
  int rc;
  c->k = 0;
  if (c->rows.done) {
    c->rows.count = 0;
    c->c.eof = 1;
    return SQLITE_OK;
  }
  rc = nest_enter(t, &err);
  if (rc != SQLITE_OK) return err ? vae_cursor_error(&c->c, rc, err) : rc;
  rc = vae_rows_read(&c->rows, t->db, c->st, &err);
  nest_leave(t);
  if (rc != SQLITE_OK) return err ? vae_cursor_error(&c->c, rc, err) : rc;
  if (c->rows.count == 0) {
    c->c.eof = 1;
    return SQLITE_OK;
  }
  rc = vae_rows_infer(&c->rows, c->draw);
  if (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) return rc;
  if (rc != SQLITE_OK)
    return vae_cursor_error(&c->c, rc, sqlite3_mprintf("vae: inference failed"));
  return SQLITE_OK;
}

static int src_filter(src_cursor *c, int idxNum, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->c.base.pVtab;
  char *schema = NULL, *table = NULL, *sql = NULL, *err = NULL, *where = NULL;
  int a = 0, j, rc, keep = 0, *pos = NULL;
  sqlite3_int64 want = 0;
  c->draw = 0;
  if (idxNum & 1) {
    if (a >= argc || !vae_int_value(argv[a], &c->draw) || c->draw < 0)
      return vae_cursor_error(&c->c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: draw must be a non-negative integer"));
    a++;
  }
  if ((idxNum & 2) && a >= argc) return SQLITE_ERROR;
  rc = vae_find_table(t->db, t->source, 1, &schema, &table);
  if (rc == SQLITE_NOTFOUND)
    return vae_cursor_error(&c->c, SQLITE_ERROR, sqlite3_mprintf("vae: no such table: %s", t->source));
  if (rc != SQLITE_OK) return rc;
  rc = vae_key_find(t->db, "vae", schema, table, 1, &c->key, &err);
  if (rc == SQLITE_OK) rc = vae_rows_check_table(t->db, c->c.e->m, "vae", schema, table, &err);
  if (rc != SQLITE_OK) goto done;
  if (c->key.kind == VAE_KEY_PK) { /* row numbers, in the primary key's order */
    vae_key_free(&c->key);
    c->key.kind = VAE_KEY_ROWNUM;
  }
  c->nkey = c->key.kind == VAE_KEY_ROWID ? 1 : 0;
  if (idxNum & 2) {
    if (c->key.kind == VAE_KEY_ROWID) {
      /* the rowid under its name that no column shadows */
      where = sqlite3_mprintf("WHERE vae_src.\"%w\" = ?1", c->key.cols[0]);
    } else {
      /* The row number: the row after skipping want - 1. */
      if (!vae_int_value(argv[a], &want) || want < 1) goto done; /* no row: eof */
      want--;
      where = sqlite3_mprintf("LIMIT 1 OFFSET ?1");
    }
    if (!where) { rc = SQLITE_NOMEM; goto done; }
  }
  sql = vae_rows_sql(c->c.e->m, &c->key, t->names, t->p, schema, table, where);
  if (!sql) { rc = SQLITE_NOMEM; goto done; }
  rc = sqlite3_prepare_v2(t->db, sql, -1, &c->st, NULL);
  if (rc != SQLITE_OK) {
    err = sqlite3_mprintf("vae: source table \"%s\": %s", t->source, sqlite3_errmsg(t->db));
    goto done;
  }
  if (idxNum & 2) {
    if (c->key.kind == VAE_KEY_ROWID) sqlite3_bind_value(c->st, 1, argv[a]);
    else sqlite3_bind_int64(c->st, 1, want);
  }
  pos = sqlite3_malloc64((sqlite3_uint64)(vae_model_ncols(c->c.e->m) + 1) * sizeof *pos);
  if (!pos) { rc = SQLITE_NOMEM; goto done; }
  for (j = 0; j < vae_model_ncols(c->c.e->m); j++) pos[j] = -1; /* unmapped: refused */
  for (j = 0; j < t->p; j++) {
    if (c->c.map[j] >= 0) pos[c->c.map[j]] = c->nkey + j;
    else keep = 1;
  }
  rc = vae_rows_init(&c->rows, c->c.e->m, "vae");
  if (rc == SQLITE_OK) rc = vae_rows_shape(&c->rows, &c->key, c->nkey + t->p, pos, keep);
  if (rc == SQLITE_ERROR)
    err = sqlite3_mprintf("vae: model \"%s\" no longer has the columns of this table; "
                          "drop and create it again", t->model);
  if (rc != SQLITE_OK) goto done;
  c->rows.rownum = want;
  c->rows.na = c->c.e->na;
  c->c.eof = 0;
  rc = src_batch(c);
done:
  sqlite3_free(schema);
  sqlite3_free(table);
  sqlite3_free(sql);
  sqlite3_free(where);
  sqlite3_free(pos);
  if (rc != SQLITE_OK && err) return vae_cursor_error(&c->c, rc, err);
  return rc;
}

/* ---------------------------------------------------------------------
** The form's callbacks
*/

/* At CREATE the source must exist and not lead back to this table; then
** its columns are declared (source_columns). */
static int src_open_table(vae_vtab *t, int creating, const char *schema, char **pzErr) {
  int rc = SQLITE_OK;
  if (creating) {
    char *s = NULL, *table = NULL;
    rc = vae_find_table(t->db, t->source, 1, &s, &table);
    sqlite3_free(s);
    sqlite3_free(table);
    if (rc == SQLITE_OK) rc = chain_check(t->db, schema, t->name, t->source, pzErr);
    if (rc == SQLITE_NOTFOUND) {
      *pzErr = sqlite3_mprintf("vae: no such table: %s", t->source);
      rc = SQLITE_ERROR;
    }
  }
  if (rc == SQLITE_OK && t->p > 0) rc = source_columns(t, pzErr);
  return rc;
}

static int src_best_index(vae_vtab *t, sqlite3_index_info *info) {
  const struct sqlite3_index_constraint *cons = info->aConstraint;
  int i, n = 0, at_draw = -1, at_rowid = -1, idx = 0;
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
}

static int src_xfilter(vae_cursor *c, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  return src_filter((src_cursor *)c, idxNum, argc, argv);
}

static int src_next(vae_cursor *cur) {
  src_cursor *c = (src_cursor *)cur;
  if (++c->k < c->rows.count) return SQLITE_OK;
  return src_batch(c);
}

static void src_column(vae_cursor *cur, sqlite3_context *ctx, int col) {
  src_cursor *c = (src_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->base.pVtab;
  if (col >= t->p) sqlite3_result_int64(ctx, c->draw);
  else if (cur->map[col] < 0)
    sqlite3_result_value(ctx, c->rows.extra[(size_t)c->k * c->rows.ncol + c->nkey + col]);
  else vae_rows_result(&c->rows, ctx, c->k, cur->map[col]);
}

static sqlite3_int64 src_rowid(vae_cursor *cur) {
  src_cursor *c = (src_cursor *)cur;
  return c->rows.rowid[c->k];
}

static void src_reset(vae_cursor *cur) {
  src_cursor *c = (src_cursor *)cur;
  sqlite3_finalize(c->st);
  c->st = NULL;
  vae_rows_free(&c->rows);
  vae_key_free(&c->key);
  c->nkey = 0;
  c->k = 0;
}

const vae_table_form vae_source_form = {
    "draw", sizeof(src_cursor), src_open_table, src_best_index, src_xfilter,
    src_next, src_column, src_rowid, src_reset,
};
