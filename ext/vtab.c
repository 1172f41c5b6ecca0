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
**     others are drawn from p(rest | sex, age) (vae_infer, VAE_GENERATE).
**     A value the column can never hold (an unknown category, a binary 2)
**     is an error that names the column and its levels; a number outside
**     the training range is allowed. Ranges (<, <=, >, >=), !=, IN lists and, on TEXT
**     columns, LIKE and GLOB are applied here by rejection: rows are drawn
**     (conditioned on the equalities) and those that fail are skipped. When
**     fewer than 1 in 1000 drawn rows pass, the scan stops with an error
**     rather than loop without end. Comparisons on rowid (i + 1 for row i)
**     and seed bound the scan; SQLite applies them too. Without a LIMIT the
**     table can see, a scan stops with an error after GEN_UNBOUNDED_MAX
**     generated rows, whatever SQLite filters afterwards.
**
**   CREATE VIRTUAL TABLE f USING vae(m, source=t);
**     The rows of table or view t, every column of t (as t was when the
**     table was opened), with the NULL cells of the model's columns filled;
**     the others pass through. The rowid is t's real rowid whatever its
**     columns are named (rows.h: vae_key_find); a view or WITHOUT ROWID
**     table gives row numbers. Hidden column `draw`: 0 (default) the best
**     estimate, as vae_impute gives it; k >= 1 the k-th draw from the
**     conditional distribution (multiple imputation), reproducible.
**     `WHERE rowid = ?` reads one row. t may be another such table: a
**     chain that reaches itself is refused at CREATE when visible, and is
**     an error when read (see nest_enter), never a recursion without end.
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
#include "date.h"
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
  char *name;            /* this table's name, and schema.name: */
  char *qname;           /* its identity in a chain of sources */
  int p;                 /* declared columns (0: model was missing) */
  char **names;          /* [p] declared column names */
  int *kinds;            /* [p] their kinds; -1: a column of the source that
                            the model does not use (it passes through) */
  char **types;          /* [p] declared SQL types, owned: a model column's
                            (a date column's: date.h), a passed-through
                            column's affinity, or NULL */
} vae_vtab;

/* A constraint of the generating form that conditioning cannot express:
** a generated row is kept only when it holds. */
typedef struct {
  int col;               /* declared column */
  char op;               /* see OP_* */
  sqlite3_value **vals;  /* the right-hand side; an IN list has several */
  int nvals;
} vae_check;

/* Codes of the constraints in idxStr: "<column><op>" separated by spaces. */
#define OP_GIVEN '='     /* equality: conditions the generation */
#define OP_IN 'i'
#define OP_GT '>'
#define OP_GE 'g'
#define OP_LT '<'
#define OP_LE 'l'
#define OP_NE '!'
#define OP_LIKE 'k'
#define OP_GLOB 'b'
#define OP_NULL 'N'      /* IS NULL: generated cells never are: no rows */
#define OP_LIMIT 'L'     /* LIMIT and OFFSET (column -1): how many rows a scan */
#define OP_OFFSET 'O'    /* reads at most, so that no batch is larger */

#define OP_ROWID_COL -2 /* idxStr column of rowid constraints */

/* Rejection gives up when fewer than 1 in REJECT_RATIO rows pass, once
** REJECT_MIN rows have been tried. */
#define REJECT_RATIO 1000
#define REJECT_MIN 20000
/* Without a LIMIT that the table can see, a scan stops with an error after
** generating this many rows: SQLite may be applying a WHERE clause that
** no generated row passes (`WHERE abs(a) < 0`), and only a LIMIT tells the
** table how many rows the query wants. */
#define GEN_UNBOUNDED_MAX 1000000

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
  vae_check *checks;     /* constraints applied by rejection */
  int nchecks;
  sqlite3_int64 tried, accepted;
  sqlite3_int64 limit;   /* LIMIT + OFFSET when known (SQLite 3.38+), else -1 */
  sqlite3_int64 lo, hi;  /* rows [lo, hi) by the rowid constraints (rowid i+1) */
  vae_scratch *scratch;  /* the network's buffers, kept between batches */
  /* source form */
  sqlite3_stmt *st;
  sqlite3_int64 draw;
  vae_key key;
  int nkey;              /* leading key columns of st */
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

