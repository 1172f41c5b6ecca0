/*
** fuzz_blob.c -- libFuzzer target for the model blob reader (core/blob.c).
**
** A blob ends with a CRC-32 of the bytes before it, so nearly every random
** mutation is refused at the checksum and the parser behind it would never
** be reached. For half of the inputs (chosen by the low bit of the input's
** last byte, which is part of the stored checksum and so means nothing to
** the parser once the checksum is rewritten) the target recomputes the CRC
** over the first len - 4 bytes of a copy and writes it at the end; the other
** half go in as they are, exercising the checksum and header checks.
**
** Beyond "no crash, no leak, no read past the input, no undefined
** behaviour", every input must give VAE_OK or VAE_CORRUPT with a message,
** and an accepted model must be usable and stable:
**   - vae_infer (best estimate and draws, with the likelihood) and
**     vae_sample run on a few rows and give values valid for each column's
**     kind (or NaN, which the SQL layer returns as NULL);
**   - vae_model_save writes back exactly the bytes that were loaded, but
**     for the writer's name (which names the build that saves, whatever
**     the input said) and the checksum that covers it;
**   - failing any one allocation of the load gives VAE_NOMEM, nothing leaked.
**
**   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore \
**     tests/fuzz_blob.c core/[a-z]*.c -lopenblas -lm
** (`make fuzz` builds and runs it; tests/fuzz/corpus_blob holds the seeds,
** made by tests/fuzz/make_corpus.py.)
*/
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob_crc.h"
#include "mem.h"
#include "test_mem.h"
#include "vae.h"
#include "version.h"

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

#define ROWS 3
#define SAMPLES 4
/* The blob version this build writes (core/version.h). */
#define CURRENT_VERSION VAE_BLOB_FORMAT

/* The same CRC-32 (IEEE, reflected) as blob.c, written out again so that
** the target does not depend on the code it checks. */
/* A value valid for column c, varied by k. */
static float valid_value(const vae_column *c, int k) {
  switch (c->kind) {
    case VAE_BINARY: return (float)(k & 1);
    case VAE_CATEGORICAL: return (float)(k % c->nlevels);
    default: {
      double v = k == 0 ? c->min : k == 1 ? c->max : 0.5 * c->min + 0.5 * c->max;
      float f = (float)v;
      return isfinite(f) ? f : 0.0f;
    }
  }
}

static void check_cell(const vae_column *c, float v) {
  if (isnan(v)) return;
  REQUIRE(isfinite(v));
  if (c->kind == VAE_BINARY) REQUIRE(v == 0.0f || v == 1.0f);
  if (c->kind == VAE_CATEGORICAL) REQUIRE(v >= 0 && v < c->nlevels && v == floorf(v));
}

