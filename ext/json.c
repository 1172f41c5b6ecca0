/*
** json.c -- the strict JSON parser and the string builder of json.h.
**
** The input is untrusted (an SQL argument, a stored column description), so
** every read is bounds-checked against the end pointer, recursion is capped
** at JSON_MAX_DEPTH and every allocation goes through mem.h, with everything
** taken released again on failure.
*/
#include "json.h"
#include "../core/mem.h"
#include "../core/vae.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

typedef struct {
  const char *start, *p, *end;
  char *err;
  size_t errlen;
  int depth;
  const vae_allocator *mem;
} parser;

static int fail(parser *ps, const char *at, const char *msg) {
  if (ps->err && ps->errlen)
    snprintf(ps->err, ps->errlen, "bad JSON at offset %lu: %s",
             (unsigned long)(at - ps->start), msg);
  return VAE_INVALID;
}

static int nomem(parser *ps) {
  if (ps->err && ps->errlen) snprintf(ps->err, ps->errlen, "out of memory");
  return VAE_NOMEM;
}

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
                             *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

/* Length of the well-formed UTF-8 sequence at s (not past e), 0 if none:
** overlong forms, UTF-16 surrogates and code points past U+10FFFF are
** refused, as RFC 3629 requires. */
static int utf8_seq(const unsigned char *s, const unsigned char *e) {
  unsigned c = s[0], cp;
  int n, i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) n = 3;
  else if (c >= 0xF0 && c <= 0xF4) n = 4;
  else return 0;
  cp = c & (0x7Fu >> n); /* the lead byte's payload bits */
  if (e - s < n) return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

static char *put_utf8(char *o, unsigned long cp) {
  if (cp < 0x80) {
    *o++ = (char)cp;
  } else if (cp < 0x800) {
    *o++ = (char)(0xC0 | (cp >> 6));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *o++ = (char)(0xE0 | (cp >> 12));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *o++ = (char)(0xF0 | (cp >> 18));
    *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *o++ = (char)(0x80 | (cp & 0x3F));
  }
  return o;
}

