/*
** fill.c -- vae_fill(model, table) -> INTEGER: fills, in place, every NULL
** of the model's columns in `table` with the model's best estimate (the
** value vae_impute gives), and returns the number of cells filled. A cell
** holding one of the model's NA spellings (value.h) is missing too.
**
** All or nothing: the work runs inside a SAVEPOINT, rolled back on any
** error (a value the model cannot read, an interrupt, a failed UPDATE).
** Only the NULL cells are written: `UPDATE t SET "a" = ?, "c" = ? WHERE
** rowid = ?`, one statement per pattern of NULLs; or, when nothing could
** tell the two apart (no trigger on the table, foreign keys off or not
** involving it, no generated column), one statement for every row,
** `SET "a" = coalesce(?, "a"), ...`, its parameter NULL for a cell kept
** (preparing a statement for nearly every row was a tenth of a fill's
** time, on the one thread that talks to SQLite). Rows are addressed by
** their real rowid, under a name no column shadows (rowid, oid, _rowid_,
** else the INTEGER PRIMARY KEY), or in a WITHOUT ROWID table by the
** primary key (see vae_key_find in rows.h). Rows are read in key order in
** batches (`key > last ... LIMIT n`), so updated rows are never read
** twice. The count is of the cells of rows the UPDATE changed: a trigger
** that ignores the row (RAISE(IGNORE)) does not count. Registered
** SQLITE_DIRECTONLY, like vae_fit.
*/
#include "ext.h"
#include "rows.h"
#include "source.h"
#include "store.h"
#include "codec.h"

#include <math.h>
#include <string.h>

#define UPDATE_CACHE 8

typedef struct {
  sqlite3 *db;
  const vae_model *m;
  const char *schema, *table;
  const vae_key *key;
  int p;
  char *pattern[UPDATE_CACHE];   /* p bytes: '1' for a column set */
  sqlite3_stmt *update[UPDATE_CACHE];
  int next;                      /* round-robin replacement */
  sqlite3_stmt *every;           /* coalesce over every column, or NULL */
} fill_updates;

static void updates_free(fill_updates *u) {
  int i;
  for (i = 0; i < UPDATE_CACHE; i++) {
    sqlite3_free(u->pattern[i]);
    sqlite3_finalize(u->update[i]);
  }
  sqlite3_finalize(u->every);
}

/* The integer the query sql (parameters ?1 table, ?2 schema) gives. */
static int query_int(sqlite3 *db, const char *sql, const char *schema, const char *table,
                     int *out) {
  sqlite3_stmt *st = NULL;
  int rc;
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      *out = sqlite3_column_int(st, 0);
      rc = SQLITE_OK;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

/* *plain = 1 when an UPDATE that sets every model column of a row (to
** itself where kept) does exactly what one setting the NULL cells does:
** no trigger on the table (a temp trigger included), foreign keys off or
** none from or to the table, no generated column, not a virtual table. */
static int plain_table(sqlite3 *db, const char *schema, const char *table, int *plain) {
  int n = 0, fk = 0, rc;
  char *sql;
  *plain = 0;
  sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM \"%w\".sqlite_schema WHERE type = "
                        "'trigger' AND tbl_name = ?1 COLLATE NOCASE) + (SELECT count(*) "
                        "FROM temp.sqlite_schema WHERE type = 'trigger' AND tbl_name = ?1 "
                        "COLLATE NOCASE) + (SELECT count(*) FROM pragma_table_xinfo(?1, ?2) "
                        "WHERE hidden IN (2, 3)) + (SELECT count(*) FROM \"%w\".sqlite_schema "
                        "WHERE type = 'table' AND name = ?1 COLLATE NOCASE AND sql LIKE "
                        "'CREATE VIRTUAL%%')",
                        schema, schema);
  rc = query_int(db, sql, schema, table, &n);
  sqlite3_free(sql);
  if (rc != SQLITE_OK || n > 0) return rc;
  rc = query_int(db, "SELECT foreign_keys FROM pragma_foreign_keys", schema, table, &fk);
  if (rc != SQLITE_OK) return rc;
  if (fk) {
    sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\".sqlite_schema AS s, "
                          "pragma_foreign_key_list(s.name, ?2) AS f WHERE s.type = 'table' "
                          "AND (s.name = ?1 COLLATE NOCASE OR f.\"table\" = ?1 COLLATE NOCASE)",
                          schema);
    rc = query_int(db, sql, schema, table, &n);
    sqlite3_free(sql);
    if (rc != SQLITE_OK || n > 0) return rc;
  }
  *plain = 1;
  return SQLITE_OK;
}

