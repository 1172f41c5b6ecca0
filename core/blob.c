/*
** blob.c -- the model as bytes, for the vae_models table.
**
** Layout, every integer little-endian, floats as IEEE-754 bits:
**   "VAEM" u32 version
**   config: u32 latent, nhidden, hidden[nhidden], epochs, batch, samples,
**           impute_samples, patience, verbose; u64 seed; i64 max_rows;
**           f64 lr, beta, holdout, mask_rate; since version 4: u32 missing
**           (0 MAR, 1 MNAR: then params hold the missingness model too)
**   u32 p, then per column: str name, u32 kind, f64 mean sd min max,
**           i64 observed, u32 nlevels, str levels[nlevels],
**           and for real and integer columns u32 nq, f32 quantiles[nq]
**   since version 5: after each column's kind, u32 format (the caller's
**           code, vae_column.format; read as 0 from older versions)
**   since version 3: f32 blend[p] (the network's share of each column's
**           estimate), u32 d, and when d > 0 the linear part: f64 mean[d],
**           f64 cov[d * (d + 1) / 2] (lower triangle, by rows)
**   u64 nparams, f32 params[nparams]
**   u32 CRC-32 of all bytes before it
** (str = u32 length + bytes). The reader checks the checksum first, then
** every length against what is left, so a damaged blob is refused and never
** read past its end.
*/
#include "mem.h"
#include "model.h"
#include "transform.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define BLOB_MAGIC "VAEM"
#define BLOB_VERSION 5u
#define BLOB_OLDEST_VERSION 2u
#define MAX_COLUMNS 100000u
#define MAX_LEVELS 10000000u

