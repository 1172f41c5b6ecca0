-- "missing": "mnar": the option, the report's missingness model, warm start,
-- and that imputations of self-masked cells come out higher than under mar.
.load ./vae
-- Two columns that move together; y is hidden when high (about a third of
-- the cells above its 60th percentile), rarely otherwise. u: a uniform hash.
CREATE TABLE t (x REAL, y REAL, flag INTEGER, colour TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 600),
  g AS (SELECT i, ((i * 2654435761) % 1000003) / 1000003.0 AS u,
               ((i * 40503) % 999983) / 999983.0 AS v FROM s)
INSERT INTO t SELECT 4 * v - 2,
  CASE WHEN (4 * v - 2 + (u - 0.5) > 0.6 AND u < 0.6) OR u < 0.03 THEN NULL
       ELSE 4 * v - 2 + (u - 0.5) END,
  v > 0.5, substr('rgb', i % 3 + 1, 1) FROM g;
SELECT count(*), count(y) FROM t;
CREATE TEMP VIEW opts AS SELECT
  '{"epochs": 60, "hidden": [16, 16], "samples": 4, "impute_samples": 64, "seed": 2}' AS o;
CREATE TEMP TABLE r AS SELECT vae_fit('mar', 't', o) AS mar,
  vae_fit('mnar', 't', json_patch(o, '{"missing": "mnar"}')) AS mnar FROM opts;
SELECT '-- the option is stored; mar models have no missingness model';
SELECT name, json_extract(options, '$.missing') FROM vae_models ORDER BY name;
SELECT json_type(mar, '$.missingness') IS NULL FROM r;
SELECT '-- numeric and binary columns get one, categorical ones not';
SELECT key FROM r, json_each(mnar, '$.missingness') ORDER BY key;
SELECT '-- y: high values go missing, x and flag: no sign of it';
SELECT json_extract(mnar, '$.missingness.y.slope') > 0.3,
       json_extract(mnar, '$.missingness.y.high_to_low') > 2,
       abs(json_extract(mnar, '$.missingness.x.slope')) < 0.3 FROM r;
SELECT '-- imputed y is higher under mnar';
CREATE VIRTUAL TABLE f_mar USING vae(mar, source=t);
CREATE VIRTUAL TABLE f_mnar USING vae(mnar, source=t);
SELECT (SELECT avg(f.y) FROM f_mnar f JOIN t ON t.rowid = f.rowid WHERE t.y IS NULL) >
       (SELECT avg(f.y) FROM f_mar f JOIN t ON t.rowid = f.rowid WHERE t.y IS NULL) + 0.1;
SELECT '-- draws too; generation given values ignores the mask model';
SELECT count(*) FROM f_mnar WHERE draw = 1 AND y IS NULL;
CREATE VIRTUAL TABLE g USING vae(mnar);
SELECT count(*) FROM (SELECT * FROM g WHERE flag = 1 LIMIT 20);
SELECT '-- errors';
SELECT vae_fit('e', 't', '{"missing": "nmar"}');
SELECT vae_fit('e', 't', '{"missing": 1}');
SELECT vae_fit('mnar', 't', '{"warm_start": true, "missing": "mar", "epochs": 1}');
SELECT '-- warm start keeps the model''s setting';
SELECT json_type(vae_fit('mnar', 't', '{"warm_start": true, "epochs": 1}'), '$.missingness.y');
SELECT '-- cross terms: w''s holes follow x (never missing), the report names x as their driver';
CREATE TABLE t2 (x REAL, w REAL, v REAL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 500),
  g AS (SELECT i, ((i * 2654435761) % 1000003) / 1000003.0 AS u,
               ((i * 40503) % 999983) / 999983.0 AS v FROM s)
INSERT INTO t2 SELECT 4 * v - 2,
  CASE WHEN (4 * v - 2 > 0.4 AND u < 0.5) OR u < 0.03 THEN NULL ELSE 0.5 * (4 * v - 2) + u END,
  CASE WHEN u > 0.9 THEN NULL ELSE u * u END FROM g;
CREATE TEMP TABLE r2 AS SELECT vae_fit('m2', 't2', json_patch(o, '{"missing": "mnar"}')) AS rep
  FROM opts;
SELECT json_extract(rep, '$.missingness.w.drivers.x') > 0.1,
       json_type(rep, '$.missingness.x.drivers') IS NULL,
       json_type(rep, '$.missingness.w.drivers.v') IS NULL FROM r2;
