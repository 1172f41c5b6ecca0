#!/usr/bin/python3
"""Imputation benchmark: the vae against established imputers, on identical
masks.

For each data set, missingness pattern (MCAR, MAR; see common.py) and seed,
one mask hides cells of the table; every method fills them and is scored on
exactly those cells: normalized RMSE (RMSE / sd of the column's true
values) for numeric cells, error rate for categorical cells. Seconds are
fit plus imputation, in each method's own process (R's start-up excluded).

Methods:
  mean/mode     column mean, most frequent level
  kNN           scikit-learn KNNImputer, k = 5, numeric columns
                standardized, categorical one-hot (argmax back)
  MICE (skl)    scikit-learn IterativeImputer with BayesianRidge, 10 rounds,
                numeric columns standardized, categorical ones as their
                level index, rounded back (the levels of these data sets
                are ordered or binary; see impute_mice_skl)
  mice (R)      R mice, defaults (m = 5, pmm / logreg / polyreg), pooled:
                mean of the 5 imputations, most frequent level (mice.R)
  missForest    iterative random forests, Stekhoven and Buehlmann, over
                R ranger (missforest.R)
  MIWAE (torch) the vae's architecture and objective in PyTorch, same early
                stopping, 256 importance samples (torch_miwae.py)
  vae           the extension through SQL: vae_fit with its defaults and the
                seed, then vae_impute for every hidden cell; categorical
                columns are TEXT columns

Usage (from the repo root):
    /usr/bin/python3 bench/impute.py [--quick] [--so PATH] [--options JSON]
        [--datasets wine,iris] [--methods mean,knn,vae] [--seeds 3]
"""

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import common as C

METHODS = ["mean", "knn", "mice_skl", "mice_r", "missforest", "miwae",
           "vae"]
LABELS = {"mean": "mean/mode", "knn": "kNN", "mice_skl": "MICE (skl)",
          "mice_r": "mice (R)", "missforest": "missForest",
          "miwae": "MIWAE (torch)", "vae": "vae"}
PATTERNS = ["MCAR", "MAR"]


# ---------------------------------------------------------------- Python

def impute_mean(t, Xm):
    out = Xm.copy()
    for j in range(Xm.shape[1]):
        col = Xm[:, j]
        miss = np.isnan(col)
        if t.kinds[j] == "num":
            fill = np.nanmean(col)
        else:
            vals, counts = np.unique(col[~miss], return_counts=True)
            fill = vals[np.argmax(counts)]
        out[miss, j] = fill
    return out


def _encoded(t, Xm):
    stats = C.standardizer(t, Xm)
    M, spans = C.one_hot(t, Xm, stats=stats)
    return M, spans, stats


def _decoded(t, Xm, M, spans, stats):
    out = C.from_one_hot(t, M, spans, stats)
    return np.where(np.isnan(Xm), out, Xm)


def impute_knn(t, Xm, seed):
    from sklearn.impute import KNNImputer
    M, spans, stats = _encoded(t, Xm)
    return _decoded(t, Xm, KNNImputer(n_neighbors=5).fit_transform(M),
                    spans, stats)


