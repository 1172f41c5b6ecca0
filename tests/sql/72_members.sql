-- "members": estimates average two whole fits (the second seeded by a
-- fixed mixing of "seed"); 2 by default up to 10,000 rows, 1 above. The
-- report and the stored options say how many; a warm start keeps them;
-- the same bits on any thread count; errors name the option and value.
.load ./vae
CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, c INTEGER, k TEXT);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 299)
INSERT INTO t(a, b, c, k) SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 37) * 0.5 END,
  CASE WHEN i % 11 = 3 THEN NULL ELSE (i % 5) * 1.5 + (i % 37) * 0.1 END,
  CASE WHEN i % 17 = 2 THEN NULL ELSE i % 3 END,
  CASE WHEN i % 13 = 5 THEN NULL ELSE substr('xyz', i % 3 + 1, 1) END FROM s;
CREATE VIEW o AS SELECT '"epochs": 3, "seed": 3, "hidden": [16], "samples": 4, "impute_samples": 16' AS o;
SELECT '-- by default two members on 300 rows; one when asked';
SELECT json_extract(vae_fit('d', 't', '{' || o || '}'), '$.members') FROM o;
SELECT json_extract(vae_fit('one', 't', '{' || o || ', "members": 1}'), '$.members') FROM o;
SELECT json_extract(vae_fit('two', 't', '{' || o || ', "members": 2, "threads": 1}'), '$.members') FROM o;
SELECT json_extract(vae_fit('two2', 't', '{' || o || ', "members": 2, "threads": 2}'), '$.members') FROM o;
SELECT name, json_extract(options, '$.members') FROM vae_models ORDER BY name;
SELECT '-- the default is the two members, bit for bit; two threads too; one member is another model';
SELECT (SELECT model FROM vae_models WHERE name = 'd') = (SELECT model FROM vae_models WHERE name = 'two'),
       (SELECT model FROM vae_models WHERE name = 'two2') = (SELECT model FROM vae_models WHERE name = 'two'),
       length((SELECT model FROM vae_models WHERE name = 'two')) > length((SELECT model FROM vae_models WHERE name = 'one'));
SELECT '-- the first member alone draws and generates: the rows and scores of the one-member model;';
SELECT '-- its draws too, their spread chosen on its own held-out cells alone (numeric draws the same: 1; levels: 1)';
CREATE VIRTUAL TABLE st USING vae(two, source=t);
CREATE VIRTUAL TABLE so USING vae(one, source=t);
SELECT (SELECT group_concat(a || ',' || b || ',' || k, ';') FROM st WHERE draw = 1)
     = (SELECT group_concat(a || ',' || b || ',' || k, ';') FROM so WHERE draw = 1);
SELECT (SELECT group_concat(k, ';') FROM st WHERE draw = 1)
     = (SELECT group_concat(k, ';') FROM so WHERE draw = 1);
SELECT (SELECT group_concat(value, ';') FROM vae_sample('two', 20, 7))
     = (SELECT group_concat(value, ';') FROM vae_sample('one', 20, 7));
SELECT vae_score('two', 1.0, 2.0, 1, 'x') = vae_score('one', 1.0, 2.0, 1, 'x');
SELECT '-- estimates differ (the second member averaged in), and are those vae_fill writes';
SELECT count(*) > 0 FROM t WHERE a IS NULL
   AND vae_impute('two', 'a', a, b, c, k) <> vae_impute('one', 'a', a, b, c, k);
CREATE TABLE f AS SELECT * FROM t;
SELECT vae_fill('two', 'f') > 0;
SELECT count(*) FROM t JOIN f USING (id) WHERE t.a IS NULL
   AND f.a IS NOT vae_impute('two', 'a', t.a, t.b, t.c, t.k);
SELECT count(*) FROM t JOIN f USING (id) WHERE t.k IS NULL
   AND f.k IS NOT vae_impute('two', 'k', t.a, t.b, t.c, t.k);
SELECT '-- a warm start keeps the members; "members" may not change them';
SELECT json_extract(vae_fit('two', 't', '{"warm_start": true, "epochs": 2}'), '$.members');
SELECT json_extract(vae_fit('one', 't', '{"warm_start": true, "epochs": 2, "members": 1}'), '$.members');
SELECT vae_fit('two', 't', '{"warm_start": true, "members": 1}');
SELECT vae_fit('one', 't', '{"warm_start": true, "members": 2}');
SELECT '-- errors';
SELECT vae_fit('x', 't', '{"members": 0}');
SELECT vae_fit('x', 't', '{"members": 3}');
SELECT vae_fit('x', 't', '{"members": 1.5}');
SELECT vae_fit('x', 't', '{"members": "2"}');
SELECT vae_fit('x', 't', '{"members": true}');
SELECT vae_fit('x', 't', '{"members": null}');
