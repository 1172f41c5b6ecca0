/*
** store.c -- the table vae_models and the per-connection model cache.
*/
#include "store.h"

#include <string.h>

/* At most this many unused models stay loaded per connection. */
#define CACHE_MAX 16

int vae_exec(sqlite3 *db, const char *sql, char **err) {
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK && err) {
    *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  }
  return rc;
}

void vae_savepoint_undo(sqlite3 *db, const char *name, sqlite3_stmt *writer) {
  char sql[64];
  sqlite3_snprintf(sizeof sql, sql, "ROLLBACK TO %s", name);
  int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_snprintf(sizeof sql, sql, "RELEASE %s", name);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
  } else if (rc == SQLITE_INTERRUPT && writer && !sqlite3_stmt_readonly(writer)) {
    sqlite3_reset(writer);
    sqlite3_step(writer);
    sqlite3_reset(writer);
  }
}

static void entry_free(vae_entry *e) {
  vae_model_free(e->m);
  vae_na_free(e->na);
  sqlite3_free(e->name);
  sqlite3_free(e->row_in);
  sqlite3_free(e->row_out);
  sqlite3_free(e);
}

void vae_entry_release(vae_entry *e) {
  if (e && --e->refs == 0) entry_free(e);
}

static void unlink_entry(vae_ext *x, vae_entry *e) {
  vae_entry **pp;
  for (pp = &x->cache; *pp; pp = &(*pp)->next) {
    if (*pp == e) {
      *pp = e->next;
      e->next = NULL;
      x->ncache--;
      vae_entry_release(e);
      return;
    }
  }
}

void vae_store_clear(vae_ext *x) {
  while (x->cache) unlink_entry(x, x->cache);
}

/* Does main.vae_models exist? */
static int table_exists(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' "
                         "AND name = 'vae_models' COLLATE NOCASE",
                         -1, &st, NULL) == SQLITE_OK)
    found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

/* Prepares sql against vae_models; SQLITE_NOTFOUND when the table is not
** there (nothing was ever fitted). Any other failure (a vae_models altered
** by hand, without the column it needs) is an error naming fn. */
static int prepare_models(sqlite3 *db, const char *sql, sqlite3_stmt **st,
                          const char *fn, char **err) {
  int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
  if (rc == SQLITE_OK) return SQLITE_OK;
  if (rc == SQLITE_NOMEM) return rc;
  /* The message first: table_exists() runs a statement of its own. */
  *err = sqlite3_mprintf("%s: cannot read vae_models: %s", fn, sqlite3_errmsg(db));
  if (!*err) return SQLITE_NOMEM;
  if (!table_exists(db)) {
    sqlite3_free(*err);
    *err = NULL;
    return SQLITE_NOTFOUND;
  }
  return rc;
}

/* Model names compare as SQL identifiers do: ASCII case-insensitively. A
** database written before that rule may hold two models whose names differ
** only in case: the one spelled exactly as asked wins; without one, the
** name is ambiguous and an error lists the spellings. Both queries below
** order the exact spelling first and read at most two rows. */
#define MODEL_WHERE \
  " FROM main.vae_models WHERE name = ?1 COLLATE NOCASE AND model IS NOT NULL " \
  "ORDER BY name = ?1 DESC LIMIT 2"

/* After the first row of a MODEL_WHERE query st (column col the name),
** steps to the second: SQLITE_OK when the first row is the model, else an
** error naming the spellings. st is left stepped. */
static int unique_name(sqlite3 *db, sqlite3_stmt *st, int col, const char *name,
                       const char *fn, char **err) {
  char *first = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, col));
  int rc;
  if (!first) return SQLITE_NOMEM;
  if (strcmp(first, name) == 0) {
    sqlite3_free(first);
    return SQLITE_OK;
  }
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *err = sqlite3_mprintf("%s: model name \"%s\" is ambiguous: vae_models holds "
                           "\"%s\" and \"%s\", names that differ only in case "
                           "(fit one of them again to replace both, or delete one)",
                           fn, name, first, (const char *)sqlite3_column_text(st, col));
    rc = *err ? SQLITE_ERROR : SQLITE_NOMEM;
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
  } else {
    *err = sqlite3_mprintf("%s: cannot read vae_models: %s", fn, sqlite3_errmsg(db));
  }
  sqlite3_free(first);
  return rc;
}

