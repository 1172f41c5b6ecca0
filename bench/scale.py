#!/usr/bin/python3
"""Scale benchmark: vae_fit on generated tables of 10^4 to 10^7 rows
x 16 columns (12 numeric, 4 categorical TEXT, 5% of cells NULL; see
common.synthetic_table), each in an on-disk database.

For each size, a fresh process runs vae_fit with fixed epochs and no
holdout, on one thread (OPENBLAS_NUM_THREADS=1), and reports seconds per
epoch of the training loop (from the fit report), microseconds per row and
epoch (constant when time is linear in rows), the whole vae_fit call
(reading the table included), and the process's peak resident memory. The
largest table is also fitted with a `max_rows` reservoir sample (the memory
budget): its report gives rows (sampled) and rows_source (scanned).

With --threads 1,2 every fit runs once per `threads` option value, and with
--busy also once more per value while a process spins on one core (the
"other core busy" case). --levels 10,100 adds tables of the smallest size
with one more TEXT column of that many levels (drawn from the first numeric
column, so it is predictable), --cols 10,50,200 tables of that many columns
(all but 4 numeric). A table of more than 1,000 batches trains in rounds of
1,000 steps (core/train.c): its "epoch" is a round, and rows/s (rows
trained per second, from the report) is the figure to compare.

Every fit also reports its CPU seconds (user + system of the whole
process, every thread: the figure to compare when other jobs share the
machine) and the report's peak_bytes (the most memory vae_fit held at once
for the rows, the model and training). --skip-full 10000000 fits that size
only through the --max-rows reservoir (all rows scanned, max_rows kept).

--big 1000000 instead runs the big-table check: a default vae_fit (no
options, or --options JSON) of a PPCA table (16 columns, 20% of cells
MCAR), then vae_fill of all its rows, with wall and CPU seconds, and the
imputation error against the analytic optimum (the conditional Gaussian
mean under the true parameters).

Generated databases are kept in build/bench/ and reused.

Usage: /usr/bin/python3 bench/scale.py [--quick] [--sizes 10000,100000]
           [--epochs 2] [--max-rows 100000] [--threads 1,2] [--busy]
           [--levels 10,100,1000,10000] [--cols 10,50,200]
           [--skip-full 10000000]
       /usr/bin/python3 bench/scale.py --big 1000000 [--options JSON]
"""

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time

import numpy as np

import common as C

CACHE = os.path.join(C.REPO_ROOT, "build", "bench")
GEN_VERSION = 1


