-- {"warm_start": true} continues the stored model on new rows.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
SELECT json_extract(vae_fit('m', 't', '{"warm_start": true, "epochs": 2}'), '$.warm_starts', '$.epochs');
SELECT json_array_length(report, '$.train_loss'), json_array_length(report, '$.val_loss'),
       json_extract(options, '$.warm_start'), json_extract(options, '$.epochs') FROM vae_models;
SELECT json_extract(vae_fit('m', 'SELECT * FROM t WHERE k = ''x''', '{"warm_start": true, "epochs": 1, "lr": 0.01}'),
                    '$.warm_starts', '$.epochs', '$.rows');
SELECT json_extract(options, '$.lr'), json_extract(options, '$.latent'), json_extract(options, '$.hidden') FROM vae_models;
SELECT '-- the columns of the model are taken by name; extra source columns are ignored';
SELECT json_extract(vae_fit('m', 'SELECT k, c, 99 AS extra, b, a FROM t', '{"warm_start": true, "epochs": 1}'), '$.columns');
SELECT json_extract(vae_fit('m', 'SELECT 0 AS c, NULL AS k, 1.5 AS b, 2 AS a', '{"warm_start": true, "epochs": 1}'), '$.rows');
SELECT '-- errors';
SELECT vae_fit('w', 't', '{"warm_start": true}');
SELECT vae_fit('m', 'SELECT a, b, c FROM t', '{"warm_start": true}');
SELECT vae_fit('m', 'SELECT a, b, c, ''q'' AS k FROM t', '{"warm_start": true}');
SELECT vae_fit('m', 'SELECT a, b, ''text'' AS c, k FROM t', '{"warm_start": true}');
SELECT vae_fit('m', 't', '{"warm_start": true, "latent": 7}');
SELECT vae_fit('m', 't', '{"warm_start": true, "hidden": [4, 4]}');
SELECT vae_fit('m', 't', '{"warm_start": true, "columns": ["a", "b"]}');
SELECT vae_fit('m', 't', '{"warm_start": true, "types": {"c": "real"}}');
SELECT vae_fit('m', 't', '{"warm_start": "yes"}');
SELECT json_extract(report, '$.warm_starts') FROM vae_models;
SELECT '-- the count saturates at INT_MAX (also from a stored report made larger or negative)';
UPDATE vae_models SET report = json_set(report, '$.warm_starts', 2147483646) WHERE name = 'm';
SELECT json_extract(vae_fit('m', 't', '{"warm_start": true, "epochs": 1}'), '$.warm_starts');
SELECT json_extract(vae_fit('m', 't', '{"warm_start": true, "epochs": 1}'), '$.warm_starts');
UPDATE vae_models SET report = json_set(report, '$.warm_starts', 9000000000000000000) WHERE name = 'm';
SELECT json_extract(vae_fit('m', 't', '{"warm_start": true, "epochs": 1}'), '$.warm_starts');
UPDATE vae_models SET report = json_set(report, '$.warm_starts', -5) WHERE name = 'm';
SELECT json_extract(vae_fit('m', 't', '{"warm_start": true, "epochs": 1}'), '$.warm_starts');
SELECT '-- JSON results keep their subtype (registered SQLITE_RESULT_SUBTYPE)';
SELECT json_type(json_object('r', vae_fit('m', 't', '{"warm_start": true, "epochs": 1}')), '$.r');
SELECT json_type(json_object('r', vae_fidelity('m', 't')), '$.r');
