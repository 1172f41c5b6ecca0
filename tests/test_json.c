/*
** test_json.c -- unit tests of ext/json.c and ext/options.c.
**
** Every parse reads from an exact-size heap copy without a NUL terminator,
** so that a sanitizer catches any read past text + len. Out-of-memory runs
** fail each allocation in turn and must return VAE_NOMEM without a leak
** (build with -fsanitize=address or run under valgrind).
**
**   cc -std=c99 -Wall -Wextra -g -fsanitize=address,undefined -Iext -Icore \
**     tests/test_json.c ext/json.c ext/options.c core/[a-z]*.c -lopenblas -lm
*/
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "test_mem.h"
#include "options.h"
#include "vae.h"

static int npass, nfail;

#define CHECK(cond, ...)                                         \
  do {                                                           \
    if (cond) {                                                  \
      npass++;                                                   \
    } else {                                                     \
      nfail++;                                                   \
      printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
      printf(__VA_ARGS__);                                       \
      printf("\n");                                              \
    }                                                            \
  } while (0)

/* Parses text[0..len) from a heap copy with nothing after it. */
static int parse_n(const char *text, size_t len, json_value **v, char *err,
                   size_t errlen) {
  char *copy = malloc(len ? len : 1);
  int rc;
  memcpy(copy, text, len);
  rc = json_parse(&test_mem, copy, len, v, err, errlen);
  free(copy);
  return rc;
}

static json_value *ok(const char *text) {
  char err[256];
  json_value *v = NULL;
  int rc = parse_n(text, strlen(text), &v, err, sizeof err);
  CHECK(rc == VAE_OK && v, "%s -> rc %d: %s", text, rc, err);
  return v;
}

/* The parse must fail with exactly `want` (or containing it, if partial). */
static void bad_n(const char *text, size_t len, const char *want, int exact) {
  char err[256];
  json_value *v = (json_value *)&err; /* must be reset to NULL */
  int rc = parse_n(text, len, &v, err, sizeof err);
  CHECK(rc == VAE_INVALID && v == NULL, "%.*s -> rc %d", (int)len, text, rc);
  if (want)
    CHECK(exact ? strcmp(err, want) == 0 : strstr(err, want) != NULL,
          "%.*s -> \"%s\", want \"%s\"", (int)len, text, err, want);
}
static void bad(const char *text, const char *want) {
  bad_n(text, strlen(text), want, 0);
}

static char *dump(const json_value *v) {
  vae_buf b = {.mem = &test_mem};
  vae_buf_json_value(&b, v);
  return b.data;
}

