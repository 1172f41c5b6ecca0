/*
** model.h -- the inside of a vae_model, shared by the files of core/ and by
** the unit tests (gradient checks need the layers). Not part of the API.
*/
#ifndef VAE_MODEL_H
#define VAE_MODEL_H

#include <math.h>

#include "nn.h"
#include "pool.h"
#include "rng.h"
#include "vae.h"

/* Smallest decoder variance of a standardized numeric column: keeps the
** likelihood bounded when a column is (nearly) a function of the others. */
#define VAE_VAR_FLOOR 1e-3f
/* Encoder log-variance is clamped to this range for numerical safety. */
#define VAE_LOGVAR_MIN -12.0f
#define VAE_LOGVAR_MAX 8.0f

/* Wider encodings keep the network only: the precision's inverse, and a
** categorical cell's level probabilities, cost width^3. 128 rather than 64
** since rows are conditioned on the precision (linear.c). */
#define VAE_LINEAR_MAX_WIDTH 128

/* The reservoir of the nearest-neighbour expert (knn.c): n training rows
** as they came (data units, level indices, NaN missing), kept in the blob,
** and the same encoded for the distances' GEMM, derived. At most
** vae_knn_capacity(x_width) rows. */
#define VAE_KNN_K 5
#define VAE_KNN_MAX_ROWS 2000
#define VAE_KNN_MAX_CELLS 200000
typedef struct {
  int n;               /* rows; 0: no reservoir */
  float *rows;         /* [n * p] */
  float *enc;          /* [n * 3 x_width] (knn.c), not stored */
} vae_knn;

/* The forest expert (forest.c): per binary or categorical column of at
** most VAE_FOREST_MAX_LEVELS levels, VAE_FOREST_TREES classification
** trees, and as many regression trees per real or integer column (blob
** format 19 on; none on fewer training rows than VAE_FOREST_NUMERIC_ROWS),
** every tree's nodes in one set of arrays (a column's trees in
** order, each tree's nodes after its root, children after their parent). */
#ifndef VAE_FOREST_TREES
#define VAE_FOREST_TREES 24
#endif
#define VAE_FOREST_MAX_LEVELS 64
/* A fit grows regression trees for real and integer columns from this
** many training rows on (forest.c says why). */
#ifndef VAE_FOREST_NUMERIC_ROWS
#define VAE_FOREST_NUMERIC_ROWS 1000
#endif
/* A regression tree's leaves, at most (forest.c grows it best first). */
#ifndef VAE_FOREST_REG_LEAVES
#define VAE_FOREST_REG_LEAVES 64
#endif
typedef struct {
  int trees;           /* trees per column: VAE_FOREST_TREES, or 0: no forest */
  int nodes, nprob;
  int *root;           /* [p * trees]: column j's tree t's root, -1: none */
  int *feat;           /* [nodes]: the split's column, -1 at a leaf */
  float *thr;          /* [nodes]: left when x <= thr (numeric, binary) or x == thr (categorical) */
  int *kid;            /* [nodes]: a split's left child (the right one next),
                          a leaf's first probability in prob */
  unsigned char *miss; /* [nodes]: 1 when a missing cell goes left */
  float *prob;         /* [nprob]: a leaf's P(1), or its level shares */
} vae_forest;

typedef struct {
  int d;               /* x_width, or 0: no linear part */
  double *mean;        /* [d] */
  double *cov;         /* [d * d] */
  double *prec;        /* [d * d] the inverse of cov, not stored: made by
                          vae_linear_fit and vae_linear_prepare */
  int iterations;      /* EM's by vae_linear_fit (for tests), not stored */
} vae_linear;

/* ---- Format 13: the split linear part (linear.c) ----
** A numeric column with a point mass at an end of its range (one value on
** 10% of its cells or more: alive patients' date of death being the
** study's end) is encoded by a second Gaussian as two inputs, whether the
** cell is at the mass and its value off the mass (missing on it); the
** column's linear estimate is then P(mass) mass + (1 - P(mass)) (the
** value off it), where held-out cells say that beats the plain linear
** part (use[j], train.c). One slope over both kinds of rows, as the plain
** part fits, is biased for either. */
typedef struct {
  vae_linear g;        /* over the split encoding; g.d 0: none (then the
                          arrays below are NULL) */
  double *mass;        /* [p] column j's point mass, NaN: encoded as in lin */
  unsigned char *use;  /* [p] 1: column j's linear estimate is this part's */
  int *off;            /* [p] column j's first input in g, derived */
} vae_split;

/* Generation's marginal calibration (calibrate.c): per numeric column j
** the nq quantiles of generated normal scores, q[j * nq ..] (zeros for
** other columns). nq = 0: none (generated scores go through the column's
** quantiles as they are). */
typedef struct {
  int nq;
  float *q;            /* [p * nq] */
  float *shift;        /* [x_width]: added to binary and categorical logits
                          (zeros at numeric columns) */
  /* The numeric cells' noise is the decoder's sd times temp (noise.c;
  ** 1 in blobs from before format 9). */
  double temp;
} vae_calibration;

