#include "approx.h"
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void vae_rng_seed(vae_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t vae_seed_mix(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ULL + 0x2545f4914f6cdd1dULL);
  splitmix64(&x);
  return splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* Inline in this file: the normals of every inference and training step
** draw two of these per pair, and a call each cost as much as the draw. */
static inline uint64_t next(uint64_t *s) {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

static inline double next_uniform(vae_rng *r) {
  return (double)(next(r->s) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t vae_rng_u64(vae_rng *r) { return next(r->s); }

double vae_rng_uniform(vae_rng *r) { return next_uniform(r); }

uint64_t vae_rng_below(vae_rng *r, uint64_t n) {
  /* Lemire-style rejection keeps the draw unbiased for any n. */
  uint64_t limit = (uint64_t)-1 - ((uint64_t)-1 % n);
  uint64_t x;
  do x = next(r->s); while (x >= limit);
  return x % n;
}

/* Marsaglia's polar method: a pair of normals for one log and one sqrt,
** no trigonometry (Box-Muller's sincos was a tenth of training time). */
static inline void normal_pair(vae_rng *r, double *a, double *b) {
  double u, v, s;
  do {
    u = 2.0 * next_uniform(r) - 1.0;
    v = 2.0 * next_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double f = sqrt(-2.0 * log(s) / s);
  *a = u * f;
  *b = v * f;
}

float vae_rng_normal(vae_rng *r) {
  double a, b;
  normal_pair(r, &a, &b);
  return (float)a;
}

void vae_rng_normals(vae_rng *r, float *out, long n) {
  long i = 0;
  double a, b;
  for (; i + 1 < n; i += 2) {
    normal_pair(r, &a, &b);
    out[i] = (float)a;
    out[i + 1] = (float)b;
  }
  if (i < n) out[i] = vae_rng_normal(r);
}

VAE_SIMD_CLONES void vae_rng_normals_fast(vae_rng *r, float *out, long n) {
  enum { PAIRS = 128 };
  float u[PAIRS], v[PAIRS], f[PAIRS];
  while (n > 0) {
    const long pairs = (n + 1) / 2;
    const int want = pairs < PAIRS ? (int)pairs : PAIRS;
    /* Candidates from two 24-bit uniforms in [-1, 1); the accepted ones
    ** (0 < s < 1, 79%) are kept by moving the index, not by a branch. */
    int got = 0;
    vae_rng st = *r; /* in registers for the loop */
    while (got < want) {
      uint64_t x = next(st.s);
      float a = (float)(int32_t)(x >> 40) * (1.0f / 8388608.0f) - 1.0f;
      float b = (float)(int32_t)((x >> 16) & 0xffffff) * (1.0f / 8388608.0f) - 1.0f;
      float s = a * a + b * b;
      u[got] = a;
      v[got] = b;
      f[got] = s;
      got += (s < 1.0f) & (s > 0.0f);
    }
    *r = st;
    for (int i = 0; i < want; i++) f[i] = sqrtf(-2.0f * vae_log(f[i]) / f[i]);
    const int second = n - want < want ? (int)(n - want) : want;
    for (int i = 0; i < want; i++) out[i] = u[i] * f[i];
    for (int i = 0; i < second; i++) out[want + i] = v[i] * f[i];
    out += want + second;
    n -= want + second;
  }
}

/* The strata of a block's positions under key: a Fisher-Yates shuffle by
** key's stream. (A four-round Feistel permutation of the 6 bits, cheaper,
** left some pairs of coordinates correlated up to 0.5.) */
static void strata(uint64_t key, unsigned char *perm) {
  vae_rng rng;
  vae_rng_seed(&rng, key);
  for (unsigned i = 0; i < VAE_STRATA; i++) perm[i] = (unsigned char)i;
  for (unsigned i = VAE_STRATA - 1; i > 0; i--) {
    unsigned k = (unsigned)(vae_rng_uniform(&rng) * (i + 1));
    if (k > i) k = i;
    unsigned char t = perm[i];
    perm[i] = perm[k];
    perm[k] = t;
  }
}

/* The van der Corput point of b in base 2 (its low 32 bits reversed). */
static double van_der_corput(uint64_t b) {
  uint32_t x = (uint32_t)b;
  x = (x << 16) | (x >> 16);
  x = ((x & 0x00ff00ffu) << 8) | ((x & 0xff00ff00u) >> 8);
  x = ((x & 0x0f0f0f0fu) << 4) | ((x & 0xf0f0f0f0u) >> 4);
  x = ((x & 0x33333333u) << 2) | ((x & 0xccccccccu) >> 2);
  x = ((x & 0x55555555u) << 1) | ((x & 0xaaaaaaaau) >> 1);
  return x * (1.0 / 4294967296.0);
}

/* Uniform k of a row in stratum s of block `block`: the block's van der
** Corput point shifted by the stratum's own offset (the same in every
** block), mod 1, within the stratum. */
static double in_stratum(uint64_t seed, uint64_t block, int k, unsigned s) {
  uint64_t off = vae_seed_mix(vae_seed_mix(seed ^ 0x5bd1e9955bd1e995ULL, (uint64_t)k), s);
  double jitter = van_der_corput(block) + (double)(off >> 11) * (1.0 / 9007199254740992.0);
  if (jitter >= 1) jitter -= 1;
  double u = (s + jitter) / VAE_STRATA;
  return u > 0 ? (u < 1 ? u : 1 - 1e-16) : 1e-300;
}

static uint64_t block_key(uint64_t seed, uint64_t block, int k) {
  return vae_seed_mix(vae_seed_mix(seed, block), (uint64_t)k);
}

double vae_stratified_uniform(uint64_t seed, uint64_t idx, int k) {
  unsigned char perm[VAE_STRATA];
  uint64_t block = idx / VAE_STRATA;
  strata(block_key(seed, block, k), perm);
  return in_stratum(seed, block, k, perm[idx % VAE_STRATA]);
}

void vae_stratified_block(uint64_t seed, uint64_t block, int k, double *u) {
  unsigned char perm[VAE_STRATA];
  strata(block_key(seed, block, k), perm);
  for (int i = 0; i < VAE_STRATA; i++) u[i] = in_stratum(seed, block, k, perm[i]);
}
