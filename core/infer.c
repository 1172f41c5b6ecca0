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

/* The decoder's standard deviation of each column into sd[p]. Not from
** vae_work: vae_sample draws without running vae_forward. */
static void decoder_sd(const vae_model *m, double *sd) {
  for (int j = 0; j < m->p; j++)
    sd[j] = sqrt(exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR);
}

/* One value of column j from p(x_j | z), given the decoder output row. */
static float draw_value(const vae_model *m, int j, const float *out, const double *sd,
                        vae_rng *rng, double *scratch) {
  const vae_column *c = &m->cols[j];
  const float *o = out + m->off[j];
  if (vae_is_numeric(c->kind)) return to_data_units(c, o[0] + sd[j] * vae_rng_normal(rng));
  if (c->kind == VAE_BINARY) return vae_rng_uniform(rng) < sigmoidf(o[0]) ? 1.0f : 0.0f;
  softmax(o, c->nlevels, scratch);
  return (float)pick(rng, scratch, c->nlevels);
}

static int max_levels(const vae_model *m) {
  int L = 2; /* a binary column's two probabilities (vae_linear_probs) */
  for (int j = 0; j < m->p; j++)
    if (m->cols[j].kind == VAE_CATEGORICAL && m->cols[j].nlevels > L) L = m->cols[j].nlevels;
  return L;
}

/* The importance-weighted estimate for row r's missing cells; gh holds
** 5 S doubles. */
/* The network's estimate is averaged with the linear part's (linear:
** vae_linear_row's; lw NULL without one) by the column's share; the network's
** own probabilities of missing binary and categorical cells also go to
** net_probs (x_width) when it is not NULL. */
static void row_mean(const vae_model *m, const vae_work *w, int r, int S,
                     const float *x, const double *linear, vae_linear_work *lw,
                     float *net_probs, float *dst, double *probs, double *acc, double *gh) {
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
      if (net_probs)
        for (int l = 0; l < L; l++) net_probs[at + l] = (float)acc[l];
      if (lw && m->blend[j] < 1.0f) {
        vae_linear_probs(m, j, x, lw, probs);
        for (int l = 0; l < L; l++)
          acc[l] = m->blend[j] * acc[l] + (1.0 - m->blend[j]) * probs[l];
      }
      for (int l = 1; l < L; l++) if (acc[l] > acc[best]) best = l;
      dst[j] = (float)best;
    } else if (c->kind == VAE_BINARY) {
      double mean = 0;
      for (int s = 0; s < S; s++)
        mean += wn[s] * sigmoidf(out[((size_t)r * S + s) * m->dec_out + at]);
      if (net_probs) net_probs[at] = (float)mean;
      if (lw && m->blend[j] < 1.0f) {
        vae_linear_probs(m, j, x, lw, probs);
        mean = m->blend[j] * mean + (1.0 - m->blend[j]) * probs[0];
      }
      dst[j] = mean >= 0.5 ? 1.0f : 0.0f;
    } else {
      /* The conditional mean in data units: over the samples, and over
      ** each sample's Gaussian noise on the normal-score scale, mapped back
      ** through the quantiles (5-point Gauss-Hermite). The quantile map is
      ** bounded by the data, so a poorly estimated variance cannot blow the
      ** estimate up as a log-normal mean did. The 5 S points go through the
      ** map in one call, then are summed as point by point before. */
      double mean = 0, sigma = sqrt(w->var[j]);
      for (int s = 0; s < S; s++) {
        float o = out[((size_t)r * S + s) * m->dec_out + at];
        for (int h = 0; h < 5; h++) gh[5 * s + h] = o + sigma * hermite_node[h];
      }
      vae_unstandardize_n(c, gh, 5 * S);
      for (int s = 0; s < S; s++) {
        double e = 0;
        for (int h = 0; h < 5; h++) e += hermite_weight[h] * gh[5 * s + h];
        mean += wn[s] * e;
      }
      if (!isnan(linear[j]))
        mean = m->blend[j] * mean + (1.0 - m->blend[j]) * linear[j];
      dst[j] = round_to_kind(c, mean);
    }
  }
}

