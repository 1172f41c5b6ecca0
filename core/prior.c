/*
** prior.c -- where generation draws its latents: a mixture of Gaussians
** fitted, at the end of a fit, to the encoder's aggregate posterior (the
** average over training rows of q(z | x)), instead of the N(0, I) the
** network was trained against.
**
** The two differ where the training rows leave parts of the latent
** space empty: on a table of two clusters (faithful's eruptions), N(0, I)
** covers the stretch between the clusters' posteriors, and the decoder
** maps it to rows that no training row resembles (21% of generated rows
** in the empty quadrants). The mixture keeps the draws where the rows'
** posteriors are, and each component's variance includes the posterior
** variances of its rows (the mixture is fitted to the posteriors, not to
** their means), so that the draws do not crowd onto training rows.
**
** vae_prior_fit encodes up to PRIOR_MAX_ROWS rows (evenly spaced) and fits
** K = rows / PRIOR_ROWS_PER_COMPONENT components (1 to PRIOR_MAX_COMPONENTS)
** with diagonal covariances by EM, each row counting as its posterior
** N(mu, diag v): the E step weighs component k by the expected log
** density of k under the posterior, the M step's variance adds the rows'
** v to their spread around the mean. Started from K rows chosen by
** k-means++ (seeded), PRIOR_ROUNDS rounds at most.
**
** vae_prior_block draws the latents of a block of VAE_STRATA generated
** rows from the stratified uniforms (rng.h): row r's component from its
** uniform d + p (d latent dimensions, p columns: after those of the
** latents and the columns' noise), each coordinate from its own as the
** component's normal quantile. Without a fitted mixture (ncomp = 0: a
** blob from before format 9) it is N(0, I), as before.
*/
#include "mem.h"
#include "model.h"
#include "transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRIOR_MAX_ROWS 4096
#define PRIOR_ROWS_PER_COMPONENT 50
#define PRIOR_MAX_COMPONENTS 16
#define PRIOR_ROUNDS 200
#define PRIOR_TOL 1e-7      /* of the mean log-likelihood per row: converged */
#define PRIOR_MIN_VAR 1e-4  /* a component's variance per dimension at least */
#define PRIOR_CHUNK 256

void vae_prior_free(const vae_allocator *a, vae_calibration *cal) {
  vae_free(a, cal->prior);
  vae_free(a, cal->noise);
  vae_free(a, cal->color);
  cal->prior = NULL;
  cal->noise = NULL;
  cal->color = NULL;
  cal->ncomp = cal->nnoise = cal->ncolor = 0;
}

void vae_prior_noise(const vae_model *m, const vae_calibration *cal, uint64_t seed,
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
  for (int r = 0; r < VAE_STRATA; r++) vae_prior_correlate(m, cal, e + (size_t)r * p);
}

