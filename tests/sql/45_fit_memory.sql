-- vae_fit reports peak_bytes: the most memory the fit held at once (rows
-- read, model, training buffers), counted in the allocator it hands core.
-- It is positive, grows with the rows read, and a max_rows reservoir keeps
-- it down on a large source. A small network, one epoch: fast under valgrind.
.load ./vae
CREATE TABLE small(a REAL, b REAL, c TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO small SELECT i % 17 * 1.5, (i * 7) % 11, char(65 + i % 3) FROM n;
CREATE TABLE big(a REAL, b REAL, c TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO big SELECT i % 17 * 1.5, (i * 7) % 11, char(65 + i % 3) FROM n;
CREATE TEMP TABLE r(name TEXT, j TEXT);
INSERT INTO r SELECT 'small', vae_fit('s', 'small', '{"epochs": 1, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 4}');
INSERT INTO r SELECT 'big', vae_fit('b', 'big', '{"epochs": 1, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 4}');
INSERT INTO r SELECT 'reservoir', vae_fit('r', 'big', '{"epochs": 1, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 4, "max_rows": 100}');
INSERT INTO r SELECT 'warm', vae_fit('s', 'big', '{"epochs": 1, "warm_start": true}');
SELECT name, json_type(j, '$.peak_bytes'), json_extract(j, '$.peak_bytes') > 0,
       json_extract(j, '$.rows'), json_extract(j, '$.rows_source') FROM r;
-- 20,000 rows of 3 columns hold at least 12 bytes a cell (the float matrix
-- and its normal scores) more than 100 rows do.
SELECT 'grows with rows',
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'big') -
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'small') > 19900 * 3 * 12;
SELECT 'reservoir bounds it',
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'reservoir') <
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'small') + 19900 * 3 * 12;
-- A warm start counts its loaded model and the new rows too.
SELECT 'warm start counts the rows',
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'warm') -
       (SELECT json_extract(j, '$.peak_bytes') FROM r WHERE name = 'small') > 19900 * 3 * 12;
