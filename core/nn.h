/*
** nn.h -- the building blocks of the network: dense layers over cblas_sgemm,
** tanh, and Adam. Parameters live in one flat float array per model, so that
** gradients, Adam moments, the best-epoch snapshot and the blob all share
** one layout; a layer only records where its weights start.
*/
#ifndef VAE_NN_H
#define VAE_NN_H

#include <stddef.h>

typedef struct {
  int in, out;
  size_t w;  /* offset of W (in x out, row-major) in the parameter array */
  size_t b;  /* offset of b (out) */
} vae_dense;

/* Sets the private OpenBLAS (vae.so's own copy, Makefile) to one thread
** and stops the threads it started when loaded; once per process, before
** any GEMM (dense_forward and dense_backward call it, and so do model
** creation and loading, so that it is done before a fit's first jobs). */
void vae_blas_ready(void);

/* Y[rows x out] = X[rows x in] W + b */
void dense_forward(const vae_dense *L, const float *params, const float *X,
                   int rows, float *Y);
/* From dY: grads[W] = X^T dY, grads[b] = sum dY (overwritten, not added);
** dX = dY W^T when dX is not NULL. */
void dense_backward(const vae_dense *L, const float *params, float *grads,
                    const float *X, const float *dY, int rows, float *dX);
/* The same without grads[b], for callers that sum dY in a pass of their own
** (tanh_backward_bias); bias_backward is that sum alone. */
void dense_backward_weights(const vae_dense *L, const float *params, float *grads,
                            const float *X, const float *dY, int rows, float *dX);
void bias_backward(const float *dY, int rows, int cols, float *db);

void tanh_forward(float *x, size_t n);                   /* in place */
/* dx = dy * (1 - y^2), where y is the tanh output; in place on dy. */
void tanh_backward(const float *y, float *dy, size_t n);
/* The same over a rows x cols matrix, and db = its column sums: the bias
** gradient of the layer whose output went through this tanh. */
void tanh_backward_bias(const float *y, float *dy, int rows, int cols, float *db);

typedef struct {
  double lr, beta1, beta2, eps;
  long t;
} vae_adam;

void adam_step(vae_adam *opt, float *params, const float *grads, float *m,
               float *v, size_t n);

/* adam_step in two halves, so that a step can be split over parameter
** ranges (element-wise: any split gives the same bits): adam_begin counts
** the step and gives its constants, adam_update applies them to n
** parameters. */
typedef struct {
  float b1, b2, step, rc2, eps;
} vae_adam_consts;
vae_adam_consts adam_begin(vae_adam *opt);
void adam_update(const vae_adam_consts *c, float *params, const float *grads, float *m,
                 float *v, size_t n);
/* adam_update on the gradient g0 + g1 (each element's float sum, as
** written out and read back: the same bits), without writing it out. */
void adam_update_sum(const vae_adam_consts *c, float *params, const float *g0, const float *g1,
                     float *m, float *v, size_t n);

#endif
