-- vae_impute: the given value when not NULL, else the estimate, in the
-- column's own type; deterministic; positional and JSON forms agree.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE i * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
SELECT vae_fit('m', 't',
  '{"epochs": 3, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}') IS NOT NULL;
SELECT typeof(vae_impute('m', 'a', NULL, 1.5, 1, 'y')), typeof(vae_impute('m', 'b', 1.0, NULL, 1, 'y')),
       typeof(vae_impute('m', 'c', 1.0, 1.5, NULL, 'y')), typeof(vae_impute('m', 'k', 1.0, 1.5, 1, NULL));
SELECT vae_impute('m', 'k', 1.0, 1.5, 1, NULL) IN ('x', 'y', 'z'),
       vae_impute('m', 'c', 1.0, 1.5, NULL, 'y') BETWEEN 0 AND 2;
SELECT '-- given values come back as given';
SELECT vae_impute('m', 'a', 4.25, 1.5, 1, 'y'), vae_impute('m', 'a', 4, 1.5, 1, 'y'),
       typeof(vae_impute('m', 'a', 4, 1.5, 1, 'y')), vae_impute('m', 'a', '7.5', 1.5, 1, 'y'),
       typeof(vae_impute('m', 'a', '7.5', 1.5, 1, 'y')), vae_impute('m', 'k', 1, 1, 1, 'z');
SELECT '-- deterministic, and the same for every column of a row';
SELECT vae_impute('m', 'a', NULL, 1.5, NULL, 'y') = vae_impute('m', 'a', NULL, 1.5, NULL, 'y'),
       vae_impute('m', 'c', NULL, 1.5, NULL, 'y') = vae_impute('m', 'c', NULL, 1.5, NULL, 'y');
CREATE TEMP TABLE r1 AS SELECT vae_impute('m', 'a', NULL, 1.5, NULL, 'y') AS a, vae_impute('m', 'c', NULL, 1.5, NULL, 'y') AS c;
SELECT vae_impute('m', 'a', 2, 1.5, NULL, 'x') IS NOT NULL;
SELECT a = vae_impute('m', 'a', NULL, 1.5, NULL, 'y'), c = vae_impute('m', 'c', NULL, 1.5, NULL, 'y') FROM r1;
SELECT '-- JSON object form';
SELECT vae_impute('m', 'a', json_object('a', NULL, 'b', 1.5, 'c', NULL, 'k', 'y')) = a,
       vae_impute('m', 'a', json_object('b', 1.5, 'k', 'y')) = a,
       vae_impute('m', 'a', '{"b": 1.5, "k": "y"}') = a,
       vae_impute('m', 'A', json_object('B', 1.5, 'K', 'y')) = a FROM r1;
SELECT vae_impute('m', 'a', json_object('a', 3.5)), vae_impute('m', 'k', json_object('k', 'x')),
       typeof(vae_impute('m', 'c', json_object('c', 2)));
SELECT '-- numbers as text, all NULL';
SELECT vae_impute('m', 'a', NULL, '1.5', NULL, 'y') = a, vae_impute('m', 'a', NULL, ' 1.5e0 ', NULL, 'y') = a FROM r1;
SELECT typeof(vae_impute('m', 'a', NULL, NULL, NULL, NULL));
SELECT '-- errors';
SELECT vae_impute('m', 'a', 1, 2, 3);
SELECT vae_impute('m', 'a', 1, 2, 3, 'x', 5);
SELECT vae_impute('m', 'x', 1, 2, 3, 'x');
SELECT vae_impute('m', 'id', 1, 2, 3, 'x');
SELECT vae_impute('nosuch', 'a', 1, 2, 3, 'x');
SELECT vae_impute(NULL, 'a', 1, 2, 3, 'x');
SELECT vae_impute('m', NULL, 1, 2, 3, 'x');
SELECT vae_impute('m', 'a', 'abc', 2, 3, 'x');
SELECT vae_impute('m', 'a', '', 2, 3, 'x');
SELECT vae_impute('m', 'a', x'01', 2, 3, 'x');
SELECT vae_impute('m', 'a', 1e999, 2, 3, 'x');
SELECT vae_impute('m', 'a', NULL, 2, 3, 'q');
SELECT vae_impute('m', 'a', NULL, 2, 3, x'00');
SELECT vae_impute('m', 'a');
SELECT vae_impute('m');
SELECT vae_impute('m', 'a', json_object('a', NULL, 'zz', 1));
SELECT vae_impute('m', 'a', json_object('a', 'text'));
SELECT vae_impute('m', 'a', json_object('a', json_array(1)));
SELECT vae_impute('m', 'a', '{"a": }');
SELECT vae_impute('m', 'a', json_array(1, 2));
