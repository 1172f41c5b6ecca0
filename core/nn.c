#ifdef VAE_PRIVATE_BLAS
#define _GNU_SOURCE /* dladdr */
#endif
#include "approx.h"
#include "nn.h"

#include <cblas.h>
#include <math.h>

/* vae.so links its own copy of OpenBLAS (Makefile): its thread count is
** set to 1 once, before the first GEMM, and touches no one else's. With a
** shared OpenBLAS (the fallback build) the host's setting stays. */
#ifdef VAE_PRIVATE_BLAS
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* The private OpenBLAS's kernels. Debian's 0.3.21 (DYNAMIC_ARCH) does not
** know AMD's AVX-512 cores (Zen 4, Zen 5) and gives them its AVX2
** (Haswell) kernels; its later versions give them the SkylakeX ones, which
** ran the GEMMs of a training step here (AMD EPYC, family 26) in about
** half the time. So on a CPU with the AVX-512 those kernels use, when this
** build chose Haswell or Zen, the SkylakeX table is put in its place and
** initialized, as OpenBLAS's own start-up does for a core it was told
** (OPENBLAS_CORETYPE). That takes two of its internals: the current table
** `gotoblas` and the offset of a table's init function in it, read off
** this very archive (gotoblas_dynamic_init calls *0x1090(table)). Both
** are checked against the archive's configuration string, so another
** OpenBLAS keeps its own choice; the table in use must be the Haswell or
** Zen one, and the field at that offset of both tables must point into
** this object, or nothing is switched (never a call through a field that
** is not a function of this copy). Only this copy is changed: it is private
** to vae.so. The GEMMs' rounding differs between the kernels (as between
** machines), a fit's bits are the same run after run on one machine. */
#ifndef VAE_SKYLAKEX_KERNELS
#define VAE_SKYLAKEX_KERNELS 1
#endif
#define GOTOBLAS_INIT_OFFSET 0x1090
#define GOTOBLAS_CONFIG "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY "
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern void *gotoblas;
extern char gotoblas_SKYLAKEX[], gotoblas_HASWELL[], gotoblas_ZEN[];

static int avx512_cpu(void) {
#if defined(__GNUC__) && defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512cd");
#else
  return 0;
#endif
}

/* Whether addr lies in the object this code is in (vae.so, or the test
** program): a table's init field holds a function of this copy, so an
** offset that reads some other field is caught before it is called. */
static int in_this_object(void *addr) {
  Dl_info self, at;
  return dladdr((void *)in_this_object, &self) && dladdr(addr, &at) &&
         self.dli_fbase == at.dli_fbase;
}

static void blas_kernels(void) {
  const char *cfg = openblas_get_config(), *core = openblas_get_corename();
  if (!VAE_SKYLAKEX_KERNELS || !cfg || !core ||
      strncmp(cfg, GOTOBLAS_CONFIG, sizeof GOTOBLAS_CONFIG - 1) != 0 ||
      (strcmp(core, "Haswell") != 0 && strcmp(core, "Zen") != 0) || !avx512_cpu())
    return;
  if (gotoblas != gotoblas_HASWELL && gotoblas != gotoblas_ZEN) return;
  void (*init)(void), (*was)(void);
  memcpy(&init, gotoblas_SKYLAKEX + GOTOBLAS_INIT_OFFSET, sizeof init);
  memcpy(&was, (char *)gotoblas + GOTOBLAS_INIT_OFFSET, sizeof was);
  if (!init || !was || init == was || !in_this_object((void *)init) || !in_this_object((void *)was))
    return;
  gotoblas = gotoblas_SKYLAKEX;
  init();
}

/* The private OpenBLAS starts its own threads when vae.so is loaded (one
** per core but one), and each spins, calling sched_yield, for some 0.1 s
** of wall time before it sleeps: on a 2-core machine that took 20-70 ms
** of CPU from a two-thread fit's first jobs (its normal scores and linear
** part, run while that spin lasted). With the count at 1 those threads
** never get work, so they are stopped here (joined; OpenBLAS's own exit
** handler then has nothing left to stop). The count is set first:
** setting it on a stopped server would start the threads again. */
extern int blas_thread_shutdown_(void);
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static void blas_one_thread(void) {
  blas_kernels();
  openblas_set_num_threads(1);
  blas_thread_shutdown_();
}
void vae_blas_ready(void) { pthread_once(&blas_once, blas_one_thread); }
#define BLAS_READY() vae_blas_ready()
#else
void vae_blas_ready(void) {}
#define BLAS_READY() ((void)0)
#endif

