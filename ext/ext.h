/*
** ext.h -- what the files of ext/ share: the per-connection state of the
** extension, the registration functions of each file, and small helpers.
**
** ext/ is the only part of the project that includes sqlite3ext.h. Every
** file but vae_ext.c (which defines the API pointer) sees it through here.
*/
#ifndef VAE_EXT_H
#define VAE_EXT_H

#include "sqlite3ext.h"
#ifndef SQLITE_CORE
SQLITE_EXTENSION_INIT3
#endif

#include "../core/vae.h"

typedef struct vae_entry vae_entry;

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
} vae_ext;

/* The message of a writer (fn) called from inside a source, or NULL. */
#define VAE_IN_SOURCE_MSG(fn) \
  fn ": cannot run inside the source of vae_fit or vae_fidelity (a source is read-only)"

/* Registration, one per file; each takes one reference on x per object. */
int vae_register_fit(sqlite3 *db, vae_ext *x);
int vae_register_impute(sqlite3 *db, vae_ext *x);
int vae_register_sample(sqlite3 *db, vae_ext *x);
int vae_register_vtab(sqlite3 *db, vae_ext *x);
int vae_register_fill(sqlite3 *db, vae_ext *x);
int vae_register_fidelity(sqlite3 *db, vae_ext *x);

/* The destructor given to SQLite with every registration. */
void vae_ext_unref(void *p);

/* Sets an error on ctx: "<msg>" with SQLITE_NOMEM when msg is NULL. Frees
** msg (from sqlite3_mprintf). rc chooses the code (SQLITE_ERROR if 0). */
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

/* Appends a string literal to a vae_buf (see core/json.h). */
#define VAE_BUF_LIT(b, lit) vae_buf_append((b), (lit), sizeof(lit) - 1)

/* Identifier quoting for SQL text: "x" with embedded quotes doubled. In
** sqlite3_mprintf formats this is "\"%w\"". */

/* Runs one SQL statement without results; on failure *err (if not NULL)
** receives a copy of the message. */
int vae_exec(sqlite3 *db, const char *sql, char **err);

#endif
