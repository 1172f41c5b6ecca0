/*
** fit.c -- vae_fit(model, source [, options]) -> JSON report.
**
** Reads the source (see source.h), trains a new model (or, with
** {"warm_start": true}, continues the stored one on the new rows) and stores
** it in vae_models under the name `model`, replacing an earlier model of that
** name only when everything succeeded. Everything the call allocates for the
** rows, the model and training goes through one counting allocator
** (vae_counting_mem), whose peak is the report's peak_bytes. Registered SQLITE_DIRECTONLY: it
** writes, so it may not run from a trigger or a view.
**
** Interruption: sqlite3_interrupt() (Ctrl-C in the shell) stops a fit within
** a fraction of a second, and so does the connection's progress handler
** returning nonzero. SQLite 3.40 has no sqlite3_is_interrupted(), so every
** tenth of a second the fit steps a prepared statement of a few thousand
** VM operations: it fails with SQLITE_INTERRUPT once the connection is
** interrupted, and runs the progress handler on the way (SQLite calls it
** every N operations of a statement, so a statement of one operation
** would never reach a handler with N > 1).
*/
#include "ext.h"
#include "source.h"
#include "store.h"
#include "codec.h"
#include "json.h"
#include "options.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


typedef struct {
  sqlite3 *db;
  sqlite3_stmt *poll;  /* VAE_POLL_SQL, prepared on first use */
  int verbose;
  int interrupted;
  int told;             /* the first line (size and time per epoch) is out */
  int64_t rows, rows_train;
  int cols, epochs;
  double polled;        /* when the poll statement last ran (seconds), 0 never */
  vae_mem_count *count; /* the fit's allocator: its lock around the poll */
} fit_progress;

static double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* verbose: the first line, as soon as the speed is known (the first tenth
** of a second of training, or the first epoch if that is quicker). */
static void tell_start(fit_progress *fp, double rows_per_second) {
  double per_epoch = rows_per_second > 0 ? (double)fp->rows_train / rows_per_second : 0;
  fprintf(stderr, "vae_fit: %lld rows (%lld to train on), %d columns, up to %d epochs; "
                  "about %.3g s per epoch (%.0f rows/s)\n",
          (long long)fp->rows, (long long)fp->rows_train, fp->cols, fp->epochs, per_epoch,
          rows_per_second);
  fflush(stderr);
  fp->told = 1;
}

static int on_progress(void *ctx, int epoch, double train_loss, double val_loss,
                       double rows_per_second) {
  fit_progress *fp = ctx;
  if (fp->verbose && !fp->told && rows_per_second > 0) tell_start(fp, rows_per_second);
  if (epoch >= 0 && fp->verbose) {
    char val[32];
    if (isnan(val_loss)) snprintf(val, sizeof val, "-");
    else snprintf(val, sizeof val, "%.4f", val_loss);
    fprintf(stderr, "vae_fit: epoch %d train %.4f val %s rows/s %.0f\n", epoch,
            train_loss, val, rows_per_second);
    fflush(stderr);
  }
  /* Core asks between pieces of work (epoch -1) a tenth of a second apart
  ** at most, but after every epoch too: epochs of a few hundred rows take
  ** a few milliseconds, and a poll each (some 0.1 ms) was 1-2% of such a
  ** fit. So the statement runs a tenth of a second apart at most. The
  ** handler's stop also comes back as SQLITE_INTERRUPT. */
  double now = monotonic_seconds();
  if (fp->polled > 0 && now - fp->polled < 0.1) return 0;
  fp->polled = now;
  /* A second member may be allocating on its own thread (core/vae.h,
  ** vae_fit): one of the two inside SQLite at a time. */
  vae_counting_lock(fp->count);
  int stop = vae_interrupted(fp->db, &fp->poll);
  vae_counting_unlock(fp->count);
  if (stop) {
    fp->interrupted = 1;
    return 1;
  }
  return 0;
}

/* The text of b (from sqlite3_mprintf; NULL when out of memory), and b
** freed. */
static char *buf_take(vae_buf *b) {
  char *out = b->failed ? NULL : sqlite3_mprintf("%s", b->data);
  vae_buf_free(b);
  return out;
}

