/*
** calibrate.c -- generation's marginal calibration: what vae_sample does
** to each numeric cell it draws, measured once at the end of a fit.
**
** A generated numeric cell is the decoder's mean at z ~ N(0, I) plus its
** Gaussian noise, a normal score that goes back to data units through the
** column's quantiles. Were those scores distributed as the training rows'
** are, every column would come out with its own distribution. They are
** not quite: on the suite the generated columns were under-dispersed (sd
** 5-10% below the real column's, most on columns of a few integer values),
** and the shape score trailed a Gaussian copula's by 0.01-0.03.
**
** So vae_calibrate draws up to CALIBRATION_DRAWS rows as vae_sample does
** (rows 0.. of the stratified draws of vae_generate under a seed of its
** own, vae_stratified_block; fewer for few training rows or a wide
** decoder) and keeps, per numeric column, the quantiles of the
** generated scores (CALIBRATION_QUANTILES of them). vae_sample then maps a
** generated score g through that table to its probability u (normal
** scores interpolated between the quantiles, see probability()) and
** returns the column's training value at u (each observed value weighing
** one row, see vae_calibrated_value()). The map is monotone per
** column, so the order of the generated values, and with it how columns
** go together, stays the network's; only each column's marginal is the
** training rows' (as a Gaussian copula's marginals are), and within each
** gap between two of its values the generated values are bent toward the
** end away from the mean so that its variance is theirs too
** (vae_generation_bend).
**
** vae_generate (vae_sample's SQL rows and the vae table's) reads the
** numeric tables no more: within each super-block of its rows a column's
** values are assigned by rank (infer.c), which pins each block's
** marginal down where the table's map left the share of a column's few
** extreme values to the draws. The core's vae_sample (independent draws)
** still maps through them. On the draws the numeric noise's temperature
** is chosen (noise.c), widened on vae_generate's rows once the level
** shifts are made; the tables are of the draws at that temperature.
**
** Tried first, and worse on the suite (bench/generate.py --quick, 17
** tables): drawing z from a Gaussian fitted to the encoder's aggregate
** posterior instead of N(0, I), with the noise set to match each column's
** score variance: shape -0.008 and pair -0.007 on average, ML efficacy
** -0.025, DCR share up. Matching the noise variance alone (z from N(0, I))
** fixed sd on continuous columns but not on the integer ones.
*/
#include "mem.h"
#include "model.h"
#include "transform.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CALIBRATION_DRAWS 16384
#define CALIBRATION_MIN_DRAWS 2048
#define CALIBRATION_PER_ROW 64
/* Multiply-adds of the draws' decoding at most (beyond the fewest draws):
** about a quarter of a second on one core. */
#define CALIBRATION_MACS 1e9
#define CALIBRATION_QUANTILES 256
#define CALIBRATION_CHUNK 256
#define CALIBRATION_ROUNDS 40
/* A level's share within this of the training rows' ends its shifts. */
#define CALIBRATION_TOL 1e-4
/* The largest change of a level shift in one round (logit units). */
#define CALIBRATION_STEP 2.0
/* Chunks decoded per job of the pool (a stop check between jobs). */
#define CALIBRATION_JOB 16

void vae_calibration_free(const vae_allocator *a, vae_calibration *cal) {
  vae_free(a, cal->q);
  vae_free(a, cal->shift);
  memset(cal, 0, sizeof *cal);
}

int vae_calibration_alloc(const vae_allocator *a, vae_calibration *cal, int nq, int p,
                          int x_width) {
  memset(cal, 0, sizeof *cal);
  cal->q = vae_calloc(a, (size_t)nq * p, sizeof(float));
  cal->shift = vae_calloc(a, (size_t)x_width, sizeof(float));
  if (!cal->q || !cal->shift) {
    vae_calibration_free(a, cal);
    return VAE_NOMEM;
  }
  cal->nq = nq;
  cal->temp = 1.0;
  return VAE_OK;
}