/* fit_id of the stored model name: SQLITE_OK, SQLITE_NOTFOUND or error.
** With keep, the query is prepared once and kept in *keep (reset) for the
** next call; a kept query that fails (vae_models dropped or altered) is
** finalized and the lookup starts over. */
static int stored_fit_id(sqlite3 *db, const char *name, const char *fn,
                         sqlite3_stmt **keep, sqlite3_int64 *id, char **err) {
  sqlite3_stmt *st = keep ? *keep : NULL;
  int rc, kept = st != NULL;
  if (!st) {
    rc = prepare_models(
        db, "SELECT fit_id, name" MODEL_WHERE, &st, fn, err);
    if (rc != SQLITE_OK) return rc;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    rc = unique_name(db, st, 1, name, fn, err);
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_NOTFOUND;
  } else if (kept) {
    sqlite3_finalize(st);
    *keep = NULL;
    return stored_fit_id(db, name, fn, keep, id, err);
  } else {
    *err = sqlite3_mprintf("%s: cannot read vae_models: %s", fn, sqlite3_errmsg(db));
  }
  if (keep && (rc == SQLITE_OK || rc == SQLITE_NOTFOUND || (rc == SQLITE_ERROR && *err))) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    *keep = st;
  } else {
    sqlite3_finalize(st);
    if (keep) *keep = NULL;
  }
  return rc;
}

/* The NA spellings in the options of the model stored as name: the default
** (*na NULL) when there are none, or when they cannot be read (a
** vae_models altered by hand); only out of memory is an error. */
static int load_na(sqlite3 *db, const char *name, vae_na **na) {
  sqlite3_stmt *st = NULL;
  int rc = SQLITE_OK;
  *na = NULL;
  if (sqlite3_prepare_v2(db, "SELECT options FROM main.vae_models WHERE name = ?1", -1, &st,
                         NULL) != SQLITE_OK) {
    rc = sqlite3_errcode(db) == SQLITE_NOMEM ? SQLITE_NOMEM : SQLITE_OK;
    sqlite3_finalize(st);
    return rc;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    rc = t ? vae_na_from_options(t, na) : SQLITE_NOMEM;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Loads the blob (and report, and NA spellings) of name. */
static int load_blob(sqlite3 *db, const char *name, const char *fn,
                     const vae_allocator *mem, vae_model **out, sqlite3_int64 *id, char **report,
                     vae_na **na, char **err) {
  sqlite3_stmt *st = NULL;
  char msg[256];
  int rc = prepare_models(db, "SELECT model, fit_id, report, name" MODEL_WHERE, &st, fn,
                          err);
  char *stored = NULL;
  *out = NULL;
  if (na) *na = NULL;
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const void *blob = sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    int vrc;
    if (!blob && len == 0 && sqlite3_errcode(db) == SQLITE_NOMEM) {
      sqlite3_finalize(st);
      return SQLITE_NOMEM;
    }
    if (id) *id = sqlite3_column_int64(st, 1);
    msg[0] = 0;
    vrc = vae_model_load(mem, blob ? blob : (const void *)"", len, out, msg, sizeof msg);
    if (vrc == VAE_NOMEM) {
      rc = SQLITE_NOMEM;
    } else if (vrc != VAE_OK) {
      /* core says "model is damaged (why)" or what else is wrong */
      const char *dmg = "model is damaged ";
      if (strncmp(msg, dmg, strlen(dmg)) == 0)
        *err = sqlite3_mprintf("%s: model \"%s\" is damaged %s", fn, name, msg + strlen(dmg));
      else
        *err = sqlite3_mprintf("%s: model \"%s\" is damaged: %s", fn, name, msg);
      rc = *err ? SQLITE_CORRUPT : SQLITE_NOMEM;
    } else {
      rc = SQLITE_OK;
      if (report && sqlite3_column_type(st, 2) == SQLITE_TEXT) {
        *report = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 2));
        if (!*report) rc = SQLITE_NOMEM;
      }
      if (rc == SQLITE_OK && na) {
        stored = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 3));
        if (!stored) rc = SQLITE_NOMEM;
      }
      /* Last: it steps past the row whose values were used. */
      if (rc == SQLITE_OK) rc = unique_name(db, st, 3, name, fn, err);
      if (rc == SQLITE_OK && na) rc = load_na(db, stored, na);
    }
  } else if (rc == SQLITE_DONE) {
    rc = SQLITE_NOTFOUND;
  } else {
    *err = sqlite3_mprintf("%s: cannot read vae_models: %s", fn, sqlite3_errmsg(db));
    if (!*err) rc = SQLITE_NOMEM;
  }
  sqlite3_finalize(st);
  sqlite3_free(stored);
  if (rc != SQLITE_OK) {
    vae_model_free(*out);
    *out = NULL;
    if (report) {
      sqlite3_free(*report);
      *report = NULL;
    }
    if (na) {
      vae_na_free(*na);
      *na = NULL;
    }
  }
  return rc;
}

