/*
** codec.h -- one codec per column kind: everything the extension does
** differently for a real, integer, binary, categorical or date column.
**
**   kind         SQL type     SQL value -> cell           cell -> SQL
**   real         REAL         a number                    REAL
**   integer      INTEGER      a number                    INTEGER, rounded
**   binary       INTEGER      0 or 1                      INTEGER 0 or 1
**   categorical  TEXT         its text form is a level    TEXT, the level
**   date         the format's ISO-8601 text, or a julian  the column's own
**                (date.h)     day / unix time number      format
**
** A date column is a real or integer column of core with a date format
** (vae_column.format, date.h); every other column takes its kind's codec.
** The rules of SQL value -> cell (numbers written as text, NULL, errors
** that name the function, the column and the value) are in value.h. Every
** function and table converts cells through the table of codecs, in codec.c,
** by vae_codec_of or through the wrappers below (which add NULL <-> NaN).
*/
#ifndef VAE_CODEC_H
#define VAE_CODEC_H

#include "value.h"

/* A given cell: its value as read, to be returned unchanged. */
typedef struct {
  double d;
  sqlite3_int64 i;
  int type;          /* SQLITE_NULL (missing), _INTEGER, _FLOAT; categorical:
                        SQLITE_TEXT with the level in i; a date column:
                        VAE_CELL_TIME with the days in d */
} vae_cell;
#define VAE_CELL_TIME 100

/* Where a cell goes in SQL: the result of ctx, or else parameter i of st. */
typedef struct {
  sqlite3_context *ctx;
  sqlite3_stmt *st;
  int i;
} vae_sql_out;

typedef struct {
  /* The kind's word in options.types and vae_models.options. */
  const char *name;
  /* The kind shown in reports ("date" or "datetime" for a date column). */
  const char *(*report_kind)(const vae_column *c);
  /* The declared SQL type of the column. */
  const char *(*sqltype)(const vae_column *c);
  /* A non-NULL value into a cell; errors as vae_val_to_cell (value.h). */
  int (*to_cell)(const vae_column *c, const vae_val *v, float *out, const char *fn,
                 char **err);
  /* A cell (not NaN) into SQL, in the column's own type. */
  void (*to_sql)(const vae_sql_out *o, const vae_column *c, float x);
  /* A cell (not NaN) as a JSON value. */
  void (*to_json)(vae_buf *b, const vae_column *c, float x);
  /* The column's statistics as JSON members (",\"mean\":..."), for the
  ** columns of vae_models. */
  void (*describe)(vae_buf *b, const vae_column *c);
  /* SQLite's order between cell and v, as in a column of this type: -1,
  ** 0 or 1 (numbers before text before blobs). */
  int (*compare)(const vae_column *c, float cell, sqlite3_value *v);
  /* A value given by the caller (already checked by to_cell, x its cell) as
  ** it is to be returned unchanged (rows.h). */
  void (*given)(vae_cell *cell, const vae_column *c, const vae_val *v, float x);
} vae_codec;

/* The codec of a column. */
const vae_codec *vae_codec_of(const vae_column *c);

/* The cell of column c for v (NULL: NaN); see value.h for the rules. */
int vae_val_to_cell(const vae_column *c, const vae_val *v, float *out,
                    const char *fn, char **err);
/* A cell into SQL (NaN: NULL) in the column's own type. */
void vae_result_cell(sqlite3_context *ctx, const vae_column *c, float x);
void vae_bind_cell(sqlite3_stmt *st, int i, const vae_column *c, float x);
/* A cell as a JSON value (NaN: null). */
void vae_buf_cell(vae_buf *b, const vae_column *c, float x);
/* days since 1970-01-01 of a date column as an SQL result, in its format. */
void vae_result_time(sqlite3_context *ctx, const vae_column *c, double days);

/* A given value (already checked by vae_val_to_cell, x its cell) as a
** vae_cell in the column's type: REAL for a real column, INTEGER for whole
** numbers of an integer or binary column, the level for a categorical. */
void vae_cell_given(vae_cell *cell, const vae_column *c, const vae_val *v, float x);
/* A vae_cell as an SQL result; missing cells give x in the column's type. */
void vae_cell_result(sqlite3_context *ctx, const vae_column *c, const vae_cell *cell,
                     float x);

/* Shorthands for the codec's fields. */
const char *vae_column_sqltype(const vae_column *c);
const char *vae_column_kind(const vae_column *c);

/* Is c a date column (a numeric column with a date format, date.h)? */
int vae_is_time(const vae_column *c);
/* A date column's value as days since 1970-01-01, in double precision (the
** cell is a float); errors as vae_val_to_cell. */
int vae_val_to_days(const vae_column *c, const vae_val *v, double *days, const char *fn,
                    char **err);
/* The days since 1970-01-01 of cell x of a date column. */
double vae_time_days(const vae_column *c, float x);
/* The level a categorical cell x stands for, clamped to the column's. */
int vae_level_of(const vae_column *c, float x);

#endif
