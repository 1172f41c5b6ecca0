/*
** rows.c -- a table's rows in batches, completed by the model; see rows.h.
*/
#include "rows.h"
#include "value.h"
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

void vae_rows_free(vae_rows *r) {
  vae_scratch_free(r->scratch);
  sqlite3_free(r->cell);
  sqlite3_free(r->in);
  memset(r, 0, sizeof *r);
}

char *vae_rows_sql(const vae_model *m, const char *schema, const char *table,
                   const char *where) {
  int p = vae_model_ncols(m), j;
  /* Qualified names: a missing column is an error, never the string that
  ** SQLite makes of an unknown double-quoted identifier. */
  char *sql = sqlite3_mprintf("SELECT vae_src.rowid");
  for (j = 0; j < p && sql; j++) {
    char *t = sqlite3_mprintf("%s, vae_src.\"%w\"", sql, vae_model_column(m, j)->name);
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

int vae_rows_check_table(sqlite3 *db, const vae_model *m, const char *fn,
                         const char *schema, const char *table, char **err) {
  sqlite3_stmt *st = NULL;
  char *sql;
  int p = vae_model_ncols(m), j, rc;
  *err = NULL;
  sql = sqlite3_mprintf("SELECT rowid FROM \"%w\".\"%w\"", schema, table);
  if (!sql) return SQLITE_NOMEM;
  rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  sqlite3_finalize(st);
  st = NULL;
  if (rc == SQLITE_NOMEM) return rc;
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s: table \"%s\" has no rowid (WITHOUT ROWID tables are not "
                           "supported)", fn, table);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
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
  *err = NULL;
  r->count = 0;
  while (r->count < VAE_ROWS_BATCH && !r->done) {
    int k = r->count;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      r->done = 1;
      break;
    }
    if (rc != SQLITE_ROW) {
      if (rc == SQLITE_NOMEM) return rc;
      *err = rc == SQLITE_INTERRUPT ? sqlite3_mprintf("%s: interrupted", r->fn)
                                    : sqlite3_mprintf("%s: %s", r->fn, sqlite3_errmsg(db));
      return *err ? rc : SQLITE_NOMEM;
    }
    r->rowid[k] = sqlite3_column_int64(st, 0);
    for (j = 0; j < r->p; j++) {
      const vae_column *c = vae_model_column(r->m, j);
      vae_cell *cell = &r->cell[(size_t)k * r->p + j];
      float *x = &r->in[(size_t)k * r->p + j];
      vae_val v;
      int crc;
      vae_val_from_sql(&v, sqlite3_column_value(st, j + 1));
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
  rc = vae_infer_kept(r->m, draw > 0 ? VAE_DRAW : VAE_MEAN, n, r->cin, r->seeds, 0, r->cout,
                      NULL, &r->scratch);
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK) return SQLITE_ERROR;
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

void vae_cell_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x) {
  double d = v->d;
  char *err = NULL;
  memset(cell, 0, sizeof *cell);
  if (v->type == SQLITE_NULL) return;
  if (vae_is_time(c)) {
    /* the days in double precision: a given time passes unchanged */
    cell->type = VAE_CELL_TIME;
    if (vae_val_to_days(c, v, &cell->d, "", &err) != SQLITE_OK) cell->d = vae_time_days(c, x);
    sqlite3_free(err);
    return;
  }
  if (c->kind == VAE_CATEGORICAL) {
    cell->type = SQLITE_TEXT;
    cell->i = (sqlite3_int64)x;
    return;
  }
  if (v->type == SQLITE_TEXT) vae_parse_number(v->s, v->n, &d);
  if (c->kind == VAE_REAL) {
    cell->type = SQLITE_FLOAT;
    cell->d = d;
  } else if (v->type == SQLITE_INTEGER) {
    cell->type = SQLITE_INTEGER;
    cell->i = v->i;
  } else if (d == floor(d) && fabs(d) < 9.2e18) {
    cell->type = SQLITE_INTEGER;
    cell->i = (sqlite3_int64)d;
  } else {
    cell->type = SQLITE_FLOAT;
    cell->d = d;
  }
}

void vae_cell_result(sqlite3_context *ctx, const vae_column *c, const vae_cell *cell,
                     float x) {
  switch (cell->type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, cell->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, cell->d); break;
    case SQLITE_TEXT:
      sqlite3_result_text(ctx, c->levels[cell->i], -1, SQLITE_TRANSIENT);
      break;
    case VAE_CELL_TIME: vae_result_time(ctx, c, cell->d); break;
    default: vae_result_cell(ctx, c, x); break;
  }
}

void vae_rows_result(const vae_rows *r, sqlite3_context *ctx, int k, int j) {
  vae_cell_result(ctx, vae_model_column(r->m, j), &r->cell[(size_t)k * r->p + j],
                  r->out[(size_t)k * r->p + j]);
}