/* Out of memory comes without a message (callers report it as such). */
static int no_msg_on_nomem(int rc, char **err) {
  if (rc == SQLITE_NOMEM && *err) {
    sqlite3_free(*err);
    *err = NULL;
  }
  return rc;
}

int vae_store_load(sqlite3 *db, const char *name, const char *fn,
                   const vae_allocator *mem, vae_model **out, char **report, vae_na **na,
                   char **err) {
  *err = NULL;
  if (report) *report = NULL;
  return no_msg_on_nomem(load_blob(db, name, fn, mem, out, NULL, report, na, err), err);
}

static int store_get(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                     sqlite3_stmt **keep, vae_entry **out, char **err);

int vae_store_get(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                  vae_entry **out, char **err) {
  return no_msg_on_nomem(store_get(x, db, name, fn, NULL, out, err), err);
}

int vae_store_get_kept(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                       sqlite3_stmt **keep, vae_entry **out, char **err) {
  return no_msg_on_nomem(store_get(x, db, name, fn, keep, out, err), err);
}

static int store_get(vae_ext *x, sqlite3 *db, const char *name, const char *fn,
                     sqlite3_stmt **keep, vae_entry **out, char **err) {
  vae_entry *e, *prev = NULL;
  sqlite3_int64 id = 0;
  int rc;
  *out = NULL;
  *err = NULL;
  rc = stored_fit_id(db, name, fn, keep, &id, err);
  /* Names are case-insensitive: an entry is the model when its fit_id is
  ** the stored one (ids are random, fresh per fit). */
  for (e = x->cache; e; prev = e, e = e->next)
    if (sqlite3_stricmp(e->name, name) == 0 && (rc != SQLITE_OK || e->fit_id == id)) break;
  if (rc != SQLITE_OK) {
    if (e && rc == SQLITE_NOTFOUND) unlink_entry(x, e);
    return rc;
  }
  if (e) {
    /* Move to the front: the list is kept in order of use. */
    if (prev) {
      prev->next = e->next;
      e->next = x->cache;
      x->cache = e;
    }
    e->refs++;
    *out = e;
    return SQLITE_OK;
  }
  /* Entries of that name with another fit_id are stale. */
  for (e = x->cache; e;) {
    vae_entry *next = e->next;
    if (sqlite3_stricmp(e->name, name) == 0) unlink_entry(x, e);
    e = next;
  }

  e = sqlite3_malloc(sizeof *e);
  if (!e) return SQLITE_NOMEM;
  memset(e, 0, sizeof *e);
  e->name = sqlite3_mprintf("%s", name);
  if (!e->name) {
    sqlite3_free(e);
    return SQLITE_NOMEM;
  }
  rc = load_blob(db, name, fn, &vae_sqlite_mem, &e->m, &e->fit_id, NULL, &e->na, err);
  if (rc != SQLITE_OK) {
    sqlite3_free(e->name);
    sqlite3_free(e);
    return rc;
  }
  e->refs = 2; /* the cache and the caller */
  e->next = x->cache;
  x->cache = e;
  x->ncache++;
  /* Drop the least recently used entries beyond the limit. */
  if (x->ncache > CACHE_MAX) {
    vae_entry *last = x->cache;
    while (last->next) last = last->next;
    unlink_entry(x, last);
  }
  *out = e;
  return SQLITE_OK;
}

