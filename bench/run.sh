#!/bin/sh
# The benchmarks (run by `make bench` from the repo root; never by CI).
#
#   sh bench/run.sh [--quick] [--only impute|generate|speed|threads|scale|wide] [--so PATH]
#
# --quick: one seed, short speed, threads and scale runs; the imputation part cuts
#   every table to 500 rows and leaves out R mice and the torch MIWAE.
# The imputation part runs the six tables and the 19 of bench/data/suite
# under MCAR, MAR and MNAR; it caches each job in
# build/bench/impute_cache.jsonl, so an interrupted run resumes and a new
# vae.so is measured against the peers' cached numbers.
# --only PART (repeatable, or a comma list): run just those parts.
# The environment works too: `make bench QUICK=1 ONLY=speed`.
#
# Each part prints its tables and replaces its section of bench/results.md.
# The peers come from Debian packages, installed here when run as root:
# numpy, scipy, scikit-learn, PyTorch, and R with mice and ranger. The
# cblas_sgemm probe (bench/sgemm_peak.c) is compiled into build/bench/.
set -e
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
PKGS="python3-numpy python3-scipy python3-sklearn python3-torch r-base-core r-cran-mice r-cran-ranger"

quick=${QUICK:-0}
only=${ONLY:-}
so=./vae.so
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --only) shift; only="$only,$1" ;;
        --only=*) only="$only,${1#--only=}" ;;
        --so) shift; so=$1 ;;
        *) echo "bench: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ "$quick" = 0 ] || [ "$quick" = 1 ] || quick=1
parts=$(echo "$only" | tr ',' ' ')
[ -n "$parts" ] || parts="impute generate speed threads scale wide"
for p in $parts; do
    case "$p" in impute|generate|speed|threads|scale|wide) ;;
        *) echo "bench: unknown part $p (impute, generate, speed, threads, scale, wide)" >&2; exit 2 ;;
    esac
done

have_peers() {
    "$PY" -c 'import numpy, scipy, sklearn, torch' >/dev/null 2>&1 &&
        Rscript -e 'library(mice); library(ranger)' >/dev/null 2>&1
}
if ! have_peers; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "bench: installing $PKGS" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y $PKGS || { apt-get update && apt-get install -y $PKGS; }
    else
        echo "bench: the peers are missing; install them with:" >&2
        echo "  sudo apt-get install -y $PKGS" >&2
        exit 1
    fi
fi

[ -f "$so" ] || make -s vae.so
mkdir -p build/bench
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L bench/sgemm_peak.c \
    $(pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread) \
    $(pkg-config --libs openblas 2>/dev/null || echo -lopenblas) -o build/bench/sgemm_peak

q=""
[ "$quick" = 1 ] && q=--quick
extra=""
command -v perf >/dev/null 2>&1 && [ "$quick" = 0 ] && extra=--profile

start=$(date +%s)
for p in $parts; do
    t0=$(date +%s)
    case "$p" in
        speed) "$PY" bench/speed.py $q $extra --so "$so" ;;
        *) "$PY" bench/$p.py $q --so "$so" ;;
    esac
    echo "bench: $p took $(( $(date +%s) - t0 ))s" >&2
done
echo "bench: done in $(( $(date +%s) - start ))s; tables in ${BENCH_RESULTS:-bench/results.md}" >&2
