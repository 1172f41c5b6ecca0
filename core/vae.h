/*
** vae.h -- a variational autoencoder for incomplete tables, in C99 over CBLAS.
**
** The model of the `vae` SQLite extension, usable without SQLite: a C program
** can link core/ alone. Rows are passed as float matrices, row-major, one
** column per table column, NaN for a missing cell:
**   real, integer  the value itself (standardized inside the model)
**   binary         0 or 1
**   categorical    the level index 0..nlevels-1, as a float
**
** Usage:
**   vae_config cfg; vae_config_default(&cfg);
**   vae_model *m; vae_report rep;
**   vae_model_create(&vae_allocator_libc, cols, p, &cfg, data, n, &m, err, sizeof err);
**   vae_fit(m, data, n, &cfg, NULL, &rep, err, sizeof err);
**   vae_infer(m, VAE_MEAN, n, rows, seeds, 256, out, NULL);   // impute
**   vae_model_save(m, &blob, &len);  vae_model_load(&vae_allocator_libc, blob, len, &m2, ...);
**
** Memory: every allocation goes through the vae_allocator given to
** vae_model_create / vae_model_load (the model keeps a copy, and so does
** everything made from it); &vae_allocator_libc is malloc, realloc, free.
**
** Method: MIWAE (Mattei and Frellsen, 2019). The encoder sees the observed
** values and the missingness mask; the decoder gives per column a Gaussian
** (numeric), a Bernoulli (binary) or a softmax (categorical); training
** maximizes the importance-weighted bound over observed cells only, with K
** samples per row and `beta` on the prior/posterior log-ratio.
**
** Settings come typed, in a vae_config, held to the ranges of vae_ranges.
** Core reads and writes no JSON and no option text: the extension parses
** vae_fit's options (ext/options.c) into a vae_config and keeps its own
** settings (which columns, max_rows, verbose) to itself; progress comes
** out through the vae_progress_fn a caller hands vae_fit.
*/
#ifndef VAE_H
#define VAE_H

#include <stddef.h>
#include <stdint.h>

/* Where core gets memory: xmalloc and xrealloc return NULL on failure
** (xrealloc then keeps p), xfree takes what they returned; ctx is passed
** to each. Sizes are never 0. Core calls them from the thread of the call
** that allocates or frees, or, when threadsafe is nonzero, from threads
** of core's own as well (a fit of two members trains them side by side on
** two threads; vae_fit), never from two at once unless threadsafe says
** they may. */
typedef struct vae_allocator {
  void *(*xmalloc)(void *ctx, size_t size);
  void *(*xrealloc)(void *ctx, void *p, size_t size);
  void (*xfree)(void *ctx, void *p);
  void *ctx;
  int threadsafe; /* the three may run on two threads at once */
} vae_allocator;

/* malloc, realloc and free (core/mem_libc.c). */
extern const vae_allocator vae_allocator_libc;

/* Return codes of every core function that can fail. */
enum {
  VAE_OK = 0,
  VAE_NOMEM = 1,       /* an allocation failed; nothing was leaked */
  VAE_INVALID = 2,     /* bad argument or data; the message says which */
  VAE_INTERRUPTED = 3, /* the progress callback asked to stop */
  VAE_CORRUPT = 4      /* a model blob is damaged, truncated or foreign */
};

typedef enum {
  VAE_REAL = 0,
  VAE_INTEGER = 1,     /* numeric, rounded and clamped to [min, max] on output */
  VAE_BINARY = 2,      /* 0/1, Bernoulli */
  VAE_CATEGORICAL = 3  /* level index, softmax */
} vae_kind;

/* How a numeric column's values map to normal scores (transform.h):
** through its quantiles, a smoothed table of them, or a normal of its
** mean and sd (z-scores; a second member's, model.h). */
enum { VAE_SCORES_QUANTILES, VAE_SCORES_SMOOTH, VAE_SCORES_NORMAL };

const char *vae_kind_name(int kind);        /* "real", "integer", ... */
int vae_kind_from_name(const char *name);   /* -1 when unknown */