def wide_column(part, levels, seed):
    """A TEXT column of `levels` levels that follows the first numeric
    column (its rank in the standard normal), with some noise."""
    rng = np.random.default_rng(seed)
    x = np.nan_to_num(part.X[:, 0])
    u = 0.5 * (1 + np.tanh(0.8 * x))
    lv = (np.floor(u * levels * 0.999).astype(int)
          + rng.integers(0, max(1, levels // 20), size=len(x))) % levels
    return ["L%d" % v for v in lv]


def database(n, levels=0, ncols=16):
    """Path of a database holding table t with n generated rows (ncols
    columns, and one of `levels` levels more when levels > 0)."""
    os.makedirs(CACHE, exist_ok=True)
    name = "scale_v%d_%d" % (GEN_VERSION, n)
    if levels:
        name += "_L%d" % levels
    if ncols != 16:
        name += "_c%d" % ncols
    path = os.path.join(CACHE, name + ".db")
    if os.path.exists(path):
        return path
    t0 = time.perf_counter()
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    t = C.synthetic_table(0, p_num=ncols - 4)
    cols = ", ".join("%s %s" % (c, "TEXT" if k == "cat" else "REAL")
                     for c, k in zip(t.cols, t.kinds))
    if levels:
        cols += ", wide TEXT"
    db.execute("CREATE TABLE t (%s)" % cols)
    ins = "INSERT INTO t VALUES (%s)" % ", ".join(
        "?" * (len(t.cols) + (1 if levels else 0)))
    step = 100000
    for at in range(0, n, step):
        part = C.synthetic_table(min(step, n - at), seed=at + 1,
                                 p_num=ncols - 4)
        rows = part.rows_sql()
        if levels:
            wide = wide_column(part, levels, at + 7)
            rows = [r + [w] for r, w in zip(rows, wide)]
        db.executemany(ins, rows)
    db.commit()
    db.close()
    os.replace(tmp, path)
    print("  generated %d rows in %.1fs" % (n, time.perf_counter() - t0),
          file=sys.stderr, flush=True)
    return path


def worker(a):
    t = C.synthetic_table(1, p_num=a.ncols - 4)
    # The cached table is attached read-only; the model goes to memory.
    db = C.open_vae(a.so, "file::memory:", uri=True)
    db.execute("ATTACH ? AS src", ("file:%s?mode=ro" % a.db,))
    base = C.current_rss_mib()
    opts = {"epochs": a.epochs, "holdout": 0, "seed": 0}
    opts.update(C.vae_types(t))
    if a.levels:
        opts["types"]["wide"] = "categorical"
    if a.fit_threads:
        opts["threads"] = a.fit_threads
    if a.max_rows:
        opts["max_rows"] = a.max_rows
    c0 = cpu_seconds()
    rep, wall = C.vae_fit(db, "m", "SELECT * FROM src.t", opts)
    return {"rows": rep["rows"], "rows_source": rep["rows_source"],
            "epochs": rep["epochs"], "seconds": rep["seconds"],
            "rows_per_second": rep["rows_per_second"], "wall": wall,
            "cpu": cpu_seconds() - c0, "peak_bytes": rep.get("peak_bytes"),
            "rss_base": base, "rss_peak": C.peak_rss_mib()}


def one(a, n, mr=0, levels=0, ncols=16, threads=0, busy=False):
    """One fit in a fresh process; with busy, while a process spins."""
    path = database(n, levels, ncols)
    spin = None
    if busy:
        spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        r = C.run_worker("scale.py", ["--db", path, "--epochs", a.epochs,
                                      "--max-rows", mr, "--so", a.so,
                                      "--levels", levels, "--ncols", ncols,
                                      "--fit-threads", threads],
                         threads=1)
    finally:
        if spin:
            spin.kill()
            spin.wait()
    r.update(n=n, max_rows=mr, levels=levels, ncols=ncols, threads=threads,
             busy=busy, load=os.getloadavg()[0])
    print("  %8d rows  L %-5s cols %-3d threads %-2s %-4s max_rows %-7s "
          "%6.2f s/epoch  %8.0f rows/s  fit %6.1f s (CPU %6.1f s)  peak %6.0f "
          "MiB (report %6.1f MiB)  load %.1f"
          % (n, levels or "-", ncols, threads or "-", "busy" if busy else "",
             mr or "-", r["seconds"] / r["epochs"], r["rows_per_second"],
             r["wall"], r["cpu"], r["rss_peak"], (r["peak_bytes"] or 0) / 2**20,
             r["load"]),
          file=sys.stderr, flush=True)
    return r


def run(a):
    runs = []
    modes = [(t, False) for t in a.threads] + \
        ([(t, True) for t in a.threads] if a.busy else [])
    for n in a.sizes:
        budgets = [0]
        if n == max(a.sizes) and a.max_rows and a.max_rows < n:
            budgets.append(a.max_rows)
        for mr in budgets:
            if mr == 0 and n in a.skip_full:
                continue
            for t, busy in modes:
                runs.append(one(a, n, mr, threads=t, busy=busy))
    n = min(a.sizes)
    for L in a.level_list:
        for t, busy in modes:
            runs.append(one(a, n, levels=L, threads=t, busy=busy))
    for c in a.col_list:
        for t, busy in modes:
            runs.append(one(a, n, ncols=c, threads=t, busy=busy))
    return runs


def report(a, runs):
    rep = C.Report("scale")
    head = ["table rows", "columns", "levels", "threads", "other core",
            "max_rows", "rows fitted (report)", "rows scanned (report)",
            "s / epoch", "rows/s (report)", "vae_fit s (incl. read)",
            "vae_fit CPU s", "peak MiB (report)", "process peak MiB",
            "MiB above start", "load"]
    rows = []
    for r in runs:
        spe = r["seconds"] / r["epochs"]
        above = r["rss_peak"] - r["rss_base"]
        rows.append([r["n"], r["ncols"] + (1 if r["levels"] else 0),
                     r["levels"] or "-", r["threads"] or "cores",
                     "busy" if r["busy"] else "-", r["max_rows"] or "-",
                     r["rows"], r["rows_source"], spe, r["rows_per_second"],
                     r["wall"], r["cpu"], (r["peak_bytes"] or 0) / 2 ** 20,
                     r["rss_peak"], above, r["load"]])
    full = [r for r in runs if not r["max_rows"] and not r["levels"]
            and r["ncols"] == 16 and r["threads"] == runs[0]["threads"]
            and not r["busy"]]
    notes = []
    if len(full) >= 2:
        lo, hi = full[0], full[-1]
        k = (hi["seconds"] / hi["epochs"]) / (lo["seconds"] / lo["epochs"])
        notes.append("time per epoch grew %.1fx for %.0fx the rows "
                     "(linear: equal); memory above start grew %.1fx"
                     % (k, hi["rows"] / lo["rows"],
                        (hi["rss_peak"] - hi["rss_base"])
                        / max(1e-9, lo["rss_peak"] - lo["rss_base"])))
    notes.append("%d epoch(s) (a round of 1,000 steps on tables of more "
                 "than 1,000 batches), holdout 0; 16 columns (12 numeric, 4 "
                 "categorical) unless said, 5%% NULL; load: the 1-minute "
                 "load average after the run" % a.epochs)
    rep.table("Scale: vae_fit on generated tables (time linear in rows, "
              "memory bounded by max_rows)", head, rows, notes)
    return rep


# ------------------------------------------------------------------ --big
# A default vae_fit of n x 16 probabilistic-PCA data (x = W z + mu + noise,
# 4 latent dimensions, noise sd 0.5), 20% of cells MCAR, then vae_fill of
# every row; the imputation error against the analytic optimum (the
# conditional Gaussian mean given the true W, mu and noise: nothing can do
# better in expectation).

BIG_P, BIG_Q, BIG_SIGMA, BIG_MISSING = 16, 4, 0.5, 0.2


def ppca_params(seed=2024):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((BIG_P, BIG_Q))
    mu = 3.0 * rng.standard_normal(BIG_P)
    C = W @ W.T + BIG_SIGMA ** 2 * np.eye(BIG_P)
    return W, mu, C


def ppca_database(n):
    """Path of a database of table t (x0..x15 REAL, NULL = MCAR hidden),
    and of the .npy file with the full values."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, "ppca_v%d_%d.db" % (GEN_VERSION, n))
    full_path = path[:-3] + ".full.npy"
    if os.path.exists(path) and os.path.exists(full_path):
        return path, full_path
    t0 = time.perf_counter()
    W, mu, _ = ppca_params()
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, %s)"
               % ", ".join("x%d REAL" % j for j in range(BIG_P)))
    full = np.empty((n, BIG_P), dtype=np.float32)
    step = 100000
    for at in range(0, n, step):
        k = min(step, n - at)
        rng = np.random.default_rng(at + 11)
        z = rng.standard_normal((k, BIG_Q))
        x = z @ W.T + mu + BIG_SIGMA * rng.standard_normal((k, BIG_P))
        x = x.astype(np.float32)
        full[at:at + k] = x
        hide = rng.random((k, BIG_P)) < BIG_MISSING
        obj = x.astype(object)
        obj[hide] = None
        db.executemany("INSERT INTO t VALUES (%s)" % ",".join("?" * (BIG_P + 1)),
                       [[at + i + 1] + [None if v is None else float(v)
                                        for v in obj[i]] for i in range(k)])
    db.commit()
    db.close()
    np.save(full_path, full)
    os.replace(tmp, path)
    print("  generated %d PPCA rows in %.1fs" % (n, time.perf_counter() - t0),
          file=sys.stderr, flush=True)
    return path, full_path


def ppca_optimum(X, C, mu):
    """The conditional mean of every hidden cell of X given its row's
    observed cells, row patterns one at a time."""
    out = X.copy()
    miss = np.isnan(X)
    keys = np.packbits(miss, axis=1, bitorder="little").view(np.uint16).ravel()
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    cuts = np.flatnonzero(np.diff(ks)) + 1
    for grp in np.split(order, cuts):
        m = miss[grp[0]]
        if not m.any():
            continue
        o = ~m
        if not o.any():
            out[np.ix_(grp, np.flatnonzero(m))] = mu[m]
            continue
        B = np.linalg.solve(C[np.ix_(o, o)], C[np.ix_(o, m)])
        xo = X[np.ix_(grp, np.flatnonzero(o))] - mu[o]
        out[np.ix_(grp, np.flatnonzero(m))] = mu[m] + xo @ B
    return out


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def big_worker(a):
    import shutil
    import tempfile
    _, mu, Cov = ppca_params()
    full = np.load(a.full).astype(np.float64)
    tmpdir = tempfile.mkdtemp(dir=CACHE)
    try:
        path = os.path.join(tmpdir, "t.db")
        shutil.copy(a.db, path)
        db = C.open_vae(a.so, path)
        X = np.array(db.execute("SELECT %s FROM t ORDER BY id" % ", ".join(
            "x%d" % j for j in range(BIG_P))).fetchall(), dtype=np.float64)
        X[np.isnan(X)] = np.nan
        base = C.current_rss_mib()
        c0, t0 = cpu_seconds(), time.perf_counter()
        opts = json.loads(a.options) if a.options else None
        if opts is None:
            rep = json.loads(db.execute("SELECT vae_fit('m', 't')").fetchone()[0])
        else:
            rep = json.loads(db.execute("SELECT vae_fit('m', 't', ?)",
                                        (json.dumps(opts),)).fetchone()[0])
        fit_wall, fit_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        fit_rss = C.peak_rss_mib()
        c0, t0 = cpu_seconds(), time.perf_counter()
        filled = db.execute("SELECT vae_fill('m', 't')").fetchone()[0]
        db.commit()
        fill_wall, fill_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        Y = np.array(db.execute("SELECT %s FROM t ORDER BY id" % ", ".join(
            "x%d" % j for j in range(BIG_P))).fetchall(), dtype=np.float64)
        db.close()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    miss = np.isnan(X)
    best = ppca_optimum(X, Cov, mu)
    sd = np.sqrt(np.diag(Cov))

    def nrmse(Z):
        per = [np.sqrt(np.mean((Z[miss[:, j], j] - full[miss[:, j], j]) ** 2))
               / sd[j] for j in range(BIG_P)]
        return float(np.mean(per))
    return {"rows": int(rep["rows"]), "rows_source": int(rep["rows_source"]),
            "epochs": rep["epochs"], "fit_wall": fit_wall, "fit_cpu": fit_cpu,
            "fit_seconds_report": rep["seconds"],
            "rows_per_second": rep["rows_per_second"],
            "peak_bytes": rep.get("peak_bytes"),
            "fill_wall": fill_wall, "fill_cpu": fill_cpu, "filled": filled,
            "hidden": int(miss.sum()), "nrmse_vae": nrmse(Y),
            "nrmse_opt": nrmse(best), "nrmse_mean": nrmse(
                np.where(miss, np.nanmean(X, axis=0), X)),
            "rss_base": base, "rss_fit_peak": fit_rss,
            "rss_peak": C.peak_rss_mib()}


def big(a):
    rep = C.Report("big")
    rows = []
    for n in a.big_sizes:
        path, full = ppca_database(n)
        l0 = os.getloadavg()[0]
        r = C.run_worker("scale.py", ["--big-worker", "--db", path, "--full",
                                      full, "--so", a.so,
                                      "--options", a.options], threads=1,
                         timeout=4 * 3600)
        r["load"] = max(l0, os.getloadavg()[0])
        ratio = r["nrmse_vae"] / r["nrmse_opt"]
        print("  %8d rows: fit %.1f s wall, %.1f s CPU (%d rounds); fill %.1f s "
              "wall, %.1f s CPU (%d cells); nRMSE %.4f, optimum %.4f (x%.3f), "
              "mean %.4f; peak %s bytes; load %.1f"
              % (n, r["fit_wall"], r["fit_cpu"], r["epochs"], r["fill_wall"],
                 r["fill_cpu"], r["filled"], r["nrmse_vae"], r["nrmse_opt"],
                 ratio, r["nrmse_mean"], r["peak_bytes"], r["load"]),
              file=sys.stderr, flush=True)
        rows.append([n, r["rows"], r["epochs"], r["fit_wall"], r["fit_cpu"],
                     r["fill_wall"], r["fill_cpu"], r["nrmse_vae"],
                     r["nrmse_opt"], ratio, r["nrmse_mean"],
                     (r["peak_bytes"] or 0) / 2 ** 20, r["rss_peak"],
                     r["load"]])
    rep.table("Big tables: default vae_fit and vae_fill of PPCA data (16 "
              "columns, 4 latent, noise sd 0.5, 20% MCAR)",
              ["rows", "rows fitted", "rounds", "fit s wall", "fit s CPU",
               "fill s wall", "fill s CPU", "nRMSE vae", "nRMSE optimum",
               "vae / optimum", "nRMSE mean", "peak MiB (report)",
               "process peak RSS MiB", "load"], rows,
              ["nRMSE: RMSE over the hidden cells per column over the "
               "column's sd, averaged; the optimum is the conditional "
               "Gaussian mean under the true parameters",
               "CPU: user + system seconds of the whole process (every "
               "thread); default options (threads = the cores)"])
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--big-worker", action="store_true",
                   help=argparse.SUPPRESS)
    p.add_argument("--full", help=argparse.SUPPRESS)
    p.add_argument("--big", default="",
                   help="rows of PPCA tables for a default fit and fill "
                        "against the optimum (e.g. 1000000); only that")
    p.add_argument("--options", default="",
                   help="with --big: vae_fit options as JSON (default none)")
    p.add_argument("--db")
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--max-rows", type=int, default=100000)
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--skip-full", default="",
                   help="sizes fitted only through the max_rows reservoir")
    p.add_argument("--threads", default="0",
                   help="threads option values, 0 = the default")
    p.add_argument("--busy", action="store_true")
    p.add_argument("--levels", default="")
    p.add_argument("--cols", default="")
    p.add_argument("--ncols", type=int, default=16, help=argparse.SUPPRESS)
    p.add_argument("--fit-threads", type=int, default=0,
                   help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.sizes = [int(x) for x in str(a.sizes).split(",") if x]
    a.big_sizes = [int(x) for x in str(a.big).split(",") if x]
    a.threads = [int(x) for x in str(a.threads).split(",") if x]
    if not a.worker:
        a.level_list = [int(x) for x in str(a.levels).split(",") if x]
        a.col_list = [int(x) for x in str(a.cols).split(",") if x]
    else:
        a.levels = int(a.levels or 0)
    a.skip_full = set(int(x) for x in str(a.skip_full).split(",") if x)
    if a.quick:
        # 10^6 rows only through the max_rows budget: the read and the
        # reservoir are exercised, the full-size epochs are not.
        a.epochs = 1
        a.skip_full = {10 ** 6}
    a.so = os.path.abspath(a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.big_worker:
        print(json.dumps(big_worker(a)))
        return 0
    if a.worker:
        print(json.dumps(worker(a)))
        return 0
    if a.big_sizes:
        rep = big(a)
        if not a.no_save:
            rep.save(preface="### Big tables\n\n%s." % C.machine_line())
        return 0
    print("== scale: %s rows, %d epoch(s)" % (a.sizes, a.epochs),
          file=sys.stderr, flush=True)
    runs = run(a)
    rep = report(a, runs)
    if not a.no_save:
        rep.save(preface="### Scale\n\n%s." % C.machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
