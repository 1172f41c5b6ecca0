#!/usr/bin/python3
"""Categorical imputation, expert by expert: on the cells the benchmark
hides (bench/impute.py's masks, mask seed 0, tables cut to 500 rows as
--quick does), the error rate of each of the vae's experts alone (the
network, the linear part, the nearest neighbours' vote, the forest read on
the row as it is, the mode), of the
model's blend (what vae_impute returns), and of missForest and sklearn's
kNN, per categorical column, with the shares the fit chose.

    /usr/bin/python3 bench/cat_diag.py --so ./vae.so --datasets biopsy,hpc \
        --patterns MCAR,MAR --train-seeds 0,1

Needs build/cat_diag (made by this script from bench/cat_diag.c and
build/libvaecore.a). missForest's fills are kept in build/diag/ so a second
run does not repeat them. Each cell's probabilities go to
build/diag/cells_<table>_<pattern>_<seed>.jsonl for further analysis.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import common as C
import impute as I

DIAG = os.path.join(C.REPO_ROOT, "build", "diag")
TOOL = os.path.join(C.REPO_ROOT, "build", "cat_diag")


def build_tool():
    src = os.path.join(C.BENCH_DIR, "cat_diag.c")
    lib = os.path.join(C.REPO_ROOT, "build", "libvaecore.a")
    if os.path.exists(TOOL) and os.path.getmtime(TOOL) > max(
            os.path.getmtime(src), os.path.getmtime(lib)):
        return
    blas = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a"
    subprocess.check_call(
        ["cc", "-O2", "-std=c99", "-D_POSIX_C_SOURCE=200809L",
         "-I/usr/include/x86_64-linux-gnu/openblas-pthread",
         "-I" + os.path.join(C.REPO_ROOT, "core"), src, lib,
         blas if os.path.exists(blas) else "-lopenblas", "-lm", "-lpthread",
         "-o", TOOL])


def missforest_fill(t, Xm, name, pat):
    path = os.path.join(DIAG, "mf_%s_%s.npy" % (name, pat))
    if os.path.exists(path):
        return np.load(path)
    with tempfile.TemporaryDirectory() as tmp:
        res = I.run_r("missforest.R", [("k", t, Xm, 0)], tmp)
    out = res["k"][0]
    out = np.where(np.isnan(out), I.impute_mean(t, Xm), out)
    np.save(path, out)
    return out


def tool_records(t, Xm, so, seed, what):
    """Fits a model on t with Xm's holes (the bench's options), runs the
    tool's `what` (cells or nums) on Xm and returns the model's columns
    (the tool's cols), the table's index of each (tj) and the records, whose
    j is still the model's column."""
    db = C.open_vae(so)
    C.create_table(db, "t", t, Xm)
    opts = {"seed": seed}
    opts.update(C.vae_types(t))
    C.vae_fit(db, "m", "t", opts)
    blob = db.execute("SELECT model FROM vae_models WHERE name = 'm'").fetchone()[0]
    db.close()
    with tempfile.TemporaryDirectory() as tmp:
        mp = os.path.join(tmp, "m.vaem")
        with open(mp, "wb") as f:
            f.write(blob)
        cols = [json.loads(x) for x in subprocess.check_output(
            [TOOL, "cols", mp], text=True).splitlines()]
        tj = [t.cols.index(c["name"]) for c in cols]
        X = np.full((len(Xm), len(cols)), np.nan, dtype=np.float32)
        for k, c in enumerate(cols):
            v = Xm[:, tj[k]]
            if c["kind"] == "categorical":
                lv = t.levels[tj[k]]
                X[:, k] = [np.nan if np.isnan(a) else c["levels"].index(lv[int(a)])
                           for a in v]
            else:
                X[:, k] = v
        xp = os.path.join(tmp, "x.f32")
        X.tofile(xp)
        recs = [json.loads(x) for x in subprocess.check_output(
            [TOOL, what, mp, xp, str(len(X))], text=True).splitlines()]
    return cols, tj, recs


def vae_cells(t, Xm, so, seed, name, pat):
    """The tool's records of every missing categorical cell, keyed (r, j)
    with j the table's column, and the model's columns."""
    cols, tj, recs = tool_records(t, Xm, so, seed, "cells")
    # back to the table's level coding
    out = {}
    for rec in recs:
        k = rec["j"]
        j = tj[k]
        ml = cols[k]["levels"]
        perm = [ml.index(s) if s in ml else -1 for s in t.levels[j]] \
            if cols[k]["kind"] == "categorical" else [0, 1]
        for key in ("net", "lin", "knn", "forest"):
            if key in rec:
                rec[key] = [rec[key][i] if i >= 0 else 0.0 for i in perm]
        rec["final"] = t.levels[j].index(cols[k]["levels"][rec["final"]]) \
            if cols[k]["kind"] == "categorical" else rec["final"]
        rec["j"] = j
        rec["net_share"] = cols[k]["net_share"]
        rec["knn_share"] = cols[k]["knn_share"]
        rec["forest_share"] = cols[k]["forest_share"]
        out[rec["r"], j] = rec
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--so", default=C.DEFAULT_SO)
    ap.add_argument("--datasets", default="sacramento,cars93,hpc,psid1976,"
                    "chicago,smokeban,biopsy")
    ap.add_argument("--patterns", default="MCAR,MAR")
    ap.add_argument("--train-seeds", default="0,1")
    ap.add_argument("--no-peers", action="store_true")
    a = ap.parse_args()
    os.makedirs(DIAG, exist_ok=True)
    build_tool()
    seeds = [int(s) for s in a.train_seeds.split(",")]
    print("table pattern seed column levels cells | mode net lin knn forest blend "
          "| missForest kNN(skl) | net_share knn_share forest_share")
    for name in a.datasets.split(","):
        t = C.load_any(name, 500)
        for pat in a.patterns.split(","):
            mask, Xm = C.hide(t, pat, 0)
            cat = [j for j in t.cat_idx if mask[:, j].any()]
            if not cat:
                continue
            mode = I.impute_mean(t, Xm)
            peers = {}
            if not a.no_peers:
                peers["mf"] = missforest_fill(t, Xm, name, pat)
                peers["sk"] = I.impute_knn(t, Xm, 0)
            for seed in seeds:
                cells = vae_cells(t, Xm, a.so, seed, name, pat)
                with open(os.path.join(DIAG, "cells_%s_%s_%d.jsonl"
                                       % (name, pat, seed)), "w") as f:
                    for (r, j), rec in sorted(cells.items()):
                        if mask[r, j]:
                            rec = dict(rec, truth=int(t.X[r, j]),
                                       mode=int(mode[r, j]),
                                       mf=int(peers["mf"][r, j]) if "mf" in peers else None,
                                       kn=int(peers["sk"][r, j]) if "sk" in peers else None)
                            f.write(json.dumps(rec) + "\n")
                tot = {}
                for j in cat:
                    rows = np.flatnonzero(mask[:, j])
                    y = t.X[rows, j].astype(int)
                    e = {}
                    e["mode"] = np.mean(mode[rows, j] != y)
                    for key in ("net", "lin", "knn", "forest"):
                        g = [cells[r, j].get(key) for r in rows]
                        e[key] = (np.mean([np.argmax(p) != yy for p, yy in zip(g, y)])
                                  if all(p is not None for p in g) else float("nan"))
                    e["blend"] = np.mean([cells[r, j]["final"] != yy for r, yy in zip(rows, y)])
                    for k, X in peers.items():
                        e[k] = np.mean(X[rows, j] != y)
                    for k, v in e.items():
                        tot.setdefault(k, []).append(v * len(rows))
                    rec = cells[rows[0], j]
                    print("%-12s %-4s %d %-14s %2d %4d | %s | %s | %.2f %.2f %.2f" % (
                        name, pat, seed, t.cols[j][:14], len(t.levels[j]), len(rows),
                        " ".join("%.3f" % e[k] for k in ("mode", "net", "lin", "knn", "forest", "blend")),
                        " ".join("%.3f" % e.get(k, float("nan")) for k in ("mf", "sk")),
                        rec["net_share"], rec["knn_share"], rec["forest_share"]))
                ncell = sum(mask[:, j].sum() for j in cat)
                print("%-12s %-4s %d %-14s    %4d | %s | %s |" % (
                    name, pat, seed, "ALL", ncell,
                    " ".join("%.3f" % (sum(tot[k]) / ncell) for k in ("mode", "net", "lin", "knn", "forest", "blend")),
                    " ".join("%.3f" % (sum(tot[k]) / ncell) if k in tot else "  -  "
                             for k in ("mf", "sk"))))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
