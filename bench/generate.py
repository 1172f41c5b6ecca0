#!/usr/bin/python3
"""Generation benchmark: synthetic rows from the vae against independent
marginals, a Gaussian copula and a TVAE-style synthesizer.

Tables: the six (bench/data) and the 19 of bench/data/suite, read as
common.load_suite reads them for imputation (kinds from the values, no
per-table choice), complete rows only (the peers need them). A table above
--max-rows rows (5,000; 1,000 with --quick) keeps a seeded random subset
of that many rows, the same for every method: the report says so.

For each table and seed, the rows are split in two halves at random: every
synthesizer is fitted on the training half and makes as many rows; the
other half is the real holdout. Scores:

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
  sd      per numeric column sd(synthetic) / sd(training rows); the
          table's figure is the column farthest from 1 (the worst). Judged
          on 20,000 synthetic rows (SD_DRAWS; the vae and the copula; the
          first rows of them are the ones scored otherwise): of as many
          rows as the training half, the synthetic sample's own noise
          decides the worst column (the real holdout half, a sample of
          the true distribution, met the target on 1 of 25 tables with
          --quick, the copula on 2). The figure at that row count is
          reported beside it (sd@n), with the real holdout half's, which
          says what sampling alone costs
  DCR     distance to closest record: for each synthetic row, is its
          nearest real row in the training half or in the holdout? The
          share in the training half is 0.5 when the synthesizer does not
          copy its training rows (both halves are the same size); higher
          means closer to the training rows than to fresh real rows.
          Distances: numeric standardized, categorical mismatch = 1.

Targets (issue 10), counted per table for the vae: shape >= the Gaussian
copula's, pair >= the copula's, ML efficacy >= max(copula, TVAE) - 0.02,
worst sd ratio (of 20,000 draws) within 3% of 1, DCR share <= 0.6; the
count of the sd target at the training half's row count is printed too
(sd@n).

The ML label of each suite table is in SUITE_LABELS below (one column per
table, the one the table is usually modelled for); a table without one
skips ML efficacy with the reason printed.

The peers' scores (they do not depend on vae.so) are kept in
build/bench/generate_cache.jsonl, keyed by table, seed, row cap and method.

Peers post-processed as the vae is: integer-valued columns rounded, values
kept in the training range.

Usage: /usr/bin/python3 bench/generate.py [--quick] [--seeds 3]
           [--datasets all|six|suite|wine,faithful,...]
           [--methods marginals,copula,tvae,vae] [--max-rows 5000]
  --quick: one seed, tables cut to 1,000 rows (500 training rows)
"""

import argparse
import itertools
import json
import math
import os
import sys
import time
import warnings

import numpy as np
from scipy import stats as st

import common as C

warnings.filterwarnings("ignore", message="Initialization .* did not converge")

METHODS = ["marginals", "copula", "tvae", "vae"]
LABELS = {"marginals": "marginals", "copula": "Gaussian copula",
          "tvae": "TVAE (torch)", "vae": "vae"}
METRICS = [("shape", True), ("pair", True), ("ML efficacy", True),
           ("sd ratio", None), ("sd ratio many", None), ("DCR share", None)]
CACHE = os.path.join(C.REPO_ROOT, "build", "bench", "generate_cache.jsonl")
# Rows drawn to judge a generator's sd (see the docstring): the sd of SD_DRAWS
# draws is within about 1% of the generator's own (a Gaussian column: sd
# of the estimate 1 / sqrt(2 * 20,000) = 0.5%). The methods it is drawn
# for: the vae, and the copula for scale (TVAE's is too slow to redraw).
SD_DRAWS = 20000
MANY_SD = ("copula", "marginals")

