/*
** vtab_gen.c -- the generating form of the `vae` table (module: vtab.c).
**
**   CREATE VIRTUAL TABLE s USING vae(m);
**
** Columns: the model's columns, typed, and a hidden `seed` (default 0). A
** scan yields synthetic rows without end: bound it with LIMIT. Row i is
** row i of the seed's stratified draws (vae_generate), as vae_sample's,
** so `SELECT * FROM s LIMIT 5` gives the rows of vae_sample('m', 5, 0);
** rows conditioned on given columns are drawn with the seed
** vae_seed_mix(seed, i).
**
** Equality constraints on columns condition the generation: with
** `WHERE sex = 'F' AND age = 40` every row carries exactly those values (in
** the column's type: `c = '1'` on an INTEGER column gives 1) and the others
** are drawn from p(rest | sex, age) (vae_infer, VAE_GENERATE). A value the
** column can never hold (an unknown category, a binary 2) is an error that
** names the column and its levels; a number outside the training range is
** allowed.
**
** Ranges (<, <=, >, >=), !=, IN lists and, on TEXT columns, LIKE and GLOB
** are applied here by rejection: rows are drawn (conditioned on the
** equalities) and those that fail are skipped, compared as SQLite compares
** a column of that type. When fewer than 1 in 1000 drawn rows pass, the
** scan stops with an error rather than loop without end. Comparisons on
** rowid (i + 1 for row i) and seed bound the scan; SQLite applies them too.
** Without a LIMIT the table can see, a scan stops with an error after
** GEN_UNBOUNDED_MAX generated rows, whatever SQLite filters afterwards.
**
** Planning: idxStr lists, in argv order, the declared column and the OP_*
** code of each constraint passed to xFilter ("3= 0> 5i"); column p is the
** seed, OP_ROWID_COL the rowid.
*/
#include "vtab.h"
#include "rows.h"
#include "codec.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows a batch: unconditioned, a super-block of vae_generate (which
** decodes whole the super-blocks a call touches); conditioned, which
** costs as much as imputing, GEN_COND_BATCH. */
#define GEN_BATCH VAE_GENERATE_BLOCK
#define GEN_COND_BATCH 256


/* A constraint of the generating form that conditioning cannot express:
** a generated row is kept only when it holds. */
typedef struct {
  int col;               /* declared column */
  char op;               /* see OP_* */
  sqlite3_value **vals;  /* the right-hand side; an IN list has several */
  int nvals;
} vae_check;

/* Codes of the constraints in idxStr: "<column><op>" separated by spaces. */
#define OP_GIVEN '='     /* equality: conditions the generation */
#define OP_IN 'i'
#define OP_GT '>'
#define OP_GE 'g'
#define OP_LT '<'
#define OP_LE 'l'
#define OP_NE '!'
#define OP_LIKE 'k'
#define OP_GLOB 'b'
#define OP_NULL 'N'      /* IS NULL: generated cells never are: no rows */
#define OP_LIMIT 'L'     /* LIMIT and OFFSET (column -1): how many rows a scan */
#define OP_OFFSET 'O'    /* reads at most, so that no batch is larger */

#define OP_ROWID_COL -2 /* idxStr column of rowid constraints */

/* Rejection gives up when fewer than 1 in REJECT_RATIO rows pass, once
** REJECT_MIN rows have been tried. */
#define REJECT_RATIO 1000
#define REJECT_MIN 20000
/* Without a LIMIT that the table can see, a scan stops with an error after
** generating this many rows: SQLite may be applying a WHERE clause that
** no generated row passes (`WHERE abs(a) < 0`), and only a LIMIT tells the
** table how many rows the query wants. */
#define GEN_UNBOUNDED_MAX 1000000

typedef struct {
  vae_cursor c;          /* first: the shared part */
  sqlite3_int64 i;       /* current row, 0-based */
  sqlite3_int64 seed;
  vae_cell *given;       /* [p] consumed equality values (type NULL: none) */
  int ngiven;
  float *tmpl;           /* [pm] row with the given cells, NaN elsewhere */
  float *in, *out;       /* GEN_BATCH x pm */
  uint64_t seeds[GEN_BATCH];
  sqlite3_int64 bstart;
  int bcount;
  vae_check *checks;     /* constraints applied by rejection */
  int nchecks;
  sqlite3_int64 tried, accepted;
  sqlite3_int64 limit;   /* LIMIT + OFFSET when known (SQLite 3.38+), else -1 */
  sqlite3_int64 lo, hi;  /* rows [lo, hi) by the rowid constraints (rowid i+1) */
  vae_scratch *scratch;  /* the network's buffers, kept between batches */
} gen_cursor;

