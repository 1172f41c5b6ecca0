/*
** sample.c -- vae_sample(model, n [, seed]): n synthetic rows, a
** table-valued function (an eponymous-only virtual table, like
** generate_series).
**
**   SELECT value FROM vae_sample('m', 1000, 42);
**   SELECT value ->> '$.age' FROM vae_sample('m', 10);
**
** Column `value` is a JSON object keyed by column name, each value in its
** column's type (numbers, 0/1, category strings). Row i (0-based) is row i
** of the seed's stratified draws from the prior (vae_generate: it depends
** on the seed and i only), so a seed gives the same rows every time, and
** the first k rows of n are those of k. The seed defaults to 0. Hidden
** columns: model, n, seed.
*/
#include "ext.h"
#include "store.h"
#include "codec.h"
#include "json.h"
#include "../core/rng.h"

#include <math.h>
#include <string.h>

/* Rows a batch: a super-block of vae_generate, which decodes whole the
** super-blocks a call touches. */
#define SAMPLE_BATCH VAE_GENERATE_BLOCK

enum { COL_VALUE, COL_MODEL, COL_N, COL_SEED };

typedef struct {
  sqlite3_vtab base;
  sqlite3 *db;
  vae_ext *x;
} sample_vtab;

typedef struct {
  sqlite3_vtab_cursor base;
  vae_entry *e;
  char *model;
  sqlite3_int64 n, i;       /* rows, current row */
  sqlite3_int64 seed;
  sqlite3_int64 bstart;     /* first row held in buf */
  int bcount;               /* rows held in buf */
  float *buf;               /* SAMPLE_BATCH x p */
  /* The JSON of a row is written into `row`, reused. The pieces that do
  ** not change are quoted once per scan into `parts`: for column j, piece
  ** first[j] is `{"name":` (`,"name":` after the first), and categorical
  ** levels follow it as JSON strings; piece i is parts[at[i] .. at[i+1]). */
  vae_buf row, parts;
  size_t *at;
  int *first;
  vae_scratch *scratch;     /* the network's buffers, kept between batches */
} sample_cursor;

static int sample_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                          sqlite3_vtab **out, char **err) {
  sample_vtab *t;
  int rc = sqlite3_declare_vtab(
      db, "CREATE TABLE x(value TEXT, model HIDDEN, n HIDDEN, seed HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->db = db;
  t->x = aux;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = &t->base;
  return SQLITE_OK;
}

static int sample_disconnect(sqlite3_vtab *vt) {
  sqlite3_free(vt);
  return SQLITE_OK;
}

static int sample_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
  sample_cursor *c = sqlite3_malloc(sizeof *c);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof *c);
  c->row.mem = c->parts.mem = &vae_sqlite_mem;
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(sample_cursor *c) {
  vae_scratch_free(c->scratch);
  c->scratch = NULL;
  vae_entry_release(c->e);
  c->e = NULL;
  sqlite3_free(c->model);
  c->model = NULL;
  sqlite3_free(c->buf);
  c->buf = NULL;
  vae_buf_free(&c->row);
  vae_buf_free(&c->parts);
  sqlite3_free(c->at);
  c->at = NULL;
  sqlite3_free(c->first);
  c->first = NULL;
  c->n = c->i = 0;
  c->bcount = 0;
}

