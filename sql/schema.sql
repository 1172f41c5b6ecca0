-- schema.sql -- the model store of the vae extension.
--
-- vae_fit creates this table on first use (in the main database); it is
-- given here for reference, and for creating it ahead of time. One row per
-- model name; a refit replaces the row atomically, only once the fit has
-- succeeded.
--
--   name     the model name, as given to vae_fit (matched exactly)
--   source   the source argument of the last fit (table, view or SELECT)
--   columns  JSON array, one object per model column, in the model's order:
--            {"name", "kind" (real|integer|binary|categorical),
--             "type" (the SQL type: REAL|INTEGER|INTEGER|TEXT),
--             "mean", "sd", "min", "max" (numeric columns),
--             "levels" (categorical: the categories, in level order),
--             "observed" (non-NULL training cells)}
--   options  JSON object: the effective settings of the last fit (columns,
--            types, latent, hidden, epochs, batch, lr, beta, samples,
--            impute_samples, seed, holdout, max_rows, mask_rate, patience,
--            verbose, warm_start)
--   report   JSON object: the report vae_fit returned (with warm starts, the
--            loss arrays cover every fit of the model)
--   model    the model BLOB (versioned, little-endian, checksummed)
--   fit_id   a random 64-bit id, new at every fit: connections compare it to
--            the id of the model they have cached, to notice refits
--   created  UTC time of the fit, ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)
CREATE TABLE IF NOT EXISTS vae_models(
  name TEXT PRIMARY KEY,
  source TEXT,
  columns TEXT,
  options TEXT,
  report TEXT,
  model BLOB,
  fit_id INTEGER,
  created TEXT
);
