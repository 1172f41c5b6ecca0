#!/bin/sh
# The whole test suite: the C unit tests of core/ and the SQL tests of ext/
# through the sqlite3 shell. Run by `make test` (which builds what it needs);
# ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/vae_tests.XXXXXX")
trap 'rm -f "$log"' EXIT INT TERM
passed=0
failed=0

# One suite: its output is shown, its closing "N passed, N failed" counted;
# a suite that crashes or prints no such line counts as one failure.
suite() {
  name=$1
  shift
  echo "== $name"
  "$@" >"$log" 2>&1
  status=$?
  grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$log"
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "$name: no result line (exit status $status)"
    failed=$((failed + 1))
    return
  fi
  p=${line%% passed*}
  f=${line#*passed, }
  f=${f%% failed*}
  echo "$name: $line"
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: exit status $status"
    failed=$((failed + 1))
  fi
}

# Small GEMMs run faster on one thread; tests also want steady timing.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
suite "core unit tests" build/test_core
suite "JSON and options" build/test_json
suite "SQL tests" sh tests/sql_run.sh ./vae.so
suite "out-of-memory injection" build/oom_ext ./vae.so

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
