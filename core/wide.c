/*
** wide.c -- categorical columns of many levels (model.h: vae_wide_column,
** more than cfg.wide_levels): the encoder's first layer and the decoder's
** last one, where a dense layer pays for every level.
**
** The decoder's last layer. A dense one pays in x L multiply-adds per
** sample for a column of L levels, three times a training step (forward,
** weight gradient, input gradient), for each of K samples of each row: a
** 300-level column made a fit 2.2x the CPU of its table without it. Here
** a wide column j goes through r = cfg.wide_rank linear units of its own,
** t = h U_j, and its logits are t V_j + b_j: r (in + L) multiply-adds
** instead of in L (the low-rank output, blob format 17). The other
** columns, in the runs between wide ones, go through their blocks of the
** last layer's weights as a dense layer would; the output keeps the dense
** layer's layout, so everything that reads it (the likelihood, inference,
** generation) is unchanged. The bias gradient is the caller's
** (bias_backward over the whole output, as for a dense layer).
**
** The encoder's first layer. A wide column's inputs are one-hot: at most
** one of its L is 1 (none where the cell is missing or hidden), so its
** share of the layer is that level's row of the weights, added (an
** embedding), and its weight gradient that row's, scattered; the runs of
** other inputs (the mask bits among them) go through GEMM. The same
** weights and the same function as the dense layer, in another order of
** sums.
**
** Forward and backward side by side.
*/
#include "model.h"

#include <cblas.h>
#include <string.h>

/* The pieces of a layer's end inputs or outputs (the encoder's first
** layer's, the decoder's last one's), in order: runs between wide
** columns' blocks [lo, hi) and wide columns (lo its offset, hi = lo + its
** levels, col the column, u its U, t its index among the wide ones). The
** encoder's mask inputs, after the values, end its last run. */
typedef struct {
  int j, a, k;   /* the next column to look at, where the run began, wide ones so far */
  size_t at;     /* the next wide column's U */
  int wide, lo, hi, t, col;
  size_t u;
} pieces;

static int next_piece(const vae_model *m, pieces *s, int end) {
  while (s->j < m->p && !vae_wide_column(&m->cfg, &m->cols[s->j])) s->j++;
  const int b = s->j < m->p ? m->off[s->j] : end;
  if (b > s->a) {
    s->wide = 0, s->lo = s->a, s->hi = b, s->a = b;
    return 1;
  }
  if (s->j >= m->p) return 0;
  const size_t in = (size_t)m->dec[m->nlayers - 1].in, r = (size_t)m->cfg.wide_rank;
  const int L = m->cols[s->j].nlevels;
  s->wide = 1, s->lo = b, s->hi = b + L, s->u = s->at, s->t = s->k, s->col = s->j;
  s->at += in * r + r * (size_t)L;
  s->k++, s->a = b + L, s->j++;
  return 1;
}

void vae_output_forward(const vae_model *m, vae_work *w, const float *H, int rows) {
  const vae_dense *D = &m->dec[m->nlayers - 1];
  const int W = D->out, in = D->in, r = m->cfg.wide_rank;
  const float *Wt = m->params + D->w, *bias = m->params + D->b;
  float *Y = w->dec_h[m->nlayers - 1];
  for (int row = 0; row < rows; row++) memcpy(Y + (size_t)row * W, bias, (size_t)W * sizeof(float));
  pieces s = {0, 0, 0, m->lowrank, 0, 0, 0, 0, 0, 0};
  while (next_piece(m, &s, W)) {
    const int n = s.hi - s.lo;
    if (!s.wide) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, in, 1.0f, H, in,
                  Wt + s.lo, W, 1.0f, Y + s.lo, W);
      continue;
    }
    const float *U = m->params + s.u, *V = U + (size_t)in * r;
    float *T = w->wide_t + (size_t)s.t * w->rows_dec * r;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, r, in, 1.0f, H, in, U, r,
                0.0f, T, r);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, n, r, 1.0f, T, r, V, n, 1.0f,
                Y + s.lo, W);
  }
}

