# Hostile values and shapes that the shell cannot easily make: NaN and
# infinities bound from Python, a table of 2000 columns (SQLite's column
# limit), a categorical column of 5000 levels. Each is an error naming the
# function, or works. Run by sql_run.sh with the path of vae.so.
import json, math, os, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
OPTS = '{"epochs": 2, "hidden": [8], "latent": 2, "samples": 2, "impute_samples": 8, "seed": 1}'


def run(sql, *args):
    try:
        print('ok:', db.execute(sql, args).fetchone())
    except sqlite3.Error as e:
        print('error:', e)


print('-- NaN: SQLite stores a bound NaN as NULL, so it is a missing value')
db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?)',
               [(float('nan') if i % 6 == 0 else i * 0.5, (i % 5) * 1.5, 'xyz'[i % 3]) for i in range(60)])
run('SELECT count(*), sum(a IS NULL), typeof(min(a)) FROM t')
run("SELECT json_extract(vae_fit('m', 't', ?), '$.rows')", OPTS)
nan = db.execute("SELECT vae_impute('m', 'a', ?, 1.5, 'x')", (float('nan'),)).fetchone()[0]
null = db.execute("SELECT vae_impute('m', 'a', NULL, 1.5, 'x')").fetchone()[0]
print('NaN argument imputed like NULL:', nan == null and isinstance(nan, float))
run("SELECT vae_score('m', ?, 1.5, 'x') = vae_score('m', NULL, 1.5, 'x')", float('nan'))
print('-- infinities bound from Python')
run("SELECT vae_impute('m', 'a', NULL, ?, 'x')", float('inf'))
run("SELECT vae_impute('m', 'a', NULL, ?, 'x')", float('-inf'))
run("SELECT vae_score('m', ?, 1.5, 'x')", float('inf'))
run("SELECT vae_impute('m', 'a', json_object('b', ?))", float('inf'))
db.execute('CREATE TABLE inf (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO inf VALUES (?, ?, ?)',
               [(1.0, 2.0, 'x'), (float('-inf'), None, 'y'), (2.0, 4.0, 'z')])
run("SELECT vae_fit('i', 'inf', ?)", OPTS)
run("SELECT vae_fit('i', 'SELECT b, a * 1e300 AS a FROM t', ?)", OPTS)
run("SELECT vae_fill('m', 'inf')")

print('-- a table of 2000 columns')
n = 2000
db.execute('CREATE TABLE wide (%s)' % ', '.join('c%d REAL' % j for j in range(n)))
rows = [[None if (i + j) % 5 == 0 else float((i * (j + 1)) % 7) + 0.5 for j in range(n)] for i in range(30)]
db.executemany('INSERT INTO wide VALUES (%s)' % ', '.join('?' * n), rows)
r = json.loads(db.execute("""SELECT vae_fit('w', 'wide', '{"epochs": 1, "hidden": [4], "latent": 2,
                             "samples": 1, "impute_samples": 4, "seed": 1}')""").fetchone()[0])
print('fitted: rows', r['rows'], 'columns', len(r['columns']))
row = json.dumps({'c%d' % j: 1.5 for j in range(1, n)})
run("SELECT typeof(vae_impute('w', 'c0', ?))", row)
run("SELECT typeof(vae_score('w', ?))", row)
run("SELECT vae_impute('w', 'c0', NULL, 1, 2)")
run("SELECT count(*), min(length(value)) > 10000 FROM vae_sample('w', 3)")
# 2000 columns and the hidden column pass SQLite's limit of 2000 per table,
# and the rowid and 2000 columns its limit per result: clear errors.
run("CREATE VIRTUAL TABLE ws USING vae(w)")
run("CREATE VIRTUAL TABLE wf USING vae(w, source=wide)")
run("SELECT vae_fill('w', 'wide')")
run("SELECT count(*) FROM wide WHERE c0 IS NULL")

print('-- a categorical column of 5000 levels')
db.execute('CREATE TABLE lv (k TEXT, x REAL)')
db.executemany('INSERT INTO lv VALUES (?, ?)',
               [('level%d' % i, i * 0.01 + i % 3) for i in range(5000)])
# One row per level: inferred, it would be an identifier (left out).
run("""SELECT json_extract(vae_fit('lv', 'lv', '{"epochs": 1, "hidden": [8], "latent": 2,
       "samples": 1, "impute_samples": 8, "seed": 1}'), '$.skipped[0].reason')""")
run("""SELECT json_extract(vae_fit('lv', 'lv', '{"epochs": 1, "hidden": [8], "latent": 2,
       "samples": 1, "impute_samples": 8, "seed": 1, "types": {"k": "categorical"}}'),
       '$.columns')""")
run("SELECT json_array_length(columns, '$[0].levels') FROM vae_models WHERE name = 'lv'")
run("SELECT vae_impute('lv', 'k', NULL, 12.5) LIKE 'level%', typeof(vae_impute('lv', 'x', 'level4321', NULL))")
run("SELECT vae_impute('lv', 'x', 'level5000', NULL)")
run("SELECT count(*), count(DISTINCT value ->> 'k') > 50 FROM vae_sample('lv', 200, 1)")
run("SELECT count(*) FROM (SELECT * FROM vae_sample('lv', 100)) WHERE value ->> 'k' NOT LIKE 'level%'")
