-- A fit on a reservoir sample of the rows (max_rows, or the default bound
-- of 2^24 cells) still reads every row: a category seen only in rows not
-- kept is a level of the model, so vae_fill and vae_impute on the table the
-- model was fitted on never meet an unknown category.
.load ./vae
CREATE TABLE t (x REAL, y REAL, k TEXT, code INTEGER);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 1999)
INSERT INTO t SELECT i % 10 * 0.5, CASE WHEN i % 9 = 0 THEN NULL ELSE i % 7 END,
  CASE WHEN i IN (1500, 1800) THEN 'rare' WHEN i = 1999 THEN 'last' WHEN i = 1700 THEN 'NA'
       ELSE substr('abc', i % 3 + 1, 1) END,
  CASE WHEN i = 1998 THEN 99 ELSE i % 4 END FROM s;
CREATE TEMP VIEW opts AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 3,
    "max_rows": 20, "types": {"code": "categorical"}}' AS o;
SELECT 'fit', json_extract(vae_fit('m', 't', o), '$.rows', '$.rows_source') FROM opts;
-- every level of the table, though 20 rows of 2000 were kept ('NA' is a
-- missing value, not a level)
SELECT 'levels k', json_extract(columns, '$[2].levels') FROM vae_models WHERE name = 'm';
SELECT 'levels code', json_extract(columns, '$[3].levels') FROM vae_models WHERE name = 'm';
SELECT 'option', json_extract(options, '$.max_rows') FROM vae_models WHERE name = 'm';
-- the rows with the rare levels impute and fill without an error
SELECT 'impute', count(*) FROM t WHERE (k IN ('rare', 'last') OR code = 99)
  AND vae_impute('m', 'y', x, NULL, k, code) IS NOT NULL;
SELECT 'fill', vae_fill('m', 't');
SELECT 'left null', count(*) FROM t WHERE y IS NULL;
SELECT 'kept', count(*) FROM t WHERE k IN ('rare', 'last') OR code = 99;
-- the default bound: 2^24 cells in rows of the selected columns, reported
SELECT 'default', json_extract(vae_fit('d', 't', '{"epochs": 1, "hidden": [8], "latent": 2}'),
  '$.rows', '$.rows_source');
SELECT 'default bound', json_extract(options, '$.max_rows') FROM vae_models WHERE name = 'd';
SELECT 'default bound 2 columns',
  json_extract(vae_fit('d2', 'SELECT x, y FROM t', '{"epochs": 1, "hidden": [8], "latent": 2}'), '$.rows');
SELECT 'bound', json_extract(options, '$.max_rows') FROM vae_models WHERE name = 'd2';
-- 0 reads every row, as before
SELECT 'all', json_extract(vae_fit('a', 't', '{"epochs": 1, "hidden": [8], "latent": 2, "max_rows": 0}'), '$.rows');
SELECT 'all bound', json_extract(options, '$.max_rows') FROM vae_models WHERE name = 'a';
