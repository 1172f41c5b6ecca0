#!/bin/sh
# The whole test suite: the C unit tests of core/ and the SQL tests of ext/
# through the sqlite3 shell. Run by `make test` (which builds what it needs);
# ends with one line "N passed, N failed, N skipped".
#
# A suite whose tool is missing here is skipped with the reason, and counted.
# Under CI (CI=true) a skip of a suite that CI installs the tools for
# (tools/deps.sh test) is a failure: a green CI must have run them.
set -u
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/vae_tests.XXXXXX")
trap 'rm -f "$log"' EXIT INT TERM
passed=0
failed=0
skipped=0
result='^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'

# One suite: its output is shown, its closing "N passed, N failed[, N
# skipped]" counted; a suite that crashes or prints no such line counts as
# one failure.
suite() {
  name=$1
  shift
  echo "== $name"
  "$@" >"$log" 2>&1
  status=$?
  grep -v -E "$result" "$log"
  line=$(grep -E "$result" "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "$name: no result line (exit status $status)"
    failed=$((failed + 1))
    return
  fi
  p=${line%% passed*}
  f=${line#*passed, }
  f=${f%% failed*}
  s=0
  case "$line" in *skipped) s=${line##*failed, }; s=${s%% skipped} ;; esac
  echo "$name: $line"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: exit status $status"
    failed=$((failed + 1))
  fi
}

# skip NAME REASON: a suite that cannot run here. Under CI it fails.
skip() {
  echo "== $1: skipped ($2)"
  skipped=$((skipped + 1))
  if [ "${CI:-}" = true ]; then
    echo "$1: CI installs what this suite needs, so it must run there"
    failed=$((failed + 1))
  fi
}

# Small GEMMs run faster on one thread; tests also want steady timing.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
suite "core unit tests" build/test_core
# The locale tests of number text run under a decimal-comma locale that
# make test builds in build/locale (the system may have none).
[ -f build/locale/de_DE.UTF-8/LC_NUMERIC ] && VAE_LOCPATH="$PWD/build/locale" || VAE_LOCPATH=""
suite "JSON and options" env ${VAE_LOCPATH:+LOCPATH=$VAE_LOCPATH} build/test_json
suite "SQL tests" sh tests/sql_run.sh ./vae.so
suite "out-of-memory injection" build/oom_ext ./vae.so
suite "exported symbols" sh tests/symbols.sh

# The same under AddressSanitizer and UndefinedBehaviorSanitizer (built by
# make test in build/asan/; any report fails the run). The sqlite3 shell
# and python3 load build/asan/vae.so with the ASan runtime preloaded; the
# Python cases run without leak checking (the interpreter itself leaks at
# exit), the shell cases with it.
if [ -f build/asan/vae.so ]; then
  suite "core unit tests, ASan+UBSan" build/asan/test_core
  suite "JSON and options, ASan+UBSan" env ${VAE_LOCPATH:+LOCPATH=$VAE_LOCPATH} build/asan/test_json
  asan_rt=$(ldd build/asan/vae.so 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\).*/\1/p' | head -n 1)
  if [ -n "$asan_rt" ]; then
    sql_cases=$(cd tests/sql && ls *.sql 2>/dev/null)
    py_cases=$(cd tests/sql && ls *.py 2>/dev/null | sed 's/\.py$//')
    suite "SQL tests, ASan+UBSan" env LD_PRELOAD="$asan_rt" ASAN_OPTIONS=detect_leaks=1 \
      sh tests/sql_run.sh build/asan/vae.so $sql_cases
    suite "Python SQL tests, ASan+UBSan" env LD_PRELOAD="$asan_rt" ASAN_OPTIONS=detect_leaks=0 \
      sh tests/sql_run.sh build/asan/vae.so $py_cases
  else
    skip "SQL tests, ASan+UBSan" "build/asan/vae.so does not link libasan"
  fi
  suite "out-of-memory injection, ASan+UBSan" build/asan/oom_ext build/asan/vae.so
else
  skip "sanitizer suites" "build/asan/vae.so was not built"
fi

# Two threads on two connections at once, one fitting and one imputing,
# with vae.so and the program built with ThreadSanitizer (make test builds
# them in build/tsan/ with clang); a data race is a report and fails.
if [ -x build/tsan/threads ] && [ -f build/tsan/vae.so ]; then
  suite "two threads, ThreadSanitizer" build/tsan/threads build/tsan/vae.so
elif ! command -v clang >/dev/null 2>&1; then
  echo "== two threads, ThreadSanitizer: skipped (no clang)"
else
  echo "== two threads, ThreadSanitizer: not built although clang is there (make test builds it)"
  failed=$((failed + 1))
fi

# Fuzzing for a short, bounded time (make fuzz runs longer); built by make
# test when clang with libFuzzer is there. A crash, leak or hang fails.
if [ -x build/fuzz/fuzz_options ] && [ -x build/fuzz/fuzz_blob ]; then
  suite "fuzzing, ${FUZZ_CI_SECONDS:-10} s per target" sh tests/fuzz.sh "${FUZZ_CI_SECONDS:-10}"
else
  skip "fuzzing" "no clang with libFuzzer"
fi

# The SQL tests once more under valgrind's memcheck, with vae.so as shipped
# (-O3, no sanitizer): any error or leak fails (about 40 s).
if command -v valgrind >/dev/null 2>&1; then
  suite "SQL tests under valgrind" sh tests/valgrind.sh ./vae.so
else
  skip "SQL tests under valgrind" "no valgrind"
fi

# The samples of samples/ (shell, Python, C compiled in, Node.js, plots; a
# sample whose runtime is missing is skipped with a message), and make
# install / uninstall into DESTDIR staging directories.
suite "samples" sh tests/samples.sh
suite "install" sh tests/install.sh
# The Python and npm packages, installed into a venv and an npm folder.
suite "packages" sh tests/packages.sh

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
