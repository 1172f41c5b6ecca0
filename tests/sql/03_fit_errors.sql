-- Every vae_fit misuse is an error naming the function; nothing is written.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE TABLE e (a REAL);
SELECT vae_fit('m');
SELECT vae_fit('m', 't', '{}', 4);
SELECT vae_fit(NULL, 't');
SELECT vae_fit('', 't');
SELECT vae_fit('m', NULL);
SELECT vae_fit('m', 'nosuch');
SELECT vae_fit('m', 'SELECT * FROM nosuch');
SELECT vae_fit('m', 'DELETE FROM t');
SELECT vae_fit('m', 'INSERT INTO t(a) VALUES (1)');
SELECT vae_fit('m', 'PRAGMA table_info(t)');
SELECT vae_fit('m', 'SELECT a FROM t; DELETE FROM t');
SELECT vae_fit('m', 'SELECT 1; SELECT 2');
SELECT vae_fit('m', 'WITH x AS (SELECT 1) DELETE FROM t');
SELECT vae_fit('m', 'DROP TABLE t');
SELECT vae_fit('m', '');
SELECT vae_fit('m', 'e');
SELECT vae_fit('m', 'SELECT a FROM t WHERE 0');
SELECT vae_fit('m', 'SELECT NULL AS a, NULL AS b FROM t');
SELECT vae_fit('m', 'SELECT x''00'' AS bin, 1 AS a');
SELECT vae_fit('m', 'SELECT 1e999 AS a, 2 AS b');
SELECT vae_fit('m', 'SELECT a, a FROM t');
SELECT vae_fit('m', 't', 'not json');
SELECT vae_fit('m', 't', '[1]');
SELECT vae_fit('m', 't', '{"nope": 1}');
SELECT vae_fit('m', 't', '{"epochs": 0}');
SELECT vae_fit('m', 't', '{"epochs": 2.5}');
SELECT vae_fit('m', 't', '{"latent": "big"}');
SELECT vae_fit('m', 't', '{"columns": ["a", "zz"]}');
SELECT vae_fit('m', 't', '{"columns": ["id", "a"]}');
SELECT vae_fit('m', 't', '{"columns": ["a", "a"]}');
SELECT vae_fit('m', 't', '{"types": {"zz": "real"}}');
SELECT vae_fit('m', 't', '{"types": {"a": "complex"}}');
SELECT vae_fit('m', 't', '{"types": {"k": "real"}}');
SELECT vae_fit('m', 't', '{"types": {"c": "binary"}}');
SELECT vae_fit('m', 't', '{"warm_start": true}');
SELECT count(*) FROM sqlite_schema WHERE name = 'vae_models';
