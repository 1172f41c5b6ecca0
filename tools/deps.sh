#!/bin/sh
# Installs what vae needs to build and test on Debian: a C compiler, make,
# SQLite's headers and shell, OpenBLAS (CBLAS). As root it runs apt-get;
# otherwise it prints the exact command and stops.
#   sh tools/deps.sh build    what `make` and `make demo` need
#   sh tools/deps.sh test     that, plus the test tools (valgrind, clang)
set -e
want="gcc make pkg-config libsqlite3-dev libopenblas-dev libopenblas-pthread-dev sqlite3"
[ "${1:-build}" = test ] && want="$want python3 valgrind clang libclang-rt-14-dev locales"

missing=""
for pkg in $want; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "vae needs these Debian packages:$missing" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
