/*
** pool.c -- the worker threads of pool.h: a mutex, a condition variable
** the workers sleep on until a job is posted (a generation counter, so
** none misses one or runs one twice) and one the caller sleeps on until
** the last item is done; before sleeping, each watches the counter for
** SPIN_SECONDS. Items are taken one at a time under the mutex, each
** thread from its own share first (next_item):
** a job is a handful of items (a mini-batch's shards, an inference call's
** chunks), each worth far more than the lock.
**
** A busy machine: when the other cores are taken by other processes, a
** worker is often descheduled in the middle of an item and the caller
** waits for it, so that a job on two threads took longer than on one (a
** 20,000-row fit 1.18x slower at a load of 12 on 2 cores). So the pool
** watches itself: in each job it times the caller's own items, and over a
** window of WINDOW jobs compares the wall time with what the caller alone
** would have taken (its time per item times the items). Windows of at
** least 0.1 s, tried so that a short burst of another process would not
** send a fit solo, made a fit beside a process spinning on the other core
** 1.02x slower on 2 threads than on 1, against 1.005x with these. When
** working together was slower, the next SOLO_WINDOWS windows run on the
** caller alone, then the workers are tried again; each failed try doubles
** the wait (up to MAX_SOLO_WINDOWS), so that a machine that stays busy
** pays little for the tries. A try after a solo spell that is slower than
** the caller alone after EARLY jobs ends there: beside a process spinning
** on the other core a 20,000-row fit (bench/threads.py) makes 9 tries,
** each of whose jobs took 1.3-2x the caller's time alone; ending them at
** 8 jobs rather than 32 took 2 threads over 1 from 1.014 and 1.018 to
** 1.007 and 1.011 (--pairs 9 --modes idle,busy, sets in turn; CPU 2 over
** 1 1.020 -> 1.009-1.012; idle 0.621 / 0.644 -> 0.617 / 0.617). Not the
** first window of a phase: its first jobs fault in fresh buffers, and
** ending it early (at 8 jobs slower than alone, or at 2 jobs 1.5x slower)
** sent training solo on two idle cores in 2 of 4 fits (idle 2 threads
** 1.009x the build before in a paired run). Which thread runs an item
** never changes a result, so this only changes the time. A spell chosen on one kind of
** job says nothing of another's (a fit's training steps against its
** linear part, held-out passes and calibration): vae_pool_new_phase ends
** it where a fit moves on (train.c, calibrate.c). Measured with it and
** the widening of the noise on the fit's pool (noise.c), against the
** build before, sets in turn of bench/threads.py --pairs 9 --modes idle
** (only sets whose other core stayed idle; one-thread runs 1.9-2.3 s): 2
** threads over 1 0.634, 0.645, 0.668, 0.627 against 0.655, 0.638, 0.652,
** 0.659 (1.50-1.60x against 1.52-1.57x): some 2% at the median of the
** sets, within their spread, the 1.6x reached in one set of four;
** --modes busy: 1.015 (0.822-1.174) and 1.016 (0.817-1.174) against
** 1.011 (0.999-1.024): a new phase shares its first window's jobs with a
** busy core, where the build before kept training's spell. Keeping a
** lost try's backoff across the new phase, so that its first window
** ends at EARLY jobs too when the last verdict was a loss, measured no
** better (--modes busy, three sets each in turn: 1.009, 1.025, 1.009
** against 1.006, 0.998, 1.006): the phase's fresh buffers make its first
** jobs slow either way.
**
** What the tries cost beside a spinning process (bench/threads.py
** --modes busy --pairs 11, a scratch build's set and main's in turn,
** 2026-12-06, load 1.4-2.2): main's sets 1.000-1.015, median of twelve
** 1.009; the pool never used (every job on the caller) 1.001, 1.003 and
** 0.994 in three sets, the floor:
** the tries cost some 0.8%, the rest of a second thread nothing. Never
** going solo: 1.245, so the spells are what keeps two threads level.
** Timed per window in a scratch build: solo, 46 us an item; a try's
** windows either won (26 us, the other core free for a while) or lost
** (58-70 us), about as often as each other in the same fit. Not kept,
** none moving the median outside main's spread: a won window halving
** the wait rather than clearing it (1.003, 1.010 against 1.007, 1.010);
** that with a win needing 0.7 of the caller's time alone after a loss
** rather than 0.85 (1.007, 1.014, 1.005 against 1.007, 1.013, 1.013);
** that with no watching before sleeping while a loss is remembered
** (1.011, 1.003 against 1.000, 1.005). No watching at all: busy 0.999
** and 1.010, but idle 0.580 -> 0.739. Shorter fits gain beside the busy
** core: 10,000 rows, two epochs, 0.905 and 0.907; 100,000 rows 0.995; a
** 500-row table with vae_fit's defaults (two members side by side) 0.830.
**
** Also not kept (2026-12-07): the kernel's count of runnable threads
** (/proc/loadavg's fourth field) read where a solo spell ends, and where
** a phase starts, the spell going on (or starting) while other threads
** took every core but the caller's, so that a busy machine would see no
** lost try. bench/threads.py --modes busy --pairs 9, sets in turn with
** main's: read where a spell ends, 1.011 and 1.007 against 1.006 and
** 1.008; there and where a phase starts, 1.001, 1.009, 1.008, 1.007,
** 1.000 and 1.006 against 1.006, 1.010, 1.003, 1.013, 1.009 and 1.014
** (idle 0.625 and 0.618 against 0.560 and 0.616): a few tenths of a
** percent at most, within the sets' spread, for a Linux-only file read.
** Nor (2026-12-07, branch gate) a solo spell that ends in a try only if
** the whole machine had a quarter of a core idle while it lasted (the
** idle and iowait ticks of /proc/stat's first line at its start and end;
** otherwise another spell, and a new phase goes on alone). It did stop
** every try beside a spinning process (a 20,000-row fit on 2 threads: no
** try, 50 spells extended, only the first window shared), yet 2 threads
** over 1 in bench/threads.py --modes busy --pairs 9, sets in turn with
** main's, read 1.005, 1.011, 1.035 and 1.046 against 1.006, 1.007 and
** 1.025 (load rising 1.1 -> 2.0 over the sets): the tries are not what
** keeps two threads a little behind one there.
**
** Two idle cores: on this project's 2-core virtual machine one core ran
** the fit's work about 1.27x slower than the other, whichever thread was
** on it (a 1-thread fit pinned to each: 1.94 s against 2.46 s, and ten
** minutes later the other way round, 2.53 s against 1.97 s; a scalar
** loop ran at the same speed on both): the host's doing, not the pool's.
** A default fit's step is 4 shards (batch 64 / 16 rows) and 4 parameter
** ranges, 2 each, the best split of 4 equal items: timed per job in a
** scratch build, the thread on the faster core ran its 2 shards in 158
** us and then waited 56 us for the other's 2 (208 us); the worker
** started 1 us after a post (no wake-up), and the optimizer's job took
** 19 us with 2.6 us of wait. So the step is bound by the slower core's 2
** shards (2 threads 0.66 of one in bench/threads.py), and the waiting
** thread's spin is most of the extra CPU (56 us x 6,250 steps is 0.35
** s, 17% of one thread's).
*/
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "pool.h"
#include "mem.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define WINDOW 32        /* jobs per comparison */
/* How long a thread that waits (a worker for the next job, the caller for
** the last item) watches for it before it sleeps: a fit posts two jobs
** per mini-batch, a few hundred microseconds apart, and waking a sleeping
** thread took 50-100 us on this project's 2-core virtual machine, a tenth
** of a step. Bounded, so a thread that has nothing to do soon sleeps. */
#define SPIN_SECONDS 100e-6
#define EARLY 8         /* jobs after which a try that lost ends */
#define SOLO_WINDOWS 8   /* windows on the caller alone before a new try */
#define MAX_SOLO_WINDOWS 64