static void test_values(void) {
  json_value *v;
  const json_value *w;
  char *s;

  v = ok("null"); CHECK(v->type == JSON_NULL, "null"); json_free(&test_mem, v);
  v = ok(" true "); CHECK(v->type == JSON_BOOL && v->boolean, "true"); json_free(&test_mem, v);
  v = ok("false"); CHECK(v->type == JSON_BOOL && !v->boolean, "false"); json_free(&test_mem, v);
  v = ok("0");
  CHECK(v->type == JSON_NUMBER && v->is_integer && v->integer == 0, "0");
  json_free(&test_mem, v);
  v = ok("-0");
  CHECK(v->is_integer && v->integer == 0 && signbit(v->number), "-0");
  json_free(&test_mem, v);
  v = ok("-123");
  CHECK(v->is_integer && v->integer == -123 && v->number == -123.0, "-123");
  json_free(&test_mem, v);
  v = ok("1.5"); CHECK(!v->is_integer && v->number == 1.5, "1.5"); json_free(&test_mem, v);
  v = ok("1.0"); CHECK(!v->is_integer && v->number == 1.0, "1.0"); json_free(&test_mem, v);
  v = ok("1e3"); CHECK(!v->is_integer && v->number == 1000.0, "1e3"); json_free(&test_mem, v);
  v = ok("-2.5E-3"); CHECK(v->number == -2.5e-3, "-2.5E-3"); json_free(&test_mem, v);
  v = ok("1e+2"); CHECK(v->number == 100.0, "1e+2"); json_free(&test_mem, v);
  v = ok("0.1"); CHECK(v->number == 0.1, "0.1"); json_free(&test_mem, v);
  v = ok("1e-400"); CHECK(v->number == 0.0, "underflow"); json_free(&test_mem, v);
  v = ok("9223372036854775807");
  CHECK(v->is_integer && v->integer == INT64_MAX, "int64 max");
  CHECK(v->number == 9223372036854775807.0, "int64 max as double");
  json_free(&test_mem, v);
  v = ok("-9223372036854775808");
  CHECK(v->is_integer && v->integer == INT64_MIN, "int64 min");
  json_free(&test_mem, v);
  v = ok("9223372036854775808");
  CHECK(!v->is_integer && v->number == 9223372036854775808.0, "2^63");
  json_free(&test_mem, v);
  v = ok("-9223372036854775809");
  CHECK(!v->is_integer, "below int64 min");
  json_free(&test_mem, v);
  v = ok("9007199254740993");
  CHECK(v->is_integer && v->integer == 9007199254740993LL, "2^53+1 exact");
  json_free(&test_mem, v);
  v = ok("123456789012345678901234567890.5e-10");
  CHECK(fabs(v->number - 12345678901234567890.12345678905) < 1e4, "long number");
  json_free(&test_mem, v);

  /* Escapes. */
  v = ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
  CHECK(v->type == JSON_STRING && v->len == 8 &&
        memcmp(v->string, "\"\\/\b\f\n\r\t", 9) == 0, "escapes");
  json_free(&test_mem, v);
  v = ok("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
  CHECK(strcmp(v->string, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == 0,
        "\\u escapes: %s", v->string);
  json_free(&test_mem, v);
  v = ok("\"a\\u0000b\"");
  CHECK(v->len == 3 && memcmp(v->string, "a\0b", 4) == 0, "\\u0000");
  json_free(&test_mem, v);
  v = ok("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x7F\"");
  CHECK(v->len == 10, "raw UTF-8 kept");
  json_free(&test_mem, v);
  v = ok("\"\"");
  CHECK(v->type == JSON_STRING && v->len == 0 && v->string[0] == 0, "empty");
  json_free(&test_mem, v);

  /* Containers. */
  v = ok(" { \"a\" : [1, 2.5, \"x\", null, true, {}, []], \"b\":{\"c\":-1} } ");
  CHECK(v->type == JSON_OBJECT && v->count == 2, "object");
  w = json_get(v, "a");
  CHECK(w && w->type == JSON_ARRAY && w->count == 7, "array");
  CHECK(w && w->items[2].type == JSON_STRING && strcmp(w->items[2].string, "x") == 0, "x");
  CHECK(w && w->items[5].type == JSON_OBJECT && w->items[5].count == 0, "{}");
  CHECK(w && w->items[6].type == JSON_ARRAY && w->items[6].count == 0, "[]");
  w = json_get(json_get(v, "b"), "c");
  CHECK(w && w->integer == -1, "nested get");
  CHECK(json_get(v, "zz") == NULL, "absent key");
  CHECK(json_get(json_get(v, "a"), "a") == NULL, "get on array");
  CHECK(json_get(NULL, "a") == NULL, "get on NULL");
  s = dump(v);
  CHECK(s && strcmp(s, "{\"a\":[1,2.5,\"x\",null,true,{},[]],\"b\":{\"c\":-1}}") == 0,
        "dump: %s", s);
  free(s);
  json_free(&test_mem, v);
  json_free(&test_mem, NULL);

  /* Whitespace of every permitted kind; text need not be NUL-terminated. */
  v = ok("\t\r\n [ \t1\r\n]\n");
  CHECK(v->count == 1, "whitespace");
  json_free(&test_mem, v);
  {
    json_value *x = NULL;
    CHECK(json_parse(&test_mem, "[1]xyz", 3, &x, NULL, 0) == VAE_OK && x && x->count == 1,
          "len bounds the text");
    json_free(&test_mem, x);
    CHECK(json_parse(&test_mem, NULL, 0, &x, NULL, 0) == VAE_INVALID && !x, "NULL text");
  }
}

static void test_errors(void) {
  char err[256], big[64];
  json_value *v;

  bad_n("{\"a\" 1}", 7, "bad JSON at offset 5: expected ':'", 1);
  bad_n("", 0, "bad JSON at offset 0: unexpected end of input", 1);
  bad_n("   ", 3, "bad JSON at offset 3: unexpected end of input", 1);
  bad_n("{\"x\":1,\"x\":2}", 13, "bad JSON at offset 7: duplicate key \"x\"", 1);
  bad("nul", "offset 0: expected a value");
  bad("tru", "expected a value");
  bad("True", "expected a value");
  bad("nulll", "offset 4: unexpected data after the value");
  bad("[1,]", "offset 3: expected a value");
  bad("[1 2]", "offset 3: expected ',' or ']'");
  bad("[1", "unexpected end of input");
  bad("[", "unexpected end of input");
  bad("{", "unexpected end of input");
  bad("{\"a\"", "unexpected end of input");
  bad("{\"a\":", "unexpected end of input");
  bad("{\"a\":1", "unexpected end of input");
  bad("{\"a\":1,}", "offset 7: expected a string key");
  bad("{1:2}", "offset 1: expected a string key");
  bad("{'a':2}", "expected a string key");
  bad("{\"a\":1 \"b\":2}", "offset 7: expected ',' or '}'");
  bad("01", "offset 1: invalid number (leading zero)");
  bad("-01", "invalid number (leading zero)");
  bad("-", "offset 1: invalid number");
  bad("- 1", "invalid number");
  bad("1.", "offset 2: invalid number");
  bad("1.e5", "invalid number");
  bad("1e", "invalid number");
  bad("1e+", "invalid number");
  bad(".5", "expected a value");
  bad("+1", "expected a value");
  bad("0x10", "unexpected data after the value");
  bad("NaN", "expected a value");
  bad("nan", "expected a value");
  bad("Infinity", "expected a value");
  bad("-Infinity", "offset 1: invalid number");
  bad("[1e400]", "offset 1: number out of range");
  bad("-1e400", "number out of range");
  bad("\"abc", "offset 4: unterminated string");
  bad("\"abc\\", "unterminated string");
  bad("\"abc\\\"", "unterminated string");
  bad("\"\\x\"", "offset 1: invalid escape");
  bad("\"\\U0041\"", "invalid escape");
  bad("\"\\u12\"", "invalid \\u escape");
  bad("\"\\u12", "invalid \\u escape");
  bad("\"\\u12g4\"", "invalid \\u escape");
  bad("\"\\ud800\"", "offset 1: lone surrogate in \\u escape");
  bad("\"\\udc00\"", "lone surrogate");
  bad("\"\\ud800\\u0041\"", "lone surrogate");
  bad("\"\\ud800\\ud800\"", "lone surrogate");
  bad("\"\\ud800\\", "lone surrogate");
  bad("\"\\ud800\\u", "lone surrogate");
  bad("\"\\ud800x\"", "lone surrogate");
  bad("\"a\nb\"", "offset 2: control character in string");
  bad("\"a\tb\"", "control character in string");
  bad_n("\"a\0b\"", 5, "offset 2: control character in string", 0);
  bad_n("1\0", 2, "offset 1: unexpected data after the value", 0);
  bad("\"\xFF\"", "offset 1: invalid UTF-8 in string");
  bad("\"\xC0\xAF\"", "invalid UTF-8");           /* overlong '/' */
  bad("\"\xE0\x80\xAF\"", "invalid UTF-8");       /* overlong */
  bad("\"\xED\xA0\x80\"", "invalid UTF-8");       /* encoded surrogate */
  bad("\"\xF4\x90\x80\x80\"", "invalid UTF-8");   /* past U+10FFFF */
  bad("\"\xF5\x80\x80\x80\"", "invalid UTF-8");
  bad("\"\xE2\x82\"", "invalid UTF-8");           /* cut sequence */
  bad_n("\"\xE2\x82", 3, "invalid UTF-8", 0);     /* cut at the end */
  bad("\"\x80\"", "invalid UTF-8");               /* lone continuation */
  bad("{\"a\\u0000\":1}", "offset 1: key contains \\u0000");
  bad("1 2", "offset 2: unexpected data after the value");
  bad("{} x", "unexpected data after the value");
  bad("[]]", "unexpected data after the value");
  bad("\xEF\xBB\xBF{}", "offset 0: expected a value"); /* no BOM */
  bad("{\"a\":1,\"b\":{\"c\":2,\"c\":3}}", "offset 18: duplicate key \"c\"");
  bad("[\v]", "expected a value");

  /* Depth: 64 nested containers are fine, 65 are not. */
  {
    char deep[400];
    int i;
    for (i = 0; i < 64; i++) deep[i] = '[', deep[64 + i] = ']';
    deep[128] = 0;
    v = ok(deep);
    json_free(&test_mem, v);
    for (i = 0; i < 65; i++) deep[i] = '[', deep[65 + i] = ']';
    deep[130] = 0;
    bad(deep, "offset 64: nesting deeper than 64 levels");
    for (i = 0; i < 63; i++) memcpy(deep + 4 * i, "{\"\":", 4);
    strcpy(deep + 4 * 63, "{}");
    for (i = 0; i < 63; i++) deep[4 * 63 + 2 + i] = '}';
    deep[4 * 63 + 2 + 63] = 0;
    v = ok(deep);
    json_free(&test_mem, v);
    memmove(deep + 4, deep, strlen(deep) + 1);
    memcpy(deep, "{\"\":", 4);
    strcat(deep, "}");
    bad(deep, "nesting deeper than 64 levels");
    /* A deep prefix with no end must not recurse without bound. */
    {
      char *flood = malloc(100000);
      memset(flood, '[', 100000);
      bad_n(flood, 100000, "nesting deeper than 64 levels", 0);
      memset(flood, '{', 100000);
      bad_n(flood, 100000, "expected a string key", 0);
      free(flood);
    }
  }

  /* Duplicate keys in a large object go through the hash index. */
  {
    vae_buf b = {.mem = &test_mem};
    int i;
    vae_buf_append(&b, "{", 1);
    for (i = 0; i < 300; i++) vae_buf_appendf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    vae_buf_append(&b, "}", 1);
    v = ok(b.data);
    CHECK(v && v->count == 300 && json_get(v, "k299")->integer == 299, "300 keys");
    json_free(&test_mem, v);
    b.len--;
    vae_buf_append(&b, ",\"k123\":0}", 10);
    bad(b.data, "duplicate key \"k123\"");
    vae_buf_free(&b);
  }

  /* The message is truncated to the buffer, and a missing buffer is fine. */
  CHECK(json_parse(&test_mem, "[1,]", 4, &v, err, 10) == VAE_INVALID && strlen(err) == 9,
        "short err: %s", err);
  CHECK(json_parse(&test_mem, "[1,]", 4, &v, NULL, 0) == VAE_INVALID, "no err buffer");
  CHECK(json_parse(&test_mem, "[1,]", 4, &v, err, 0) == VAE_INVALID, "errlen 0");
  /* A duplicate key too long to quote whole. */
  memset(big, 'k', sizeof big);
  {
    vae_buf b = {.mem = &test_mem};
    vae_buf_appendf(&b, "{\"%.*s\":1,\"%.*s\":2}", 60, big, 60, big);
    bad(b.data, "duplicate key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\"");
    vae_buf_free(&b);
  }
}

/* Every proper prefix of a container is invalid and must fail cleanly; every
** one-byte change must not crash. */
static void test_prefixes(void) {
  static const char *docs[] = {
    "{\"a\":[1,2.5e-3,\"x\\u00e9\\ud83d\\ude00\",null,true,false],\"b\":{}}",
    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",-0.5,1E+2,[[]],{\"k\":\"\xE2\x82\xAC\"}]",
    "{\"columns\":[\"a\",\"b\"],\"types\":{\"a\":\"categorical\"},\"hidden\":[64,32]}",
    "[123456789012345678901234567890,-9223372036854775808,0]",
  };
  static const unsigned char subst[] = {0, '"', '\\', '[', ']', '{', '}', ',',
                                        ':', '0', 'e', '-', 'u', 0x80, 0xFF, ' '};
  size_t d, n, i, k;
  for (d = 0; d < sizeof docs / sizeof docs[0]; d++) {
    size_t len = strlen(docs[d]);
    json_value *v;
    char err[128];
    int failed = 0;
    v = ok(docs[d]);
    json_free(&test_mem, v);
    for (n = 0; n < len; n++) {
      int rc = parse_n(docs[d], n, &v, err, sizeof err);
      if (rc != VAE_INVALID || v || strncmp(err, "bad JSON at offset ", 19) != 0) {
        failed++;
        json_free(&test_mem, v);
      }
    }
    CHECK(failed == 0, "doc %d: %d prefixes did not fail cleanly", (int)d, failed);
    for (i = 0; i < len; i++) {
      char *m = malloc(len);
      for (k = 0; k < sizeof subst; k++) {
        vae_options o;
        memcpy(m, docs[d], len);
        m[i] = (char)subst[k];
        if (json_parse(&test_mem, m, len, &v, err, sizeof err) == VAE_OK) json_free(&test_mem, v);
        vae_options_parse(&test_mem, m, len, &o, err, sizeof err);
        vae_options_free(&o);
      }
      free(m);
    }
  }
}

static void test_buf(void) {
  vae_buf b = {.mem = &test_mem};
  static const struct { double x; const char *s; } nums[] = {
    {0.0, "0"}, {-0.0, "-0"}, {1.5, "1.5"}, {0.1, "0.1"}, {-2.0, "-2"},
    {123456789.0, "123456789"}, {1e300, "1e+300"}, {1e-7, "1e-07"},
    {1.0 / 3.0, "0.3333333333333333"}, {5e-324, "4.94065645841247e-324"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
  };
  size_t i;
  json_value *v;

  CHECK(b.data == NULL && b.len == 0, "empty buf");
  vae_buf_append(&b, "ab", 2);
  vae_buf_appendf(&b, "%d-%s", 42, "x");
  CHECK(strcmp(b.data, "ab42-x") == 0 && b.len == 6, "append: %s", b.data);
  vae_buf_append(&b, NULL, 0);
  CHECK(b.len == 6, "empty append");
  vae_buf_free(&b);
  vae_buf_appendf(&b, "%0300d", 7);
  CHECK(b.len == 300 && b.data[299] == '7' && b.data[300] == 0, "long appendf");
  vae_buf_free(&b);

  for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
    vae_buf_json_number(&b, nums[i].x);
    CHECK(strcmp(b.data, nums[i].s) == 0, "number %.17g -> %s", nums[i].x, b.data);
    vae_buf_free(&b);
  }
  vae_buf_json_number(&b, NAN);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_number(&b, INFINITY);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_number(&b, -INFINITY);
  CHECK(strcmp(b.data, "null,null,null") == 0, "non-finite: %s", b.data);
  vae_buf_free(&b);
  /* Round trip of awkward doubles, bit for bit. */
  {
    double x = 0.1;
    int bad_rt = 0;
    for (i = 0; i < 2000; i++) {
      x = x * 1.37 + 1e-3 * (double)i;
      if (x > 1e300) x = 1e-300 * (double)(i + 1);
      vae_buf_json_number(&b, (i & 1) ? -x : x);
      if (strtod(b.data, NULL) != ((i & 1) ? -x : x)) bad_rt++;
      vae_buf_free(&b);
    }
    CHECK(bad_rt == 0, "%d doubles did not round trip", bad_rt);
  }

  vae_buf_json_string(&b, "a\"b\\c\n\t\x01\x1F\x7F/\xC3\xA9");
  CHECK(strcmp(b.data, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7F/\xC3\xA9\"") == 0,
        "escaped: %s", b.data);
  vae_buf_free(&b);
  vae_buf_json_string(&b, "x\xFFy\xE2\x82");
  CHECK(strcmp(b.data, "\"x\xEF\xBF\xBDy\xEF\xBF\xBD\xEF\xBF\xBD\"") == 0,
        "invalid UTF-8 replaced: %s", b.data);
  vae_buf_free(&b);
  vae_buf_json_stringn(&b, "a\0b", 3);
  CHECK(strcmp(b.data, "\"a\\u0000b\"") == 0, "NUL: %s", b.data);
  vae_buf_free(&b);
  vae_buf_json_string(&b, NULL);
  CHECK(strcmp(b.data, "\"\"") == 0, "NULL string");
  vae_buf_free(&b);

  /* Writer output parses back to the same tree. */
  {
    const char *doc = "{\"s\":\"\\u0000\\u001f\xF0\x9F\x98\x80\\\"\",\"n\":[-0.25,-0,0,"
                      "1e-300,9223372036854775807,-9223372036854775808,"
                      "18446744073709551616],\"o\":{\"\":[null,false]}}";
    char *s1, *s2;
    json_value *w;
    v = ok(doc);
    s1 = dump(v);
    w = ok(s1);
    s2 = dump(w);
    CHECK(s1 && s2 && strcmp(s1, s2) == 0, "round trip: %s vs %s", s1, s2);
    free(s1);
    free(s2);
    json_free(&test_mem, v);
    json_free(&test_mem, w);
  }

  /* After a failed allocation nothing more is appended. */
  vae_buf_append(&b, "abc", 3);
  vae_mem_fail_at(1, 0);
  vae_buf_appendf(&b, "%0100d", 1);
  vae_mem_fail_at(-1, 0);
  CHECK(b.failed && b.len == 3 && strcmp(b.data, "abc") == 0, "failed buf");
  vae_buf_append(&b, "d", 1);
  vae_buf_json_string(&b, "e");
  vae_buf_json_number(&b, 1.0);
  CHECK(b.len == 3, "appends after failure ignored");
  vae_buf_free(&b);
  CHECK(!b.failed && !b.data, "free resets");
  vae_mem_fail_at(1, 0);
  vae_buf_append(&b, "x", 1);
  vae_mem_fail_at(-1, 0);
  CHECK(b.failed && b.data == NULL, "first append fails");
  vae_buf_free(&b);

  /* The snippet helper. */
  {
    char s[48];
    json_snippet(s, sizeof s, "ab\ncd");
    CHECK(strcmp(s, "ab?cd") == 0, "snippet: %s", s);
    json_snippet(s, sizeof s,
                 "0123456789012345678901234567890123456789\xC3\xA9");
    CHECK(strcmp(s, "0123456789012345678901234567890123456789...") == 0, "%s", s);
    json_snippet(s, sizeof s,
                 "012345678901234567890123456789012345678\xC3\xA9");
    CHECK(strcmp(s, "012345678901234567890123456789012345678...") == 0,
          "cut at a character boundary: %s", s);
    json_snippet(s, 8, "abcdefghij");
    CHECK(strcmp(s, "abcd...") == 0, "small dst: %s", s);
    json_snippet(s, 2, "abcdefghij");
    CHECK(strcmp(s, "") == 0, "tiny dst: %s", s);
    json_snippet(s, sizeof s, NULL);
    CHECK(strcmp(s, "") == 0, "NULL snippet");
  }
}

/* ---- numbers against the writers as they were (snprintf and strtod) ---- */

#ifndef NUMBER_TRIALS
#define NUMBER_TRIALS 200000
#endif

static void ref_json_number(char *out, size_t size, double x) {
  int prec;
  if (!isfinite(x)) {
    snprintf(out, size, "null");
    return;
  }
  for (prec = 15; prec < 17; prec++) {
    snprintf(out, size, "%.*g", prec, x);
    if (strtod(out, NULL) == x) return;
  }
  snprintf(out, size, "%.17g", x);
}

static int ref_round_digits(double d, int prec, double *out) {
  static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  int k = prec - 1 - (int)floor(log10(fabs(d)));
  if (k >= 0 && k <= 22) *out = nearbyint(d * p10[k]) / p10[k];
  else if (k < 0 && -k <= 22) *out = nearbyint(d / p10[-k]) * p10[-k];
  else return 0;
  return 1;
}

/* Significant digits of a number's text: a float never needs more than 9
** (13.538692f once came out as 13.538691520690918). */
static int significant_digits(const char *text) {
  int n = 0, last = 0; /* digits from the first nonzero one to the last */
  for (const char *c = text; *c && *c != 'e' && *c != 'E'; c++) {
    if (*c < '0' || *c > '9' || (n == 0 && *c == '0')) continue;
    n++;
    if (*c != '0') last = n;
  }
  return last;
}

static double ref_float_double(float f) {
  char tmp[32];
  int prec;
  if (!isfinite(f) || f == 0) return (double)f;
  for (prec = 6; prec <= 9; prec++) {
    double d;
    if (!ref_round_digits((double)f, prec, &d)) break;
    if ((float)d == f) return d;
  }
  for (prec = 6; prec <= 9; prec++) {
    double d;
    snprintf(tmp, sizeof tmp, "%.*g", prec, (double)f);
    d = strtod(tmp, NULL);
    if ((float)d == f) return d;
  }
  return (double)f;
}

static uint64_t mix_state = 0x853c49e6748fea9bULL;
static uint64_t mix64(void) {
  uint64_t z = (mix_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static int same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* A double of case i: raw bit patterns (subnormals, huge, every exponent),
** short decimals, integers, neighbours of powers of ten, floats. */
static double test_double(long i) {
  uint64_t r = mix64();
  double x;
  char tmp[48];
  switch (i % 6) {
  case 0: memcpy(&x, &r, sizeof x); return x;
  case 1:
    snprintf(tmp, sizeof tmp, "%llue%d", (unsigned long long)(r >> 11) % 1000000000000000ULL,
             (int)(mix64() % 60) - 40);
    return strtod(tmp, NULL) * ((r & 1) ? -1 : 1);
  case 2:
    snprintf(tmp, sizeof tmp, "%llue%d", (unsigned long long)(r % 100000000ULL),
             (int)(mix64() % 50) - 30);
    return strtod(tmp, NULL);
  case 3: return (double)(int64_t)(r >> (r % 64));
  case 4: {
    int k;
    snprintf(tmp, sizeof tmp, "1e%d", (int)(r % 90) - 45);
    x = strtod(tmp, NULL);
    for (k = (int)(mix64() % 9) - 4; k > 0; k--) x = nextafter(x, INFINITY);
    for (; k < 0; k++) x = nextafter(x, 0);
    return x;
  }
  default: {
    uint32_t u = (uint32_t)r;
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
  }
  }
}

static float test_float(long i) {
  uint64_t r = mix64();
  uint32_t u = (uint32_t)r;
  float f;
  char tmp[48];
  switch (i % 4) {
  case 0: memcpy(&f, &u, sizeof f); return f;
  case 1:
    snprintf(tmp, sizeof tmp, "%llue%d", (unsigned long long)((r >> 32) % 1000000000ULL),
             (int)(mix64() % 80) - 50);
    return strtof(tmp, NULL) * ((r & 1) ? -1.0f : 1.0f);
  case 2: {
    int k;
    snprintf(tmp, sizeof tmp, "1e%d", (int)(r % 84) - 45);
    f = strtof(tmp, NULL);
    for (k = (int)(mix64() % 9) - 4; k > 0; k--) f = nextafterf(f, INFINITY);
    for (; k < 0; k++) f = nextafterf(f, 0);
    return f;
  }
  default: return (float)((double)(int64_t)(r >> 8) * 1e-6); /* data-like */
  }
}

static void test_numbers(void) {
  static const int64_t ints[] = {0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN};
  char ref[48];
  vae_buf b = {.mem = &test_mem};
  long i, bad_text = 0, bad_rt = 0, bad_fd = 0, bad_ftext = 0, bad_frt = 0, bad_flen = 0;
  size_t k;
  for (i = 0; i < NUMBER_TRIALS; i++) {
    double x = test_double(i);
    vae_buf_json_number(&b, x);
    ref_json_number(ref, sizeof ref, x);
    if (!b.data || strcmp(b.data, ref) != 0) {
      if (bad_text++ < 5) printf("  %.17g: %s, was %s\n", x, b.data, ref);
    } else if (isfinite(x) && !same_double(strtod(b.data, NULL), x)) {
      bad_rt++;
    }
    vae_buf_free(&b);
  }
  CHECK(bad_text == 0, "%ld of %d doubles written unlike %%.15g..%%.17g", bad_text,
        NUMBER_TRIALS);
  CHECK(bad_rt == 0, "%ld doubles did not read back", bad_rt);
  for (i = 0; i < NUMBER_TRIALS; i++) {
    float f = test_float(i);
    double d = vae_float_double(f), dref = ref_float_double(f);
    if (!same_double(d, dref) && !(isnan(d) && isnan(dref))) {
      if (bad_fd++ < 5) printf("  float %.9g: %.17g, was %.17g\n", (double)f, d, dref);
    }
    vae_buf_json_float(&b, f);
    ref_json_number(ref, sizeof ref, dref);
    if (!b.data || strcmp(b.data, ref) != 0) {
      if (bad_ftext++ < 5) printf("  float %.9g: %s, was %s\n", (double)f, b.data, ref);
    } else if (isfinite(f) && !((float)strtod(b.data, NULL) == f &&
                                !signbit(strtod(b.data, NULL)) == !signbit(f))) {
      bad_frt++;
    }
    if (b.data && significant_digits(b.data) > 9) {
      if (bad_flen++ < 5) printf("  float %.9g written as %s\n", (double)f, b.data);
    }
    vae_buf_free(&b);
  }
  CHECK(bad_flen == 0, "%ld floats written with more than 9 significant digits", bad_flen);
  CHECK(bad_fd == 0, "%ld of %d floats: vae_float_double changed", bad_fd, NUMBER_TRIALS);
  CHECK(bad_ftext == 0, "%ld of %d floats written unlike before", bad_ftext, NUMBER_TRIALS);
  CHECK(bad_frt == 0, "%ld floats did not read back", bad_frt);
  vae_buf_json_float(&b, 0.1f);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_float(&b, -0.0f);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_float(&b, 1e-40f);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_float(&b, NAN);
  vae_buf_append(&b, ",", 1);
  vae_buf_json_float(&b, 3e38f);
  CHECK(b.data && strcmp(b.data, "0.1,-0,9.99995e-41,null,3e+38") == 0, "floats: %s",
        b.data);
  vae_buf_free(&b);
  for (k = 0; k < sizeof ints / sizeof ints[0]; k++) {
    snprintf(ref, sizeof ref, "%lld", (long long)ints[k]);
    vae_buf_int(&b, ints[k]);
    CHECK(b.data && strcmp(b.data, ref) == 0, "integer %s: %s", ref, b.data);
    vae_buf_free(&b);
  }
}

/* A decimal comma in LC_NUMERIC must not change the JSON. */
static void test_locale(void) {
  static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                "fr_FR.utf8", "nl_NL.UTF-8"};
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (setlocale(LC_NUMERIC, names[i])) {
      json_value *v = ok("[2.5,1e-3]");
      vae_buf b = {.mem = &test_mem};
      CHECK(v && v->items[0].number == 2.5 && v->items[1].number == 1e-3,
            "parse under %s", names[i]);
      vae_buf_json_number(&b, 2.5);
      CHECK(b.data && strcmp(b.data, "2.5") == 0, "write under %s: %s",
            names[i], b.data);
      vae_buf_free(&b);
      /* The long ways, through snprintf and strtod: 17 digits, and a
      ** float beyond the arithmetic's exact powers of ten. */
      vae_buf_json_number(&b, 0.1 + 0.2);
      vae_buf_append(&b, " ", 1);
      vae_buf_json_float(&b, 1.5e-20f);
      CHECK(b.data && strcmp(b.data, "0.30000000000000004 1.5e-20") == 0,
            "long write under %s: %s", names[i], b.data);
      vae_buf_free(&b);
      CHECK(vae_strtod("0.30000000000000004") == 0.1 + 0.2 && vae_strtod("-1.25e-3") == -1.25e-3,
            "vae_strtod under %s", names[i]);
      json_free(&test_mem, v);
      setlocale(LC_NUMERIC, "C");
      return;
    }
  }
  printf("note: no decimal-comma locale installed (make test builds one with localedef "
         "from Debian's locales); locale test skipped\n");
}

/* ---- options ---- */

static int opt(const char *json, vae_options *o, char *err, size_t errlen) {
  char *copy = malloc(strlen(json) + 1);
  int rc;
  memcpy(copy, json, strlen(json)); /* no NUL: must not be needed */
  rc = vae_options_parse(&test_mem, copy, strlen(json), o, err, errlen);
  free(copy);
  return rc;
}

static void opt_ok(const char *json, vae_options *o) {
  char err[256];
  int rc = opt(json, o, err, sizeof err);
  CHECK(rc == VAE_OK, "%s -> %d: %s", json, rc, err);
}

static void opt_bad(const char *json, const char *want) {
  char err[256];
  vae_options o;
  vae_config def;
  int rc = opt(json, &o, err, sizeof err);
  vae_config_default(&def);
  CHECK(rc == VAE_INVALID && strcmp(err, want) == 0, "%s -> %d \"%s\", want \"%s\"",
        json, rc, err, want);
  CHECK(o.given == 0 && !o.columns && !o.type_columns && !o.type_kinds &&
        o.ncolumns == 0 && o.ntypes == 0 && !o.warm_start &&
        memcmp(&o.cfg, &def, sizeof def) == 0, "%s: options not reset", json);
  vae_options_free(&o);
}

static void test_kinds(void) {
  CHECK(strcmp(vae_kind_name(VAE_REAL), "real") == 0, "real");
  CHECK(strcmp(vae_kind_name(VAE_INTEGER), "integer") == 0, "integer");
  CHECK(strcmp(vae_kind_name(VAE_BINARY), "binary") == 0, "binary");
  CHECK(strcmp(vae_kind_name(VAE_CATEGORICAL), "categorical") == 0, "cat");
  CHECK(strcmp(vae_kind_name(4), "unknown") == 0 &&
        strcmp(vae_kind_name(-1), "unknown") == 0, "bad kind");
  CHECK(vae_kind_from_name("real") == VAE_REAL, "from real");
  CHECK(vae_kind_from_name("numeric") == VAE_REAL, "from numeric");
  CHECK(vae_kind_from_name("integer") == VAE_INTEGER, "from integer");
  CHECK(vae_kind_from_name("binary") == VAE_BINARY, "from binary");
  CHECK(vae_kind_from_name("Categorical") == VAE_CATEGORICAL, "from Categorical");
  CHECK(vae_kind_from_name("categoricalx") == -1, "longer");
  CHECK(vae_kind_from_name("categ") == -1, "shorter");
  CHECK(vae_kind_from_name("") == -1 && vae_kind_from_name(NULL) == -1, "empty");
}

static void test_options(void) {
  vae_options o;
  vae_config def;
  char err[256];
  vae_config_default(&def);

  CHECK(vae_options_parse(&test_mem, NULL, 0, &o, err, sizeof err) == VAE_OK &&
        o.given == 0 && memcmp(&o.cfg, &def, sizeof def) == 0 && !o.columns,
        "NULL options");
  vae_options_free(&o);
  opt_ok(" {} ", &o);
  CHECK(o.given == 0 && memcmp(&o.cfg, &def, sizeof def) == 0, "{}");
  vae_options_free(&o);
  vae_options_free(&o); /* twice is harmless */
  vae_options_free(NULL);

  opt_ok("{\"columns\":[\"a\",\"b c\",\"\xC3\xA9\"],\"types\":{\"a\":\"categorical\","
         "\"b c\":\"numeric\",\"z\":\"Integer\",\"w\":\"binary\"},\"latent\":8,"
         "\"hidden\":[64,32],\"epochs\":5,\"batch\":32,\"lr\":0.01,\"beta\":0.5,"
         "\"samples\":4,\"impute_samples\":100,\"seed\":42,\"holdout\":0.2,"
         "\"max_rows\":1000,\"verbose\":true,\"warm_start\":true,"
         "\"mask_rate\":0.3,\"patience\":7}", &o);
  CHECK(o.given == (1UL << (VAE_OPT_PATIENCE + 1)) - 1, "all given: %lx", o.given);
  CHECK(o.ncolumns == 3 && strcmp(o.columns[1], "b c") == 0 &&
        strcmp(o.columns[2], "\xC3\xA9") == 0, "columns");
  CHECK(o.ntypes == 4 && strcmp(o.type_columns[0], "a") == 0 &&
        o.type_kinds[0] == VAE_CATEGORICAL && o.type_kinds[1] == VAE_REAL &&
        o.type_kinds[2] == VAE_INTEGER && o.type_kinds[3] == VAE_BINARY, "types");
  CHECK(o.cfg.latent == 8 && o.cfg.nhidden == 2 && o.cfg.hidden[0] == 64 &&
        o.cfg.hidden[1] == 32 && o.cfg.epochs == 5 && o.cfg.batch == 32 &&
        o.cfg.lr == 0.01 && o.cfg.beta == 0.5 && o.cfg.samples == 4 &&
        o.cfg.impute_samples == 100 && o.cfg.seed == 42 &&
        o.cfg.holdout == 0.2 && o.max_rows == 1000 && o.verbose == 1 &&
        o.warm_start == 1 && o.cfg.mask_rate == 0.3 && o.cfg.patience == 7,
        "values");
  vae_options_free(&o);
  CHECK(!o.columns && !o.type_columns && !o.type_kinds && !o.ncolumns &&
        !o.ntypes, "free clears");

  /* Bounds that are allowed. */
  opt_ok("{\"hidden\":128}", &o);
  CHECK(o.cfg.nhidden == 1 && o.cfg.hidden[0] == 128 &&
        o.given == VAE_OPT_BIT(VAE_OPT_HIDDEN), "single hidden");
  vae_options_free(&o);
  opt_ok("{\"hidden\":[1,2,3,4,5,6,7,65536]}", &o);
  CHECK(o.cfg.nhidden == 8 && o.cfg.hidden[7] == 65536, "8 layers");
  vae_options_free(&o);
  opt_ok("{\"latent\":1,\"epochs\":1000000,\"batch\":1048576,\"lr\":1,"
         "\"beta\":0,\"samples\":10000,\"impute_samples\":1000000,"
         "\"seed\":9007199254740992,\"holdout\":0,\"max_rows\":0,\"verbose\":0,"
         "\"warm_start\":false,\"mask_rate\":0.9499,\"patience\":100000}", &o);
  CHECK(o.cfg.seed == 9007199254740992ULL && o.cfg.lr == 1 && o.verbose == 0 &&
        o.warm_start == 0 && o.cfg.epochs == 1000000, "upper bounds");
  vae_options_free(&o);
  opt_ok("{\"beta\":1000,\"lr\":1e-6,\"holdout\":0.8999,\"seed\":0,"
         "\"max_rows\":9223372036854775807,\"verbose\":1,\"latent\":4096}", &o);
  CHECK(o.max_rows == INT64_MAX && o.verbose == 1 && o.cfg.beta == 1000,
        "more bounds");
  vae_options_free(&o);
  opt_ok("{\"types\":{}}", &o);
  CHECK(o.ntypes == 0 && o.given == VAE_OPT_BIT(VAE_OPT_TYPES), "empty types");
  vae_options_free(&o);
  opt_ok("{\"columns\":[\"\"]}", &o);
  CHECK(o.ncolumns == 1 && o.columns[0][0] == 0, "empty name kept");
  vae_options_free(&o);
  opt_ok("{\"na\":[\"?\",\"\",\"missing\"]}", &o);
  CHECK(o.nna == 3 && strcmp(o.na[0], "?") == 0 && o.na[1][0] == 0 &&
        o.given == VAE_OPT_BIT(VAE_OPT_NA), "na list");
  vae_options_free(&o);
  CHECK(!o.na && !o.nna, "free clears na");
  opt_ok("{\"na\":[]}", &o);
  CHECK(o.nna == 0 && o.given == VAE_OPT_BIT(VAE_OPT_NA), "na off");
  vae_options_free(&o);

  /* Errors. */
  opt_bad("[]", "options must be a JSON object");
  opt_bad("1", "options must be a JSON object");
  opt_bad("null", "options must be a JSON object");
  opt_bad("\"x\"", "options must be a JSON object");
  opt_bad("", "bad JSON at offset 0: unexpected end of input");
  opt_bad("{\"epochs\" 5}", "bad JSON at offset 10: expected ':'");
  opt_bad("{\"epochs\":5,\"epochs\":6}", "bad JSON at offset 12: duplicate key \"epochs\"");
  opt_bad("{\"nope\":1}", "unknown option \"nope\"");
  opt_bad("{\"epochs\":5,\"Epochs\":5}", "unknown option \"Epochs\"");
  opt_bad("{\"epoch\":5}", "unknown option \"epoch\"");
  opt_bad("{\"a\\nb\":5}", "unknown option \"a?b\"");
  opt_bad("{\"epochs\":5,\"nope\":1,\"lr\":-1}", "unknown option \"nope\"");
  opt_bad("{\"lr\":-1,\"nope\":1}", "option \"lr\" must be a number greater than 0 and at most 1");

  opt_bad("{\"columns\":[]}", "option \"columns\" must be a non-empty list of column names");
  opt_bad("{\"columns\":\"a\"}", "option \"columns\" must be a non-empty list of column names");
  opt_bad("{\"columns\":[\"a\",1]}", "option \"columns\" must be a non-empty list of column names");
  opt_bad("{\"columns\":[\"a\",null]}", "option \"columns\" must be a non-empty list of column names");
  opt_bad("{\"columns\":[\"a\\u0000b\"]}", "option \"columns\" must be a non-empty list of column names");
  opt_bad("{\"columns\":[\"a\",\"b\",\"a\"]}", "option \"columns\": duplicate column \"a\"");
  opt_bad("{\"columns\":null}", "option \"columns\" must be a non-empty list of column names");

  opt_bad("{\"types\":{\"x\":\"foo\"}}",
          "option \"types\": unknown kind \"foo\" for column \"x\" "
          "(use real, integer, binary, categorical or date)");
  opt_bad("{\"types\":{\"x\":\"real\\u0000\"}}",
          "option \"types\": unknown kind \"real?\" for column \"x\" "
          "(use real, integer, binary, categorical or date)");
  opt_bad("{\"types\":{\"x\":1}}",
          "option \"types\": the kind of column \"x\" must be a string "
          "(real, integer, binary, categorical or date)");
  opt_bad("{\"types\":[\"x\"]}", "option \"types\" must be an object mapping column names to kinds");
  opt_bad("{\"types\":\"categorical\"}", "option \"types\" must be an object mapping column names to kinds");

  opt_bad("{\"latent\":0}", "option \"latent\" must be an integer from 1 to 4096");
  opt_bad("{\"latent\":4097}", "option \"latent\" must be an integer from 1 to 4096");
  opt_bad("{\"latent\":2.0}", "option \"latent\" must be an integer from 1 to 4096");
  opt_bad("{\"latent\":\"2\"}", "option \"latent\" must be an integer from 1 to 4096");

  opt_bad("{\"na\":\"NA\"}", "option \"na\" must be a list of at most 1000 strings (text read as a missing value)");
  opt_bad("{\"na\":[1]}", "option \"na\" must be a list of at most 1000 strings (text read as a missing value)");
  opt_bad("{\"hidden\":[]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":[1,2,3,4,5,6,7,8,9]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":[0]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":[65537]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":[1.5]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":[\"a\"]}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":0}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":\"64\"}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");
  opt_bad("{\"hidden\":{}}", "option \"hidden\" must be a list of 1 to 8 integers from 1 to 65536");

  opt_bad("{\"epochs\":0}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":1000001}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":10.5}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":1e2}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":true}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":null}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"epochs\":99999999999999999999}", "option \"epochs\" must be an integer from 1 to 1000000");
  opt_bad("{\"batch\":0}", "option \"batch\" must be an integer from 1 to 1048576");
  opt_bad("{\"batch\":1048577}", "option \"batch\" must be an integer from 1 to 1048576");
  opt_bad("{\"lr\":0}", "option \"lr\" must be a number greater than 0 and at most 1");
  opt_bad("{\"lr\":1.0000001}", "option \"lr\" must be a number greater than 0 and at most 1");
  opt_bad("{\"lr\":true}", "option \"lr\" must be a number greater than 0 and at most 1");
  opt_bad("{\"lr\":\"0.1\"}", "option \"lr\" must be a number greater than 0 and at most 1");
  opt_bad("{\"beta\":-0.1}", "option \"beta\" must be a number from 0 to 1000");
  opt_bad("{\"beta\":1000.5}", "option \"beta\" must be a number from 0 to 1000");
  opt_bad("{\"samples\":0}", "option \"samples\" must be an integer from 1 to 10000");
  opt_bad("{\"samples\":10001}", "option \"samples\" must be an integer from 1 to 10000");
  opt_bad("{\"impute_samples\":0}", "option \"impute_samples\" must be an integer from 1 to 1000000");
  opt_bad("{\"impute_samples\":1000001}", "option \"impute_samples\" must be an integer from 1 to 1000000");
  opt_bad("{\"seed\":-1}", "option \"seed\" must be an integer from 0 to 9007199254740992");
  opt_bad("{\"seed\":9007199254740993}", "option \"seed\" must be an integer from 0 to 9007199254740992");
  opt_bad("{\"seed\":1.5}", "option \"seed\" must be an integer from 0 to 9007199254740992");
  opt_bad("{\"holdout\":0.9}", "option \"holdout\" must be a number at least 0 and less than 0.9");
  opt_bad("{\"holdout\":-0.01}", "option \"holdout\" must be a number at least 0 and less than 0.9");
  opt_bad("{\"holdout\":false}", "option \"holdout\" must be a number at least 0 and less than 0.9");
  opt_bad("{\"max_rows\":-1}", "option \"max_rows\" must be an integer of at least 0 (0: all rows)");
  opt_bad("{\"max_rows\":1e3}", "option \"max_rows\" must be an integer of at least 0 (0: all rows)");
  opt_bad("{\"max_rows\":9223372036854775808}", "option \"max_rows\" must be an integer of at least 0 (0: all rows)");
  opt_bad("{\"verbose\":2}", "option \"verbose\" must be true, false, 0 or 1");
  opt_bad("{\"verbose\":1.0}", "option \"verbose\" must be true, false, 0 or 1");
  opt_bad("{\"verbose\":\"yes\"}", "option \"verbose\" must be true, false, 0 or 1");
  opt_bad("{\"verbose\":null}", "option \"verbose\" must be true, false, 0 or 1");
  opt_bad("{\"warm_start\":1}", "option \"warm_start\" must be true or false");
  opt_bad("{\"warm_start\":\"true\"}", "option \"warm_start\" must be true or false");
  opt_bad("{\"mask_rate\":0.95}", "option \"mask_rate\" must be a number at least 0 and less than 0.95");
  opt_bad("{\"mask_rate\":-1e-9}", "option \"mask_rate\" must be a number at least 0 and less than 0.95");
  opt_bad("{\"patience\":0}", "option \"patience\" must be an integer from 1 to 100000");
  opt_bad("{\"patience\":100001}", "option \"patience\" must be an integer from 1 to 100000");
  /* The error after a list already taken: nothing of it is kept. */
  opt_bad("{\"columns\":[\"a\"],\"types\":{\"a\":\"real\"},\"epochs\":0}",
          "option \"epochs\" must be an integer from 1 to 1000000");

  /* Messages are cut to the buffer; no buffer is fine. */
  CHECK(opt("{\"nope\":1}", &o, err, 8) == VAE_INVALID && strcmp(err, "unknown") == 0,
        "short err: %s", err);
  CHECK(opt("{\"nope\":1}", &o, NULL, 0) == VAE_INVALID, "no err buffer");
  CHECK(opt("{\"epochs\":3}", &o, NULL, 0) == VAE_OK && o.cfg.epochs == 3, "no err ok");
  vae_options_free(&o);
}

