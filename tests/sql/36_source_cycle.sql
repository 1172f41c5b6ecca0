-- A chain of `vae(m, source=...)` tables that reaches itself is an error
-- naming the chain, in every entry point (a scan, vae_fit, vae_fill,
-- vae_fidelity), also from a file prepared by someone else and read with
-- trusted_schema = OFF and defensive mode; never a stack overflow. A chain
-- visible at CREATE is refused there.
.open cycle.db
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO t(a, b) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END, (i % 5) * 1.5 FROM s;
SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}') IS NOT NULL;
CREATE VIRTUAL TABLE f1 USING vae(m, source=t);
CREATE VIRTUAL TABLE f2 USING vae(m, source=f1);
CREATE VIRTUAL TABLE f3 USING vae(m, source=f2);
SELECT '-- a chain that does not loop reads through';
SELECT count(*), sum(a IS NULL) FROM f3;
SELECT (SELECT group_concat(a) FROM f3) = (SELECT group_concat(a) FROM f1);
SELECT '-- refused at CREATE when the chain is visible';
CREATE VIRTUAL TABLE self USING vae(m, source=self);
DROP TABLE f1;
CREATE VIRTUAL TABLE f1 USING vae(m, source=f3);
CREATE VIRTUAL TABLE F1 USING vae(m, source="main"."F2");
SELECT count(*) FROM sqlite_schema WHERE name = 'f1';
SELECT '-- through a view it is found when read';
CREATE VIEW v AS SELECT * FROM f2;
CREATE VIRTUAL TABLE f1 USING vae(m, source=v);
SELECT count(*) FROM f3;
SELECT count(*) FROM f1;
SELECT * FROM v LIMIT 1;
SELECT vae_fit('m2', 'f2');
SELECT vae_fit('m2', 'SELECT a, b FROM v');
SELECT vae_fill('m', 'f2');
SELECT vae_fidelity('m', 'f3');
SELECT vae_fidelity('m', 'SELECT * FROM v');
SELECT '-- a chain written into the file directly (no CREATE to refuse it)';
DROP TABLE f1;
DROP VIEW v;
CREATE VIRTUAL TABLE f1 USING vae(m, source=t);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE VIRTUAL TABLE f1 USING vae(m, source=f3)' WHERE name = 'f1';
PRAGMA writable_schema = OFF;
.open cycle.db
.dbconfig defensive on
.load ./vae
PRAGMA trusted_schema = OFF;
SELECT count(*) FROM f1;
SELECT count(*) FROM f2;
SELECT rowid FROM f3 WHERE rowid = 3;
SELECT vae_fit('m2', 'f3');
SELECT vae_fill('m', 'f1');
SELECT vae_fidelity('m', 'f2');
SELECT count(*) FROM t WHERE a IS NULL;
SELECT '-- and a repaired chain works again, and can be dropped';
DROP TABLE f1;
CREATE VIRTUAL TABLE f1 USING vae(m, source=t);
SELECT count(*), sum(a IS NULL) FROM f3;
DROP TABLE f3;
DROP TABLE f2;
DROP TABLE f1;
SELECT '-- a deep chain that does not loop: bounded depth';
CREATE VIRTUAL TABLE d0 USING vae(m, source=t);
CREATE VIRTUAL TABLE d1 USING vae(m, source=d0);
CREATE VIRTUAL TABLE d2 USING vae(m, source=d1);
CREATE VIRTUAL TABLE d3 USING vae(m, source=d2);
CREATE VIRTUAL TABLE d4 USING vae(m, source=d3);
CREATE VIRTUAL TABLE d5 USING vae(m, source=d4);
CREATE VIRTUAL TABLE d6 USING vae(m, source=d5);
CREATE VIRTUAL TABLE d7 USING vae(m, source=d6);
CREATE VIRTUAL TABLE d8 USING vae(m, source=d7);
CREATE VIRTUAL TABLE d9 USING vae(m, source=d8);
CREATE VIRTUAL TABLE d10 USING vae(m, source=d9);
CREATE VIRTUAL TABLE d11 USING vae(m, source=d10);
CREATE VIRTUAL TABLE d12 USING vae(m, source=d11);
CREATE VIRTUAL TABLE d13 USING vae(m, source=d12);
CREATE VIRTUAL TABLE d14 USING vae(m, source=d13);
CREATE VIRTUAL TABLE d15 USING vae(m, source=d14);
SELECT count(*) FROM d15;
CREATE VIRTUAL TABLE d16 USING vae(m, source=d15);
SELECT count(*) FROM d16;
