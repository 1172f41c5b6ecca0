/*
** options.h -- the JSON options of vae_fit, checked and turned into a
** vae_config (core's settings) and the extension's own (columns, types,
** na, max_rows, verbose, warm_start). Kept apart from the SQLite glue so that the checks (and their
** messages) are the same for any caller, and can be fuzzed alone.
*/
#ifndef VAE_OPTIONS_H
#define VAE_OPTIONS_H

#include <stddef.h>

#include "../core/vae.h"

/* Bit numbers of vae_options.given: test with VAE_OPT_BIT(VAE_OPT_SEED). */
enum {
  VAE_OPT_COLUMNS, VAE_OPT_TYPES, VAE_OPT_LATENT, VAE_OPT_HIDDEN,
  VAE_OPT_EPOCHS, VAE_OPT_BATCH, VAE_OPT_LR, VAE_OPT_BETA, VAE_OPT_SAMPLES,
  VAE_OPT_IMPUTE_SAMPLES, VAE_OPT_SEED, VAE_OPT_HOLDOUT, VAE_OPT_MAX_ROWS,
  VAE_OPT_VERBOSE, VAE_OPT_WARM_START, VAE_OPT_MASK_RATE, VAE_OPT_PATIENCE,
  VAE_OPT_MISSING, VAE_OPT_NA, VAE_OPT_THREADS, VAE_OPT_MEMBERS
};
#define VAE_OPT_BIT(x) (1UL << (x))

/* A kind of "types" that is not core's: "date" (or "datetime"), a column of
** dates or times that the caller reads and writes (numeric in the model). */
#define VAE_OPT_KIND_DATE 16

typedef struct {
  vae_config cfg;       /* starts from vae_config_default() */
  unsigned long given;  /* bit VAE_OPT_x set for each key present */
  int ncolumns;         /* "columns": list of names, NULL if absent */
  char **columns;
  int ntypes;           /* "types": {"col": "categorical", ...} */
  char **type_columns;
  int *type_kinds;      /* vae_kind of type_columns[i], or VAE_OPT_KIND_DATE */
  int warm_start;       /* "warm_start": true */
  int64_t max_rows;     /* "max_rows": a reservoir sample of the source's
                           rows (ext/source.c); 0 = all */
  int verbose;          /* "verbose": progress lines on stderr (ext/fit.c
                           prints them from core's progress callback) */
  vae_allocator mem;    /* what the lists above come from */
  int nna;              /* "na": text spellings of a missing value, for the */
  char **na;            /* caller that reads text (given: bit VAE_OPT_NA) */
} vae_options;

/* Parses json[0..len) (NULL: no options, all defaults) into *o, whose
** lists are allocated from *a (o keeps a copy to free them). Returns
** VAE_OK, VAE_NOMEM or VAE_INVALID with a short message naming the option
** (e.g. `option "epochs" must be an integer from 1 to 1000000`). On error
** *o holds the defaults and owns nothing; vae_options_free is always safe
** after vae_options_parse. */
int vae_options_parse(const vae_allocator *a, const char *json, size_t len,
                      vae_options *o, char *err, size_t errlen);
void vae_options_free(vae_options *o);

#endif
