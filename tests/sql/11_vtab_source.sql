-- CREATE VIRTUAL TABLE f USING vae(m, source=t): the rows of t, same
-- rowids, NULLs filled; hidden draw; rowid lookups.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
CREATE VIRTUAL TABLE f USING vae(m, source=t);
SELECT group_concat(name || ' ' || type || ' ' || hidden, ', ') FROM pragma_table_xinfo('f');
SELECT count(*), sum(a IS NULL), sum(b IS NULL), sum(c IS NULL), sum(k IS NULL) FROM f;
SELECT count(*) FROM f JOIN t ON t.id = f.rowid;
SELECT (SELECT group_concat(rowid) FROM f) = (SELECT group_concat(rowid) FROM t);
SELECT '-- observed cells unchanged, filled ones as vae_impute gives them (to float precision)';
SELECT count(*) FROM f JOIN t ON f.rowid = t.id
 WHERE (t.a IS NOT NULL AND f.a IS NOT t.a) OR (t.b IS NOT NULL AND f.b IS NOT t.b)
    OR (t.c IS NOT NULL AND f.c IS NOT t.c) OR (t.k IS NOT NULL AND f.k IS NOT t.k);
SELECT count(*) FROM f JOIN t ON f.rowid = t.id
 WHERE abs(f.a - vae_impute('m', 'a', t.a, t.b, t.c, t.k)) > 1e-4 * (1 + abs(f.a))
    OR f.c IS NOT vae_impute('m', 'c', t.a, t.b, t.c, t.k) OR f.k IS NOT vae_impute('m', 'k', t.a, t.b, t.c, t.k);
SELECT DISTINCT typeof(a), typeof(c), typeof(k) FROM f;
SELECT '-- draws';
SELECT count(*), sum(a IS NULL), min(draw), max(draw) FROM f WHERE draw = 1;
SELECT (SELECT group_concat(a, '|') FROM f WHERE draw = 1) = (SELECT group_concat(a, '|') FROM f WHERE draw = 1);
SELECT (SELECT group_concat(a, '|') FROM f WHERE draw = 1) = (SELECT group_concat(a, '|') FROM f WHERE draw = 2);
SELECT (SELECT group_concat(a, '|') FROM f WHERE draw = 0) = (SELECT group_concat(a, '|') FROM f);
SELECT count(*) FROM f WHERE draw = 1 AND rowid IN (SELECT id FROM t WHERE a IS NOT NULL)
   AND a IS NOT (SELECT a FROM t WHERE id = f.rowid);
SELECT draw, count(*) FROM f WHERE draw IN (1, 2, 3) GROUP BY draw;
SELECT '-- one row by rowid, the same as in a full scan';
SELECT rowid, b, c, k FROM f WHERE rowid = 8;
SELECT (SELECT a FROM f WHERE rowid = 8 AND draw = 3) = (SELECT a FROM f WHERE draw = 3 AND rowid BETWEEN 1 AND 60 AND rowid = 8);
SELECT (SELECT a FROM f WHERE rowid = 8 AND draw = 3) = (SELECT a FROM (SELECT rowid, a FROM f WHERE draw = 3) WHERE rowid = 8);
SELECT count(*) FROM f WHERE rowid = 1000;
SELECT count(*) FROM f WHERE rowid = 'x';
SELECT '-- the table follows its source';
INSERT INTO t(id, a, b, c, k) VALUES (100, NULL, NULL, NULL, NULL);
SELECT count(*), sum(a IS NULL) FROM f;
SELECT typeof(a), typeof(b), typeof(c), typeof(k) FROM f WHERE rowid = 100;
UPDATE t SET k = 'unknown' WHERE id = 100;
SELECT count(*) FROM f;
DELETE FROM t WHERE id = 100;
SELECT '-- errors';
SELECT count(*) FROM f WHERE draw = -1;
SELECT count(*) FROM f WHERE draw = 'x';
CREATE VIRTUAL TABLE f2 USING vae(m, source=nosuch);
CREATE VIRTUAL TABLE f3 USING vae(m, source=u);
CREATE TABLE u (a REAL, b REAL);
CREATE VIRTUAL TABLE f3 USING vae(m, source=u);
SELECT * FROM f3;
CREATE TABLE bad (a REAL, b REAL, c INTEGER, k TEXT);
INSERT INTO bad VALUES (1, 'oops', 1, 'x');
CREATE VIRTUAL TABLE f4 USING vae(m, source=bad);
SELECT * FROM f4;
DROP TABLE u;
SELECT * FROM f3;