static int sample_close(sqlite3_vtab_cursor *cur) {
  sample_cursor *c = (sample_cursor *)cur;
  cursor_reset(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

static int cursor_error(sample_cursor *c, int rc, char *msg) {
  return vae_vtab_error(c->base.pVtab, rc, msg);
}

/* The quoted keys and levels of c's model; SQLITE_NOMEM on failure. */
static int quote_parts(sample_cursor *c) {
  const vae_model *m = c->e->m;
  int p = vae_model_ncols(m), j, l, n = 0;
  for (j = 0; j < p; j++) n += 1 + vae_model_column(m, j)->nlevels;
  c->at = sqlite3_malloc64((sqlite3_uint64)(n + 1) * sizeof *c->at);
  c->first = sqlite3_malloc64((sqlite3_uint64)(p + 1) * sizeof *c->first);
  if (!c->at || !c->first) return SQLITE_NOMEM;
  n = 0;
  for (j = 0; j < p; j++) {
    const vae_column *col = vae_model_column(m, j);
    c->first[j] = n;
    c->at[n++] = c->parts.len;
    vae_buf_append(&c->parts, j ? "," : "{", 1);
    vae_buf_json_string(&c->parts, col->name);
    VAE_BUF_LIT(&c->parts, ":");
    for (l = 0; l < col->nlevels; l++) {
      c->at[n++] = c->parts.len;
      vae_buf_json_string(&c->parts, col->levels[l]);
    }
  }
  c->at[n] = c->parts.len;
  return c->parts.failed ? SQLITE_NOMEM : SQLITE_OK;
}

/* Appends piece i of c->parts to c->row. */
static void put_part(sample_cursor *c, int i) {
  vae_buf_append(&c->row, c->parts.data + c->at[i], c->at[i + 1] - c->at[i]);
}

/* Makes row c->i available in buf. */
static int fill_batch(sample_cursor *c) {
  int count, rc;
  if (c->i >= c->n) return SQLITE_OK;
  if (c->i >= c->bstart && c->i < c->bstart + c->bcount) return SQLITE_OK;
  count = c->n - c->i < SAMPLE_BATCH ? (int)(c->n - c->i) : SAMPLE_BATCH;
  c->bstart = c->i;
  c->bcount = 0;
  rc = vae_generate(c->e->m, (uint64_t)c->seed, (uint64_t)c->i, count, c->buf, &c->scratch);
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK)
    return cursor_error(c, SQLITE_ERROR, sqlite3_mprintf("vae_sample: generation failed"));
  c->bcount = count;
  return SQLITE_OK;
}

static int sample_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr,
                         int argc, sqlite3_value **argv) {
  sample_cursor *c = (sample_cursor *)cur;
  sample_vtab *t = (sample_vtab *)cur->pVtab;
  const char *name;
  char *err = NULL;
  int k = 0, rc;
  cursor_reset(c);
  c->seed = 0;
  if ((idxNum & 3) != 3 || argc < 2)
    return cursor_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae_sample: expects (model, n [, seed])"));
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
      !(name = (const char *)sqlite3_value_text(argv[0])))
    return cursor_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae_sample: model must be a text name"));
  if (strlen(name) != (size_t)sqlite3_value_bytes(argv[0]))
    return cursor_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae_sample: model must not contain NUL characters"));
  if (!vae_int_value(argv[1], &c->n) || c->n < 0)
    return cursor_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae_sample: n must be a non-negative integer"));
  if (idxNum & 4) {
    k = 2;
    if (sqlite3_value_type(argv[k]) != SQLITE_NULL && !vae_int_value(argv[k], &c->seed))
      return cursor_error(c, SQLITE_ERROR,
                          sqlite3_mprintf("vae_sample: seed must be an integer"));
  }
  c->model = sqlite3_mprintf("%s", name);
  if (!c->model) return SQLITE_NOMEM;
  rc = vae_store_get(t->x, t->db, name, "vae_sample", &c->e, &err);
  if (rc == SQLITE_NOTFOUND)
    return cursor_error(c, SQLITE_ERROR,
                        sqlite3_mprintf("vae_sample: no model named \"%s\"", name));
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOMEM) return rc;
    return cursor_error(c, rc, err);
  }
  c->buf = sqlite3_malloc64((sqlite3_uint64)SAMPLE_BATCH * vae_model_ncols(c->e->m) *
                            sizeof(float));
  if (!c->buf) return SQLITE_NOMEM;
  rc = quote_parts(c);
  if (rc != SQLITE_OK) return rc;
  c->i = 0;
  return fill_batch(c);
}

