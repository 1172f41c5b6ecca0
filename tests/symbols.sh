#!/bin/sh
# symbols.sh -- vae.so is a guest in the host process: it exports
# sqlite3_vae_init and nothing else, and a host that defines the names
# vae.so's own functions have (json_parse, adam_step, dense_forward, ...)
# does not change what vae.so calls.
#
# 1. `nm -D --defined-only` of vae.so, build/libvae.so (make install's copy)
#    and build/asan/vae.so, when built, lists exactly sqlite3_vae_init.
# 2. The sqlite3 shell runs with build/preload_names.so preloaded
#    (LD_PRELOAD; tests/preload_names.c: the 134 names vae.so exported
#    before they were hidden, each one aborting when called) and fits,
#    imputes, samples, fills and scans both virtual tables; the output must
#    be the expected one. With the old build this aborted at the first
#    call (vae_register_fit).
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

for so in vae.so build/libvae.so build/asan/vae.so; do
  [ -f "$so" ] || continue
  got=$(nm -D --defined-only "$so" | awk '{print $NF}' | tr '\n' ' ')
  if [ "$got" = "sqlite3_vae_init " ]; then ok; else bad "$so exports: $got"; fi
done

pre=build/preload_names.so
if [ ! -f "$pre" ]; then
  bad "$pre is not built (make test builds it)"
else
  want='1
real
5
1
3
ok'
  got=$(cd "${TMPDIR:-/tmp}" && OPENBLAS_NUM_THREADS=1 LD_PRELOAD="$OLDPWD/$pre" sqlite3 :memory: \
    ".load $OLDPWD/vae.so" \
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL, k TEXT)" \
    "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 199)
     INSERT INTO t(a, b, k) SELECT i * 0.5, CASE WHEN i % 10 = 3 THEN NULL ELSE i % 7 END,
       substr('xyz', i % 3 + 1, 1) FROM s" \
    "SELECT json_valid(vae_fit('m', 't', '{\"epochs\": 3, \"seed\": 1}'))" \
    "SELECT typeof(vae_impute('m', 'a', NULL, 1, 'x'))" \
    "SELECT count(*) FROM vae_sample('m', 5, 1)" \
    "SELECT vae_score('m', 1.0, 2, 'x') IS NOT NULL" \
    "CREATE VIRTUAL TABLE g USING vae(m); CREATE VIRTUAL TABLE f USING vae(m, source=t);
     SELECT (SELECT count(*) FROM (SELECT * FROM g LIMIT 2)) + (SELECT count(*) FROM f WHERE rowid = 1)" \
    "SELECT CASE WHEN vae_fill('m', 't') = 20 AND (SELECT count(*) FROM t WHERE b IS NULL) = 0
            THEN 'ok' ELSE 'fill wrong' END" 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && [ "$got" = "$want" ]; then ok; else
    bad "with $pre preloaded (exit status $status):"
    echo "$got"
  fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
