#include "approx.h"
#include "nn.h"

#include <cblas.h>
#include <math.h>

/* vae.so links its own copy of OpenBLAS (Makefile): its thread count is
** set to 1 once, before the first GEMM, and touches no one else's. With a
** shared OpenBLAS (the fallback build) the host's setting stays. */
#ifdef VAE_PRIVATE_BLAS
#include <pthread.h>
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_one_thread(void) { openblas_set_num_threads(1); }
#define BLAS_READY() pthread_once(&blas_once, blas_one_thread)
#else
#define BLAS_READY() ((void)0)
#endif

void dense_forward(const vae_dense *L, const float *params, const float *X,
                   int rows, float *Y) {
  const float *W = params + L->w, *b = params + L->b;
  BLAS_READY();
  /* Seed Y with the bias so GEMM adds into it (beta = 1): one pass less. */
  for (int r = 0; r < rows; r++) {
    float *y = Y + (size_t)r * L->out;
    for (int j = 0; j < L->out; j++) y[j] = b[j];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, L->out, L->in,
              1.0f, X, L->in, W, L->out, 1.0f, Y, L->out);
}

/* Column sums of dY into db, in double: a sum runs over up to batch x K
** rows. Blocks of columns keep the accumulators on the stack; the inner
** loop runs along a row and vectorizes. */
#define SUM_BLOCK 256

VAE_SIMD_CLONES void bias_backward(const float *dY, int rows, int cols, float *db) {
  for (int c0 = 0; c0 < cols; c0 += SUM_BLOCK) {
    int nb = cols - c0 < SUM_BLOCK ? cols - c0 : SUM_BLOCK;
    double acc[SUM_BLOCK] = {0};
    for (int r = 0; r < rows; r++) {
      const float *g = dY + (size_t)r * cols + c0;
      for (int j = 0; j < nb; j++) acc[j] += g[j];
    }
    for (int j = 0; j < nb; j++) db[c0 + j] = (float)acc[j];
  }
}

void dense_backward_weights(const vae_dense *L, const float *params, float *grads,
                            const float *X, const float *dY, int rows, float *dX) {
  BLAS_READY();
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->in, L->out, rows,
              1.0f, X, L->in, dY, L->out, 0.0f, grads + L->w, L->out);
  if (dX)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, L->in, L->out,
                1.0f, dY, L->out, params + L->w, L->out, 0.0f, dX, L->in);
}

void dense_backward(const vae_dense *L, const float *params, float *grads,
                    const float *X, const float *dY, int rows, float *dX) {
  bias_backward(dY, rows, L->out, grads + L->b);
  dense_backward_weights(L, params, grads, X, dY, rows, dX);
}

/* libm's tanhf was half of training time, and 1 - 2 / (1 + expf(2x)) still
** a quarter: a call per element. vae_tanh vectorizes. */
VAE_SIMD_CLONES void tanh_forward(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = vae_tanh(x[i]);
}

VAE_SIMD_CLONES void tanh_backward(const float *y, float *dy, size_t n) {
  for (size_t i = 0; i < n; i++) dy[i] *= 1.0f - y[i] * y[i];
}

VAE_SIMD_CLONES void tanh_backward_bias(const float *y, float *dy, int rows, int cols,
                                        float *db) {
  for (int c0 = 0; c0 < cols; c0 += SUM_BLOCK) {
    int nb = cols - c0 < SUM_BLOCK ? cols - c0 : SUM_BLOCK;
    double acc[SUM_BLOCK] = {0};
    for (int r = 0; r < rows; r++) {
      const float *yr = y + (size_t)r * cols + c0;
      float *g = dy + (size_t)r * cols + c0;
      for (int j = 0; j < nb; j++) {
        g[j] *= 1.0f - yr[j] * yr[j];
        acc[j] += g[j];
      }
    }
    for (int j = 0; j < nb; j++) db[c0 + j] = (float)acc[j];
  }
}

vae_adam_consts adam_begin(vae_adam *opt) {
  opt->t++;
  const double c1 = 1.0 - pow(opt->beta1, (double)opt->t);
  const double c2 = 1.0 - pow(opt->beta2, (double)opt->t);
  vae_adam_consts c = {(float)opt->beta1, (float)opt->beta2, (float)(opt->lr / c1),
                       (float)(1.0 / sqrt(c2)), (float)opt->eps};
  return c;
}

VAE_SIMD_CLONES void adam_update(const vae_adam_consts *c, float *params, const float *grads,
                                 float *m, float *v, size_t n) {
  const float b1 = c->b1, b2 = c->b2, step = c->step, rc2 = c->rc2, eps = c->eps;
  for (size_t i = 0; i < n; i++) {
    float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step * m[i] / (sqrtf(v[i]) * rc2 + eps);
  }
}

void adam_step(vae_adam *opt, float *params, const float *grads, float *m, float *v,
               size_t n) {
  vae_adam_consts c = adam_begin(opt);
  adam_update(&c, params, grads, m, v, n);
}