/* ---------------------------------------------------------------------
** Planning
*/
/* How the generating form handles constraint i, or 0 to leave it to
** SQLite. The seed (column p) takes only equality. */
static char check_op(vae_vtab *t, sqlite3_index_info *info, int i) {
  const struct sqlite3_index_constraint *c = &info->aConstraint[i];
  int text;
  if (c->usable && c->iColumn == -1) {
    /* rowid i + 1 of row i: bounds the rows a scan generates */
    switch (c->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
      case SQLITE_INDEX_CONSTRAINT_IS: return OP_GIVEN;
      case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
      case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
      case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
      case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
      case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
      default: return 0;
    }
  }
  if (!c->usable || c->iColumn < 0 || c->iColumn > t->p) return 0;
  if (c->iColumn == t->p) {
    /* The seed: equality sets it; the others are decided once per scan. */
    switch (c->op) {
      case SQLITE_INDEX_CONSTRAINT_EQ: return OP_GIVEN;
      case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
      case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
      case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
      case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
      case SQLITE_INDEX_CONSTRAINT_NE: return OP_NE;
      case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
      default: return 0;
    }
  }
  text = t->kinds[c->iColumn] == VAE_CATEGORICAL;
  switch (c->op) {
    case SQLITE_INDEX_CONSTRAINT_EQ:
    case SQLITE_INDEX_CONSTRAINT_IS:
      /* An IN list comes as an equality; take all its values at once
      ** (SQLite 3.38+), so that every value is generated, not the first. */
      if (sqlite3_libversion_number() >= 3038000 && sqlite3_vtab_in(info, i, -1)) {
        sqlite3_vtab_in(info, i, 1);
        return OP_IN;
      }
      return OP_GIVEN;
    case SQLITE_INDEX_CONSTRAINT_GT: return OP_GT;
    case SQLITE_INDEX_CONSTRAINT_GE: return OP_GE;
    case SQLITE_INDEX_CONSTRAINT_LT: return OP_LT;
    case SQLITE_INDEX_CONSTRAINT_LE: return OP_LE;
    case SQLITE_INDEX_CONSTRAINT_NE:
    case SQLITE_INDEX_CONSTRAINT_ISNOT: return OP_NE;
    case SQLITE_INDEX_CONSTRAINT_ISNULL: return OP_NULL;
    case SQLITE_INDEX_CONSTRAINT_LIKE: return text ? OP_LIKE : 0;
    case SQLITE_INDEX_CONSTRAINT_GLOB: return text ? OP_GLOB : 0;
    default: return 0;
  }
}

static int gen_best_index(vae_vtab *t, sqlite3_index_info *info) {
  const struct sqlite3_index_constraint *cons = info->aConstraint;
  int i, n = 0;
  char *list = sqlite3_mprintf("%s", "");
  unsigned char *used = sqlite3_malloc(t->p + 1);
  if (!list || !used) {
    sqlite3_free(list);
    sqlite3_free(used);
    return SQLITE_NOMEM;
  }
  memset(used, 0, (size_t)t->p + 1);
  for (i = 0; i < info->nConstraint && list; i++) {
    int col = cons[i].iColumn;
    char op = check_op(t, info, i), *l;
#ifdef SQLITE_INDEX_CONSTRAINT_LIMIT
    /* Not omitted: SQLite still applies both; they only bound the rows
    ** a scan generates, so that LIMIT 5 does not draw a batch of 256. */
    if (cons[i].usable && (cons[i].op == SQLITE_INDEX_CONSTRAINT_LIMIT ||
                           cons[i].op == SQLITE_INDEX_CONSTRAINT_OFFSET)) {
      info->aConstraintUsage[i].argvIndex = ++n;
      l = sqlite3_mprintf("%s%s-1%c", list, *list ? " " : "",
                          cons[i].op == SQLITE_INDEX_CONSTRAINT_LIMIT ? OP_LIMIT : OP_OFFSET);
      sqlite3_free(list);
      list = l;
      continue;
    }
#endif
    if (!op) continue;
    if (col < 0) col = OP_ROWID_COL;
    if (op == OP_GIVEN && col >= 0) {
      if (used[col]) op = OP_IN; /* a second equality: a check, not a condition */
      used[col] = 1;
    }
    info->aConstraintUsage[i].argvIndex = ++n;
    /* rowid and seed comparisons only bound the scan: SQLite applies
    ** them too. */
    info->aConstraintUsage[i].omit =
        !(col == OP_ROWID_COL || (col == t->p && op != OP_GIVEN));
    l = sqlite3_mprintf("%s%s%d%c", list, *list ? " " : "", col, op);
    sqlite3_free(list);
    list = l;
  }
  sqlite3_free(used);
  if (!list) return SQLITE_NOMEM;
  info->idxStr = list;
  info->needToFreeIdxStr = 1;
  info->idxNum = n;
  /* Endless: the more conditions, the fewer rows SQLite must reject. */
  info->estimatedCost = 1e9 / (1 + n);
  info->estimatedRows = 1000000000;
  return SQLITE_OK;
}

