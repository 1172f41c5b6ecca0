/*
** transform.h -- numeric columns are modeled as normal scores: each value is
** mapped through the column's empirical distribution function and then the
** inverse standard normal CDF, and generated values go back through the
** column's quantiles. The network then only has to learn how columns
** depend on each other; every marginal (skewed, bounded, multimodal,
** discrete) comes out as it was seen, as a Gaussian copula's would.
*/
#ifndef VAE_TRANSFORM_H
#define VAE_TRANSFORM_H

#include <stddef.h>

/* Most quantiles kept per column: enough to follow any marginal closely,
** small enough for the blob (4 KiB a column). */
#define VAE_MAX_QUANTILES 1024

/* The quantile table of n sorted values (n >= 1) into q[nq], nq =
** min(n, VAE_MAX_QUANTILES): q[k] is the value at probability k / (nq - 1). */
int vae_quantile_count(long n);
void vae_quantiles(const double *sorted, long n, float *q, int nq);

/* Normal score of x under the table; values beyond the table map to its
** ends. A table of one value (a constant column) maps everything to 0. */
double vae_to_score(const float *q, int nq, double x);
/* The value at normal score z: the quantile at probability Phi(z). */
double vae_from_score(const float *q, int nq, double z);

double vae_normal_cdf(double z);
double vae_normal_quantile(double u); /* u in (0, 1) */

#endif
