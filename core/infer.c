/*
** infer.c -- using a trained model: imputation by self-normalized
** importance sampling (MIWAE's estimator), draws by sampling-importance-
** resampling, the per-row negative log-likelihood, and sampling from the
** prior. Rows go through the network in chunks so that every layer is one
** GEMM over (rows x samples); each row has its own RNG stream so its answer
** does not depend on which chunk it falls in.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <string.h>

/* Decoder rows per chunk: large enough for GEMM efficiency, small enough to
** stay in cache-friendly territory. */
#define CHUNK_DECODER_ROWS 4096

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Rounded when integer, and kept within the range seen in training (as
** synthesizers do by default: a Gaussian tail would otherwise give negative
** weights and ages). */
static float round_to_kind(const vae_column *c, double v) {
  if (c->kind == VAE_INTEGER) v = floor(v + 0.5);
  if (v < c->min) v = c->min;
  if (v > c->max) v = c->max;
  return (float)v;
}

/* From the standardized scale to data units, rounded as the kind requires. */
static float to_data_units(const vae_column *c, double v) {
  return round_to_kind(c, vae_unstandardize(c, v));
}

/* E f(Z), Z standard normal, as sum weight[h] f(node[h]): the 5-point
** Gauss-Hermite rule rescaled to the standard normal. */
static const double hermite_node[5] = {-2.8569700138728056, -1.3556261799742659, 0.0,
                                       1.3556261799742659, 2.8569700138728056};
static const double hermite_weight[5] = {0.011257411327720691, 0.22207592200561266,
                                         0.5333333333333333, 0.22207592200561266,
                                         0.011257411327720691};

/* Softmax of a categorical column's logits into probs[L]. */
static void softmax(const float *logits, int L, double *probs) {
  double mx = logits[0], s = 0;
  for (int l = 1; l < L; l++) if (logits[l] > mx) mx = logits[l];
  for (int l = 0; l < L; l++) s += probs[l] = exp(logits[l] - mx);
  for (int l = 0; l < L; l++) probs[l] /= s;
}