/* The statement setting every model column to coalesce(?j, column). */
static int prepare_every(fill_updates *u) {
  char *sql = sqlite3_mprintf("UPDATE \"%w\".\"%w\" SET", u->schema, u->table), *t;
  int j, rc;
  for (j = 0; j < u->p && sql; j++) {
    const char *c = vae_model_column(u->m, j)->name;
    t = sqlite3_mprintf("%s%s \"%w\" = coalesce(?%d, \"%w\")", sql, j ? "," : "", c, j + 1, c);
    sqlite3_free(sql);
    sql = t;
  }
  for (j = 0; j < u->key->n && sql; j++) {
    t = sqlite3_mprintf("%s %s \"%w\" = ?%d", sql, j ? "AND" : "WHERE", u->key->cols[j],
                        u->p + 1 + j);
    sqlite3_free(sql);
    sql = t;
  }
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(u->db, sql, -1, &u->every, NULL);
  sqlite3_free(sql);
  return rc;
}

/* The UPDATE statement setting the columns marked in pat. */
static int get_update(fill_updates *u, const char *pat, sqlite3_stmt **out) {
  int i, j, n = 0, rc;
  char *sql, *t;
  for (i = 0; i < UPDATE_CACHE; i++) {
    if (u->pattern[i] && memcmp(u->pattern[i], pat, (size_t)u->p) == 0) {
      *out = u->update[i];
      return SQLITE_OK;
    }
  }
  sql = sqlite3_mprintf("UPDATE \"%w\".\"%w\" SET", u->schema, u->table);
  for (j = 0; j < u->p && sql; j++) {
    if (pat[j] != '1') continue;
    n++;
    t = sqlite3_mprintf("%s%s \"%w\" = ?%d", sql, n > 1 ? "," : "",
                        vae_model_column(u->m, j)->name, n);
    sqlite3_free(sql);
    sql = t;
  }
  for (j = 0; j < u->key->n && sql; j++) {
    t = sqlite3_mprintf("%s %s \"%w\" = ?%d", sql, j ? "AND" : "WHERE", u->key->cols[j],
                        n + 1 + j);
    sqlite3_free(sql);
    sql = t;
  }
  if (!sql) return SQLITE_NOMEM;
  i = u->next;
  u->next = (u->next + 1) % UPDATE_CACHE;
  sqlite3_free(u->pattern[i]);
  sqlite3_finalize(u->update[i]);
  u->update[i] = NULL;
  u->pattern[i] = sqlite3_malloc(u->p);
  if (!u->pattern[i]) {
    sqlite3_free(sql);
    return SQLITE_NOMEM;
  }
  memcpy(u->pattern[i], pat, (size_t)u->p);
  rc = sqlite3_prepare_v2(u->db, sql, -1, &u->update[i], NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) {
    sqlite3_free(u->pattern[i]);
    u->pattern[i] = NULL;
    return rc;
  }
  *out = u->update[i];
  return SQLITE_OK;
}

/* `vae_src."a" IS NULL OR ...` over the columns [lo, hi) of m, nested as a
** balanced tree: a flat chain of ORs over a wide model (2000 columns) would
** pass SQLite's expression depth limit (1000). A cell holding one of the
** model's NA spellings is missing too (value.h). */
static char *any_null(const vae_model *m, const vae_na *na, int lo, int hi) {
  char *a, *b, *s;
  int mid = lo + (hi - lo) / 2;
  if (hi - lo == 1) {
    char *col = sqlite3_mprintf("vae_src.\"%w\"", vae_model_column(m, lo)->name);
    s = col ? vae_na_sql(na, col) : NULL;
    sqlite3_free(col);
    return s;
  }
  a = any_null(m, na, lo, mid);
  b = a ? any_null(m, na, mid, hi) : NULL;
  s = b ? sqlite3_mprintf("(%s OR %s)", a, b) : NULL;
  sqlite3_free(a);
  sqlite3_free(b);
  return s;
}

