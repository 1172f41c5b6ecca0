/*
** noise.c -- the draws of generation (vae_generate, vae_sample, and the
** calibration that measures them): the latents, and the noise of numeric
** cells, which the calibration shapes in two ways at the end of a fit.
**
** A generated numeric score is the decoder's mean at z plus Gaussian
** noise of the decoder's sd, independent between columns. Where a table's
** columns go together in ways the network leaves to that noise (two
** clusters with sharp edges on the normal-score scale, as faithful's
** eruptions and waiting: a Gaussian decoder draws each cluster with wide
** noise), the independent noise spreads rows over the empty stretch
** between clusters (20% of the rows of a two-cluster table fell in its
** empty quadrants) and the columns' correlations come out short (0.65
** generated, 0.93 in the rows). Hence:
**
**   correlation (vae_noise_fit): the numeric columns' noise is drawn
**     correlated as the training rows' residuals are (each row's normal
**     scores less the decoder's means at one draw of its posterior), by
**     the Cholesky factor of their correlation;
**   temperature (vae_temperature_fit): the noise is scaled by t in
**     (0, 1], chosen on the calibration's own draws (below).
**
** Latents and noise come from the stratified uniforms (rng.h): a row's
** uniforms 0 .. d - 1 make its latents (normal quantiles), d + c column
** c's noise (numeric: its normal quantile, correlated) or level.
**
** Tried, and of no use on the two-cluster tables: drawing z from a
** mixture of Gaussians fitted to the encoder's aggregate posterior (the
** posteriors were near N(0, I), every component came out the same: the
** clusters are the decoder's, not the latent space's); mapping the
** numeric scores so that their correlation is the rows' normal scores'
** (a Gaussian copula's; on faithful the rows' normal scores correlate
** 0.68 where their values correlate 0.89: the generated values' came out
** 0.71).
*/
#include "mem.h"
#include "model.h"
#include "transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows of data read by the fits at most (evenly spaced). */
#define NOISE_MAX_ROWS 4096
#define NOISE_CHUNK 256

void vae_noise_free(const vae_allocator *a, vae_calibration *cal) {
  vae_free(a, cal->noise);
  cal->noise = NULL;
  cal->nnoise = 0;
}

void vae_gen_latents(const vae_model *m, uint64_t seed, uint64_t block, float *z) {
  const int d = m->latent;
  double u[VAE_STRATA];
  for (int t = 0; t < d; t++) {
    vae_stratified_block(seed, block, t, u);
    for (int r = 0; r < VAE_STRATA; r++) z[(size_t)r * d + t] = (float)vae_normal_quantile(u[r]);
  }
}

void vae_gen_noise(const vae_model *m, const vae_calibration *cal, uint64_t seed,
                   uint64_t block, double *u, double *e) {
  const int p = m->p, d = m->latent;
  double col[VAE_STRATA];
  for (int c = 0; c < p; c++) {
    vae_stratified_block(seed, block, d + c, col);
    for (int r = 0; r < VAE_STRATA; r++) {
      u[(size_t)r * p + c] = col[r] > 0 ? col[r] : 1e-300;
      if (vae_is_numeric(m->cols[c].kind)) e[(size_t)r * p + c] = vae_normal_quantile(u[(size_t)r * p + c]);
    }
  }
  for (int r = 0; r < VAE_STRATA; r++) vae_noise_correlate(m, cal, e + (size_t)r * p);
}

void vae_noise_correlate(const vae_model *m, const vae_calibration *cal, double *e) {
  const int p = m->p, nn = cal->nnoise;
  if (nn == 0) return;
  double eps[VAE_MAX_NOISE];
  int k = 0;
  for (int c = 0; c < p; c++)
    if (vae_is_numeric(m->cols[c].kind)) eps[k++] = e[c];
  for (int c = 0, i = 0; c < p; c++) {
    if (!vae_is_numeric(m->cols[c].kind)) continue;
    const float *L = cal->noise + (size_t)i * (i + 1) / 2;
    double t = 0;
    for (int a = 0; a <= i; a++) t += L[a] * eps[a];
    e[c] = t;
    i++;
  }
}

