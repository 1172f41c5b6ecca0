#!/bin/sh
# fuzz.sh -- runs the libFuzzer targets (built by `make fuzz`) for a bounded
# time each, starting from the seed corpora in tests/fuzz/. New inputs go to
# build/fuzz/work_NAME (the committed seeds are only read); a crash, leak,
# timeout or out-of-memory leaves its input in build/fuzz/ and counts as a
# failure. Ends with "N passed, N failed" (one per target).
#
# Usage: sh tests/fuzz.sh SECONDS [NAME ...]     NAME: options, blob
set -u
cd "$(dirname "$0")/.."
secs=${1:-60}
shift 2>/dev/null || true
names=${*:-"options blob"}
export OPENBLAS_NUM_THREADS=1
pass=0
fail=0
for n in $names; do
  bin=build/fuzz/fuzz_$n
  if [ ! -x "$bin" ]; then
    echo "fuzz_$n: not built (make fuzz needs clang with libFuzzer)"
    fail=$((fail + 1))
    continue
  fi
  work=build/fuzz/work_$n
  mkdir -p "$work"
  log=build/fuzz/fuzz_$n.log
  # -timeout: one input may take at most 10 s; -rss_limit_mb: 2 GB.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix=build/fuzz/ "$work" tests/fuzz/corpus_$n >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+).*/cov \1, ft \2/')
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  if [ "$status" -eq 0 ]; then
    pass=$((pass + 1))
    echo "fuzz_$n: ${runs:-?} runs in ${secs} s (${rate:-?}/s), ${cov:-no coverage line}"
  else
    fail=$((fail + 1))
    echo "FAIL fuzz_$n (exit status $status), see $log:"
    grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -n 8
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
