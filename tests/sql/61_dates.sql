-- Dates and times are a kind of their own: modelled as time, returned in
-- the column's own format, within the observed range, everywhere.
-- tests/data/chicago_dates.csv: 80 days of ../shared/data/suite/chicago.csv
-- (date, ridership, temp, weather_rain, Bulls_Home), with 5 dates and 3
-- ridership cells blanked or NA.
.load ./vae
.import --csv data/chicago_dates.csv c
CREATE TEMP VIEW o AS SELECT '{"epochs": 10, "hidden": [16], "latent": 2, "seed": 2}' AS o;
SELECT '-- ISO dates as text: kind date, modelled as days';
SELECT json_extract(vae_fit('c', 'c', o), '$.columns[0]') FROM o;
SELECT json_extract(columns, '$[0].kind'), json_extract(columns, '$[0].type'),
       json_extract(columns, '$[0].format'), json_extract(options, '$.types.date') FROM vae_models;
CREATE TEMP TABLE range AS SELECT min(date) AS lo, max(date) AS hi FROM c WHERE date GLOB '2*';
SELECT lo, hi FROM range;
SELECT '-- vae_sample: valid dates within the range';
SELECT count(*), sum(value ->> 'date' = date(value ->> 'date')),
       sum(value ->> 'date' BETWEEN lo AND hi), count(DISTINCT value ->> 'date') > 20
  FROM vae_sample('c', 200, 1), range;
SELECT '-- vae_impute: a date in the column''s format';
SELECT typeof(d), d = date(d), d BETWEEN lo AND hi
  FROM (SELECT vae_impute('c', 'date', NULL, 15.7, 30, 0, 0) AS d), range;
SELECT vae_impute('c', 'date', '2001-02-03', 15.7, 30, 0, 0);
SELECT vae_impute('c', 'date', ' 2001-02-03T10:30 ', 15.7, 30, 0, 0);
SELECT typeof(vae_impute('c', 'ridership', '2001-02-03', NULL, 30, 0, 0));
SELECT vae_impute('c', 'date', 'yesterday', 15.7, 30, 0, 0);
SELECT vae_impute('c', 'date', 2451943, 15.7, 30, 0, 0);
SELECT '-- the source= table: given dates unchanged, missing ones filled';
CREATE VIRTUAL TABLE cf USING vae(c, source=c);
SELECT count(*), sum(date = date(date)), sum(date BETWEEN lo AND hi), sum(typeof(date) = 'text')
  FROM cf, range;
SELECT count(*) FROM cf JOIN c ON c.rowid = cf.rowid WHERE c.date GLOB '2*' AND c.date <> cf.date;
SELECT '-- the generating table: WHERE on a date conditions, ranges filter';
CREATE VIRTUAL TABLE cg USING vae(c);
SELECT count(*), min(date), max(date) FROM (SELECT * FROM cg WHERE date = '2001-02-01' LIMIT 10);
SELECT count(*), min(date) > '2001-03-20' FROM (SELECT * FROM cg WHERE date > '2001-03-20' LIMIT 10);
SELECT count(*), sum(date BETWEEN lo AND hi) FROM (SELECT * FROM cg LIMIT 50), range;
SELECT '-- vae_fill: dates written as dates';
SELECT vae_fill('c', 'c');
SELECT count(*), sum(date = date(date)), sum(date BETWEEN lo AND hi) FROM c, range;
SELECT '-- ISO date-times with T and seconds keep their form';
CREATE TABLE e (ts TEXT, v REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO e SELECT CASE WHEN i % 10 = 3 THEN NULL
       ELSE strftime('%Y-%m-%dT%H:%M:%S', '2024-03-01 06:00:00', '+' || (i * 97) || ' minutes') END,
       i * 0.5 FROM s;
SELECT json_extract(vae_fit('e', 'e', o), '$.columns[0].kind') FROM o;
SELECT json_extract(columns, '$[0].format') FROM vae_models WHERE name = 'e';
SELECT count(*), sum(value ->> 'ts' GLOB '2024-03-0[1-5]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]'),
       sum(value ->> 'ts' BETWEEN (SELECT min(ts) FROM e) AND (SELECT max(ts) FROM e))
  FROM vae_sample('e', 100, 3);
SELECT vae_fill('e', 'e'), (SELECT count(*) FROM e WHERE ts GLOB '2024-03-0?T??:??:??');
SELECT '-- DATE columns of julian days (REAL) and TIMESTAMP of unix seconds (INTEGER)';
CREATE TABLE j (d DATE, t TIMESTAMP, v REAL);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 59)
INSERT INTO j SELECT CASE WHEN i % 9 = 4 THEN NULL ELSE julianday('2001-01-22') + i END,
       CASE WHEN i % 11 = 5 THEN NULL ELSE unixepoch('2020-06-01') + i * 3600 END, i FROM s;
SELECT json_extract(vae_fit('j', 'j', o), '$.columns[0].kind') FROM o;
SELECT json_extract(value, '$.name'), json_extract(value, '$.kind'), json_extract(value, '$.type'),
       json_extract(value, '$.format')
  FROM vae_models, json_each(columns) WHERE name = 'j';
SELECT count(*), sum(typeof(value -> '$.d') = 'real'), sum(typeof(value -> '$.t') = 'integer'),
       sum(value ->> 'd' BETWEEN (SELECT min(d) FROM j) AND (SELECT max(d) FROM j)),
       sum(value ->> 't' BETWEEN (SELECT min(t) FROM j) AND (SELECT max(t) FROM j))
  FROM vae_sample('j', 100, 1);
SELECT vae_fill('j', 'j'), (SELECT count(*) FROM j WHERE typeof(d) = 'real' AND typeof(t) = 'integer');
CREATE VIRTUAL TABLE jg USING vae(j);
SELECT count(*), min(d), max(d) FROM (SELECT * FROM jg WHERE d = '2001-02-01' LIMIT 5);
SELECT count(*), min(t), max(t) FROM (SELECT * FROM jg WHERE t = 1591000000 LIMIT 5);
SELECT '-- forced with types; and refused when a value is not a date';
CREATE TABLE u (t INTEGER, v REAL);
INSERT INTO u SELECT unixepoch('2020-06-01') + value * 86400, value FROM generate_series(1, 30);
SELECT json_extract(vae_fit('u', 'u', json_patch(o, '{"types": {"t": "date"}}')), '$.columns[0].kind') FROM o;
SELECT json_extract(columns, '$[0].format') FROM vae_models WHERE name = 'u';
SELECT typeof(value ->> 't') FROM vae_sample('u', 1);
SELECT json_extract(vae_fit('cc', 'c', json_patch(o, '{"types": {"date": "categorical"}}')), '$.columns[0].kind') FROM o;
CREATE TABLE bad (d TEXT, v REAL);
INSERT INTO bad VALUES ('2020-01-01', 1), ('2020-01-02', 2), ('yesterday', 3), ('2020-02-30', 4);
SELECT vae_fit('bad', 'bad', json_patch(o, '{"types": {"d": "date"}}')) FROM o;
SELECT json_extract(vae_fit('bad', 'SELECT d, v FROM bad WHERE rowid < 3', o), '$.columns[0].kind') FROM o;
INSERT INTO bad VALUES ('not a date', NULL);
SELECT vae_fill('bad', 'bad');