static int sample_next(sqlite3_vtab_cursor *cur) {
  sample_cursor *c = (sample_cursor *)cur;
  c->i++;
  return fill_batch(c);
}

static int sample_eof(sqlite3_vtab_cursor *cur) {
  sample_cursor *c = (sample_cursor *)cur;
  return !c->e || c->i >= c->n;
}

static int sample_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  sample_cursor *c = (sample_cursor *)cur;
  switch (col) {
    case COL_VALUE: {
      const vae_model *m = c->e->m;
      int p = vae_model_ncols(m), j;
      const float *row = c->buf + (size_t)(c->i - c->bstart) * p;
      vae_buf *b = &c->row;
      b->len = 0;
      for (j = 0; j < p; j++) {
        const vae_column *col = vae_model_column(m, j);
        put_part(c, c->first[j]);
        if (col->kind == VAE_CATEGORICAL && col->nlevels > 0 && !isnan(row[j]))
          put_part(c, c->first[j] + 1 + vae_level_of(col, row[j]));
        else
          vae_buf_cell(b, col, row[j]);
      }
      if (!p) VAE_BUF_LIT(b, "{");
      VAE_BUF_LIT(b, "}");
      if (b->failed) return SQLITE_NOMEM;
      sqlite3_result_text(ctx, b->data, (int)b->len, SQLITE_TRANSIENT);
      sqlite3_result_subtype(ctx, 'J');
      break;
    }
    case COL_MODEL: sqlite3_result_text(ctx, c->model, -1, SQLITE_TRANSIENT); break;
    case COL_N: sqlite3_result_int64(ctx, c->n); break;
    default: sqlite3_result_int64(ctx, c->seed); break;
  }
  return SQLITE_OK;
}

static int sample_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  *rowid = ((sample_cursor *)cur)->i + 1;
  return SQLITE_OK;
}

/* idxNum bits: 1 model, 2 n, 4 seed, given to xFilter in that order. */
static int sample_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
  int at[3] = {-1, -1, -1}, seen = 0, i, k, n = 0, idx = 0;
  const struct sqlite3_index_constraint *cons = info->aConstraint;
  for (i = 0; i < info->nConstraint; i++) {
    int col = cons[i].iColumn - COL_MODEL;
    if (col < 0 || col > 2) continue;
    if (cons[i].op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    seen |= 1 << col;
    if (!cons[i].usable) continue;
    if (at[col] < 0) at[col] = i;
  }
  if ((seen & 3) != 3) {
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_mprintf("vae_sample: expects (model, n [, seed])");
    return SQLITE_ERROR;
  }
  if (at[0] < 0 || at[1] < 0) return SQLITE_CONSTRAINT;
  for (k = 0; k < 3; k++) {
    if (at[k] < 0) continue;
    info->aConstraintUsage[at[k]].argvIndex = ++n;
    info->aConstraintUsage[at[k]].omit = 1;
    idx |= 1 << k;
  }
  info->idxNum = idx;
  info->estimatedCost = 1000.0;
  info->estimatedRows = 1000;
  return SQLITE_OK;
}

static sqlite3_module sample_module = {
    0,                  /* iVersion */
    0,                  /* xCreate: eponymous only */
    sample_connect,     /* xConnect */
    sample_best_index,  /* xBestIndex */
    sample_disconnect,  /* xDisconnect */
    0,                  /* xDestroy */
    sample_open,        /* xOpen */
    sample_close,       /* xClose */
    sample_filter,      /* xFilter */
    sample_next,        /* xNext */
    sample_eof,         /* xEof */
    sample_column,      /* xColumn */
    sample_rowid,       /* xRowid */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* xUpdate .. xShadowName */
};

int vae_register_sample(sqlite3 *db, vae_ext *x) {
  x->refs++;
  return sqlite3_create_module_v2(db, "vae_sample", &sample_module, x, vae_ext_unref);
}
