-- vae_fit returns a JSON report and stores the model in vae_models.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT,
                flag INTEGER, label TEXT, empty TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k, flag, label)
  SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END, (i % 5) * 1.5, i % 3,
         substr('xyz', i % 3 + 1, 1), i % 2, 'row' || i FROM s;
CREATE TEMP TABLE r AS SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') AS j;
SELECT json_valid(j) FROM r;
SELECT json_extract(j, '$.rows'), json_extract(j, '$.rows_train') + json_extract(j, '$.rows_holdout'),
       json_extract(j, '$.epochs'), json_array_length(j, '$.train_loss'),
       json_array_length(j, '$.val_loss'), json_extract(j, '$.warm_starts') FROM r;
SELECT json_extract(j, '$.best_epoch') BETWEEN 1 AND 3, json_type(j, '$.seconds') IN ('real', 'integer'),
       json_type(j, '$.rows_per_second') IN ('real', 'integer'), json_extract(j, '$.stopped_early') FROM r;
SELECT group_concat(key || ':' || (value >= 0), ' ') FROM r, json_each(j, '$.holdout_error');
SELECT '-- skipped';
SELECT json_extract(value, '$.column'), json_extract(value, '$.reason')
  FROM r, json_each(j, '$.skipped');
SELECT '-- columns';
SELECT json_extract(value, '$.name'), json_extract(value, '$.kind') FROM r, json_each(j, '$.columns');
SELECT '-- vae_models';
SELECT name, source, typeof(model), length(model) > 100, typeof(fit_id), created LIKE '____-__-__T__:__:__Z'
  FROM vae_models;
SELECT json_extract(value, '$.name'), json_extract(value, '$.type'), json_extract(value, '$.observed'),
       json_extract(value, '$.levels')
  FROM vae_models, json_each(columns);
SELECT json_extract(options, '$.epochs'), json_extract(options, '$.latent'),
       json_extract(options, '$.hidden'), json_extract(options, '$.seed'),
       json_extract(options, '$.warm_start') FROM vae_models;
SELECT report = (SELECT j FROM r) FROM vae_models;
