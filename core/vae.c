/*
** vae.c -- the model object: configuration defaults and checks, the layout
** of the network for a set of columns, creation with column statistics,
** and accessors. Training is in train.c, inference in infer.c, the
** objective and its gradient in objective.c, the blob in blob.c.
*/
#include "model.h"
#include "mem.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vae_set_error(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

void vae_config_default(vae_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->latent = 0; /* from the data: see choose_latent */
  cfg->nhidden = 2;
  /* Chosen by held-out imputation error per second of fit on the numeric
  ** shared data sets (bench/impute.py): 64-wide layers at lr 2e-3 matched
  ** 128-wide ones at a third of the time. */
  cfg->hidden[0] = 64;
  cfg->hidden[1] = 64;
  cfg->epochs = 500;
  cfg->batch = 64;
  cfg->lr = 2e-3;
  cfg->beta = 1.0;
  cfg->samples = 16;
  cfg->impute_samples = 256;
  cfg->seed = 0;
  cfg->holdout = 0.1;
  cfg->max_rows = 0;
  cfg->verbose = 0;
  cfg->mask_rate = 0.1;
  cfg->patience = 30;
}

/* Memory above which a configuration is refused before anything is
** allocated: a fit should fail with a message, not be killed by the OS. */
#define VAE_MEMORY_LIMIT (4.0 * 1024 * 1024 * 1024)

static int encoded_width(const vae_column *cols, int p) {
  long w = 0;
  for (int j = 0; j < p; j++)
    w += cols[j].kind == VAE_CATEGORICAL ? cols[j].nlevels : 1;
  return w > 0x7fffffff ? -1 : (int)w;
}

static int choose_latent(int x_width) {
  int d = x_width / 2;
  if (d < 2) d = 2;
  if (d > 16) d = 16;
  return d;
}

/* Float counts of parameters and of the largest workspace, in double so
** that absurd widths cannot overflow before they are refused. */
static void estimate_size(const vae_config *cfg, int p, double x_width,
                          double *params, double *work) {
  double latent = cfg->latent > 0 ? cfg->latent : 16;
  double prev = x_width + p, total = 0, widest = prev;
  for (int i = 0; i < cfg->nhidden; i++) {
    total += prev * cfg->hidden[i] + cfg->hidden[i];
    prev = cfg->hidden[i];
    if (prev > widest) widest = prev;
  }
  total += prev * 2 * latent + 2 * latent;
  total *= 2; /* decoder mirrors the encoder */
  *params = total + p;
  if (x_width > widest) widest = x_width;
  double rows = (double)cfg->batch * cfg->samples;
  *work = rows * widest * (cfg->nhidden + 4) + (*params) * 4;
}

int vae_config_check(const vae_config *cfg, int ncols, char *err,
                     size_t errlen) {
#define BAD(...) do { vae_set_error(err, errlen, __VA_ARGS__); return VAE_INVALID; } while (0)
  if (ncols < 1) BAD("no columns to model");
  if (cfg->latent < 0 || cfg->latent > 4096) BAD("latent must be from 1 to 4096");
  if (cfg->nhidden < 0 || cfg->nhidden > VAE_MAX_HIDDEN)
    BAD("hidden must list at most %d widths", VAE_MAX_HIDDEN);
  for (int i = 0; i < cfg->nhidden; i++)
    if (cfg->hidden[i] < 1 || cfg->hidden[i] > 65536)
      BAD("hidden widths must be from 1 to 65536");
  if (cfg->epochs < 1) BAD("epochs must be at least 1");
  if (cfg->batch < 1) BAD("batch must be at least 1");
  if (!(cfg->lr > 0 && cfg->lr <= 1)) BAD("lr must be greater than 0 and at most 1");
  if (!(cfg->beta >= 0 && cfg->beta <= 1000)) BAD("beta must be from 0 to 1000");
  if (cfg->samples < 1 || cfg->samples > 10000) BAD("samples must be from 1 to 10000");
  if (cfg->impute_samples < 1 || cfg->impute_samples > 1000000)
    BAD("impute_samples must be from 1 to 1000000");
  if (!(cfg->holdout >= 0 && cfg->holdout < 0.9)) BAD("holdout must be from 0 to below 0.9");
  if (cfg->max_rows < 0) BAD("max_rows must not be negative");
  if (!(cfg->mask_rate >= 0 && cfg->mask_rate < 0.95)) BAD("mask_rate must be from 0 to below 0.95");
  if (cfg->patience < 1) BAD("patience must be at least 1");
  double params, work;
  estimate_size(cfg, ncols, ncols, &params, &work);
  if ((params + work) * sizeof(float) > VAE_MEMORY_LIMIT || params > 2e9)
    BAD("the network is too large: about %.0f MiB needed, the limit is %.0f MiB"
        " (reduce hidden, latent, batch or samples)",
        (params + work) * sizeof(float) / 1048576.0, VAE_MEMORY_LIMIT / 1048576.0);
  return VAE_OK;
#undef BAD
}

