/*
** source.c -- the source of a fit: read it (resolve.c finds it), infer column kinds,
** build the float matrix. See source.h.
*/
#include "source.h"
#include "date.h"
#include "codec.h"
#include "options.h"
#include "json.h"
#include "../core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* More levels than this in a text column (not forced with types) is an
** error rather than a slow, useless categorical. */
#define VAE_MAX_INFERRED_LEVELS 1000

/* ---------------------------------------------------------------------
** String sets: the distinct texts of one column.
*/
typedef struct {
  char **str;
  int *len;
  int n, cap;
  int *slot;      /* open addressing: index + 1, 0 = empty */
  int nslot;      /* power of two */
} strset;

static unsigned hash_bytes(const char *s, int n) {
  unsigned h = 2166136261u;
  int i;
  for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static void strset_free(strset *t) {
  int i;
  for (i = 0; i < t->n; i++) sqlite3_free(t->str[i]);
  sqlite3_free(t->str);
  sqlite3_free(t->len);
  sqlite3_free(t->slot);
  memset(t, 0, sizeof *t);
}

static int strset_add(strset *t, const char *s, int n, int *id) {
  unsigned h, mask;
  int k;
  if ((t->n + 1) * 2 > t->nslot) {
    int ns = t->nslot ? t->nslot * 2 : 64, i;
    int *slot = sqlite3_malloc64((sqlite3_uint64)ns * sizeof *slot);
    if (!slot) return SQLITE_NOMEM;
    memset(slot, 0, (size_t)ns * sizeof *slot);
    for (i = 0; i < t->n; i++) {
      unsigned j = hash_bytes(t->str[i], t->len[i]) & (unsigned)(ns - 1);
      while (slot[j]) j = (j + 1) & (unsigned)(ns - 1);
      slot[j] = i + 1;
    }
    sqlite3_free(t->slot);
    t->slot = slot;
    t->nslot = ns;
  }
  mask = (unsigned)(t->nslot - 1);
  for (h = hash_bytes(s, n) & mask; (k = t->slot[h]) != 0; h = (h + 1) & mask) {
    if (t->len[k - 1] == n && memcmp(t->str[k - 1], s, (size_t)n) == 0) {
      *id = k - 1;
      return SQLITE_OK;
    }
  }
  if (t->n == t->cap) {
    int nc = t->cap ? t->cap * 2 : 16;
    char **ns = sqlite3_realloc64(t->str, (sqlite3_uint64)nc * sizeof *ns);
    int *nl;
    if (!ns) return SQLITE_NOMEM;
    t->str = ns;
    nl = sqlite3_realloc64(t->len, (sqlite3_uint64)nc * sizeof *nl);
    if (!nl) return SQLITE_NOMEM;
    t->len = nl;
    t->cap = nc;
  }
  t->str[t->n] = sqlite3_malloc(n + 1);
  if (!t->str[t->n]) return SQLITE_NOMEM;
  memcpy(t->str[t->n], s, (size_t)n);
  t->str[t->n][n] = 0;
  t->len[t->n] = n;
  t->slot[h] = t->n + 1;
  *id = t->n++;
  return SQLITE_OK;
}

/* ---------------------------------------------------------------------
** Reading
*/
typedef union {
  double d;
  sqlite3_int64 i;
  int s;
} cell;

enum { T_NULL = 0, T_INT, T_REAL, T_TEXT };

typedef struct {
  int src;                  /* result column */
  const char *name;         /* result column name */
  int forced;               /* kind, or -1 */
  const vae_column *fixed;  /* the model's column, or NULL */
  int real_decl;            /* declared with REAL affinity (REAL, FLOAT, ...) */
  int time_decl;            /* declared DATE, DATETIME or TIMESTAMP */
  int64_t na_cells;         /* text cells read as missing */
  strset set;               /* distinct texts of every row read, kept or not */
  int extra;                /* of them, added from rows not kept */
} colinfo;

/* A declared type in capitals (its first 63 bytes) into up[64]. */
static void upper_decl(const char *decl, char *up) {
  size_t i;
  for (i = 0; decl[i] && i < 63; i++)
    up[i] = (decl[i] >= 'a' && decl[i] <= 'z') ? (char)(decl[i] - 32) : decl[i];
  up[i] = 0;
}

/* Does a declared type have REAL affinity (SQLite's rules, section 3.1 of
** datatype3.html)? Such a column is real even when its values happen to be
** whole numbers. */
static int real_affinity(const char *decl) {
  char up[64];
  if (!decl) return 0;
  upper_decl(decl, up);
  if (strstr(up, "INT") || strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT") ||
      strstr(up, "BLOB"))
    return 0;
  return strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB");
}

/* Is a declared type one of dates and times (DATE, DATETIME, TIMESTAMP)? */
static int time_affinity(const char *decl) {
  char up[64];
  if (!decl) return 0;
  upper_decl(decl, up);
  return strstr(up, "DATE") || strstr(up, "TIMESTAMP");
}

void vae_source_free(vae_source *s) {
  int j;
  if (!s) return;
  vae_columns_free(&vae_sqlite_mem, s->cols, s->p);
  sqlite3_free(s->data);
  for (j = 0; j < s->nskip; j++) {
    sqlite3_free(s->skip_col[j]);
    sqlite3_free(s->skip_why[j]);
  }
  sqlite3_free(s->skip_col);
  sqlite3_free(s->skip_why);
  sqlite3_free(s->na_cells);
  memset(s, 0, sizeof *s);
}

/* Index of result column name: exact, then case-insensitive; -1. */
static int find_src(char **names, int ncol, const char *name) {
  int i;
  for (i = 0; i < ncol; i++)
    if (strcmp(names[i], name) == 0) return i;
  for (i = 0; i < ncol; i++)
    if (sqlite3_stricmp(names[i], name) == 0) return i;
  return -1;
}

typedef struct {
  const char *s;
  int len, id;
} level_ref;

static int level_cmp(const void *a, const void *b) {
  const level_ref *x = a, *y = b;
  int n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, (size_t)n);
  if (c) return c;
  return x->len - y->len;
}

