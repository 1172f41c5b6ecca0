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
** Cost: a query row's distances to the whole reservoir are one GEMM of a
** fixed shape (n x 2, the same bits whatever else is imputed), made once
** per row whatever its missing cells. Each row of the reservoir is encoded
** as the network's inputs are (x_width values: a numeric cell's normal
** score, a binary cell's value times sqrt 2, a categorical cell's one-hot
** levels) in three blocks: M (1 where observed), V (the value where
** observed) and V^2; a query q with mask m and column weights c (1 /
** levels) then gets sum = M q^2 m - 2 V q m + V^2 m and count = M c, the
** squared distance over the shared columns and their number. Then each
** missing cell scans the n distances for its k nearest. The reservoir
** keeps at most VAE_KNN_MAX_ROWS rows and VAE_KNN_MAX_CELLS encoded values
** (model.h). Every column counts alike: weighing the others by their
** correlation with the cell's column was built and dropped unmeasured.
*/
#include "mem.h"
#include "model.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define KNN_EPS 0.1

struct vae_knn_work {
  vae_allocator mem;
  int n, width;
  float *q;       /* 3 width x 2: the query's two columns */
  float *g;       /* n x 2: its sums and counts against the reservoir */
  float *enc;     /* 3 width: the query's values, mask and column weights */
  float *dist;    /* n: one query's mean squared distance to each row, or -1 */
  int *near;      /* VAE_KNN_K: the nearest rows found so far */
  float *nd;      /* VAE_KNN_K: their distances */
};

int vae_knn_capacity(int64_t width) {
  int64_t by_cells = VAE_KNN_MAX_CELLS / (width > 0 ? width : 1);
  return by_cells < VAE_KNN_MAX_ROWS ? (int)by_cells : VAE_KNN_MAX_ROWS;
}

void vae_knn_free(const vae_allocator *a, vae_knn *k) {
  vae_free(a, k->rows);
  vae_free(a, k->enc);
  memset(k, 0, sizeof *k);
}

/* Raw row x as distance inputs: value v and mask u (x_width each), and the
** column weight c of each encoded value (1 / levels) where observed. */
static void encode(const vae_model *m, const float *x, float *v, float *u, float *c) {
  for (int j = 0; j < m->p; j++) {
    const vae_column *col = &m->cols[j];
    const int at = m->off[j], L = col->kind == VAE_CATEGORICAL ? col->nlevels : 1;
    const int seen = !isnan(x[j]);
    for (int l = 0; l < L; l++) {
      u[at + l] = (float)seen;
      if (c) c[at + l] = seen ? 1.0f / L : 0.0f;
      v[at + l] = 0.0f;
    }
    if (!seen) continue;
    if (vae_is_numeric(col->kind)) v[at] = (float)vae_standardize(col, x[j]);
    else if (col->kind == VAE_BINARY) v[at] = x[j] * 1.41421356f;
    else v[at + (int)x[j]] = 1.0f;
  }
}

int vae_knn_prepare(const vae_model *m, vae_knn *k) {
  const size_t w = (size_t)m->x_width;
  vae_free(&m->mem, k->enc);
  k->enc = NULL;
  if (k->n == 0) return VAE_OK;
  k->enc = vae_malloc(&m->mem, (size_t)k->n * 3 * w * sizeof(float));
  if (!k->enc) return VAE_NOMEM;
  for (size_t i = 0; i < (size_t)k->n; i++) {
    float *e = k->enc + i * 3 * w, *val = e + w, *sq = e + 2 * w;
    encode(m, k->rows + i * m->p, val, e, NULL);
    for (size_t d = 0; d < w; d++) sq[d] = val[d] * val[d];
  }
  return VAE_OK;
}

static int has_cell(const float *x, int p) {
  for (int j = 0; j < p; j++)
    if (!isnan(x[j])) return 1;
  return 0;
}

int vae_knn_build(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                  vae_knn *out) {
  const int p = m->p, cap = vae_knn_capacity(m->x_width);
  memset(out, 0, sizeof *out);
  int64_t kept = 0;
  for (int64_t i = 0; i < n && kept < cap; i++) kept += has_cell(data + idx[i] * p, p);
  if (kept == 0) return VAE_OK;
  out->rows = vae_malloc(&m->mem, (size_t)kept * p * sizeof(float));
  if (!out->rows) return VAE_NOMEM;
  out->n = (int)kept;
  for (int64_t i = 0, r = 0; i < n && r < kept; i++)
    if (has_cell(data + idx[i] * p, p))
      memcpy(out->rows + (size_t)r++ * p, data + idx[i] * p, (size_t)p * sizeof(float));
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
  vae_free(&a, w->q);
  vae_free(&a, w->g);
  vae_free(&a, w->enc);
  vae_free(&a, w->dist);
  vae_free(&a, w->near);
  vae_free(&a, w->nd);
  vae_free(&a, w);
}