/* The source= argument: without its quotes when it is one quoted name,
** else as written (aux.t, "main"."t"), for vae_find_table to resolve. */
static char *source_name(const char *s) {
  int n = (int)strlen(s), i;
  char q;
  while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) { s++; n--; }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
  q = n > 0 ? (*s == '[' ? ']' : *s) : 0;
  if (q != '"' && q != '\'' && q != '`' && q != ']') return dequote(s, n);
  for (i = 1; i < n; i++) {
    if (s[i] != q) continue;
    if (q != ']' && i + 1 < n && s[i + 1] == q) { i++; continue; }
    break;
  }
  if (i == n - 1) return dequote(s, n); /* one quoted name */
  return sqlite3_mprintf("%.*s", n, s);
}

static void vtab_free(vae_vtab *t) {
  int j;
  if (!t) return;
  for (j = 0; j < t->p && t->types; j++) sqlite3_free(t->types[j]);
  sqlite3_free(t->types);
  for (j = 0; j < t->p; j++) sqlite3_free(t->names[j]);
  sqlite3_free(t->names);
  sqlite3_free(t->kinds);
  sqlite3_free(t->model);
  sqlite3_free(t->source);
  sqlite3_free(t->name);
  sqlite3_free(t->qname);
  sqlite3_free(t);
}

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
        char *key = dequote(a, (int)(eq - a));
        if (key && sqlite3_stricmp(key, "source") == 0) {
          char *raw = sqlite3_mprintf("%.*s", (int)(s - eq - 1), eq + 1);
          out = raw ? source_name(raw) : NULL;
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
  t->name = sqlite3_mprintf("%s", argv[2]);
  t->qname = sqlite3_mprintf("%s.%s", argv[1], argv[2]);
  if (!t->model || !t->name || !t->qname) { vtab_free(t); return SQLITE_NOMEM; }
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
    t->source = source_name(eq + 1);
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
    t->types = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->types);
    if (!t->names || !t->kinds || !t->types) {
      t->p = 0;
      rc = SQLITE_NOMEM;
    } else {
      memset(t->names, 0, (size_t)t->p * sizeof *t->names);
      memset(t->types, 0, (size_t)t->p * sizeof *t->types);
      for (j = 0; j < t->p && rc == SQLITE_OK; j++) {
        const vae_column *c = vae_model_column(e->m, j);
        t->kinds[j] = c->kind;
        t->types[j] = sqlite3_mprintf("%s", vae_column_sqltype(c));
        t->names[j] = sqlite3_mprintf("%s", c->name);
        if (!t->names[j] || !t->types[j]) rc = SQLITE_NOMEM;
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
    rc = vae_find_table(db, t->source, 1, &schema, &table);
    sqlite3_free(schema);
    sqlite3_free(table);
    if (rc == SQLITE_OK) rc = chain_check(db, argv[1], argv[2], t->source, pzErr);
    if (rc != SQLITE_OK) {
      if (rc == SQLITE_NOTFOUND) {
        *pzErr = sqlite3_mprintf("vae: no such table: %s", t->source);
        rc = SQLITE_ERROR;
      }
      vtab_free(t);
      return rc;
    }
  }
  if (t->source && t->p > 0) {
    rc = source_columns(t, pzErr);
    if (rc != SQLITE_OK) {
      vtab_free(t);
      return rc;
    }
  }

  /* Without a model, one placeholder column, so that `SELECT *` still
  ** reaches xFilter and its message about the missing model. */
  decl = sqlite3_mprintf("CREATE TABLE x(%s", t->p ? "" : "vae_no_model, ");
  for (j = 0; j < t->p && decl; j++) {
    const char *type = t->types && t->types[j] ? t->types[j]
                       : t->kinds[j] >= 0 ? vae_kind_sqltype(t->kinds[j]) : "";
    char *d = sqlite3_mprintf("%s\"%w\" %s, ", decl, t->names[j], type);
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
** Generating form: idxStr lists, in argv order, the declared column and
** the OP_* code of each constraint passed to xFilter ("3= 0> 5i"); column
** p is the seed.
** Source form: idxNum bit 1 = draw, bit 2 = rowid, in that argv order.
*/
/* How the generating form handles constraint i, or 0 to leave it to
** SQLite. The seed (column p) takes only equality. */
static char check_op(vae_vtab *t, sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  int text;
  if (c->usable && c->iColumn == -1) {
    /* rowid i + 1 of row i: bounds the rows a scan generates */
    switch (c->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
      case SQLITE_INDEX_CONSTRAINT_IS: return OP_GIVEN;
      case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
      case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
      case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
      case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
      case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
      default: return 0;
    }
  }
  if (!c->usable || c->iColumn < 0 || c->iColumn > t->p) return 0;
  if (c->iColumn == t->p) {
    /* The seed: equality sets it; the others are decided once per scan. */
    switch (c->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ: return OP_GIVEN;
      case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
      case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
      case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
      case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
      case SQLITE_INDEX_CONSTRAINT_NE: return OP_NE;
      case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
      default: return 0;
    }
  }
  text = t->kinds[c->iColumn] == VAE_CATEGORICAL;
  switch (c->op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
    case SQLITE_INDEX_CONSTRAINT_IS:
      /* An IN list comes as an equality; take all its values at once
      ** (SQLite 3.38+), so that every value is generated, not the first. */
      if (sqlite3_libversion_number() >= 3038000 && sqlite3_vtab_in(info, i, -1)) {
        sqlite3_vtab_in(info, i, 1);
        return OP_IN;
      }
      return OP_GIVEN;
    case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
    case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
    case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
    case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
    case SQLITE_INDEX_CONSTRAINT_NE:
    case SQLITE_INDEX_CONSTRAINT_ISNOT: return OP_NE;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
    case SQLITE_INDEX_CONSTRAINT_LIKE: return text ? OP_LIKE : 0;
    case SQLITE_INDEX_CONSTRAINT_GLOB: return text ? OP_GLOB : 0;
    default: return 0;
  }
}

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
      char op = check_op(t, info, i), *l;
#ifdef SQLITE_INDEX_CONSTRAINT_LIMIT
      /* Not omitted: SQLite still applies both; they only bound the rows
      ** a scan generates, so that LIMIT 5 does not draw a batch of 256. */
      if (cons[i].usable && (cons[i].op == SQLITE_INDEX_CONSTRAINT_LIMIT ||
                             cons[i].op == SQLITE_INDEX_CONSTRAINT_OFFSET)) {
        info->aConstraintUsage[i].argvIndex = ++n;
        l = sqlite3_mprintf("%s%s-1%c", list, *list ? " " : "",
                            cons[i].op == SQLITE_INDEX_CONSTRAINT_LIMIT ? OP_LIMIT : OP_OFFSET);
        sqlite3_free(list);
        list = l;
        continue;
      }
#endif
      if (!op) continue;
      if (col < 0) col = OP_ROWID_COL;
      if (op == OP_GIVEN && col >= 0) {
        if (used[col]) op = OP_IN; /* a second equality: a check, not a condition */
        used[col] = 1;
      }
      info->aConstraintUsage[i].argvIndex = ++n;
      /* rowid and seed comparisons only bound the scan: SQLite applies
      ** them too. */
      info->aConstraintUsage[i].omit =
          !(col == OP_ROWID_COL || (col == t->p && op != OP_GIVEN));
      l = sqlite3_mprintf("%s%s%d%c", list, *list ? " " : "", col, op);
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

static void free_checks(vae_cursor *c) {
  int k, v;
  for (k = 0; k < c->nchecks; k++) {
    for (v = 0; v < c->checks[k].nvals; v++) sqlite3_value_free(c->checks[k].vals[v]);
    sqlite3_free(c->checks[k].vals);
  }
  sqlite3_free(c->checks);
  c->checks = NULL;
  c->nchecks = 0;
}

static void cursor_reset(vae_cursor *c) {
  free_checks(c);
  c->tried = c->accepted = 0;
  c->limit = -1;
  sqlite3_free(c->given);
  c->given = NULL;
  sqlite3_free(c->map);
  c->map = NULL;
  sqlite3_free(c->tmpl);
  c->tmpl = c->in = c->out = NULL;
  sqlite3_finalize(c->st);
  c->st = NULL;
  vae_rows_free(&c->rows);
  vae_key_free(&c->key);
  c->nkey = 0;
  c->lo = 0;
  c->hi = -1;
  vae_scratch_free(c->scratch);
  c->scratch = NULL;
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
  return vae_vtab_error(c->base.pVtab, rc, msg);
}


/* The current model, and the map from declared to model columns. */
static int resolve_model(vae_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *err = NULL;
  int j, rc, covered = 0;
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
    if (k >= 0 && t->kinds[j] >= 0) covered++;
    if (t->source && k < 0 && t->kinds[j] < 0) {
      c->map[j] = -1; /* passes through */
      continue;
    }
    if (k < 0 || vae_model_column(c->e->m, k)->kind != t->kinds[j] ||
        (!t->source && vae_model_ncols(c->e->m) != t->p))
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: model \"%s\" no longer has the columns of "
                                        "this table; drop and create it again",
                                        t->model));
    c->map[j] = k;
  }
  if (covered != vae_model_ncols(c->e->m))
    return vtab_error(c, SQLITE_ERROR,
                      sqlite3_mprintf("vae: model \"%s\" no longer has the columns of this "
                                      "table; drop and create it again", t->model));
  return SQLITE_OK;
}