struct vae_pool {
  vae_allocator mem;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t *tid;
  int workers;              /* threads started */
  int next_id;              /* worker numbers handed out so far */
  int stop;
  unsigned long gen;        /* bumped for each job */
  vae_pool_fn fn;
  void *ctx;
  int items, finished;
  long long shared;         /* items the workers have run (under the lock) */
  int fixed;                /* vae_pool_fix_shares */
  /* Each thread's share of the current job: items home_next[t] up to
  ** home_end[t] (see next_item). */
  int home_next[VAE_MAX_THREADS], home_end[VAE_MAX_THREADS];
  /* The caller's view (only it touches these): see the top of the file. */
  int solo, jobs, solo_windows;
  int backoff;              /* windows of the current solo spell; 0: none yet */
  double wall, alone;
};

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int vae_cores(void) {
  long n = 0;
#ifdef CPU_COUNT
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
#endif
  if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  return n > VAE_MAX_THREADS ? VAE_MAX_THREADS : (int)n;
}

/* gen and finished are also read without the lock while a thread spins
** (spin_until), so every access to them is atomic. */
static unsigned long load_gen(vae_pool *p) { return __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE); }
static int load_finished(vae_pool *p) { return __atomic_load_n(&p->finished, __ATOMIC_ACQUIRE); }

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/* Watches for up to SPIN_SECONDS, without the lock, until the job
** generation differs from gen (done: 0) or finished reaches items (done:
** 1). The caller then takes the lock and checks again, so a miss only
** means a sleep. */
static void spin_until(vae_pool *p, int done, unsigned long gen, int items) {
  double until = now() + SPIN_SECONDS;
  do {
    for (int i = 0; i < 64; i++) {
      if (done ? load_finished(p) >= items : load_gen(p) != gen) return;
      cpu_relax();
    }
  } while (now() <= until);
}

