/*
** vtab.c -- the `vae` virtual table module, in two forms:
**
**   CREATE VIRTUAL TABLE s USING vae(m);            (vtab_gen.c)
**     endless synthetic rows of model m, conditioned on the WHERE clause;
**   CREATE VIRTUAL TABLE f USING vae(m, source=t);  (vtab_source.c)
**     the rows of t with the NULL cells of m's columns filled.
**
** This file is what both share (vtab.h): it reads the arguments, declares
** the model's columns, typed as the codecs say (codec.h: REAL, INTEGER,
** INTEGER for binary, TEXT for categorical, a date column's own type), and
** a hidden column (`seed` or `draw`), and opens cursors. Each scan looks
** the model up again and maps the declared columns onto it, so a refit
** model is used at once and a deleted model gives `vae: no model named
** "m"`; a model whose columns changed gives an error asking to create the
** table again. Both forms keep working after the database is closed and
** reopened (the arguments are part of the schema); a table whose model has
** gone can still be dropped.
*/
#include "vtab.h"
#include "codec.h"

#include <string.h>

#define USAGE "vae: expects vae(model) or vae(model, source=table)"

/* ---------------------------------------------------------------------
** Arguments
*/
char *vae_vtab_dequote(const char *s, int n) {
  char q, *out;
  int i, k = 0;
  while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) { s++; n--; }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
  out = sqlite3_malloc(n + 1);
  if (!out) return NULL;
  q = n >= 2 ? s[0] : 0;
  if (q == '[') q = ']';
  if ((q == '\'' || q == '"' || q == '`' || q == ']') && s[n - 1] == q) {
    for (i = 1; i < n - 1; i++) {
      out[k++] = s[i];
      if (s[i] == q && q != ']' && i + 1 < n - 1 && s[i + 1] == q) i++;
    }
  } else {
    memcpy(out, s, (size_t)n);
    k = n;
  }
  out[k] = 0;
  return out;
}

char *vae_vtab_source_name(const char *s) {
  int n = (int)strlen(s), i;
  char q;
  while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n')) { s++; n--; }
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n')) n--;
  q = n > 0 ? (*s == '[' ? ']' : *s) : 0;
  if (q != '"' && q != '\'' && q != '`' && q != ']') return vae_vtab_dequote(s, n);
  for (i = 1; i < n; i++) {
    if (s[i] != q) continue;
    if (q != ']' && i + 1 < n && s[i + 1] == q) { i++; continue; }
    break;
  }
  if (i == n - 1) return vae_vtab_dequote(s, n); /* one quoted name */
  return sqlite3_mprintf("%.*s", n, s);
}

static void vtab_free(vae_vtab *t) {
  int j;
  if (!t) return;
  for (j = 0; j < t->p && t->types; j++) sqlite3_free(t->types[j]);
  sqlite3_free(t->types);
  for (j = 0; j < t->p && t->names; j++) sqlite3_free(t->names[j]);
  sqlite3_free(t->names);
  sqlite3_free(t->kinds);
  sqlite3_free(t->model);
  sqlite3_free(t->source);
  sqlite3_free(t->name);
  sqlite3_free(t->qname);
  sqlite3_free(t);
}

/* The model name and the optional source= of argv[3..argc) into t, and the
** form they choose. */
static int parse_args(vae_vtab *t, int argc, const char *const *argv, char **pzErr) {
  int i;
  if (argc < 4 || argc > 5) {
    *pzErr = sqlite3_mprintf(USAGE);
    return SQLITE_ERROR;
  }
  t->model = vae_vtab_dequote(argv[3], (int)strlen(argv[3]));
  t->name = sqlite3_mprintf("%s", argv[2]);
  t->qname = sqlite3_mprintf("%s.%s", argv[1], argv[2]);
  if (!t->model || !t->name || !t->qname) return SQLITE_NOMEM;
  for (i = 4; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(a, '=');
    char *key = eq ? vae_vtab_dequote(a, (int)(eq - a)) : NULL;
    if (eq && !key) return SQLITE_NOMEM;
    if (!key || sqlite3_stricmp(key, "source") != 0 || t->source) {
      *pzErr = sqlite3_mprintf("vae: unknown argument \"%s\"; expects vae(model) or "
                               "vae(model, source=table)", a);
      sqlite3_free(key);
      return SQLITE_ERROR;
    }
    sqlite3_free(key);
    t->source = vae_vtab_source_name(eq + 1);
    if (!t->source) return SQLITE_NOMEM;
  }
  if (!*t->model) {
    *pzErr = sqlite3_mprintf(USAGE);
    return SQLITE_ERROR;
  }
  t->form = t->source ? &vae_source_form : &vae_gen_form;
  return SQLITE_OK;
}

