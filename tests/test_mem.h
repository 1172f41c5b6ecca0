/* test_mem.h -- the allocator the C tests hand core/ (test_mem): malloc,
** realloc and free that can be made to fail, for out-of-memory injection.
** It lives here, in the tests, and not in core/ or vae.so: the library has
** no hooks of its own; a test injects failures through the allocator it
** passes (tests/oom_ext.c does the same for vae.so through SQLite's
** allocator). */
#ifndef TEST_MEM_H
#define TEST_MEM_H

#include <stdlib.h>

#include "../core/vae.h"

static long test_fail_at = -1;
static int test_fail_sticky = 0;
static long test_alloc_count = 0;
static long test_live = 0; /* blocks allocated and not yet freed */

static int test_should_fail(void) {
  test_alloc_count++;
  if (test_fail_at < 0) return 0;
  if (test_fail_at == 0) return test_fail_sticky;
  if (--test_fail_at == 0) {
    if (!test_fail_sticky) test_fail_at = -1;
    return 1;
  }
  return 0;
}

/* Fail the Nth allocation from now on (and every one after it while
** sticky), or never (n < 0). */
static inline void vae_mem_fail_at(long n, int sticky) {
  test_fail_at = n;
  test_fail_sticky = sticky;
  test_alloc_count = 0;
}

/* Allocations asked for since the last vae_mem_fail_at. */
static inline long vae_mem_count(void) { return test_alloc_count; }

static void *test_malloc(void *ctx, size_t size) {
  (void)ctx;
  void *q = test_should_fail() ? NULL : malloc(size);
  test_live += q != NULL;
  return q;
}

static void *test_realloc(void *ctx, void *p, size_t size) {
  (void)ctx;
  void *q = test_should_fail() ? NULL : realloc(p, size);
  test_live += q != NULL && p == NULL;
  return q;
}

static void test_free(void *ctx, void *p) {
  (void)ctx;
  test_live -= p != NULL;
  free(p);
}

/* Blocks of test_mem not freed yet: a leak check around a test. */
static inline long vae_mem_live(void) { return test_live; }

static const vae_allocator test_mem = {test_malloc, test_realloc, test_free, NULL, 0};

#endif