/* A numeric cell's Gauss-Hermite expectation through its column's quantile
** map, tabulated per column (expect.c). */
#define VAE_EXPECT_POINTS 1024
#define VAE_EXPECT_MAX_POINTS 1048576.0 /* 8 MiB of table at most */
#define VAE_EXPECT_TOL 1e-3        /* of the column's sd, or computed directly */
typedef struct {
  int n;               /* points per tabulated column; 0: no table */
  double *var;         /* [p] the decoder variance column j was tabulated for */
  double *lo, *step, *hi; /* [p] each: where column j's interpolation holds */
  long *at;            /* [p] column j's first point in g, -1: none */
  double *g;           /* the expectations at mu = lo + step i */
  unsigned char *ok;   /* per point i: step [i, i + 1) is interpolated */
} vae_expect_table;

struct vae_model {
  vae_allocator mem;   /* where all of the model's memory comes from */
  int p;               /* table columns */
  vae_column *cols;    /* [p] */
  vae_config cfg;      /* architecture and defaults it was built with */
  int latent;
  int x_width;         /* encoded value width: 1 per numeric/binary, L per categorical */
  int enc_in;          /* x_width + p (values and the missingness mask) */
  int dec_out;         /* decoder output width, same layout as the values */
  int *off;            /* [p] offset of column j in encoded values and decoder output */
  int nlayers;         /* dense layers per side: nhidden + 1 */
  vae_dense enc[VAE_MAX_HIDDEN + 1];
  vae_dense dec[VAE_MAX_HIDDEN + 1];
  size_t logvar;       /* offset of p per-column decoder log-variance params */
  size_t sel;          /* VAE_MNAR: offset of 2 p missingness params (slope,
                          intercept per column; used by numeric and binary
                          columns), else 0 */
  size_t cross;        /* VAE_MNAR: offset of p x p cross-column slopes, row j
                          the weights of the other columns in column j's
                          missingness (diagonal and categorical ones unused,
                          kept 0), right after sel; 0 without them (MAR,
                          more than VAE_CROSS_MAX_COLS columns, or a blob
                          from before format 8) */
  size_t lowrank;      /* the low-rank output (format 17), 0: none. Each
                          wide column j (vae_wide_column), in column order,
                          has U_j (in x r, in the last decoder layer's
                          inputs, r = cfg.wide_rank) then V_j (r x L_j)
                          here, and its logits are h U_j V_j + b_j, with
                          b_j its share of the last layer's biases; that
                          layer's weight block of column j is not used
                          (kept 0) */
  int nwide;           /* wide columns */
  size_t nparams;
  int widest;          /* the widest layer (inputs and outputs of every layer) */
  float *params;
  /* The linear part (linear.c): a Gaussian over the encoded values, and per
  ** column the network's share of a numeric estimate (1: network only). */
  vae_linear lin;
  float *blend;        /* [p] */
  vae_split split;     /* the split linear part (format 13; above) */
  /* The nearest-neighbour expert (knn.c) and per column its share of the
  ** estimate, taken from the network and linear part's blend (0: none;
  ** all 0 when knn.n is 0). */
  vae_knn knn;
  float *knn_share;    /* [p] */
  /* The forest expert (forest.c) and per column its share of the estimate,
  ** taken from the blend above (0: none; all 0 without a forest). */
  vae_forest forest;
  float *forest_share; /* [p] */
  /* Format 16: binary and categorical columns that nothing predicts
  ** (train.c, choose_modes) are imputed by their marginal: modal[j] 1,
  ** and marginal[off[j] ..] the column's training shares (P(1) of a
  ** binary column, one per level of a categorical one; 0 elsewhere). */
  unsigned char *modal; /* [p] */
  float *marginal;     /* [x_width] */
  /* Per numeric column, the scale of a draw's spread about the network's
  ** centre (spread.c; 1: the network's own, and for other kinds). */
  float *spread;       /* [p] */
  vae_calibration cal; /* generation's (nq = 0 before the first fit) */
  vae_expect_table expect; /* derived, not stored: built after a fit and a load */
  /* The second member (vae.h: vae_fit, vae_infer): a whole model fitted
  ** the same way with vae_member_seed(seed), averaged into estimates;
  ** NULL: none. A member holds no member. Its own generation calibration
  ** and draw spread are not fitted (cal.nq 0, spread 1): only its
  ** estimates are read. Freed with m; saved inside m's blob. */
  struct vae_model *member;
  /* 1 (every model, also one a blob of any format holds): estimates are
  ** pulled to the linear part's (vae_linear_pull); 0 while a fit reads
  ** the network's own estimates (train.c, guess_pass). Not stored. */
  int pull;
  /* Format 18: per column, whether vae_linear_pull moves its estimates:
  ** 1 for a numeric column unless its held-out cells measured the pull
  ** worse (train.c, choose_pulls), 0 for binary and categorical ones.
  ** Older blobs load with 1 for every numeric column. */
  unsigned char *pulled; /* [p] */
};

static inline int vae_is_numeric(int kind) {
  return kind == VAE_REAL || kind == VAE_INTEGER;
}

