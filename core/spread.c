/*
** spread.c -- how wide multiple-imputation draws of numeric cells are.
**
** A draw (vae_infer VAE_DRAW, the source= table's draw = k) resamples one
** of the row's importance samples and adds the decoder's noise, on the
** model's scale (normal scores). Left as the network makes them, their
** 5%-95% range covered the true value of a hidden cell in 63%-96% of
** cells over the bench's tables: too narrow where the network is sure of
** itself beyond what it knows (most under MAR, where the hidden cells lie
** where the column was seldom seen), too wide on a few columns of few
** values. So each numeric column gets a scale, m->spread: a draw's score
** is moved away from the network's centre for the row (its mean score
** over the samples) by that factor, then mapped to data units.
**
** The scale is chosen at the end of a fit on held-out cells that the
** final model never saw (train.c): for tables trained on all rows at the
** end, a third of the held-out rows' numeric cells kept hidden through
** that training (chosen by their odds of being missing, below), else
** every held-out cell hidden once (the cells the blend's shares are
** chosen on). Each cell gets VAE_SPREAD_DRAWS draws,
** and a column's scale is the one at which the 5%-95% range of those
** draws (linear interpolation between order statistics, as
** numpy.quantile) holds the true value in VAE_SPREAD_TARGET of its
** (weighted, below) cells. Of 40 draws from the right distribution that
** range holds a new value only 35.1 / 41 = 86% of the time (it runs from
** order statistic 2.95 to 38.05), so a target of 0.90 asks for draws a
** little wider than the fitted distribution. The coverage is measured
** at the scales of a grid (SPREAD_GRID points from VAE_SPREAD_MIN to
** VAE_SPREAD_MAX, log-spaced), per column and pooled over the numeric
** columns (each by its effective number of cells); a column's own curve
** gets VAE_SPREAD_PRIOR_CELLS cells of the pooled one added, as the
** blend's shares are shrunk, and its scale is where that curve reaches
** the target. Solving each column alone and pooling the answers was
** biased low: a column whose few cells were all covered at every scale
** answered the grid's bottom.
**
** How far the held-out cells speak for the holes depends on where the
** holes lie, which the model of each column's holes (below) tells: the
** sd over the training rows of its fitted log odds, the column's shift
** (about 0.05-0.9 under the bench's MCAR, 1.2-2 for MAR's targets; -1
** where no model was fitted: too few holes, or no column to fit on).
** Where the holes lie apart from the observed cells (shift above
** VAE_SPREAD_SHIFT_FROM) the held-out cells, observed ones, still look
** easier than the holes (aids2 under MAR: its hidden cells lie where the
** column was seldom seen and the estimate is 0.35 sd off there; covered
** at 0.75): the log scale grows by VAE_SPREAD_SHIFT_WIDEN per unit of
** shift above it. And the scale is VAE_SPREAD_FLOOR_MCAR at least at
** shift 0, rising to 1 at VAE_SPREAD_SHIFT_FULL and beyond (and without
** a model): where the holes fall at random the held-out cells are like
** them and draws wider than the network's own are narrowed (iris,
** faithful under MCAR, seed 0: coverage 0.943, 0.948 -> 0.911, 0.917),
** while where they do not, held-out cells that found the draws too wide
** (crabs, MAR: scale 0.55) were wrong about the holes (covered at 0.64,
** 0.79 at scale 1). A floor of 0.7 did as well under MCAR and MAR but
** narrowed self-masked (MNAR) holes, which no model on the other cells
** sees, further (stackoverflow 0.838 -> 0.709, 0.797 with 0.85). With
** both, on the quick bench (seeds 0 / 1), 22 / 23 of 25 tables are within
** 0.85-0.95 under MCAR and 19 / 19 of 24 under MAR (before: 22 / 21 and
** 18 / 16).
**
** A model of two members chooses its spread on both members' masked
** cells, each drawn by its own member, which never saw it (train.c,
** spread_cells): twice the cells a column's scale is chosen on (some
** 5-20, weighted, on a 500-row table; quick bench, seeds 0 / 1: MCAR 22
** / 19 -> 23 / 23 of 25, MAR 19 / 18 -> 21 / 22 of 24). Tried and not kept: the pooled curve
** with VAE_SPREAD_PRIOR_CELLS cells of draws of the right width added (at
** scale s the share 2 Phi(1.48 s) - 1, 0.86 at 1), to steady the pooled
** scale of tables of few held-out cells: 21 / 20 and 18 / 19 (from 22 /
** 19 and 19 / 18; mammalsleep MCAR 0.893 -> 0.800 on seed 0, its 6
** held-out rows' pooled scale 1.54 pulled to some 1.2).
**
** A draw is also moved by what the linear part and the nearest
** neighbours change in the estimate (infer.c, draw_frame) so that draws
** average to vae_impute's estimate. On a column of few distinct values a
** move in data units put every draw between two of them: the value is put
** on one of its two neighbouring quantiles at random, in proportion to
** its distance from the other, which keeps the move on average and the
** value on values the column takes.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define VAE_SPREAD_TARGET 0.90
#define VAE_SPREAD_MIN 0.5
#define VAE_SPREAD_MAX 4.0
#define VAE_SPREAD_FLOOR_MCAR 0.85 /* the scale's floor at shift 0 */
#define VAE_SPREAD_SHIFT_FULL 1.0 /* the shift from which the floor is 1 */
#define VAE_SPREAD_SHIFT_FROM 0.5 /* the shift above which draws widen */
#define VAE_SPREAD_SHIFT_WIDEN 0.22 /* by this much log scale per unit */
/* Tried and not kept: VAE_SPREAD_SHIFT_WIDEN 0.35 for crabs' and aids2's
** MAR coverage (quick bench, MAR, training seeds 0 / 1): crabs 0.815 ->
** 0.832 / 0.810 -> 0.826, aids2 0.820 as before, while diabetes 0.964 ->
** 0.976, chicago 0.931 -> 0.952 / 0.957 -> 0.963, psid1976 0.938 -> 0.958
** / 0.960 and ozone 0.934 -> 0.961 (seed 1) left the range: 19 / 19 of 24
** tables within 0.85-0.95 against 21 / 22. Their holes' misses are not
** a width that the shift tells. */
/* 40 with two members' cells (quick bench, seeds 0 / 1): 23 / 22 of 25
** tables within 0.85-0.95 under MCAR, 20 / 21 of 24 under MAR (20: 23 /
** 23 and 21 / 22). */
#define VAE_SPREAD_PRIOR_CELLS 20.0
#define SPREAD_MAX_CELLS 400 /* a column's cells looked at, at most */

