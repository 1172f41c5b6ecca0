// sqlite-vae -- the vae SQLite extension, packaged for Node.js.
//
//   const Database = require('better-sqlite3');
//   const vae = require('sqlite-vae');
//   const db = new Database('data.db');
//   vae.load(db);
//   db.prepare("SELECT vae_fit('m', 'patients')").pluck().get();
//
// load(db) loads vae.so into a better-sqlite3 Database, or into a node:sqlite
// DatabaseSync opened with { allowExtension: true } (Node.js 22.13 and 23.5
// on; extension loading is switched on for the call and off after it).
// getLoadablePath() names the file, for any other SQLite binding; version is
// the extension's version, the same as SELECT vae_version().
//
// The file is the vae.so that `npm install` built from the sources in vae/
// (build/vae.so), or else the one the package carries for this platform
// (prebuilds/<platform>-<arch>/vae.so); install.js says which it used.
'use strict';
const fs = require('fs');
const path = require('path');

const { version } = require('./package.json');

function getLoadablePath() {
  const platform = `${process.platform}-${process.arch}`;
  const candidates = [
    path.join(__dirname, 'build', 'vae.so'),
    path.join(__dirname, 'prebuilds', platform, 'vae.so'),
  ];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) {
    throw new Error(`sqlite-vae: no vae.so for ${platform} (looked for ${candidates.join(' and ')}); ` +
      'build it with `npm rebuild sqlite-vae` (needs make, a C compiler, SQLite headers and OpenBLAS)');
  }
  return found;
}

function load(db) {
  if (!db || typeof db.loadExtension !== 'function') {
    throw new TypeError('sqlite-vae: load(db) needs a better-sqlite3 Database or a node:sqlite DatabaseSync');
  }
  const file = getLoadablePath();
  if (typeof db.enableLoadExtension !== 'function') { // better-sqlite3
    db.loadExtension(file);
    return;
  }
  try { // node:sqlite
    db.enableLoadExtension(true);
  } catch (e) {
    e.message = `sqlite-vae: cannot load into this DatabaseSync (open it with { allowExtension: true }): ${e.message}`;
    throw e;
  }
  try {
    db.loadExtension(file);
  } finally {
    db.enableLoadExtension(false);
  }
}

module.exports = { load, getLoadablePath, version };
