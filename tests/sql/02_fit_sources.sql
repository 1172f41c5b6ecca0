-- Sources: table names (any case, quoted names, temp tables), views,
-- SELECT / WITH / VALUES statements; the rowid alias is never a feature.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  (i % 5) * 1.5, i % 3, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE TABLE "my ""odd"" table" (x REAL, y INTEGER);
INSERT INTO "my ""odd"" table" SELECT a, c FROM t;
CREATE VIEW v AS SELECT id, a, k FROM t WHERE c > 0;
CREATE TEMP TABLE tt AS SELECT a, b FROM t;
CREATE TABLE pk2 (p INTEGER, q INTEGER, x REAL, PRIMARY KEY (p, q));
INSERT INTO pk2 SELECT id, id, a FROM t;
CREATE TABLE desc_pk (id INTEGER PRIMARY KEY DESC, x REAL);
INSERT INTO desc_pk SELECT id, a FROM t;
CREATE TEMP VIEW opts AS SELECT
  '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}' AS o;
SELECT 'T', json_extract(vae_fit('m', 'T', o), '$.columns') FROM opts;
SELECT 'quoted', json_extract(vae_fit('m', 'my "odd" table', o), '$.columns') FROM opts;
SELECT 'view', json_extract(vae_fit('m', 'v', o), '$.rows'), json_extract(vae_fit('m', 'v', o), '$.columns') FROM opts;
SELECT 'temp', json_extract(vae_fit('m', 'tt', o), '$.columns') FROM opts;
SELECT 'select', json_extract(vae_fit('m', '  /* c */ select id, a, c * 2 AS c2 FROM t WHERE k <> ''x'';  ', o), '$.columns') FROM opts;
SELECT 'with', json_extract(vae_fit('m', 'WITH w AS (SELECT a, k FROM t) SELECT * FROM w', o), '$.rows') FROM opts;
SELECT 'values', json_extract(vae_fit('m', 'VALUES (1, 2.5), (2, 3.5), (3, NULL)', o), '$.columns') FROM opts;
SELECT 'pk2', json_extract(vae_fit('m', 'pk2', o), '$.columns') FROM opts;
SELECT 'desc_pk', json_extract(vae_fit('m', 'desc_pk', o), '$.columns') FROM opts;
SELECT 'columns option', json_extract(vae_fit('m', 't', json_patch(o, '{"columns": ["k", "A"]}')), '$.columns') FROM opts;
SELECT 'max_rows', json_extract(vae_fit('m', 't', json_patch(o, '{"max_rows": 10}')), '$.rows', '$.rows_source') FROM opts;
SELECT 'max_rows', json_extract(vae_fit('m', 't', json_patch(o, '{"max_rows": 100}')), '$.rows', '$.rows_source') FROM opts;
SELECT 'source stored', source FROM vae_models;
