/*
** forest.c -- the fourth expert of imputation: per binary or categorical
** column, a small random forest of classification trees that predicts the
** column from the row's other cells (and on larger tables, per real or
** integer column, one of regression trees: below). Why: rules such as
** "participation = hours > 0" are stated by one split of a tree, and
** neither the network, the linear part nor the nearest neighbours state
** them (issue 10: vae
** erred 1.18-1.26x missForest's on psid1976, sacramento and chicago's
** categorical cells under MAR; a random forest alone matched missForest).
**
** vae_forest_build grows, for each wanted column j, VAE_FOREST_TREES trees
** on the first FOREST_MAX_ROWS of the given rows that have column j
** (the rows come shuffled): each on a bootstrap sample of them, to depth
** FOREST_DEPTH at most, leaves of FOREST_MIN_LEAF rows at least, each
** split chosen by Gini impurity among a random sqrt of the other columns.
** Split points are searched on bins made once per build: a numeric
** column's FOREST_BINS quantiles of its cells (x <= edge goes left), a
** binary column's two values, a categorical column's levels (one level
** against the rest; columns of more than VAE_FOREST_MAX_LEVELS levels are
** neither features nor targets). A missing cell goes down its split's
** default branch, the side that fitted the node's own missing cells best
** (the larger side when it had none). A leaf keeps its rows' level
** shares; the forest's estimate is the mean over its trees (P(1) of a
** binary column, one probability per level of a categorical one).
**
** Imputation reads the forest twice and takes the mean: once on the row as
** it is (missing cells down the default branches) and once on the row
** with its missing numeric cells filled by the model's estimates of them
** (vae_infer's row_mean; on the held-out cells train.c's blend before the
** forest), as missForest reads rows it has filled. Why: a default branch
** knows nothing of the missing cell's value where the other cells tell
** it (tests/test_core.c: y = (a > 0.5) xor (b > 0.5), a the mean of four
** observed columns and missing: 14 of 99 such y wrong reading the row as
** it is, 0 reading it filled, 1 the mean), but it does carry that the
** cell is missing, which under MAR says something of the target. Quick
** bench, categorical error rate over the best peer, training seeds 0 / 1,
** the row as it is -> both readings' mean: MCAR geomean 0.918 -> 0.890
** / 1.011 -> 0.967, MAR 1.000 -> 0.999 / 0.973 -> 0.983 (psid1976 MAR
** 1.161 -> 1.161 / 1.149 -> 1.195); the filled row alone: MCAR 0.928 /
** 0.963, MAR 0.995 / 0.974 (psid1976 MAR 1.207 / 1.184, cells MCAR 0.846
** -> 0.923).
**
** Seeded: tree t of column j draws from its own stream (seed, j, t), so
** the bits depend on neither threads nor the other columns. Memory: the
** bins and one column's trees in scratch allocated once per build; each
** column's trees are then appended to the model's arrays (one realloc per
** column, none while growing).
**
** vae_infer averages the estimate in by the column's share
** (m->forest_share), after the network, linear part and neighbours' blend;
** the share is chosen on held-out cells at the end of a fit as the
** neighbours' is (train.c), and a column without a share keeps no trees.
** Cost (one thread, 450 rows of 10 numeric and 10 five-level columns of
** noise, every column a target: the deepest trees): 0.24 s a build; a fit
** builds once on its training rows and again on all rows for the columns
** that took a share.
**
** Real and integer columns get regression trees (the split that most
** lowers the squared error, a leaf's mean value, within the column's
** range) when the fit has VAE_FOREST_NUMERIC_ROWS training rows or more
** (train.c; blob format 19 on), read on the row as it is (its numeric
** holes are what it estimates), at the fit's held-out cells as by
** vae_infer. Such a tree grows best first: of its leaves so far, the
** one whose best split lowers the squared error most splits next, until
** it has VAE_FOREST_REG_LEAVES (64) leaves or none gains (depth
** FOREST_DEPTH at most). Why: on tables of 1,300-5,000 rows
** missForest's regression forests led the vae (bench/impute.py at its
** 5,000-row cut, the nine suite tables of 1,300 rows or more, mask seeds
** 0 and 1, training seed 0); with trees to depth 6, grown on up to
** FOREST_MAX_ROWS (5,000, was 2,000) rows, NRMSE over the best peer MCAR
** 0.989 -> 0.982, MAR 0.975 -> 0.969, error rate MCAR 0.934 -> 0.921,
** MAR 0.987 -> 0.972 (hpc MCAR 0.938 -> 0.908, missForest 0.838;
** chicago MCAR 0.588 -> 0.571, 0.531). The same 64 leaves grown best
** first rather than depth first to depth 6: vae's NRMSE MCAR and MAR
** x0.997 (hpc 0.908 -> 0.889 / 0.889 -> 0.882, chicago MCAR 0.571 ->
** 0.565), error rate x0.999 / x0.998; cells' blob 3.8 -> 4.2 MB; fit
** time (whole processes, 3 paired runs) hpc 0.99x, cells 1.03x, chicago
** 0.95x at one thread, with the out-of-bag reading that numeric trees
** never used dropped (cells 0.97x alone). The children of a tree's last
** split are not searched. Not kept: each tree on half its rows drawn
** without replacement in place of a bootstrap (x0.998 / x0.997), and so
** with 128 leaves (x0.997 / x0.996, blob 6.8 MB); against best first
** on a bootstrap, 48 trees a column (x0.999 / x0.999, error rate
** x1.002 / x1.004), a third of the features per split as randomForest's
** regression default (x1.001 / x1.000), and reading numeric trees on the
** row with its numeric holes filled by the estimate before the forest,
** at the held-out cells and in vae_infer: that alone x1.001 / x1.002,
** its mean with the row as it is x1.000 / x1.001. Read at the held-out
** cells as the binary and categorical forests are (the mean with the
** filled row; not what inference did): 0.981 / 0.968 against 0.982 /
** 0.969 (depth 6). Against best first to 64 leaves, the same command
** (vae's NRMSE MCAR / MAR, geometric means): finer bins, FOREST_BINS
** 128 x0.999 / x1.002 and 254 x0.998 / x1.003 (chicago MCAR 0.565 ->
** 0.557 / 0.561, shuttle MAR 0.422 -> 0.431 / 0.436); 512 leaves x0.998
** / x1.003 (chicago MCAR 0.557, hpc MCAR 0.889 -> 0.884, shuttle MAR
** 0.438):
** neither the bins nor the leaves are what missForest's trees have over
** these (bench/num_diag.py --experts at 5,000 rows, mask seed 0: the
** forest alone on chicago's date 0.551, missForest 0.465). Growing the
** numeric trees on rows whose numeric holes the linear part filled
** (missForest's completed features; read on the row filled by the
** estimates before the forest): x1.002 / x1.001, hpc MCAR 0.889 ->
** 0.906, chicago MCAR 0.565 -> 0.570; on rows whose numeric holes a
** first forest (grown as now) filled, a round of missForest: x1.002 /
** x1.007, hpc MCAR 0.899, chicago MAR 0.703 -> 0.747. A missing cell's
** default branch serves these trees better than any fill tried.
** Depth first to depth 12 as the classification trees:
** MCAR 0.978, MAR 0.964, but cells' blob 1.96 MB -> 19.4 MB and its fit
** 1.49x the time; depth 8: 0.980 / 0.967, 8.7 MB. On
** 2,000 rows, depth 12: MCAR 0.982, MAR 0.975. Why not below
** VAE_FOREST_NUMERIC_ROWS: on the quick bench's 500-row cuts they
** measured no better, seeds 0 / 1, MCAR 0.961 -> 0.959 / 0.963 -> 0.965,
** MAR 0.978 -> 0.975 / 0.980 -> 0.982 (aids2 MAR 1.122 -> 1.064 but iris
** MAR 1.104 -> 1.177); again much later (the pull to the linear part,
** two members) MAR 0.958 -> 0.956 / 0.953 -> 0.960 (iris MAR 0.979 ->
** 1.211: constant leaves cannot follow a hole beyond the rows they were
** grown on, and the share was chosen on held-out cells within them),
** MCAR coverage 24 -> 22 of 25.
**
** Measured and not kept (quick bench, categorical error rate over the best
** peer, geometric means, training seeds 0 / 1; tables above 1.05 of it):
** - Twice the round sqrt of candidates per split. A split states one level
**   against the rest, so a feature of many levels needs many splits: a
**   city of 8 levels that a 24-level zip fixes, ten noise columns, 450
**   rows: 272 of 600 fresh rows wrong at 3 candidates, 66 at 7; sacramento
**   MCAR 1.119 -> 0.983 / 1.068 -> 1.017, psid1976 MAR 1.161 -> 1.080 /
**   1.195 -> 1.172. But MCAR 0.889 -> 0.944 / 0.960 -> 0.992 (biopsy 1 -> 3
**   wrong cells, shuttle 1 -> 2), MAR 0.999 -> 0.988 / 0.983 -> 0.975,
**   tables above 1.05: 9 -> 11 / 7 -> 9; the mean over mask seeds 0 and
**   1, training seed 0: MCAR 0.929 -> 0.948, MAR 0.999 -> 0.991.
** - A third kind of split, on whether the cell is missing (observed rows
**   left), beside the two default branches (why: psid1976 MAR hides
**   education in half the rows college is observed in, and the forest's
**   P(college) where education >= 13 is observed averaged 0.72, not 1):
**   0.72 still, and MCAR 0.888 -> 0.896 / 1.020 -> 1.025, MAR 1.029 ->
**   1.024 / 0.984 -> 0.986 (psid1976 MAR 1.198 -> 1.244 on seed 1).
** - Leaves of 1 row: MCAR 0.889 -> 0.964 / 0.960 -> 0.958, MAR 0.999 ->
**   0.983 / 0.983 -> 0.973, tables above 1.05: 9 -> 11 / 7 -> 6.
** - Growing on rows whose missing numeric cells the linear part filled
**   (missForest's completed features), seed 0: MCAR 0.889 -> 0.931, MAR
**   0.999 -> 1.004; read on the filled row alone 0.973 / 1.000; with
**   leaves of 1 row 0.927 / 1.008.
*/
#include "mem.h"
#include "model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef FOREST_MAX_ROWS
#define FOREST_MAX_ROWS VAE_FOREST_MAX_ROWS
#endif
#define FOREST_DEPTH 12
#define FOREST_MIN_LEAF 3
#define FOREST_BINS 32
#define FOREST_NO_BIN 255

