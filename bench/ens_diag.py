#!/usr/bin/python3
"""Would an ensemble of networks help numeric imputation? On the quick
bench's masks (mask seed 0, tables cut to 500 rows, as bench/impute.py
--quick hides them), the vae is fitted once per training seed and the
seeds' imputed numeric cells are averaged; each single seed and each
group's average is scored as vae / best peer (NRMSE, the peers' figures
from bench/impute.py's job cache), with the geometric mean and the worst
table per pattern. An upper-bound proxy for an ensemble inside one fit.

    BENCH_IMPUTE_CACHE=cache.jsonl /usr/bin/python3 bench/ens_diag.py \\
        --so ./vae.so --train-seeds 0,1,2,3 --groups 0+1,2+3,0+1+2+3

Fills are kept per seed in --fills (a directory of .npy files, named
by --tag for the build and options), so that several processes can fit
different seeds and one reports (--report-only).

The README's figures for the networks alone came from a temporary build,
not kept (core reads no environment): vae_model_create initialized the
weights from a seed read from an environment variable, and fit_model
(core/train.c) reseeded its training stream from it after the held-out
rows were drawn; the fits then all took training seed 0.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402
import impute as I  # noqa: E402

PEERS = ("mean", "knn", "mice_skl", "missforest")


def fill_for(a, t, name, pat, Xm, seed):
    path = os.path.join(a.fills, "%s_%s_%d_%s.npy" % (name, pat, seed,
                                                       a.tag))
    if os.path.exists(path):
        return np.load(path)
    if a.report_only:
        return None
    out = I.impute_vae(t, Xm, seed, a.so, a.options)
    np.save(path, out)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--datasets", default="all")
    p.add_argument("--patterns", default="MCAR,MAR")
    p.add_argument("--train-seeds", default="0,1")
    p.add_argument("--groups", default="0+1")
    p.add_argument("--options", default="{}")
    p.add_argument("--fills", default=os.path.join(C.REPO_ROOT, "build",
                                                   "ens_fills"))
    p.add_argument("--tag", default="main",
                   help="names this build's fills in --fills")
    p.add_argument("--report-only", action="store_true")
    a = p.parse_args()
    a.options = json.loads(a.options)
    os.makedirs(a.fills, exist_ok=True)
    seeds = [int(s) for s in a.train_seeds.split(",")]
    groups = [[int(s) for s in g.split("+")] for g in a.groups.split(",")]
    cache = I.load_cache()
    ratios = {}    # (pattern, label) -> [(ratio, table)]
    for name in C.expand_datasets(a.datasets):
        t = C.load_any(name, 500)
        for pat in a.patterns.split(","):
            mask, Xm = C.hide(t, pat, 0)
            peers = {m: cache.get("%s|500|%s|0|%s" % (name, pat, m),
                                  [None])[0] for m in PEERS}
            fills = {s: fill_for(a, t, name, pat, Xm, s) for s in seeds}
            runs = {"s%d" % s: fills[s] for s in seeds}
            for g in groups:
                if all(fills.get(s) is not None for s in g):
                    avg = np.mean([fills[s] for s in g], axis=0)
                    runs["+".join(map(str, g))] = avg
            line = "  %-14s %-4s" % (name, pat)
            for label, out in runs.items():
                if out is None:
                    continue
                r, _ = C.best_ratio(C.impute_errors(t, out, mask)[0], peers)
                if r is None:
                    continue
                ratios.setdefault((pat, label), []).append((r, name))
                line += "  %s %.3f" % (label, r)
            print(line, flush=True)
    print("\nvae / best peer, numeric NRMSE (geometric mean, worst)")
    for (pat, label), rs in sorted(ratios.items()):
        w = max(rs)
        print("  %-4s %-10s tables %2d  geomean %.4f  worst %.3f (%s)"
              % (pat, label, len(rs), I.geomean([r for r, _ in rs]), w[0],
                 w[1]))


if __name__ == "__main__":
    main()