/* ---------------------------------------------------------------------
** Scans
*/
static int gen_batch(gen_cursor *c) {
  const vae_model *m = c->c.e->m;
  int pm = vae_model_ncols(m), k, rc;
  /* Unconditioned batches end at a super-block's end (after an OFFSET too). */
  int count = c->ngiven == 0 ? GEN_BATCH - (int)(c->i % GEN_BATCH) : GEN_COND_BATCH;
  if (c->i >= c->bstart && c->i < c->bstart + c->bcount) return SQLITE_OK;
  /* Under a LIMIT, no more than the scan can use: a conditioned row costs
  ** as much as an imputed one. Rows are seeded by their index, so a batch's
  ** size does not change which rows come (and LIMIT n now batches them as
  ** vae_sample(m, n) does, to the last bit). */
  if (c->limit > c->i && c->nchecks == 0 && c->limit - c->i < count)
    count = (int)(c->limit - c->i);
  if (c->hi >= 0 && c->hi - c->i < count) count = c->hi > c->i ? (int)(c->hi - c->i) : 1;
  c->bstart = c->i;
  c->bcount = 0;
  for (k = 0; k < count; k++)
    c->seeds[k] = vae_seed_mix((uint64_t)c->seed, (uint64_t)(c->i + k));
  if (c->ngiven == 0) {
    rc = vae_generate(m, (uint64_t)c->seed, (uint64_t)c->i, count, c->out, &c->scratch);
  } else {
    for (k = 0; k < count; k++)
      memcpy(&c->in[(size_t)k * pm], c->tmpl, (size_t)pm * sizeof(float));
    rc = vae_infer_kept(m, VAE_GENERATE, count, c->in, c->seeds, 0, c->out, NULL, &c->scratch);
  }
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK)
    return vae_cursor_error(&c->c, SQLITE_ERROR, sqlite3_mprintf("vae: generation failed"));
  c->bcount = count;
  return SQLITE_OK;
}

static int check_holds(const gen_cursor *c, const vae_check *k, float cell) {
  const vae_column *mc = vae_model_column(c->c.e->m, c->c.map[k->col]);
  int (*cmp)(const vae_column *, float, sqlite3_value *) = vae_codec_of(mc)->compare;
  int v;
  if (k->nvals == 0) return 0; /* NULL on the right: never true */
  switch (k->op) {
    case OP_IN:
      for (v = 0; v < k->nvals; v++)
        if (cmp(mc, cell, k->vals[v]) == 0) return 1;
      return 0;
    case OP_GT: return cmp(mc, cell, k->vals[0]) > 0;
    case OP_GE: return cmp(mc, cell, k->vals[0]) >= 0;
    case OP_LT: return cmp(mc, cell, k->vals[0]) < 0;
    case OP_LE: return cmp(mc, cell, k->vals[0]) <= 0;
    case OP_NE: return cmp(mc, cell, k->vals[0]) != 0;
    case OP_LIKE:
    case OP_GLOB: {
      const char *pat = (const char *)sqlite3_value_text(k->vals[0]);
      const char *level = mc->levels[(int)cell];
      if (!pat) return 0;
      return k->op == OP_LIKE ? sqlite3_strlike(pat, level, 0) == 0
                              : sqlite3_strglob(pat, level) == 0;
    }
    default: return 0;
  }
}

