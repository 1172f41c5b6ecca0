/*
** codec.c -- the table of per-kind codecs; see codec.h for what each kind
** reads and writes, and value.h for the rules of reading SQL values.
**
** Each kind is a block of small static functions and one entry of the
** table at the end; nothing outside this file switches on a column kind to
** read or write a cell.
*/
#include "codec.h"
#include "date.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------
** Output into a result or a parameter
*/
static void out_null(const vae_sql_out *o) {
  if (o->ctx) sqlite3_result_null(o->ctx);
  else sqlite3_bind_null(o->st, o->i);
}

static void out_double(const vae_sql_out *o, double d) {
  if (o->ctx) sqlite3_result_double(o->ctx, d);
  else sqlite3_bind_double(o->st, o->i, d);
}

static void out_int(const vae_sql_out *o, sqlite3_int64 v) {
  if (o->ctx) sqlite3_result_int64(o->ctx, v);
  else sqlite3_bind_int64(o->st, o->i, v);
}

static void out_text(const vae_sql_out *o, const char *s) {
  if (o->ctx) sqlite3_result_text(o->ctx, s, -1, SQLITE_TRANSIENT);
  else sqlite3_bind_text(o->st, o->i, s, -1, SQLITE_TRANSIENT);
}

/* ---------------------------------------------------------------------
** Numbers: real, integer and binary
*/

/* The number of v, finite and within the float range; else an error. */
static int read_number(const vae_column *c, const vae_val *v, double *d, const char *fn,
                       char **err) {
  if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
    *d = v->d;
  } else if (v->type == SQLITE_TEXT && vae_parse_number(v->s, v->n, d)) {
    /* a number written as text */
  } else {
    char *got = vae_val_got(v);
    *err = got ? sqlite3_mprintf("%s: column \"%s\" expects a number, %s", fn, c->name, got)
               : NULL;
    sqlite3_free(got);
    return VAE_CONV_ERROR;
  }
  if (!isfinite(*d)) {
    *err = sqlite3_mprintf("%s: column \"%s\" expects a finite number, got %s", fn,
                           c->name, *d > 0 ? "+Inf" : *d < 0 ? "-Inf" : "NaN");
    return VAE_CONV_ERROR;
  }
  if (fabs(*d) > FLT_MAX) {
    /* Cells are floats: a larger value would become an infinity. */
    *err = sqlite3_mprintf("%s: column \"%s\" expects a number within the float "
                           "range (magnitude at most 3.4e38), got %g", fn, c->name, *d);
    return VAE_CONV_ERROR;
  }
  return SQLITE_OK;
}

static int number_to_cell(const vae_column *c, const vae_val *v, float *out, const char *fn,
                          char **err) {
  double d;
  int rc = read_number(c, v, &d, fn, err);
  if (rc == SQLITE_OK) *out = (float)d;
  return rc;
}

static int binary_to_cell(const vae_column *c, const vae_val *v, float *out, const char *fn,
                          char **err) {
  double d;
  int rc = read_number(c, v, &d, fn, err);
  if (rc != SQLITE_OK) return rc;
  if (d != 0.0 && d != 1.0) {
    char num[64];
    vae_num_text(num, sizeof num, v->type == SQLITE_INTEGER ? SQLITE_INTEGER : SQLITE_FLOAT,
                 v->i, d);
    *err = sqlite3_mprintf("%s: column \"%s\" expects 0 or 1, got %s", fn, c->name, num);
    return VAE_CONV_NOMATCH;
  }
  *out = (float)d;
  return SQLITE_OK;
}

static void real_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  out_double(o, vae_float_double(x));
}

static void integer_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  out_int(o, (sqlite3_int64)llrint((double)x));
}

static void binary_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  out_int(o, x >= 0.5f);
}

static void real_to_json(vae_buf *b, const vae_column *c, float x) {
  /* Written as a real even when whole (2.0, not 2), as SQLite does. */
  size_t at = b->len;
  int whole = 1;
  vae_buf_json_float(b, x);
  if (b->failed) return;
  for (; at < b->len && whole; at++)
    if (b->data[at] == '.' || b->data[at] == 'e' || b->data[at] == 'n') whole = 0;
  if (whole) VAE_BUF_LIT(b, ".0");
}

static void integer_to_json(vae_buf *b, const vae_column *c, float x) {
  vae_buf_int(b, (int64_t)llrint((double)x));
}

static void binary_to_json(vae_buf *b, const vae_column *c, float x) {
  vae_buf_append(b, x >= 0.5f ? "1" : "0", 1);
}

