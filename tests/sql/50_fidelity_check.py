# vae_fidelity checked against the same scores computed independently, in
# plain Python, from the same rows: the source rows as vae reads them (in
# float32) and the synthetic rows of vae_sample(model, rows, seed), which are
# vae_fidelity's synthetic rows for the options {"rows": rows, "seed": seed}
# (row i is drawn with the seed mix of (seed, i) in both). Every score of the
# JSON (per-column shape, pair correlations and scores, the means, the worst
# columns) must agree within 1e-9. Run by sql_run.sh with the path of vae.so.
import bisect
import functools
import json
import math
import os
import sqlite3
import struct
import sys

TOL = 1e-9
HERE = os.path.dirname(os.path.abspath(__file__))


def f32(x):
    """x as the float32 that vae holds it in."""
    return struct.unpack('<f', struct.pack('<f', x))[0]


def ks(a, b):
    """Two-sample Kolmogorov-Smirnov statistic: the largest distance between
    the empirical CDFs, looked at every value of either sample."""
    a, b = sorted(a), sorted(b)
    return max(abs(bisect.bisect_right(a, v) / len(a) - bisect.bisect_right(b, v) / len(b))
               for v in set(a) | set(b))


def tvd(a, b):
    """Total variation distance of two samples of labels."""
    levels = set(a) | set(b)
    return 0.5 * sum(abs(a.count(v) / len(a) - b.count(v) / len(b)) for v in levels)


def pearson(pairs):
    pairs = [(x, y) for x, y in pairs if x is not None and y is not None]
    if len(pairs) < 2:
        return None
    mx = sum(x for x, _ in pairs) / len(pairs)
    my = sum(y for _, y in pairs) / len(pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    syy = sum((y - my) ** 2 for _, y in pairs)
    sxy = sum((x - mx) * (y - my) for x, y in pairs)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def expected_scores(db, model, source, rows=None, seed=0):
    """vae_fidelity's JSON, recomputed from the source and vae_sample."""
    cols = json.loads(db.execute('SELECT columns FROM vae_models WHERE name = ?',
                                 (model,)).fetchone()[0])
    names = [c['name'] for c in cols]
    kinds = [c['kind'] for c in cols]
    numeric = [k in ('real', 'integer') for k in kinds]
    if not source.lstrip().upper().startswith(('SELECT', 'WITH')):
        source = 'SELECT * FROM "%s"' % source.replace('"', '""')
    sel = ', '.join('"%s"' % n.replace('"', '""') for n in names)
    real = [[(f32(v) if v is not None else None) if numeric[j] else v for j, v in enumerate(r)]
            for r in db.execute('SELECT %s FROM (%s)' % (sel, source))]
    n = len(real) if rows is None else rows
    if rows is None:
        n = min(n, 10000)
    synth = []
    for (value,) in db.execute('SELECT value FROM vae_sample(?, ?, ?)', (model, n, seed)):
        obj = json.loads(value)
        synth.append([(f32(obj[c]) if obj[c] is not None else None) if numeric[j] else obj[c]
                      for j, c in enumerate(names)])
    out = {'rows_real': len(real), 'rows_synthetic': len(synth), 'shape': {}, 'pairs': []}
    for j, name in enumerate(names):
        a = [r[j] for r in real if r[j] is not None]
        b = [r[j] for r in synth if r[j] is not None]
        if not a or not b:
            out['shape'][name] = None
        else:
            out['shape'][name] = 1 - (ks(a, b) if numeric[j] else tvd(a, b))
    for j in range(len(names)):
        for k in range(j + 1, len(names)):
            if not (numeric[j] and numeric[k]):
                continue
            r1 = pearson([(r[j], r[k]) for r in real])
            r2 = pearson([(r[j], r[k]) for r in synth])
            if r1 is None or r2 is None:
                continue
            out['pairs'].append({'columns': [names[j], names[k]], 'real': r1, 'synthetic': r2,
                                 'score': 1 - abs(r1 - r2) / 2})
    shapes = [s for s in out['shape'].values() if s is not None]
    out['shape_mean'] = sum(shapes) / len(shapes)
    out['pair_mean'] = (sum(p['score'] for p in out['pairs']) / len(out['pairs'])
                        if out['pairs'] else None)
    out['overall'] = ((out['shape_mean'] + out['pair_mean']) / 2 if out['pairs']
                      else out['shape_mean'])
    # Lowest shape first, ties by column order (as ext/fidelity.c): scores
    # within TOL count as tied, as the two sides may differ in the last bit
    # (sl_mm and species once tied at 24/47).
    def by_score(a, b):
        if abs(a[0] - b[0]) > TOL:
            return -1 if a[0] < b[0] else 1
        return a[1] - b[1]
    order = sorted(((s, j) for j, s in enumerate(out['shape'].values()) if s is not None),
                   key=functools.cmp_to_key(by_score))
    out['worst'] = [{'column': names[j], 'shape': s} for s, j in order[:3]]
    return out


def differences(got, want, path='$'):
    """Where two JSON values differ (numbers by more than TOL)."""
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return [path + ' keys']
        return [d for k in want for d in differences(got[k], want[k], path + '.' + k)]
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [path + ' length']
        return [d for i, (g, w) in enumerate(zip(got, want))
                for d in differences(g, w, '%s[%d]' % (path, i))]
    if isinstance(want, float) or isinstance(got, float):
        if want is None or got is None or abs(got - want) > TOL:
            return ['%s %r != %r' % (path, got, want)]
        return []
    return [] if got == want else ['%s %r != %r' % (path, got, want)]


def check(db, label, model, source, options=None):
    opts = json.loads(options) if options else {}
    if options is None:
        got = json.loads(db.execute('SELECT vae_fidelity(?, ?)', (model, source)).fetchone()[0])
    else:
        got = json.loads(db.execute('SELECT vae_fidelity(?, ?, ?)',
                                    (model, source, options)).fetchone()[0])
    want = expected_scores(db, model, source, opts.get('rows'), opts.get('seed', 0))
    diff = differences(got, want)
    print('%s: %d real, %d synthetic rows, %d shapes, %d pairs, agree within 1e-9: %s'
          % (label, want['rows_real'], want['rows_synthetic'], len(want['shape']),
             len(want['pairs']), not diff))
    for d in diff[:5]:
        print('  ', d)
    return got, want


db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])

