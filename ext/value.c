/*
** value.c -- SQL values as the extension reads them; see value.h (the
** per-kind conversions are in codec.c).
*/
#include "codec.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void vae_val_from_sql(vae_val *v, sqlite3_value *x) {
  memset(v, 0, sizeof *v);
  v->type = sqlite3_value_type(x);
  switch (v->type) {
    case SQLITE_INTEGER:
      v->i = sqlite3_value_int64(x);
      v->d = (double)v->i;
      break;
    case SQLITE_FLOAT:
      v->d = sqlite3_value_double(x);
      break;
    case SQLITE_TEXT:
      v->s = (const char *)sqlite3_value_text(x);
      v->n = sqlite3_value_bytes(x);
      if (!v->s) { v->s = ""; v->n = 0; }  /* out of memory: seen as '' */
      break;
    default:
      break;
  }
}

void vae_val_from_json(vae_val *v, const json_value *j) {
  memset(v, 0, sizeof *v);
  switch (j->type) {
    case JSON_NULL: v->type = SQLITE_NULL; break;
    case JSON_BOOL: v->type = SQLITE_INTEGER; v->i = j->boolean; v->d = v->i; break;
    case JSON_NUMBER:
      if (j->is_integer) {
        v->type = SQLITE_INTEGER;
        v->i = j->integer;
        v->d = (double)v->i;
      } else {
        v->type = SQLITE_FLOAT;
        v->d = j->number;
      }
      break;
    case JSON_STRING:
      v->type = SQLITE_TEXT;
      v->s = j->string;
      v->n = (int)j->len;
      break;
    default: v->type = VAE_JSON_CONTAINER; break;
  }
}

