-- The nearest neighbours (core/knn.c) on rows in tight clusters, where
-- they are clearly right: c and the level k are the cluster's, no function
-- of (a, b) that a network or a regression finds in 480 rows, but the
-- cluster's other rows give them. The fit reports their shares
-- (knn_share), the imputations follow them, a new connection reading the
-- stored model (blob with the reservoir) imputes the same, and a fit
-- without held-out rows has no cells to choose shares on: none.
.open knn.db
.load ./vae
CREATE TABLE full (id INTEGER PRIMARY KEY, a REAL, b REAL, c REAL, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 479)
INSERT INTO full SELECT i, (i % 40 * 37 % 100) / 10.0 + (i % 3) * 0.01,
  (i % 40 * 61 % 97) / 10.0 - (i % 4) * 0.01, (i % 40 * 17 % 89) / 10.0 + (i / 40 % 5) * 0.01,
  substr('pqrs', i % 40 * 7 % 4 + 1, 1) FROM s;
CREATE TABLE t AS SELECT id, a, b, CASE WHEN id / 40 % 5 = 1 THEN NULL ELSE c END AS c,
  CASE WHEN id / 40 % 7 = 2 THEN NULL ELSE k END AS k FROM full;
SELECT 'fit', vae_fit('m', 'SELECT a, b, c, k FROM t',
  '{"epochs": 30, "hidden": [16], "latent": 2, "impute_samples": 32, "seed": 2, "holdout": 0.2}')
  IS NOT NULL;
SELECT 'shares', json_extract(report, '$.knn_share.c') > 0.5, json_extract(report, '$.knn_share.k') > 0.5,
  json_extract(report, '$.network_share.c') BETWEEN 0 AND 1 FROM vae_models WHERE name = 'm';
CREATE TABLE got AS SELECT t.id, vae_impute('m', 'c', t.a, t.b, NULL, t.k) AS c,
  vae_impute('m', 'k', t.a, t.b, t.c, NULL) AS k FROM t;
SELECT 'c within 0.1 of the truth', avg(abs(got.c - full.c) < 0.1) > 0.95
  FROM got JOIN full USING (id) WHERE id / 40 % 5 = 1;
SELECT 'k right', avg(got.k = full.k) > 0.95 FROM got JOIN full USING (id) WHERE id / 40 % 7 = 2;
.open knn.db
.load ./vae
SELECT 'reloaded, the same', count(*) = 480 FROM got JOIN t USING (id)
  WHERE got.c = vae_impute('m', 'c', t.a, t.b, NULL, t.k)
    AND got.k = vae_impute('m', 'k', t.a, t.b, t.c, NULL);
SELECT 'no held-out rows', json_extract(vae_fit('n', 'SELECT a, b, c, k FROM t',
  '{"epochs": 5, "hidden": [8], "latent": 2, "seed": 2, "holdout": 0}'), '$.knn_share');
