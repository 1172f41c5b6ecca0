-- vae_version(): a semantic version, the one core/version.h holds (tests/
-- packages.sh compares it with make version and both packages). It is
-- DETERMINISTIC (usable in a generated column) and INNOCUOUS (usable in a
-- view with trusted_schema off); it takes no argument.
.load ./vae
SELECT vae_version() GLOB '[0-9]*.[0-9]*.[0-9]*' AND vae_version() NOT GLOB '*[^0-9.]*';
PRAGMA trusted_schema = OFF;
CREATE TABLE t(a, v AS (vae_version()));
INSERT INTO t(a) VALUES (1);
CREATE VIEW w AS SELECT vae_version() = v AS same FROM t;
SELECT same FROM w;
SELECT vae_version('x');
-- A fitted model's blob names its writer right after the format version:
-- "VAEM", u32 5 (the format), u32 length, the version.
SELECT json_extract(vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL SELECT 2, 3.5 UNION ALL SELECT 3, 5.25',
                            '{"epochs": 2}'), '$.rows');
SELECT substr(model, 1, 4) = CAST('VAEM' AS BLOB), hex(substr(model, 5, 4)),
       CAST(substr(model, 13, length(vae_version())) AS TEXT) = vae_version(),
       hex(substr(model, 9, 4)) = printf('%02X000000', length(vae_version()))
  FROM vae_models WHERE name = 'm';
