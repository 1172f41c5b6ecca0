/*
** resolve.c -- which table a name means, and the statement a source reads:
** SQLite's lookup order for an unqualified name (temp, main, attached),
** `schema.table` and quoted names, any case; one read-only SELECT, WITH or
** VALUES statement otherwise; the rowid alias of a table and of the columns
** of a result. See source.h (vae_find_table, vae_source_prepare,
** vae_rowid_alias, vae_source_aliases).
*/
#include "source.h"
#include "json.h"

#include <string.h>

/* Looks name up in the schemas in SQLite's order for an unqualified name
** (temp, main, attached), or in schema `only` when not NULL. */
static int find_in_schemas(sqlite3 *db, const char *name, const char *only, int views,
                           char **schema, char **table) {
  sqlite3_stmt *dbs = NULL;
  int rc;
  *schema = *table = NULL;
  /* The order in which SQLite resolves an unqualified name. */
  rc = sqlite3_prepare_v2(db,
                          "SELECT name FROM pragma_database_list ORDER BY "
                          "CASE name WHEN 'temp' THEN 0 WHEN 'main' THEN 1 "
                          "ELSE 2 END, seq",
                          -1, &dbs, NULL);
  if (rc != SQLITE_OK) return rc;
  rc = SQLITE_NOTFOUND;
  while (rc == SQLITE_NOTFOUND && sqlite3_step(dbs) == SQLITE_ROW) {
    const char *s = (const char *)sqlite3_column_text(dbs, 0);
    sqlite3_stmt *st = NULL;
    char *sql;
    if (!s) { rc = SQLITE_NOMEM; break; }
    if (only && sqlite3_stricmp(only, s) != 0) continue;
    sql = sqlite3_mprintf("SELECT name FROM \"%w\".sqlite_schema WHERE type IN "
                          "('table', %s) AND name = ?1 COLLATE NOCASE",
                          s, views ? "'view'" : "'table'");
    if (!sql) { rc = SQLITE_NOMEM; break; }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
      if (sqlite3_step(st) == SQLITE_ROW) {
        *schema = sqlite3_mprintf("%s", s);
        *table = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
        rc = (*schema && *table) ? SQLITE_OK : SQLITE_NOMEM;
      }
    }
    sqlite3_finalize(st);
    sqlite3_free(sql);
  }
  sqlite3_finalize(dbs);
  if (rc != SQLITE_OK) {
    sqlite3_free(*schema);
    sqlite3_free(*table);
    *schema = *table = NULL;
  }
  return rc;
}

/* One identifier at s: quoted ("x", [x], `x`, with "" and `` doubled) or
** bare up to a '.' or a space. Its text into *out (sqlite3_mprintf) and
** the position after it into *end; SQLITE_NOTFOUND when s holds none. */
static int parse_ident(const char *s, const char **end, char **out) {
  char q = *s == '[' ? ']' : *s;
  const char *p;
  *out = NULL;
  if (q == '"' || q == ']' || q == '`') {
    char *o = sqlite3_malloc64(strlen(s) + 1);
    int k = 0;
    if (!o) return SQLITE_NOMEM;
    for (p = s + 1; *p; p++) {
      if (*p == q) {
        if (q != ']' && p[1] == q) { o[k++] = q; p++; continue; }
        break;
      }
      o[k++] = *p;
    }
    if (*p != q || k == 0) { sqlite3_free(o); return SQLITE_NOTFOUND; }
    o[k] = 0;
    *out = o;
    *end = p + 1;
    return SQLITE_OK;
  }
  for (p = s; *p && *p != '.' && *p != ' ' && *p != '\t' && *p != '\n'; p++) {}
  if (p == s) return SQLITE_NOTFOUND;
  *out = sqlite3_mprintf("%.*s", (int)(p - s), s);
  *end = p;
  return *out ? SQLITE_OK : SQLITE_NOMEM;
}

int vae_find_table(sqlite3 *db, const char *name, int views, char **schema,
                   char **table) {
  char *a = NULL, *b = NULL;
  const char *p = NULL;
  int rc = find_in_schemas(db, name, NULL, views, schema, table);
  if (rc != SQLITE_NOTFOUND) return rc;
  /* Not a name as it stands: `schema.table`, either part quoted, or one
  ** quoted name. */
  while (*name == ' ' || *name == '\t' || *name == '\n') name++;
  rc = parse_ident(name, &p, &a);
  while (rc == SQLITE_OK && (*p == ' ' || *p == '\t' || *p == '\n')) p++;
  if (rc == SQLITE_OK && *p == '.') {
    for (p++; *p == ' ' || *p == '\t' || *p == '\n'; p++) {}
    rc = parse_ident(p, &p, &b);
  } else if (rc == SQLITE_OK && *name != '"' && *name != '[' && *name != '`') {
    rc = SQLITE_NOTFOUND; /* a bare name: looked up above */
  }
  while (rc == SQLITE_OK && (*p == ' ' || *p == '\t' || *p == '\n')) p++;
  if (rc == SQLITE_OK && *p) rc = SQLITE_NOTFOUND;
  if (rc == SQLITE_OK)
    rc = b ? find_in_schemas(db, b, a, views, schema, table)
           : find_in_schemas(db, a, NULL, views, schema, table);
  sqlite3_free(a);
  sqlite3_free(b);
  return rc;
}

/* Skips spaces and SQL comments. */
static const char *skip_blank(const char *s) {
  for (;;) {
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f')
      s++;
    if (s[0] == '-' && s[1] == '-') {
      while (*s && *s != '\n') s++;
    } else if (s[0] == '/' && s[1] == '*') {
      const char *e = strstr(s + 2, "*/");
      s = e ? e + 2 : s + strlen(s);
    } else {
      return s;
    }
  }
}