typedef struct {
  char *name;          /* UTF-8, owned by the model once created */
  int kind;            /* vae_kind */
  int nlevels;         /* categorical: number of levels; else 0 */
  char **levels;       /* categorical: level strings (UTF-8), owned */
  /* Statistics of the observed training values, set by vae_model_create. */
  double mean, sd;     /* numeric: of the observed values (sd > 0) */
  int nq;              /* numeric: quantiles of the observed values (what */
  float *quantiles;    /* generation gives back, transform.h) */
  float *score_q;      /* numeric: the nq entries by which values map to
                          normal scores (as scores says), or NULL: the
                          quantiles (models before blob format 20) */
  int scores;          /* numeric: how score_q is made, VAE_SCORES_* */
  double score_lo, score_hi; /* the scores of the first and last entry */
  double bend;         /* numeric: generation's gap bend (calibrate.c),
                          derived from the above, not stored */
  double min, max;     /* numeric: observed range; binary: 0, 1 */
  int64_t observed;    /* number of non-missing cells seen */
  int format;          /* the caller's code for how the column's values are
                          written outside (ext/: a date and time format);
                          0 = none. Kept in the blob; core never reads it */
} vae_column;

/* The one owner of column arrays: p zeroed columns from *a (NULL when out
** of memory), and their release with everything they point to (name,
** levels and their strings, quantiles, score table), all of it from *a. Whoever fills
** a column array for core (the extension's source reader, the blob reader,
** the model's own copy) makes it with vae_columns_alloc and the strings
** with the same allocator, and frees it with vae_columns_free. */
vae_column *vae_columns_alloc(const vae_allocator *a, int p);
void vae_columns_free(const vae_allocator *a, vae_column *cols, int p);

#define VAE_MAX_HIDDEN 8

typedef struct {
  int latent;                  /* latent dimensions; 0 = chosen from the data */
  int nhidden;                 /* number of hidden layers (each side) */
  int hidden[VAE_MAX_HIDDEN];  /* widths, encoder order; decoder mirrors */
  int epochs;                  /* maximum epochs */
  int batch;                   /* rows per mini-batch */
  double lr;                   /* Adam learning rate */
  double beta;                 /* weight of log p(z) - log q(z|x) */
  int samples;                 /* K importance samples per row in training */
  int impute_samples;          /* importance samples per row at inference */
  uint64_t seed;               /* RNG seed: same seed and data, same model */
  double holdout;              /* fraction of rows kept for validation */
  double mask_rate;            /* extra masking of observed cells in training */
  int patience;                /* epochs without validation gain before stop */
  int missing;                 /* VAE_MAR, or VAE_MNAR: a model of why cells
                                  are missing (see objective.c) */
  int threads;                 /* threads of a fit and of inference, 1 to 64;
                                  0 = the cores the process may use. The
                                  result does not depend on it. Not saved. */
  int members;                 /* whole fits averaged for estimates, 1 or 2;
                                  0 = 2 up to VAE_MEMBERS_AUTO_ROWS rows
                                  handed to vae_fit, 1 above. Not saved as
                                  such: a model has the members it holds */
  int fixed_shares;            /* 1: every job of a fit's threads (and of
                                  inference on a model fitted or set so) is cut
                                  into fixed shares, each thread runs its own and
                                  only its own, and none runs alone (pool.h,
                                  vae_pool_fix_shares): slower on a busy
                                  machine, for tests that must see work on
                                  every thread. 0 (the default): as the pool
                                  finds faster. The result is the same either
                                  way. Not saved. */
  int wide_rank;               /* a categorical column of more than
                                  wide_levels levels is decoded through
                                  wide_rank linear units of its own (model.h:
                                  the low-rank output); 0: none is. Not
                                  options: vae_config_default's, saved */
  int wide_levels;
} vae_config;

/* vae_config_default's wide_rank and wide_levels, and the bounds that
** vae_config_check (and so the blob reader) holds them to. */
#define VAE_WIDE_RANK 16
#define VAE_WIDE_LEVELS 128
#define VAE_WIDE_MAX_RANK 1024

/* members 0: two members for fits of up to this many rows, one above.
** The second member is a whole second fit (nearly doubling a fit's
** time), so that big tables keep one. */
#define VAE_MEMBERS_AUTO_ROWS 10000

