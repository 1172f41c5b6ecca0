-- vae_fidelity(model, source [, options]) -> JSON scores in [0, 1].
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE TEMP TABLE r AS SELECT vae_fidelity('m', 't') AS j;
SELECT json_valid(j), json_extract(j, '$.rows_real'), json_extract(j, '$.rows_synthetic') FROM r;
SELECT json_extract(j, '$.overall') BETWEEN 0 AND 1, json_extract(j, '$.shape_mean') BETWEEN 0 AND 1,
       json_extract(j, '$.pair_mean') BETWEEN 0 AND 1 FROM r;
SELECT group_concat(key || ':' || (value BETWEEN 0 AND 1), ' ') FROM r, json_each(j, '$.shape');
SELECT json_array_length(j, '$.pairs'), json_array_length(j, '$.worst') FROM r;
SELECT group_concat(json_extract(value, '$.columns'), ' ') FROM r, json_each(j, '$.pairs');
SELECT (SELECT vae_fidelity('m', 't')) = j FROM r;
SELECT json_extract(vae_fidelity('m', 'SELECT * FROM t WHERE c = 1', '{"rows": 123, "seed": 4}'), '$.rows_real', '$.rows_synthetic');
SELECT json_extract(vae_fidelity('m', 'SELECT a, b, c, ''new'' AS k FROM t'), '$.rows_real');
SELECT '-- errors';
SELECT vae_fidelity('m');
SELECT vae_fidelity('nosuch', 't');
SELECT vae_fidelity('m', 'nosuch');
SELECT vae_fidelity('m', 'SELECT a FROM t');
SELECT vae_fidelity('m', 'DELETE FROM t');
SELECT vae_fidelity('m', 't', '{"bogus": 1}');
SELECT vae_fidelity('m', 't', '{"rows": 0}');
SELECT vae_fidelity('m', 't', '{"seed": "x"}');
SELECT vae_fidelity('m', 't', '[');
SELECT vae_fidelity('m', 't', '[]');
