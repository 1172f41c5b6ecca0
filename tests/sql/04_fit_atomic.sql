-- A failing fit leaves an earlier model of the same name untouched; a fit
-- inside a transaction that is rolled back leaves nothing.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE TEMP VIEW opts AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}' AS o;
SELECT vae_fit('m', 't', o) IS NOT NULL FROM opts;
CREATE TEMP TABLE before AS SELECT * FROM vae_models;
CREATE TEMP TABLE imp AS SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y') AS v;
SELECT vae_fit('m', 'SELECT a FROM t WHERE 0', o) FROM opts;
SELECT vae_fit('m', 't', '{"epochs": -1}');
SELECT vae_fit('m', 'SELECT a, b, c, ''q'' AS k FROM t', json_patch(o, '{"warm_start": true}')) FROM opts;
SELECT vae_fit('m', 'SELECT x''01'' AS a', o) FROM opts;
SELECT count(*) FROM (SELECT * FROM vae_models EXCEPT SELECT * FROM before);
SELECT vae_impute('m', 'a', NULL, 1.5, 1, 'y') = v FROM imp;
BEGIN;
SELECT vae_fit('m2', 't', o) IS NOT NULL FROM opts;
SELECT count(*) FROM vae_models;
ROLLBACK;
SELECT count(*) FROM vae_models;
SELECT vae_impute('m2', 'a', NULL, 1.5, 1, 'y');
SELECT 'inside a writing statement';
CREATE TABLE rep AS SELECT vae_fit('m3', 't', o) AS j FROM opts;
SELECT json_valid(j) FROM rep;
SELECT name FROM vae_models ORDER BY name;