/* Appends "key": [numbers of a, then of b]. */
static void put_series(vae_buf *b, const char *key, const json_value *prev,
                       const double *x, int n) {
  int i, first = 1;
  vae_buf_appendf(b, ",\"%s\":[", key);
  if (prev && prev->type == JSON_ARRAY) {
    for (i = 0; i < prev->count; i++) {
      const json_value *v = &prev->items[i];
      if (!first) VAE_BUF_LIT(b, ",");
      first = 0;
      if (v->type == JSON_NUMBER) vae_buf_json_number(b, v->number);
      else VAE_BUF_LIT(b, "null");
    }
  }
  for (i = 0; i < n; i++) {
    if (!first) VAE_BUF_LIT(b, ",");
    first = 0;
    vae_buf_json_number(b, x[i]);
  }
  VAE_BUF_LIT(b, "]");
}

/* Under "missing": "mnar", each numeric and binary column's fitted
** missingness model: slope and intercept of the probit on the model's
** scale, P(missing) at the column's low and high values (the normal scores
** -1 and +1, or 0 and 1), and their ratio: how much more likely a high
** value is to be missing; and the other columns that drive it most (cross
** terms, put_drivers). */
#define MAX_DRIVERS 3
#define MIN_DRIVER 0.01

/* Column j's strongest cross terms: up to MAX_DRIVERS other columns k by
** |c_jk| (at least MIN_DRIVER), strongest first, as "drivers": {name: c}. */
static void put_drivers(vae_buf *b, const vae_model *m, int j) {
  int top[MAX_DRIVERS], n = 0, p = vae_model_ncols(m);
  for (int k = 0; k < p; k++) {
    double c = fabs(vae_model_missingness_cross(m, j, k));
    if (c < MIN_DRIVER) continue;
    int at = n < MAX_DRIVERS ? n++ : MAX_DRIVERS;
    while (at > 0 && fabs(vae_model_missingness_cross(m, j, top[at - 1])) < c) {
      if (at < MAX_DRIVERS) top[at] = top[at - 1];
      at--;
    }
    if (at < MAX_DRIVERS) top[at] = k;
  }
  if (!n) return;
  VAE_BUF_LIT(b, ",\"drivers\":{");
  for (int i = 0; i < n; i++) {
    if (i) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, vae_model_column(m, top[i])->name);
    VAE_BUF_LIT(b, ":");
    vae_buf_json_number(b, floor(vae_model_missingness_cross(m, j, top[i]) * 1000 + 0.5) / 1000);
  }
  VAE_BUF_LIT(b, "}");
}

static void put_missingness(vae_buf *b, const vae_model *m) {
  int j, n = 0, p = vae_model_ncols(m);
  double a, c;
  if (vae_model_config(m)->missing != VAE_MNAR) return;
  VAE_BUF_LIT(b, ",\"missingness\":{");
  for (j = 0; j < p; j++) {
    const vae_column *col = vae_model_column(m, j);
    if (!vae_model_missingness(m, j, &a, &c)) continue;
    double lo_x = col->kind == VAE_BINARY ? 0 : -1, hi_x = 1;
    double lo = 0.5 * erfc(-(a * lo_x + c) / sqrt(2.0)), hi = 0.5 * erfc(-(a * hi_x + c) / sqrt(2.0));
    if (n++) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, col->name);
    VAE_BUF_LIT(b, ":{\"slope\":");
    vae_buf_json_number(b, floor(a * 1000 + 0.5) / 1000);
    VAE_BUF_LIT(b, ",\"intercept\":");
    vae_buf_json_number(b, floor(c * 1000 + 0.5) / 1000);
    VAE_BUF_LIT(b, ",\"p_missing_low\":");
    vae_buf_json_number(b, floor(lo * 1000 + 0.5) / 1000);
    VAE_BUF_LIT(b, ",\"p_missing_high\":");
    vae_buf_json_number(b, floor(hi * 1000 + 0.5) / 1000);
    VAE_BUF_LIT(b, ",\"high_to_low\":");
    vae_buf_json_number(b, lo > 0 ? floor(hi / lo * 100 + 0.5) / 100 : NAN);
    put_drivers(b, m, j);
    VAE_BUF_LIT(b, "}");
  }
  VAE_BUF_LIT(b, "}");
}