/* Moves c->i forward to the first row, from c->i on, that passes every
** check, or fails when too few rows pass. */
static int gen_accept(gen_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->c.base.pVtab;
  int pm = vae_model_ncols(c->c.e->m), rc, k;
  for (;;) {
    const float *row;
    if (c->hi >= 0 && c->i >= c->hi) { /* past the rowid constraints */
      c->c.eof = 1;
      return SQLITE_OK;
    }
    /* Every row generated counts, also those SQLite rejects afterwards. */
    if (c->limit < 0 && c->i - c->lo >= GEN_UNBOUNDED_MAX)
      return vae_cursor_error(&c->c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: the WHERE clause keeps too few generated rows, "
                                        "or there is no LIMIT: %s generated %lld rows "
                                        "without a LIMIT it can see; add LIMIT n, and "
                                        "condition with column = value where you can",
                                        t->name, c->i - c->lo));
    row = c->out + (size_t)(c->i - c->bstart) * pm;
    c->tried++;
    for (k = 0; k < c->nchecks; k++)
      if (!check_holds(c, &c->checks[k], row[c->c.map[c->checks[k].col]])) break;
    if (k == c->nchecks) {
      c->accepted++;
      return SQLITE_OK;
    }
    if (c->tried >= REJECT_MIN && c->tried > REJECT_RATIO * (c->accepted + 1))
      return vae_cursor_error(&c->c, SQLITE_ERROR,
                        sqlite3_mprintf("vae: the WHERE clause on \"%s\" keeps too few "
                                        "generated rows (%lld of %lld); condition with "
                                        "column = value where you can",
                                        t->names[c->checks[k].col], c->accepted, c->tried));
    c->i++;
    if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  }
}

/* Records a check; IN lists come through sqlite3_vtab_in_first/next. */
static int add_check(gen_cursor *c, int col, char op, sqlite3_value *arg) {
  vae_check *k = &c->checks[c->nchecks++];
  sqlite3_value *v;
  int rc, cap = 0;
  k->col = col;
  k->op = op;
  k->vals = NULL;
  k->nvals = 0;
  if (op == OP_IN && sqlite3_libversion_number() >= 3038000) {
    rc = sqlite3_vtab_in_first(arg, &v);
    if (rc == SQLITE_ERROR) { /* a plain second equality, not a list */
      v = arg;
      rc = SQLITE_OK;
      op = 0;
    }
  } else {
    v = arg;
    rc = SQLITE_OK;
    op = 0;
  }
  while (rc == SQLITE_OK && v) {
    if (sqlite3_value_type(v) != SQLITE_NULL) {
      if (k->nvals == cap) {
        sqlite3_value **grown;
        cap = cap ? 2 * cap : 4;
        grown = sqlite3_realloc64(k->vals, (sqlite3_uint64)cap * sizeof *grown);
        if (!grown) return SQLITE_NOMEM;
        k->vals = grown;
      }
      if (!(k->vals[k->nvals] = sqlite3_value_dup(v))) return SQLITE_NOMEM;
      k->nvals++;
    }
    if (!op) break;
    rc = sqlite3_vtab_in_next(arg, &v);
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* How an INTEGER a compares with v as SQLite compares an INTEGER column
** with it (numeric text reads as its number): -1, 0, 1, or 2 for NULL. */
static int int_cmp(sqlite3_int64 a, sqlite3_value *v) {
  double d;
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return 2;
    case SQLITE_INTEGER: {
      sqlite3_int64 b = sqlite3_value_int64(v);
      return a < b ? -1 : a > b;
    }
    case SQLITE_FLOAT: d = sqlite3_value_double(v); break;
    case SQLITE_TEXT:
      if (vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &d))
        break;
      return -1; /* numbers sort before text */
    default: return -1;
  }
  return (double)a < d ? -1 : (double)a > d;
}

static int op_holds(char op, int cmp) {
  if (cmp == 2) return 0;
  switch (op) {
    case OP_GIVEN: return cmp == 0;
    case OP_GT: return cmp > 0;
    case OP_GE: return cmp >= 0;
    case OP_LT: return cmp < 0;
    case OP_LE: return cmp <= 0;
    case OP_NE: return cmp != 0;
    default: return 1;
  }
}

