/*
** ext.h -- what the files of ext/ share: the per-connection state of the
** extension, the registration functions of each file, and small helpers.
**
** ext/ is the only part of the project that includes sqlite3ext.h. Every
** file but vae_ext.c (which defines the API pointer) sees it through here.
*/
#ifndef VAE_EXT_H
#define VAE_EXT_H

#include <pthread.h>
#include "sqlite3ext.h"
#ifndef SQLITE_CORE
SQLITE_EXTENSION_INIT3
#endif

#include "../core/vae.h"

typedef struct vae_entry vae_entry;

/* How deep reads of `vae(m, source=...)` tables may nest (f2 reading f1
** reading t is 2). A chain that reaches itself is an error long before. */
#define VAE_MAX_NEST 16

/* One per connection, shared (reference counted) by every function and
** module registered on it; freed when the last registration goes away,
** that is when the connection closes. */
typedef struct vae_ext {
  int refs;          /* registrations holding this struct */
  vae_entry *cache;  /* loaded models, see store.h */
  int ncache;
  int in_source;     /* > 0 while vae_fit or vae_fidelity reads its source: a
                        source is read-only, so vae_fit and vae_fill called
                        from it (SELECT vae_fill(...) AS x ...) refuse */
  int nest;          /* source= tables being read, innermost last: a source
                        chain that reaches itself is found here, not by
                        overflowing the stack */
  const char *nest_name[VAE_MAX_NEST];
} vae_ext;

/* The message of a writer (fn) called from inside a source, or NULL. */
#define VAE_IN_SOURCE_MSG(fn) \
  fn ": cannot run inside the source of vae_fit or vae_fidelity (a source is read-only)"

/* Functions that set the JSON subtype on their result say so (SQLite
** 3.45+ requires it; older headers lack the flag, older libraries ignore
** it). */
#ifndef SQLITE_RESULT_SUBTYPE
#define SQLITE_RESULT_SUBTYPE 0x001000000
#endif
#define VAE_JSON_RESULT (SQLITE_UTF8 | SQLITE_RESULT_SUBTYPE)

/* While vae_fit or vae_fidelity reads its source, the connection is made
** read-only for everything that runs meanwhile, including SQL that a
** host's function may run: PRAGMA query_only (no INSERT, UPDATE, DELETE,
** CREATE, DROP, no PRAGMA that writes the file) and SQLITE_LIMIT_ATTACHED 0
** (no ATTACH). Both are put back as they were afterwards. Inside a
** statement that writes (INSERT ... SELECT vae_fit(...)), query_only cannot
** be set (it would abort that statement): rows changed meanwhile
** (sqlite3_total_changes) make the call fail instead. Not an authorizer: a
** connection has one, which the extension cannot read, so installing its
** own would remove the host's. */
typedef struct {
  sqlite3_stmt *restore;   /* PRAGMA query_only = 0, or NULL if it was on */
  int attached;            /* the earlier limit */
  int changes;             /* sqlite3_total_changes at the start */
} vae_readonly;
int vae_readonly_begin(sqlite3 *db, vae_readonly *g, const char *fn, char **err);
/* Restores; returns rc, or an error (in *err) when rows changed. */
int vae_readonly_end(sqlite3 *db, vae_readonly *g, const char *fn, int rc, char **err);

/* Registration, one per file; each takes one reference on x per object. */
int vae_register_fit(sqlite3 *db, vae_ext *x);
int vae_register_impute(sqlite3 *db, vae_ext *x);
int vae_register_sample(sqlite3 *db, vae_ext *x);
int vae_register_vtab(sqlite3 *db, vae_ext *x);
int vae_register_fill(sqlite3 *db, vae_ext *x);
int vae_register_fidelity(sqlite3 *db, vae_ext *x);

/* The destructor given to SQLite with every registration. */
void vae_ext_unref(void *p);

/* Sets an error on ctx: "<msg>", or SQLITE_NOMEM when msg is NULL (a
** message that could not be made) unless rc names another failure, whose
** words are then sqlite3_errstr's. Frees msg (from sqlite3_mprintf). rc
** chooses the code (SQLITE_ERROR if 0). */
void vae_result_errmsg(sqlite3_context *ctx, int rc, char *msg);

