-- vae_sample(model, n [, seed]): n JSON rows, reproducible for a seed.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
-- Rows differ (a few may repeat: a column's extreme values are kept values, and b, c, k have few levels).
SELECT count(*), min(json_valid(value)), count(DISTINCT value) >= 95 FROM vae_sample('m', 100, 1);
SELECT DISTINCT json_type(value, '$.a'), json_type(value, '$.b'), json_type(value, '$.c'), json_type(value, '$.k')
  FROM vae_sample('m', 50, 2) WHERE json_type(value, '$.a') = 'real';
SELECT group_concat(key) FROM json_each((SELECT value FROM vae_sample('m', 1)));
SELECT count(*) FROM vae_sample('m', 200, 3) WHERE value ->> '$.k' NOT IN ('x', 'y', 'z')
  OR value ->> '$.c' NOT IN (0, 1, 2);
SELECT (SELECT group_concat(value, '|') FROM vae_sample('m', 20, 7)) = (SELECT group_concat(value, '|') FROM vae_sample('m', 20, 7));
SELECT (SELECT group_concat(value, '|') FROM vae_sample('m', 20, 7)) = (SELECT group_concat(value, '|') FROM vae_sample('m', 20, 8));
SELECT (SELECT group_concat(value, '|') FROM vae_sample('m', 20)) = (SELECT group_concat(value, '|') FROM vae_sample('m', 20, 0));
SELECT (SELECT group_concat(value, '|') FROM (SELECT value FROM vae_sample('m', 300, 4) LIMIT 5)) =
       (SELECT group_concat(value, '|') FROM vae_sample('m', 5, 4));
SELECT rowid, model, n, seed FROM vae_sample('m', 2, 9);
SELECT count(*) FROM vae_sample('m', 0);
SELECT count(*) FROM vae_sample('m', 1000, -5);
SELECT count(*) FROM vae_sample('m', 3.0);
SELECT '-- errors';
SELECT * FROM vae_sample('m', -1);
SELECT * FROM vae_sample('m', 2.5);
SELECT * FROM vae_sample('m', '3');
SELECT * FROM vae_sample('m', NULL);
SELECT * FROM vae_sample('m', 2, 'x');
SELECT * FROM vae_sample('m', 2, 1.5);
SELECT * FROM vae_sample('nosuch', 2);
SELECT * FROM vae_sample(NULL, 2);
SELECT * FROM vae_sample('m');
SELECT * FROM vae_sample;
