/*
** infer.c -- using a trained model: imputation by self-normalized
** importance sampling (MIWAE's estimator), draws by sampling-importance-
** resampling, the per-row negative log-likelihood, and sampling from the
** prior. Rows go through the network in chunks so that every layer is one
** GEMM over (rows x samples); each row has its own RNG stream so its answer
** does not depend on which chunk it falls in.
**
** The conditional mean (VAE_MEAN without scores) samples adaptively
** (draw_adaptive): the rows of a chunk draw blocks of samples together,
** and each row leaves once settled() finds its estimates precise enough,
** so the later blocks are GEMMs over the rows still drawing. Scores, draws
** and generation take every one of the S samples.
**
** Under VAE_MNAR the weights include P(mask | z) (objective.c). A missing
** numeric cell given z and "it is missing" is then N(mu, var) tilted by the
** probit link, whose mean and variance are in closed form; a binary cell's
** P(1) is tilted the same way. The estimate is the MAR one (the network's
** average with the linear part and the nearest neighbours, knn.c; train.c
** fits a numeric column's shares on held-out cells weighted as the
** missingness model hides them) plus the network's MNAR shift: what the
** missingness model changes.
** Generation given values (VAE_GENERATE) ignores the missingness model: its
** unknown cells were never hidden by it.
**
** Generation (vae_generate) decodes super-blocks of rows whole and
** gives each numeric column, within a super-block, its observed
** distribution in the order of the network's draws (generate_block), its
** numeric noise drawn with the covariance the columns' correlations leave
** over after the block's means (residual_factor); the latents and the
** noise's normals come from noise.c.
**
** A model of two members (model.h) estimates by ensemble_rows: each
** member's row_mean of the same rows, averaged cell by cell (numeric
** estimates in data units, level probabilities); every other mode reads
** the first member alone.
**
** Threads: the chunks of a call are shared out to the model's threads
** (cfg.threads, pool.h), each with buffers of its own (a lane). A chunk's
** answer depends only on its rows and their seeds, so the thread count
** never changes a result.
*/
#include "approx.h"
#include "mem.h"
#include "model.h"
#include "pool.h"
#include "transform.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Decoder rows per chunk: large enough for GEMM efficiency, small enough to
** stay in cache-friendly territory. */
#define CHUNK_DECODER_ROWS 16384

/* Adaptive importance sampling of the conditional mean: samples are drawn
** ADAPT_BLOCK at a time, and a row stops drawing once the Monte Carlo
** standard error of every missing cell's estimate is at most a tolerance of
** that cell's predictive standard deviation (the cell's expected squared
** error then grows by at most the tolerance squared over an exact mean's),
** with at least ADAPT_MIN_ESS effective samples, and a binary or
** categorical cell's answer (the most probable level) ahead of the next by
** ADAPT_MARGIN standard errors; the others go on up to S. The tolerance
** is VAE_ADAPT_TOL (0.1: 1% more squared error) for binary and categorical
** cells (their error rates rose at 0.2), ADAPT_NUMERIC times it for
** numeric ones (0.15: 2.25%): on 200,000 PPCA rows fill's nRMSE moved by
** 0.01% while its CPU fell 40% (2 times it: 0.02% and 50%). Rows are looked at after each of the first ADAPT_LOOKS
** blocks, then at 96, 128, 192, 256, ... samples (a power of two or three
** times one). A third of the numeric tolerance (0.05: 0.25% more squared
** error) on the quick bench, training seed 0, NRMSE over the best peer:
** MCAR 0.960 -> 0.958, MAR 0.978 -> 0.979, and more samples: not kept. */
#define ADAPT_NUMERIC 1.5
#define ADAPT_BLOCK 16
#define ADAPT_MIN_ESS 8.0
#define ADAPT_LOOKS 4
#define ADAPT_MARGIN 3.0

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Rounded when integer, and kept within [lo, hi]. */
static float round_within(const vae_column *c, double v, double lo, double hi) {
  if (c->kind == VAE_INTEGER) v = floor(v + 0.5);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (float)v;
}

/* Rounded when integer, and kept within the range seen in training (as
** synthesizers do by default: a Gaussian tail would otherwise give negative
** weights and ages). */
static float round_to_kind(const vae_column *c, double v) {
  return round_within(c, v, c->min, c->max);
}

/* Where an estimate may leave the observed range (issue 10, MAR). The clip
** to the range was most of breast_cancer's loss under the quick bench's
** MAR masks (seed 0): area_error's holes lie where its large values are,
** 32 of its 202 hidden cells above the largest observed one (their
** squared excess alone 0.99 sd^2; vae 1.01 sd, sklearn's MICE, unclipped,
** 0.57, and 1.00 clipped); worst_area 13 of 212 (0.36 against 0.17). As a
** rule the clip is right: on MICE's own estimates (24 tables, mask seed
** 0) it is worth 2.0% of the geometric mean of the tables' NRMSE under
** MCAR and 7.3% under MAR, a soft clip (past the range max + s (1 -
** exp(-(v - max) / s)), s 0.25-2 observed sd) cost 0.3-1.3% under either,
** and no clip doubled mammalsleep and chicago MAR (0.60 -> 1.37, 0.55 ->
** 1.10). What tells the cells it is wrong for: the row's other cells pin
** the cell down under the linear part. So a numeric cell whose linear
** estimate takes a share (m->blend below 1) and whose conditional variance
** under the linear part's Gaussian, given the row's observed cells, is at
** most 1 - LIN_SURE_R2 of the column's (vae_linear_row's r2) is kept
** within the range widened by its width on either side instead (and
** within the float range). Chosen on
** MICE's estimates first (the same masks, that Gaussian from MICE's filled
** table; geometric mean of NRMSE over the clipped, worst table): R2 0.98:
** MCAR 0.999 (1.006), MAR 0.995 (1.012; breast_cancer 0.521 -> 0.470);
** 0.95: MAR 1.011 (mammalsleep 0.620 -> 0.835); 0.9: 1.034; none: 1.074.
** In vae (quick bench, training seeds 0 / 1, NRMSE over the best peer):
** MCAR 0.952 / 0.950 -> 0.951 / 0.949, MAR 0.966 / 0.960 -> 0.964 /
** 0.958 (breast_cancer 1.039 / 1.063 -> 1.001 / 1.030, crabs MAR 0.872 ->
** 0.842 on seed 1, crabs MCAR 0.775 / 0.780 -> 0.759 / 0.764, shuttle MAR
** 1.084 / 1.040 -> 1.086 / 1.041); error rates and coverage the same.
** Draws stay within the range (vae_draw_value). */
#ifndef LIN_SURE_R2
#define LIN_SURE_R2 0.98
#endif
void vae_estimate_range(const vae_model *m, int j, double lin, double r2, double *lo,
                        double *hi) {
  const vae_column *c = &m->cols[j];
  *lo = c->min;
  *hi = c->max;
  if (!isnan(lin) && m->blend[j] < 1.0f && !isnan(r2) && r2 >= LIN_SURE_R2) {
    const double width = (double)c->max - c->min;
    *lo = fmax(*lo - width, -FLT_MAX);
    *hi = fmin(*hi + width, FLT_MAX);
  }
}

/* Issue 10: the tails, and cells pinned down. The network reads a
** numeric column through its quantile table, as normal scores, and its
** estimate is a mean over samples of values read back through that
** table: one sample seldom
** lands in the table's last percent, and the mean of those that do not
** stays in the bulk. A value far out in a tail that the other columns
** state linearly is then out of its reach: on shuttle (500 rows, mask
** seed 0, MCAR) a hidden V2 of -42 (the column's 1% quantile -9, sd 3.4)
** had the network's estimate -0.43 and the linear part's -31.9, and that
** one cell made the network's NRMSE on V2 1.40 against the linear part's
** 0.81; V3, within 5% of a linear function of four others, 0.49 against
** 0.09 under MAR, whose holes sit at one end of a driver. The shares,
** chosen per column on held-out cells that seldom fall in a tail, do not
** see it. So where the linear part's estimate lies below the column's
** TAIL_Q quantile of its observed values (the quantile table) or above
** its 1 - TAIL_Q one, the estimate moves TAIL_PULL of the way to it.
** Chosen offline on the quick bench's hidden cells (25 tables, 500 rows
** each, mask seed 0; each expert's estimates from the stored models with
** the shares forced), geometric mean of the tables' NRMSE over the
** blend's, training seeds 0 / 1: TAIL_Q 0.01 and TAIL_PULL 0.5: MCAR
** 0.997 / 0.999, MAR 0.995 / 0.996 (shuttle 0.94 / 0.99 MCAR, crabs 0.93
** / 0.96 and breast_cancer 0.99 / 0.98 MAR), no table over 1.01 on
** either seed; TAIL_PULL 1: MCAR 0.997 / 0.999, MAR 0.994 / 0.995, but
** breast_cancer MCAR 1.017 / 1.023; TAIL_Q 0.05: MAR 0.994 / 0.993 at
** 0.5, and at 1 chicago MAR 1.10 on both seeds; only beyond the observed
** range: MCAR 0.999 / 0.999, MAR 0.998 / 0.998. Built (the quick bench,
** training seeds 0-3, NRMSE over the best peer): MCAR 0.951 / 0.949 /
** 0.949 / 0.946 -> 0.948 / 0.948 / 0.945 / 0.942, MAR 0.964 / 0.958 /
** 0.952 / 0.963 -> 0.961 / 0.954 / 0.948 / 0.961, MNAR (seed 0) 0.974
** either way; error rates the same, coverage within 0.85-0.95 on as many
** tables but MAR on seed 3 (20 -> 19 of 24). The fit's own reading of
** the network (train.c, guess_pass) clears m->pull: the shares weigh the
** network's estimates as they are. Stored models of every blob format
** pull too, as they take adaptive sampling: an inference rule, not a
** fitted part. Tried before it, and not kept: the held-out copies also
** missing, unscored, the cells a real
** hole in the column comes with (P(l missing | j missing) less P(l
** missing | j seen), over P(l seen | j seen)): MCAR 0.953 / 0.950, MAR
** 0.966 / 0.957, mammalsleep MCAR 1.022 -> 1.091 (its real holes come
** together).
** The same holds where the row's observed cells pin the cell down, as
** exact relations do (mammalsleep's ts = sws + ps; shuttle's near-linear
** columns): a relation linear in data units is a curve in normal scores,
** which the network draws only roughly. So the estimate also moves
** TAIL_PULL of the way to the linear part's where the linear part
** explains PIN_R2 of the cell's variance or more, given the row's
** observed cells (vae_linear_row's r2). Offline as above, against the
** blend without either rule, seeds 0 / 1: the tails alone MCAR 0.997 /
** 0.999, MAR 0.995 / 0.996; with R2 >= 0.95 as well MCAR 0.993 / 0.993,
** MAR 0.990 / 0.993 (mammalsleep MCAR 0.905 / 0.883), no table over
** 1.01; at R2 0.9 crabs and cars93 lost 2-7% (their blend's network is
** better there), at 0.98 or 0.99 MCAR 0.996-0.997; a pull growing from
** 0 at R2 0.9-0.95 to 0.5-1 at 0.98-1 no better than the step. Built
** (quick bench, NRMSE over the best peer, seeds 0 / 1 / 2 / 3, main ->
** the tails -> both): MCAR 0.951 / 0.949 / 0.949 / 0.946 -> 0.948 /
** 0.948 / 0.945 / 0.942 -> 0.946 / 0.943 / 0.942 / 0.941, MAR 0.964 /
** 0.958 / 0.952 / 0.963 -> 0.961 / 0.954 / 0.948 / 0.961 -> 0.956 /
** 0.951 / 0.946 / 0.956; the worst MAR table 1.086 / 1.048 / 1.029 /
** 1.055 -> 1.034 / 1.048 / 1.019 / 1.049 (shuttle 1.086 -> 1.065 ->
** 1.023 on seed 0); error rates the same but one cell of cells MCAR
** (seed 0: the forest reads rows filled with these estimates). */
#define TAIL_Q 0.01
#define TAIL_PULL 0.5
#define PIN_R2 0.95

