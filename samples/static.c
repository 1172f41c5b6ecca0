/*
** static.c -- vae compiled into a C program: no vae.so at run time.
**
** The extension's sources are compiled into the program with -DSQLITE_CORE
** and registered for every connection with sqlite3_auto_extension(). From
** the top of the repository (`make samples` does the same, into
** build/samples/vae_static):
*/
//   BLAS=-I/usr/include/x86_64-linux-gnu/openblas-pthread
//   cc -O2 -DSQLITE_CORE $BLAS samples/static.c core/*.c ext/*.c -lsqlite3 -lopenblas -lm -o vae_static
//   ./vae_static samples/iris.csv
/*
** It loads Fisher's iris into a table, hides every tenth petal length, fits
** a model, imputes the hidden cells (and compares them with the truth),
** makes synthetic flowers and lists the least plausible real ones.
*/
#include <sqlite3.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry point of the extension (ext/vae_ext.c). */
int sqlite3_vae_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "vae_static: %s: %s\n", what, sqlite3_errmsg(db));
  sqlite3_close(db);
  exit(1);
}

static void exec(const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "vae_static: %s\n", err ? err : "out of memory");
    sqlite3_free(err);
    sqlite3_close(db);
    exit(1);
  }
}

static sqlite3_stmt *prepare(const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die("prepare");
  return st;
}

/* Reads the iris CSV (header line; five fields; no quoting) into table iris. */
static int load_csv(const char *path) {
  char line[512];
  int rows = 0;
  FILE *f = fopen(path, "r");
  sqlite3_stmt *ins;
  if (!f) {
    perror(path);
    exit(1);
  }
  exec("CREATE TABLE iris (id INTEGER PRIMARY KEY, sepal_length REAL, sepal_width REAL,"
       " petal_length REAL, petal_width REAL, species TEXT)");
  ins = prepare("INSERT INTO iris (sepal_length, sepal_width, petal_length, petal_width, species)"
                " VALUES (?, ?, ?, ?, ?)");
  exec("BEGIN");
  if (!fgets(line, sizeof line, f)) line[0] = 0; /* the header */
  while (fgets(line, sizeof line, f)) {
    char *field = line, *end;
    int k;
    line[strcspn(line, "\r\n")] = 0;
    if (!line[0]) continue;
    for (k = 1; k <= 5; k++) {
      size_t n = strcspn(field, ",");
      end = field + n;
      if (n == 0) sqlite3_bind_null(ins, k); /* an empty field is a missing value */
      else if (k < 5) sqlite3_bind_double(ins, k, strtod(field, NULL));
      else sqlite3_bind_text(ins, k, field, (int)n, SQLITE_TRANSIENT);
      field = *end ? end + 1 : end;
    }
    if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
    sqlite3_reset(ins);
    rows++;
  }
  exec("COMMIT");
  sqlite3_finalize(ins);
  fclose(f);
  return rows;
}

int main(int argc, char **argv) {
  const char *csv = argc > 1 ? argv[1] : "samples/iris.csv";
  sqlite3_stmt *st;
  double se = 0, se_mean = 0;
  int n = 0, rows, rc;

  /* Every connection opened from now on has the vae functions. */
  if (sqlite3_auto_extension((void (*)(void))sqlite3_vae_init) != SQLITE_OK) {
    fprintf(stderr, "vae_static: cannot register the extension\n");
    return 1;
  }
  if (sqlite3_open(argc > 2 ? argv[2] : ":memory:", &db) != SQLITE_OK) die("open");

  rows = load_csv(csv);
  /* Hide every tenth petal length; keep the truth to measure the error. */
  exec("CREATE TEMP TABLE truth AS SELECT id, petal_length FROM iris WHERE id % 10 = 0;"
       "UPDATE iris SET petal_length = NULL WHERE id % 10 = 0;");
  printf("loaded %d rows from %s; hid the petal length of every tenth row\n", rows, csv);

  /* fit: trains on the incomplete table and stores the model in vae_models */
  st = prepare("SELECT json_extract(r, '$.rows'), json_extract(r, '$.epochs'),"
               " json_extract(r, '$.seconds') FROM (SELECT vae_fit('iris', 'iris', ?) AS r)");
  sqlite3_bind_text(st, 1, "{\"seed\": 1}", -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) die("vae_fit");
  printf("fit: model 'iris' on %d rows, %d epochs, %.2f s\n", sqlite3_column_int(st, 0),
         sqlite3_column_int(st, 1), sqlite3_column_double(st, 2));
  sqlite3_finalize(st);

  /* impute: the hidden petal lengths, given the rest of each row */
  st = prepare("SELECT i.id, vae_impute('iris', 'petal_length', i.sepal_length, i.sepal_width,"
               " i.petal_length, i.petal_width, i.species), t.petal_length,"
               " (SELECT avg(petal_length) FROM iris), i.species"
               " FROM iris AS i JOIN truth AS t USING (id) ORDER BY i.id");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    double est = sqlite3_column_double(st, 1), truth = sqlite3_column_double(st, 2);
    double mean = sqlite3_column_double(st, 3);
    if (n < 3)
      printf("impute: row %d (%s): petal_length %.2f, truth %.2f\n", sqlite3_column_int(st, 0),
             (const char *)sqlite3_column_text(st, 4), est, truth);
    se += (est - truth) * (est - truth);
    se_mean += (mean - truth) * (mean - truth);
    n++;
  }
  if (rc != SQLITE_DONE) die("vae_impute");
  sqlite3_finalize(st);
  if (n > 0)
    printf("impute: RMSE over the %d hidden cells %.3f (filling with the mean: %.3f)\n", n,
           sqrt(se / n), sqrt(se_mean / n));

  /* sample: synthetic rows as JSON objects, reproducible for a seed */
  st = prepare("SELECT value FROM vae_sample('iris', 3, 42)");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    printf("sample: %s\n", (const char *)sqlite3_column_text(st, 0));
  if (rc != SQLITE_DONE) die("vae_sample");
  sqlite3_finalize(st);

  /* score: the least plausible real rows under the model */
  st = prepare("SELECT id, species, vae_score('iris', sepal_length, sepal_width, petal_length,"
               " petal_width, species) AS s FROM iris ORDER BY s DESC LIMIT 3");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    printf("score: row %d (%s) %.2f\n", sqlite3_column_int(st, 0),
           (const char *)sqlite3_column_text(st, 1), sqlite3_column_double(st, 2));
  if (rc != SQLITE_DONE) die("vae_score");
  sqlite3_finalize(st);

  sqlite3_close(db);
  return 0;
}
