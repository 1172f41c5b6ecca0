/*
** store.h -- the table vae_models of the main database, and a per-connection
** cache of the models loaded from it.
**
**   CREATE TABLE IF NOT EXISTS vae_models(name TEXT PRIMARY KEY, source TEXT,
**     columns TEXT, options TEXT, report TEXT, model BLOB, fit_id INTEGER,
**     created TEXT);
**
** Model names are ASCII case-insensitive, as SQL identifiers: a save
** replaces every spelling of its name; a lookup takes the exact spelling
** first, and a name that matches two stored spellings (written by an older
** build) without being either is an error. A save that finds the database
** locked is tried again for as long as the busy timeout allows.
**
** Every fit stores a fresh random fit_id. A cached model is checked against
** the table with one `SELECT fit_id ... WHERE name = ?` per use (a scan, a
** statement of vae_impute, see impute.c), so a refit, a delete or a
** delete-and-refit by any connection is noticed at once.
*/
#ifndef VAE_STORE_H
#define VAE_STORE_H

#include "ext.h"
#include "value.h"

#define VAE_STORE_DDL                                                        \
  "CREATE TABLE IF NOT EXISTS main.vae_models(name TEXT PRIMARY KEY, "      \
  "source TEXT, columns TEXT, options TEXT, report TEXT, model BLOB, "      \
  "fit_id INTEGER, created TEXT)"

/* A loaded model. Reference counted: the cache holds one reference while
** the entry is current, every user (a function call, a table cursor) one
** more; a replaced entry is freed when its last user lets go. */
struct vae_entry {
  char *name;
  sqlite3_int64 fit_id;
  vae_model *m;
  vae_na *na;          /* the model's NA spellings (NULL: the default) */
  int refs;
  /* vae_impute's one-row cache: the last input row and its filled row. */
  int row_valid;
  float *row_in, *row_out;
  vae_entry *next;
};

/* The current model `name`: SQLITE_OK with *out referenced (release with
** vae_entry_release), SQLITE_NOTFOUND when there is none (no message), or
** an error with *err from sqlite3_mprintf naming fn ("<fn>: model "m" is
** damaged: ..."); SQLITE_NOMEM without a message. */
int vae_store_get(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                  vae_entry **out, char **err);
/* The same, keeping the prepared fit_id query in *keep (NULL at first)
** for the next lookup: a scalar function called row after row parses no
** SQL. The caller finalizes *keep in the end. */
int vae_store_get_kept(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                       sqlite3_stmt **keep, vae_entry **out, char **err);
void vae_entry_release(vae_entry *e);
/* Frees the whole cache (the connection is closing). */
void vae_store_clear(vae_ext *x);

/* A private copy of the stored model `name` (for warm start), made with
** allocator mem (which must outlive it), with its
** stored report text (*report from sqlite3_malloc, may be NULL) and its NA
** spellings (*na, NULL for the default; free with vae_na_free). Returns
** like vae_store_get. */
int vae_store_load(sqlite3 *db, const char *name, const char *fn,
                   const vae_allocator *mem, vae_model **out, char **report, vae_na **na,
                   char **err);

/* One row of vae_models. */
typedef struct {
  const char *name, *source, *columns, *options, *report;
  const unsigned char *blob;
  size_t len;
} vae_store_row;

/* Writes row atomically (a SAVEPOINT: all or nothing), with a fresh fit_id
** and the current UTC time. On error *err is a copy of SQLite's message. */
int vae_store_save(sqlite3 *db, const vae_store_row *row, char **err);

#endif
