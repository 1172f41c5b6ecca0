-- Both forms of the vae table survive closing and reopening the database;
-- a refit model is used at once, a deleted one is an error, and a table
-- whose model has gone can still be dropped.
.open test.db
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE VIRTUAL TABLE s USING vae(m);
CREATE VIRTUAL TABLE f USING vae(m, source=t);
CREATE TEMP TABLE before AS SELECT * FROM (SELECT * FROM s LIMIT 5);
SELECT count(*) FROM f;
.open test.db
.load ./vae
SELECT count(*) FROM (SELECT * FROM s LIMIT 5);
SELECT count(*), sum(a IS NULL) FROM f;
SELECT typeof(a), typeof(c), typeof(k) FROM s LIMIT 1;
SELECT (SELECT group_concat(a || b || c || k, '|') FROM (SELECT * FROM s LIMIT 5)) =
       (SELECT group_concat(a || b || c || k, '|') FROM (SELECT * FROM s LIMIT 5));
SELECT '-- refit: new rows at once';
CREATE TEMP TABLE s1 AS SELECT group_concat(a, '|') AS g FROM (SELECT a FROM s LIMIT 5);
SELECT vae_fit('m', 't', '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 2}') IS NOT NULL;
SELECT (SELECT group_concat(a, '|') FROM (SELECT a FROM s LIMIT 5)) = g FROM s1;
SELECT '-- deleted model';
DELETE FROM vae_models WHERE name = 'm';
SELECT * FROM s LIMIT 1;
SELECT * FROM f LIMIT 1;
.open test.db
.load ./vae
SELECT * FROM s LIMIT 1;
SELECT a FROM s LIMIT 1;
SELECT * FROM f LIMIT 1;
DROP TABLE s;
SELECT '-- refit with other columns';
SELECT vae_fit('m', 'SELECT a, b FROM t', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8}') IS NOT NULL;
SELECT * FROM f LIMIT 1;
.open test.db
.load ./vae
SELECT count(*), sum(a IS NULL), typeof(a), typeof(b) FROM f;
DROP TABLE f;
SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name;
.open test.db
SELECT '-- without the extension';
SELECT count(*) FROM vae_models;
