/*
** vae_ext.c -- entry point of the vae extension for SQLite: a variational
** autoencoder trained over the columns of a table, used from SQL to fill
** NULLs, to generate synthetic rows and to score rows.
**
** Load it (the shared library is vae.so):
**
**     .load ./vae                                  -- sqlite3 shell
**     SELECT load_extension('./vae');              -- any program
**
** or compile ext/ and core/ into an application with -DSQLITE_CORE and call
** sqlite3_vae_init(db, &err, NULL), e.g. via sqlite3_auto_extension().
**
** Usage:
**
**     SELECT vae_fit('m', 'patients', '{"epochs": 100}');   -- JSON report
**     SELECT vae_fit('m', 'SELECT age, bmi, sex FROM patients WHERE ...');
**     UPDATE patients SET bmi = vae_impute('m', 'bmi', age, bmi, sex)
**      WHERE bmi IS NULL;
**     SELECT vae_impute('m', 'bmi', json_object('age', 40, 'sex', 'F'));
**     SELECT vae_fill('m', 'patients');                     -- cells filled
**     SELECT value FROM vae_sample('m', 1000, 42);          -- JSON rows
**     SELECT * FROM patients ORDER BY vae_score('m', age, bmi, sex) DESC;
**     CREATE VIRTUAL TABLE s USING vae(m);                  -- synthetic rows
**     SELECT * FROM s WHERE sex = 'F' LIMIT 10;             -- conditioned
**     CREATE VIRTUAL TABLE f USING vae(m, source=patients); -- NULLs filled
**     SELECT * FROM f WHERE draw = 3;                       -- one imputation
**     SELECT vae_fidelity('m', 'patients');                 -- JSON scores
**     SELECT vae_version();                                 -- '0.1.0'
**
** Models are stored in the table vae_models of the main database (see
** sql/schema.sql). vae_fit and vae_fill write, and vae_fidelity runs the SQL
** text of its source argument: these three are SQLITE_DIRECTONLY (not from
** triggers or views). vae_impute, vae_score and the tables only read the
** store: SQLITE_INNOCUOUS (not DETERMINISTIC: a refit changes answers).
** vae_version() returns VAE_VERSION (core/version.h), the version also
** written into every model blob: DETERMINISTIC and INNOCUOUS.
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include "ext.h"
#include "store.h"
#include "../core/version.h"

#include <math.h>
#ifndef SQLITE_CORE
#include <pthread.h>

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

static void *mem_malloc(void *ctx, size_t size) {
  (void)ctx;
  return sqlite3_malloc64(size);
}

static void *mem_realloc(void *ctx, void *p, size_t size) {
  (void)ctx;
  return sqlite3_realloc64(p, size);
}

static void mem_free(void *ctx, void *p) {
  (void)ctx;
  sqlite3_free(p);
}

const vae_allocator vae_sqlite_mem = {mem_malloc, mem_realloc, mem_free, NULL, 0};

/* The counting allocator: SQLite's, with the bytes held now and at most
** (sqlite3_msize: what SQLite's allocator really handed out), under c's
** lock. */
static void count_add(vae_mem_count *c, sqlite3_uint64 add, sqlite3_uint64 sub) {
  c->now = c->now + add - (sub < c->now + add ? sub : c->now + add);
  if (c->now > c->peak) c->peak = c->now;
}

static void *count_malloc(void *ctx, size_t size) {
  vae_mem_count *c = ctx;
  pthread_mutex_lock(&c->lock);
  void *p = sqlite3_malloc64(size);
  if (p) count_add(c, sqlite3_msize(p), 0);
  pthread_mutex_unlock(&c->lock);
  return p;
}

static void *count_realloc(void *ctx, void *p, size_t size) {
  vae_mem_count *c = ctx;
  pthread_mutex_lock(&c->lock);
  sqlite3_uint64 old = p ? sqlite3_msize(p) : 0;
  void *q = sqlite3_realloc64(p, size);
  if (q) count_add(c, sqlite3_msize(q), old);
  pthread_mutex_unlock(&c->lock);
  return q;
}

static void count_free(void *ctx, void *p) {
  vae_mem_count *c = ctx;
  pthread_mutex_lock(&c->lock);
  if (p) count_add(c, 0, sqlite3_msize(p));
  sqlite3_free(p);
  pthread_mutex_unlock(&c->lock);
}

