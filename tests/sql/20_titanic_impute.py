# Categorical imputation on titanic (tests/data/titanic.csv, 1309 rows:
# survived, sex, age with real gaps, passengerClass). 20% of the categorical
# cells are hidden with a fixed seed, a model is fitted on the damaged table
# and vae_impute fills the hidden cells. Its accuracy must beat the
# majority-class baseline (what mode imputation would score) overall and per
# column, and match a contingency-table imputer (the most frequent value
# given the other observed categorical cells of the row).
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 20_titanic_impute.expected, so only pass/fail lines are printed.
# VAE_TEST_VERBOSE=1 prints the measured figures to stderr (by hand only).
import csv, os, random, sys
from collections import Counter

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))




sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])

with open(os.path.join(HERE, '..', 'data', 'titanic.csv'), newline='') as f:
    rd = csv.reader(f)
    header = next(rd)
    rows = [[r[0], r[1], float(r[2]) if r[2] != '' else None, r[3]] for r in rd]
print('columns:', header)
print('rows:', len(rows), 'missing age:', sum(r[2] is None for r in rows))

CAT = [0, 1, 3]
rng = random.Random(2020)
cells = [(i, j) for i in range(len(rows)) for j in CAT]
hidden = rng.sample(cells, round(0.2 * len(cells)))
masked = [list(r) for r in rows]
for i, j in hidden:
    masked[i][j] = None
print('hidden categorical cells:', len(hidden))

db.execute('CREATE TABLE tm (id INTEGER PRIMARY KEY, survived TEXT, sex TEXT, age REAL, '
           'passengerClass TEXT)')
db.executemany('INSERT INTO tm VALUES (?, ?, ?, ?, ?)',
               [[i + 1] + r for i, r in enumerate(masked)])
db.execute("""SELECT vae_fit('m', 'tm', '{"seed": 1, "hidden": [32], "epochs": 60}')""")
print('kinds:', db.execute("SELECT group_concat(json_extract(value, '$.kind'), ' ') "
                           "FROM vae_models, json_each(vae_models.columns)").fetchone()[0])


def impute(col):
    return dict(db.execute(
        'SELECT id, vae_impute(\'m\', ?, survived, sex, age, passengerClass) FROM tm '
        'WHERE "%s" IS NULL ORDER BY id' % col, (col,)).fetchall())


total = {'vae': 0, 'base': 0, 'table': 0}
for j in CAT:
    col = header[j]
    got = impute(col)
    again = impute(col)
    idx = [i for i, jj in hidden if jj == j]
    levels = set(r[j] for r in rows)
    check('%s: every hidden cell filled with a known level' % col,
          len(got) == len(idx) and all(got[i + 1] in levels for i in idx))
    check('%s: deterministic' % col, got == again)
    mode = Counter(r[j] for r in masked if r[j] is not None).most_common(1)[0][0]
    right = sum(got[i + 1] == rows[i][j] for i in idx)
    base = sum(rows[i][j] == mode for i in idx)
    # the contingency-table imputer: most frequent value among the rows that
    # agree on the row's other observed categorical cells
    table = 0
    for i in idx:
        given = [k for k in CAT if k != j and masked[i][k] is not None]
        cnt = Counter(r[j] for r in masked
                      if r[j] is not None and all(r[k] == masked[i][k] for k in given))
        table += cnt.most_common(1)[0][0] == rows[i][j]
    n = len(idx)
    note('%-15s n=%d vae %.3f majority %.3f table %.3f' % (col, n, right / n, base / n, table / n))
    check('%s: accuracy >= majority baseline + 0.02' % col, right >= base + 0.02 * n,
          'vae %.3f, majority %.3f' % (right / n, base / n))
    total['vae'] += right
    total['base'] += base
    total['table'] += table

n = len(hidden)
note('overall vae %.3f majority %.3f table %.3f' %
     (total['vae'] / n, total['base'] / n, total['table'] / n))
check('overall: accuracy >= majority baseline + 0.05', total['vae'] >= total['base'] + 0.05 * n,
      'vae %.3f, majority %.3f' % (total['vae'] / n, total['base'] / n))
check('overall: accuracy >= contingency-table imputer - 0.02',
      total['vae'] >= total['table'] - 0.02 * n,
      'vae %.3f, table %.3f' % (total['vae'] / n, total['table'] / n))