/* Which columns a per-column map of the report lists. */
enum { ANY_KIND, NUMERIC_KINDS };

/* ,"key":{"column":value,...}: one figure a column, to three decimals,
** for the columns of the kinds asked. */
static void put_column_map(vae_buf *b, const vae_model *m, const char *key,
                           int kinds, double (*get)(const vae_model *, int)) {
  int j, n = 0, p = vae_model_ncols(m);
  VAE_BUF_LIT(b, ",");
  vae_buf_json_string(b, key);
  VAE_BUF_LIT(b, ":{");
  for (j = 0; j < p; j++) {
    int kind = vae_model_column(m, j)->kind;
    int numeric = kind == VAE_REAL || kind == VAE_INTEGER;
    if (kinds == NUMERIC_KINDS && !numeric) continue;
    if (n++) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, vae_model_column(m, j)->name);
    VAE_BUF_LIT(b, ":");
    vae_buf_json_number(b, floor(get(m, j) * 1000 + 0.5) / 1000);
  }
  VAE_BUF_LIT(b, "}");
}

static char *report_json(const vae_model *m, const vae_source *src,
                         const vae_report *rep, const char *prev_text,
                         sqlite3_uint64 peak_bytes) {
  vae_buf b = {.mem = &vae_sqlite_mem};
  json_value *prev = NULL;
  const json_value *tl = NULL, *vl = NULL, *ws;
  int j, p = vae_model_ncols(m), nprev = 0, warm = 0, nna = 0;
  if (prev_text) {
    char msg[8];
    if (json_parse(&vae_sqlite_mem, prev_text, strlen(prev_text), &prev, msg, sizeof msg) == VAE_OK &&
        prev->type == JSON_OBJECT) {
      tl = json_get(prev, "train_loss");
      vl = json_get(prev, "val_loss");
      ws = json_get(prev, "warm_starts");
      if (tl && tl->type == JSON_ARRAY) nprev = tl->count;
      else tl = NULL;
      if (vl && vl->type != JSON_ARRAY) vl = NULL;
      /* A stored count, possibly tampered with: kept within 0..INT_MAX. */
      if (ws && ws->type == JSON_NUMBER && ws->is_integer)
        warm = ws->integer < 0 ? 0 : ws->integer > INT_MAX ? INT_MAX : (int)ws->integer;
    }
    if (warm < INT_MAX) warm++; /* saturates */
  }
  vae_buf_appendf(&b, "{\"rows\":%lld,\"rows_source\":%lld,\"rows_train\":%lld,"
                      "\"rows_holdout\":%lld,\"epochs\":%d,\"best_epoch\":%d,"
                      "\"stopped_early\":%s,\"seconds\":",
                  (long long)src->n, (long long)src->rows_seen,
                  (long long)rep->rows_train, (long long)rep->rows_holdout,
                  nprev + rep->epochs, nprev + rep->best_epoch,
                  rep->stopped_early ? "true" : "false");
  vae_buf_json_number(&b, rep->seconds);
  VAE_BUF_LIT(&b, ",\"rows_per_second\":");
  vae_buf_json_number(&b, rep->rows_per_second);
  vae_buf_appendf(&b, ",\"peak_bytes\":%llu", (unsigned long long)peak_bytes);
  put_series(&b, "train_loss", tl, rep->train_loss, rep->epochs);
  put_series(&b, "val_loss", vl, rep->val_loss, rep->epochs);
  VAE_BUF_LIT(&b, ",\"holdout_error\":{");
  for (j = 0; j < p; j++) {
    if (j) VAE_BUF_LIT(&b, ",");
    vae_buf_json_string(&b, vae_model_column(m, j)->name);
    VAE_BUF_LIT(&b, ":");
    vae_buf_json_number(&b, rep->holdout_error && j < rep->ncols
                                ? rep->holdout_error[j] : NAN);
  }
  /* Cells read as missing because their text was an NA spelling. */
  VAE_BUF_LIT(&b, "},\"na_cells\":{");
  for (j = 0; j < p; j++) {
    if (!src->na_cells || src->na_cells[j] == 0) continue;
    if (nna++) VAE_BUF_LIT(&b, ",");
    vae_buf_json_string(&b, vae_model_column(m, j)->name);
    vae_buf_appendf(&b, ":%lld", (long long)src->na_cells[j]);
  }
  VAE_BUF_LIT(&b, "}");
  put_column_map(&b, m, "network_share", ANY_KIND, vae_model_network_share);
  put_column_map(&b, m, "knn_share", ANY_KIND, vae_model_knn_share);
  put_column_map(&b, m, "forest_share", ANY_KIND, vae_model_forest_share);
  put_column_map(&b, m, "linear_pull", NUMERIC_KINDS, vae_model_linear_pull);
  put_column_map(&b, m, "draw_spread", NUMERIC_KINDS, vae_model_draw_spread);
  put_missingness(&b, m);
  VAE_BUF_LIT(&b, ",\"skipped\":[");
  for (j = 0; j < src->nskip; j++) {
    if (j) VAE_BUF_LIT(&b, ",{\"column\":"); else VAE_BUF_LIT(&b, "{\"column\":");
    vae_buf_json_string(&b, src->skip_col[j]);
    VAE_BUF_LIT(&b, ",\"reason\":");
    vae_buf_json_string(&b, src->skip_why[j]);
    VAE_BUF_LIT(&b, "}");
  }
  VAE_BUF_LIT(&b, "],\"columns\":[");
  for (j = 0; j < p; j++) {
    const vae_column *c = vae_model_column(m, j);
    if (j) VAE_BUF_LIT(&b, ",{\"name\":"); else VAE_BUF_LIT(&b, "{\"name\":");
    vae_buf_json_string(&b, c->name);
    vae_buf_appendf(&b, ",\"kind\":\"%s\"}", vae_column_kind(c));
  }
  vae_buf_appendf(&b, "],\"members\":%d,\"warm_starts\":%d}", vae_model_members(m), warm);
  json_free(&vae_sqlite_mem, prev);
  return buf_take(&b);
}