/* The key's columns as `vae_src."a", vae_src."b"`. */
static char *key_list(const vae_key *key) {
  char *s = sqlite3_mprintf("");
  int j;
  for (j = 0; j < key->n && s; j++) {
    char *t = sqlite3_mprintf("%s%svae_src.\"%w\"", s, j ? ", " : "", key->cols[j]);
    sqlite3_free(s);
    s = t;
  }
  return s;
}

/* Binds the key of row k of r to st from parameter at on. */
static void bind_key(sqlite3_stmt *st, int at, const vae_rows *r, const vae_key *key, int k) {
  int j;
  if (key->kind == VAE_KEY_ROWID) {
    sqlite3_bind_int64(st, at, r->rowid[k]);
    return;
  }
  for (j = 0; j < key->n; j++) sqlite3_bind_value(st, at + j, r->extra[(size_t)k * r->ncol + j]);
}

/* The SELECTs of the rows to fill, in key order, VAE_ROWS_BATCH at a time:
** *first for the first batch, *after for those after the key bound as
** ?1.. (from sqlite3_mprintf). */
static int batch_queries(const vae_model *m, const vae_na *na, const vae_key *key,
                         const char *schema, const char *table, char **first,
                         char **after) {
  char *keys = key_list(key), *qs = sqlite3_mprintf("?1"), *where = NULL, *w1 = NULL,
       *w2 = NULL;
  int j;
  for (j = 1; j < key->n && qs; j++) {
    char *t = sqlite3_mprintf("%s, ?%d", qs, j + 1);
    sqlite3_free(qs);
    qs = t;
  }
  if (keys && qs) where = any_null(m, na, 0, vae_model_ncols(m));
  if (where) {
    w1 = sqlite3_mprintf("WHERE (%s) ORDER BY %s LIMIT %d", where, keys, VAE_ROWS_BATCH);
    w2 = sqlite3_mprintf("WHERE (%s) > (%s) AND (%s) ORDER BY %s LIMIT %d", keys, qs,
                         where, keys, VAE_ROWS_BATCH);
  }
  if (w1 && w2) {
    *first = vae_rows_sql(m, key, NULL, 0, schema, table, w1);
    *after = vae_rows_sql(m, key, NULL, 0, schema, table, w2);
  }
  sqlite3_free(keys);
  sqlite3_free(qs);
  sqlite3_free(where);
  sqlite3_free(w1);
  sqlite3_free(w2);
  return *first && *after ? SQLITE_OK : SQLITE_NOMEM;
}

/* Writes the filled cells of the rows of a batch, one UPDATE a row; *count
** grows by the cells of the rows changed. pat: p + 1 bytes of scratch. */
static int write_batch(fill_updates *u, const vae_rows *rows, char *pat,
                       sqlite3_int64 *count, char **err) {
  int p = u->p, j, k, rc;
  for (k = 0; k < rows->count; k++) {
    const float *in = &rows->in[(size_t)k * p], *out = &rows->out[(size_t)k * p];
    sqlite3_stmt *up;
    int n = 0;
    rc = SQLITE_OK;
    if (u->every) {
      /* every column: a kept cell's parameter NULL keeps it */
      up = u->every;
      for (j = 0; j < p; j++) {
        if (!isnan(in[j])) sqlite3_bind_null(up, j + 1);
        else vae_bind_cell(up, j + 1, vae_model_column(u->m, j), out[j]), n++;
      }
      bind_key(up, p + 1, rows, u->key, k);
    } else {
      for (j = 0; j < p; j++) pat[j] = isnan(in[j]) ? '1' : '0';
      rc = get_update(u, pat, &up);
      if (rc == SQLITE_OK) {
        for (j = 0; j < p; j++)
          if (pat[j] == '1') vae_bind_cell(up, ++n, vae_model_column(u->m, j), out[j]);
        bind_key(up, n + 1, rows, u->key, k);
      }
    }
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(up);
      sqlite3_reset(up);
      if (rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
      if (rc != SQLITE_NOMEM)
        *err = sqlite3_mprintf("vae_fill: table \"%s\": %s", u->table, sqlite3_errmsg(u->db));
      return rc;
    }
    /* What the UPDATE changed: a BEFORE trigger's RAISE(IGNORE) skips the
    ** row, and its cells stay NULL. */
    if (sqlite3_changes(u->db) > 0) *count += n;
  }
  return SQLITE_OK;
}

