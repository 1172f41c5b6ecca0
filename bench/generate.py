#!/usr/bin/python3
"""Generation benchmark: synthetic rows from the vae against independent
marginals, a Gaussian copula and a TVAE-style synthesizer.

For each data set (complete rows, every column) and seed, the rows are
split in two halves at random: every synthesizer is fitted on the training
half and makes as many rows; the other half is the real holdout. Scores:

  shape   per column 1 - KS statistic (numeric) or 1 - total variation
          distance (categorical) between synthetic and training rows,
          averaged over columns
  pair    per pair of columns: numeric pairs 1 - |corr_real - corr_syn| / 2
          (Pearson); pairs with a categorical column 1 - total variation
          distance of the joint distribution, numeric columns cut at the
          training quintiles; averaged over pairs
  ML      train on synthetic, test on the real holdout, divided by train on
          real (the training half), test on the holdout: a random forest
          (100 trees) predicting the data set's label; macro F1 for a
          class, R^2 for a number (1 = as useful as the real rows)
  DCR     distance to closest record: for each synthetic row, is its
          nearest real row in the training half or in the holdout? The
          share in the training half is 0.5 when the synthesizer does not
          copy its training rows (both halves are the same size); higher
          means closer to the training rows than to fresh real rows.
          Distances: numeric standardized, categorical mismatch = 1.

Peers post-processed as the vae is: integer-valued columns rounded, values
kept in the training range.

Usage: /usr/bin/python3 bench/generate.py [--quick] [--seeds 3]
           [--datasets ...] [--methods marginals,copula,tvae,vae]
"""

import argparse
import itertools
import json
import math
import os
import sys
import time

import numpy as np
from scipy import stats as st

import common as C

METHODS = ["marginals", "copula", "tvae", "vae"]
LABELS = {"marginals": "marginals", "copula": "Gaussian copula",
          "tvae": "TVAE (torch)", "vae": "vae"}
METRICS = [("shape", True), ("pair", True), ("ML efficacy", True),
           ("DCR share", None)]


# ---------------------------------------------------------------- synthesizers

def _to_uniform(t, X, rng):
    """Each column to (0, 1): numeric by mid-ranks, categorical by a draw
    inside its level's interval of cumulative frequency."""
    n, p = X.shape
    U = np.empty((n, p))
    cuts = {}
    for j, k in enumerate(t.kinds):
        if k == "num":
            U[:, j] = (st.rankdata(X[:, j]) - 0.5) / n
        else:
            L = len(t.levels[j])
            freq = np.bincount(X[:, j].astype(int), minlength=L) / n
            edges = np.concatenate([[0], np.cumsum(freq)])
            cuts[j] = edges
            lv = X[:, j].astype(int)
            U[:, j] = edges[lv] + rng.random(n) * freq[lv]
    return np.clip(U, 1e-6, 1 - 1e-6), cuts


def _from_uniform(t, X, U, cuts):
    out = np.empty_like(U)
    for j, k in enumerate(t.kinds):
        if k == "num":
            out[:, j] = np.quantile(X[:, j], U[:, j])
        else:
            L = len(t.levels[j])
            out[:, j] = np.clip(np.searchsorted(cuts[j], U[:, j],
                                                side="right") - 1, 0, L - 1)
    return out


def synth_marginals(t, X, n, seed):
    """Every column drawn on its own from its empirical distribution."""
    rng = np.random.default_rng(seed)
    _, cuts = _to_uniform(t, X, rng)
    return _from_uniform(t, X, rng.random((n, X.shape[1])), cuts)


def synth_copula(t, X, n, seed):
    """Gaussian copula: empirical marginals, the correlation of the normal
    scores."""
    rng = np.random.default_rng(seed)
    U, cuts = _to_uniform(t, X, rng)
    Z = st.norm.ppf(U)
    R = np.corrcoef(Z, rowvar=False) + 1e-6 * np.eye(X.shape[1])
    Zs = rng.multivariate_normal(np.zeros(X.shape[1]), R, size=n)
    return _from_uniform(t, X, st.norm.cdf(Zs), cuts)


def synth_tvae(t, X, n, seed):
    import tvae
    return tvae.fit_sample(t.kinds, t.levels, X, n, seed)


