/*
** fuzz_options.c -- libFuzzer target for ext/json.c and ext/options.c.
**
** Beyond "no crash, no leak, no read past the input" it checks three
** properties on every input: a failure is VAE_INVALID with a message; what
** the parser accepts, the writer writes back as JSON that parses to the same
** text again; and failing one allocation of a successful parse gives
** VAE_NOMEM with nothing leaked.
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iext -Icore \
**     tests/fuzz_options.c ext/json.c ext/options.c core/[a-z]*.c -lopenblas -lm      (or: make fuzz)
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mem.h"
#include "test_mem.h"
#include "options.h"
#include "vae.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

static void round_trip(const json_value *v) {
  vae_buf a = {.mem = &test_mem}, b = {.mem = &test_mem};
  json_value *w = NULL;
  char err[128];
  vae_buf_json_value(&a, v);
  REQUIRE(!a.failed && a.data);
  REQUIRE(json_parse(&test_mem, a.data, a.len, &w, err, sizeof err) == VAE_OK);
  vae_buf_json_value(&b, w);
  REQUIRE(!b.failed && b.len == a.len && memcmp(a.data, b.data, a.len) == 0);
  json_free(&test_mem, w);
  vae_buf_free(&a);
  vae_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  json_value *v = NULL;
  vae_options o;
  char err[256];
  long n;
  int rc;

  vae_mem_fail_at(-1, 0);
  rc = json_parse(&test_mem, text, size, &v, err, sizeof err);
  n = vae_mem_count();
  if (rc == VAE_OK) {
    REQUIRE(v != NULL);
    round_trip(v);
    json_free(&test_mem, v);
    /* Fail one of the n allocations, chosen by the input's size. */
    if (n > 0) {
      vae_mem_fail_at(1 + (long)(size % (size_t)n), 0);
      rc = json_parse(&test_mem, text, size, &v, err, sizeof err);
      vae_mem_fail_at(-1, 0);
      REQUIRE(rc == VAE_NOMEM && v == NULL);
    }
  } else {
    REQUIRE(rc == VAE_INVALID && v == NULL && err[0]);
  }

  vae_mem_fail_at(-1, 0);
  rc = vae_options_parse(&test_mem, text, size, &o, err, sizeof err);
  n = vae_mem_count();
  REQUIRE(rc == VAE_OK || (rc == VAE_INVALID && err[0]));
  if (rc == VAE_OK) {
    int i;
    REQUIRE(o.cfg.nhidden >= 0 && o.cfg.nhidden <= VAE_MAX_HIDDEN);
    REQUIRE((o.ncolumns > 0) == (o.columns != NULL));
    for (i = 0; i < o.ntypes; i++)
      REQUIRE((o.type_kinds[i] >= VAE_REAL && o.type_kinds[i] <= VAE_CATEGORICAL) ||
              o.type_kinds[i] == VAE_OPT_KIND_DATE);
    vae_options_free(&o);
    if (n > 0) {
      vae_mem_fail_at(1 + (long)(size % (size_t)n), 0);
      rc = vae_options_parse(&test_mem, text, size, &o, err, sizeof err);
      vae_mem_fail_at(-1, 0);
      REQUIRE(rc == VAE_NOMEM && o.given == 0 && o.columns == NULL);
    }
  } else {
    REQUIRE(o.given == 0 && o.columns == NULL && o.type_columns == NULL);
  }
  vae_options_free(&o);
  return 0;
}
