# Warm start on a shifted distribution: vae_fit(m, source, '{"warm_start": true}').
#
# A synthetic linear-Gaussian table in two regimes of 600 rows each (fixed
# seed), x1 ~ N(0, 1) in both:
#   regime A: x2 = 2 x1 + e          regime B: x2 = -2 x1 + 3 + e
#   both:     x3 = x1 + x2 + e,      x4 = x1 - x2 + e          (e ~ N(0, 0.5))
# In B, x4 ranges far below anything seen in A. A model fitted on A imputes
# hidden cells of B (20% MCAR) badly. Warm-started on the damaged B rows for
# 60 epochs, it must impute them clearly better than before, nearly as well
# as (within 15% of) a model fitted from scratch on B to convergence, in far
# fewer epochs, and better than a model fitted from scratch with the same 60
# epochs. The report of the warm start continues the history (loss arrays
# grow by the new epochs, "warm_starts" counts). A warm start that fails
# leaves the stored model exactly as it was.
#
# Error measure: RMSE over the hidden cells of B, each error divided by its
# column's sd in B (the draw-0 estimates of `vae(m, source=b)`).
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 25_warm_start_shift.expected, so only pass/fail lines are
# printed. VAE_TEST_VERBOSE=1 prints the measured figures to stderr.
import json, math, os, random, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3





sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note  # noqa: E402

db = connect(sys.argv[1])

N = 600
COLS = ['x1', 'x2', 'x3', 'x4']
rng = random.Random(2025)


def row(shifted):
    x1 = rng.gauss(0, 1)
    x2 = (-2 * x1 + 3 if shifted else 2 * x1) + rng.gauss(0, 0.5)
    return [x1, x2, x1 + x2 + rng.gauss(0, 0.5), x1 - x2 + rng.gauss(0, 0.5)]


A = [row(False) for _ in range(N)]
B = [row(True) for _ in range(N)]
hidden = rng.sample([(i, j) for i in range(N) for j in range(4)], round(0.2 * 4 * N))
Bm = [list(r) for r in B]
for i, j in hidden:
    Bm[i][j] = None
for name, data in (('a', A), ('b', Bm)):
    db.execute('CREATE TABLE %s (id INTEGER PRIMARY KEY, x1 REAL, x2 REAL, x3 REAL, x4 REAL)' % name)
    db.executemany('INSERT INTO %s VALUES (?, ?, ?, ?, ?)' % name,
                   [[i + 1] + r for i, r in enumerate(data)])
print('rows A, rows B, hidden cells of B:', len(A), len(B), len(hidden))
sd = []
for j in range(4):
    mu = sum(r[j] for r in B) / N
    sd.append(math.sqrt(sum((r[j] - mu) ** 2 for r in B) / (N - 1)))


def error(model):
    db.execute('DROP TABLE IF EXISTS f')
    db.execute('CREATE VIRTUAL TABLE f USING vae(%s, source=b)' % model)
    est = {r[0]: r[1:] for r in db.execute('SELECT rowid, x1, x2, x3, x4 FROM f')}
    db.execute('DROP TABLE f')
    return math.sqrt(sum(((est[i + 1][j] - B[i][j]) / sd[j]) ** 2 for i, j in hidden) / len(hidden))


def fit(model, source, opts):
    return json.loads(db.execute('SELECT vae_fit(?, ?, ?)',
                                 (model, source, json.dumps(opts))).fetchone()[0])


def stored(model):
    return db.execute('SELECT source, columns, options, report, model, fit_id FROM vae_models '
                      'WHERE name = ?', (model,)).fetchone()


BASE = {'seed': 1, 'hidden': [32], 'epochs': 250}
WARM = 60
ra = fit('m', 'a', BASE)
rmse_a = error('m')
x4_min_a = json.loads(stored('m')[1])[3]['min']
note('fit on A: %d epochs; error on B before the warm start %.3f' % (ra['epochs'], rmse_a))