# The ML-efficacy label of each suite table: (column, 'class' or 'reg'),
# the column the table's source documents as its response; None with the
# reason when there is no sensible one.
SUITE_LABELS = {
    "aids2": ("status", "class"),          # alive / dead at the end
    "biopsy": ("class", "class"),          # benign / malignant
    "cars93": ("Price", "reg"),
    "cells": ("class", "class"),           # well / poorly segmented
    "chicago": ("ridership", "reg"),
    "crabs": ("sp", "class"),              # species
    "creditcard": ("card", "class"),       # application accepted
    "faithful": ("eruptions", "reg"),      # from the waiting time
    "houseprices": ("price", "reg"),
    "hpc": ("class", "class"),             # job duration class
    "ozone": ("V4", "reg"),                # daily maximum ozone
    "psid1976": ("participation", "class"),
    "sacramento": ("price", "reg"),
    "shuttle": ("Class", "class"),
    "smokeban": ("smoker", "class"),
    "sonar": ("Class", "class"),           # mine / rock
    "stackoverflow": ("Salary", "reg"),
    "vehicle": ("Class", "class"),
    "vowel": ("Class", "class"),
}


def label_of(t):
    """(column index, task) of table t's ML label, or (None, reason)."""
    if t.name in C.DATASETS:
        spec = C.DATASETS[t.name]
        return t.cols.index(spec["label"]), spec["task"]
    lab = SUITE_LABELS.get(t.name)
    if lab is None:
        return None, "no label chosen for this table"
    col, task = lab
    if col not in t.cols:
        return None, "label column %r not in the table" % col
    return t.cols.index(col), task


def load_table(name, max_rows):
    """Complete rows of a table (the six: every column, as before), cut to
    max_rows seeded random rows (0: all); t.rows_all = complete rows."""
    if name in C.DATASETS:
        t = C.load(name, "generate")
    else:
        t = C.load_suite(name)
        t = t.with_rows(~np.isnan(t.X).any(axis=1))
    return C.seeded_subset(t, max_rows)


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


def vae_rows(db, t, n, seed, model="g"):
    """n rows of vae_sample(model, n, seed) as an array of t's columns."""
    out = np.empty((n, len(t.cols)))
    cur = db.execute("SELECT value FROM vae_sample(?, ?, ?)", (model, n, seed))
    for i, (js,) in enumerate(cur):
        row = json.loads(js)
        for j, c in enumerate(t.cols):
            out[i, j] = C.parse_value(t, j, row.get(c))
    return out


def synth_vae(t, X, n, seed, so_path, extra):
    db = C.open_vae(so_path)
    try:
        C.create_table(db, "train", t, X)
        opts = {"seed": seed}
        opts.update(C.vae_types(t))
        opts.update(extra)
        C.vae_fit(db, "g", "train", opts)
        return vae_rows(db, t, n, seed)
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
    y, task = label_of(t)
    if y is None:
        return float("nan")
    stats = C.standardizer(t, train)
    Xh, yh = _features(t, hold, y, stats)

    def score(M):
        Xf, yf = _features(t, M, y, stats)
        if task == "class":
            f = RandomForestClassifier(n_estimators=100, random_state=seed)
            return f1_score(yh, f.fit(Xf, yf).predict(Xh), average="macro")
        f = RandomForestRegressor(n_estimators=100, random_state=seed)
        return r2_score(yh, f.fit(Xf, yf).predict(Xh))
    real = score(train)
    return score(S) / real if real > 0 else float("nan")


def sd_ratio(t, R, S):
    """sd(synthetic) / sd(real) of the numeric column farthest from 1
    (NaN without a non-constant numeric column)."""
    worst = float("nan")
    for j in t.num_idx:
        sr = R[:, j].std()
        if sr > 0:
            r = S[:, j].std() / sr
            if math.isnan(worst) or abs(r - 1) > abs(worst - 1):
                worst = float(r)
    return worst


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

def cache_load():
    out = {}
    if os.path.exists(CACHE):
        with open(CACHE) as f:
            for line in f:
                try:
                    e = json.loads(line)
                    out[e["key"]] = e["r"]
                except (ValueError, KeyError):
                    pass
    return out