static uint32_t crc32_bytes(const unsigned char *p, size_t n) {
  static uint32_t table[256];
  static int ready = 0;
  if (!ready) {
    for (uint32_t i = 0; i < 256; i++) {
      uint32_t c = i;
      for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    ready = 1;
  }
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

/* ---- writing: first pass counts (buf NULL), second pass fills. ---- */
typedef struct {
  unsigned char *buf;
  size_t at;
} writer;

static void put_bytes(writer *w, const void *src, size_t n) {
  if (w->buf) memcpy(w->buf + w->at, src, n);
  w->at += n;
}
static void put_u64(writer *w, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 8);
}
static void put_u32(writer *w, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  put_bytes(w, b, 4);
}
static void put_f64(writer *w, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  put_u64(w, u);
}
static void put_str(writer *w, const char *s) {
  size_t n = strlen(s);
  put_u32(w, (uint32_t)n);
  put_bytes(w, s, n);
}

static void write_model(writer *w, const vae_model *m) {
  const vae_config *c = &m->cfg;
  put_bytes(w, BLOB_MAGIC, 4);
  put_u32(w, BLOB_VERSION);
  put_u32(w, (uint32_t)c->latent);
  put_u32(w, (uint32_t)c->nhidden);
  for (int i = 0; i < c->nhidden; i++) put_u32(w, (uint32_t)c->hidden[i]);
  put_u32(w, (uint32_t)c->epochs);
  put_u32(w, (uint32_t)c->batch);
  put_u32(w, (uint32_t)c->samples);
  put_u32(w, (uint32_t)c->impute_samples);
  put_u32(w, (uint32_t)c->patience);
  put_u32(w, (uint32_t)c->verbose);
  put_u64(w, c->seed);
  put_u64(w, (uint64_t)c->max_rows);
  put_f64(w, c->lr);
  put_f64(w, c->beta);
  put_f64(w, c->holdout);
  put_f64(w, c->mask_rate);
  put_u32(w, (uint32_t)c->missing);
  put_u32(w, (uint32_t)m->p);
  for (int j = 0; j < m->p; j++) {
    const vae_column *col = &m->cols[j];
    put_str(w, col->name);
    put_u32(w, (uint32_t)col->kind);
    put_u32(w, (uint32_t)col->format);
    put_f64(w, col->mean);
    put_f64(w, col->sd);
    put_f64(w, col->min);
    put_f64(w, col->max);
    put_u64(w, (uint64_t)col->observed);
    put_u32(w, (uint32_t)col->nlevels);
    for (int l = 0; l < col->nlevels; l++) put_str(w, col->levels[l]);
    if (col->kind == VAE_REAL || col->kind == VAE_INTEGER) {
      put_u32(w, (uint32_t)col->nq);
      for (int k = 0; k < col->nq; k++) {
        uint32_t u;
        memcpy(&u, &col->quantiles[k], 4);
        put_u32(w, u);
      }
    }
  }
  for (int j = 0; j < m->p; j++) {
    uint32_t u;
    memcpy(&u, &m->blend[j], 4);
    put_u32(w, u);
  }
  const vae_linear *lin = &m->lin;
  put_u32(w, (uint32_t)lin->d);
  for (int a = 0; a < lin->d; a++) put_f64(w, lin->mean[a]);
  for (int a = 0; a < lin->d; a++)
    for (int c = 0; c <= a; c++) put_f64(w, lin->cov[(size_t)a * lin->d + c]);
  put_u64(w, (uint64_t)m->nparams);
  for (size_t i = 0; i < m->nparams; i++) {
    uint32_t u;
    memcpy(&u, &m->params[i], 4);
    put_u32(w, u);
  }
}

int vae_model_save(const vae_model *m, unsigned char **blob, size_t *len) {
  writer w = {NULL, 0};
  write_model(&w, m);
  size_t n = w.at + 4;
  w.buf = vae_malloc(&m->mem, n);
  if (!w.buf) return VAE_NOMEM;
  w.at = 0;
  write_model(&w, m);
  put_u32(&w, crc32_bytes(w.buf, w.at));
  *blob = w.buf;
  *len = n;
  return VAE_OK;
}

/* ---- reading: every get checks what is left; a failure sticks. ---- */
typedef struct {
  const unsigned char *p;
  size_t left;
  int bad;
  const vae_allocator *mem; /* for what is read out: names, levels, ... */
} reader;

static int take(reader *r, void *dst, size_t n) {
  if (r->bad || n > r->left) {
    r->bad = 1;
    if (dst) memset(dst, 0, n);
    return 0;
  }
  if (dst) memcpy(dst, r->p, n);
  r->p += n;
  r->left -= n;
  return 1;
}
static uint64_t get_u64(reader *r) {
  unsigned char b[8];
  uint64_t v = 0;
  take(r, b, 8);
  for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}
static uint32_t get_u32(reader *r) {
  unsigned char b[4];
  uint32_t v = 0;
  take(r, b, 4);
  for (int i = 3; i >= 0; i--) v = (v << 8) | b[i];
  return v;
}
static double get_f64(reader *r) {
  uint64_t u = get_u64(r);
  double v;
  memcpy(&v, &u, 8);
  return v;
}
/* A NUL-terminated copy, or NULL with *nomem set or r->bad set. */
static char *get_str(reader *r, int *nomem) {
  uint32_t n = get_u32(r);
  if (r->bad || n > r->left) {
    r->bad = 1;
    return NULL;
  }
  char *s = vae_malloc(r->mem, (size_t)n + 1);
  if (!s) {
    *nomem = 1;
    return NULL;
  }
  take(r, s, n);
  s[n] = 0;
  if (strlen(s) != n) { /* an embedded NUL: not a name we wrote */
    vae_free(r->mem, s);
    r->bad = 1;
    return NULL;
  }
  return s;
}

static void free_cols(const vae_allocator *a, vae_column *cols, int p) {
  if (!cols) return;
  for (int j = 0; j < p; j++) {
    vae_free(a, cols[j].name);
    for (int l = 0; cols[j].levels && l < cols[j].nlevels; l++) vae_free(a, cols[j].levels[l]);
    vae_free(a, cols[j].levels);
    vae_free(a, cols[j].quantiles);
  }
  vae_free(a, cols);
}

/* Shares and the linear part (version 3 on), checked before anything is
** sized by them: d must be the columns' encoded width, every number
** finite, shares within [0, 1], variances positive. Version 2 blobs get
** the network alone. */
static int read_linear(reader *r, uint32_t version, const vae_column *cols,
                       uint32_t p, float *blend, vae_linear *lin) {
  for (uint32_t j = 0; j < p; j++) blend[j] = 1.0f;
  if (version < 3) return VAE_OK;
  for (uint32_t j = 0; j < p; j++) {
    uint32_t u = get_u32(r);
    memcpy(&blend[j], &u, 4);
    if (!(blend[j] >= 0.0f && blend[j] <= 1.0f)) r->bad = 1;
  }
  uint32_t d = get_u32(r);
  if (r->bad) return VAE_CORRUPT;
  if (d == 0) return VAE_OK;
  uint64_t width = 0;
  for (uint32_t j = 0; j < p; j++)
    width += cols[j].kind == VAE_CATEGORICAL ? (uint64_t)cols[j].nlevels : 1;
  if (d != width || d > VAE_LINEAR_MAX_WIDTH ||
      ((uint64_t)d + (uint64_t)d * (d + 1) / 2) * 8 > r->left)
    return VAE_CORRUPT;
  lin->mean = vae_malloc(r->mem, d * sizeof(double));
  lin->cov = vae_malloc(r->mem, (size_t)d * d * sizeof(double));
  if (!lin->mean || !lin->cov) {
    vae_linear_free(r->mem, lin);
    return VAE_NOMEM;
  }
  lin->d = (int)d;
  for (uint32_t a = 0; a < d; a++)
    if (!isfinite(lin->mean[a] = get_f64(r))) r->bad = 1;
  for (uint32_t a = 0; a < d; a++)
    for (uint32_t c = 0; c <= a; c++) {
      double v = get_f64(r);
      if (!isfinite(v) || (a == c && !(v > 0))) r->bad = 1;
      lin->cov[(size_t)a * d + c] = lin->cov[(size_t)c * d + a] = v;
    }
  return r->bad ? VAE_CORRUPT : VAE_OK;
}

int vae_model_load(const vae_allocator *mem, const unsigned char *blob, size_t len,
                   vae_model **out, char *err, size_t errlen) {
  *out = NULL;
  if (!blob || len < 12 || memcmp(blob, BLOB_MAGIC, 4) != 0) {
    vae_set_error(err, errlen, "not a vae model");
    return VAE_CORRUPT;
  }
  reader r = {blob + 4, len - 8, 0, mem};
  uint32_t version = get_u32(&r);
  if (version < BLOB_OLDEST_VERSION || version > BLOB_VERSION) {
    vae_set_error(err, errlen,
                  "model format version %u is not supported (this build reads %u to %u)",
                  version, BLOB_OLDEST_VERSION, BLOB_VERSION);
    return VAE_CORRUPT;
  }
  reader tail = {blob + len - 4, 4, 0, mem};
  if (get_u32(&tail) != crc32_bytes(blob, len - 4)) {
    vae_set_error(err, errlen, "model is damaged (checksum mismatch)");
    return VAE_CORRUPT;
  }
  vae_config cfg;
  vae_config_default(&cfg);
  cfg.latent = (int)get_u32(&r);
  uint32_t nhidden = get_u32(&r);
  if (nhidden > VAE_MAX_HIDDEN) r.bad = 1;
  cfg.nhidden = r.bad ? 0 : (int)nhidden;
  for (int i = 0; i < cfg.nhidden; i++) cfg.hidden[i] = (int)get_u32(&r);
  cfg.epochs = (int)get_u32(&r);
  cfg.batch = (int)get_u32(&r);
  cfg.samples = (int)get_u32(&r);
  cfg.impute_samples = (int)get_u32(&r);
  cfg.patience = (int)get_u32(&r);
  cfg.verbose = (int)get_u32(&r);
  cfg.seed = get_u64(&r);
  cfg.max_rows = (int64_t)get_u64(&r);
  cfg.lr = get_f64(&r);
  cfg.beta = get_f64(&r);
  cfg.holdout = get_f64(&r);
  cfg.mask_rate = get_f64(&r);
  if (version >= 4) {
    uint32_t missing = get_u32(&r);
    if (missing > VAE_MNAR) r.bad = 1;
    cfg.missing = (int)missing;
  }
  uint32_t p = get_u32(&r);
  /* A column takes at least 52 bytes (an empty name; u32 length, u32 kind,
  ** 4 f64, i64 observed, u32 nlevels): a damaged count may not make the
  ** reader allocate for columns that the blob cannot hold. */
  if (r.bad || p < 1 || p > MAX_COLUMNS || p > r.left / 52 || cfg.latent < 1) {
    vae_set_error(err, errlen, "model is damaged (bad header)");
    return VAE_CORRUPT;
  }
  int nomem = 0, rc = VAE_CORRUPT;
  vae_column *cols = vae_calloc(mem, p, sizeof *cols);
  float *blend = vae_malloc(mem, p * sizeof(float));
  vae_linear lin = {0, NULL, NULL};
  vae_model *m = NULL;
  if (!cols || !blend) {
    vae_free(mem, cols);
    vae_free(mem, blend);
    return VAE_NOMEM;
  }
  for (uint32_t j = 0; j < p && !r.bad && !nomem; j++) {
    vae_column *c = &cols[j];
    c->name = get_str(&r, &nomem);
    c->kind = (int)get_u32(&r);
    if (version >= 5) {
      uint32_t f = get_u32(&r);
      if (f > 0x7fffffffu) r.bad = 1; /* an int of the caller's */
      c->format = (int)(f & 0x7fffffffu);
    }
    c->mean = get_f64(&r);
    c->sd = get_f64(&r);
    c->min = get_f64(&r);
    c->max = get_f64(&r);
    c->observed = (int64_t)get_u64(&r);
    uint32_t nlevels = get_u32(&r);
    if (r.bad || nomem) break;
    int numeric = c->kind == VAE_REAL || c->kind == VAE_INTEGER;
    if (c->kind < VAE_REAL || c->kind > VAE_CATEGORICAL ||
        (c->kind == VAE_CATEGORICAL) != (nlevels > 0) || nlevels > MAX_LEVELS ||
        nlevels > r.left / 4 || !(c->sd > 0 && isfinite(c->sd)) ||
        !isfinite(c->mean) || !isfinite(c->min) ||
        !isfinite(c->max) || !(numeric ? c->sd > 0 && isfinite(c->sd) : 1) ||
        /* outputs are clamped to [min, max] and returned as floats */
        (numeric && !(c->min <= c->max && fabs(c->min) <= FLT_MAX && fabs(c->max) <= FLT_MAX)) ||
        c->observed < 0) {
      r.bad = 1;
      break;
    }
    if (nlevels) {
      if (!(c->levels = vae_calloc(mem, nlevels, sizeof(char *)))) { nomem = 1; break; }
      c->nlevels = (int)nlevels;
      for (uint32_t l = 0; l < nlevels && !r.bad && !nomem; l++)
        c->levels[l] = get_str(&r, &nomem);
    }
    if (numeric && !r.bad && !nomem) {
      uint32_t nq = get_u32(&r);
      if (r.bad || nq < 1 || nq > VAE_MAX_QUANTILES || nq > r.left / 4) {
        r.bad = 1;
        break;
      }
      if (!(c->quantiles = vae_malloc(mem, nq * sizeof(float)))) { nomem = 1; break; }
      c->nq = (int)nq;
      for (uint32_t k = 0; k < nq; k++) {
        uint32_t u = get_u32(&r);
        memcpy(&c->quantiles[k], &u, 4);
        /* finite and sorted, or the score map is not monotone */
        if (!isfinite(c->quantiles[k]) || (k && c->quantiles[k] < c->quantiles[k - 1])) r.bad = 1;
      }
    }
  }
  if (nomem) { rc = VAE_NOMEM; goto done; }
  if (r.bad) { vae_set_error(err, errlen, "model is damaged (bad columns)"); goto done; }
  rc = read_linear(&r, version, cols, p, blend, &lin);
  if (rc == VAE_NOMEM) goto done;
  if (rc) { vae_set_error(err, errlen, "model is damaged (bad linear part)"); goto done; }
  rc = VAE_CORRUPT;
  char why[200];
  /* The parameters must be exactly what is left (but the u64 count): a
  ** damaged header may not make the reader allocate a network that the
  ** blob does not hold. Checked before vae_model_alloc allocates. */
  rc = vae_config_check(&cfg, (int)p, why, sizeof why);
  if (rc) {
    vae_set_error(err, errlen, "model is damaged (%s)", why);
    rc = VAE_CORRUPT;
    goto done;
  }
  if (r.left < 8 || (r.left - 8) % 4 != 0 ||
      (r.left - 8) / 4 != vae_param_count(cols, (int)p, &cfg)) {
    vae_set_error(err, errlen, "model is damaged (parameter count)");
    rc = VAE_CORRUPT;
    goto done;
  }
  rc = vae_model_alloc(mem, cols, (int)p, &cfg, &m, why, sizeof why);
  if (rc == VAE_NOMEM) goto done;
  if (rc) {
    vae_set_error(err, errlen, "model is damaged (%s)", why);
    rc = VAE_CORRUPT;
    goto done;
  }
  memcpy(m->blend, blend, p * sizeof(float));
  m->lin = lin;
  memset(&lin, 0, sizeof lin);
  /* vae_model_alloc copied names and levels but not the statistics. */
  for (uint32_t j = 0; j < p; j++) {
    m->cols[j].mean = cols[j].mean;
    m->cols[j].sd = cols[j].sd;
    m->cols[j].min = cols[j].min;
    m->cols[j].max = cols[j].max;
    m->cols[j].observed = cols[j].observed;
  }
  uint64_t nparams = get_u64(&r);
  if (r.bad || nparams != m->nparams || r.left != nparams * 4) {
    vae_set_error(err, errlen, "model is damaged (parameter count)");
    rc = VAE_CORRUPT;
    goto done;
  }
  for (size_t i = 0; i < m->nparams; i++) {
    uint32_t u = get_u32(&r);
    memcpy(&m->params[i], &u, 4);
    if (!isfinite(m->params[i])) {
      vae_set_error(err, errlen, "model is damaged (parameter %zu is not finite)", i);
      rc = VAE_CORRUPT;
      goto done;
    }
  }
  rc = VAE_OK;
done:
  free_cols(mem, cols, (int)p);
  vae_free(mem, blend);
  vae_linear_free(mem, &lin);
  if (rc == VAE_OK) *out = m;
  else vae_model_free(m);
  return rc;
}