static void free_columns(vae_column *cols, int p) {
  if (!cols) return;
  for (int j = 0; j < p; j++) {
    vae_free(cols[j].name);
    if (cols[j].levels)
      for (int l = 0; l < cols[j].nlevels; l++) vae_free(cols[j].levels[l]);
    vae_free(cols[j].levels);
  }
  vae_free(cols);
}

static int copy_columns(const vae_column *src, int p, vae_column **out) {
  vae_column *cols = vae_calloc((size_t)p, sizeof *cols);
  if (!cols) return VAE_NOMEM;
  for (int j = 0; j < p; j++) {
    cols[j] = src[j];
    cols[j].name = NULL;
    cols[j].levels = NULL;
    cols[j].nlevels = 0;
  }
  for (int j = 0; j < p; j++) {
    cols[j].name = vae_strdup(src[j].name ? src[j].name : "");
    if (!cols[j].name) goto nomem;
    if (src[j].kind == VAE_CATEGORICAL) {
      cols[j].levels = vae_calloc((size_t)src[j].nlevels, sizeof(char *));
      if (!cols[j].levels) goto nomem;
      cols[j].nlevels = src[j].nlevels;
      for (int l = 0; l < src[j].nlevels; l++)
        if (!(cols[j].levels[l] = vae_strdup(src[j].levels[l]))) goto nomem;
    }
  }
  *out = cols;
  return VAE_OK;
nomem:
  free_columns(cols, p);
  return VAE_NOMEM;
}

void vae_model_free(vae_model *m) {
  if (!m) return;
  free_columns(m->cols, m->p);
  vae_free(m->off);
  vae_free(m->params);
  vae_free(m);
}

/* Lays out the encoder (values + mask -> hidden... -> mu | logvar) and the
** decoder (z -> hidden reversed... -> per-column outputs) in one array. */
static void layout(vae_model *m) {
  size_t at = 0;
  int prev = m->enc_in, n = m->cfg.nhidden;
  for (int i = 0; i <= n; i++) {
    int out = i < n ? m->cfg.hidden[i] : 2 * m->latent;
    m->enc[i] = (vae_dense){prev, out, at, at + (size_t)prev * out};
    at += (size_t)prev * out + out;
    prev = out;
  }
  prev = m->latent;
  for (int i = 0; i <= n; i++) {
    int out = i < n ? m->cfg.hidden[n - 1 - i] : m->dec_out;
    m->dec[i] = (vae_dense){prev, out, at, at + (size_t)prev * out};
    at += (size_t)prev * out + out;
    prev = out;
  }
  m->nlayers = n + 1;
  m->logvar = at;
  m->nparams = at + (size_t)m->p;
}