/* Probability of g under the piecewise-linear distribution function through
** the nq sorted values q (0 below, 1 above them; a run of equal values
** gets the middle of its probabilities): the map of tables too small for
** the one below, and of runs of equal knots (a crafted blob). */
static double linear_probability(const float *q, int nq, double g) {
  if (g <= q[0] || nq < 2) {
    int hi = 0;
    while (hi + 1 < nq && q[hi + 1] <= g) hi++;
    return nq < 2 ? 0.5 : 0.5 * hi / (nq - 1);
  }
  if (g >= q[nq - 1]) {
    int lo = nq - 1;
    while (lo > 0 && q[lo - 1] >= g) lo--;
    return 1.0 - 0.5 * (nq - 1 - lo) / (nq - 1);
  }
  int lo = 0, hi = nq - 1;
  while (hi - lo > 1) { /* q[lo] <= g < q[hi] */
    int mid = (lo + hi) / 2;
    if (q[mid] <= g) lo = mid; else hi = mid;
  }
  if (q[lo] == g) {
    int first = lo;
    while (first > 0 && q[first - 1] == g) first--;
    return 0.5 * (first + lo) / (nq - 1);
  }
  return (lo + (g - q[lo]) / ((double)q[hi] - q[lo])) / (nq - 1);
}

/* Probability of g given the generated scores' quantiles q (q[k] at
** probability k / (nq - 1)): the normal score of the probability is
** interpolated linearly in g between the knots, and extrapolated beyond
** the second and the next-to-last knot with the slope of the interval
** next to them (the outermost knots, a minimum and a maximum of draws, are
** too noisy to interpolate to). Linear in probability, as first done,
** the last interval (1/255 of the draws) spread its mass evenly over a
** stretch where a Gaussian tail's is mostly at its inner end, so the
** training rows' top and bottom values were generated too seldom: sd 2-45%
** short on columns with a far outlier. */
static double probability(const float *q, int nq, double g) {
  if (nq < 4) return linear_probability(q, nq, g);
  int lo = 1, hi = nq - 2;
  if (g < q[1]) {
    hi = 2;
  } else if (g >= q[nq - 2]) {
    lo = nq - 3;
  } else {
    while (hi - lo > 1) { /* q[lo] <= g < q[hi] */
      int mid = (lo + hi) / 2;
      if (q[mid] <= g) lo = mid; else hi = mid;
    }
  }
  if (!(q[hi] > q[lo])) return linear_probability(q, nq, g);
  double zl = vae_normal_quantile((double)lo / (nq - 1));
  double zh = vae_normal_quantile((double)hi / (nq - 1));
  return vae_normal_cdf(zl + (g - q[lo]) * (zh - zl) / ((double)q[hi] - q[lo]));
}

/* Where in a gap of the column's quantiles (t of 0..1, uniform) a value
** goes under bend b: toward the gap's end away from the column's mean
** (up: toward the upper end) for b > 1, evenly for b = 1. */
static double bent(double t, double b, int up) {
  if (b == 1.0) return t;
  return up ? 1.0 - pow(1.0 - t, b) : pow(t, b);
}

/* The share of a gap's values that bent() puts below s (0..1). */
static double bent_below(double s, double b, int up) {
  if (s <= 0) return 0;
  if (s >= 1) return 1;
  return up ? 1.0 - pow(1.0 - s, 1.0 / b) : pow(s, 1.0 / b);
}

/* The u -> value map of vae_calibrated_value, as masses: n rows, the
** first and last quantiles 0.5 / n each, every gap between neighbouring
** quantiles (1 - 1 / n) / (nq - 1) spread over it by bent(). */
static double rows_of(const vae_column *c) {
  return c->observed >= c->nq ? (double)c->observed : c->nq;
}

/* Sums of mass w at value v, rounded as c's kind is, into s[0..2]. */
static void add_mass(const vae_column *c, double w, double v, double *s) {
  if (c->kind == VAE_INTEGER) v = floor(v + 0.5);
  s[0] += w;
  s[1] += w * v;
  s[2] += w * v * v;
}

/* Integer columns: gaps up to this wide are valued value by value (the
** rounding splits their mass at the half-integers); wider ones as if
** continuous (rounding then adds a twelfth of a unit squared at most to
** a variance of the gap's square). */
#define BEND_EXACT_GAP 4

