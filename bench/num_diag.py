#!/usr/bin/python3
"""Numeric imputation per column: on the cells bench/impute.py's masks hide
(mask seed 0, or --mask-seeds; tables cut to 500 rows as --quick does,
or --max-rows), each numeric column's NRMSE (RMSE / the column's sd) of
the vae (vae_impute), of missForest and of sklearn's kNN and MICE, with
the count of hidden cells: which column a table's loss comes from.

    /usr/bin/python3 bench/num_diag.py --so ./vae.so --datasets aids2 \\
        --patterns MAR --train-seeds 0,1

With --experts, each fit's stored model is read expert by expert
(bench/cat_diag.c's nums: the network, the linear part, the neighbours
the fit kept, the forest, each alone, and the model without the pull to
the linear part), per column and for the table as bench/impute.py scores
it (ALL), with the shares the fit chose; "best" is the hindsight choice of
one of final, net and lin per column, a ceiling on what choosing the
shares better could give.
"""

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cat_diag as D  # noqa: E402
import common as C  # noqa: E402
import impute as I  # noqa: E402

EXPERTS = ("final", "nopull", "net", "lin", "knn", "forest")


def missforest_fill(t, Xm):
    with tempfile.TemporaryDirectory() as tmp:
        res = I.run_r("missforest.R", [("k", t, Xm, 0)], tmp)
    out = res["k"][0]
    return np.where(np.isnan(out), I.impute_mean(t, Xm), out)


def expert_fills(t, Xm, so, seed):
    """Per expert (EXPERTS), the table with its estimates in the missing
    numeric cells (NaN where the model has no such expert), the same for
    "r2" (the linear part's share of each cell's variance), and per
    table column the fit's shares (network/neighbours/forest, then the
    second member's) as text."""
    cols, tj, recs = D.tool_records(t, Xm, so, seed, "nums")
    fills = {e: np.array(Xm, dtype=float) for e in EXPERTS + ("r2",)}
    for rec in recs:
        j = tj[rec["j"]]
        fills["r2"][rec["r"], j] = rec.get("r2", np.nan)
        for e in EXPERTS:
            fills[e][rec["r"], j] = np.nan if rec[e] is None else rec[e]
    shares = {tj[k]: "%.2f/%.2f/%.2f" % (c["net_share"], c["knn_share"], c["forest_share"])
              + (" %.2f/%.2f/%.2f" % tuple(c["member"]) if "member" in c else "")
              for k, c in enumerate(cols)}
    return fills, shares


def sq_err(t, f, h, j):
    """Squared errors of fill f on column j's cells h, in sd units."""
    return ((f[h, j] - t.X[h, j]) / (np.nanstd(t.X[:, j]) or 1.0)) ** 2


def print_experts(t, mask, a, Xm, peers):
    num = [j for j in t.num_idx if (mask[:, j] & ~np.isnan(t.X[:, j])).any()]
    if not num:
        print("  no numeric cell hidden: nothing to compare")
        return
    for s in a.train_seeds.split(","):
        fills, shares = expert_fills(t, Xm, a.so, int(s))
        # hindsight: per column the best of final, net, lin
        best = np.array(fills["final"])
        for j in num:
            h = mask[:, j] & ~np.isnan(t.X[:, j])
            k = min(("final", "net", "lin"),
                    key=lambda e: np.mean(sq_err(t, fills[e], h, j))
                    if not np.isnan(fills[e][h, j]).any() else np.inf)
            best[:, j] = fills[k][:, j]
        cand = dict({e: fills[e] for e in EXPERTS}, best=best, **peers)
        print("  seed %s: NRMSE per expert (shares net/knn/forest, both members)" % s)
        print("  %-16s %5s " % ("column", "cells")
              + " ".join("%8s" % k[:8] for k in cand) + "   shares")
        sq = {k: [] for k in cand}
        for j in num:
            h = mask[:, j] & ~np.isnan(t.X[:, j])
            for k, f in cand.items():
                sq[k].append(sq_err(t, f, h, j))
            print("  %-16s %5d " % (t.cols[j][:16], h.sum())
                  + " ".join("%8.3f" % np.sqrt(np.mean(sq[k][-1])) for k in cand)
                  + "   " + shares[j])
        print("  %-16s %5d " % ("ALL", sum(len(x) for x in sq["final"]))
              + " ".join("%8.3f" % np.sqrt(np.mean(np.concatenate(sq[k])))
                         for k in cand))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--datasets", default="aids2")
    p.add_argument("--patterns", default="MCAR,MAR")
    p.add_argument("--train-seeds", default="0")
    p.add_argument("--mask-seeds", default="0",
                   help="bench/impute.py's mask seeds, e.g. 0,1,2")
    p.add_argument("--max-rows", type=int, default=500,
                   help="tables above this many rows keep a seeded random "
                        "subset (500: --quick's cut; 5000: the full bench's)")
    p.add_argument("--experts", action="store_true",
                   help="each expert of the stored model alone, instead of "
                        "the vae's fills alone")
    a = p.parse_args()
    if a.experts:
        D.build_tool()
    for name in a.datasets.split(","):
        t = C.load_any(name, a.max_rows)
        for pat, ms in [(pt, int(m)) for pt in a.patterns.split(",")
                        for m in a.mask_seeds.split(",")]:
            mask, Xm = C.hide(t, pat, ms)
            fills = {"missForest": missforest_fill(t, Xm),
                     "kNN": I.impute_knn(t, Xm, ms),
                     "MICE": I.impute_mice_skl(t, Xm, ms)}
            if a.experts:  # "final" is what vae_impute gives
                print("%s %s mask seed %d: the vae's experts" % (name, pat, ms))
                print_experts(t, mask, a, Xm, fills)
                continue
            for s in a.train_seeds.split(","):
                db = C.open_vae(a.so)
                try:
                    fills["vae s%s" % s] = I.fit_impute_vae(db, t, Xm, int(s), {})
                finally:
                    db.close()
            print("%s %s mask seed %d: NRMSE per numeric column (hidden cells)"
                  % (name, pat, ms))
            print("  %-16s %5s " % ("column", "cells")
                  + " ".join("%10s" % k for k in fills))
            for j in t.num_idx:
                h = mask[:, j] & ~np.isnan(t.X[:, j])
                if not h.any():
                    continue
                sd = np.nanstd(t.X[:, j])
                row = ["%10.3f" % (np.sqrt(np.mean((f[h, j] - t.X[h, j]) ** 2)) / sd)
                       for f in fills.values()]
                print("  %-16s %5d " % (t.cols[j], h.sum()) + " ".join(row))


if __name__ == "__main__":
    main()
