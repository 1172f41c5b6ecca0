/*
** objective.c -- the MIWAE bound and its gradient, forward and backward
** side by side. For a batch of rows and K samples z_k ~ q(z | x_visible):
**
**   lw_k = log p(x_obs | z_k) + beta * (log p(z_k) - log q(z_k | x))
**   bound = logsumexp_k lw_k - log K
**
** Only observed cells enter log p(x_obs | z). The encoder may see fewer
** cells than are scored (extra masking): q is then a worse proposal but
** the bound stays a bound, and the encoder learns to condition on few
** columns. The gradient of the bound is sum_k softmax(lw)_k d lw_k.
**
** Missing not at random (VAE_MNAR, after not-MIWAE: Ipsen, Mattei and
** Frellsen, 2021): the mask s is modelled too, and lw_k gains
** log p(s | x_obs, z_k). Each numeric or binary column has a probit
** self-masking model P(s_j = 1 | x_j) = Phi(a_j x_j + b_j). An observed cell
** adds log Phi(-(a x + b)), the same for every sample. A missing numeric
** cell adds log P(s = 1 | z_k), the link integrated over the decoder's
** N(mu_k, var): Phi(t_k) with t_k = (a mu_k + b) / sqrt(1 + a^2 var), in
** closed form (no sampled x, so no extra noise in the gradient). A missing
** binary cell adds log(pi_k Phi(a + b) + (1 - pi_k) Phi(b)).
**
** Cross terms: column j's probit also gets C_j = sum_l c_jl x_l over the
** other numeric and binary columns l (c: p x p params at m->cross), so that
** a column's holes may follow another column's value (missing at random
** by it) instead of being read as the column's own doing. A missing x_l
** enters at the sample's decoder mean mu_lk (P(1) for binary), so that
** C_j, and an observed cell's term with it, then differ from sample to
** sample; b + C_j takes b's place above. Which columns may drive others is
** train.c's choice (its prior); here every c_jl counts.
*/
#include "approx.h"
#include "mem.h"
#include "model.h"
#include "transform.h"

#include <math.h>
#include <string.h>

#define LOG_2PI 1.8378770664093453

void vae_work_free(vae_work *w) {
  vae_free(&w->mem, w->xs);
  vae_free(&w->mem, w->enc_x);
  for (int i = 0; i <= VAE_MAX_HIDDEN; i++) {
    vae_free(&w->mem, w->enc_h[i]);
    vae_free(&w->mem, w->dec_h[i]);
  }
  vae_free(&w->mem, w->eps);
  vae_free(&w->mem, w->z);
  vae_free(&w->mem, w->lw);
  vae_free(&w->mem, w->wnorm);
  for (int i = 0; i < 2; i++) {
    vae_free(&w->mem, w->g_enc[i]);
    vae_free(&w->mem, w->g_dec[i]);
  }
  vae_free(&w->mem, w->wide_t);
  vae_free(&w->mem, w->wide_g);
  vae_free(&w->mem, w->grads);
  vae_free(&w->mem, w->var);
  vae_free(&w->mem, w->log_var);
  vae_free(&w->mem, w->inv_var);
  vae_free(&w->mem, w->dlogvar);
  vae_free(&w->mem, w->lsel);
  vae_free(&w->mem, w->mval);
  vae_free(&w->mem, w->dsel);
  memset(w, 0, sizeof *w);
}

static int widest(const vae_dense *layers, int n, int start) {
  int w = start;
  for (int i = 0; i < n; i++) {
    if (layers[i].in > w) w = layers[i].in;
    if (layers[i].out > w) w = layers[i].out;
  }
  return w;
}

static float *floats(const vae_allocator *a, size_t rows, size_t cols) {
  int overflow = 0;
  size_t n = vae_mul_size(rows, cols, &overflow);
  return overflow ? NULL : vae_malloc(a, vae_mul_size(n, sizeof(float), &overflow));
}

