-- Regression trees for a numeric column (core/forest.c) in a fit of 1,000
-- training rows or more: y = 2 [(a > 0.3) xor (b > 0.7)] plus a little
-- noise, a step the network draws only roughly. The report lists every
-- column's forest share, y's above 0; y's hidden cells are imputed
-- closely; a new connection reading the stored model imputes the same;
-- a fit of 400 rows (fewer training rows) grows no numeric trees.
.open forest.db
.load ./vae
CREATE TABLE full (id INTEGER PRIMARY KEY, a REAL, b REAL, c REAL, y REAL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1500),
  u AS (SELECT i, i * 0.6180339887 - CAST(i * 0.6180339887 AS INTEGER) AS a,
               i * 0.7548776662 - CAST(i * 0.7548776662 AS INTEGER) AS b,
               i * 0.5698402910 - CAST(i * 0.5698402910 AS INTEGER) AS e FROM s)
INSERT INTO full SELECT i, a, b, e * 4 - 2,
  2 * ((a > 0.3) <> (b > 0.7)) + 0.2 * (e - 0.5) FROM u;
CREATE TABLE t AS SELECT id, a, b, c, CASE WHEN id % 10 = 3 THEN NULL ELSE y END AS y FROM full;
SELECT 'fit', json_extract(vae_fit('m', 'SELECT a, b, c, y FROM t',
  '{"epochs": 30, "hidden": [16, 16], "seed": 3}'), '$.rows_train') >= 1000;
SELECT 'every column listed', json_type(report, '$.forest_share.a') = 'real'
    OR json_type(report, '$.forest_share.a') = 'integer',
  json_extract(report, '$.forest_share.y') > 0 FROM vae_models WHERE name = 'm';
CREATE TABLE got AS SELECT id, vae_impute('m', 'y', a, b, c, NULL) AS y FROM t WHERE y IS NULL;
SELECT 'y imputed within 0.35 (RMSE)',
  sqrt(avg((got.y - full.y) * (got.y - full.y))) < 0.35 FROM got JOIN full USING (id);
.open forest.db
.load ./vae
SELECT 'reloaded, the same', count(*) = 150 FROM got JOIN t USING (id)
  WHERE got.y = vae_impute('m', 'y', t.a, t.b, t.c, NULL);
SELECT 'format 19 or later (numeric trees)', hex(substr(model, 5, 1)) >= '13' AND hex(substr(model, 6, 3)) = '000000'
  FROM vae_models WHERE name = 'm';
SELECT 'no numeric trees on 400 rows', json_extract(vae_fit('n', 'SELECT a, b, c, y FROM t WHERE id <= 400',
  '{"epochs": 5, "hidden": [8], "seed": 3}'), '$.forest_share');