/* The model's columns as the table's (names, kinds, SQL types). */
static int take_columns(vae_vtab *t, const vae_model *m, char **pzErr) {
  int j;
  t->p = vae_model_ncols(m);
  t->names = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->names);
  t->kinds = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->kinds);
  t->types = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *t->types);
  if (!t->names || !t->kinds || !t->types) {
    t->p = 0;
    return SQLITE_NOMEM;
  }
  memset(t->names, 0, (size_t)t->p * sizeof *t->names);
  memset(t->types, 0, (size_t)t->p * sizeof *t->types);
  for (j = 0; j < t->p; j++) {
    const vae_column *c = vae_model_column(m, j);
    t->kinds[j] = c->kind;
    t->types[j] = sqlite3_mprintf("%s", vae_column_sqltype(c));
    t->names[j] = sqlite3_mprintf("%s", c->name);
    if (!t->names[j] || !t->types[j]) return SQLITE_NOMEM;
    if (sqlite3_stricmp(c->name, t->form->hidden) == 0) {
      *pzErr = sqlite3_mprintf("vae: model \"%s\" has a column named \"%s\", the "
                               "name of the hidden column of this table",
                               t->model, c->name);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Loads the model's columns into t. A missing model is an error at CREATE;
** at connect the table opens without columns, so it can still be dropped
** (a scan reports the missing model). */
static int load_columns(vae_vtab *t, int creating, char **pzErr) {
  vae_entry *e = NULL;
  char *err = NULL;
  int rc = vae_store_get(t->x, t->db, t->model, "vae", &e, &err);
  if (rc == SQLITE_NOTFOUND && !creating) return SQLITE_OK;
  if (rc == SQLITE_NOTFOUND) {
    *pzErr = sqlite3_mprintf("vae: no model named \"%s\"", t->model);
    return SQLITE_ERROR;
  }
  if (rc != SQLITE_OK) {
    *pzErr = err;
    return rc;
  }
  rc = take_columns(t, e->m, pzErr);
  vae_entry_release(e);
  return rc;
}

/* Declares t's columns and its hidden column. Without a model, one
** placeholder column, so that `SELECT *` still reaches xFilter and its
** message about the missing model. */
static int declare(vae_vtab *t, char **pzErr) {
  char *decl = sqlite3_mprintf("CREATE TABLE x(%s", t->p ? "" : "vae_no_model, ");
  int j, rc;
  for (j = 0; j < t->p && decl; j++) {
    const char *type = t->types && t->types[j] ? t->types[j] : "";
    char *d = sqlite3_mprintf("%s\"%w\" %s, ", decl, t->names[j], type);
    sqlite3_free(decl);
    decl = d;
  }
  if (decl) {
    char *d = sqlite3_mprintf("%s\"%s\" HIDDEN INTEGER)", decl, t->form->hidden);
    sqlite3_free(decl);
    decl = d;
  }
  if (!decl) return SQLITE_NOMEM;
  rc = sqlite3_declare_vtab(t->db, decl);
  sqlite3_free(decl);
  if (rc != SQLITE_OK) *pzErr = sqlite3_mprintf("vae: %s", sqlite3_errmsg(t->db));
  return rc;
}

static int vtab_init(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **pzErr, int creating) {
  vae_vtab *t;
  int rc;
  *out = NULL;
  t = sqlite3_malloc(sizeof *t);
  if (!t) return SQLITE_NOMEM;
  memset(t, 0, sizeof *t);
  t->db = db;
  t->x = aux;
  rc = parse_args(t, argc, argv, pzErr);
  if (rc == SQLITE_OK) rc = load_columns(t, creating, pzErr);
  if (rc == SQLITE_OK && t->form->open_table)
    rc = t->form->open_table(t, creating, argv[1], pzErr);
  if (rc == SQLITE_OK) rc = declare(t, pzErr);
  if (rc != SQLITE_OK) {
    vtab_free(t);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *out = &t->base;
  return SQLITE_OK;
}

static int vtab_create(sqlite3 *db, void *aux, int argc, const char *const *argv,
                       sqlite3_vtab **out, char **err) {
  return vtab_init(db, aux, argc, argv, out, err, 1);
}

static int vtab_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err) {
  return vtab_init(db, aux, argc, argv, out, err, 0);
}

static int vtab_disconnect(sqlite3_vtab *vt) {
  vtab_free((vae_vtab *)vt);
  return SQLITE_OK;
}

static int vtab_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
  vae_vtab *t = (vae_vtab *)vt;
  return t->form->best_index(t, info);
}

/* ---------------------------------------------------------------------
** Cursors
*/
int vae_cursor_error(vae_cursor *c, int rc, char *msg) {
  return vae_vtab_error(c->base.pVtab, rc, msg);
}

static int vtab_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
  const vae_table_form *form = ((vae_vtab *)vt)->form;
  vae_cursor *c = sqlite3_malloc64(form->cursor_size);
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, form->cursor_size);
  c->eof = 1;
  *out = &c->base;
  return SQLITE_OK;
}