/* State shared by the steps of one read. */
typedef struct {
  sqlite3 *db;
  const vae_source_opts *o;
  vae_source *out;
  char **err;
  int64_t n;        /* rows kept */
  int nsel;
  colinfo *ci;
  cell *cells;      /* n x nsel */
  unsigned char *tags;
  int64_t *rowno;   /* n: the row's 1-based position in the source */
  vae_allocator mem; /* of cells, tags, rowno and the float matrix */
} reader;

static int fail(reader *r, int rc, char *msg) {
  *r->err = msg;
  return msg ? rc : SQLITE_NOMEM;
}

static int add_skip(reader *r, const char *col, char *why) {
  vae_source *s = r->out;
  char *name = sqlite3_mprintf("%s", col);
  if (!why || !name) {
    sqlite3_free(why);
    sqlite3_free(name);
    return SQLITE_NOMEM;
  }
  s->skip_col[s->nskip] = name;
  s->skip_why[s->nskip] = why;
  s->nskip++;
  return SQLITE_OK;
}

/* The date format of column k (date.h), or 0 when it is not a date column:
** ISO-8601 text in every cell (the finest form seen, 'T' when any uses it),
** or numbers in a column declared DATE, DATETIME or TIMESTAMP or forced
** with {"types": {"d": "date"}}: julian days when any has a fraction or all
** lie within the julian days of years 1 to 9999, else unix seconds. A
** column forced to dates that holds anything else is an error naming the
** value and its row. */
static int time_format(reader *r, int k, int *fmt) {
  colinfo *c = &r->ci[k];
  const vae_source_opts *o = r->o;
  int p = r->nsel, prec = 0, tsep = 0, texts = 0, numbers = 0, julian = 1, frac = 0;
  int forced = c->forced == VAE_OPT_KIND_DATE, code;
  int64_t i, bad = -1;
  double first_text = INFINITY, first_number = INFINITY;
  *fmt = 0;
  for (i = 0; i < r->n; i++) {
    const cell *x = &r->cells[i * p + k];
    double v, days;
    int f;
    switch (r->tags[i * p + k]) {
      case T_TEXT:
        if (vae_date_parse(c->set.str[x->s], c->set.len[x->s], &days, &f)) {
          texts++;
          if (days < first_text) first_text = days;
          if ((f & ~VAE_FMT_T) > prec) prec = f & ~VAE_FMT_T;
          if (f & VAE_FMT_T) tsep = 1;
          continue;
        }
        if (!vae_parse_number(c->set.str[x->s], c->set.len[x->s], &v)) {
          if (bad < 0) bad = i;
          continue;
        }
        break;
      case T_INT: v = (double)x->i; break;
      case T_REAL: v = x->d; break;
      default: continue;
    }
    numbers++;
    if (v < first_number) first_number = v;
    if (v != floor(v)) frac = 1;
    if (!(v >= 1721425.5 && v <= 5373484.5)) julian = 0;
  }
  /* Cells count days from the first whole day (date.h). */
  if (texts && !numbers && bad < 0) {
    code = prec == VAE_FMT_DATE ? VAE_FMT_DATE : prec | (tsep ? VAE_FMT_T : 0);
    *fmt = vae_date_make(code, (long)floor(first_text));
    return SQLITE_OK;
  }
  if (numbers && !texts && bad < 0 && (forced || c->time_decl)) {
    code = frac || julian ? VAE_FMT_JULIAN : VAE_FMT_UNIX;
    first_number = vae_date_from_number(code, first_number);
    if (!(fabs(first_number) < 4e6)) first_number = 0; /* not a date: days from 1970 */
    *fmt = vae_date_make(code, (long)floor(first_number));
    return SQLITE_OK;
  }
  if (!forced) return SQLITE_OK;
  if (bad < 0) {
    /* dates as text and as numbers mixed: the first of the minority */
    for (i = 0; i < r->n && bad < 0; i++) {
      int t = r->tags[i * p + k];
      double v;
      if (t == T_NULL) continue;
      if (t == T_TEXT && vae_date_parse(c->set.str[r->cells[i * p + k].s],
                                        c->set.len[r->cells[i * p + k].s], &v, NULL)) {
        if (texts < numbers) bad = i;
      } else if (texts >= numbers) {
        bad = i;
      }
    }
  }
  {
    char snip[64], num[64];
    const cell *x = &r->cells[bad * p + k];
    int t = r->tags[bad * p + k];
    if (t == T_TEXT) {
      json_snippet(snip, sizeof snip, c->set.str[x->s]);
      sqlite3_snprintf(sizeof num, num, "'%s'", snip);
    } else {
      vae_num_text(num, sizeof num, t == T_INT ? SQLITE_INTEGER : SQLITE_FLOAT, x->i, x->d);
    }
    return fail(r, SQLITE_ERROR,
                sqlite3_mprintf("%s: column \"%s\" expects a date or time (ISO-8601 text, "
                                "or julian days or unix seconds, not both), got %s (row %lld)",
                                o->fn, c->name, num, (long long)r->rowno[bad]));
  }
}

