/*
** source.h -- reads the source of vae_fit (and vae_fidelity) into a float
** matrix with column kinds and category levels.
**
** A source is a table or view name (looked up case-insensitively in temp,
** main, then attached schemas; or schema-qualified, aux.t) or one read-only SELECT / WITH / VALUES
** statement. The INTEGER PRIMARY KEY of a table (the rowid alias) is never
** a feature. Kinds are inferred unless forced:
**   any TEXT value, except numbers written  categorical (levels sorted)
**   as text (as the shell's .import makes)
**   only integer values, all 0 or 1         binary
**   only integer values                     integer
**   otherwise                               real
** except that a column declared with REAL affinity (REAL, FLOAT, DOUBLE)
** is real even when its values are whole numbers.
** A TEXT column of more than 20 values, all distinct, is left out (an
** identifier, most likely) unless forced with types; a column without any
** value is left out ("all NULL"). Both are reported. Other text with more
** than 1000 levels, or more than 20 and more than half its non-NULL count,
** is an error naming the column and its level count (force it with types).
** Text that is an NA spelling (value.h) is a missing cell in every column,
** counted per column. A column of numbers but for a few texts (at most 5
** distinct, at most 1 value in 10) is numeric: such a text is an error that
** names it and its row (the row's 1-based position in the source), and
** says how to list it in "na" or force the kind.
**
** Memory is bounded: beyond max_rows rows (by default VAE_SOURCE_CELLS
** cells, in rows of the selected columns, at least VAE_SOURCE_MIN_ROWS)
** the rows kept are a uniform reservoir sample. Every row is still read:
** the categories of the rows not kept are levels too (up to
** VAE_SOURCE_MAX_EXTRA new ones a column), so that the fitted model knows
** every level of the table it was fitted on.
*/
#ifndef VAE_SOURCE_H
#define VAE_SOURCE_H

#include "ext.h"
#include "value.h"

#define VAE_SOURCE_AUTO (-1)
#define VAE_SOURCE_CELLS ((int64_t)1 << 24)  /* about 220 MiB of 16-column rows */
#define VAE_SOURCE_MIN_ROWS 65536
#define VAE_SOURCE_MAX_EXTRA 65536

typedef struct {
  const char *fn;               /* function name for messages */
  int ncolumns;                 /* selection and order; 0 = all columns */
  char *const *columns;
  int ntypes;                   /* forced kinds */
  char *const *type_columns;
  const int *type_kinds;
  const vae_model *fixed;       /* use exactly this model's columns, kinds and
                                   levels (warm start, fidelity) */
  int extend_levels;            /* with fixed: a level unknown to the model gets
                                   a new index (appended to levels) instead of
                                   an error */
  int64_t max_rows;             /* reservoir sample; 0 = all rows,
                                   VAE_SOURCE_AUTO: bounded in cells */
  uint64_t seed;                /* of the reservoir sample */
  const vae_na *na;             /* NA spellings (value.h); NULL: the default */
  const vae_allocator *mem;     /* of the rows read and the float matrix (which
                                   vae_source_free frees with sqlite3_free);
                                   NULL: vae_sqlite_mem */
} vae_source_opts;

typedef struct {
  int64_t n;                    /* rows kept */
  int64_t rows_seen;            /* rows of the source */
  int64_t max_rows;             /* the bound that held (0: none) */
  int p;                        /* columns kept */
  vae_column *cols;             /* [p] name, kind, nlevels, levels */
  float *data;                  /* n x p, NaN = missing */
  int nskip;                    /* columns left out, with the reason */
  char **skip_col, **skip_why;
  int64_t *na_cells;            /* [p] cells read as missing for NA text */
} vae_source;

/* Reads source. On error *err (sqlite3_mprintf) names o->fn; SQLITE_NOMEM
** comes without a message. out is always safe to free. */
int vae_source_read(sqlite3 *db, const char *source, const vae_source_opts *o,
                    vae_source *out, char **err);
void vae_source_free(vae_source *s);

/* vae_source_read as vae_fit and vae_fidelity call it: the connection
** read-only meanwhile (ext.h: vae_readonly), and x->in_source raised, so
** that a writer called from the source refuses (o->fn names the caller). */
int vae_source_read_guarded(vae_ext *x, sqlite3 *db, const char *source,
                            const vae_source_opts *o, vae_source *out, char **err);

/* Prepares the statement of a source (see above). When the source is a
** table or view and alias is not NULL, *alias receives the name of its rowid
** alias column (from sqlite3_mprintf), or NULL. */
int vae_source_prepare(sqlite3 *db, const char *fn, const char *source,
                       sqlite3_stmt **st, char **alias, char **err);

/* The name of the INTEGER PRIMARY KEY (rowid alias) column of
** schema.table into *name (sqlite3_mprintf), or NULL when it has none. */
int vae_rowid_alias(sqlite3 *db, const char *schema, const char *table, char **name);

/* Resolves a table name case-insensitively: its schema and stored name
** (both from sqlite3_mprintf). The name is taken as it stands first, then
** as `schema.table` (aux.t, "main"."My T", temp.[x]) or one quoted name.
** SQLITE_NOTFOUND when there is none. With views = 0 only tables count. */
int vae_find_table(sqlite3 *db, const char *name, int views, char **schema,
                   char **table);

/* Marks alias[i] (of ncol) for each result column of st that is a rowid
** alias: from the column metadata when SQLite has it, else by the name
** table_alias (the alias column of the table or view named as the source,
** or NULL). */
int vae_source_aliases(sqlite3 *db, sqlite3_stmt *st, int ncol, char *alias,
                       const char *table_alias);

#endif
