#!/usr/bin/python3
"""Combination rules replayed on bench/cat_diag.py's per-cell records
(build/diag/cells_*.jsonl): error counts per table, pattern and seed.
A diagnostic: which rule would have done better on the bench's own cells."""
import glob
import json
import os
import sys
from collections import defaultdict

import numpy as np

DIAG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "diag")


def load(path):
    return [json.loads(x) for x in open(path)]


def rules(rec):
    net = np.array(rec["net"])
    lin = np.array(rec.get("lin", rec["net"]))
    knn = np.array(rec.get("knn", rec["net"]))
    w, k = rec["net_share"], rec["knn_share"]
    out = {}
    out["final"] = rec["final"]
    out["mf"] = rec["mf"]
    out["mode"] = rec["mode"]
    out["net"] = int(np.argmax(net))
    out["lin"] = int(np.argmax(lin))
    out["knn"] = int(np.argmax(knn))
    out["avg3"] = int(np.argmax(net + lin + knn))
    out["avg_nl"] = int(np.argmax(net + lin))
    out["geo3"] = int(np.argmax(np.log(net + 1e-4) + np.log(lin + 1e-4) + np.log(knn + 1e-4)))
    b = w * net + (1 - w) * lin
    out["blend_k.5"] = int(np.argmax(0.5 * b + 0.5 * knn))
    return out


def main():
    files = sorted(glob.glob(os.path.join(DIAG, "cells_*.jsonl")))
    names = None
    rows = []
    for f in files:
        tag = os.path.basename(f)[6:-6]
        recs = load(f)
        if not recs:
            continue
        err = defaultdict(int)
        for rec in recs:
            for k, v in rules(rec).items():
                err[k] += v != rec["truth"]
        names = names or list(err)
        rows.append((tag, len(recs), err))
    print("%-24s %5s " % ("table_pattern_seed", "cells") + " ".join("%9s" % n for n in names))
    for tag, n, err in rows:
        print("%-24s %5d " % (tag, n) + " ".join("%9d" % err[k] for k in names))


if __name__ == "__main__":
    main()