void vae_num_text(char *buf, int size, int type, sqlite3_int64 i, double d) {
  if (type == SQLITE_INTEGER) sqlite3_snprintf(size, buf, "%lld", i);
  else sqlite3_snprintf(size, buf, "%!.15g", d);
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
static int is_digit(char c) { return c >= '0' && c <= '9'; }

int vae_parse_number(const char *s, int n, double *out) {
  int a = 0, b = n, i, digits = 0;
  char small[64], *buf = small;
  while (a < b && is_space(s[a])) a++;
  while (b > a && is_space(s[b - 1])) b--;
  i = a;
  if (i < b && (s[i] == '+' || s[i] == '-')) i++;
  while (i < b && is_digit(s[i])) { i++; digits++; }
  if (i < b && s[i] == '.') {
    i++;
    while (i < b && is_digit(s[i])) { i++; digits++; }
  }
  if (digits == 0) return 0;
  if (i < b && (s[i] == 'e' || s[i] == 'E')) {
    int ed = 0;
    i++;
    if (i < b && (s[i] == '+' || s[i] == '-')) i++;
    while (i < b && is_digit(s[i])) { i++; ed++; }
    if (ed == 0) return 0;
  }
  if (i != b) return 0;
  /* vae_strtod reads '.' whatever the thread's LC_NUMERIC. */
  if ((size_t)(b - a) + 1 > sizeof small) {
    buf = sqlite3_malloc64((sqlite3_uint64)(b - a) + 1);
    if (!buf) return 0;
  }
  memcpy(buf, s + a, (size_t)(b - a));
  buf[b - a] = 0;
  *out = vae_strtod(buf);
  if (buf != small) sqlite3_free(buf);
  return 1;
}

const char *vae_val_type_word(int type) {
  switch (type) {
    case SQLITE_TEXT: return "text";
    case SQLITE_BLOB: return "a BLOB";
    case VAE_JSON_CONTAINER: return "a JSON array or object";
    default: return "a value of another type";
  }
}

char *vae_val_got(const vae_val *v) {
  char snip[64];
  if (v->type != SQLITE_TEXT) return sqlite3_mprintf("got %s", vae_val_type_word(v->type));
  json_snippet(snip, sizeof snip, v->s);
  return sqlite3_mprintf("got '%s'", snip);
}

char *vae_msg_row(char *msg, const char *what, sqlite3_int64 row) {
  char *t = msg ? sqlite3_mprintf("%s (%s %lld)", msg, what, row) : NULL;
  sqlite3_free(msg);
  return t;
}

/* ---------------------------------------------------------------------
** NA spellings
*/
static const char *const default_na[] = {"", "NA", "N/A", "NaN", "null", "None", "-"};

/* s[0..n) without spaces around equals t[0..tn), ASCII case-insensitively. */
static int same_text(const char *s, int n, const char *t, int tn) {
  int a = 0, b = n, i;
  while (a < b && s[a] == ' ') a++;
  while (b > a && s[b - 1] == ' ') b--;
  while (tn > 0 && *t == ' ') { t++; tn--; }
  while (tn > 0 && t[tn - 1] == ' ') tn--;
  if (b - a != tn) return 0;
  for (i = 0; i < tn; i++) {
    char x = s[a + i], y = t[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return 0;
  }
  return 1;
}

int vae_na_text(const vae_na *na, const char *s, int n) {
  int i;
  if (!na) {
    for (i = 0; i < (int)(sizeof default_na / sizeof default_na[0]); i++)
      if (same_text(s, n, default_na[i], (int)strlen(default_na[i]))) return 1;
    return 0;
  }
  for (i = 0; i < na->n; i++)
    if (same_text(s, n, na->s[i], (int)strlen(na->s[i]))) return 1;
  return 0;
}

int vae_na_val(const vae_na *na, const vae_val *v) {
  return v->type == SQLITE_TEXT && vae_na_text(na, v->s, v->n);
}

void vae_na_free(vae_na *na) {
  int i;
  if (!na) return;
  for (i = 0; i < na->n; i++) sqlite3_free(na->s[i]);
  sqlite3_free(na->s);
  sqlite3_free(na);
}

int vae_na_from_options(const char *options, vae_na **out) {
  json_value *root = NULL;
  const json_value *l;
  char msg[8];
  int i, rc;
  vae_na *na;
  *out = NULL;
  if (!options) return SQLITE_OK;
  rc = json_parse(&vae_sqlite_mem, options, strlen(options), &root, msg, sizeof msg);
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK) return SQLITE_OK;
  l = root->type == JSON_OBJECT ? json_get(root, "na") : NULL;
  if (!l || l->type != JSON_ARRAY) {
    json_free(&vae_sqlite_mem, root);
    return SQLITE_OK;
  }
  for (i = 0; i < l->count; i++)
    if (l->items[i].type != JSON_STRING) {
      json_free(&vae_sqlite_mem, root);
      return SQLITE_OK;
    }
  na = sqlite3_malloc(sizeof *na);
  if (na) {
    na->n = 0;
    na->s = sqlite3_malloc64((sqlite3_uint64)(l->count + 1) * sizeof *na->s);
  }
  rc = na && na->s ? SQLITE_OK : SQLITE_NOMEM;
  for (i = 0; i < l->count && rc == SQLITE_OK; i++) {
    if (!(na->s[i] = sqlite3_mprintf("%s", l->items[i].string))) rc = SQLITE_NOMEM;
    else na->n++;
  }
  json_free(&vae_sqlite_mem, root);
  if (rc != SQLITE_OK) {
    vae_na_free(na); /* the strings taken so far, and the list */
    return rc;
  }
  *out = na;
  return SQLITE_OK;
}

void vae_na_json(vae_buf *b, const vae_na *na) {
  int i, n = na ? na->n : (int)(sizeof default_na / sizeof default_na[0]);
  VAE_BUF_LIT(b, "[");
  for (i = 0; i < n; i++) {
    if (i) VAE_BUF_LIT(b, ",");
    vae_buf_json_string(b, na ? na->s[i] : default_na[i]);
  }
  VAE_BUF_LIT(b, "]");
}

char *vae_na_sql(const vae_na *na, const char *col) {
  int i, n = na ? na->n : (int)(sizeof default_na / sizeof default_na[0]);
  char *list, *t;
  if (n == 0) return sqlite3_mprintf("%s IS NULL", col);
  list = sqlite3_mprintf("%s", "");
  for (i = 0; i < n && list; i++) {
    const char *s = na ? na->s[i] : default_na[i];
    char *low = sqlite3_mprintf("%s", s);
    size_t k, a = 0, e;
    if (!low) {
      sqlite3_free(list);
      return NULL;
    }
    /* lowered and without spaces around, as lower(trim(col, ' ')) gives */
    for (k = 0; low[k]; k++)
      if (low[k] >= 'A' && low[k] <= 'Z') low[k] = (char)(low[k] - 'A' + 'a');
    e = k;
    while (a < e && low[a] == ' ') a++;
    while (e > a && low[e - 1] == ' ') e--;
    low[e] = 0;
    t = sqlite3_mprintf("%s%s%Q", list, i ? ", " : "", low + a);
    sqlite3_free(low);
    sqlite3_free(list);
    list = t;
  }
  t = list ? sqlite3_mprintf("(%s IS NULL OR (typeof(%s) = 'text' AND lower(trim(%s, ' ')) "
                             "IN (%s)))", col, col, col, list)
           : NULL;
  sqlite3_free(list);
  return t;
}

char *vae_level_list(const vae_column *c) {
  char *s = sqlite3_mprintf("%s", "");
  int k;
  for (k = 0; k < c->nlevels && s; k++) {
    char snip[64], *t;
    if (strlen(s) > 200) {
      t = sqlite3_mprintf("%s, ... (%d in all)", s, c->nlevels);
      sqlite3_free(s);
      return t;
    }
    json_snippet(snip, sizeof snip, c->levels[k]);
    t = sqlite3_mprintf("%s%s'%s'", s, k ? ", " : "", snip);
    sqlite3_free(s);
    s = t;
  }
  return s;
}

char *vae_column_list(const vae_model *m) {
  int p = vae_model_ncols(m), j;
  char *s = sqlite3_mprintf("%s", "");
  for (j = 0; j < p && s; j++) {
    char *t;
    if (strlen(s) > 200) {
      t = sqlite3_mprintf("%s, ...", s);
      sqlite3_free(s);
      return t;
    }
    t = sqlite3_mprintf("%s%s%s", s, j ? ", " : "", vae_model_column(m, j)->name);
    sqlite3_free(s);
    s = t;
  }
  return s;
}

int vae_find_column(const vae_model *m, const char *name) {
  int p = vae_model_ncols(m), j;
  int k = vae_model_column_index(m, name);
  if (k >= 0) return k;
  for (j = 0; j < p; j++)
    if (sqlite3_stricmp(vae_model_column(m, j)->name, name) == 0) return j;
  return -1;
}

static int looks_like_object(sqlite3_value *v) {
  const unsigned char *s;
  if (sqlite3_value_type(v) != SQLITE_TEXT) return 0;
  s = sqlite3_value_text(v);
  if (!s) return 0;
  while (is_space((char)*s)) s++;
  return *s == '{';
}

/* The given value of the wanted cell as the function's result. */
static void give_back(sqlite3_context *ctx, const vae_val *v) {
  switch (v->type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, v->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, v->d); break;
    case SQLITE_TEXT: sqlite3_result_text(ctx, v->s, v->n, SQLITE_TRANSIENT); break;
    default: sqlite3_result_null(ctx); break;
  }
}