/* The correlation of the numeric columns' residuals res (N x nn, NaN =
** missing; each pair over the rows where both are there), shrunk toward
** the identity as far as its Cholesky factor needs, into cal's noise. */
static int noise_correlation(const double *res, int N, int nn, const vae_allocator *a,
                             vae_calibration *cal) {
  double *R = vae_calloc(a, (size_t)nn * nn, sizeof(double));
  double *L = vae_calloc(a, (size_t)nn * nn, sizeof(double));
  float *packed = vae_malloc(a, (size_t)nn * (nn + 1) / 2 * sizeof(float));
  if (!R || !L || !packed) {
    vae_free(a, R);
    vae_free(a, L);
    vae_free(a, packed);
    return VAE_NOMEM;
  }
  for (int j = 0; j < nn; j++) {
    R[(size_t)j * nn + j] = 1;
    for (int k = 0; k < j; k++) {
      double s[5] = {0, 0, 0, 0, 0}, cnt = 0;
      for (int i = 0; i < N; i++) {
        double x = res[(size_t)i * nn + j], y = res[(size_t)i * nn + k];
        if (isnan(x) || isnan(y)) continue;
        cnt += 1;
        s[0] += x, s[1] += y, s[2] += x * x, s[3] += y * y, s[4] += x * y;
      }
      double r = 0;
      if (cnt >= 3) {
        double vx = s[2] - s[0] * s[0] / cnt, vy = s[3] - s[1] * s[1] / cnt;
        if (vx > 0 && vy > 0) r = (s[4] - s[0] * s[1] / cnt) / sqrt(vx * vy);
      }
      R[(size_t)j * nn + k] = R[(size_t)k * nn + j] = fmax(-1.0, fmin(1.0, r));
    }
  }
  int ok = 0;
  for (double shrink = 0; !ok && shrink <= 1; shrink = shrink > 0 ? 2 * shrink : 1.0 / 64) {
    for (size_t i = 0; i < (size_t)nn * nn; i++) L[i] = (1 - shrink) * R[i];
    for (int j = 0; j < nn; j++) L[(size_t)j * nn + j] = 1;
    ok = vae_cholesky(L, nn);
  }
  for (int j = 0, at = 0; j < nn; j++)
    for (int k = 0; k <= j; k++) packed[at++] = ok ? (float)L[(size_t)j * nn + k] : (float)(j == k);
  vae_free(a, R);
  vae_free(a, L);
  vae_free(a, cal->noise);
  cal->noise = packed;
  cal->nnoise = nn;
  return VAE_OK;
}

int vae_noise_fit(const vae_model *m, const float *data, int64_t n, uint64_t seed,
                  vae_calibration *cal) {
  const int d = m->latent, p = m->p;
  const int N = n < NOISE_MAX_ROWS ? (int)n : NOISE_MAX_ROWS;
  int nn = 0;
  for (int c = 0; c < p; c++) nn += vae_is_numeric(m->cols[c].kind);
  vae_noise_free(&m->mem, cal);
#ifdef GEN_NO_NOISE
  nn = 0;
#endif
  if (nn < 2 || nn > VAE_MAX_NOISE || N < 3) return VAE_OK;
  int rc = VAE_OK;
  vae_rng rng;
  vae_rng_seed(&rng, seed);
  vae_work w;
  memset(&w, 0, sizeof w);
  double *res = vae_malloc(&m->mem, (size_t)N * nn * sizeof(double));
  float *rows = vae_malloc(&m->mem, (size_t)NOISE_CHUNK * p * sizeof(float));
  if (!res || !rows || vae_work_alloc(m, &w, NOISE_CHUNK, 1, 0)) {
    rc = VAE_NOMEM;
    goto done;
  }
  /* Rows evenly spaced over data (row i is data's row i n / N), each with
  ** its residuals at one draw of its posterior: its normal scores less the
  ** decoder's means there (NaN where the cell is missing). */
  for (int at = 0; at < N; at += NOISE_CHUNK) {
    const int cnt = N - at < NOISE_CHUNK ? N - at : NOISE_CHUNK;
    for (int r = 0; r < cnt; r++) {
      int64_t src = (int64_t)((double)(at + r) * (double)n / N);
      memcpy(rows + (size_t)r * p, data + (size_t)src * p, (size_t)p * sizeof(float));
    }
    vae_prepare(m, &w, rows, cnt, NULL, 0);
    vae_encode(m, &w, cnt);
    vae_rng_normals(&rng, w.eps, (long)cnt * d);
    for (int r = 0; r < cnt; r++) vae_latent(m, &w, r, w.eps + (size_t)r * d, 1, w.z + (size_t)r * d);
    vae_decode(m, &w, cnt);
    const float *o = w.dec_h[m->nlayers - 1];
    for (int r = 0; r < cnt; r++)
      for (int c = 0, k = 0; c < p; c++) {
        if (!vae_is_numeric(m->cols[c].kind)) continue;
        res[(size_t)(at + r) * nn + k++] =
            w.xs[(size_t)r * p + c] - o[(size_t)r * m->dec_out + m->off[c]];
      }
  }
  rc = noise_correlation(res, N, nn, &m->mem, cal);
done:
  vae_work_free(&w);
  vae_free(&m->mem, res);
  vae_free(&m->mem, rows);
  return rc;
}

