#!/usr/bin/python3
"""Prototype discriminative experts for categorical cells, in Python, on the
bench's masks (mask seed 0, 500 rows): trained on the rows where the column
is observed, scored on its hidden cells. For choosing what to build in C."""
import argparse
import json
import os
import warnings

import numpy as np

import common as C
import impute as I

warnings.filterwarnings("ignore")
DIAG = os.path.join(C.REPO_ROOT, "build", "diag")


def features(t, Xm, j, bins=8, kind="bins"):
    """Design matrix of every row from the columns other than j."""
    cols = []
    n = len(Xm)
    for k in range(Xm.shape[1]):
        if k == j:
            continue
        x = Xm[:, k]
        miss = np.isnan(x)
        if t.kinds[k] == "cat":
            L = len(t.levels[k])
            oh = np.zeros((n, L))
            oh[~miss, x[~miss].astype(int)] = 1
            cols.append(oh)
        else:
            obs = x[~miss]
            mu, sd = obs.mean(), obs.std() or 1.0
            z = np.where(miss, 0.0, (x - mu) / sd)
            cols.append(z[:, None])
            if kind == "bins":
                qs = np.unique(np.quantile(obs, np.linspace(0, 1, bins + 1)[1:-1]))
                b = np.searchsorted(qs, x, side="right")
                oh = np.zeros((n, len(qs) + 1))
                oh[~miss, b[~miss]] = 1
                cols.append(oh)
        cols.append(miss[:, None].astype(float))
    return np.hstack(cols)


def expert(t, Xm, j, how, seed=0):
    from sklearn.linear_model import LogisticRegression
    from sklearn.ensemble import RandomForestClassifier
    y = Xm[:, j]
    tr = ~np.isnan(y)
    if how == "rf":
        F = features(t, Xm, j, kind="plain")
        clf = RandomForestClassifier(100, random_state=seed, min_samples_leaf=1,
                                     max_features="sqrt")
    else:
        F = features(t, Xm, j, kind="bins" if how.startswith("gam") else "plain")
        Cs = {"gam": 1.0, "gam.3": 0.3, "gam3": 3.0, "lr": 1.0}[how]
        clf = LogisticRegression(C=Cs, max_iter=500)
    if len(np.unique(y[tr])) < 2:
        return np.full(len(y), y[tr][0])
    clf.fit(F[tr], y[tr].astype(int))
    return clf.predict(F).astype(float)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default="sacramento,cars93,hpc,psid1976,"
                    "chicago,smokeban,biopsy")
    ap.add_argument("--patterns", default="MCAR,MAR")
    ap.add_argument("--experts", default="lr,gam,gam.3,gam3,rf")
    a = ap.parse_args()
    hows = a.experts.split(",")
    print("%-12s %-4s %-14s %3s %4s | mode %s | mf" % ("table", "pat", "column", "L", "n",
                                                     " ".join("%6s" % h for h in hows)))
    for name in a.datasets.split(","):
        t = C.load_any(name, 500)
        for pat in a.patterns.split(","):
            mask = C.MASKS[pat](t, 0)
            Xm = t.X.copy()
            Xm[mask] = np.nan
            cat = [j for j in t.cat_idx if mask[:, j].any()]
            if not cat:
                continue
            mode = I.impute_mean(t, Xm)
            mfp = os.path.join(DIAG, "mf_%s_%s.npy" % (name, pat))
            mf = np.load(mfp) if os.path.exists(mfp) else None
            tot = np.zeros(len(hows) + 2)
            ncell = 0
            for j in cat:
                rows = mask[:, j]
                y = t.X[rows, j]
                errs = [np.mean(expert(t, Xm, j, h)[rows] != y) for h in hows]
                em = np.mean(mode[rows, j] != y)
                ef = np.mean(mf[rows, j] != y) if mf is not None else np.nan
                print("%-12s %-4s %-14s %3d %4d | %.3f %s | %.3f" % (
                    name, pat, t.cols[j][:14], len(t.levels[j]), rows.sum(), em,
                    " ".join("%6.3f" % e for e in errs), ef))
                tot += np.array([em] + errs + [ef]) * rows.sum()
                ncell += rows.sum()
            tot /= ncell
            print("%-12s %-4s %-14s %3s %4d | %.3f %s | %.3f" % (
                name, pat, "ALL", "", ncell, tot[0],
                " ".join("%6.3f" % e for e in tot[1:-1]), tot[-1]))


if __name__ == "__main__":
    main()