VAE_SIMD_CLONES void dense_forward(const vae_dense *L, const float *params, const float *X,
                   int rows, float *Y) {
  const float *W = params + L->w, *b = params + L->b;
  BLAS_READY();
  /* Seed Y with the bias so GEMM adds into it (beta = 1): one pass less.
  ** Tried for issue 10: GEMM with beta = 0, then the bias added (the same
  ** bits: the kernel adds C after its sum either way); a fit's CPU 1.00
  ** (crabs) and 1.01 (vehicle) of this, so not kept. */
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
** a quarter: a call per element. vae_tanh vectorizes.
**
** Tried for issue 10 and not kept (2026-12-07; branch relu keeps it as a
** model setting, blob format 21, with its tests): the leaky ReLU, max(x,
** x / 100), in place of tanh. The best epoch came earlier (diabetes 75
** rather than 298, its fit 0.53 of the time), but over the suite's tables
** the vae's fit + impute took 0.90 of tanh's (bench/impute.py --quick
** --seeds 1 --methods mean,missforest,vae on a quiet machine, fresh
** caches one after the other: the median table's time over missForest's
** 1.27 -> 1.19), and imputed a little worse. Full bench (every peer,
** --max-rows 500 --calib-rows 100 --seeds 3), training seeds 0 / 1 / 2,
** vae / best peer, tanh -> leaky ReLU: NRMSE MCAR 0.952 / 0.957 / 0.954
** -> 0.955 / 0.954 / 0.956, MAR 0.958 / 0.957 / 0.954 -> 0.959 / 0.962 /
** 0.960; error rate MCAR 0.937 / 0.943 / 0.928 -> 0.942 / 0.943 / 0.985,
** MAR 0.950 / 0.948 / 0.958 -> 0.936 / 0.982 / 0.967; the draws'
** coverage within 0.85-0.95 on 23 / 23 / 24 -> 24 / 24 / 22 tables
** (MCAR), 22 / 22 / 21 -> 24 / 22 / 22 (MAR). With patience 40: MCAR
** 0.955 / 0.956 / 0.956, MAR 0.958 / 0.959 / 0.958, error rate MCAR 0.928
** / 0.955 / 0.962, MAR 0.943 / 0.951 / 0.961; lr 1e-3 (seeds 0 / 1) MCAR
** 0.956 / 0.957, MAR 0.962 / 0.959; hidden [96, 96] (seed 0) 0.954,
** 0.962. ELU (seed 0): MCAR 0.959, MAR 0.960. The known answers of
** tests/test_core.c moved little (probabilistic PCA x1.011 -> x1.004 the
** optimum; the network alone x1.014 -> x1.012); generation's quick bench
** (seed 0) met shape on 25 tables, pair 24, ML efficacy 23 (tanh 25),
** sd 25, DCR share 17 (18). */
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

/* One element's Adam step on gradient g: adam_update's and
** adam_update_sum's loop body, inlined into each so both vectorize.
** Tried for issue 10 and not kept (2026-12-07): decoupled weight decay
** (AdamW: each parameter times 1 - lr * wd before the step, every
** parameter of the network). Full bench's 150 MCAR and MAR jobs,
** training seed 0, vae errors over main's (docs/NUMBERS.md): wd 0.01,
** NRMSE MCAR x1.001, MAR x1.000, error rate x0.995 / x1.010 (seed 1:
** x0.999 / x0.999, x1.001 / x1.011); wd 0.1, x1.005 / x0.999, x1.011 /
** x1.007. Nor did it keep generated rows
** further from the training rows (bench/generate.py --seeds 3, six
** small tables, wd 0.1): DCR share mammalsleep 0.730 -> 0.810, cars93
** 0.813 -> 0.854, sonar 0.769 -> 0.683, crabs 0.583 -> 0.620; ML
** efficacy cars93 0.944 -> 0.873, iris 0.891 -> 0.818. */
static inline void adam_element(const vae_adam_consts *c, float g, float *param, float *m,
                                float *v) {
  *m = c->b1 * *m + (1.0f - c->b1) * g;
  *v = c->b2 * *v + (1.0f - c->b2) * g * g;
  *param -= c->step * *m / (sqrtf(*v) * c->rc2 + c->eps);
}

VAE_SIMD_CLONES void adam_update(const vae_adam_consts *c, float *params, const float *grads,
                                 float *m, float *v, size_t n) {
  const vae_adam_consts k = *c;
  for (size_t i = 0; i < n; i++) adam_element(&k, grads[i], params + i, m + i, v + i);
}

VAE_SIMD_CLONES void adam_update_sum(const vae_adam_consts *c, float *params, const float *g0,
                                     const float *g1, float *m, float *v, size_t n) {
  const vae_adam_consts k = *c;
  for (size_t i = 0; i < n; i++) adam_element(&k, g0[i] + g1[i], params + i, m + i, v + i);
}

void adam_step(vae_adam *opt, float *params, const float *grads, float *m, float *v,
               size_t n) {
  vae_adam_consts c = adam_begin(opt);
  adam_update(&c, params, grads, m, v, n);
}
