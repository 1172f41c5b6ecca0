/*
** fidelity.c -- vae_fidelity(model, source [, options]) -> JSON: how close
** the model's synthetic rows are to the rows of source.
**
** Options (JSON object, all optional): "rows" (synthetic rows to draw;
** default the number of source rows, at most 10000), "seed" (default 0).
** The source is read like vae_fit's (a table, view or SELECT; at most
** 100000 rows, a reservoir sample beyond), in the model's columns.
**
** Scores, each in [0, 1], 1 = identical:
**   shape of a numeric column       1 - KS, the largest distance between the
**                                   empirical CDFs of the real (non-NULL)
**                                   and the synthetic values
**   shape of a categorical/binary   1 - TVD = 1 - (1/2) sum_k |p_k - q_k|
**                                   over the levels (real levels the model
**                                   never saw count with q_k = 0)
**   pair of numeric columns         1 - |r_real - r_synth| / 2, with r the
**                                   Pearson correlation (real: rows where
**                                   both are present); pairs where either
**                                   correlation is undefined are left out
**   overall                         mean of (mean shape, mean pair score);
**                                   the mean shape alone without pairs
** The result: {"rows_real", "rows_synthetic", "overall", "shape_mean",
** "pair_mean", "shape": {col: score}, "pairs": [{"columns": [a, b], "real",
** "synthetic", "score"}], "worst": [{"column", "shape"}] (the 3 lowest)}.
**
** Registered SQLITE_DIRECTONLY: it runs the SQL of its source argument.
*/
#include "ext.h"
#include "source.h"
#include "store.h"
#include "codec.h"
#include "json.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FID_MAX_SYNTH 10000
#define FID_MAX_REAL 100000
/* Rows a batch: VAE_GENERATE_BLOCK, and for a wide network one of its
** super-blocks (vae_generate decodes whole the super-blocks a call
** touches, vae_generate_block). */
#define FID_BATCH VAE_GENERATE_BLOCK

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* KS statistic of two sorted samples. */
static double ks_stat(const float *a, int64_t na, const float *b, int64_t nb) {
  int64_t i = 0, j = 0;
  double d = 0;
  while (i < na && j < nb) {
    float v = a[i] < b[j] ? a[i] : b[j];
    double gap;
    while (i < na && a[i] <= v) i++;
    while (j < nb && b[j] <= v) j++;
    gap = fabs((double)i / na - (double)j / nb);
    if (gap > d) d = gap;
  }
  return d;
}

/* Pearson correlation of columns x, y of an n x p matrix over rows with
** both present; NaN when undefined. */
static double corr(const float *data, int64_t n, int p, int x, int y) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, mx, my, vx, vy;
  int64_t i, k = 0;
  for (i = 0; i < n; i++) {
    double a = data[i * p + x], b = data[i * p + y];
    if (isnan(a) || isnan(b)) continue;
    sx += a; sy += b; k++;
  }
  if (k < 2) return NAN;
  mx = sx / k;
  my = sy / k;
  for (i = 0; i < n; i++) {
    double a = data[i * p + x], b = data[i * p + y];
    if (isnan(a) || isnan(b)) continue;
    sxx += (a - mx) * (a - mx);
    syy += (b - my) * (b - my);
    sxy += (a - mx) * (b - my);
  }
  vx = sxx;
  vy = syy;
  if (vx <= 0 || vy <= 0) return NAN;
  return sxy / sqrt(vx * vy);
}

static int is_num(int kind) { return kind == VAE_REAL || kind == VAE_INTEGER; }

typedef struct {
  int col;
  double score;
} col_score;

static int cmp_score(const void *a, const void *b) {
  const col_score *x = a, *y = b;
  if (x->score != y->score) return x->score < y->score ? -1 : 1;
  return x->col - y->col;
}