/* vae_config.missing. Under VAE_MNAR each numeric and binary column j also
** has a missingness model P(missing | x) = Phi(slope_j x_j + intercept_j +
** sum_k c_jk x_k) (x on the model's scale: the normal score, or 0/1; k
** over the other numeric and binary columns), trained with the network in
** the bound; imputation, draws and scores then account for a cell being
** missing because of its own value or another column's. */
enum { VAE_MAR = 0, VAE_MNAR = 1 };

/* The ranges of vae_config's settings, written once: vae_config_check
** holds a config to them, and the extension's option parser (ext/options.c)
** holds vae_fit's options to them and words its messages from them. */
typedef struct {
  const char *name;     /* the setting, as vae_fit's option names it */
  int integer;          /* a whole number */
  double lo, hi;        /* bounds, included unless open */
  int lo_open, hi_open;
  int zero_auto;        /* a vae_config may also hold 0: core chooses
                           (latent from the data, threads the cores) */
} vae_range;
enum {
  VAE_RANGE_LATENT, VAE_RANGE_HIDDEN /* each width */, VAE_RANGE_EPOCHS,
  VAE_RANGE_BATCH, VAE_RANGE_LR, VAE_RANGE_BETA, VAE_RANGE_SAMPLES,
  VAE_RANGE_IMPUTE_SAMPLES, VAE_RANGE_SEED, VAE_RANGE_HOLDOUT,
  VAE_RANGE_MASK_RATE, VAE_RANGE_PATIENCE, VAE_RANGE_THREADS, VAE_RANGE_MEMBERS,
  VAE_NRANGES
};
extern const vae_range vae_ranges[VAE_NRANGES];
/* Whether x is within r (a whole number if r->integer; 0 is not, unless
** the caller allows r->zero_auto itself). */
int vae_range_holds(const vae_range *r, double x);
/* r in words, for messages: "an integer from 1 to 4096", "a number
** greater than 0 and at most 1", "a number at least 0 and less than 0.9". */
void vae_range_text(const vae_range *r, char *buf, size_t size);

void vae_config_default(vae_config *cfg);
/* Checks the settings against vae_ranges (latent, threads, members may be 0),
** nhidden from 0 to VAE_MAX_HIDDEN, missing, and that the network would
** fit in memory; 0 or VAE_INVALID with a message naming the setting. */
int vae_config_check(const vae_config *cfg, int ncols, char *err, size_t errlen);

/* Training history and held-out quality; filled by vae_fit. */
typedef struct {
  int epochs;                  /* epochs run (this fit) */
  int best_epoch;              /* epoch whose parameters were kept (1-based) */
  double *train_loss;          /* [epochs] mean negative bound per row */
  double *val_loss;            /* [epochs] same on held-out rows (NaN if none) */
  int ncols;
  double *holdout_error;       /* [ncols] numeric: RMSE / sd; categorical and
                                  binary: error rate; NaN if not measured */
  int64_t rows_train, rows_holdout;
  double seconds;
  double rows_per_second;      /* rows x epochs / seconds */
  int stopped_early;
  long long items_shared;      /* of this fit's jobs (mini-batch shards and the
                                  like; not its second member's), the items its
                                  other threads ran: 0 on one thread, or where
                                  the pool found sharing no faster (pool.c) */
  vae_allocator mem;           /* what the arrays above were allocated with */
} vae_report;

void vae_report_free(vae_report *rep);

/* Per-epoch progress; return nonzero to stop the fit (VAE_INTERRUPTED).
** Also called every few mini-batches with epoch = -1, so an interrupt is
** noticed within a fraction of a second; rows_per_second is then the rate
** of training so far (0 before the first mini-batch), for an estimate of
** the time per epoch. */
typedef int (*vae_progress_fn)(void *ctx, int epoch, double train_loss,
                               double val_loss, double rows_per_second);

typedef struct vae_model vae_model;

/* A new, untrained model whose memory (and that of everything made from
** it) comes from *mem (copied). cols[] are copied (names and levels too);
** the statistics are computed from data (n x p, NaN = missing). */
int vae_model_create(const vae_allocator *mem, const vae_column *cols, int p, const vae_config *cfg,
                     const float *data, int64_t n, vae_model **out,
                     char *err, size_t errlen);
