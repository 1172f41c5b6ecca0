# Multiple imputation through `CREATE VIRTUAL TABLE f USING vae(m, source=t)`
# on titanic (tests/data/titanic.csv; age is missing in 263 of 1309 rows).
# The table gets sparse ids (rowid = 10 i + 3) and an INTEGER copy of the
# class, pclass, itself missing in about 10% of rows (fixed seed), so that
# REAL, INTEGER and TEXT columns are all filled.
#
# Checked: rowids and row count match the source for every draw; observed
# cells are returned unchanged by every draw; no NULL is left; typeof() is
# REAL / INTEGER / TEXT as the model's kinds say; draws 1, 2, 3 give
# different ages; draw 0 is vae_impute's estimate; the mean of 30 draws tends
# to the draw-0 estimate (the conditional mean): its distance to it is small
# relative to the column's sd, several times smaller than that of a single
# draw, and without bias; and the estimates are plausible (older passengers
# in 1st class than in 3rd, as in the observed rows).
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 23_multiple_imputation.expected, so only pass/fail lines are
# printed. VAE_TEST_VERBOSE=1 prints the measured figures to stderr.
import csv, math, os, random, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))




sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])

with open(os.path.join(HERE, '..', 'data', 'titanic.csv'), newline='') as f:
    rd = csv.reader(f)
    next(rd)
    raw = list(rd)
rng = random.Random(2023)
db.execute('CREATE TABLE titanic (id INTEGER PRIMARY KEY, survived TEXT, sex TEXT, age REAL, '
           'passengerClass TEXT, pclass INTEGER)')
db.executemany('INSERT INTO titanic VALUES (?, ?, ?, ?, ?, ?)',
               [(10 * i + 3, r[0], r[1], float(r[2]) if r[2] != '' else None, r[3],
                 None if rng.random() < 0.1 else int(r[3][0])) for i, r in enumerate(raw)])
print('rows, missing age, missing pclass:',
      db.execute('SELECT count(*), sum(age IS NULL), sum(pclass IS NULL) FROM titanic').fetchone())
db.execute("""SELECT vae_fit('m', 'titanic', '{"seed": 1, "hidden": [32], "epochs": 60}')""")
print('kinds:', db.execute("SELECT group_concat(json_extract(value, '$.name') || ' ' || "
                           "json_extract(value, '$.kind'), ', ') "
                           "FROM vae_models, json_each(vae_models.columns)").fetchone()[0])
db.execute('CREATE VIRTUAL TABLE f USING vae(m, source=titanic)')
print('columns of f:', db.execute("SELECT group_concat(name || ' ' || type || ' ' || hidden, ', ') "
                                  "FROM pragma_table_xinfo('f')").fetchone()[0])

COLS = ['survived', 'sex', 'age', 'passengerClass', 'pclass']
src = {r[0]: r[1:] for r in db.execute('SELECT id, %s FROM titanic' % ', '.join(COLS))}


def draw(d):
    return [(r[0], r[1:]) for r in db.execute(
        'SELECT rowid, %s FROM f WHERE draw = ?' % ', '.join(COLS), (d,))]


draws = {d: draw(d) for d in (0, 1, 2, 3)}
print('rows per draw 0..3:', [len(draws[d]) for d in (0, 1, 2, 3)])
check('rowids of every draw are those of the source, in order',
      all([r[0] for r in draws[d]] == sorted(src) for d in draws))
check('a plain scan (no draw constraint) equals draw = 0',
      [(r[0], tuple(r[1:])) for r in db.execute('SELECT rowid, %s FROM f' % ', '.join(COLS))] ==
      [(k, tuple(v)) for k, v in draws[0]])
d = {k: dict(draws[k]) for k in draws}
check('no NULL left in any draw', all(v is not None for k in d for row in d[k].values() for v in row))
check('observed cells identical in every draw and equal to the source',
      all(d[k][i][j] == src[i][j] for k in d for i in src for j in range(5)
          if src[i][j] is not None))

# typeof, both of observed and of filled cells
types = db.execute("SELECT group_concat(t, ' | ') FROM (SELECT DISTINCT typeof(survived) || ' ' || "
                   "typeof(sex) || ' ' || typeof(age) || ' ' || typeof(passengerClass) || ' ' || "
                   "typeof(pclass) AS t FROM f WHERE draw IN (0, 1))").fetchone()[0]
