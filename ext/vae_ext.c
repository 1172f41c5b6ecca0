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
**
** Models are stored in the table vae_models of the main database (see
** sql/schema.sql). vae_fit and vae_fill write, and vae_fidelity runs the SQL
** text of its source argument: these three are SQLITE_DIRECTONLY (not from
** triggers or views). vae_impute, vae_score and the tables only read the
** store: SQLITE_INNOCUOUS (not DETERMINISTIC: a refit changes answers).
*/
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

#include "ext.h"
#include "store.h"

#include <math.h>

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

const vae_allocator vae_sqlite_mem = {mem_malloc, mem_realloc, mem_free, NULL};

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

void vae_result_errmsg(sqlite3_context *ctx, int rc, char *msg) {
  if (!msg || rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(ctx);
  } else {
    sqlite3_result_error(ctx, msg, -1);
    if (rc != 0 && rc != SQLITE_ERROR) sqlite3_result_error_code(ctx, rc);
  }
  sqlite3_free(msg);
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
  SQLITE_EXTENSION_INIT2(pApi);
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
  rc = vae_register_fit(db, x);
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
