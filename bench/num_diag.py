#!/usr/bin/python3
"""Numeric imputation per column: on the cells bench/impute.py's masks hide
(mask seed 0, tables cut to 500 rows as --quick does), each numeric
column's NRMSE (RMSE / the column's sd) of the vae (vae_impute), of
missForest and of sklearn's kNN and MICE, with the count of hidden cells:
which column a table's loss comes from.

    /usr/bin/python3 bench/num_diag.py --so ./vae.so --datasets aids2 \\
        --patterns MAR --train-seeds 0,1
"""

import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import impute as I  # noqa: E402


def missforest_fill(t, Xm):
    with tempfile.TemporaryDirectory() as tmp:
        res = I.run_r("missforest.R", [("k", t, Xm, 0)], tmp)
    out = res["k"][0]
    return np.where(np.isnan(out), I.impute_mean(t, Xm), out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--datasets", default="aids2")
    p.add_argument("--patterns", default="MCAR,MAR")
    p.add_argument("--train-seeds", default="0")
    a = p.parse_args()
    for name in a.datasets.split(","):
        t = C.load_any(name, 500)
        for pat in a.patterns.split(","):
            mask, Xm = C.hide(t, pat, 0)
            fills = {"missForest": missforest_fill(t, Xm),
                     "kNN": I.impute_knn(t, Xm, 0),
                     "MICE": I.impute_mice_skl(t, Xm, 0)}
            for s in a.train_seeds.split(","):
                db = C.open_vae(a.so)
                try:
                    fills["vae s%s" % s] = I.fit_impute_vae(db, t, Xm, int(s), {})
                finally:
                    db.close()
            print("%s %s: NRMSE per numeric column (hidden cells)" % (name, pat))
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