print('typeof over draws 0 and 1:', types)
filled = db.execute("SELECT DISTINCT typeof(f.age), typeof(f.pclass) FROM f JOIN titanic t ON "
                    "t.id = f.rowid WHERE f.draw = 2 AND t.age IS NULL AND t.pclass IS NULL").fetchall()
print('typeof of filled age and pclass:', filled)
check('filled pclass values are 1, 2 or 3',
      all(d[k][i][4] in (1, 2, 3) for k in d for i in src if src[i][4] is None))

# draws differ
miss = [i for i in src if src[i][2] is None]
distinct = sum(len({d[1][i][2], d[2][i][2], d[3][i][2]}) == 3 for i in miss)
note('rows with missing age: %d; all three draws distinct in %d' % (len(miss), distinct))
# 96% of the known ages are whole years, and draws follow the ages seen
# (through their quantiles), so two draws of a row may share a whole year;
# three independent draws from that distribution all differ ~90% of the time.
check('draws 1, 2 and 3 give three different ages in >= 85% of rows with missing age',
      distinct >= 0.85 * len(miss), '%d of %d' % (distinct, len(miss)))
check('draws 1 and 2 are not identical tables', draws[1] != draws[2])
check('a draw is reproducible', draw(2) == draws[2])
# draw 0 is the estimate vae_impute gives
est = dict(db.execute("SELECT id, vae_impute('m', 'age', survived, sex, age, passengerClass, pclass) "
                      "FROM titanic WHERE age IS NULL"))
check('draw 0 equals vae_impute on every missing age (to float precision)',
      all(abs(d[0][i][2] - est[i]) <= 1e-4 * (1 + abs(est[i])) for i in miss))

# the mean of 30 draws tends to the draw-0 estimate
obs = [v[2] for v in src.values() if v[2] is not None]
mu = sum(obs) / len(obs)
sd = math.sqrt(sum((x - mu) ** 2 for x in obs) / (len(obs) - 1))
D = 30
total = {i: 0.0 for i in miss}
for k in range(1, D + 1):
    for i, v in db.execute('SELECT f.rowid, f.age FROM f JOIN titanic t ON t.id = f.rowid '
                           'WHERE f.draw = ? AND t.age IS NULL', (k,)):
        total[i] += v
one = sum(abs(d[1][i][2] - d[0][i][2]) for i in miss) / len(miss) / sd
avg = sum(abs(total[i] / D - d[0][i][2]) for i in miss) / len(miss) / sd
bias = sum(total[i] / D - d[0][i][2] for i in miss) / len(miss) / sd
note('age sd %.2f; mean |draw - estimate| / sd: 1 draw %.3f, mean of %d draws %.3f; '
     'bias %.3f sd' % (sd, one, D, avg, bias))
check('one draw is far from the estimate (mean |diff| > 0.3 sd)', one > 0.3, '%.3f' % one)
check('mean of 30 draws: mean |diff| to the estimate < 0.2 sd', avg < 0.2, '%.3f' % avg)
check('mean of 30 draws: at most 0.3 times the distance of one draw', avg < 0.3 * one,
      '%.3f vs %.3f' % (avg, one))
check('mean of 30 draws: no bias (|mean diff| < 0.08 sd)', abs(bias) < 0.08, '%.3f' % bias)

# the estimates are plausible
age_by = {}
for cls in ('1st', '3rd'):
    age_by[cls] = db.execute(
        "SELECT avg(f.age) FROM f JOIN titanic t ON t.id = f.rowid WHERE f.draw = 0 "
        "AND t.age IS NULL AND t.passengerClass = ?", (cls,)).fetchone()[0]
note('mean estimated age: 1st class %.1f, 3rd class %.1f' % (age_by['1st'], age_by['3rd']))
check('estimated ages: 1st class older than 3rd by 5 years or more',
      age_by['1st'] >= age_by['3rd'] + 5, '%.1f vs %.1f' % (age_by['1st'], age_by['3rd']))
lo, hi = min(obs), max(obs)
check('every drawn age lies within the observed range',
      all(lo - 1e-3 <= d[k][i][2] <= hi + 1e-3 for k in d for i in miss))