/* What the values of one column are like, for choosing its kind. */
typedef struct {
  int64_t nonnull;
  int has_text;       /* a text that is not a number */
  int all_int;        /* every number whole (and exact in a double) */
  int only01;         /* every number 0 or 1 */
  int few_text;       /* numbers but for a few texts (see source.h) */
} col_stats;

/* An internal outcome: the column is left out (and reported). */
#define LEFT_OUT SQLITE_DONE

static void count_number(col_stats *st, double d) {
  if (d != floor(d) || fabs(d) > 9007199254740992.0) st->all_int = 0;
  if (d != 0.0 && d != 1.0) st->only01 = 0;
}

/* Scans the cells of column k into st. A number written as text (a CSV
** import) counts as the number. */
static int scan_values(reader *r, int k, col_stats *st) {
  colinfo *c = &r->ci[k];
  int p = r->nsel, j;
  int64_t i, text_cells = 0;
  /* Per distinct text: 1 when it reads as a number (its value in tnum),
  ** 2 when it does not and a kept row holds it. */
  unsigned char *tis = NULL;
  double *tnum = NULL;
  memset(st, 0, sizeof *st);
  st->all_int = st->only01 = 1;
  if (c->set.n > 0) {
    tis = sqlite3_malloc64((sqlite3_uint64)c->set.n);
    tnum = sqlite3_malloc64((sqlite3_uint64)c->set.n * sizeof *tnum);
    if (!tis || !tnum) {
      sqlite3_free(tis);
      sqlite3_free(tnum);
      return SQLITE_NOMEM;
    }
    for (j = 0; j < c->set.n; j++) {
      tis[j] = (unsigned char)vae_parse_number(c->set.str[j], c->set.len[j], &tnum[j]);
      if (tis[j] && !isfinite(tnum[j])) tis[j] = 0;
    }
  }
  for (i = 0; i < r->n; i++) {
    const cell *x = &r->cells[i * p + k];
    switch (r->tags[i * p + k]) {
      case T_INT:
        st->nonnull++;
        if (x->i != 0 && x->i != 1) st->only01 = 0;
        break;
      case T_REAL: st->nonnull++; count_number(st, x->d); break;
      case T_TEXT:
        st->nonnull++;
        if (tis[x->s] == 1) count_number(st, tnum[x->s]);
        else { st->has_text = 1; text_cells++; tis[x->s] = 2; }
        break;
      default: break;
    }
  }
  if (st->has_text && text_cells * 10 <= st->nonnull && text_cells < st->nonnull) {
    /* Numbers but for a few texts: a numeric column with stray text (an NA
    ** spelling not listed, a typo), never silently categorical. Only the
    ** rows kept decide (tis 2: a text that is not a number, in them). */
    int distinct = 0;
    for (j = 0; j < c->set.n; j++) distinct += tis[j] == 2;
    st->few_text = distinct <= 5;
  }
  sqlite3_free(tis);
  sqlite3_free(tnum);
  return SQLITE_OK;
}

/* The kind and date format of column k: the model's (fixed), a date, the
** forced kind, else inferred from st (see source.h). LEFT_OUT when all
** NULL. */
static int choose_kind(reader *r, int k, const col_stats *st, int *kind, int *fmt) {
  colinfo *c = &r->ci[k];
  int rc;
  *fmt = 0;
  if (st->nonnull == 0 && !c->fixed) {
    rc = add_skip(r, c->name, sqlite3_mprintf("all NULL"));
    return rc == SQLITE_OK ? LEFT_OUT : rc;
  }
  if (c->fixed) {
    *fmt = c->fixed->format;
  } else if (c->forced < 0 || c->forced == VAE_OPT_KIND_DATE) {
    rc = time_format(r, k, fmt);
    if (rc != SQLITE_OK) return rc;
  }
  if (c->fixed) *kind = c->fixed->kind;
  else if (*fmt) *kind = vae_date_code(*fmt) == VAE_FMT_DATE ? VAE_INTEGER : VAE_REAL; /* days */
  else if (c->forced >= 0) *kind = c->forced;
  else if (st->has_text && !st->few_text) *kind = VAE_CATEGORICAL;
  else if (st->all_int && !c->real_decl) *kind = st->only01 ? VAE_BINARY : VAE_INTEGER;
  else *kind = VAE_REAL;
  return SQLITE_OK;
}

static void free_levels(vae_column *col) {
  int j;
  for (j = 0; j < col->nlevels; j++) sqlite3_free(col->levels[j]);
  sqlite3_free(col->levels);
  memset(col, 0, sizeof *col);
}

