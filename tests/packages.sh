#!/bin/sh
# packages.sh -- the Python package (bindings/python) and the npm package
# (bindings/node), each installed into a temporary place the way their
# README lines say, then used to fit a model: pip install into a venv,
# pip wheel (platform tag, vae.so inside), npm pack and npm install of the
# tarball into an empty folder (the vae.so it carries, and one built from
# the sources it carries), load() into better-sqlite3 and node:sqlite where
# they are there. Also checks that every version agrees: core/version.h
# (make version), vae_version(), __version__, package.json, and the writer
# field of a stored model blob. The build from source is at -O0 (CFLAGS is
# passed on to make) to keep it short. Nothing outside a temporary
# directory is installed; builds happen in the tree (make vae.so,
# bindings/python/build).
# Skips with a message where a tool is absent (python3, pip, setuptools,
# node, npm, better-sqlite3, a node:sqlite that loads extensions); under
# CI=true a skip of what tools/deps.sh test installs fails. Ends with "N
# passed, N failed, N skipped".
. "$(dirname "$0")/lib/harness.sh"
harness_start packages
# Run from make test, the makes that pip and npm start are not its children.
unset MAKEFLAGS MFLAGS MAKELEVEL

version=$(make -s --no-print-directory version)
# The blob format this build writes (core/version.h).
format=$(sed -n 's/^#define VAE_BLOB_FORMAT \([0-9]*\)u.*/\1/p' core/version.h)
check "make version prints a semantic version ($version)" \
  sh -c "echo '$version' | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+'"
check "vae_version() of vae.so is $version" \
  test "$(sqlite3 :memory: '.load ./vae' 'SELECT vae_version()')" = "$version"

# ---- Python ---------------------------------------------------------------
# Debian's python3 first: its sqlite3 module loads extensions.
py=""
for p in /usr/bin/python3 "$(command -v python3 2>/dev/null)"; do
  if [ -n "$p" ] && [ -x "$p" ]; then py=$p; break; fi
done

# A fit through the package, run by a venv's python from an empty directory:
# version, path, load(), vae_version(), the blob's writer field, and that
# load() left extension loading off. Prints "ok" at the end.
cat >"$tmp/fit.py" <<'PY'
import os, sqlite3, struct, sys, sqlite_vae
version, site, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3])
assert sqlite_vae.__version__ == version, sqlite_vae.__version__
path = sqlite_vae.loadable_path()
assert path.startswith(site) and path.endswith("/sqlite_vae/vae.so") and os.path.isfile(path), path
db = sqlite3.connect(":memory:")
if not hasattr(db, "enable_load_extension"):
    try:
        sqlite_vae.load(db)
    except RuntimeError as e:
        assert "cannot load extensions" in str(e), e
        print("no-load-extension")
        sys.exit(0)
    raise AssertionError("load() did not refuse")
sqlite_vae.load(db)
assert db.execute("SELECT vae_version()").fetchone()[0] == version
rows = db.execute("""SELECT json_extract(vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL
  SELECT 2, 3.5 UNION ALL SELECT 3, 5.25', '{"epochs": 3}'), '$.rows')""").fetchone()[0]
assert rows == 3, rows
blob = db.execute("SELECT model FROM vae_models WHERE name = 'm'").fetchone()[0]
n, = struct.unpack_from("<I", blob, 8)
assert blob[:4] == b"VAEM" and struct.unpack_from("<I", blob, 4)[0] == fmt, blob[:8]
assert blob[12:12 + n].decode() == version, blob[12:12 + n]
try:
    db.execute("SELECT load_extension('x')")
    raise AssertionError("load_extension() is still allowed after load()")
except sqlite3.OperationalError as e:
    assert "not authorized" in str(e), e
print("ok")
PY

if [ -z "$py" ]; then
  must_skip "python package" "python3 is not installed"
elif ! "$py" -c 'import pip' >/dev/null 2>&1; then
  must_skip "python package" "$py has no pip (apt-get install python3-pip)"
elif ! "$py" -c 'import setuptools, wheel' >/dev/null 2>&1; then
  must_skip "python package" "$py has no setuptools or wheel (apt-get install python3-setuptools python3-wheel)"
elif ! "$py" -m venv --system-site-packages --without-pip "$tmp/venv" >"$tmp/venv.log" 2>&1; then
  must_skip "python package" "$py cannot make a venv (apt-get install python3-venv): $(tail -n 1 "$tmp/venv.log")"