/* The noise's temperature. The calibration scales the noise by t (0 < t
** <= 1) chosen on its own draws: for each t of TEMP_GRID, each numeric column's
** draws mean + t noise are ranked and take the column's values at their
** ranks (as vae_generate does), and the t kept is the one whose Pearson
** correlations of values are nearest the rows' (mean absolute difference
** over pairs of up to TEMP_MAX_COLS numeric columns, plus TEMP_PENALTY
** per unit below 1: the network's own noise unless a lower t is clearly
** nearer). The marginals stay the rows' whatever t is (ranks). */
#define TEMP_MAX_COLS 64
#define TEMP_MAX_DRAWS 4096
#define TEMP_PENALTY 0.02
static const double TEMP_GRID[] = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3};

static int cmp_ranked_d(const void *a, const void *b) {
  const double *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

/* Pearson correlations of nn columns (column-major x, N each; NaN =
** missing, pairwise) into r (nn (nn - 1) / 2, pairs j > k by rows). */
static void pair_correlations(const double *x, int N, int nn, double *r) {
  for (int j = 0, at = 0; j < nn; j++)
    for (int k = 0; k < j; k++, at++) {
      const double *a = x + (size_t)j * N, *b = x + (size_t)k * N;
      double s[5] = {0, 0, 0, 0, 0}, cnt = 0;
      for (int i = 0; i < N; i++) {
        if (isnan(a[i]) || isnan(b[i])) continue;
        cnt += 1;
        s[0] += a[i], s[1] += b[i], s[2] += a[i] * a[i], s[3] += b[i] * b[i], s[4] += a[i] * b[i];
      }
      double va = s[2] - s[0] * s[0] / cnt, vb = s[3] - s[1] * s[1] / cnt;
      r[at] = cnt >= 3 && va > 0 && vb > 0 ? (s[4] - s[0] * s[1] / cnt) / sqrt(va * vb) : 0;
    }
}

int vae_temperature_fit(const vae_model *m, const float *data, int64_t n, const float *mean,
                        const float *noise, int N, double *temp) {
  const int p = m->p;
  int cols[TEMP_MAX_COLS], nn = 0;
  *temp = 1.0;
#ifdef GEN_NO_TEMP
  return VAE_OK;
#endif
  for (int c = 0; c < p && nn < TEMP_MAX_COLS; c++)
    if (vae_is_numeric(m->cols[c].kind)) cols[nn++] = c;
  if (nn < 2 || n < 3 || N < 16) return VAE_OK;
  const int R = n < NOISE_MAX_ROWS ? (int)n : NOISE_MAX_ROWS;
  const int D = N < TEMP_MAX_DRAWS ? N : TEMP_MAX_DRAWS, big = D > R ? D : R;
  const size_t pairs = (size_t)nn * (nn - 1) / 2;
  double *x = vae_malloc(&m->mem, (size_t)big * nn * sizeof(double));
  double *rank = vae_malloc(&m->mem, (size_t)D * 2 * sizeof(double));
  double *want = vae_malloc(&m->mem, pairs * 2 * sizeof(double)), *got = want ? want + pairs : NULL;
  if (!x || !rank || !want) {
    vae_free(&m->mem, x);
    vae_free(&m->mem, rank);
    vae_free(&m->mem, want);
    return VAE_NOMEM;
  }
  for (int k = 0; k < nn; k++)
    for (int i = 0; i < R; i++) {
      float v = data[(size_t)((double)i * (double)n / R) * p + cols[k]];
      x[(size_t)k * R + i] = isnan(v) ? NAN : v;
    }
  pair_correlations(x, R, nn, want);
  double best = INFINITY;
  for (size_t t = 0; t < sizeof TEMP_GRID / sizeof TEMP_GRID[0]; t++) {
    const double tau = TEMP_GRID[t];
    for (int k = 0; k < nn; k++) {
      const vae_column *col = &m->cols[cols[k]];
      const float *mu = mean + (size_t)cols[k] * N, *e = noise + (size_t)cols[k] * N;
      /* Draws spread evenly over the N: every (N / D)-th. */
      for (int i = 0; i < D; i++) {
        size_t s = (size_t)((double)i * N / D);
        rank[2 * i] = mu[s] + tau * e[s];
        rank[2 * i + 1] = i;
      }
      qsort(rank, (size_t)D, 2 * sizeof(double), cmp_ranked_d);
      for (int r = 0; r < D; r++) {
        double v = vae_column_value_at(col, (r + 0.5) / D);
        if (col->kind == VAE_INTEGER) v = floor(v + 0.5);
        x[(size_t)k * D + (int)rank[2 * r + 1]] = v;
      }
    }
    pair_correlations(x, D, nn, got);
    double err = 0;
    for (size_t a = 0; a < pairs; a++) err += fabs(got[a] - want[a]);
    err = err / pairs + TEMP_PENALTY * (1 - tau);
    if (err < best) {
      best = err;
      *temp = tau;
    }
  }
  vae_free(&m->mem, x);
  vae_free(&m->mem, rank);
  vae_free(&m->mem, want);
  return VAE_OK;
}
