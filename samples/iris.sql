-- The virtual tables and vae_fidelity, on Fisher's iris (150 flowers, four
-- measurements and the species). Run from the top of the repository after
-- `make`:
--
--     sqlite3 :memory: < samples/iris.sql
--
-- It loads samples/iris.csv, hides 15% of the measurements, fits a model,
-- makes synthetic flowers (also of one given species), fills the holes
-- with the best estimate and with random draws, and scores how faithful
-- the synthetic rows are.
.load ./vae
.mode box
.print '== load samples/iris.csv and hide 15% of the measurements'
CREATE TABLE iris (
  id INTEGER PRIMARY KEY,
  sepal_length REAL, sepal_width REAL, petal_length REAL, petal_width REAL, species TEXT
);
CREATE TEMP TABLE raw (sepal_length, sepal_width, petal_length, petal_width, species);
.import --csv --skip 1 samples/iris.csv raw
INSERT INTO iris (sepal_length, sepal_width, petal_length, petal_width, species)
SELECT sepal_length, sepal_width, petal_length, petal_width, species FROM raw;
-- The truth, kept aside to measure the imputation error below.
CREATE TEMP TABLE truth AS SELECT * FROM iris;
-- A fixed pattern of holes (about 15% of the numeric cells).
UPDATE iris SET sepal_length = NULL WHERE id % 7 = 1;
UPDATE iris SET sepal_width  = NULL WHERE id % 7 = 3;
UPDATE iris SET petal_length = NULL WHERE id % 11 = 5;
UPDATE iris SET petal_width  = NULL WHERE id % 13 = 2;
SELECT count(*) AS flowers, sum(sepal_length IS NULL) + sum(sepal_width IS NULL)
       + sum(petal_length IS NULL) + sum(petal_width IS NULL) AS cells_hidden
FROM iris;

.print '== fit: vae_fit(model, source, options)'
SELECT json_extract(r, '$.rows') AS rows_, json_extract(r, '$.epochs') AS epochs,
       json_extract(r, '$.best_epoch') AS best_epoch, round(json_extract(r, '$.seconds'), 2) AS seconds,
       (SELECT group_concat(json_extract(value, '$.kind'), ' ')
          FROM json_each(json_extract(r, '$.columns'))) AS kinds
FROM (SELECT vae_fit('iris', 'iris', '{"seed": 1}') AS r);

.print '== sample: CREATE VIRTUAL TABLE fake USING vae(iris), five synthetic flowers'
CREATE VIRTUAL TABLE fake USING vae(iris);
SELECT round(sepal_length, 1) AS sepal_length, round(sepal_width, 1) AS sepal_width,
       round(petal_length, 1) AS petal_length, round(petal_width, 1) AS petal_width, species
FROM fake WHERE seed = 7 LIMIT 5;

.print "== sample, conditioned: WHERE species = 'virginica' (200 rows; means against the real ones)"
SELECT 'synthetic' AS rows_, round(avg(petal_length), 2) AS petal_length,
       round(avg(petal_width), 2) AS petal_width, count(*) AS n
FROM (SELECT * FROM fake WHERE species = 'virginica' AND seed = 3 LIMIT 200)
UNION ALL
SELECT 'real', round(avg(petal_length), 2), round(avg(petal_width), 2), count(*)
FROM truth WHERE species = 'virginica';

.print '== impute: CREATE VIRTUAL TABLE filled USING vae(iris, source=iris), the hidden cells'
CREATE VIRTUAL TABLE filled USING vae(iris, source=iris);
-- The vae table has the rowids of its source; draw = 0 (the default) is the
-- best estimate, draw = 1, 2, ... independent draws (multiple imputation).
SELECT i.id, i.petal_length AS given, round(f.petal_length, 2) AS best_estimate,
       round((SELECT petal_length FROM filled WHERE draw = 1 AND rowid = i.id), 2) AS draw_1,
       round((SELECT petal_length FROM filled WHERE draw = 2 AND rowid = i.id), 2) AS draw_2,
       t.petal_length AS truth
FROM iris AS i JOIN filled AS f ON f.rowid = i.id JOIN truth AS t ON t.id = i.id
WHERE i.petal_length IS NULL LIMIT 4;

.print '== impute: error on the hidden cells (RMSE), against filling with the column mean'
WITH err(col, vae, mean_) AS (
  SELECT 'sepal_length',
         sqrt(avg((f.sepal_length - t.sepal_length) * (f.sepal_length - t.sepal_length))),
         sqrt(avg(((SELECT avg(sepal_length) FROM iris) - t.sepal_length)
                  * ((SELECT avg(sepal_length) FROM iris) - t.sepal_length)))
  FROM iris i JOIN filled f ON f.rowid = i.id JOIN truth t ON t.id = i.id WHERE i.sepal_length IS NULL
  UNION ALL
  SELECT 'petal_length',
         sqrt(avg((f.petal_length - t.petal_length) * (f.petal_length - t.petal_length))),
         sqrt(avg(((SELECT avg(petal_length) FROM iris) - t.petal_length)
                  * ((SELECT avg(petal_length) FROM iris) - t.petal_length)))
  FROM iris i JOIN filled f ON f.rowid = i.id JOIN truth t ON t.id = i.id WHERE i.petal_length IS NULL)
SELECT col AS column_, round(vae, 3) AS rmse_vae, round(mean_, 3) AS rmse_mean FROM err;

.print '== score: the least plausible flowers, vae_score(model, v1, ..., vN)'
SELECT id, sepal_length, sepal_width, petal_length, petal_width, species,
       round(vae_score('iris', sepal_length, sepal_width, petal_length, petal_width, species), 1)
         AS score
FROM iris ORDER BY score DESC LIMIT 3;

.print '== fidelity: vae_fidelity(model, source), synthetic rows against the table'
SELECT round(json_extract(j, '$.overall'), 3) AS overall,
       round(json_extract(j, '$.shape_mean'), 3) AS shape_mean,
       round(json_extract(j, '$.pair_mean'), 3) AS pair_mean,
       (SELECT group_concat(json_extract(value, '$.column') || ' '
                            || round(json_extract(value, '$.shape'), 2), ', ')
          FROM json_each(j, '$.worst')) AS worst_columns
FROM (SELECT vae_fidelity('iris', 'iris', '{"seed": 1}') AS j);
