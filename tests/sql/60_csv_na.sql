-- A CSV imported by the shell: every field TEXT, empty fields '', NA text.
-- tests/data/ozone_na.csv: 40 days of the Los Angeles ozone data (V1-V8 of
-- ../shared/data/suite/ozone.csv), its own empty cells and 8 NA spellings.
.load ./vae
.import --csv data/ozone_na.csv oz
SELECT typeof(ozone), count(*) FROM oz GROUP BY 1;
CREATE TEMP VIEW o AS SELECT '{"epochs": 5, "hidden": [16], "latent": 2, "seed": 3}' AS o;
SELECT '-- every column numeric; NA text and '''' are missing, counted per column';
CREATE TEMP TABLE r AS SELECT vae_fit('oz', 'oz', o) AS j FROM o;
SELECT json_extract(value, '$.name') || ' ' || json_extract(value, '$.kind') FROM r, json_each(j, '$.columns');
SELECT json_extract(j, '$.na_cells'), json_extract(j, '$.skipped') FROM r;
SELECT json_extract(options, '$.na') FROM vae_models;
SELECT '-- vae_impute reads NA text as missing';
SELECT typeof(vae_impute('oz', 'ozone', json_object('ozone', 'NA', 'temp', '40')));
SELECT vae_impute('oz', 'ozone', json_object('ozone', ' 7 ')), vae_impute('oz', 'ozone', 1, 2, 3, '5', 5000, 3, 40, 50);
SELECT '-- the source= table fills them, in the column''s type';
CREATE VIRTUAL TABLE full USING vae(oz, source=oz);
SELECT count(*), sum(typeof(ozone) = 'integer'), sum(typeof(height) = 'integer'), sum(typeof(temp) = 'integer')
  FROM full;
SELECT count(*) FROM full WHERE ozone IS NULL OR height IS NULL OR wind IS NULL OR humidity IS NULL OR temp IS NULL;
SELECT rowid, month, day, weekday, ozone, height, wind FROM full WHERE rowid IN (1, 2, 4) AND draw = 0;
SELECT '-- vae_fill updates every NA or empty cell, writing integers';
SELECT vae_fill('oz', 'oz');
SELECT count(*) FROM oz WHERE ozone IN ('', 'NA', 'None', 'N/A') OR height IN ('n/a', 'na') OR wind = 'NULL'
   OR humidity = ' - ' OR temp IN ('', 'NaN');
SELECT DISTINCT typeof(ozone) FROM oz;
SELECT count(*) FROM oz WHERE CAST(ozone AS INTEGER) || '' <> ozone OR CAST(height AS INTEGER) || '' <> height;
SELECT vae_fill('oz', 'oz');
SELECT '-- "na" replaces the list: only ? is missing; [] turns it off';
CREATE TABLE q (a TEXT, b TEXT);
INSERT INTO q VALUES ('1', '?'), ('2', 'x'), ('?', 'y'), ('4', 'NA'), ('5', 'x'), ('6', 'y'),
  ('7', 'x'), ('8', 'y'), ('9', 'x'), ('10', 'y'), ('11', 'x');
SELECT json_extract(j, '$.na_cells'), json_extract(j, '$.columns[1].kind')
  FROM (SELECT vae_fit('q', 'q', json_patch(o, '{"na": ["?"]}')) AS j FROM o);
SELECT json_extract(columns, '$[1].levels') FROM vae_models WHERE name = 'q';
SELECT json_extract(vae_fit('q0', 'q', json_patch(o, '{"na": []}')), '$.na_cells') FROM o;
SELECT json_extract(columns, '$[1].levels') FROM vae_models WHERE name = 'q0';
SELECT vae_fill('q', 'q'), (SELECT group_concat(a, ',') FROM q) GLOB '1,2,*,4,5,6,7,8,9,10,11';
SELECT b FROM q WHERE rowid IN (1, 4);
SELECT vae_fit('q', 'q', json_patch(o, '{"na": "?"}')) FROM o;
SELECT '-- stray text in a numeric column is an error naming it, not a categorical';
CREATE TABLE s AS SELECT * FROM oz;
UPDATE s SET ozone = 'missing' WHERE rowid = 7;
SELECT vae_fit('s', 's', o) FROM o;
SELECT json_extract(vae_fit('s', 's', json_patch(o, '{"na": ["", "missing"]}')), '$.na_cells') FROM o;