/* Skips spaces, comments and semicolons: what may follow one statement. */
static const char *skip_blank_semis(const char *s) {
  for (s = skip_blank(s); *s == ';'; s = skip_blank(s + 1)) {}
  return s;
}

static int is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/* ---------------------------------------------------------------------
** The rowid alias: a table's only PRIMARY KEY column, declared INTEGER,
** without a separate primary key index (INTEGER PRIMARY KEY DESC and
** WITHOUT ROWID tables have one, and no alias).
*/
static int alias_name(sqlite3 *db, const char *schema, const char *table,
                      char **name) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      db,
      "SELECT name FROM pragma_table_info(?1, ?2) WHERE pk > 0 AND "
      "upper(type) = 'INTEGER' AND (SELECT count(*) FROM "
      "pragma_table_info(?1, ?2) WHERE pk > 0) = 1 AND NOT EXISTS (SELECT 1 "
      "FROM pragma_index_list(?1, ?2) WHERE origin = 'pk')",
      -1, &st, NULL);
  *name = NULL;
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *name = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    rc = *name ? SQLITE_OK : SQLITE_NOMEM;
  } else {
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  sqlite3_finalize(st);
  return rc;
}

int vae_rowid_alias(sqlite3 *db, const char *schema, const char *table, char **name) {
  return alias_name(db, schema, table, name);
}

int vae_source_prepare(sqlite3 *db, const char *fn, const char *source,
                       sqlite3_stmt **st, char **alias, char **err) {
  char *schema = NULL, *table = NULL, snip[64];
  const char *w, *e, *tail = NULL;
  int rc, n;
  *st = NULL;
  *err = NULL;
  if (alias) *alias = NULL;
  rc = vae_find_table(db, source, 1, &schema, &table);
  if (rc == SQLITE_OK) {
    char *sql = sqlite3_mprintf("SELECT * FROM \"%w\".\"%w\"", schema, table);
    if (alias && sql && alias_name(db, schema, table, alias) == SQLITE_NOMEM) {
      sqlite3_free(sql);
      sql = NULL;
    }
    sqlite3_free(schema);
    sqlite3_free(table);
    if (!sql) return SQLITE_NOMEM;
    rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);
    sqlite3_free(sql);
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("%s: source: %s", fn, sqlite3_errmsg(db));
      return *err ? rc : SQLITE_NOMEM;
    }
    return SQLITE_OK;
  }
  if (rc != SQLITE_NOTFOUND) return rc;

  /* Not a table or view: one read-only SELECT, WITH or VALUES statement. */
  w = skip_blank(source);
  for (e = w; is_word_char(*e); e++) {}
  n = (int)(e - w);
  if ((n == 6 && sqlite3_strnicmp(w, "select", 6) == 0) ||
      (n == 4 && sqlite3_strnicmp(w, "with", 4) == 0) ||
      (n == 6 && sqlite3_strnicmp(w, "values", 6) == 0)) {
    rc = sqlite3_prepare_v2(db, source, -1, st, &tail);
    if (rc != SQLITE_OK) {
      *err = sqlite3_mprintf("%s: source: %s", fn, sqlite3_errmsg(db));
      return *err ? rc : SQLITE_NOMEM;
    }
    if (*st && sqlite3_stmt_readonly(*st) && *skip_blank_semis(tail) == 0 &&
        sqlite3_column_count(*st) > 0)
      return SQLITE_OK;
    sqlite3_finalize(*st);
    *st = NULL;
  } else if (!(n > 0 && sqlite3_keyword_check(w, n)) && *source) {
    json_snippet(snip, sizeof snip, source);
    *err = sqlite3_mprintf("%s: no such table or view: %s", fn, snip);
    return *err ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  *err = sqlite3_mprintf("%s: source must be one read-only SELECT or WITH statement", fn);
  return *err ? SQLITE_ERROR : SQLITE_NOMEM;
}

static int have_metadata(void) {
#ifdef SQLITE_CORE
#ifdef SQLITE_ENABLE_COLUMN_METADATA
  return 1;
#else
  return 0;
#endif
#else
  return sqlite3_api->column_table_name != 0 &&
         sqlite3_api->column_origin_name != 0 &&
         sqlite3_api->column_database_name != 0;
#endif
}

int vae_source_aliases(sqlite3 *db, sqlite3_stmt *st, int ncol, char *alias,
                       const char *table_alias) {
  int i, rc = SQLITE_OK;
  if (ncol <= 0) return SQLITE_OK;
  memset(alias, 0, (size_t)ncol);
  if (!have_metadata()) {
    for (i = 0; i < ncol && table_alias; i++) {
      const char *nm = sqlite3_column_name(st, i);
      if (nm && sqlite3_stricmp(nm, table_alias) == 0) alias[i] = 1;
    }
    return SQLITE_OK;
  }
#if !defined(SQLITE_CORE) || defined(SQLITE_ENABLE_COLUMN_METADATA)
  for (i = 0; i < ncol && rc == SQLITE_OK; i++) {
    const char *d = sqlite3_column_database_name(st, i);
    const char *t = sqlite3_column_table_name(st, i);
    const char *o = sqlite3_column_origin_name(st, i);
    char *a = NULL;
    if (!d || !t || !o) continue;
    rc = alias_name(db, d, t, &a);
    if (rc == SQLITE_OK && a && sqlite3_stricmp(a, o) == 0) alias[i] = 1;
    sqlite3_free(a);
  }
#else
  (void)db; (void)st; (void)i;
#endif
  return rc;
}

