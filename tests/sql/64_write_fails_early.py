# Writes that cannot happen fail early (issue 11, item 8). vae_fit on a
# database opened read-only, or under PRAGMA query_only, fails before it
# trains (a fit of 1000 epochs would take seconds; the refusal must come
# within 0.1 s) and says why. When another connection holds the write lock
# at store time, the fit waits as long as the connection's busy timeout
# allows: a lock released in time lets it store; one held longer fails with
# "trained but not stored", and the earlier model stays. Both journal modes.
# Run by sql_run.sh with the path of vae.so.
import os, sys, threading, time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

SO = sys.argv[1]
LONG = '{"epochs": 1000, "patience": 1000, "hidden": [32], "seed": 1}'
SHORT = '{"epochs": 2, "hidden": [8], "latent": 2, "seed": 1}'


def connect(path, uri=False, timeout=5.0):
    db = sqlite3.connect(path, uri=uri, isolation_level=None, check_same_thread=False,
                         timeout=timeout)
    db.enable_load_extension(True)
    db.load_extension(SO)
    return db


def fit(db, opts, name='m'):
    t0 = time.monotonic()
    try:
        db.execute("SELECT vae_fit(?, 't', ?)", (name, opts)).fetchone()
        return 'ok', time.monotonic() - t0
    except sqlite3.Error as e:
        return str(e), time.monotonic() - t0


for mode in ('delete', 'wal'):
    path = 'w_%s.db' % mode
    db = connect(path)
    print('-- journal mode', db.execute('PRAGMA journal_mode = %s' % mode).fetchone()[0])
    db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
    db.executemany('INSERT INTO t VALUES (?, ?, ?)',
                   [(i * 0.01, None if i % 7 == 0 else (i % 13) * 1.0, 'xyz'[i % 3])
                    for i in range(2000)])
    print('first fit:', fit(db, SHORT)[0])
    old = db.execute("SELECT fit_id FROM vae_models").fetchone()[0]

    ro = connect('file:%s?mode=ro' % path, uri=True)
    msg, secs = fit(ro, LONG)
    print('read-only:', msg)
    print('read-only refused within 0.1 s:', secs < 0.1)
    ro.close()

    db.execute('PRAGMA query_only = 1')
    msg, secs = fit(db, LONG)
    print('query_only:', msg)
    print('query_only refused within 0.1 s:', secs < 0.1)
    db.execute('PRAGMA query_only = 0')

    # Another connection holds the write lock for 0.3 s; a busy timeout of
    # 5 s outlasts it: the fit waits and stores.
    other = connect(path)
    other.execute('BEGIN IMMEDIATE')
    other.execute("INSERT INTO t VALUES (1, 1, 'x')")
    threading.Timer(0.3, lambda: other.execute('COMMIT')).start()
    msg, secs = fit(db, SHORT)
    print('lock released in time:', msg)
    new = db.execute("SELECT fit_id FROM vae_models").fetchone()[0]
    print('model replaced:', new != old)

    # Held for longer than a busy timeout of 0.2 s: trained, not stored.
    db.close()
    db = connect(path, timeout=0.2)
    other.execute('BEGIN IMMEDIATE')
    msg, secs = fit(db, SHORT)
    print('lock held:', msg)
    print('waited about the busy timeout:', 0.18 < secs < 2.0)
    other.execute('ROLLBACK')
    print('earlier model unchanged:',
          db.execute("SELECT fit_id FROM vae_models").fetchone()[0] == new)
    print('count of models:', db.execute("SELECT count(*) FROM vae_models").fetchone()[0])
    other.close()
    db.close()
