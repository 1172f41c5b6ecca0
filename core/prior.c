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
  cal->prior = NULL;
  cal->noise = NULL;
  cal->ncomp = cal->nnoise = 0;
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
