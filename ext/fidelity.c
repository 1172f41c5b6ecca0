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
#include "value.h"
#include "json.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FID_MAX_SYNTH 10000
#define FID_MAX_REAL 100000
#define FID_BATCH 256

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

static void fidelity_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  vae_ext *x = sqlite3_user_data(ctx);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  const char *name, *source;
  vae_entry *e = NULL;
  vae_source src;
  vae_source_opts so;
  vae_readonly ro;
  json_value *opt = NULL;
  char *err = NULL, msg[200];
  sqlite3_int64 nsyn = -1;
  uint64_t seed = 0;
  float *syn = NULL, *ra = NULL, *sa = NULL;
  double *shape = NULL, *pr = NULL, *qr = NULL;
  col_score *order = NULL;
  uint64_t seeds[FID_BATCH];
  vae_buf b = {.mem = &vae_sqlite_mem};
  sqlite3_stmt *poll = NULL; /* VAE_POLL_SQL: an interrupt between batches */
  int p, j, k, rc, nshape = 0, npairs = 0, batch = FID_BATCH;
  double macs;
  double shape_sum = 0, pair_sum = 0;
  int64_t i;

  memset(&src, 0, sizeof src);
  if (argc < 2 || argc > 3) {
    sqlite3_result_error(ctx, "vae_fidelity: expects (model, source [, options])", -1);
    return;
  }
  if (vae_name_arg(ctx, argv[0], "vae_fidelity", "model", &name)) return;
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
      !(source = (const char *)sqlite3_value_text(argv[1]))) {
    sqlite3_result_error(ctx, "vae_fidelity: source must be a table or view name or a SELECT",
                         -1);
    return;
  }
  if (strlen(source) != (size_t)sqlite3_value_bytes(argv[1])) {
    sqlite3_result_error(ctx, "vae_fidelity: source must not contain NUL characters", -1);
    return;
  }
  if (argc == 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    const char *t = (const char *)sqlite3_value_text(argv[2]);
    if (!t) { sqlite3_result_error_nomem(ctx); return; }
    rc = json_parse(&vae_sqlite_mem, t, (size_t)sqlite3_value_bytes(argv[2]), &opt, msg, sizeof msg);
    if (rc == VAE_NOMEM) { sqlite3_result_error_nomem(ctx); return; }
    if (rc != VAE_OK) {
      vae_result_errmsg(ctx, SQLITE_ERROR, sqlite3_mprintf("vae_fidelity: options: %s", msg));
      return;
    }
    if (opt->type != JSON_OBJECT) err = sqlite3_mprintf("vae_fidelity: options must be a JSON object");
    for (k = 0; !err && k < opt->count; k++) {
      const json_value *v = &opt->items[k];
      if (strcmp(opt->keys[k], "rows") == 0) {
        if (v->type != JSON_NUMBER || !v->is_integer || v->integer < 1 || v->integer > 10000000)
          err = sqlite3_mprintf("vae_fidelity: option \"rows\" must be an integer from 1 to 10000000");
        else nsyn = v->integer;
      } else if (strcmp(opt->keys[k], "seed") == 0) {
        if (v->type != JSON_NUMBER || !v->is_integer)
          err = sqlite3_mprintf("vae_fidelity: option \"seed\" must be an integer");
        else seed = (uint64_t)v->integer;
      } else {
        json_snippet(msg, 64, opt->keys[k]);
        err = sqlite3_mprintf("vae_fidelity: unknown option \"%s\"", msg);
      }
    }
    json_free(&vae_sqlite_mem, opt);
    if (err) {
      vae_result_errmsg(ctx, SQLITE_ERROR, err);
      return;
    }
  }
  rc = vae_store_get(x, db, name, "vae_fidelity", &e, &err);
  if (rc == SQLITE_NOTFOUND) {
    rc = SQLITE_ERROR;
    err = sqlite3_mprintf("vae_fidelity: no model named \"%s\"", name);
  }
  if (rc != SQLITE_OK) {
    vae_result_errmsg(ctx, rc, err);
    return;
  }
  memset(&so, 0, sizeof so);
  so.fn = "vae_fidelity";
  so.na = e->na;
  so.fixed = e->m;
  so.extend_levels = 1;
  so.max_rows = FID_MAX_REAL;
  so.seed = seed;
  x->in_source++;
  rc = vae_readonly_begin(db, &ro, "vae_fidelity", &err);
  if (rc == SQLITE_OK) {
    rc = vae_source_read(db, source, &so, &src, &err);
    rc = vae_readonly_end(db, &ro, "vae_fidelity", rc, &err);
  }
  x->in_source--;
  if (rc != SQLITE_OK) goto done;
  p = src.p;
  if (nsyn < 0) nsyn = src.n < FID_MAX_SYNTH ? src.n : FID_MAX_SYNTH;

  syn = sqlite3_malloc64((sqlite3_uint64)nsyn * p * sizeof *syn);
  ra = sqlite3_malloc64((sqlite3_uint64)src.n * sizeof *ra);
  sa = sqlite3_malloc64((sqlite3_uint64)nsyn * sizeof *sa);
  shape = sqlite3_malloc64((sqlite3_uint64)p * sizeof *shape);
  order = sqlite3_malloc64((sqlite3_uint64)p * sizeof *order);
  if (!syn || !ra || !sa || !shape || !order) { rc = SQLITE_NOMEM; goto done; }
  /* Batches of some VAE_POLL_WORK of work at most, with a look for an
  ** interrupt between them: a wide network stops within a fraction of a
  ** second. (A row's draw depends only on its seed.) */
  j = vae_infer_pass(e->m, 1, &macs);
  if (macs / j * FID_BATCH > VAE_POLL_WORK)
    batch = (int)fmax(1, VAE_POLL_WORK / (macs / j));
  for (i = 0; i < nsyn; i += batch) {
    int cnt = nsyn - i < batch ? (int)(nsyn - i) : batch;
    if (i > 0 && vae_interrupted(db, &poll)) goto interrupted;
    for (k = 0; k < cnt; k++) seeds[k] = vae_seed_mix(seed, (uint64_t)(i + k));
    rc = vae_sample(e->m, cnt, seeds, syn + (size_t)i * p);
    if (rc != VAE_OK) {
      if (rc == VAE_NOMEM) rc = SQLITE_NOMEM;
      else { rc = SQLITE_ERROR; err = sqlite3_mprintf("vae_fidelity: generation failed"); }
      goto done;
    }
  }
  rc = SQLITE_OK;

  /* Shapes. Synthetic cells are in the model's columns, which are the
  ** source's (fixed), so column j means the same in both. */
  for (j = 0; j < p; j++) {
    const vae_column *c = &src.cols[j];
    int64_t nr = 0, ns = 0;
    shape[j] = NAN;
    if (vae_interrupted(db, &poll)) goto interrupted;
    if (is_num(c->kind)) {
      for (i = 0; i < src.n; i++)
        if (!isnan(src.data[i * p + j])) ra[nr++] = src.data[i * p + j];
      for (i = 0; i < nsyn; i++)
        if (!isnan(syn[i * p + j])) sa[ns++] = syn[i * p + j];
      if (nr == 0 || ns == 0) continue;
      qsort(ra, (size_t)nr, sizeof *ra, cmp_float);
      qsort(sa, (size_t)ns, sizeof *sa, cmp_float);
      shape[j] = 1.0 - ks_stat(ra, nr, sa, ns);
    } else {
      int L = c->kind == VAE_BINARY ? 2 : c->nlevels, l;
      double tvd = 0;
      pr = sqlite3_malloc64((sqlite3_uint64)(L + 1) * 2 * sizeof *pr);
      if (!pr) { rc = SQLITE_NOMEM; goto done; }
      qr = pr + L + 1;
      memset(pr, 0, (size_t)(L + 1) * 2 * sizeof *pr);
      for (i = 0; i < src.n; i++) {
        float v = src.data[i * p + j];
        if (isnan(v)) continue;
        l = (int)lrintf(v);
        if (l >= 0 && l < L) { pr[l]++; nr++; }
      }
      for (i = 0; i < nsyn; i++) {
        float v = syn[i * p + j];
        if (isnan(v)) continue;
        l = (int)lrintf(v);
        if (l >= 0 && l < L) { qr[l]++; ns++; }
      }
      if (nr > 0 && ns > 0) {
        for (l = 0; l < L; l++) tvd += fabs(pr[l] / nr - qr[l] / ns);
        shape[j] = 1.0 - tvd / 2;
      }
      sqlite3_free(pr);
      pr = NULL;
    }
    if (!isnan(shape[j])) {
      order[nshape].col = j;
      order[nshape].score = shape[j];
      nshape++;
      shape_sum += shape[j];
    }
  }

  vae_buf_appendf(&b, "{\"rows_real\":%lld,\"rows_synthetic\":%lld,\"pairs\":[",
                  (long long)src.n, (long long)nsyn);
  for (j = 0; j < p; j++) {
    if (!is_num(src.cols[j].kind)) continue;
    if (vae_interrupted(db, &poll)) goto interrupted;
    for (k = j + 1; k < p; k++) {
      double r1, r2, sc;
      if (!is_num(src.cols[k].kind)) continue;
      r1 = corr(src.data, src.n, p, j, k);
      r2 = corr(syn, nsyn, p, j, k);
      if (isnan(r1) || isnan(r2)) continue;
      sc = 1.0 - fabs(r1 - r2) / 2;
      if (npairs) VAE_BUF_LIT(&b, ",{\"columns\":["); else VAE_BUF_LIT(&b, "{\"columns\":[");
      vae_buf_json_string(&b, src.cols[j].name);
      VAE_BUF_LIT(&b, ",");
      vae_buf_json_string(&b, src.cols[k].name);
      VAE_BUF_LIT(&b, "],\"real\":");
      vae_buf_json_number(&b, r1);
      VAE_BUF_LIT(&b, ",\"synthetic\":");
      vae_buf_json_number(&b, r2);
      VAE_BUF_LIT(&b, ",\"score\":");
      vae_buf_json_number(&b, sc);
      VAE_BUF_LIT(&b, "}");
      npairs++;
      pair_sum += sc;
    }
  }
  VAE_BUF_LIT(&b, "],\"shape\":{");
  for (j = 0; j < p; j++) {
    if (j) VAE_BUF_LIT(&b, ",");
    vae_buf_json_string(&b, src.cols[j].name);
    VAE_BUF_LIT(&b, ":");
    vae_buf_json_number(&b, shape[j]);
  }
  VAE_BUF_LIT(&b, "},\"shape_mean\":");
  vae_buf_json_number(&b, nshape ? shape_sum / nshape : NAN);
  VAE_BUF_LIT(&b, ",\"pair_mean\":");
  vae_buf_json_number(&b, npairs ? pair_sum / npairs : NAN);
  VAE_BUF_LIT(&b, ",\"overall\":");
  vae_buf_json_number(&b, !nshape ? NAN
                          : npairs ? (shape_sum / nshape + pair_sum / npairs) / 2
                                   : shape_sum / nshape);
  VAE_BUF_LIT(&b, ",\"worst\":[");
  qsort(order, (size_t)nshape, sizeof *order, cmp_score);
  for (k = 0; k < nshape && k < 3; k++) {
    if (k) VAE_BUF_LIT(&b, ",{\"column\":"); else VAE_BUF_LIT(&b, "{\"column\":");
    vae_buf_json_string(&b, src.cols[order[k].col].name);
    VAE_BUF_LIT(&b, ",\"shape\":");
    vae_buf_json_number(&b, order[k].score);
    VAE_BUF_LIT(&b, "}");
  }
  VAE_BUF_LIT(&b, "]}");
  if (b.failed) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  sqlite3_result_text(ctx, b.data, (int)b.len, SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');

  goto done;
interrupted:
  rc = SQLITE_INTERRUPT;
  err = sqlite3_mprintf("vae_fidelity: interrupted");
done:
  if (rc != SQLITE_OK) vae_result_errmsg(ctx, rc, err);
  sqlite3_finalize(poll);
  vae_buf_free(&b);
  sqlite3_free(syn);
  sqlite3_free(ra);
  sqlite3_free(sa);
  sqlite3_free(shape);
  sqlite3_free(order);
  sqlite3_free(pr);
  vae_source_free(&src);
  vae_entry_release(e);
}

int vae_register_fidelity(sqlite3 *db, vae_ext *x) {
  x->refs++;
  /* DIRECTONLY: it runs the SQL text of its source argument, which must not
  ** be possible from a view or trigger of an untrusted schema. */
  return sqlite3_create_function_v2(db, "vae_fidelity", -1, VAE_JSON_RESULT | SQLITE_DIRECTONLY, x,
                                    fidelity_func, NULL, NULL, vae_ext_unref);
}