print('-- a warm start that fails leaves the model as it was')
kept = stored('m')
for src in ('SELECT x1, x2, x3 FROM b', "SELECT x1, x2, 'high' AS x3, x4 FROM b"):
    try:
        fit('m', src, {'warm_start': True, 'epochs': WARM})
        print('no error')
    except sqlite3.Error as e:
        print('error:', e)
check('stored model unchanged (blob, report, options, fit_id)', stored('m') == kept)
check('its imputations unchanged', error('m') == rmse_a)

print('-- warm start on the shifted rows')
rw = fit('m', 'b', {'warm_start': True, 'epochs': WARM})
rmse_w = error('m')
rep = json.loads(stored('m')[3])
check('the stored report is the one returned', rep == rw)
print('warm_starts:', rw['warm_starts'], ' rows:', rw['rows'])
new = rw['epochs'] - ra['epochs']
check('epochs: those of the first fit plus at most the %d new ones' % WARM,
      0 < new <= WARM, '%d then %d' % (ra['epochs'], rw['epochs']))
check('train_loss and val_loss grew by the new epochs, the old ones kept',
      len(rw['train_loss']) == len(rw['val_loss']) == rw['epochs'] and
      rw['train_loss'][:ra['epochs']] == ra['train_loss'] and
      rw['val_loss'][:ra['epochs']] == ra['val_loss'])
check('options record the warm start', json.loads(stored('m')[2])['warm_start'] is True)
x4 = json.loads(stored('m')[1])[3]
check('the output range of x4 now covers the rows of B',
      x4['min'] <= min(r[3] for r in Bm if r[3] is not None) + 1e-3)
below = sum(1 for r in db.execute("SELECT vae_impute('m', 'x4', x1, x2, x3, NULL) FROM b "
                                  "WHERE x4 IS NULL") if r[0] < x4_min_a - 1e-3)
check('some estimates of x4 lie below the range seen in A', below > 0)

rs = fit('s', 'b', dict(BASE, epochs=600))
rmse_s = error('s')
rsame = fit('same', 'b', dict(BASE, epochs=new))
rmse_same = error('same')
note('errors on B: fitted on A %.3f; warm start (+%d epochs) %.3f; from scratch %.3f (%d epochs); '
     'from scratch with %d epochs %.3f' % (rmse_a, new, rmse_w, rmse_s, rs['epochs'], new, rmse_same))
note('warm / scratch = %.3f; before / warm = %.2f' % (rmse_w / rmse_s, rmse_a / rmse_w))
check('warm start imputes B clearly better than before (error halved or better)',
      rmse_w <= 0.5 * rmse_a, 'before %.3f, warm %.3f' % (rmse_a, rmse_w))
check('warm start within 15% of a fit from scratch on B', rmse_w <= 1.15 * rmse_s,
      'warm %.3f, scratch %.3f' % (rmse_w, rmse_s))
check('in a third of the epochs or fewer', 3 * new <= rs['epochs'],
      'warm %d, scratch %d' % (new, rs['epochs']))
# Imputations of both end up close: the linear part, refitted on B either
# way, carries much of them. What the warm start keeps is the network, so
# its held-out loss (same rows, same seed) is compared.
val_w, val_same = min(rw['val_loss'][ra['epochs']:]), min(rsame['val_loss'])
note('best held-out loss: warm %.4f, scratch with %d epochs %.4f' % (val_w, new, val_same))
check('its network better than one fitted from scratch with the same epochs',
      val_w < val_same and rmse_w <= 1.03 * rmse_same,
      'loss warm %.4f, scratch %.4f; error warm %.3f, scratch %.3f'
      % (val_w, val_same, rmse_w, rmse_same))

print('-- a second warm start counts too')
rw2 = fit('m', 'SELECT * FROM b WHERE id <= 300', {'warm_start': True, 'epochs': 5})
print('warm_starts:', rw2['warm_starts'], ' rows:', rw2['rows'],
      ' epochs added:', rw2['epochs'] - rw['epochs'],
      ' loss lengths:', len(rw2['train_loss']) - len(rw['train_loss']),
      len(rw2['val_loss']) - len(rw['val_loss']))
