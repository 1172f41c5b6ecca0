/*
** rows.h -- rows of a table in a model's columns, read in batches and
** completed by the model: shared by vae_fill and the `vae` table's
** source= form.
**
** Rows are addressed by a key (vae_key_find): the real rowid under a name
** that no column shadows (rowid, oid or _rowid_, else the INTEGER PRIMARY
** KEY), the PRIMARY KEY columns of a WITHOUT ROWID table, or, for a view,
** the row number. The statement read gives the key columns first, then
** other columns; pos[j] says where model column j is (by default right
** after a one-column key, in the model's order). Values follow value.h. A row's missing cells are filled
** with vae_infer: mode VAE_MEAN with seed 0 for every row (the same answer
** as vae_impute), or draw k >= 1, VAE_DRAW with the seed
** vae_seed_mix(vae_seed_mix(0, k), rowid), so a draw of a row does not
** depend on the batch or on the other rows.
*/
#ifndef VAE_ROWS_H
#define VAE_ROWS_H

#include "ext.h"
#include "codec.h"

#define VAE_ROWS_BATCH 256


/* How the rows of a table are addressed. */
#define VAE_KEY_ROWID 1   /* one column: the rowid, under cols[0] */
#define VAE_KEY_PK 2      /* cols: the PRIMARY KEY (WITHOUT ROWID tables) */
#define VAE_KEY_ROWNUM 3  /* no column: the row number, 1 for the first */
typedef struct {
  int kind;
  int n;                      /* key columns: 1, the primary key's, 0 */
  char **cols;                /* [n] names (sqlite3_mprintf) */
} vae_key;

/* The key of schema.table. A view, or a table without a rowid or primary
** key, gets VAE_KEY_ROWNUM when rownum_ok, else an error naming fn. A
** table whose rowid is unreachable (columns named rowid, oid and _rowid_,
** no INTEGER PRIMARY KEY) is an error. */
int vae_key_find(sqlite3 *db, const char *fn, const char *schema, const char *table,
                 int rownum_ok, vae_key *k, char **err);
void vae_key_free(vae_key *k);

typedef struct {
  const vae_model *m;
  int p;
  const char *fn;
  int ncol;                   /* result columns of the statement */
  int rowid_col;              /* 1: rowid[] from result column 0, else the
                                 row number */
  sqlite3_int64 rownum;       /* rows read so far */
  int *pos;                   /* [p] result column of each model column */
  unsigned char *is_model;    /* [ncol] 1 for a model column */
  int keep;                   /* keep the other result columns: */
  sqlite3_value **extra;      /* count x ncol copies (NULL for model columns) */
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
  sqlite3 *db;                /* of the last vae_rows_read, to poll */
  sqlite3_stmt *poll;         /* VAE_POLL_SQL, between passes of a batch */
} vae_rows;

/* Ready to read rows of ncol result columns: the key's first (rowid from
** column 0 for VAE_KEY_ROWID, else row numbers), model column j at pos[j]
** (NULL: right after the key, in the model's order). With keep, the other
** columns are kept (extra) until the next read. */
int vae_rows_init(vae_rows *r, const vae_model *m, const char *fn);
int vae_rows_shape(vae_rows *r, const vae_key *key, int ncol, const int *pos, int keep);
void vae_rows_free(vae_rows *r);
/* The SELECT of the key's columns, then cols[0..ncols) (the model's columns
** when cols is NULL) from schema.table (aliased vae_src), with an optional
** WHERE clause text (already SQL, naming the columns as vae_src."x"). From
** sqlite3_mprintf. */
char *vae_rows_sql(const vae_model *m, const vae_key *key, char *const *cols, int ncols,
                   const char *schema, const char *table, const char *where);
/* Checks that schema.table has the model's columns; else an error naming
** fn: `<fn>: table "t" has no column "c"`. */
int vae_rows_check_table(sqlite3 *db, const vae_model *m, const char *fn,
                         const char *schema, const char *table, char **err);
/* Reads up to VAE_ROWS_BATCH rows from st. Errors name fn, the column, the
** value and the rowid; *err from sqlite3_mprintf. */
int vae_rows_read(vae_rows *r, sqlite3 *db, sqlite3_stmt *st, char **err);
/* Fills r->out for the batch: draw 0 = best estimate, k >= 1 = draw k.
** The rows go through the network some VAE_POLL_WORK multiply-adds at a
** time, with a look for an interrupt in between (SQLITE_INTERRUPT), so
** that a wide network stops within a fraction of a second. */
int vae_rows_infer(vae_rows *r, sqlite3_int64 draw);
/* Cell j of row k as an SQL result: the given value, else the filled. */
void vae_rows_result(const vae_rows *r, sqlite3_context *ctx, int k, int j);

#endif
