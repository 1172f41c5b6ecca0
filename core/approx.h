/*
** approx.h -- float tanh, exp and log for the hot loops of training, where
** a libm call per element was a large share of the time. Branch-free, so
** that loops over them vectorize; made of +, -, *, / and bit operations
** only, so that they give the same bits wherever they run (GCC in C99 mode
** does not fuse multiply-adds). tests/test_core.c checks their errors.
*/
#ifndef VAE_APPROX_H
#define VAE_APPROX_H

#include <stdint.h>
#include <string.h>

/* Functions whose loops vectorize also get an AVX2 copy, chosen when the
** library loads (GCC's target_clones, an ifunc), so that vae.so still runs
** on any x86-64. The copies do the same operations in the same order: the
** same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VAE_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VAE_SIMD_CLONES
#endif

/* tanh as a rational function of odd degree 13 over even degree 6 (the
** approximation of Eigen and XLA), the input clamped to where it reaches
** +-1 in float. Absolute error below 5e-7; NaN stays NaN. */
static inline float vae_tanh(float x) {
  const float c = 7.90531110763549805f;
  x = x > c ? c : x;
  x = x < -c ? -c : x;
  float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return x * p / q;
}

/* e^x for x <= 0 (softmax terms less their maximum): x = n ln 2 + r with
** |r| <= ln 2 / 2, e^r by Cephes' expf polynomial, 2^n written into the
** exponent bits. Relative error below 2e-7; about 1e-38 for x below -87,
** where 2^n would leave the normal floats. */
static inline float vae_exp_neg(float x) {
  x = x < -87.0f ? -87.0f : x;
  /* Adding 1.5 * 2^23 rounds x / ln 2 to an integer n, left in the low
  ** bits of t. */
  float t = x * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  float r = x - n * 0.693359375f - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  uint32_t bits, scale_bits;
  float scale;
  memcpy(&bits, &t, sizeof bits);
  scale_bits = (bits - 0x4B400000u + 127u) << 23;
  memcpy(&scale, &scale_bits, sizeof scale);
  return p * scale;
}

/* ln x for x > 0 a normal float: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
** ln m by Cephes' logf polynomial. Relative error below 2e-7. */
static inline float vae_log(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  float e = (float)(int32_t)(bits >> 23) - 126.0f;
  bits = (bits & 0x007fffffu) | 0x3f000000u; /* m in [1/2, 1) */
  float m;
  memcpy(&m, &bits, sizeof m);
  int small = m < 0.707106781186547524f;
  e = small ? e - 1.0f : e;
  m = small ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += e * -2.12194440e-4f;
  y -= 0.5f * z;
  return m + y + e * 0.693359375f;
}

#endif
