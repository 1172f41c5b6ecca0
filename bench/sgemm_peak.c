/*
** sgemm_peak.c -- how fast cblas_sgemm runs on this machine at given
** shapes: the ceiling for any implementation of a network whose time is
** spent in GEMM. Built and run by bench/speed.py (via bench/run.sh):
**
**   sgemm_peak SECONDS M,N,K,TA,TB[,BETA] ...
**
** Row-major, TA/TB are 0 (no transpose) or 1 (transpose), as the vae calls
** cblas_sgemm in core/nn.c. Each shape is timed for about SECONDS (the best
** of five rounds of repeated calls on the same operands). Prints one JSON
** object: per shape the seconds per call and GFLOP/s, then the sum of the
** per-call seconds of all shapes (one pass over the list, e.g. one training
** step) and the GFLOP/s of that pass. Threads: OPENBLAS_NUM_THREADS.
*/
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static float *random_floats(size_t n) {
  float *x = malloc(n * sizeof *x);
  if (!x) {
    fprintf(stderr, "sgemm_peak: out of memory\n");
    exit(1);
  }
  for (size_t i = 0; i < n; i++) x[i] = (float)rand() / RAND_MAX - 0.5f;
  return x;
}

/* Seconds per call of one shape. */
static double time_shape(int M, int N, int K, int ta, int tb, float beta,
                         double budget) {
  float *A = random_floats((size_t)M * K), *B = random_floats((size_t)K * N);
  float *C = random_floats((size_t)M * N);
  int lda = ta ? M : K, ldb = tb ? K : N;
  enum CBLAS_TRANSPOSE TA = ta ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE TB = tb ? CblasTrans : CblasNoTrans;
  /* Calibrate the repeat count to about budget / 5 per round. */
  long reps = 1;
  for (;;) {
    double t0 = now();
    for (long r = 0; r < reps; r++)
      cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, N);
    double t = now() - t0;
    if (t > budget / 5 || reps > (1L << 30)) break;
    reps *= 2;
  }
  double best = 1e300;
  for (int round = 0; round < 5; round++) {
    double t0 = now();
    for (long r = 0; r < reps; r++)
      cblas_sgemm(CblasRowMajor, TA, TB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, N);
    double t = (now() - t0) / reps;
    if (t < best) best = t;
  }
  free(A);
  free(B);
  free(C);
  return best;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sgemm_peak SECONDS M,N,K,TA,TB[,BETA] ...\n");
    return 2;
  }
  double budget = atof(argv[1]);
  double total_s = 0, total_flops = 0;
  printf("{\"shapes\":[");
  for (int i = 2; i < argc; i++) {
    int M, N, K, ta, tb;
    float beta = 0;
    int got = sscanf(argv[i], "%d,%d,%d,%d,%d,%f", &M, &N, &K, &ta, &tb, &beta);
    if (got < 5 || M < 1 || N < 1 || K < 1) {
      fprintf(stderr, "sgemm_peak: bad shape \"%s\"\n", argv[i]);
      return 2;
    }
    double s = time_shape(M, N, K, ta, tb, beta, budget);
    double flops = 2.0 * M * N * K;
    total_s += s;
    total_flops += flops;
    printf("%s{\"m\":%d,\"n\":%d,\"k\":%d,\"ta\":%d,\"tb\":%d,"
           "\"seconds\":%.9g,\"gflops\":%.4f}",
           i > 2 ? "," : "", M, N, K, ta, tb, s, flops / s * 1e-9);
  }
  printf("],\"pass_seconds\":%.9g,\"pass_flops\":%.6g,\"pass_gflops\":%.4f}\n",
         total_s, total_flops, total_flops / total_s * 1e-9);
  return 0;
}
