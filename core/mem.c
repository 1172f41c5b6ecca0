#include "mem.h"

#include <string.h>

size_t vae_mul_size(size_t count, size_t size, int *overflow) {
  if (size != 0 && count > (size_t)-1 / size) {
    *overflow = 1;
    return 0;
  }
  return count * size;
}

void *vae_malloc(const vae_allocator *a, size_t size) {
  return a->xmalloc(a->ctx, size ? size : 1);
}

void *vae_calloc(const vae_allocator *a, size_t count, size_t size) {
  int overflow = 0;
  size_t total = vae_mul_size(count, size, &overflow);
  void *p = overflow ? NULL : a->xmalloc(a->ctx, total ? total : 1);
  if (p) memset(p, 0, total);
  return p;
}

void *vae_realloc(const vae_allocator *a, void *p, size_t size) {
  return a->xrealloc(a->ctx, p, size ? size : 1);
}

void vae_free(const vae_allocator *a, void *p) {
  if (p) a->xfree(a->ctx, p);
}

char *vae_strdup(const vae_allocator *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = vae_malloc(a, n);
  if (d) memcpy(d, s, n);
  return d;
}
