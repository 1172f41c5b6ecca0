-- Each connection caches loaded models, checked against vae_models on
-- every use: refits, deletes and delete-and-refit are noticed at once.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE TEMP TABLE v1 AS SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y') AS v, (SELECT fit_id FROM vae_models) AS id;
SELECT vae_fit('m', 't', '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 7}') IS NOT NULL;
SELECT (SELECT fit_id FROM vae_models) <> id FROM v1;
SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y') <> v FROM v1;
DELETE FROM vae_models;
SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y');
SELECT vae_fit('m', 'SELECT a, k FROM t', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8}') IS NOT NULL;
SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y');
SELECT typeof(vae_impute('m', 'a', NULL, 'y'));
SELECT '-- a damaged blob is an error, never a crash';
UPDATE vae_models SET model = substr(model, 1, 100), fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 'y');
UPDATE vae_models SET model = x'', fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 'y');
UPDATE vae_models SET model = NULL, fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 'y');
SELECT '-- several models';
SELECT vae_fit('p', 'SELECT a, b FROM t', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8}') IS NOT NULL;
SELECT vae_fit('q', 'SELECT b, k FROM t', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8}') IS NOT NULL;
SELECT typeof(vae_impute('p', 'a', NULL, 1)), typeof(vae_impute('q', 'k', 1, NULL)), typeof(vae_impute('p', 'b', 1, NULL));
SELECT name FROM vae_models ORDER BY name;
SELECT '-- a model name is matched as an SQL identifier (case-insensitive)';
SELECT vae_impute('P', 'a', NULL, 1);
SELECT '-- a refit in the middle of a statement is seen by its next rows';
SELECT vae_fit('m', 't', '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE TEMP TABLE v2 AS SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y') AS v;
WITH r(i) AS (VALUES (1), (2), (3))
SELECT i, vae_impute('m', 'a', NULL, 1.5, 1, 'y') = (SELECT v FROM v2),
  CASE WHEN i = 2 THEN vae_fit('m', 't', '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 7}') IS NOT NULL END
  FROM r;
