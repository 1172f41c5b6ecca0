/*
** knn.c -- the third expert of imputation: the k nearest rows of a
** reservoir of training rows kept in the model. A missing cell's estimate
** is the weighted mean of its column among the VAE_KNN_K reservoir rows
** nearest the query row that have the column (numeric: of their values in
** data units; binary and categorical: a weighted vote, as level
** probabilities). The distance is the mean, over the columns observed in
** both rows, of the squared difference of normal scores (the model's scale,
** transform.h) for numeric columns and 2 for a mismatch of a binary or
** categorical one (one-hot's squared distance); rows sharing no observed
** column are never neighbours. Neighbours weigh 1 / (KNN_EPS + d), d the
** root of that distance.
**
** vae_infer averages this estimate in by the column's share (m->knn_share),
** chosen on held-out cells at the end of a fit as the linear part's is
** (train.c): where it does not measure better the share is 0 and the
** reservoir is not even searched. Why: on small tables of few columns with
** nonlinear dependence a local method wins: faithful (2 columns), MCAR
** nRMSE network 0.574, linear part 0.435, kNN 0.399.
**
** Cost: a row with a missing cell whose share is positive is compared
** with every reservoir row, n x p; the reservoir keeps at most
** VAE_KNN_MAX_ROWS rows and VAE_KNN_MAX_CELLS cells (model.h), so that
** the work per row stays bounded whatever the table.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <string.h>

#define KNN_EPS 0.1
#define KNN_MISMATCH 2.0

struct vae_knn_work {
  vae_allocator mem;
  int n, p;
  float *qs;      /* p: the query row on the distance's scale */
  double *dist;   /* n: the query's mean squared distance to each row, or -1 */
  int *near;      /* VAE_KNN_K: the nearest rows found so far */
  double *nd;     /* VAE_KNN_K: their distances */
};

int vae_knn_capacity(int p) {
  int64_t by_cells = VAE_KNN_MAX_CELLS / (p > 0 ? p : 1);
  return by_cells < VAE_KNN_MAX_ROWS ? (int)by_cells : VAE_KNN_MAX_ROWS;
}

void vae_knn_free(const vae_allocator *a, vae_knn *k) {
  vae_free(a, k->rows);
  vae_free(a, k->scores);
  memset(k, 0, sizeof *k);
}

/* One raw cell on the distance's scale: a numeric value's normal score,
** else the value itself (0/1, a level index); NaN stays NaN. */
static float scaled(const vae_column *c, float v) {
  if (isnan(v) || !vae_is_numeric(c->kind)) return v;
  return (float)vae_standardize(c, v);
}

int vae_knn_prepare(const vae_model *m, vae_knn *k) {
  const int p = m->p;
  vae_free(&m->mem, k->scores);
  k->scores = NULL;
  if (k->n == 0) return VAE_OK;
  k->scores = vae_malloc(&m->mem, (size_t)k->n * p * sizeof(float));
  if (!k->scores) return VAE_NOMEM;
  for (size_t i = 0; i < (size_t)k->n; i++)
    for (int j = 0; j < p; j++) k->scores[i * p + j] = scaled(&m->cols[j], k->rows[i * p + j]);
  return VAE_OK;
}

int vae_knn_build(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                  vae_knn *out) {
  const int p = m->p, cap = vae_knn_capacity(p);
  memset(out, 0, sizeof *out);
  int64_t kept = 0;
  for (int64_t i = 0; i < n && kept < cap; i++) {
    const float *src = data + idx[i] * p;
    int seen = 0;
    for (int j = 0; j < p && !seen; j++) seen = !isnan(src[j]);
    kept += seen;
  }
  if (kept == 0) return VAE_OK;
  out->rows = vae_malloc(&m->mem, (size_t)kept * p * sizeof(float));
  if (!out->rows) return VAE_NOMEM;
  out->n = (int)kept;
  for (int64_t i = 0, r = 0; i < n && r < kept; i++) {
    const float *src = data + idx[i] * p;
    int seen = 0;
    for (int j = 0; j < p && !seen; j++) seen = !isnan(src[j]);
    if (seen) memcpy(out->rows + (size_t)r++ * p, src, (size_t)p * sizeof(float));
  }
  int rc = vae_knn_prepare(m, out);
  if (rc) vae_knn_free(&m->mem, out);
  return rc;
}

int vae_knn_check(const vae_column *cols, int p, const float *rows, int n) {
  for (size_t i = 0; i < (size_t)n; i++)
    for (int j = 0; j < p; j++) {
      const vae_column *c = &cols[j];
      float v = rows[i * p + j];
      if (isnan(v)) continue;
      if (vae_is_numeric(c->kind) ? !(v >= c->min && v <= c->max)
          : c->kind == VAE_BINARY ? !(v == 0.0f || v == 1.0f)
                                  : !(v >= 0 && v < c->nlevels && v == floorf(v)))
        return VAE_CORRUPT;
    }
  return VAE_OK;
}

