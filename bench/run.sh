#!/bin/sh
# Imputation benchmark (run by `make bench` from the repo root).
# Needs Debian's python3 with numpy and scikit-learn; installs them if root.
# QUICK=1 runs one seed instead of three. Other arguments go to impute.py.
set -e
cd "$(dirname "$0")/.."

PY=/usr/bin/python3
PKGS="python3-numpy python3-sklearn"

if ! "$PY" -c 'import numpy, sklearn' >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "bench: installing $PKGS" >&2
        apt-get install -y $PKGS || { apt-get update && apt-get install -y $PKGS; }
    else
        echo "bench: numpy and scikit-learn are missing; install them with:" >&2
        echo "  sudo apt-get install -y $PKGS" >&2
        exit 1
    fi
fi

if [ "${QUICK:-0}" = 1 ]; then
    set -- --quick "$@"
fi

exec "$PY" bench/impute.py "$@"
