#!/usr/bin/python3
"""Imputation benchmark: the vae against established imputers, on identical
masks.

Tables: the six of bench/data (the numeric ones without their label) and
the 19 public tables of bench/data/suite (read as common.load_suite says;
above --max-rows rows, 5,000 by default, a seeded random subset of rows,
the same for every method). For each table, missingness pattern (MCAR 20%,
MAR, MNAR self-masking; see common.py) and seed, one mask hides observed
cells; every method fills them and is scored on exactly those cells:
normalized RMSE (RMSE / sd of the column's true values) for numeric cells,
error rate for categorical cells. Cells missing in the data itself (real
NAs) are never hidden and never scored. Seconds are fit plus imputation,
in each method's own process (R's start-up excluded). For the vae the
bench also takes 40 draws (`draw` 1..40 of the source= virtual table) on
up to --calib-rows rows and reports how often the 5%-95% range of the
draws covers the true value of a hidden numeric cell (not timed).

Results are cached per job in build/bench/impute_cache.jsonl (the vae's
entries keyed by its options and the digest of vae.so), so that a long run
resumes where it stopped and a new vae.so is measured against the same
peers' numbers. Delete the file to measure the peers again.

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
        [--datasets all|six|suite|wine,faithful,...] [--methods mean,knn,vae]
        [--seeds 3] [--max-rows 5000] [--calib-rows 300]
        [--patterns MCAR,MAR,MNAR]
--quick: one seed, every table cut to 500 rows, draws on 100 rows, the
peers but R mice and the torch MIWAE (the slow ones).
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
           "vae", "vae_mnar"]
# The vae and its "missing": "mnar" setting (issue 13) are measured against
# the peers, never against each other's best.
OURS = ("vae", "vae_mnar")
LABELS = {"mean": "mean/mode", "knn": "kNN", "mice_skl": "MICE (skl)",
          "mice_r": "mice (R)", "missforest": "missForest",
          "miwae": "MIWAE (torch)", "vae": "vae", "vae_mnar": "vae (mnar)"}
PATTERNS = ["MCAR", "MAR", "MNAR"]


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


def fit_impute_vae(db, t, Xm, seed, extra):
    """vae_fit on the masked table t of db, then one SELECT computing every
    vae_impute before anything is written; the filled copy of Xm."""
    C.create_table(db, "t", t, Xm)
    # One thread, as missForest's forests grow on one (bench/missforest.R):
    # the bench's times compare one core each. The bits do not depend on it
    # (tests/sql/27_threads.sql), so the cache's keys leave it out.
    opts = {"seed": seed, "threads": 1}
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


def impute_vae(t, Xm, seed, so_path, extra):
    db = C.open_vae(so_path)
    try:
        return fit_impute_vae(db, t, Xm, seed, extra)
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


def run_r(script, jobs, tmp, timeout=None):
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
    try:
        r = subprocess.run(["Rscript", os.path.join(C.BENCH_DIR, script),
                            manifest], capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        r = None
        print("bench: %s timed out after %ss" % (script, timeout),
              file=sys.stderr)
    if r is not None and r.returncode != 0:
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
            res[key] = (None, None, "no output" if r is not None else
                         "timed out after %ss" % timeout)
    return res


def have_r():
    try:
        return subprocess.run(["Rscript", "-e",
                               "library(mice); library(ranger)"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


# ---------------------------------------------------------------- driver

def cache_path():
    return os.environ.get("BENCH_IMPUTE_CACHE",
                          os.path.join(C.REPO_ROOT, "build", "bench",
                                       "impute_cache.jsonl"))


def load_cache():
    got = {}
    try:
        with open(cache_path()) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                got[rec["key"]] = rec["value"]
    except OSError:
        pass
    return got


def save_cached(key, value):
    os.makedirs(os.path.dirname(cache_path()), exist_ok=True)
    with open(cache_path(), "a") as f:
        f.write(json.dumps({"key": key, "value": value}) + "\n")


def so_digest(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


def coverage(t, Xm, mask, draws_for, rows_cap, seed, n_draws=40):
    """Share of hidden numeric cells whose true value lies in the 5%-95%
    range of n_draws draws; on at most rows_cap rows (seeded) with one."""
    num = t.num_idx
    rows = np.flatnonzero(mask[:, num].any(axis=1)) if num else []
    if len(rows) == 0:
        return None
    if rows_cap and len(rows) > rows_cap:
        rows = np.sort(np.random.default_rng(seed).choice(rows, rows_cap,
                                                          replace=False))
    D = draws_for(rows, n_draws)              # (n_draws, len(rows), p)
    lo = np.quantile(D, 0.05, axis=0)
    hi = np.quantile(D, 0.95, axis=0)
    truth = t.X[rows]
    m = mask[rows]
    hit = []
    for j in num:
        mj = m[:, j]
        hit.append((lo[mj, j] <= truth[mj, j]) & (truth[mj, j] <= hi[mj, j]))
    hit = np.concatenate(hit)
    return float(np.mean(hit)) if len(hit) else None


def impute_vae_full(t, Xm, mask, seed, so_path, extra, calib_rows):
    """impute_vae's fill and seconds, plus the coverage of 40 draws taken
    through the source= virtual table (`draw` 1..40), not timed."""
    db = C.open_vae(so_path)
    try:
        t0 = time.perf_counter()
        out = fit_impute_vae(db, t, Xm, seed, extra)
        secs = time.perf_counter() - t0

        def draws_for(rows, n_draws):
            db.execute("CREATE TABLE c AS SELECT * FROM t WHERE rowid IN "
                       "(%s) ORDER BY rowid"
                       % ",".join(str(int(r) + 1) for r in rows))
            db.execute("CREATE VIRTUAL TABLE f USING vae(m, source=c)")
            cols = ", ".join(C.qident(c) for c in t.cols)
            D = np.empty((n_draws, len(rows), len(t.cols)))
            for d in range(n_draws):
                recs = db.execute("SELECT %s FROM f WHERE draw = ? ORDER BY "
                                  "rowid" % cols, (d + 1,)).fetchall()
                for i, rec in enumerate(recs):
                    for j in t.num_idx:
                        D[d, i, j] = np.nan if rec[j] is None else rec[j]
            return D
        cover = coverage(t, Xm, mask, draws_for, calib_rows, seed)
        return out, secs, cover
    finally:
        db.close()


def table_jobs(args, name):
    t = C.load_any(name, args.max_rows)
    jobs = []
    for pat in args.patterns:
        for seed in range(args.seeds):
            mask, Xm = C.hide(t, pat, seed)
            jobs.append(((name, pat, seed), t, Xm, mask, seed))
    return t, jobs


def run(args):
    """Every table, pattern, seed and method; results are cached (one JSON
    line per job in build/bench/impute_cache.jsonl, keyed by table, row
    cap, pattern, seed, method and, for the vae, the options and the
    digest of vae.so), so that a long run can be resumed and the vae
    re-measured without re-running the peers."""
    cache = load_cache()
    scores = {}   # (key, method) -> (nrmse, err, seconds, coverage)
    notes = []
    tables = {}
    r_methods = [m for m in ("mice_r", "missforest") if m in args.methods]
    if r_methods and not have_r():
        notes.append("R with mice and ranger not found: R methods skipped")
        r_methods = []
    vae_tag = "vae:%s:%s" % (so_digest(args.so) if any(m in OURS for m in args.methods)
                             else "-", json.dumps(args.options,
                                                  sort_keys=True))
    py = {"mean": lambda t, Xm, s: impute_mean(t, Xm),
          "knn": impute_knn, "mice_skl": impute_mice_skl,
          "miwae": impute_miwae}

    def ckey(key, m):
        tag = vae_tag if m == "vae" else "mnar-" + vae_tag if m == "vae_mnar" else m
        return "%s|%d|%s|%d|%s" % (key[0], args.max_rows, key[1], key[2],
                                   tag)

    for name in args.datasets:
        t, jobs = table_jobs(args, name)
        tables[name] = t
        cache.update(load_cache())     # another run may have added some
        for m in args.methods:
            todo = []
            for job in jobs:
                ck = ckey(job[0], m)
                if ck in cache:
                    scores[job[0], m] = tuple(cache[ck])
                else:
                    todo.append(job)
            if todo and args.report_only:
                notes.append("%s: %d job(s) of %s not in the cache, left out"
                             % (LABELS[m], len(todo), name))
                todo = []
            if not todo:
                continue
            t0 = time.perf_counter()
            if m in r_methods:
                script = "mice.R" if m == "mice_r" else "missforest.R"
                with tempfile.TemporaryDirectory() as tmp:
                    res = run_r(script, [(k, t, Xm, s)
                                         for k, t, Xm, _, s in todo], tmp,
                                args.r_timeout)
                for key, _, Xm, mask, _ in todo:
                    out, secs, err = res[key]
                    if out is None:
                        notes.append("%s failed on %s %s seed %d: %s"
                                     % (LABELS[m], *key, err))
                        continue
                    left = np.isnan(out) & mask
                    if left.any():
                        notes.append("%s left %d of %d hidden cells empty on "
                                     "%s %s seed %d (filled with mean/mode)"
                                     % (LABELS[m], left.sum(), mask.sum(),
                                        *key))
                        out = np.where(np.isnan(out), impute_mean(t, Xm),
                                       out)
                    val = C.impute_errors(t, out, mask) + (secs, None)
                    scores[key, m] = val
                    save_cached(ckey(key, m), val)
            elif m in py or m in OURS:
                for key, _, Xm, mask, seed in todo:
                    cover = None
                    if m == "vae":
                        out, secs, cover = impute_vae_full(
                            t, Xm, mask, seed, args.so, args.options,
                            args.calib_rows)
                    elif m == "vae_mnar":
                        t1 = time.perf_counter()
                        out = impute_vae(t, Xm, seed, args.so,
                                         dict(args.options, missing="mnar"))
                        secs = time.perf_counter() - t1
                    else:
                        t1 = time.perf_counter()
                        out = py[m](t, Xm, seed)
                        secs = time.perf_counter() - t1
                    if np.isnan(out[mask]).any():
                        raise RuntimeError("%s left hidden cells empty on %s"
                                           % (m, key))
                    val = C.impute_errors(t, out, mask) + (secs, cover)
                    scores[key, m] = val
                    save_cached(ckey(key, m), val)
            print("  %-14s %-13s %d jobs in %.1fs" % (name, LABELS[m],
                  len(todo), time.perf_counter() - t0), file=sys.stderr,
                  flush=True)
        line = "  %-14s" % name
        for pat in args.patterns:
            keys = [(name, pat, s) for s in range(args.seeds)]
            v = mean_of(scores, keys, "vae", 0)
            b = min((x for x in (mean_of(scores, keys, m, 0)
                                 for m in args.methods if m not in OURS)
                     if x is not None), default=None)
            line += "  %s vae %s best peer %s" % (pat, C.fmt(v), C.fmt(b))
        print(line, file=sys.stderr, flush=True)
    return tables, scores, notes


def mean_of(scores, keys, m, i):
    vals = [scores[k, m][i] for k in keys
            if (k, m) in scores and scores[k, m][i] is not None]
    return float(np.mean(vals)) if vals else None


def geomean(xs):
    return math.exp(float(np.mean(np.log(xs)))) if xs else None


def report(args, tables, scores, notes):
    rep = C.Report("impute")
    methods = args.methods
    peers = [m for m in methods if m not in OURS]
    has_vae = "vae" in methods
    seeds = range(args.seeds)

    # 1. every method, per table, pattern and metric
    head = ["table", "rows", "pattern", "metric"] + \
        [LABELS[m] for m in methods]
    if has_vae:
        head += ["vae / best peer", "best peer"]
    rows = []
    ratios = {}        # (pattern, metric) -> [(ratio, table)]
    mnar_ratios = {}   # the same for vae (mnar), and against vae
    for name in args.datasets:
        t = tables[name]
        nrows = ("%d of %d" % (len(t.X), t.rows_all)
                 if len(t.X) < t.rows_all else str(len(t.X)))
        for pat in args.patterns:
            keys = [(name, pat, s) for s in seeds]
            for i, metric in ((0, "NRMSE"), (1, "error rate")):
                vals = {m: mean_of(scores, keys, m, i) for m in methods}
                if all(v is None for v in vals.values()):
                    continue
                row = [name, nrows, pat, metric] + [vals[m] for m in methods]
                if has_vae:
                    r, best = C.best_ratio(vals["vae"],
                                           {m: vals[m] for m in peers})
                    if r is None and vals["vae"] == 0:
                        r = 1.0 if any(vals[m] == 0 for m in peers) else None
                    row += [r, LABELS.get(best, "-")]
                    if r is not None:
                        ratios.setdefault((pat, metric), []).append(
                            (r, name))
                    rm, _ = C.best_ratio(vals.get("vae_mnar"),
                                         {m: vals[m] for m in peers})
                    if rm is not None:
                        mnar_ratios.setdefault((pat, metric), []).append(
                            (rm, name))
                    if vals.get("vae_mnar") and vals["vae"]:
                        mnar_ratios.setdefault((pat, metric, "vae"), []).append(
                            (vals["vae_mnar"] / vals["vae"], name))
                rows.append(row)
    rep.table("Imputation error on the hidden cells (mean over %d seed%s; "
              "lower is better; NRMSE = RMSE / column sd, error rate over "
              "categorical cells)" % (args.seeds, "" if args.seeds == 1
                                      else "s"), head, rows, notes)

    # 2. the summary per pattern
    if has_vae and ratios:
        head = ["pattern", "metric", "tables", "vae best in",
                "geometric mean of vae / best peer", "worst", "worst table"]
        rows = []
        for pat in PATTERNS:
            for metric in ("NRMSE", "error rate"):
                rs = ratios.get((pat, metric), [])
                if not rs:
                    continue
                worst = max(rs)
                rows.append([pat, metric, len(rs),
                             sum(r < 1 for r, _ in rs),
                             geomean([max(r, 1e-3) for r, _ in rs]),
                             worst[0], worst[1]])
        rep.table("Summary: vae / best peer over the tables", head, rows)
    if has_vae and mnar_ratios:
        head = ["pattern", "metric", "tables", "geometric mean of vae (mnar) "
                "/ best peer", "worst", "worst table",
                "geometric mean of vae (mnar) / vae", "worst", "worst table"]
        rows = []
        for pat in PATTERNS:
            for metric in ("NRMSE", "error rate"):
                rs = mnar_ratios.get((pat, metric), [])
                rv = mnar_ratios.get((pat, metric, "vae"), [])
                if not rs:
                    continue
                row = [pat, metric, len(rs),
                       geomean([max(r, 1e-3) for r, _ in rs]), *max(rs)]
                row += ([geomean([max(r, 1e-3) for r, _ in rv]), *max(rv)]
                        if rv else [None, None, None])
                rows.append(row)
        rep.table('Summary: the "missing": "mnar" setting (issue 13)', head,
                  rows)

    # 3. seconds and calibration per table
    head = ["table", "vae seconds", "missForest seconds",
            "vae / missForest"] + ["coverage %s" % p for p in PATTERNS]
    rows, tr, covs = [], [], {p: [] for p in PATTERNS}
    for name in args.datasets:
        keys = [(name, p, s) for p in PATTERNS for s in seeds]
        v = mean_of(scores, keys, "vae", 2)
        f = mean_of(scores, keys, "missforest", 2)
        r = v / f if v and f else None
        if r:
            tr.append(r)
        row = [name, v, f, r]
        for pat in PATTERNS:
            cov = mean_of(scores, [(name, pat, s) for s in seeds], "vae", 3)
            if cov is not None:
                covs[pat].append(cov)
            row.append(cov)
        rows.append(row)
    notes2 = ["coverage: share of hidden numeric cells whose true value lies "
              "in the 5%%-95%% range of 40 draws (target 0.85-0.95), on at "
              "most %d rows per job" % args.calib_rows]
    if tr:
        vt = args.options.get("threads", 1)
        notes2.append("median vae / missForest time: %.2f (%s; a shared, "
                      "busy machine: times are noisy)"
                      % (float(np.median(tr)), "single thread each"
                         if vt == 1 else "vae on %s threads, missForest "
                         "on one" % vt))
    for pat in PATTERNS:
        c = covs[pat]
        if c:
            notes2.append("coverage %s: %.2f to %.2f over the tables, "
                          "median %.2f, %d of %d tables within 0.85-0.95"
                          % (pat, min(c), max(c), float(np.median(c)),
                             sum(0.85 <= x <= 0.95 for x in c), len(c)))
    rep.table("Fit + impute seconds (mean over patterns and seeds) and "
              "calibration of the vae's draws", head, rows, notes2)
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true",
                   help="one seed, tables cut to 500 rows, draws on 100, "
                   "no R mice and no torch MIWAE")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--options", default="{}",
                   help="JSON object merged into the vae_fit options")
    p.add_argument("--datasets", default="all",
                   help="comma list; 'all' (default): the six and the suite, "
                   "'six', 'suite'")
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--patterns", default=",".join(PATTERNS),
                   help="comma list of missingness patterns (MCAR, MAR, "
                   "MNAR; default all)")
    p.add_argument("--max-rows", type=int, default=5000,
                   help="suite tables above this many rows keep a seeded "
                   "random subset of them, for every method")
    p.add_argument("--calib-rows", type=int, default=300,
                   help="rows with a hidden numeric cell on which the "
                   "coverage of 40 draws is measured")
    p.add_argument("--r-timeout", type=float, default=1800,
                   help="seconds for one R script over one table's jobs")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: report what the cache holds")
    p.add_argument("--no-save", action="store_true",
                   help="do not write bench/results.md")
    a = p.parse_args(argv)
    a.options = json.loads(a.options)
    a.datasets = C.expand_datasets(a.datasets)
    if a.quick:
        a.seeds = 1
        a.max_rows = min(a.max_rows, 500)
        a.calib_rows = min(a.calib_rows, 100)
        if a.methods == ",".join(METHODS):
            a.methods = ",".join(m for m in METHODS
                                 if m not in ("mice_r", "miwae"))
    a.methods = [m for m in a.methods.split(",") if m]
    a.patterns = [x for x in a.patterns.upper().split(",") if x]
    for x in a.patterns:
        if x not in PATTERNS:
            p.error("unknown pattern %r (choose from %s)"
                    % (x, ", ".join(PATTERNS)))
    for d in a.datasets:
        if d not in C.DATASETS and d not in C.suite_names():
            p.error("unknown data set %r" % d)
    for m in a.methods:
        if m not in METHODS:
            p.error("unknown method %r (choose from %s)"
                    % (m, ", ".join(METHODS)))
    a.so = os.path.abspath(a.so)
    if "vae" in a.methods and not os.path.exists(a.so):
        p.error("%s not found (run make first)" % a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    print("== imputation: %d tables; %d seed(s); %s"
          % (len(a.datasets), a.seeds, C.machine_line()), file=sys.stderr,
          flush=True)
    tables, scores, notes = run(a)
    rep = report(a, tables, scores, notes)
    if not a.no_save:
        rep.save(preface="### Imputation\n\nThe six tables and the suite "
                 "(bench/data/suite); 20%% of cells hidden MCAR; MAR (half "
                 "of the columns lose cells with a probability that depends "
                 "on another column's value); MNAR by self-masking (a cell "
                 "above its column's 60th percentile hidden with probability "
                 "0.5, others 0.05); real NAs are never scored; tables above "
                 "%d rows keep a seeded random %d rows for every method; "
                 "%d seed(s); vae options %s; %s.%s\n\nCommand: `%s`."
                 % (a.max_rows, a.max_rows, a.seeds,
                    json.dumps(a.options) if a.options else "default",
                    C.machine_line(),
                    " Reported from the job cache of earlier runs of the "
                    "same settings (--report-only)." if a.report_only else "",
                    "bench/impute.py " + " ".join(sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
