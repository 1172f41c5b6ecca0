#!/bin/sh
# valgrind.sh -- the SQL tests of tests/sql/*.sql through the sqlite3 shell
# with the normal vae.so under valgrind's memcheck (make valgrind). A case
# fails on any valgrind error or leak (exit status 99), not on its output
# (make test compares outputs). Slower than the ASan run of make test, and
# a check of the optimized build as shipped. Ends with "N passed, N failed".
#
# Usage: sh tests/valgrind.sh [path/to/vae.so] [NAME ...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
so=$here/../vae.so
case "${1:-}" in
  *.so) so=$1; shift ;;
esac
so=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")
command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: valgrind is missing" >&2; exit 2; }
if [ $# -gt 0 ]; then
  cases=""
  for n in "$@"; do cases="$cases $here/sql/${n%.sql}.sql"; done
else
  cases=$(ls "$here"/sql/*.sql | sort)
fi
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vae_vg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0
for f in $cases; do
  name=$(basename "$f" .sql)
  mkdir -p "$tmp/$name"
  ln -s "$so" "$tmp/$name/vae.so"
  ln -s "$here/data" "$tmp/$name/data"
  (cd "$tmp/$name" && valgrind -q --error-exitcode=99 --leak-check=full \
     --errors-for-leak-kinds=definite,indirect sqlite3 :memory: <"$f" >out.txt 2>&1)
  if [ $? -eq 99 ]; then
    fail=$((fail + 1))
    echo "FAIL $name"
    grep -E '^==[0-9]+==' "$tmp/$name/out.txt" | head -n 20
  else
    pass=$((pass + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
