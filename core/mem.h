/*
** mem.h -- every allocation of core/ goes through an allocator its caller
** hands it (a vae_allocator, declared in vae.h), so that a host's limits
** apply: the SQLite extension hands core sqlite3_malloc64 and friends, so
** PRAGMA hard_heap_limit / soft_heap_limit hold and running out is a clean
** VAE_NOMEM; a C program passes &vae_allocator_libc (malloc, realloc, free;
** core/mem_libc.c, linked only by programs that name it).
**
** Objects core creates (models, inference scratch, workspaces, reports)
** keep a copy of the allocator they were made with and free with it; a
** column array (vae_columns_alloc) does not: its maker passes the same
** allocator to vae_columns_free. ext/ uses these wrappers too, with
** vae_sqlite_mem, for its JSON trees and option lists.
**
** The wrappers below add what the hooks need not know: zero-size requests
** become 1 byte, vae_calloc zeroes and checks count * size for overflow.
*/
#ifndef VAE_MEM_H
#define VAE_MEM_H

#include <stddef.h>

#include "vae.h"

void *vae_malloc(const vae_allocator *a, size_t size);               /* NULL on failure */
void *vae_calloc(const vae_allocator *a, size_t count, size_t size); /* zeroed; NULL on overflow */
void *vae_realloc(const vae_allocator *a, void *p, size_t size);     /* p kept on failure */
void vae_free(const vae_allocator *a, void *p);
char *vae_strdup(const vae_allocator *a, const char *s);
/* count * size, or 0 with *overflow set when it would not fit in size_t. */
size_t vae_mul_size(size_t count, size_t size, int *overflow);

#endif
