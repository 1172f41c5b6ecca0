/*
** transform.h -- numeric columns are modeled as normal scores: each value is
** mapped through a distribution function of the column and then the
** inverse standard normal CDF, and generated values go back through the
** column's quantiles. The network then only has to learn how columns
** depend on each other; every marginal (skewed, bounded, multimodal,
** discrete) comes out as it was seen, as a Gaussian copula's would.
**
** The distribution function of the scores is not the column's empirical
** one but a smoothed one (vae_smooth_table, models of blob format 20 on),
** or, for a second member's (model.h), a normal one (vae_normal_table,
** format 21 on):
** the empirical one would close every gap between a column's modes, so
** that two clusters touch in score space and the network blurs them (see
** transform.c). Generation and the observed quantiles the estimates are
** held to still read the empirical table.
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

/* The score table of a column (model.h's vae_column.score_q) from its
** quantile table q[nq] (nq >= 2): the quantiles at k / (nq - 1) of the
** mixture of VAE_SMOOTH_SHARE of a normal distribution and the rest of the
** table's own, the normal's centre the table's median and its scale its
** interquartile range / 1.349 (a quarter of the range when that is 0),
** truncated to the table's range; into out[nq], whose ends are q's. A
** constant table is copied. */
#define VAE_SMOOTH_SHARE 0.5
void vae_smooth_table(const float *q, int nq, float *out);

/* The score table of a normal of the given mean and sd (sd > 0) with nq
** entries (nq >= 2), at the probabilities vae_to_score reads a table's
** entries at, into out[nq]: under it a value's score is, to within the
** interpolation between entries, its z-score (x - mean) / sd, and beyond
** its ends vae_standardize goes on at 1 / sd, so that everywhere. 0, or -1
** when an entry is not a finite float. */
int vae_normal_table(double mean, double sd, int nq, float *out);

/* Normal score of x under the table; values beyond the table map to its
** ends. A table of one value (a constant column) maps everything to 0. */
double vae_to_score(const float *q, int nq, double x);
/* The value at normal score z: the quantile at probability Phi(z). */
double vae_from_score(const float *q, int nq, double z);

double vae_normal_cdf(double z);
double vae_normal_quantile(double u); /* u in (0, 1) */

#endif
