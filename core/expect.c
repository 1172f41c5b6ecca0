/*
** expect.c -- a numeric cell's expectation through the quantile map,
** tabulated once per model: what imputation spent a third of its time on.
**
** The conditional mean of a missing numeric cell (infer.c) averages, over
** the importance samples, E g(mu + sd Z): the decoder's Gaussian on the
** normal-score scale (mean mu, the column's decoder variance sd^2) mapped
** back to data units by the column's quantile map g (vae_unstandardize),
** the expectation by the 5-point Gauss-Hermite rule. That took 5 normal
** distribution functions (erfc) and quantile look-ups per sample and cell:
** a third of vae_fill's CPU on a 10^6-row table. Given the column, the
** rule's result depends on mu alone, so vae_expect_build tabulates it at
** VAE_EXPECT_POINTS evenly spaced mu per numeric column and vae_expect_n
** interpolates (Catmull-Rom cubic), about ten times cheaper.
**
** The table spans the mu for which some node falls inside the quantile
** table; beyond it g is linear at every node and the rule is evaluated
** directly. g has a kink at every quantile (more than the table has
** points), so the cubic is not exact: each step is checked against the
** direct rule at its quarter points when the table is built, and a step
** off by more than VAE_EXPECT_TOL of the column's sd (the outermost ones,
** where the quantiles are far apart, and the steps of a column of a few
** values) is computed directly. On the 10^6-row PPCA table the errors are
** some 1e-4 sd, far below the Monte Carlo error adaptive sampling allows
** (0.1 of the cell's predictive sd); its nRMSE was the same to 5 digits.
**
** The table is built for the decoder variance the model has at the time
** (at the end of a fit and when a blob is loaded) and remembers it: a
** column whose variance has changed since (a fit under way) is computed
** directly, so a stale table is never read. A model with too many numeric
** columns (VAE_EXPECT_MAX_POINTS) computes directly too. tests/test_core.c
** checks the table against the direct rule.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <string.h>

/* E f(Z), Z standard normal, as sum weight[h] f(node[h]): the 5-point
** Gauss-Hermite rule rescaled to the standard normal. */
static const double hermite_node[5] = {-2.8569700138728056, -1.3556261799742659, 0.0,
                                       1.3556261799742659, 2.8569700138728056};
static const double hermite_weight[5] = {0.011257411327720691, 0.22207592200561266,
                                         0.5333333333333333, 0.22207592200561266,
                                         0.011257411327720691};

void vae_expect_direct_n(const vae_column *c, const double *mu, int n, double sd,
                         double *gh, double *out) {
  for (int s = 0; s < n; s++)
    for (int h = 0; h < 5; h++) gh[5 * s + h] = mu[s] + sd * hermite_node[h];
  vae_unstandardize_n(c, gh, 5 * n);
  for (int s = 0; s < n; s++) {
    double e = 0;
    for (int h = 0; h < 5; h++) e += hermite_weight[h] * gh[5 * s + h];
    out[s] = e;
  }
}

static void table_free(const vae_allocator *a, vae_expect_table *t) {
  vae_free(a, t->var);
  vae_free(a, t->lo);
  vae_free(a, t->at);
  vae_free(a, t->g);
  vae_free(a, t->ok);
  memset(t, 0, sizeof *t);
}

void vae_expect_free(vae_model *m) { table_free(&m->mem, &m->expect); }

/* The Catmull-Rom cubic through points g at pos (steps from the first
** point; 1 <= pos < N - 3). */
static double cubic(const double *g, double pos) {
  const int i = (int)pos;
  const double f = pos - i, p0 = g[i - 1], p1 = g[i], p2 = g[i + 1], p3 = g[i + 2];
  return p1 + 0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 +
                                        f * (3 * (p1 - p2) + p3 - p0)));
}