/* x put on q[lo] or q[lo + 1], the neighbouring entries of the sorted
** table around it, with the chances that keep its mean. */
static double on_table(const float *q, int nq, double x, double u) {
  if (nq < 2 || !(x > q[0])) return nq ? q[0] : x;
  if (!(x < q[nq - 1])) return q[nq - 1];
  int lo = 0, hi = nq - 1;
  while (hi - lo > 1) { /* q[lo] < x < q[hi] or q[lo] <= x */
    int mid = (lo + hi) / 2;
    if (q[mid] <= x) lo = mid; else hi = mid;
  }
  double gap = (double)q[hi] - q[lo];
  if (!(gap > 0)) return q[lo];
  return u < (x - q[lo]) / gap ? q[hi] : q[lo];
}

float vae_draw_value(const vae_model *m, int j, double z, double centre, double shift,
                     double spread, double u) {
  const vae_column *c = &m->cols[j];
  double v = vae_unstandardize(c, centre + spread * (z - centre));
  if (shift != 0 && c->nq >= 2) v = on_table(c->quantiles, c->nq, v + shift, u);
  else v += shift;
  if (c->kind == VAE_INTEGER) v = floor(v + 0.5);
  if (v < c->min) v = c->min;
  if (v > c->max) v = c->max;
  return (float)v;
}