/* Statistics of the observed values; the model sees normal scores. */
static void number_describe(vae_buf *b, const vae_column *c) {
  VAE_BUF_LIT(b, ",\"mean\":");
  vae_buf_json_number(b, c->mean);
  VAE_BUF_LIT(b, ",\"sd\":");
  vae_buf_json_number(b, c->sd);
  VAE_BUF_LIT(b, ",\"min\":");
  vae_buf_json_number(b, c->min);
  VAE_BUF_LIT(b, ",\"max\":");
  vae_buf_json_number(b, c->max);
}

/* Nothing to standardize: the share of ones says it all. */
static void binary_describe(vae_buf *b, const vae_column *c) {}

static int number_compare(const vae_column *c, float cell, sqlite3_value *v) {
  int vt = sqlite3_value_type(v);
  double d, x;
  if (vt == SQLITE_INTEGER || vt == SQLITE_FLOAT) {
    x = sqlite3_value_double(v);
  } else if (vt == SQLITE_TEXT &&
             vae_parse_number((const char *)sqlite3_value_text(v), sqlite3_value_bytes(v), &x)) {
    /* the column's numeric affinity applies to a numeric-looking text */
  } else {
    return -1; /* numbers sort before text and blobs */
  }
  d = vae_float_double(cell);
  return d < x ? -1 : d > x ? 1 : 0;
}

/* As given: a REAL for a real column; whole numbers as INTEGER else. */
static void number_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x) {
  double d = v->d;
  if (v->type == SQLITE_TEXT) vae_parse_number(v->s, v->n, &d);
  if (c->kind == VAE_REAL) {
    cell->type = SQLITE_FLOAT;
    cell->d = d;
  } else if (v->type == SQLITE_INTEGER) {
    cell->type = SQLITE_INTEGER;
    cell->i = v->i;
  } else if (d == floor(d) && fabs(d) < 9.2e18) {
    cell->type = SQLITE_INTEGER;
    cell->i = (sqlite3_int64)d;
  } else {
    cell->type = SQLITE_FLOAT;
    cell->d = d;
  }
}

static const char *core_kind_name(const vae_column *c) {
  return vae_kind_name(c->kind);
}

static const char *real_sqltype(const vae_column *c) { return "REAL"; }
static const char *integer_sqltype(const vae_column *c) { return "INTEGER"; }

/* ---------------------------------------------------------------------
** Categories
*/
int vae_level_of(const vae_column *c, float x) {
  long k = lrintf(x);
  if (k < 0) k = 0;
  if (k >= c->nlevels) k = c->nlevels - 1;
  return (int)k;
}

/* The value's text form (an INTEGER 3 is '3') must be a level. */
static int category_to_cell(const vae_column *c, const vae_val *v, float *out, const char *fn,
                            char **err) {
  char num[64], snip[64];
  const char *s;
  int n, k;
  if (v->type == SQLITE_BLOB || v->type == VAE_JSON_CONTAINER) {
    *err = sqlite3_mprintf("%s: column \"%s\" expects text, got %s", fn, c->name,
                           vae_val_type_word(v->type));
    return VAE_CONV_ERROR;
  }
  if (v->type == SQLITE_TEXT) {
    s = v->s;
    n = v->n;
  } else {
    vae_num_text(num, sizeof num, v->type, v->i, v->d);
    s = num;
    n = (int)strlen(num);
  }
  k = vae_column_level(c, s, (size_t)n);
  if (k < 0) {
    char *known = vae_level_list(c);
    json_snippet(snip, sizeof snip, s);
    *err = known ? sqlite3_mprintf("%s: unknown category '%s' for column \"%s\" "
                                   "(known: %s)", fn, snip, c->name, known)
                 : NULL;
    sqlite3_free(known);
    return VAE_CONV_NOMATCH;
  }
  *out = (float)k;
  return SQLITE_OK;
}

static void category_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  if (c->nlevels <= 0) out_null(o);
  else out_text(o, c->levels[vae_level_of(c, x)]);
}

static void category_to_json(vae_buf *b, const vae_column *c, float x) {
  if (c->nlevels <= 0) VAE_BUF_LIT(b, "null");
  else vae_buf_json_string(b, c->levels[vae_level_of(c, x)]);
}

static void category_describe(vae_buf *b, const vae_column *c) {
  int k;
  VAE_BUF_LIT(b, ",\"levels\":[");
  for (k = 0; k < c->nlevels; k++) {
    if (k) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, c->levels[k]);
  }
  VAE_BUF_LIT(b, "]");
}

