#!/bin/sh
# The demo of `make demo`: loads samples/mammalsleep.csv into a fresh
# database (demo.db), then runs samples/demo.sql in the sqlite3 shell.
set -e
cd "$(dirname "$0")/.."
db=${1:-demo.db}
rm -f "$db"
sqlite3 "$db" <<SQL
.read samples/mammalsleep.sql
CREATE TEMP TABLE raw (species, bw, brw, sws, ps, ts, mls, gt, pi, sei, odi);
.import --csv --skip 1 samples/mammalsleep.csv raw
INSERT INTO sleep (species, bw, brw, sws, ps, ts, mls, gt, pi, sei, odi)
SELECT species, nullif(bw, ''), nullif(brw, ''), nullif(sws, ''), nullif(ps, ''), nullif(ts, ''),
       nullif(mls, ''), nullif(gt, ''), nullif(pi, ''), nullif(sei, ''), nullif(odi, '') FROM raw;
SQL
sqlite3 "$db" < samples/demo.sql
echo "(the database is $db: open it with sqlite3 and '.load ./vae' to go on)"