/* Sets msg (from sqlite3_mprintf, owned from now on) as the error of a
** virtual table; returns rc, or SQLITE_NOMEM when msg is NULL. */
int vae_vtab_error(sqlite3_vtab *vt, int rc, char *msg);

/* An integer-valued SQL value (INTEGER, or REAL without fraction) into
** *out; 0 for anything else. */
int vae_int_value(sqlite3_value *v, sqlite3_int64 *out);

/* What core allocates with: sqlite3_malloc64, sqlite3_realloc64 and
** sqlite3_free, so that the host's heap limits (sqlite3_hard_heap_limit64,
** PRAGMA hard_heap_limit) and allocator hooks apply to models, training
** buffers and parsed JSON alike. */
extern const vae_allocator vae_sqlite_mem;

/* The same allocator, counting into *c the bytes it holds (now) and the
** most it held at once (peak) since this call: vae_fit's memory report.
** Per call, no global state. Threadsafe: a fit of two members allocates
** on two threads at once (core/vae.h, vae_fit), so each call holds c's
** lock, which also keeps the two threads from being inside SQLite at once
** whatever SQLite's threading mode (the caller's thread holds it around
** its own calls into SQLite during the fit: vae_counting_lock). Memory
** from it may be freed with sqlite3_free (it is then not subtracted) but
** not the other way round. vae_counting_end(c) when done with it. */
typedef struct {
  sqlite3_uint64 now, peak;
  pthread_mutex_t lock;
} vae_mem_count;
vae_allocator vae_counting_mem(vae_mem_count *c);
void vae_counting_end(vae_mem_count *c);
void vae_counting_lock(vae_mem_count *c);
void vae_counting_unlock(vae_mem_count *c);

/* A name argument (model, table, column): TEXT without NUL bytes. 0 and
** *out set, else an error set on ctx: "<fn>: <what> must be a text name"
** or "... must not contain NUL characters". */
int vae_name_arg(sqlite3_context *ctx, sqlite3_value *v, const char *fn,
                 const char *what, const char **out);

/* Appends a string literal to a vae_buf (see json.h). */
#define VAE_BUF_LIT(b, lit) vae_buf_append((b), (lit), sizeof(lit) - 1)

/* Identifier quoting for SQL text: "x" with embedded quotes doubled. In
** sqlite3_mprintf formats this is "\"%w\"". */

/* SQLite 3.40 has no sqlite3_is_interrupted(): long loops step this
** statement of about 5,000 VM operations (~0.1 ms) between pieces of work.
** It fails with SQLITE_INTERRUPT once the connection is interrupted, and
** runs the progress handler on the way (for handlers registered with N up
** to a few thousand). */
#define VAE_POLL_SQL \
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500) " \
  "SELECT count(*) FROM c"

/* Multiply-adds of network work between two such looks (some 25 ms). */
#define VAE_POLL_WORK 1e9

/* Steps *poll (prepared from VAE_POLL_SQL on first use): 1 when the
** connection was interrupted (or its progress handler said stop), else 0.
** The caller finalizes *poll. */
int vae_interrupted(sqlite3 *db, sqlite3_stmt **poll);

/* Runs one SQL statement without results; on failure *err (if not NULL)
** receives a copy of the message. */
int vae_exec(sqlite3 *db, const char *sql, char **err);

/* Undoes and closes SAVEPOINT `name` after a failure. ROLLBACK TO is a
** statement, and once sqlite3_interrupt is called no statement of the
** connection runs (none even parses) until the one calling us ends: the
** work would stay, uncommitted, in a transaction left open. Then `writer`
** is stepped: a statement that writes (sqlite3_stmt_readonly false),
** prepared before the savepoint, that stops at its first instruction; an
** interrupted statement that writes rolls the whole transaction back
** (SQLite's rule for sqlite3_interrupt), which undoes the work, and with
** it, inside a transaction the host began, the host's (as an interrupted
** UPDATE of its own would). */
void vae_savepoint_undo(sqlite3 *db, const char *name, sqlite3_stmt *writer);

#endif