/* Tabulates column j at variance var into t (its points at g, its steps'
** flags at ok): a step is interpolated when the cubic is within
** VAE_EXPECT_TOL of the column's sd of the direct rule at a quarter, half
** and three quarters of it. mu: 6 N doubles, gh: 15 N. */
static void tabulate(const vae_model *m, int j, double var, vae_expect_table *t, double *g,
                     unsigned char *ok, double *mu, double *gh) {
  const vae_column *c = &m->cols[j];
  const int N = t->n;
  const double sd = sqrt(var);
  /* Within [lo, hi] some node is inside the quantile table; beyond it the
  ** map is linear at every node, and the direct rule is cheap and exact
  ** to use. Two steps more each side give the cubic its neighbours. */
  double lo = c->score_lo + hermite_node[0] * sd, hi = c->score_hi - hermite_node[0] * sd;
  const double step = (hi - lo) / (N - 5);
  memset(ok, 0, (size_t)N);
  if (!(step > 0) || !isfinite(lo) || !isfinite(hi)) return;
  lo -= 2 * step;
  for (int i = 0; i < N; i++) mu[i] = lo + step * i;
  vae_expect_direct_n(c, mu, N, sd, gh, g);
  t->lo[j] = lo;
  t->step[j] = step;
  t->hi[j] = lo + step * (N - 3);
  /* Steps 1 .. N - 4 can be interpolated. */
  int k = 0;
  for (int i = 1; i <= N - 4; i++)
    for (int q = 1; q <= 3; q++) mu[k++] = lo + step * (i + 0.25 * q);
  double *direct = mu + k;
  vae_expect_direct_n(c, mu, k, sd, gh, direct);
  for (int i = 1, at = 0; i <= N - 4; i++) {
    ok[i] = 1;
    for (int q = 0; q < 3; q++, at++)
      if (!(fabs(cubic(g, (mu[at] - lo) * (1.0 / step)) - direct[at]) <= VAE_EXPECT_TOL * c->sd)) ok[i] = 0;
  }
  t->var[j] = var;
}

int vae_expect_build(vae_model *m) {
  const int N = VAE_EXPECT_POINTS;
  vae_expect_table t;
  int tab = 0;
  memset(&t, 0, sizeof t);
  for (int j = 0; j < m->p; j++)
    if (vae_is_numeric(m->cols[j].kind) && m->cols[j].nq >= 2) tab++;
  if (!tab || (double)tab * N > VAE_EXPECT_MAX_POINTS) {
    vae_expect_free(m);
    return VAE_OK;
  }
  t.var = vae_malloc(&m->mem, (size_t)m->p * sizeof(double));
  t.lo = vae_malloc(&m->mem, 3 * (size_t)m->p * sizeof(double));
  t.at = vae_malloc(&m->mem, (size_t)m->p * sizeof(long));
  t.g = vae_malloc(&m->mem, (size_t)tab * N * sizeof(double));
  t.ok = vae_malloc(&m->mem, (size_t)tab * N);
  double *mu = vae_malloc(&m->mem, 6 * (size_t)N * sizeof(double));
  double *gh = vae_malloc(&m->mem, 15 * (size_t)N * sizeof(double));
  int rc = t.var && t.lo && t.at && t.g && t.ok && mu && gh ? VAE_OK : VAE_NOMEM;
  if (rc == VAE_OK) {
    t.n = N;
    t.step = t.lo + m->p;
    t.hi = t.step + m->p;
    for (int j = 0, k = 0; j < m->p; j++) {
      const vae_column *c = &m->cols[j];
      t.var[j] = NAN;
      t.at[j] = -1;
      if (!vae_is_numeric(c->kind) || c->nq < 2) continue;
      tabulate(m, j, exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR, &t,
               t.g + (size_t)k * N, t.ok + (size_t)k * N, mu, gh);
      if (isnan(t.var[j])) continue; /* a variance beyond tabulating */
      t.at[j] = (long)k * N;
      k++;
    }
  }
  vae_free(&m->mem, mu);
  vae_free(&m->mem, gh);
  if (rc != VAE_OK) {
    table_free(&m->mem, &t);
    return rc;
  }
  vae_expect_free(m);
  m->expect = t;
  return VAE_OK;
}

int vae_expect_ready(const vae_model *m, int j, double var) {
  const vae_expect_table *t = &m->expect;
  return t->n && t->at[j] >= 0 && t->var[j] == var;
}

void vae_expect_n(const vae_model *m, int j, const double *mu, int n, double *gh,
                  double *out) {
  const vae_expect_table *t = &m->expect;
  const double *g = t->g + t->at[j], lo = t->lo[j], inv = 1.0 / t->step[j];
  const unsigned char *ok = t->ok + t->at[j];
  for (int s = 0; s < n; s++) {
    const double pos = (mu[s] - lo) * inv;
    /* Steps 1 .. N - 4, where the check passed; else directly. */
    const int i = pos >= 1 && pos < t->n - 3 ? (int)pos : 0;
    if (ok[i]) out[s] = cubic(g, pos);
    else vae_expect_direct_n(&m->cols[j], &mu[s], 1, sqrt(t->var[j]), gh, &out[s]);
  }
}