static char *columns_json(const vae_model *m) {
  vae_buf b = {.mem = &vae_sqlite_mem};
  int j, p = vae_model_ncols(m);
  VAE_BUF_LIT(&b, "[");
  for (j = 0; j < p; j++) {
    const vae_column *c = vae_model_column(m, j);
    if (j) VAE_BUF_LIT(&b, ",{\"name\":"); else VAE_BUF_LIT(&b, "{\"name\":");
    vae_buf_json_string(&b, c->name);
    vae_buf_appendf(&b, ",\"kind\":\"%s\",\"type\":\"%s\"", vae_column_kind(c),
                    vae_column_sqltype(c));
    vae_codec_of(c)->describe(&b, c);
    vae_buf_appendf(&b, ",\"observed\":%lld}", (long long)c->observed);
  }
  VAE_BUF_LIT(&b, "]");
  return buf_take(&b);
}

static char *options_json(const vae_model *m, const vae_config *cfg, const vae_options *o,
                          const vae_na *na, int64_t max_rows) {
  const vae_config *mc = vae_model_config(m);
  vae_buf b = {.mem = &vae_sqlite_mem};
  int j, p = vae_model_ncols(m);
  vae_buf_appendf(&b, "{\"columns\":[");
  for (j = 0; j < p; j++) {
    if (j) VAE_BUF_LIT(&b, ",");
    vae_buf_json_string(&b, vae_model_column(m, j)->name);
  }
  VAE_BUF_LIT(&b, "],\"types\":{");
  for (j = 0; j < p; j++) {
    const vae_column *c = vae_model_column(m, j);
    if (j) VAE_BUF_LIT(&b, ",");
    vae_buf_json_string(&b, c->name);
    vae_buf_appendf(&b, ":\"%s\"", vae_codec_of(c)->name);
  }
  vae_buf_appendf(&b, "},\"latent\":%d,\"hidden\":[", mc->latent);
  for (j = 0; j < mc->nhidden; j++) vae_buf_appendf(&b, j ? ",%d" : "%d", mc->hidden[j]);
  vae_buf_appendf(&b, "],\"epochs\":%d,\"batch\":%d,\"lr\":", cfg->epochs, cfg->batch);
  vae_buf_json_number(&b, cfg->lr);
  VAE_BUF_LIT(&b, ",\"beta\":");
  vae_buf_json_number(&b, cfg->beta);
  vae_buf_appendf(&b, ",\"samples\":%d,\"impute_samples\":%d,\"seed\":%llu,\"holdout\":",
                  cfg->samples, cfg->impute_samples, (unsigned long long)cfg->seed);
  vae_buf_json_number(&b, cfg->holdout);
  vae_buf_appendf(&b, ",\"max_rows\":%lld,\"mask_rate\":", (long long)max_rows);
  vae_buf_json_number(&b, cfg->mask_rate);
  vae_buf_appendf(&b, ",\"patience\":%d,\"verbose\":%s,\"warm_start\":%s,\"missing\":\"%s\","
                      "\"members\":%d,\"na\":",
                  cfg->patience, o->verbose ? "true" : "false", o->warm_start ? "true" : "false",
                  mc->missing == VAE_MNAR ? "mnar" : "mar", vae_model_members(m));
  vae_na_json(&b, na);
  VAE_BUF_LIT(&b, "}");
  return buf_take(&b);
}

