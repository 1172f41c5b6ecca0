/*
** rows.h -- rows of a table in a model's columns, read in batches and
** completed by the model: shared by vae_fill and the `vae` table's
** source= form.
**
** The statement read must give the rowid, then the model's columns in the
** model's order. Values follow value.h. A row's missing cells are filled
** with vae_infer: mode VAE_MEAN with seed 0 for every row (the same answer
** as vae_impute), or draw k >= 1, VAE_DRAW with the seed
** vae_seed_mix(vae_seed_mix(0, k), rowid), so a draw of a row does not
** depend on the batch or on the other rows.
*/
#ifndef VAE_ROWS_H
#define VAE_ROWS_H

#include "ext.h"
#include "value.h"

#define VAE_ROWS_BATCH 256

/* A given cell: its value as read, to be returned unchanged. */
typedef struct {
  double d;
  sqlite3_int64 i;
  int type;          /* SQLITE_NULL (missing), _INTEGER, _FLOAT; categorical:
                        SQLITE_TEXT with the level in i; a date column:
                        VAE_CELL_TIME with the days in d */
} vae_cell;
#define VAE_CELL_TIME 100

typedef struct {
  const vae_model *m;
  int p;
  const char *fn;
  const vae_na *na;           /* the model's NA spellings (NULL: default);
                                 such text is a missing cell */
  int count;                  /* rows in the batch */
  int done;                   /* the statement is exhausted */
  sqlite3_int64 rowid[VAE_ROWS_BATCH];
  vae_cell *cell;             /* count x p */
  float *in, *out;            /* count x p */
  float *cin, *cout;          /* compacted rows with missing cells */
  uint64_t seeds[VAE_ROWS_BATCH];
  vae_scratch *scratch;       /* the network's buffers, kept between batches */
} vae_rows;

int vae_rows_init(vae_rows *r, const vae_model *m, const char *fn);
void vae_rows_free(vae_rows *r);
/* The SELECT of rowid and the model's columns from schema.table (aliased
** vae_src), with an optional WHERE clause text (already SQL, naming the
** columns as vae_src."x"). From sqlite3_mprintf. */
char *vae_rows_sql(const vae_model *m, const char *schema, const char *table,
                   const char *where);
/* Checks that schema.table has a rowid and the model's columns; else an
** error naming fn: `<fn>: table "t" has no column "c"`. */
int vae_rows_check_table(sqlite3 *db, const vae_model *m, const char *fn,
                         const char *schema, const char *table, char **err);
/* Reads up to VAE_ROWS_BATCH rows from st. Errors name fn, the column, the
** value and the rowid; *err from sqlite3_mprintf. */
int vae_rows_read(vae_rows *r, sqlite3 *db, sqlite3_stmt *st, char **err);
/* Fills r->out for the batch: draw 0 = best estimate, k >= 1 = draw k. */
int vae_rows_infer(vae_rows *r, sqlite3_int64 draw);
/* Cell j of row k as an SQL result: the given value, else the filled. */
void vae_rows_result(const vae_rows *r, sqlite3_context *ctx, int k, int j);

/* A given value (already checked by vae_val_to_cell, x its cell) as a
** vae_cell in the column's type: REAL for a real column, INTEGER for whole
** numbers of an integer or binary column, the level for a categorical. */
void vae_cell_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x);
/* A vae_cell as an SQL result; missing cells give x in the column's type. */
void vae_cell_result(sqlite3_context *ctx, const vae_column *c, const vae_cell *cell,
                     float x);

#endif