/* Makes row c->i of the generating form available. */
static int gen_batch(vae_cursor *c) {
  const vae_model *m = c->e->m;
  int pm = vae_model_ncols(m), k, rc, count = GEN_BATCH;
  if (c->i >= c->bstart && c->i < c->bstart + c->bcount) return SQLITE_OK;
  /* Under a LIMIT, no more than the scan can use: a conditioned row costs
  ** as much as an imputed one. Rows are seeded by their index, so a batch's
  ** size does not change which rows come (and LIMIT n now batches them as
  ** vae_sample(m, n) does, to the last bit). */
  if (c->limit > c->i && c->nchecks == 0 && c->limit - c->i < count)
    count = (int)(c->limit - c->i);
  if (c->hi >= 0 && c->hi - c->i < count) count = c->hi > c->i ? (int)(c->hi - c->i) : 1;
  c->bstart = c->i;
  c->bcount = 0;
  for (k = 0; k < count; k++)
    c->seeds[k] = vae_seed_mix((uint64_t)c->seed, (uint64_t)(c->i + k));
  if (c->ngiven == 0) {
    rc = vae_sample_kept(m, count, c->seeds, c->out, &c->scratch);
  } else {
    for (k = 0; k < count; k++)
      memcpy(&c->in[(size_t)k * pm], c->tmpl, (size_t)pm * sizeof(float));
    rc = vae_infer_kept(m, VAE_GENERATE, count, c->in, c->seeds, 0, c->out, NULL, &c->scratch);
  }
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK)
    return vtab_error(c, SQLITE_ERROR, sqlite3_mprintf("vae: generation failed"));
  c->bcount = count;
  return SQLITE_OK;
}