def cache_put(key, r):
    os.makedirs(os.path.dirname(CACHE), exist_ok=True)
    with open(CACHE, "a") as f:
        f.write(json.dumps({"key": key, "r": r}) + "\n")


def run(args):
    synth = {"marginals": synth_marginals, "copula": synth_copula,
             "tvae": synth_tvae,
             "vae": lambda t, X, n, s: synth_vae(t, X, n, s, args.so,
                                                  args.options)}
    cache = cache_load()
    res = {}   # (name, seed, method) -> dict metric -> value
    for name in args.datasets:
        t = load_table(name, args.max_rows)
        args.rows[name] = (len(t.X), t.rows_all)
        y, why = label_of(t)
        if y is None:
            print("  %s: no ML efficacy (%s)" % (name, why), file=sys.stderr)
        for seed in range(args.seeds):
            perm = np.random.default_rng(seed + 101).permutation(len(t.X))
            half = len(perm) // 2
            train, hold = t.X[perm[:half]], t.X[perm[half:2 * half]]
            line = "  %-13s seed %d (%d train rows)" % (name, seed, half)
            # The real holdout half scored as if it were synthetic: what a
            # generator of the true distribution gets from sampling alone.
            res[name, seed, "holdout"] = {"sd ratio": sd_ratio(t, train,
                                                                hold)}
            for m in args.methods:
                key = "%s|%d|%d|%s|v2" % (name, seed, args.max_rows, m)
                if m != "vae" and key in cache:
                    r = cache[key]
                else:
                    # The vae's first `half` rows of its many are the rows
                    # it makes when asked for `half` (vae_sample's rows
                    # depend on the seed and their index only).
                    many = max(SD_DRAWS, half) if m == "vae" else half
                    t0 = time.perf_counter()
                    S = synth[m](t, train, many, seed)
                    secs = time.perf_counter() - t0
                    S = postprocess(t, train, S)
                    r = {"shape": shape_score(t, train, S[:half]),
                         "pair": pair_score(t, train, S[:half]),
                         "ML efficacy": ml_efficacy(t, train, hold,
                                                    S[:half], seed),
                         "sd ratio": sd_ratio(t, train, S[:half]),
                         "DCR share": dcr_share(t, train, hold, S[:half]),
                         "seconds": secs}
                    if m == "vae":
                        r["sd ratio many"] = sd_ratio(t, train, S)
                    if m != "vae":
                        cache_put(key, r)
                if m in MANY_SD and "sd ratio many" not in r:
                    S = postprocess(t, train, synth[m](t, train, SD_DRAWS,
                                                       seed))
                    r["sd ratio many"] = sd_ratio(t, train, S)
                    cache_put(key, r)
                res[name, seed, m] = r
                line += "  %s %.3f/%.3f/%.2f/%.3f/%.2f" % (
                    m, r["shape"], r["pair"], r["ML efficacy"],
                    r["sd ratio"], r["DCR share"])
                if "sd ratio many" in r:
                    line += "/sd%d %.3f" % (SD_DRAWS, r["sd ratio many"])
            print(line, file=sys.stderr, flush=True)
    return res


def avg(args, res, name, m, metric):
    """Mean over seeds of one table (None without a value)."""
    v = [res[n, s, mm].get(metric) for (n, s, mm) in res
         if mm == m and n == name]
    v = [x for x in v if x is not None and not math.isnan(x)]
    return float(np.mean(v)) if v else None


