-- Ranges, !=, IN, LIKE and IS NULL on the generating vae table are applied
-- by rejection inside the table: every row returned holds them, IN lists
-- give every listed value, and a condition that (almost) never holds ends
-- with an error instead of an endless scan.
.load ./vae
CREATE TABLE t (a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 499)
INSERT INTO t SELECT i * 0.01, (i % 7) * 1.5, i % 3, substr('xyz', (i % 3) + 1, 1) FROM n;
SELECT typeof(vae_fit('m', 't', '{"epochs": 30, "seed": 1, "hidden": [16], "samples": 4}'));
CREATE VIRTUAL TABLE s USING vae(m);
SELECT 'range', count(*), min(a) > 3 FROM (SELECT * FROM s WHERE a > 3 LIMIT 50);
SELECT 'range both', count(*), min(a) >= 1 AND max(a) <= 2 FROM (SELECT * FROM s WHERE a >= 1 AND a <= 2 LIMIT 30);
SELECT 'in', k, count(*) > 10 FROM (SELECT * FROM s WHERE k IN ('x', 'z') LIMIT 100) GROUP BY k;
SELECT 'like', count(*), sum(k = 'y') FROM (SELECT * FROM s WHERE k LIKE 'Y' LIMIT 20);
SELECT 'ne and eq', count(*), sum(k != 'x' AND c = 2) FROM (SELECT * FROM s WHERE k != 'x' AND c = 2 LIMIT 20);
SELECT 'is null', count(*) FROM (SELECT * FROM s WHERE a IS NULL LIMIT 20);
SELECT 'reproducible', (SELECT group_concat(a) FROM (SELECT a FROM s WHERE a < 1 AND seed = 3 LIMIT 5))
                     = (SELECT group_concat(a) FROM (SELECT a FROM s WHERE a < 1 AND seed = 3 LIMIT 5));
SELECT 'never', count(*) FROM (SELECT * FROM s WHERE a > 1000 LIMIT 5);
