-- The mammal sleep data (Allison and Cicchetti 1976): 62 species, 10
-- numeric columns, with real gaps in sws, ps, ts, mls and gt.
DROP TABLE IF EXISTS sleep;
CREATE TABLE sleep (
  id INTEGER PRIMARY KEY,
  species TEXT, bw REAL, brw REAL, sws REAL, ps REAL, ts REAL,
  mls REAL, gt REAL, pi INTEGER, sei INTEGER, odi INTEGER
);