/* The 4 hex digits at s, or -1 (also when fewer than 4 bytes remain). */
static long hex4(const char *s, const char *e) {
  long v = 0;
  int i;
  if (e - s < 4) return -1;
  for (i = 0; i < 4; i++) {
    char c = s[i];
    v <<= 4;
    if (IS_DIGIT(c)) v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

/* A string at ps->p (on the opening quote) into a new NUL-terminated buffer.
** The decoded form is never longer than the raw one, so a first pass that
** only finds the closing quote sizes the buffer; the second pass decodes and
** reports errors at the offending byte. */
static int parse_string(parser *ps, char **out, size_t *outlen) {
  const char *q = ps->p + 1, *r, *e = ps->end;
  char *buf, *o;
  int rc;
  for (r = q; r < e && *r != '"'; r += (*r == '\\' && e - r > 1) ? 2 : 1) {}
  buf = vae_malloc(ps->mem, (size_t)(r - q) + 1);
  if (!buf) return nomem(ps);
  o = buf;
  r = q;
  for (;;) {
    unsigned char c;
    if (r >= e) { rc = fail(ps, e, "unterminated string"); goto bad; }
    c = (unsigned char)*r;
    if (c == '"') break;
    if (c < 0x20) { rc = fail(ps, r, "control character in string"); goto bad; }
    if (c == '\\') {
      long cp, lo;
      if (e - r < 2) { rc = fail(ps, e, "unterminated string"); goto bad; }
      switch (r[1]) {
      case '"': *o++ = '"'; break;
      case '\\': *o++ = '\\'; break;
      case '/': *o++ = '/'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case 't': *o++ = '\t'; break;
      case 'u':
        cp = hex4(r + 2, e);
        if (cp < 0) { rc = fail(ps, r, "invalid \\u escape"); goto bad; }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          rc = fail(ps, r, "lone surrogate in \\u escape");
          goto bad;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          lo = (e - r >= 8 && r[6] == '\\' && r[7] == 'u') ? hex4(r + 8, e) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) {
            rc = fail(ps, r, "lone surrogate in \\u escape");
            goto bad;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          r += 6;
        }
        o = put_utf8(o, (unsigned long)cp);
        r += 4;
        break;
      default:
        rc = fail(ps, r, "invalid escape");
        goto bad;
      }
      r += 2;
    } else {
      int n = utf8_seq((const unsigned char *)r, (const unsigned char *)e);
      if (!n) { rc = fail(ps, r, "invalid UTF-8 in string"); goto bad; }
      memcpy(o, r, (size_t)n);
      o += n;
      r += n;
    }
  }
  *o = 0;
  *out = buf;
  *outlen = (size_t)(o - buf);
  ps->p = r + 1;
  return VAE_OK;
bad:
  vae_free(ps->mem, buf);
  return rc;
}

/* strtod and snprintf follow the LC_NUMERIC of the calling thread, which a
** host program may have set to a locale with a decimal comma. They run here
** in the "C" locale, set for this thread alone (uselocale) and given back
** after: no localeconv, nothing process-wide. newlocale of "C" without a
** base hands back the C library's own object (glibc and musl allocate
** nothing); freelocale of it does nothing. Were it ever to fail, the
** thread's locale stays: then only a decimal-comma locale reads wrong. */
typedef struct {
  locale_t c, old;
} c_numeric;

static void c_numeric_enter(c_numeric *s) {
  s->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  s->old = s->c ? uselocale(s->c) : (locale_t)0;
}

static void c_numeric_leave(c_numeric *s) {
  if (!s->c) return;
  uselocale(s->old);
  freelocale(s->c);
}

double vae_strtod(const char *text) {
  c_numeric cn;
  double d;
  c_numeric_enter(&cn);
  d = strtod(text, NULL);
  c_numeric_leave(&cn);
  return d;
}

static int parse_number(parser *ps, json_value *v) {
  const char *s = ps->p, *r = s, *e = ps->end;
  int neg = 0, frac = 0;
  if (*r == '-') { neg = 1; r++; }
  if (r == e || !IS_DIGIT(*r)) return fail(ps, r, "invalid number");
  if (*r == '0') {
    r++;
    if (r < e && IS_DIGIT(*r)) return fail(ps, r, "invalid number (leading zero)");
  } else {
    while (r < e && IS_DIGIT(*r)) r++;
  }
  if (r < e && *r == '.') {
    frac = 1;
    r++;
    if (r == e || !IS_DIGIT(*r)) return fail(ps, r, "invalid number");
    while (r < e && IS_DIGIT(*r)) r++;
  }
  if (r < e && (*r == 'e' || *r == 'E')) {
    frac = 1;
    r++;
    if (r < e && (*r == '+' || *r == '-')) r++;
    if (r == e || !IS_DIGIT(*r)) return fail(ps, r, "invalid number");
    while (r < e && IS_DIGIT(*r)) r++;
  }
  v->type = JSON_NUMBER;
  if (!frac) {
    /* Exact integer: the magnitude limit is 2^63 for a negative number. */
    uint64_t mag = 0, lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    const char *d = s + neg;
    int fits = 1;
    for (; d < r; d++) {
      unsigned dig = (unsigned)(*d - '0');
      if (mag > (lim - dig) / 10) { fits = 0; break; }
      mag = mag * 10 + dig;
    }
    if (fits) {
      v->is_integer = 1;
      v->integer = neg ? (mag == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)mag)
                       : (int64_t)mag;
      if (mag <= (uint64_t)1 << 53) {
        /* Exactly representable: no need for strtod. */
        v->number = neg ? -(double)mag : (double)mag;
        ps->p = r;
        return VAE_OK;
      }
    }
  }
  {
    size_t n = (size_t)(r - s);
    char small[64], *buf = small;
    if (n + 1 > sizeof small) {
      buf = vae_malloc(ps->mem, n + 1);
      if (!buf) return nomem(ps);
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    v->number = vae_strtod(buf);
    if (buf != small) vae_free(ps->mem, buf);
    if (isinf(v->number)) return fail(ps, s, "number out of range");
  }
  ps->p = r;
  return VAE_OK;
}

static int parse_literal(parser *ps, const char *word, json_value *v,
                         json_type t, int b) {
  size_t n = strlen(word);
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
    return fail(ps, ps->p, "expected a value");
  v->type = t;
  v->boolean = b;
  ps->p += n;
  return VAE_OK;
}

/* Room for one more item (and key); 0 or VAE_NOMEM. */
static int grow(const vae_allocator *a, json_value *v, int *cap, int with_keys) {
  int ncap, overflow = 0;
  size_t bytes;
  void *p;
  if (v->count < *cap) return 0;
  if (*cap > INT_MAX / 2) return VAE_NOMEM;
  ncap = *cap ? *cap * 2 : 4;
  bytes = vae_mul_size((size_t)ncap, sizeof *v->items, &overflow);
  if (overflow || !(p = vae_realloc(a, v->items, bytes))) return VAE_NOMEM;
  v->items = p;
  if (with_keys) {
    bytes = vae_mul_size((size_t)ncap, sizeof *v->keys, &overflow);
    if (overflow || !(p = vae_realloc(a, v->keys, bytes))) return VAE_NOMEM;
    v->keys = p;
  }
  *cap = ncap;
  return 0;
}

static int parse_value(parser *ps, json_value *v);

static int parse_array(parser *ps, json_value *v) {
  int cap = 0, rc;
  v->type = JSON_ARRAY;
  if (++ps->depth > JSON_MAX_DEPTH)
    return fail(ps, ps->p, "nesting deeper than 64 levels");
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == ']') {
    ps->p++;
    ps->depth--;
    return VAE_OK;
  }
  for (;;) {
    json_value *item;
    if (grow(ps->mem, v, &cap, 0)) return nomem(ps);
    /* Counted before it is parsed, so a failure frees what it holds. */
    item = &v->items[v->count++];
    memset(item, 0, sizeof *item);
    if ((rc = parse_value(ps, item)) != VAE_OK) return rc;
    skip_ws(ps);
    if (ps->p == ps->end) return fail(ps, ps->p, "unexpected end of input");
    if (*ps->p == ']') break;
    if (*ps->p != ',') return fail(ps, ps->p, "expected ',' or ']'");
    ps->p++;
  }
  ps->p++;
  ps->depth--;
  return VAE_OK;
}

