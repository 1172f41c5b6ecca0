// pack.js -- run by `npm pack` and `npm publish` (prepack) in a checkout of
// the repository. Refuses to pack when package.json's version is not
// VAE_VERSION of core/version.h; copies the C sources (core/, ext/ and the
// Makefile) into vae/, so that install.js can build vae.so anywhere; and
// builds vae.so with make at the top of the repository, carried in
// prebuilds/<platform>-<arch>/ for installs on this platform. vae/ and
// prebuilds/ are outputs, not kept in git.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const header = fs.readFileSync(path.join(root, 'core', 'version.h'), 'utf8');
const m = /^#define VAE_VERSION "([^"]+)"/m.exec(header);
const { version } = require('./package.json');
if (!m || m[1] !== version) {
  console.error(`sqlite-vae: package.json says ${version}, core/version.h says ${m ? m[1] : 'nothing'}; ` +
    'make them agree before packing');
  process.exit(1);
}

const vendored = path.join(__dirname, 'vae');
fs.rmSync(vendored, { recursive: true, force: true });
for (const dir of ['core', 'ext']) {
  fs.mkdirSync(path.join(vendored, dir), { recursive: true });
  for (const f of fs.readdirSync(path.join(root, dir))) {
    const from = path.join(root, dir, f);
    if (fs.statSync(from).isFile()) fs.copyFileSync(from, path.join(vendored, dir, f));
  }
}
fs.copyFileSync(path.join(root, 'Makefile'), path.join(vendored, 'Makefile'));

const made = spawnSync(process.env.MAKE || 'make', ['-C', root, 'vae.so'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (made.error || made.status !== 0) {
  console.error('sqlite-vae: make vae.so failed at the top of the repository');
  process.exit(1);
}
const prebuilt = path.join(__dirname, 'prebuilds', `${process.platform}-${process.arch}`);
fs.rmSync(path.join(__dirname, 'prebuilds'), { recursive: true, force: true });
fs.mkdirSync(prebuilt, { recursive: true });
fs.copyFileSync(path.join(root, 'vae.so'), path.join(prebuilt, 'vae.so'));
