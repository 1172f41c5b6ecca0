-- vae_fill(model, table): every NULL of the model's columns filled in
-- place, all or nothing; returns the number of cells filled.
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
SELECT sum(a IS NULL) + sum(b IS NULL) + sum(c IS NULL) + sum(k IS NULL) FROM t;
SELECT '-- all or nothing: a trigger failing on one row undoes every update';
CREATE TRIGGER no_row_50 BEFORE UPDATE ON t WHEN new.id = 50 BEGIN SELECT RAISE(ABORT, 'row 50 is frozen'); END;
SELECT vae_fill('m', 't');
SELECT count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM orig);
DROP TRIGGER no_row_50;
SELECT '-- a bad value in a later row: nothing written either';
INSERT INTO t(id, a, b, c, k) VALUES (61, NULL, 1, 1, 'unseen');
SELECT vae_fill('m', 't');
SELECT count(*) FROM (SELECT * FROM t WHERE id <> 61 EXCEPT SELECT * FROM orig);
DELETE FROM t WHERE id = 61;
SELECT '-- fill';
CREATE VIRTUAL TABLE f USING vae(m, source=t);
CREATE TEMP TABLE expect AS SELECT rowid AS id, * FROM f;
SELECT vae_fill('m', 't');
SELECT sum(a IS NULL) + sum(b IS NULL) + sum(c IS NULL) + sum(k IS NULL) FROM t;
SELECT count(*) FROM t JOIN orig USING (id) WHERE (orig.a IS NOT NULL AND t.a IS NOT orig.a)
   OR (orig.b IS NOT NULL AND t.b IS NOT orig.b) OR (orig.c IS NOT NULL AND t.c IS NOT orig.c)
   OR (orig.k IS NOT NULL AND t.k IS NOT orig.k);
SELECT count(*) FROM t JOIN expect USING (id) WHERE abs(t.a - expect.a) > 1e-4 * (1 + abs(t.a))
   OR abs(t.b - expect.b) > 1e-4 * (1 + abs(t.b)) OR t.c IS NOT expect.c OR t.k IS NOT expect.k;
SELECT DISTINCT typeof(a), typeof(b), typeof(c), typeof(k) FROM t;
SELECT vae_fill('m', 't');
SELECT '-- only the model columns; other columns and rows untouched';
CREATE TABLE w (id INTEGER PRIMARY KEY, note TEXT, a REAL, b REAL, c INTEGER, k TEXT);
INSERT INTO w VALUES (1, NULL, NULL, 1.5, 1, 'x'), (2, 'n', 1, NULL, NULL, NULL), (3, NULL, 1, 1, 1, 'y');
SELECT vae_fill('m', 'w');
SELECT id, note IS NULL, typeof(a), typeof(b), typeof(c), typeof(k) FROM w;
SELECT '-- many rows (several batches)';
CREATE TABLE big (a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 999)
INSERT INTO big SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE i % 30 END, i % 5, NULL, 'y' FROM s;
SELECT vae_fill('m', 'big');
SELECT count(*) FROM big WHERE a IS NULL OR c IS NULL;
SELECT '-- errors';
SELECT vae_fill('m');
SELECT vae_fill('m', 't', 1);
SELECT vae_fill('nosuch', 't');
SELECT vae_fill('m', 'nosuch');
SELECT vae_fill(NULL, 't');
SELECT vae_fill('m', NULL);
CREATE VIEW v AS SELECT * FROM t;
SELECT vae_fill('m', 'v');
CREATE TABLE nr (a REAL, b REAL, c INTEGER, k TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO nr VALUES (NULL, 1, 1, 'x');
SELECT vae_fill('m', 'nr');
CREATE TABLE missing_col (a REAL, b REAL);
SELECT vae_fill('m', 'missing_col');
CREATE TABLE log (n);
INSERT INTO log SELECT vae_fill('m', 'w');
