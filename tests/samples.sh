#!/bin/sh
# samples.sh -- runs every sample of samples/ the way samples/README.md
# says, and checks that each did what it prints: fit, impute, sample, score.
# A sample whose runtime is missing (Node.js or its better-sqlite3 module,
# matplotlib, a Python that can load extensions) is skipped with a message;
# nothing is installed from here. Under CI=true a skip for want of Debian's
# python3 (tools/deps.sh test installs it) fails (lib/harness.sh). Needs vae.so and
# build/samples/vae_static (both built by `make test`). Ends with
# "N passed, N failed, N skipped".
. "$(dirname "$0")/lib/harness.sh"
harness_start samples

# expect FILE REGEX...: each extended regular expression matches a line.
expect() {
  f=$1
  shift
  for re in "$@"; do
    if ! grep -Eq -- "$re" "$f"; then
      echo "     no line matches: $re" >>"$tmp/why"
      return 1
    fi
  done
}
# no_errors FILE: no error message of the sqlite3 shell in FILE.
no_errors() {
  if grep -Eqi '^(error|parse error|runtime error)' "$1"; then
    echo "     the shell reported an error" >>"$tmp/why"
    return 1
  fi
}
# count FILE REGEX: the number of lines that match.
count() { grep -Ec -- "$2" "$1"; }
# result NAME OUT STATUS CHECKS...: ok when STATUS is 0 and CHECKS succeed.
result() {
  name=$1 out=$2 status=$3
  shift 3
  : >"$tmp/why"
  if [ "$status" -ne 0 ]; then
    echo "     exit status $status" >>"$tmp/why"
  elif "$@"; then
    ok "$name"
    return
  fi
  cat "$tmp/why" >>"$out"
  bad "$name" "$out"
}

# A Python whose sqlite3 module can load extensions: Debian's, first.
py=""
for p in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
  if [ -n "$p" ] && [ -x "$p" ] &&
     "$p" -c 'import sqlite3, sys; sys.exit(not hasattr(sqlite3.Connection, "enable_load_extension"))' \
       2>/dev/null; then
    py=$p
    break
  fi
done

# 1. The sqlite3 shell: samples/demo.sh (mammal sleep, the worked session).
out=$tmp/demo.txt
sh samples/demo.sh "$tmp/demo.db" >"$out" 2>&1
status=$?
demo_ok() {
  expect "$out" '^== vae_fit' '^== vae_impute' '^== vae_fill' '^== vae_sample' '^== vae_score' &&
    no_errors "$out" &&
    [ "$(count "$out" '"bw":')" -ge 3 ] &&
    [ "$(sqlite3 "$tmp/demo.db" "SELECT count(*) FROM vae_models WHERE name = 'sleep'")" = 1 ] &&
    [ "$(sqlite3 "$tmp/demo.db" "SELECT sum(sws IS NULL) + sum(ps IS NULL) + sum(ts IS NULL)
                                 + sum(mls IS NULL) + sum(gt IS NULL) FROM sleep")" = 0 ]
}
result "shell: samples/demo.sh fits, fills every NULL, samples, scores" "$out" $status demo_ok

# 2. The sqlite3 shell: samples/iris.sql (the virtual tables, vae_fidelity).
out=$tmp/iris.txt
sqlite3 :memory: <samples/iris.sql >"$out" 2>&1
status=$?
# The RMSE rows "│ petal_length │ 0.223 │ 1.75 │": the model beats the mean.
beats_mean() {
  awk -F'│' -v c="$1" '$2 ~ " " c " " { found = 1; if ($3 + 0 < $4 + 0) ok = 1 }
                       END { exit !(found && ok) }' "$out" ||
    { echo "     $1: imputation RMSE not below the mean's" >>"$tmp/why"; return 1; }
}
iris_ok() {
  expect "$out" '^== fit' '^== sample: CREATE VIRTUAL TABLE' "^== sample, conditioned" \
    '^== impute: CREATE VIRTUAL TABLE' '^== score' '^== fidelity' 'virginica' &&
    no_errors "$out" &&
    beats_mean sepal_length && beats_mean petal_length
}
result "shell: samples/iris.sql (vae tables, conditioned rows, draws, fidelity)" "$out" $status iris_ok

