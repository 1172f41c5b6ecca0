/*
** json.h -- a small strict JSON parser (to a tree) and a string builder.
**
** ext/ reads JSON (the options of vae_fit and vae_fidelity, the column
** descriptions and reports stored with a model) and writes it (reports,
** rows of vae_sample). Kept free of sqlite3.h, like options.c, so that it
** can be unit-tested and fuzzed alone (tests/test_json.c,
** tests/fuzz_options.c); core/ has no JSON at all. The parser follows RFC
** 8259 strictly, with the limits that an untrusted argument needs: nesting
** depth 64, no duplicate keys, no NaN or Infinity, valid UTF-8 only, never
** a read past text + len.
*/
#ifndef VAE_JSON_H
#define VAE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "../core/vae.h"

#define JSON_MAX_DEPTH 64

typedef enum {
  JSON_NULL = 0, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json_value json_value;
struct json_value {
  json_type type;
  int boolean;
  double number;
  int is_integer;    /* number had no fraction/exponent and fits int64 */
  int64_t integer;
  char *string;      /* UTF-8, NUL-terminated, len bytes (may hold \u0000) */
  size_t len;
  int count;         /* array/object items */
  char **keys;       /* object keys, in document order; never hold \u0000 */
  json_value *items;
};

/* Parses text[0..len) (no NUL terminator needed) into a tree allocated
** from *a and freed with json_free with the same allocator. Returns VAE_OK, VAE_NOMEM ("out of memory") or VAE_INVALID
** ("bad JSON at offset 12: expected ':'"); *out is NULL on error. */
int json_parse(const vae_allocator *a, const char *text, size_t len, json_value **out,
               char *err, size_t errlen);
void json_free(const vae_allocator *a, json_value *v);
/* The member `key` of an object, NULL if absent or obj is not an object. */
const json_value *json_get(const json_value *obj, const char *key);

/* A short printable copy of s for error messages: at most 40 bytes of s
** (cut at a UTF-8 boundary, "..." appended), control characters as '?'. */
void json_snippet(char *dst, size_t size, const char *s);

/* A growing string, NUL-terminated once anything was appended (data is NULL
** before). After an allocation failure `failed` is set and every further
** append does nothing, so a writer checks once at the end. Start from
** vae_buf b = {.mem = allocator} (without one every append fails);
** release with vae_buf_free. */
typedef struct {
  char *data;
  size_t len, cap;
  int failed;
  const vae_allocator *mem; /* where data comes from */
} vae_buf;

#if defined(__GNUC__) || defined(__clang__)
#define VAE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define VAE_PRINTF(f, a)
#endif

void vae_buf_append(vae_buf *b, const char *s, size_t n);
void vae_buf_appendf(vae_buf *b, const char *fmt, ...) VAE_PRINTF(2, 3);
/* s quoted and escaped; invalid UTF-8 bytes become U+FFFD so the output is
** always valid JSON. The n variant takes strings holding NUL bytes. */
void vae_buf_json_string(vae_buf *b, const char *s);
void vae_buf_json_stringn(vae_buf *b, const char *s, size_t n);
/* Shortest of %.15g..%.17g that reads back exactly; NaN and Inf -> null. */
void vae_buf_json_number(vae_buf *b, double x);
/* The double nearest f's shortest decimal form of 6 to 9 significant
** digits that reads back as f (so that a float 0.1f is reported as 0.1
** rather than 0.10000000149011612; 9 digits always do). */
double vae_float_double(float f);
/* What vae_buf_json_number(b, vae_float_double(f)) writes, without going
** through text. */
void vae_buf_json_float(vae_buf *b, float f);
/* strtod of text in the "C" locale, whatever the thread's LC_NUMERIC. */
double vae_strtod(const char *text);
/* An integer in decimal. */
void vae_buf_int(vae_buf *b, int64_t v);
/* The tree v written compactly (integers exactly). */
void vae_buf_json_value(vae_buf *b, const json_value *v);
void vae_buf_free(vae_buf *b);

#endif