vae_allocator vae_counting_mem(vae_mem_count *c) {
  vae_allocator a = {count_malloc, count_realloc, count_free, c, 1};
  c->now = c->peak = 0;
  pthread_mutex_init(&c->lock, NULL);
  return a;
}

void vae_counting_end(vae_mem_count *c) { pthread_mutex_destroy(&c->lock); }
void vae_counting_lock(vae_mem_count *c) { pthread_mutex_lock(&c->lock); }
void vae_counting_unlock(vae_mem_count *c) { pthread_mutex_unlock(&c->lock); }

int vae_interrupted(sqlite3 *db, sqlite3_stmt **poll) {
  int rc;
  if (!*poll) {
    /* An interrupt that came first fails the prepare itself. */
    rc = sqlite3_prepare_v2(db, VAE_POLL_SQL, -1, poll, NULL);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(*poll);
      *poll = NULL;
      return rc == SQLITE_INTERRUPT;
    }
  }
  rc = sqlite3_step(*poll);
  sqlite3_reset(*poll);
  return rc == SQLITE_INTERRUPT;
}
#include <string.h>

void vae_ext_unref(void *p) {
  vae_ext *x = p;
  if (x && --x->refs == 0) {
    vae_store_clear(x);
    sqlite3_free(x);
  }
}

int vae_vtab_error(sqlite3_vtab *vt, int rc, char *msg) {
  sqlite3_free(vt->zErrMsg);
  vt->zErrMsg = msg;
  return msg ? rc : SQLITE_NOMEM;
}

int vae_int_value(sqlite3_value *v, sqlite3_int64 *out) {
  if (sqlite3_value_type(v) == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(v);
    return 1;
  }
  if (sqlite3_value_type(v) == SQLITE_FLOAT) {
    double d = sqlite3_value_double(v);
    if (d == floor(d) && fabs(d) < 9.2e18) {
      *out = (sqlite3_int64)d;
      return 1;
    }
  }
  return 0;
}

int vae_name_arg(sqlite3_context *ctx, sqlite3_value *v, const char *fn,
                 const char *what, const char **out) {
  const char *s;
  *out = NULL;
  if (sqlite3_value_type(v) != SQLITE_TEXT) {
    vae_result_errmsg(ctx, SQLITE_ERROR, sqlite3_mprintf("%s: %s must be a text name", fn, what));
    return 1;
  }
  s = (const char *)sqlite3_value_text(v);
  if (!s) {
    sqlite3_result_error_nomem(ctx);
    return 1;
  }
  /* A C string would stop at the NUL: 't' || char(0) || 'x' would name t. */
  if (strlen(s) != (size_t)sqlite3_value_bytes(v)) {
    vae_result_errmsg(ctx, SQLITE_ERROR,
                      sqlite3_mprintf("%s: %s must not contain NUL characters", fn, what));
    return 1;
  }
  *out = s;
  return 0;
}

int vae_readonly_begin(sqlite3 *db, vae_readonly *g, const char *fn, char **err) {
  sqlite3_stmt *st = NULL;
  int rc = SQLITE_OK, on = 0;
  g->restore = NULL;
  g->attached = -1;
  *err = NULL;
  g->changes = sqlite3_total_changes(db);
  /* Setting query_only expires every statement, which a running statement
  ** that writes (INSERT INTO log SELECT vae_fit(...)) does not survive:
  ** then the source's writes are only detected, by the change count. */
  for (st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
    if (sqlite3_stmt_busy(st) && !sqlite3_stmt_readonly(st)) on = 1;
  st = NULL;
  if (!on) {
    rc = sqlite3_prepare_v2(db, "PRAGMA query_only", -1, &st, NULL);
    if (rc == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW) on = sqlite3_column_int(st, 0);
      rc = sqlite3_finalize(st);
    }
  }
  if (rc == SQLITE_OK && !on) {
    /* Prepared before anything changes, so that undoing cannot fail for
    ** want of memory. Setting query_only expires it, so vae_readonly_end's
    ** step prepares it again, and a pragma's flag changes as the statement
    ** is parsed. After sqlite3_interrupt the parser stops at the first
    ** space, comment or end of text it meets (until the interrupted
    ** statement ends): written without spaces and closed by ';', the
    ** statement is parsed, and the flag cleared, before the end is met
    ** (tests/sql/39_source_readonly.py; with spaces it stayed on). */
    rc = sqlite3_prepare_v2(db, "PRAGMA\"query_only\"=0;", -1, &g->restore, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(g->restore);
      g->restore = NULL;
    }
  }
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOMEM) return rc;
    *err = sqlite3_mprintf("%s: cannot make the connection read-only while the source is "
                           "read: %s", fn, sqlite3_errmsg(db));
    return *err ? rc : SQLITE_NOMEM;
  }
  g->attached = sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  return SQLITE_OK;
}