/* One call's state. */
typedef struct {
  sqlite3 *db;
  sqlite3_stmt *poll;   /* VAE_POLL_SQL: an interrupt between pieces of work */
  vae_source src;       /* the real rows, in the model's columns */
  int p;
  float *syn;           /* nsyn x p synthetic rows */
  sqlite3_int64 nsyn;
  uint64_t seed;
  double *shape;        /* [p] NaN: no score */
  col_score *order;     /* [nshape] the scored columns */
  int nshape, npairs;
  double shape_sum, pair_sum;
} fidelity;

/* The options argument: "rows" into *nsyn, "seed" into *seed. On error
** *err names the option. */
static int parse_options(sqlite3_value *arg, sqlite3_int64 *nsyn, uint64_t *seed,
                         char **err) {
  json_value *opt = NULL;
  const char *t = (const char *)sqlite3_value_text(arg);
  char msg[200];
  int k, rc;
  if (!t) return SQLITE_NOMEM;
  rc = json_parse(&vae_sqlite_mem, t, (size_t)sqlite3_value_bytes(arg), &opt, msg, sizeof msg);
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK) {
    *err = sqlite3_mprintf("vae_fidelity: options: %s", msg);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (opt->type != JSON_OBJECT) *err = sqlite3_mprintf("vae_fidelity: options must be a JSON object");
  for (k = 0; !*err && k < opt->count; k++) {
    const json_value *v = &opt->items[k];
    if (strcmp(opt->keys[k], "rows") == 0) {
      if (v->type != JSON_NUMBER || !v->is_integer || v->integer < 1 || v->integer > 10000000)
        *err = sqlite3_mprintf("vae_fidelity: option \"rows\" must be an integer from 1 to 10000000");
      else *nsyn = v->integer;
    } else if (strcmp(opt->keys[k], "seed") == 0) {
      if (v->type != JSON_NUMBER || !v->is_integer)
        *err = sqlite3_mprintf("vae_fidelity: option \"seed\" must be an integer");
      else *seed = (uint64_t)v->integer;
    } else {
      json_snippet(msg, 64, opt->keys[k]);
      *err = sqlite3_mprintf("vae_fidelity: unknown option \"%s\"", msg);
    }
  }
  json_free(&vae_sqlite_mem, opt);
  return *err ? SQLITE_ERROR : SQLITE_OK;
}

/* The rows of source in e's columns (a reservoir sample of FID_MAX_REAL),
** read as vae_fit reads a source. */
static int read_real(fidelity *f, vae_ext *x, vae_entry *e, const char *source, char **err) {
  vae_source_opts so;
  memset(&so, 0, sizeof so);
  so.fn = "vae_fidelity";
  so.na = e->na;
  so.fixed = e->m;
  so.extend_levels = 1;
  so.max_rows = FID_MAX_REAL;
  so.seed = f->seed;
  return vae_source_read_guarded(x, f->db, source, &so, &f->src, err);
}