int vae_work_alloc(const vae_model *m, vae_work *w, int rows_enc, int K,
                   int with_grads) {
  memset(w, 0, sizeof *w);
  w->mem = m->mem;
  if (rows_enc < 1 || K < 1 || (long long)rows_enc * K > 0x7fffffff) return VAE_INVALID;
  w->rows_enc = rows_enc;
  w->rows_dec = rows_enc * K;
  size_t re = (size_t)rows_enc, rd = (size_t)w->rows_dec;
  int ok = (w->xs = floats(&w->mem, re, m->p)) && (w->enc_x = floats(&w->mem, re, m->enc_in)) &&
           (w->eps = floats(&w->mem, rd, m->latent)) && (w->z = floats(&w->mem, rd, m->latent)) &&
           (w->lw = vae_malloc(&w->mem, rd * sizeof(double))) && (w->wnorm = floats(&w->mem, rd, 1)) &&
           (w->var = vae_calloc(&w->mem, (size_t)m->p, sizeof(double))) &&
           (w->log_var = vae_calloc(&w->mem, (size_t)m->p, sizeof(double))) &&
           (w->inv_var = vae_calloc(&w->mem, (size_t)m->p, sizeof(double))) &&
           (!m->sel || ((w->lsel = vae_calloc(&w->mem, rd, sizeof(double))) &&
                        (w->mval = vae_calloc(&w->mem, 2 * (size_t)m->p, sizeof(double)))));
  if (ok && m->nwide)
    ok = !!(w->wide_t = floats(&w->mem, rd, (size_t)m->cfg.wide_rank * m->nwide));
  for (int i = 0; ok && i < m->nlayers; i++)
    ok = (w->enc_h[i] = floats(&w->mem, re, m->enc[i].out)) &&
         (w->dec_h[i] = floats(&w->mem, rd, m->dec[i].out));
  if (ok && with_grads) {
    int we = widest(m->enc, m->nlayers, m->enc_in);
    int wd = widest(m->dec, m->nlayers, m->latent);
    ok = (w->g_enc[0] = floats(&w->mem, re, we)) && (w->g_enc[1] = floats(&w->mem, re, we)) &&
         (w->g_dec[0] = floats(&w->mem, rd, wd)) && (w->g_dec[1] = floats(&w->mem, rd, wd)) &&
         (w->grads = vae_calloc(&w->mem, m->nparams, sizeof(float))) &&
         (!m->nwide || (w->wide_g = floats(&w->mem, rd, (size_t)m->cfg.wide_rank))) &&
         (w->dlogvar = vae_calloc(&w->mem, (size_t)m->p, sizeof(double))) &&
         (!m->sel || (w->dsel = vae_calloc(&w->mem, 3 * (size_t)m->p +
                                                        (m->cross ? (size_t)m->p * m->p : 0),
                                           sizeof(double))));
  }
  if (!ok) {
    vae_work_free(w);
    return VAE_NOMEM;
  }
  return VAE_OK;
}

VAE_SIMD_CLONES void vae_prepare(const vae_model *m, vae_work *w, const float *x, int rows,
                 const unsigned char *hide, int scored) {
  const int p = m->p;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * p;
    float *xs = w->xs + (size_t)r * p;
    float *in = w->enc_x + (size_t)r * m->enc_in;
    memset(in, 0, (size_t)m->enc_in * sizeof(float));
    for (int j = 0; j < p; j++) {
      const vae_column *c = &m->cols[j];
      float v = xr[j];
      if (!scored && !isnan(v) && vae_is_numeric(c->kind)) v = (float)vae_standardize(c, v);
      xs[j] = v;
      if (isnan(v) || (hide && hide[(size_t)r * p + j])) continue;
      in[m->x_width + j] = 1.0f;
      if (c->kind == VAE_CATEGORICAL)
        in[m->off[j] + (int)v] = 1.0f;
      else
        in[m->off[j]] = v;
    }
  }
}