static int json_row(const vae_model *m, const vae_na *na, const char *model,
                    const char *fn, sqlite3_value *arg, float *row, char **err,
                    sqlite3_context *ctx, int want) {
  json_value *obj = NULL;
  char msg[200];
  const char *text = (const char *)sqlite3_value_text(arg);
  int p = vae_model_ncols(m), i, rc;
  if (!text) return SQLITE_NOMEM;
  rc = json_parse(&vae_sqlite_mem, text, (size_t)sqlite3_value_bytes(arg), &obj, msg, sizeof msg);
  if (rc == VAE_NOMEM) return SQLITE_NOMEM;
  if (rc != VAE_OK) {
    *err = sqlite3_mprintf("%s: %s", fn, msg);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (i = 0; i < p; i++) row[i] = NAN;
  rc = SQLITE_OK;
  if (obj->type != JSON_OBJECT) {
    *err = sqlite3_mprintf("%s: expects a JSON object of the row", fn);
    rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (i = 0; rc == SQLITE_OK && i < obj->count; i++) {
    int j = vae_find_column(m, obj->keys[i]);
    vae_val v;
    if (j < 0) {
      json_snippet(msg, 64, obj->keys[i]);
      *err = sqlite3_mprintf("%s: model \"%s\" has no column \"%s\"", fn, model, msg);
      rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    vae_val_from_json(&v, &obj->items[i]);
    if (vae_na_val(na, &v)) v.type = SQLITE_NULL;
    if (vae_val_to_cell(vae_model_column(m, j), &v, &row[j], fn, err) != SQLITE_OK)
      rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
    else if (j == want && ctx && v.type != SQLITE_NULL)
      give_back(ctx, &v);
  }
  json_free(&vae_sqlite_mem, obj);
  return rc;
}

int vae_args_to_row(const vae_model *m, const char *model, const char *fn,
                    int argc, sqlite3_value **argv, float *row, char **err,
                    sqlite3_context *ctx, int want) {
  vae_na none = {0, NULL};
  return vae_args_to_row_na(m, &none, model, fn, argc, argv, row, err, ctx, want);
}

int vae_args_to_row_na(const vae_model *m, const vae_na *na, const char *model,
                       const char *fn, int argc, sqlite3_value **argv, float *row,
                       char **err, sqlite3_context *ctx, int want) {
  int p = vae_model_ncols(m), j;
  *err = NULL;
  if (argc == 1 && (sqlite3_value_subtype(argv[0]) == 'J' ||
                    (p != 1 && looks_like_object(argv[0]))))
    return json_row(m, na, model, fn, argv[0], row, err, ctx, want);
  if (argc != p) {
    char *list = vae_column_list(m);
    if (!list) return SQLITE_NOMEM;
    *err = sqlite3_mprintf("%s: model \"%s\" has %d column%s (%s); got %d value%s",
                           fn, model, p, p == 1 ? "" : "s", list, argc,
                           argc == 1 ? "" : "s");
    sqlite3_free(list);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for (j = 0; j < p; j++) {
    vae_val v;
    vae_val_from_sql(&v, argv[j]);
    if (vae_na_val(na, &v)) v.type = SQLITE_NULL;
    if (vae_val_to_cell(vae_model_column(m, j), &v, &row[j], fn, err) != SQLITE_OK)
      return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if (ctx && want >= 0 && want < p && !isnan(row[want]))
    sqlite3_result_value(ctx, argv[want]);
  return SQLITE_OK;
}