/* The numbers of column k become their text form, as distinct texts. */
static int numbers_to_text(reader *r, int k) {
  colinfo *c = &r->ci[k];
  int p = r->nsel, rc;
  int64_t i;
  char num[64];
  for (i = 0; i < r->n; i++) {
    unsigned char *t = &r->tags[i * p + k];
    cell *x = &r->cells[i * p + k];
    if (*t == T_INT || *t == T_REAL) {
      int id;
      vae_num_text(num, sizeof num, *t == T_INT ? SQLITE_INTEGER : SQLITE_FLOAT, x->i, x->d);
      rc = strset_add(&c->set, num, (int)strlen(num), &id);
      if (rc != SQLITE_OK) return rc;
      *t = T_TEXT;
      x->s = id;
    }
  }
  return SQLITE_OK;
}

/* The model's levels into col, and (extend_levels) the unknown ones after
** them; map[j] receives the level of distinct text j. */
static int fixed_levels(reader *r, colinfo *c, vae_column *col, int *map) {
  int fixed_n = c->fixed->nlevels, extra = 0, j, rc = SQLITE_OK;
  for (j = 0; j < c->set.n; j++) {
    map[j] = vae_column_level(c->fixed, c->set.str[j], (size_t)c->set.len[j]);
    if (map[j] >= 0) continue;
    if (!r->o->extend_levels) {
      char *known = vae_level_list(c->fixed), snip[64];
      json_snippet(snip, sizeof snip, c->set.str[j]);
      rc = fail(r, SQLITE_ERROR,
                known ? sqlite3_mprintf("%s: unknown category '%s' for column \"%s\" "
                                        "(known: %s)", r->o->fn, snip, c->fixed->name, known)
                      : NULL);
      sqlite3_free(known);
      return rc;
    }
    map[j] = fixed_n + extra++;
  }
  col->levels = sqlite3_malloc64((sqlite3_uint64)(fixed_n + extra + 1) * sizeof(char *));
  if (!col->levels) return SQLITE_NOMEM;
  memset(col->levels, 0, (size_t)(fixed_n + extra + 1) * sizeof(char *));
  col->nlevels = fixed_n + extra;
  for (j = 0; j < fixed_n && rc == SQLITE_OK; j++)
    if (!(col->levels[j] = sqlite3_mprintf("%s", c->fixed->levels[j]))) rc = SQLITE_NOMEM;
  for (j = 0; j < c->set.n && rc == SQLITE_OK; j++)
    if (map[j] >= fixed_n && !(col->levels[map[j]] = sqlite3_mprintf("%s", c->set.str[j])))
      rc = SQLITE_NOMEM;
  return rc;
}

/* Every distinct text of the column (of every row read) as a level,
** sorted, into col; map[j] receives the level of distinct text j. The rows
** kept decide (nheld distinct texts in nonnull cells) whether it is an
** identifier (every value distinct: LEFT_OUT); more than
** VAE_MAX_INFERRED_LEVELS levels, or more than 20 and more than half the
** cells, is an error. Neither when the kind is forced. */
static int inferred_levels(reader *r, colinfo *c, vae_column *col, int *map, int nheld,
                           int64_t nonnull) {
  level_ref *refs;
  int j, nused = c->set.n, rc;
  if (c->forced < 0 && nheld > 20 && nheld == nonnull) {
    rc = add_skip(r, c->name,
                  sqlite3_mprintf("text with %d distinct values in %lld rows (an "
                                  "identifier?); force it with \"types\"",
                                  nheld, (long long)nonnull));
    return rc == SQLITE_OK ? LEFT_OUT : rc;
  }
  if (c->forced < 0 && (nused > VAE_MAX_INFERRED_LEVELS ||
                        (nheld > 20 && (int64_t)nheld * 2 > nonnull)))
    /* Too many levels to learn from, and slow to fit: never silent. */
    return fail(r, SQLITE_ERROR,
                sqlite3_mprintf("%s: column \"%s\" is text with %d distinct values in "
                                "%lld rows, too many levels for a category (the bound "
                                "is %d, and half the rows); leave it out with the option "
                                "\"columns\" (the columns to model), or model it anyway "
                                "with {\"types\": {\"%s\": \"categorical\"}} (slow)",
                                r->o->fn, c->name, nused, (long long)nonnull,
                                VAE_MAX_INFERRED_LEVELS, c->name));
  refs = sqlite3_malloc64((sqlite3_uint64)(nused + 1) * sizeof *refs);
  col->levels = sqlite3_malloc64((sqlite3_uint64)(nused + 1) * sizeof(char *));
  rc = (refs && col->levels) ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    for (j = 0; j < nused; j++) {
      refs[j].s = c->set.str[j];
      refs[j].len = c->set.len[j];
      refs[j].id = j;
    }
    qsort(refs, (size_t)nused, sizeof *refs, level_cmp);
    for (j = 0; j < nused && rc == SQLITE_OK; j++) {
      map[refs[j].id] = j;
      col->levels[j] = sqlite3_mprintf("%s", refs[j].s);
      if (!col->levels[j]) rc = SQLITE_NOMEM;
      else col->nlevels++;
    }
  }
  sqlite3_free(refs);
  return rc;
}