static void cursor_reset(vae_cursor *c) {
  ((vae_vtab *)c->base.pVtab)->form->reset(c);
  sqlite3_free(c->map);
  c->map = NULL;
  vae_entry_release(c->e);
  c->e = NULL;
  c->eof = 1;
}

static int vtab_close(sqlite3_vtab_cursor *cur) {
  vae_cursor *c = (vae_cursor *)cur;
  cursor_reset(c);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* The current model, and the map from declared to model columns. */
static int resolve_model(vae_cursor *c) {
  vae_vtab *t = (vae_vtab *)c->base.pVtab;
  char *err = NULL;
  int j, rc, covered = 0;
  rc = vae_store_get(t->x, t->db, t->model, "vae", &c->e, &err);
  if (rc == SQLITE_NOTFOUND)
    return vae_cursor_error(c, SQLITE_ERROR,
                            sqlite3_mprintf("vae: no model named \"%s\"", t->model));
  if (rc != SQLITE_OK) return rc == SQLITE_NOMEM ? rc : vae_cursor_error(c, rc, err);
  if (t->p == 0)
    return vae_cursor_error(c, SQLITE_ERROR,
                            sqlite3_mprintf("vae: model \"%s\" was missing when this table "
                                            "was opened; reopen the database",
                                            t->model));
  c->map = sqlite3_malloc64((sqlite3_uint64)t->p * sizeof *c->map);
  if (!c->map) return SQLITE_NOMEM;
  for (j = 0; j < t->p; j++) {
    int k = vae_model_column_index(c->e->m, t->names[j]);
    if (k >= 0 && t->kinds[j] >= 0) covered++;
    if (t->source && k < 0 && t->kinds[j] < 0) {
      c->map[j] = -1; /* passes through */
      continue;
    }
    if (k < 0 || vae_model_column(c->e->m, k)->kind != t->kinds[j] ||
        (!t->source && vae_model_ncols(c->e->m) != t->p))
      break;
    c->map[j] = k;
  }
  if (j < t->p || covered != vae_model_ncols(c->e->m))
    return vae_cursor_error(c, SQLITE_ERROR,
                            sqlite3_mprintf("vae: model \"%s\" no longer has the columns "
                                            "of this table; drop and create it again",
                                            t->model));
  return SQLITE_OK;
}

static int vtab_filter(sqlite3_vtab_cursor *cur, int idxNum, const char *idxStr, int argc,
                       sqlite3_value **argv) {
  vae_cursor *c = (vae_cursor *)cur;
  int rc;
  cursor_reset(c);
  rc = resolve_model(c);
  if (rc != SQLITE_OK) return rc;
  return ((vae_vtab *)cur->pVtab)->form->filter(c, idxNum, idxStr, argc, argv);
}

static int vtab_next(sqlite3_vtab_cursor *cur) {
  vae_cursor *c = (vae_cursor *)cur;
  if (c->eof) return SQLITE_OK;
  return ((vae_vtab *)cur->pVtab)->form->next(c);
}

static int vtab_eof(sqlite3_vtab_cursor *cur) {
  return ((vae_cursor *)cur)->eof;
}

static int vtab_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col) {
  ((vae_vtab *)cur->pVtab)->form->column((vae_cursor *)cur, ctx, col);
  return SQLITE_OK;
}

static int vtab_rowid(sqlite3_vtab_cursor *cur, sqlite_int64 *rowid) {
  *rowid = ((vae_vtab *)cur->pVtab)->form->rowid((vae_cursor *)cur);
  return SQLITE_OK;
}

static sqlite3_module vae_module = {
    0,                /* iVersion */
    vtab_create,      /* xCreate */
    vtab_connect,     /* xConnect */
    vtab_best_index,  /* xBestIndex */
    vtab_disconnect,  /* xDisconnect */
    vtab_disconnect,  /* xDestroy: nothing stored besides the schema */
    vtab_open,        /* xOpen */
    vtab_close,       /* xClose */
    vtab_filter,      /* xFilter */
    vtab_next,        /* xNext */
    vtab_eof,         /* xEof */
    vtab_column,      /* xColumn */
    vtab_rowid,       /* xRowid */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* xUpdate .. xShadowName */
};

int vae_register_vtab(sqlite3 *db, vae_ext *x) {
  x->refs++;
  return sqlite3_create_module_v2(db, "vae", &vae_module, x, vae_ext_unref);
}