/* A numeric value as the model sees it: its normal score. Beyond the
** quantile table (values a warm start brings) the score goes on linearly,
** one sd of the column per unit, so that new ranges stay distinct. */
double vae_standardize(const vae_column *c, double v);
double vae_unstandardize(const vae_column *c, double z);
/* vae_unstandardize of each of z[0..n), in place. */
void vae_unstandardize_n(const vae_column *c, double *z, int n);

/* A missing numeric cell's estimate est of column j moved towards the
** linear part's, lin (data units both), where lin lies in the column's
** tails or the row's observed cells pin the cell down under the linear
** part (r2, vae_linear_row's; NaN: not known) (infer.c); est as it was
** without a linear part or estimate, and without m->pull. */
double vae_linear_pull(const vae_model *m, int j, double lin, double r2, double est);
/* The range within which a missing numeric cell's estimate of column j is
** kept: the column's [min, max], widened by its width on each side where
** the linear part is sure of the cell (lin, r2: vae_linear_row's; NaN
** without) and has a share of the column (infer.c). */
void vae_estimate_range(const vae_model *m, int j, double lin, double r2, double *lo,
                        double *hi);

/* The expectation of g(mu[s] + sd Z) over a standard normal Z by the
** 5-point Gauss-Hermite rule, g column c's quantile map
** (vae_unstandardize), into out[s]; gh: 5 n doubles of scratch. */
void vae_expect_direct_n(const vae_column *c, const double *mu, int n, double sd,
                         double *gh, double *out);
/* m's tables of that expectation for every numeric column at its current
** decoder variance (VAE_OK also when there are too many to tabulate);
** vae_expect_ready says whether column j has one for variance var, and
** vae_expect_n then interpolates it (gh: 5 doubles of scratch, for mu
** beyond the table). vae_model_free frees the tables. */
int vae_expect_build(vae_model *m);
void vae_expect_free(vae_model *m);
int vae_expect_ready(const vae_model *m, int j, double var);
void vae_expect_n(const vae_model *m, int j, const double *mu, int n, double *gh,
                  double *out);

/* Inference work per row is capped, so that no model (a crafted blob in an
** untrusted file among them) makes one row take seconds or gigabytes: S
** importance samples x the widest layer (floats of the buffers per row) at
** most VAE_INFER_MAX_CELLS, and the multiply-adds of one row (encoder
** once, decoder S times) at most VAE_INFER_MAX_MACS (about 0.1 s).
** At the defaults (256 samples, 64 wide) a row takes 16,384 cells. */
#define VAE_INFER_MAX_CELLS 4194304.0
#define VAE_INFER_MAX_MACS 2e9
/* The widest layer of m (inputs and outputs of every layer). */
int vae_widest_layer(const vae_model *m);
/* VAE_OK, or VAE_INVALID with a message when S samples per row are more
** work than the caps allow. Checked by vae_fit, vae_model_load (for the
** model's impute_samples) and every inference call. */
int vae_infer_check(const vae_model *m, int S, char *err, size_t errlen);
/* A training step (batch rows, K samples each, forward and backward) is
** capped at VAE_STEP_MAX_MACS multiply-adds (about a quarter of a second
** on one core), so that a fit, which looks for an interrupt between steps,
** stops within half a second; VAE_INVALID with a message beyond it. About
** 0.15 s on one core here, a little over a second at the edge of the
** caps. */
#define VAE_STEP_MAX_MACS 5e9
int vae_step_check(const vae_model *m, int batch, int K, char *err, size_t errlen);
/* Multiply-adds of one pass of vae_infer at most (whole rows: at least
** one), and between two looks for an interrupt in long inference loops:
** some 25 ms of work on one core. */
#define VAE_PASS_MACS 1e9
#define VAE_POLL_MACS 1e9

/* Scratch memory for rows_enc rows through the encoder and rows_dec =
** rows_enc * K samples through the decoder; allocated once per fit or
** inference call, never per row. */
typedef struct {
  vae_allocator mem;    /* the model's, copied by vae_work_alloc */
  int rows_enc, rows_dec;
  float *xs;            /* rows_enc x p: standardized values, NaN = missing */
  float *enc_x;         /* rows_enc x enc_in */
  float *enc_h[VAE_MAX_HIDDEN + 1]; /* layer outputs, last = mu | logvar */
  float *eps, *z;       /* rows_dec x latent */
  float *dec_h[VAE_MAX_HIDDEN + 1]; /* layer outputs, last = decoder output */
  double *lw;           /* rows_dec log importance weights */
  float *wnorm;         /* rows_dec normalized weights */
  float *g_enc[2], *g_dec[2]; /* ping-pong gradient buffers */
  float *wide_t;        /* rows_dec x r per wide column: h U_j, kept from
                           vae_decode for the backward pass */
  float *wide_g;        /* rows_dec x r, its gradient (training only) */
  float *grads;         /* nparams, only for training */
  double *dlogvar;      /* p, vae_backward's sums, only for training */
  double *var, *log_var, *inv_var; /* p decoder variances, set by vae_forward */
  double *lsel;         /* VAE_MNAR: rows_dec log P(mask | z) of each row,
                           a part of lw (so lw - lsel is the MAR weight) */
  double *mval;         /* VAE_MNAR: 2 p, one sample's cross values */
  double *dsel;         /* VAE_MNAR with grads: 3 p (+ p p with cross terms),
                           the missingness gradient's sums */
} vae_work;

