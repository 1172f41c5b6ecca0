-- vae_fill and the source= table address rows through the real rowid,
-- whatever the columns are named: ordinary columns called rowid, oid or
-- _rowid_ keep their values, the fill reaches the right rows, and the
-- source= table reports the real rowids. A WITHOUT ROWID table is addressed
-- by its primary key; a table whose rowid cannot be named is an error.
.load ./vae
CREATE TABLE t (a REAL, b REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO t SELECT i * 0.5, (i % 5) * 1.5 + i * 0.1 FROM s;
SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}') IS NOT NULL;
CREATE TEMP TABLE want AS SELECT 1 AS n, vae_impute('m', 'a', NULL, 2.0) AS a, vae_impute('m', 'b', 1.0, NULL) AS b;
SELECT '-- a column named rowid (its values are not the rowids)';
CREATE TABLE r1 (rowid INTEGER, a REAL, b REAL);
INSERT INTO r1 VALUES (300, 1, NULL), (100, NULL, 2), (200, 3, 3);
CREATE VIRTUAL TABLE f1 USING vae(m, source=r1);
SELECT _rowid_, rowid, a IS NOT NULL, b IS NOT NULL FROM f1;
SELECT _rowid_, rowid FROM f1 WHERE _rowid_ = 2;
SELECT vae_fill('m', 'r1');
SELECT oid, rowid, a = (SELECT a FROM want) OR oid <> 2, b = (SELECT b FROM want) OR oid <> 1 FROM r1;
SELECT count(*) FROM r1 WHERE a IS NULL OR b IS NULL;
SELECT '-- columns named rowid and oid: _rowid_ is the rowid';
CREATE TABLE r2 (oid TEXT, rowid TEXT, a REAL, b REAL);
INSERT INTO r2 VALUES ('o1', 'r1', NULL, 2), ('o2', 'r2', 1, NULL);
CREATE VIRTUAL TABLE f2 USING vae(m, source=r2);
SELECT _rowid_, oid, rowid FROM f2;
SELECT vae_fill('m', 'r2');
SELECT _rowid_, oid, rowid, typeof(a), typeof(b) FROM r2;
SELECT '-- all three taken: the INTEGER PRIMARY KEY is the rowid';
CREATE TABLE r3 (rowid TEXT, oid TEXT, _rowid_ TEXT, id INTEGER PRIMARY KEY, a REAL, b REAL);
INSERT INTO r3 VALUES ('x', 'y', 'z', 7, NULL, 2), ('p', 'q', 'r', 9, 1, NULL);
SELECT vae_fill('m', 'r3');
SELECT rowid, oid, _rowid_, id, a IS NOT NULL, b IS NOT NULL FROM r3;
CREATE VIRTUAL TABLE f3 USING vae(m, source=r3);
SELECT id, rowid FROM f3 WHERE id = 9;
SELECT '-- all three taken and no INTEGER PRIMARY KEY: a clear error';
CREATE TABLE r4 (rowid TEXT, oid TEXT, _rowid_ TEXT, a REAL, b REAL);
INSERT INTO r4 VALUES ('x', 'y', 'z', NULL, 2);
SELECT vae_fill('m', 'r4');
CREATE VIRTUAL TABLE f4 USING vae(m, source=r4);
SELECT * FROM f4;
SELECT count(*) FROM r4 WHERE a IS NULL;
SELECT '-- WITHOUT ROWID: by the primary key (two columns, one named rowid)';
CREATE TABLE w (rowid TEXT, j INTEGER, a REAL, b REAL, PRIMARY KEY (rowid, j)) WITHOUT ROWID;
INSERT INTO w VALUES ('x', 2, NULL, 2), ('x', 1, 1, NULL), ('a', 5, 1, 1), ('b', 1, NULL, NULL);
SELECT vae_fill('m', 'w');
SELECT rowid, j, a = (SELECT a FROM want) OR rowid || j <> 'x2', b = (SELECT b FROM want) OR rowid || j <> 'x1',
       typeof(a), typeof(b) FROM w;
SELECT vae_fill('m', 'w');
CREATE TABLE w3 (k TEXT PRIMARY KEY, a REAL, b REAL) WITHOUT ROWID;
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 599)
INSERT INTO w3 SELECT printf('k%04d', i), CASE WHEN i % 2 THEN NULL ELSE i END, 1 FROM s;
SELECT vae_fill('m', 'w3');
SELECT count(*) FROM w3 WHERE a IS NULL;
SELECT '-- source= of a WITHOUT ROWID table: row numbers in key order';
CREATE VIRTUAL TABLE fw USING vae(m, source=w);
SELECT _rowid_, rowid, j FROM fw;
SELECT _rowid_, rowid, j FROM fw WHERE _rowid_ = 3;
SELECT count(*) FROM fw WHERE _rowid_ = 0;
SELECT count(*) FROM fw WHERE _rowid_ = 2.5;
SELECT '-- counts are what changed: a trigger that ignores a row';
CREATE TABLE g (id INTEGER PRIMARY KEY, a REAL, b REAL);
INSERT INTO g VALUES (1, NULL, 2), (2, NULL, NULL), (3, 1, NULL);
CREATE TRIGGER keep2 BEFORE UPDATE ON g WHEN old.id = 2 BEGIN SELECT RAISE(IGNORE); END;
SELECT vae_fill('m', 'g');
SELECT id, a IS NULL, b IS NULL FROM g;