/* Fills the table; *count gets the cells filled. */
static int fill_table(sqlite3 *db, const vae_model *m, const vae_na *na, const char *schema,
                      const char *table, sqlite3_int64 *count, char **err) {
  fill_updates u;
  vae_rows rows;
  vae_key key;
  sqlite3_stmt *first = NULL, *after = NULL, *st;
  char *sql1 = NULL, *sql2 = NULL, *pat = NULL;
  int p = vae_model_ncols(m), rc;

  memset(&u, 0, sizeof u);
  memset(&rows, 0, sizeof rows);
  u.db = db;
  u.m = m;
  u.schema = schema;
  u.table = table;
  u.p = p;
  u.key = &key;
  *count = 0;
  rc = vae_key_find(db, "vae_fill", schema, table, 0, &key, err);
  if (rc != SQLITE_OK) return rc;
  rc = vae_rows_check_table(db, m, "vae_fill", schema, table, err);
  if (rc == SQLITE_OK) rc = vae_rows_init(&rows, m, "vae_fill");
  if (rc == SQLITE_OK)
    rc = vae_rows_shape(&rows, &key, key.n + p, NULL, key.kind == VAE_KEY_PK);
  if (rc == SQLITE_OK) rc = batch_queries(m, na, &key, schema, table, &sql1, &sql2);
  if (rc == SQLITE_OK) {
    int plain = 0;
    rc = plain_table(db, schema, table, &plain);
    if (rc == SQLITE_OK && plain) {
      /* A statement SQLite refuses: the per-pattern ones will say why. */
      rc = prepare_every(&u);
      if (rc != SQLITE_NOMEM) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
      *err = sqlite3_mprintf("vae_fill: table \"%s\": %s", table, sqlite3_errmsg(db));
  }
  if (rc == SQLITE_OK && !(pat = sqlite3_malloc(p + 1))) rc = SQLITE_NOMEM;
  if (rc != SQLITE_OK) goto done;
  rows.na = na;
  rc = sqlite3_prepare_v2(db, sql1, -1, &first, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, sql2, -1, &after, NULL);
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("vae_fill: table \"%s\": %s", table, sqlite3_errmsg(db));
    goto done;
  }
  for (st = first;; st = after) {
    rows.done = 0;
    rc = vae_rows_read(&rows, db, st, err);
    sqlite3_reset(st);
    if (rc != SQLITE_OK || rows.count == 0) break;
    rc = vae_rows_infer(&rows, 0);
    if (rc == SQLITE_INTERRUPT) *err = sqlite3_mprintf("vae_fill: interrupted");
    else if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
      *err = sqlite3_mprintf("vae_fill: inference failed");
    if (rc == SQLITE_OK) rc = write_batch(&u, &rows, pat, count, err);
    if (rc != SQLITE_OK || rows.count < VAE_ROWS_BATCH) break;
    bind_key(after, 1, &rows, &key, rows.count - 1);
  }
done:
  updates_free(&u);
  sqlite3_finalize(first);
  sqlite3_finalize(after);
  sqlite3_free(sql1);
  sqlite3_free(sql2);
  sqlite3_free(pat);
  vae_rows_free(&rows);
  vae_key_free(&key);
  return rc;
}

