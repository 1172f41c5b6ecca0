/*
** rows.c -- a table's rows in batches, completed by the model; see rows.h.
*/
#include "rows.h"
#include "source.h"
#include "codec.h"
#include "../core/rng.h"

#include <math.h>
#include <string.h>

int vae_rows_init(vae_rows *r, const vae_model *m, const char *fn) {
  size_t n;
  memset(r, 0, sizeof *r);
  r->m = m;
  r->p = vae_model_ncols(m);
  r->fn = fn;
  n = (size_t)VAE_ROWS_BATCH * (size_t)r->p;
  r->cell = sqlite3_malloc64(n * sizeof *r->cell);
  r->in = sqlite3_malloc64(n * 4 * sizeof(float));
  if (!r->cell || !r->in) {
    vae_rows_free(r);
    return SQLITE_NOMEM;
  }
  r->out = r->in + n;
  r->cin = r->out + n;
  r->cout = r->cin + n;
  return SQLITE_OK;
}

static void free_extra(vae_rows *r) {
  size_t i;
  if (!r->extra) return;
  for (i = 0; i < (size_t)VAE_ROWS_BATCH * (size_t)r->ncol; i++) {
    sqlite3_value_free(r->extra[i]);
    r->extra[i] = NULL;
  }
}

int vae_rows_shape(vae_rows *r, const vae_key *key, int ncol, const int *pos, int keep) {
  int j, nkey = key->kind == VAE_KEY_ROWNUM ? 0 : key->n;
  r->ncol = ncol;
  r->rowid_col = key->kind == VAE_KEY_ROWID;
  r->keep = keep;
  r->pos = sqlite3_malloc64((sqlite3_uint64)(r->p + 1) * sizeof *r->pos);
  r->is_model = sqlite3_malloc64((sqlite3_uint64)ncol + 1);
  if (!r->pos || !r->is_model) return SQLITE_NOMEM;
  memset(r->is_model, 0, (size_t)ncol);
  for (j = 0; j < r->p; j++) {
    r->pos[j] = pos ? pos[j] : nkey + j;
    if (r->pos[j] < 0 || r->pos[j] >= ncol) return SQLITE_ERROR;
    r->is_model[r->pos[j]] = 1;
  }
  if (keep) {
    size_t n = (size_t)VAE_ROWS_BATCH * (size_t)ncol;
    r->extra = sqlite3_malloc64((n + 1) * sizeof *r->extra);
    if (!r->extra) return SQLITE_NOMEM;
    memset(r->extra, 0, n * sizeof *r->extra);
  }
  return SQLITE_OK;
}

void vae_rows_free(vae_rows *r) {
  free_extra(r);
  sqlite3_free(r->extra);
  sqlite3_free(r->pos);
  sqlite3_free(r->is_model);
  vae_scratch_free(r->scratch);
  sqlite3_finalize(r->poll);
  sqlite3_free(r->cell);
  sqlite3_free(r->in);
  memset(r, 0, sizeof *r);
}

char *vae_rows_sql(const vae_model *m, const vae_key *key, char *const *cols, int ncols,
                   const char *schema, const char *table, const char *where) {
  int j, n = 0;
  /* Qualified names: a missing column is an error, never the string that
  ** SQLite makes of an unknown double-quoted identifier. */
  char *sql = sqlite3_mprintf("SELECT");
  if (!cols) ncols = vae_model_ncols(m);
  for (j = 0; key->kind != VAE_KEY_ROWNUM && j < key->n && sql; j++) {
    char *t = sqlite3_mprintf("%s%s vae_src.\"%w\"", sql, n++ ? "," : "", key->cols[j]);
    sqlite3_free(sql);
    sql = t;
  }
  for (j = 0; j < ncols && sql; j++) {
    char *t = sqlite3_mprintf("%s%s vae_src.\"%w\"", sql, n++ ? "," : "",
                              cols ? cols[j] : vae_model_column(m, j)->name);
    sqlite3_free(sql);
    sql = t;
  }
  if (sql) {
    char *t = sqlite3_mprintf("%s FROM \"%w\".\"%w\" AS vae_src%s%s", sql, schema, table,
                              where ? " " : "", where ? where : "");
    sqlite3_free(sql);
    sql = t;
  }
  return sql;
}

