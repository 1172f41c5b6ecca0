/* The C library's allocator as a vae_allocator, for programs that link
** core/ without SQLite (see mem.h). Kept in a file of its own so that
** vae.so, which hands core SQLite's allocator, does not link it at all. */
#include "vae.h"

#include <stdlib.h>

static void *libc_malloc(void *ctx, size_t size) {
  (void)ctx;
  return malloc(size);
}

static void *libc_realloc(void *ctx, void *p, size_t size) {
  (void)ctx;
  return realloc(p, size);
}

static void libc_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

const vae_allocator vae_allocator_libc = {libc_malloc, libc_realloc, libc_free, NULL, 1};
