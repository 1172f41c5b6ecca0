# An interrupted fit (sqlite3_interrupt, Ctrl-C in the shell) stops within a
# fraction of a second with SQLITE_INTERRUPT and "vae_fit: interrupted",
# and leaves the earlier model of that name untouched. Run by sql_run.sh
# with the path of vae.so as argument.
import sqlite3, sys, threading, time

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?)',
               [(i * 0.1, (i % 7) * 1.0, 'uvw'[i % 3]) for i in range(3000)])
db.execute("""SELECT vae_fit('m', 't', '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2}')""")
before = db.execute('SELECT fit_id, report FROM vae_models').fetchone()
imp = db.execute("SELECT vae_impute('m', 'a', NULL, 1, 'u')").fetchone()
threading.Timer(0.3, db.interrupt).start()
t0 = time.time()
try:
    db.execute("""SELECT vae_fit('m', 't', '{"epochs": 1000000, "patience": 100000}')""").fetchone()
    print('not interrupted')
except sqlite3.Error as e:
    print(type(e).__name__, e)
    # the code itself is visible from Python 3.11 on
    print('SQLITE_INTERRUPT:', getattr(e, 'sqlite_errorcode', 9) == 9)
print('stopped within 2 s:', time.time() - t0 < 2.3)
print('earlier model kept:', db.execute('SELECT fit_id, report FROM vae_models').fetchone() == before)
print('still usable:', db.execute("SELECT vae_impute('m', 'a', NULL, 1, 'u')").fetchone() == imp)
threading.Timer(0.2, db.interrupt).start()
try:
    db.execute("SELECT count(*) FROM (SELECT * FROM vae_sample('m', 100000000))").fetchone()
    print('sample not interrupted')
except sqlite3.Error as e:
    print(type(e).__name__, e)

# An interrupt between the store's statements (here set by a trigger on
# vae_models, after the INSERT and before the RELEASE): no statement runs
# on the connection until vae_fit's ends, ROLLBACK TO among them, and the
# fit once left its savepoint's transaction open with the new model in it.
db.create_function('stop_now', 0, db.interrupt)
db.execute('CREATE TRIGGER stop AFTER INSERT ON vae_models BEGIN SELECT stop_now(); END')
try:
    db.execute("""SELECT vae_fit('m2', 't', '{"epochs": 1, "hidden": [4], "latent": 1}')""").fetchone()
    print('store not interrupted')
except sqlite3.Error as e:
    print(type(e).__name__, e)
print('no transaction left open:', not db.in_transaction)
print('models:', [r[0] for r in db.execute('SELECT name FROM vae_models')])
db.execute('DROP TRIGGER stop')
