#!/bin/sh
# Installs what vae needs to build and test on Debian: a C compiler, make,
# SQLite's headers and shell, OpenBLAS (CBLAS). As root it runs apt-get;
# otherwise it prints the exact command and stops.
#   sh tools/deps.sh build    what `make` and `make demo` need
#   sh tools/deps.sh test     that, plus the test tools (valgrind, clang) and
#                             what tests/packages.sh installs the Python and
#                             npm packages with: pip, setuptools, wheel, venv,
#                             and Node.js with npm unless a node and an npm
#                             are already on the PATH (from any source)
set -e
want="gcc make pkg-config libsqlite3-dev libopenblas-dev libopenblas-pthread-dev sqlite3"
# Installed without their recommended packages (pip recommends a whole
# toolchain and python3-dev; npm recommends node-gyp): CI stays small.
lean=""
if [ "${1:-build}" = test ]; then
  want="$want python3 valgrind clang libclang-rt-14-dev locales"
  lean="python3-pip python3-setuptools python3-wheel python3-venv"
  command -v node >/dev/null 2>&1 || lean="$lean nodejs"
  command -v npm >/dev/null 2>&1 || lean="$lean npm"
fi

missing() {
  out=""
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || out="$out $pkg"
  done
  echo "$out"
}
missing_want=$(missing $want)
missing_lean=$(missing $lean)
[ -z "$missing_want$missing_lean" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "vae needs these Debian packages:$missing_want$missing_lean" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y$missing_want$missing_lean" >&2
  exit 1
fi
echo "installing:$missing_want$missing_lean"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ -z "$missing_want" ] || apt-get install -y -qq $missing_want >/dev/null
[ -z "$missing_lean" ] || apt-get install -y -qq --no-install-recommends $missing_lean >/dev/null