/* Text by bytes (BINARY collation), after every number, before blobs. */
static int category_compare(const vae_column *c, float cell, sqlite3_value *v) {
  const char *level = c->levels[vae_level_of(c, cell)], *s;
  int vt = sqlite3_value_type(v), n, r;
  if (vt != SQLITE_TEXT) return vt == SQLITE_BLOB ? -1 : 1;
  s = (const char *)sqlite3_value_text(v);
  n = sqlite3_value_bytes(v);
  r = strncmp(level, s ? s : "", (size_t)n);
  if (r == 0 && (int)strlen(level) != n) r = (int)strlen(level) > n ? 1 : -1;
  return r;
}

static void category_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x) {
  cell->type = SQLITE_TEXT;
  cell->i = (sqlite3_int64)x;
}

static const char *category_sqltype(const vae_column *c) { return "TEXT"; }

/* ---------------------------------------------------------------------
** Dates and times (date.h)
*/
int vae_is_time(const vae_column *c) {
  return c->format && vae_date_valid(c->format) &&
         (c->kind == VAE_REAL || c->kind == VAE_INTEGER);
}

double vae_time_days(const vae_column *c, float x) {
  return (double)x + vae_date_origin(c->format);
}

int vae_val_to_days(const vae_column *c, const vae_val *v, double *days, const char *fn,
                    char **err) {
  double d;
  int numeric = !vae_date_is_text(c->format);
  *err = NULL;
  if (v->type == SQLITE_TEXT && vae_date_parse(v->s, v->n, days, NULL)) return SQLITE_OK;
  if (numeric && (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT ||
                  (v->type == SQLITE_TEXT && vae_parse_number(v->s, v->n, &d)))) {
    if (v->type != SQLITE_TEXT) d = v->d;
    *days = vae_date_from_number(c->format, d);
    if (isfinite(*days) && fabs(*days) < 1e7) return SQLITE_OK;
  }
  if (v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT) {
    char num[64];
    vae_num_text(num, sizeof num, v->type, v->i, v->d);
    *err = sqlite3_mprintf("%s: column \"%s\" expects a %s as text (%s), got %s", fn,
                           c->name, vae_date_kind(c->format), vae_date_form(c->format), num);
  } else {
    char *got = vae_val_got(v);
    *err = got ? sqlite3_mprintf("%s: column \"%s\" expects a %s (%s%s), %s", fn, c->name,
                                 vae_date_kind(c->format), vae_date_form(c->format),
                                 numeric ? " or ISO-8601 text" : "", got)
               : NULL;
    sqlite3_free(got);
  }
  return VAE_CONV_ERROR;
}

static int date_to_cell(const vae_column *c, const vae_val *v, float *out, const char *fn,
                        char **err) {
  double d;
  int rc = vae_val_to_days(c, v, &d, fn, err);
  if (rc == SQLITE_OK) *out = (float)(d - vae_date_origin(c->format));
  return rc;
}

/* days in the column's format: REAL julian day, INTEGER unix time or text. */
static void days_to_sql(const vae_sql_out *o, const vae_column *c, double days) {
  char buf[40];
  int code = vae_date_code(c->format);
  if (code == VAE_FMT_JULIAN) {
    out_double(o, vae_date_to_number(c->format, days));
  } else if (code == VAE_FMT_UNIX) {
    out_int(o, (sqlite3_int64)llrint(vae_date_to_number(c->format, days)));
  } else {
    vae_date_format(buf, sizeof buf, days, c->format);
    out_text(o, buf);
  }
}

static void date_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  days_to_sql(o, c, vae_time_days(c, x));
}

static void date_to_json(vae_buf *b, const vae_column *c, float x) {
  char buf[40];
  double days = vae_time_days(c, x);
  int code = vae_date_code(c->format);
  if (code == VAE_FMT_JULIAN) {
    vae_buf_json_number(b, vae_date_to_number(c->format, days));
  } else if (code == VAE_FMT_UNIX) {
    vae_buf_int(b, (int64_t)llrint(vae_date_to_number(c->format, days)));
  } else {
    vae_date_format(buf, sizeof buf, days, c->format);
    vae_buf_json_string(b, buf);
  }
}

static void date_describe(vae_buf *b, const vae_column *c) {
  vae_buf_appendf(b, ",\"format\":\"%s\"", vae_date_form(c->format));
  number_describe(b, c);
}

