-- Hostile and bad input to the functions (what 03, 05, 06, 08, 09, 13,
-- 14, 18 and 24 do not already cover): values at and beyond the float
-- range, degenerate sources, sources that would write, writers called from
-- inside a source, names holding quotes, SQL and NUL, options of the wrong
-- type or out of range. Every failure is an error naming the function;
-- nothing is written on error.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE TEMP TABLE orig AS SELECT * FROM t;
CREATE TEMP VIEW o AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}' AS o;
SELECT vae_fit('m', 't', o) IS NOT NULL FROM o;
CREATE TEMP TABLE before AS SELECT * FROM vae_models;

SELECT '-- infinities (9e999 is +Inf in SQLite) and the float range';
SELECT vae_fit('x', 'SELECT -9e999 AS a, 2 AS b');
SELECT vae_fit('x', 'SELECT 1e39 AS a, 2 AS b');
SELECT vae_fit('x', 'SELECT -1e39 AS a, 2 AS b');
SELECT vae_fit('x', 'SELECT ''1e39'' AS a, 2 AS b');
SELECT vae_impute('m', 'a', NULL, 1e39, 1, 'x');
SELECT vae_impute('m', 'a', NULL, -9e999, 1, 'x');
SELECT vae_impute('m', 'a', NULL, 3.5e38, 1, 'x');
SELECT vae_score('m', 1, 2, 1e39, 'x');
SELECT vae_impute('m', 'a', json_object('b', 1e39));
SELECT '-- values up to the float limit are fine, outputs stay finite and in range';
CREATE TABLE h (a REAL, b REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO h SELECT CASE WHEN i % 2 THEN 3.4e38 ELSE -3.4e38 END * (i % 7) / 6.0,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1e37 / 6 + 1e38 END FROM s;
SELECT json_extract(vae_fit('h', 'h', o), '$.rows') FROM o;
SELECT typeof(vae_impute('h', 'a', NULL, 1e38)), vae_impute('h', 'b', 3.4e38, NULL) BETWEEN 1e38 AND 2e38,
       typeof(vae_score('h', 3.4e38, 1.5e38)), typeof(vae_score('h', -3.4e38, NULL));
SELECT min(value ->> 'a') >= -3.4e38, max(value ->> 'a') <= 3.4e38, min(value ->> 'b') >= 1e38
  FROM vae_sample('h', 300, 1);
SELECT vae_fill('h', 'h'), (SELECT count(*) FROM h WHERE b IS NULL OR b < 1e38 OR b > 2e38);
SELECT '-- a constant column, one row';
SELECT json_extract(vae_fit('const', 'SELECT a, 7 AS seven, 2.5 AS half FROM t', o), '$.columns') FROM o;
SELECT vae_impute('const', 'seven', 1, NULL, NULL), vae_impute('const', 'half', 1, NULL, NULL),
       (SELECT count(*) FROM vae_sample('const', 100) WHERE value ->> 'seven' <> 7 OR value ->> 'half' <> 2.5);
SELECT json_extract(vae_fit('one', 'SELECT 1.5 AS a, 2 AS b, ''x'' AS k', o), '$.rows', '$.rows_train', '$.rows_holdout') FROM o;
SELECT vae_impute('one', 'a', NULL, 2, 'x'), vae_impute('one', 'k', 1, 1, NULL), typeof(vae_score('one', 1.5, 2, 'x'));
SELECT vae_fit('x', 'SELECT 1 AS a WHERE 0');
SELECT '-- sources that would write, or hold several statements';
SELECT vae_fit('x', 'PRAGMA user_version = 5');
SELECT vae_fit('x', 'PRAGMA main.user_version=5');
SELECT vae_fit('x', 'ATTACH ''other.db'' AS other');
SELECT vae_fit('x', 'VACUUM');
SELECT vae_fit('x', 'CREATE TABLE z AS SELECT * FROM t');
SELECT vae_fit('x', 'UPDATE t SET a = 0 RETURNING a, b');
SELECT vae_fit('x', 'SELECT a, b FROM t; PRAGMA user_version = 5');
SELECT vae_fit('x', 'SELECT a FROM t; ATTACH ''other.db'' AS other');
SELECT json_extract(vae_fit('x', 'SELECT a FROM t /* ; */; -- one statement, then a comment
', o), '$.rows') FROM o;
SELECT vae_fidelity('m', 'ATTACH ''other.db'' AS other');
SELECT vae_fidelity('m', 'SELECT * FROM t; DELETE FROM t');
PRAGMA user_version;
SELECT count(*) FROM pragma_database_list WHERE name = 'other';
SELECT '-- the writers refuse to run inside a source';
SELECT vae_fit('x', 'SELECT a, vae_fit(''y'', ''t'') AS r FROM t');
SELECT vae_fit('x', 'SELECT a, vae_fill(''m'', ''t'') AS r FROM t');
SELECT vae_fidelity('m', 'SELECT a, b, c, k, vae_fit(''y'', ''t'') AS r FROM t');
SELECT vae_fidelity('m', 'SELECT a, b, c, k FROM t WHERE vae_fill(''m'', ''t'') >= 0');
SELECT vae_fit('x', 'SELECT a, b FROM t WHERE vae_impute(''m'', ''a'', a, b, c, k) > 0', o) IS NOT NULL FROM o;
SELECT count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM orig);
SELECT '-- names with quotes, spaces, SQL and NUL';
CREATE TABLE "t; DROP TABLE t; --" ("a b" REAL, "x""); DROP TABLE t; --" INTEGER, "'k'" TEXT, "é ü" REAL);
INSERT INTO "t; DROP TABLE t; --" SELECT a, c, k, b FROM t;
SELECT json_extract(vae_fit('m''); DROP TABLE t; --', 't; DROP TABLE t; --', o), '$.columns') FROM o;
SELECT typeof(vae_impute('m''); DROP TABLE t; --', 'a b', NULL, 1, 'x', 1.5)),
       typeof(vae_impute('m''); DROP TABLE t; --', 'x"); DROP TABLE t; --', json_object('a b', 3, '''k''', 'y'))),
       vae_impute('m''); DROP TABLE t; --', '''k''', 1, 1, NULL, NULL) IN ('x', 'y', 'z');
SELECT group_concat(key, '|') FROM json_each((SELECT value FROM vae_sample('m''); DROP TABLE t; --', 1)));
CREATE VIRTUAL TABLE "v ""q""" USING vae("m'); DROP TABLE t; --", source="t; DROP TABLE t; --");
SELECT count(*), sum("a b" IS NULL) FROM "v ""q""";
SELECT vae_fill('m''); DROP TABLE t; --', 't; DROP TABLE t; --');
SELECT vae_fill('m''); DROP TABLE t; --', 't; DROP TABLE t');
SELECT vae_fit('n' || char(0) || 'x', 't');
SELECT vae_fit('x', 't' || char(0) || 'x');
SELECT vae_fit('x', 'SELECT a FROM t' || char(0) || '; DROP TABLE t');
SELECT vae_fill('m', 't' || char(0) || 'x');
SELECT vae_fill('m' || char(0) || 'x', 't');
SELECT vae_impute('m' || char(0) || 'x', 'a', NULL, 1, 1, 'x');
SELECT vae_impute('m', 'a' || char(0) || 'x', NULL, 1, 1, 'x');
SELECT vae_score('m' || char(0) || 'x', NULL, 1, 1, 'x');
SELECT count(*) FROM vae_sample('m' || char(0) || 'x', 2);
SELECT vae_fidelity('m' || char(0) || 'x', 't');
SELECT vae_fidelity('m', 't' || char(0) || 'x');
SELECT vae_fit('x', 't', '{"columns": ["a\u0000x"]}');
SELECT vae_fit('x', 't', '{"types": {"k\u0000x": "categorical"}}');
SELECT vae_fidelity('m', 't', '{"rows\u0000x": 5}');
SELECT vae_impute('nosuch"; --', 'a', 1);
SELECT vae_fit('x', 't'' OR 1 = 1; --');
SELECT vae_fit('x', '"t"; DROP TABLE t');
SELECT count(*) FROM t;
SELECT '-- options of the wrong type or out of range';
SELECT vae_fit('x', 't', '{"latent": 0}');
SELECT vae_fit('x', 't', '{"latent": 4097}');
SELECT vae_fit('x', 't', '{"hidden": []}');
SELECT vae_fit('x', 't', '{"hidden": [0]}');
SELECT vae_fit('x', 't', '{"hidden": [8, 8, 8, 8, 8, 8, 8, 8, 8]}');
SELECT vae_fit('x', 't', '{"hidden": [65536, 65536, 65536]}');
SELECT vae_fit('x', 't', '{"batch": 1048576, "samples": 10000}');
SELECT vae_fit('x', 't', '{"hidden": 65537}');
SELECT vae_fit('x', 't', '{"epochs": -5}');
SELECT vae_fit('x', 't', '{"epochs": 1e999}');
SELECT vae_fit('x', 't', '{"epochs": "10"}');
SELECT vae_fit('x', 't', '{"epochs": null}');
SELECT vae_fit('x', 't', '{"lr": 0}');
SELECT vae_fit('x', 't', '{"lr": 1.5}');
SELECT vae_fit('x', 't', '{"beta": -1}');
SELECT vae_fit('x', 't', '{"holdout": 0.95}');
SELECT vae_fit('x', 't', '{"mask_rate": 1}');
SELECT vae_fit('x', 't', '{"seed": -1}');
SELECT vae_fit('x', 't', '{"seed": 1e20}');
SELECT vae_fit('x', 't', '{"max_rows": -3}');
SELECT vae_fit('x', 't', '{"samples": 0}');
SELECT vae_fit('x', 't', '{"impute_samples": 0}');
SELECT vae_fit('x', 't', '{"patience": 0}');
SELECT vae_fit('x', 't', '{"verbose": "yes"}');
SELECT vae_fit('x', 't', '{"columns": "a"}');
SELECT vae_fit('x', 't', '{"columns": []}');
SELECT vae_fit('x', 't', '{"types": ["a"]}');
SELECT vae_fit('x', 't', '{"types": {"a": 1}}');
SELECT vae_fit('x', 't', '{"epochs": 1, "epochs": 2}');
SELECT vae_fit('x', 't', '{"epochs": 1,}');
SELECT vae_fit('x', 't', 42);
SELECT vae_fit(42, 't');
SELECT vae_fit('x', 42);
SELECT vae_fit('x', x'74');
SELECT '-- nothing was written';
SELECT count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM orig);
SELECT count(*) FROM (SELECT * FROM before EXCEPT SELECT * FROM vae_models);
SELECT group_concat(name, ', ') FROM (SELECT name FROM vae_models ORDER BY name);