/* The same, asking stop(ctx) between pieces of its work (a wide network's
** parameters take a tenth of a second to draw): VAE_INTERRUPTED, and no
** model, when it says stop. stop may be NULL. */
int vae_model_create_stoppable(const vae_allocator *mem, const vae_column *cols, int p,
                               const vae_config *cfg, const float *data, int64_t n,
                               int (*stop)(void *), void *ctx, vae_model **out, char *err,
                               size_t errlen);
void vae_model_free(vae_model *m);

/* Trains m on data (n x p). Called on a loaded model it continues training
** (warm start) with the model's statistics and architecture; cfg gives the
** training settings (epochs, batch, lr, ...). On error m keeps its previous
** parameters (and its member). rep may be NULL.
**
** Members: with cfg->members 2 (or 0 and at most VAE_MEMBERS_AUTO_ROWS
** rows) m also holds a second member, a whole model fitted the same way
** on the same rows with seed vae_member_seed(cfg->seed): trained on when
** m has one (warm start), else made from the rows; with 1 a member m
** holds is dropped. The member is fitted first, then m; rep is m's (its
** seconds those of both). Only estimates average the members (vae_infer).
** With two threads or more (cfg->threads, 0: the cores) and an allocator
** that is threadsafe, the member is fitted on a thread of its own (with
** half the threads) while m is fitted on the caller's (the same bits:
** the members do not depend on each other or on their thread counts, and
** m reads the member's masked cells only once it is done). progress is
** still called only on the caller's thread, and for m's epochs alone: the
** member's thread stops within a tenth of a second of progress saying to
** stop, and while m waits for the member the caller's thread calls
** progress (epoch -1) every tenth of a second. */
int vae_fit(vae_model *m, const float *data, int64_t n, const vae_config *cfg,
            vae_progress_fn progress, void *ctx, vae_report *rep,
            char *err, size_t errlen);

int vae_model_ncols(const vae_model *m);
/* The whole fits whose estimates m averages: 1 or 2 (vae_fit). */
int vae_model_members(const vae_model *m);
/* The seed of the second member of a fit seeded seed: a fixed mixing of it
** (within the seeds' range), not seed + 1, which is a user's next seed. */
uint64_t vae_member_seed(uint64_t seed);
const vae_column *vae_model_column(const vae_model *m, int i);
int vae_model_column_index(const vae_model *m, const char *name); /* -1 */
/* The network's share of column i's imputed value, the rest coming from the
** linear part (linear.c); 1 without one. */
double vae_model_network_share(const vae_model *m, int i);
/* The nearest-neighbour expert's share of column i's imputed value (knn.c),
** taken from the blend of the network and the linear part; 0 without one. */
double vae_model_knn_share(const vae_model *m, int i);
/* The forest expert's share of binary or categorical column i's imputed
** value (forest.c), taken from the blend above; 0 without one. */
double vae_model_forest_share(const vae_model *m, int i);
/* 1 where numeric column i's estimates are pulled to the linear part's in
** its tails and where the row pins the cell down (infer.c), 0 where its
** held-out cells turned the pull off (train.c) and for other kinds. */
double vae_model_linear_pull(const vae_model *m, int i);
/* The scale of numeric column i's draws' spread about the network's centre
** (spread.c), chosen on held-out cells; 1 for other kinds and old models. */
double vae_model_draw_spread(const vae_model *m, int i);
/* Column i's fitted missingness model under VAE_MNAR: P(missing | x) =
** Phi(slope x + intercept), x the normal score (numeric) or 0/1 (binary).
** Returns 0 (and sets nothing) for a MAR model or a categorical column. */
int vae_model_missingness(const vae_model *m, int i, double *slope, double *intercept);
/* The weight of column k's value in column j's missingness model (added
** to slope x_j + intercept inside Phi; objective.c): 0 for a MAR model,
** j == k, a categorical j or k, or a model without cross terms. Models
** of up to VAE_CROSS_MAX_COLS columns have them. */
double vae_model_missingness_cross(const vae_model *m, int j, int k);
#define VAE_CROSS_MAX_COLS 256
/* Level index of a category string, -1 if the model never saw it. */
int vae_column_level(const vae_column *c, const char *s, size_t len);
const vae_config *vae_model_config(const vae_model *m);

