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

uint64_t vae_rng_u64(vae_rng *r) {
  uint64_t *s = r->s;
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

double vae_rng_uniform(vae_rng *r) {
  return (double)(vae_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint64_t vae_rng_below(vae_rng *r, uint64_t n) {
  /* Lemire-style rejection keeps the draw unbiased for any n. */
  uint64_t limit = (uint64_t)-1 - ((uint64_t)-1 % n);
  uint64_t x;
  do x = vae_rng_u64(r); while (x >= limit);
  return x % n;
}

float vae_rng_normal(vae_rng *r) {
  /* Box-Muller in double: exact to float precision and branch-free, so the
  ** stream of normals is the same on every platform. */
  double u1 = 1.0 - vae_rng_uniform(r); /* (0, 1] keeps log finite */
  double u2 = vae_rng_uniform(r);
  return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void vae_rng_normals(vae_rng *r, float *out, long n) {
  long i = 0;
  for (; i + 1 < n; i += 2) {
    double u1 = 1.0 - vae_rng_uniform(r), u2 = vae_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    out[i] = (float)(rad * cos(th));
    out[i + 1] = (float)(rad * sin(th));
  }
  if (i < n) out[i] = vae_rng_normal(r);
}
