# High-cardinality text is never silent (issue 11, item 3). A text column of
# more than 1000 levels, or of more than 20 levels and more than half its
# rows, is refused with an error naming the column and its level count and
# showing the options; a column whose values are all distinct is an
# identifier, left out and reported. Forced with "types" it is modelled,
# and a fit with "verbose" says within a second how long an epoch takes.
# Run by sql_run.sh with the path of vae.so.
import os, subprocess, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

SO = sys.argv[1]
db = sqlite3.connect('hc.db', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(SO)
O = '{"epochs": 1, "hidden": [8], "latent": 2, "seed": 1}'


def run(sql):
    try:
        print(db.execute(sql).fetchone()[0])
    except sqlite3.Error as e:
        print('error:', e)


db.execute('CREATE TABLE t (code TEXT, half TEXT, id TEXT, x REAL)')
db.executemany('INSERT INTO t VALUES (?, ?, ?, ?)',
               [('c%d' % (i % 1500), 'h%d' % (i % 2000), 'id%d' % i, (i % 17) * 0.5)
                for i in range(3000)])
print('-- 1500 levels in 3000 rows')
run("SELECT vae_fit('m', 't', '%s')" % O)
print('-- more than half the rows')
run("""SELECT vae_fit('m', 'SELECT half, x FROM t', '%s')""" % O)
run("""SELECT vae_fit('m', 'SELECT ''h'' || (rowid %% 30) AS half, x FROM t LIMIT 40', '%s')""" % O)
print('-- 20 levels in 30 rows is fine, all distinct is an identifier, left out')
run("""SELECT json_extract(vae_fit('m', 'SELECT ''k'' || (rowid %% 20) AS k, x FROM t LIMIT 30', '%s'),
       '$.columns[0].kind')""" % O)
run("""SELECT json_extract(vae_fit('m', 'SELECT id, x FROM t', '%s'), '$.skipped')""" % O)
print('-- columns leaves it out; types models it')
run("""SELECT json_extract(vae_fit('m', 't', json_patch('%s', '{"columns": ["x", "half"],
       "types": {"half": "categorical"}}')), '$.columns')""" % O)
db.close()

print('-- verbose: the first line early in training, with the time per epoch')
sql = """.load %s
SELECT length(vae_fit('v', 't', '{"epochs": 1000, "seed": 1, "verbose": true,
       "types": {"code": "categorical", "half": "categorical"}, "columns": ["code", "half", "x"]}')) > 0;
""" % SO
p = subprocess.Popen(['sqlite3', 'hc.db'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, text=True)
p.stdin.write(sql)
p.stdin.close()
first = p.stderr.readline()
# The line comes while training still runs (1000 epochs take minutes), not
# at its end; no wall-clock bound, which a loaded machine would break.
running = p.poll() is None
p.kill()
p.wait()
print('first line while training runs:', running)
print('it gives the size and the time per epoch:',
      first.startswith('vae_fit: 3000 rows (2700 to train on), 3 columns, up to 1000 epochs; about ')
      and ' s per epoch (' in first)
if os.environ.get('VAE_TEST_VERBOSE'):
    sys.stderr.write(first)
