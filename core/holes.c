/*
** holes.c -- where a numeric column's real holes are, for the choice of
** the imputation experts' shares (train.c). The shares are fitted on
** held-out cells hidden at random, but a column's real missing cells may
** sit elsewhere: under MAR (bench/impute.py's pattern) the cells of a
** column go missing where another column is high. There the experts do
** not rank as on the cells hidden at random (aids2, MAR, 500 rows, the
** `death` column: held-out cells network 0.43, linear part 0.48 sd; the
** real holes network 1.13, linear part 0.87), and the share fitted on
** random cells chose the network.
**
** So per numeric column j with enough holes, a logistic regression of
** "cell j is missing" on the row's other numeric and binary cells (normal
** scores, a binary cell less 1/2, a categorical cell one-hot, a missing
** cell 0), by Newton steps with
** a small ridge on the slopes. It is kept only when it explains the holes
** better than a constant at the HOLES_ALPHA level (likelihood-ratio test):
** cells missing completely at random keep equal weights, so their shares
** are as before. vae_hole_weight then gives a held-out cell of column j
** the odds of its row missing it, P / (1 - P), the inverse-probability
** weight that makes observed cells stand for missing ones (as train.c's
** VAE_MNAR weights do with the fitted missingness model).
**
** Cost: per column with holes, HOLES_STEPS Newton steps, each a d x d
** solve (d = features + 1) and a pass over the same rows, at most
** HOLES_MAX_WORK / (d^2 columns) of them (HOLES_MIN_ROWS at least): some
** 0.1-0.5 s at most. Tables of more than HOLES_MAX_FEATURES features fit
** none.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <string.h>

#define HOLES_STEPS 8
#define HOLES_RIDGE 1.0
#define HOLES_MIN_CELLS 8
#define HOLES_MAX_FEATURES 64
#define HOLES_MAX_WORK 5e7
#define HOLES_MIN_ROWS 500
/* Chi-square test level, as its standard normal quantile (1%). */
#define HOLES_ALPHA_Z 2.326
/* The probability is kept within [HOLES_P_MIN, 1 - HOLES_P_MIN]: a weight
** of 49 at most. Tried (quick bench, vae / best peer NRMSE, training seeds
** 0 / 1, main 56721f0 -> the try): 0.05 (weights of 19 at most): MCAR
** 0.950 / 0.949 both, MAR 0.965 / 0.960 -> 0.964 / 0.960, worst MAR
** the same (shuttle 1.084, breast_cancer 1.063): the weights' cap is not
** what keeps MAR's shares from the real holes. On shuttle V3 (MAR, seed
** 0) the 30 held-out cells weigh as 4.9 (Kish) and, weighted, show the
** linear part far ahead (0.099 against the network's 0.388 sd), and on
** V8 they show the network ahead (0.141 / 0.202) with weights of 1.9 at
** most while on the real holes the linear part is (0.49 / 0.85): its
** holes lie where few held-out cells do. */
#define HOLES_P_MIN 0.02

/* The features column l gives the missingness models: one, or a
** categorical column's levels. */
static int width_of(const vae_model *m, int l) {
  return m->cols[l].kind == VAE_CATEGORICAL ? m->cols[l].nlevels : 1;
}

int vae_holes_features(const vae_model *m) {
  int d = 0;
  for (int l = 0; l < m->p; l++) d += width_of(m, l);
  return d;
}

/* Row xs (normal scores) as features for column j into f (f[0] = 1, then
** those of each column: column j's own and a missing cell's 0). */
static void features(const vae_model *m, int j, const float *xs, double *f) {
  int k = 1;
  f[0] = 1.0;
  for (int l = 0; l < m->p; l++) {
    const int L = width_of(m, l);
    const double v = xs[l];
    for (int a = 0; a < L; a++) f[k + a] = 0.0;
    if (l != j && !isnan(v)) {
      if (m->cols[l].kind == VAE_CATEGORICAL) f[k + (int)v] = 1.0;
      else f[k] = m->cols[l].kind == VAE_BINARY ? v - 0.5 : v;
    }
    k += L;
  }
}

static double log_sigmoid(double u) { return u >= 0 ? -log1p(exp(-u)) : u - log1p(exp(u)); }