/* With warm start, the options may not contradict the stored model. */
static char *warm_check(const vae_options *o, const vae_model *m, const char *name) {
  const vae_config *mc = vae_model_config(m);
  int i, p = vae_model_ncols(m);
  if (o->given & VAE_OPT_BIT(VAE_OPT_COLUMNS)) {
    int same = o->ncolumns == p;
    for (i = 0; same && i < o->ncolumns; i++) same = vae_find_column(m, o->columns[i]) >= 0;
    if (!same)
      return sqlite3_mprintf("vae_fit: warm_start: \"columns\" differ from those of model \"%s\"",
                             name);
  }
  for (i = 0; i < o->ntypes; i++) {
    int j = vae_find_column(m, o->type_columns[i]);
    if (j < 0)
      return sqlite3_mprintf("vae_fit: warm_start: model \"%s\" has no column \"%s\"", name,
                             o->type_columns[i]);
    if (o->type_kinds[i] == VAE_OPT_KIND_DATE ? !vae_is_time(vae_model_column(m, j))
                                              : vae_model_column(m, j)->kind != o->type_kinds[i])
      return sqlite3_mprintf("vae_fit: warm_start: column \"%s\" is %s in model \"%s\"",
                             vae_model_column(m, j)->name,
                             vae_column_kind(vae_model_column(m, j)), name);
  }
  if ((o->given & VAE_OPT_BIT(VAE_OPT_LATENT)) && o->cfg.latent != mc->latent)
    return sqlite3_mprintf("vae_fit: warm_start: \"latent\" differs from model \"%s\" (%d)",
                           name, mc->latent);
  if ((o->given & VAE_OPT_BIT(VAE_OPT_MISSING)) && o->cfg.missing != mc->missing)
    return sqlite3_mprintf("vae_fit: warm_start: \"missing\" differs from model \"%s\" (%s)",
                           name, mc->missing == VAE_MNAR ? "mnar" : "mar");
  if ((o->given & VAE_OPT_BIT(VAE_OPT_MEMBERS)) && o->cfg.members != vae_model_members(m))
    return sqlite3_mprintf("vae_fit: warm_start: \"members\" differs from model \"%s\" (%d)",
                           name, vae_model_members(m));
  if (o->given & VAE_OPT_BIT(VAE_OPT_HIDDEN)) {
    int same = o->cfg.nhidden == mc->nhidden;
    for (i = 0; same && i < mc->nhidden; i++) same = o->cfg.hidden[i] == mc->hidden[i];
    if (!same)
      return sqlite3_mprintf("vae_fit: warm_start: \"hidden\" differs from model \"%s\"", name);
  }
  return NULL;
}

