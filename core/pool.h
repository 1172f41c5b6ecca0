/*
** pool.h -- a small set of worker threads for one call (a fit, or an
** inference scratch kept between batches), so that the rows of a
** mini-batch or of an inference call are worked on by every core.
**
** vae_pool_run(pool, items, fn, ctx) calls fn(ctx, item, worker) once for each item
** 0..items-1, the calling thread working too, and returns when all are
** done. Each thread has a share of the items (the caller the first, the
** workers the next, in order), the same for every job of the same size,
** so an item's buffers stay with one core; a thread done with its share
** takes what is left of another's from its end (a thread that a busy
** machine holds back simply runs fewer). So what an item computes must
** not depend on the thread that runs it: callers give
** each item its own buffers and combine the results in item order, which
** makes the answer the same for every thread count. A thread that waits
** (a worker for the next job, the caller for the last item) watches for
** it for at most 100 microseconds (waking a sleeping thread costs about
** as much, and a fit posts jobs that far apart), then sleeps on a
** condition variable.
**
** Workers block every signal (a host's handlers stay on its own threads)
** and never allocate or call back into the host. A pool that cannot start
** all its threads works with those it has (at worst the caller alone).
*/
#ifndef VAE_POOL_H
#define VAE_POOL_H

#include "vae.h"

typedef struct vae_pool vae_pool;
/* worker: 0 for the caller, 1.. for the pool's threads, so that an item
** can use buffers of the thread that runs it. */
typedef void (*vae_pool_fn)(void *ctx, int item, int worker);

/* The processors this process may run on (sched_getaffinity), 1 at least,
** at most VAE_MAX_THREADS. */
int vae_cores(void);
#define VAE_MAX_THREADS 64

/* A pool of threads - 1 workers besides the caller into *out: VAE_OK,
** *out NULL when threads <= 1 or no thread could be started (vae_pool_run
** then runs everything on the caller: the result is the same); VAE_NOMEM,
** *out NULL, when the pool's own memory ran out, so that a fit asked for
** threads fails as any other allocation does instead of running on one
** thread without a word. */
int vae_pool_create(const vae_allocator *a, int threads, vae_pool **out);
void vae_pool_run(vae_pool *p, int items, vae_pool_fn fn, void *ctx);
void vae_pool_free(vae_pool *p);
/* Threads working in vae_pool_run, the caller included (1 for NULL). */
int vae_pool_threads(const vae_pool *p);
/* From now on each job is cut into the threads' shares and every thread
** runs exactly its own: no thread takes another's items, and the pool
** never runs a job on the caller alone. For tests (vae_config.fixed_shares):
** a worker that wakes late then holds the job up instead of being done
** without. NULL: nothing. */
void vae_pool_fix_shares(vae_pool *p);
/* Items the pool's worker threads (not the caller) have run since it was
** created (0 for NULL): whether a job was shared at all, which a test of
** the same bits on more threads must know, since a pool whose caller
** finishes first, or that found sharing slower (above), runs alone. */
long long vae_pool_shared(vae_pool *p);
/* A new phase of the caller's work, whose jobs differ in size from the
** ones before (a fit's held-out passes, linear part and calibration after
** its training steps): ends a spell on the caller alone and forgets the
** window's timings and the backoff, so that the new jobs are timed on
** their own. NULL: nothing. */
void vae_pool_new_phase(vae_pool *p);

#endif