/* Narrows the rows [lo, hi) of a scan by `rowid op v` (row i has rowid
** i + 1). SQLite checks the constraint as well: bounds need only be safe. */
static void rowid_bound(gen_cursor *c, char op, sqlite3_value *v) {
  sqlite3_int64 lo = 0, hi = 0, r;
  double d = 0;
  int vt = sqlite3_value_type(v);
  if (vt == SQLITE_TEXT &&
      !vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &d))
    vt = SQLITE_BLOB;
  if (vt == SQLITE_NULL || vt == SQLITE_BLOB) {
    /* above every number (text and blobs sort after) or NULL */
    if (vt == SQLITE_NULL || op == OP_GIVEN || op == OP_GT || op == OP_GE) c->hi = 0;
    return;
  }
  if (vt == SQLITE_INTEGER) d = (double)sqlite3_value_int64(v);
  else if (vt == SQLITE_FLOAT) d = sqlite3_value_double(v);
  if (d > 4e18) d = 4e18;
  if (d < -1) d = -1;
  switch (op) {
    case OP_GIVEN:
      if (d != floor(d) || d < 1) {
        c->hi = 0;
        return;
      }
      r = vt == SQLITE_INTEGER ? sqlite3_value_int64(v) : (sqlite3_int64)d;
      lo = r - 1;
      hi = r;
      break;
    case OP_GT: lo = (sqlite3_int64)floor(d); break;
    case OP_GE: lo = (sqlite3_int64)ceil(d) - 1; break;
    case OP_LT: hi = (sqlite3_int64)ceil(d) - 1; break;
    case OP_LE: hi = (sqlite3_int64)floor(d); break;
    default: return;
  }
  if (lo > c->lo) c->lo = lo;
  if (op == OP_GIVEN || op == OP_LT || op == OP_LE) {
    if (hi < 0) hi = 0;
    if (c->hi < 0 || hi < c->hi) c->hi = hi;
  }
}

static int gen_filter(gen_cursor *c, const char *idxStr, int argc, sqlite3_value **argv) {
  vae_vtab *t = (vae_vtab *)c->c.base.pVtab;
  const char *s = idxStr ? idxStr : "";
  sqlite3_int64 limit = -1, offset = 0;
  int a, j, pm, rc;
  c->seed = 0;
  pm = vae_model_ncols(c->c.e->m);
  c->given = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *c->given);
  c->tmpl = sqlite3_malloc64((sqlite3_uint64)pm * (1 + 2 * GEN_BATCH) * sizeof(float));
  if (!c->given || !c->tmpl) return SQLITE_NOMEM;
  memset(c->given, 0, (size_t)t->p * sizeof *c->given);
  c->in = c->tmpl + pm;
  c->out = c->in + (size_t)pm * GEN_BATCH;
  for (j = 0; j < pm; j++) c->tmpl[j] = NAN;
  c->checks = sqlite3_malloc64((sqlite3_uint64)(argc ? argc : 1) * sizeof *c->checks);
  if (!c->checks) return SQLITE_NOMEM;
  c->c.eof = 0;
  for (a = 0; a < argc; a++) {
    char *end, op;
    long col = strtol(s, &end, 10);
    if (end == s || !*end) break;
    op = *end;
    s = end + 1;
    if (op == OP_NULL) {
      c->c.eof = 1;
      continue;
    }
    if (op == OP_LIMIT || op == OP_OFFSET) {
      sqlite3_int64 v;
      if (!vae_int_value(argv[a], &v)) v = -1; /* SQLite reports a bad one */
      if (op == OP_LIMIT) limit = v;
      else if (v > 0) offset = v;
      continue;
    }
    if (col == OP_ROWID_COL) {
      rowid_bound(c, op, argv[a]);
      continue;
    }
    if (col == t->p && op != OP_GIVEN) continue; /* seed: below */
    if (op != OP_GIVEN && col >= 0 && col < t->p) {
      if ((rc = add_check(c, (int)col, op, argv[a])) != SQLITE_OK) return rc;
      continue;
    }
    if (col == t->p) {
      if (sqlite3_value_type(argv[a]) != SQLITE_NULL && !vae_int_value(argv[a], &c->seed))
        return vae_cursor_error(&c->c, SQLITE_ERROR, sqlite3_mprintf("vae: seed must be an integer"));
    } else if (col >= 0 && col < t->p) {
      const vae_column *mc = vae_model_column(c->c.e->m, c->c.map[col]);
      char *err = NULL;
      vae_val v;
      vae_val_from_sql(&v, argv[a]);
      if (v.type == SQLITE_NULL) {
        c->c.eof = 1; /* x = NULL is never true */
        continue;
      }
      /* A value the column never holds (an unknown category, a binary 2)
      ** is an error naming the column and what it holds, as in vae_impute;
      ** a number beyond the training range conditions as it is. */
      rc = vae_val_to_cell(mc, &v, &c->tmpl[c->c.map[col]], "vae", &err);
      if (rc != SQLITE_OK) return err ? vae_cursor_error(&c->c, SQLITE_ERROR, err) : SQLITE_NOMEM;
      vae_cell_given(&c->given[col], mc, &v, c->tmpl[c->c.map[col]]);
      c->ngiven++;
    }
  }
  /* Comparisons on the seed hold for every row of the scan, or for none. */
  for (s = idxStr ? idxStr : "", a = 0; a < argc && !c->c.eof; a++) {
    char *end;
    long col = strtol(s, &end, 10);
    if (end == s || !*end) break;
    s = end + 1;
    if (col == t->p && *end != OP_GIVEN && !op_holds(*end, int_cmp(c->seed, argv[a])))
      c->c.eof = 1;
  }
  if (c->hi >= 0 && c->hi <= c->lo) c->c.eof = 1;
  if (c->c.eof) return SQLITE_OK;
  c->limit = limit >= 0 && limit <= ((sqlite3_int64)1 << 61) - offset ? limit + offset : -1;
  if (c->limit >= 0) c->limit += c->lo;
  c->i = c->lo;
  if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  return gen_accept(c);
}

