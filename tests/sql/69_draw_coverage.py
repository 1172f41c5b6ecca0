# Multiple-imputation draws are calibrated: on a known table, the 5%-95%
# range of 40 draws (`draw` 1..40 of the source= table, as bench/impute.py
# measures it) holds the true value of 85-95% of the hidden numeric cells.
#
# The table: 500 rows of ten numeric columns from two latent factors plus
# noise (sd 0.6), and a REAL column of five values (0, 0.5, ..., 2) read off
# the first factor. Cells are hidden at random by another column (MAR, as
# the bench's pattern): column j < 5 loses a cell with probability
# sigmoid(2 x_{j+5} - 0.5), the five-valued column by x_5; about 40% of
# those columns' cells. The hidden cells lie where the columns were seldom
# seen, so the network's own draws were too narrow: 0.826 of them covered
# (0.878 with the spread chosen at fit time, spread.c; 0.931 since it widens
# where the holes lie apart from the observed cells).
#
# Also checked: the report's linear_pull names every numeric column, each
# 0 or 1 (train.c, choose_pulls); its draw_spread names every numeric column, each
# within [1, 4] (under MAR the floor is 1) and not all 1; every draw of the five-valued column is
# one of its five values (a draw moved towards vae_impute's estimate in
# data units used to fall between them); and draws centre on the estimate
# (the mean over cells of the 40 draws' mean less the estimate is within
# 0.05 sd).
#
# Run by sql_run.sh with the path of vae.so; VAE_TEST_VERBOSE=1 prints the
# figures to stderr.
import json, math, os, random, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])
rng = random.Random(4)
N, P, D = 500, 10, 40
A = [[rng.gauss(0, 1) for _ in range(2)] for _ in range(P)]
truth = []
for i in range(N):
    z = [rng.gauss(0, 1), rng.gauss(0, 1)]
    x = [sum(a * b for a, b in zip(A[k], z)) + rng.gauss(0, 0.6) for k in range(P)]
    x.append(min(4, max(0, int(round(z[0] * 1.2 + 2)))) * 0.5)
    truth.append(x)
rows = [r[:] for r in truth]
for i, r in enumerate(rows):
    for j in range(5):
        if rng.random() < 1 / (1 + math.exp(-(2 * truth[i][j + 5] - 0.5))):
            r[j] = None
    if rng.random() < 1 / (1 + math.exp(-(2 * truth[i][5] - 0.5))):
        r[P] = None
cols = ['x%d' % k for k in range(P)] + ['half']
db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, %s)' % ', '.join(c + ' REAL' for c in cols))
db.executemany('INSERT INTO t VALUES (?, %s)' % ', '.join('?' * len(cols)),
               [[i + 1] + r for i, r in enumerate(rows)])
rep = json.loads(db.execute("""SELECT vae_fit('m', 't', '{"seed": 1}')""").fetchone()[0])
spread = rep.get('draw_spread', {})
note('draw_spread', spread)
check('draw_spread names every numeric column, each within [1, 4], not all 1',
      sorted(spread) == sorted(cols) and all(1 <= v <= 4 for v in spread.values()) and
      any(v != 1 for v in spread.values()), spread)

pull = rep.get('linear_pull', {})
note('linear_pull', pull)
check('linear_pull names every numeric column, each 0 or 1',
      sorted(pull) == sorted(cols) and all(v in (0, 1) for v in pull.values()), pull)

db.execute('CREATE VIRTUAL TABLE f USING vae(m, source=t)')
sel = ', '.join(cols)
est = {r[0]: r[1:] for r in db.execute('SELECT rowid, %s FROM f WHERE draw = 0' % sel)}
draws = {}
for d in range(1, D + 1):
    for r in db.execute('SELECT rowid, %s FROM f WHERE draw = ?' % sel, (d,)):
        draws.setdefault(r[0], []).append(r[1:])


def quantile(v, q):
    """numpy.quantile's linear interpolation, of sorted v."""
    pos = q * (len(v) - 1)
    a = int(pos)
    return v[a] + (pos - a) * (v[min(a + 1, len(v) - 1)] - v[a])


hit = cells = 0
centre = []
sds = [math.sqrt(sum((t[j] - sum(u[j] for u in truth) / N) ** 2 for t in truth) / (N - 1))
       for j in range(len(cols))]
for i, r in enumerate(rows):
    for j in range(len(cols)):
        if r[j] is not None:
            continue
        v = sorted(dr[j] for dr in draws[i + 1])
        hit += quantile(v, 0.05) <= truth[i][j] <= quantile(v, 0.95)
        cells += 1
        centre.append((sum(v) / D - est[i + 1][j]) / sds[j])
cover = hit / cells
note('hidden cells %d, coverage of 40 draws %.3f' % (cells, cover))
check('the 5%-95% range of 40 draws holds the true value of 85-95% of hidden cells',
      0.85 <= cover <= 0.95, '%.3f of %d' % (cover, cells))
values = {0.0, 0.5, 1.0, 1.5, 2.0}
off = sum(dr[P] not in values for i, r in enumerate(rows) if r[P] is None for dr in draws[i + 1])
check('every draw of the five-valued column is one of its values', off == 0, '%d off' % off)
bias = sum(centre) / len(centre)
note('mean of (draws mean - estimate) / sd over hidden cells: %.4f' % bias)
check('draws centre on the estimate (within 0.05 sd)', abs(bias) < 0.05, '%.4f' % bias)