/* log(1 + e^x) without overflow. */
static inline double softplus(double x) {
  return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

/* The softmax terms of one categorical cell under K decoder outputs (K
** rows of W, the column's L logits first in each), added to ll[0..K); with
** d also their gradient. In float with vae_exp_neg and vae_log: libm calls
** per level were most of the likelihood's time. A column of up to SOFT_L
** levels goes SOFT_K samples at a time through level-major scratch, so
** that every loop runs over the samples and vectorizes; wider ones go one
** sample at a time, its levels in LANES partial sums (an exp per level,
** kept for the gradient: a wide column's softmax was a third of its fit,
** a 300-level one 32% of the profile with one exp per level and pass summed
** in a double that would not vectorize). */
#define SOFT_L 32
#define SOFT_K 32
#define LANES 8

static VAE_SIMD_CLONES void wide_softmax(const float *ok, int L, int lev, float *dk,
                                         double *ll) {
  float m8[LANES], s8[LANES];
  int l, i;
  for (i = 0; i < LANES; i++) m8[i] = ok[0];
  for (l = 0; l + LANES <= L; l += LANES)
    for (i = 0; i < LANES; i++) m8[i] = ok[l + i] > m8[i] ? ok[l + i] : m8[i];
  for (; l < L; l++) m8[0] = ok[l] > m8[0] ? ok[l] : m8[0];
  float mx = m8[0];
  for (i = 1; i < LANES; i++) mx = m8[i] > mx ? m8[i] : mx;
  for (i = 0; i < LANES; i++) s8[i] = 0;
  if (dk) {
    for (l = 0; l + LANES <= L; l += LANES)
      for (i = 0; i < LANES; i++) s8[i] += dk[l + i] = vae_exp_neg(ok[l + i] - mx);
    for (; l < L; l++) s8[0] += dk[l] = vae_exp_neg(ok[l] - mx);
  } else {
    for (l = 0; l + LANES <= L; l += LANES)
      for (i = 0; i < LANES; i++) s8[i] += vae_exp_neg(ok[l + i] - mx);
    for (; l < L; l++) s8[0] += vae_exp_neg(ok[l] - mx);
  }
  double s = 0;
  for (i = 0; i < LANES; i++) s += s8[i];
  *ll += (double)ok[lev] - mx - log(s);
  if (!dk) return;
  const float a = (float)(-1.0 / s);
  for (l = 0; l < L; l++) dk[l] *= a;
  dk[lev] += 1.0f;
}

static VAE_SIMD_CLONES void categorical_loglik(const float *o, size_t W, int L,
                                               int lev, int K, float *d, double *ll) {
  if (L > SOFT_L) {
    for (int k = 0; k < K; k++) wide_softmax(o + k * W, L, lev, d ? d + k * W : NULL, &ll[k]);
    return;
  }
  float t[SOFT_L * SOFT_K], mx[SOFT_K];
  double s[SOFT_K];
  for (int k0 = 0; k0 < K; k0 += SOFT_K) {
    const int nk = K - k0 < SOFT_K ? K - k0 : SOFT_K;
    const float *ob = o + k0 * W;
    for (int l = 0; l < L; l++)
      for (int k = 0; k < nk; k++) t[l * SOFT_K + k] = ob[k * W + l];
    for (int k = 0; k < nk; k++) {
      mx[k] = t[k];
      s[k] = 0;
    }
    for (int l = 1; l < L; l++)
      for (int k = 0; k < nk; k++) {
        const float x = t[l * SOFT_K + k];
        mx[k] = x > mx[k] ? x : mx[k];
      }
    for (int k = 0; k < nk; k++) ll[k0 + k] += (double)t[lev * SOFT_K + k] - mx[k];
    for (int l = 0; l < L; l++)
      for (int k = 0; k < nk; k++) {
        float e = vae_exp_neg(t[l * SOFT_K + k] - mx[k]);
        t[l * SOFT_K + k] = e;
        s[k] += e;
      }
    for (int k = 0; k < nk; k++) ll[k0 + k] -= vae_log((float)s[k]);
    if (!d) continue;
    float *db = d + k0 * W;
    for (int k = 0; k < nk; k++) mx[k] = (float)(-1.0 / s[k]); /* now the scale */
    for (int l = 0; l < L; l++) {
      const float one = l == lev ? 1.0f : 0.0f;
      for (int k = 0; k < nk; k++) db[k * W + l] = t[l * SOFT_K + k] * mx[k] + one;
    }
  }
}

/* Log-likelihoods of one row's observed cells under K decoder outputs (K
** rows of dec_out), added to ll[0..K); with dout (K x dec_out) also their
** gradients d ll / d out, every cell written (0 where not observed).
** Column by column, so that a cell's kind and missingness are looked at
** once for the K samples. */
static VAE_SIMD_CLONES void row_loglik(const vae_model *m, const vae_work *w, const float *xs,
                       const float *out, int K, float *dout, double *ll) {
  const size_t W = (size_t)m->dec_out;
  for (int j = 0; j < m->p; j++) {
    const vae_column *c = &m->cols[j];
    const float v = xs[j], *o = out + m->off[j];
    float *d = dout ? dout + m->off[j] : NULL;
    if (isnan(v)) {
      int L = c->kind == VAE_CATEGORICAL ? c->nlevels : 1;
      if (d)
        for (int k = 0; k < K; k++)
          for (int l = 0; l < L; l++) d[k * W + l] = 0.0f;
      continue;
    }
    if (vae_is_numeric(c->kind)) {
      const double c0 = -0.5 * (LOG_2PI + w->log_var[j]), iv = w->inv_var[j];
      for (int k = 0; k < K; k++) {
        double diff = v - o[k * W];
        ll[k] += c0 - 0.5 * diff * diff * iv;
        if (d) d[k * W] = (float)(diff * iv);
      }
    } else if (c->kind == VAE_BINARY) {
      for (int k = 0; k < K; k++) {
        double l = o[k * W];
        ll[k] += v * l - softplus(l);
        if (d) d[k * W] = (float)(v - 1.0 / (1.0 + exp(-l)));
      }
    } else {
      categorical_loglik(o, W, c->nlevels, (int)v, K, d, ll);
    }
  }
}

double vae_log_ndtr(double t) {
  if (t > 5) return log1p(-0.5 * erfc(t / 1.4142135623730951));
  if (t > -30) return log(0.5 * erfc(-t / 1.4142135623730951));
  /* Mills' asymptotic series: Phi(t) ~ phi(t) / -t (1 - 1/t^2 + 3/t^4). */
  double u = 1.0 / (t * t);
  return -0.5 * t * t - log(-t) - 0.5 * LOG_2PI + log1p(-u + 3 * u * u);
}

double vae_mills(double t) {
  return exp(-0.5 * t * t - 0.5 * LOG_2PI - vae_log_ndtr(t));
}

/* Column l's value in the other columns' missingness models, into mv[p]:
** the cell, or when it is missing the sample's decoder mean (numeric) or
** P(1) (binary); 0 for categorical columns. With dm, also its derivative
** in the decoder output (0 for an observed cell). o: the sample's output. */
static void cross_values(const vae_model *m, const float *xs, const float *o, double *mv,
                         double *dm) {
  for (int l = 0; l < m->p; l++) {
    const int kind = m->cols[l].kind;
    double v = xs[l], g = 0;
    if (kind == VAE_CATEGORICAL) {
      v = 0;
    } else if (isnan(v)) {
      v = o[m->off[l]];
      g = 1;
      if (kind == VAE_BINARY) {
        v = 1.0 / (1.0 + exp(-v));
        g = v * (1 - v);
      }
    }
    mv[l] = v;
    if (dm) dm[l] = g;
  }
}

/* sum over l != j of c_jl mv[l]: the other columns' part of column j's
** missingness probit. */
static double cross_sum(const vae_model *m, int j, const double *mv) {
  const float *c = m->params + m->cross + (size_t)j * m->p;
  double s = 0;
  for (int l = 0; l < m->p; l++)
    if (l != j) s += c[l] * mv[l];
  return s;
}

double vae_cross_offset(const vae_model *m, int j, const float *xs, const float *o) {
  if (!m->cross) return 0;
  double s = 0;
  const float *c = m->params + m->cross + (size_t)j * m->p;
  for (int l = 0; l < m->p; l++) {
    const int kind = m->cols[l].kind;
    if (l == j || kind == VAE_CATEGORICAL || c[l] == 0) continue;
    double v = xs[l];
    if (isnan(v)) {
      v = o[m->off[l]];
      if (kind == VAE_BINARY) v = 1.0 / (1.0 + exp(-v));
    }
    s += c[l] * v;
  }
  return s;
}

/* Does any numeric or binary cell of the row miss (so that the cross
** terms differ from sample to sample)? */
static int row_varies(const vae_model *m, const float *xs) {
  if (!m->cross) return 0;
  for (int l = 0; l < m->p; l++)
    if (isnan(xs[l]) && m->cols[l].kind != VAE_CATEGORICAL) return 1;
  return 0;
}

/* One cell's missingness term at sample output o, with C its cross part:
** log P(s_j | ...) returned, *dC its derivative in C, *dout its derivative
** in the cell's own decoder output (0 for an observed cell). */
static double cell_selection(const vae_model *m, const vae_work *w, int j, float v,
                             const float *o, double C, double *dC, double *dout) {
  const double a = m->params[m->sel + 2 * (size_t)j], b = m->params[m->sel + 2 * (size_t)j + 1];
  if (!isnan(v)) {
    /* d/du log Phi(-u) = -mills(-u) */
    double u = a * v + b + C;
    *dC = -vae_mills(-u);
    *dout = 0;
    return vae_log_ndtr(-u);
  }
  const double y = o[m->off[j]];
  if (vae_is_numeric(m->cols[j].kind)) {
    const double s = sqrt(1.0 + a * a * w->var[j]), t = (a * y + b + C) / s;
    const double g = vae_mills(t) / s;
    *dC = g;
    *dout = a * g;
    return vae_log_ndtr(t);
  }
  const double p1 = vae_normal_cdf(a + b + C), p0 = vae_normal_cdf(b + C);
  const double f1 = exp(-0.5 * (a + b + C) * (a + b + C) - 0.5 * LOG_2PI);
  const double f0 = exp(-0.5 * (b + C) * (b + C) - 0.5 * LOG_2PI);
  double pi = 1.0 / (1.0 + exp(-y)), P = pi * p1 + (1 - pi) * p0;
  if (P < 1e-300) P = 1e-300;
  *dC = (pi * f1 + (1 - pi) * f0) / P;
  *dout = pi * (1 - pi) * (p1 - p0) / P;
  return log(P);
}

/* The missingness model's terms of one row (see the top of this file),
** added to ll[0..K) and to lsel[0..K); with dout also their gradient at
** the decoder outputs of the row's missing cells. */
static void row_selection(const vae_model *m, const vae_work *w, const float *xs,
                          const float *out, int K, float *dout, double *ll, double *lsel) {
  const size_t W = (size_t)m->dec_out;
  const int varies = row_varies(m, xs);
  double *mv = w->mval, *dm = w->mval + m->p;
  double fixed = 0; /* the observed cells' terms when no cross term varies */
  for (int k = 0; k < K; k++) {
    const float *o = out + k * W;
    float *d = dout ? dout + k * W : NULL;
    if (m->cross && (varies || k == 0)) cross_values(m, xs, o, mv, dm);
    double sum = 0;
    for (int j = 0; j < m->p; j++) {
      const vae_column *c = &m->cols[j];
      if (c->kind == VAE_CATEGORICAL) continue;
      if (!isnan(xs[j]) && !varies && k > 0) continue;
      double C = m->cross ? cross_sum(m, j, mv) : 0, dC, dself;
      double l = cell_selection(m, w, j, xs[j], o, C, &dC, &dself);
      if (!isnan(xs[j]) && !varies) {
        fixed += l;
        continue;
      }
      sum += l;
      if (!d) continue;
      d[m->off[j]] += (float)dself;
      if (!varies) continue;
      const float *cj = m->params + m->cross + (size_t)j * m->p;
      for (int l2 = 0; l2 < m->p; l2++)
        if (l2 != j && dm[l2] != 0) d[m->off[l2]] += (float)(dC * cj[l2] * dm[l2]);
    }
    ll[k] += sum + fixed;
    lsel[k] += sum + fixed;
  }
}

/* The missingness parameters' gradient into w->grads, and the missing
** numeric cells' part of d lw / d log-variance param added to dlogvar[p],
** summed over the rows with each sample's weight wn. */
static void selection_backward(const vae_model *m, const vae_work *w, int rows, int K,
                               double scale, double *dlogvar) {
  const size_t W = (size_t)m->dec_out;
  const int p = m->p;
  const float *out = w->dec_h[m->nlayers - 1];
  double *da = w->dsel, *db = da + p, *dv = db + p, *dc = dv + p, *mv = w->mval;
  memset(da, 0, (3 * (size_t)p + (m->cross ? (size_t)p * p : 0)) * sizeof(double));
  for (int r = 0; r < rows; r++) {
    const float *xs = w->xs + (size_t)r * p, *wn = w->wnorm + (size_t)r * K;
    const int varies = row_varies(m, xs);
    for (int k = 0; k < K; k++) {
      const float *o = out + ((size_t)r * K + k) * W;
      if (m->cross && (varies || k == 0)) cross_values(m, xs, o, mv, NULL);
      for (int j = 0; j < p; j++) {
        const vae_column *c = &m->cols[j];
        if (c->kind == VAE_CATEGORICAL) continue;
        const float v = xs[j];
        /* An observed cell's term is the same in every sample unless a
        ** cross term varies: its weights sum to 1. */
        if (!isnan(v) && !varies && k > 0) continue;
        const double wk = !isnan(v) && !varies ? 1.0 : wn[k];
        const double a = m->params[m->sel + 2 * (size_t)j];
        const double b = m->params[m->sel + 2 * (size_t)j + 1];
        double C = m->cross ? cross_sum(m, j, mv) : 0, g, dself;
        cell_selection(m, w, j, v, o, C, &g, &dself);
        g *= wk; /* the weighted derivative in C, = in b */
        db[j] += g;
        if (!isnan(v)) {
          da[j] += g * v;
        } else if (vae_is_numeric(c->kind)) {
          const double var = w->var[j], s = sqrt(1.0 + a * a * var);
          const double t = (a * o[m->off[j]] + b + C) / s;
          da[j] += g * (o[m->off[j]] - t * a * var / s);
          dv[j] -= g * s * t * a * a / (2 * s * s);
        } else {
          const double y = o[m->off[j]], pi = 1.0 / (1.0 + exp(-y));
          double P = pi * vae_normal_cdf(a + b + C) + (1 - pi) * vae_normal_cdf(b + C);
          if (P < 1e-300) P = 1e-300;
          da[j] += wk * pi * exp(-0.5 * (a + b + C) * (a + b + C) - 0.5 * LOG_2PI) / P;
        }
        if (m->cross) {
          double *dcj = dc + (size_t)j * p;
          for (int l = 0; l < p; l++)
            if (l != j) dcj[l] += g * mv[l];
        }
      }
    }
  }
  for (int j = 0; j < p; j++) {
    w->grads[m->sel + 2 * (size_t)j] = (float)(-da[j] / scale);
    w->grads[m->sel + 2 * (size_t)j + 1] = (float)(-db[j] / scale);
    dlogvar[j] += dv[j] * (w->var[j] - VAE_VAR_FLOOR); /* d var / d param */
  }
  if (m->cross)
    for (size_t i = 0; i < (size_t)p * p; i++) w->grads[m->cross + i] = (float)(-dc[i] / scale);
}

double vae_row_loglik(const vae_model *m, const vae_work *w, const float *xs,
                      const float *out, float *dout) {
  double ll = 0;
  row_loglik(m, w, xs, out, 1, dout, &ll);
  return ll;
}

void vae_decode(const vae_model *m, vae_work *w, int rows) {
  const float *h = w->z;
  for (int i = 0; i < m->nlayers; i++) {
    if (i == m->nlayers - 1 && m->nwide) {
      vae_output_forward(m, w, h, rows);
      break;
    }
    dense_forward(&m->dec[i], m->params, h, rows, w->dec_h[i]);
    if (i < m->nlayers - 1) tanh_forward(w->dec_h[i], (size_t)rows * m->dec[i].out);
    h = w->dec_h[i];
  }
}

void vae_encode(const vae_model *m, vae_work *w, int rows) {
  const int d = m->latent, n = m->nlayers;
  for (int j = 0; j < m->p; j++) {
    w->var[j] = exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR;
    w->log_var[j] = log(w->var[j]);
    w->inv_var[j] = 1.0 / w->var[j];
  }
  const float *h = w->enc_x;
  for (int i = 0; i < n; i++) {
    if (i == 0 && m->nwide)
      vae_embed_forward(m, h, rows, w->enc_h[0]);
    else
      dense_forward(&m->enc[i], m->params, h, rows, w->enc_h[i]);
    if (i < n - 1) tanh_forward(w->enc_h[i], (size_t)rows * m->enc[i].out);
    h = w->enc_h[i];
  }
  float *stats = w->enc_h[n - 1]; /* rows x (mu | logvar) */
  for (int r = 0; r < rows; r++) {
    float *lv = stats + (size_t)r * 2 * d + d;
    for (int t = 0; t < d; t++) {
      if (lv[t] < VAE_LOGVAR_MIN) lv[t] = VAE_LOGVAR_MIN;
      if (lv[t] > VAE_LOGVAR_MAX) lv[t] = VAE_LOGVAR_MAX;
    }
  }
}

VAE_SIMD_CLONES void vae_latent(const vae_model *m, const vae_work *w, int r, const float *eps, int K,
                float *z) {
  const int d = m->latent;
  const float *mu = w->enc_h[m->nlayers - 1] + (size_t)r * 2 * d, *lv = mu + d;
  for (int t = 0; t < d; t++) {
    float sigma = expf(0.5f * lv[t]);
    for (int k = 0; k < K; k++) z[(size_t)k * d + t] = mu[t] + sigma * eps[(size_t)k * d + t];
  }
}

VAE_SIMD_CLONES void vae_log_weights(const vae_model *m, const vae_work *w, int r, const float *out,
                     const float *z, const float *eps, int K, double beta, float *dout,
                     double *lw, double *ls) {
  const int d = m->latent;
  const float *xs = w->xs + (size_t)r * m->p;
  for (int k = 0; k < K; k++) lw[k] = 0;
  row_loglik(m, w, xs, out, K, dout, lw);
  if (m->sel) {
    for (int k = 0; k < K; k++) ls[k] = 0;
    row_selection(m, w, xs, out, K, dout, lw, ls);
  }
  const float *lv = w->enc_h[m->nlayers - 1] + (size_t)r * 2 * d + d;
  double lv_sum = 0;
  for (int t = 0; t < d; t++) lv_sum += lv[t];
  for (int k = 0; k < K; k++) {
    const float *zk = z + (size_t)k * d, *e = eps + (size_t)k * d;
    double zz = 0, ee = 0;
    for (int t = 0; t < d; t++) {
      zz += (double)zk[t] * zk[t];
      ee += (double)e[t] * e[t];
    }
    /* log p(z) - log q(z|x): the 2 pi terms cancel. */
    lw[k] += beta * (-0.5 * zz + 0.5 * (ee + lv_sum));
  }
}

VAE_SIMD_CLONES void vae_forward(const vae_model *m, vae_work *w, int rows, int K, double beta,
                 int want_grads) {
  const int d = m->latent, n = m->nlayers;
  vae_encode(m, w, rows);
  /* z_rk = mu_r + sigma_r eps_rk; the clamped values stay in enc_h so that
  ** backward can tell which log-variances were cut (their gradient is 0). */
  for (int r = 0; r < rows; r++)
    vae_latent(m, w, r, w->eps + (size_t)r * K * d, K, w->z + (size_t)r * K * d);
  vae_decode(m, w, rows * K);
  const float *out = w->dec_h[n - 1];
  /* Training takes d log p(x_obs|z) / d out here, while the terms are at
  ** hand; vae_backward scales it by each sample's weight. */
  float *dout = want_grads ? w->g_dec[0] : NULL;
  const size_t W = (size_t)m->dec_out, at = (size_t)K * W;
  for (int r = 0; r < rows; r++)
    vae_log_weights(m, w, r, out + r * at, w->z + (size_t)r * K * d,
                    w->eps + (size_t)r * K * d, K, beta, dout ? dout + r * at : NULL,
                    w->lw + (size_t)r * K, m->sel ? w->lsel + (size_t)r * K : NULL);
}

VAE_SIMD_CLONES double vae_backward(const vae_model *m, vae_work *w, int rows, int K,
                    double beta, double scale, int with_grads) {
  const int d = m->latent, n = m->nlayers, rd = rows * K;
  double total = 0;
  for (int r = 0; r < rows; r++) {
    const double *lw = w->lw + (size_t)r * K;
    float *wn = w->wnorm + (size_t)r * K;
    double mx = lw[0], s = 0;
    for (int k = 1; k < K; k++) if (lw[k] > mx) mx = lw[k];
    for (int k = 0; k < K; k++) {
      double e = exp(lw[k] - mx);
      s += e;
      wn[k] = (float)e;
    }
    total += mx + log(s) - log((double)K);
    float is = (float)(1.0 / s);
    for (int k = 0; k < K; k++) wn[k] *= is;
  }
  if (!with_grads) return -total / scale;

  float *grads = w->grads;
  /* d loss / d lw_rk = -wnorm_rk / scale: scales the likelihood gradient
  ** that vae_forward left in g_dec[0]. A numeric column's log-variance
  ** gradient follows from it: with d = diff / var, d ll / d var =
  ** (d^2 var - 1) / (2 var), and d var / d param = var - floor; summed
  ** over a row's K samples, in double over the batch. */
  float *dout = w->g_dec[0];
  const size_t W = (size_t)m->dec_out;
  double *dlv_sum = w->dlogvar;
  for (int j = 0; j < m->p; j++) dlv_sum[j] = 0;
  for (int r = 0; r < rows; r++) {
    const float *xs = w->xs + (size_t)r * m->p, *wn = w->wnorm + (size_t)r * K;
    const float *dr = dout + (size_t)r * K * W;
    for (int j = 0; j < m->p; j++) {
      if (isnan(xs[j]) || !vae_is_numeric(m->cols[j].kind)) continue;
      double a = 0, b = 0, var = w->var[j];
      for (int k = 0; k < K; k++) {
        double dd = dr[k * W + m->off[j]];
        a += wn[k] * dd * dd;
        b += wn[k];
      }
      dlv_sum[j] += 0.5 * (a * var - b) * w->inv_var[j] * (var - VAE_VAR_FLOOR);
    }
  }
  if (m->sel) selection_backward(m, w, rows, K, scale, dlv_sum);
  for (int j = 0; j < m->p; j++) grads[m->logvar + j] = (float)(-dlv_sum[j] / scale);
  for (int row = 0; row < rd; row++) {
    float g = (float)(-w->wnorm[row] / scale), *dr = dout + (size_t)row * W;
    for (size_t o = 0; o < W; o++) dr[o] *= g;
  }
  /* Decoder backward, last layer first; g_dec ping-pongs. A hidden
  ** layer's bias gradient is summed in the pass through its tanh. */
  float *gy = w->g_dec[0], *gx = w->g_dec[1];
  bias_backward(gy, rd, m->dec_out, grads + m->dec[n - 1].b);
  for (int i = n - 1; i >= 0; i--) {
    const float *x = i > 0 ? w->dec_h[i - 1] : w->z;
    if (i == n - 1 && m->nwide)
      vae_output_backward(m, w, grads, x, gy, rd, gx);
    else
      dense_backward_weights(&m->dec[i], m->params, grads, x, gy, rd, gx);
    if (i > 0) tanh_backward_bias(w->dec_h[i - 1], gx, rd, m->dec[i].in, grads + m->dec[i - 1].b);
    float *t = gy; gy = gx; gx = t;
  }
  float *dz = gy; /* rd x latent */
  /* Latent: dz += g * beta * (-z); then to mu and logvar through the
  ** reparameterization, plus the +beta/2 from -log q per log-variance. */
  float *stats = w->enc_h[n - 1];
  float *dstats = w->g_enc[0];
  for (int r = 0; r < rows; r++) {
    const float *mu = stats + (size_t)r * 2 * d, *lv = mu + d;
    float *dmu = dstats + (size_t)r * 2 * d, *dlv = dmu + d;
    memset(dmu, 0, 2 * (size_t)d * sizeof(float));
    for (int k = 0; k < K; k++) {
      size_t row = (size_t)r * K + k;
      float g = (float)(-w->wnorm[row] / scale);
      const float *z = w->z + row * d;
      float *gz = dz + row * d;
      for (int t = 0; t < d; t++) {
        /* d z / d logvar = sigma eps / 2 = (z - mu) / 2 */
        float dzt = gz[t] - g * (float)beta * z[t];
        dmu[t] += dzt;
        dlv[t] += dzt * 0.5f * (z[t] - mu[t]) + g * (float)beta * 0.5f;
      }
    }
    for (int t = 0; t < d; t++)
      if (lv[t] <= VAE_LOGVAR_MIN || lv[t] >= VAE_LOGVAR_MAX) dlv[t] = 0;
  }
  gy = w->g_enc[0];
  gx = w->g_enc[1];
  bias_backward(gy, rows, 2 * d, grads + m->enc[n - 1].b);
  for (int i = n - 1; i >= 0; i--) {
    const float *x = i > 0 ? w->enc_h[i - 1] : w->enc_x;
    if (i == 0 && m->nwide)
      vae_embed_backward(m, grads, x, gy, rows);
    else
      dense_backward_weights(&m->enc[i], m->params, grads, x, gy, rows, i > 0 ? gx : NULL);
    if (i > 0) tanh_backward_bias(w->enc_h[i - 1], gx, rows, m->enc[i].in, grads + m->enc[i - 1].b);
    float *t = gy; gy = gx; gx = t;
  }
  return -total / scale;
}