else
  vpy=$tmp/venv/bin/python
  site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
  # pip's own pip (system site-packages) installs into the venv, offline.
  check "pip install --no-build-isolation bindings/python into a venv (builds vae.so)" \
    "$vpy" -m pip install --no-build-isolation --no-index --no-cache-dir ./bindings/python
  pyfit() { # pyfit PYTHON SITE: fit.py from an empty directory, says ok
    mkdir -p "$tmp/empty"
    out=$(cd "$tmp/empty" && "$1" "$tmp/fit.py" "$version" "$2" "$format") || return 1
    echo "$out"
    case $out in
      ok) ;;
      no-load-extension) echo "     (this python cannot load extensions: load() refused, as it should)" ;;
      *) return 1 ;;
    esac
  }
  check "the installed sqlite_vae: __version__ $version, loadable_path() in the venv, load(), a fit, the blob's writer $version" \
    pyfit "$vpy" "$site"

  # Another python3 on the PATH whose sqlite3 cannot load extensions (pyenv's
  # default build): the same package (vae.so does not link Python) refuses
  # with a message that says why.
  other=$(command -v python3 2>/dev/null)
  if [ -n "$other" ] && [ "$other" != "$py" ] &&
     "$other" -c 'import sqlite3, sys; sys.exit(hasattr(sqlite3.Connection, "enable_load_extension"))' 2>/dev/null; then
    check "$other (no extension loading): sqlite_vae.load() raises RuntimeError saying so" \
      env PYTHONPATH="$site" "$other" -c '
import sqlite3, sqlite_vae
try:
    sqlite_vae.load(sqlite3.connect(":memory:"))
except RuntimeError as e:
    assert "cannot load extensions" in str(e) and "/usr/bin/python3" in str(e), e
else:
    raise AssertionError("no error")'
  fi

  plat=$("$py" -c 'import sysconfig; print(sysconfig.get_platform().replace("-", "_").replace(".", "_"))')
  whl=$tmp/dist/sqlite_vae-$version-py3-none-$plat.whl
  check "pip wheel makes sqlite_vae-$version-py3-none-$plat.whl" \
    sh -c "'$vpy' -m pip wheel --no-build-isolation --no-index --no-deps --no-cache-dir -w '$tmp/dist' ./bindings/python &&
           test \"\$(ls '$tmp/dist')\" = '$(basename "$whl")'"
  cat >"$tmp/whl.py" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
for want in ("sqlite_vae/__init__.py", "sqlite_vae/_version.py", "sqlite_vae/vae.so"):
    assert want in names, (want, names)
