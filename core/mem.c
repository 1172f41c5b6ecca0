#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* Fault injection state. Not thread-safe by design: tests run the injection
** loop single-threaded, and in production fail_at stays -1. */
static long fail_at = -1;
static int fail_sticky = 0;
static long alloc_count = 0;

static int should_fail(void) {
  alloc_count++;
  if (fail_at < 0) return 0;
  if (fail_at == 0) return fail_sticky;
  if (--fail_at == 0) {
    if (!fail_sticky) fail_at = -1;
    return 1;
  }
  return 0;
}

void vae_mem_fail_at(long n, int sticky) {
  fail_at = n;
  fail_sticky = sticky;
  alloc_count = 0;
}

long vae_mem_count(void) { return alloc_count; }

size_t vae_mul_size(size_t count, size_t size, int *overflow) {
  if (size != 0 && count > (size_t)-1 / size) {
    *overflow = 1;
    return 0;
  }
  return count * size;
}

void *vae_malloc(size_t size) {
  if (should_fail()) return NULL;
  return malloc(size ? size : 1);
}

void *vae_calloc(size_t count, size_t size) {
  int overflow = 0;
  size_t total = vae_mul_size(count, size, &overflow);
  if (overflow || should_fail()) return NULL;
  return calloc(total ? total : 1, 1);
}

void *vae_realloc(void *p, size_t size) {
  if (should_fail()) return NULL;
  return realloc(p, size ? size : 1);
}

void vae_free(void *p) { free(p); }

char *vae_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = vae_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