# Iris with holes, an INTEGER column (sepal length in mm), a binary one
# (wide sepal) and the species (categorical, some unknown).
db.execute('CREATE TABLE raw (sl REAL, sw REAL, pl REAL, pw REAL, species TEXT)')
with open(os.path.join(HERE, '..', '..', 'samples', 'iris.csv')) as f:
    next(f)
    db.executemany('INSERT INTO raw VALUES (?, ?, ?, ?, ?)',
                   [line.strip().split(',') for line in f if line.strip()])
db.execute('''CREATE TABLE t AS SELECT rowid AS id,
  CASE WHEN rowid % 9 = 1 THEN NULL ELSE sl END AS sl,
  CASE WHEN rowid % 7 = 2 THEN NULL ELSE sw END AS sw,
  CASE WHEN rowid % 11 = 3 THEN NULL ELSE pl END AS pl, pw,
  CAST(round(sl * 10) AS INTEGER) AS sl_mm,
  CASE WHEN rowid % 13 = 4 THEN NULL ELSE sw > 3.0 END AS wide,
  CASE WHEN rowid % 17 = 5 THEN NULL ELSE species END AS species FROM raw''')
report = json.loads(db.execute(
    '''SELECT vae_fit('m', 'SELECT sl, sw, pl, pw, sl_mm, wide, species FROM t',
       '{"epochs": 40, "hidden": [16], "seed": 3}')''').fetchone()[0])
print('kinds:', ' '.join(c['kind'] for c in report['columns']))

got, want = check(db, 'default options', 'm', 't')
check(db, 'rows 400, seed 7', 'm', 't', '{"rows": 400, "seed": 7}')
check(db, 'rows 37, seed -5', 'm', 't', '{"rows": 37, "seed": -5}')
check(db, 'one species, a SELECT', 'm', "SELECT * FROM t WHERE species = 'setosa'")
check(db, 'a level the model never saw', 'm',
      "SELECT sl, sw, pl, pw, sl_mm, wide, CASE WHEN id % 10 = 0 THEN 'other' ELSE species END "
      "AS species FROM t", '{"seed": 2}')
# The check is not vacuous: another seed's rows give other scores.
other = expected_scores(db, 'm', 't', None, 1)
print('another seed disagrees:', len(differences(got, other)) > 0)
print('scores in [0, 1]:', all(0 <= s <= 1 for s in want['shape'].values()))
