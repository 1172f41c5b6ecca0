-- vae_score: a REAL, deterministic, errors like vae_impute's.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
SELECT typeof(vae_score('m', 1.0, 1.5, 1, 'y')), typeof(vae_score('m', NULL, 1.5, NULL, 'y'));
SELECT vae_score('m', 1.0, 1.5, 1, 'y') = vae_score('m', 1.0, 1.5, 1, 'y');
SELECT vae_score('m', json_object('a', 1.0, 'b', 1.5, 'c', 1, 'k', 'y')) = vae_score('m', 1.0, 1.5, 1, 'y');
SELECT vae_score('m', 1000.0, 1.5, 1, 'y') > vae_score('m', 10.0, 1.5, 1, 'y');
SELECT count(*) FROM (SELECT id FROM t ORDER BY vae_score('m', a, b, c, k) DESC LIMIT 5);
SELECT vae_score('m', 1, 2);
SELECT vae_score('m');
SELECT vae_score('nosuch', 1, 2, 3, 'x');
SELECT vae_score('m', 'abc', 2, 3, 'x');
SELECT vae_score('m', 1, 2, 3, 'q');
SELECT vae_score('m', json_object('zz', 1));
