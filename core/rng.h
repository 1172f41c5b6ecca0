/*
** rng.h -- seeded random numbers (xoshiro256**, seeded by splitmix64), so
** that the same seed gives the same model and the same samples bit for bit
** on every machine.
*/
#ifndef VAE_RNG_H
#define VAE_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} vae_rng;

void vae_rng_seed(vae_rng *r, uint64_t seed);
/* A seed for stream `stream` derived from `seed` (independent streams). */
uint64_t vae_seed_mix(uint64_t seed, uint64_t stream);
uint64_t vae_rng_u64(vae_rng *r);
double vae_rng_uniform(vae_rng *r);          /* [0, 1) */
uint64_t vae_rng_below(vae_rng *r, uint64_t n); /* [0, n), n > 0 */
float vae_rng_normal(vae_rng *r);            /* standard normal */
void vae_rng_normals(vae_rng *r, float *out, long n);
/* n standard normals, faster than vae_rng_normals and another stream: the
** polar method on blocks of pairs, in float with a polynomial log that
** vectorizes (the training noise, where vae_rng_normals' libm log and
** rejection branch cost a tenth of the time). Pairs come from 24-bit
** uniforms: no value beyond 8 in magnitude. */
void vae_rng_normals_fast(vae_rng *r, float *out, long n);

#endif
