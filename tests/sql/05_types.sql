-- Kind inference and forced types.
.load ./vae
CREATE TABLE d (r REAL, w REAL, i INTEGER, bin INTEGER, txt TEXT, num_txt TEXT,
                mixed, zip INTEGER, anyc);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 49)
INSERT INTO d SELECT i * 0.25, i, i % 9, i % 2, substr('abcd', i % 4 + 1, 1),
  CAST(i * 1.5 AS TEXT), CASE WHEN i % 2 THEN i % 3 ELSE 'u' END, 10000 + i % 4,
  i % 5 FROM s;
CREATE TEMP VIEW opts AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}' AS o;
SELECT '-- inferred';
SELECT json_extract(value, '$.name'), json_extract(value, '$.kind')
  FROM (SELECT vae_fit('m', 'd', o) AS j FROM opts), json_each(j, '$.columns');
SELECT '-- forced';
SELECT json_extract(value, '$.name'), json_extract(value, '$.kind')
  FROM (SELECT vae_fit('m', 'd', json_patch(o,
        '{"types": {"zip": "categorical", "num_txt": "real", "i": "real", "anyc": "categorical"}}')) AS j
        FROM opts), json_each(j, '$.columns');
SELECT json_extract(value, '$.levels') FROM vae_models, json_each(columns)
  WHERE json_extract(value, '$.name') IN ('zip', 'anyc', 'mixed');
SELECT typeof(vae_impute('m', 'zip', json_object('r', 1.0))), vae_impute('m', 'zip', json_object('zip', 10002));
SELECT vae_impute('m', 'zip', json_object('zip', 99999));
SELECT vae_impute('m', 'anyc', json_object('anyc', '3')), vae_impute('m', 'anyc', json_object('anyc', 3));
SELECT '-- high cardinality text is skipped unless forced';
CREATE TABLE ids (name TEXT, x REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 29)
INSERT INTO ids SELECT 'n' || i, i FROM s;
SELECT json_extract(vae_fit('h', 'ids', o), '$.skipped') FROM opts;
SELECT json_extract(vae_fit('h', 'ids', json_patch(o, '{"types": {"name": "categorical"}}')), '$.columns') FROM opts;
SELECT '-- errors';
SELECT vae_fit('m', 'd', json_patch(o, '{"types": {"txt": "real"}}')) FROM opts;
SELECT vae_fit('m', 'd', json_patch(o, '{"types": {"i": "binary"}}')) FROM opts;
SELECT vae_fit('m', 'SELECT ''1.5'' AS a, '' x '' AS b', json_patch(o, '{"types": {"b": "real"}}')) FROM opts;
SELECT json_extract(vae_fit('m', 'SELECT ''1.5'' AS a, '' '' AS b', json_patch(o, '{"types": {"b": "real"}}')), '$.skipped') FROM opts;