/* The training settings of a warm start: the model's, then those given. */
static void warm_config(vae_config *cfg, const vae_options *o, const vae_model *m) {
  *cfg = *vae_model_config(m);
#define TAKE(bit, field) \
  if (o->given & VAE_OPT_BIT(bit)) cfg->field = o->cfg.field
  TAKE(VAE_OPT_EPOCHS, epochs);
  TAKE(VAE_OPT_BATCH, batch);
  TAKE(VAE_OPT_LR, lr);
  TAKE(VAE_OPT_BETA, beta);
  TAKE(VAE_OPT_SAMPLES, samples);
  TAKE(VAE_OPT_IMPUTE_SAMPLES, impute_samples);
  TAKE(VAE_OPT_SEED, seed);
  TAKE(VAE_OPT_HOLDOUT, holdout);
  TAKE(VAE_OPT_MASK_RATE, mask_rate);
  TAKE(VAE_OPT_PATIENCE, patience);
#undef TAKE
}

static int core_rc(int vrc) {
  switch (vrc) {
    case VAE_OK: return SQLITE_OK;
    case VAE_NOMEM: return SQLITE_NOMEM;
    case VAE_INTERRUPTED: return SQLITE_INTERRUPT;
    case VAE_CORRUPT: return SQLITE_CORRUPT;
    default: return SQLITE_ERROR;
  }
}

/* Why the model could not be stored, found before training: the main
** database is read-only, or PRAGMA query_only is on. NULL when writable (as
** far as one can tell without taking a lock). */
static char *cannot_write(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int q = 0;
  if (sqlite3_db_readonly(db, "main") == 1)
    return sqlite3_mprintf("vae_fit: the database is read-only (opened read-only, or a "
                           "read-only file): the model could not be stored, so nothing "
                           "was trained");
  if (sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    q = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (q)
    return sqlite3_mprintf("vae_fit: PRAGMA query_only is on: the model could not be "
                           "stored, so nothing was trained");
  return NULL;
}

/* One call of vae_fit. */
typedef struct {
  vae_ext *x;
  sqlite3 *db;
  const char *name, *source;
  vae_options o;
  vae_config cfg;
  vae_model *m;          /* the stored model (warm start), then the trained */
  vae_source src;
  vae_report rep;
  char *prev_report;     /* the stored model's report (warm start) */
  vae_na *stored_na;     /* the stored model's NA spellings (warm start) */
  vae_na given_na;
  const vae_na *na;      /* those in use: given, stored, or NULL (default) */
  char *report;          /* the result */
  vae_mem_count count;   /* what mem holds: the report's peak_bytes */
  vae_allocator mem;     /* of the rows read, the model and training */
} fit_call;

/* The arguments: name, source and the options text (NULL: none). 1 when
** an error was set on ctx. */
static int check_args(sqlite3_context *ctx, int argc, sqlite3_value **argv, fit_call *f,
                      const char **opt_text) {
  vae_ext *x = sqlite3_user_data(ctx);
  char *err;
  if (argc < 2 || argc > 3) {
    sqlite3_result_error(ctx, "vae_fit: expects (model, source [, options])", -1);
    return 1;
  }
  if (x->in_source) {
    sqlite3_result_error(ctx, VAE_IN_SOURCE_MSG("vae_fit"), -1);
    return 1;
  }
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT ||
      !(f->name = (const char *)sqlite3_value_text(argv[0])) || !*f->name) {
    sqlite3_result_error(ctx, "vae_fit: model must be a non-empty text name", -1);
    return 1;
  }
  if (strlen(f->name) != (size_t)sqlite3_value_bytes(argv[0])) {
    /* It would be stored, and found, under its part before the NUL. */
    sqlite3_result_error(ctx, "vae_fit: model name must not contain NUL characters", -1);
    return 1;
  }
  if (sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
      !(f->source = (const char *)sqlite3_value_text(argv[1]))) {
    sqlite3_result_error(ctx, "vae_fit: source must be a table or view name or a SELECT", -1);
    return 1;
  }
  if (strlen(f->source) != (size_t)sqlite3_value_bytes(argv[1])) {
    /* 't' || char(0) || 'x' would read t */
    sqlite3_result_error(ctx, "vae_fit: source must not contain NUL characters", -1);
    return 1;
  }
  *opt_text = NULL;
  if (argc == 3 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    *opt_text = (const char *)sqlite3_value_text(argv[2]);
    if (!*opt_text) {
      sqlite3_result_error_nomem(ctx);
      return 1;
    }
  }
  if ((err = cannot_write(f->db)) != NULL) {
    vae_result_errmsg(ctx, SQLITE_READONLY, err);
    return 1;
  }
  return 0;
}

