-- A scan of the generating table ends: conditions SQLite applies itself
-- (on rowid, seed, or expressions the table never sees) are counted too.
-- rowid and seed comparisons bound the scan exactly; without a LIMIT the
-- table can see, a scan stops with an error after 1,000,000 generated
-- rows. A fit whose source generates without end ends with that error.
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
SELECT '-- what the table cannot see';
SELECT count(*) FROM s WHERE abs(a) < 0;
SELECT count(*) FROM (SELECT * FROM s WHERE abs(a) >= 0 LIMIT 10);
SELECT count(*) FROM (SELECT * FROM s WHERE a + 0 = a LIMIT 100000);
SELECT count(*) FROM s;
SELECT '-- a source that generates without end';
CREATE VIEW gv AS SELECT a, b, k FROM s;
SELECT vae_fit('m2', 'gv', '{"epochs": 1}');
SELECT vae_fit('m2', 'gv', '{"epochs": 1, "max_rows": 100}');
SELECT vae_fidelity('m', 'gv');
SELECT json_extract(vae_fit('m2', 'SELECT * FROM gv LIMIT 500', '{"epochs": 1}'), '$.rows');
CREATE VIRTUAL TABLE fg USING vae(m, source=gv);
SELECT count(*) FROM fg;
SELECT group_concat(name) FROM vae_models;
