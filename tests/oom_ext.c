/*
** oom_ext.c -- out-of-memory injection for the SQL functions of vae.so.
**
** For each scenario, and for N = 1, 2, ... : open a fresh database, load the
** extension, set up tables and a model, then make the N-th allocation of the
** scenario's statement fail through a wrapping SQLite allocator, run the
** statement, and check that it either succeeded or failed cleanly, that
** the connection still works, and that closing it gives back every
** allocation. Stops at the first N whose run saw no injected failure.
** vae.so hands core/ SQLite's allocator (sqlite3_malloc64), so the count
** covers the allocations of the model, its training buffers and parsed
** JSON as well as SQLite's own: vae.so has no injection hooks of its own.
**
** Build and run (from the project root, after make):
**   cc -std=c99 -O1 -o build/oom_ext tests/oom_ext.c -lsqlite3
**   build/oom_ext ./vae.so
** Prints one line per scenario, and "N passed, N failed" counting the
** scenarios that had no problem (exit 1 if any had).
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3_mem_methods base;
static long fail_at = -1;   /* allocations until the failure; -1 = never */
static int failed_once;
static long live;           /* outstanding allocations */

static void *x_malloc(int n) {
  void *p;
  if (fail_at > 0 && --fail_at == 0) {
    failed_once = 1;
    return NULL;
  }
  p = base.xMalloc(n);
  if (p) live++;
  return p;
}
static void x_free(void *p) {
  if (p) live--;
  base.xFree(p);
}
static void *x_realloc(void *p, int n) {
  void *q;
  if (fail_at > 0 && --fail_at == 0) {
    failed_once = 1;
    return NULL;
  }
  q = base.xRealloc(p, n);
  if (q && !p) live++;
  return q;
}
static int x_size(void *p) { return base.xSize(p); }
static int x_roundup(int n) { return base.xRoundup(n); }
static int x_init(void *a) { return base.xInit(a); }
static void x_shutdown(void *a) { base.xShutdown(a); }

static const char *so_path;

static const char *SETUP =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);"
    "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)"
    " INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,"
    " (i % 5) * 1.5, CASE WHEN i % 9 = 2 THEN NULL ELSE i % 3 END, substr('xyz', i % 3 + 1, 1)"
    " FROM s;"
    "SELECT vae_fit('m', 't', '{\"epochs\": 2, \"hidden\": [8], \"latent\": 2, \"samples\": 2,"
    " \"impute_samples\": 4, \"seed\": 1}');"
    "CREATE VIRTUAL TABLE g USING vae(m);"
    "CREATE VIRTUAL TABLE f USING vae(m, source=t);";

static const char *SCENARIOS[] = {
    "SELECT vae_fit('m', 't', '{\"epochs\": 1, \"hidden\": [8], \"latent\": 2, \"samples\": 2}')",
    "SELECT vae_fit('m', 'SELECT a, k FROM t', '{\"epochs\": 1, \"hidden\": [8], \"latent\": 2}')",
    "SELECT vae_fit('m', 't', '{\"epochs\": 1, \"warm_start\": true}')",
    /* a reservoir: the rows not kept (and those replaced) add their levels */
    "SELECT vae_fit('r', 't', '{\"epochs\": 1, \"hidden\": [8], \"latent\": 2, \"max_rows\": 5,"
    " \"types\": {\"c\": \"categorical\"}}')",
    "SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y'), vae_impute('m', 'k', 1, 1, NULL, NULL)",
    "SELECT vae_impute('m', 'a', json_object('b', 1.5, 'k', 'y'))",
    "SELECT vae_score('m', 1, 1.5, 1, 'y')",
    "SELECT count(*) FROM vae_sample('m', 300, 3)",
    "SELECT count(*) FROM (SELECT * FROM g WHERE k = 'x' LIMIT 300)",
    "SELECT count(*), sum(a) FROM f WHERE draw = 1",
    "SELECT vae_fill('m', 't')",
    "SELECT vae_fidelity('m', 't')",
    "SELECT vae_impute('m', 'zz', 1)",
    NULL};

/* One run: 0 ok or clean error, 1 a problem. */
static int run(const char *sql, long n, int *saw_failure) {
  sqlite3 *db = NULL;
  char *err = NULL;
  long before = live;
  int rc, problem = 0;
  failed_once = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, so_path, 0, &err) != SQLITE_OK) {
    fprintf(stderr, "cannot load %s: %s\n", so_path, err ? err : "?");
    exit(2);
  }
  if (sqlite3_exec(db, SETUP, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "setup failed: %s\n", err);
    exit(2);
  }
  fail_at = n;
  rc = sqlite3_exec(db, sql, NULL, NULL, &err);
  *saw_failure = failed_once;
  fail_at = -1;
  if (rc != SQLITE_OK && rc != SQLITE_NOMEM && rc != SQLITE_ERROR && rc != SQLITE_CORRUPT) {
    fprintf(stderr, "  N=%ld: unexpected code %d (%s)\n", n, rc, err ? err : "");
    problem = 1;
  }
  sqlite3_free(err);
  err = NULL;
  /* The connection must still work. */
  if (sqlite3_exec(db, "SELECT count(*) FROM t", NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "  N=%ld: connection broken: %s\n", n, err ? err : "");
    problem = 1;
  }
  sqlite3_free(err);
  sqlite3_close(db);
  if (live != before) {
    fprintf(stderr, "  N=%ld: %ld allocations not freed\n", n, live - before);
    problem = 1;
  }
  return problem;
}

int main(int argc, char **argv) {
  static sqlite3_mem_methods m;
  int s, problems = 0;
  so_path = argc > 1 ? argv[1] : "./vae.so";
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &base);
  m = base;
  m.xMalloc = x_malloc;
  m.xFree = x_free;
  m.xRealloc = x_realloc;
  m.xSize = x_size;
  m.xRoundup = x_roundup;
  m.xInit = x_init;
  m.xShutdown = x_shutdown;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) return 2;
  sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
  int passes = 0, failures = 0;
  for (s = 0; SCENARIOS[s]; s++) {
    long n;
    int saw = 1, p = 0;
    for (n = 1; saw && n < 200000; n++) p += run(SCENARIOS[s], n, &saw);
    printf("%5ld runs, %d problems: %.70s\n", n - 1, p, SCENARIOS[s]);
    problems += p;
    if (p) failures++; else passes++;
  }
  printf("%d passed, %d failed\n", passes, failures);
  return problems ? 1 : 0;
}
