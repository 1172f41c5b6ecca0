/*
** options.c -- checks the JSON options of vae_fit against a table of the
** known keys, and fills a vae_options. The ranges of core's settings (and
** the words of their messages) come from core's vae_ranges, so that an
** option and vae_config_check never disagree; the extension's own
** settings (max_rows, na) carry theirs here.
**
** Strict on purpose: an unknown key (a typo such as "epoch") or a value of
** the wrong type is an error rather than silently ignored, and a number with
** a fraction is refused where a count is expected.
*/
#include "options.h"
#include "json.h"
#include "../core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ASCII case-insensitive equality: "MNAR" and "Date" are accepted too. */
static int same_word(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    if (x != *b) return 0;
  }
  return *a == *b;
}

enum { T_INT, T_NUM, T_BOOL, T_FLAG, T_HIDDEN, T_COLUMNS, T_TYPES, T_MISSING, T_STRINGS };

/* A key's checks: its range in core's vae_ranges (range >= 0), or for the
** extension's own settings the bounds and words here. */
typedef struct {
  const char *key;
  int bit, type;
  int range;              /* VAE_RANGE_x, or -1 */
  int64_t ilo, ihi;       /* range -1: T_INT bounds, T_STRINGS most items */
  const char *must;       /* range -1: ends `option "key" must ...` */
} opt_spec;

static const opt_spec specs[] = {
  {"columns", VAE_OPT_COLUMNS, T_COLUMNS, -1, 0, 0, "be a non-empty list of column names"},
  {"types", VAE_OPT_TYPES, T_TYPES, -1, 0, 0, "be an object mapping column names to kinds"},
  {"latent", VAE_OPT_LATENT, T_INT, VAE_RANGE_LATENT, 0, 0, NULL},
  {"hidden", VAE_OPT_HIDDEN, T_HIDDEN, VAE_RANGE_HIDDEN, 0, 0, NULL},
  {"epochs", VAE_OPT_EPOCHS, T_INT, VAE_RANGE_EPOCHS, 0, 0, NULL},
  {"batch", VAE_OPT_BATCH, T_INT, VAE_RANGE_BATCH, 0, 0, NULL},
  {"lr", VAE_OPT_LR, T_NUM, VAE_RANGE_LR, 0, 0, NULL},
  {"beta", VAE_OPT_BETA, T_NUM, VAE_RANGE_BETA, 0, 0, NULL},
  {"samples", VAE_OPT_SAMPLES, T_INT, VAE_RANGE_SAMPLES, 0, 0, NULL},
  {"impute_samples", VAE_OPT_IMPUTE_SAMPLES, T_INT, VAE_RANGE_IMPUTE_SAMPLES, 0, 0, NULL},
  {"seed", VAE_OPT_SEED, T_INT, VAE_RANGE_SEED, 0, 0, NULL},
  {"holdout", VAE_OPT_HOLDOUT, T_NUM, VAE_RANGE_HOLDOUT, 0, 0, NULL},
  {"max_rows", VAE_OPT_MAX_ROWS, T_INT, -1, 0, INT64_MAX,
   "be an integer of at least 0 (0: all rows)"},
  {"verbose", VAE_OPT_VERBOSE, T_FLAG, -1, 0, 0, "be true, false, 0 or 1"},
  {"warm_start", VAE_OPT_WARM_START, T_BOOL, -1, 0, 0, "be true or false"},
  {"mask_rate", VAE_OPT_MASK_RATE, T_NUM, VAE_RANGE_MASK_RATE, 0, 0, NULL},
  {"patience", VAE_OPT_PATIENCE, T_INT, VAE_RANGE_PATIENCE, 0, 0, NULL},
  {"missing", VAE_OPT_MISSING, T_MISSING, -1, 0, 0, "be \"mar\" or \"mnar\""},
  {"na", VAE_OPT_NA, T_STRINGS, -1, 0, 1000,
   "be a list of at most 1000 strings (text read as a missing value)"},
  {"threads", VAE_OPT_THREADS, T_INT, VAE_RANGE_THREADS, 0, 0, NULL},
  {"members", VAE_OPT_MEMBERS, T_INT, VAE_RANGE_MEMBERS, 0, 0, NULL},
};

