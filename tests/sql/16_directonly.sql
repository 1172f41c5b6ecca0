-- vae_fit and vae_fill write, vae_fidelity runs the SQL of its argument:
-- SQLITE_DIRECTONLY, refused in triggers and views; vae_impute and
-- vae_score are allowed there.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE TABLE log (x);
CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT vae_fit('m2', 't'); END;
INSERT INTO log VALUES (1);
DROP TRIGGER tr;
CREATE TRIGGER tr AFTER INSERT ON log BEGIN SELECT vae_fill('m', 't'); END;
INSERT INTO log VALUES (1);
DROP TRIGGER tr;
CREATE VIEW vf AS SELECT vae_fit('m3', 't') AS r;
SELECT * FROM vf;
CREATE VIEW vfid AS SELECT vae_fidelity('m', 'SELECT vae_fit(''m4'', ''t'')') AS r;
SELECT * FROM vfid;
SELECT '-- vae_impute is not DETERMINISTIC to SQLite (a refit changes its answers, which';
SELECT '-- would corrupt an index on it): no generated column, but views and triggers work';
CREATE TABLE g0 (a REAL, b REAL, c INTEGER, k TEXT,
                 a_filled REAL GENERATED ALWAYS AS (vae_impute('m', 'a', a, b, c, k)));
CREATE TABLE g (a REAL, b REAL, c INTEGER, k TEXT);
CREATE VIEW g_filled AS SELECT vae_impute('m', 'a', a, b, c, k) AS a_filled FROM g;
INSERT INTO g VALUES (NULL, 1.5, 1, 'y'), (2.5, 1.5, 1, 'y');
SELECT typeof(a_filled), a_filled = 2.5 FROM g_filled;
CREATE TRIGGER tr AFTER INSERT ON log BEGIN
  UPDATE g SET a = vae_impute('m', 'a', a, b, c, k) WHERE a IS NULL;
END;
INSERT INTO log VALUES (2);
SELECT count(*) FROM g WHERE a IS NULL;
SELECT name FROM vae_models;