static int store_save_once(sqlite3 *db, const vae_store_row *r, char **err);

/* The connection's busy timeout in ms (0 when none, or a custom handler). */
static int busy_timeout(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int ms = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA busy_timeout", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    ms = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return ms;
}

/* A write that finds the database locked by another connection is tried
** again for as long as the connection's busy timeout allows: SQLite does
** not call the busy handler when a read transaction (the savepoint's)
** wants to write, as that could deadlock, so the wait is here, with the
** transaction ended between tries. */
int vae_store_save(sqlite3 *db, const vae_store_row *r, char **err) {
  int waited = 0, limit = -1, rc, step = 5;
  for (;;) {
    rc = store_save_once(db, r, err);
    if ((rc & 0xff) != SQLITE_BUSY) return rc;
    if (limit < 0) limit = busy_timeout(db);
    if (waited >= limit) return rc;
    sqlite3_free(*err);
    *err = NULL;
    if (step > limit - waited) step = limit - waited;
    sqlite3_sleep(step);
    waited += step;
    if (step < 100) step *= 2;
  }
}

static int store_save_once(sqlite3 *db, const vae_store_row *r, char **err) {
  sqlite3_stmt *st = NULL, *ddl = NULL;
  sqlite3_int64 id;
  int rc, sp = 1;
  *err = NULL;
  /* Prepared before the savepoint: it is also the statement that writes
  ** which vae_savepoint_undo needs after an interrupt. */
  rc = sqlite3_prepare_v2(db, VAE_STORE_DDL, -1, &ddl, NULL);
  if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    return rc;
  }
  rc = vae_exec(db, "SAVEPOINT vae_store", NULL);
  if (rc == SQLITE_BUSY) {
    /* Called from a statement that writes (CREATE TABLE r AS SELECT
    ** vae_fit(...)): no savepoint can be opened, but the row is written by
    ** one statement, which is atomic on its own. */
    sp = 0;
  } else if (rc != SQLITE_OK) {
    *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    sqlite3_finalize(ddl);
    return rc;
  }
  rc = sqlite3_step(ddl);
  rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  if (rc != SQLITE_OK) *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
  sqlite3_reset(ddl);
  if (rc == SQLITE_OK) {
    /* Names are case-insensitive: the new model replaces every spelling. */
    rc = sqlite3_prepare_v2(db, "DELETE FROM main.vae_models WHERE name = ?1 COLLATE NOCASE "
                                "AND name <> ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
      rc = sqlite3_step(st);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK) *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    st = NULL;
  }
  if (rc == SQLITE_OK) {
    rc = sqlite3_prepare_v2(
        db,
        "INSERT INTO main.vae_models(name, source, columns, options, report, "
        "model, fit_id, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) ON CONFLICT(name) DO UPDATE SET "
        "source = excluded.source, columns = excluded.columns, "
        "options = excluded.options, report = excluded.report, "
        "model = excluded.model, fit_id = excluded.fit_id, "
        "created = excluded.created",
        -1, &st, NULL);
    if (rc == SQLITE_OK) {
      /* A fresh random id, never 0, so that a refit is always noticed. */
      do sqlite3_randomness(sizeof id, &id); while (id == 0);
      sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, r->source, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 3, r->columns, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 4, r->options, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 5, r->report, -1, SQLITE_STATIC);
      rc = sqlite3_bind_blob64(st, 6, r->blob, (sqlite3_uint64)r->len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 7, id);
      if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
      }
      if (rc != SQLITE_OK) *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
      sqlite3_finalize(st);
    } else {
      *err = sqlite3_mprintf("%s", sqlite3_errmsg(db));
    }
  }
  if (sp && rc == SQLITE_OK) rc = vae_exec(db, "RELEASE vae_store", err);
  if (sp && rc != SQLITE_OK) vae_savepoint_undo(db, "vae_store", ddl);
  sqlite3_finalize(ddl);
  return rc;
}