/* A point in time, in whatever form v gives it; a date shown as text is
** the whole day. Values that are no time sort as text does. */
static int date_compare(const vae_column *c, float cell, sqlite3_value *v) {
  int vt = sqlite3_value_type(v);
  double d, x;
  vae_val val;
  char *err = NULL;
  vae_val_from_sql(&val, v);
  if (vae_val_to_days(c, &val, &x, "", &err) != SQLITE_OK) {
    sqlite3_free(err);
    return vt == SQLITE_TEXT || vt == SQLITE_BLOB ? -1 : 1;
  }
  d = vae_time_days(c, cell);
  if (vae_date_is_text(c->format)) {
    char buf[40];
    vae_date_format(buf, sizeof buf, d, c->format);
    vae_date_parse(buf, (int)strlen(buf), &d, NULL);
  }
  return d < x ? -1 : d > x ? 1 : 0;
}

/* The days in double precision: a given time passes unchanged. */
static void date_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x) {
  char *err = NULL;
  cell->type = VAE_CELL_TIME;
  if (vae_val_to_days(c, v, &cell->d, "", &err) != SQLITE_OK) cell->d = vae_time_days(c, x);
  sqlite3_free(err);
}

static const char *date_report_kind(const vae_column *c) {
  return vae_date_kind(c->format);
}

static const char *date_sqltype(const vae_column *c) {
  return vae_date_sqltype(c->format);
}

/* ---------------------------------------------------------------------
** The table
*/
static const vae_codec codec_real = {
    "real", core_kind_name, real_sqltype, number_to_cell, real_to_sql,
    real_to_json, number_describe, number_compare, number_given,
};
static const vae_codec codec_integer = {
    "integer", core_kind_name, integer_sqltype, number_to_cell, integer_to_sql,
    integer_to_json, number_describe, number_compare, number_given,
};
static const vae_codec codec_binary = {
    "binary", core_kind_name, integer_sqltype, binary_to_cell, binary_to_sql,
    binary_to_json, binary_describe, number_compare, number_given,
};
static const vae_codec codec_categorical = {
    "categorical", core_kind_name, category_sqltype, category_to_cell, category_to_sql,
    category_to_json, category_describe, category_compare, category_given,
};
static const vae_codec codec_date = {
    "date", date_report_kind, date_sqltype, date_to_cell, date_to_sql,
    date_to_json, date_describe, date_compare, date_given,
};

const vae_codec *vae_codec_of(const vae_column *c) {
  if (vae_is_time(c)) return &codec_date;
  switch (c->kind) {
    case VAE_REAL: return &codec_real;
    case VAE_INTEGER: return &codec_integer;
    case VAE_BINARY: return &codec_binary;
    default: return &codec_categorical;
  }
}

/* ---------------------------------------------------------------------
** With NULL <-> NaN
*/
int vae_val_to_cell(const vae_column *c, const vae_val *v, float *out,
                    const char *fn, char **err) {
  *err = NULL;
  if (v->type == SQLITE_NULL) {
    *out = NAN;
    return SQLITE_OK;
  }
  return vae_codec_of(c)->to_cell(c, v, out, fn, err);
}

static void cell_to_sql(const vae_sql_out *o, const vae_column *c, float x) {
  if (isnan(x)) out_null(o);
  else vae_codec_of(c)->to_sql(o, c, x);
}

void vae_result_cell(sqlite3_context *ctx, const vae_column *c, float x) {
  vae_sql_out o = {ctx, NULL, 0};
  cell_to_sql(&o, c, x);
}

void vae_bind_cell(sqlite3_stmt *st, int i, const vae_column *c, float x) {
  vae_sql_out o = {NULL, st, i};
  cell_to_sql(&o, c, x);
}

void vae_result_time(sqlite3_context *ctx, const vae_column *c, double days) {
  vae_sql_out o = {ctx, NULL, 0};
  days_to_sql(&o, c, days);
}

void vae_buf_cell(vae_buf *b, const vae_column *c, float x) {
  if (isnan(x)) VAE_BUF_LIT(b, "null");
  else vae_codec_of(c)->to_json(b, c, x);
}

void vae_cell_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x) {
  memset(cell, 0, sizeof *cell);
  if (v->type != SQLITE_NULL) vae_codec_of(c)->given(cell, c, v, x);
}

void vae_cell_result(sqlite3_context *ctx, const vae_column *c, const vae_cell *cell,
                     float x) {
  switch (cell->type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, cell->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, cell->d); break;
    case SQLITE_TEXT:
      sqlite3_result_text(ctx, c->levels[cell->i], -1, SQLITE_TRANSIENT);
      break;
    case VAE_CELL_TIME: vae_result_time(ctx, c, cell->d); break;
    default: vae_result_cell(ctx, c, x); break;
  }
}

const char *vae_column_sqltype(const vae_column *c) {
  return vae_codec_of(c)->sqltype(c);
}

const char *vae_column_kind(const vae_column *c) {
  return vae_codec_of(c)->report_kind(c);
}
