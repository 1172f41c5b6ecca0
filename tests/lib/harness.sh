# harness.sh -- what the shell suites tests/install.sh, tests/packages.sh and
# tests/samples.sh share: setup, the pass / fail / skip counts and the
# closing line that tests/run.sh adds up. Sourced, not run:
#
#   . "$(dirname "$0")/lib/harness.sh"
#   harness_start NAME     cd to the repository root (root=its path), make a
#                          temporary directory $tmp (removed at exit)
#   check NAME CMD...      runs CMD (output kept in $tmp/out): ok or FAIL
#   ok NAME                a pass
#   bad NAME [FILE]        a failure, with the last 20 lines of FILE
#   skip NAME REASON       cannot run here (a tool is missing): counted
#   must_skip NAME REASON  the same for a tool that tools/deps.sh test
#                          installs: under CI (CI=true) it also fails, so a
#                          green CI run has run it
#   harness_end            prints "N passed, N failed, N skipped"; the
#                          script's exit status is 1 when any failed
# Each line of output starts with "ok   ", "FAIL ", "skip " or five spaces.

harness_start() {
  set -u
  cd "$(dirname "$0")/.." || exit 1
  root=$(pwd)
  pass=0
  fail=0
  skipped=0
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vae_$1.XXXXXX") || exit 1
  trap 'rm -rf "$tmp"' EXIT INT TERM
}

ok() {
  pass=$((pass + 1))
  echo "ok   $1"
}

bad() {
  fail=$((fail + 1))
  echo "FAIL $1"
  if [ $# -gt 1 ] && [ -f "$2" ]; then tail -n 20 "$2" | sed 's/^/     /'; fi
}

check() {
  name=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then ok "$name"; else bad "$name" "$tmp/out"; fi
}

skip() {
  skipped=$((skipped + 1))
  echo "skip $1: $2"
}

must_skip() {
  skip "$1" "$2"
  if [ "${CI:-}" = true ]; then
    fail=$((fail + 1))
    echo "FAIL $1: CI installs it (tools/deps.sh test), so it must run there"
  fi
}

harness_end() {
  echo "$pass passed, $fail failed, $skipped skipped"
  [ "$fail" -eq 0 ]
}
