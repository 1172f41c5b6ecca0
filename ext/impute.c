/*
** impute.c -- vae_impute and vae_score, scalar functions over one row.
**
**   vae_impute(model, column, v1, ..., vN)
**   vae_impute(model, column, json_object('a', a, 'b', b, ...))
**     The value of `column` for the row: as given when it is not NULL, else
**     the model's best estimate given the row's other values (conditional
**     mean; most probable category), in the column's own type. The estimate
**     uses a fixed seed, so the same model and row give the same answer (the
**     same as vae_fill and the vae table's draw = 0). The last row and its
**     estimate are kept per model, so that imputing several columns of one
**     row runs the network once.
**
**   vae_score(model, v1, ..., vN)  or  vae_score(model, json_object(...))
**     The negative log-likelihood of the row's observed values under the
**     model (importance-weighted estimate): higher is less plausible.
**
** Both only read vae_models: SQLITE_INNOCUOUS. Not SQLITE_DETERMINISTIC:
** a refit changes their answers, and SQLite would let an index or a
** generated column keep the old ones (integrity_check then fails).
*/
#include "ext.h"
#include "store.h"
#include "codec.h"

#include <math.h>
#include <string.h>

/* A call site's model lookup, kept as auxdata of the model argument while
** that is the same constant, freed by SQLite when the statement is reset.
** The model found is used again for the statement's next rows as long as
** this connection has changed no rows since (sqlite3_total_changes): other
** connections' commits are not seen by a running statement anyway, and
** vae_models cannot be dropped or altered while a statement runs. When it
** must look again, the prepared fit_id query saves parsing SQL. */
typedef struct {
  sqlite3_stmt *st;
  vae_entry *e;          /* referenced; NULL until a lookup succeeded */
  int changes;           /* sqlite3_total_changes() at that lookup */
} lookup;

static void lookup_free(void *p) {
  lookup *l = p;
  sqlite3_finalize(l->st);
  vae_entry_release(l->e);
  sqlite3_free(l);
}

/* The model named by argv[0], or an error set on ctx (NULL returned). */
static vae_entry *model_arg(sqlite3_context *ctx, sqlite3_value **argv, const char *fn,
                            const char **name) {
  vae_ext *x = sqlite3_user_data(ctx);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  vae_entry *e = NULL;
  lookup *lk = sqlite3_get_auxdata(ctx, 0);
  char *err = NULL;
  int rc, fresh = 0, changes = sqlite3_total_changes(db);
  if (vae_name_arg(ctx, argv[0], fn, "model", name)) return NULL;
  if (!**name) {
    vae_result_errmsg(ctx, SQLITE_ERROR, sqlite3_mprintf("%s: model must be a text name", fn));
    return NULL;
  }
  if (lk && lk->e && lk->changes == changes) {
    lk->e->refs++;
    return lk->e;
  }
  if (!lk && (lk = sqlite3_malloc(sizeof *lk)) != NULL) {
    memset(lk, 0, sizeof *lk);
    fresh = 1;
  }
  rc = vae_store_get_kept(x, db, *name, fn, lk ? &lk->st : NULL, &e, &err);
  if (lk) {
    vae_entry_release(lk->e);
    lk->e = NULL;
    if (rc == SQLITE_OK) {
      lk->e = e;
      e->refs++;
      lk->changes = changes;
    }
  }
  /* On failure SQLite calls lookup_free at once: lk is not used after. */
  if (fresh) sqlite3_set_auxdata(ctx, 0, lk, lookup_free);
  if (rc == SQLITE_NOTFOUND) {
    rc = SQLITE_ERROR;
    err = sqlite3_mprintf("%s: no model named \"%s\"", fn, *name);
  }
  if (rc != SQLITE_OK) {
    vae_result_errmsg(ctx, rc, err);
    return NULL;
  }
  return e;
}

