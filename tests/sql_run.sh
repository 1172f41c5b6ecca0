#!/bin/sh
# sql_run.sh -- runs the SQL tests of ext/ through the sqlite3 shell.
#
# Each case is tests/sql/NAME.sql (or NAME.py, run by python3 with the path
# of vae.so, for what the shell cannot do, e.g. interrupting) with its exact
# expected output (stdout and stderr together) in tests/sql/NAME.expected. A case runs in a fresh
# temporary directory holding a link ./vae.so to the built extension, so it
# loads it with `.load ./vae` and may `.open` files there to test reopening.
# Error lines are normalized to "error: MESSAGE" (the shell's prefix, with
# line numbers, varies between SQLite versions).
#
# Usage: sh tests/sql_run.sh [path/to/vae.so] [NAME ...]
#        UPDATE=1 sh tests/sql_run.sh ...   rewrites the .expected files
# UPDATE=1 refuses to record a failure as expected: a case that crashed (a
# signal), a Python case that exited non-zero, or output with a failed check
# ("label: False"), a traceback or a sanitizer report fails instead.
set -u
here=$(cd "$(dirname "$0")" && pwd)
so=$here/../vae.so
case "${1:-}" in
  *.so) so=$1; shift ;;
esac
so=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")
if [ ! -f "$so" ]; then
  echo "sql_run: no extension at $so (run make first)" >&2
  exit 2
fi
command -v sqlite3 >/dev/null 2>&1 || { echo "sql_run: the sqlite3 shell is missing" >&2; exit 2; }

if [ $# -gt 0 ]; then
  cases=""
  for n in "$@"; do
    n=${n%.sql}
    if [ -f "$here/sql/$n.py" ]; then cases="$cases $here/sql/$n.py"; else cases="$cases $here/sql/$n.sql"; fi
  done
else
  cases=$(ls "$here"/sql/*.sql "$here"/sql/*.py 2>/dev/null | sort)
fi
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)

pass=0
fail=0
skipped=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vae_sql.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
for f in $cases; do
  name=$(basename "$f"); name=${name%.sql}; name=${name%.py}
  expected="$here/sql/$name.expected"
  dir="$tmp/$name"
  mkdir -p "$dir"
  ln -s "$so" "$dir/vae.so"
  ln -s "$here/data" "$dir/data"   # small data sets: .import data/x.csv
  case "$f" in
    *.py)
      if [ -z "$py" ]; then echo "skip $name: no python3"; skipped=$((skipped + 1)); continue; fi
      (cd "$dir" && "$py" "$f" "$so" 2>&1) >"$dir/out.txt"
      status=$? ;;
    *)
      (cd "$dir" && sqlite3 :memory: <"$f" >"$dir/raw.txt" 2>&1)
      status=$?
      # The shell exits 1 after an SQL error, which many cases test for.
      [ "$status" -eq 1 ] && status=0
      sed -E 's/^(Parse|Runtime) error near line [0-9]+: /error: /; s/^Error: near line [0-9]+: /error: /' \
        "$dir/raw.txt" >"$dir/out.txt" ;;
  esac
  if [ "${UPDATE:-0}" = 1 ]; then
    bad=$(grep -n -E ': False( |$)|^Traceback |AddressSanitizer|runtime error:|LeakSanitizer' "$dir/out.txt" | head -n 3)
    if [ "$status" -ne 0 ] || [ -n "$bad" ]; then
      fail=$((fail + 1))
      echo "FAIL $name: not recorded as expected (exit status $status)"
      [ -n "$bad" ] && echo "$bad" | sed 's/^/  /'
      continue
    fi
    cp "$dir/out.txt" "$expected"
  fi
  if [ -f "$expected" ] && cmp -s "$dir/out.txt" "$expected"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name"
    if [ -f "$expected" ]; then
      diff "$expected" "$dir/out.txt" | head -20
    else
      echo "  (no $name.expected)"
    fi
  fi
done
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
