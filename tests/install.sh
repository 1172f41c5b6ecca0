#!/bin/sh
# install.sh -- `make install` and `make uninstall` into DESTDIR staging
# directories; nothing outside a temporary directory is touched. Checks that
# the files land in $(DESTDIR)$(PREFIX)/lib (or LIBDIR) as libvae.so (mode
# 644, SONAME vae.so) and the link vae.so -> libvae.so and nothing else, that
# the staged library loads, that a bare `.load vae` finds it on the linker's
# search path and in an ld.so cache built over the staged directory (as
# ldconfig does for /usr/local/lib), and that uninstall removes them.
# readelf and ldconfig come with every Debian build machine: without them
# the check is skipped, and under CI=true that fails (lib/harness.sh). Ends
# with "N passed, N failed, N skipped".
. "$(dirname "$0")/lib/harness.sh"
harness_start install
PATH=$PATH:/sbin:/usr/sbin

# The files under a staging directory, one per line, relative to it.
files() { (cd "$1" && find . ! -type d | sort); }

cat >"$tmp/fit.sql" <<'SQL'
SELECT json_extract(vae_fit('m', 'SELECT 1.0 AS a, 2.0 AS b UNION ALL SELECT 2, 3.5
  UNION ALL SELECT 3, 5.25', '{"epochs": 3}'), '$.rows');
SQL
# load_fit EXT [LD_LIBRARY_PATH]: loads EXT in the sqlite3 shell, from a
# directory without vae.so, and fits a model on three rows.
load_fit() (
  cd "$tmp" && out=$(LD_LIBRARY_PATH=${2:-} sqlite3 -cmd ".load $1" :memory: <"$tmp/fit.sql") &&
    test "$out" = 3
)

stage=$tmp/stage
lib=$stage/usr/local/lib
check "make install DESTDIR=... (default PREFIX /usr/local)" \
  make -s --no-print-directory install DESTDIR="$stage"
check "exactly libvae.so and vae.so land in \$(DESTDIR)/usr/local/lib" \
  test "$(files "$stage" | tr '\n' ' ')" = "./usr/local/lib/libvae.so ./usr/local/lib/vae.so "
check "libvae.so is a regular file, mode 644" \
  test -f "$lib/libvae.so" -a ! -L "$lib/libvae.so" -a "$(stat -c %a "$lib/libvae.so")" = 644
check "vae.so is the link vae.so -> libvae.so" \
  test -L "$lib/vae.so" -a "$(readlink "$lib/vae.so")" = libvae.so
if command -v readelf >/dev/null 2>&1; then
  check "libvae.so has SONAME vae.so (the name ldconfig caches it under)" \
    sh -c "readelf -d '$lib/libvae.so' | grep -q 'Library soname: \[vae.so\]'"
else
  must_skip "SONAME" "readelf is not installed"
fi
check "the staged library loads by path and fits" load_fit "$lib/vae"
check ".load vae (no path) finds it on the linker's search path" load_fit vae "$lib"
if (cd "$tmp" && sqlite3 :memory: '.load vae') >/dev/null 2>&1; then
  skip ".load vae fails where it is not on the path" "a vae.so is installed on this system's linker path (make uninstall removes it)"
else
  check ".load vae fails where it is not on the path (the check above is not vacuous)" \
    sh -c "! (cd '$tmp' && sqlite3 :memory: '.load vae')"
fi
if command -v ldconfig >/dev/null 2>&1; then
  # What `ldconfig` does for /usr/local/lib after a real install, into a
  # cache file of our own (-X: no links made, -f: no other directories).
  : >"$tmp/empty.conf"
  check "ldconfig caches it as vae.so (what dlopen(\"vae.so\") looks up)" \
    sh -c "ldconfig -X -f '$tmp/empty.conf' -C '$tmp/ld.so.cache' '$lib' &&
           ldconfig -p -C '$tmp/ld.so.cache' | grep -F 'vae.so (' | grep -F '=> $lib/vae.so'"
else
  must_skip "ld.so cache" "ldconfig is not installed"
fi
check "make uninstall DESTDIR=... removes both files" \
  sh -c "make -s --no-print-directory uninstall DESTDIR='$stage' && test -z \"\$(cd '$stage' && find . ! -type d)\""

check "PREFIX=/opt/vae puts them in \$(DESTDIR)/opt/vae/lib" \
  sh -c "make -s --no-print-directory install DESTDIR='$tmp/opt' PREFIX=/opt/vae &&
         test \"\$(cd '$tmp/opt' && find . ! -type d | sort | tr '\n' ' ')\" = './opt/vae/lib/libvae.so ./opt/vae/lib/vae.so '"
check "LIBDIR=/usr/lib/x86_64-linux-gnu overrides \$(PREFIX)/lib" \
  sh -c "make -s --no-print-directory install DESTDIR='$tmp/multi' LIBDIR=/usr/lib/x86_64-linux-gnu &&
         test -f '$tmp/multi/usr/lib/x86_64-linux-gnu/libvae.so' -a -L '$tmp/multi/usr/lib/x86_64-linux-gnu/vae.so'"

harness_end