int vae_work_alloc(const vae_model *m, vae_work *w, int rows_enc, int K,
                   int with_grads);
void vae_work_free(vae_work *w);

/* Builds layout and allocates zeroed params for columns and cfg (columns
** copied, statistics included). Used by create and load. */
int vae_model_alloc(const vae_allocator *mem, const vae_column *cols, int p,
                    const vae_config *cfg, vae_model **out, char *err, size_t errlen);
int vae_model_init_params(vae_model *m, uint64_t seed, int (*stop)(void *), void *ctx);
/* Encoded width of columns: 1 per numeric or binary column, nlevels per
** categorical one (the one-hot inputs). */
int64_t vae_encoded_width(const vae_column *cols, int p);

/* Encoded widths beyond this are refused (one-hot inputs). */
#define VAE_MAX_WIDTH 10000000

/* The network's layout for p columns of encoded width x_width under cfg:
** the encoder (values + mask -> hidden... -> mu | logvar) and the decoder
** (z -> hidden reversed... -> per-column outputs) in one parameter array,
** then p decoder log-variances, then (VAE_MNAR) a slope and an intercept
** per column and p x p cross-column slopes. Computed here only: vae_model_alloc lays a model out by it,
** vae_config_check and the blob reader size by it before allocating. */
typedef struct {
  int latent;          /* cfg->latent, or chosen from x_width when 0 */
  int enc_in, dec_out; /* x_width + p, and x_width */
  int nlayers;         /* dense layers per side: nhidden + 1 */
  vae_dense enc[VAE_MAX_HIDDEN + 1];
  vae_dense dec[VAE_MAX_HIDDEN + 1];
  size_t logvar, sel, cross, lowrank; /* offsets as in vae_model */
  int nwide;
  uint64_t nparams;
  int widest;          /* the widest layer, inputs included */
} vae_layout;
/* VAE_OK, or VAE_INVALID when p < 1, x_width is out of range or cfg's
** hidden layers are not 1 to VAE_MAX_HIDDEN widths of at least 1. */
int vae_layout_of(int p, int64_t x_width, const vae_column *cols, const vae_config *cfg,
                  vae_layout *L);
/* Whether column c is decoded through the low-rank output under cfg (a
** categorical column of more than cfg->wide_levels levels, wide_rank > 0);
** vae_layout_of counts none when cols is NULL. */
int vae_wide_column(const vae_config *cfg, const vae_column *c);
/* Multiply-adds of one sample through m's decoder, the low-rank output's
** own counted. */
double vae_decoder_macs(const vae_model *m);

/* Standardize raw rows (n x p) into w->xs and build the encoder input;
** hide[] (rows x p, may be NULL) marks observed cells kept from the encoder.
** With scored, numeric cells of x are normal scores already. */
void vae_prepare(const vae_model *m, vae_work *w, const float *x, int rows,
                 const unsigned char *hide, int scored);
/* The rows with numeric cells as normal scores (from the model's allocator),
** rows in fixed items on pool (NULL: the caller alone). */
float *vae_scores(const vae_model *m, const float *x, int64_t n, vae_pool *pool);
/* Encoder, K reparameterized samples per row from w->eps, decoder, and the
** log weights lw = log p(x_obs|z) + beta (log p(z) - log q(z|x)). With
** want_grads (a workspace allocated with grads) it also keeps the
** likelihood's gradient for vae_backward. */
void vae_forward(const vae_model *m, vae_work *w, int rows, int K, double beta,
                 int want_grads);
/* vae_forward in pieces, for inference that draws samples a block at a
** time (infer.c): the decoder variances and the encoder over rows (the
** log-variances clamped); row r's K latent samples z from its K x latent
** normals eps; the log weights lw (and under VAE_MNAR the selection part
** ls) of row r's K samples from their decoder outputs out (K x dec_out),
** and with dout the likelihood's gradient there. */
void vae_encode(const vae_model *m, vae_work *w, int rows);
void vae_latent(const vae_model *m, const vae_work *w, int r, const float *eps, int K,
                float *z);
void vae_log_weights(const vae_model *m, const vae_work *w, int r, const float *out,
                     const float *z, const float *eps, int K, double beta, float *dout,
                     double *lw, double *ls);
/* Decoder only: w->z (rows x latent) -> w->dec_h[nlayers - 1]. */
void vae_decode(const vae_model *m, vae_work *w, int rows);
/* The decoder's last layer of a model with wide columns (wide.c), on
** rows of its inputs H: into w->dec_h's last, keeping w->wide_t; and
** back from dY, the gradient of that output: grads of its weights (not its
** biases) and of U and V, and dH (rows x its inputs). */
void vae_output_forward(const vae_model *m, vae_work *w, const float *H, int rows);
void vae_output_backward(const vae_model *m, vae_work *w, float *grads, const float *H,
                         const float *dY, int rows, float *dH);