/* Duplicate keys: a linear scan while an object is small, then an
** open-addressing index over its keys, so that a huge object stays linear. */
typedef struct {
  int *slot;
  size_t n; /* power of two, more than twice the keys indexed */
  const vae_allocator *mem;
} key_index;

#define KEY_SCAN 16

static size_t key_hash(const char *s) {
  size_t h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

/* 1 if keys[i] equals an earlier key, 0 if not, -1 out of memory. */
static int key_seen(key_index *ix, char **keys, int i) {
  size_t h;
  int j;
  if (i < KEY_SCAN) {
    for (j = 0; j < i; j++)
      if (strcmp(keys[j], keys[i]) == 0) return 1;
    return 0;
  }
  if ((size_t)i * 2 >= ix->n) {
    size_t n = ix->n ? ix->n : 4 * KEY_SCAN;
    int overflow = 0, *slot;
    while (n <= (size_t)i * 2) n *= 2;
    slot = vae_malloc(ix->mem, vae_mul_size(n, sizeof *slot, &overflow));
    if (overflow || !slot) { vae_free(ix->mem, slot); return -1; }
    vae_free(ix->mem, ix->slot);
    ix->slot = slot;
    ix->n = n;
    memset(slot, 0xFF, n * sizeof *slot); /* all -1: empty */
    for (j = 0; j < i; j++) {
      for (h = key_hash(keys[j]) & (n - 1); slot[h] >= 0; h = (h + 1) & (n - 1)) {}
      slot[h] = j;
    }
  }
  for (h = key_hash(keys[i]) & (ix->n - 1); ix->slot[h] >= 0;
       h = (h + 1) & (ix->n - 1))
    if (strcmp(keys[ix->slot[h]], keys[i]) == 0) return 1;
  ix->slot[h] = i;
  return 0;
}

static int parse_object(parser *ps, json_value *v) {
  int cap = 0, rc = VAE_OK;
  key_index ix = {NULL, 0, ps->mem};
  v->type = JSON_OBJECT;
  if (++ps->depth > JSON_MAX_DEPTH)
    return fail(ps, ps->p, "nesting deeper than 64 levels");
  ps->p++;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == '}') {
    ps->p++;
    ps->depth--;
    return VAE_OK;
  }
  for (;;) {
    const char *at;
    char *key;
    size_t keylen;
    int seen;
    skip_ws(ps);
    at = ps->p;
    if (at == ps->end) { rc = fail(ps, at, "unexpected end of input"); break; }
    if (*at != '"') { rc = fail(ps, at, "expected a string key"); break; }
    if (grow(ps->mem, v, &cap, 1)) { rc = nomem(ps); break; }
    if ((rc = parse_string(ps, &key, &keylen)) != VAE_OK) break;
    v->keys[v->count] = key;
    memset(&v->items[v->count], 0, sizeof *v->items);
    v->count++;
    /* json_get and callers compare keys as C strings. */
    if (strlen(key) != keylen) { rc = fail(ps, at, "key contains \\u0000"); break; }
    seen = key_seen(&ix, v->keys, v->count - 1);
    if (seen < 0) { rc = nomem(ps); break; }
    if (seen) {
      char msg[80], snip[48];
      json_snippet(snip, sizeof snip, key);
      snprintf(msg, sizeof msg, "duplicate key \"%s\"", snip);
      rc = fail(ps, at, msg);
      break;
    }
    skip_ws(ps);
    if (ps->p == ps->end) { rc = fail(ps, ps->p, "unexpected end of input"); break; }
    if (*ps->p != ':') { rc = fail(ps, ps->p, "expected ':'"); break; }
    ps->p++;
    if ((rc = parse_value(ps, &v->items[v->count - 1])) != VAE_OK) break;
    skip_ws(ps);
    if (ps->p == ps->end) { rc = fail(ps, ps->p, "unexpected end of input"); break; }
    if (*ps->p == '}') { ps->p++; ps->depth--; break; }
    if (*ps->p != ',') { rc = fail(ps, ps->p, "expected ',' or '}'"); break; }
    ps->p++;
  }
  vae_free(ix.mem, ix.slot);
  return rc;
}