/* A categorical column k into col and cells of kept column q. */
static int categorical_column(reader *r, int k, int q, vae_column *col, int64_t nonnull) {
  colinfo *c = &r->ci[k];
  int p = r->nsel, nheld = 0, j, rc, *map;
  int64_t i, *count;
  rc = numbers_to_text(r, k);
  if (rc != SQLITE_OK) return rc;
  map = sqlite3_malloc64((sqlite3_uint64)(c->set.n + 1) * sizeof *map);
  count = sqlite3_malloc64((sqlite3_uint64)(c->set.n + 1) * sizeof *count);
  rc = map && count ? SQLITE_OK : SQLITE_NOMEM;
  if (rc == SQLITE_OK) {
    memset(count, 0, (size_t)(c->set.n + 1) * sizeof *count);
    for (i = 0; i < r->n; i++)
      if (r->tags[i * p + k] == T_TEXT) count[r->cells[i * p + k].s]++;
    for (j = 0; j < c->set.n; j++) nheld += count[j] > 0;
    rc = c->fixed ? fixed_levels(r, c, col, map)
                  : inferred_levels(r, c, col, map, nheld, nonnull);
  }
  if (rc == SQLITE_OK) {
    for (i = 0; i < r->n; i++)
      r->out->data[i * p + q] =
          r->tags[i * p + k] == T_TEXT ? (float)map[r->cells[i * p + k].s] : NAN;
  } else {
    free_levels(col);
  }
  sqlite3_free(map);
  sqlite3_free(count);
  return rc;
}

/* A numeric, binary or date column k into cells of kept column q, through
** the column's codec: text must read as a number (or a date). */
static int numeric_column(reader *r, int k, int q, int kind, int fmt, int few_text) {
  colinfo *c = &r->ci[k];
  int p = r->nsel;
  int64_t i;
  vae_column tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.name = (char *)(c->fixed ? c->fixed->name : c->name);
  tmp.kind = kind;
  tmp.format = fmt;
  for (i = 0; i < r->n; i++) {
    const cell *x = &r->cells[i * p + k];
    vae_val v;
    char *msg = NULL;
    memset(&v, 0, sizeof v);
    switch (r->tags[i * p + k]) {
      case T_INT: v.type = SQLITE_INTEGER; v.i = x->i; v.d = (double)x->i; break;
      case T_REAL: v.type = SQLITE_FLOAT; v.d = x->d; break;
      case T_TEXT:
        v.type = SQLITE_TEXT;
        v.s = c->set.str[x->s];
        v.n = c->set.len[x->s];
        break;
      default: v.type = SQLITE_NULL; break;
    }
    if (vae_val_to_cell(&tmp, &v, &r->out->data[i * p + q], r->o->fn, &msg) == SQLITE_OK)
      continue;
    msg = vae_msg_row(msg, "row", r->rowno[i]);
    if (msg && few_text && c->forced < 0 && !c->fixed) {
      char *t = sqlite3_mprintf("%s; list it in the option \"na\" if it means a "
                                "missing value, or set the column's kind with "
                                "\"types\"", msg);
      sqlite3_free(msg);
      msg = t;
    }
    return fail(r, SQLITE_ERROR, msg);
  }
  return SQLITE_OK;
}

/* Column k of the selection as kept column *q: kind, levels, cells; *q
** moves on unless the column is left out. */
static int build_column(reader *r, int k, int *q) {
  colinfo *c = &r->ci[k];
  vae_column *col = &r->out->cols[*q];
  col_stats st;
  int kind, fmt, rc;
  rc = scan_values(r, k, &st);
  if (rc == SQLITE_OK) rc = choose_kind(r, k, &st, &kind, &fmt);
  if (rc != SQLITE_OK) return rc == LEFT_OUT ? SQLITE_OK : rc;
  memset(col, 0, sizeof *col);
  rc = kind == VAE_CATEGORICAL ? categorical_column(r, k, *q, col, st.nonnull)
                               : numeric_column(r, k, *q, kind, fmt, st.few_text);
  if (rc != SQLITE_OK) return rc == LEFT_OUT ? SQLITE_OK : rc;
  col->name = sqlite3_mprintf("%s", c->fixed ? c->fixed->name : c->name);
  if (!col->name) {
    free_levels(col);
    return SQLITE_NOMEM;
  }
  col->kind = kind;
  col->format = fmt;
  r->out->na_cells[*q] = c->na_cells;
  (*q)++;
  r->out->p = *q;
  return SQLITE_OK;
}