vae_knn_work *vae_knn_work_alloc(const vae_model *m) {
  const vae_allocator *a = &m->mem;
  vae_knn_work *w = vae_calloc(a, 1, sizeof *w);
  if (!w) return NULL;
  w->mem = *a;
  w->n = m->knn.n;
  w->width = m->x_width;
  w->q = vae_calloc(a, (size_t)3 * w->width * 2, sizeof(float));
  w->g = vae_calloc(a, ((size_t)w->n + 1) * 2, sizeof(float));
  w->enc = vae_calloc(a, (size_t)3 * w->width, sizeof(float));
  w->dist = vae_calloc(a, (size_t)w->n + 1, sizeof(float));
  w->near = vae_calloc(a, VAE_KNN_K, sizeof(int));
  w->nd = vae_calloc(a, VAE_KNN_K, sizeof(float));
  if (!w->q || !w->g || !w->enc || !w->dist || !w->near || !w->nd) {
    vae_knn_work_free(w);
    return NULL;
  }
  return w;
}

/* Row x's distances to the reservoir into w->dist (the mean squared
** distance over the columns both have, -1 where they share none): its
** encoded columns into w->q, their sums and counts against the reservoir
** into w->g by one GEMM. */
static void row_distances(const vae_model *m, const float *x, vae_knn_work *w) {
  const int W = w->width;
  float *v = w->enc, *u = v + W, *c = u + W;
  encode(m, x, v, u, c);
  for (int d = 0; d < W; d++) {
    float *q = w->q + (size_t)d * 2;
    q[0] = u[d] * v[d] * v[d];
    q[1] = c[d];
    q[(size_t)W * 2] = -2.0f * u[d] * v[d];
    q[(size_t)W * 2 + 1] = 0.0f;
    q[(size_t)4 * W] = u[d];
    q[(size_t)4 * W + 1] = 0.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m->knn.n, 2, 3 * W, 1.0f, m->knn.enc,
              3 * W, w->q, 2, 0.0f, w->g, 2);
  for (int i = 0; i < w->n; i++) {
    const float *g = w->g + (size_t)i * 2;
    w->dist[i] = g[1] < 0.5f ? -1.0f : g[0] > 0 ? g[0] / g[1] : 0.0f;
  }
}

/* The nearest reservoir rows that have column j into w->near (ascending
** distance, ties to the earlier row); returns how many (up to VAE_KNN_K). */
static int nearest(const vae_model *m, int j, vae_knn_work *w) {
  const vae_knn *k = &m->knn;
  int got = 0;
  float worst = INFINITY;
  for (int i = 0; i < k->n; i++) {
    const float d = w->dist[i];
    if (d < 0 || d >= worst || isnan(k->rows[(size_t)i * m->p + j])) continue;
    int at = got < VAE_KNN_K ? got++ : got - 1;
    while (at > 0 && w->nd[at - 1] > d) {
      w->nd[at] = w->nd[at - 1];
      w->near[at] = w->near[at - 1];
      at--;
    }
    w->nd[at] = d;
    w->near[at] = i;
    if (got == VAE_KNN_K) worst = w->nd[got - 1];
  }
  return got;
}

/* Cell j of a row from its distances in w->dist. */
static void estimate_cell(const vae_model *m, int j, vae_knn_work *w, double *estimate,
                          double *probs) {
  const vae_column *c = &m->cols[j];
  int got = nearest(m, j, w);
  if (got == 0) return;
  double total = 0, mean = 0, *pr = probs + m->off[j];
  if (c->kind == VAE_CATEGORICAL)
    for (int l = 0; l < c->nlevels; l++) pr[l] = 0;
  for (int g = 0; g < got; g++) {
    double wt = 1.0 / (KNN_EPS + sqrt(w->nd[g]));
    float v = m->knn.rows[(size_t)w->near[g] * m->p + j];
    total += wt;
    if (c->kind == VAE_CATEGORICAL) pr[(int)v] += wt;
    else mean += wt * v;
  }
  if (c->kind == VAE_CATEGORICAL)
    for (int l = 0; l < c->nlevels; l++) pr[l] /= total;
  else if (c->kind == VAE_BINARY)
    pr[0] = mean / total;
  estimate[j] = vae_is_numeric(c->kind) ? mean / total : 0.0;
}

void vae_knn_rows(const vae_model *m, const float *x, int rows, const unsigned char *want,
                  vae_knn_work *w, double *estimate, double *probs) {
  const int p = m->p;
  for (size_t i = 0; i < (size_t)rows * p; i++) estimate[i] = NAN;
  if (m->knn.n == 0 || !w) return;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * p;
    int searched = 0;
    for (int j = 0; j < p; j++) {
      if (!isnan(xr[j]) || (want && !want[j])) continue;
      if (!searched) row_distances(m, xr, w), searched = 1;
      estimate_cell(m, j, w, estimate + (size_t)r * p, probs + (size_t)r * m->x_width);
    }
  }
}