static int parse_value(parser *ps, json_value *v) {
  skip_ws(ps);
  if (ps->p == ps->end) return fail(ps, ps->p, "unexpected end of input");
  switch (*ps->p) {
  case '{': return parse_object(ps, v);
  case '[': return parse_array(ps, v);
  case '"':
    v->type = JSON_STRING;
    return parse_string(ps, &v->string, &v->len);
  case 't': return parse_literal(ps, "true", v, JSON_BOOL, 1);
  case 'f': return parse_literal(ps, "false", v, JSON_BOOL, 0);
  case 'n': return parse_literal(ps, "null", v, JSON_NULL, 0);
  default:
    if (*ps->p == '-' || IS_DIGIT(*ps->p)) return parse_number(ps, v);
    return fail(ps, ps->p, "expected a value");
  }
}

static void free_contents(const vae_allocator *a, json_value *v) {
  int i;
  for (i = 0; i < v->count; i++) {
    if (v->keys) vae_free(a, v->keys[i]);
    free_contents(a, &v->items[i]);
  }
  vae_free(a, v->keys);
  vae_free(a, v->items);
  vae_free(a, v->string);
}

void json_free(const vae_allocator *a, json_value *v) {
  if (!v) return;
  free_contents(a, v);
  vae_free(a, v);
}

int json_parse(const vae_allocator *a, const char *text, size_t len, json_value **out,
               char *err, size_t errlen) {
  parser ps;
  json_value *v;
  int rc;
  *out = NULL;
  if (err && errlen) err[0] = 0;
  if (!text) {
    text = "";
    len = 0;
  }
  ps.start = ps.p = text;
  ps.end = text + len;
  ps.err = err;
  ps.errlen = errlen;
  ps.depth = 0;
  ps.mem = a;
  v = vae_calloc(a, 1, sizeof *v);
  if (!v) return nomem(&ps);
  rc = parse_value(&ps, v);
  if (rc == VAE_OK) {
    skip_ws(&ps);
    if (ps.p != ps.end) rc = fail(&ps, ps.p, "unexpected data after the value");
  }
  if (rc != VAE_OK) {
    json_free(a, v);
    return rc;
  }
  *out = v;
  return VAE_OK;
}