/* Variance of the generated values of c under bend b, u uniform: each
** gap's moments in closed form (E t' and E t'^2 of bent()); an integer
** column's narrow gaps value by value, their shares bent_below() at the
** half-integers (a table per b for gaps between two integers). */
static double bent_variance(const vae_column *c, double b) {
  const float *q = c->quantiles;
  const int nq = c->nq;
  const double n = rows_of(c), wg = (1.0 - 1.0 / n) / (nq - 1);
  double below[2][BEND_EXACT_GAP + 1][BEND_EXACT_GAP + 1];
  for (int up = 0; up < 2; up++)
    for (int d = 1; d <= BEND_EXACT_GAP; d++)
      for (int i = 0; i <= d; i++) below[up][d][i] = bent_below((i + 0.5) / d, b, up);
  double s[3] = {0, 0, 0};
  add_mass(c, 0.5 / n, q[0], s);
  add_mass(c, 0.5 / n, q[nq - 1], s);
  for (int k = 0; k + 1 < nq; k++) {
    double a = q[k], d = (double)q[k + 1] - q[k];
    int up = a + 0.5 * d > c->mean;
    if (c->kind == VAE_INTEGER && d <= BEND_EXACT_GAP) {
      if (d == 0) {
        add_mass(c, wg, a, s);
        continue;
      }
      int aligned = a == floor(a) && d == floor(d);
      double lo = floor(a + 0.5), hi = floor(a + d + 0.5), prev = 0;
      for (double v = lo; v <= hi; v += 1) {
        double next = v == hi ? 1
                    : aligned ? below[up][(int)d][(int)(v - lo)]
                              : bent_below((v + 0.5 - a) / d, b, up);
        if (next > prev) add_mass(c, wg * (next - prev), v, s);
        prev = next;
      }
      continue;
    }
    double e1 = up ? b / (b + 1) : 1 / (b + 1);
    double e2 = up ? 1 - 2 / (b + 1) + 1 / (2 * b + 1) : 1 / (2 * b + 1);
    s[0] += wg;
    s[1] += wg * (a + d * e1);
    s[2] += wg * (a * a + 2 * a * d * e1 + d * d * e2);
  }
  double mean = s[1] / s[0];
  return s[2] / s[0] - mean * mean;
}

/* Read evenly between its quantiles, a column's values come out with less
** variance than the column's: a gap's values average its middle, where
** the rows it lies between sit at its ends, short by the gap squared / 6
** over n per gap. Columns with a far outlier lost most (the gap next to
** it): sd 4-9% short of the column's with every probability u exact (a
** table of 21 rows, a 500-row one with one value 20 sd out). A gap's
** values are therefore pushed toward its end away from the mean by
** t^b (bent()), with b found by bisection so the variance is the
** observed values' (divisor n); b = 1 (even) for constant or tiny columns,
** b within 1/4 .. 64. */
double vae_generation_bend(const vae_column *c) {
  if (c->nq < 2 || c->observed < 2 || !(c->quantiles[c->nq - 1] > c->quantiles[0])) return 1.0;
  double k = (double)c->observed, target = c->sd * c->sd * (k - 1) / k;
  double lo = log(0.25), hi = log(64.0);
  if (bent_variance(c, exp(lo)) >= target) return exp(lo);
  if (bent_variance(c, exp(hi)) <= target) return exp(hi);
  for (int i = 0; i < 24; i++) { /* b to within 1e-6 of itself */
    double mid = 0.5 * (lo + hi);
    if (bent_variance(c, exp(mid)) < target) lo = mid; else hi = mid;
  }
  return exp(0.5 * (lo + hi));
}

/* g -> its probability u -> the column's value at u. The column's
** quantiles are its observed values' (type 7: q[k] at k / (nq - 1), the
** order statistics themselves when nq = observed). Read at u as they are,
** the smallest and largest values got half the weight of the others and
** the gaps next to them were spread evenly, which shrank the sd of columns
** with outliers (median column 1.6% short, the worst 42%, bench/
** generate.py's tables). So u is read at the observed values' midpoint
** positions ((i + 0.5) / observed for the i-th smallest), which keeps each
** value's weight 1 / observed: the sd is the column's within 3% on 98% of
** the suite's numeric columns (was 71%). Within a gap the value is bent
** (vae_generation_bend) so that the variance is the column's too. */
double vae_calibrated_value(const vae_model *m, int j, double g) {
  return vae_column_value_at(&m->cols[j], probability(m->cal.q + (size_t)j * m->cal.nq,
                                                      m->cal.nq, g));
}