static int say(char *err, size_t errlen, int rc, const char *fmt, ...)
    VAE_PRINTF(4, 5);
static int say(char *err, size_t errlen, int rc, const char *fmt, ...) {
  va_list ap;
  if (err && errlen) {
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

#define NOMEM() say(err, errlen, VAE_NOMEM, "out of memory")
#define MUST(s) must(s, err, errlen)

/* `option "key" must ...`: for a setting of core's, in the words of its
** range (vae_range_text). */
static int must(const opt_spec *s, char *err, size_t errlen) {
  char words[96];
  if (s->range < 0)
    return say(err, errlen, VAE_INVALID, "option \"%s\" must %s", s->key, s->must);
  vae_range_text(&vae_ranges[s->range], words, sizeof words);
  if (s->type == T_HIDDEN)
    return say(err, errlen, VAE_INVALID,
               "option \"%s\" must be a list of 1 to %d integers from %.0f to %.0f", s->key,
               VAE_MAX_HIDDEN, vae_ranges[s->range].lo, vae_ranges[s->range].hi);
  return say(err, errlen, VAE_INVALID, "option \"%s\" must be %s", s->key, words);
}

/* v within core's range r (a whole number for an integer setting). */
static int in_range(const json_value *v, const vae_range *r) {
  if (v->type != JSON_NUMBER || (r->integer && !v->is_integer)) return 0;
  /* compared as integers: 2^53 + 1 is not 2^53 */
  if (r->integer) return v->integer >= (int64_t)r->lo && v->integer <= (int64_t)r->hi;
  return vae_range_holds(r, v->number);
}

static int int_in(const json_value *v, int64_t lo, int64_t hi) {
  return v->type == JSON_NUMBER && v->is_integer && v->integer >= lo &&
         v->integer <= hi;
}

static void store_int(vae_options *o, int bit, int64_t x) {
  vae_config *c = &o->cfg;
  switch (bit) {
  case VAE_OPT_LATENT: c->latent = (int)x; break;
  case VAE_OPT_EPOCHS: c->epochs = (int)x; break;
  case VAE_OPT_BATCH: c->batch = (int)x; break;
  case VAE_OPT_SAMPLES: c->samples = (int)x; break;
  case VAE_OPT_IMPUTE_SAMPLES: c->impute_samples = (int)x; break;
  case VAE_OPT_SEED: c->seed = (uint64_t)x; break;
  case VAE_OPT_MAX_ROWS: o->max_rows = x; break;
  case VAE_OPT_PATIENCE: c->patience = (int)x; break;
  case VAE_OPT_THREADS: c->threads = (int)x; break;
  case VAE_OPT_MEMBERS: c->members = (int)x; break;
  }
}

static void store_num(vae_options *o, int bit, double x) {
  switch (bit) {
  case VAE_OPT_LR: o->cfg.lr = x; break;
  case VAE_OPT_BETA: o->cfg.beta = x; break;
  case VAE_OPT_HOLDOUT: o->cfg.holdout = x; break;
  case VAE_OPT_MASK_RATE: o->cfg.mask_rate = x; break;
  }
}

static int hidden(vae_options *o, const opt_spec *s, const json_value *v,
                  char *err, size_t errlen) {
  int i, n = v->type == JSON_ARRAY ? v->count : 1;
  const json_value *items = v->type == JSON_ARRAY ? v->items : v;
  if ((v->type != JSON_ARRAY && v->type != JSON_NUMBER) || n < 1 ||
      n > VAE_MAX_HIDDEN)
    return MUST(s);
  for (i = 0; i < n; i++)
    if (!in_range(&items[i], &vae_ranges[s->range])) return MUST(s);
  o->cfg.nhidden = n;
  for (i = 0; i < n; i++) o->cfg.hidden[i] = (int)items[i].integer;
  return VAE_OK;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int columns(vae_options *o, const opt_spec *s, const json_value *v,
                   char *err, size_t errlen) {
  int i;
  if (v->type != JSON_ARRAY || v->count < 1) return MUST(s);
  for (i = 0; i < v->count; i++) {
    const json_value *it = &v->items[i];
    /* A name holding NUL could never match an SQL column name. */
    if (it->type != JSON_STRING || strlen(it->string) != it->len)
      return MUST(s);
  }
  o->columns = vae_calloc(&o->mem, (size_t)v->count, sizeof *o->columns);
  if (!o->columns) return NOMEM();
  o->ncolumns = v->count;
  for (i = 0; i < v->count; i++)
    if (!(o->columns[i] = vae_strdup(&o->mem, v->items[i].string))) return NOMEM();
  {
    /* Sorted copy, so that a long list is checked in n log n. */
    char **sorted = vae_calloc(&o->mem, (size_t)v->count, sizeof *sorted);
    int rc = VAE_OK;
    if (!sorted) return NOMEM();
    memcpy(sorted, o->columns, (size_t)v->count * sizeof *sorted);
    qsort(sorted, (size_t)v->count, sizeof *sorted, by_name);
    for (i = 1; i < v->count && rc == VAE_OK; i++) {
      if (strcmp(sorted[i - 1], sorted[i]) == 0) {
        char snip[48];
        json_snippet(snip, sizeof snip, sorted[i]);
        rc = say(err, errlen, VAE_INVALID,
                 "option \"columns\": duplicate column \"%s\"", snip);
      }
    }
    vae_free(&o->mem, sorted);
    return rc;
  }
}

/* A list of strings kept as given (the caller gives them a meaning). */
static int strings(vae_options *o, const opt_spec *s, const json_value *v,
                   char *err, size_t errlen) {
  int i;
  if (v->type != JSON_ARRAY || v->count > s->ihi) return MUST(s);
  for (i = 0; i < v->count; i++)
    if (v->items[i].type != JSON_STRING || strlen(v->items[i].string) != v->items[i].len)
      return MUST(s);
  if (v->count == 0) return VAE_OK;
  o->na = vae_calloc(&o->mem, (size_t)v->count, sizeof *o->na);
  if (!o->na) return NOMEM();
  o->nna = v->count;
  for (i = 0; i < v->count; i++)
    if (!(o->na[i] = vae_strdup(&o->mem, v->items[i].string))) return NOMEM();
  return VAE_OK;
}

/* A kind name of "types": core's, or "date" / "datetime". */
static int type_kind(const char *name) {
  if (name && (same_word(name, "date") || same_word(name, "datetime")))
    return VAE_OPT_KIND_DATE;
  return vae_kind_from_name(name);
}

static int types(vae_options *o, const opt_spec *s, const json_value *v,
                 char *err, size_t errlen) {
  int i;
  if (v->type != JSON_OBJECT) return MUST(s);
  for (i = 0; i < v->count; i++) {
    const json_value *it = &v->items[i];
    char col[48], kind[48], raw[48];
    json_snippet(col, sizeof col, v->keys[i]);
    if (it->type != JSON_STRING)
      return say(err, errlen, VAE_INVALID,
                 "option \"types\": the kind of column \"%s\" must be a string "
                 "(real, integer, binary, categorical or date)", col);
    if (strlen(it->string) != it->len || type_kind(it->string) < 0) {
      /* Show a NUL inside the kind rather than stop the message at it. */
      size_t k, n = it->len < sizeof kind - 1 ? it->len : sizeof kind - 1;
      for (k = 0; k < n; k++) raw[k] = it->string[k] ? it->string[k] : '?';
      raw[n] = 0;
      json_snippet(kind, sizeof kind, raw);
      return say(err, errlen, VAE_INVALID,
                 "option \"types\": unknown kind \"%s\" for column \"%s\" "
                 "(use real, integer, binary, categorical or date)", kind, col);
    }
  }
  if (v->count == 0) return VAE_OK;
  o->type_columns = vae_calloc(&o->mem, (size_t)v->count, sizeof *o->type_columns);
  o->type_kinds = vae_calloc(&o->mem, (size_t)v->count, sizeof *o->type_kinds);
  if (!o->type_columns || !o->type_kinds) return NOMEM();
  o->ntypes = v->count;
  for (i = 0; i < v->count; i++) {
    if (!(o->type_columns[i] = vae_strdup(&o->mem, v->keys[i]))) return NOMEM();
    o->type_kinds[i] = type_kind(v->items[i].string);
  }
  return VAE_OK;
}

static int apply(vae_options *o, const char *key, const json_value *v,
                 char *err, size_t errlen) {
  const opt_spec *s = NULL;
  size_t i;
  for (i = 0; i < sizeof specs / sizeof specs[0]; i++)
    if (strcmp(specs[i].key, key) == 0) s = &specs[i];
  if (!s) {
    char snip[48];
    json_snippet(snip, sizeof snip, key);
    return say(err, errlen, VAE_INVALID, "unknown option \"%s\"", snip);
  }
  o->given |= VAE_OPT_BIT(s->bit);
  switch (s->type) {
  case T_INT:
    if (s->range >= 0 ? !in_range(v, &vae_ranges[s->range]) : !int_in(v, s->ilo, s->ihi))
      return MUST(s);
    store_int(o, s->bit, v->integer);
    return VAE_OK;
  case T_NUM:
    if (!in_range(v, &vae_ranges[s->range])) return MUST(s);
    store_num(o, s->bit, v->number);
    return VAE_OK;
  case T_FLAG:
    if (v->type == JSON_BOOL) o->verbose = v->boolean;
    else if (int_in(v, 0, 1)) o->verbose = (int)v->integer;
    else return MUST(s);
    return VAE_OK;
  case T_BOOL:
    if (v->type != JSON_BOOL) return MUST(s);
    o->warm_start = v->boolean;
    return VAE_OK;
  case T_MISSING:
    if (v->type != JSON_STRING || strlen(v->string) != v->len) return MUST(s);
    if (same_word(v->string, "mar")) o->cfg.missing = VAE_MAR;
    else if (same_word(v->string, "mnar")) o->cfg.missing = VAE_MNAR;
    else return MUST(s);
    return VAE_OK;
  case T_HIDDEN: return hidden(o, s, v, err, errlen);
  case T_COLUMNS: return columns(o, s, v, err, errlen);
  case T_STRINGS: return strings(o, s, v, err, errlen);
  default: return types(o, s, v, err, errlen);
  }
}

static void reset(vae_options *o, const vae_allocator *a) {
  memset(o, 0, sizeof *o);
  o->mem = *a;
  vae_config_default(&o->cfg);
}

int vae_options_parse(const vae_allocator *a, const char *json, size_t len,
                      vae_options *o, char *err, size_t errlen) {
  json_value *root = NULL;
  int rc, i;
  reset(o, a);
  if (err && errlen) err[0] = 0;
  if (!json) return VAE_OK;
  rc = json_parse(a, json, len, &root, err, errlen);
  if (rc != VAE_OK) return rc;
  if (root->type != JSON_OBJECT)
    rc = say(err, errlen, VAE_INVALID, "options must be a JSON object");
  for (i = 0; rc == VAE_OK && i < root->count; i++)
    rc = apply(o, root->keys[i], &root->items[i], err, errlen);
  json_free(a, root);
  if (rc != VAE_OK) {
    vae_options_free(o);
    reset(o, a);
  }
  return rc;
}

void vae_options_free(vae_options *o) {
  int i;
  if (!o) return;
  for (i = 0; i < o->ncolumns; i++) vae_free(&o->mem, o->columns[i]);
  for (i = 0; i < o->ntypes; i++) vae_free(&o->mem, o->type_columns[i]);
  for (i = 0; i < o->nna; i++) vae_free(&o->mem, o->na[i]);
  vae_free(&o->mem, o->na);
  o->na = NULL;
  o->nna = 0;
  vae_free(&o->mem, o->columns);
  vae_free(&o->mem, o->type_columns);
  vae_free(&o->mem, o->type_kinds);
  o->columns = o->type_columns = NULL;
  o->type_kinds = NULL;
  o->ncolumns = o->ntypes = 0;
}
