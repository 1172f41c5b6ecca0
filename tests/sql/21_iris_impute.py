# Categorical imputation on iris (tests/data/iris.csv, 150 rows, four
# measurements and species). 20% of the species cells are hidden with a
# fixed seed, a model is fitted on the damaged table and vae_impute recovers
# the species from the measurements: the accuracy must be far above the
# majority-class baseline (about 1/3: the classes are balanced) and above a
# floor that a sound model meets on this easy data set; the JSON-object form
# of vae_impute must give the same answers.
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 21_iris_impute.expected, so only pass/fail lines are printed.
# VAE_TEST_VERBOSE=1 prints the measured figures to stderr (by hand only).
import csv, math, os, random, sys
from collections import Counter

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))




sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])

with open(os.path.join(HERE, '..', 'data', 'iris.csv'), newline='') as f:
    rd = csv.reader(f)
    header = next(rd)
    rows = [[float(v) for v in r[:4]] + [r[4]] for r in rd]
print('columns:', header)
print('rows:', len(rows), 'species:', sorted(Counter(r[4] for r in rows).items()))

rng = random.Random(2021)
hidden = sorted(rng.sample(range(len(rows)), round(0.2 * len(rows))))
masked = [list(r) for r in rows]
for i in hidden:
    masked[i][4] = None
print('hidden species cells:', len(hidden))

db.execute('CREATE TABLE im (id INTEGER PRIMARY KEY, %s)' %
           ', '.join('"%s" %s' % (h, 'TEXT' if h == 'species' else 'REAL') for h in header))
db.executemany('INSERT INTO im VALUES (?, ?, ?, ?, ?, ?)',
               [[i + 1] + r for i, r in enumerate(masked)])
db.execute("""SELECT vae_fit('m', 'im', '{"seed": 1, "hidden": [32], "epochs": 300, "holdout": 0}')""")

cols = ', '.join('"%s"' % h for h in header)
got = dict(db.execute("SELECT id, vae_impute('m', 'species', %s) FROM im "
                      "WHERE species IS NULL ORDER BY id" % cols).fetchall())
obj = dict(db.execute("SELECT id, vae_impute('m', 'species', json_object(%s)) FROM im "
                      "WHERE species IS NULL ORDER BY id" %
                      ', '.join("'%s', \"%s\"" % (h, h) for h in header[:4])).fetchall())
check('every hidden cell filled with a known species',
      sorted(got) == [i + 1 for i in hidden] and
      all(got[i + 1] in ('setosa', 'versicolor', 'virginica') for i in hidden))
check('the JSON-object form gives the same species', got == obj)

n = len(hidden)
mode = Counter(r[4] for r in masked if r[4] is not None).most_common(1)[0][0]
right = sum(got[i + 1] == rows[i][4] for i in hidden)
base = sum(rows[i][4] == mode for i in hidden)
setosa = [i for i in hidden if rows[i][4] == 'setosa']
note('iris species: n=%d vae %.3f majority %.3f (setosa %d of %d)' %
     (n, right / n, base / n, sum(got[i + 1] == 'setosa' for i in setosa), len(setosa)))
check('accuracy >= majority baseline + 0.4', right >= base + 0.4 * n,
      'vae %.3f, majority %.3f' % (right / n, base / n))

# 5 nearest neighbours among the rows whose species is known
known = [r for r in masked if r[4] is not None]
sd = []
for j in range(4):
    mu = sum(r[j] for r in known) / len(known)
    sd.append(math.sqrt(sum((r[j] - mu) ** 2 for r in known) / len(known)))


def knn(q, k=5):
    near = sorted(known, key=lambda r: sum(((r[j] - q[j]) / sd[j]) ** 2 for j in range(4)))
    return Counter(r[4] for r in near[:k]).most_common(1)[0][0]


kn = sum(knn(rows[i]) == rows[i][4] for i in hidden)
note('5-NN %.3f' % (kn / n))
check('accuracy >= 5-NN accuracy - 0.1', right >= kn - 0.1 * n,
      'vae %.3f, 5-NN %.3f' % (right / n, kn / n))
# setosa is linearly separable from the others by petal length
check('every hidden setosa recovered', all(got[i + 1] == 'setosa' for i in setosa))