int vae_model_alloc(const vae_column *cols, int p, const vae_config *cfg,
                    vae_model **out, char *err, size_t errlen) {
  *out = NULL;
  for (int j = 0; j < p; j++) {
    if (cols[j].kind < VAE_REAL || cols[j].kind > VAE_CATEGORICAL) {
      vae_set_error(err, errlen, "column %d has an unknown kind", j);
      return VAE_INVALID;
    }
    if (cols[j].kind == VAE_CATEGORICAL && (cols[j].nlevels < 1 || !cols[j].levels)) {
      vae_set_error(err, errlen, "categorical column \"%s\" has no levels",
                    cols[j].name ? cols[j].name : "");
      return VAE_INVALID;
    }
  }
  int rc = vae_config_check(cfg, p, err, errlen);
  if (rc) return rc;
  int x_width = encoded_width(cols, p);
  if (x_width < 0 || x_width > 10000000) {
    vae_set_error(err, errlen, "too many categories: %ld one-hot inputs", (long)x_width);
    return VAE_INVALID;
  }
  double params, work;
  estimate_size(cfg, p, x_width, &params, &work);
  if ((params + work) * sizeof(float) > VAE_MEMORY_LIMIT || params > 2e9) {
    vae_set_error(err, errlen,
                  "the network is too large for %d inputs: about %.0f MiB needed",
                  x_width, (params + work) * sizeof(float) / 1048576.0);
    return VAE_INVALID;
  }
  vae_model *m = vae_calloc(1, sizeof *m);
  if (!m) return VAE_NOMEM;
  m->p = p;
  m->cfg = *cfg;
  m->x_width = x_width;
  m->enc_in = x_width + p;
  m->dec_out = x_width;
  m->latent = cfg->latent > 0 ? cfg->latent : choose_latent(x_width);
  m->cfg.latent = m->latent;
  if (copy_columns(cols, p, &m->cols)) {
    vae_free(m);
    return VAE_NOMEM;
  }
  m->off = vae_calloc((size_t)p, sizeof(int));
  if (!m->off) goto nomem;
  for (int j = 0, at = 0; j < p; j++) {
    m->off[j] = at;
    at += cols[j].kind == VAE_CATEGORICAL ? cols[j].nlevels : 1;
  }
  layout(m);
  m->params = vae_calloc(m->nparams, sizeof(float));
  if (!m->params) goto nomem;
  *out = m;
  return VAE_OK;
nomem:
  vae_model_free(m);
  return VAE_NOMEM;
}

/* Glorot-uniform weights, zero biases; decoder log-variances start at 0
** (unit variance in standardized units). */
void vae_model_init_params(vae_model *m, uint64_t seed) {
  vae_rng rng;
  vae_rng_seed(&rng, vae_seed_mix(seed, 0x1417));
  memset(m->params, 0, m->nparams * sizeof(float));
  for (int side = 0; side < 2; side++)
    for (int i = 0; i < m->nlayers; i++) {
      const vae_dense *L = side ? &m->dec[i] : &m->enc[i];
      double a = sqrt(6.0 / (L->in + L->out));
      float *W = m->params + L->w;
      for (size_t k = 0; k < (size_t)L->in * L->out; k++)
        W[k] = (float)((2.0 * vae_rng_uniform(&rng) - 1.0) * a);
    }
}

/* Mean, sd and third standardized moment of the observed values of column
** j, of log(v) when take_log. */
static void moments(const float *data, int64_t n, int p, int j, int take_log,
                    double *mean, double *sd, double *skew, int64_t *count) {
  double sum = 0, m2 = 0, m3 = 0;
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    double v = data[i * p + j];
    if (isnan(v)) continue;
    sum += take_log ? log(v) : v;
    k++;
  }
  double mu = k ? sum / k : 0;
  for (int64_t i = 0; i < n; i++) {
    double v = data[i * p + j];
    if (isnan(v)) continue;
    double d = (take_log ? log(v) : v) - mu;
    m2 += d * d;
    m3 += d * d * d;
  }
  *mean = mu;
  *sd = k > 1 ? sqrt(m2 / (k - 1)) : 0;
  *skew = k > 2 && m2 > 0 ? (m3 / k) / pow(m2 / k, 1.5) : 0;
  *count = k;
}

/* Positive values with a long right tail (weights, areas, incomes) are
** modeled on the log scale: a Gaussian on the raw values would put mass
** below zero and miss the tail. */
#define LOG_SCALE_SKEW 2.0
#define LOG_SCALE_MIN_ROWS 10