/* The buffers of an inference call. A caller that makes many calls keeps
** them (vae_infer_kept, vae_sample_kept): allocating and freeing a few
** hundred KiB per batch made the allocator hand the memory back to the
** system and fault it in again every time. */
struct vae_scratch {
  vae_allocator mem;   /* the model's */
  const vae_model *m;
  int rows, K;         /* what w was allocated for */
  int p, lin_d;        /* and the model's shape */
  size_t nparams;
  vae_work w;
  vae_rng *rngs;       /* rows */
  double *probs, *acc; /* the most levels of a column */
  double *ratio, *gh;  /* K and 5 K */
  double *sd;          /* p */
  double *linear;      /* p: the linear part's estimates of one row */
  vae_linear_work *lw; /* when m has a linear part */
};

void vae_scratch_free(vae_scratch *sc) {
  if (!sc) return;
  vae_allocator a = sc->mem;
  vae_work_free(&sc->w);
  vae_free(&a, sc->rngs);
  vae_free(&a, sc->probs);
  vae_free(&a, sc->acc);
  vae_free(&a, sc->ratio);
  vae_free(&a, sc->gh);
  vae_free(&a, sc->sd);
  vae_free(&a, sc->linear);
  vae_linear_work_free(sc->lw);
  vae_free(&a, sc);
}

