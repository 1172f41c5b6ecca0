#!/usr/bin/env python3
"""vae from Python's standard sqlite3 module, on the Titanic passengers.

    python3 samples/demo.py [path/to/vae] [path/to/titanic.csv]

The extension path defaults to ./vae (the vae.so of `make`, from the top of
the repository); `vae` alone finds it after `make install`.

It loads samples/titanic.csv (1309 passengers: survived, sex, age,
passengerClass; 263 ages unknown), fits a model while printing its progress,
fills the unknown ages, makes synthetic passengers (also of one class and
sex), lists the least plausible passengers and scores the synthetic rows.

Needs a Python whose sqlite3 module can load extensions: Debian's python3
can; some builds (e.g. pyenv's default) cannot, and have no
Connection.enable_load_extension.
"""
import contextlib
import csv
import json
import os
import sqlite3
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def connect(ext_path):
    """A connection with the vae functions loaded."""
    db = sqlite3.connect(':memory:', isolation_level=None)
    if not hasattr(db, 'enable_load_extension'):
        sys.exit('this Python was built without extension loading in sqlite3 '
                 '(try /usr/bin/python3 on Debian)')
    db.enable_load_extension(True)
    db.load_extension(ext_path)  # e.g. './vae': SQLite appends .so
    db.enable_load_extension(False)  # no more loading from SQL
    return db


@contextlib.contextmanager
def progress_lines(callback):
    """Calls callback(line) for each line the process writes to its stderr
    (file descriptor 2) in the with block.

    vae_fit with {"verbose": true} writes one line per epoch to stderr from
    C: in a terminal you see them as they come without any of this. In a
    notebook or a program with a logger, catch them like this instead."""
    sys.stderr.flush()
    saved = os.dup(2)
    r, w = os.pipe()
    os.dup2(w, 2)
    os.close(w)

    def pump():
        with os.fdopen(r, 'r', errors='replace') as lines:
            for line in lines:
                callback(line.rstrip('\n'))

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    try:
        yield
    finally:
        os.dup2(saved, 2)  # closes the pipe's last writer: pump sees the end
        os.close(saved)
        t.join()


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else './vae'
    src = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, 'titanic.csv')
    db = connect(ext)

    # The table. An empty age in the CSV is unknown: NULL.
    db.execute('CREATE TABLE titanic (id INTEGER PRIMARY KEY, survived TEXT, sex TEXT, '
               'age REAL, class TEXT)')
    with open(src, newline='') as f:
        rows = [(r['survived'], r['sex'], float(r['age']) if r['age'] else None,
                 r['passengerClass']) for r in csv.DictReader(f)]
    with db:
        db.execute('BEGIN')
        db.executemany('INSERT INTO titanic (survived, sex, age, class) VALUES (?, ?, ?, ?)', rows)
    n, unknown = db.execute('SELECT count(*), sum(age IS NULL) FROM titanic').fetchone()
    print(f'loaded {n} passengers from {os.path.basename(src)}, {unknown} ages unknown')

    # fit, with progress. {"verbose": true} makes vae_fit print one line per
    # epoch on stderr ("vae_fit: epoch 12 train 3.2101 val 3.3342 rows/s ...").
    # Here they are caught and every 25th is shown on stdout.
    def show(line):
        parts = line.split()
        if len(parts) >= 7 and parts[1] == 'epoch' and int(parts[2]) % 25 == 0:
            print(f'fit: epoch {parts[2]:>3}  train loss {parts[4]}  validation loss {parts[6]}')

    options = json.dumps({'seed': 1, 'verbose': True})
    with progress_lines(show):
        report = json.loads(db.execute("SELECT vae_fit('titanic', 'titanic', ?)",
                                       (options,)).fetchone()[0])
    print(f"fit: {report['rows']} rows, {report['epochs']} epochs (best {report['best_epoch']}), "
          f"{report['seconds']:.2f} s")
    kinds = ', '.join(f"{c['name']} {c['kind']}" for c in report['columns'])
    print(f'fit: columns {kinds}')
    errors = ', '.join(f'{k} {v:.3f}' for k, v in report['holdout_error'].items())
    print(f'fit: held-out imputation error {errors}')

    # impute: the unknown ages, given survival, sex and class.
    for pid, survived, sex, cls, age in db.execute(
            "SELECT id, survived, sex, class, vae_impute('titanic', 'age', survived, sex, age, class) "
            "FROM titanic WHERE age IS NULL LIMIT 3"):
        print(f'impute: passenger {pid} ({sex}, {cls} class, survived {survived}): age {age:.1f}')
    db.execute("UPDATE titanic SET age = vae_impute('titanic', 'age', survived, sex, age, class) "
               "WHERE age IS NULL")
    left = db.execute('SELECT count(*) FROM titanic WHERE age IS NULL').fetchone()[0]
    print(f'impute: filled {unknown} ages in place, {left} left')

    # sample: synthetic passengers as JSON objects, reproducible for a seed.
    for (value,) in db.execute("SELECT value FROM vae_sample('titanic', 3, 42)"):
        print(f'sample: {value}')
    # ... and conditioned on given values, through the vae virtual table.
    db.execute('CREATE VIRTUAL TABLE fake USING vae(titanic)')
    synth = db.execute("SELECT avg(survived = 'yes') FROM (SELECT survived FROM fake "
                       "WHERE class = '1st' AND sex = 'female' AND seed = 1 LIMIT 500)").fetchone()[0]
    real = db.execute("SELECT avg(survived = 'yes') FROM titanic "
                      "WHERE class = '1st' AND sex = 'female'").fetchone()[0]
    print(f'sample: survival of 1st class women, 500 synthetic {synth:.2f}, real {real:.2f}')

    # score: the least plausible passengers under the model.
    for pid, survived, sex, age, cls, score in db.execute(
            "SELECT id, survived, sex, age, class, "
            "vae_score('titanic', survived, sex, age, class) AS s "
            "FROM titanic ORDER BY s DESC LIMIT 3"):
        print(f'score: passenger {pid} ({sex}, age {age:.0f}, {cls} class, survived {survived}) {score:.2f}')

    # fidelity: how close synthetic rows are to the table, in [0, 1].
    fid = json.loads(db.execute("SELECT vae_fidelity('titanic', 'titanic')").fetchone()[0])
    shapes = ', '.join(f'{k} {v:.3f}' for k, v in fid['shape'].items())
    print(f"fidelity: overall {fid['overall']:.3f}; per column {shapes}")
    db.close()


if __name__ == '__main__':
    main()