void vae_forest_free(const vae_allocator *a, vae_forest *f) {
  vae_free(a, f->root);
  vae_free(a, f->feat);
  vae_free(a, f->thr);
  vae_free(a, f->kid);
  vae_free(a, f->miss);
  vae_free(a, f->prob);
  memset(f, 0, sizeof *f);
}

/* Levels a target column's leaves keep: 1 (P(1)) for binary, nlevels for
** categorical, 0 when the column takes no forest. */
int vae_forest_width(const vae_column *c) {
  if (c->kind == VAE_BINARY) return 1;
  if (vae_is_numeric(c->kind)) return 1;
  if (c->kind == VAE_CATEGORICAL && c->nlevels >= 2 && c->nlevels <= VAE_FOREST_MAX_LEVELS)
    return c->nlevels;
  return 0;
}

/* Slots of a target's counts: 2 for binary, the levels of a categorical
** column, 2 for numeric (rows and the sum of their values). */
static int classes(const vae_column *c) {
  return c->kind == VAE_CATEGORICAL ? c->nlevels : 2;
}

/* The build's scratch. */
typedef struct {
  const vae_model *m;
  int n;                /* subsampled rows */
  unsigned char *bin;   /* p x n: each cell's bin by column (a split reads
                           one column's), FOREST_NO_BIN missing */
  float *edge;          /* p x FOREST_BINS: a numeric column's bin edges */
  int *nbins;           /* p: bins of column c (0: not a feature) */
  const float *y;       /* n: the target column's cells of the rows */
  int *rows;            /* n: a tree's bootstrap rows, partitioned while growing */
  int *feats;           /* p: candidate feature columns */
  int nfeats, mtry, K, width, reg; /* reg: a numeric target */
  double lo, hi;        /* a numeric target's range */
  double *cnt;          /* (VAE_FOREST_MAX_LEVELS + 1) x K: per bin, then missing */
  vae_rng rng;
  /* Out-of-bag readings (vae_forest_build's oob; bag NULL without): */
  const float *data;    /* the raw rows, */
  const int64_t *idx;   /* and which of them the n rows are */
  unsigned char *bag;   /* n: in the tree's bootstrap */
  double *oob;          /* n x width: the sum of the trees' readings that */
  int *noob;            /* n: left the row out, and how many did */
  /* one column's trees: */
  int nodes, cap_nodes, nprob, cap_prob;
  int *feat, *kid;
  float *thr, *prob;
  unsigned char *miss;
} grower;

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return x < y ? -1 : x > y;
}