const json_value *json_get(const json_value *obj, const char *key) {
  int i;
  if (!obj || obj->type != JSON_OBJECT || !key) return NULL;
  for (i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

void json_snippet(char *dst, size_t size, const char *s) {
  size_t max = 40, n, i;
  if (!dst || size == 0) return;
  if (!s) s = "";
  if (size < max + 4) max = size > 4 ? size - 4 : 0;
  n = strlen(s);
  if (n > max) {
    n = max;
    /* Back off to a character boundary: no half a UTF-8 sequence. */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  }
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    dst[i] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
  }
  if (n < strlen(s) && size >= n + 4) {
    memcpy(dst + n, "...", 3);
    n += 3;
  }
  dst[n < size ? n : size - 1] = 0;
}

/* ---- the string builder ---- */

/* Room for n more bytes and the NUL; 0 when the buffer has failed. */
static int reserve(vae_buf *b, size_t n) {
  size_t need, cap;
  char *p;
  if (b->failed) return 0;
  if (!b->mem || n > (size_t)-1 - b->len - 1) {
    b->failed = 1;
    return 0;
  }
  need = b->len + n + 1;
  if (need <= b->cap) return 1;
  cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > (size_t)-1 / 2 ? need : cap * 2;
  p = vae_realloc(b->mem, b->data, cap);
  if (!p) {
    b->failed = 1;
    return 0;
  }
  b->data = p;
  b->cap = cap;
  return 1;
}

void vae_buf_append(vae_buf *b, const char *s, size_t n) {
  /* cap > len once anything was appended: room is checked without a call. */
  if (!(n < b->cap - b->len && !b->failed) && !reserve(b, n)) return;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

void vae_buf_appendf(vae_buf *b, const char *fmt, ...) {
  va_list ap, ap2;
  int n;
  if (b->failed) return;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap);
  if (n < 0) b->failed = 1;
  else if (reserve(b, (size_t)n)) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
  va_end(ap);
}

void vae_buf_json_stringn(vae_buf *b, const char *s, size_t n) {
  const unsigned char *p, *e, *run;
  if (!s) {
    s = "";
    n = 0;
  }
  p = (const unsigned char *)s;
  e = p + n;
  vae_buf_append(b, "\"", 1);
  while (p < e) {
    /* Copy runs of bytes that need no escaping in one append. */
    for (run = p; p < e && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80; p++) {}
    vae_buf_append(b, (const char *)run, (size_t)(p - run));
    if (p == e) break;
    if (*p >= 0x80) {
      int k = utf8_seq(p, e);
      if (k) vae_buf_append(b, (const char *)p, (size_t)k);
      else vae_buf_append(b, "\xEF\xBF\xBD", 3);
      p += k ? k : 1;
      continue;
    }
    switch (*p) {
    case '"': vae_buf_append(b, "\\\"", 2); break;
    case '\\': vae_buf_append(b, "\\\\", 2); break;
    case '\b': vae_buf_append(b, "\\b", 2); break;
    case '\f': vae_buf_append(b, "\\f", 2); break;
    case '\n': vae_buf_append(b, "\\n", 2); break;
    case '\r': vae_buf_append(b, "\\r", 2); break;
    case '\t': vae_buf_append(b, "\\t", 2); break;
    default: vae_buf_appendf(b, "\\u%04x", (unsigned)*p); break;
    }
    p++;
  }
  vae_buf_append(b, "\"", 1);
}

void vae_buf_json_string(vae_buf *b, const char *s) {
  vae_buf_json_stringn(b, s, s ? strlen(s) : 0);
}

/* ---- numbers ---- */

/* 10^n for -18 <= n <= 38: exact for 0..22, the nearest doubles elsewhere. */
static const double pow10_tab[] = {
    1e-18, 1e-17, 1e-16, 1e-15, 1e-14, 1e-13, 1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7,
    1e-6,  1e-5,  1e-4,  1e-3,  1e-2,  1e-1,  1e0,   1e1,   1e2,   1e3,  1e4,  1e5,
    1e6,   1e7,   1e8,   1e9,   1e10,  1e11,  1e12,  1e13,  1e14,  1e15, 1e16, 1e17,
    1e18,  1e19,  1e20,  1e21,  1e22,  1e23,  1e24,  1e25,  1e26,  1e27, 1e28, 1e29,
    1e30,  1e31,  1e32,  1e33,  1e34,  1e35,  1e36,  1e37,  1e38};
#define POW10(n) pow10_tab[(n) + 18]

/* floor(log10(a)) for 1e-17 <= a < 1e37 without log10: a guess from the
** binary exponent, corrected by one comparison. Exact for floats (none
** lies near enough a power of ten for the table's rounding to matter); a
** double within a rounding of a power of ten may come out one off, which
** the callers allow for. */
static int decimal_exponent(double a) {
  uint64_t bits;
  int b, t, e;
  memcpy(&bits, &a, sizeof bits);
  b = (int)((bits >> 52) & 0x7ff) - 1022; /* 2^(b-1) <= a < 2^b */
  t = (b - 1) * 78913;                    /* 78913 / 2^18: log10(2), just below */
  e = t >= 0 ? t / 262144 : -((-t + 262143) / 262144);
  return a >= POW10(e + 1) ? e + 1 : e;
}

/* digits x 10^exp10 (digits > 0, already rounded to at most prec
** significant digits) as printf's %.{prec}g writes it; returns the
** length. out needs 32 bytes. */
static size_t format_g(char *out, int neg, uint64_t digits, int exp10, int prec) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char d[24], *s = d + sizeof d, *o = out;
  int n, x;
  while (digits % 10 == 0) {
    digits /= 10;
    exp10++;
  }
  for (; digits >= 100; digits /= 100) {
    s -= 2;
    memcpy(s, pairs + 2 * (digits % 100), 2);
  }
  if (digits >= 10) {
    s -= 2;
    memcpy(s, pairs + 2 * digits, 2);
  } else {
    *--s = (char)('0' + digits);
  }
  n = (int)(d + sizeof d - s);
  x = exp10 + n - 1; /* the exponent of the first digit */
  if (neg) *o++ = '-';
  if (x < -4 || x >= prec) {
    *o++ = s[0];
    if (n > 1) {
      *o++ = '.';
      memcpy(o, s + 1, (size_t)(n - 1));
      o += n - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    if (x < 0) x = -x;
    if (x >= 100) *o++ = (char)('0' + x / 100);
    memcpy(o, pairs + 2 * (x % 100), 2);
    o += 2;
  } else if (x >= n - 1) { /* whole: the digits, then zeros */
    memcpy(o, s, (size_t)n);
    o += n;
    memset(o, '0', (size_t)(x - n + 1));
    o += x - n + 1;
  } else if (x >= 0) {
    memcpy(o, s, (size_t)(x + 1));
    o += x + 1;
    *o++ = '.';
    memcpy(o, s + x + 1, (size_t)(n - x - 1));
    o += n - x - 1;
  } else {
    *o++ = '0';
    *o++ = '.';
    memset(o, '0', (size_t)(-x - 1));
    o += -x - 1;
    memcpy(o, s, (size_t)n);
    o += n;
  }
  *o = 0;
  return (size_t)(o - out);
}

/* x as %.15g when that reads back exactly, by arithmetic: the 15-digit
** integer m = round(|x| 10^k) is checked by m / 10^k == |x|, which is
** exact (m < 2^53 and 10^k exact for |k| <= 22, so the division or product
** is correctly rounded, as strtod is). No other decimal of at most 15
** digits reads back as x (they are spaced wider than x's ulp), so m is
** what %.15g prints, whatever the rounding of |x| 10^k. 0 when it does not
** apply: the caller goes the long way. */
static size_t fast_g15(double x, char *out) {
  double a = fabs(x), m;
  int k;
  if (!(a >= 1e-8 && a < 1e36)) return 0;
  k = 14 - decimal_exponent(a);
  if (k < -22 || k > 22) return 0;
  m = nearbyint(k >= 0 ? a * POW10(k) : a / POW10(-k));
  if (m > 1e15 || (k >= 0 ? m / POW10(k) : m * POW10(-k)) != a) return 0;
  return format_g(out, x < 0, (uint64_t)m, -k, 15);
}

void vae_buf_json_number(vae_buf *b, double x) {
  char tmp[48];
  c_numeric cn;
  size_t n;
  int prec;
  if (!isfinite(x)) {
    vae_buf_append(b, "null", 4);
    return;
  }
  if (x == 0) {
    vae_buf_append(b, signbit(x) ? "-0" : "0", signbit(x) ? 2 : 1);
    return;
  }
  if ((n = fast_g15(x, tmp)) > 0) {
    vae_buf_append(b, tmp, n);
    return;
  }
  c_numeric_enter(&cn);
  for (prec = 15; prec < 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, x);
    if (strtod(tmp, NULL) == x) break;
  }
  if (prec == 17) snprintf(tmp, sizeof tmp, "%.17g", x);
  c_numeric_leave(&cn);
  vae_buf_append(b, tmp, strlen(tmp));
}

