-- Model names are case-insensitive (ASCII), as SQL identifiers: stored once.
.load ./vae
CREATE TABLE t (a REAL, b REAL, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO t SELECT i * 0.5, CASE WHEN i % 5 THEN i * 1.5 END, substr('xyz', i % 3 + 1, 1) FROM s;
CREATE TEMP VIEW o AS SELECT '{"epochs": 3, "hidden": [8], "latent": 2, "seed": 1}' AS o;
SELECT json_extract(vae_fit('Mod', 't', o), '$.rows') FROM o;
SELECT '-- any spelling finds it';
SELECT typeof(vae_impute('mod', 'b', 1.0, NULL, 'x')), typeof(vae_impute('MOD', 'b', 1.0, NULL, 'x'));
SELECT vae_impute('mod', 'b', 1.0, NULL, 'x') = vae_impute('Mod', 'b', 1.0, NULL, 'x');
SELECT count(*) FROM vae_sample('mOd', 3);
SELECT vae_fill('MOD', 't');
CREATE VIRTUAL TABLE g USING vae(mod);
SELECT count(*) FROM (SELECT * FROM g LIMIT 4);
CREATE VIRTUAL TABLE f USING vae(MOD, source=t);
SELECT count(*) FROM f;
SELECT '-- a refit of MOD replaces Mod: one row';
SELECT json_extract(vae_fit('MOD', 't', o), '$.rows') FROM o;
SELECT name FROM vae_models;
SELECT count(*) FROM (SELECT * FROM g LIMIT 2);
SELECT '-- model columns differing only in case are refused';
SELECT vae_fit('c', 'SELECT a, b AS A FROM t', o) FROM o;
SELECT vae_fit('c', 'SELECT a, b AS A, k FROM t', json_patch(o, '{"columns": ["k", "a", "A"]}')) FROM o;
SELECT json_extract(vae_fit('c', 'SELECT a, b AS A, k FROM t', json_patch(o, '{"columns": ["k", "A"]}')), '$.columns') FROM o;
SELECT '-- a store from an older version holding Mod and mod';
DELETE FROM vae_models WHERE name = 'c';
UPDATE vae_models SET name = 'Mod';
INSERT INTO vae_models SELECT 'mod', source, columns, options, report, model, fit_id + 1, created
  FROM vae_models WHERE name = 'Mod';
SELECT typeof(vae_impute('Mod', 'b', 1.0, NULL, 'x')), typeof(vae_impute('mod', 'b', 1.0, NULL, 'x'));
SELECT vae_impute('MOD', 'b', 1.0, NULL, 'x');
SELECT count(*) FROM vae_sample('MOD', 2);
SELECT '-- a refit under any spelling replaces both';
SELECT json_extract(vae_fit('MOD', 't', o), '$.rows') FROM o;
SELECT name FROM vae_models;
SELECT typeof(vae_impute('mod', 'b', 1.0, NULL, 'x'));
