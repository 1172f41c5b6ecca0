-- CREATE VIRTUAL TABLE s USING vae(m): endless synthetic rows, typed
-- columns, equality conditions, a hidden seed.
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
SELECT count(*) FROM (SELECT * FROM s LIMIT 1000);
SELECT group_concat(name || ' ' || type || ' ' || hidden, ', ') FROM pragma_table_xinfo('s');
SELECT DISTINCT typeof(a), typeof(b), typeof(c), typeof(k) FROM (SELECT * FROM s LIMIT 300);
SELECT count(*) FROM (SELECT * FROM s LIMIT 300) WHERE k NOT IN ('x', 'y', 'z') OR c NOT IN (0, 1, 2);
SELECT '-- same rows as vae_sample with the same seed';
SELECT (SELECT group_concat(json_object('a', a, 'b', b, 'c', c, 'k', k), '|') FROM (SELECT * FROM s LIMIT 5)) =
       (SELECT group_concat(value, '|') FROM vae_sample('m', 5));
SELECT (SELECT group_concat(json_object('a', a, 'b', b, 'c', c, 'k', k), '|') FROM (SELECT * FROM s WHERE seed = 3 LIMIT 5)) =
       (SELECT group_concat(value, '|') FROM vae_sample('m', 5, 3));
SELECT (SELECT group_concat(a, '|') FROM (SELECT a FROM s WHERE seed = 3 LIMIT 5)) =
       (SELECT group_concat(a, '|') FROM (SELECT a FROM s WHERE seed = 4 LIMIT 5));
SELECT DISTINCT seed FROM (SELECT seed FROM s WHERE seed = 11 LIMIT 3);
SELECT rowid FROM s LIMIT 3;
SELECT '-- conditioned generation';
SELECT count(*), sum(k = 'z') FROM (SELECT * FROM s WHERE k = 'z' LIMIT 50);
SELECT count(*), sum(k = 'x' AND c = 2), count(DISTINCT a) > 1 FROM (SELECT * FROM s WHERE k = 'x' AND c = 2 LIMIT 50);
SELECT count(*), sum(a = 4.125), typeof(min(a)) FROM (SELECT * FROM s WHERE a = 4.125 LIMIT 50);
SELECT count(*), sum(c = 1) FROM (SELECT * FROM s WHERE c = '1' LIMIT 20);
SELECT DISTINCT typeof(c) FROM (SELECT * FROM s WHERE c = '1' LIMIT 20);
SELECT DISTINCT typeof(a), a FROM (SELECT * FROM s WHERE a = 4 LIMIT 20);
SELECT DISTINCT typeof(k), k FROM (SELECT * FROM s WHERE k = 'x' AND c = 1.5 LIMIT 20);
SELECT (SELECT group_concat(a || b || c, '|') FROM (SELECT * FROM s WHERE k = 'y' AND seed = 5 LIMIT 20)) =
       (SELECT group_concat(a || b || c, '|') FROM (SELECT * FROM s WHERE k = 'y' AND seed = 5 LIMIT 20));
SELECT '-- a level the column never holds is an error naming the known ones; NULL gives no rows';
SELECT count(*) FROM (SELECT * FROM s WHERE k = 'q' LIMIT 5);
SELECT count(*) FROM (SELECT * FROM s WHERE k = NULL LIMIT 5);
SELECT '-- correlated conditions';
CREATE TABLE want (k TEXT);
INSERT INTO want VALUES ('x'), ('z');
SELECT want.k, (SELECT count(*) FROM (SELECT * FROM s WHERE s.k = want.k LIMIT 3)) FROM want;
SELECT '-- errors';
SELECT * FROM s WHERE a = 'abc' LIMIT 1;
SELECT * FROM s WHERE seed = 'abc' LIMIT 1;
CREATE VIRTUAL TABLE s2 USING vae(nosuch);
CREATE VIRTUAL TABLE s2 USING vae();
CREATE VIRTUAL TABLE s2 USING vae(m, foo=bar);
CREATE VIRTUAL TABLE s2 USING vae(m, source=t, source=t);
CREATE VIRTUAL TABLE s2 USING vae(m, 'x', 'y', 'z');
INSERT INTO s VALUES (1, 2, 3, 'x');