/* |f| rounded to prec = 6, 7, 8 significant digits, the first that reads
** back as f: *m x 10^-*k, *v the double nearest it. 0 when none does, or
** the power of ten needed is not exact (then the text path decides). */
static int float_decimal(float f, double *m, int *k, double *v) {
  double a = fabs((double)f);
  int prec, e;
  if (a < 1e-17 || a >= 1e36) return 0; /* no exact 10^k for any prec */
  e = decimal_exponent(a);
  for (prec = 6; prec <= 9; prec++) {
    int s = prec - 1 - e;
    if (s < -22 || s > 22) return 0;
    *m = nearbyint(s >= 0 ? a * POW10(s) : a / POW10(-s));
    *v = s >= 0 ? *m / POW10(s) : *m * POW10(-s);
    *k = s;
    if ((float)*v == (float)a) return 1;
  }
  return 0;
}

double vae_float_double(float f) {
  char tmp[32];
  c_numeric cn;
  double m, v, d = (double)f;
  int k, prec;
  if (!isfinite(f) || f == 0) return (double)f;
  /* Arithmetic first: snprintf + strtod per value made up most of the
  ** time of vae_sample; the text path stays for what it cannot do. */
  if (float_decimal(f, &m, &k, &v)) return f < 0 ? -v : v;
  c_numeric_enter(&cn);
  for (prec = 6; prec <= 9; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
    d = strtod(tmp, NULL);
    if ((float)d == f) break;
  }
  c_numeric_leave(&cn);
  return prec <= 9 ? d : (double)f;
}

