#!/usr/bin/python3
"""Imputation benchmark: mean vs. kNN vs. the vae SQLite extension.

For each data set and seed, 20% of the cells are hidden completely at random
(MCAR; no row loses all of its cells), imputed by each method, and scored by
the normalized RMSE over the hidden cells:

    sqrt(mean over hidden cells of ((imputed - true) / sd_col)^2)

where sd_col is the (population) standard deviation of the full true column.

The vae is driven through its SQL surface only: vae_fit on an in-memory table
holding the masked data, then vae_impute for every hidden cell.

Usage (from the repo root):
    /usr/bin/python3 bench/impute.py [--quick] [--so PATH] [--options JSON]
                                     [--datasets wine,diabetes] [--no-vae]
"""

import argparse
import csv
import json
import math
import os
import sqlite3
import sys
import time

import numpy as np
from sklearn.impute import KNNImputer

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DATA_DIR = os.path.join(BENCH_DIR, "data")

# Data set name -> text columns to drop (everything else is numeric).
DATASETS = {
    "wine": ["cultivar"],
    "breast_cancer": ["diagnosis"],
    "diabetes": [],
}
SEEDS = [0, 1, 2]
MISSING_RATE = 0.20
KNN_K = 5


# ---------------------------------------------------------------- data

def load_csv(name, drop):
    """Read bench/data/<name>.csv; return (column names, float matrix)."""
    path = os.path.join(DATA_DIR, name + ".csv")
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        keep = [i for i, c in enumerate(header) if c not in drop]
        rows = []
        for rec in reader:
            if not rec:
                continue
            rows.append([float(rec[i]) for i in keep])
    return [header[i] for i in keep], np.array(rows, dtype=float)


def make_mask(shape, seed, rate=MISSING_RATE):
    """Boolean MCAR mask (True = hidden); never hides a whole row."""
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < rate
    for r in np.flatnonzero(mask.all(axis=1)):
        mask[r, rng.integers(shape[1])] = False
    return mask


def nrmse(imputed, truth, mask):
    """Normalized RMSE over the hidden cells, per-column sd of the truth."""
    sd = truth.std(axis=0)
    sd[sd == 0] = 1.0
    err = ((imputed - truth) / sd)[mask]
    return math.sqrt(float(np.mean(err ** 2)))


# ---------------------------------------------------------------- imputers

def observed_stats(masked):
    mu = np.nanmean(masked, axis=0)
    sd = np.nanstd(masked, axis=0)
    sd[~(sd > 0)] = 1.0
    return mu, sd


def impute_mean(masked):
    mu, _ = observed_stats(masked)
    out = masked.copy()
    rows, cols = np.nonzero(np.isnan(out))
    out[rows, cols] = mu[cols]
    return out


def impute_knn(masked, k=KNN_K):
    mu, sd = observed_stats(masked)
    z = (masked - mu) / sd
    filled = KNNImputer(n_neighbors=k).fit_transform(z)
    return filled * sd + mu


def open_vae(so_path):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(so_path)
    db.enable_load_extension(False)
    return db


def impute_vae(masked, cols, so_path, options):
    """Fit the vae on the masked table and impute every hidden cell.

    Returns (imputed matrix, fit seconds). All imputations are computed by
    one SELECT before anything is written, so that every vae_impute call
    sees the original observed values of its row.
    """
    db = open_vae(so_path)
    try:
        qcols = ['"%s"' % c.replace('"', '""') for c in cols]
        db.execute("CREATE TABLE t (%s)"
                   % ", ".join(q + " REAL" for q in qcols))
        db.executemany(
            "INSERT INTO t VALUES (%s)" % ", ".join("?" * len(cols)),
            [[None if math.isnan(v) else float(v) for v in row]
             for row in masked])
        db.commit()

        t0 = time.perf_counter()
        db.execute("SELECT vae_fit('m', 't', ?)",
                   (json.dumps(options),)).fetchone()
        fit_s = time.perf_counter() - t0

        args = ", ".join(qcols)
        sel = ", ".join("vae_impute('m', ?, %s)" % args for _ in cols)
        out = masked.copy()
        cur = db.execute("SELECT rowid, %s FROM t ORDER BY rowid" % sel,
                         list(cols))
        for i, rec in enumerate(cur):
            vals = rec[1:]
            for j in np.flatnonzero(np.isnan(masked[i])):
                if vals[j] is None:
                    raise RuntimeError("vae_impute returned NULL for %s row %d"
                                       % (cols[j], i + 1))
                out[i, j] = float(vals[j])
        if np.isnan(out).any():
            raise RuntimeError("vae left cells unimputed")
        return out, fit_s
    finally:
        db.close()