/* The logistic fit of column j's holes over rows[0..n) into beta (d);
** returns 1 when kept (it beats a constant at the test's level). */
static int fit_column(const vae_model *m, int j, const float *scored, const int64_t *rows,
                      int64_t n, int d, double *beta, double *f, double *h, double *g) {
  const int p = m->p;
  int64_t holes = 0;
  for (int64_t i = 0; i < n; i++) holes += isnan(scored[rows[i] * p + j]);
  if (holes < HOLES_MIN_CELLS || n - holes < HOLES_MIN_CELLS) return 0;
  double rate = (double)holes / n;
  memset(beta, 0, (size_t)d * sizeof(double));
  beta[0] = log(rate / (1 - rate));
  double ll0 = holes * log(rate) + (n - holes) * log(1 - rate), ll = ll0;
  for (int step = 0; step < HOLES_STEPS; step++) {
    memset(h, 0, (size_t)d * d * sizeof(double));
    memset(g, 0, (size_t)d * sizeof(double));
    ll = 0;
    for (int64_t i = 0; i < n; i++) {
      const float *xs = scored + rows[i] * p;
      features(m, j, xs, f);
      double u = 0;
      for (int k = 0; k < d; k++) u += beta[k] * f[k];
      double y = isnan(xs[j]), q = 1.0 / (1.0 + exp(-u)), w = q * (1 - q);
      ll += y ? log_sigmoid(u) : log_sigmoid(-u);
      for (int a = 0; a < d; a++) {
        g[a] += (y - q) * f[a];
        for (int b = 0; b <= a; b++) h[a * d + b] += w * f[a] * f[b];
      }
    }
    for (int a = 1; a < d; a++) {
      g[a] -= HOLES_RIDGE * beta[a];
      h[a * d + a] += HOLES_RIDGE;
    }
    for (int a = 0; a < d; a++)
      for (int b = 0; b < a; b++) h[b * d + a] = h[a * d + b];
    if (!vae_spd_solve(h, g, d)) return 0;
    for (int a = 0; a < d; a++) beta[a] += g[a];
  }
  /* The likelihood ratio against the constant, with d - 1 degrees of
  ** freedom: its 1 - alpha quantile by Wilson and Hilferty. */
  double k = d - 1, c = 2.0 / (9.0 * k), t = 1 - c + HOLES_ALPHA_Z * sqrt(c);
  return k > 0 && 2 * (ll - ll0) > k * t * t * t;
}

int vae_holes_fit(const vae_model *m, const float *scored, const int64_t *rows, int64_t n,
                  double *coef) {
  const int p = m->p, d = vae_holes_features(m) + 1;
  for (int j = 0; j < p; j++) coef[(size_t)j * (d + 1)] = 0.0;
  if (d - 1 > HOLES_MAX_FEATURES || d < 2) return VAE_OK;
  double *buf = vae_malloc(&m->mem, ((size_t)d * d + 2 * (size_t)d) * sizeof(double));
  if (!buf) return VAE_NOMEM;
  double *h = buf, *g = h + (size_t)d * d, *f = g + d;
  int fitted = 0;
  for (int j = 0; j < p; j++)
    if (vae_is_numeric(m->cols[j].kind)) {
      int64_t i = 0;
      while (i < n && !isnan(scored[rows[i] * p + j])) i++;
      fitted += i < n;
    }
  int64_t cap = (int64_t)(HOLES_MAX_WORK / ((double)d * d * (fitted > 0 ? fitted : 1)));
  if (cap < HOLES_MIN_ROWS) cap = HOLES_MIN_ROWS;
  if (n > cap) n = cap;
  for (int j = 0; j < p; j++) {
    double *cj = coef + (size_t)j * (d + 1);
    if (vae_is_numeric(m->cols[j].kind))
      cj[0] = fit_column(m, j, scored, rows, n, d, cj + 1, f, h, g);
  }
  vae_free(&m->mem, buf);
  return VAE_OK;
}

double vae_hole_weight(const vae_model *m, const double *coef, int j, const float *xs) {
  const int d = vae_holes_features(m) + 1;
  const double *cj = coef + (size_t)j * (d + 1);
  if (cj[0] == 0.0) return 1.0;
  double f[HOLES_MAX_FEATURES + 1], u = 0;
  features(m, j, xs, f);
  for (int k = 0; k < d; k++) u += cj[1 + k] * f[k];
  double P = 1.0 / (1.0 + exp(-u));
  P = P < HOLES_P_MIN ? HOLES_P_MIN : P > 1 - HOLES_P_MIN ? 1 - HOLES_P_MIN : P;
  return P / (1 - P);
}