void vae_buf_json_float(vae_buf *b, float f) {
  char tmp[32];
  double m, v;
  int k;
  /* m has at most 9 digits: %.15g of the double nearest m 10^-k is m. */
  if (isfinite(f) && f != 0 && float_decimal(f, &m, &k, &v))
    vae_buf_append(b, tmp, format_g(tmp, f < 0, (uint64_t)m, -k, 15));
  else
    vae_buf_json_number(b, vae_float_double(f));
}

void vae_buf_int(vae_buf *b, int64_t v) {
  char d[24], *o = d + sizeof d;
  /* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do *--o = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) *--o = '-';
  vae_buf_append(b, o, (size_t)(d + sizeof d - o));
}

void vae_buf_json_value(vae_buf *b, const json_value *v) {
  int i;
  switch (v->type) {
  case JSON_NULL: vae_buf_append(b, "null", 4); break;
  case JSON_BOOL: vae_buf_appendf(b, "%s", v->boolean ? "true" : "false"); break;
  case JSON_NUMBER:
    /* Integers exactly, past 2^53 too; -0 keeps its sign as a double. */
    if (v->is_integer && (v->integer != 0 || !signbit(v->number)))
      vae_buf_appendf(b, "%lld", (long long)v->integer);
    else vae_buf_json_number(b, v->number);
    break;
  case JSON_STRING: vae_buf_json_stringn(b, v->string, v->len); break;
  case JSON_ARRAY:
  case JSON_OBJECT:
    vae_buf_append(b, v->type == JSON_ARRAY ? "[" : "{", 1);
    for (i = 0; i < v->count; i++) {
      if (i) vae_buf_append(b, ",", 1);
      if (v->type == JSON_OBJECT) {
        vae_buf_json_string(b, v->keys[i]);
        vae_buf_append(b, ":", 1);
      }
      vae_buf_json_value(b, &v->items[i]);
    }
    vae_buf_append(b, v->type == JSON_ARRAY ? "]" : "}", 1);
    break;
  }
}

void vae_buf_free(vae_buf *b) {
  vae_free(b->mem, b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}
