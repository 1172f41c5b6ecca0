# A real sqlite3 process killed with SIGKILL in the middle of vae_fit and
# in the middle of vae_fill, on a file database, in rollback-journal and in
# WAL mode: afterwards PRAGMA integrity_check is ok, every user row is as it
# was, and the earlier model of that name is intact (byte-identical blob,
# same fit_id) and still gives the same answers. Then a series of kills at
# random moments of back-to-back refits: the model row is always one whole
# model, never a mix. Run by sql_run.sh with the path of vae.so.
import hashlib, os, random, shutil, signal, subprocess, sys, threading, time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

SO = sys.argv[1]
SHELL = shutil.which('sqlite3')
IMPUTE = "SELECT vae_impute('m', 'a', NULL, 1.5, 2, 'v')"


def connect(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(SO)
    return db


def rows_digest(db):
    h = hashlib.sha256()
    for row in db.execute('SELECT * FROM t ORDER BY rowid'):
        h.update(repr(row).encode())
    return h.hexdigest()


def state(db):
    model = db.execute("SELECT model, fit_id, report FROM vae_models WHERE name = 'm'").fetchone()
    return rows_digest(db), model


def setup(path, journal):
    for f in (path, path + '-journal', path + '-wal', path + '-shm'):
        if os.path.exists(f):
            os.remove(f)
    db = connect(path)
    db.execute('PRAGMA journal_mode = %s' % journal)
    db.execute('CREATE TABLE t (a REAL, b REAL, c INTEGER, k TEXT)')
    rnd = random.Random(1)
    db.execute('BEGIN')
    db.executemany('INSERT INTO t VALUES (?, ?, ?, ?)',
                   [(None if i % 5 == 0 else i * 0.01 + rnd.random(), (i % 7) * 1.0,
                     None if i % 9 == 0 else i % 4, 'uvw'[i % 3]) for i in range(20000)])
    db.execute('COMMIT')
    db.execute("""SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [8], "latent": 2,
                  "samples": 2, "seed": 1, "max_rows": 500}')""")
    # A slow trigger (a 40,000-pair join per updated row, writing nothing):
    # vae_fill takes seconds, so that it is killed half way. (Many
    # importance samples did this before imputation became adaptive.)
    db.execute('CREATE TABLE z (x)')
    db.executemany('INSERT INTO z VALUES (?)', [(i,) for i in range(200)])
    db.execute('CREATE TRIGGER slow AFTER UPDATE ON t BEGIN '
               'SELECT count(*) FROM z AS z1, z AS z2; END')
    return db


def written(path):
    """Has a transaction written to the journal or the WAL?"""
    return any(os.path.exists(f) and os.path.getsize(f) > 0
               for f in (path + '-journal', path + '-wal'))


def run_and_kill(path, sql, wait_for):
    """Starts the shell on path with sql, waits until its stderr shows
    wait_for (or, when wait_for is None, until the journal or the WAL holds
    a write), then kills it; True if it was still running then."""
    p = subprocess.Popen([SHELL, path], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    guard = threading.Timer(60, p.kill)
    guard.start()
    p.stdin.write(('.load %s\n%s\n' % (SO, sql)).encode())
    p.stdin.close()
    seen = False
    if wait_for is None:
        while p.poll() is None and not seen:
            seen = written(path)
            time.sleep(0.01)
    else:
        for line in p.stderr:
            if wait_for in line.decode(errors='replace'):
                seen = True
                break
    time.sleep(0.2)
    seen = seen and p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    guard.cancel()
    return seen and p.returncode == -signal.SIGKILL


def check(path, before, imp_before, what):
    db = connect(path)
    print('%s: integrity_check:' % what, db.execute('PRAGMA integrity_check').fetchone()[0])
    after = state(db)
    print('%s: user rows intact:' % what, after[0] == before[0])
    print('%s: earlier model intact (blob, fit_id, report):' % what, after[1] == before[1])
    print('%s: same answer as before:' % what, db.execute(IMPUTE).fetchone()[0] == imp_before)
    db.close()


for journal in ('delete', 'wal'):
    path = 'kill_%s.db' % journal
    db = setup(path, journal)
    before = state(db)
    imp = db.execute(IMPUTE).fetchone()[0]
    db.close()
    what = '%s, mid-fit' % journal
    # verbose: one line per epoch on stderr; the first one proves the fit
    # has started training.
    killed = run_and_kill(path, """SELECT vae_fit('m', 't', '{"epochs": 100000, "patience": 100000,
        "hidden": [32, 32], "samples": 4, "max_rows": 3000, "verbose": true, "seed": 2}');""",
                          'vae_fit: epoch 1 ')
    print('%s: killed during training:' % what, killed)
    check(path, before, imp, what)
    what = '%s, mid-fill' % journal
    # vae_fill writes in place inside one savepoint: killed during the
    # UPDATEs, the journal (or the WAL) must undo every one of them. A tiny
    # page cache makes the changed pages spill into the database file (or
    # the WAL) before the end, so that recovery has real work to do.
    killed = run_and_kill(path, "PRAGMA cache_size = 5;\nSELECT vae_fill('m', 't');", None)
    print('%s: killed while filling:' % what, killed)
    check(path, before, imp, what)

print('-- kills at random moments of back-to-back refits (WAL)')
path = 'kill_wal.db'
rnd = random.Random(7)
refits = '\n'.join("""SELECT vae_fit('m', 'SELECT * FROM t LIMIT %d', '{"epochs": 1, "hidden": [4],
    "latent": 1, "samples": 1, "impute_samples": 4, "seed": %d}');""" % (200 + 37 * i, i)
                   for i in range(400))
db = connect(path)
digest = rows_digest(db)
db.close()
problems = 0
fit_ids = set()
for k in range(6):
    p = subprocess.Popen([SHELL, path], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(('.load %s\n%s\n' % (SO, refits)).encode())
    p.stdin.close()
    time.sleep(0.3 + rnd.random() * 0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    db = connect(path)
    ok = db.execute('PRAGMA integrity_check').fetchone()[0] == 'ok'
    fit_id, source, options = db.execute(
        "SELECT fit_id, source, options FROM vae_models WHERE name = 'm'").fetchone()
    # The row is one fit's: its source and its options name the same i.
    whole = source == 't' or options.find('"seed":%d,' % ((int(source.split()[-1]) - 200) // 37)) > 0
    loads = isinstance(db.execute(IMPUTE).fetchone()[0], float)
    fit_ids.add(fit_id)
    if not (ok and whole and loads and rows_digest(db) == digest):
        problems += 1
    db.close()
print('6 kills: integrity ok, user rows intact, model row whole and loadable every time:',
      problems == 0)
print('the refits were under way (the model changed):', len(fit_ids) > 1)