/* Chooses the columns to read: fills r->ci and r->nsel. */
static int select_columns(reader *r, char **names, const char *alias, int ncol) {
  const vae_source_opts *o = r->o;
  const char *fn = o->fn;
  int i, j, n = 0;
  r->ci = sqlite3_malloc64((sqlite3_uint64)(ncol + 1) *
                           (o->fixed ? (size_t)vae_model_ncols(o->fixed) + 1 : 1) *
                           sizeof *r->ci);
  if (!r->ci) return SQLITE_NOMEM;
  if (o->fixed) {
    int p = vae_model_ncols(o->fixed);
    for (j = 0; j < p; j++) {
      const vae_column *mc = vae_model_column(o->fixed, j);
      i = find_src(names, ncol, mc->name);
      if (i < 0)
        return fail(r, SQLITE_ERROR,
                    sqlite3_mprintf("%s: source has no column \"%s\"", fn, mc->name));
      memset(&r->ci[n], 0, sizeof r->ci[n]);
      r->ci[n].src = i;
      r->ci[n].name = names[i];
      r->ci[n].forced = mc->kind;
      r->ci[n].fixed = mc;
      n++;
    }
  } else if (o->ncolumns > 0) {
    for (j = 0; j < o->ncolumns; j++) {
      int k;
      i = find_src(names, ncol, o->columns[j]);
      if (i < 0)
        return fail(r, SQLITE_ERROR, sqlite3_mprintf("%s: source has no column \"%s\"",
                                                      fn, o->columns[j]));
      if (alias[i])
        return fail(r, SQLITE_ERROR,
                    sqlite3_mprintf("%s: column \"%s\" is an INTEGER PRIMARY KEY "
                                    "(the rowid), never a feature",
                                    fn, names[i]));
      for (k = 0; k < n; k++) {
        if (r->ci[k].src == i)
          return fail(r, SQLITE_ERROR,
                      sqlite3_mprintf("%s: column \"%s\" is named twice in \"columns\"",
                                      fn, names[i]));
        if (sqlite3_stricmp(r->ci[k].name, names[i]) == 0)
          return fail(r, SQLITE_ERROR,
                      sqlite3_mprintf("%s: columns \"%s\" and \"%s\" differ only in case; "
                                      "model column names are case-insensitive (rename one "
                                      "with AS in a SELECT source)",
                                      fn, r->ci[k].name, names[i]));
      }
      memset(&r->ci[n], 0, sizeof r->ci[n]);
      r->ci[n].src = i;
      r->ci[n].name = names[i];
      r->ci[n].forced = -1;
      n++;
    }
  } else {
    for (i = 0; i < ncol; i++) {
      for (j = 0; j < i; j++)
        if (sqlite3_stricmp(names[i], names[j]) == 0)
          return fail(r, SQLITE_ERROR,
                      strcmp(names[i], names[j]) == 0
                          ? sqlite3_mprintf("%s: source has two columns named \"%s\"", fn,
                                            names[i])
                          : sqlite3_mprintf("%s: columns \"%s\" and \"%s\" differ only in "
                                            "case; model column names are case-insensitive "
                                            "(rename one with AS, or choose with \"columns\")",
                                            fn, names[j], names[i]));
      if (alias[i]) {
        int rc = add_skip(r, names[i], sqlite3_mprintf("INTEGER PRIMARY KEY (the rowid)"));
        if (rc != SQLITE_OK) return rc;
        continue;
      }
      memset(&r->ci[n], 0, sizeof r->ci[n]);
      r->ci[n].src = i;
      r->ci[n].name = names[i];
      r->ci[n].forced = -1;
      n++;
    }
  }
  if (!o->fixed) {
    for (j = 0; j < o->ntypes; j++) {
      int k;
      i = find_src(names, ncol, o->type_columns[j]);
      if (i < 0)
        return fail(r, SQLITE_ERROR, sqlite3_mprintf("%s: source has no column \"%s\"",
                                                      fn, o->type_columns[j]));
      for (k = 0; k < n; k++)
        if (r->ci[k].src == i) r->ci[k].forced = o->type_kinds[j];
    }
  }
  r->nsel = n;
  if (n == 0)
    return fail(r, SQLITE_ERROR, sqlite3_mprintf("%s: source has no usable column", fn));
  return SQLITE_OK;
}

/* The rows read into memory at most: o->max_rows, or by default
** VAE_SOURCE_CELLS cells of p columns (at least VAE_SOURCE_MIN_ROWS);
** 0 = all. */
static int64_t row_bound(const vae_source_opts *o, int p) {
  int64_t n;
  if (o->max_rows != VAE_SOURCE_AUTO) return o->max_rows < 0 ? 0 : o->max_rows;
  n = VAE_SOURCE_CELLS / (p > 0 ? p : 1);
  return n < VAE_SOURCE_MIN_ROWS ? VAE_SOURCE_MIN_ROWS : n;
}

/* A column whose numbers may be categories: forced, or the model's. */
static int numbers_may_be_levels(const colinfo *c) {
  return c->forced == VAE_CATEGORICAL || (c->fixed && c->fixed->kind == VAE_CATEGORICAL);
}

/* Adds text s[0..n) to column c's distinct texts on behalf of a row not
** kept, while c has taken fewer than VAE_SOURCE_MAX_EXTRA of those. */
static int add_extra(colinfo *c, const char *s, int n) {
  int before = c->set.n, id, rc;
  if (c->extra >= VAE_SOURCE_MAX_EXTRA) return SQLITE_OK;
  rc = strset_add(&c->set, s, n, &id);
  if (rc == SQLITE_OK && c->set.n > before) c->extra++;
  return rc;
}