/* The training settings: the options', or with warm start the stored
** model's and those given (the model is loaded into f->m); and the NA
** spellings: those given, else (warm start) the model's, else the
** default. */
static int settings(fit_call *f, char **err) {
  int rc;
  if (f->o.warm_start) {
    rc = vae_store_load(f->db, f->name, "vae_fit", &f->mem, &f->m, &f->prev_report, &f->stored_na, err);
    if (rc == SQLITE_NOTFOUND) {
      *err = sqlite3_mprintf("vae_fit: warm_start: no model named \"%s\"", f->name);
      return *err ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if (rc != SQLITE_OK) return rc;
    if ((*err = warm_check(&f->o, f->m, f->name)) != NULL) return SQLITE_ERROR;
    warm_config(&f->cfg, &f->o, f->m);
  } else {
    f->cfg = f->o.cfg;
  }
  if (f->o.given & VAE_OPT_BIT(VAE_OPT_NA)) {
    f->given_na.n = f->o.nna;
    f->given_na.s = f->o.na;
    f->na = &f->given_na;
  } else {
    f->na = f->stored_na;
  }
  return SQLITE_OK;
}

/* Reads the source into f->src, read-only (ext.h: vae_readonly). */
static int read_source(fit_call *f, char **err) {
  vae_source_opts so;
  memset(&so, 0, sizeof so);
  so.fn = "vae_fit";
  so.na = f->na;
  so.ncolumns = f->o.ncolumns;
  so.columns = f->o.columns;
  so.ntypes = f->o.ntypes;
  so.type_columns = f->o.type_columns;
  so.type_kinds = f->o.type_kinds;
  so.fixed = f->m;
  so.max_rows = (f->o.given & VAE_OPT_BIT(VAE_OPT_MAX_ROWS)) ? f->o.max_rows : VAE_SOURCE_AUTO;
  so.seed = f->cfg.seed;
  so.mem = &f->mem;
  return vae_source_read_guarded(f->x, f->db, f->source, &so, &f->src, err);
}

/* The stop question of vae_model_create_stoppable: a poll as training's. */
static int stop_asked(void *ctx) { return on_progress(ctx, -1, NAN, NAN, 0); }

/* Creates the model (unless warm) and trains it on f->src. */
static int train(fit_call *f, char **err) {
  fit_progress fp;
  char msg[512];
  int vrc, rc;
  memset(&fp, 0, sizeof fp);
  msg[0] = 0;
  fp.verbose = f->o.verbose;
  fp.db = f->db;
  fp.count = &f->count;
  fp.rows = f->src.n;
  fp.rows_train = f->src.n - (int64_t)floor(f->src.n * f->cfg.holdout);
  if (fp.rows_train < 1) fp.rows_train = f->src.n;
  fp.cols = f->src.p;
  fp.epochs = f->cfg.epochs;
  vrc = vae_config_check(&f->cfg, f->src.p, msg, sizeof msg);
  if (vrc == VAE_OK && !f->m)
    vrc = vae_model_create_stoppable(&f->mem, f->src.cols, f->src.p, &f->cfg, f->src.data,
                                     f->src.n, stop_asked, &fp, &f->m, msg, sizeof msg);
  if (vrc == VAE_OK)
    vrc = vae_fit(f->m, f->src.data, f->src.n, &f->cfg, on_progress, &fp, &f->rep, msg,
                  sizeof msg);
  sqlite3_finalize(fp.poll);
  if (vrc == VAE_OK) return SQLITE_OK;
  rc = core_rc(vrc);
  if (rc == SQLITE_INTERRUPT || fp.interrupted) {
    *err = sqlite3_mprintf("vae_fit: interrupted");
    return SQLITE_INTERRUPT;
  }
  if (rc != SQLITE_NOMEM) *err = sqlite3_mprintf("vae_fit: %s", msg[0] ? msg : "training failed");
  return rc;
}

/* Stores the trained model with its columns, options and report (the
** report, kept in f->report, is also the result). */
static int store(fit_call *f, char **err) {
  vae_store_row row;
  unsigned char *blob = NULL;
  size_t blob_len = 0;
  char *columns = NULL, *options = NULL, *serr = NULL;
  int rc, vrc = vae_model_save(f->m, &blob, &blob_len);
  if (vrc != VAE_OK) {
    rc = core_rc(vrc);
    if (rc != SQLITE_NOMEM) *err = sqlite3_mprintf("vae_fit: cannot serialize the model");
    return rc;
  }
  columns = columns_json(f->m);
  options = options_json(f->m, &f->cfg, &f->o, f->na, f->src.max_rows);
  f->report = report_json(f->m, &f->src, &f->rep, f->prev_report, f->count.peak);
  rc = columns && options && f->report ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    row.name = f->name;
    row.source = f->source;
    row.columns = columns;
    row.options = options;
    row.report = f->report;
    row.blob = blob;
    row.len = blob_len;
    rc = vae_store_save(f->db, &row, &serr);
  }
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
    *err = sqlite3_mprintf("vae_fit: the model was trained but not stored: %s (waited "
                           "as long as the connection's busy timeout allows; an earlier "
                           "model of that name is unchanged)", serr ? serr : "");
  else if (rc != SQLITE_OK && rc != SQLITE_NOMEM)
    *err = sqlite3_mprintf("vae_fit: cannot store the model: %s", serr ? serr : "");
  sqlite3_free(serr);
  sqlite3_free(blob); /* from the model's allocator, mem (sqlite3_malloc64) */
  sqlite3_free(columns);
  sqlite3_free(options);
  return rc;
}