so = z.read("sqlite_vae/vae.so")
assert so[:4] == b"\x7fELF" and b"sqlite3_vae_init" in so, "vae.so is not the extension"
wheel = z.read([n for n in names if n.endswith(".dist-info/WHEEL")][0]).decode()
assert "Root-Is-Purelib: false" in wheel and "Tag: %s" % sys.argv[2] in wheel, wheel
PY
  check "the wheel holds vae.so (ELF, sqlite3_vae_init), is not purelib, tagged py3-none-$plat" \
    "$py" "$tmp/whl.py" "$whl" "py3-none-$plat"
  if "$py" -m venv --system-site-packages --without-pip "$tmp/venv2" >/dev/null 2>&1; then
    site2=$("$tmp/venv2/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')
    check "the wheel installs into a second venv (no build) and fits" \
      sh -c "'$tmp/venv2/bin/python' -m pip install --no-index --no-cache-dir '$whl' >/dev/null &&
             cd '$tmp' && '$tmp/venv2/bin/python' '$tmp/fit.py' '$version' '$site2' '$format' | grep -qx ok"
  fi
fi

# ---- npm ------------------------------------------------------------------
fit_sql="SELECT vae_version(), json_extract(vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL
  SELECT 2, 3.5 UNION ALL SELECT 3, 5.25', '{\"epochs\": 3}'), '\$.rows');"
# shell_fit SO: the sqlite3 shell loads SO (a path from getLoadablePath())
# and fits from an empty directory.
shell_fit() (
  mkdir -p "$tmp/empty" && cd "$tmp/empty" &&
    test "$(sqlite3 -cmd ".load $1" :memory: "$fit_sql")" = "$version|3"
)
# node_fit APP KIND: in folder APP, require('sqlite-vae'), load() into a
# database of KIND (better-sqlite3 from $bsq, or node:sqlite), and fit.
cat >"$tmp/fit.js" <<'JS'
'use strict';
const [kind, version, bsq] = process.argv.slice(2);
const vae = require('sqlite-vae');
const assert = require('assert');
let db;
if (kind === 'better-sqlite3') {
  const Database = require(bsq);
  db = new Database(':memory:');
  vae.load(db);
} else {
  const { DatabaseSync } = require('node:sqlite');
  assert.throws(() => vae.load(new DatabaseSync(':memory:')), /allowExtension: true/);
  db = new DatabaseSync(':memory:', { allowExtension: true });
  vae.load(db);
  assert.throws(() => db.loadExtension(vae.getLoadablePath())); // switched off again
}
const one = (sql) => Object.values(db.prepare(sql).get())[0];
assert.strictEqual(vae.version, version);
assert.strictEqual(one('SELECT vae_version()'), version);
const report = JSON.parse(one(`SELECT vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL
  SELECT 2, 3.5 UNION ALL SELECT 3, 5.25', '{"epochs": 3}')`));
assert.strictEqual(report.rows, 3);
const blob = Buffer.from(one("SELECT model FROM vae_models WHERE name = 'm'"));
assert.strictEqual(blob.toString('latin1', 12, 12 + blob.readUInt32LE(8)), version);
console.log('ok');
JS
node_fit() (
  cp "$tmp/fit.js" "$1/fit.js" && cd "$1" && out=$(node fit.js "$2" "$version" "${bsq:-}") &&
    echo "$out" && test "$out" = ok
)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  must_skip "npm package" "node or npm is not installed (apt-get install nodejs npm)"
else
  export npm_config_cache="$tmp/npm-cache" npm_config_audit=false npm_config_fund=false \
    npm_config_update_notifier=false
  check "package.json's version is $version" \
    test "$(node -p "require('./bindings/node/package.json').version")" = "$version"
  check "npm pack (bindings/node) makes sqlite-vae-$version.tgz with the sources and a vae.so" \
    sh -c "(cd bindings/node && npm pack --silent --pack-destination '$tmp') >/dev/null &&
           tar tzf '$tmp/sqlite-vae-$version.tgz' >'$tmp/tgz.txt' &&
           grep -qx 'package/vae/core/version.h' '$tmp/tgz.txt' && grep -qx 'package/vae/ext/vae_ext.c' '$tmp/tgz.txt' &&
           grep -qx 'package/vae/Makefile' '$tmp/tgz.txt' && grep -Eqx 'package/prebuilds/[a-z0-9]+-[a-z0-9]+/vae.so' '$tmp/tgz.txt'"
  # npm_install DIR [ENV...]: a fresh folder, the tarball installed into it.
  npm_install() {
    dir=$1
    shift
    mkdir -p "$dir" && echo '{"name": "app", "version": "1.0.0", "private": true}' >"$dir/package.json" &&
      (cd "$dir" && env "$@" npm install --offline "$tmp/sqlite-vae-$version.tgz")
  }
  app=$tmp/app
  check "npm install ./sqlite-vae-$version.tgz in an empty folder (the carried vae.so)" \
    npm_install "$app" SQLITE_VAE_BUILD_FROM_SOURCE=
  loadable=$(cd "$app" && node -p "require('sqlite-vae').getLoadablePath()" 2>/dev/null)
  carried_ok() {
    case $loadable in "$app"/node_modules/sqlite-vae/prebuilds/*/vae.so) ;; *) return 1 ;; esac
    shell_fit "$loadable"
  }
  check "getLoadablePath() names the carried vae.so, and the sqlite3 shell fits with it" carried_ok
  app2=$tmp/app2
  check "npm install with SQLITE_VAE_BUILD_FROM_SOURCE=1 builds vae.so from the sources in the tarball" \
    npm_install "$app2" SQLITE_VAE_BUILD_FROM_SOURCE=1 CFLAGS=-O0
  loadable2=$(cd "$app2" && node -p "require('sqlite-vae').getLoadablePath()" 2>/dev/null)
  built_ok() { test "$loadable2" = "$app2/node_modules/sqlite-vae/build/vae.so" && shell_fit "$loadable2"; }
  check "getLoadablePath() names the built vae.so, and the sqlite3 shell fits with it" built_ok

  # better-sqlite3 is not a Debian package: the one `npm install` put into
  # samples/node (as for the Node.js sample), or one on NODE_PATH.
  bsq=$(node -e "console.log(require.resolve('better-sqlite3', { paths: ['$root/samples/node'] }))" 2>/dev/null)
  if [ -z "$bsq" ]; then
    skip "load() into better-sqlite3" "better-sqlite3 is not installed (cd samples/node && npm install)"
  elif ! node -e "new (require('$bsq'))(':memory:')" >"$tmp/bsq.log" 2>&1; then
    skip "load() into better-sqlite3" "$bsq does not load into node $(node --version) (cd samples/node && npm rebuild): $(grep -m 1 -i error "$tmp/bsq.log")"
  else
    check "require('sqlite-vae').load() into a better-sqlite3 Database: version, a fit, the blob's writer" \
      node_fit "$app" better-sqlite3
    check "the same with the vae.so built from source" node_fit "$app2" better-sqlite3
  fi
  if node -e "process.exit(typeof require('node:sqlite').DatabaseSync.prototype.loadExtension === 'function' ? 0 : 1)" \
       >/dev/null 2>&1; then
    check "require('sqlite-vae').load() into a node:sqlite DatabaseSync: refused without allowExtension, then a fit" \
      node_fit "$app" node:sqlite
  else
    skip "load() into node:sqlite" "node $(node --version) has no node:sqlite DatabaseSync that loads extensions (22.13 and 23.5 on)"
  fi
fi

harness_end