/* SQLite's order between a generated cell and a value: numbers before
** text, numbers by value, text by bytes (BINARY collation). */
static int compare_cell(const vae_column *mc, float cell, sqlite3_value *v) {
  int vt = sqlite3_value_type(v);
  if (mc->kind == VAE_CATEGORICAL) {
    const char *level = mc->levels[(int)cell], *s;
    int n, r;
    if (vt != SQLITE_TEXT) return vt == SQLITE_BLOB ? -1 : 1; /* numbers < text < blobs */
    s = (const char *)sqlite3_value_text(v);
    n = sqlite3_value_bytes(v);
    r = strncmp(level, s ? s : "", (size_t)n);
    if (r == 0 && (int)strlen(level) != n) r = (int)strlen(level) > n ? 1 : -1;
    return r;
  } else {
    double d, x;
    if (vae_is_time(mc)) {
      /* a date: compared as a point in time, in whatever form it is given */
      vae_val val;
      char *err = NULL;
      vae_val_from_sql(&val, v);
      if (vae_val_to_days(mc, &val, &x, "", &err) != SQLITE_OK) {
        sqlite3_free(err);
        return vt == SQLITE_TEXT || vt == SQLITE_BLOB ? -1 : 1;
      }
      d = vae_time_days(mc, cell);
      if (vae_date_is_text(mc->format)) {
        /* as the text shown: a date is the whole day */
        char buf[40];
        vae_date_format(buf, sizeof buf, d, mc->format);
        vae_date_parse(buf, (int)strlen(buf), &d, NULL);
      }
      return d < x ? -1 : d > x ? 1 : 0;
    }
    if (vt == SQLITE_INTEGER || vt == SQLITE_FLOAT) {
      x = sqlite3_value_double(v);
    } else if (vt == SQLITE_TEXT &&
               vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &x)) {
      /* the column's numeric affinity applies to a numeric-looking text */
    } else {
      return -1; /* numbers sort before text and blobs */
    }
    d = vae_float_double(cell);
    return d < x ? -1 : d > x ? 1 : 0;
  }
}

