-- vae_models altered by hand: the model column filled with junk bytes,
-- text or a number, one byte flipped, the table dropped under a vae table,
-- a column dropped, a view or a table without a key in its place. Every
-- use is an error naming the function (never a crash), and a fit repairs.
-- A connection caches a loaded model under its fit_id (a fresh random
-- number per fit): a blob edited by hand is seen once fit_id changes, or by
-- a connection that has not loaded the model yet.
.open tampered.db
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE VIEW o AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}' AS o;
SELECT vae_fit('m', 't', o) IS NOT NULL FROM o;
CREATE VIRTUAL TABLE s USING vae(m);
CREATE VIRTUAL TABLE f USING vae(m, source=t);
CREATE TABLE good AS SELECT model FROM vae_models;
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x'));
SELECT '-- junk in the model column, fit_id kept: the cached model serves on';
UPDATE vae_models SET model = 'hello, world';
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x'));
SELECT '-- ... and a new connection refuses it';
.open tampered.db
.load ./vae
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
SELECT '-- junk in the model column, fit_id changed';
UPDATE vae_models SET model = randomblob(500), fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
UPDATE vae_models SET model = CAST('VAEM' AS BLOB) || x'01000000' || randomblob(500), fit_id = fit_id + 1;
SELECT vae_score('m', 1, 1, 1, 'x');
UPDATE vae_models SET model = CAST('VAEM' AS BLOB) || x'FF000000' || randomblob(500), fit_id = fit_id + 1;
SELECT vae_score('m', 1, 1, 1, 'x');
UPDATE vae_models SET model = 12345, fit_id = fit_id + 1;
SELECT * FROM vae_sample('m', 1);
UPDATE vae_models SET model = (SELECT substr(model, 1, 60) || x'ff' || substr(model, 62) FROM good),
  fit_id = fit_id + 1;
SELECT * FROM s LIMIT 1;
SELECT * FROM f LIMIT 1;
SELECT vae_fill('m', 't');
SELECT vae_fit('m', 't', '{"warm_start": true}');
SELECT vae_fidelity('m', 't');
UPDATE vae_models SET model = (SELECT substr(model, 1, length(model) - 1) FROM good), fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
UPDATE vae_models SET model = (SELECT model || x'00' FROM good), fit_id = fit_id + 1;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
UPDATE vae_models SET model = (SELECT model FROM good), fit_id = fit_id + 1;
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x'));
SELECT '-- fit_id as text or NULL: still read';
UPDATE vae_models SET fit_id = 'abc';
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x'));
UPDATE vae_models SET fit_id = NULL;
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x'));
SELECT '-- a fit over junk repairs';
UPDATE vae_models SET model = x'00', fit_id = fit_id + 1;
SELECT vae_fit('m', 't', o) IS NOT NULL FROM o;
SELECT typeof(vae_impute('m', 'a', NULL, 1, 1, 'x')), (SELECT count(*) FROM (SELECT * FROM s LIMIT 3));
SELECT '-- vae_models dropped under the vae tables';
DROP TABLE vae_models;
SELECT * FROM s LIMIT 1;
SELECT * FROM f LIMIT 1;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
SELECT vae_fit('m', 't', '{"warm_start": true}');
SELECT vae_fit('m', 't', o) IS NOT NULL FROM o;
SELECT count(*) FROM (SELECT * FROM s LIMIT 3);
SELECT '-- a column dropped';
ALTER TABLE vae_models DROP COLUMN fit_id;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
SELECT * FROM s LIMIT 1;
SELECT vae_fit('m', 't', o) FROM o;
ALTER TABLE vae_models ADD COLUMN fit_id INTEGER;
ALTER TABLE vae_models DROP COLUMN model;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
SELECT vae_fit('m', 't', o) FROM o;
SELECT '-- a view, or a table without a key, named vae_models';
DROP TABLE vae_models;
CREATE VIEW vae_models AS SELECT 'm' AS name, x'00' AS model, 1 AS fit_id, NULL AS report;
SELECT vae_impute('m', 'a', NULL, 1, 1, 'x');
SELECT vae_fit('m', 't', o) FROM o;
DROP VIEW vae_models;
CREATE TABLE vae_models (name, source, columns, options, report, model, fit_id, created);
SELECT vae_fit('m', 't', o) FROM o;
SELECT count(*) FROM vae_models;
SELECT '-- the user tables are untouched';
SELECT count(*), sum(a IS NULL) FROM t;