void vae_key_free(vae_key *k) {
  int j;
  for (j = 0; j < k->n; j++) sqlite3_free(k->cols[j]);
  sqlite3_free(k->cols);
  memset(k, 0, sizeof *k);
}

/* Appends the first column of every row of st (bound by the caller) to k. */
static int key_collect(sqlite3_stmt *st, vae_key *k) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char **grown = sqlite3_realloc64(k->cols, (sqlite3_uint64)(k->n + 1) * sizeof *grown);
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (!grown) return SQLITE_NOMEM;
    k->cols = grown;
    if (!v) return SQLITE_NOMEM; /* names are never NULL */
    k->cols[k->n] = sqlite3_mprintf("%s", v);
    if (!k->cols[k->n]) return SQLITE_NOMEM;
    k->n++;
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Runs sql with ?1 = table, ?2 = schema; its first column into k->cols. */
static int key_query(sqlite3 *db, const char *sql, const char *schema, const char *table,
                     vae_key *k) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    rc = key_collect(st, k);
  }
  sqlite3_finalize(st);
  return rc;
}

/* *yes = 1 when schema.table is a view. */
static int is_view(sqlite3 *db, const char *schema, const char *table, int *yes) {
  vae_key t;
  int rc;
  memset(&t, 0, sizeof t);
  rc = key_query(db, "SELECT type FROM pragma_table_list(?1, ?2) WHERE type = 'view'",
                 schema, table, &t);
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM) {
    /* Before SQLite 3.37 (no table_list): from the schema table. */
    char *sql = sqlite3_mprintf("SELECT type FROM \"%w\".sqlite_schema WHERE "
                                "type = 'view' AND name = ?1 AND ?2 IS NOT NULL", schema);
    vae_key_free(&t);
    rc = sql ? key_query(db, sql, schema, table, &t) : SQLITE_NOMEM;
    sqlite3_free(sql);
  }
  *yes = t.n > 0;
  vae_key_free(&t);
  return rc;
}

/* k becomes the rowid under name (owned from now on). */
static int key_rowid(vae_key *k, char *name) {
  if (!name) return SQLITE_NOMEM;
  k->cols = sqlite3_malloc(sizeof *k->cols);
  if (!k->cols) {
    sqlite3_free(name);
    return SQLITE_NOMEM;
  }
  k->kind = VAE_KEY_ROWID;
  k->cols[0] = name;
  k->n = 1;
  return SQLITE_OK;
}

/* The first of rowid, oid, _rowid_ that no column takes, into k. *none is
** 1 when the table has no rowid (WITHOUT ROWID), 2 when every name is a
** column's, else 0. */
static int free_rowid_name(sqlite3 *db, const char *schema, const char *table, vae_key *k,
                           int *none) {
  static const char *const names[3] = {"rowid", "oid", "_rowid_"};
  vae_key cols;
  int i, j, rc, shadowed;
  memset(&cols, 0, sizeof cols);
  *none = 2;
  rc = key_query(db, "SELECT name FROM pragma_table_xinfo(?1, ?2)", schema, table, &cols);
  for (i = 0; i < 3 && rc == SQLITE_OK; i++) {
    sqlite3_stmt *st = NULL;
    char *sql;
    for (shadowed = 0, j = 0; j < cols.n && !shadowed; j++)
      shadowed = sqlite3_stricmp(cols.cols[j], names[i]) == 0;
    if (shadowed) continue;
    sql = sqlite3_mprintf("SELECT %s FROM \"%w\".\"%w\"", names[i], schema, table);
    if (!sql) { rc = SQLITE_NOMEM; break; }
    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    if (rc == SQLITE_OK) {
      *none = 0;
      rc = key_rowid(k, sqlite3_mprintf("%s", names[i]));
    } else if (rc != SQLITE_NOMEM) {
      *none = 1; /* no rowid at all: a WITHOUT ROWID table */
      rc = SQLITE_OK;
    }
    break;
  }
  vae_key_free(&cols);
  return rc;
}