static void column_stats(vae_column *c, const float *data, int64_t n, int p,
                         int j) {
  double lo = INFINITY, hi = -INFINITY, mean, sd, skew;
  int64_t k;
  for (int64_t i = 0; i < n; i++) {
    double v = data[i * p + j];
    if (isnan(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  moments(data, n, p, j, 0, &mean, &sd, &skew, &k);
  c->observed = k;
  c->raw_sd = sd > 0 ? sd : 1.0;
  c->log_scale = 0;
  if (vae_is_numeric(c->kind)) {
    c->min = k ? lo : 0;
    c->max = k ? hi : 0;
    if (k >= LOG_SCALE_MIN_ROWS && lo > 0 && skew > LOG_SCALE_SKEW) {
      double lmean, lsd, lskew;
      moments(data, n, p, j, 1, &lmean, &lsd, &lskew, &k);
      if (fabs(lskew) < skew) {
        c->log_scale = 1;
        mean = lmean;
        sd = lsd;
      }
    }
    c->mean = mean;
    /* A constant column gets a unit scale: it stays constant on output. */
    c->sd = sd > 1e-12 * (fabs(mean) + 1) ? sd : 1.0;
  } else {
    c->mean = 0;
    c->sd = 1;
    c->min = 0;
    c->max = c->kind == VAE_BINARY ? 1 : c->nlevels - 1;
  }
}

int vae_check_data(const vae_column *cols, int p, const float *data,
                   int64_t n, char *err, size_t errlen) {
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < p; j++) {
      float v = data[i * p + j];
      if (isnan(v)) continue;
      if (isinf(v)) {
        vae_set_error(err, errlen, "column \"%s\" has an infinite value", cols[j].name);
        return VAE_INVALID;
      }
      int bad = 0;
      if (cols[j].kind == VAE_BINARY) bad = v != 0 && v != 1;
      if (cols[j].kind == VAE_CATEGORICAL)
        bad = v < 0 || v >= cols[j].nlevels || v != floorf(v);
      if (bad) {
        vae_set_error(err, errlen, "column \"%s\": value %g is not a valid %s",
                      cols[j].name, (double)v, vae_kind_name(cols[j].kind));
        return VAE_INVALID;
      }
    }
  return VAE_OK;
}

int vae_model_create(const vae_column *cols, int p, const vae_config *cfg,
                     const float *data, int64_t n, vae_model **out,
                     char *err, size_t errlen) {
  *out = NULL;
  int rc = vae_check_data(cols, p, data, n, err, errlen);
  if (rc) return rc;
  vae_model *m;
  rc = vae_model_alloc(cols, p, cfg, &m, err, errlen);
  if (rc) return rc;
  for (int j = 0; j < p; j++) column_stats(&m->cols[j], data, n, p, j);
  vae_model_init_params(m, cfg->seed);
  *out = m;
  return VAE_OK;
}

int vae_model_ncols(const vae_model *m) { return m->p; }

const vae_column *vae_model_column(const vae_model *m, int i) {
  return i >= 0 && i < m->p ? &m->cols[i] : NULL;
}

/* Column names compare as SQL identifiers do: ASCII case-insensitively. */
static int same_identifier(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = (unsigned char)*a, y = (unsigned char)*b;
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return 0;
    if (!x) return 1;
  }
}

int vae_model_column_index(const vae_model *m, const char *name) {
  for (int j = 0; j < m->p; j++)
    if (same_identifier(m->cols[j].name, name)) return j;
  return -1;
}

int vae_column_level(const vae_column *c, const char *s, size_t len) {
  if (c->kind != VAE_CATEGORICAL) return -1;
  for (int l = 0; l < c->nlevels; l++)
    if (strlen(c->levels[l]) == len && memcmp(c->levels[l], s, len) == 0) return l;
  return -1;
}

const vae_config *vae_model_config(const vae_model *m) { return &m->cfg; }

void vae_report_free(vae_report *rep) {
  if (!rep) return;
  vae_free(rep->train_loss);
  vae_free(rep->val_loss);
  vae_free(rep->holdout_error);
  memset(rep, 0, sizeof *rep);
}