void vae_output_backward(const vae_model *m, vae_work *w, float *grads, const float *H,
                         const float *dY, int rows, float *dH) {
  const vae_dense *D = &m->dec[m->nlayers - 1];
  const int W = D->out, in = D->in, r = m->cfg.wide_rank;
  const float *Wt = m->params + D->w;
  float *G = w->wide_g, beta = 0.0f; /* dH: written by the first product, then added to */
  pieces s = {0, 0, 0, m->lowrank, 0, 0, 0, 0, 0, 0};
  while (next_piece(m, &s, W)) {
    const int n = s.hi - s.lo;
    const float *dy = dY + s.lo;
    if (!s.wide) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, n, rows, 1.0f, H, in, dy, W,
                  0.0f, grads + D->w + s.lo, W);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, in, n, 1.0f, dy, W,
                  Wt + s.lo, W, beta, dH, in);
      beta = 1.0f;
      continue;
    }
    const float *U = m->params + s.u, *V = U + (size_t)in * r;
    const float *T = w->wide_t + (size_t)s.t * w->rows_dec * r;
    float *gU = grads + s.u, *gV = gU + (size_t)in * r;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, r, n, rows, 1.0f, T, r, dy, W, 0.0f,
                gV, n);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, r, n, 1.0f, dy, W, V, n, 0.0f,
                G, r);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, r, rows, 1.0f, H, in, G, r, 0.0f,
                gU, r);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, in, r, 1.0f, G, r, U, r, beta,
                dH, in);
    beta = 1.0f;
  }
}

/* The level of a wide column's one-hot block x[0..L) (-1: none), where
** mask, its encoder mask input, says the cell is seen. */
static int level_of(const float *x, int L, float mask) {
  if (mask == 0.0f) return -1;
  for (int l = 0; l < L; l++)
    if (x[l] != 0.0f) return l;
  return -1;
}

void vae_embed_forward(const vae_model *m, const float *X, int rows, float *Y) {
  const vae_dense *E = &m->enc[0];
  const int in = E->in, out = E->out;
  const float *Wt = m->params + E->w, *bias = m->params + E->b;
  for (int row = 0; row < rows; row++) memcpy(Y + (size_t)row * out, bias, (size_t)out * sizeof(float));
  pieces s = {0, 0, 0, m->lowrank, 0, 0, 0, 0, 0, 0};
  while (next_piece(m, &s, in)) {
    if (!s.wide) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, out, s.hi - s.lo, 1.0f,
                  X + s.lo, in, Wt + (size_t)s.lo * out, out, 1.0f, Y, out);
      continue;
    }
    for (int row = 0; row < rows; row++) {
      const float *x = X + (size_t)row * in;
      const int l = level_of(x + s.lo, s.hi - s.lo, x[m->x_width + s.col]);
      if (l < 0) continue;
      const float *e = Wt + (size_t)(s.lo + l) * out;
      float *y = Y + (size_t)row * out;
      for (int t = 0; t < out; t++) y[t] += e[t];
    }
  }
}

void vae_embed_backward(const vae_model *m, float *grads, const float *X, const float *dY,
                        int rows) {
  const vae_dense *E = &m->enc[0];
  const int in = E->in, out = E->out;
  pieces s = {0, 0, 0, m->lowrank, 0, 0, 0, 0, 0, 0};
  while (next_piece(m, &s, in)) {
    float *g = grads + E->w + (size_t)s.lo * out;
    if (!s.wide) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.hi - s.lo, out, rows, 1.0f,
                  X + s.lo, in, dY, out, 0.0f, g, out);
      continue;
    }
    memset(g, 0, (size_t)(s.hi - s.lo) * out * sizeof(float));
    for (int row = 0; row < rows; row++) {
      const float *x = X + (size_t)row * in;
      const int l = level_of(x + s.lo, s.hi - s.lo, x[m->x_width + s.col]);
      if (l < 0) continue;
      const float *dy = dY + (size_t)row * out;
      float *gl = g + (size_t)l * out;
      for (int t = 0; t < out; t++) gl[t] += dy[t];
    }
  }
}