/* The encoder's first layer of a model with wide columns (wide.c), on rows
** of its inputs X (a wide column's level read from its one-hot block):
** into Y; and back from dY, the gradient of its output: grads of its
** weights (not its biases). */
void vae_embed_forward(const vae_model *m, const float *X, int rows, float *Y);
void vae_embed_backward(const vae_model *m, float *grads, const float *X, const float *dY,
                        int rows);
/* -sum over rows of (logsumexp_k lw - log K) / scale, and with grads the
** gradient of that into w->grads: then vae_forward must have run with
** want_grads. Always leaves the normalized weights in w->wnorm. */
double vae_backward(const vae_model *m, vae_work *w, int rows, int K,
                    double beta, double scale, int with_grads);

/* The missingness model's P(missing) of one cell at x (model scale), or of
** a missing numeric cell at the decoder's mean mu and variance var: the
** probit link integrated over N(mu, var). For the objective and inference. */
double vae_log_ndtr(double t);   /* log Phi(t), stable in both tails */
double vae_mills(double t);      /* phi(t) / Phi(t) */
/* VAE_MNAR: the other columns' part of column j's missingness probit for
** a row xs (model scale) and one sample's decoder output o: sum over the
** other numeric and binary columns l of c_jl x_l, a missing x_l taken at
** the sample's decoder mean (P(1) for binary). 0 without cross terms. */
double vae_cross_offset(const vae_model *m, int j, const float *xs, const float *o);

/* Log-likelihood of one row's observed cells given one decoder output, and
** when dout is not NULL its gradient d ll / d out there (0 at the cells of
** unobserved columns). Uses the variances vae_forward put in w. */
double vae_row_loglik(const vae_model *m, const vae_work *w, const float *xs,
                      const float *out, float *dout);

/* The nearest-neighbour expert (knn.c). vae_knn_capacity: the reservoir
** rows kept for an encoded width. vae_knn_build keeps the first of rows
** idx[0..n) of data that have an observed cell, up to that capacity, into
** *out (n 0 when none); vae_knn_prepare makes k->enc from k->rows (a
** blob's); vae_knn_check says whether every cell of n stored rows is valid
** for its column (VAE_CORRUPT if not). vae_knn_rows gives, for each
** missing cell j of raw rows x[0..rows) (with want[j], when want is not
** NULL), m->knn's estimate: numeric ones in estimate[r p + j] in data
** units, binary and categorical ones as probabilities in probs at
** r x_width + m->off[j] (P(1) for binary; the estimate is then 0); NaN
** where there is none. The work is vae_knn_work_alloc's for m's reservoir
** (NULL when it has none). */
typedef struct vae_knn_work vae_knn_work;
int vae_knn_capacity(int64_t width);
int vae_knn_build(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                  vae_knn *out);
int vae_knn_prepare(const vae_model *m, vae_knn *k);
int vae_knn_check(const vae_column *cols, int p, const float *rows, int n);
void vae_knn_free(const vae_allocator *a, vae_knn *k);
vae_knn_work *vae_knn_work_alloc(const vae_model *m);
void vae_knn_work_free(vae_knn_work *w);
void vae_knn_rows(const vae_model *m, const float *x, int rows, const unsigned char *want,
                  vae_knn_work *w, double *estimate, double *probs);

/* The forest expert (forest.c). vae_forest_build grows trees for each
** column j with want[j] (want NULL: every one) on
** raw rows idx[0..n) of data (the first of them that have the column, up
** to a cap), streams from seed, into *out (trees 0 when none); it asks
** stop(ctx) (stop may be NULL) before each tree and returns
** VAE_INTERRUPTED, nothing kept, when it says stop.
** vae_forest_width: the probabilities a column's estimate has (1 for
** binary: P(1), 1 for real and integer: the value; 0: it takes no
** forest). vae_forest_has: whether column j
** has trees. vae_forest_probs: column j's estimate for raw row x into
** probs (vae_forest_width of them). vae_forest_check: whether a blob's
** forest and shares are sound (VAE_CORRUPT if not).
** With oob (p x VAE_FOREST_OOB doubles, or NULL) vae_forest_build also
** scores each column it grows against its marginal on the rows each tree
** left out of its bootstrap: oob[j * VAE_FOREST_OOB ..] = the Brier score
** the marginal loses over the forest's (summed over the cells), the cells
** the forest's most probable level has right and the marginal's mode
** wrong, the reverse, and the cells read (0 for a column without trees). */
#define VAE_FOREST_OOB 4
/* The forest grows on the first VAE_FOREST_MAX_ROWS of the rows it is given. */
#define VAE_FOREST_MAX_ROWS 5000
int vae_forest_build(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                     const unsigned char *want, uint64_t seed, vae_forest *out, double *oob,
                     int (*stop)(void *), void *ctx);
