#include "nn.h"

#include <cblas.h>
#include <math.h>

void dense_forward(const vae_dense *L, const float *params, const float *X,
                   int rows, float *Y) {
  const float *W = params + L->w, *b = params + L->b;
  /* Seed Y with the bias so GEMM adds into it (beta = 1): one pass less. */
  for (int r = 0; r < rows; r++) {
    float *y = Y + (size_t)r * L->out;
    for (int j = 0; j < L->out; j++) y[j] = b[j];
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, L->out, L->in,
              1.0f, X, L->in, W, L->out, 1.0f, Y, L->out);
}

void dense_backward(const vae_dense *L, const float *params, float *grads,
                    const float *X, const float *dY, int rows, float *dX) {
  float *dW = grads + L->w, *db = grads + L->b;
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L->in, L->out, rows,
              1.0f, X, L->in, dY, L->out, 0.0f, dW, L->out);
  for (int j = 0; j < L->out; j++) db[j] = 0.0f;
  for (int r = 0; r < rows; r++) {
    const float *g = dY + (size_t)r * L->out;
    for (int j = 0; j < L->out; j++) db[j] += g[j];
  }
  if (dX)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, L->in, L->out,
                1.0f, dY, L->out, params + L->w, L->out, 0.0f, dX, L->in);
}

/* tanh(x) = 1 - 2 / (1 + e^2x). libm's tanhf goes through expm1f and was
** half of all training time; this form costs one expf, and its absolute
** error (~1e-7) is far below what float training notices. */
/* Weak, so that core/ links against any CBLAS; only OpenBLAS has these. */
#if defined(__GNUC__)
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int) __attribute__((weak));
#define HAVE_OPENBLAS_THREADS (openblas_get_num_threads && openblas_set_num_threads)
#else
#define HAVE_OPENBLAS_THREADS 0
#endif

int vae_blas_serial(double macs) {
  if (!HAVE_OPENBLAS_THREADS || macs >= VAE_BLAS_SERIAL_MACS) return 0;
  int threads = openblas_get_num_threads();
  if (threads <= 1) return 0;
  openblas_set_num_threads(1);
  return threads;
}

void vae_blas_restore(int threads) {
  if (HAVE_OPENBLAS_THREADS && threads > 1) openblas_set_num_threads(threads);
}

void tanh_forward(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = 1.0f - 2.0f / (1.0f + expf(2.0f * x[i]));
}

void tanh_backward(const float *y, float *dy, size_t n) {
  for (size_t i = 0; i < n; i++) dy[i] *= 1.0f - y[i] * y[i];
}

void adam_step(vae_adam *opt, float *params, const float *grads, float *m,
               float *v, size_t n) {
  opt->t++;
  const double c1 = 1.0 - pow(opt->beta1, (double)opt->t);
  const double c2 = 1.0 - pow(opt->beta2, (double)opt->t);
  const float b1 = (float)opt->beta1, b2 = (float)opt->beta2;
  const float step = (float)(opt->lr / c1), rc2 = (float)(1.0 / sqrt(c2));
  const float eps = (float)opt->eps;
  for (size_t i = 0; i < n; i++) {
    float g = grads[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step * m[i] / (sqrtf(v[i]) * rc2 + eps);
  }
}