static int check_holds(const vae_cursor *c, const vae_check *k, float cell) {
  const vae_column *mc = vae_model_column(c->e->m, c->map[k->col]);
  int v;
  if (k->nvals == 0) return 0; /* NULL on the right: never true */
  switch (k->op) {
    case OP_IN:
      for (v = 0; v < k->nvals; v++)
        if (compare_cell(mc, cell, k->vals[v]) == 0) return 1;
      return 0;
    case OP_GT: return compare_cell(mc, cell, k->vals[0]) > 0;
    case OP_GE: return compare_cell(mc, cell, k->vals[0]) >= 0;
    case OP_LT: return compare_cell(mc, cell, k->vals[0]) < 0;
    case OP_LE: return compare_cell(mc, cell, k->vals[0]) <= 0;
    case OP_NE: return compare_cell(mc, cell, k->vals[0]) != 0;
    case OP_LIKE:
    case OP_GLOB: {
      const char *pat = (const char *)sqlite3_value_text(k->vals[0]);
      const char *level = mc->levels[(int)cell];
      if (!pat) return 0;
      return k->op == OP_LIKE ? sqlite3_strlike(pat, level, 0) == 0
                              : sqlite3_strglob(pat, level) == 0;
    }
    default: return 0;
  }
}

/* Moves c->i forward to the first row, from c->i on, that passes every
** check, or fails when too few rows pass. */
static int gen_accept(vae_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  int pm = vae_model_ncols(c->e->m), rc, k;
  for (;;) {
    const float *row;
    if (c->hi >= 0 && c->i >= c->hi) { /* past the rowid constraints */
      c->eof = 1;
      return SQLITE_OK;
    }
    /* Every row generated counts, also those SQLite rejects afterwards. */
    if (c->limit < 0 && c->i - c->lo >= GEN_UNBOUNDED_MAX)
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: the WHERE clause keeps too few generated rows, "
                                        "or there is no LIMIT: %s generated %lld rows "
                                        "without a LIMIT it can see; add LIMIT n, and "
                                        "condition with column = value where you can",
                                        t->name, c->i - c->lo));
    row = c->out + (size_t)(c->i - c->bstart) * pm;
    c->tried++;
    for (k = 0; k < c->nchecks; k++)
      if (!check_holds(c, &c->checks[k], row[c->map[c->checks[k].col]])) break;
    if (k == c->nchecks) {
      c->accepted++;
      return SQLITE_OK;
    }
    if (c->tried >= REJECT_MIN && c->tried > REJECT_RATIO * (c->accepted + 1))
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: the WHERE clause on \"%s\" keeps too few "
                                        "generated rows (%lld of %lld); condition with "
                                        "column = value where you can",
                                        t->names[c->checks[k].col], c->accepted, c->tried));
    c->i++;
    if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  }
}