void vae_forest_free(const vae_allocator *a, vae_forest *f);
int vae_forest_width(const vae_column *c);
int vae_forest_has(const vae_model *m, int j);
void vae_forest_probs(const vae_model *m, int j, const float *x, double *probs);
int vae_forest_check(const vae_column *cols, int p, const vae_forest *f, const float *share);

/* Where numeric columns' real holes are (holes.c), for the weights of
** the held-out cells the imputation shares are chosen on.
** vae_holes_fit fits, per numeric column j, a logistic model of its cell
** being missing on the other cells (one-hot for a category) of the normal-score
** rows scored[rows[0..n)] into coef (p x (vae_holes_features(m) + 2)
** doubles; a column's first value 0 where none is kept). vae_hole_weight:
** the odds that the row xs (normal scores) misses its cell j, 1 where
** column j has no model. */
int vae_holes_features(const vae_model *m);
int vae_holes_fit(const vae_model *m, const float *scored, const int64_t *rows, int64_t n,
                  double *coef);
double vae_hole_weight(const vae_model *m, const double *coef, int j, const float *xs);

/* The linear part (linear.c). vae_linear_fit fits one into *out on raw
** rows idx[0..n) of data, its rows' conditioning on pool (NULL: the
** caller alone; the same bits on any number of threads); wide encodings
** get none (out->d = 0). It asks
** stop(ctx), when given, every few rows whether to give up
** (VAE_INTERRUPTED).
** vae_linear_row gives, for each missing numeric cell of one raw row, its
** conditional mean in data units (NaN elsewhere, and everywhere without a
** linear part) and, with r2 (p, or NULL), the share of the cell's variance
** the row's observed cells explain under the linear part's Gaussian (NaN
** where there is no estimate, nothing is observed, or the split linear
** part gives the column's estimate). */
typedef struct vae_linear_work vae_linear_work;
vae_linear_work *vae_linear_work_alloc(const vae_allocator *a, int d);
void vae_linear_work_free(vae_linear_work *w);
int vae_linear_fit(const vae_model *m, const float *data, const int64_t *idx,
                   int64_t n, vae_pool *pool, vae_linear *out, int (*stop)(void *), void *ctx);
void vae_linear_free(const vae_allocator *a, vae_linear *lin);
/* lin->prec from lin->cov (a blob's): VAE_NOMEM, or VAE_CORRUPT when cov
** is not positive definite. */
int vae_linear_prepare(const vae_allocator *a, vae_linear *lin);
void vae_linear_row(const vae_model *m, const float *x, vae_linear_work *w,
                    double *estimate, double *r2);
/* The split linear part (vae_split above). vae_split_masses: each numeric
** column's point mass among raw rows idx[0..n) of data into mass[p] (NaN:
** none); how many have one. vae_split_alloc: s's arrays for p columns,
** zeroed (g none). vae_split_width: the width of the encoding of mass, -1
** beyond VAE_LINEAR_MAX_WIDTH. vae_split_fit: s->g fitted on those rows
** for s->mass (none when too wide), s->off laid out. vae_split_prepare: a
** blob's s (g.prec made) checked (g.d against mass) and laid out. vae_split_row: the
** split estimate of every missing cell of a column with a mass (NaN
** elsewhere); vae_linear_row gives it for columns with use[j].
** vae_linear_work_width: the work width both parts need. */
int vae_split_masses(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                     double *mass);
int vae_split_alloc(const vae_allocator *a, int p, vae_split *s);
void vae_split_free(const vae_allocator *a, vae_split *s);
int vae_split_width(const vae_column *cols, int p, const double *mass);
int vae_split_fit(const vae_model *m, const float *data, const int64_t *idx, int64_t n,
                  vae_pool *pool, vae_split *s, int (*stop)(void *), void *ctx);
int vae_split_prepare(const vae_model *m, vae_split *s);
void vae_split_row(const vae_model *m, const float *x, vae_linear_work *w, double *estimate);
int vae_linear_work_width(const vae_model *m);
/* Solves a x = b in place (a: n x n, symmetric positive definite, left
** holding its lower Cholesky factor; b becomes x); 0 when a is not
** positive definite. The missingness models' Newton steps (holes.c,
** spread.c, train.c) use it. */
int vae_spd_solve(double *a, double *b, int n);
/* The linear part's probabilities of binary or categorical column j given
** the other observed cells of raw row x: probs[0] = P(1) for binary (probs
** needs 2), one per level for categorical. m must have a linear part. */
void vae_linear_probs(const vae_model *m, int j, const float *x,
                      vae_linear_work *w, double *probs);