/* f->nsyn synthetic rows into f->syn, row i with the seed mix(seed, i), in
** batches of some VAE_POLL_WORK of work at most, with a look for an
** interrupt between them: a wide network stops within a fraction of a
** second. (A row's draw depends only on its seed.) */
static int draw_synthetic(fidelity *f, const vae_model *m, char **err) {
  int64_t i;
  int rc, batch = FID_BATCH, npass;
  double macs;
  npass = vae_infer_pass(m, 1, &macs);
  if (macs / npass * FID_BATCH > VAE_POLL_WORK) {
    /* Whole super-blocks: a call decodes every one it touches. */
    int block = vae_generate_block(m);
    batch = (int)fmax(1, VAE_POLL_WORK / (macs / npass)) / block * block;
    if (batch < block) batch = block;
  }
  for (i = 0; i < f->nsyn; i += batch) {
    int cnt = f->nsyn - i < batch ? (int)(f->nsyn - i) : batch;
    if (i > 0 && vae_interrupted(f->db, &f->poll)) return SQLITE_INTERRUPT;
    rc = vae_generate(m, f->seed, (uint64_t)i, cnt, f->syn + (size_t)i * f->p, NULL);
    if (rc == VAE_NOMEM) return SQLITE_NOMEM;
    if (rc != VAE_OK) {
      *err = sqlite3_mprintf("vae_fidelity: generation failed");
      return *err ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

/* The non-NULL cells of column j of an n x p matrix into out; their count. */
static int64_t column_values(const float *data, int64_t n, int p, int j, float *out) {
  int64_t i, k = 0;
  for (i = 0; i < n; i++)
    if (!isnan(data[i * p + j])) out[k++] = data[i * p + j];
  return k;
}

/* 1 - KS between the real and synthetic values of numeric column j; ra and
** sa hold src.n and nsyn floats. */
static double numeric_shape(const fidelity *f, int j, float *ra, float *sa) {
  int64_t nr = column_values(f->src.data, f->src.n, f->p, j, ra);
  int64_t ns = column_values(f->syn, f->nsyn, f->p, j, sa);
  if (nr == 0 || ns == 0) return NAN;
  qsort(ra, (size_t)nr, sizeof *ra, cmp_float);
  qsort(sa, (size_t)ns, sizeof *sa, cmp_float);
  return 1.0 - ks_stat(ra, nr, sa, ns);
}

/* Counts of the levels 0..L-1 of column j into hist[L]; their total. */
static int64_t level_counts(const float *data, int64_t n, int p, int j, int L, double *hist) {
  int64_t i, k = 0;
  for (i = 0; i < n; i++) {
    float v = data[i * p + j];
    int l;
    if (isnan(v)) continue;
    l = (int)lrintf(v);
    if (l >= 0 && l < L) { hist[l]++; k++; }
  }
  return k;
}

/* 1 - TVD between the real and synthetic levels of discrete column j. */
static int discrete_shape(const fidelity *f, int j, double *out) {
  const vae_column *c = &f->src.cols[j];
  int L = c->kind == VAE_BINARY ? 2 : c->nlevels, l;
  double tvd = 0, *pr, *qr;
  int64_t nr, ns;
  *out = NAN;
  pr = sqlite3_malloc64((sqlite3_uint64)(L + 1) * 2 * sizeof *pr);
  if (!pr) return SQLITE_NOMEM;
  qr = pr + L + 1;
  memset(pr, 0, (size_t)(L + 1) * 2 * sizeof *pr);
  nr = level_counts(f->src.data, f->src.n, f->p, j, L, pr);
  ns = level_counts(f->syn, f->nsyn, f->p, j, L, qr);
  if (nr > 0 && ns > 0) {
    for (l = 0; l < L; l++) tvd += fabs(pr[l] / nr - qr[l] / ns);
    *out = 1.0 - tvd / 2;
  }
  sqlite3_free(pr);
  return SQLITE_OK;
}

/* The shape score of every column. Synthetic cells are in the model's
** columns, which are the source's (fixed), so column j means the same in
** both. */
static int shape_scores(fidelity *f) {
  float *ra = sqlite3_malloc64((sqlite3_uint64)(f->src.n + 1) * sizeof *ra);
  float *sa = sqlite3_malloc64((sqlite3_uint64)(f->nsyn + 1) * sizeof *sa);
  int j, rc = ra && sa ? SQLITE_OK : SQLITE_NOMEM;
  for (j = 0; j < f->p && rc == SQLITE_OK; j++) {
    f->shape[j] = NAN;
    if (vae_interrupted(f->db, &f->poll)) { rc = SQLITE_INTERRUPT; break; }
    if (is_num(f->src.cols[j].kind)) f->shape[j] = numeric_shape(f, j, ra, sa);
    else rc = discrete_shape(f, j, &f->shape[j]);
    if (!isnan(f->shape[j])) {
      f->order[f->nshape].col = j;
      f->order[f->nshape].score = f->shape[j];
      f->nshape++;
      f->shape_sum += f->shape[j];
    }
  }
  sqlite3_free(ra);
  sqlite3_free(sa);
  return rc;
}

/* "pairs":[...]: the correlation scores of the numeric pairs. */
static int put_pairs(fidelity *f, vae_buf *b) {
  const vae_column *cols = f->src.cols;
  int j, k;
  VAE_BUF_LIT(b, "\"pairs\":[");
  for (j = 0; j < f->p; j++) {
    if (!is_num(cols[j].kind)) continue;
    if (vae_interrupted(f->db, &f->poll)) return SQLITE_INTERRUPT;
    for (k = j + 1; k < f->p; k++) {
      double r1, r2, sc;
      if (!is_num(cols[k].kind)) continue;
      r1 = corr(f->src.data, f->src.n, f->p, j, k);
      r2 = corr(f->syn, f->nsyn, f->p, j, k);
      if (isnan(r1) || isnan(r2)) continue;
      sc = 1.0 - fabs(r1 - r2) / 2;
      if (f->npairs) VAE_BUF_LIT(b, ",{\"columns\":["); else VAE_BUF_LIT(b, "{\"columns\":[");
      vae_buf_json_string(b, cols[j].name);
      VAE_BUF_LIT(b, ",");
      vae_buf_json_string(b, cols[k].name);
      VAE_BUF_LIT(b, "],\"real\":");
      vae_buf_json_number(b, r1);
      VAE_BUF_LIT(b, ",\"synthetic\":");
      vae_buf_json_number(b, r2);
      VAE_BUF_LIT(b, ",\"score\":");
      vae_buf_json_number(b, sc);
      VAE_BUF_LIT(b, "}");
      f->npairs++;
      f->pair_sum += sc;
    }
  }
  VAE_BUF_LIT(b, "]");
  return SQLITE_OK;
}

/* "shape", the means, the overall score and the worst columns. */
static void put_shapes(fidelity *f, vae_buf *b) {
  double shape_mean = f->nshape ? f->shape_sum / f->nshape : NAN;
  double pair_mean = f->npairs ? f->pair_sum / f->npairs : NAN;
  int j, k;
  VAE_BUF_LIT(b, ",\"shape\":{");
  for (j = 0; j < f->p; j++) {
    if (j) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, f->src.cols[j].name);
    VAE_BUF_LIT(b, ":");
    vae_buf_json_number(b, f->shape[j]);
  }
  VAE_BUF_LIT(b, "},\"shape_mean\":");
  vae_buf_json_number(b, shape_mean);
  VAE_BUF_LIT(b, ",\"pair_mean\":");
  vae_buf_json_number(b, pair_mean);
  VAE_BUF_LIT(b, ",\"overall\":");
  vae_buf_json_number(b, f->npairs ? (shape_mean + pair_mean) / 2 : shape_mean);
  VAE_BUF_LIT(b, ",\"worst\":[");
  qsort(f->order, (size_t)f->nshape, sizeof *f->order, cmp_score);
  for (k = 0; k < f->nshape && k < 3; k++) {
    if (k) VAE_BUF_LIT(b, ",{\"column\":"); else VAE_BUF_LIT(b, "{\"column\":");
    vae_buf_json_string(b, f->src.cols[f->order[k].col].name);
    VAE_BUF_LIT(b, ",\"shape\":");
    vae_buf_json_number(b, f->order[k].score);
    VAE_BUF_LIT(b, "}");
  }
  VAE_BUF_LIT(b, "]");
}

/* Draws the synthetic rows, scores them and writes the report into b. */
static int score(fidelity *f, const vae_model *m, sqlite3_int64 nsyn, vae_buf *b, char **err) {
  int rc;
  f->p = f->src.p;
  f->nsyn = nsyn >= 0 ? nsyn : f->src.n < FID_MAX_SYNTH ? f->src.n : FID_MAX_SYNTH;
  f->syn = sqlite3_malloc64((sqlite3_uint64)f->nsyn * f->p * sizeof *f->syn + 1);
  f->shape = sqlite3_malloc64((sqlite3_uint64)f->p * sizeof *f->shape + 1);
  f->order = sqlite3_malloc64((sqlite3_uint64)f->p * sizeof *f->order + 1);
  if (!f->syn || !f->shape || !f->order) return SQLITE_NOMEM;
  rc = draw_synthetic(f, m, err);
  if (rc == SQLITE_OK) rc = shape_scores(f);
  if (rc != SQLITE_OK) return rc;
  vae_buf_appendf(b, "{\"rows_real\":%lld,\"rows_synthetic\":%lld,",
                  (long long)f->src.n, (long long)f->nsyn);
  rc = put_pairs(f, b);
  if (rc != SQLITE_OK) return rc;
  put_shapes(f, b);
  VAE_BUF_LIT(b, "}");
  return b->failed ? SQLITE_NOMEM : SQLITE_OK;
}

/* The model argument and the source argument, checked; 1 when an error
** was set on ctx. */
static int check_args(sqlite3_context *ctx, int argc, sqlite3_value **argv, const char **name,
                      const char **source) {
  if (argc < 2 || argc > 3) {
    sqlite3_result_error(ctx, "vae_fidelity: expects (model, source [, options])", -1);
    return 1;
  }
  if (vae_name_arg(ctx, argv[0], "vae_fidelity", "model", name)) return 1;
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
      !(*source = (const char *)sqlite3_value_text(argv[1]))) {
    sqlite3_result_error(ctx, "vae_fidelity: source must be a table or view name or a SELECT",
                         -1);
    return 1;
  }
  if (strlen(*source) != (size_t)sqlite3_value_bytes(argv[1])) {
    sqlite3_result_error(ctx, "vae_fidelity: source must not contain NUL characters", -1);
    return 1;
  }
  return 0;
}

static void fidelity_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  vae_ext *x = sqlite3_user_data(ctx);
  const char *name, *source;
  vae_entry *e = NULL;
  fidelity f;
  vae_buf b = {.mem = &vae_sqlite_mem};
  sqlite3_int64 nsyn = -1;
  char *err = NULL;
  int rc = SQLITE_OK;

  if (check_args(ctx, argc, argv, &name, &source)) return;
  memset(&f, 0, sizeof f);
  f.db = sqlite3_context_db_handle(ctx);
  if (argc == 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL)
    rc = parse_options(argv[2], &nsyn, &f.seed, &err);
  if (rc == SQLITE_OK) rc = vae_store_get(x, f.db, name, "vae_fidelity", &e, &err);
  if (rc == SQLITE_NOTFOUND) {
    rc = SQLITE_ERROR;
    err = sqlite3_mprintf("vae_fidelity: no model named \"%s\"", name);
  }
  if (rc == SQLITE_OK) rc = read_real(&f, x, e, source, &err);
  if (rc == SQLITE_OK) rc = score(&f, e->m, nsyn, &b, &err);
  if (rc == SQLITE_INTERRUPT && !err) err = sqlite3_mprintf("vae_fidelity: interrupted");
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
    sqlite3_result_subtype(ctx, 'J');
  } else {
    vae_result_errmsg(ctx, rc, err);
  }
  sqlite3_finalize(f.poll);
  vae_buf_free(&b);
  sqlite3_free(f.syn);
  sqlite3_free(f.shape);
  sqlite3_free(f.order);
  vae_source_free(&f.src);
  vae_entry_release(e);
}

int vae_register_fidelity(sqlite3 *db, vae_ext *x) {
  x->refs++;
  /* DIRECTONLY: it runs the SQL text of its source argument, which must not
  ** be possible from a view or trigger of an untrusted schema. */
  return sqlite3_create_function_v2(db, "vae_fidelity", -1, VAE_JSON_RESULT | SQLITE_DIRECTONLY, x,
                                    fidelity_func, NULL, NULL, vae_ext_unref);
}