static int pick(vae_rng *rng, const double *probs, int n) {
  double u = vae_rng_uniform(rng), acc = 0;
  for (int i = 0; i < n; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return n - 1;
}

/* One value of column j from p(x_j | z), given the decoder output row. */
static float draw_value(const vae_model *m, int j, const float *out,
                        vae_rng *rng, double *scratch) {
  /* Not from vae_work: vae_sample draws without running vae_forward. */
  const vae_column *c = &m->cols[j];
  const float *o = out + m->off[j];
  if (vae_is_numeric(c->kind)) {
    double var = exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR;
    return to_data_units(c, o[0] + sqrt(var) * vae_rng_normal(rng));
  }
  if (c->kind == VAE_BINARY) return vae_rng_uniform(rng) < sigmoidf(o[0]) ? 1.0f : 0.0f;
  softmax(o, c->nlevels, scratch);
  return (float)pick(rng, scratch, c->nlevels);
}

static int max_levels(const vae_model *m) {
  int L = 1;
  for (int j = 0; j < m->p; j++)
    if (m->cols[j].kind == VAE_CATEGORICAL && m->cols[j].nlevels > L) L = m->cols[j].nlevels;
  return L;
}

/* The importance-weighted estimate for row r's missing cells. */
static void row_mean(const vae_model *m, const vae_work *w, int r, int S,
                     const float *x, const double *linear, float *dst, double *probs, double *acc) {
  const float *out = w->dec_h[m->nlayers - 1];
  const float *wn = w->wnorm + (size_t)r * S;
  for (int j = 0; j < m->p; j++) {
    if (!isnan(x[j])) continue;
    const vae_column *c = &m->cols[j];
    int at = m->off[j];
    if (c->kind == VAE_CATEGORICAL) {
      int L = c->nlevels, best = 0;
      for (int l = 0; l < L; l++) acc[l] = 0;
      for (int s = 0; s < S; s++) {
        softmax(out + ((size_t)r * S + s) * m->dec_out + at, L, probs);
        for (int l = 0; l < L; l++) acc[l] += wn[s] * probs[l];
      }
      for (int l = 1; l < L; l++) if (acc[l] > acc[best]) best = l;
      dst[j] = (float)best;
    } else {
      /* The conditional mean in data units: over the samples, and over
      ** each sample's Gaussian noise on the normal-score scale, mapped back
      ** through the quantiles (5-point Gauss-Hermite). The quantile map is
      ** bounded by the data, so a poorly estimated variance cannot blow the
      ** estimate up as a log-normal mean did. */
      double mean = 0, sigma = sqrt(w->var[j]);
      for (int s = 0; s < S; s++) {
        float o = out[((size_t)r * S + s) * m->dec_out + at];
        if (c->kind == VAE_BINARY) {
          mean += wn[s] * sigmoidf(o);
          continue;
        }
        double e = 0;
        for (int h = 0; h < 5; h++) e += hermite_weight[h] * vae_unstandardize(c, o + sigma * hermite_node[h]);
        mean += wn[s] * e;
      }
      if (c->kind == VAE_BINARY) {
        dst[j] = mean >= 0.5 ? 1.0f : 0.0f;
        continue;
      }
      if (!isnan(linear[j]))
        mean = m->blend[j] * mean + (1.0 - m->blend[j]) * linear[j];
      dst[j] = round_to_kind(c, mean);
    }
  }
}

static int infer_rows(const vae_model *m, int mode, int n, const float *x,
                      const uint64_t *seeds, int S, float *out, double *nll) {
  if (n <= 0) return VAE_OK;
  if (S <= 0) S = m->cfg.impute_samples > 0 ? m->cfg.impute_samples : 1;
  if (vae_check_data(m->cols, m->p, x, n, NULL, 0)) return VAE_INVALID;
  int chunk = CHUNK_DECODER_ROWS / S;
  if (chunk < 1) chunk = 1;
  if (chunk > n) chunk = n;
  const int p = m->p, d = m->latent, L = max_levels(m);
  vae_work w;
  if (vae_work_alloc(m, &w, chunk, S, 0)) return VAE_NOMEM;
  vae_rng *rngs = vae_calloc((size_t)chunk, sizeof(vae_rng));
  double *probs = vae_calloc((size_t)L, sizeof(double));
  double *acc = vae_calloc((size_t)L, sizeof(double));
  double *ratio = vae_calloc((size_t)S, sizeof(double));
  double *linear = vae_calloc((size_t)p, sizeof(double));
  vae_linear_work *lw = NULL;
  int rc = VAE_NOMEM;
  if (!rngs || !probs || !acc || !ratio || !linear) goto done;
  if (mode == VAE_MEAN && m->lin.d && !(lw = vae_linear_work_alloc(m->lin.d))) goto done;
  for (int at = 0; at < n; at += chunk) {
    int rows = n - at < chunk ? n - at : chunk;
    const float *xc = x + (size_t)at * p;
    vae_prepare(m, &w, xc, rows, NULL, 0);
    for (int r = 0; r < rows; r++) {
      vae_rng_seed(&rngs[r], seeds ? seeds[at + r] : 0);
      vae_rng_normals(&rngs[r], w.eps + (size_t)r * S * d, (long)S * d);
    }
    vae_forward(m, &w, rows, S, 1.0, 0);
    vae_backward(m, &w, rows, S, 1.0, 1.0, 0); /* fills w.wnorm */
    for (int r = 0; r < rows; r++) {
      const float *xr = xc + (size_t)r * p;
      float *dst = out + (size_t)(at + r) * p;
      memcpy(dst, xr, (size_t)p * sizeof(float));
      if (nll) {
        const double *lw = w.lw + (size_t)r * S;
        /* On the model's scale: numeric cells as normal scores, so that
        ** every column weighs alike whatever its units. */
        double mx = lw[0], s = 0;
        for (int k = 1; k < S; k++) if (lw[k] > mx) mx = lw[k];
        for (int k = 0; k < S; k++) s += exp(lw[k] - mx);
        nll[at + r] = -(mx + log(s) - log((double)S));
      }
      if (mode == VAE_DRAW) {
        for (int s = 0; s < S; s++) ratio[s] = w.wnorm[(size_t)r * S + s];
        int s = pick(&rngs[r], ratio, S);
        const float *o = w.dec_h[m->nlayers - 1] + ((size_t)r * S + s) * m->dec_out;
        for (int j = 0; j < p; j++)
          if (isnan(xr[j])) dst[j] = draw_value(m, j, o, &rngs[r], probs);
      } else {
        vae_linear_row(m, xr, lw, linear);
        row_mean(m, &w, r, S, xr, linear, dst, probs, acc);
      }
    }
  }
  rc = VAE_OK;
done:
  vae_free(rngs); vae_free(probs); vae_free(acc); vae_free(ratio);
  vae_free(linear);
  vae_linear_work_free(lw);
  vae_work_free(&w);
  return rc;
}

static int sample_rows(const vae_model *m, int n, const uint64_t *seeds, float *out) {
  if (n <= 0) return VAE_OK;
  int chunk = n < 256 ? n : 256;
  const int p = m->p, d = m->latent;
  vae_work w;
  if (vae_work_alloc(m, &w, chunk, 1, 0)) return VAE_NOMEM;
  double *probs = vae_calloc((size_t)max_levels(m), sizeof(double));
  vae_rng *rngs = vae_calloc((size_t)chunk, sizeof(vae_rng));
  if (!probs || !rngs) {
    vae_free(probs);
    vae_free(rngs);
    vae_work_free(&w);
    return VAE_NOMEM;
  }
  for (int at = 0; at < n; at += chunk) {
    int rows = n - at < chunk ? n - at : chunk;
    for (int r = 0; r < rows; r++) {
      vae_rng_seed(&rngs[r], seeds ? seeds[at + r] : 0);
      vae_rng_normals(&rngs[r], w.z + (size_t)r * d, d);
    }
    vae_decode(m, &w, rows);
    for (int r = 0; r < rows; r++) {
      const float *o = w.dec_h[m->nlayers - 1] + (size_t)r * m->dec_out;
      for (int j = 0; j < p; j++)
        out[(size_t)(at + r) * p + j] = draw_value(m, j, o, &rngs[r], probs);
    }
  }
  vae_free(probs);
  vae_free(rngs);
  vae_work_free(&w);
  return VAE_OK;
}

int vae_infer(const vae_model *m, int mode, int n, const float *x,
              const uint64_t *seeds, int S, float *out, double *nll) {
  int threads = vae_blas_serial(vae_largest_gemm(m, CHUNK_DECODER_ROWS));
  int rc = infer_rows(m, mode, n, x, seeds, S, out, nll);
  vae_blas_restore(threads);
  return rc;
}

int vae_sample(const vae_model *m, int n, const uint64_t *seeds, float *out) {
  int threads = vae_blas_serial(vae_largest_gemm(m, 256));
  int rc = sample_rows(m, n, seeds, out);
  vae_blas_restore(threads);
  return rc;
}
