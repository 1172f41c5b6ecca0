/*
** threads.c -- two threads, two connections, at once: one thread fits model
** m again and again (a new fit, then warm starts) while the other imputes,
** scores, samples, fills and scans both virtual tables with m. Twice: on
** one database file in WAL mode (the second thread reloads m whenever a fit
** commits), then on two in-memory databases, where the threads share
** nothing through SQLite (no file locks, and SQLite's memory statistics,
** which take a global mutex, are off), so that ThreadSanitizer is not
** blinded by synchronization SQLite happens to do. Built with clang
** -fsanitize=thread together with a vae.so built the same way (make
** build/tsan/threads), it checks that the extension shares no mutable
** state between connections: any data race is a ThreadSanitizer report,
** and the process then exits non-zero. It also checks what each thread
** got. Run by tests/run.sh:
**   build/tsan/threads build/tsan/vae.so
** Prints "N passed, N failed" (N counting the two threads' checks).
*/
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *so_path;
static char db_path[256];
static int shared;         /* this round: one file (1) or two :memory: (0) */

static const char *SETUP =
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b INTEGER, k TEXT);"
    "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 299)"
    " INSERT INTO t(a, b, k) SELECT CASE WHEN i % 6 = 0 THEN NULL ELSE i * 0.25 END,"
    " i % 4, substr('xyz', i % 3 + 1, 1) FROM s;"
    "CREATE TABLE u AS SELECT * FROM t;"
    "UPDATE u SET a = NULL WHERE id % 4 = 0;"
    "SELECT vae_fit('m', 't', '{\"epochs\": 2, \"hidden\": [16], \"seed\": 1}');";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int fitting_done;   /* set by the fitting thread when it is through */
static int passed, failed;

static void check(int ok, const char *who, const char *what, const char *detail) {
  pthread_mutex_lock(&lock);
  if (ok) passed++;
  else {
    failed++;
    printf("FAIL %s: %s%s%s\n", who, what, detail ? ": " : "", detail ? detail : "");
  }
  pthread_mutex_unlock(&lock);
}

