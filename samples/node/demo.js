// vae from Node.js with better-sqlite3 (version 12), on the mammal sleep data.
//
//   cd samples/node && npm install && node demo.js [path/to/vae] [path/to/mammalsleep.csv]
//
// The extension path defaults to the vae.so of `make` at the top of the
// repository; `vae` alone finds it after `make install`. better-sqlite3
// brings its own SQLite; vae.so is a loadable extension and works with it.
//
// It loads samples/mammalsleep.csv (62 species, real gaps in five columns),
// fits a model, fills the gaps, makes synthetic species and lists the least
// plausible real ones.
'use strict';
const fs = require('fs');
const path = require('path');
const Database = require('better-sqlite3');

const ext = process.argv[2] || path.join(__dirname, '..', '..', 'vae');
const csvPath = process.argv[3] || path.join(__dirname, '..', 'mammalsleep.csv');

// A small CSV reader: a header line, fields optionally in double quotes, an
// empty field is a missing value (null).
function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const split = (line) => {
    const out = [];
    let field = '', quoted = false, wasQuoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; }
        else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') { quoted = true; wasQuoted = true; }
      else if (ch === ',') { out.push(wasQuoted || field !== '' ? field : null); field = ''; wasQuoted = false; }
      else field += ch;
    }
    out.push(wasQuoted || field !== '' ? field : null);
    return out;
  };
  const header = split(lines[0]);
  return { header, rows: lines.slice(1).map(split) };
}

const db = new Database(':memory:');
db.loadExtension(ext); // SQLite appends .so when the name has none

// The table, from samples/mammalsleep.sql: species TEXT, seven REAL and
// three INTEGER measurements (null = not measured).
db.exec(fs.readFileSync(path.join(__dirname, '..', 'mammalsleep.sql'), 'utf8'));
const { header, rows } = readCsv(csvPath);
const measures = header.slice(1);
const insert = db.prepare(`INSERT INTO sleep (${header.map((c) => `"${c}"`).join(', ')})
                           VALUES (${header.map(() => '?').join(', ')})`);
db.transaction(() => {
  for (const r of rows) insert.run(r[0], ...r.slice(1).map((v) => (v === null ? null : Number(v))));
})();
const missing = measures.map((c) => db.prepare(`SELECT count(*) AS n FROM sleep WHERE "${c}" IS NULL`).get().n);
console.log(`loaded ${rows.length} species from ${path.basename(csvPath)}, ${missing.reduce((a, b) => a + b, 0)} cells missing`);

// fit: the INTEGER PRIMARY KEY is never a feature, and species, unique per
// row, is left out as an identifier.
const report = JSON.parse(db.prepare('SELECT vae_fit(?, ?, ?) AS r').pluck().get('sleep', 'sleep', JSON.stringify({ seed: 1 })));
console.log(`fit: ${report.rows} rows, ${report.epochs} epochs, ${report.seconds.toFixed(2)} s; ` +
  `left out: ${report.skipped.map((s) => s.column).join(', ')}`);
const worst = Object.entries(report.holdout_error).sort((a, b) => b[1] - a[1]).slice(0, 3);
console.log(`fit: highest held-out imputation error ${worst.map(([c, e]) => `${c} ${e.toFixed(3)}`).join(', ')}`);

// impute: the missing paradoxical sleep (ps), given the rest of the row; the
// values can also be passed as one JSON object (absent keys are missing).
const cols = report.columns.map((c) => c.name);
const imputed = db.prepare(`SELECT species, vae_impute('sleep', 'ps', ${cols.map((c) => `"${c}"`).join(', ')}) AS ps
                            FROM sleep WHERE ps IS NULL LIMIT 3`).all();
for (const r of imputed) console.log(`impute: ${r.species}: ps ${r.ps.toFixed(2)} hours`);
const one = db.prepare(`SELECT vae_impute('sleep', 'ts', json_object('bw', 50.0, 'brw', 300.0)) AS ts`).pluck().get();
console.log(`impute: a 50 kg animal with a 300 g brain, total sleep ${one.toFixed(1)} hours`);
const filled = db.prepare("SELECT vae_fill('sleep', 'sleep')").pluck().get();
console.log(`impute: vae_fill filled ${filled} cells in place`);

// sample: synthetic rows as JSON objects, reproducible for a seed.
for (const v of db.prepare("SELECT value FROM vae_sample('sleep', 3, 42)").pluck().all()) console.log(`sample: ${v}`);

// score: the least plausible species under the model.
const scored = db.prepare(`SELECT species, vae_score('sleep', ${cols.map((c) => `"${c}"`).join(', ')}) AS s
                           FROM sleep ORDER BY s DESC LIMIT 3`).all();
for (const r of scored) console.log(`score: ${r.species} ${r.s.toFixed(1)}`);
db.close();