# ---------------------------------------------------------------- driver

def run_dataset(name, seeds, so_path, extra_options, use_vae):
    """Return per-method lists of scores over seeds, plus vae fit times."""
    cols, truth = load_csv(name, DATASETS[name])
    res = {"mean": [], "knn": [], "vae": [], "fit": []}
    for seed in seeds:
        mask = make_mask(truth.shape, seed)
        masked = truth.copy()
        masked[mask] = np.nan
        res["mean"].append(nrmse(impute_mean(masked), truth, mask))
        res["knn"].append(nrmse(impute_knn(masked), truth, mask))
        line = "  %-14s seed %d  mean %.3f  kNN %.3f" % (
            name, seed, res["mean"][-1], res["knn"][-1])
        if use_vae:
            options = {"seed": seed}
            options.update(extra_options)
            imputed, fit_s = impute_vae(masked, cols, so_path, options)
            res["vae"].append(nrmse(imputed, truth, mask))
            res["fit"].append(fit_s)
            line += "  vae %.3f (fit %.2fs)" % (res["vae"][-1], fit_s)
        print(line, file=sys.stderr, flush=True)
    return res


def fmt(x):
    return "-" if x is None else "%.3f" % x


def mean_or_none(xs):
    return float(np.mean(xs)) if xs else None


def print_table(results, nseeds):
    head = ["data set", "mean", "kNN", "vae", "vae/kNN", "vae fit s"]
    rows = []
    wins = compared = 0
    for name, res in results:
        m, k, v = (mean_or_none(res[key]) for key in ("mean", "knn", "vae"))
        fit = mean_or_none(res["fit"])
        ratio = v / k if v is not None and k else None
        if v is not None:
            compared += 1
            wins += v < k
        rows.append([name, fmt(m), fmt(k), fmt(v), fmt(ratio), fmt(fit)])
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]

    def line(cells):
        return " | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))

    print("Imputation NRMSE on %d%% MCAR cells (mean over %d seed%s; "
          "lower is better)" % (round(MISSING_RATE * 100), nseeds,
                                "" if nseeds == 1 else "s"))
    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    if compared:
        print("vae beats kNN on %d of %d data sets" % (wins, compared))
    else:
        print("vae not run (--no-vae)")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=os.path.join(REPO_ROOT, "vae.so"),
                   help="path to the extension (default: <repo>/vae.so)")
    p.add_argument("--quick", action="store_true", help="one seed only")
    p.add_argument("--options", default="{}",
                   help="JSON object merged into the vae_fit options")
    p.add_argument("--datasets", default=",".join(DATASETS),
                   help="comma-separated subset of: " + ", ".join(DATASETS))
    p.add_argument("--no-vae", action="store_true",
                   help="skip the vae (mean and kNN only)")
    a = p.parse_args(argv)
    try:
        a.options = json.loads(a.options)
    except ValueError as e:
        p.error("--options is not valid JSON: %s" % e)
    if not isinstance(a.options, dict):
        p.error("--options must be a JSON object")
    a.datasets = [d for d in a.datasets.split(",") if d]
    for d in a.datasets:
        if d not in DATASETS:
            p.error("unknown data set %r (choose from %s)"
                    % (d, ", ".join(DATASETS)))
    a.so = os.path.abspath(a.so)
    if not a.no_vae and not os.path.exists(a.so):
        p.error("%s not found (run make first, or pass --so / --no-vae)"
                % a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    seeds = SEEDS[:1] if a.quick else SEEDS
    try:
        results = [(name, run_dataset(name, seeds, a.so, a.options,
                                      not a.no_vae))
                   for name in a.datasets]
    except (sqlite3.Error, RuntimeError) as e:
        print("bench: error: %s" % e, file=sys.stderr)
        return 1
    print_table(results, len(seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