/* vae_infer(VAE_MEAN), every row taking S samples, that also leaves, when
** probs is not NULL, the network's own probabilities of each missing binary
** or categorical cell in probs (n x x_width, at the column's offset; other
** entries untouched). Under VAE_MNAR the estimates are those of cells
** missing at random (mnar 0) or, with mnar, vae_infer's: given that the
** missingness model hid them (probs stay the former). */
/* With parts, also draws for the choice of the draws' spread (spread.c):
** row i's missing numeric cells, in column order, are cells cell0[i],
** cell0[i] + 1, ...: each gets its centre (the network's mean score) in
** centre[cell] and `draws` draws of its score, before any scaling, in
** z[cell * draws ...], from a stream of the row's own (seed, i).
** keep: as vae_infer_kept's scratch (NULL: buffers of the call's own); the
** answers are the same either way. */
typedef struct {
  int draws;
  uint64_t seed;
  const long *cell0;   /* [n] */
  float *centre, *z;
} vae_draw_parts;
int vae_infer_probs(const vae_model *m, int n, const float *x, int S, int mnar, float *out,
                    float *probs, const vae_draw_parts *parts, vae_scratch **keep);

/* The spread of numeric draws (spread.c). vae_draw_value: column j's drawn
** value from a draw of its score z, scaled by spread about the network's
** centre, mapped to data units, moved by shift (data units) and then put on
** one of the two neighbouring values of the column's quantile table at
** random (u uniform in [0, 1)) so that the move is kept on average but the
** value stays on values the column takes; rounded and kept within range as
** its kind says. */
float vae_draw_value(const vae_model *m, int j, double z, double centre, double shift,
                     double spread, double u);
/* Draws per held-out cell, as the bench's coverage takes (bench/impute.py). */
#define VAE_SPREAD_DRAWS 40
/* One held-out cell for vae_choose_spread: its column, true value, weight,
** the network's centre, the shift of vae_draw_value, and its draws (z,
** vae_draw_parts'). */
typedef struct {
  int col;
  float truth, weight, centre, shift;
  const float *z;
} vae_spread_cell;
/* m->spread of each numeric column from n held-out cells (D draws each):
** the scale at which the 5%-95% range of the draws covers the true value
** in VAE_SPREAD_TARGET of the (weighted) cells, shrunk towards the
** columns' pooled scale, then widened or floored by shift (p, from
** vae_missing_odds; NULL: none, floor 1). Asks stop (when given) before
** each column's cells. VAE_NOMEM on failure, VAE_INTERRUPTED when stop
** says so (m->spread untouched either way). */
int vae_choose_spread(vae_model *m, const vae_spread_cell *cells, long n, int D,
                      const double *shift, uint64_t seed, int (*stop)(void *), void *ctx);
/* Each of rows[0..nrows)'s odds of missing each numeric column, given its
** other cells (scored: the rows' normal scores, NaN missing), under a
** logistic regression of the column's holes fitted on training rows
** train[0..n_train) (spread.c), into odds (nrows x p; 1 where a column
** has too few holes, or none), and with shift (p) the sd over the training
** rows of each column's fitted log odds (-1: no model). Asks stop (when
** given) before each column. VAE_NOMEM on failure, VAE_INTERRUPTED when
** stop says so. */
int vae_missing_odds(const vae_model *m, const float *scored, const int64_t *train,
                     int64_t n_train, const int64_t *rows, int nrows, float *odds,
                     double *shift, int (*stop)(void *), void *ctx);

/* Early stopping (train.c) reads the held-out bound of each round. A round
** gains when its bound is the best so far or, with at least
** VAE_TREND_MIN_HOLD held-out rows, when the bound's moving average
** (weight VAE_TREND_RATE on the newest round) is: the bound of a few dozen
** rows is noisy, and a fit whose bound still fell slowly used to stop on a
** noisy low point (vowel's class at 500 rows); on a handful of held-out
** rows the longer fit only overfits (mammalsleep, 62 rows). Training stops
** `patience` rounds after the last gain; the best bound's round is kept. */
#define VAE_TREND_RATE 0.1
#define VAE_TREND_MIN_HOLD 32
typedef struct {
  double best, trend, best_trend;
  int rounds, last_gain, use_trend;
} vae_stopper;
void vae_stopper_init(vae_stopper *s, int64_t n_hold);
/* Adds the next round's bound; 1 when it is the best so far. */
int vae_stopper_add(vae_stopper *s, double val);

/* VAE_MNAR (train.c): the priors of the missingness model's slopes and
** cross terms, as a penalty per row of the n trained on (returned), and
** its gradient added to grads[lo, hi) when grads is not NULL; a cross
** term whose column k is no driver (driver[k] 0) gets no prior and its
** gradient is set to 0 (it stays at 0). */
double vae_selection_prior(const vae_model *m, const unsigned char *driver, int64_t n,
                           float *grads, size_t lo, size_t hi);
/* Its parts for an optimizer step cut into parameter ranges: the pooled
** slopes' centre (from all the slopes), and the gradient added to
** grads[lo, hi) given that centre, reading only parameters in [lo, hi),
** so that ranges may be worked on in any order or at once. */
double vae_selection_centre(const vae_model *m, const unsigned char *driver);
void vae_selection_grads(const vae_model *m, const unsigned char *driver, int64_t n,
                         double centre, float *grads, size_t lo, size_t hi);