/* The next item for thread id, or -1 when none is left: first its own
** share of the job in order, then, from the end, an item of the thread
** with the most left (a thread that a busy machine holds back). Called
** with the lock held. Each thread keeps to the same share job after job,
** so that an item's buffers (a shard's workspace, a range of parameters
** and their optimizer state) stay in the cache of the core that used
** them last; a fit's steps, timed alternately each way in one process,
** took 0.5-1% less than with items handed to whichever thread was free. */
static int next_item(vae_pool *p, int id) {
  if (p->home_next[id] < p->home_end[id]) return p->home_next[id]++;
  if (p->fixed) return -1;
  int from = -1, most = 0;
  for (int t = 0; t <= p->workers; t++)
    if (p->home_end[t] - p->home_next[t] > most) {
      most = p->home_end[t] - p->home_next[t];
      from = t;
    }
  return from < 0 ? -1 : --p->home_end[from];
}

/* Runs items of the current job until none is left; called and returns
** with the lock held. With spent, adds the seconds spent in them and
** returns how many it ran. */
static int take_items(vae_pool *p, int id, double *spent) {
  int ran = 0, i;
  while ((i = next_item(p, id)) >= 0) {
    vae_pool_fn fn = p->fn;
    void *ctx = p->ctx;
    pthread_mutex_unlock(&p->lock);
    double t0 = spent ? now() : 0;
    fn(ctx, i, id);
    if (spent) *spent += now() - t0;
    ran++;
    pthread_mutex_lock(&p->lock);
    if (id > 0) p->shared++;
    int finished = p->finished + 1;
    __atomic_store_n(&p->finished, finished, __ATOMIC_RELEASE);
    if (finished == p->items) pthread_cond_signal(&p->done);
  }
  return ran;
}

