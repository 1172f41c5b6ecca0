-- Conditioning the generating table on a value the model never saw.
-- tests/data/iris.csv (150 flowers, three species).
.load ./vae
.import --csv data/iris.csv iris
SELECT json_extract(vae_fit('iris', 'iris', '{"epochs": 5, "hidden": [16], "latent": 2, "seed": 1}'),
                    '$.columns[4]');
CREATE VIRTUAL TABLE fake USING vae(iris);
SELECT '-- an unknown level names the column and the known levels';
SELECT * FROM fake WHERE species = 'Emperor' LIMIT 3;
SELECT * FROM fake WHERE species = 'setosa ' LIMIT 3;
SELECT '-- a known level conditions every row';
SELECT count(*), min(species), max(species) FROM (SELECT * FROM fake WHERE species = 'setosa' LIMIT 10);
SELECT '-- a number outside the training range (petal length 1 to 6.9 cm) is allowed';
SELECT count(*), min(petal_length_cm), max(petal_length_cm)
  FROM (SELECT * FROM fake WHERE petal_length_cm = 12.5 LIMIT 10);
SELECT count(*) FROM (SELECT * FROM fake WHERE petal_length_cm = -3 LIMIT 4);
SELECT '-- vae_impute says the same';
SELECT vae_impute('iris', 'sepal_length_cm', json_object('species', 'Emperor'));
