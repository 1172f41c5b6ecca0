-- A categorical column of more than 128 levels (k, 150 levels that follow
-- a, in 300 rows), which core/wide.c decodes through 16 linear units of its own and
-- encodes as the weight row of its level, through every entry point: the
-- fit (the same bits on 1 and 2 threads; the current blob format), vae_impute,
-- vae_fill (every hole of k filled, no seen value changed), vae_sample,
-- the vae table with and without WHERE on k, the source= table, vae_score.
-- Small (300 rows, 2 epochs, one member) as it also runs under valgrind.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, k TEXT);
WITH RECURSIVE s(r) AS (SELECT 0 UNION ALL SELECT r + 1 FROM s WHERE r < 299)
INSERT INTO t SELECT r, (r % 150) * 0.1 + (r % 7) * 0.01,
  CASE WHEN r % 11 = 0 THEN NULL ELSE (r % 150) * 0.2 - (r % 5) * 0.03 END,
  CASE WHEN r % 13 = 0 THEN NULL ELSE 'k' || (r % 150) END FROM s;
SELECT count(DISTINCT k), count(*) - count(k) FROM t;
SELECT json_extract(vae_fit('m1', 'SELECT a, b, k FROM t', '{"epochs": 2, "members": 1, "seed": 1, "threads": 1, "types": {"k": "categorical"}}'), '$.epochs');
SELECT json_extract(vae_fit('m', 'SELECT a, b, k FROM t', '{"epochs": 2, "members": 1, "seed": 1, "threads": 2, "types": {"k": "categorical"}}'), '$.epochs');
SELECT (SELECT model FROM vae_models WHERE name = 'm1') = model, hex(substr(model, 5, 4))
  FROM vae_models WHERE name = 'm';
SELECT vae_impute('m', 'k', 3.0, 6.0, NULL) GLOB 'k[0-9]*';
CREATE TABLE f AS SELECT a, b, k FROM t;
SELECT vae_fill('m', 'f');
SELECT count(*) - count(f.k), sum(f.k IS NOT t.k AND t.k IS NOT NULL),
       sum(f.k IN (SELECT k FROM t WHERE k IS NOT NULL))
  FROM f JOIN t ON f.rowid = t.id + 1;
SELECT count(*), count(DISTINCT value) FROM vae_sample('m', 50, 1);
SELECT count(*) FROM vae_sample('m', 50, 1)
  WHERE json_extract(value, '$.k') IN (SELECT k FROM t);
CREATE VIRTUAL TABLE g USING vae(m);
SELECT count(*), sum(k IN (SELECT k FROM t)) FROM (SELECT * FROM g LIMIT 40);
SELECT count(*), sum(k = 'k7'), sum(typeof(a) = 'real') FROM (SELECT * FROM g WHERE k = 'k7' LIMIT 20);
CREATE VIRTUAL TABLE s USING vae(m, source=t);
SELECT count(*), count(k) FROM s;
SELECT typeof(vae_score('m', 3.0, 6.0, 'k30')), vae_score('m', 3.0, 6.0, 'k30') = vae_score('m', 3.0, 6.0, 'k30');
