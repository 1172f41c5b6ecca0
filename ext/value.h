/*
** value.h -- SQL values as the extension reads them: vae_val, numbers
** written as text, NA spellings, a function's arguments as a row.
**
** One set of rules for every function and table of the extension, carried
** out per column kind by the codecs (codec.h):
**   NULL                    missing (NaN)
**   real, integer column    INTEGER or REAL as is; TEXT that reads as a
**                           decimal number (SQLite's own syntax, spaces
**                           around allowed); anything else is an error
**   binary column           a number that is 0 or 1
**   categorical column      the value's text form (an INTEGER 3 is '3', a
**                           REAL as SQLite prints it) must be a level
**   date column (date.h)    ISO-8601 text; a number for a julian-day or
**                           unix-time column; written in its own format
** Infinite numbers and BLOBs are errors. Messages name the column and the
** value (`expects a number, got 'n/a'`); callers that know the row add it.
**
** Missing-value text: a TEXT cell whose text, without spaces around, is one
** of a model's NA spellings (ASCII case-insensitive) is missing, in every
** column. The default spellings are '', NA, N/A, NaN, null, None and -;
** vae_fit's option "na" replaces them (and [] turns them off). The list is
** kept in the model's options (vae_models.options, "na").
*/
#ifndef VAE_VALUE_H
#define VAE_VALUE_H

#include "ext.h"
#include "json.h"

/* A value independent of where it came from (an SQL argument, a column of
** a statement, a JSON member). type is an SQLITE_* type code. */
typedef struct {
  int type;
  sqlite3_int64 i;
  double d;
  const char *s;   /* TEXT: bytes, NUL-terminated */
  int n;
} vae_val;

void vae_val_from_sql(vae_val *v, sqlite3_value *x);
/* The type of a JSON array or object member (refused as a cell value). */
#define VAE_JSON_CONTAINER 100
/* From a JSON member. */
void vae_val_from_json(vae_val *v, const json_value *j);

/* A list of NA spellings; a NULL list means the default one. */
typedef struct {
  int n;
  char **s;
} vae_na;

/* Is s[0..n) one of na's spellings? */
int vae_na_text(const vae_na *na, const char *s, int n);
/* Is v a TEXT value that is one of na's spellings? */
int vae_na_val(const vae_na *na, const vae_val *v);
/* The list of the "na" member of a model's options JSON text: *out is NULL
** for the default (no such member, or text that does not parse), else a
** list to free with vae_na_free. SQLITE_OK or SQLITE_NOMEM. */
int vae_na_from_options(const char *options, vae_na **out);
void vae_na_free(vae_na *na);
/* Appends the spellings as a JSON list of strings. */
void vae_na_json(vae_buf *b, const vae_na *na);
/* SQL that is true when the column expression col (SQL text) holds NULL or
** an NA spelling: "(col IS NULL OR (typeof(col) = 'text' AND
** lower(trim(col, ' ')) IN (...)))", the spellings quoted. From
** sqlite3_mprintf. */
char *vae_na_sql(const vae_na *na, const char *col);

/* msg (from sqlite3_mprintf, freed) with " (row N)" or " (rowid N)" after
** it; NULL when out of memory. */
char *vae_msg_row(char *msg, const char *what, sqlite3_int64 row);

/* Conversion outcomes besides SQLITE_OK. */
#define VAE_CONV_ERROR 1   /* *err set: "<fn>: column "a" expects ..." */
#define VAE_CONV_NOMATCH 2 /* a value the column can never hold (unknown
                              category, binary not 0/1); *err set as well */

/* Text form of a number as SQLite gives it: "%lld" or "%!.15g". */
void vae_num_text(char *buf, int size, int type, sqlite3_int64 i, double d);

/* Parses the whole of s[0..n) as a decimal number (spaces around allowed);
** 1 on success. */
int vae_parse_number(const char *s, int n, double *out);

/* vae_float_double(f), the double of f's shortest decimal form, is in
** json.h. */

/* "got 'abc'" for a TEXT value (cut short, quoted for a message), else
** "got a BLOB" and the like; from sqlite3_mprintf. */
char *vae_val_got(const vae_val *v);
/* "text", "a BLOB", ... for messages. */
const char *vae_val_type_word(int type);

/* The levels of a categorical column as "'a', 'b', 'c'" for messages (at
** most ~200 bytes, then ", ..."); from sqlite3_mprintf, NULL when out of
** memory. */
char *vae_level_list(const vae_column *c);

/* Number of the model's columns as "a, b, c" for messages (at most ~200
** bytes, then ", ..."); from sqlite3_mprintf, NULL when out of memory. */
char *vae_column_list(const vae_model *m);

/* Finds a model column by name: exact first, then case-insensitive. */
int vae_find_column(const vae_model *m, const char *name);

/* Converts a function's value arguments (argv[0..argc)) into one row of
** the model's p cells: either p values in column order, or one JSON object
** keyed by column name (a json_object() result, or when p != 1 any TEXT
** starting with '{'). Messages name fn and the model. When ctx is not
** NULL and cell `want` is given (not NULL), that value, as given, is set as
** the result of ctx. */
int vae_args_to_row(const vae_model *m, const char *model, const char *fn,
                    int argc, sqlite3_value **argv, float *row, char **err,
                    sqlite3_context *ctx, int want);
/* The same with the model's NA spellings: such text is a missing cell. */
int vae_args_to_row_na(const vae_model *m, const vae_na *na, const char *model,
                       const char *fn, int argc, sqlite3_value **argv, float *row,
                       char **err, sqlite3_context *ctx, int want);

#endif
