/*
** vtab.h -- what the two forms of the `vae` virtual table share.
**
**   vtab.c          the module `vae`: arguments, the model's columns, the
**                   declared schema, cursors and the column map; it hands
**                   everything else to the table's form:
**   vtab_gen.c      vae(m): endless synthetic rows, conditioned on
**                   equalities, other constraints applied by rejection
**   vtab_source.c   vae(m, source=t): the rows of t with NULLs filled
**
** A form is a vae_table_form: the callbacks vtab.c cannot answer for both.
** Each form's cursor begins with a vae_cursor (the model and the map from
** declared to model columns, set by vtab.c before the form's filter runs).
*/
#ifndef VAE_VTAB_H
#define VAE_VTAB_H

#include "ext.h"
#include "store.h"

typedef struct vae_table_form vae_table_form;

typedef struct {
  sqlite3_vtab base;
  const vae_table_form *form;
  sqlite3 *db;
  vae_ext *x;
  char *model;           /* model name */
  char *source;          /* source table, NULL for the generating form */
  char *name;            /* this table's name, and schema.name: */
  char *qname;           /* its identity in a chain of sources */
  int p;                 /* declared columns (0: model was missing) */
  char **names;          /* [p] declared column names */
  int *kinds;            /* [p] their kinds; -1: a column of the source that
                            the model does not use (it passes through) */
  char **types;          /* [p] declared SQL types, owned: a model column's
                            (a date column's: date.h), a passed-through
                            column's affinity, or NULL */
} vae_vtab;

/* The start of every cursor. */
typedef struct {
  sqlite3_vtab_cursor base;
  vae_entry *e;          /* the model, for the current scan */
  int *map;              /* [p] declared column -> model column (-1: passes
                            through, source form only) */
  int eof;
} vae_cursor;

struct vae_table_form {
  const char *hidden;    /* the hidden column's name */
  size_t cursor_size;    /* of the form's cursor, which starts with a vae_cursor */
  /* At CREATE (creating) and connect, once the model's columns are in t:
  ** may check the arguments and change the declared columns. NULL: none. */
  int (*open_table)(vae_vtab *t, int creating, const char *schema, char **pzErr);
  int (*best_index)(vae_vtab *t, sqlite3_index_info *info);
  int (*filter)(vae_cursor *c, int idxNum, const char *idxStr, int argc,
                sqlite3_value **argv);
  int (*next)(vae_cursor *c);
  void (*column)(vae_cursor *c, sqlite3_context *ctx, int col);
  sqlite3_int64 (*rowid)(vae_cursor *c);
  /* Frees what the form holds in a cursor (also a zeroed one) before the
  ** model is released. */
  void (*reset)(vae_cursor *c);
};

extern const vae_table_form vae_gen_form;
extern const vae_table_form vae_source_form;

/* A copy of s[0..n) without spaces around and without its quotes ('x',
** "x", [x], `x`); from sqlite3_malloc, NULL when out of memory. */
char *vae_vtab_dequote(const char *s, int n);

/* The source= argument: without its quotes when it is one quoted name,
** else as written (aux.t, "main"."t"), for vae_find_table to resolve. */
char *vae_vtab_source_name(const char *s);

/* msg (sqlite3_mprintf, owned from now on) as the error of c's table. */
int vae_cursor_error(vae_cursor *c, int rc, char *msg);

#endif