double vae_column_value_at(const vae_column *c, double u) {
  if (!(u >= 0)) u = 0; /* NaN too: a crafted blob's decoder may give one */
  if (u > 1) u = 1;
  if (c->nq < 2) return c->quantiles[0];
  double n = rows_of(c);
  double v = (u * n - 0.5) / (n - 1);
  if (!(v > 0)) return c->quantiles[0];
  double pos = v * (c->nq - 1);
  int k = (int)pos;
  if (k >= c->nq - 1) return c->quantiles[c->nq - 1];
  double a = c->quantiles[k], d = (double)c->quantiles[k + 1] - a;
  return a + bent(pos - k, c->bend, a + 0.5 * d > c->mean) * d;
}

/* A float's bits as an unsigned key in the order of the values (NaN
** aside); -0 and +0, equal, get the same key. */
static uint32_t float_key(float v) {
  uint32_t u;
  v += 0.0f;
  memcpy(&u, &v, sizeof u);
  return u >> 31 ? ~u : u | (uint32_t)1 << 31;
}

/* a[0..n) in ascending order, tmp[n] scratch, equal values (-0 and +0
** too) in the order they came: a least-significant-digit radix sort of
** float_key, a byte a pass, passes whose byte is the same for every value
** skipped. The same floats, to the bit, as the stable merge sort it
** replaces (whose mispredicted branches were some 1% of a fit of 500
** rows), and as glibc's qsort (a merge sort) before that. */
void vae_sort_floats(float *a, float *tmp, int n) {
  size_t count[4][256];
  memset(count, 0, sizeof count);
  for (int i = 0; i < n; i++) {
    uint32_t k = float_key(a[i]);
    for (int d = 0; d < 4; d++) count[d][(k >> (8 * d)) & 255]++;
  }
  float *src = a, *dst = tmp;
  for (int d = 0; d < 4 && n > 0; d++) {
    if (count[d][(float_key(src[0]) >> (8 * d)) & 255] == (size_t)n) continue;
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
      size_t c = count[d][b];
      count[d][b] = at;
      at += c;
    }
    for (int i = 0; i < n; i++) dst[count[d][(float_key(src[i]) >> (8 * d)) & 255]++] = src[i];
    float *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, (size_t)n * sizeof(float));
}

/* Each binary or categorical column's share of rows per level, observed
** cells of data[n x p] only, into target (x_width, at the column's
** offset); a level never seen gets half a row. */
static void level_shares(const vae_model *m, const float *data, int64_t n, double *target) {
  for (int j = 0; j < m->p; j++) {
    const vae_column *c = &m->cols[j];
    if (vae_is_numeric(c->kind)) continue;
    int L = c->kind == VAE_CATEGORICAL ? c->nlevels : 2, at = m->off[j];
    double *t = target + at, seen = 0;
    double count[2] = {0, 0}, *cnt = c->kind == VAE_CATEGORICAL ? t : count;
    for (int l = 0; l < L; l++) cnt[l] = 0;
    for (int64_t r = 0; r < n; r++) {
      float v = data[(size_t)r * m->p + j];
      if (isnan(v)) continue;
      cnt[(int)v] += 1;
      seen += 1;
    }
    for (int l = 0; l < L; l++) cnt[l] = (cnt[l] > 0 ? cnt[l] : 0.5) / (seen > 0 ? seen : 1);
    if (c->kind == VAE_BINARY) t[0] = count[1];
  }
}