def synth_vae(t, X, n, seed, so_path, extra):
    db = C.open_vae(so_path)
    try:
        C.create_table(db, "train", t, X)
        opts = {"seed": seed}
        opts.update(C.vae_types(t))
        opts.update(extra)
        C.vae_fit(db, "g", "train", opts)
        out = np.empty((n, len(t.cols)))
        cur = db.execute("SELECT value FROM vae_sample('g', ?, ?)", (n, seed))
        for i, (js,) in enumerate(cur):
            row = json.loads(js)
            for j, c in enumerate(t.cols):
                out[i, j] = C.parse_value(t, j, row.get(c))
        return out
    finally:
        db.close()


def postprocess(t, X, S):
    """Integer-valued columns rounded; numeric values within the range of
    the training rows (what the vae does to its own output)."""
    S = S.copy()
    for j in t.num_idx:
        if np.all(X[:, j] == np.round(X[:, j])):
            S[:, j] = np.round(S[:, j])
        S[:, j] = np.clip(S[:, j], X[:, j].min(), X[:, j].max())
    return S


# ---------------------------------------------------------------- scores

def shape_score(t, R, S):
    out = []
    for j, k in enumerate(t.kinds):
        if k == "num":
            out.append(1 - st.ks_2samp(R[:, j], S[:, j]).statistic)
        else:
            L = len(t.levels[j])
            pr = np.bincount(R[:, j].astype(int), minlength=L) / len(R)
            ps = np.bincount(S[:, j].astype(int), minlength=L) / len(S)
            out.append(1 - 0.5 * np.abs(pr - ps).sum())
    return float(np.mean(out))


def _bins(t, R, j):
    """Column j of the real rows as small integers (quintiles if numeric)."""
    if t.kinds[j] == "cat":
        return None
    return np.unique(np.quantile(R[:, j], [0.2, 0.4, 0.6, 0.8]))


def _coded(t, j, x, edges):
    if edges is None:
        return x.astype(int), len(t.levels[j])
    return np.searchsorted(edges, x, side="right"), len(edges) + 1


def pair_score(t, R, S):
    out = []
    for a, b in itertools.combinations(range(len(t.kinds)), 2):
        if t.kinds[a] == "num" and t.kinds[b] == "num":
            def corr(M):
                if M[:, a].std() == 0 or M[:, b].std() == 0:
                    return 0.0
                return np.corrcoef(M[:, a], M[:, b])[0, 1]
            out.append(1 - abs(corr(R) - corr(S)) / 2)
        else:
            ea, eb = _bins(t, R, a), _bins(t, R, b)
            ra, na = _coded(t, a, R[:, a], ea)
            rb, nb = _coded(t, b, R[:, b], eb)
            sa, _ = _coded(t, a, S[:, a], ea)
            sb, _ = _coded(t, b, S[:, b], eb)
            pr = np.bincount(ra * nb + rb, minlength=na * nb) / len(R)
            ps = np.bincount(sa * nb + sb, minlength=na * nb) / len(S)
            out.append(1 - 0.5 * np.abs(pr - ps).sum())
    return float(np.mean(out))


def _features(t, X, y_col, stats):
    M, spans = C.one_hot(t, X, stats=stats)
    a, b = spans[y_col]
    return np.delete(M, range(a, b), axis=1), X[:, y_col]


def ml_efficacy(t, train, hold, S, seed):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.metrics import f1_score, r2_score
    spec = C.DATASETS[t.name]
    y = t.cols.index(spec["label"])
    stats = C.standardizer(t, train)
    Xh, yh = _features(t, hold, y, stats)

    def score(M):
        Xf, yf = _features(t, M, y, stats)
        if spec["task"] == "class":
            f = RandomForestClassifier(n_estimators=100, random_state=seed)
            return f1_score(yh, f.fit(Xf, yf).predict(Xh), average="macro")
        f = RandomForestRegressor(n_estimators=100, random_state=seed)
        return r2_score(yh, f.fit(Xf, yf).predict(Xh))
    real = score(train)
    return score(S) / real if real > 0 else float("nan")


def dcr_share(t, train, hold, S):
    from scipy.spatial.distance import cdist
    stats = C.standardizer(t, train)

    def enc(M):
        return np.nan_to_num(C.one_hot(t, M, stats=stats,
                                       cat_weight=math.sqrt(0.5))[0])
    s = enc(S)
    d_tr = cdist(s, enc(train)).min(axis=1)
    d_ho = cdist(s, enc(hold)).min(axis=1)
    return float(np.mean((d_tr < d_ho) + 0.5 * (d_tr == d_ho)))


# ---------------------------------------------------------------- driver

