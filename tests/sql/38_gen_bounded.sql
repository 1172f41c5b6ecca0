-- A scan of the generating table ends: conditions SQLite applies itself
-- (on rowid, seed, or expressions the table never sees) are counted too.
-- rowid and seed comparisons bound the scan exactly. (Scans that end by
-- the 1,000,000-row bound are in 44_gen_unbounded.py, out of the valgrind
-- run, where each would take a minute.)
.load ./vae
CREATE TABLE t (a REAL, b REAL, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO t SELECT i * 0.5, (i % 5) * 1.5, substr('xyz', i % 3 + 1, 1) FROM s;
SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}') IS NOT NULL;
CREATE VIRTUAL TABLE s USING vae(m);
SELECT '-- rowid';
SELECT count(*) FROM s WHERE rowid = 0;
SELECT count(*) FROM s WHERE rowid = -3;
SELECT count(*) FROM s WHERE rowid = 2.5;
SELECT count(*) FROM s WHERE rowid IS NULL;
SELECT count(*) FROM s WHERE rowid > 'x';
SELECT rowid FROM s WHERE rowid = 5;
SELECT group_concat(rowid) FROM s WHERE rowid BETWEEN 3 AND 6;
SELECT group_concat(rowid) FROM s WHERE rowid > 2.5 AND rowid <= 4.5;
SELECT group_concat(rowid) FROM s WHERE rowid < 4;
SELECT group_concat(rowid) FROM s WHERE rowid < '3';
SELECT group_concat(rowid) FROM (SELECT rowid FROM s WHERE rowid < 'x' LIMIT 3);
SELECT (SELECT group_concat(a) FROM s WHERE rowid BETWEEN 3 AND 5)
     = (SELECT group_concat(a) FROM (SELECT a FROM s LIMIT 3 OFFSET 2));
SELECT '-- seed';
SELECT count(*) FROM s WHERE seed > 0;
SELECT count(*) FROM s WHERE seed < 0;
SELECT count(*) FROM s WHERE seed = 3 AND seed > 3;
SELECT count(*) FROM s WHERE seed <> 0;
SELECT count(*) FROM s WHERE seed IS NULL;
SELECT count(*) FROM (SELECT * FROM s WHERE seed >= 0 LIMIT 7);
SELECT count(*) FROM (SELECT * FROM s WHERE seed = 3 AND seed > '2' LIMIT 4);
SELECT '-- conditions the table cannot see, under a LIMIT it sees nothing of';
SELECT count(*) FROM (SELECT * FROM s WHERE abs(a) >= 0 LIMIT 10);
SELECT json_extract(vae_fit('m2', 'SELECT * FROM s LIMIT 500', '{"epochs": 1}'), '$.rows');
