# Conditional generation through the vae virtual table, on titanic
# (tests/data/titanic.csv). `SELECT ... FROM s WHERE sex = 'female' LIMIT 5000`
# draws from the model's distribution given sex; the survival rate of those
# rows must be within 0.05 of the real rate of women (0.727), that of
# generated men within 0.05 of theirs (0.191), and every row carries the
# given value. The same holds, with wider bounds, for conditioning on class
# and on survival, for a numeric column (the mean age by class) and for two
# conditions at once (sex and class: an interaction that a model trained for
# too few epochs misses; with 60 epochs women of 1st class came out at 0.85
# against 0.965).
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 22_titanic_generate.expected, so only pass/fail lines are printed.
# VAE_TEST_VERBOSE=1 prints the measured figures to stderr (by hand only).
import csv, os, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))




sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])

with open(os.path.join(HERE, '..', 'data', 'titanic.csv'), newline='') as f:
    rd = csv.reader(f)
    next(rd)
    rows = [[r[0], r[1], float(r[2]) if r[2] != '' else None, r[3]] for r in rd]
db.execute('CREATE TABLE titanic (survived TEXT, sex TEXT, age REAL, passengerClass TEXT)')
db.executemany('INSERT INTO titanic VALUES (?, ?, ?, ?)', rows)
db.execute("""SELECT vae_fit('m', 'titanic', '{"seed": 1, "hidden": [32], "epochs": 300, "holdout": 0}')""")
db.execute('CREATE VIRTUAL TABLE s USING vae(m)')
print('columns of s:', db.execute("SELECT group_concat(name || ' ' || type, ', ') "
                                  "FROM pragma_table_info('s')").fetchone()[0])

real = dict(db.execute("SELECT sex, avg(survived = 'yes') FROM titanic GROUP BY sex"))
print('real survival rates: female %.3f, male %.3f' % (real['female'], real['male']))
gen = {}
for sex in ('female', 'male'):
    n, carry, rate = db.execute(
        "SELECT count(*), sum(sex = ?), avg(survived = 'yes') "
        "FROM (SELECT * FROM s WHERE sex = ? LIMIT 5000)", (sex, sex)).fetchone()
    gen[sex] = rate
    note('%s: generated survival %.3f, real %.3f' % (sex, rate, real[sex]))
    check('%s: 5000 rows, every one with sex = %s' % (sex, sex), n == 5000 and carry == 5000)
    check('%s: generated survival rate within 0.05 of the real one' % sex,
          abs(rate - real[sex]) <= 0.05, 'generated %.3f, real %.3f' % (rate, real[sex]))
check('generated female rate exceeds the male one by 0.3 or more (real: 0.536)',
      gen['female'] - gen['male'] >= 0.3,
      'female %.3f, male %.3f' % (gen['female'], gen['male']))

# the other direction: the share of women among survivors (real 0.678)
# and among the dead (real 0.155)
for surv in ('yes', 'no'):
    r = db.execute("SELECT avg(sex = 'female') FROM titanic WHERE survived = ?",
                   (surv,)).fetchone()[0]
    n, carry, g = db.execute(
        "SELECT count(*), sum(survived = ?), avg(sex = 'female') "
        "FROM (SELECT * FROM s WHERE survived = ? LIMIT 3000)", (surv, surv)).fetchone()
    note('survived = %s: generated share of women %.3f, real %.3f' % (surv, g, r))
    check('survived = %s: every row carries it; share of women within 0.07' % surv,
          n == 3000 and carry == 3000 and abs(g - r) <= 0.07,
          'generated %.3f, real %.3f' % (g, r))

# conditioning on class: survival rate and mean age (real 39.2, 29.5, 24.8)
ages = {}
for cls in ('1st', '2nd', '3rd'):
    rs, ra = db.execute("SELECT avg(survived = 'yes'), avg(age) FROM titanic "
                        "WHERE passengerClass = ?", (cls,)).fetchone()
    n, carry, gs, ga = db.execute(
        "SELECT count(*), sum(passengerClass = ?), avg(survived = 'yes'), avg(age) "
        "FROM (SELECT * FROM s WHERE passengerClass = ? LIMIT 3000)", (cls, cls)).fetchone()
    ages[cls] = ga
    note('class %s: generated survival %.3f (real %.3f), mean age %.1f (real %.1f)' %
         (cls, gs, rs, ga, ra))
    check('class %s: every row carries it; survival rate within 0.06' % cls,
          n == 3000 and carry == 3000 and abs(gs - rs) <= 0.06,
          'generated %.3f, real %.3f' % (gs, rs))
    check('class %s: mean age within 3 years' % cls, abs(ga - ra) <= 3,
          'generated %.1f, real %.1f' % (ga, ra))
check('mean age falls from 1st to 3rd class', ages['1st'] > ages['2nd'] > ages['3rd'])

# two conditions at once: women of 3rd class survived far less (0.491)
# than women of 1st class (0.965)
r3, r1 = [db.execute("SELECT avg(survived = 'yes') FROM titanic WHERE sex = 'female' "
                     "AND passengerClass = ?", (c,)).fetchone()[0] for c in ('3rd', '1st')]
g3, g1 = [db.execute("SELECT avg(survived = 'yes') FROM (SELECT * FROM s WHERE sex = 'female' "
                     "AND passengerClass = ? LIMIT 3000)", (c,)).fetchone()[0]
          for c in ('3rd', '1st')]
note('female 3rd: generated %.3f real %.3f; female 1st: generated %.3f real %.3f' %
     (g3, r3, g1, r1))
check('female and 3rd class: survival rate within 0.1', abs(g3 - r3) <= 0.1,
      'generated %.3f, real %.3f' % (g3, r3))
check('female and 1st class: survival rate within 0.1', abs(g1 - r1) <= 0.1,
      'generated %.3f, real %.3f' % (g1, r1))
