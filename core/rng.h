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

/* Stratified uniforms (vae_generate, and generation's calibration): the
** k-th uniform of row idx of seed's rows, in (0, 1). Rows go in blocks of
** VAE_STRATA by their index, and in a block the k-th uniforms of its rows
** take every 1 / VAE_STRATA stratum once, in an order of their own (a
** Latin hypercube per block). Within its stratum a uniform sits at the
** block number's van der Corput point, shifted (mod the stratum) by an
** offset of the stratum's own: over 2^m blocks a stratum's uniforms take
** every 1 / 2^m of it once, so any run of blocks covers each uniform's
** range finer than independent draws do, with 1 / (VAE_STRATA 2^m) as
** the step. A uniform depends on seed, idx and k only. */
#define VAE_STRATA 64
double vae_stratified_uniform(uint64_t seed, uint64_t idx, int k);
/* The k-th uniforms of the VAE_STRATA rows of block `block` (rows
** block * VAE_STRATA ..) into u, as vae_stratified_uniform gives them. */
void vae_stratified_block(uint64_t seed, uint64_t block, int k, double *u);

#endif
