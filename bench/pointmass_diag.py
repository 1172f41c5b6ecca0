#!/usr/bin/python3
"""Point masses and the linear part: on the cells bench/impute.py's masks
hide (mask seed 0, tables cut to 500 rows as --quick does), the NRMSE of
each numeric column that has a point mass (one value holding at least
--share of its observed cells, at the column's minimum or maximum unless
--anywhere, e.g. aids2's death: the study's end date
for the patients alive at its end), imputed by chained linear regressions
(sklearn's IterativeImputer, BayesianRidge, a stand-in for core/linear.c's
multivariate normal) on the table as it is, and on the table with each
such column split in two: an indicator of the mass and the value off the
mass (missing on it); the split column's estimate is then
P(mass) * mass + (1 - P(mass)) * the value off it (within the
column's observed range, as the network's quantile map is), and the one of the two a fit would
choose per column on a tenth of the column's observed cells hidden at
random. It measures whether
the linear part would gain from modelling a point mass apart; the vae
itself is not run.

    /usr/bin/python3 bench/pointmass_diag.py --datasets aids2 --patterns MAR
"""

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

from sklearn.experimental import enable_iterative_imputer  # noqa: E402,F401
from sklearn.impute import IterativeImputer  # noqa: E402


def point_mass(v, share):
    """The value holding at least share of the observed cells, else None."""
    v = v[~np.isnan(v)]
    if not len(v):
        return None
    vals, counts = np.unique(v, return_counts=True)
    k = np.argmax(counts)
    return vals[k] if counts[k] >= share * len(v) else None


def encode(t, Xm, masses):
    """Encoded columns (numeric as they are, categorical one-hot without
    the first level) and, per original column j, its encoded indices."""
    cols, where = [], {}
    for j in range(len(t.cols)):
        v = Xm[:, j]
        if t.kinds[j] == "cat":
            lv = np.unique(t.X[~np.isnan(t.X[:, j]), j])
            where[j] = list(range(len(cols), len(cols) + len(lv) - 1))
            for level in lv[1:]:
                cols.append(np.where(np.isnan(v), np.nan, (v == level) * 1.0))
        elif j in masses:
            at = np.where(np.isnan(v), np.nan, (v == masses[j]) * 1.0)
            off = np.where(np.isnan(v) | (v == masses[j]), np.nan, v)
            where[j] = [len(cols), len(cols) + 1]
            cols += [at, off]
        else:
            where[j] = [len(cols)]
            cols.append(v)
    return np.column_stack(cols), where


def linear_fill(t, Xm, masses):
    E, where = encode(t, Xm, masses)
    mu, sd = np.nanmean(E, 0), np.nanstd(E, 0)
    sd[~(sd > 0)] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F = IterativeImputer(max_iter=20, random_state=0).fit_transform(
            (E - mu) / sd)
    F = F * sd + mu
    out = Xm.copy()
    for j in t.num_idx:
        if j in masses:
            p = np.clip(F[:, where[j][0]], 0, 1)
            v = Xm[~np.isnan(Xm[:, j]), j]
            off = np.clip(F[:, where[j][1]], v.min(), v.max())
            est = p * masses[j] + (1 - p) * off
        else:
            est = F[:, where[j][0]]
        out[:, j] = np.where(np.isnan(Xm[:, j]), est, Xm[:, j])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default="aids2")
    p.add_argument("--patterns", default="MCAR,MAR")
    p.add_argument("--share", type=float, default=0.1)
    p.add_argument("--anywhere", action="store_true",
                   help="masses anywhere, not only at the column's ends")
    a = p.parse_args()
    for name in C.expand_datasets(a.datasets):
        t = C.load_any(name, 500)
        for pat in a.patterns.split(","):
            mask, Xm = C.hide(t, pat, 0)
            masses = {}
            for j in t.num_idx:
                m = point_mass(Xm[:, j], a.share)
                v = Xm[~np.isnan(Xm[:, j]), j]
                if m is not None and (a.anywhere or m in (v.min(), v.max())):
                    masses[j] = m
            if not masses:
                continue
            plain, split = linear_fill(t, Xm, {}), linear_fill(t, Xm, masses)
            # The choice a fit could make: both on the table with a tenth
            # of each mass column's observed cells hidden at random too.
            rng = np.random.default_rng(1)
            Xh, held = Xm.copy(), {}
            for j in masses:
                o = np.flatnonzero(~np.isnan(Xm[:, j]))
                held[j] = rng.choice(o, max(1, len(o) // 10), replace=False)
                Xh[held[j], j] = np.nan
            hp, hs = linear_fill(t, Xh, {}), linear_fill(t, Xh, masses)
            for j in t.num_idx:
                h = mask[:, j] & ~np.isnan(t.X[:, j])
                if not h.any() or j not in masses:
                    continue
                sd = np.nanstd(t.X[:, j])
                e = [np.sqrt(np.mean((f[h, j] - t.X[h, j]) ** 2)) / sd
                     for f in (plain, split)]
                share = np.mean(Xm[~np.isnan(Xm[:, j]), j] == masses[j])
                r = held[j]
                pick = np.mean((hs[r, j] - Xm[r, j]) ** 2) < \
                    np.mean((hp[r, j] - Xm[r, j]) ** 2)
                print("%-14s %-5s %-16s cells %4d mass share %.2f  NRMSE "
                      "plain %.3f split %.3f chosen %.3f"
                      % (name, pat, t.cols[j], h.sum(), share, e[0], e[1],
                         e[1] if pick else e[0]))


if __name__ == "__main__":
    main()
