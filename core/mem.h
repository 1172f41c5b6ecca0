/*
** mem.h -- every allocation of core/ and ext/ goes through here, so that a
** test can make the Nth one fail (out-of-memory injection) and check that
** each caller frees what it took and reports VAE_NOMEM / SQLITE_NOMEM.
*/
#ifndef VAE_MEM_H
#define VAE_MEM_H

#include <stddef.h>

void *vae_malloc(size_t size);                 /* NULL on failure */
void *vae_calloc(size_t count, size_t size);   /* zeroed; NULL on overflow */
void *vae_realloc(void *p, size_t size);       /* p kept on failure */
void vae_free(void *p);
char *vae_strdup(const char *s);
/* count * size, or 0 with *overflow set when it would not fit in size_t. */
size_t vae_mul_size(size_t count, size_t size, int *overflow);

/* Test hooks: fail the Nth allocation from now on (and every one after it
** while sticky), or never (n < 0). Returns how many allocations succeeded
** since the last call. */
void vae_mem_fail_at(long n, int sticky);
long vae_mem_count(void);

#endif