enum {
  VAE_MEAN = 0,   /* best estimate: conditional mean / most probable level */
  VAE_DRAW = 1,   /* one draw from p(missing | observed), by SIR */
  VAE_GENERATE = 2 /* a draw of the NaN cells given the others, as for
                      generation: they are unknown, not missing, so the
                      missingness model (VAE_MNAR) does not apply */
};

/* Fills the missing cells of n rows x (n x p, NaN = missing) into out
** (n x p; observed cells copied). Row i uses an RNG seeded by seeds[i]
** (NULL: all rows seed 0), so a row's answer does not depend on the batch
** (up to float rounding: GEMM may sum in another order for another shape).
** S importance samples per row (0: the model's impute_samples). nll, if not
** NULL, receives per row -log p(x_obs) in nats, an importance-weighted
** estimate on the model's scale, not in the data's units: numeric cells
** count as their normal scores (transform.h), so that every column weighs
** alike whatever its units. Rows go through the network in batches.
** An estimate (VAE_MEAN without nll) of a model with two members averages
** them: a numeric cell the members' estimates in data units (then rounded
** as its kind says), a binary or categorical cell the members' level
** probabilities, whose most probable level it takes. Draws, scores,
** generation and vae_sample use the model itself (the first member). */
int vae_infer(const vae_model *m, int mode, int n, const float *x,
              const uint64_t *seeds, int S, float *out, double *nll);

/* n unconditional synthetic rows (z from the prior), row i from seeds[i]. */
int vae_sample(const vae_model *m, int n, const uint64_t *seeds, float *out);

/* The same for a caller that makes many calls (a scan's batches): the
** buffers of the network are kept in *scratch (NULL at first) for the next
** call with the same model instead of being allocated again. Release them
** with vae_scratch_free before the model is freed. */
typedef struct vae_scratch vae_scratch;
int vae_infer_kept(const vae_model *m, int mode, int n, const float *x,
                   const uint64_t *seeds, int S, float *out, double *nll,
                   vae_scratch **scratch);
int vae_sample_kept(const vae_model *m, int n, const uint64_t *seeds, float *out,
                    vae_scratch **scratch);
/* Rows first .. first + n - 1 of seed's synthetic rows (vae_sample's
** and the vae virtual table's), stratified: in each block of 64 rows by
** index, the latent draws and each column's noise cover (0, 1) in strata
** (a Latin hypercube per block, infer.c), which brings a sample's
** marginals nearer the model's than independent draws. Rows go through
** the network in super-blocks of vae_generate_block(m) rows by index,
** whole, and within each a numeric column's values are the column's
** observed distribution, spread over the rows in the order of the
** network's draws (infer.c). Row i depends on seed and i only: the first
** k rows of n are those of k. A caller that draws many rows asks for them
** in multiples of VAE_GENERATE_BLOCK from row 0 (a call decodes every
** super-block it touches, whole). */
int vae_generate(const vae_model *m, uint64_t seed, uint64_t first, int n, float *out,
                 vae_scratch **scratch);
void vae_scratch_free(vae_scratch *scratch);
/* The rows of m's super-blocks: VAE_GENERATE_BLOCK, halved (to 64 at
** least) while decoding them would take more than VAE_PASS_MACS
** multiply-adds (model.h), so a wide network's block is still some 25 ms
** of work. A power of two: VAE_GENERATE_BLOCK is a multiple of it. */
#define VAE_GENERATE_BLOCK 1024
int vae_generate_block(const vae_model *m);

/* How vae_infer goes through rows with S samples (0: the model's
** impute_samples): the rows of one pass through the network, and in
** *macs its multiply-adds. A caller that wants to do something between
** passes (look for an interrupt) splits its rows at multiples of the pass:
** the answers are then the same as those of one call. */
int vae_infer_pass(const vae_model *m, int S, double *macs);

/* Versioned, little-endian, checksummed; a second member is saved inside
** (blob.c). save allocates *blob with the
** model's allocator; the caller frees it with that allocator's xfree. load
** makes a model whose memory comes from *mem. */
int vae_model_save(const vae_model *m, unsigned char **blob, size_t *len);
int vae_model_load(const vae_allocator *mem, const unsigned char *blob, size_t len, vae_model **out,
                   char *err, size_t errlen);

#endif