/* Column c's observed quantile at probability u, read off its table (its
** entries are the quantiles at k / (nq - 1)). */
static double table_quantile(const vae_column *c, double u) {
  if (c->nq < 2) return c->nq ? c->quantiles[0] : NAN;
  const double pos = u * (c->nq - 1);
  const int k = (int)pos;
  if (k >= c->nq - 1) return c->quantiles[c->nq - 1];
  return c->quantiles[k] + (pos - k) * ((double)c->quantiles[k + 1] - c->quantiles[k]);
}

double vae_linear_pull(const vae_model *m, int j, double lin, double r2, double est) {
  const vae_column *c = &m->cols[j];
  if (!m->pull || !m->pulled[j] || !m->lin.d || isnan(lin)) return est;
  const int pinned = !isnan(r2) && r2 >= PIN_R2;
  const int tail = c->nq >= 2 && (lin < table_quantile(c, TAIL_Q) || lin > table_quantile(c, 1 - TAIL_Q));
  return pinned || tail ? (1 - TAIL_PULL) * est + TAIL_PULL * lin : est;
}

/* From the standardized scale to data units, rounded as the kind requires. */
static float to_data_units(const vae_column *c, double v) {
  return round_to_kind(c, vae_unstandardize(c, v));
}

/* Column j's missingness model (slope a, intercept b), or 0 without one. */
static int selection(const vae_model *m, int j, double *a, double *b) {
  if (!m->sel || m->cols[j].kind == VAE_CATEGORICAL) return 0;
  *a = m->params[m->sel + 2 * (size_t)j];
  *b = m->params[m->sel + 2 * (size_t)j + 1];
  return 1;
}

/* Mean and variance of N(mu, var) given that the cell is missing, under the
** probit link Phi(a x + b): with s = sqrt(1 + a^2 var), t = (a mu + b) / s
** and l = phi(t) / Phi(t), mean mu + a var l / s and variance
** var (1 - a^2 var (t l + l^2) / s^2). */
static void tilted(double a, double b, double mu, double var, double *mean, double *v) {
  double s2 = 1.0 + a * a * var, s = sqrt(s2), t = (a * mu + b) / s, l = vae_mills(t);
  *mean = mu + a * var * l / s;
  *v = var * (1.0 - a * a * var * (t * l + l * l) / s2);
  if (!(*v > 1e-12 * var)) *v = 1e-12 * var;
}

/* P(1) of a binary cell with logit o, given that it is missing. */
static double tilted_p1(double a, double b, double o) {
  double pi = 1.0 / (1.0 + exp(-o)), p1 = pi * vae_normal_cdf(a + b);
  double all = p1 + (1.0 - pi) * vae_normal_cdf(b);
  return all > 0 ? p1 / all : pi;
}

/* Softmax of a categorical column's logits into probs[L]. */
static void softmax(const float *logits, int L, double *probs) {
  double mx = logits[0], s = 0;
  for (int l = 1; l < L; l++) if (logits[l] > mx) mx = logits[l];
  for (int l = 0; l < L; l++) s += probs[l] = exp(logits[l] - mx);
  for (int l = 0; l < L; l++) probs[l] /= s;
}

/* softmax for a wide column (vae_wide_column): its exps in float lanes
** with vae_exp_neg, as the training softmax's (objective.c): libm's exp
** in double per level and sample was a quarter of a 5,000-level column's
** fit (its held-out cells scored with 256 samples). */
#define EXP_LANES 8
static void wide_softmax(const float *logits, int L, double *probs) {
  float mx = logits[0], s8[EXP_LANES] = {0};
  int l, i;
  for (l = 1; l < L; l++) mx = logits[l] > mx ? logits[l] : mx;
  for (l = 0; l + EXP_LANES <= L; l += EXP_LANES)
    for (i = 0; i < EXP_LANES; i++) {
      const float e = vae_exp_neg(logits[l + i] - mx);
      probs[l + i] = e;
      s8[i] += e;
    }
  for (; l < L; l++) s8[0] += (float)(probs[l] = vae_exp_neg(logits[l] - mx));
  double s = 0;
  for (i = 0; i < EXP_LANES; i++) s += s8[i];
  for (l = 0; l < L; l++) probs[l] /= s;
}

/* The level probabilities of categorical column c from its logits. */
static void level_softmax(const vae_model *m, const vae_column *c, const float *logits,
                          double *probs) {
  if (vae_wide_column(&m->cfg, c))
    wide_softmax(logits, c->nlevels, probs);
  else
    softmax(logits, c->nlevels, probs);
}

