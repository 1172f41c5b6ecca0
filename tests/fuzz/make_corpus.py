# Writes the seed corpora of the fuzz targets (see tests/fuzz_blob.c and
# tests/fuzz_options.c):
#   tests/fuzz/corpus_blob/     model blobs of a few tiny models, fitted by
#                               vae.so, of different column kinds and sizes
#                               (one with nearest neighbours' rows, one
#                               with a forest's trees, one with a split
#                               linear part, one of two members; the
#                               others of one)
#                               and, with a second vae.so, one whose
#                               real column has regression trees
#   tests/fuzz/corpus_options/  vae_fit options, valid and not
# Usage (after make): python3 tests/fuzz/make_corpus.py [path/to/vae.so
#   [path/to/small-forest/vae.so]]
# Numeric columns get trees only from VAE_FOREST_NUMERIC_ROWS training rows
# on (core/model.h), too many for a small seed: the second vae.so, built
# with CFLAGS="-O3 -g -DVAE_FOREST_NUMERIC_ROWS=20", writes
# forest_numeric.vaem (kept as it is when not given).
# The seeds are deterministic (fixed seeds) and small (under 16 KB each:
# generation's calibration, 1 KB per numeric column, is most of a blob;
# forest_numeric's trees under 32 KB).
import json, math, os, sqlite3, sys
from statistics import NormalDist

here = os.path.dirname(os.path.abspath(__file__))
so = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'vae.so'))
small_forest_so = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(so)
db.execute('CREATE TABLE t (x REAL, n INTEGER, b INTEGER, k TEXT, w REAL, "odd ""name"" é" TEXT)')
rows = []
for i in range(40):
    rows.append((None if i % 7 == 0 else i * 0.37 - 4,       # real, with NULLs
                 i % 9,                                       # integer
                 i % 2,                                       # binary
                 'abc'[i % 3] if i % 11 else None,            # categorical
                 math.exp(1.5 * NormalDist().inv_cdf((i + 0.5) / 40)),  # log-normal: right-skewed
                 ['q', 'r'][i % 2]))                          # categorical, quoted name
db.executemany('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)', rows)
# Clusters of rows, for a model that keeps nearest neighbours: 10 clusters
# of 6 rows, a cluster's values no function of its position a network finds.
db.execute('CREATE TABLE u (a REAL, b REAL, c REAL, k TEXT)')
db.executemany('INSERT INTO u VALUES (?, ?, ?, ?)',
               [((i % 10) * 1.7 % 5 + 0.01 * (i % 3), (i % 10) * 3.1 % 7, None if i % 5 == 0 else
                 (i % 10) * 7.3 % 4, 'stuv'[(i % 10) * 7 % 4] if i % 4 else None)
                for i in range(60)])

# A binary column that is a threshold rule of two others (xor), for a model
# whose forest (forest.c) takes a share: the forest's part of the reader
# gets seeds.
db.execute('CREATE TABLE v (a REAL, c REAL, y INTEGER)')
db.executemany('INSERT INTO v VALUES (?, ?, ?)',
               [((i * 0.618) % 1, (i * 0.7548 + 0.1) % 1,
                 None if i % 9 == 0 else int(((i * 0.618) % 1 > 0.3) != ((i * 0.7548 + 0.1) % 1 > 0.7)))
                for i in range(120)])

# A column with a point mass at its maximum (y = 4 where s is 1, else y
# follows a), for a model whose split linear part (linear.c) is chosen:
# that part of the reader gets seeds.
def qn(u):
    return NormalDist().inv_cdf(0.01 + 0.98 * (u % 1))
db.execute('CREATE TABLE w (a REAL, s INTEGER, y REAL)')
db.executemany('INSERT INTO w VALUES (?, ?, ?)',
               [(qn(i * 0.618), int(qn(i * 0.618) + qn(i * 0.7548 + 0.3) > 0),
                 None if i % 5 == 0 else (4.0 if qn(i * 0.618) + qn(i * 0.7548 + 0.3) > 0
                                          else min(3.9, qn(i * 0.618) + 0.2 * qn(i * 0.569 + 0.1))))
                for i in range(160)])