/* Column c's bins over the rows (sorted scratch: n floats). */
static void make_bins(grower *g, const float *data, const int64_t *idx, int c, float *sorted) {
  const vae_model *m = g->m;
  const vae_column *col = &m->cols[c];
  const int p = m->p;
  float *e = g->edge + (size_t)c * FOREST_BINS;
  g->nbins[c] = 0;
  if (col->kind == VAE_BINARY) g->nbins[c] = 2;
  else if (col->kind == VAE_CATEGORICAL)
    g->nbins[c] = col->nlevels >= 2 && col->nlevels <= VAE_FOREST_MAX_LEVELS ? col->nlevels : 0;
  else {
    int k = 0;
    for (int i = 0; i < g->n; i++) {
      float v = data[idx[i] * p + c];
      if (!isnan(v)) sorted[k++] = v;
    }
    if (k < 2) return;
    qsort(sorted, (size_t)k, sizeof *sorted, cmp_float);
    int nb = 0;
    for (int b = 1; b < FOREST_BINS; b++) {
      float v = sorted[(size_t)b * k / FOREST_BINS];
      if (v < sorted[k - 1] && (nb == 0 || v > e[nb - 1])) e[nb++] = v;
    }
    g->nbins[c] = nb > 0 ? nb + 1 : 0;
  }
  for (int i = 0; i < g->n; i++) {
    float v = data[idx[i] * p + c];
    unsigned char b = FOREST_NO_BIN;
    if (!isnan(v) && g->nbins[c]) {
      if (col->kind == VAE_BINARY || col->kind == VAE_CATEGORICAL) b = (unsigned char)v;
      else {
        int lo = 0, hi = g->nbins[c] - 1; /* first edge >= v, else the last bin */
        while (lo < hi) {
          int mid = (lo + hi) / 2;
          if (v <= e[mid]) hi = mid; else lo = mid + 1;
        }
        b = (unsigned char)lo;
      }
    }
    g->bin[(size_t)c * g->n + i] = b;
  }
}

