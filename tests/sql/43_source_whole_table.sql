-- The source= table keeps every column of its source: the INTEGER PRIMARY
-- KEY, ids and text the model skipped, columns left out with "columns",
-- blobs, pass through unchanged, so CREATE TABLE t_full AS SELECT * FROM f
-- is the whole table with the model's gaps filled.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, a REAL, empty, k TEXT, b REAL, pic BLOB, c INTEGER);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(id, name, a, empty, k, b, pic, c) SELECT 1000 + i * 3, printf('person %02d', i),
  CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END, NULL,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 4 = 0 THEN NULL ELSE x'0102' END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END FROM s;
SELECT json_extract(r, '$.columns') || ' skipped ' || json_extract(r, '$.skipped')
  FROM (SELECT vae_fit('m', 'SELECT id, name, a, empty, k, b, c FROM t',
        '{"epochs": 2, "hidden": [8], "latent": 2, "seed": 1}') AS r);
CREATE VIRTUAL TABLE f USING vae(m, source=t);
SELECT group_concat(name || ' ' || type || ' ' || hidden, ', ') FROM pragma_table_xinfo('f');
CREATE TABLE t_full AS SELECT * FROM f;
SELECT group_concat(name || ' ' || type, ', ') FROM pragma_table_info('t_full');
SELECT '-- same rows, same ids, skipped columns unchanged, gaps of the model filled';
SELECT count(*), sum(a IS NULL), sum(b IS NULL), sum(c IS NULL), sum(k IS NULL), sum(empty IS NULL) FROM t_full;
SELECT count(*) FROM t JOIN t_full USING (id)
 WHERE t.name IS t_full.name AND t.pic IS t_full.pic AND typeof(t.pic) = typeof(t_full.pic)
   AND t.empty IS t_full.empty AND t.rowid = t_full.id;
SELECT count(*) FROM t JOIN t_full USING (id)
 WHERE (t.a IS NOT NULL AND t.a IS NOT t_full.a) OR (t.k IS NOT NULL AND t.k IS NOT t_full.k);
SELECT count(*) FROM t JOIN t_full USING (id)
 WHERE t.a IS NULL AND abs(t_full.a - vae_impute('m', 'a', NULL, t.k, t.b, t.c)) > 1e-4 * (1 + abs(t_full.a));
SELECT DISTINCT typeof(id), typeof(name), typeof(a), typeof(empty), typeof(c) FROM t_full;
SELECT '-- rowid, draw and lookups with pass-through columns';
SELECT rowid, id, name, typeof(pic) FROM f WHERE rowid = 1006;
SELECT rowid, id, name FROM f WHERE id = 1006 AND draw = 2;
SELECT (SELECT group_concat(name) FROM f WHERE draw = 3) = (SELECT group_concat(name) FROM t);
SELECT '-- the columns follow the source''s (SQLite reconnects the table after a schema change)';
ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'new';
SELECT count(*) FROM f;
SELECT count(*) FROM pragma_table_info('f') WHERE name = 'extra';
CREATE VIRTUAL TABLE f_new USING vae(m, source=t);
SELECT DISTINCT extra FROM f_new;
ALTER TABLE t DROP COLUMN pic;
SELECT count(*), sum(pic IS NULL) FROM f;
SELECT count(*) FROM pragma_table_info('f') WHERE name = 'pic';
SELECT '-- a source column named like the hidden column';
CREATE TABLE d (a REAL, b REAL, k TEXT, c INTEGER, draw INTEGER);
CREATE VIRTUAL TABLE fd USING vae(m2, source=d);
INSERT INTO d VALUES (1, 2, 'x', 1, 5);
SELECT json_extract(vae_fit('m2', 'SELECT a, b FROM d', '{"epochs": 1}'), '$.rows');
CREATE VIRTUAL TABLE fd USING vae(m2, source=d);