/* Records a check; IN lists come through sqlite3_vtab_in_first/next. */
static int add_check(vae_cursor *c, int col, char op, sqlite3_value *arg) {
  vae_check *k = &c->checks[c->nchecks++];
  sqlite3_value *v;
  int rc, cap = 0;
  k->col = col;
  k->op = op;
  k->vals = NULL;
  k->nvals = 0;
  if (op == OP_IN && sqlite3_libversion_number() >= 3038000) {
    rc = sqlite3_vtab_in_first(arg, &v);
    if (rc == SQLITE_ERROR) { /* a plain second equality, not a list */
      v = arg;
      rc = SQLITE_OK;
      op = 0;
    }
  } else {
    v = arg;
    rc = SQLITE_OK;
    op = 0;
  }
  while (rc == SQLITE_OK && v) {
    if (sqlite3_value_type(v) != SQLITE_NULL) {
      if (k->nvals == cap) {
        sqlite3_value **grown;
        cap = cap ? 2 * cap : 4;
        grown = sqlite3_realloc64(k->vals, (sqlite3_uint64)cap * sizeof *grown);
        if (!grown) return SQLITE_NOMEM;
        k->vals = grown;
      }
      if (!(k->vals[k->nvals] = sqlite3_value_dup(v))) return SQLITE_NOMEM;
      k->nvals++;
    }
    if (!op) break;
    rc = sqlite3_vtab_in_next(arg, &v);
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* How an INTEGER a compares with v as SQLite compares an INTEGER column
** with it (numeric text reads as its number): -1, 0, 1, or 2 for NULL. */
static int int_cmp(sqlite3_int64 a, sqlite3_value *v) {
  double d;
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return 2;
    case SQLITE_INTEGER: {
      sqlite3_int64 b = sqlite3_value_int64(v);
      return a < b ? -1 : a > b;
    }
    case SQLITE_FLOAT: d = sqlite3_value_double(v); break;
    case SQLITE_TEXT:
      if (vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &d))
        break;
      return -1; /* numbers sort before text */
    default: return -1;
  }
  return (double)a < d ? -1 : (double)a > d;
}

static int op_holds(char op, int cmp) {
  if (cmp == 2) return 0;
  switch (op) {
    case OP_GIVEN: return cmp == 0;
    case OP_GT: return cmp > 0;
    case OP_GE: return cmp >= 0;
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_NE: return cmp != 0;
    default: return 1;
  }
}