/* Level shifts: added to the decoder's logits of each binary and
** categorical column so that the mean over the N drawn rows' outputs (lg,
** N x dec_out) of the level probabilities is target's. Newton steps per
** level (the slope of a level's mean share in its own shift is the mean
** of p (1 - p)), each within CALIBRATION_STEP, until every share
** is within CALIBRATION_TOL of its target or CALIBRATION_ROUNDS passed.
** The ratio update first used here (shift += log(target / mean), six
** rounds) moves a share by far less than asked when the decoder's logits
** are large (the level nearly decided by z, as on a class column): the
** generated shares stayed 2-3 points off the training rows' (psid1976's
** participation, creditcard's card, 20,000 draws), a bias the shape score
** then counted on every table. mean: 3 x_width doubles (the means, the
** slopes, and the levels' factors exp(shift)).
**
** A draw's share of level l is e_l f_l / sum_k e_k f_k with e_l =
** exp(logit_l - the draw's largest logit) and f_l = exp(shift_l - the
** largest shift) (binary: 1 / (1 + e f), e = exp(-logit), f =
** exp(-shift)): the draws' e are computed once, over lg's own entries of
** the column (no other column reads them), and a round costs one
** exponential per level. An exponential per draw and level each round
** was 4-7% of a fit of 500 rows with a column of some 20-70 levels. */
static void level_shifts(const vae_model *m, int j, float *lg, int N,
                         const double *target, double *mean, float *shift) {
  const vae_column *c = &m->cols[j];
  const int at = m->off[j], L = c->kind == VAE_CATEGORICAL ? c->nlevels : 1;
  double *slope = mean + m->x_width, *f = slope + m->x_width + at;
  for (int i = 0; i < N; i++) {
    float *o = lg + (size_t)i * m->dec_out + at;
    if (c->kind == VAE_BINARY) {
      o[0] = (float)exp(-(double)o[0]); /* inf far below 0: a share of 0 */
    } else {
      float mx = -INFINITY;
      for (int l = 0; l < L; l++)
        if (o[l] > mx) mx = o[l];
      for (int l = 0; l < L; l++) o[l] = (float)exp((double)o[l] - mx);
    }
  }
  for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
    double top = -INFINITY;
    for (int l = 0; l < L; l++) {
      mean[at + l] = slope[at + l] = 0;
      if (shift[at + l] > top) top = shift[at + l];
    }
    if (c->kind == VAE_BINARY) f[0] = exp(-(double)shift[at]);
    else
      for (int l = 0; l < L; l++) f[l] = exp(shift[at + l] - top);
    for (int i = 0; i < N; i++) {
      const float *e = lg + (size_t)i * m->dec_out + at;
      if (c->kind == VAE_BINARY) {
        double q = 1.0 / (1.0 + e[0] * f[0]);
        mean[at] += q;
        slope[at] += q * (1 - q);
      } else {
        double s = 0;
        for (int l = 0; l < L; l++) s += e[l] * f[l];
        const double inv = 1.0 / s;
        for (int l = 0; l < L; l++) {
          double q = e[l] * f[l] * inv;
          mean[at + l] += q;
          slope[at + l] += q * (1 - q);
        }
      }
    }
    double worst = 0;
    for (int l = 0; l < L; l++) {
      double gap = target[at + l] - mean[at + l] / N;
      worst = fmax(worst, fabs(gap));
      /* A categorical column's levels all move at once, and a level's
      ** share falls as the others' rise: half a step each (two levels:
      ** the full step would overshoot twice over, forever). */
      double step = (L > 1 ? 0.5 : 1.0) * gap / fmax(slope[at + l] / N, 1e-9);
      step = fmin(fmax(step, -CALIBRATION_STEP), CALIBRATION_STEP);
      shift[at + l] = fminf(fmaxf(shift[at + l] + (float)step, -20.0f), 20.0f);
    }
    if (worst < CALIBRATION_TOL) break;
  }
}

/* Draws for m's decoder and rows training rows: CALIBRATION_PER_ROW per
** row (the calibration's own error then stays well below what the rows
** themselves say about the marginals; tiny fits stay cheap), within
** CALIBRATION_MIN_DRAWS .. CALIBRATION_DRAWS, and within CALIBRATION_MACS. */
static int draws_for(const vae_model *m, int64_t rows) {
  double macs = vae_decoder_macs(m);
  double n = fmin((double)CALIBRATION_PER_ROW * (double)rows, CALIBRATION_MACS / (macs > 1 ? macs : 1));
  return n >= CALIBRATION_DRAWS ? CALIBRATION_DRAWS
                                : n <= CALIBRATION_MIN_DRAWS ? CALIBRATION_MIN_DRAWS : (int)n;
}