static void exercise(const vae_model *m, const unsigned char *blob, size_t len) {
  int p = vae_model_ncols(m);
  float *x = malloc(sizeof(float) * ROWS * p), *out = malloc(sizeof(float) * ROWS * p);
  uint64_t seeds[ROWS] = {0, 1, 2};
  double nll[ROWS];
  unsigned char *back = NULL;
  size_t back_len = 0;
  REQUIRE(x && out);
  for (int j = 0; j < p; j++) {
    const vae_column *c = vae_model_column(m, j);
    REQUIRE(c && c->name);
    REQUIRE(c->kind >= VAE_REAL && c->kind <= VAE_CATEGORICAL);
    REQUIRE((c->kind == VAE_CATEGORICAL) == (c->nlevels > 0));
    for (int l = 0; l < c->nlevels; l++) REQUIRE(c->levels[l] != NULL);
    REQUIRE(vae_model_column_index(m, c->name) >= 0);
  }
  /* Row 0 all missing, row 1 all given, row 2 every other cell given. */
  for (int j = 0; j < p; j++) {
    const vae_column *c = vae_model_column(m, j);
    x[j] = NAN;
    x[p + j] = valid_value(c, j);
    x[2 * p + j] = j % 2 ? valid_value(c, j + 1) : NAN;
  }
  for (int mode = VAE_MEAN; mode <= VAE_DRAW; mode++) {
    REQUIRE(vae_infer(m, mode, ROWS, x, seeds, SAMPLES, out, nll) == VAE_OK);
    for (int i = 0; i < ROWS; i++)
      for (int j = 0; j < p; j++) {
        float given = x[i * p + j], got = out[i * p + j];
        if (isnan(given)) check_cell(vae_model_column(m, j), got);
        else REQUIRE(memcmp(&given, &got, sizeof got) == 0);
      }
  }
  REQUIRE(vae_sample(m, ROWS, seeds, out) == VAE_OK);
  for (int i = 0; i < ROWS; i++)
    for (int j = 0; j < p; j++) check_cell(vae_model_column(m, j), out[i * p + j]);
  /* Generation's super-blocks and noise temperature. */
  REQUIRE(vae_generate(m, 1, 0, 2, out, NULL) == VAE_OK);
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < p; j++) check_cell(vae_model_column(m, j), out[i * p + j]);
  REQUIRE(vae_model_save(m, &back, &back_len) == VAE_OK);
  size_t wl = (size_t)blob[8] | (size_t)blob[9] << 8 | (size_t)blob[10] << 16 |
              (size_t)blob[11] << 24, ours = strlen(VAE_VERSION);
  if (blob[4] == CURRENT_VERSION && wl == ours && memcmp(blob + 12, VAE_VERSION, ours) == 0) {
    REQUIRE(back_len == len && memcmp(back, blob, len) == 0);
  } else if (blob[4] == CURRENT_VERSION) {
    /* Another writer's name (the loader took it, at most 64 bytes): the
    ** same bytes around this build's name, a new checksum. */
    REQUIRE(back_len - ours == len - wl && memcmp(back, blob, 8) == 0 &&
            memcmp(back + 12, VAE_VERSION, ours) == 0 &&
            memcmp(back + 12 + ours, blob + 12 + wl, len - 12 - wl - 4) == 0);
  } else {
    /* An older format is written back as the current one, which must then
    ** read back to the same bytes. */
    vae_model *again = NULL;
    unsigned char *twice = NULL;
    size_t twice_len = 0;
    REQUIRE(back[4] == CURRENT_VERSION);
    REQUIRE(vae_model_load(&test_mem, back, back_len, &again, NULL, 0) == VAE_OK);
    REQUIRE(vae_model_save(again, &twice, &twice_len) == VAE_OK);
    REQUIRE(twice_len == back_len && memcmp(twice, back, back_len) == 0);
    vae_free(&test_mem, twice);
    vae_model_free(again);
  }
  vae_free(&test_mem, back);
  free(x);
  free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *buf = malloc(size ? size : 1);
  vae_model *m = NULL;
  char err[256];
  long n;
  int rc;
  REQUIRE(buf);
  if (size) memcpy(buf, data, size);
  if (size >= 8 && (data[size - 1] & 1)) {
    blob_set_crc(buf, size);
  }
  /* The reader must not need more than the bytes it was given. */
  vae_mem_fail_at(-1, 0);
  err[0] = 0;
  rc = vae_model_load(&test_mem, size ? buf : NULL, size, &m, err, sizeof err);
  n = vae_mem_count();
  if (rc == VAE_OK) {
    REQUIRE(m != NULL);
    exercise(m, buf, size);
    vae_model_free(m);
    m = NULL;
    /* Fail one of the n allocations of the load, chosen by the input. */
    if (n > 0) {
      vae_mem_fail_at(1 + (long)(blob_crc32(data, size) % (uint32_t)n), 0);
      rc = vae_model_load(&test_mem, buf, size, &m, err, sizeof err);
      vae_mem_fail_at(-1, 0);
      REQUIRE(rc == VAE_NOMEM && m == NULL);
    }
  } else {
    REQUIRE(rc == VAE_CORRUPT && m == NULL && err[0]);
  }
  free(buf);
  return 0;
}