static int pick(vae_rng *rng, const double *probs, int n) {
  double u = vae_rng_uniform(rng), acc = 0;
  for (int i = 0; i < n; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return n - 1;
}

/* The decoder's standard deviation of each column into sd[p]. Not from
** vae_work: vae_sample draws without running vae_forward. */
static void decoder_sd(const vae_model *m, double *sd) {
  for (int j = 0; j < m->p; j++)
    sd[j] = sqrt(exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR);
}

/* Numeric column j's draw from p(x_j | z) on the model's scale (a normal
** score), given the decoder output row; with xs (the row on the model's
** scale), from p(x_j | z, the cell is missing) under the missingness
** model. That one draws the probit's latent margin Z, a standard normal
** above -t, then x = mu + (a var / s) Z + (sd / s) e. */
static double draw_score(const vae_model *m, int j, const float *out, const double *sd,
                         const float *xs, vae_rng *rng) {
  const float *o = out + m->off[j];
  double a, b;
  if (xs && selection(m, j, &a, &b)) {
    b += vae_cross_offset(m, j, xs, out);
    double var = sd[j] * sd[j], s = sqrt(1.0 + a * a * var), t = (a * o[0] + b) / s;
    if (t < -8) t = -8;
    double u = vae_rng_uniform(rng) * vae_normal_cdf(t);
    double z = -vae_normal_quantile(u > 1e-300 ? u : 1e-300);
    return o[0] + a * var / s * z + sd[j] / s * vae_rng_normal(rng);
  }
  return o[0] + sd[j] * vae_rng_normal(rng);
}

/* One value of column j from p(x_j | z), given the decoder output row; with
** xs, given that the cell is missing (draw_score). */
static float draw_value(const vae_model *m, int j, const float *out, const double *sd,
                        const float *xs, vae_rng *rng, double *scratch) {
  const vae_column *c = &m->cols[j];
  const float *o = out + m->off[j];
  if (vae_is_numeric(c->kind)) return to_data_units(c, draw_score(m, j, out, sd, xs, rng));
  double a, b;
  int tilt = xs && selection(m, j, &a, &b);
  if (tilt) b += vae_cross_offset(m, j, xs, out);
  if (c->kind == VAE_BINARY) {
    double p1 = tilt ? tilted_p1(a, b, o[0]) : sigmoidf(o[0]);
    return vae_rng_uniform(rng) < p1 ? 1.0f : 0.0f;
  }
  level_softmax(m, c, o, scratch);
  return (float)pick(rng, scratch, c->nlevels);
}

/* The level of probabilities probs[n] at uniform u. */
static int pick_at(double u, const double *probs, int n) {
  double acc = 0;
  for (int i = 0; i < n; i++) {
    acc += probs[i];
    if (u < acc) return i;
  }
  return n - 1;
}

/* Numeric column j's generated value from its score g: through the
** calibration's table when the model has one, rounded as its kind is. */
static float numeric_value(const vae_model *m, int j, double g) {
  const vae_column *c = &m->cols[j];
  return m->cal.nq ? round_to_kind(c, vae_calibrated_value(m, j, g)) : to_data_units(c, g);
}

/* One generated value of column j (vae_sample) from one uniform u in
** (0, 1): a numeric cell's decoder noise is its normal quantile, a binary
** or categorical cell's level the one u falls in. With the model's
** calibration (calibrate.c), when it has one, a numeric cell's normal
** score goes through its table, and binary and categorical logits get
** their level shifts. */
static float generated_value(const vae_model *m, int j, const float *out, const double *sd,
                             double u, double *scratch) {
  const vae_column *c = &m->cols[j];
  const float *o = out + m->off[j];
  const float *shift = m->cal.nq ? m->cal.shift + m->off[j] : NULL;
  if (vae_is_numeric(c->kind)) return numeric_value(m, j, o[0] + sd[j] * vae_normal_quantile(u));
  if (c->kind == VAE_BINARY) return u < sigmoidf(o[0] + (shift ? shift[0] : 0)) ? 1.0f : 0.0f;
  double mx = -INFINITY, s = 0;
  for (int l = 0; l < c->nlevels; l++) mx = fmax(mx, o[l] + (shift ? shift[l] : 0));
  for (int l = 0; l < c->nlevels; l++) s += scratch[l] = exp(o[l] + (shift ? shift[l] : 0) - mx);
  for (int l = 0; l < c->nlevels; l++) scratch[l] /= s;
  return (float)pick_at(u, scratch, c->nlevels);
}

static int max_levels(const vae_model *m) {
  int L = 2; /* a binary column's two probabilities (vae_linear_probs) */
  for (int j = 0; j < m->p; j++)
    if (m->cols[j].kind == VAE_CATEGORICAL && m->cols[j].nlevels > L) L = m->cols[j].nlevels;
  return L;
}

/* The network's conditional mean of missing numeric cell j of one row, in
** data units: over the S samples' outputs o (row-major, dec_out apart) with
** weights wn, and over each sample's Gaussian noise on the normal-score
** scale, mapped back through the quantiles (5-point Gauss-Hermite; from
** the model's table, expect.c, when it has one for this variance). The
** quantile map is bounded by the data, so a poorly estimated variance
** cannot blow the estimate up as a log-normal mean did. With tilt, each
** sample's Gaussian is the one given that the cell is missing (tilted();
** xs: the row on the model's scale, for the cross terms); gh holds 7 S
** doubles. */
static double numeric_mean(const vae_model *m, int j, const float *o, const float *wn,
                           int S, double var, const float *xs, double *gh) {
  const vae_column *c = &m->cols[j];
  double a = 0, b = 0, mean = 0, *mu = gh + 5 * (size_t)S, *e = mu + S;
  int tilt = xs && selection(m, j, &a, &b);
  if (!tilt) {
    for (int s = 0; s < S; s++) mu[s] = o[(size_t)s * m->dec_out + m->off[j]];
    if (vae_expect_ready(m, j, var)) vae_expect_n(m, j, mu, S, gh, e);
    else vae_expect_direct_n(c, mu, S, sqrt(var), gh, e);
    for (int s = 0; s < S; s++) mean += wn[s] * e[s];
    return mean;
  }
  for (int s = 0; s < S; s++) {
    const float *os = o + (size_t)s * m->dec_out;
    double v;
    tilted(a, b + vae_cross_offset(m, j, xs, os), os[m->off[j]], var, &mu[s], &v);
    vae_expect_direct_n(c, &mu[s], 1, sqrt(v), gh, &e[s]);
    mean += wn[s] * e[s];
  }
  return mean;
}

/* The network's probabilities of missing binary or categorical cell j of
** one row into acc (P(1) for binary, one per level), weighted by wn; with
** xs (the row on the model's scale), a binary cell's given that it is
** missing. probs: scratch. */
static void level_probs(const vae_model *m, int j, const float *o, const float *wn,
                        int S, const float *xs, double *acc, double *probs) {
  const vae_column *c = &m->cols[j];
  const int at = m->off[j];
  double a = 0, b = 0;
  int tilt = xs && selection(m, j, &a, &b);
  if (c->kind == VAE_BINARY) {
    acc[0] = 0;
    for (int s = 0; s < S; s++) {
      const float *os = o + (size_t)s * m->dec_out;
      double l = os[at];
      acc[0] += wn[s] * (tilt ? tilted_p1(a, b + vae_cross_offset(m, j, xs, os), l)
                              : sigmoidf((float)l));
    }
    return;
  }
  int L = c->nlevels;
  for (int l = 0; l < L; l++) acc[l] = 0;
  for (int s = 0; s < S; s++) {
    level_softmax(m, c, o + (size_t)s * m->dec_out + at, probs);
    for (int l = 0; l < L; l++) acc[l] += wn[s] * probs[l];
  }
}

/* The estimate of row r's missing cells from its first n samples (rows
** of S apart in w). The network's is averaged with the linear part's
** (linear: vae_linear_row's; lw NULL without one) by the column's share,
** that with the nearest neighbours' (knn, knn_probs: vae_knn_rows', knn[j]
** NaN where there is none) by theirs, a binary or categorical cell's then
** with the forest's by its share (forest.c: the mean of its reading of x
** and of filled, x with the row's numeric cells as estimated here: those
** come first; filled: p scratch), and under VAE_MNAR (wmar: the row's
** weights without the missingness model, else NULL) shifted by what the
** missingness model changes in the network's estimate. The network's own
** probabilities of missing binary and categorical cells also go to
** net_probs (x_width) when it is not NULL. With est (x_width, or NULL),
** what averages with another member's (ensemble_rows): a numeric cell's
** estimate before rounding (within the column's range), a binary or
** categorical cell's level probabilities (P(1) for binary), at the
** column's offset. acc and probs hold twice the most levels. */
static void row_mean(const vae_model *m, const vae_work *w, int r, int S, int n,
                     const float *x, const double *linear, const double *r2,
                     vae_linear_work *lw,
                     const double *knn, const double *knn_probs,
                     const float *wmar, float *net_probs, float *est, float *dst,
                     double *probs, double *acc, double *gh, float *filled) {
  const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * S * m->dec_out;
  const float *wn = w->wnorm + (size_t)r * S, *wm = wmar ? wmar : wn;
  const float *xs = w->xs + (size_t)r * m->p;
  /* The numeric cells first: the forest then reads the row with them
  ** filled (its binary and categorical holes left missing). */
  for (int j = 0; j < m->p; j++) {
    if (isnan(x[j]) == 0) continue;
    const vae_column *c = &m->cols[j];
    if (vae_is_numeric(c->kind)) {
      double net = numeric_mean(m, j, o, wm, n, w->var[j], NULL, gh), mean = net;
      if (!isnan(linear[j])) mean = m->blend[j] * net + (1.0 - m->blend[j]) * linear[j];
      if (!isnan(knn[j])) mean = (1.0 - m->knn_share[j]) * mean + m->knn_share[j] * knn[j];
      if (m->forest_share[j] > 0 && vae_forest_has(m, j)) {
        vae_forest_probs(m, j, x, probs);
        mean = (1.0 - m->forest_share[j]) * mean + m->forest_share[j] * probs[0];
      }
      mean = vae_linear_pull(m, j, linear[j], r2 ? r2[j] : NAN, mean);
      if (wmar) mean += numeric_mean(m, j, o, wn, n, w->var[j], xs, gh) - net;
      double lo, hi;
      vae_estimate_range(m, j, linear[j], r2 ? r2[j] : NAN, &lo, &hi);
      dst[j] = round_within(c, mean, lo, hi);
      if (est) est[m->off[j]] = (float)(mean < lo ? lo : mean > hi ? hi : mean);
    }
  }
  memcpy(filled, dst, (size_t)m->p * sizeof(float));
  for (int j = 0; j < m->p; j++) {
    if (isnan(x[j]) == 0) continue;
    const vae_column *c = &m->cols[j];
    if (vae_is_numeric(c->kind)) continue;
    int L = c->kind == VAE_CATEGORICAL ? c->nlevels : 1, best = 0;
    double *shift = acc + L;
    level_probs(m, j, o, wm, n, NULL, acc, probs);
    if (net_probs)
      for (int l = 0; l < L; l++) net_probs[m->off[j] + l] = (float)acc[l];
    if (wmar) {
      level_probs(m, j, o, wn, n, xs, shift, probs);
      for (int l = 0; l < L; l++) shift[l] -= acc[l];
    }
    if (lw && m->blend[j] < 1.0f) {
      vae_linear_probs(m, j, x, lw, probs);
      for (int l = 0; l < L; l++) acc[l] = m->blend[j] * acc[l] + (1.0 - m->blend[j]) * probs[l];
    }
    if (!isnan(knn[j]))
      for (int l = 0; l < L; l++)
        acc[l] = (1.0 - m->knn_share[j]) * acc[l] + m->knn_share[j] * knn_probs[m->off[j] + l];
    if (m->forest_share[j] > 0 && vae_forest_has(m, j)) {
      const double f = m->forest_share[j];
      vae_forest_probs(m, j, x, probs);
      for (int l = 0; l < L; l++) acc[l] = (1.0 - f) * acc[l] + 0.5 * f * probs[l];
      vae_forest_probs(m, j, filled, probs);
      for (int l = 0; l < L; l++) acc[l] += 0.5 * f * probs[l];
    }
    if (wmar)
      for (int l = 0; l < L; l++) acc[l] += shift[l];
    if (m->modal[j]) /* nothing predicts the column (train.c): its shares */
      for (int l = 0; l < L; l++) acc[l] = m->marginal[m->off[j] + l];
    if (est)
      for (int l = 0; l < L; l++) est[m->off[j] + l] = (float)acc[l];
    if (L == 1) {
      dst[j] = acc[0] >= 0.5 ? 1.0f : 0.0f;
      continue;
    }
    for (int l = 1; l < L; l++) if (acc[l] > acc[best]) best = l;
    dst[j] = (float)best;
  }
}

/* A draw of binary or categorical column j that the model imputes by its
** marginal (m->modal[j]): its level at uniform u of the training shares. */
static int modal_draw(const vae_model *m, int j, double u) {
  const float *pi = m->marginal + m->off[j];
  if (m->cols[j].kind == VAE_BINARY) return u < pi[0];
  double acc = 0;
  for (int l = 0; l < m->cols[j].nlevels; l++)
    if (u < (acc += pi[l])) return l;
  return m->cols[j].nlevels - 1;
}

/* The most probable level of column j's marginal (m->modal[j]). */
static int modal_level(const vae_model *m, int j) {
  const float *pi = m->marginal + m->off[j];
  if (m->cols[j].kind == VAE_BINARY) return pi[0] >= 0.5f;
  int best = 0;
  for (int l = 1; l < m->cols[j].nlevels; l++) if (pi[l] > pi[best]) best = l;
  return best;
}

/* The buffers of an inference call. A caller that makes many calls keeps
** them (vae_infer_kept, vae_sample_kept): allocating and freeing a few
** hundred KiB per batch made the allocator hand the memory back to the
** system and fault it in again every time. */
typedef struct {
  vae_work w;
  vae_work blk;        /* rows x ADAPT_BLOCK: one block of adaptive sampling */
  int *act, *used;     /* rows: the rows still drawing, samples of each row */
  double *mom;         /* 3 x the most levels, and K: the stopping rule's sums */
  vae_rng *rngs;       /* rows */
  double *probs, *acc; /* the most levels of a column, twice for acc */
  float *wmar;         /* rows x K: VAE_MNAR's weights without P(mask | z) */
  double *ratio, *gh;  /* K and 7 K */
  double *linear;      /* p: the linear part's estimates of one row */
  double *r2;          /* p: their share of explained variance (vae_linear_row) */
  double *centre, *shift; /* p each: a drawn row's centres and shifts (draw_frame) */
  float *filled;       /* p: row_mean's row with its numeric holes filled */
  vae_linear_work *lw; /* when m has a linear part */
  double *knn, *knn_probs; /* rows x p and rows x x_width: the nearest
                           neighbours' estimates (vae_knn_rows) */
  vae_knn_work *kw;    /* when m has a reservoir */
  double *rank;        /* vae_generate: 4 VAE_GENERATE_BLOCK, a column's ranks, */
  float *scores;       /* and the numeric columns' scores of a super-block, */
  double *noise;       /* 2 VAE_STRATA x p: a block's uniforms and noise */
  double *resid;       /* vae_generate: 2 nn^2 + nn, a super-block's numeric means'
                          covariance, its noise's factor, the means (residual_factor) */
  double *rnoise;      /* vae_generate: nn x B, a super-block's numeric normals */
} lane;

struct vae_scratch {
  vae_allocator mem;   /* the model's */
  const vae_model *m;
  int rows, K;         /* what each lane was allocated for */
  int p, lin_d, knn_n; /* and the model's shape */
  size_t nparams;
  int nlanes;          /* one per thread */
  lane *lanes;
  vae_pool *pool;      /* nlanes - 1 workers, made when a call has chunks to share */
  struct vae_scratch *member; /* the second member's, for its estimates (ensemble_rows) */
  double *sd;          /* p */
  unsigned char *knn_want; /* p: the columns whose knn_share is positive */
  /* vae_generate's numeric noise (residual_target): made once per scratch */
  int resid_made, rnn; /* rnn numeric columns (0: independent noise) */
  int *rcols;          /* [rnn] their indices */
  double *rcorr;       /* [rnn x rnn] the correlations of their normal scores */
};

static void lane_free(const vae_allocator *a, lane *l) {
  vae_work_free(&l->w);
  vae_work_free(&l->blk);
  vae_free(a, l->act);
  vae_free(a, l->used);
  vae_free(a, l->mom);
  vae_free(a, l->rngs);
  vae_free(a, l->probs);
  vae_free(a, l->acc);
  vae_free(a, l->wmar);
  vae_free(a, l->ratio);
  vae_free(a, l->gh);
  vae_free(a, l->linear);
  vae_free(a, l->r2);
  vae_free(a, l->centre);
  vae_free(a, l->shift);
  vae_linear_work_free(l->lw);
  vae_free(a, l->knn);
  vae_free(a, l->knn_probs);
  vae_knn_work_free(l->kw);
  vae_free(a, l->rank);
  vae_free(a, l->scores);
  vae_free(a, l->noise);
  vae_free(a, l->filled);
  vae_free(a, l->resid);
  vae_free(a, l->rnoise);
}

void vae_scratch_free(vae_scratch *sc) {
  if (!sc) return;
  vae_allocator a = sc->mem;
  vae_pool_free(sc->pool);
  for (int i = 0; sc->lanes && i < sc->nlanes; i++) lane_free(&a, &sc->lanes[i]);
  vae_free(&a, sc->lanes);
  vae_free(&a, sc->sd);
  vae_free(&a, sc->knn_want);
  vae_free(&a, sc->rcols);
  vae_free(&a, sc->rcorr);
  vae_scratch_free(sc->member);
  vae_free(&a, sc);
}

static int lane_alloc(const vae_model *m, lane *l, int rows, int K) {
  size_t L = (size_t)max_levels(m);
  if (vae_work_alloc(m, &l->w, rows, K, 0) ||
      vae_work_alloc(m, &l->blk, rows, K < ADAPT_BLOCK ? K : ADAPT_BLOCK, 0) ||
      !(l->act = vae_calloc(&m->mem, (size_t)rows, sizeof(int))) ||
      !(l->used = vae_calloc(&m->mem, (size_t)rows, sizeof(int))) ||
      !(l->mom = vae_calloc(&m->mem, 3 * L + (size_t)K, sizeof(double))) ||
      !(l->rngs = vae_calloc(&m->mem, (size_t)rows, sizeof(vae_rng))) ||
      !(l->probs = vae_calloc(&m->mem, L, sizeof(double))) ||
      !(l->acc = vae_calloc(&m->mem, 2 * L, sizeof(double))) ||
      (m->sel && !(l->wmar = vae_calloc(&m->mem, (size_t)rows * K, sizeof(float)))) ||
      !(l->ratio = vae_calloc(&m->mem, (size_t)K, sizeof(double))) ||
      !(l->gh = vae_calloc(&m->mem, (size_t)K * 7, sizeof(double))) ||
      !(l->linear = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      !(l->r2 = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      !(l->centre = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      !(l->shift = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) ||
      !(l->filled = vae_calloc(&m->mem, (size_t)m->p, sizeof(float))) ||
      (m->lin.d && !(l->lw = vae_linear_work_alloc(&m->mem, vae_linear_work_width(m)))) ||
      !(l->knn = vae_calloc(&m->mem, (size_t)rows * m->p, sizeof(double))) ||
      !(l->knn_probs = vae_calloc(&m->mem, (size_t)rows * m->x_width, sizeof(double))) ||
      (m->knn.n && !(l->kw = vae_knn_work_alloc(m))))
    return VAE_NOMEM;
  return VAE_OK;
}

/* Buffers for chunks of rows rows of K samples of m, on up to lanes
** threads: *keep when it is large enough, else new ones, left in *keep when
** keep is not NULL. With own_pool, a new scratch has a pool of its own for
** its lanes (else its caller brings one: vae_generate_on). */
static vae_scratch *scratch_for(vae_scratch **keep, const vae_model *m, int rows, int K,
                                int lanes, int own_pool) {
  vae_scratch *sc = keep ? *keep : NULL;
  /* The shape too: another model may have been given the same address. */
  if (sc && sc->m == m && sc->K == K && sc->rows >= rows && sc->p == m->p &&
      sc->nparams == m->nparams && sc->lin_d == vae_linear_work_width(m) && sc->knn_n == m->knn.n && sc->nlanes >= lanes)
    return sc;
  vae_scratch_free(sc);
  if (keep) *keep = NULL;
  sc = vae_calloc(&m->mem, 1, sizeof *sc);
  if (!sc) return NULL;
  sc->mem = m->mem;
  sc->m = m;
  sc->rows = rows;
  sc->K = K;
  sc->p = m->p;
  sc->nparams = m->nparams;
  sc->lin_d = vae_linear_work_width(m);
  sc->knn_n = m->knn.n;
  int ok = (sc->sd = vae_calloc(&m->mem, (size_t)m->p, sizeof(double))) &&
           (sc->knn_want = vae_calloc(&m->mem, (size_t)m->p, 1)) &&
           (sc->lanes = vae_calloc(&m->mem, (size_t)lanes, sizeof *sc->lanes));
  if (ok) sc->nlanes = lanes;
  for (int i = 0; ok && i < lanes; i++) ok = lane_alloc(m, &sc->lanes[i], rows, K) == VAE_OK;
  if (!ok) {
    vae_scratch_free(sc);
    return NULL;
  }
  /* Fewer workers than lanes is fine (no thread at all: the caller works),
  ** a pool whose memory ran out is not. */
  if (own_pool && lanes > 1 && vae_pool_create(&m->mem, lanes, &sc->pool)) {
    vae_scratch_free(sc);
    return NULL;
  }
  if (m->cfg.fixed_shares) vae_pool_fix_shares(sc->pool);
  if (keep) *keep = sc;
  return sc;
}

/* Threads for a call of items chunks: the model's setting, no more than
** the chunks. */
static int lanes_for(const vae_model *m, int items) {
  int t = m->cfg.threads > 0 ? m->cfg.threads : vae_cores();
  return items < t ? (items > 0 ? items : 1) : t;
}

/* Multiply-adds of one row with S samples: the encoder once, the decoder
** S times. */
static double row_macs(const vae_model *m, int S) {
  double enc = 0, dec = vae_decoder_macs(m);
  for (int i = 0; i < m->nlayers; i++) enc += (double)m->enc[i].in * m->enc[i].out;
  return enc + (double)S * dec;
}

/* Rows per pass with S samples: CHUNK_DECODER_ROWS decoder rows, buffers
** of at most VAE_INFER_MAX_CELLS floats per layer, and VAE_PASS_MACS of
** work (at least one row). */
static int pass_rows(const vae_model *m, int S) {
  int chunk = CHUNK_DECODER_ROWS / S;
  double by_cells = VAE_INFER_MAX_CELLS / ((double)S * vae_widest_layer(m));
  double by_work = VAE_PASS_MACS / row_macs(m, S);
  if (chunk > by_cells) chunk = (int)by_cells;
  if (chunk > by_work) chunk = (int)by_work;
  return chunk < 1 ? 1 : chunk;
}

int vae_infer_pass(const vae_model *m, int S, double *macs) {
  if (S <= 0) S = m->cfg.impute_samples > 0 ? m->cfg.impute_samples : 1;
  int rows = pass_rows(m, S);
  if (macs) *macs = rows * row_macs(m, S);
  return rows;
}

/* Normalized weights of each row's used[r] samples (rows S apart) without
** the missingness model's terms, lw - lsel, into wmar. */
static void mar_weights(const vae_work *w, int rows, int S, const int *used, float *wmar) {
  for (int r = 0; r < rows; r++) {
    const double *lw = w->lw + (size_t)r * S, *ls = w->lsel + (size_t)r * S;
    float *dst = wmar + (size_t)r * S;
    const int n = used[r];
    double mx = lw[0] - ls[0], sum = 0;
    for (int k = 1; k < n; k++) if (lw[k] - ls[k] > mx) mx = lw[k] - ls[k];
    for (int k = 0; k < n; k++) sum += exp(lw[k] - ls[k] - mx);
    for (int k = 0; k < n; k++) dst[k] = (float)(exp(lw[k] - ls[k] - mx) / sum);
  }
}

/* Normalized weights of n log weights (vae_backward's arithmetic). */
static void normalize(const double *lw, int n, float *wn) {
  double mx = lw[0], s = 0;
  for (int k = 1; k < n; k++) if (lw[k] > mx) mx = lw[k];
  for (int k = 0; k < n; k++) {
    double e = exp(lw[k] - mx);
    s += e;
    wn[k] = (float)e;
  }
  float is = (float)(1.0 / s);
  for (int k = 0; k < n; k++) wn[k] *= is;
}

/* Whether the first n samples of row r (rows S apart in w) estimate each
** of its missing cells closely enough (VAE_ADAPT_TOL). The self-normalized
** estimate sum_k w_k f_k has the delta-method variance
** sum_k w_k^2 (f_k - mean)^2 (w normalized), f_k a sample's conditional
** mean on the model's scale (a numeric cell's normal score, a level's
** probability); the cell's predictive variance is the decoder's variance
** plus the samples' spread sum_k w_k (f_k - mean)^2 (for a level,
** mean (1 - mean)). mom: 3 x the most levels + n doubles. */
static int settled(const vae_model *m, const vae_work *w, int r, int S, int n,
                   const float *x, double tol, double *mom, double *probs) {
  const size_t W = (size_t)m->dec_out;
  const double *lw = w->lw + (size_t)r * S;
  const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * S * W;
  double *wn = mom, mx = lw[0], sum = 0, q = 0, t2 = tol * tol;
  for (int k = 1; k < n; k++) if (lw[k] > mx) mx = lw[k];
  for (int k = 0; k < n; k++) sum += wn[k] = exp(lw[k] - mx);
  for (int k = 0; k < n; k++) {
    wn[k] /= sum;
    q += wn[k] * wn[k];
  }
  if (1.0 / q < ADAPT_MIN_ESS) return 0;
  double *a1 = mom + n;
  for (int j = 0; j < m->p; j++) {
    if (!isnan(x[j])) continue;
    const vae_column *c = &m->cols[j];
    const float *oj = o + m->off[j];
    if (c->kind != VAE_CATEGORICAL) {
      const int bin = c->kind == VAE_BINARY;
      double mean = 0, spread = 0, se2 = 0;
      for (int k = 0; k < n; k++) mean += wn[k] * (bin ? sigmoidf(oj[k * W]) : oj[k * W]);
      for (int k = 0; k < n; k++) {
        double dv = (bin ? sigmoidf(oj[k * W]) : oj[k * W]) - mean;
        spread += wn[k] * dv * dv;
        se2 += wn[k] * wn[k] * dv * dv;
      }
      double pred = bin ? mean * (1.0 - mean) : w->var[j] + spread;
      if (se2 > (bin ? t2 : t2 * ADAPT_NUMERIC * ADAPT_NUMERIC) * pred) return 0;
      /* A binary cell's answer is which side of 1/2 it falls. */
      if (bin && fabs(mean - 0.5) < ADAPT_MARGIN * sqrt(se2)) return 0;
      continue;
    }
    /* Raw moments per level: a1 = sum w p, a2 = sum w^2 p, a3 = sum w^2 p^2;
    ** the variance is a3 - 2 mean a2 + mean^2 q. */
    const int L = c->nlevels;
    double *a2 = a1 + L, *a3 = a2 + L;
    for (int l = 0; l < 3 * L; l++) a1[l] = 0;
    for (int k = 0; k < n; k++) {
      level_softmax(m, c, oj + k * W, probs);
      for (int l = 0; l < L; l++) {
        a1[l] += wn[k] * probs[l];
        a2[l] += wn[k] * wn[k] * probs[l];
        a3[l] += wn[k] * wn[k] * probs[l] * probs[l];
      }
    }
    int top = 0, next = -1;
    for (int l = 0; l < L; l++) {
      double se2 = a3[l] - 2 * a1[l] * a2[l] + a1[l] * a1[l] * q;
      if (se2 > t2 * a1[l] * (1.0 - a1[l])) return 0;
      a2[l] = sqrt(se2 > 0 ? se2 : 0); /* now the level's standard error */
      if (a1[l] > a1[top]) {
        next = top;
        top = l;
      } else if (l != top && (next < 0 || a1[l] > a1[next])) {
        next = l;
      }
    }
    /* The answer is the most probable level: it must lead the next by
    ** ADAPT_MARGIN standard errors of the difference (at most the sum of
    ** theirs). */
    if (next >= 0 && a1[top] - a1[next] < ADAPT_MARGIN * (a2[top] + a2[next])) return 0;
  }
  return 1;
}

/* Samples of rows [0, rows) of x (seeded by rngs) a block at a time while
** settled() says more are needed, at most S; used[r] gets each row's
** count, and w the outputs and log weights as vae_forward would leave them
** (rows S apart) for those samples, and their normalized weights. The
** normals of row r's sample k are the k-th latent-sized piece of its RNG
** stream, as in one vae_forward of S samples. With shared, the rows' RNG
** streams are one stream (the same seed: vae_fill and vae_impute seed
** every row 0), so a block's normals are drawn once and copied: the same
** bits, and a tenth of fill's CPU less. */
static void draw_adaptive(const vae_model *m, lane *ln, const float *x, int rows, int S,
                          double tol, int shared) {
  const int d = m->latent, last = m->nlayers - 1, p = m->p;
  const size_t W = (size_t)m->dec_out;
  vae_work *w = &ln->w, *bw = &ln->blk;
  int nact = rows, done = 0;
  vae_encode(m, w, rows);
  for (int r = 0; r < rows; r++) ln->act[r] = r;
  while (nact > 0) {
    const int B = S - done < ADAPT_BLOCK ? S - done : ADAPT_BLOCK;
    for (int a = 0; a < nact; a++) {
      float *e = bw->eps + (size_t)a * B * d;
      if (shared && a > 0) {
        memcpy(e, bw->eps, (size_t)B * d * sizeof(float));
        ln->rngs[ln->act[a]] = ln->rngs[ln->act[0]];
      } else {
        vae_rng_normals(&ln->rngs[ln->act[a]], e, (long)B * d);
      }
      vae_latent(m, w, ln->act[a], e, B, bw->z + (size_t)a * B * d);
    }
    vae_decode(m, bw, nact * B);
    for (int a = 0; a < nact; a++) {
      const int r = ln->act[a];
      const size_t at = (size_t)r * S + done;
      float *o = w->dec_h[last] + at * W;
      memcpy(o, bw->dec_h[last] + (size_t)a * B * W, (size_t)B * W * sizeof(float));
      vae_log_weights(m, w, r, o, bw->z + (size_t)a * B * d, bw->eps + (size_t)a * B * d, B,
                      1.0, NULL, w->lw + at, m->sel ? w->lsel + at : NULL);
    }
    done += B;
    /* Looked at after each of the first blocks, then at 1.5 and 2 times
    ** a power of two: a look costs a pass over the samples (and their
    ** softmaxes), so the looks of a row that takes every sample cost about
    ** two more passes. */
    const int third = done % 3 == 0 ? done / 3 : 0;
    const int look = done <= ADAPT_LOOKS * ADAPT_BLOCK || (done & (done - 1)) == 0 ||
                     (third && (third & (third - 1)) == 0);
    int keep = 0;
    for (int a = 0; a < nact; a++) {
      const int r = ln->act[a];
      ln->used[r] = done;
      if (done < S && (!look || !settled(m, w, r, S, done, x + (size_t)r * p, tol, ln->mom,
                                         ln->probs)))
        ln->act[keep++] = r;
    }
    nact = keep;
  }
  for (int r = 0; r < rows; r++)
    normalize(w->lw + (size_t)r * S, ln->used[r], w->wnorm + (size_t)r * S);
}

/* One call's arguments, for the chunks. */
typedef struct {
  const vae_model *m;
  int mode, n, S, chunk, mar;
  double tol;          /* VAE_MEAN's VAE_ADAPT_TOL; 0: every row takes S samples */
  int *used;           /* n, or NULL: the samples each row took */
  const float *x;
  const uint64_t *seeds;
  float *out, *probs_out;
  double *nll;
  vae_scratch *sc;
  uint64_t seed, first; /* vae_generate's seed and first row's index */
  const vae_draw_parts *parts; /* vae_infer_probs: draws for spread.c, or NULL */
  float *est_out;      /* n x x_width, or NULL: row_mean's est (ensemble_rows) */
} infer_job;

/* Where a draw of row r's missing numeric cells is centred: per cell the
** network's mean score over the row's samples (centre, the point its
** spread is scaled about, spread.c) and what the linear part and the
** nearest neighbours change in the estimate, in data units (shift: the
** estimate vae_impute gives less the network's own), so that draws
** average to the estimate. wm: the row's weights without the
** missingness model (MAR estimates, as the shares are fitted on). */
static void draw_frame(const vae_model *m, const vae_work *w, int r, int S, const float *x,
                       const float *wm, lane *ln) {
  const double *knn = ln->knn + (size_t)r * m->p;
  const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * S * m->dec_out;
  const float *wn = w->wnorm + (size_t)r * S;
  int lin = 0;
  for (int j = 0; j < m->p; j++) {
    ln->centre[j] = ln->shift[j] = 0;
    if (!isnan(x[j]) || !vae_is_numeric(m->cols[j].kind)) continue;
    double c = 0;
    for (int k = 0; k < S; k++) c += wn[k] * o[(size_t)k * m->dec_out + m->off[j]];
    ln->centre[j] = c;
    int near = !isnan(knn[j]) && m->knn_share[j] > 0;
    int tree = m->forest_share[j] > 0 && vae_forest_has(m, j);
    if (!near && !tree && !m->lin.d) continue;
    if (!lin && m->lin.d) vae_linear_row(m, x, ln->lw, ln->linear, ln->r2), lin = 1;
    double net = numeric_mean(m, j, o, wm, S, w->var[j], NULL, ln->gh), b = net;
    if (lin && !isnan(ln->linear[j])) b = m->blend[j] * net + (1.0 - m->blend[j]) * ln->linear[j];
    if (near) b = (1.0 - m->knn_share[j]) * b + m->knn_share[j] * knn[j];
    if (tree) {
      vae_forest_probs(m, j, x, ln->probs);
      b = (1.0 - m->forest_share[j]) * b + m->forest_share[j] * ln->probs[0];
    }
    if (lin) b = vae_linear_pull(m, j, ln->linear[j], ln->r2[j], b);
    ln->shift[j] = b - net;
  }
}

/* parts (vae_infer_probs): n_draws draws of row r's missing numeric cells
** on the model's scale, before spread.c's scale and shift, and their
** centres, into the row's cells from cell0 on (column order); the row's
** own stream, from its index. */
static void draw_parts(const vae_model *m, const vae_work *w, int r, int S, const float *x,
                       const double *sd, const vae_draw_parts *parts, long row, lane *ln) {
  const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * S * m->dec_out;
  const float *wn = w->wnorm + (size_t)r * S;
  const long cell0 = parts->cell0[row];
  const int D = parts->draws;
  vae_rng rng;
  vae_rng_seed(&rng, vae_seed_mix(parts->seed, (uint64_t)row));
  for (int k = 0; k < S; k++) ln->ratio[k] = wn[k];
  for (int j = 0, at = 0; j < m->p; j++)
    if (isnan(x[j]) && vae_is_numeric(m->cols[j].kind)) {
      double c = 0;
      for (int k = 0; k < S; k++) c += wn[k] * o[(size_t)k * m->dec_out + m->off[j]];
      parts->centre[cell0 + at++] = (float)c;
    }
  for (int d = 0; d < D; d++) {
    const float *os = o + (size_t)pick(&rng, ln->ratio, S) * m->dec_out;
    for (int j = 0, at = 0; j < m->p; j++)
      if (isnan(x[j]) && vae_is_numeric(m->cols[j].kind))
        parts->z[(size_t)(cell0 + at++) * D + d] = (float)draw_score(m, j, os, sd, NULL, &rng);
  }
}

static void infer_chunk(void *ctx, int item, int worker) {
  const infer_job *j = ctx;
  const vae_model *m = j->m;
  const int p = m->p, d = m->latent, S = j->S, mode = j->mode, at = item * j->chunk;
  const int rows = j->n - at < j->chunk ? j->n - at : j->chunk;
  vae_scratch *sc = j->sc;
  lane *ln = &sc->lanes[worker];
  vae_work *w = &ln->w;
  vae_rng *rngs = ln->rngs;
  const float *xc = j->x + (size_t)at * p;
  vae_prepare(m, w, xc, rows, NULL, 0);
  for (int r = 0; r < rows; r++) vae_rng_seed(&rngs[r], j->seeds ? j->seeds[at + r] : 0);
  if (mode == VAE_MEAN && j->tol > 0) {
    int shared = 1;
    for (int r = 1; r < rows && j->seeds && shared; r++) shared = j->seeds[at + r] == j->seeds[at];
    draw_adaptive(m, ln, xc, rows, S, j->tol, shared);
  } else {
    for (int r = 0; r < rows; r++) {
      vae_rng_normals(&rngs[r], w->eps + (size_t)r * S * d, (long)S * d);
      ln->used[r] = S;
    }
    vae_forward(m, w, rows, S, 1.0, 0);
    vae_backward(m, w, rows, S, 1.0, 1.0, 0); /* fills w->wnorm */
  }
  if (j->used) memcpy(j->used + at, ln->used, (size_t)rows * sizeof(int));
  const float *wmar = NULL;
  if (m->sel) {
    mar_weights(w, rows, S, ln->used, ln->wmar);
    if (j->mar || mode == VAE_GENERATE)
      for (int r = 0; r < rows; r++)
        memcpy(w->wnorm + (size_t)r * S, ln->wmar + (size_t)r * S,
               (size_t)ln->used[r] * sizeof(float));
    else
      wmar = ln->wmar;
  }
  if (mode != VAE_GENERATE)
    vae_knn_rows(m, xc, rows, sc->knn_want, ln->kw, ln->knn, ln->knn_probs);
  for (int r = 0; r < rows; r++) {
    const float *xr = xc + (size_t)r * p;
    float *dst = j->out + (size_t)(at + r) * p;
    memcpy(dst, xr, (size_t)p * sizeof(float));
    if (j->nll) {
      const double *lw = w->lw + (size_t)r * S;
      /* On the model's scale: numeric cells as normal scores, so that
      ** every column weighs alike whatever its units. */
      double mx = lw[0], s = 0;
      for (int k = 1; k < S; k++) if (lw[k] > mx) mx = lw[k];
      for (int k = 0; k < S; k++) s += exp(lw[k] - mx);
      j->nll[at + r] = -(mx + log(s) - log((double)S));
    }
    if (mode != VAE_MEAN) {
      if (mode == VAE_DRAW)
        draw_frame(m, w, r, S, xr, (wmar ? wmar : w->wnorm) + (size_t)r * S, ln);
      for (int s = 0; s < S; s++) ln->ratio[s] = w->wnorm[(size_t)r * S + s];
      int s = pick(&rngs[r], ln->ratio, S);
      const float *o = w->dec_h[m->nlayers - 1] + ((size_t)r * S + s) * m->dec_out;
      const float *xs = mode == VAE_DRAW ? w->xs + (size_t)r * p : NULL;
      for (int c = 0; c < p; c++) {
        if (!isnan(xr[c])) continue;
        if (mode == VAE_DRAW && vae_is_numeric(m->cols[c].kind)) {
          double z = draw_score(m, c, o, sc->sd, xs, &rngs[r]);
          dst[c] = vae_draw_value(m, c, z, ln->centre[c], ln->shift[c], m->spread[c],
                                  vae_rng_uniform(&rngs[r]));
        } else if (mode == VAE_DRAW && m->modal[c]) {
          dst[c] = (float)modal_draw(m, c, vae_rng_uniform(&rngs[r]));
        } else {
          dst[c] = draw_value(m, c, o, sc->sd, xs, &rngs[r], ln->probs);
        }
      }
    } else {
      vae_linear_row(m, xr, ln->lw, ln->linear, ln->r2);
      row_mean(m, w, r, S, ln->used[r], xr, ln->linear, ln->r2, ln->lw, ln->knn + (size_t)r * p,
               ln->knn_probs + (size_t)r * m->x_width,
               wmar ? wmar + (size_t)r * S : NULL,
               j->probs_out ? j->probs_out + (size_t)(at + r) * m->x_width : NULL,
               j->est_out ? j->est_out + (size_t)(at + r) * m->x_width : NULL, dst,
               ln->probs, ln->acc, ln->gh, ln->filled);
      if (j->parts) draw_parts(m, w, r, S, xr, sc->sd, j->parts, (long)(at + r), ln);
    }
  }
}

/* mar: treat the model as MAR (VAE_GENERATE, and the held-out cells hidden
** at random by which the shares are fitted). */
static int infer_rows(const vae_model *m, int mode, int n, const float *x,
                      const uint64_t *seeds, int S, float *out, double *nll,
                      float *probs_out, int mar, double tol, int *used,
                      const vae_draw_parts *parts, vae_scratch **keep, float *est_out) {
  if (n <= 0) return VAE_OK;
  if (S <= 0) S = m->cfg.impute_samples > 0 ? m->cfg.impute_samples : 1;
  if (vae_infer_check(m, S, NULL, 0)) return VAE_INVALID;
  if (vae_check_data(m->cols, m->p, x, n, NULL, 0)) return VAE_INVALID;
  int chunk = pass_rows(m, S);
  if (chunk > n) chunk = n;
  const int items = (n + chunk - 1) / chunk;
  vae_scratch *sc = scratch_for(keep, m, chunk, S, lanes_for(m, items), 1);
  if (!sc) return VAE_NOMEM;
  decoder_sd(m, sc->sd);
  for (int c = 0; c < m->p; c++) sc->knn_want[c] = m->knn_share[c] > 0;
  infer_job j = {m, mode, n, S, chunk, mar, tol, used, x, seeds, out, probs_out, nll, sc, 0, 0,
                 parts, est_out};
  vae_pool_run(sc->pool, items, infer_chunk, &j);
  if (!keep) vae_scratch_free(sc);
  return VAE_OK;
}

/* The decoder's sd of each column times generation's noise temperature
** (noise.c; 1 without a calibration). */
static void generation_sd(const vae_model *m, double *sd) {
  decoder_sd(m, sd);
  double t = m->cal.nq && m->cal.temp > 0 ? m->cal.temp : 1.0;
  for (int j = 0; j < m->p; j++)
    if (vae_is_numeric(m->cols[j].kind)) sd[j] *= t;
}

#define SAMPLE_CHUNK 256
/* The stream of vae_generate's rank offsets (vae_seed_mix with the seed). */
#define RANK_STREAM 0x52414e4b /* "RANK" */

/* Rows of vae_sample: independent draws, each row's stream from its seed
** in j->seeds (seed 0 without them). */
static void sample_chunk(void *ctx, int item, int worker) {
  const infer_job *j = ctx;
  const vae_model *m = j->m;
  const int p = m->p, d = m->latent, at = item * j->chunk;
  const int rows = j->n - at < j->chunk ? j->n - at : j->chunk;
  lane *ln = &j->sc->lanes[worker];
  vae_work *w = &ln->w;
  for (int r = 0; r < rows; r++) {
    vae_rng_seed(&ln->rngs[r], j->seeds ? j->seeds[at + r] : 0);
    vae_rng_normals(&ln->rngs[r], w->z + (size_t)r * d, d);
  }
  vae_decode(m, w, rows);
  for (int r = 0; r < rows; r++) {
    const float *o = w->dec_h[m->nlayers - 1] + (size_t)r * m->dec_out;
    for (int c = 0; c < p; c++) {
      double u = vae_rng_uniform(&ln->rngs[r]);
      if (!(u > 0)) u = 1e-300;
      j->out[(size_t)(at + r) * p + c] = generated_value(m, c, o, j->sc->sd, u, ln->probs);
    }
  }
}

static int sample_rows(const vae_model *m, int n, const uint64_t *seeds, float *out,
                       vae_scratch **keep) {
  if (n <= 0) return VAE_OK;
  int chunk = n < SAMPLE_CHUNK ? n : SAMPLE_CHUNK;
  const int items = (n + chunk - 1) / chunk;
  vae_scratch *sc = scratch_for(keep, m, chunk, 1, lanes_for(m, items), 1);
  if (!sc) return VAE_NOMEM;
  generation_sd(m, sc->sd);
  infer_job j = {m, 0, n, 1, chunk, 0, 0, NULL, NULL, seeds, out, NULL, NULL, sc, 0, 0, NULL, NULL};
  vae_pool_run(sc->pool, items, sample_chunk, &j);
  if (!keep) vae_scratch_free(sc);
  return VAE_OK;
}

/* vae_generate's numeric noise. A generated score is the decoder's mean at
** z plus noise; drawn independently between columns (the decoder's sd, a
** diagonal Gaussian), it carries none of the dependence the network left
** to it: three pairs of columns correlated 0.8 each, fitted with 2 latent
** dimensions, came out with one pair uncorrelated (tests/test_core.c,
** test_generate_residual_correlation), and the calibration's temperature
** (noise.c) can only shrink that noise. So within each super-block the
** numeric noise is drawn with the covariance the rows' correlations leave
** over once the block's means are given: with C the covariance of the
** block's means and s_a the column's noise sd (the decoder's times the
** temperature), column a's total variance v_a = C_aa + s_a^2 and the
** noise covariance R_ac = r_ac sqrt(v_a v_c) - C_ac (R_aa = s_a^2), r the
** correlations of the linear part (linear.c: standardized values, the
** correlations the generated values are compared with). R_ac is kept on
** the side of r_ac's sign (0 where the means already correlate more): a
** column with one far value (30 sd) has a value correlation well below
** its other rows' and pulled the generated one down to 0.68 where those
** rows had 0.86 (test_generate_block_marginals). Each column's noise keeps
** its variance; only how the columns' noise goes together changes. Where
** R is not positive definite its off-diagonal is shrunk toward 0 by
** tenths (at 0: independent noise, as before). Without a linear part, or
** with more than RESIDUAL_MAX_COLS numeric columns (a super-block's
** covariance costs B nn^2), the noise stays independent. Correlations of
** the training rows' normal scores (from the nearest neighbours'
** reservoir) instead: faithful's pair score 0.988 -> 0.944 (its two
** clusters correlate 0.68 in normal scores, 0.89 in values). core's
** vae_sample (independent rows) keeps independent noise. */
#define RESIDUAL_MAX_COLS 64
#define RESIDUAL_SHRINK_STEPS 10

/* Tried, and not kept: that noise widened (each numeric column's sd times
** w in vae_generate), so that less of how the columns go together comes
** from the network's means, which on small tables place rows near the
** training rows, and more from the noise's Gaussian, which gives the
** linear part's correlations. Over 14 tables of 21-500 training rows, 2
** fits x 4 sampling seeds each (bench/gen_avg.py), mean DCR share / mean
** over tables of pair - the copula's / ML efficacy - its bar: w = 1:
** 0.635 / +0.035 / +0.065 (5 tables at or below 0.6); 1.4: 0.615 /
** +0.031 / +0.056; 1.5: 0.611 / +0.030 / +0.053 (10 tables); 1.7: 0.605
** / +0.028 / +0.050; 2: 0.597 / +0.024 / +0.050, and on the quick bench
** (seed 0) DCR share <= 0.6 on 22 tables (17) but pair >= the copula's
** on 21 (24: breast_cancer, biopsy, cells fell below). It costs pair
** where a column has far values: the linear part's value correlations
** are pulled down by them (above), and the wider the noise, the more of
** the dependence is the noise's (test_generate_block_marginals at w =
** 1.5: 0.64 generated where the rows have 0.86). mammalsleep, cars93 and
** sonar stayed at 0.74-0.77, 0.77, 0.65-0.70 for w = 1.5-2 (one sample
** at w = 3: 0.62, 0.73, 0.69, pair and ML efficacy down). Not moved
** either: z drawn from N(0, 1.5^2 I) (mean DCR share 0.645 -> 0.651),
** binary and categorical logits divided by 2 with the level shifts
** calibrated on the same logits (mammalsleep 0.750 -> 0.744, cars93
** 0.805 -> 0.787). The noise's target correlation raised to the block's
** means' own where theirs is the stronger (to spare far-valued columns):
** pair fell on wine (+0.023 -> +0.005) and diabetes, alone or with w =
** 1.5. */

/* sc's correlations between m's numeric columns, from its linear part's
** covariance (linear.c: a Gaussian over the standardized values fitted by
** EM, missing cells integrated out), or sc->rnn = 0: independent noise. */
static int residual_target(const vae_model *m, vae_scratch *sc) {
  int nn = 0;
  for (int c = 0; c < m->p; c++) nn += vae_is_numeric(m->cols[c].kind);
  const int d = m->lin.d;
  sc->rnn = 0;
  if (nn < 2 || nn > RESIDUAL_MAX_COLS || d == 0) {
    sc->resid_made = 1;
    return VAE_OK;
  }
  if (!sc->rcols) sc->rcols = vae_malloc(&sc->mem, (size_t)nn * sizeof(int));
  if (!sc->rcorr) sc->rcorr = vae_malloc(&sc->mem, (size_t)nn * nn * sizeof(double));
  if (!sc->rcols || !sc->rcorr) return VAE_NOMEM;
  for (int c = 0, k = 0; c < m->p; c++)
    if (vae_is_numeric(m->cols[c].kind)) sc->rcols[k++] = c;
  const double *cov = m->lin.cov;
  for (int a = 0; a < nn; a++)
    for (int c = 0; c < nn; c++) {
      const size_t ia = (size_t)m->off[sc->rcols[a]], ic = (size_t)m->off[sc->rcols[c]];
      const double den = cov[ia * d + ia] * cov[ic * d + ic];
      double r = a == c ? 1 : den > 0 ? cov[ia * d + ic] / sqrt(den) : 0;
      sc->rcorr[(size_t)a * nn + c] = isfinite(r) ? fmax(-1.0, fmin(1.0, r)) : 0;
    }
  sc->rnn = nn;
  sc->resid_made = 1;
  return VAE_OK;
}

/* Cholesky factor L (lower, nn x nn) of the super-block's noise covariance
** R (above) with its off-diagonal scaled by f; 0 if R is not positive
** definite. C: the means' covariance; s: each column's noise sd. */
static int residual_cholesky(const vae_scratch *sc, const double *C, const double *s, double f,
                             double *L) {
  const int nn = sc->rnn;
  for (int a = 0; a < nn; a++)
    for (int c = 0; c <= a; c++) {
      double r;
      if (a == c) {
        r = s[a] * s[a];
      } else if (f == 0) {
        r = 0;
      } else {
        double va = C[(size_t)a * nn + a] + s[a] * s[a], vc = C[(size_t)c * nn + c] + s[c] * s[c];
        double rho = sc->rcorr[(size_t)a * nn + c];
        r = rho * sqrt(va * vc) - C[(size_t)a * nn + c];
        /* Never against the rows' correlation (see above). */
        r = f * (rho >= 0 ? fmax(r, 0.0) : fmin(r, 0.0));
      }
      for (int k = 0; k < c; k++) r -= L[(size_t)a * nn + k] * L[(size_t)c * nn + k];
      if (a == c) {
        if (!(r > 0)) return 0;
        L[(size_t)a * nn + a] = sqrt(r);
      } else {
        L[(size_t)a * nn + c] = r / L[(size_t)c * nn + c];
      }
    }
  return 1;
}

/* The factor of a super-block's numeric noise into ln->resid + rnn^2, from
** its B rows' means (ln->scores, column-major, numeric columns in order). */
static void residual_factor(const vae_model *m, const vae_scratch *sc, lane *ln, int B,
                            double *s) {
  const int nn = sc->rnn;
  double *C = ln->resid, *L = C + (size_t)nn * nn, *mu = L + (size_t)nn * nn;
  for (int a = 0; a < nn; a++) {
    const float *g = ln->scores + (size_t)a * B;
    double acc = 0;
    for (int r = 0; r < B; r++) acc += g[r];
    mu[a] = acc / B;
    s[a] = sc->sd[sc->rcols[a]];
  }
  for (int a = 0; a < nn; a++)
    for (int c = 0; c <= a; c++) {
      const float *x = ln->scores + (size_t)a * B, *y = ln->scores + (size_t)c * B;
      double acc = 0;
      for (int r = 0; r < B; r++) acc += (x[r] - mu[a]) * (y[r] - mu[c]);
      C[(size_t)a * nn + c] = C[(size_t)c * nn + a] = acc / B;
    }
  for (int step = 0; step <= RESIDUAL_SHRINK_STEPS; step++)
    if (residual_cholesky(sc, C, s, 1.0 - (double)step / RESIDUAL_SHRINK_STEPS, L)) return;
  (void)m;
}

/* Super-block item of vae_generate (block j->first / B + item, B =
** vae_generate_block(m) = j->chunk): its B rows decoded SAMPLE_CHUNK (or B) at a time, the
** rows within the call's range [j->first, j->first + j->n) written to
** j->out. The latents and each column's noise are the seed's stratified
** uniforms (vae_stratified_block, 64 rows a block). A binary or
** categorical cell is the level its uniform falls in. A numeric column's
** scores (decoder mean plus noise) are ranked within the super-block, and
** the row of rank k takes the column's value at probability
** (k + v) / B (vae_column_value_at), v in (0, 1) the
** super-block's own (stratified across super-blocks): each super-block's
** values of a column follow the column's observed distribution exactly,
** in the order the network gave its rows.
**
** Why: mapped one by one through the calibration's table (calibrate.c),
** the generated share of a column's few extreme values moved by 10-20%
** between sampling seeds, and with it the sd of columns set by a few
** outliers (bench/generate.py --quick: breast_cancer, sonar, hpc, cells
** and shuttle 3-18% off with 20,000 rows). */
static void generate_block(void *ctx, int item, int worker) {
  const infer_job *j = ctx;
  const vae_model *m = j->m;
  const int p = m->p, d = m->latent, B = j->chunk, piece = B < SAMPLE_CHUNK ? B : SAMPLE_CHUNK;
  const uint64_t sb = j->first / B + (uint64_t)item, base = sb * B;
  const uint64_t end = j->first + (uint64_t)j->n;
  lane *ln = &j->sc->lanes[worker];
  vae_work *w = &ln->w;
  double *rk = ln->rank; /* (score, row) pairs, then vae_sort_ranked's scratch */
  double *u = ln->noise, *e = u + (size_t)VAE_STRATA * p;
  /* The rows of this super-block within the call's range: [lo, hi); row
  ** `row` of the super-block is row base + row - first of out. */
  const int lo = j->first > base ? (int)(j->first - base) : 0;
  const int hi = end < base + B ? (int)(end - base) : B;
  const vae_scratch *sc = j->sc;
  const int resid = sc->rnn > 0;
#define GENERATED(row, c) j->out[(size_t)(base + (uint64_t)(row) - j->first) * p + (c)]
  for (int at = 0; at < B; at += piece) {
    for (int b = 0; b < piece; b += VAE_STRATA)
      vae_gen_latents(m, j->seed, (base + at + b) / VAE_STRATA, w->z + (size_t)b * d);
    vae_decode(m, w, piece);
    const float *o = w->dec_h[m->nlayers - 1];
    for (int b = 0; b < piece; b += VAE_STRATA) {
      vae_gen_noise(m, j->seed, (base + at + b) / VAE_STRATA, u, e);
      for (int c = 0, nc = 0; c < p; c++) {
        const int numeric = vae_is_numeric(m->cols[c].kind);
        float *g = numeric ? ln->scores + (size_t)nc++ * B + at : NULL;
        double *en = numeric && resid ? ln->rnoise + (size_t)(nc - 1) * B + at : NULL;
        for (int r = 0; r < VAE_STRATA; r++) {
          const int row = b + r;
          if (en) en[row] = e[(size_t)r * p + c];
          if (numeric)
            g[row] = (float)(o[(size_t)row * m->dec_out + m->off[c]] +
                             (resid ? 0.0 : j->sc->sd[c] * e[(size_t)r * p + c]));
          else if (at + row >= lo && at + row < hi)
            GENERATED(at + row, c) = generated_value(m, c, o + (size_t)row * m->dec_out,
                                                     j->sc->sd, u[(size_t)r * p + c], ln->probs);
        }
      }
    }
  }
  if (resid) {
    /* The means' noise, drawn with the residual covariance (above): row r
    ** adds L e, e its columns' stratified normals (kept in ln->rnoise). */
    const int nn = sc->rnn;
    double *L = ln->resid + (size_t)nn * nn, *s = L + (size_t)nn * nn + nn;
    residual_factor(m, sc, ln, B, s);
    for (int a = 0; a < nn; a++) {
      float *g = ln->scores + (size_t)a * B;
      for (int r = 0; r < B; r++) {
        double acc = 0;
        for (int k = 0; k <= a; k++) acc += L[(size_t)a * nn + k] * ln->rnoise[(size_t)k * B + r];
        g[r] += (float)acc;
      }
    }
  }
  for (int c = 0, nc = 0; c < p; c++) {
    const vae_column *col = &m->cols[c];
    if (!vae_is_numeric(col->kind)) continue;
    const float *g = ln->scores + (size_t)nc++ * B;
    /* In order of score, ties (-0 and +0 too) in order of row: a radix
    ** sort (noise.c), where qsort's call per comparison was 3% of a
    ** 60-column fit (its calibration's rows). */
    for (int r = 0; r < B; r++) {
      rk[2 * r] = isnan(g[r]) ? 0.0 : g[r]; /* a crafted blob's decoder may give NaN */
      rk[2 * r + 1] = r;
    }
    vae_sort_ranked(rk, rk + (size_t)2 * B, B);
    const double v = vae_stratified_uniform(vae_seed_mix(j->seed, RANK_STREAM), sb, c);
    for (int k = 0; k < B; k++) {
      const int row = (int)rk[2 * k + 1];
      if (row >= lo && row < hi)
        GENERATED(row, c) = round_to_kind(col, vae_column_value_at(col, (k + v) / B));
    }
  }
#undef GENERATED
}

int vae_generate_block(const vae_model *m) {
  double macs = vae_decoder_macs(m);
  int B = VAE_GENERATE_BLOCK;
  while (B > VAE_STRATA && B * macs > VAE_PASS_MACS) B /= 2;
  return B;
}

/* on: NULL to run on the scratch's own pool (lanes_for the model's
** threads), else on *on, a lane for each of its threads. */
static int generate_rows(const vae_model *m, uint64_t seed, uint64_t first, int n, float *out,
                         vae_scratch **keep, vae_pool *const *on) {
  if (n <= 0) return VAE_OK;
  const uint64_t B = (uint64_t)vae_generate_block(m);
  const int items = (int)((first + (uint64_t)n - 1) / B - first / B + 1);
  vae_scratch *sc = on ? scratch_for(keep, m, SAMPLE_CHUNK, 1, vae_pool_threads(*on), 0)
                       : scratch_for(keep, m, SAMPLE_CHUNK, 1, lanes_for(m, items), 1);
  if (!sc) return VAE_NOMEM;
  int numeric = 0;
  for (int c = 0; c < m->p; c++) numeric += vae_is_numeric(m->cols[c].kind);
  if (!sc->resid_made && residual_target(m, sc) != VAE_OK) {
    if (!keep) vae_scratch_free(sc);
    return VAE_NOMEM;
  }
  const size_t rn = (size_t)sc->rnn;
  /* A super-block's numeric scores, one column's ranks and the noise's
  ** factor, per lane: made on the first generation with these buffers. */
  for (int i = 0; i < sc->nlanes; i++) {
    lane *l = &sc->lanes[i];
    if (!l->rank) l->rank = vae_malloc(&m->mem, (size_t)4 * B * sizeof(double));
    if (!l->noise) l->noise = vae_malloc(&m->mem, (size_t)2 * VAE_STRATA * m->p * sizeof(double));
    if (!l->scores && numeric) l->scores = vae_malloc(&m->mem, (size_t)B * numeric * sizeof(float));
    if (!l->resid && rn) l->resid = vae_malloc(&m->mem, (2 * rn * rn + 2 * rn) * sizeof(double));
    if (!l->rnoise && rn) l->rnoise = vae_malloc(&m->mem, (size_t)B * rn * sizeof(double));
    if (!l->rank || !l->noise || (numeric && !l->scores) || (rn && (!l->resid || !l->rnoise))) {
      if (!keep) vae_scratch_free(sc);
      return VAE_NOMEM;
    }
  }
  generation_sd(m, sc->sd);
  infer_job j = {m, 0, n, 1, (int)B, 0, 0, NULL, NULL, NULL, out, NULL, NULL, sc, seed, first,
                 NULL, NULL};
  vae_pool_run(on ? *on : sc->pool, items, generate_block, &j);
  if (!keep) vae_scratch_free(sc);
  return VAE_OK;
}

/* Rows per piece of ensemble_rows: whole passes, and at most some
** ENSEMBLE_EST_FLOATS floats of each member's est. */
#define ENSEMBLE_EST_FLOATS 1048576.0

/* The members' estimates of rows x[0..n) averaged into out (vae.h:
** vae_infer): each member's est (row_mean) of a piece of rows, then per
** missing cell the mean of a numeric cell's, rounded as its kind says, or
** the most probable level of the mean of the level probabilities. keep
** as vae_infer_kept's: the first member's scratch, which holds the
** second's. Pieces are whole passes, so the answers are one call's. */
static int ensemble_rows(const vae_model *m, int n, const float *x, const uint64_t *seeds,
                         int S, float *out, vae_scratch **keep) {
  const vae_model *m2 = m->member;
  const int p = m->p, width = m->x_width;
  const int pass = pass_rows(m, S > 0 ? S : m->cfg.impute_samples > 0 ? m->cfg.impute_samples : 1);
  const double fit = ENSEMBLE_EST_FLOATS / ((double)pass * width);
  int piece = fit > 1 ? pass * (int)fmin(fit, (double)n / pass + 1) : pass;
  if (piece > n) piece = n;
  float *est = vae_malloc(&m->mem, (size_t)2 * piece * width * sizeof(float));
  if (!est) return VAE_NOMEM;
  float *e1 = est, *e2 = est + (size_t)piece * width;
  vae_scratch *own = NULL, **k = keep ? keep : &own;
  int rc = VAE_OK;
  for (int at = 0; at < n && rc == VAE_OK; at += piece) {
    const int rows = n - at < piece ? n - at : piece;
    const float *xr = x + (size_t)at * p;
    const uint64_t *sr = seeds ? seeds + at : NULL;
    float *dst = out + (size_t)at * p;
    rc = infer_rows(m, VAE_MEAN, rows, xr, sr, S, dst, NULL, NULL, 0, VAE_ADAPT_TOL, NULL, NULL,
                    k, e1);
    /* The second member's buffers live in the first's (made by now). */
    if (rc == VAE_OK)
      rc = infer_rows(m2, VAE_MEAN, rows, xr, sr, S, dst, NULL, NULL, 0, VAE_ADAPT_TOL, NULL,
                      NULL, &(*k)->member, e2);
    for (int r = 0; rc == VAE_OK && r < rows; r++) {
      const float *xi = xr + (size_t)r * p, *a = e1 + (size_t)r * width, *b = e2 + (size_t)r * width;
      float *d = dst + (size_t)r * p;
      memcpy(d, xi, (size_t)p * sizeof(float));
      for (int j = 0; j < p; j++) {
        if (!isnan(xi[j])) continue;
        const vae_column *c = &m->cols[j];
        const int o = m->off[j];
        if (vae_is_numeric(c->kind)) {
          d[j] = round_within(c, 0.5 * ((double)a[o] + (double)b[o]), -INFINITY, INFINITY);
        } else if (m->modal[j]) { /* the first member's choice rules */
          d[j] = (float)modal_level(m, j);
        } else if (c->kind == VAE_BINARY) {
          d[j] = (double)a[o] + (double)b[o] >= 1.0 ? 1.0f : 0.0f;
        } else {
          int best = 0;
          for (int l = 1; l < c->nlevels; l++)
            if ((double)a[o + l] + b[o + l] > (double)a[o + best] + b[o + best]) best = l;
          d[j] = (float)best;
        }
      }
    }
  }
  vae_free(&m->mem, est);
  if (!keep) vae_scratch_free(own);
  return rc;
}

int vae_infer_kept(const vae_model *m, int mode, int n, const float *x,
                   const uint64_t *seeds, int S, float *out, double *nll,
                   vae_scratch **scratch) {
  if (mode == VAE_MEAN && !nll && m->member && n > 0)
    return ensemble_rows(m, n, x, seeds, S, out, scratch);
  /* Scores need every sample (a log-mean over them); draws too (one of
  ** them is resampled). */
  return infer_rows(m, mode, n, x, seeds, S, out, nll, NULL, 0, nll ? 0 : VAE_ADAPT_TOL, NULL,
                    NULL, scratch, NULL);
}

int vae_infer_adaptive(const vae_model *m, int n, const float *x, int S, double tol,
                       float *out, int *used) {
  return infer_rows(m, VAE_MEAN, n, x, NULL, S, out, NULL, NULL, 0, tol, used, NULL, NULL, NULL);
}

int vae_infer_probs(const vae_model *m, int n, const float *x, int S, int mnar, float *out,
                    float *probs, const vae_draw_parts *parts, vae_scratch **keep) {
  return infer_rows(m, VAE_MEAN, n, x, NULL, S, out, NULL, probs, !mnar, 0, NULL, parts, keep,
                    NULL);
}

int vae_infer(const vae_model *m, int mode, int n, const float *x,
              const uint64_t *seeds, int S, float *out, double *nll) {
  return vae_infer_kept(m, mode, n, x, seeds, S, out, nll, NULL);
}

int vae_sample_kept(const vae_model *m, int n, const uint64_t *seeds, float *out,
                    vae_scratch **scratch) {
  return sample_rows(m, n, seeds, out, scratch);
}

int vae_sample(const vae_model *m, int n, const uint64_t *seeds, float *out) {
  return vae_sample_kept(m, n, seeds, out, NULL);
}

int vae_generate(const vae_model *m, uint64_t seed, uint64_t first, int n, float *out,
                 vae_scratch **scratch) {
  return generate_rows(m, seed, first, n, out, scratch, NULL);
}

int vae_generate_on(const vae_model *m, uint64_t seed, int n, float *out, vae_pool *pool,
                    vae_scratch **scratch) {
  return generate_rows(m, seed, 0, n, out, scratch, &pool);
}