static void *worker(void *arg) {
  vae_pool *p = arg;
  pthread_mutex_lock(&p->lock);
  const int id = ++p->next_id;
  /* Jobs are numbered from 1: a worker that starts after the first was
  ** posted still takes its share (with fixed shares the caller waits for
  ** it; a job long done has no item left). */
  unsigned long seen = 0;
  for (;;) {
    if (!p->stop && p->gen == seen) {
      pthread_mutex_unlock(&p->lock);
      spin_until(p, 0, seen, 0);
      pthread_mutex_lock(&p->lock);
    }
    while (!p->stop && p->gen == seen) pthread_cond_wait(&p->wake, &p->lock);
    if (p->stop) break;
    seen = p->gen;
    take_items(p, id, NULL);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

int vae_pool_create(const vae_allocator *a, int threads, vae_pool **out) {
  *out = NULL;
  if (threads > VAE_MAX_THREADS) threads = VAE_MAX_THREADS;
  if (threads <= 1) return VAE_OK;
  vae_pool *p = vae_calloc(a, 1, sizeof *p);
  if (!p) return VAE_NOMEM;
  p->mem = *a;
  if (!(p->tid = vae_calloc(a, (size_t)threads - 1, sizeof *p->tid))) {
    vae_free(a, p);
    return VAE_NOMEM;
  }
  if (pthread_mutex_init(&p->lock, NULL)) goto fail_lock;
  if (pthread_cond_init(&p->wake, NULL)) goto fail_wake;
  if (pthread_cond_init(&p->done, NULL)) goto fail_done;
  /* Signals stay with the host's threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  while (p->workers < threads - 1 && pthread_create(&p->tid[p->workers], NULL, worker, p) == 0)
    p->workers++;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (p->workers > 0) {
    *out = p;
    return VAE_OK;
  }
  pthread_cond_destroy(&p->done);
fail_done:
  pthread_cond_destroy(&p->wake);
fail_wake:
  pthread_mutex_destroy(&p->lock);
fail_lock:
  vae_free(a, p->tid);
  vae_free(a, p);
  return VAE_OK; /* no thread to share with: the caller works alone */
}

int vae_pool_threads(const vae_pool *p) { return p ? p->workers + 1 : 1; }

void vae_pool_fix_shares(vae_pool *p) {
  if (p) p->fixed = 1;
}

long long vae_pool_shared(vae_pool *p) {
  if (!p) return 0;
  pthread_mutex_lock(&p->lock);
  long long n = p->shared;
  pthread_mutex_unlock(&p->lock);
  return n;
}

void vae_pool_new_phase(vae_pool *p) {
  if (!p) return;
  p->solo = p->jobs = p->solo_windows = p->backoff = 0;
  p->wall = p->alone = 0;
}

void vae_pool_run(vae_pool *p, int items, vae_pool_fn fn, void *ctx) {
  if (!p || items <= 1 || (p->solo && !p->fixed)) {
    for (int i = 0; i < items; i++) fn(ctx, i, 0);
    if (p && items > 1 && ++p->jobs == WINDOW) {
      p->jobs = 0;
      if (++p->solo_windows >= p->backoff) p->solo = p->solo_windows = 0;
    }
    return;
  }
  double t0 = now(), spent = 0;
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->items = items;
  for (int t = 0, threads = p->workers + 1; t < threads; t++) {
    p->home_next[t] = (int)((int64_t)items * t / threads);
    p->home_end[t] = (int)((int64_t)items * (t + 1) / threads);
  }
  __atomic_store_n(&p->finished, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&p->wake);
  int ran = take_items(p, 0, &spent);
  if (p->finished < p->items) {
    pthread_mutex_unlock(&p->lock);
    spin_until(p, 1, 0, items);
    pthread_mutex_lock(&p->lock);
  }
  while (p->finished < p->items) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
  if (ran > 0) {
    p->wall += now() - t0;
    p->alone += spent / ran * items;
  }
  /* A try that is already slower than the caller alone after EARLY jobs
  ** ends there (see the top of the file). */
  ++p->jobs;
  if (p->jobs == WINDOW || (p->jobs == EARLY && p->backoff && p->wall > p->alone)) {
    p->solo = p->wall > 0.85 * p->alone;
    if (p->solo)
      p->backoff = !p->backoff ? SOLO_WINDOWS
                   : 2 * p->backoff > MAX_SOLO_WINDOWS ? MAX_SOLO_WINDOWS : 2 * p->backoff;
    else
      p->backoff = 0;
    p->jobs = 0;
    p->wall = p->alone = 0;
  }
}

void vae_pool_free(vae_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->wake);
  pthread_mutex_unlock(&p->lock);
  for (int i = 0; i < p->workers; i++) pthread_join(p->tid[i], NULL);
  pthread_cond_destroy(&p->done);
  pthread_cond_destroy(&p->wake);
  pthread_mutex_destroy(&p->lock);
  vae_allocator a = p->mem;
  vae_free(&a, p->tid);
  vae_free(&a, p);
}