def impute_mice_skl(t, Xm, seed):
    """Chained BayesianRidge regressions. A categorical column enters as its
    level index (standardized) and its estimate is rounded to the nearest
    level: with one-hot columns the chained regressions predict each level
    from its equally missing siblings and return the column means."""
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer
    from sklearn.linear_model import BayesianRidge
    mu, sd = C.standardizer(t, Xm)
    imp = IterativeImputer(estimator=BayesianRidge(), max_iter=10,
                           random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = imp.fit_transform((Xm - mu) / sd) * sd + mu
    for j in t.cat_idx:
        out[:, j] = np.clip(np.round(out[:, j]), 0, len(t.levels[j]) - 1)
    return np.where(np.isnan(Xm), out, Xm)


def impute_miwae(t, Xm, seed):
    import torch_miwae
    return np.where(np.isnan(Xm),
                    torch_miwae.fit_impute(Xm, t.kinds, t.levels, seed), Xm)


def impute_vae(t, Xm, seed, so_path, extra):
    """vae_fit on the masked table, then one SELECT computing every
    vae_impute before anything is written."""
    db = C.open_vae(so_path)
    try:
        C.create_table(db, "t", t, Xm)
        opts = {"seed": seed}
        opts.update(C.vae_types(t))
        opts.update(extra)
        C.vae_fit(db, "m", "t", opts)
        args = ", ".join(C.qident(c) for c in t.cols)
        sel = ", ".join("vae_impute('m', ?, %s)" % args for _ in t.cols)
        out = Xm.copy()
        cur = db.execute("SELECT %s FROM t ORDER BY rowid" % sel, t.cols)
        for i, rec in enumerate(cur):
            for j in np.flatnonzero(np.isnan(Xm[i])):
                out[i, j] = C.parse_value(t, j, rec[j])
        return out
    finally:
        db.close()


# ---------------------------------------------------------------- R imputers

def write_csv(path, t, X):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(t.cols)
        for row in t.rows_sql(X):
            w.writerow(["" if v is None else (repr(v) if isinstance(v, float)
                                              else v) for v in row])


def read_csv(path, t):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        rows = list(r)
    X = np.full((len(rows), len(t.cols)), np.nan)
    for i, rec in enumerate(rows):
        for j, v in enumerate(rec):
            if v not in ("", "NA"):
                X[i, j] = (float(t.levels[j].index(v)) if t.kinds[j] == "cat"
                           else float(v))
    return X


def run_r(script, jobs, tmp):
    """Runs one R script over all (key, table, masked X, seed) jobs; returns
    key -> (completed X or None, seconds or None, error or None)."""
    manifest = os.path.join(tmp, script + ".tsv")
    with open(manifest, "w") as f:
        f.write("input\toutput\tcategorical\tseed\n")
        for n, (key, t, Xm, seed) in enumerate(jobs):
            inp = os.path.join(tmp, "%s_%d_in.csv" % (script, n))
            write_csv(inp, t, Xm)
            cats = ",".join(t.cols[j] for j in t.cat_idx) or "-"
            f.write("%s\t%s\t%s\t%d\n" % (inp, inp.replace("_in.", "_out."),
                                          cats, seed))
    r = subprocess.run(["Rscript", os.path.join(C.BENCH_DIR, script),
                        manifest], capture_output=True, text=True)
    if r.returncode != 0:
        print("bench: %s failed: %s" % (script, r.stderr[-1000:]),
              file=sys.stderr)
    res = {}
    for n, (key, t, Xm, seed) in enumerate(jobs):
        out = os.path.join(tmp, "%s_%d_out.csv" % (script, n))
        if os.path.exists(out + ".error"):
            with open(out + ".error") as f:
                res[key] = (None, None, f.read().strip())
        elif os.path.exists(out):
            with open(out + ".seconds") as f:
                secs = float(f.read())
            res[key] = (read_csv(out, t), secs, None)
        else:
            res[key] = (None, None, "no output")
    return res


def have_r():
    try:
        return subprocess.run(["Rscript", "-e",
                               "library(mice); library(ranger)"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


# ---------------------------------------------------------------- driver

def run(args):
    jobs = []  # (key, table, masked X, mask, seed)
    for name in args.datasets:
        t = C.load(name, "impute")
        for pat in PATTERNS:
            for seed in range(args.seeds):
                mask = C.MASKS[pat](t, seed)
                Xm = t.X.copy()
                Xm[mask] = np.nan
                jobs.append(((name, pat, seed), t, Xm, mask, seed))

    scores = {}   # (key, method) -> (nrmse, err, seconds)
    notes = []
    r_methods = [m for m in ("mice_r", "missforest") if m in args.methods]
    if r_methods and not have_r():
        notes.append("R with mice and ranger not found: R methods skipped")
        r_methods = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in r_methods:
            script = "mice.R" if m == "mice_r" else "missforest.R"
            t0 = time.perf_counter()
            res = run_r(script, [(k, t, Xm, s) for k, t, Xm, _, s in jobs],
                        tmp)
            print("  %-10s %d tables in %.1fs" % (LABELS[m], len(jobs),
                  time.perf_counter() - t0), file=sys.stderr, flush=True)
            for key, t, Xm, mask, _ in jobs:
                out, secs, err = res[key]
                if out is None:
                    notes.append("%s failed on %s %s seed %d: %s"
                                 % (LABELS[m], *key, err))
                    continue
                left = np.isnan(out) & mask
                if left.any():
                    notes.append("%s left %d of %d hidden cells empty on %s "
                                 "%s seed %d (filled with mean/mode)"
                                 % (LABELS[m], left.sum(), mask.sum(), *key))
                    out = np.where(np.isnan(out), impute_mean(t, Xm), out)
                scores[key, m] = C.impute_errors(t, out, mask) + (secs,)

    py = {"mean": lambda t, Xm, s: impute_mean(t, Xm),
          "knn": impute_knn, "mice_skl": impute_mice_skl,
          "miwae": impute_miwae,
          "vae": lambda t, Xm, s: impute_vae(t, Xm, s, args.so, args.options)}
    for key, t, Xm, mask, seed in jobs:
        line = "  %-13s %-4s seed %d" % key
        for m in args.methods:
            if m not in py:
                continue
            t0 = time.perf_counter()
            out = py[m](t, Xm, seed)
            secs = time.perf_counter() - t0
            if np.isnan(out[mask]).any():
                raise RuntimeError("%s left hidden cells empty on %s"
                                   % (m, key))
            scores[key, m] = C.impute_errors(t, out, mask) + (secs,)
            nr, er, _ = scores[key, m]
            line += "  %s %s%s" % (m, C.fmt(nr), "" if er is None
                                   else "/" + C.fmt(er))
        print(line, file=sys.stderr, flush=True)
    return jobs, scores, notes


def mean_of(scores, keys, m, i):
    vals = [scores[k, m][i] for k in keys
            if (k, m) in scores and scores[k, m][i] is not None]
    return float(np.mean(vals)) if vals else None


def report(args, jobs, scores, notes):
    rep = C.Report("impute")
    methods = args.methods
    peers = [m for m in methods if m != "vae"]
    head = ["data set", "pattern", "metric"] + [LABELS[m] for m in methods]
    if "vae" in methods:
        head += ["vae / best peer", "best peer"]
    rows, ratios = [], []
    for name in args.datasets:
        for pat in PATTERNS:
            keys = [(name, pat, s) for s in range(args.seeds)]
            for i, metric in ((0, "NRMSE"), (1, "error rate")):
                vals = {m: mean_of(scores, keys, m, i) for m in methods}
                if all(v is None for v in vals.values()):
                    continue
                row = [name, pat, metric] + [vals[m] for m in methods]
                if "vae" in methods:
                    r, best = C.best_ratio(vals["vae"],
                                           {m: vals[m] for m in peers})
                    row += [r, LABELS.get(best, "-")]
                    if r is not None:
                        ratios.append(r)
                rows.append(row)
    summary = []
    if ratios:
        wins = sum(r < 1 for r in ratios)
        summary.append("vae / best peer below 1 (vae best) in %d of %d rows; "
                       "geometric mean of the ratio %.3f"
                       % (wins, len(ratios),
                          math.exp(np.mean(np.log(ratios)))))
    rep.table("Imputation error on the hidden cells (mean over %d seed%s; "
              "lower is better; NRMSE = RMSE / column sd)"
              % (args.seeds, "" if args.seeds == 1 else "s"),
              head, rows, summary + notes)

    head = ["data set"] + [LABELS[m] for m in methods]
    if "vae" in methods and "miwae" in methods:
        head += ["vae / MIWAE (torch)"]
    rows = []
    for name in args.datasets:
        keys = [(name, p, s) for p in PATTERNS for s in range(args.seeds)]
        vals = {m: mean_of(scores, keys, m, 2) for m in methods}
        row = [name] + [vals[m] for m in methods]
        if "vae" in methods and "miwae" in methods:
            row.append(vals["vae"] / vals["miwae"]
                       if vals["vae"] and vals["miwae"] else None)
        rows.append(row)
    rep.table("Imputation seconds per table (fit + impute, mean over "
              "patterns and seeds; each library's default threads)",
              head, rows)
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true", help="one seed")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--options", default="{}",
                   help="JSON object merged into the vae_fit options")
    p.add_argument("--datasets", default=",".join(C.DATASETS))
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--no-save", action="store_true",
                   help="do not write bench/results.md")
    a = p.parse_args(argv)
    a.options = json.loads(a.options)
    a.datasets = [d for d in a.datasets.split(",") if d]
    a.methods = [m for m in a.methods.split(",") if m]
    for d in a.datasets:
        if d not in C.DATASETS:
            p.error("unknown data set %r" % d)
    for m in a.methods:
        if m not in METHODS:
            p.error("unknown method %r (choose from %s)"
                    % (m, ", ".join(METHODS)))
    if a.quick:
        a.seeds = 1
    a.so = os.path.abspath(a.so)
    if "vae" in a.methods and not os.path.exists(a.so):
        p.error("%s not found (run make first)" % a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    print("== imputation: %s; %d seed(s); %s" % (", ".join(a.datasets),
          a.seeds, C.machine_line()), file=sys.stderr, flush=True)
    jobs, scores, notes = run(a)
    rep = report(a, jobs, scores, notes)
    if not a.no_save:
        rep.save(preface="### Imputation\n\n20%% of cells hidden (MCAR, or "
                 "MAR: half of the columns lose cells with a probability "
                 "that depends on another column's value); %d seed(s); %s."
                 % (a.seeds, C.machine_line()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