base = {"epochs": 2, "samples": 2, "impute_samples": 4, "seed": 1, "holdout": 0, "members": 1}
models = {
    'real_int': ('SELECT x, n FROM t', {"hidden": [3], "latent": 1}),
    'binary_cat': ('SELECT b, k FROM t', {"hidden": [3, 2], "latent": 2}),
    'skewed': ('SELECT w FROM t', {"hidden": [2], "latent": 1}),
    'mixed': ('t', {"hidden": [2, 2, 2], "latent": 2}),
    'one_col_deep': ('SELECT x FROM t', {"hidden": [1, 1, 1, 1, 1, 1, 1, 1], "latent": 1}),
    'mnar': ('SELECT x, b, k FROM t', {"hidden": [3], "latent": 1, "missing": "mnar"}),
    'knn': ('u', {"hidden": [3], "latent": 1, "holdout": 0.3, "epochs": 5}),
    'forest': ('v', {"hidden": [2], "latent": 1, "holdout": 0.3, "epochs": 3}),
    'split': ('w', {"hidden": [2], "latent": 1, "holdout": 0.3, "epochs": 3,
                    "types": {"s": "binary"}}),
    'members': ('SELECT x, b, k FROM t', {"hidden": [3], "latent": 1, "holdout": 0.2,
                                          "members": 2}),
}
out = os.path.join(here, 'corpus_blob')
os.makedirs(out, exist_ok=True)
for name, (source, opts) in models.items():
    o = dict(base, **opts)
    db.execute('SELECT vae_fit(?, ?, ?)', (name, source, json.dumps(o)))
    blob, cols = db.execute('SELECT model, columns FROM vae_models WHERE name = ?', (name,)).fetchone()
    assert len(blob) < 16384, (name, len(blob))
    if name == 'knn':  # the reservoir is there: the neighbours' part of the reader gets seeds
        rep = json.loads(db.execute('SELECT report FROM vae_models WHERE name = ?', (name,)).fetchone()[0])
        assert max(rep['knn_share'].values()) > 0, rep['knn_share']
    if name == 'members':  # a second member: the member section of the reader gets seeds
        rep = json.loads(db.execute('SELECT report FROM vae_models WHERE name = ?', (name,)).fetchone()[0])
        assert rep['members'] == 2, rep['members']
    if name == 'forest':  # the trees are there
        rep = json.loads(db.execute('SELECT report FROM vae_models WHERE name = ?', (name,)).fetchone()[0])
        assert rep['forest_share']['y'] > 0, rep['forest_share']
    with open(os.path.join(out, name + '.vaem'), 'wb') as f:
        f.write(blob)
    print('%-14s %5d bytes  %s' % (name, len(blob), [c['kind'] + ('(log)' if c.get('log') else '')
                                                  for c in json.loads(cols)]))

# A real column that is a step of another (z = 2 where a > 0.5), for a
# model whose regression trees take a share: the numeric leaves of the
# forest's reader get seeds.
if small_forest_so:
    db2 = sqlite3.connect(':memory:', isolation_level=None)
    db2.enable_load_extension(True)
    db2.load_extension(small_forest_so)
    db2.execute('CREATE TABLE z (a REAL, z REAL)')
    db2.executemany('INSERT INTO z VALUES (?, ?)',
                    [((i * 0.618) % 1,
                      None if i % 9 == 0 else 2.0 * ((i * 0.618) % 1 > 0.5) + 0.05 * qn(i * 0.569))
                     for i in range(60)])
    o = dict(base, hidden=[2], latent=1, holdout=0.3, epochs=3)
    db2.execute("SELECT vae_fit('forest_numeric', 'z', ?)", (json.dumps(o),))
    blob, rep = db2.execute("SELECT model, report FROM vae_models").fetchone()
    assert len(blob) < 32768, len(blob)  # 24 trees a column: twice the others' bound
    assert json.loads(rep)['forest_share']['z'] > 0, rep
    with open(os.path.join(out, 'forest_numeric.vaem'), 'wb') as f:
        f.write(blob)
    print('%-14s %5d bytes' % ('forest_numeric', len(blob)))

options = {
    'empty': '{}',
    'all': json.dumps({"columns": ["a", "b"], "types": {"a": "real", "b": "Categorical"},
                       "latent": 4, "hidden": [16, 8], "epochs": 10, "batch": 32, "lr": 0.01,
                       "beta": 0.5, "samples": 4, "impute_samples": 64, "seed": 7,
                       "holdout": 0.2, "max_rows": 1000, "verbose": False,
                       "warm_start": False, "mask_rate": 0.2, "patience": 5}),
    'hidden_scalar': '{"hidden": 32, "verbose": 1}',
    'missing': '{"missing": "MNAR", "warm_start": true}',
    'numbers': '{"lr": 1e-3, "beta": 0, "holdout": 0.0, "seed": 9007199254740992}',
    'unicode': '{"columns": ["\\u00e9t\\u00e9", "a\\"b", "\\ud83d\\ude00"]}',
    'nested': '{"types": {"x": "binary", "y": "integer"}, "columns": ["x"]}',
    'bad_type': '{"epochs": "10"}',
    'bad_key': '{"epoch": 10}',
    'dup_key': '{"seed": 1, "seed": 2}',
    'deep': '[' * 70 + ']' * 70,
    'bad_utf8': b'{"columns": ["\xc3\x28"]}',
    'literals': '[true, false, null, -0, 1.5e+300, "\\u0000"]',
    'members': '{"members": 2, "threads": 1, "seed": 3}',
}
out = os.path.join(here, 'corpus_options')
os.makedirs(out, exist_ok=True)
for name, text in options.items():
    with open(os.path.join(out, name + '.json'), 'wb') as f:
        f.write(text if isinstance(text, bytes) else text.encode())
print('%d option seeds' % len(options))