static int by_value(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* The value at probability q of D sorted values, as numpy.quantile. */
static double quantile(const float *v, int D, double q) {
  double pos = q * (D - 1);
  int i = (int)pos;
  if (i >= D - 1) return v[D - 1];
  return v[i] + (pos - i) * ((double)v[i + 1] - v[i]);
}

/* The weighted share of cells[idx[0..n)] whose draws' 5%-95% range at
** scale s holds the true value; v: D floats. The uniforms of each cell's
** table steps come from its own stream, the same at every s. */
static double coverage(const vae_model *m, const vae_spread_cell *cells, const long *idx,
                       long n, int D, double s, uint64_t seed, float *v) {
  double hit = 0, all = 0;
  for (long i = 0; i < n; i++) {
    const vae_spread_cell *c = &cells[idx[i]];
    vae_rng rng;
    vae_rng_seed(&rng, vae_seed_mix(seed, (uint64_t)idx[i]));
    for (int d = 0; d < D; d++)
      v[d] = vae_draw_value(m, c->col, c->z[d], c->centre, c->shift, s, vae_rng_uniform(&rng));
    qsort(v, (size_t)D, sizeof *v, by_value);
    double lo = quantile(v, D, 0.05), hi = quantile(v, D, 0.95), t = c->truth;
    hit += c->weight * (lo <= t && t <= hi);
    all += c->weight;
  }
  return all > 0 ? hit / all : VAE_SPREAD_TARGET;
}

/* Where the coverage cov[0..SPREAD_GRID) of the scales grid() reaches the
** target: the log scale, interpolated between the grid's points. */
#define SPREAD_GRID 25 /* steps of 8^(1/24) = 1.09 */
static double grid(int g) {
  return log(VAE_SPREAD_MIN) + g * (log(VAE_SPREAD_MAX) - log(VAE_SPREAD_MIN)) / (SPREAD_GRID - 1);
}

static double crossing(const double *cov) {
  if (cov[0] >= VAE_SPREAD_TARGET) return grid(0);
  for (int g = 1; g < SPREAD_GRID; g++)
    if (cov[g] >= VAE_SPREAD_TARGET) {
      double t = (VAE_SPREAD_TARGET - cov[g - 1]) / (cov[g] - cov[g - 1]);
      return grid(g - 1) + t * (grid(g) - grid(g - 1));
    }
  return grid(SPREAD_GRID - 1);
}

/* The floor and widening of a column's log scale from the spread of its
** holes' fitted log odds (sh: -1 without holes). */
static double shift_floor(double sh) {
  if (sh < 0) return 0;
  double t = sh / VAE_SPREAD_SHIFT_FULL;
  return t >= 1 ? 0 : (1 - t) * log(VAE_SPREAD_FLOOR_MCAR);
}

static double shift_widen(double sh) {
  return sh > VAE_SPREAD_SHIFT_FROM ? VAE_SPREAD_SHIFT_WIDEN * (sh - VAE_SPREAD_SHIFT_FROM) : 0;
}

int vae_choose_spread(vae_model *m, const vae_spread_cell *cells, long n, int D,
                      const double *shift, uint64_t seed, int (*stop)(void *), void *ctx) {
  const int p = m->p, G = SPREAD_GRID;
  long *idx = vae_malloc(&m->mem, (size_t)(n > 0 ? n : 1) * sizeof(long));
  double *cov = vae_calloc(&m->mem, (size_t)p * G + 2 * G + p, sizeof(double));
  float *v = vae_malloc(&m->mem, (size_t)D * sizeof(float));
  if (!idx || !cov || !v) {
    vae_free(&m->mem, idx);
    vae_free(&m->mem, cov);
    vae_free(&m->mem, v);
    return VAE_NOMEM;
  }
  double *pool = cov + (size_t)p * G, *shrunk = pool + G, *eff = shrunk + G, all = 0;
  /* Each column's (weighted) coverage at each scale of the grid; the
  ** pooled one weighs each column by its effective number of cells. */
  int rc = VAE_OK;
  for (int j = 0; j < p; j++) {
    if (!vae_is_numeric(m->cols[j].kind)) continue;
    if (stop && stop(ctx)) {
      rc = VAE_INTERRUPTED;
      break;
    }
    long k = 0;
    double sw = 0, sw2 = 0;
    for (long i = 0; i < n && k < SPREAD_MAX_CELLS; i++)
      if (cells[i].col == j && cells[i].weight > 0) {
        idx[k++] = i;
        sw += cells[i].weight;
        sw2 += (double)cells[i].weight * cells[i].weight;
      }
    if (k == 0) continue;
    eff[j] = sw * sw / sw2;
    for (int g = 0; g < G; g++)
      cov[(size_t)j * G + g] = coverage(m, cells, idx, k, D, exp(grid(g)), seed, v);
  }
  if (rc != VAE_OK) goto done;
  for (int j = 0; j < p; j++) {
    if (!(eff[j] > 0)) continue;
    for (int g = 0; g < G; g++) pool[g] += eff[j] * cov[(size_t)j * G + g];
    all += eff[j];
  }
  for (int g = 0; g < G; g++) pool[g] = all > 0 ? pool[g] / all : VAE_SPREAD_TARGET;
  const double pooled = all > 0 ? crossing(pool) : 0;
  /* A column's own coverage, with VAE_SPREAD_PRIOR_CELLS cells of the
  ** pooled one added. */
  for (int j = 0; j < p; j++) {
    double ls = 0;
    if (vae_is_numeric(m->cols[j].kind)) {
      ls = pooled;
      if (eff[j] > 0) {
        for (int g = 0; g < G; g++)
          shrunk[g] = (eff[j] * cov[(size_t)j * G + g] + VAE_SPREAD_PRIOR_CELLS * pool[g]) /
                      (eff[j] + VAE_SPREAD_PRIOR_CELLS);
        ls = crossing(shrunk);
      }
      double sh = shift ? shift[j] : -1, lo = shift_floor(sh);
      ls += shift_widen(sh);
      if (ls < lo) ls = lo;
      if (ls > log(VAE_SPREAD_MAX)) ls = log(VAE_SPREAD_MAX);
    }
    m->spread[j] = (float)exp(ls);
  }
done:
  vae_free(&m->mem, idx);
  vae_free(&m->mem, cov);
  vae_free(&m->mem, v);
  return rc;
}

/* Under MAR the cells a column lost are not like the ones it kept: they lie
** where the columns that drive its holes have some values, and there the
** network is less sure than on the held-out cells, which are observed
** ones (the quick bench's MAR tables: 12 of 24 within 0.85-0.95 when the
** held-out cells counted alike). So each held-out cell of a column with
** holes is weighted by its odds of being missing given its row's other
** cells, P / (1 - P), under a logistic regression of the column's
** missingness on the other numeric and binary columns' normal scores (0
** where missing), fitted on up to MISS_ROWS training rows by Newton's
** method with a N(0, 0.5^2) prior on each slope (at most MISS_FEATURES
** columns, those most correlated with the column's holes). The weighted
** held-out cells are then distributed as the missing ones are
** (inverse-probability weighting; P kept within [0.02, 0.98]). The sd of
** the fitted log odds over the training rows is the column's shift (the
** draws' floor and widening, above). */
#define MISS_ROWS 2000
#define MISS_FEATURES 16
#define MISS_NEWTON 8
#define MISS_P_MIN 0.02
#define MISS_PRIOR 4.0 /* precision of a slope's prior, N(0, 0.5^2) */

static double feature(const vae_model *m, const float *row, int k) {
  return isnan(row[k]) ? 0.0 : row[k];
}

int vae_missing_odds(const vae_model *m, const float *scored, const int64_t *train,
                     int64_t n_train, const int64_t *rows, int nrows, float *odds,
                     double *shift, int (*stop)(void *), void *ctx) {
  const int p = m->p;
  const int n = n_train < MISS_ROWS ? (int)n_train : MISS_ROWS;
  for (size_t i = 0; i < (size_t)nrows * p; i++) odds[i] = 1.0f;
  for (int j = 0; shift && j < p; j++) shift[j] = -1;
  int *feat = vae_malloc(&m->mem, (size_t)p * sizeof(int));
  double *corr = vae_malloc(&m->mem, (size_t)p * sizeof(double));
  const int F = MISS_FEATURES + 1;
  double *beta = vae_malloc(&m->mem, (size_t)F * sizeof(double));
  double *grad = vae_malloc(&m->mem, (size_t)F * sizeof(double));
  double *hess = vae_malloc(&m->mem, (size_t)F * F * sizeof(double));
  double *x = vae_malloc(&m->mem, (size_t)F * sizeof(double));
  int rc = feat && corr && beta && grad && hess && x ? VAE_OK : VAE_NOMEM;
  for (int j = 0; rc == VAE_OK && j < p; j++) {
    if (!vae_is_numeric(m->cols[j].kind)) continue;
    if (stop && stop(ctx)) {
      rc = VAE_INTERRUPTED;
      break;
    }
    double miss = 0;
    for (int i = 0; i < n; i++) miss += isnan(scored[train[i] * p + j]);
    if (miss < 5 || miss > n - 5) continue; /* nothing to learn from */
    const double rate = miss / n;
    /* The columns most correlated with the holes (at most MISS_FEATURES). */
    int nf = 0;
    for (int k = 0; k < p; k++) {
      corr[k] = -1;
      if (k == j || m->cols[k].kind == VAE_CATEGORICAL) continue;
      double sx = 0, sxx = 0, sxy = 0;
      for (int i = 0; i < n; i++) {
        const float *row = scored + train[i] * p;
        double v = feature(m, row, k), y = isnan(row[j]) - rate;
        sx += v, sxx += v * v, sxy += v * y;
      }
      double var = sxx / n - (sx / n) * (sx / n);
      corr[k] = var > 1e-12 ? fabs(sxy / n) / sqrt(var) : -1;
    }
    while (nf < MISS_FEATURES) {
      int best = -1;
      for (int k = 0; k < p; k++)
        if (corr[k] >= 0 && (best < 0 || corr[k] > corr[best])) best = k;
      if (best < 0) break;
      feat[nf++] = best;
      corr[best] = -1;
    }
    const int f = nf + 1;
    for (int a = 0; a < f; a++) beta[a] = 0;
    beta[0] = log(rate / (1 - rate));
    int ok = 1;
    for (int it = 0; it < MISS_NEWTON && ok; it++) {
      for (int a = 0; a < f; a++) {
        grad[a] = a ? -MISS_PRIOR * beta[a] : 0; /* the prior on slopes */
        for (int b = 0; b < f; b++) hess[a * f + b] = a == b && a ? MISS_PRIOR : 0.0;
      }
      for (int i = 0; i < n; i++) {
        const float *row = scored + train[i] * p;
        x[0] = 1;
        for (int a = 1; a < f; a++) x[a] = feature(m, row, feat[a - 1]);
        double u = 0;
        for (int a = 0; a < f; a++) u += beta[a] * x[a];
        double P = 1 / (1 + exp(-u)), y = isnan(row[j]), wt = P * (1 - P);
        for (int a = 0; a < f; a++) {
          grad[a] += (y - P) * x[a];
          for (int b = 0; b <= a; b++) hess[a * f + b] += wt * x[a] * x[b];
        }
      }
      for (int a = 0; a < f; a++)
        for (int b = a + 1; b < f; b++) hess[a * f + b] = hess[b * f + a];
      ok = vae_spd_solve(hess, grad, f);
      for (int a = 0; ok && a < f; a++) beta[a] += grad[a];
    }
    if (!ok) continue;
    if (shift && nf > 0) { /* the sd of the fitted logit over the training rows */
      double su = 0, suu = 0;
      for (int i = 0; i < n; i++) {
        const float *row = scored + train[i] * p;
        double u = beta[0];
        for (int a = 1; a < f; a++) u += beta[a] * feature(m, row, feat[a - 1]);
        su += u, suu += u * u;
      }
      double var = suu / n - (su / n) * (su / n);
      shift[j] = var > 0 ? sqrt(var) : 0;
    }
    for (int r = 0; r < nrows; r++) {
      const float *row = scored + rows[r] * p;
      double u = beta[0];
      for (int a = 1; a < f; a++) u += beta[a] * feature(m, row, feat[a - 1]);
      double P = 1 / (1 + exp(-u));
      P = P < MISS_P_MIN ? MISS_P_MIN : P > 1 - MISS_P_MIN ? 1 - MISS_P_MIN : P;
      odds[(size_t)r * p + j] = (float)(P / (1 - P));
    }
  }
  vae_free(&m->mem, feat);
  vae_free(&m->mem, corr);
  vae_free(&m->mem, beta);
  vae_free(&m->mem, grad);
  vae_free(&m->mem, hess);
  vae_free(&m->mem, x);
  return rc;
}