void vae_knn_work_free(vae_knn_work *w) {
  if (!w) return;
  vae_allocator a = w->mem;
  vae_free(&a, w->qs);
  vae_free(&a, w->dist);
  vae_free(&a, w->near);
  vae_free(&a, w->nd);
  vae_free(&a, w);
}

vae_knn_work *vae_knn_work_alloc(const vae_allocator *a, int n, int p) {
  vae_knn_work *w = vae_calloc(a, 1, sizeof *w);
  if (!w) return NULL;
  w->mem = *a;
  w->n = n;
  w->p = p;
  w->qs = vae_calloc(a, (size_t)p, sizeof(float));
  w->dist = vae_calloc(a, (size_t)n + 1, sizeof(double));
  w->near = vae_calloc(a, VAE_KNN_K, sizeof(int));
  w->nd = vae_calloc(a, VAE_KNN_K, sizeof(double));
  if (!w->qs || !w->dist || !w->near || !w->nd) {
    vae_knn_work_free(w);
    return NULL;
  }
  return w;
}

/* The query's distance to every reservoir row into w->dist (-1: no
** column observed in both). */
static void distances(const vae_model *m, const float *x, vae_knn_work *w) {
  const vae_knn *k = &m->knn;
  const int p = m->p;
  for (int j = 0; j < p; j++) w->qs[j] = scaled(&m->cols[j], x[j]);
  for (size_t i = 0; i < (size_t)k->n; i++) {
    const float *s = k->scores + i * p;
    double sum = 0;
    int both = 0;
    for (int j = 0; j < p; j++) {
      if (isnan(w->qs[j]) || isnan(s[j])) continue;
      if (vae_is_numeric(m->cols[j].kind)) {
        double d = (double)w->qs[j] - s[j];
        sum += d * d;
      } else if (w->qs[j] != s[j]) {
        sum += KNN_MISMATCH;
      }
      both++;
    }
    w->dist[i] = both ? sum / both : -1.0;
  }
}

/* The nearest reservoir rows that have column j into w->near (ascending
** distance, ties to the earlier row); returns how many (up to VAE_KNN_K). */
static int nearest(const vae_model *m, int j, vae_knn_work *w) {
  const vae_knn *k = &m->knn;
  int got = 0;
  for (int i = 0; i < k->n; i++) {
    double d = w->dist[i];
    if (d < 0 || isnan(k->rows[(size_t)i * m->p + j])) continue;
    if (got == VAE_KNN_K && d >= w->nd[got - 1]) continue;
    int at = got < VAE_KNN_K ? got++ : got - 1;
    while (at > 0 && w->nd[at - 1] > d) {
      w->nd[at] = w->nd[at - 1];
      w->near[at] = w->near[at - 1];
      at--;
    }
    w->nd[at] = d;
    w->near[at] = i;
  }
  return got;
}

int vae_knn_row(const vae_model *m, const float *x, const unsigned char *want,
                vae_knn_work *w, double *estimate, double *probs) {
  const int p = m->p;
  int any = 0;
  for (int j = 0; j < p; j++) {
    estimate[j] = NAN;
    any = any || (isnan(x[j]) && (!want || want[j]));
  }
  if (!any || m->knn.n == 0) return 0;
  distances(m, x, w);
  int done = 0;
  for (int j = 0; j < p; j++) {
    if (!isnan(x[j]) || (want && !want[j])) continue;
    const vae_column *c = &m->cols[j];
    int got = nearest(m, j, w);
    if (got == 0) continue;
    double total = 0, mean = 0;
    int L = c->kind == VAE_CATEGORICAL ? c->nlevels : 1;
    double *pr = probs + m->off[j];
    if (!vae_is_numeric(c->kind))
      for (int l = 0; l < L; l++) pr[l] = 0;
    for (int g = 0; g < got; g++) {
      double wt = 1.0 / (KNN_EPS + sqrt(w->nd[g]));
      float v = m->knn.rows[(size_t)w->near[g] * p + j];
      total += wt;
      if (c->kind == VAE_CATEGORICAL) pr[(int)v] += wt;
      else mean += wt * v;
    }
    if (c->kind == VAE_CATEGORICAL) {
      for (int l = 0; l < L; l++) pr[l] /= total;
      estimate[j] = 0;
    } else if (c->kind == VAE_BINARY) {
      pr[0] = mean / total;
      estimate[j] = 0;
    } else {
      estimate[j] = mean / total;
    }
    done++;
  }
  return done;
}