/* Gini's sum of squared counts over the total, of counts a (+ b); for a
** numeric target (reg) the squared sum over the rows (the sum of squared
** errors about the mean is the sum of squares less it). */
static double purity(const double *a, const double *b, int K, int reg, double *total) {
  double s = 0, t = 0;
  if (reg) {
    t = a[0] + (b ? b[0] : 0);
    s = a[1] + (b ? b[1] : 0);
    *total = t;
    return t > 0 ? s * s / t : 0;
  }
  for (int k = 0; k < K; k++) {
    double v = a[k] + (b ? b[k] : 0);
    s += v * v;
    t += v;
  }
  *total = t;
  return t > 0 ? s / t : 0;
}

typedef struct {
  double score;
  int feat, bin, miss_left;
} split;

/* The best split of rows[0..n) on feature c into *best (when better). */
static void try_feature(grower *g, const int *rows, int n, int c, split *best) {
  const int K = g->K, nb = g->nbins[c];
  const unsigned char *bin = g->bin + (size_t)c * g->n;
  const int cat = g->m->cols[c].kind == VAE_CATEGORICAL;
  double *cnt = g->cnt, *mis = g->cnt + (size_t)nb * K;
  memset(cnt, 0, (size_t)(nb + 1) * K * sizeof(double));
  for (int i = 0; i < n; i++) {
    int r = rows[i], b = bin[r];
    double *at = b == FOREST_NO_BIN ? mis : cnt + (size_t)b * K;
    if (g->reg) at[0] += 1, at[1] += g->y[r];
    else at[(int)g->y[r]] += 1;
  }
  double left[VAE_FOREST_MAX_LEVELS], right[VAE_FOREST_MAX_LEVELS], all[VAE_FOREST_MAX_LEVELS];
  for (int k = 0; k < K; k++) {
    all[k] = 0;
    for (int b = 0; b < nb; b++) all[k] += cnt[(size_t)b * K + k];
    left[k] = 0;
  }
  for (int b = 0; b < (cat ? nb : nb - 1); b++) {
    for (int k = 0; k < K; k++) {
      left[k] = cat ? cnt[(size_t)b * K + k] : left[k] + cnt[(size_t)b * K + k];
      right[k] = all[k] - left[k];
    }
    for (int ml = 0; ml < 2; ml++) {
      double nl, nr;
      double s = purity(left, ml ? mis : NULL, K, g->reg, &nl) +
                 purity(right, ml ? NULL : mis, K, g->reg, &nr);
      if (nl < FOREST_MIN_LEAF || nr < FOREST_MIN_LEAF) continue;
      if (s > best->score + 1e-9) *best = (split){s, c, b, ml};
    }
  }
}

/* Whether row r goes left at the split. */
static int goes_left(const grower *g, int r, const split *s) {
  int b = g->bin[(size_t)s->feat * g->n + r];
  if (b == FOREST_NO_BIN) return s->miss_left;
  return g->m->cols[s->feat].kind == VAE_CATEGORICAL ? b == s->bin : b <= s->bin;
}

static void make_leaf(grower *g, int node, const double *count, double n) {
  g->feat[node] = -1;
  g->thr[node] = 0;
  g->miss[node] = 0;
  g->kid[node] = g->nprob;
  if (g->reg) {
    double v = count[1] / n;
    g->prob[g->nprob++] = (float)(v < g->lo ? g->lo : v > g->hi ? g->hi : v);
  } else if (g->width == 1)
    g->prob[g->nprob++] = (float)(count[1] / n);
  else
    for (int k = 0; k < g->K; k++) g->prob[g->nprob++] = (float)(count[k] / n);
}