/* The work of one calibration, cut into pool items that write disjoint
** parts of g, lg, cal.q and cal.shift: the same bits on any number of
** threads. */
typedef struct {
  const vae_model *m;
  int N, Nl;
  uint64_t seed;        /* the draws' (vae_stratified_uniform's) */
  const double *sd;
  vae_work *w;          /* [threads] */
  double *noise;        /* [threads] x 2 VAE_STRATA x p: a block's uniforms, noise */
  float *g, *gn, *lg;   /* numeric: decoder means, noise (column-major); logits */
  vae_calibration *cal;
  const double *target;
  double *mean;         /* [x_width] */
  int first;            /* the job's first chunk */
  int numeric;          /* calibrate_column: numeric columns (1) or the others (0) */
} calib_job;

/* Chunk first + item: its draws decoded into their numeric scores g
** (column-major) and, within Nl, their logits lg. Draw i is row i of the
** seed's stratified draws, as vae_generate makes them: its latents and
** each numeric column's noise from its uniforms (vae_stratified_block). */
static void decode_chunk(void *ctx, int item, int worker) {
  const calib_job *c = ctx;
  const vae_model *m = c->m;
  const int p = m->p, d = m->latent, at = (c->first + item) * CALIBRATION_CHUNK;
  const int cnt = c->N - at < CALIBRATION_CHUNK ? c->N - at : CALIBRATION_CHUNK;
  vae_work *w = &c->w[worker];
  double *u = c->noise + (size_t)worker * 2 * VAE_STRATA * p, *e = u + (size_t)VAE_STRATA * p;
  /* Whole blocks of latents: a chunk's buffer holds CALIBRATION_CHUNK rows,
  ** a multiple of VAE_STRATA, so the last block fits even when the draws
  ** end within it (its rows beyond cnt are not decoded). */
  for (int b = 0; b < cnt; b += VAE_STRATA)
    vae_gen_latents(m, c->seed, (uint64_t)(at + b) / VAE_STRATA, w->z + (size_t)b * d);
  vae_decode(m, w, cnt);
  const float *o = w->dec_h[m->nlayers - 1];
  for (int b = 0; b < cnt; b += VAE_STRATA) {
    const int rows = cnt - b < VAE_STRATA ? cnt - b : VAE_STRATA;
    vae_gen_noise(m, c->seed, (uint64_t)(at + b) / VAE_STRATA, u, e);
    for (int j = 0; j < p; j++) {
      if (!vae_is_numeric(m->cols[j].kind)) continue;
      float *g = c->g + (size_t)j * c->N + at, *gn = c->gn + (size_t)j * c->N + at;
      for (int r = 0; r < rows; r++) {
        g[b + r] = o[(size_t)(b + r) * m->dec_out + m->off[j]];
        gn[b + r] = (float)(c->sd[j] * e[(size_t)r * p + j]);
      }
    }
  }
  for (int r = 0; r < cnt && at + r < c->Nl; r++)
    memcpy(c->lg + (size_t)(at + r) * m->dec_out, o + (size_t)r * m->dec_out,
           (size_t)m->dec_out * sizeof(float));
}

/* Column item: a numeric column's scores sorted and its quantiles kept, a
** binary or categorical column's level shifts. */
static void calibrate_column(void *ctx, int j, int worker) {
  const calib_job *c = ctx;
  const vae_model *m = c->m;
  if (vae_is_numeric(m->cols[j].kind) != c->numeric) return;
  if (c->numeric) {
    float *col = c->g + (size_t)j * c->N, *q = c->cal->q + (size_t)j * c->cal->nq;
    const int N = c->N, nq = c->cal->nq;
    /* The column's noise is in its scores by now: its place is scratch. */
    vae_sort_floats(col, c->gn + (size_t)j * c->N, N);
    for (int k = 0; k < nq; k++) q[k] = col[(size_t)((double)k * (N - 1) / (nq - 1) + 0.5)];
  } else {
    level_shifts(m, j, c->lg, c->Nl, c->target, c->mean, c->cal->shift);
  }
}