/* Buffers for rows rows of K samples of m: *keep when it is large enough,
** else new ones, left in *keep when keep is not NULL. */
static vae_scratch *scratch_for(vae_scratch **keep, const vae_model *m, int rows, int K) {
  vae_scratch *sc = keep ? *keep : NULL;
  /* The shape too: another model may have been given the same address. */
  if (sc && sc->m == m && sc->K == K && sc->rows >= rows && sc->p == m->p &&
      sc->nparams == m->nparams && sc->lin_d == m->lin.d)
    return sc;
  vae_scratch_free(sc);
  if (keep) *keep = NULL;
  sc = vae_calloc(&m->mem, 1, sizeof *sc);
  if (!sc) return NULL;
  sc->mem = m->mem;
  sc->m = m;
  sc->rows = rows;
  sc->K = K;
  sc->p = m->p;
  sc->nparams = m->nparams;
  sc->lin_d = m->lin.d;
  size_t L = (size_t)max_levels(m);
  if (vae_work_alloc(m, &sc->w, rows, K, 0) ||
      !(sc->rngs = vae_calloc(&m->mem, (size_t)rows, sizeof(vae_rng))) ||
      !(sc->probs = vae_calloc(&m->mem, L, sizeof(double))) || !(sc->acc = vae_calloc(&m->mem, L, sizeof(double))) ||
      !(sc->ratio = vae_calloc(&m->mem, (size_t)K, sizeof(double))) ||
      !(sc->gh = vae_calloc(&m->mem, (size_t)K * 5, sizeof(double))) ||
      !(sc->sd = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      !(sc->linear = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      (m->lin.d && !(sc->lw = vae_linear_work_alloc(&m->mem, m->lin.d)))) {
    vae_scratch_free(sc);
    return NULL;
  }
  if (keep) *keep = sc;
  return sc;
}

static int infer_rows(const vae_model *m, int mode, int n, const float *x,
                      const uint64_t *seeds, int S, float *out, double *nll,
                      float *probs_out, vae_scratch **keep) {
  if (n <= 0) return VAE_OK;
  if (S <= 0) S = m->cfg.impute_samples > 0 ? m->cfg.impute_samples : 1;
  if (vae_check_data(m->cols, m->p, x, n, NULL, 0)) return VAE_INVALID;
  int chunk = CHUNK_DECODER_ROWS / S;
  if (chunk < 1) chunk = 1;
  if (chunk > n) chunk = n;
  const int p = m->p, d = m->latent;
  vae_scratch *sc = scratch_for(keep, m, chunk, S);
  if (!sc) return VAE_NOMEM;
  vae_work *w = &sc->w;
  vae_rng *rngs = sc->rngs;
  decoder_sd(m, sc->sd);
  for (int at = 0; at < n; at += chunk) {
    int rows = n - at < chunk ? n - at : chunk;
    const float *xc = x + (size_t)at * p;
    vae_prepare(m, w, xc, rows, NULL, 0);
    for (int r = 0; r < rows; r++) {
      vae_rng_seed(&rngs[r], seeds ? seeds[at + r] : 0);
      vae_rng_normals(&rngs[r], w->eps + (size_t)r * S * d, (long)S * d);
    }
    vae_forward(m, w, rows, S, 1.0, 0);
    vae_backward(m, w, rows, S, 1.0, 1.0, 0); /* fills w->wnorm */
    for (int r = 0; r < rows; r++) {
      const float *xr = xc + (size_t)r * p;
      float *dst = out + (size_t)(at + r) * p;
      memcpy(dst, xr, (size_t)p * sizeof(float));
      if (nll) {
        const double *lw = w->lw + (size_t)r * S;
        /* On the model's scale: numeric cells as normal scores, so that
        ** every column weighs alike whatever its units. */
        double mx = lw[0], s = 0;
        for (int k = 1; k < S; k++) if (lw[k] > mx) mx = lw[k];
        for (int k = 0; k < S; k++) s += exp(lw[k] - mx);
        nll[at + r] = -(mx + log(s) - log((double)S));
      }
      if (mode == VAE_DRAW) {
        for (int s = 0; s < S; s++) sc->ratio[s] = w->wnorm[(size_t)r * S + s];
        int s = pick(&rngs[r], sc->ratio, S);
        const float *o = w->dec_h[m->nlayers - 1] + ((size_t)r * S + s) * m->dec_out;
        for (int j = 0; j < p; j++)
          if (isnan(xr[j])) dst[j] = draw_value(m, j, o, sc->sd, &rngs[r], sc->probs);
      } else {
        vae_linear_row(m, xr, sc->lw, sc->linear);
        row_mean(m, w, r, S, xr, sc->linear, sc->lw,
                 probs_out ? probs_out + (size_t)(at + r) * m->x_width : NULL, dst,
                 sc->probs, sc->acc, sc->gh);
      }
    }
  }
  if (!keep) vae_scratch_free(sc);
  return VAE_OK;
}

static int sample_rows(const vae_model *m, int n, const uint64_t *seeds, float *out,
                       vae_scratch **keep) {
  if (n <= 0) return VAE_OK;
  int chunk = n < 256 ? n : 256;
  const int p = m->p, d = m->latent;
  vae_scratch *sc = scratch_for(keep, m, chunk, 1);
  if (!sc) return VAE_NOMEM;
  vae_work *w = &sc->w;
  vae_rng *rngs = sc->rngs;
  decoder_sd(m, sc->sd);
  for (int at = 0; at < n; at += chunk) {
    int rows = n - at < chunk ? n - at : chunk;
    for (int r = 0; r < rows; r++) {
      vae_rng_seed(&rngs[r], seeds ? seeds[at + r] : 0);
      vae_rng_normals(&rngs[r], w->z + (size_t)r * d, d);
    }
    vae_decode(m, w, rows);
    for (int r = 0; r < rows; r++) {
      const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * m->dec_out;
      for (int j = 0; j < p; j++)
        out[(size_t)(at + r) * p + j] = draw_value(m, j, o, sc->sd, &rngs[r], sc->probs);
    }
  }
  if (!keep) vae_scratch_free(sc);
  return VAE_OK;
}

int vae_infer_kept(const vae_model *m, int mode, int n, const float *x,
                   const uint64_t *seeds, int S, float *out, double *nll,
                   vae_scratch **scratch) {
  int threads = vae_blas_serial(vae_largest_gemm(m, CHUNK_DECODER_ROWS));
  int rc = infer_rows(m, mode, n, x, seeds, S, out, nll, NULL, scratch);
  vae_blas_restore(threads);
  return rc;
}

int vae_infer_probs(const vae_model *m, int n, const float *x, int S, float *out,
                    float *probs) {
  int threads = vae_blas_serial(vae_largest_gemm(m, CHUNK_DECODER_ROWS));
  int rc = infer_rows(m, VAE_MEAN, n, x, NULL, S, out, NULL, probs, NULL);
  vae_blas_restore(threads);
  return rc;
}

int vae_infer(const vae_model *m, int mode, int n, const float *x,
              const uint64_t *seeds, int S, float *out, double *nll) {
  return vae_infer_kept(m, mode, n, x, seeds, S, out, nll, NULL);
}

int vae_sample_kept(const vae_model *m, int n, const uint64_t *seeds, float *out,
                    vae_scratch **scratch) {
  int threads = vae_blas_serial(vae_largest_gemm(m, 256));
  int rc = sample_rows(m, n, seeds, out, scratch);
  vae_blas_restore(threads);
  return rc;
}

int vae_sample(const vae_model *m, int n, const uint64_t *seeds, float *out) {
  return vae_sample_kept(m, n, seeds, out, NULL);
}
