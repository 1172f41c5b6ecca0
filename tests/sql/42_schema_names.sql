-- Wherever a table is named (vae_fit's source, vae_fill's table, source=,
-- vae_fidelity) it may be schema-qualified (aux.t, temp.t, main.t, quoted
-- parts); a view works as source= (row numbers for rowids); WITHOUT ROWID
-- tables work in vae_fill and source=.
.load ./vae
ATTACH 'aux.db' AS aux;
CREATE TABLE aux.t (id INTEGER PRIMARY KEY, a REAL, b REAL, note TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO aux.t(a, b, note) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5 + i * 0.1, printf('row %d', i) FROM s;
CREATE TABLE main.t (a REAL, b REAL);
INSERT INTO main.t VALUES (100, 200), (NULL, 210);
CREATE TEMP TABLE t (a REAL, b REAL);
INSERT INTO temp.t VALUES (-1, -2), (NULL, -3);
SELECT '-- vae_fit: aux.t, then the unqualified t is temp.t (SQLite''s order)';
SELECT json_extract(vae_fit('m', 'aux.t', '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}'), '$.rows');
SELECT json_extract(vae_fit('m_main', 'main.t', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.rows');
SELECT json_extract(vae_fit('m_temp', 't', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.columns[0].name'),
       json_extract(vae_fit('m_temp', 'temp.t', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.rows');
SELECT json_extract(vae_fit('m2', '"aux"."T"', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.rows'),
       json_extract(vae_fit('m2', 'AUX.[t]', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.rows'),
       json_extract(vae_fit('m2', ' aux . t ', '{"epochs": 1, "hidden": [4], "latent": 1}'), '$.rows');
SELECT vae_fit('m2', 'nosuch.t');
SELECT vae_fit('m2', 'aux.nosuch');
SELECT vae_fit('m2', 'aux.t.x');
SELECT '-- vae_fidelity';
SELECT json_extract(vae_fidelity('m', 'aux.t'), '$.rows_real');
SELECT vae_fidelity('m', 'main.t') IS NOT NULL;
SELECT '-- source=';
CREATE VIRTUAL TABLE f USING vae(m, source=aux.t);
SELECT count(*), sum(a IS NULL), min(id), max(id) FROM f;
SELECT id, note FROM f WHERE rowid = 8;
CREATE VIRTUAL TABLE f2 USING vae(m, source="aux"."T");
SELECT count(*) FROM f2;
CREATE VIRTUAL TABLE temp.f3 USING vae(m_temp, source=temp.t);
SELECT count(*), sum(a IS NULL), sum(a < 0) FROM temp.f3;
CREATE VIRTUAL TABLE f4 USING vae(m, source=nosuch.t);
SELECT '-- vae_fill';
CREATE TABLE aux.g (a REAL, b REAL);
INSERT INTO aux.g VALUES (NULL, 1), (2, NULL);
CREATE TABLE g (a REAL, b REAL);
INSERT INTO g VALUES (NULL, 1);
SELECT vae_fill('m', 'aux.g');
SELECT count(*) FROM aux.g WHERE a IS NULL OR b IS NULL;
SELECT count(*) FROM main.g WHERE a IS NULL;
SELECT vae_fill('m', 'main.g');
SELECT vae_fill('m_temp', 'temp.t'), (SELECT count(*) FROM main.t WHERE a IS NULL);
SELECT '-- a view as source=: every column, rowid = row number';
CREATE VIEW aux.v AS SELECT id, note, a, b FROM aux.t WHERE id % 2 = 0;
CREATE VIRTUAL TABLE fv USING vae(m, source=aux.v);
SELECT group_concat(name, ' ') FROM pragma_table_info('fv');
SELECT count(*), sum(a IS NULL), min(rowid), max(rowid) FROM fv;
SELECT rowid, id, note FROM fv WHERE rowid = 4;
SELECT count(*) FROM fv WHERE rowid = 21;
SELECT vae_fill('m', 'aux.v');
SELECT '-- WITHOUT ROWID, qualified';
CREATE TABLE aux.w (k TEXT PRIMARY KEY, a REAL, b REAL) WITHOUT ROWID;
INSERT INTO aux.w VALUES ('x', NULL, 1), ('y', 2, NULL), ('z', 3, 3);
CREATE VIRTUAL TABLE fw USING vae(m, source=aux.w);
SELECT rowid, k, a IS NULL, b IS NULL FROM fw;
SELECT vae_fill('m', 'aux.w');
SELECT k, typeof(a), typeof(b) FROM aux.w;
