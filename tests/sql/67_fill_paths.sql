-- vae_fill writes a row with one statement over every column
-- (coalesce(?, col)) when nothing can tell that from setting just its NULL
-- cells, and one statement per pattern of NULLs otherwise: with a trigger
-- on the table, foreign keys involving it, or a generated column. Both
-- paths give the same table; triggers see only the columns filled.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, k TEXT, c INTEGER);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 199)
INSERT INTO t(a, b, k, c) SELECT CASE WHEN i % 5 = 0 THEN NULL ELSE i * 0.1 END,
  CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN 'NA' ELSE i * 0.2 + (i % 3) END,
  CASE WHEN i % 6 = 0 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END, i % 4 FROM s;
SELECT 'fit', json_extract(vae_fit('m', 't', '{"epochs": 3, "hidden": [8], "latent": 2, "seed": 2}'), '$.rows');
CREATE TABLE plain AS SELECT * FROM t;
CREATE TABLE trig AS SELECT * FROM t;
CREATE TABLE fired (what TEXT, id INTEGER);
CREATE TRIGGER trig_any AFTER UPDATE ON trig BEGIN INSERT INTO fired VALUES ('row', new.id); END;
CREATE TRIGGER trig_b AFTER UPDATE OF b ON trig BEGIN INSERT INTO fired VALUES ('b', new.id); END;
CREATE TABLE parent (c INTEGER PRIMARY KEY);
INSERT INTO parent VALUES (0), (1), (2);
CREATE TABLE child (id INTEGER PRIMARY KEY, a REAL, b REAL, k TEXT, c INTEGER REFERENCES parent(c));
INSERT INTO child SELECT * FROM t;
PRAGMA foreign_keys = ON;
SELECT 'dangling', count(*) FROM child WHERE c NOT IN (SELECT c FROM parent);
SELECT 'plain', vae_fill('m', 'plain');
SELECT 'trigger', vae_fill('m', 'trig');
-- c (never missing) is 3 in rows without a parent row: a statement that
-- set c in every row would fail the foreign key
SELECT 'foreign keys', vae_fill('m', 'child');
SELECT 'same table', (SELECT group_concat(quote(a) || quote(b) || quote(k), ',') FROM plain)
  = (SELECT group_concat(quote(a) || quote(b) || quote(k), ',') FROM trig),
  (SELECT group_concat(quote(a) || quote(b) || quote(k), ',') FROM plain)
  = (SELECT group_concat(quote(a) || quote(b) || quote(k), ',') FROM child);
SELECT 'kept', count(*) FROM plain JOIN t USING (id)
  WHERE (t.a IS NOT NULL AND plain.a IS NOT t.a) OR (t.k IS NOT NULL AND plain.k IS NOT t.k)
     OR (t.b IS NOT NULL AND t.b <> 'NA' AND plain.b IS NOT t.b);
SELECT 'left', count(*) FROM plain WHERE a IS NULL OR b IS NULL OR b = 'NA' OR k IS NULL;
-- the row trigger fires once a row filled, the b trigger only where b was missing
SELECT 'fired', what, count(*) FROM fired GROUP BY what ORDER BY what;
SELECT 'b missing', count(*) FROM t WHERE b IS NULL OR b = 'NA';
SELECT 'rows missing', count(*) FROM t WHERE a IS NULL OR b IS NULL OR b = 'NA' OR k IS NULL;
