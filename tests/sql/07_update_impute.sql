-- UPDATE ... SET c = vae_impute(...) WHERE c IS NULL changes only NULL cells.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE TEMP TABLE orig AS SELECT * FROM t;
SELECT count(*) FROM t WHERE a IS NULL;
UPDATE t SET a = vae_impute('m', 'a', a, b, c, k) WHERE a IS NULL;
SELECT changes(), count(*) FROM t WHERE a IS NULL;
SELECT count(*) FROM t JOIN orig USING (id) WHERE orig.a IS NOT NULL AND t.a IS NOT orig.a;
SELECT count(*) FROM t JOIN orig USING (id) WHERE t.b IS NOT orig.b OR t.c IS NOT orig.c OR t.k IS NOT orig.k;
SELECT DISTINCT typeof(a) FROM t;
UPDATE t SET k = vae_impute('m', 'k', a, b, c, k), c = vae_impute('m', 'c', a, b, c, k) WHERE k IS NULL OR c IS NULL;
SELECT count(*) FROM t WHERE k IS NULL OR c IS NULL;
SELECT count(*) FROM t WHERE k NOT IN ('x', 'y', 'z');
SELECT DISTINCT typeof(c) FROM t;
SELECT count(*) FROM t JOIN orig USING (id) WHERE (orig.k IS NOT NULL AND t.k IS NOT orig.k) OR (orig.c IS NOT NULL AND t.c IS NOT orig.c);
SELECT '-- the imputed values are the ones vae_impute gives for the original rows';
SELECT count(*) FROM orig JOIN t USING (id)
 WHERE orig.a IS NULL AND t.a <> vae_impute('m', 'a', orig.a, orig.b, orig.c, orig.k);