/* Narrows the rows [lo, hi) of a scan by `rowid op v` (row i has rowid
** i + 1). SQLite checks the constraint as well: bounds need only be safe. */
static void rowid_bound(vae_cursor *c, char op, sqlite3_value *v) {
  sqlite3_int64 lo = 0, hi = 0, r;
  double d = 0;
  int vt = sqlite3_value_type(v);
  if (vt == SQLITE_TEXT &&
      !vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &d))
    vt = SQLITE_BLOB;
  if (vt == SQLITE_NULL || vt == SQLITE_BLOB) {
    /* above every number (text and blobs sort after) or NULL */
    if (vt == SQLITE_NULL || op == OP_GIVEN || op == OP_GT || op == OP_GE) c->hi = 0;
    return;
  }
  if (vt == SQLITE_INTEGER) d = (double)sqlite3_value_int64(v);
  else if (vt == SQLITE_FLOAT) d = sqlite3_value_double(v);
  if (d > 4e18) d = 4e18;
  if (d < -1) d = -1;
  switch (op) {
    case OP_GIVEN:
      if (d != floor(d) || d < 1) {
        c->hi = 0;
        return;
      }
      r = vt == SQLITE_INTEGER ? sqlite3_value_int64(v) : (sqlite3_int64)d;
      lo = r - 1;
      hi = r;
      break;
    case OP_GT: lo = (sqlite3_int64)floor(d); break;
    case OP_GE: lo = (sqlite3_int64)ceil(d) - 1; break;
    case OP_LT: hi = (sqlite3_int64)ceil(d) - 1; break;
    case OP_LE: hi = (sqlite3_int64)floor(d); break;
    default: return;
  }
  if (lo > c->lo) c->lo = lo;
  if (op == OP_GIVEN || op == OP_LT || op == OP_LE) {
    if (hi < 0) hi = 0;
    if (c->hi < 0 || hi < c->hi) c->hi = hi;
  }
}

static int gen_filter(vae_cursor *c, const char *idxStr, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  const char *s = idxStr ? idxStr : "";
  sqlite3_int64 limit = -1, offset = 0;
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
  c->checks = sqlite3_malloc64((sqlite3_uint64)(argc ? argc : 1) * sizeof *c->checks);
  if (!c->checks) return SQLITE_NOMEM;
  c->eof = 0;
  for (a = 0; a < argc; a++) {
    char *end, op;
    long col = strtol(s, &end, 10);
    if (end == s || !*end) break;
    op = *end;
    s = end + 1;
    if (op == OP_NULL) {
      c->eof = 1;
      continue;
    }
    if (op == OP_LIMIT || op == OP_OFFSET) {
      sqlite3_int64 v;
      if (!vae_int_value(argv[a], &v)) v = -1; /* SQLite reports a bad one */
      if (op == OP_LIMIT) limit = v;
      else if (v > 0) offset = v;
      continue;
    }
    if (col == OP_ROWID_COL) {
      rowid_bound(c, op, argv[a]);
      continue;
    }
    if (col == t->p && op != OP_GIVEN) continue; /* seed: below */
    if (op != OP_GIVEN && col >= 0 && col < t->p) {
      if ((rc = add_check(c, (int)col, op, argv[a])) != SQLITE_OK) return rc;
      continue;
    }
    if (col == t->p) {
      if (sqlite3_value_type(argv[a]) != SQLITE_NULL && !vae_int_value(argv[a], &c->seed))
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
      /* A value the column never holds (an unknown category, a binary 2)
      ** is an error naming the column and what it holds, as in vae_impute;
      ** a number beyond the training range conditions as it is. */
      rc = vae_val_to_cell(mc, &v, &c->tmpl[c->map[col]], "vae", &err);
      if (rc != SQLITE_OK) return err ? vtab_error(c, SQLITE_ERROR, err) : SQLITE_NOMEM;
      vae_cell_given(&c->given[col], mc, &v, c->tmpl[c->map[col]]);
      c->ngiven++;
    }
  }
  /* Comparisons on the seed hold for every row of the scan, or for none. */
  for (s = idxStr ? idxStr : "", a = 0; a < argc && !c->eof; a++) {
    char *end;
    long col = strtol(s, &end, 10);
    if (end == s || !*end) break;
    s = end + 1;
    if (col == t->p && *end != OP_GIVEN && !op_holds(*end, int_cmp(c->seed, argv[a])))
      c->eof = 1;
  }
  if (c->hi >= 0 && c->hi <= c->lo) c->eof = 1;
  if (c->eof) return SQLITE_OK;
  c->limit = limit >= 0 && limit <= ((sqlite3_int64)1 << 61) - offset ? limit + offset : -1;
  if (c->limit >= 0) c->limit += c->lo;
  c->i = c->lo;
  if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  return gen_accept(c);
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
  rc = nest_enter(t, &err);
  if (rc != SQLITE_OK) return err ? vtab_error(c, rc, err) : rc;
  rc = vae_rows_read(&c->rows, t->db, c->st, &err);
  nest_leave(t);
  if (rc != SQLITE_OK) return err ? vtab_error(c, rc, err) : rc;
  if (c->rows.count == 0) {
    c->eof = 1;
    return SQLITE_OK;
  }
  rc = vae_rows_infer(&c->rows, c->draw);
  if (rc == SQLITE_NOMEM || rc == SQLITE_INTERRUPT) return rc;
  if (rc != SQLITE_OK)
    return vtab_error(c, rc, sqlite3_mprintf("vae: inference failed"));
  return SQLITE_OK;
}

