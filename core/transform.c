#include "transform.h"

#include <math.h>

int vae_quantile_count(long n) {
  return n < VAE_MAX_QUANTILES ? (int)(n > 0 ? n : 1) : VAE_MAX_QUANTILES;
}

void vae_quantiles(const double *sorted, long n, float *q, int nq) {
  if (nq == 1) {
    q[0] = (float)sorted[0];
    return;
  }
  for (int k = 0; k < nq; k++) {
    double pos = (double)k * (n - 1) / (nq - 1);
    long i = (long)pos;
    double f = pos - i;
    q[k] = (float)(i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[n - 1]);
  }
}

double vae_normal_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

/* Halley's method on Phi from a tail-shaped first guess (within 4.5e-4):
** with r = (Phi(z) - u) / phi(z) the step is r / (1 + z r / 2) (Phi'' =
** -z phi), cubic, so two steps reach double precision where Newton's
** took four (the second derivative is free: phi is at hand). phi is never
** small where the guess lands. The same values as four Newton steps
** within a few units of the last place (tests/test_core.c); a fit's
** blobs are the same bits. */
double vae_normal_quantile(double u) {
  if (!(u > 0)) return -40;
  if (!(u < 1)) return 40;
  double t = sqrt(-2.0 * log(u < 0.5 ? u : 1 - u));
  double z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
                     (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
  if (u < 0.5) z = -z;
  for (int i = 0; i < 2; i++) {
    double pdf = exp(-0.5 * z * z) / sqrt(2 * 3.141592653589793);
    if (pdf < 1e-300) break;
    double r = (vae_normal_cdf(z) - u) / pdf;
    z -= r / (1 + 0.5 * z * r);
  }
  return z;
}

/* Probability of x under the piecewise-linear distribution function through
** the quantiles; x on a run of equal quantiles (a value seen many times)
** gets the middle of the run. */
static double probability(const float *q, int nq, double x) {
  int lo = 0, hi = nq - 1;
  if (x <= q[0]) {
    hi = 0;
    while (hi + 1 < nq && q[hi + 1] <= x) hi++;
    return 0.5 * hi / (nq - 1);
  }
  if (x >= q[nq - 1]) {
    lo = nq - 1;
    while (lo > 0 && q[lo - 1] >= x) lo--;
    return 1.0 - 0.5 * (nq - 1 - lo) / (nq - 1);
  }
  while (hi - lo > 1) { /* q[lo] <= x < q[hi] */
    int mid = (lo + hi) / 2;
    if (q[mid] <= x) lo = mid; else hi = mid;
  }
  if (q[lo] == x) { /* the run of x: [first, lo] */
    int first = lo;
    while (first > 0 && q[first - 1] == x) first--;
    return 0.5 * (first + lo) / (nq - 1);
  }
  return (lo + (x - q[lo]) / ((double)q[hi] - q[lo])) / (nq - 1);
}

/* Probabilities are squeezed into [edge, 1 - edge] so that the ends of the
** table have finite scores; vae_from_score undoes the squeeze, so that a
** value goes back to itself. */
static double edge(int nq) { return 0.5 / nq; }

double vae_to_score(const float *q, int nq, double x) {
  if (nq < 2) return 0;
  double e = edge(nq);
  return vae_normal_quantile(e + probability(q, nq, x) * (1 - 2 * e));
}

double vae_from_score(const float *q, int nq, double z) {
  if (nq < 2) return q[0];
  double e = edge(nq), u = (vae_normal_cdf(z) - e) / (1 - 2 * e);
  if (!(u > 0)) return q[0];
  if (u >= 1) return q[nq - 1];
  double pos = u * (nq - 1);
  int k = (int)pos;
  if (k >= nq - 1) return q[nq - 1];
  return q[k] + (pos - k) * ((double)q[k + 1] - q[k]);
}
