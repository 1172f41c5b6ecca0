-- Loading, the schema of vae_models, argument counts, identifiers that
-- need quoting, and values never pasted into SQL.
.load ./vae
.load ./vae
CREATE TABLE "we""ird" ("col ""x""" REAL, "select" INTEGER, "k'q" TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 39)
INSERT INTO "we""ird" SELECT CASE WHEN i % 4 = 0 THEN NULL ELSE i * 0.5 END, i % 6, substr('ab', i % 2 + 1, 1) FROM s;
SELECT json_extract(vae_fit('odd ''name"', 'we"ird', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8}'), '$.columns');
SELECT name FROM vae_models;
SELECT typeof(vae_impute('odd ''name"', 'col "x"', NULL, 1, 'a'));
SELECT typeof(vae_impute('odd ''name"', 'col "x"', json_object('col "x"', NULL, 'select', 1, 'k''q', 'b')));
CREATE VIRTUAL TABLE "f ""1""" USING vae("odd 'name""", source="we""ird");
SELECT count(*), sum("col ""x""" IS NULL) FROM "f ""1""";
CREATE VIRTUAL TABLE s USING vae('odd ''name"');
SELECT count(*) FROM (SELECT * FROM s WHERE "k'q" = 'b' LIMIT 4);
SELECT vae_fill('odd ''name"', 'we"ird');
SELECT count(*) FROM "we""ird" WHERE "col ""x""" IS NULL;
SELECT count(*) FROM vae_sample('odd ''name"', 3);
SELECT vae_impute('x''; DROP TABLE vae_models; --', 'a', 1);
SELECT vae_fit('m', 't''; DROP TABLE vae_models; --');
SELECT count(*) FROM vae_models;
SELECT '-- the store schema';
SELECT sql FROM sqlite_schema WHERE name = 'vae_models';
