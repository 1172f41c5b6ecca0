#!/usr/bin/python3
"""Wide categoricals: what a column of hundreds or thousands of levels
costs a fit, and whether its imputations beat the mode.

For each level count L: the generated table of bench/scale.py (12 numeric
and 4 categorical columns driven by 4 latent factors, 5% of cells NULL)
with one more TEXT column `wide` of L levels that follows the first
numeric column with noise (scale.wide_column). 20% of `wide`'s cells are
hidden at random; their true levels are kept aside. Then, in one process
each, on one thread:

- a default vae_fit of the table without `wide`, and one with it (CPU
  seconds of the whole process for both: the ratio is issue 16's "a
  300-level column costs at most 2x");
- vae_impute of every hidden `wide` cell, against the mode of the observed
  cells (the error rate over the hidden cells for both).

Usage: /usr/bin/python3 bench/wide.py [--levels 300,5000] [--rows 5000]
           [--seed 1] [--so ./vae.so] [--quick] [--no-save]
"""

import argparse
import json
import os
import resource
import sys
from collections import Counter

import numpy as np

import common as C
import scale


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def table(a, levels):
    """(rows as SQL values, column names, hidden row indexes, their truth)."""
    t = C.synthetic_table(a.rows, seed=a.seed)
    wide = scale.wide_column(t, levels, a.seed + 7)
    rng = np.random.default_rng(a.seed + 11)
    hidden = np.flatnonzero(rng.random(a.rows) < 0.2)
    truth = [wide[i] for i in hidden]
    for i in hidden:
        wide[i] = None
    rows = [r + [w] for r, w in zip(t.rows_sql(), wide)]
    return rows, t.cols + ["wide"], hidden, truth, C.vae_types(t)["types"]


def worker(a):
    """One fit (with or without `wide`) and, with it, the imputations."""
    rows, cols, hidden, truth, types = table(a, a.levels)
    db = C.open_vae(a.so)
    db.execute("CREATE TABLE t (%s)" % ", ".join(
        "%s %s" % (C.qident(c), "TEXT" if c in types or c == "wide" else "REAL")
        for c in cols))
    db.executemany("INSERT INTO t VALUES (%s)" % ", ".join("?" * len(cols)), rows)
    opts = {"seed": a.seed, "threads": 1, "types": dict(types)}
    if a.with_wide:
        opts["types"]["wide"] = "categorical"
        source = "t"
    else:
        source = "SELECT %s FROM t" % ", ".join(C.qident(c) for c in cols[:-1])
    c0 = cpu_seconds()
    rep, wall = C.vae_fit(db, "m", source, opts)
    out = {"cpu": cpu_seconds() - c0, "wall": wall, "epochs": rep["epochs"]}
    if a.with_wide:
        args = ", ".join(C.qident(c) for c in cols)
        got = [r[0] for r in db.execute(
            "SELECT vae_impute('m', 'wide', %s) FROM t WHERE wide IS NULL "
            "ORDER BY rowid" % args)]
        observed = [r[-1] for r in rows if r[-1] is not None]
        mode = Counter(observed).most_common(1)[0][0]
        out["err_vae"] = float(np.mean([g != w for g, w in zip(got, truth)]))
        out["err_mode"] = float(np.mean([mode != w for w in truth]))
        out["hidden"] = len(truth)
    db.close()
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--levels", default="300,5000")
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--so", default=C.DEFAULT_SO)
    ap.add_argument("--quick", action="store_true",
                    help="300 levels on 2,000 rows")
    ap.add_argument("--no-save", action="store_true",
                    help="do not write bench/results.md")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--with-wide", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.so = os.path.abspath(a.so)
    if a.quick:
        a.levels, a.rows = "300", 2000
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.worker:
        a.levels = int(a.levels)
        print(json.dumps(worker(a)))
        return 0
    print("== wide: levels %s, %d rows" % (a.levels, a.rows), file=sys.stderr,
          flush=True)
    rows = []
    for levels in [int(x) for x in a.levels.split(",")]:
        base = ["--levels", levels, "--rows", a.rows, "--seed", a.seed,
                "--so", a.so]
        r0 = C.run_worker("wide.py", base + ["--with-wide", 0], threads=1)
        r1 = C.run_worker("wide.py", base + ["--with-wide", 1], threads=1)
        rows.append([levels, r0["cpu"], r1["cpu"], r1["cpu"] / r0["cpu"],
                     r1["hidden"], r1["err_vae"], r1["err_mode"],
                     os.getloadavg()[0]])
    rep = C.Report("wide")
    rep.table("Wide categoricals (%d rows, default vae_fit, one thread)" % a.rows,
              ["levels", "fit CPU s without", "fit CPU s with", "ratio",
               "hidden cells", "error rate vae", "error rate mode", "load"],
              rows,
              ["CPU: user + system seconds of the fitting process",
               "error rate over the hidden cells of `wide` (20% of them); "
               "its level follows the first numeric column with noise of "
               "levels/20 levels, so even the true model errs often"])
    if not a.no_save:
        rep.save(preface="### Wide categoricals\n\n%s.\n\nCommand: "
                 "`bench/wide.py --levels %s --rows %d`."
                 % (C.machine_line(), a.levels, a.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