/* When every rowid name is a column's: the INTEGER PRIMARY KEY is the
** rowid, into k; *pk_only = 1 when the table has no rowid at all (WITHOUT
** ROWID: the primary key's index holds every column, without a rowid
** entry), else an error. */
static int shadowed_rowid(sqlite3 *db, const char *fn, const char *schema, const char *table,
                          vae_key *k, int *pk_only, char **err) {
  char *alias = NULL;
  vae_key t;
  int rc = vae_rowid_alias(db, schema, table, &alias);
  *pk_only = 0;
  if (rc != SQLITE_OK || alias) return rc == SQLITE_OK ? key_rowid(k, alias) : rc;
  memset(&t, 0, sizeof t);
  rc = key_query(db, "SELECT 1 FROM pragma_index_list(?1, ?2) AS l WHERE "
                     "l.origin = 'pk' AND NOT EXISTS (SELECT 1 FROM "
                     "pragma_index_xinfo(l.name, ?2) WHERE cid = -1)",
                 schema, table, &t);
  if (rc == SQLITE_OK && t.n == 0) {
    *err = sqlite3_mprintf("%s: table \"%s\" has columns named rowid, oid and _rowid_ "
                           "and no INTEGER PRIMARY KEY: its rows cannot be addressed",
                           fn, table);
    rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *pk_only = t.n > 0;
  vae_key_free(&t);
  return rc;
}

/* No rowid: the primary key's columns, else the row number (rownum_ok). */
static int primary_key(sqlite3 *db, const char *fn, const char *schema, const char *table,
                       int rownum_ok, vae_key *k, char **err) {
  int rc = key_query(db, "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 ORDER BY pk",
                     schema, table, k);
  if (rc != SQLITE_OK) return rc;
  if (k->n > 0) {
    k->kind = VAE_KEY_PK;
  } else if (rownum_ok) {
    k->kind = VAE_KEY_ROWNUM;
  } else {
    *err = sqlite3_mprintf("%s: table \"%s\" has neither a rowid nor a primary key", fn,
                           table);
    rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc;
}

int vae_key_find(sqlite3 *db, const char *fn, const char *schema, const char *table,
                 int rownum_ok, vae_key *k, char **err) {
  int rc, view = 0, none = 0, pk_only = 1;
  memset(k, 0, sizeof *k);
  *err = NULL;
  rc = is_view(db, schema, table, &view);
  if (rc == SQLITE_OK && view) {
    /* A view has no rowid: the row number. */
    if (rownum_ok) {
      k->kind = VAE_KEY_ROWNUM;
      return SQLITE_OK;
    }
    *err = sqlite3_mprintf("%s: \"%s\" is a view, not a table", fn, table);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (rc == SQLITE_OK) rc = free_rowid_name(db, schema, table, k, &none);
  if (rc == SQLITE_OK && none == 2) rc = shadowed_rowid(db, fn, schema, table, k, &pk_only, err);
  if (rc == SQLITE_OK && none && pk_only) rc = primary_key(db, fn, schema, table, rownum_ok, k, err);
  if (rc != SQLITE_OK) vae_key_free(k);
  return rc;
}

int vae_rows_check_table(sqlite3 *db, const vae_model *m, const char *fn,
                         const char *schema, const char *table, char **err) {
  sqlite3_stmt *st = NULL;
  int p = vae_model_ncols(m), j, rc;
  *err = NULL;
  rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_xinfo(?1, ?2) WHERE name = ?3 "
                              "COLLATE NOCASE", -1, &st, NULL);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
  for (j = 0; j < p && rc == SQLITE_OK; j++) {
    const char *name = vae_model_column(m, j)->name;
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
      *err = sqlite3_mprintf("%s: table \"%s\" has no column \"%s\"", fn, table, name);
      rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int vae_rows_read(vae_rows *r, sqlite3 *db, sqlite3_stmt *st, char **err) {
  int rc, j;
  r->db = db;
  *err = NULL;
  r->count = 0;
  free_extra(r);
  while (r->count < VAE_ROWS_BATCH && !r->done) {
    int k = r->count;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      r->done = 1;
      break;
    }
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_NOMEM) return rc;
      const char *msg = sqlite3_errmsg(db);
      size_t nfn = strlen(r->fn);
      /* A message from a nested table of ours already names it. */
      if (strncmp(msg, r->fn, nfn) == 0 && msg[nfn] == ':')
        *err = sqlite3_mprintf("%s", msg);
      else if (rc == SQLITE_INTERRUPT)
        *err = sqlite3_mprintf("%s: interrupted", r->fn);
      else
        *err = sqlite3_mprintf("%s: %s", r->fn, msg);
      return *err ? rc : SQLITE_NOMEM;
    }
    r->rownum++;
    r->rowid[k] = r->rowid_col ? sqlite3_column_int64(st, 0) : r->rownum;
    if (r->keep) {
      for (j = 0; j < r->ncol; j++) {
        sqlite3_value **x = &r->extra[(size_t)k * r->ncol + j];
        if (r->is_model[j]) continue;
        *x = sqlite3_value_dup(sqlite3_column_value(st, j));
        if (!*x) return SQLITE_NOMEM;
      }
    }
    for (j = 0; j < r->p; j++) {
      const vae_column *c = vae_model_column(r->m, j);
      vae_cell *cell = &r->cell[(size_t)k * r->p + j];
      float *x = &r->in[(size_t)k * r->p + j];
      vae_val v;
      int crc;
      vae_val_from_sql(&v, sqlite3_column_value(st, r->pos[j]));
      if (vae_na_val(r->na, &v)) v.type = SQLITE_NULL; /* NA text: missing */
      crc = vae_val_to_cell(c, &v, x, r->fn, err);
      if (crc != SQLITE_OK) {
        *err = vae_msg_row(*err, "rowid", r->rowid[k]);
        return *err ? SQLITE_ERROR : SQLITE_NOMEM;
      }
      /* In the column's type: a number written as text in an integer
      ** column is an INTEGER, as the filled cells are. */
      vae_cell_given(cell, c, &v, *x);
    }
    r->count++;
  }
  return SQLITE_OK;
}

int vae_rows_infer(vae_rows *r, sqlite3_int64 draw) {
  int k, j, n = 0, p = r->p, rc;
  uint64_t base = draw > 0 ? vae_seed_mix(0, (uint64_t)draw) : 0;
  memcpy(r->out, r->in, (size_t)r->count * p * sizeof(float));
  /* Only rows with a missing cell go through the network. */
  for (k = 0; k < r->count; k++) {
    const float *x = &r->in[(size_t)k * p];
    for (j = 0; j < p && !isnan(x[j]); j++) {}
    if (j == p) continue;
    memcpy(&r->cin[(size_t)n * p], x, (size_t)p * sizeof(float));
    r->seeds[n] = draw > 0 ? vae_seed_mix(base, (uint64_t)r->rowid[k]) : 0;
    n++;
  }
  if (n == 0) return SQLITE_OK;
  {
    /* Whole passes of vae_infer at a time: the same answers as one call. */
    double macs;
    int pass = vae_infer_pass(r->m, 0, &macs), step, at;
    step = pass * (macs > 0 && VAE_POLL_WORK / macs > 1 ? (int)fmin(n, VAE_POLL_WORK / macs) : 1);
    for (at = 0; at < n; at += step) {
      int rows = n - at < step ? n - at : step;
      if (at > 0 && r->db && vae_interrupted(r->db, &r->poll)) return SQLITE_INTERRUPT;
      rc = vae_infer_kept(r->m, draw > 0 ? VAE_DRAW : VAE_MEAN, rows, r->cin + (size_t)at * p,
                          r->seeds + at, 0, r->cout + (size_t)at * p, NULL, &r->scratch);
      if (rc == VAE_NOMEM) return SQLITE_NOMEM;
      if (rc != VAE_OK) return SQLITE_ERROR;
    }
  }
  n = 0;
  for (k = 0; k < r->count; k++) {
    const float *x = &r->in[(size_t)k * p];
    for (j = 0; j < p && !isnan(x[j]); j++) {}
    if (j == p) continue;
    memcpy(&r->out[(size_t)k * p], &r->cout[(size_t)n * p], (size_t)p * sizeof(float));
    n++;
  }
  return SQLITE_OK;
}

void vae_rows_result(const vae_rows *r, sqlite3_context *ctx, int k, int j) {
  vae_cell_result(ctx, vae_model_column(r->m, j), &r->cell[(size_t)k * r->p + j],
                  r->out[(size_t)k * r->p + j]);
}