/* The category texts of the current row of st, which is not kept, into
** the columns' distinct texts (so that they are levels too). */
static int note_row_levels(reader *r, sqlite3_stmt *st) {
  int k, rc = SQLITE_OK;
  for (k = 0; k < r->nsel && rc == SQLITE_OK; k++) {
    colinfo *c = &r->ci[k];
    int t = sqlite3_column_type(st, c->src);
    if (t == SQLITE_TEXT) {
      const char *s = (const char *)sqlite3_column_text(st, c->src);
      int n = sqlite3_column_bytes(st, c->src);
      if (!s) return SQLITE_NOMEM;
      if (!vae_na_text(r->o->na, s, n)) rc = add_extra(c, s, n);
    } else if ((t == SQLITE_INTEGER || t == SQLITE_FLOAT) && numbers_may_be_levels(c)) {
      char num[64];
      vae_num_text(num, sizeof num, t, sqlite3_column_int64(st, c->src),
                   sqlite3_column_double(st, c->src));
      rc = add_extra(c, num, (int)strlen(num));
    }
  }
  return rc;
}

/* The same for kept row `row`, about to be replaced: its texts are in the
** sets already, its numbers not. */
static int note_held_levels(reader *r, int64_t row) {
  int k, p = r->nsel, rc = SQLITE_OK;
  for (k = 0; k < p && rc == SQLITE_OK; k++) {
    colinfo *c = &r->ci[k];
    const cell *x = &r->cells[row * p + k];
    int t = r->tags[row * p + k];
    if ((t == T_INT || t == T_REAL) && numbers_may_be_levels(c)) {
      char num[64];
      vae_num_text(num, sizeof num, t == T_INT ? SQLITE_INTEGER : SQLITE_FLOAT, x->i, x->d);
      rc = add_extra(c, num, (int)strlen(num));
    }
  }
  return rc;
}

static int read_rows(reader *r, sqlite3_stmt *st) {
  const vae_source_opts *o = r->o;
  int64_t cap = 0, seen = 0;
  int p = r->nsel, k, rc;
  int64_t max_rows = row_bound(o, p);
  vae_rng rng;
  vae_rng_seed(&rng, vae_seed_mix(o->seed, 0x736f75726365ULL));
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t row;
    seen++;
    if (max_rows > 0 && r->n >= max_rows) {
      uint64_t j = vae_rng_below(&rng, (uint64_t)seen);
      if (j >= (uint64_t)max_rows) {
        rc = note_row_levels(r, st);
        if (rc != SQLITE_OK) return rc;
        continue;
      }
      row = (int64_t)j;
      rc = note_held_levels(r, row);
      if (rc != SQLITE_OK) return rc;
    } else {
      if (r->n == cap) {
        int64_t nc = cap ? cap * 2 : 256;
        cell *c2;
        unsigned char *t2;
        if (max_rows > 0 && nc > max_rows) nc = max_rows;
        if ((sqlite3_uint64)nc * (sqlite3_uint64)p > ((sqlite3_uint64)1 << 40))
          return SQLITE_NOMEM;
        int64_t *n2;
        c2 = r->mem.xrealloc(r->mem.ctx, r->cells, (size_t)nc * p * sizeof *c2);
        if (!c2) return SQLITE_NOMEM;
        r->cells = c2;
        n2 = r->mem.xrealloc(r->mem.ctx, r->rowno, (size_t)nc * sizeof *n2);
        if (!n2) return SQLITE_NOMEM;
        r->rowno = n2;
        t2 = r->mem.xrealloc(r->mem.ctx, r->tags, (size_t)nc * p);
        if (!t2) return SQLITE_NOMEM;
        r->tags = t2;
        cap = nc;
      }
      row = r->n++;
    }
    r->rowno[row] = seen;
    for (k = 0; k < p; k++) {
      colinfo *c = &r->ci[k];
      cell *x = &r->cells[row * p + k];
      unsigned char *t = &r->tags[row * p + k];
      switch (sqlite3_column_type(st, c->src)) {
        case SQLITE_INTEGER:
          *t = T_INT;
          x->i = sqlite3_column_int64(st, c->src);
          break;
        case SQLITE_FLOAT:
          *t = T_REAL;
          x->d = sqlite3_column_double(st, c->src);
          if (!isfinite(x->d))
            return fail(r, SQLITE_ERROR,
                        sqlite3_mprintf("%s: column \"%s\" holds %s (row %lld)", o->fn,
                                        c->name, isnan(x->d) ? "NaN" : "an infinite value",
                                        (long long)seen));
          break;
        case SQLITE_TEXT: {
          const char *s = (const char *)sqlite3_column_text(st, c->src);
          int n = sqlite3_column_bytes(st, c->src), id;
          if (!s) return SQLITE_NOMEM;
          if (vae_na_text(o->na, s, n)) {
            *t = T_NULL;
            c->na_cells++;
            break;
          }
          rc = strset_add(&c->set, s, n, &id);
          if (rc != SQLITE_OK) return rc;
          *t = T_TEXT;
          x->s = id;
          break;
        }
        case SQLITE_BLOB:
          return fail(r, SQLITE_ERROR,
                      sqlite3_mprintf("%s: column \"%s\" holds a BLOB (row %lld)", o->fn,
                                      c->name, (long long)seen));
        default:
          *t = T_NULL;
          break;
      }
    }
  }
  if (rc != SQLITE_DONE) {
    if (rc == SQLITE_NOMEM) return rc;
    return fail(r, rc,
                rc == SQLITE_INTERRUPT
                    ? sqlite3_mprintf("%s: interrupted", o->fn)
                    : sqlite3_mprintf("%s: source: %s", o->fn, sqlite3_errmsg(r->db)));
  }
  r->out->rows_seen = seen;
  r->out->max_rows = max_rows;
  r->out->n = r->n;
  if (r->n == 0)
    return fail(r, SQLITE_ERROR, sqlite3_mprintf("%s: source has no rows", o->fn));
  return SQLITE_OK;
}