static void impute_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *name, *colname;
  vae_entry *e;
  const vae_model *m;
  float *row = NULL;
  char *err = NULL;
  int p, j, rc;
  uint64_t seed = 0;
  if (argc < 3) {
    sqlite3_result_error(ctx,
                         "vae_impute: expects (model, column, v1, ..., vN) or "
                         "(model, column, json_object(...))",
                         -1);
    return;
  }
  e = model_arg(ctx, argv, "vae_impute", &name);
  if (!e) return;
  m = e->m;
  p = vae_model_ncols(m);
  if (vae_name_arg(ctx, argv[1], "vae_impute", "column", &colname)) goto done;
  j = vae_find_column(m, colname);
  if (j < 0) {
    vae_result_errmsg(ctx, SQLITE_ERROR,
                      sqlite3_mprintf("vae_impute: model \"%s\" has no column \"%s\"",
                                      name, colname));
    goto done;
  }
  row = sqlite3_malloc64((sqlite3_uint64)p * sizeof *row);
  if (!row) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  rc = vae_args_to_row_na(m, e->na, name, "vae_impute", argc - 2, argv + 2, row, &err, ctx,
                          j);
  if (rc != SQLITE_OK) {
    vae_result_errmsg(ctx, rc, err);
    goto done;
  }
  if (!isnan(row[j])) goto done; /* the given value is the result */
  if (!e->row_in) {
    e->row_in = sqlite3_malloc64((sqlite3_uint64)p * sizeof(float));
    e->row_out = sqlite3_malloc64((sqlite3_uint64)p * sizeof(float));
    if (!e->row_in || !e->row_out) {
      sqlite3_free(e->row_in);
      sqlite3_free(e->row_out);
      e->row_in = e->row_out = NULL;
      sqlite3_result_error_nomem(ctx);
      goto done;
    }
  }
  if (!e->row_valid || memcmp(e->row_in, row, (size_t)p * sizeof *row) != 0) {
    e->row_valid = 0;
    rc = vae_infer(m, VAE_MEAN, 1, row, &seed, 0, e->row_out, NULL);
    if (rc != VAE_OK) {
      if (rc == VAE_NOMEM) sqlite3_result_error_nomem(ctx);
      else sqlite3_result_error(ctx, "vae_impute: inference failed", -1);
      goto done;
    }
    memcpy(e->row_in, row, (size_t)p * sizeof *row);
    e->row_valid = 1;
  }
  vae_result_cell(ctx, vae_model_column(m, j), e->row_out[j]);
done:
  sqlite3_free(row);
  vae_entry_release(e);
}

static void score_func(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *name;
  vae_entry *e;
  float *row = NULL, *out = NULL;
  char *err = NULL;
  double nll = 0;
  uint64_t seed = 0;
  int p, rc;
  if (argc < 2) {
    sqlite3_result_error(ctx,
                         "vae_score: expects (model, v1, ..., vN) or "
                         "(model, json_object(...))",
                         -1);
    return;
  }
  e = model_arg(ctx, argv, "vae_score", &name);
  if (!e) return;
  p = vae_model_ncols(e->m);
  row = sqlite3_malloc64((sqlite3_uint64)p * 2 * sizeof *row);
  if (!row) {
    sqlite3_result_error_nomem(ctx);
    goto done;
  }
  out = row + p;
  rc = vae_args_to_row_na(e->m, e->na, name, "vae_score", argc - 1, argv + 1, row, &err,
                          NULL, -1);
  if (rc != SQLITE_OK) {
    vae_result_errmsg(ctx, rc, err);
    goto done;
  }
  rc = vae_infer(e->m, VAE_MEAN, 1, row, &seed, 0, out, &nll);
  if (rc == VAE_NOMEM) sqlite3_result_error_nomem(ctx);
  else if (rc != VAE_OK) sqlite3_result_error(ctx, "vae_score: inference failed", -1);
  else sqlite3_result_double(ctx, nll);
done:
  sqlite3_free(row);
  vae_entry_release(e);
}

int vae_register_impute(sqlite3 *db, vae_ext *x) {
  /* Both read the subtype of a json_object() argument. */
  const int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_SUBTYPE;
  int rc;
  x->refs++;
  rc = sqlite3_create_function_v2(db, "vae_impute", -1, flags, x, impute_func, NULL, NULL,
                                  vae_ext_unref);
  if (rc != SQLITE_OK) return rc;
  x->refs++;
  return sqlite3_create_function_v2(db, "vae_score", -1, flags, x, score_func, NULL, NULL,
                                    vae_ext_unref);
}