/* Fails allocation k = 1, 2, ... until the call succeeds; every failing run
** must say VAE_NOMEM (and leak nothing, which the sanitizer checks). */
static void test_oom(void) {
  vae_buf doc = {.mem = &test_mem};
  int i, k, rc = -1, wrong = 0, sticky;
  const char *head = "[{\"columns\":[\"a\",\"b\"]},1.25e-3,"
      "123456789012345678901234567890123456789012345678901234567890"
      "1234567890.5,\"x\\u00e9\\ud83d\\ude00\",[[[]]],{\"o\":{";
  vae_buf_append(&doc, head, strlen(head));
  for (i = 0; i < 40; i++) vae_buf_appendf(&doc, "%s\"k%d\":[%d,\"v\"]", i ? "," : "", i, i);
  vae_buf_append(&doc, "}}]", 3);
  CHECK(!doc.failed, "doc built");

  for (sticky = 0; sticky <= 1; sticky++) {
    for (k = 1; k < 100000; k++) {
      json_value *v = NULL;
      char err[128];
      vae_mem_fail_at(k, sticky);
      rc = json_parse(&test_mem, doc.data, doc.len, &v, err, sizeof err);
      vae_mem_fail_at(-1, 0);
      if (rc == VAE_OK) {
        json_free(&test_mem, v);
        break;
      }
      if (rc != VAE_NOMEM || v || strcmp(err, "out of memory") != 0) wrong++;
    }
    CHECK(rc == VAE_OK && wrong == 0 && k > 40,
          "json oom (sticky %d): rc %d, %d wrong after %d steps", sticky, rc, wrong, k);
  }

  {
    const char *opts = "{\"columns\":[\"a\",\"b\",\"c\"],\"types\":{\"a\":\"real\","
                       "\"b\":\"categorical\",\"c\":\"binary\"},\"hidden\":[8,4],"
                       "\"lr\":0.001,\"seed\":7,\"warm_start\":true}";
    wrong = 0;
    for (k = 1; k < 100000; k++) {
      vae_options o;
      char err[128];
      vae_mem_fail_at(k, 0);
      rc = vae_options_parse(&test_mem, opts, strlen(opts), &o, err, sizeof err);
      vae_mem_fail_at(-1, 0);
      if (rc == VAE_OK) {
        CHECK(o.ncolumns == 3 && o.ntypes == 3 && o.cfg.seed == 7, "oom result");
        vae_options_free(&o);
        break;
      }
      if (rc != VAE_NOMEM || strcmp(err, "out of memory") != 0 || o.columns ||
          o.type_columns || o.type_kinds || o.given)
        wrong++;
      vae_options_free(&o);
    }
    CHECK(rc == VAE_OK && wrong == 0 && k > 5, "options oom: %d wrong after %d", wrong, k);
  }

  /* The writer under allocation failure: failed set, no crash, no leak. */
  for (k = 1; k < 1000; k++) {
    vae_buf b = {.mem = &test_mem};
    json_value *v = NULL;
    CHECK(json_parse(&test_mem, doc.data, doc.len, &v, NULL, 0) == VAE_OK, "reparse");
    vae_mem_fail_at(k, 0);
    vae_buf_json_value(&b, v);
    vae_mem_fail_at(-1, 0);
    json_free(&test_mem, v);
    if (!b.failed) {
      CHECK(b.len > 100, "writer oom ends");
      vae_buf_free(&b);
      break;
    }
    vae_buf_free(&b);
  }
  vae_buf_free(&doc);
}

int main(void) {
  test_values();
  test_errors();
  test_prefixes();
  test_buf();
  test_numbers();
  test_locale();
  test_kinds();
  test_options();
  test_oom();
  printf("%d passed, %d failed\n", npass, nfail);
  return nfail ? 1 : 0;
}