/* The target's counts over rows[0..n) (for a numeric one the rows and
** the sum of their values); whether all rows agree. */
static int node_counts(const grower *g, const int *rows, int n, double *count) {
  int pure = 0;
  for (int k = 0; k < g->K; k++) count[k] = 0;
  if (g->reg) {
    float lo = g->y[rows[0]], hi = lo;
    for (int i = 0; i < n; i++) {
      const float v = g->y[rows[i]];
      count[1] += v;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    count[0] = n;
    pure = lo == hi;
  } else {
    for (int i = 0; i < n; i++) count[(int)g->y[rows[i]]] += 1;
    for (int k = 0; k < g->K; k++) pure = pure || count[k] == n;
  }
  return pure;
}

/* The best split of rows[0..n) (counts count) among a random mtry of the
** features; feat -1 when none lowers the impurity or the node may not
** split. score less the node's own purity is what the split gains. */
static split search(grower *g, const int *rows, int n, int d, int max_depth,
                    const double *count, int pure, double *base) {
  double total;
  *base = purity(count, NULL, g->K, g->reg, &total);
  split best = {*base, -1, 0, 0};
  if (!pure && d < max_depth && n >= 2 * FOREST_MIN_LEAF) {
    for (int t = 0; t < g->mtry && t < g->nfeats; t++) { /* a random subset, no repeats */
      int u = t + (int)vae_rng_below(&g->rng, (uint64_t)(g->nfeats - t));
      int c = g->feats[u];
      g->feats[u] = g->feats[t];
      g->feats[t] = c;
      try_feature(g, rows, n, c, &best);
    }
  }
  return best;
}

/* Node `node` splits as s: rows[0..n) are partitioned (the left side
** first, their number returned) and its two children reserved. */
static int split_node(grower *g, int node, int *rows, int n, const split *s) {
  int nl = 0;
  for (int i = 0; i < n; i++)
    if (goes_left(g, rows[i], s)) {
      int r = rows[i];
      rows[i] = rows[nl];
      rows[nl++] = r;
    }
  const vae_column *fc = &g->m->cols[s->feat];
  g->feat[node] = s->feat;
  g->thr[node] = vae_is_numeric(fc->kind) ? g->edge[(size_t)s->feat * FOREST_BINS + s->bin]
                                          : (float)s->bin;
  g->miss[node] = (unsigned char)s->miss_left;
  g->kid[node] = g->nodes;
  g->nodes += 2;
  return nl;
}

/* Node `node` (reserved) from rows[0..n) at depth d, depth first to
** FOREST_DEPTH: a classification tree. */
static void grow(grower *g, int node, int *rows, int n, int d) {
  double count[VAE_FOREST_MAX_LEVELS], base;
  const int pure = node_counts(g, rows, n, count);
  split best = search(g, rows, n, d, FOREST_DEPTH, count, pure, &base);
  if (best.feat < 0 || g->nodes + 2 > g->cap_nodes) {
    make_leaf(g, node, count, n);
    return;
  }
  int nl = split_node(g, node, rows, n, &best);
  grow(g, g->kid[node], rows, nl, d + 1);
  grow(g, g->kid[node] + 1, rows + nl, n - nl, d + 1);
}

/* A regression tree's leaf while it grows: its node, rows, counts, and
** best split with what it gains. */
typedef struct {
  int node, *rows, n, d;
  double count[2], gain;
  split s;
} open_leaf;

static void open_at(grower *g, open_leaf *o, int node, int *rows, int n, int d, int search_it) {
  double base;
  o->node = node, o->rows = rows, o->n = n, o->d = d;
  const int pure = node_counts(g, rows, n, o->count);
  o->s = search(g, rows, n, d, search_it ? FOREST_DEPTH : 0, o->count, pure, &base);
  o->gain = o->s.score - base;
}

/* A regression tree from node `root` (reserved) on rows[0..n), best
** first: of its leaves so far, the one whose best split lowers the
** squared error most splits next, up to VAE_FOREST_REG_LEAVES leaves (the
** last split's children are not searched: nothing could split them). */
static void grow_best(grower *g, int root, int *rows, int n) {
  open_leaf o[VAE_FOREST_REG_LEAVES];
  int k = 1;
  open_at(g, &o[0], root, rows, n, 0, VAE_FOREST_REG_LEAVES > 1);
  while (k < VAE_FOREST_REG_LEAVES) {
    int b = -1;
    for (int i = 0; i < k; i++)
      if (o[i].s.feat >= 0 && (b < 0 || o[i].gain > o[b].gain)) b = i;
    if (b < 0 || g->nodes + 2 > g->cap_nodes) break;
    const open_leaf at = o[b];
    const int nl = split_node(g, at.node, at.rows, at.n, &at.s);
    const int more = k + 1 < VAE_FOREST_REG_LEAVES; /* may the children split? */
    open_at(g, &o[b], g->kid[at.node], at.rows, nl, at.d + 1, more);
    open_at(g, &o[k++], g->kid[at.node] + 1, at.rows + nl, at.n - nl, at.d + 1, more);
  }
  for (int i = 0; i < k; i++) make_leaf(g, o[i].node, o[i].count, o[i].n);
}

/* Nodes one tree of n rows can take at most. */
static int tree_cap(int n) {
  int64_t by_rows = 2 * ((int64_t)n / FOREST_MIN_LEAF) + 1, by_depth = (2 << FOREST_DEPTH) - 1;
  return (int)(by_rows < by_depth ? by_rows : by_depth);
}

/* Appends the grower's trees of column j (roots at its first nodes) to f. */
static int append(const vae_allocator *a, vae_forest *f, const grower *g, int j,
                  const int *roots) {
  const int N = f->nodes + g->nodes, P = f->nprob + g->nprob;
  int *feat = vae_realloc(a, f->feat, (size_t)N * sizeof(int));
  if (!feat) return VAE_NOMEM;
  f->feat = feat;
  int *kid = vae_realloc(a, f->kid, (size_t)N * sizeof(int));
  if (!kid) return VAE_NOMEM;
  f->kid = kid;
  float *thr = vae_realloc(a, f->thr, (size_t)N * sizeof(float));
  if (!thr) return VAE_NOMEM;
  f->thr = thr;
  unsigned char *miss = vae_realloc(a, f->miss, (size_t)N);
  if (!miss) return VAE_NOMEM;
  f->miss = miss;
  float *prob = vae_realloc(a, f->prob, (size_t)P * sizeof(float));
  if (!prob) return VAE_NOMEM;
  f->prob = prob;
  for (int i = 0; i < g->nodes; i++) {
    f->feat[f->nodes + i] = g->feat[i];
    f->thr[f->nodes + i] = g->thr[i];
    f->miss[f->nodes + i] = g->miss[i];
    f->kid[f->nodes + i] = g->kid[i] + (g->feat[i] < 0 ? f->nprob : f->nodes);
  }
  memcpy(f->prob + f->nprob, g->prob, (size_t)g->nprob * sizeof(float));
  for (int t = 0; t < f->trees; t++) f->root[(size_t)j * f->trees + t] = f->nodes + roots[t];
  f->nodes = N;
  f->nprob = P;
  return VAE_OK;
}

static void grower_free(const vae_allocator *a, grower *g) {
  vae_free(a, g->bin);
  vae_free(a, g->edge);
  vae_free(a, g->nbins);
  vae_free(a, g->rows);
  vae_free(a, g->feats);
  vae_free(a, g->cnt);
  vae_free(a, g->feat);
  vae_free(a, g->kid);
  vae_free(a, g->thr);
  vae_free(a, g->prob);
  vae_free(a, g->miss);
  vae_free(a, g->bag);
  vae_free(a, g->oob);
  vae_free(a, g->noob);
}

/* The leaf probabilities of the grower's tree from node for raw row x,
** read as vae_forest_probs reads a stored one. */
static const float *leaf_of(const grower *g, int node, const float *x) {
  while (g->feat[node] >= 0) {
    const int c = g->feat[node];
    const float v = x[c];
    int left = isnan(v) ? g->miss[node]
               : g->m->cols[c].kind == VAE_CATEGORICAL ? v == g->thr[node]
                                                       : v <= g->thr[node];
    node = g->kid[node] + !left;
  }
  return g->prob + g->kid[node];
}

/* Adds tree root's readings of the rows ys[0..ny) its bootstrap (g->rows)
** left out to g->oob. */
static void read_out_of_bag(grower *g, int root, const int *ys, int ny) {
  const int p = g->m->p;
  for (int i = 0; i < ny; i++) g->bag[ys[i]] = 0;
  for (int i = 0; i < ny; i++) g->bag[g->rows[i]] = 1;
  for (int i = 0; i < ny; i++) {
    const int r = ys[i];
    if (g->bag[r]) continue;
    const float *pr = leaf_of(g, root, g->data + g->idx[r] * p);
    for (int l = 0; l < g->width; l++) g->oob[(size_t)r * g->width + l] += pr[l];
    g->noob[r]++;
  }
}

/* Column j's out-of-bag figures into o (VAE_FOREST_OOB of them, model.h)
** from g->oob, against the column's marginal among its rows ys[0..ny):
** the Brier score (squared error of the level probabilities, P(1) of a
** binary column) the marginal loses over the forest's, and the cells
** whose most probable level the forest has right and the marginal's
** mode wrong, and the reverse. */
static void out_of_bag_score(const grower *g, const int *ys, int ny, double *o) {
  const int W = g->width, L = W == 1 ? 2 : W;
  double pi[VAE_FOREST_MAX_LEVELS] = {0};
  for (int i = 0; i < ny; i++) pi[(int)g->y[ys[i]]] += 1.0 / ny;
  int mode = 0;
  for (int l = 1; l < L; l++) if (pi[l] > pi[mode]) mode = l;
  for (int k = 0; k < VAE_FOREST_OOB; k++) o[k] = 0;
  for (int i = 0; i < ny; i++) {
    const int r = ys[i], y = (int)g->y[r];
    if (!g->noob[r]) continue;
    const double *f = g->oob + (size_t)r * W;
    int best = 0;
    for (int l = 0; l < W; l++) {
      const double q = f[l] / g->noob[r], t = W == 1 ? y : l == y, e = W == 1 ? pi[1] : pi[l];
      o[0] += (e - t) * (e - t) - (q - t) * (q - t);
      if (W == 1) best = q >= 0.5;
      else if (f[l] > f[best]) best = l;
    }
    o[1] += best == y && mode != y;
    o[2] += best != y && mode == y;
    o[3] += 1;
  }
}

/* Column j's trees into g (g->y: its cells); its rows with the column
** observed are ys[0..ny). VAE_INTERRUPTED when stop says so before a
** tree. */
static int grow_column(grower *g, int j, const int *ys, int ny, uint64_t seed, int *roots,
                       int (*stop)(void *), void *ctx) {
  const vae_model *m = g->m;
  g->K = classes(&m->cols[j]);
  g->width = vae_forest_width(&m->cols[j]);
  g->reg = vae_is_numeric(m->cols[j].kind);
  g->lo = m->cols[j].min;
  g->hi = m->cols[j].max;
  g->nfeats = 0;
  for (int c = 0; c < m->p; c++)
    if (c != j && g->nbins[c]) g->feats[g->nfeats++] = c;
  g->mtry = (int)floor(sqrt((double)g->nfeats) + 0.5);
  if (g->mtry < 1) g->mtry = 1;
  g->nodes = g->nprob = 0;
  for (int t = 0; t < VAE_FOREST_TREES; t++) {
    if (stop && stop(ctx)) return VAE_INTERRUPTED;
    vae_rng_seed(&g->rng, vae_seed_mix(vae_seed_mix(seed, (uint64_t)j), (uint64_t)t));
    for (int i = 0; i < ny; i++) g->rows[i] = ys[vae_rng_below(&g->rng, (uint64_t)ny)];
    roots[t] = g->nodes++;
    if (g->reg) grow_best(g, roots[t], g->rows, ny);
    else grow(g, roots[t], g->rows, ny, 0);
    /* Numeric targets have no levels to score (vae_forest_build). */
    if (g->bag && !g->reg) read_out_of_bag(g, roots[t], ys, ny);
  }
  return VAE_OK;
}

int vae_forest_build(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                     const unsigned char *want, uint64_t seed, vae_forest *out, double *oob,
                     int (*stop)(void *), void *ctx) {
  const vae_allocator *a = &m->mem;
  const int p = m->p;
  memset(out, 0, sizeof *out);
  grower g;
  memset(&g, 0, sizeof g);
  g.m = m;
  g.n = (int)(n < FOREST_MAX_ROWS ? n : FOREST_MAX_ROWS);
  for (int j = 0; oob && j < p * VAE_FOREST_OOB; j++) oob[j] = 0;
  int maxw = 0;
  for (int j = 0; j < p; j++)
    if ((!want || want[j]) && vae_forest_width(&m->cols[j]) > maxw) maxw = vae_forest_width(&m->cols[j]);
  if (maxw == 0 || g.n < 2 * FOREST_MIN_LEAF) return VAE_OK;
  const int cap = tree_cap(g.n);
  g.cap_nodes = VAE_FOREST_TREES * cap;
  g.cap_prob = VAE_FOREST_TREES * (cap / 2 + 1) * maxw;
  out->trees = VAE_FOREST_TREES;
  out->root = vae_malloc(a, (size_t)p * VAE_FOREST_TREES * sizeof(int));
  g.bin = vae_malloc(a, (size_t)g.n * p);
  g.edge = vae_calloc(a, (size_t)p * FOREST_BINS, sizeof(float));
  g.nbins = vae_calloc(a, (size_t)p, sizeof(int));
  g.rows = vae_malloc(a, (size_t)g.n * 2 * sizeof(int)); /* bootstrap, then ys */
  g.feats = vae_malloc(a, (size_t)p * sizeof(int));
  g.cnt = vae_malloc(a, (size_t)(VAE_FOREST_MAX_LEVELS + 1) * VAE_FOREST_MAX_LEVELS * sizeof(double));
  g.feat = vae_malloc(a, (size_t)g.cap_nodes * sizeof(int));
  g.kid = vae_malloc(a, (size_t)g.cap_nodes * sizeof(int));
  g.thr = vae_malloc(a, (size_t)g.cap_nodes * sizeof(float));
  g.miss = vae_malloc(a, (size_t)g.cap_nodes);
  g.prob = vae_malloc(a, (size_t)g.cap_prob * sizeof(float));
  float *y = vae_malloc(a, (size_t)g.n * sizeof(float));
  if (oob) {
    g.data = data;
    g.idx = idx;
    g.bag = vae_malloc(a, (size_t)g.n);
    g.oob = vae_malloc(a, (size_t)g.n * maxw * sizeof(double));
    g.noob = vae_malloc(a, (size_t)g.n * sizeof(int));
  }
  int rc = out->root && g.bin && g.edge && g.nbins && g.rows && g.feats && g.cnt && g.feat &&
                   g.kid && g.thr && g.miss && g.prob && y &&
                   (!oob || (g.bag && g.oob && g.noob))
               ? VAE_OK
               : VAE_NOMEM;
  if (rc == VAE_OK) {
    for (size_t i = 0; i < (size_t)p * VAE_FOREST_TREES; i++) out->root[i] = -1;
    for (int c = 0; c < p; c++) make_bins(&g, data, idx, c, y);
  }
  g.y = y;
  int *ys = g.rows + g.n;
  for (int j = 0; j < p && rc == VAE_OK; j++) {
    if ((want && !want[j]) || !vae_forest_width(&m->cols[j])) continue;
    int ny = 0;
    for (int i = 0; i < g.n; i++) {
      y[i] = data[idx[i] * p + j];
      if (!isnan(y[i])) ys[ny++] = i;
    }
    if (ny < 2 * FOREST_MIN_LEAF) continue;
    int roots[VAE_FOREST_TREES];
    if (oob) {
      memset(g.oob, 0, (size_t)g.n * vae_forest_width(&m->cols[j]) * sizeof(double));
      memset(g.noob, 0, (size_t)g.n * sizeof(int));
    }
    rc = grow_column(&g, j, ys, ny, seed, roots, stop, ctx);
    if (rc) break;
    /* Numeric targets have no levels to score; train.c reads the figures
    ** of binary and categorical columns only. */
    if (oob && !vae_is_numeric(m->cols[j].kind))
      out_of_bag_score(&g, ys, ny, oob + (size_t)j * VAE_FOREST_OOB);
    rc = append(a, out, &g, j, roots);
  }
  vae_free(a, y);
  grower_free(a, &g);
  if (rc == VAE_OK && out->nodes == 0) vae_forest_free(a, out);
  if (rc) vae_forest_free(a, out);
  return rc;
}

int vae_forest_has(const vae_model *m, int j) {
  return m->forest.trees > 0 && m->forest.root[(size_t)j * m->forest.trees] >= 0;
}

void vae_forest_probs(const vae_model *m, int j, const float *x, double *probs) {
  const vae_forest *f = &m->forest;
  const int W = vae_forest_width(&m->cols[j]);
  for (int l = 0; l < W; l++) probs[l] = 0;
  for (int t = 0; t < f->trees; t++) {
    int node = f->root[(size_t)j * f->trees + t];
    while (f->feat[node] >= 0) {
      const int c = f->feat[node];
      const float v = x[c];
      int left = isnan(v) ? f->miss[node]
                 : m->cols[c].kind == VAE_CATEGORICAL ? v == f->thr[node]
                                                      : v <= f->thr[node];
      node = f->kid[node] + !left;
    }
    const float *pr = f->prob + f->kid[node];
    for (int l = 0; l < W; l++) probs[l] += pr[l];
  }
  for (int l = 0; l < W; l++) probs[l] /= f->trees;
}

/* Tree nodes [lo, hi) of target column j. */
static int check_tree(const vae_column *cols, int p, const vae_forest *f, int j, int lo, int hi) {
  const int W = vae_forest_width(&cols[j]);
  if (lo >= hi || W == 0) return VAE_CORRUPT;
  for (int i = lo; i < hi; i++) {
    const int c = f->feat[i];
    if (c < 0) {
      /* A leaf is written with miss 0 (make_leaf), which no reading uses:
      ** another value would load and save back as other bytes. */
      if (c != -1 || f->miss[i] != 0 || f->kid[i] < 0 || f->kid[i] > f->nprob - W)
        return VAE_CORRUPT;
      for (int l = 0; l < W; l++) {
        float v = f->prob[f->kid[i] + l];
        if (vae_is_numeric(cols[j].kind) ? !(v >= cols[j].min && v <= cols[j].max)
                                         : !(v >= 0.0f && v <= 1.0f))
          return VAE_CORRUPT;
      }
      continue;
    }
    if (c >= p || c == j || f->kid[i] <= i || f->kid[i] >= hi - 1 || f->miss[i] > 1 ||
        !isfinite(f->thr[i]))
      return VAE_CORRUPT;
  }
  return VAE_OK;
}

int vae_forest_check(const vae_column *cols, int p, const vae_forest *f, const float *share) {
  if (f->trees == 0) {
    for (int j = 0; j < p; j++)
      if (share[j] != 0.0f) return VAE_CORRUPT;
    return f->nodes == 0 && f->nprob == 0 ? VAE_OK : VAE_CORRUPT;
  }
  if (f->trees != VAE_FOREST_TREES) return VAE_CORRUPT;
  int next = 0; /* trees lie in order, each right after the one before */
  for (int j = 0; j < p; j++) {
    const int *r = f->root + (size_t)j * f->trees;
    if (r[0] < 0) {
      for (int t = 0; t < f->trees; t++)
        if (r[t] != -1) return VAE_CORRUPT;
      if (share[j] != 0.0f) return VAE_CORRUPT;
      continue;
    }
    if (!(share[j] >= 0.0f && share[j] <= 1.0f)) return VAE_CORRUPT;
    for (int t = 0; t < f->trees; t++) {
      if (r[t] != next) return VAE_CORRUPT;
      int end = f->nodes;
      for (int jj = j, tt = t + 1; jj < p; jj++, tt = 0) { /* the next root, or the end */
        for (; tt < f->trees && f->root[(size_t)jj * f->trees + tt] < 0; tt++) {}
        if (tt < f->trees) {
          end = f->root[(size_t)jj * f->trees + tt];
          break;
        }
      }
      if (end <= next || end > f->nodes || check_tree(cols, p, f, j, next, end)) return VAE_CORRUPT;
      next = end;
    }
  }
  for (int j = 0; j < p; j++)
    if (f->root[(size_t)j * f->trees] < 0 && share[j] != 0.0f) return VAE_CORRUPT;
  return next == f->nodes ? VAE_OK : VAE_CORRUPT;
}
