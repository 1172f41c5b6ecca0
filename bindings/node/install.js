// install.js -- run by `npm install` (the package's install script): makes
// sure there is a vae.so for this platform.
//
// A packed sqlite-vae carries the vae.so of the machine that packed it, in
// prebuilds/<platform>-<arch>/; on that platform it is used as it is. On any
// other, or with SQLITE_VAE_BUILD_FROM_SOURCE=1, vae.so is built from the C
// sources the package carries in vae/ (in a checkout of the repository: from
// ../..) with make, into build/vae.so. That needs make, a C compiler,
// SQLite's headers and OpenBLAS (Debian: make gcc pkg-config libsqlite3-dev
// libopenblas-dev); MAKE in the environment names another make.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const platform = `${process.platform}-${process.arch}`;
const carried = path.join(__dirname, 'prebuilds', platform, 'vae.so');
const fromSource = /^(1|true|yes)$/i.test(process.env.SQLITE_VAE_BUILD_FROM_SOURCE || '');

if (!fromSource && fs.existsSync(carried)) {
  console.log(`sqlite-vae: using the vae.so carried for ${platform}`);
  process.exit(0);
}

const packed = path.join(__dirname, 'vae');
const src = fs.existsSync(path.join(packed, 'Makefile')) ? packed : path.resolve(__dirname, '..', '..');
if (!fs.existsSync(path.join(src, 'core', 'version.h'))) {
  console.error(`sqlite-vae: no sources to build vae.so from (looked in ${packed} and ${src})`);
  process.exit(1);
}
const jobs = Math.max(1, Math.min(os.cpus().length, 8));
console.log(`sqlite-vae: building vae.so for ${platform} from ${src}`);
const made = spawnSync(process.env.MAKE || 'make', ['-C', src, `-j${jobs}`, 'vae.so'], { stdio: 'inherit' });
if (made.error || made.status !== 0) {
  console.error(`sqlite-vae: make failed (${made.error ? made.error.message : `exit status ${made.status}`}); ` +
    'it needs make, a C compiler, SQLite headers and OpenBLAS (Debian: make gcc pkg-config libsqlite3-dev libopenblas-dev)');
  process.exit(1);
}
fs.mkdirSync(path.join(__dirname, 'build'), { recursive: true });
fs.copyFileSync(path.join(src, 'vae.so'), path.join(__dirname, 'build', 'vae.so'));
console.log(`sqlite-vae: built ${path.join(__dirname, 'build', 'vae.so')}`);