def run(args):
    synth = {"marginals": synth_marginals, "copula": synth_copula,
             "tvae": synth_tvae,
             "vae": lambda t, X, n, s: synth_vae(t, X, n, s, args.so,
                                                  args.options)}
    res = {}   # (name, seed, method) -> dict metric -> value
    for name in args.datasets:
        t = C.load(name, "generate")
        for seed in range(args.seeds):
            perm = np.random.default_rng(seed + 101).permutation(len(t.X))
            half = len(perm) // 2
            train, hold = t.X[perm[:half]], t.X[perm[half:2 * half]]
            line = "  %-13s seed %d (%d train rows)" % (name, seed, half)
            for m in args.methods:
                t0 = time.perf_counter()
                S = synth[m](t, train, half, seed)
                secs = time.perf_counter() - t0
                S = postprocess(t, train, S)
                r = {"shape": shape_score(t, train, S),
                     "pair": pair_score(t, train, S),
                     "ML efficacy": ml_efficacy(t, train, hold, S, seed),
                     "DCR share": dcr_share(t, train, hold, S),
                     "seconds": secs}
                res[name, seed, m] = r
                line += "  %s %.3f/%.3f/%.2f/%.2f" % (
                    m, r["shape"], r["pair"], r["ML efficacy"],
                    r["DCR share"])
            print(line, file=sys.stderr, flush=True)
    return res


def report(args, res):
    rep = C.Report("generate")
    methods = args.methods
    peers = [m for m in methods if m != "vae"]

    def avg(name, m, metric):
        """Mean over seeds of one data set; name None: the median over
        data sets of those means (one tiny data set cannot swing it)."""
        if name is None:
            v = [avg(n, m, metric) for n in args.datasets]
            v = [x for x in v if x is not None]
            return float(np.median(v)) if v else None
        v = [res[n, s, m][metric] for (n, s, mm) in res
             if mm == m and n == name]
        v = [x for x in v if not math.isnan(x)]
        return float(np.mean(v)) if v else None

    head = ["data set", "metric"] + [LABELS[m] for m in methods]
    if "vae" in methods:
        head += ["vae / best peer", "best peer"]
    rows = []
    for name in args.datasets + [None]:
        for metric, higher in METRICS:
            vals = {m: avg(name, m, metric) for m in methods}
            row = [name or "median of sets", metric] + \
                [vals[m] for m in methods]
            if "vae" in methods:
                if higher is None:   # DCR share: the peer nearest 0.5
                    near = {m: abs(vals[m] - 0.5) for m in peers
                            if vals[m] is not None}
                    best = min(near, key=near.get) if near else None
                    row += ["-", LABELS.get(best, "-")]
                else:
                    r, best = C.best_ratio(vals["vae"],
                                           {m: vals[m] for m in peers},
                                           lower_better=False)
                    row += [r, LABELS.get(best, "-")]
            rows.append(row)
    rep.table("Synthetic data (mean over %d seed%s; shape, pair, ML "
              "efficacy: higher is better, 1 at most for shape and pair; "
              "DCR share: 0.5 is ideal, higher = closer to the training rows)"
              % (args.seeds, "" if args.seeds == 1 else "s"), head, rows)
    head = ["data set"] + [LABELS[m] for m in methods]
    rows = [[name] + [avg(name, m, "seconds") for m in methods]
            for name in args.datasets]
    rep.table("Generation seconds (fit + sample as many rows as the "
              "training half)", head, rows)
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true", help="one seed")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--options", default="{}")
    p.add_argument("--datasets", default=",".join(C.DATASETS))
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--no-save", action="store_true")
    a = p.parse_args(argv)
    a.options = json.loads(a.options)
    a.datasets = [d for d in a.datasets.split(",") if d]
    a.methods = [m for m in a.methods.split(",") if m]
    for d in a.datasets:
        if d not in C.DATASETS:
            p.error("unknown data set %r" % d)
    for m in a.methods:
        if m not in METHODS:
            p.error("unknown method %r" % m)
    if a.quick:
        a.seeds = 1
    a.so = os.path.abspath(a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    print("== generation: %s; %d seed(s)" % (", ".join(a.datasets), a.seeds),
          file=sys.stderr, flush=True)
    res = run(a)
    rep = report(a, res)
    if not a.no_save:
        rep.save(preface="### Generation\n\nComplete rows, split in halves "
                 "(train / real holdout); %d seed(s); %s."
                 % (a.seeds, C.machine_line()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