int vae_readonly_end(sqlite3 *db, vae_readonly *g, const char *fn, int rc, char **err) {
  int changed = sqlite3_total_changes(db) - g->changes;
  if (g->attached >= 0) sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, g->attached);
  g->attached = -1;
  if (g->restore) {
    sqlite3_step(g->restore);
    sqlite3_finalize(g->restore);
    g->restore = NULL;
  }
  if (rc == SQLITE_OK && changed != 0) {
    sqlite3_free(*err);
    *err = sqlite3_mprintf("%s: the source changed %d rows; a source must be read-only",
                           fn, changed);
    rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc;
}

void vae_result_errmsg(sqlite3_context *ctx, int rc, char *msg) {
  if (rc == SQLITE_NOMEM || (!msg && (rc == SQLITE_OK || rc == SQLITE_ERROR))) {
    sqlite3_result_error_nomem(ctx);
  } else if (!msg) {
    /* A failure no message was made for (a step that was interrupted):
    ** SQLite's words for its code, not "out of memory". */
    sqlite3_result_error(ctx, sqlite3_errstr(rc), -1);
    sqlite3_result_error_code(ctx, rc);
  } else {
    sqlite3_result_error(ctx, msg, -1);
    if (rc != 0 && rc != SQLITE_ERROR) sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_free(msg);
}

/* vae_version(): the semantic version of this build. */
static void version_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  sqlite3_result_text(ctx, VAE_VERSION, -1, SQLITE_STATIC);
}

/* The one symbol vae.so exports: everything else is compiled with
** -fvisibility=hidden and kept local by ext/exports.map (see Makefile). */
#ifdef _WIN32
__declspec(dllexport)
#elif defined(__GNUC__)
__attribute__((visibility("default")))
#endif
int sqlite3_vae_init(sqlite3 *db, char **pzErrMsg,
                     const sqlite3_api_routines *pApi) {
  vae_ext *x;
  int rc;
#ifdef SQLITE_CORE
  SQLITE_EXTENSION_INIT2(pApi);
#else
  /* The API pointer is the one global every loadable extension has, the
  ** same for every connection of one SQLite library. It is written once,
  ** under a lock, and not again on later loads, whose threads would
  ** otherwise write it while other connections' threads read it (also
  ** when SQLite unloads vae.so after the last connection and two threads
  ** load it again at once). */
  pthread_mutex_lock(&api_lock);
  if (sqlite3_api != pApi) SQLITE_EXTENSION_INIT2(pApi);
  pthread_mutex_unlock(&api_lock);
#endif
  if (sqlite3_libversion_number() < 3031000) {
    if (pzErrMsg) *pzErrMsg = sqlite3_mprintf("vae: needs SQLite 3.31 or newer");
    return SQLITE_ERROR;
  }
  x = sqlite3_malloc(sizeof *x);
  if (!x) return SQLITE_NOMEM;
  x->refs = 1; /* ours, until the registrations are done */
  x->cache = NULL;
  x->ncache = 0;
  x->in_source = 0;
  x->nest = 0;
  rc = sqlite3_create_function_v2(db, "vae_version", 0,
                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                  NULL, version_func, NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = vae_register_fit(db, x);
  if (rc == SQLITE_OK) rc = vae_register_impute(db, x);
  if (rc == SQLITE_OK) rc = vae_register_sample(db, x);
  if (rc == SQLITE_OK) rc = vae_register_vtab(db, x);
  if (rc == SQLITE_OK) rc = vae_register_fill(db, x);
  if (rc == SQLITE_OK) rc = vae_register_fidelity(db, x);
  vae_ext_unref(x);
  if (rc != SQLITE_OK && pzErrMsg)
    *pzErrMsg = sqlite3_mprintf("vae: cannot register: %s", sqlite3_errstr(rc));
  return rc;
}
