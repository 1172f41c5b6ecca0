# A scan of the generating table without a LIMIT the table can see stops
# with an error after 1,000,000 generated rows, counting rows that SQLite
# then rejects (WHERE abs(a) < 0 is never true: it used to run forever), so
# a fit, a fidelity check or a source= table reading a view over it ends
# too, also with max_rows (which bounds memory, not time). Each such scan
# takes about a second; they are here and not in a .sql case so that the
# valgrind run (SQL cases only) stays short.
#
# Run by sql_run.sh with the path of vae.so; the output must equal
# 44_gen_unbounded.expected.
import os, sys, time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?)',
               [(i * 0.5, (i % 5) * 1.5, 'xyz'[i % 3]) for i in range(40)])
db.execute("""SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}')""")
db.execute('CREATE VIRTUAL TABLE s USING vae(m)')
db.execute('CREATE VIEW gv AS SELECT a, b, k FROM s')
db.execute('CREATE VIRTUAL TABLE fg USING vae(m, source=gv)')
slow = []
for sql in ['SELECT count(*) FROM s WHERE abs(a) < 0',
            'SELECT count(*) FROM s',
            "SELECT count(*) FROM (SELECT * FROM s WHERE a + 0 = a LIMIT 100000)",
            """SELECT vae_fit('m2', 'gv', '{"epochs": 1}')""",
            """SELECT vae_fit('m2', 'gv', '{"epochs": 1, "max_rows": 100}')""",
            "SELECT vae_fidelity('m', 'gv')",
            'SELECT count(*) FROM fg']:
    t0 = time.time()
    try:
        print(sql, '->', db.execute(sql).fetchone()[0])
    except sqlite3.Error as e:
        print(sql, '-> error:', e)
    if time.time() - t0 > 60:
        slow.append(sql)
print('slower than a minute:', slow)
print(db.execute('SELECT group_concat(name) FROM vae_models').fetchone()[0])