def targets(args, res, name):
    """The vae's figures on table name against issue 10's targets: a dict
    target -> (vae value, bar, met) (met None when it cannot be told)."""
    def g(m, metric):
        return avg(args, res, name, m, metric) if m in args.methods else None
    out = {}
    v, c = g("vae", "shape"), g("copula", "shape")
    out["shape"] = (v, c, None if v is None or c is None else v >= c)
    v, c = g("vae", "pair"), g("copula", "pair")
    out["pair"] = (v, c, None if v is None or c is None else v >= c)
    v = g("vae", "ML efficacy")
    peers = [x for x in (g("copula", "ML efficacy"), g("tvae", "ML efficacy"))
             if x is not None]
    bar = max(peers) - 0.02 if peers else None
    out["ML"] = (v, bar, None if v is None or bar is None else v >= bar)
    v = g("vae", "sd ratio many")
    out["sd"] = (v, None, None if v is None else abs(v - 1) <= 0.03)
    v = g("vae", "sd ratio")
    out["sd@n"] = (v, None, None if v is None else abs(v - 1) <= 0.03)
    v = g("vae", "DCR share")
    out["DCR"] = (v, 0.6, None if v is None else v <= 0.6)
    return out


def report(args, res):
    rep = C.Report("generate")
    methods = args.methods
    peers = [m for m in methods if m != "vae"]
    cut = [n for n in args.datasets if args.rows[n][0] < args.rows[n][1]]
    notes = []
    if cut:
        notes.append("Cut to a seeded random %d of their complete rows "
                     "(the same for every method): %s."
                     % (args.max_rows, ", ".join(
                         "%s (%d)" % (n, args.rows[n][1]) for n in cut)))
    no_ml = [n for n in args.datasets if label_of(load_table(n, 1))[0] is None]
    notes.append("The copula's worst sd ratio is there for scale: it copies "
                 "each column's distribution, so what it misses by is what "
                 "a few hundred rows and interpolated quantiles cost. The "
                 "holdout's is the real holdout half's against the training "
                 "half: what sampling alone costs a generator of the true "
                 "distribution (the worst column of a few hundred rows "
                 "rarely comes within 3%).")
    if no_ml:
        notes.append("No ML efficacy: %s." % ", ".join(no_ml))

    if "vae" in methods:
        head = ["table", "train rows", "shape vae", "copula", "pair vae",
                "copula", "ML vae", "bar", "worst sd ratio", "copula's",
                "at n: vae", "copula's", "holdout's", "DCR share",
                "targets met"]
        rows, met = [], {k: [0, 0] for k in ("shape", "pair", "ML", "sd",
                                              "DCR", "sd@n")}
        for name in args.datasets:
            tg = targets(args, res, name)
            ok = []
            for k, (v, bar, good) in tg.items():
                if good is not None and k == "sd@n":
                    met[k][1] += 1
                    met[k][0] += bool(good)
                elif good is not None:
                    met[k][1] += 1
                    met[k][0] += bool(good)
                    if good:
                        ok.append(k)
            rows.append([name, args.rows[name][0] // 2,
                         tg["shape"][0], tg["shape"][1], tg["pair"][0],
                         tg["pair"][1], tg["ML"][0], tg["ML"][1],
                         tg["sd"][0], avg(args, res, name, "copula",
                                          "sd ratio many")
                         if "copula" in methods else None,
                         tg["sd@n"][0], avg(args, res, name, "copula",
                                            "sd ratio")
                         if "copula" in methods else None,
                         avg(args, res, name, "holdout", "sd ratio"),
                         tg["DCR"][0],
                         "%d/%d %s" % (len(ok), sum(g is not None for k, (_, _, g)
                                                    in tg.items() if k != "sd@n"),
                                       ",".join(ok) or "-")])
        def sd_met(m, metric):
            v = [avg(args, res, n, m, metric) for n in args.datasets]
            return sum(x is not None and abs(x - 1) <= 0.03 for x in v)
        summary = "Tables meeting each target: " + ", ".join(
            "%s %d of %d" % (k, a, b) for k, (a, b) in met.items()) + \
            " (sd: of %d draws; the copula's %s; sd@n: of as many rows " \
            "as the training half, the copula's %s, the real holdout " \
            "half's %d)" % (
                SD_DRAWS,
                sd_met("copula", "sd ratio many") if "copula" in methods
                else "-",
                sd_met("copula", "sd ratio") if "copula" in methods else "-",
                sd_met("holdout", "sd ratio"))
        print(summary, file=sys.stderr)
        rep.table("vae against issue 10's generation targets (mean over %d "
                  "seed%s): shape and pair >= the Gaussian copula's; ML "
                  "efficacy >= bar = max(copula, TVAE) - 0.02; worst "
                  "generated numeric column's sd / the real one's within "
                  "0.97..1.03; DCR share <= 0.6"
                  % (args.seeds, "" if args.seeds == 1 else "s"),
                  head, rows, notes=[summary] + notes)

    head = ["table", "metric"] + [LABELS[m] for m in methods]
    if "vae" in methods:
        head += ["vae / best peer", "best peer"]
    rows = []

    def med(m, metric):
        v = [avg(args, res, n, m, metric) for n in args.datasets]
        v = [x for x in v if x is not None]
        return float(np.median(v)) if v else None
    for name in args.datasets + [None]:
        for metric, higher in METRICS:
            vals = {m: (avg(args, res, name, m, metric) if name else
                        med(m, metric)) for m in methods}
            row = [name or "median of tables", metric] + \
                [vals[m] for m in methods]
            if "vae" in methods:
                if higher is None:   # DCR share, sd ratio: nearest the ideal
                    ideal = 0.5 if metric == "DCR share" else 1.0
                    near = {m: abs(vals[m] - ideal) for m in peers
                            if vals[m] is not None}
                    best = min(near, key=near.get) if near else None
                    row += ["-", LABELS.get(best, "-")]
                else:
                    r, best = C.best_ratio(vals["vae"],
                                           {m: vals[m] for m in peers},
                                           lower_better=False)
                    row += [r, LABELS.get(best, "-")]
            rows.append(row)
    rep.table("Synthetic data, every method (mean over %d seed%s; shape, "
              "pair, ML efficacy: higher is better, 1 at most for shape and "
              "pair; sd ratio: 1 is ideal; DCR share: 0.5 is ideal, higher "
              "= closer to the training rows)"
              % (args.seeds, "" if args.seeds == 1 else "s"), head, rows)
    head = ["table"] + [LABELS[m] for m in methods]
    rows = [[name] + [avg(args, res, name, m, "seconds") for m in methods]
            for name in args.datasets]
    rep.table("Generation seconds (fit + sample as many rows as the "
              "training half; peers' from the cache when it had them)",
              head, rows)
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true",
                   help="one seed, tables cut to 1,000 rows")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--options", default="{}")
    p.add_argument("--datasets", default="all",
                   help="comma list; 'all' (default): the six and the suite, "
                   "'six', 'suite'")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--max-rows", type=int, default=5000,
                   help="tables above this many complete rows keep a seeded "
                   "random subset of them, for every method")
    p.add_argument("--no-save", action="store_true")
    a = p.parse_args(argv)
    a.options = json.loads(a.options)
    a.datasets = C.expand_datasets(a.datasets)
    a.methods = [m for m in a.methods.split(",") if m]
    for d in a.datasets:
        if d not in C.DATASETS and d not in C.suite_names():
            p.error("unknown data set %r" % d)
    for m in a.methods:
        if m not in METHODS:
            p.error("unknown method %r" % m)
    if a.quick:
        a.seeds = 1
        a.max_rows = min(a.max_rows, 1000) if a.max_rows else 1000
    a.so = os.path.abspath(a.so)
    a.rows = {}
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    print("== generation: %s; %d seed(s)" % (", ".join(a.datasets), a.seeds),
          file=sys.stderr, flush=True)
    res = run(a)
    rep = report(a, res)
    if not a.no_save:
        rep.save(preface="### Generation\n\nThe six tables and the suite "
                 "(bench/data/suite), complete rows, split in halves "
                 "(train / real holdout); %d seed(s); tables cut to %d rows "
                 "at most; %s.\n\nCommand: `/usr/bin/python3 bench/"
                 "generate.py%s`" % (a.seeds, a.max_rows, C.machine_line(),
                                     " --quick" if a.seeds == 1 and
                                     a.max_rows == 1000 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