void vae_prior_correlate(const vae_model *m, const vae_calibration *cal, double *e) {
  const int p = m->p, nn = cal->nnoise;
  if (nn == 0) return;
  double eps[VAE_PRIOR_MAX_NOISE];
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

/* The stratified uniform of row block * VAE_STRATA + i that picks its
** component: index d + p of the row's uniforms. */
void vae_prior_block(const vae_model *m, const vae_calibration *cal, uint64_t seed,
                     uint64_t block, float *z) {
  const int d = m->latent, K = cal->ncomp;
  double u[VAE_STRATA];
  int comp[VAE_STRATA];
  if (K > 0) {
    const float *w = cal->prior;
    vae_stratified_block(seed, block, d + m->p, u);
    for (int r = 0; r < VAE_STRATA; r++) {
      double acc = 0;
      int k = 0;
      for (; k < K - 1; k++) {
        acc += w[k];
        if (u[r] < acc) break;
      }
      comp[r] = k;
    }
  }
  for (int t = 0; t < d; t++) {
    vae_stratified_block(seed, block, t, u);
    for (int r = 0; r < VAE_STRATA; r++) {
      double g = vae_normal_quantile(u[r]);
      if (K > 0) {
        const float *mean = cal->prior + K, *sd = mean + (size_t)K * d;
        g = mean[(size_t)comp[r] * d + t] + sd[(size_t)comp[r] * d + t] * g;
      }
      z[(size_t)r * d + t] = (float)g;
    }
  }
}

void vae_prior_draw(const vae_model *m, const vae_calibration *cal, vae_rng *rng, float *z) {
  const int d = m->latent, K = cal->ncomp;
  vae_rng_normals(rng, z, d);
  if (K == 0) return;
  const float *w = cal->prior, *mean = w + K, *sd = mean + (size_t)K * d;
  double u = vae_rng_uniform(rng), acc = 0;
  int k = 0;
  for (; k < K - 1; k++) {
    acc += w[k];
    if (u < acc) break;
  }
  for (int t = 0; t < d; t++) z[t] = mean[(size_t)k * d + t] + sd[(size_t)k * d + t] * z[t];
}

/* Squared distance of a and b (d). */
static double dist2(const double *a, const double *b, int d) {
  double s = 0;
  for (int t = 0; t < d; t++) s += (a[t] - b[t]) * (a[t] - b[t]);
  return s;
}

/* K rows of mu (N x d) as starting means by k-means++ (each next one drawn
** with probability proportional to its squared distance to the nearest
** chosen), into mean (K x d); near: N doubles of scratch. */
static void seed_means(const double *mu, int N, int d, int K, vae_rng *rng, double *mean,
                       double *near) {
  int first = (int)vae_rng_below(rng, (uint64_t)N);
  memcpy(mean, mu + (size_t)first * d, (size_t)d * sizeof(double));
  for (int i = 0; i < N; i++) near[i] = dist2(mu + (size_t)i * d, mean, d);
  for (int k = 1; k < K; k++) {
    double total = 0;
    for (int i = 0; i < N; i++) total += near[i];
    int pick = 0;
    if (total > 0) {
      double at = vae_rng_uniform(rng) * total, acc = 0;
      for (pick = 0; pick < N - 1; pick++) {
        acc += near[pick];
        if (at < acc) break;
      }
    } else {
      pick = (int)vae_rng_below(rng, (uint64_t)N);
    }
    memcpy(mean + (size_t)k * d, mu + (size_t)pick * d, (size_t)d * sizeof(double));
    for (int i = 0; i < N; i++)
      near[i] = fmin(near[i], dist2(mu + (size_t)i * d, mean + (size_t)k * d, d));
  }
}

/* EM of a K-component diagonal mixture on N posteriors (means mu, variances
** v, N x d each): weights w (K), means mean and variances var (K x d),
** started from seed_means. resp: N x K doubles of scratch. */
static void fit_mixture(const double *mu, const double *v, int N, int d, int K, vae_rng *rng,
                        double *w, double *mean, double *var, double *resp) {
  seed_means(mu, N, d, K, rng, mean, resp);
  /* Start: every component the rows' spread around the overall mean. */
  for (int t = 0; t < d; t++) {
    double m1 = 0, m2 = 0;
    for (int i = 0; i < N; i++) m1 += mu[(size_t)i * d + t];
    m1 /= N;
    for (int i = 0; i < N; i++) {
      double e = mu[(size_t)i * d + t] - m1;
      m2 += e * e + v[(size_t)i * d + t];
    }
    for (int k = 0; k < K; k++) var[(size_t)k * d + t] = fmax(m2 / N, PRIOR_MIN_VAR);
  }
  for (int k = 0; k < K; k++) w[k] = 1.0 / K;
  double last = -INFINITY;
  for (int round = 0; round < PRIOR_ROUNDS; round++) {
    /* E step: expected log density of each component under each posterior. */
    double ll = 0;
    for (int i = 0; i < N; i++) {
      double *ri = resp + (size_t)i * K, mx = -INFINITY, s = 0;
      for (int k = 0; k < K; k++) {
        if (!(w[k] > 0)) {
          ri[k] = -INFINITY;
          continue;
        }
        double l = log(w[k]);
        for (int t = 0; t < d; t++) {
          double s2 = var[(size_t)k * d + t], e = mu[(size_t)i * d + t] - mean[(size_t)k * d + t];
          l -= 0.5 * (log(6.283185307179586 * s2) + (e * e + v[(size_t)i * d + t]) / s2);
        }
        ri[k] = l;
        if (l > mx) mx = l;
      }
      for (int k = 0; k < K; k++) s += ri[k] == -INFINITY ? 0 : exp(ri[k] - mx);
      for (int k = 0; k < K; k++) ri[k] = ri[k] == -INFINITY ? 0 : exp(ri[k] - mx) / s;
      ll += mx + log(s);
    }
    ll /= N;
    /* M step. */
    for (int k = 0; k < K; k++) {
      double nk = 0;
      for (int i = 0; i < N; i++) nk += resp[(size_t)i * K + k];
      w[k] = nk / N;
      if (!(nk > 1e-9)) {
        w[k] = 0;
        continue;
      }
      for (int t = 0; t < d; t++) {
        double m1 = 0;
        for (int i = 0; i < N; i++) m1 += resp[(size_t)i * K + k] * mu[(size_t)i * d + t];
        m1 /= nk;
        double m2 = 0;
        for (int i = 0; i < N; i++) {
          double e = mu[(size_t)i * d + t] - m1;
          m2 += resp[(size_t)i * K + k] * (e * e + v[(size_t)i * d + t]);
        }
        mean[(size_t)k * d + t] = m1;
        var[(size_t)k * d + t] = fmax(m2 / nk, PRIOR_MIN_VAR);
      }
    }
    if (fabs(ll - last) < PRIOR_TOL * (1 + fabs(ll))) break;
    last = ll;
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

int vae_prior_fit(const vae_model *m, const float *data, int64_t n, uint64_t seed,
                  vae_calibration *cal) {
  const int d = m->latent, p = m->p;
  const int N = n < PRIOR_MAX_ROWS ? (int)n : PRIOR_MAX_ROWS;
  vae_prior_free(&m->mem, cal);
  if (N < 1) return VAE_OK;
  int K = N / PRIOR_ROWS_PER_COMPONENT;
  if (K < 1) K = 1;
  if (K > PRIOR_MAX_COMPONENTS) K = PRIOR_MAX_COMPONENTS;
  int rc = VAE_OK, nn = 0;
  for (int c = 0; c < p; c++) nn += vae_is_numeric(m->cols[c].kind);
  if (nn < 2 || nn > VAE_PRIOR_MAX_NOISE) nn = 0;
#ifdef GEN_NO_NOISE
  nn = 0;
#endif
  vae_rng zrng;
  vae_rng_seed(&zrng, vae_seed_mix(seed, 1));
  vae_work w;
  memset(&w, 0, sizeof w);
  double *res = nn ? vae_malloc(&m->mem, (size_t)N * nn * sizeof(double)) : NULL;
  double *mu = vae_malloc(&m->mem, (size_t)N * d * 2 * sizeof(double)), *v = mu ? mu + (size_t)N * d : NULL;
  double *resp = vae_malloc(&m->mem, (size_t)N * K * sizeof(double));
  double *fit = vae_malloc(&m->mem, (size_t)K * (1 + 2 * (size_t)d) * sizeof(double));
  float *rows = vae_malloc(&m->mem, (size_t)PRIOR_CHUNK * p * sizeof(float));
  float *prior = vae_malloc(&m->mem, (size_t)K * (1 + 2 * (size_t)d) * sizeof(float));
  if (!mu || !resp || !fit || !rows || !prior || (nn && !res) ||
      vae_work_alloc(m, &w, PRIOR_CHUNK, 1, 0)) {
    rc = VAE_NOMEM;
    goto done;
  }
  /* Rows evenly spaced over data: row i is data's row i * n / N. */
  for (int at = 0; at < N; at += PRIOR_CHUNK) {
    const int cnt = N - at < PRIOR_CHUNK ? N - at : PRIOR_CHUNK;
    for (int r = 0; r < cnt; r++) {
      int64_t src = (int64_t)((double)(at + r) * (double)n / N);
      memcpy(rows + (size_t)r * p, data + (size_t)src * p, (size_t)p * sizeof(float));
    }
    vae_prepare(m, &w, rows, cnt, NULL, 0);
    vae_encode(m, &w, cnt);
    const float *stats = w.enc_h[m->nlayers - 1];
    for (int r = 0; r < cnt; r++)
      for (int t = 0; t < d; t++) {
        mu[(size_t)(at + r) * d + t] = stats[(size_t)r * 2 * d + t];
        v[(size_t)(at + r) * d + t] = exp((double)stats[(size_t)r * 2 * d + d + t]);
      }
    if (nn == 0) continue;
    /* Each row's residuals at one draw of its posterior: its normal scores
    ** less the decoder's means there (NaN where the cell is missing). */
    vae_rng_normals(&zrng, w.eps, (long)cnt * d);
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
  vae_rng rng;
  vae_rng_seed(&rng, seed);
  if (nn > 0) rc = noise_correlation(res, N, nn, &m->mem, cal);
  if (rc) goto done;
  double *wk = fit, *mean = fit + K, *var = mean + (size_t)K * d;
  fit_mixture(mu, v, N, d, K, &rng, wk, mean, var, resp);
  /* Components left without rows are dropped; the weights sum to 1. */
  int kept = 0;
  double total = 0;
  for (int k = 0; k < K; k++) total += wk[k] > 0 ? wk[k] : 0;
  for (int k = 0; k < K; k++) {
    if (!(wk[k] > 0)) continue;
    prior[kept] = (float)(wk[k] / total);
    for (int t = 0; t < d; t++) {
      prior[K + (size_t)kept * d + t] = (float)mean[(size_t)k * d + t];
      prior[K + (size_t)K * d + (size_t)kept * d + t] = (float)sqrt(var[(size_t)k * d + t]);
    }
    kept++;
  }
  if (kept < K) { /* close up: weights, then means, then sds */
    memmove(prior + kept, prior + K, (size_t)kept * d * sizeof(float));
    memmove(prior + kept + (size_t)kept * d, prior + K + (size_t)K * d, (size_t)kept * d * sizeof(float));
  }
#ifdef GEN_NO_MIXTURE
  kept = 0;
#endif
  cal->prior = prior;
  cal->ncomp = kept;
  prior = NULL;
done:
  if (rc) vae_prior_free(&m->mem, cal);
  vae_work_free(&w);
  vae_free(&m->mem, res);
  vae_free(&m->mem, mu);
  vae_free(&m->mem, resp);
  vae_free(&m->mem, fit);
  vae_free(&m->mem, rows);
  vae_free(&m->mem, prior);
  return rc;
}

/* ---- The numeric columns' joint correction ("color").
** After the marginals, the next thing a Gaussian copula gets right and the
** network may not: how the numeric columns go together. Where the encoder
** carries little of a row (a small table, a posterior near N(0, I)), the
** decoder's independent noise makes most of each generated value, and the
** columns' correlations come out short (faithful: 0.66 generated, 0.89 in
** the rows). So the calibration's draws g (numeric scores, standardized
** per column) are mapped by the lower-triangular A = L_d L_g^-1, L_g the
** Cholesky factor of the draws' correlation, L_d that of the rows' normal
** scores' (pairwise over the cells both observed): the mapped draws have
** the rows' correlation, and a column's map reads only the columns before
** it. Generation maps every row's numeric scores the same way before they
** go through the marginals. */

/* Correlation of nn variables (column-major x, N each, stride N; NaN =
** missing, pairwise) into R (nn x nn), then its Cholesky factor in place,
** shrunk toward the identity as far as needed. */
static void correlation_factor(const double *x, int N, int nn, double *R) {
  for (int j = 0; j < nn; j++) {
    R[(size_t)j * nn + j] = 1;
    for (int k = 0; k < j; k++) {
      const double *a = x + (size_t)j * N, *b = x + (size_t)k * N;
      double s[5] = {0, 0, 0, 0, 0}, cnt = 0;
      for (int i = 0; i < N; i++) {
        if (isnan(a[i]) || isnan(b[i])) continue;
        cnt += 1;
        s[0] += a[i], s[1] += b[i], s[2] += a[i] * a[i], s[3] += b[i] * b[i], s[4] += a[i] * b[i];
      }
      double r = 0;
      if (cnt >= 3) {
        double va = s[2] - s[0] * s[0] / cnt, vb = s[3] - s[1] * s[1] / cnt;
        if (va > 0 && vb > 0) r = (s[4] - s[0] * s[1] / cnt) / sqrt(va * vb);
      }
      R[(size_t)j * nn + k] = R[(size_t)k * nn + j] = fmax(-1.0, fmin(1.0, r));
    }
  }
  double *L = R + (size_t)nn * nn; /* R has room for two matrices */
  for (double shrink = 0;; shrink = shrink > 0 ? 2 * shrink : 1.0 / 256) {
    if (shrink > 1) shrink = 1;
    for (size_t i = 0; i < (size_t)nn * nn; i++) L[i] = (1 - shrink) * R[i];
    for (int j = 0; j < nn; j++) L[(size_t)j * nn + j] = 1;
    if (vae_cholesky(L, nn) || shrink >= 1) break;
  }
  memcpy(R, L, (size_t)nn * nn * sizeof(double));
}

int vae_color_fit(const vae_model *m, const float *data, int64_t n, float *g, int N,
                  vae_calibration *cal) {
  const int p = m->p;
  int nn = 0;
  for (int c = 0; c < p; c++) nn += vae_is_numeric(m->cols[c].kind);
  vae_free(&m->mem, cal->color);
  cal->color = NULL;
  cal->ncolor = 0;
#ifdef GEN_NO_COLOR
  nn = 0;
#endif
  if (nn < 2 || nn > VAE_PRIOR_MAX_NOISE || n < 3) return VAE_OK;
  const int R = n < PRIOR_MAX_ROWS ? (int)n : PRIOR_MAX_ROWS, big = N > R ? N : R;
  double *x = vae_malloc(&m->mem, (size_t)big * nn * sizeof(double));
  double *Ld = vae_malloc(&m->mem, (size_t)2 * nn * nn * sizeof(double));
  double *Lg = vae_malloc(&m->mem, (size_t)2 * nn * nn * sizeof(double));
  double *row = vae_malloc(&m->mem, (size_t)2 * nn * sizeof(double));
  float *color = vae_malloc(&m->mem, ((size_t)2 * nn + (size_t)nn * (nn + 1) / 2) * sizeof(float));
  if (!x || !Ld || !Lg || !row || !color) {
    vae_free(&m->mem, x);
    vae_free(&m->mem, Ld);
    vae_free(&m->mem, Lg);
    vae_free(&m->mem, row);
    vae_free(&m->mem, color);
    return VAE_NOMEM;
  }
  /* The rows' normal scores, evenly spaced rows. */
  for (int c = 0, k = 0; c < p; c++) {
    if (!vae_is_numeric(m->cols[c].kind)) continue;
    for (int i = 0; i < R; i++) {
      float v = data[(size_t)((double)i * (double)n / R) * p + c];
      x[(size_t)k * R + i] = isnan(v) ? NAN : vae_standardize(&m->cols[c], v);
    }
    k++;
  }
  correlation_factor(x, R, nn, Ld);
  /* The draws, standardized. */
  float *mean = color, *sd = color + nn, *A = color + 2 * nn;
  for (int c = 0, k = 0; c < p; c++) {
    if (!vae_is_numeric(m->cols[c].kind)) continue;
    const float *gc = g + (size_t)c * N;
    double s1 = 0, s2 = 0;
    for (int i = 0; i < N; i++) s1 += gc[i];
    s1 /= N;
    for (int i = 0; i < N; i++) s2 += (gc[i] - s1) * (gc[i] - s1);
    mean[k] = (float)s1;
    sd[k] = (float)(s2 > 0 ? sqrt(s2 / N) : 1.0);
    for (int i = 0; i < N; i++) x[(size_t)k * N + i] = (gc[i] - mean[k]) / sd[k];
    k++;
  }
  correlation_factor(x, N, nn, Lg);
  /* A = Ld Lg^-1: row j of A solves A_j Lg = Ld_j (back substitution over
  ** the columns of the lower-triangular Lg, from the last). */
  for (int j = 0, at = 0; j < nn; j++) {
    for (int k = j; k >= 0; k--) {
      double t = Ld[(size_t)j * nn + k];
      for (int l = k + 1; l <= j; l++) t -= row[l] * Lg[(size_t)l * nn + k];
      row[k] = t / Lg[(size_t)k * nn + k];
    }
    for (int k = 0; k <= j; k++) A[at++] = (float)row[k];
  }
  cal->color = color;
  cal->ncolor = nn;
  /* The draws mapped, for the calibration's tables. */
  for (int i = 0; i < N; i++) {
    for (int c = 0, k = 0; c < p; c++)
      if (vae_is_numeric(m->cols[c].kind)) row[nn + k++] = g[(size_t)c * N + i];
    for (int c = 0, k = 0; c < p; c++) {
      if (!vae_is_numeric(m->cols[c].kind)) continue;
      g[(size_t)c * N + i] = (float)vae_color_one(cal, row + nn, k);
      k++;
    }
  }
  vae_free(&m->mem, x);
  vae_free(&m->mem, Ld);
  vae_free(&m->mem, Lg);
  vae_free(&m->mem, row);
  return VAE_OK;
}

double vae_color_one(const vae_calibration *cal, const double *gn, int j) {
  const int nn = cal->ncolor;
  const float *mean = cal->color, *sd = mean + nn, *A = sd + nn + (size_t)j * (j + 1) / 2;
  double t = 0;
  for (int k = 0; k <= j; k++) t += A[k] * (gn[k] - mean[k]) / sd[k];
  return mean[j] + sd[j] * t;
}

/* ---- The noise's temperature.
** A generated numeric score is the decoder's mean at z plus its noise,
** which is independent between columns. Where a table's columns go
** together in ways a Gaussian decoder draws with wide noise (two clusters
** with sharp edges on the normal-score scale: faithful's eruptions), that
** independent noise spreads rows across the gap between clusters (20% of
** rows in empty quadrants) and the columns' correlations come out short.
** So the calibration scales the noise by a temperature t (0 < t <= 1)
** chosen on its own draws: for each t of TEMP_GRID, each numeric column's
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
  const int R = n < PRIOR_MAX_ROWS ? (int)n : PRIOR_MAX_ROWS;
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