/* A statement that writes the table and changes nothing, prepared before
** the savepoint for vae_savepoint_undo (ext.h): after an interrupt, no
** statement can be prepared. NULL when the table cannot take it (no such
** column: fill_table says so). */
static int prepare_writer(sqlite3 *db, const vae_model *m, const char *schema,
                          const char *table, sqlite3_stmt **writer) {
  const char *c = vae_model_column(m, 0)->name;
  char *sql = sqlite3_mprintf("UPDATE \"%w\".\"%w\" SET \"%w\" = \"%w\" WHERE 0", schema,
                              table, c, c);
  if (!sql) return SQLITE_NOMEM;
  int rc = sqlite3_prepare_v2(db, sql, -1, writer, NULL);
  sqlite3_free(sql);
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK) {
    sqlite3_finalize(*writer);
    *writer = NULL;
  }
  return SQLITE_OK;
}

static void fill_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  vae_ext *x = sqlite3_user_data(ctx);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *name, *tname;
  char *err = NULL, *schema = NULL, *table = NULL;
  vae_entry *e = NULL;
  sqlite3_stmt *writer = NULL;
  sqlite3_int64 count = 0;
  int rc;
  if (argc != 2) {
    sqlite3_result_error(ctx, "vae_fill: expects (model, table)", -1);
    return;
  }
  if (x->in_source) {
    sqlite3_result_error(ctx, VAE_IN_SOURCE_MSG("vae_fill"), -1);
    return;
  }
  if (vae_name_arg(ctx, argv[0], "vae_fill", "model", &name) ||
      vae_name_arg(ctx, argv[1], "vae_fill", "table", &tname))
    return;
  rc = vae_store_get(x, db, name, "vae_fill", &e, &err);
  if (rc == SQLITE_NOTFOUND) {
    rc = SQLITE_ERROR;
    err = sqlite3_mprintf("vae_fill: no model named \"%s\"", name);
  }
  if (rc != SQLITE_OK) {
    vae_result_errmsg(ctx, rc, err);
    return;
  }
  rc = vae_find_table(db, tname, 0, &schema, &table);
  if (rc == SQLITE_NOTFOUND) {
    rc = vae_find_table(db, tname, 1, &schema, &table);
    if (rc == SQLITE_OK || rc == SQLITE_NOTFOUND) {
      err = rc == SQLITE_OK ? sqlite3_mprintf("vae_fill: \"%s\" is a view; fill the table "
                                              "it reads", table)
                            : sqlite3_mprintf("vae_fill: no such table: %s", tname);
      rc = SQLITE_ERROR;
    }
  }
  if (rc == SQLITE_OK) rc = prepare_writer(db, e->m, schema, table, &writer);
  if (rc == SQLITE_OK) {
    rc = vae_exec(db, "SAVEPOINT vae_fill", &err);
    if (rc == SQLITE_OK) {
      rc = fill_table(db, e->m, e->na, schema, table, &count, &err);
      if (rc == SQLITE_OK) rc = vae_exec(db, "RELEASE vae_fill", &err);
      if (rc != SQLITE_OK) vae_savepoint_undo(db, "vae_fill", writer);
    } else if (rc == SQLITE_BUSY) {
      sqlite3_free(err);
      err = sqlite3_mprintf("vae_fill: cannot run inside a statement that writes "
                            "(all or nothing needs a savepoint); call it alone, "
                            "as SELECT vae_fill(...)");
      rc = SQLITE_ERROR;
    } else if (err) {
      char *t = sqlite3_mprintf("vae_fill: %s", err);
      sqlite3_free(err);
      err = t;
    }
  }
  sqlite3_finalize(writer);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && !err)
    err = rc == SQLITE_INTERRUPT ? sqlite3_mprintf("vae_fill: interrupted")
                                 : sqlite3_mprintf("vae_fill: %s", sqlite3_errstr(rc));
  if (rc == SQLITE_OK) sqlite3_result_int64(ctx, count);
  else vae_result_errmsg(ctx, rc, err);
  sqlite3_free(schema);
  sqlite3_free(table);
  vae_entry_release(e);
}

int vae_register_fill(sqlite3 *db, vae_ext *x) {
  x->refs++;
  return sqlite3_create_function_v2(db, "vae_fill", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, x,
                                    fill_func, NULL, NULL, vae_ext_unref);
}