# 3. Python's sqlite3 module: samples/demo.py (Titanic).
if [ -z "$py" ]; then
  must_skip "python: samples/demo.py" "no python3 whose sqlite3 module can load extensions"
else
  out=$tmp/py.txt
  "$py" samples/demo.py ./vae >"$out" 2>"$tmp/py.err"
  status=$?
  py_ok() {
    expect "$out" '^loaded 1309 passengers' '^fit: epoch +25 +train loss [0-9.]+ +validation loss' \
      '^fit: 1309 rows' '^fit: held-out imputation error .*age [0-9.]+' \
      '^impute: passenger [0-9]+ .*age [0-9.]+$' '^impute: filled 263 ages in place, 0 left' \
      '^sample: \{"survived":"(yes|no)","sex":"(female|male)","age":[0-9.]+,"class":"(1st|2nd|3rd)"\}$' \
      '^sample: survival of 1st class women' '^score: passenger ' '^fidelity: overall 0\.[0-9]+' &&
      [ "$(count "$out" '^sample: \{')" -eq 3 ] && [ "$(count "$out" '^score: ')" -eq 3 ] &&
      # the progress lines were caught from stderr, none leaked
      if [ -s "$tmp/py.err" ]; then
        cat "$tmp/py.err" >>"$tmp/why"
        false
      fi
  }
  result "python: samples/demo.py fits (progress caught from stderr), imputes, samples, scores" \
    "$out" $status py_ok
fi

# 4. C, with the extension compiled in: build/samples/vae_static.
if [ ! -x build/samples/vae_static ]; then
  bad "c: build/samples/vae_static is not built (make samples)"
else
  out=$tmp/c.txt
  # From an empty directory: nothing is loaded at run time.
  (cd "$tmp" && "$root/build/samples/vae_static" "$root/samples/iris.csv") >"$out" 2>&1
  status=$?
  c_ok() {
    expect "$out" "^fit: model 'iris' on 150 rows" '^impute: row 10 \(setosa\): petal_length' \
      '^sample: \{"sepal_length":' '^score: row [0-9]+ ' &&
      awk '/^impute: RMSE over the 15 hidden cells/ { v = $8 + 0; m = $13 + 0; found = 1 }
           END { exit !(found && v < m) }' "$out" &&
      [ "$(count "$out" '^sample: ')" -eq 3 ] && [ "$(count "$out" '^score: ')" -eq 3 ] &&
      ! (ldd build/samples/vae_static 2>/dev/null | grep -q 'vae')
  }
  result "c: build/samples/vae_static (static, no vae.so) fits, imputes better than the mean, samples, scores" \
    "$out" $status c_ok
fi

# 5. Node.js with better-sqlite3 12: samples/node/demo.js.
if ! command -v node >/dev/null 2>&1; then
  skip "node: samples/node/demo.js" "node is not installed"
elif ! (cd samples/node && node -e "require.resolve('better-sqlite3')") >/dev/null 2>&1; then
  skip "node: samples/node/demo.js" "better-sqlite3 is not installed (cd samples/node && npm install)"
else
  out=$tmp/node.txt
  version=$(cd samples/node && node -p "require('better-sqlite3/package.json').version" 2>/dev/null)
  node samples/node/demo.js "$root/vae" >"$out" 2>&1
  status=$?
  node_ok() {
    case $version in 12.*) ;; *) echo "     better-sqlite3 $version, not 12.x" >>"$tmp/why"; return 1 ;; esac
    expect "$out" '^loaded 62 species' '^fit: 62 rows, [0-9]+ epochs' '^impute: .*: ps [0-9.]+ hours' \
      '^impute: vae_fill filled 38 cells in place' '^sample: \{"bw":' '^score: ' &&
      [ "$(count "$out" '^sample: ')" -eq 3 ] && [ "$(count "$out" '^score: ')" -eq 3 ]
  }
  result "node: samples/node/demo.js (better-sqlite3 $version) fits, imputes, fills, samples, scores" \
    "$out" $status node_ok
