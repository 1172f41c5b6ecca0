#!/usr/bin/python3
"""Scale benchmark: vae_fit on generated tables of 10^4, 10^5 and 10^6 rows
x 16 columns (12 numeric, 4 categorical TEXT, 5% of cells NULL; see
common.synthetic_table), each in an on-disk database.

For each size, a fresh process runs vae_fit with fixed epochs and no
holdout, on one thread (OPENBLAS_NUM_THREADS=1), and reports seconds per
epoch of the training loop (from the fit report), microseconds per row and
epoch (constant when time is linear in rows), the whole vae_fit call
(reading the table included), and the process's peak resident memory. The
largest table is also fitted with a `max_rows` reservoir sample (the memory
budget): its report gives rows (sampled) and rows_source (scanned).

Generated databases are kept in build/bench/ and reused.

Usage: /usr/bin/python3 bench/scale.py [--quick] [--sizes 10000,100000]
           [--epochs 2] [--max-rows 100000]
"""

import argparse
import os
import sqlite3
import sys
import time

import common as C

CACHE = os.path.join(C.REPO_ROOT, "build", "bench")
GEN_VERSION = 1


def database(n):
    """Path of a database holding table t with n generated rows."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, "scale_v%d_%d.db" % (GEN_VERSION, n))
    if os.path.exists(path):
        return path
    t0 = time.perf_counter()
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    t = C.synthetic_table(0)
    cols = ", ".join("%s %s" % (c, "TEXT" if k == "cat" else "REAL")
                     for c, k in zip(t.cols, t.kinds))
    db.execute("CREATE TABLE t (%s)" % cols)
    ins = "INSERT INTO t VALUES (%s)" % ", ".join("?" * len(t.cols))
    step = 100000
    for at in range(0, n, step):
        part = C.synthetic_table(min(step, n - at), seed=at + 1)
        db.executemany(ins, part.rows_sql())
    db.commit()
    db.close()
    os.replace(tmp, path)
    print("  generated %d rows in %.1fs" % (n, time.perf_counter() - t0),
          file=sys.stderr, flush=True)
    return path


def worker(a):
    t = C.synthetic_table(1)
    # The cached table is attached read-only; the model goes to memory.
    db = C.open_vae(a.so, "file::memory:", uri=True)
    db.execute("ATTACH ? AS src", ("file:%s?mode=ro" % a.db,))
    base = C.current_rss_mib()
    opts = {"epochs": a.epochs, "holdout": 0, "seed": 0}
    opts.update(C.vae_types(t))
    if a.max_rows:
        opts["max_rows"] = a.max_rows
    rep, wall = C.vae_fit(db, "m", "SELECT * FROM src.t", opts)
    return {"rows": rep["rows"], "rows_source": rep["rows_source"],
            "epochs": rep["epochs"], "seconds": rep["seconds"],
            "rows_per_second": rep["rows_per_second"], "wall": wall,
            "rss_base": base, "rss_peak": C.peak_rss_mib()}


def run(a):
    runs = []
    for n in a.sizes:
        path = database(n)
        budgets = [0]
        if n == max(a.sizes) and a.max_rows and a.max_rows < n:
            budgets.append(a.max_rows)
        for mr in budgets:
            if mr == 0 and n in a.skip_full:
                continue
            r = C.run_worker("scale.py", ["--db", path, "--epochs", a.epochs,
                                          "--max-rows", mr, "--so", a.so],
                             threads=1)
            r["n"], r["max_rows"] = n, mr
            runs.append(r)
            print("  %8d rows  max_rows %-7s %6.2f s/epoch  fit %6.1f s  "
                  "peak %6.0f MiB" % (n, mr or "-", r["seconds"] / r["epochs"],
                                      r["wall"], r["rss_peak"]),
                  file=sys.stderr, flush=True)
    return runs


def report(a, runs):
    rep = C.Report("scale")
    head = ["table rows", "max_rows", "rows fitted (report)",
            "rows scanned (report)", "s / epoch", "us / row-epoch",
            "vae_fit s (incl. read)", "peak MiB", "MiB above start",
            "bytes / row fitted"]
    rows = []
    for r in runs:
        spe = r["seconds"] / r["epochs"]
        above = r["rss_peak"] - r["rss_base"]
        rows.append([r["n"], r["max_rows"] or "-", r["rows"],
                     r["rows_source"], spe, 1e6 * spe / r["rows"], r["wall"],
                     r["rss_peak"], above, above * 1048576 / r["rows"]])
    full = [r for r in runs if not r["max_rows"]]
    notes = []
    if len(full) >= 2:
        lo, hi = full[0], full[-1]
        k = (hi["seconds"] / hi["epochs"]) / (lo["seconds"] / lo["epochs"])
        notes.append("time per epoch grew %.1fx for %.0fx the rows "
                     "(linear: equal); memory above start grew %.1fx"
                     % (k, hi["rows"] / lo["rows"],
                        (hi["rss_peak"] - hi["rss_base"])
                        / max(1e-9, lo["rss_peak"] - lo["rss_base"])))
    notes.append("%d epoch(s), holdout 0, one thread; 16 columns (12 "
                 "numeric, 4 categorical), 5%% NULL" % a.epochs)
    rep.table("Scale: vae_fit on generated tables (time linear in rows, "
              "memory bounded by max_rows)", head, rows, notes)
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--db")
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--max-rows", type=int, default=100000)
    p.add_argument("--no-save", action="store_true")
    a = p.parse_args(argv)
    a.sizes = [int(x) for x in str(a.sizes).split(",") if x]
    a.skip_full = set()
    if a.quick:
        # 10^6 rows only through the max_rows budget: the read and the
        # reservoir are exercised, the full-size epochs are not.
        a.epochs = 1
        a.skip_full = {10 ** 6}
    a.so = os.path.abspath(a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.worker:
        import json
        print(json.dumps(worker(a)))
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
