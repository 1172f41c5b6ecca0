-- Under PRAGMA trusted_schema = OFF (a schema from an untrusted file) the
-- functions and tables that only read (SQLITE_INNOCUOUS: vae_impute,
-- vae_score, vae_sample, the vae module) work in views, triggers and
-- generated columns; the ones that write or run SQL text (SQLITE_DIRECTONLY:
-- vae_fit, vae_fill, vae_fidelity) are refused there, and work when called
-- directly.
.open trust.db
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE VIRTUAL TABLE s USING vae(m);
CREATE VIRTUAL TABLE f USING vae(m, source=t);
CREATE VIEW v_impute AS SELECT id, vae_impute('m', 'a', a, b, c, k) AS a_filled FROM t;
CREATE VIEW v_score AS SELECT id, vae_score('m', a, b, c, k) AS score FROM t;
CREATE VIEW v_sample AS SELECT value FROM vae_sample('m', 5, 1);
CREATE VIEW v_gen AS SELECT * FROM s WHERE k = 'x' LIMIT 5;
CREATE VIEW v_full AS SELECT * FROM f;
CREATE TABLE g (a REAL, b REAL, c INTEGER, k TEXT);
CREATE VIEW v_g AS SELECT vae_impute('m', 'a', a, b, c, k) AS a_filled FROM g;
CREATE TABLE log (x);
CREATE TRIGGER tr_impute AFTER INSERT ON log WHEN new.x = 'impute' BEGIN
  INSERT INTO g(a, b, c, k) VALUES (NULL, 1.5, 1, 'y');
  UPDATE g SET a = vae_impute('m', 'a', a, b, c, k) WHERE a IS NULL;
END;
CREATE TRIGGER tr_sample AFTER INSERT ON log WHEN new.x = 'sample' BEGIN
  INSERT INTO log SELECT 'row' FROM vae_sample('m', 3);
  INSERT INTO log SELECT 'gen' FROM (SELECT * FROM s LIMIT 2);
END;
CREATE VIEW v_fit AS SELECT vae_fit('m2', 't') AS r;
CREATE VIEW v_fill AS SELECT vae_fill('m', 't') AS r;
CREATE VIEW v_fidelity AS SELECT vae_fidelity('m', 't') AS r;
CREATE TABLE log_fit (x);
CREATE TABLE log_fill (x);
CREATE TABLE log_fidelity (x);
CREATE TRIGGER tr_fit AFTER INSERT ON log_fit BEGIN SELECT vae_fit('m3', 't'); END;
CREATE TRIGGER tr_fill AFTER INSERT ON log_fill BEGIN SELECT vae_fill('m', 't'); END;
CREATE TRIGGER tr_fidelity AFTER INSERT ON log_fidelity BEGIN SELECT vae_fidelity('m', 't'); END;
.open trust.db
.load ./vae
PRAGMA trusted_schema = OFF;
PRAGMA trusted_schema;
SELECT '-- innocuous: allowed in views and triggers';
SELECT count(*), sum(a_filled IS NULL) FROM v_impute;
SELECT count(*), typeof(min(score)) FROM v_score;
SELECT count(*) FROM v_sample;
SELECT count(*), sum(k = 'x') FROM v_gen;
SELECT count(*), sum(a IS NULL) FROM v_full;
INSERT INTO g(a, b, c, k) VALUES (NULL, 1.5, 1, 'y'), (2.5, 1.5, 1, 'y');
SELECT typeof(a_filled), a_filled = 2.5 FROM v_g;
INSERT INTO log VALUES ('impute');
SELECT count(*) FROM g WHERE a IS NULL;
INSERT INTO log VALUES ('sample');
SELECT x, count(*) FROM log GROUP BY x ORDER BY x;
SELECT '-- direct-only: refused in views and triggers';
SELECT * FROM v_fit;
SELECT * FROM v_fill;
SELECT * FROM v_fidelity;
INSERT INTO log_fit VALUES (1);
INSERT INTO log_fill VALUES (1);
INSERT INTO log_fidelity VALUES (1);
SELECT '-- nothing was written by them';
SELECT group_concat(name, ', ') FROM vae_models;
SELECT count(*) FROM t WHERE a IS NULL;
SELECT (SELECT count(*) FROM log_fit) + (SELECT count(*) FROM log_fill) + (SELECT count(*) FROM log_fidelity);
SELECT '-- and called directly they work';
SELECT vae_fit('m2', 't', '{"epochs": 1, "hidden": [4], "latent": 1, "samples": 1}') IS NOT NULL;
SELECT json_extract(vae_fidelity('m', 't'), '$.rows_real');
SELECT vae_fill('m', 't');