/* Reads and completes the next batch of the source form. */
static void free_checks(gen_cursor *c) {
  int k, v;
  for (k = 0; k < c->nchecks; k++) {
    for (v = 0; v < c->checks[k].nvals; v++) sqlite3_value_free(c->checks[k].vals[v]);
    sqlite3_free(c->checks[k].vals);
  }
  sqlite3_free(c->checks);
  c->checks = NULL;
  c->nchecks = 0;
}

static int gen_xfilter(vae_cursor *c, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  return gen_filter((gen_cursor *)c, idxStr, argc, argv);
}

static int gen_next(vae_cursor *cur) {
  gen_cursor *c = (gen_cursor *)cur;
  int rc;
  c->i++;
  if ((rc = gen_batch(c)) != SQLITE_OK) return rc;
  return gen_accept(c);
}

static void gen_column(vae_cursor *cur, sqlite3_context *ctx, int col) {
  gen_cursor *c = (gen_cursor *)cur;
  vae_vtab *t = (vae_vtab *)cur->base.pVtab;
  int pm, j;
  if (col >= t->p) {
    sqlite3_result_int64(ctx, c->seed);
    return;
  }
  pm = vae_model_ncols(cur->e->m);
  j = cur->map[col];
  vae_cell_result(ctx, vae_model_column(cur->e->m, j), &c->given[col],
                  c->out[(size_t)(c->i - c->bstart) * pm + j]);
}

static sqlite3_int64 gen_rowid(vae_cursor *cur) {
  return ((gen_cursor *)cur)->i + 1;
}

static void gen_reset(vae_cursor *cur) {
  gen_cursor *c = (gen_cursor *)cur;
  free_checks(c);
  c->tried = c->accepted = 0;
  c->limit = -1;
  sqlite3_free(c->given);
  c->given = NULL;
  sqlite3_free(c->tmpl);
  c->tmpl = c->in = c->out = NULL;
  c->lo = 0;
  c->hi = -1;
  vae_scratch_free(c->scratch);
  c->scratch = NULL;
  c->ngiven = 0;
  c->bcount = 0;
  c->i = 0;
}

const vae_table_form vae_gen_form = {
    "seed", sizeof(gen_cursor), NULL, gen_best_index, gen_xfilter,
    gen_next, gen_column, gen_rowid, gen_reset,
};