fi

# 6. Plots: samples/plot.py on the demo database of 1.
if [ -z "$py" ]; then
  must_skip "plots: samples/plot.py" "no python3 whose sqlite3 module can load extensions"
elif ! "$py" -c 'import matplotlib' >/dev/null 2>&1; then
  skip "plots: samples/plot.py" "matplotlib is not installed (apt-get install python3-matplotlib)"
elif [ ! -f "$tmp/demo.db" ]; then
  bad "plots: samples/plot.py (no demo database from samples/demo.sh)"
else
  out=$tmp/plot.txt
  "$py" samples/plot.py "$tmp/demo.db" sleep --out "$tmp/plots" >"$out" 2>&1
  status=$?
  png_ok() { # a PNG file of 5 KB to 200 KB
    f=$tmp/plots/$1
    [ -f "$f" ] && [ "$(head -c 8 "$f" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] &&
      [ "$(wc -c <"$f")" -gt 5000 ] && [ "$(wc -c <"$f")" -lt 200000 ] ||
      { echo "     $1: not a PNG of 5 to 200 KB" >>"$tmp/why"; return 1; }
  }
  plot_ok() { expect "$out" 'wrote .*loss.png' 'wrote .*columns.png' && png_ok loss.png && png_ok columns.png; }
  result "plots: samples/plot.py draws loss.png and columns.png from the demo database" \
    "$out" $status plot_ok
fi

# 7. The pictures in docs/ that samples/README.md shows.
for f in docs/loss.png docs/columns.png; do
  if [ -f "$f" ] && [ "$(wc -c <"$f")" -lt 200000 ]; then
    ok "$f is there and under 200 KB"
  else
    bad "$f is missing or 200 KB or more"
  fi
done

# 8. Fit progress in the shell: {"verbose": true} prints one line per epoch
# on stderr, none on stdout; a fit of 3 rows has two members (the default
# up to 10,000 rows), so on one thread each epoch number comes twice, the
# second member's four first; on two threads the second member trains
# beside the first and only the first's epochs are printed.
# verbose_fit THREADS LINES: the fit on THREADS threads prints LINES epoch
# lines, of which LINES / 4 for epoch 4.
verbose_fit() {
  sqlite3 :memory: '.load ./vae' \
    "SELECT json_extract(vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL SELECT 2, 3.5 UNION ALL SELECT 3, 5.25', '{\"epochs\": 4, \"patience\": 10, \"verbose\": true, \"threads\": $1}'), '\$.epochs')" \
    >"$tmp/verbose$1.out" 2>"$tmp/verbose$1.err"
  status=$?
  threads=$1 lines=$2
  cat "$tmp/verbose$1.err" >"$tmp/verbose$1.txt"
}
verbose_ok() {
  [ "$(cat "$tmp/verbose$threads.out")" = 4 ] &&
    [ "$(count "$tmp/verbose$threads.err" '^vae_fit: epoch [1-4] train [0-9.]+ val ')" -eq "$lines" ] &&
    [ "$(count "$tmp/verbose$threads.err" '^vae_fit: epoch 4 train ')" -eq $((lines / 4)) ]
}
verbose_fit 1 8
result 'shell: {"verbose": true, "threads": 1} prints one progress line per epoch of each member on stderr' \
  "$tmp/verbose1.txt" $status verbose_ok
verbose_fit 2 4
result 'shell: {"verbose": true, "threads": 2} prints the first member'"'"'s epochs alone (the second trains beside it)' \
  "$tmp/verbose2.txt" $status verbose_ok

harness_end
