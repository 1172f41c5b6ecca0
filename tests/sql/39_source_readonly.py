# The source of vae_fit and vae_fidelity is read-only, also for SQL that a
# host's function runs while the source is read (here run_sql, a Python
# function executing SQL on the same connection): no INSERT, UPDATE, DELETE,
# CREATE, no PRAGMA that writes the file, no ATTACH. Inside a statement that
# writes, where the connection cannot be made read-only, changed rows make
# the call fail. Afterwards the connection is as it was (query_only off,
# ATTACH allowed). Functions with side effects outside SQL (the shell's
# writefile) are the host's to deny: see the README.
#
# Run by sql_run.sh with the path of vae.so; the output must equal
# 39_source_readonly.expected.
import os, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
seen = []


def run_sql(sql):
    try:
        db.execute(sql)
        seen.append('ran: ' + sql)
    except sqlite3.Error as e:
        seen.append('refused: %s: %s' % (sql, e))
    return 1.0


db.create_function('run_sql', 1, run_sql)


def run(sql, *args):
    del seen[:]
    try:
        row = db.execute(sql, args).fetchone()
        print('ok:', row)
    except sqlite3.Error as e:
        print('error:', e)
    for s in sorted(set(seen)):
        print('  ', s)


db.execute('CREATE TABLE t (a REAL, b REAL)')
db.executemany('INSERT INTO t VALUES (?, ?)', [(i * 0.5, (i % 5) * 1.5) for i in range(40)])
db.execute('CREATE TABLE log (x)')
db.execute('CREATE TABLE other (x)')
opts = '{"epochs": 1, "hidden": [4], "latent": 1, "seed": 1}'
db.execute("SELECT vae_fit('m0', 't', ?)", (opts,))
print('-- writes from inside the source are refused')
for sql in ['DELETE FROM t', 'INSERT INTO log VALUES (1)', 'UPDATE t SET a = 0',
            'CREATE TABLE evil (x)', 'DROP TABLE log', 'PRAGMA user_version = 7',
            "ATTACH ':memory:' AS aux"]:
    q = "SELECT a, b, run_sql('%s') AS w FROM t" % sql.replace("'", "''")
    run("SELECT json_extract(vae_fit('m', ?, ?), '$.rows')", q, opts)
    run("SELECT json_extract(vae_fidelity('m', ?), '$.rows_real')", q)
print('-- nothing changed; the connection is as it was')
print(db.execute('SELECT count(*), sum(a) FROM t').fetchone(),
      db.execute('SELECT count(*) FROM log').fetchone(),
      db.execute('PRAGMA user_version').fetchone(),
      db.execute('PRAGMA query_only').fetchone(),
      [r[1] for r in db.execute('PRAGMA database_list')])
print(db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'evil'").fetchone())
db.execute("ATTACH ':memory:' AS aux2")
db.execute('INSERT INTO log VALUES (1)')
print([r[1] for r in db.execute('PRAGMA database_list')], db.execute('SELECT count(*) FROM log').fetchone())
db.execute("DETACH aux2")
db.execute('DELETE FROM log')
print('-- query_only the host set stays set')
db.execute('PRAGMA query_only = 1')
run("SELECT json_extract(vae_fidelity('m0', 'SELECT a, b FROM t'), '$.rows_real')")
print(db.execute('PRAGMA query_only').fetchone())
db.execute('PRAGMA query_only = 0')
print('-- inside a statement that writes: detected by the change count')
run("INSERT INTO log SELECT json_extract(vae_fit('m', ?, ?), '$.rows')",
    "SELECT a, b, run_sql('INSERT INTO other VALUES (1)') AS w FROM t", opts)
run("INSERT INTO log SELECT json_extract(vae_fit('m', 'SELECT a, b FROM t', ?), '$.rows')", opts)
print(db.execute('SELECT x FROM log').fetchall(), db.execute('SELECT count(*) FROM other').fetchone())
print('-- a read-only source that calls a function is fine')
run("SELECT json_extract(vae_fit('m', ?, ?), '$.rows')",
    "SELECT a, b, run_sql('SELECT count(*) FROM t') AS w FROM t", opts)
print('-- interrupted while the source is read: the connection is as it was')
# sqlite3_interrupt fails every statement of the connection until the
# interrupted one ends, PRAGMA query_only = 0 among them: the undoing must
# not need a statement to run (it once left query_only on).
calls = [0]


def stop_at_row(x):
    calls[0] += 1
    if calls[0] == 10:
        db.interrupt()
    return x


db.create_function('stop_at_row', 1, stop_at_row)
for call in ("SELECT json_extract(vae_fit('m', ?, ?), '$.rows')",
             "SELECT json_extract(vae_fidelity('m0', ?), '$.rows_real')"):
    calls[0] = 0
    args = ('SELECT stop_at_row(a) AS a, b FROM t',) + ((opts,) if 'fit' in call else ())
    run(call, *args)
    print(db.execute('PRAGMA query_only').fetchone(),
          db.execute("SELECT count(*) FROM pragma_database_list").fetchone())
    db.execute('INSERT INTO log VALUES (2)')
    db.execute("ATTACH ':memory:' AS aux3")
    db.execute('DETACH aux3')
print(db.execute('SELECT count(*) FROM log WHERE x = 2').fetchone())