int vae_source_read(sqlite3 *db, const char *source, const vae_source_opts *o,
                    vae_source *out, char **err) {
  sqlite3_stmt *st = NULL;
  reader r;
  char **names = NULL, *alias = NULL, *table_alias = NULL;
  int ncol = 0, i, k, q = 0, rc;
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  r.db = db;
  r.o = o;
  r.out = out;
  r.err = err;
  r.mem = o->mem ? *o->mem : vae_sqlite_mem;
  *err = NULL;
  rc = vae_source_prepare(db, o->fn, source, &st, &table_alias, err);
  if (rc != SQLITE_OK) {
    sqlite3_free(table_alias);
    return rc;
  }
  ncol = sqlite3_column_count(st);
  names = sqlite3_malloc64((sqlite3_uint64)ncol * sizeof *names + 1);
  if (names) memset(names, 0, (size_t)ncol * sizeof *names);
  alias = sqlite3_malloc64((sqlite3_uint64)ncol + 1);
  out->skip_col = sqlite3_malloc64((sqlite3_uint64)(ncol + 1) * sizeof(char *));
  out->skip_why = sqlite3_malloc64((sqlite3_uint64)(ncol + 1) * sizeof(char *));
  if (!names || !alias || !out->skip_col || !out->skip_why) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  for (i = 0; i < ncol; i++) {
    const char *nm = sqlite3_column_name(st, i);
    names[i] = sqlite3_mprintf("%s", nm ? nm : "");
    if (!names[i]) { rc = SQLITE_NOMEM; goto done; }
  }
  rc = vae_source_aliases(db, st, ncol, alias, table_alias);
  if (rc != SQLITE_OK) goto done;
  rc = select_columns(&r, names, alias, ncol);
  if (rc != SQLITE_OK) goto done;
  for (k = 0; k < r.nsel; k++) {
    r.ci[k].real_decl = real_affinity(sqlite3_column_decltype(st, r.ci[k].src));
    r.ci[k].time_decl = time_affinity(sqlite3_column_decltype(st, r.ci[k].src));
  }
  rc = read_rows(&r, st);
  if (rc != SQLITE_OK) goto done;
  sqlite3_finalize(st);
  st = NULL;

  out->cols = vae_columns_alloc(&vae_sqlite_mem, r.nsel);
  out->data = r.mem.xmalloc(r.mem.ctx, (size_t)r.n * r.nsel * sizeof(float) + 1);
  out->na_cells = sqlite3_malloc64((sqlite3_uint64)r.nsel * sizeof *out->na_cells);
  if (!out->cols || !out->data || !out->na_cells) { rc = SQLITE_NOMEM; goto done; }
  for (k = 0; k < r.nsel && rc == SQLITE_OK; k++) rc = build_column(&r, k, &q);
  if (rc != SQLITE_OK) goto done;
  if (q == 0) {
    rc = fail(&r, SQLITE_ERROR,
              sqlite3_mprintf("%s: source has no usable column (%s: %s)", o->fn,
                              out->skip_col[0], out->skip_why[0]));
    goto done;
  }
  if (q < r.nsel) {
    /* Compact rows of nsel floats (of which q used) to rows of q floats. */
    int64_t row;
    for (row = 0; row < r.n; row++)
      memmove(&out->data[row * q], &out->data[row * r.nsel], (size_t)q * sizeof(float));
  }

done:
  sqlite3_finalize(st);
  if (r.ci)
    for (k = 0; k < r.nsel; k++) strset_free(&r.ci[k].set);
  sqlite3_free(r.ci);
  r.mem.xfree(r.mem.ctx, r.cells);
  r.mem.xfree(r.mem.ctx, r.tags);
  r.mem.xfree(r.mem.ctx, r.rowno);
  if (names)
    for (i = 0; i < ncol; i++) sqlite3_free(names[i]);
  sqlite3_free(names);
  sqlite3_free(alias);
  sqlite3_free(table_alias);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOMEM) {
      sqlite3_free(*err);
      *err = NULL;
    }
    vae_source_free(out);
  }
  return rc;
}

int vae_source_read_guarded(vae_ext *x, sqlite3 *db, const char *source,
                            const vae_source_opts *o, vae_source *out, char **err) {
  vae_readonly ro;
  int rc;
  x->in_source++;
  rc = vae_readonly_begin(db, &ro, o->fn, err);
  if (rc == SQLITE_OK) {
    rc = vae_source_read(db, source, o, out, err);
    rc = vae_readonly_end(db, &ro, o->fn, rc, err);
  }
  x->in_source--;
  return rc;
}
