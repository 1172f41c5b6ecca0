# The connection's progress handler is honoured during a long vae_fit: when
# it returns nonzero the fit stops (SQLITE_INTERRUPT, "vae_fit: interrupted")
# within a fraction of a second, and the earlier model is kept. A handler
# that never stops the fit is called during it and changes nothing.
import sqlite3, sys, time

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?)',
               [(i * 0.1, (i % 7) * 1.0, 'uvw'[i % 3]) for i in range(3000)])
db.execute("""SELECT vae_fit('m', 't', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2}')""")
before = db.execute('SELECT fit_id FROM vae_models').fetchone()

calls = [0]
def counting():
    calls[0] += 1
    return 0
db.set_progress_handler(counting, 1000)
db.execute("""SELECT vae_fit('m2', 't', '{"epochs": 3, "hidden": [8], "latent": 2}')""").fetchone()
print('a handler that returns 0 is called during the fit:', calls[0] > 0)
print('and the fit completes:', db.execute("SELECT count(*) FROM vae_models WHERE name = 'm2'").fetchone()[0] == 1)

deadline = time.time() + 0.3
db.set_progress_handler(lambda: 1 if time.time() > deadline else 0, 1000)
t0 = time.time()
try:
    # bounded, so that a regression fails in seconds instead of hanging
    db.execute("""SELECT vae_fit('m', 't', '{"epochs": 400, "patience": 100000}')""").fetchone()
    print('not stopped')
except sqlite3.Error as e:
    print(type(e).__name__, e)
print('stopped within 2 s:', time.time() - t0 < 2.3)
db.set_progress_handler(None, 0)
print('earlier model kept:', db.execute("SELECT fit_id FROM vae_models WHERE name = 'm'").fetchone() == before)