/* The stopping tolerance of vae_infer's adaptive importance sampling of
** conditional means (infer.c). */
#define VAE_ADAPT_TOL 0.1
/* vae_infer(VAE_MEAN) of rows seeded 0 with the stopping tolerance tol
** of adaptive sampling (infer.c; 0: every row takes S samples), leaving
** the samples each row took in used (n, may be NULL). For tests. */
int vae_infer_adaptive(const vae_model *m, int n, const float *x, int S, double tol,
                       float *out, int *used);

/* Generation's calibration (calibrate.c). vae_calibrate measures one for
** the trained m from draws seeded by seed and the level shares of the
** observed cells of data[n x p], decoding and sorting on pool (NULL: the
** caller alone; the same bits on any number of threads), asking
** stop(ctx), when given, between jobs of chunks whether to give up
** (VAE_INTERRUPTED); *out is left alone on failure. vae_calibrated_value maps a generated normal score g of
** numeric column j (m->cal.nq > 0) to data units, before rounding. */
int vae_calibration_alloc(const vae_allocator *a, vae_calibration *cal, int nq, int p,
                          int x_width);
void vae_calibration_free(const vae_allocator *a, vae_calibration *cal);
int vae_calibrate(const vae_model *m, const float *data, int64_t n, uint64_t seed,
                  vae_pool *pool, int (*stop)(void *), void *ctx, vae_calibration *out);
double vae_calibrated_value(const vae_model *m, int j, double g);
/* The value of numeric column c at probability u (0..1) of its observed
** values, each weighing one row, bent within its gaps (the second half of
** vae_calibrated_value; vae_generate's ranks go through it directly). */
double vae_column_value_at(const vae_column *c, double u);
/* The bend of numeric column c's gaps for vae_calibrated_value: the one
** that gives the generated values (uniform probabilities) the sd of the
** column's observed values. Set with the column's quantiles. */
double vae_generation_bend(const vae_column *c);

/* Column c's score table made again as scores says (vae.h's VAE_SCORES_*;
** its quantiles, mean and sd as they are), with its ends and bend: VAE_OK,
** VAE_NOMEM, or VAE_CORRUPT when a normal table's entries are beyond
** floats (c is then left as it was). */
int vae_column_scores(const vae_allocator *a, vae_column *c, int scores);
/* A second member's numeric columns on normal tables (z-scores; train.c's
** vae_fit says why), each but a constant column and one whose normal table
** would be beyond floats, which keep theirs. VAE_OK or VAE_NOMEM. */
int vae_member_scores(vae_model *m);

/* Generation's draws (noise.c). vae_gen_latents puts the latents of rows
** block * VAE_STRATA .. of seed's stratified draws into z (VAE_STRATA x
** latent), as vae_generate and the calibration draw them; vae_gen_noise
** the same rows' uniforms into u (VAE_STRATA x p, column c's the rows'
** uniforms d + c) and, at numeric columns, their normal quantiles into e
** (VAE_STRATA x p; other columns of e left alone). vae_temperature_fit
** chooses the noise's temperature on the calibration's draws (numeric
** column j's decoder means at mean + j N, their noise at noise + j N) and
** the rows data[n x p], into *temp, its grid's points on pool (NULL: the
** caller alone; the same choice on any number of threads);
** vae_temperature_widen then makes vae_generate's rows of m with
** calibration cal (its level shifts made) at *temp times 1 to 2 and keeps
** the one whose numeric columns' correlations are nearest the rows'
** (seed: the draws'), the rows' super-blocks on pool (the same choice on
** any number of threads). */
void vae_gen_latents(const vae_model *m, uint64_t seed, uint64_t block, float *z);
void vae_gen_noise(const vae_model *m, uint64_t seed, uint64_t block, double *u, double *e);
int vae_temperature_fit(const vae_model *m, const float *data, int64_t n, const float *mean,
                        const float *noise, int N, vae_pool *pool, double *temp);
int vae_temperature_widen(const vae_model *m, const vae_calibration *cal, const float *data,
                          int64_t n, uint64_t seed, vae_pool *pool, double *temp);
/* vae_generate's first n rows (infer.c), its super-blocks on pool, a
** caller's (NULL: the caller alone), instead of on threads of the
** scratch's own: *scratch as vae_generate's, kept for calls on the same
** pool (a lane for each of its threads). The same rows as vae_generate. */
int vae_generate_on(const vae_model *m, uint64_t seed, int n, float *out, vae_pool *pool,
                    vae_scratch **scratch);
/* The n pairs (value, index) of a[2n] in ascending order of value, pairs
** of equal values in the order they came (NaN aside); tmp: 2n doubles of
** scratch. The ranking of vae_temperature_fit (a radix sort). */
void vae_sort_ranked(double *a, double *tmp, int n);
/* a[0..n) in ascending order, equal values in the order they came (NaN
** aside); tmp: n floats of scratch. The calibration's sorts (a radix sort). */
void vae_sort_floats(float *a, float *tmp, int n);

/* Values valid for their kinds: finite, 0/1, level indexes in range. */
int vae_check_data(const vae_column *cols, int p, const float *data,
                   int64_t n, char *err, size_t errlen);

void vae_set_error(char *err, size_t errlen, const char *fmt, ...);

#endif