int vae_calibrate(const vae_model *m, const float *data, int64_t n, uint64_t seed,
                  vae_pool *pool, int (*stop)(void *), void *ctx, vae_calibration *out) {
  const int p = m->p, threads = vae_pool_threads(pool);
  /* The logits kept for the level shifts: 16 MiB at most. */
  int N = draws_for(m, n), Nl = (int)fmin(N, 4194304.0 / m->dec_out);
  int rc = VAE_OK;
  vae_calibration cal;
  if (vae_calibration_alloc(&m->mem, &cal, CALIBRATION_QUANTILES, p, m->x_width))
    return VAE_NOMEM;
  /* Zeroed here, though the decoding writes them whole: so that their pages
  ** (some 3 MiB, fresh from the system) are faulted in by this thread
  ** alone. Faulted in by the pool's threads at once, as they first wrote
  ** them, they took the two-thread decoding from some 22 ms to 42 ms of a
  ** default fit of 20,000 rows (as long as on one thread) on this
  ** project's 2-core virtual machine; zeroing them costs some 5 ms. */
  float *g = vae_calloc(&m->mem, (size_t)N * p, sizeof(float));
  float *gn = vae_calloc(&m->mem, (size_t)N * p, sizeof(float));
  float *lg = vae_calloc(&m->mem, (size_t)Nl * m->dec_out, sizeof(float));
  const int chunks = (N + CALIBRATION_CHUNK - 1) / CALIBRATION_CHUNK;
  double *sd = vae_malloc(&m->mem, (size_t)p * sizeof(double));
  double *target = vae_calloc(&m->mem, 4 * (size_t)m->x_width, sizeof(double));
  vae_work *w = vae_calloc(&m->mem, (size_t)threads, sizeof *w);
  double *noise = vae_malloc(&m->mem, (size_t)threads * 2 * VAE_STRATA * p * sizeof(double));
  int ready = 0;
  if (g && gn && lg && sd && target && w && noise)
    while (ready < threads && vae_work_alloc(m, &w[ready], CALIBRATION_CHUNK, 1, 0) == VAE_OK)
      ready++;
  if (ready < threads) {
    rc = VAE_NOMEM;
    goto done;
  }
  vae_pool_new_phase(pool); /* decoding chunks, not the phase before's jobs */
  for (int j = 0; j < p; j++) sd[j] = sqrt(exp((double)m->params[m->logvar + j]) + VAE_VAR_FLOOR);
  calib_job job = {m, N, Nl, seed, sd, w, noise, g, gn, lg, &cal, target, target + m->x_width, 0, 0};
  /* Numeric scores column-major: each column's draws sorted in place
  ** afterwards. Decoded CALIBRATION_JOB chunks a job, asking stop between. */
  for (job.first = 0; job.first < chunks; job.first += CALIBRATION_JOB) {
    if (stop && stop(ctx)) {
      rc = VAE_INTERRUPTED;
      goto done;
    }
    int items = chunks - job.first < CALIBRATION_JOB ? chunks - job.first : CALIBRATION_JOB;
    vae_pool_run(pool, items, decode_chunk, &job);
  }
  /* The noise's temperature (noise.c), the level shifts, the temperature
  ** widened on vae_generate's rows (which read the shifts), then the
  ** numeric draws at it. */
  rc = vae_temperature_fit(m, data, n, g, gn, N, pool, &cal.temp);
  if (rc) goto done;
  level_shares(m, data, n, target);
  job.numeric = 0;
  vae_pool_run(pool, p, calibrate_column, &job);
  rc = vae_temperature_widen(m, &cal, data, n, seed, pool, &cal.temp);
  if (rc) goto done;
  for (int j = 0; j < p; j++)
    if (vae_is_numeric(m->cols[j].kind))
      for (size_t i = (size_t)j * N; i < (size_t)(j + 1) * N; i++) g[i] += (float)(cal.temp * gn[i]);
  job.numeric = 1;
  vae_pool_run(pool, p, calibrate_column, &job);
done:
  for (int t = 0; t < ready; t++) vae_work_free(&w[t]);
  vae_free(&m->mem, w);
  vae_free(&m->mem, noise);
  vae_free(&m->mem, g);
  vae_free(&m->mem, gn);
  vae_free(&m->mem, lg);
  vae_free(&m->mem, sd);
  vae_free(&m->mem, target);
  if (rc != VAE_OK) {
    vae_calibration_free(&m->mem, &cal);
    return rc;
  }
  *out = cal;
  return VAE_OK;
}
