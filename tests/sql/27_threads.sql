-- "threads": a mini-batch is cut into fixed shards of 16 rows whose
-- gradients are summed in shard order, and the noise is drawn for the whole
-- batch first, so the thread count never changes a bit of the model.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 599)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 37) * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 + (i % 37) * 0.1 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT json_extract(vae_fit('t1', 't', '{"epochs": 2, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16, "threads": 1}'), '$.epochs');
SELECT json_extract(vae_fit('t2', 't', '{"epochs": 2, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16, "threads": 2}'), '$.epochs');
SELECT json_extract(vae_fit('t3', 't', '{"epochs": 2, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16, "threads": 3}'), '$.epochs');
SELECT json_extract(vae_fit('t2b', 't', '{"epochs": 2, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16, "threads": 2}'), '$.epochs');
SELECT json_extract(vae_fit('t0', 't', '{"epochs": 2, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16}'), '$.epochs');
SELECT json_extract(vae_fit('s4', 't', '{"epochs": 2, "seed": 4, "hidden": [16], "samples": 4, "impute_samples": 16, "threads": 2}'), '$.epochs');
SELECT '-- the same model bits on 1, 2 and 3 threads, twice on 2, and by default';
SELECT name, (SELECT model FROM vae_models WHERE name = 't1') = model FROM vae_models ORDER BY name;
SELECT '-- a wider network (the Adam step cut into several parameter ranges) with "mnar" (the slope prior in them): the same bits on 1, 2 and 3 threads';
SELECT json_extract(vae_fit('w1', 't', '{"epochs": 2, "seed": 5, "hidden": [96, 96], "samples": 2, "impute_samples": 16, "missing": "mnar", "threads": 1}'), '$.epochs');
SELECT json_extract(vae_fit('w2', 't', '{"epochs": 2, "seed": 5, "hidden": [96, 96], "samples": 2, "impute_samples": 16, "missing": "mnar", "threads": 2}'), '$.epochs');
SELECT json_extract(vae_fit('w3', 't', '{"epochs": 2, "seed": 5, "hidden": [96, 96], "samples": 2, "impute_samples": 16, "missing": "mnar", "threads": 3}'), '$.epochs');
SELECT name, (SELECT model FROM vae_models WHERE name = 'w1') = model, length(model) > 4 * 4096 * 3 FROM vae_models WHERE name LIKE 'w%' ORDER BY name;
SELECT '-- errors';
SELECT vae_fit('x', 't', '{"threads": 0}');
SELECT vae_fit('x', 't', '{"threads": 65}');
SELECT vae_fit('x', 't', '{"threads": 1.5}');
SELECT vae_fit('x', 't', '{"threads": "2"}');
