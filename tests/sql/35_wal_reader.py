# WAL mode: while one connection runs a long vae_fit (in a thread: the
# sqlite3 module lets go of the GIL inside sqlite3_step), a reader on
# another connection keeps reading the old model: vae_impute works and gives
# the old answer, never blocked, never a mix of old and new. A reader inside
# a transaction keeps its snapshot (and the old model) across the commit of
# a refit, and sees the new one after. Run by sql_run.sh with the path of
# vae.so.
import os, sys, threading, time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

SO = sys.argv[1]
PATH = 'wal.db'
READ = "SELECT fit_id, vae_impute('m', 'a', NULL, 1.5, 2, 'v') FROM vae_models WHERE name = 'm'"


def connect():
    db = sqlite3.connect(PATH, isolation_level=None, check_same_thread=False, timeout=10)
    db.enable_load_extension(True)
    db.load_extension(SO)
    return db


writer = connect()
print('journal mode:', writer.execute('PRAGMA journal_mode = WAL').fetchone()[0])
writer.execute('CREATE TABLE t (a REAL, b REAL, c INTEGER, k TEXT)')
writer.execute('BEGIN')
writer.executemany('INSERT INTO t VALUES (?, ?, ?, ?)',
                   [(None if i % 5 == 0 else i * 0.01, (i % 7) * 1.0, i % 4, 'uvw'[i % 3])
                    for i in range(3000)])
writer.execute('COMMIT')
writer.execute("""SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [8], "latent": 2,
                  "samples": 2, "impute_samples": 16, "seed": 1}')""")
reader = connect()
old = reader.execute(READ).fetchone()
print('reader sees the model:', isinstance(old[1], float))

print('-- a long fit in another thread')
state = {}


def long_fit():
    t0 = time.time()
    try:
        state['report'] = writer.execute("""SELECT vae_fit('m', 't', '{"epochs": 100000,
            "patience": 100000, "hidden": [16], "latent": 2, "samples": 2,
            "impute_samples": 16, "seed": 2}')""").fetchone()
    except sqlite3.Error as e:
        state['error'] = str(e)
    state['seconds'] = time.time() - t0


th = threading.Thread(target=long_fit)
th.start()
reads, same, slowest = 0, 0, 0.0
t_end = time.time() + 1.5
while time.time() < t_end:
    t0 = time.time()
    row = reader.execute(READ).fetchone()
    slowest = max(slowest, time.time() - t0)
    reads += 1
    same += row == old
writer.interrupt()
th.join()
print('the fit was running meanwhile:', th.is_alive() is False and state.get('error') == 'vae_fit: interrupted')
print('reads while the fit ran: more than 20:', reads > 20)
print('every read gave the old model and the old answer:', same == reads)
print('no read waited for the writer (each under 1 s):', slowest < 1.0)
print('model unchanged after the interrupted fit:', reader.execute(READ).fetchone() == old)

print('-- a refit that commits while the fit and the reads overlap')
th = threading.Thread(target=lambda: state.update(
    r=writer.execute("""SELECT vae_fit('m', 't', '{"epochs": 30, "patience": 1000, "hidden": [16],
        "latent": 2, "samples": 2, "impute_samples": 16, "seed": 3}')""").fetchone()))
th.start()
seen = set()
while th.is_alive():
    seen.add(reader.execute(READ).fetchone())
th.join()
new = reader.execute(READ).fetchone()
print('refit committed, the reader sees it at once:', new[0] != old[0] and isinstance(new[1], float))
print('reads saw only the old or the new model, whole:', seen <= {old, new})

print('-- a reader transaction keeps its snapshot across a commit')
reader.execute('BEGIN')
before = reader.execute(READ).fetchone()
writer.execute("""SELECT vae_fit('m', 't', '{"epochs": 3, "hidden": [16], "latent": 2,
    "samples": 2, "impute_samples": 16, "seed": 4}')""")
committed = writer.execute(READ).fetchone()
inside = reader.execute(READ).fetchone()
reader.execute('COMMIT')
after = reader.execute(READ).fetchone()
print('writer sees its new model:', committed[0] != before[0])
print('reader in its transaction: still the model it started with:', inside == before)
print('reader after its transaction: the new model:', after == committed)
print('integrity_check:', reader.execute('PRAGMA integrity_check').fetchone()[0])