static void fit_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  fit_call f;
  const char *opt_text;
  char msg[512], *err = NULL;
  int rc, vrc;

  memset(&f, 0, sizeof f);
  f.x = sqlite3_user_data(ctx);
  f.db = sqlite3_context_db_handle(ctx);
  if (check_args(ctx, argc, argv, &f, &opt_text)) return;
  f.mem = vae_counting_mem(&f.count);
  msg[0] = 0;
  vrc = vae_options_parse(&vae_sqlite_mem, opt_text, opt_text ? (size_t)sqlite3_value_bytes(argv[2]) : 0, &f.o,
                          msg, sizeof msg);
  if (vrc != VAE_OK) {
    vae_options_free(&f.o);
    vae_counting_end(&f.count);
    if (vrc == VAE_NOMEM) sqlite3_result_error_nomem(ctx);
    else vae_result_errmsg(ctx, SQLITE_ERROR, sqlite3_mprintf("vae_fit: %s", msg));
    return;
  }
  rc = settings(&f, &err);
  if (rc == SQLITE_OK) rc = read_source(&f, &err);
  if (rc == SQLITE_OK) rc = train(&f, &err);
  if (rc == SQLITE_OK) rc = store(&f, &err);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, f.report, -1, sqlite3_free);
    sqlite3_result_subtype(ctx, 'J');
    f.report = NULL;
  } else {
    vae_result_errmsg(ctx, rc, err);
  }
  sqlite3_free(f.report);
  sqlite3_free(f.prev_report);
  vae_report_free(&f.rep);
  vae_model_free(f.m);
  vae_source_free(&f.src);
  vae_options_free(&f.o);
  vae_na_free(f.stored_na);
  vae_counting_end(&f.count);
}

int vae_register_fit(sqlite3 *db, vae_ext *x) {
  int rc, n;
  for (n = 2; n <= 3; n++) {
    x->refs++;
    rc = sqlite3_create_function_v2(db, "vae_fit", n, VAE_JSON_RESULT | SQLITE_DIRECTONLY, x,
                                    fit_func, NULL, NULL, vae_ext_unref);
    if (rc != SQLITE_OK) return rc;
  }
  /* Any other argument count: a message naming the function. */
  x->refs++;
  rc = sqlite3_create_function_v2(db, "vae_fit", -1, VAE_JSON_RESULT | SQLITE_DIRECTONLY, x,
                                  fit_func, NULL, NULL, vae_ext_unref);
  return rc;
}