static sqlite3 *open_db(const char *who) {
  sqlite3 *db = NULL;
  char *err = NULL;
  if (sqlite3_open(shared ? db_path : ":memory:", &db) != SQLITE_OK) {
    check(0, who, "open", sqlite3_errmsg(db));
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, so_path, 0, &err) != SQLITE_OK) {
    check(0, who, "load", err);
    sqlite3_free(err);
    sqlite3_close(db);
    return NULL;
  }
  if (!shared && sqlite3_exec(db, SETUP, NULL, NULL, NULL) != SQLITE_OK) {
    check(0, who, "setup", sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

/* The first column of the first row of sql as text (into out), or an
** error recorded against who. */
static int query(sqlite3 *db, const char *who, const char *sql, char *out, size_t size) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, size, "%s", t ? (const char *)t : "NULL");
    rc = SQLITE_OK;
  } else if (rc == SQLITE_DONE) {
    snprintf(out, size, "(no row)");
    rc = SQLITE_OK;
  } else {
    check(0, who, sql, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  return rc;
}

static void *fitter(void *arg) {
  const char *who = "fitter";
  char out[64];
  int i;
  sqlite3 *db = open_db(who);
  (void)arg;
  for (i = 0; db && i < 4; i++) {
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT json_valid(vae_fit('m', 't', '{\"epochs\": 4, \"hidden\": [16], "
             "\"seed\": %d%s}'))", i + 2, i ? ", \"warm_start\": true" : "");
    /* Each fit holds the write lock from the start: a fit that reads in
    ** autocommit mode and then stores its row fails with "database is
    ** locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) when the other
    ** connection committed in between. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
      check(0, who, "begin", sqlite3_errmsg(db));
    if (query(db, who, sql, out, sizeof out) == SQLITE_OK)
      check(strcmp(out, "1") == 0, who, "fit report is JSON", out);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
      check(0, who, "commit", sqlite3_errmsg(db));
    if (query(db, who, "SELECT typeof(vae_impute('m', 'a', NULL, 2, 'y'))", out,
              sizeof out) == SQLITE_OK)
      check(strcmp(out, "real") == 0, who, "impute after the fit", out);
  }
  pthread_mutex_lock(&lock);
  fitting_done = 1;
  pthread_mutex_unlock(&lock);
  sqlite3_close(db);
  return NULL;
}

static void *user(void *arg) {
  const char *who = "user";
  char out[64];
  int rounds = 0, done = 0;
  sqlite3 *db = open_db(who);
  (void)arg;
  if (db && sqlite3_exec(db,
                         "CREATE VIRTUAL TABLE g USING vae(m);"
                         "CREATE VIRTUAL TABLE f USING vae(m, source=t);",
                         NULL, NULL, NULL) != SQLITE_OK)
    check(0, who, "virtual tables", sqlite3_errmsg(db));
  while (db && (!done || rounds < 3)) {
    if (query(db, who, "SELECT count(vae_impute('m', 'a', a, b, k)) FROM t", out,
              sizeof out) == SQLITE_OK)
      check(strcmp(out, "300") == 0, who, "impute every row", out);
    if (query(db, who, "SELECT count(*) FROM t WHERE vae_score('m', a, b, k) > -1e300",
              out, sizeof out) == SQLITE_OK)
      check(strcmp(out, "300") == 0, who, "score every row", out);
    if (query(db, who, "SELECT count(*) FROM vae_sample('m', 100, 7)", out,
              sizeof out) == SQLITE_OK)
      check(strcmp(out, "100") == 0, who, "sample", out);
    if (query(db, who, "SELECT count(*) FROM (SELECT * FROM g WHERE k = 'x' LIMIT 50)",
              out, sizeof out) == SQLITE_OK)
      check(strcmp(out, "50") == 0, who, "conditioned generation", out);
    if (query(db, who, "SELECT count(*) FROM f WHERE draw = 1 AND a IS NOT NULL", out,
              sizeof out) == SQLITE_OK)
      check(strcmp(out, "300") == 0, who, "source table", out);
    /* The write lock first (the busy timeout applies), not an upgrade of
    ** the statement's read transaction while the other thread commits. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
      check(0, who, "begin", sqlite3_errmsg(db));
    if (query(db, who, "SELECT vae_fill('m', 'u') >= 75 AND "
                       "(SELECT count(*) FROM u WHERE a IS NULL) = 0",
              out, sizeof out) == SQLITE_OK)
      check(strcmp(out, "1") == 0, who, "fill", out);
    if (sqlite3_exec(db, "UPDATE u SET a = NULL WHERE id % 4 = 0; COMMIT", NULL, NULL, NULL) !=
        SQLITE_OK)
      check(0, who, "update", sqlite3_errmsg(db));
    rounds++;
    pthread_mutex_lock(&lock);
    done = fitting_done;
    pthread_mutex_unlock(&lock);
  }
  sqlite3_close(db);
  return NULL;
}

static void round_of(int one_file) {
  pthread_t a, b;
  shared = one_file;
  fitting_done = 0;
  pthread_create(&a, NULL, fitter, NULL);
  pthread_create(&b, NULL, user, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
}

int main(int argc, char **argv) {
  sqlite3 *db;
  so_path = argc > 1 ? argv[1] : "./vae.so";
  snprintf(db_path, sizeof db_path, "%s/vae_threads_%ld.db",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
  unlink(db_path);
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  shared = 1;
  db = open_db("setup");
  if (!db) return 2;
  if (sqlite3_exec(db, "PRAGMA journal_mode = WAL;", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(db, SETUP, NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "setup failed: %s\n", sqlite3_errmsg(db));
    return 2;
  }
  sqlite3_close(db);
  round_of(1);
  round_of(0);
  unlink(db_path);
  {
    char side[300];
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