static int src_filter(vae_cursor *c, int idxNum, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *schema = NULL, *table = NULL, *sql = NULL, *err = NULL, *where = NULL;
  int a = 0, j, rc, keep = 0, *pos = NULL;
  sqlite3_int64 want = 0;
  c->draw = 0;
  if (idxNum & 1) {
    if (a >= argc || !vae_int_value(argv[a], &c->draw) || c->draw < 0)
      return vtab_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: draw must be a non-negative integer"));
    a++;
  }
  if ((idxNum & 2) && a >= argc) return SQLITE_ERROR;
  rc = vae_find_table(t->db, t->source, 1, &schema, &table);
  if (rc == SQLITE_NOTFOUND)
    return vtab_error(c, SQLITE_ERROR, sqlite3_mprintf("vae: no such table: %s", t->source));
  if (rc != SQLITE_OK) return rc;
  rc = vae_key_find(t->db, "vae", schema, table, 1, &c->key, &err);
  if (rc == SQLITE_OK) rc = vae_rows_check_table(t->db, c->e->m, "vae", schema, table, &err);
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
  sql = vae_rows_sql(c->e->m, &c->key, t->names, t->p, schema, table, where);
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
  pos = sqlite3_malloc64((sqlite3_uint64)(vae_model_ncols(c->e->m) + 1) * sizeof *pos);
  if (!pos) { rc = SQLITE_NOMEM; goto done; }
  for (j = 0; j < vae_model_ncols(c->e->m); j++) pos[j] = -1; /* unmapped: refused */
  for (j = 0; j < t->p; j++) {
    if (c->map[j] >= 0) pos[c->map[j]] = c->nkey + j;
    else keep = 1;
  }
  rc = vae_rows_init(&c->rows, c->e->m, "vae");
  if (rc == SQLITE_OK) rc = vae_rows_shape(&c->rows, &c->key, c->nkey + t->p, pos, keep);
  if (rc == SQLITE_ERROR)
    err = sqlite3_mprintf("vae: model \"%s\" no longer has the columns of this table; "
                          "drop and create it again", t->model);
  if (rc != SQLITE_OK) goto done;
  c->rows.rownum = want;
  c->rows.na = c->e->na;
  c->eof = 0;
  rc = src_batch(c);
done:
  sqlite3_free(schema);
  sqlite3_free(table);
  sqlite3_free(sql);
  sqlite3_free(where);
  sqlite3_free(pos);
  if (rc != SQLITE_OK && err) return vtab_error(c, rc, err);
  return rc;
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
  int rc;
  if (c->eof) return SQLITE_OK;
  if (t->source) {
    if (++c->k < c->rows.count) return SQLITE_OK;
    return src_batch(c);
  }
  c->i++;
  if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  return gen_accept(c);
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
  if (t->source && c->map[col] < 0) {
    sqlite3_result_value(ctx, c->rows.extra[(size_t)c->k * c->rows.ncol + c->nkey + col]);
  } else if (t->source) {
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
