"""Shared pieces of the benchmarks: data sets, masks, scores, the vae's SQL
surface, subprocess workers and table output.

A data set is a Table: a float matrix X (rows x columns, NaN = missing) in
which a categorical cell holds its level index, plus the column kinds
('num' or 'cat') and, for categorical columns, the level strings. Every
method sees the same Table and the same mask (True = hidden from the
method, scored afterwards).
"""

import csv
import json
import math
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time

import numpy as np

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
DATA_DIR = os.path.join(BENCH_DIR, "data")
DEFAULT_SO = os.path.join(REPO_ROOT, "vae.so")
RESULTS_MD = os.environ.get("BENCH_RESULTS",
                            os.path.join(BENCH_DIR, "results.md"))

# name -> how to read bench/data/<name>.csv
#   drop:   columns never used (ids)
#   cat:    columns that are categorical (read as text)
#   label:  the column predicted in the ML-efficacy test of generation; for
#           the numeric sets it is a class label that imputation leaves out
#           (their imputation table is numeric only, as in the README)
#   task:   'class' or 'reg' for the label
DATASETS = {
    "wine": dict(kind="numeric", drop=[], cat=["cultivar"],
                 label="cultivar", task="class", impute_drop=["cultivar"]),
    "breast_cancer": dict(kind="numeric", drop=[], cat=["diagnosis"],
                          label="diagnosis", task="class",
                          impute_drop=["diagnosis"]),
    "diabetes": dict(kind="numeric", drop=[], cat=[], label="progression",
                     task="reg", impute_drop=[]),
    "iris": dict(kind="mixed", drop=[], cat=["species"], label="species",
                 task="class", impute_drop=[]),
    "titanic": dict(kind="mixed", drop=[],
                    cat=["survived", "sex", "passengerClass"],
                    label="survived", task="class", impute_drop=[]),
    # pi, sei, odi are 1..5 danger/exposure indexes: categorical here.
    "mammalsleep": dict(kind="mixed", drop=["species"],
                        cat=["pi", "sei", "odi"], label="ts", task="reg",
                        impute_drop=[]),
}
NUMERIC_SETS = [k for k, v in DATASETS.items() if v["kind"] == "numeric"]
MIXED_SETS = [k for k, v in DATASETS.items() if v["kind"] == "mixed"]


class Table:
    """Columns, kinds ('num'/'cat'), levels per categorical column, X."""

    def __init__(self, name, cols, kinds, levels, X):
        self.name, self.cols, self.kinds = name, list(cols), list(kinds)
        self.levels = levels          # dict col index -> list of strings
        self.X = X                    # float64, NaN = missing

    @property
    def num_idx(self):
        return [j for j, k in enumerate(self.kinds) if k == "num"]

    @property
    def cat_idx(self):
        return [j for j, k in enumerate(self.kinds) if k == "cat"]

    def with_rows(self, idx):
        return Table(self.name, self.cols, self.kinds, self.levels,
                     self.X[idx].copy())

    def with_X(self, X):
        return Table(self.name, self.cols, self.kinds, self.levels, X)

    def cell_text(self, j, v):
        """The SQL value of cell v of column j (None when missing)."""
        if isinstance(v, float) and math.isnan(v):
            return None
        if self.kinds[j] == "cat":
            return self.levels[j][int(v)]
        return float(v)

    def rows_sql(self, X=None):
        X = self.X if X is None else X
        return [[self.cell_text(j, float(v)) for j, v in enumerate(row)]
                for row in X]


def load(name, purpose="impute"):
    """bench/data/<name>.csv as a Table. purpose 'impute' leaves out the
    label of the numeric sets; 'generate' keeps every column and drops the
    incomplete rows (the peers of generation need complete rows)."""
    spec = DATASETS[name]
    drop = set(spec["drop"])
    if purpose == "impute":
        drop |= set(spec["impute_drop"])
    with open(os.path.join(DATA_DIR, name + ".csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        recs = [r for r in reader if r]
    keep = [i for i, c in enumerate(header) if c not in drop]
    cols = [header[i] for i in keep]
    kinds = ["cat" if c in spec["cat"] else "num" for c in cols]
    levels = {}
    X = np.full((len(recs), len(cols)), np.nan)
    for j, (i, c) in enumerate(zip(keep, cols)):
        raw = [r[i].strip() for r in recs]
        if kinds[j] == "cat":
            lv = sorted({v for v in raw if v not in ("", "NA")})
            levels[j] = lv
            code = {v: k for k, v in enumerate(lv)}
            X[:, j] = [code[v] if v in code else np.nan for v in raw]
        else:
            X[:, j] = [float(v) if v not in ("", "NA") else np.nan
                       for v in raw]
    t = Table(name, cols, kinds, levels, X)
    if purpose == "generate":
        t = t.with_rows(~np.isnan(X).any(axis=1))
    return t


SUITE_DIR = os.path.join(DATA_DIR, "suite")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def suite_names():
    """The tables of bench/data/suite (see its README), by name."""
    if not os.path.isdir(SUITE_DIR):
        return []
    return sorted(f[:-4] for f in os.listdir(SUITE_DIR) if f.endswith(".csv"))


def _number(v):
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def load_suite(name, max_rows=0):
    """bench/data/suite/<name>.csv as a Table, kinds read off the values
    with no per-table choice: a column whose every value is a number is
    numeric, except 0/1 columns, which are categorical (levels "0", "1");
    ISO dates become day numbers; any other text is categorical, unless it
    is nearly unique (more distinct values than half the rows and more
    than 20: an id, left out as vae_fit leaves it out); a name equal to an
    earlier one but for case gets "_2" appended. Empty and NA cells
    are missing (real NAs: never hidden by a mask, never scored). Tables
    above max_rows rows (0: no cap) keep a seeded random subset of
    max_rows rows, the same for every method."""
    with open(os.path.join(SUITE_DIR, name + ".csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        recs = [r for r in reader if r]
    n_all = len(recs)
    if max_rows and n_all > max_rows:
        keep_rows = np.sort(np.random.default_rng(20261201).choice(
            n_all, max_rows, replace=False))
        recs = [recs[i] for i in keep_rows]
    n = len(recs)
    cols, kinds, levels, data = [], [], {}, []
    for i, c in enumerate(header):
        raw = [r[i].strip() for r in recs]
        vals = [v for v in raw if v not in ("", "NA")]
        if not vals:
            continue
        nums = [_number(v) for v in vals]
        if all(x is not None for x in nums):
            if set(nums) <= {0.0, 1.0}:
                lv = ["0", "1"]
                code = {"0": 0, "1": 1}
                x = [np.nan if v in ("", "NA") else code[str(int(float(v)))]
                     for v in raw]
                kind = "cat"
            else:
                x = [np.nan if v in ("", "NA") else float(v) for v in raw]
                kind = "num"
        elif all(ISO_DATE.match(v) for v in vals):
            import datetime
            day0 = datetime.date(1970, 1, 1)
            x = [np.nan if v in ("", "NA") else
                 float((datetime.date.fromisoformat(v) - day0).days)
                 for v in raw]
            kind = "num"
        else:
            lv = sorted(set(vals))
            if len(lv) > n / 2 and len(lv) > 20:
                continue
            code = {v: k for k, v in enumerate(lv)}
            x = [code[v] if v in code else np.nan for v in raw]
            kind = "cat"
        if kind == "cat":
            levels[len(cols)] = lv
        while c.lower() in (x.lower() for x in cols):
            c += "_2"       # SQL names ignore case: vehicle's Sc.Var.maxis
        cols.append(c)
        kinds.append(kind)
        data.append(x)
    X = np.array(data, dtype=float).T.reshape(n, len(cols))
    t = Table(name, cols, kinds, levels, X)
    t.rows_all = n_all
    return t


def load_any(name, max_rows=0):
    """One of the six (DATASETS, imputation columns) or a suite table,
    cut to max_rows rows (0: all) as load_suite does."""
    if name in DATASETS:
        return seeded_subset(load(name, "impute"), max_rows)
    return load_suite(name, max_rows)


def seeded_subset(t, max_rows):
    """t cut to a seeded random max_rows of its rows (0: all), the same
    for every method; t.rows_all = its rows before."""
    n_all = len(t.X)
    if max_rows and n_all > max_rows:
        t = t.with_rows(np.sort(np.random.default_rng(20261201).choice(
            n_all, max_rows, replace=False)))
    t.rows_all = n_all
    return t


def expand_datasets(spec):
    """A --datasets list: table names, or 'all' (the six, then the suite
    from the smallest file), 'six', 'suite'; each once, in order."""
    six = list(DATASETS)
    by_rows = sorted(suite_names(), key=lambda n: os.path.getsize(
        os.path.join(SUITE_DIR, n + ".csv")))
    ds = []
    for d in spec.split(","):
        ds += {"all": six + by_rows, "six": six, "suite": by_rows}.get(d, [d])
    return [d for d in dict.fromkeys(ds) if d]


# ---------------------------------------------------------------- masks

def _keep_one_per_row(mask, observed, rng):
    """Unhide one cell of any row whose observed cells are all hidden."""
    for r in np.flatnonzero(~(observed & ~mask).any(axis=1)):
        cand = np.flatnonzero(observed[r])
        if len(cand):
            mask[r, rng.choice(cand)] = False
    return mask


def mask_mcar(X, seed, rate=0.2):
    """Each observed cell hidden with probability rate; no row loses all of
    its observed cells."""
    rng = np.random.default_rng(seed)
    observed = ~np.isnan(X)
    mask = (rng.random(X.shape) < rate) & observed
    return _keep_one_per_row(mask, observed, rng)


def _driver_score(table, j, rng):
    """Column j as one standardized number per row (0 where missing); a
    categorical column gets a random score per level."""
    x = table.X[:, j].copy()
    if table.kinds[j] == "cat":
        s = rng.normal(size=len(table.levels[j]))
        x = np.where(np.isnan(x), np.nan, s[np.nan_to_num(x).astype(int)])
    mu, sd = np.nanmean(x), np.nanstd(x)
    z = (x - mu) / (sd if sd > 0 else 1.0)
    return np.nan_to_num(z)


def mask_mar(table, seed, rate=0.2, slope=2.0):
    """MAR: half of the columns (the targets, chosen at random) lose cells
    with a probability that depends on the value of another column of the
    same row (its driver, from the other half, never hidden):

        P(hide x_ij) = sigmoid(a_j + slope * s_j * z_i,driver(j))

    with s_j = +-1 at random and a_j set so that the targets lose, on
    average, rate * columns / targets of their cells (capped at 0.5): about
    `rate` of all cells, as in the MCAR pattern, but concentrated where the
    driver is high (or low)."""
    X = table.X
    n, p = X.shape
    rng = np.random.default_rng(seed + 7919)
    perm = rng.permutation(p)
    nt = max(1, p // 2)
    targets, drivers = perm[:nt], perm[nt:]
    observed = ~np.isnan(X)
    mask = np.zeros_like(observed)
    target_rate = min(0.5, rate * p / nt)
    for i, j in enumerate(targets):
        d = drivers[i % len(drivers)]
        z = slope * rng.choice([-1.0, 1.0]) * _driver_score(table, d, rng)
        lo, hi = -20.0, 20.0
        for _ in range(60):                   # bisection on the intercept
            a = 0.5 * (lo + hi)
            if np.mean(1 / (1 + np.exp(-(a + z)))) < target_rate:
                lo = a
            else:
                hi = a
        prob = 1 / (1 + np.exp(-(a + z)))
        mask[:, j] = (rng.random(n) < prob) & observed[:, j]
    return _keep_one_per_row(mask, observed, rng)


def mask_mnar(table, seed, q=0.6, p_high=0.5, p_low=0.05):
    """MNAR by self-masking: an observed cell above its column's q-th
    quantile (of the observed values) is hidden with probability p_high,
    any other with p_low. A categorical column is ordered by a random
    score per level (seeded), as _driver_score does, so that some of its
    levels are the 'high' ones."""
    rng = np.random.default_rng(seed + 104729)
    X = table.X
    observed = ~np.isnan(X)
    mask = np.zeros_like(observed)
    for j in range(X.shape[1]):
        x = X[:, j]
        if table.kinds[j] == "cat":
            s = rng.permutation(len(table.levels[j])).astype(float)
            x = np.where(np.isnan(x), np.nan, s[np.nan_to_num(x).astype(int)])
        ok = observed[:, j]
        if not ok.any():
            continue
        cut = np.quantile(x[ok], q)
        high = np.where(ok, np.nan_to_num(x) > cut, False)
        prob = np.where(high, p_high, p_low)
        mask[:, j] = (rng.random(len(x)) < prob) & ok
    return _keep_one_per_row(mask, observed, rng)


MASKS = {"MCAR": lambda t, s: mask_mcar(t.X, s),
         "MAR": lambda t, s: mask_mar(t, s),
         "MNAR": lambda t, s: mask_mnar(t, s)}


def hide(table, pattern, seed):
    """(mask, a copy of table.X with the masked cells NaN): the cells a
    pattern hides for one seed, as every benchmark hides them."""
    mask = MASKS[pattern](table, seed)
    Xm = table.X.copy()
    Xm[mask] = np.nan
    return mask, Xm


# ---------------------------------------------------------------- scores

def impute_errors(table, imputed, mask):
    """(NRMSE over hidden numeric cells, error rate over hidden categorical
    cells); None where the table has no such hidden cell. NRMSE divides
    each column's error by the (population) sd of its true values."""
    truth = table.X
    num = [j for j in table.num_idx if mask[:, j].any()]
    cat = [j for j in table.cat_idx if mask[:, j].any()]
    nrmse = err = None
    if num:
        sq = []
        for j in num:
            sd = np.nanstd(truth[:, j]) or 1.0
            m = mask[:, j]
            sq.append(((imputed[m, j] - truth[m, j]) / sd) ** 2)
        nrmse = math.sqrt(float(np.mean(np.concatenate(sq))))
    if cat:
        wrong = [imputed[mask[:, j], j] != truth[mask[:, j], j] for j in cat]
        err = float(np.mean(np.concatenate(wrong)))
    return nrmse, err


def standardizer(table, X=None):
    """Observed mean and sd per numeric column (sd 1 when constant)."""
    X = table.X if X is None else X
    mu = np.nanmean(X, axis=0)
    sd = np.nanstd(X, axis=0)
    sd[~(sd > 0)] = 1.0
    return mu, sd


def one_hot(table, X, num_scale=True, cat_weight=1.0, stats=None):
    """Numeric columns standardized (by stats or X's own), categorical
    one-hot times cat_weight; a missing categorical is a row of NaN.
    Returns (matrix, spans) with spans[j] = (start, stop) per column."""
    mu, sd = stats if stats is not None else standardizer(table, X)
    parts, spans, at = [], [], 0
    for j, k in enumerate(table.kinds):
        x = X[:, j]
        if k == "num":
            parts.append(((x - mu[j]) / sd[j] if num_scale else x)[:, None])
            spans.append((at, at + 1))
            at += 1
        else:
            L = len(table.levels[j])
            oh = np.zeros((len(x), L))
            ok = ~np.isnan(x)
            oh[np.flatnonzero(ok), x[ok].astype(int)] = cat_weight
            oh[~ok] = np.nan
            parts.append(oh)
            spans.append((at, at + L))
            at += L
    return np.hstack(parts), spans


def from_one_hot(table, M, spans, stats):
    """Inverse of one_hot: numeric unstandardized, categorical argmax."""
    mu, sd = stats
    X = np.empty((M.shape[0], len(table.kinds)))
    for j, k in enumerate(table.kinds):
        a, b = spans[j]
        if k == "num":
            X[:, j] = M[:, a] * sd[j] + mu[j]
        else:
            X[:, j] = np.argmax(M[:, a:b], axis=1)
    return X


# ---------------------------------------------------------------- vae (SQL)

def open_vae(so_path=DEFAULT_SO, path=":memory:", uri=False):
    db = sqlite3.connect(path, uri=uri)
    db.enable_load_extension(True)
    db.load_extension(so_path)
    db.enable_load_extension(False)
    return db


def qident(name):
    return '"%s"' % name.replace('"', '""')


def create_table(db, name, table, X=None):
    """Table `name` with REAL numeric and TEXT categorical columns."""
    cols = ", ".join("%s %s" % (qident(c), "TEXT" if k == "cat" else "REAL")
                     for c, k in zip(table.cols, table.kinds))
    db.execute("DROP TABLE IF EXISTS %s" % qident(name))
    db.execute("CREATE TABLE %s (%s)" % (qident(name), cols))
    db.executemany("INSERT INTO %s VALUES (%s)"
                   % (qident(name), ", ".join("?" * len(table.cols))),
                   table.rows_sql(X))
    db.commit()


def vae_types(table):
    """The `types` option naming every categorical column: the vae reads a
    TEXT cell that looks like a number ('3') as that number, and the
    1..5 indexes of mammalsleep are categories here, for every method.
    Also `na`: the spellings the loaders read as missing ('' and 'NA'),
    so that a level spelled like one of the vae's other default NA words
    (cars93's AirBags = 'None', 44% of its rows) stays a level for the vae
    as it is for every peer."""
    out = {"na": ["", "NA"]}
    cats = {table.cols[j]: "categorical" for j in table.cat_idx}
    if cats:
        out["types"] = cats
    return out


def vae_fit(db, model, source, options):
    """Runs vae_fit; returns (report dict, wall seconds)."""
    t0 = time.perf_counter()
    rep = db.execute("SELECT vae_fit(?, ?, ?)",
                     (model, source, json.dumps(options))).fetchone()[0]
    return json.loads(rep), time.perf_counter() - t0


def parse_value(table, j, v):
    """A value returned by the vae back into Table coding."""
    if v is None:
        return np.nan
    if table.kinds[j] == "cat":
        return float(table.levels[j].index(v))
    return float(v)


# ---------------------------------------------------------------- processes

def peak_rss_mib():
    """Peak resident set size of this process, MiB (Linux: ru_maxrss KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def run_worker(script, args, threads=None, timeout=3600, env_extra=None):
    """Runs `python3 bench/<script> --worker ...` in a fresh process (so
    that thread counts and peak memory are its own) and returns the JSON
    object it prints last on stdout."""
    env = dict(os.environ)
    if threads is not None:
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                  "MKL_NUM_THREADS"):
            env[k] = str(threads)
    env.update(env_extra or {})
    cmd = [sys.executable, os.path.join(BENCH_DIR, script), "--worker"] + \
        [str(a) for a in args]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[1:]),
                                                   r.returncode,
                                                   r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- output

def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    ax = abs(x)
    if ax >= 1e5:
        return "%.3g" % x
    if ax >= 100:
        return "%.0f" % x
    if ax >= 10:
        return "%.1f" % x
    return "%.*f" % (digits, x)


def best_ratio(vae, peers, lower_better=True):
    """vae / best peer, and the best peer's name; (None, None) if none."""
    peers = {k: v for k, v in peers.items()
             if v is not None and not (isinstance(v, float) and math.isnan(v))}
    if vae is None or not peers:
        return None, None
    pick = min if lower_better else max
    name = pick(peers, key=peers.get)
    best = peers[name]
    return (vae / best if best else None), name


class Report:
    """Collects titled tables; prints them as text and writes Markdown."""

    def __init__(self, part):
        self.part, self.blocks = part, []

    def table(self, title, head, rows, notes=()):
        rows = [[fmt(c) for c in r] for r in rows]
        self.blocks.append((title, head, rows, list(notes)))
        widths = [max(len(str(r[i])) for r in rows + [head])
                  for i in range(len(head))]

        def line(cells):
            return " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                              for i, (c, w) in
                              enumerate(zip(cells, widths)))
        print()
        print(title)
        print(line(head))
        print("-+-".join("-" * w for w in widths))
        for r in rows:
            print(line(r))
        for n in notes:
            print("  " + n)
        sys.stdout.flush()

    def markdown(self):
        out = []
        for title, head, rows, notes in self.blocks:
            out.append("**%s**\n" % title)
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1))
                       + "|")
            for r in rows:
                out.append("| " + " | ".join(str(c) for c in r) + " |")
            out.append("")
            for n in notes:
                out.append("- " + n)
            if notes:
                out.append("")
        return "\n".join(out)

    def save(self, path=RESULTS_MD, preface=""):
        """Replaces this part's section of bench/results.md; sections are
        kept in the order of PARTS."""
        text = ""
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
        sections = {}
        for part in PARTS:
            m = re.search(r"<!-- %s -->\n.*?<!-- /%s -->\n" % (part, part),
                          text, re.S)
            if m:
                sections[part] = m.group(0)
        sections[self.part] = "<!-- %s -->\n%s\n\n%s\n<!-- /%s -->\n" % (
            self.part, preface, self.markdown(), self.part)
        out = ("# vae benchmark results\n\nWritten by `make bench` "
               "(bench/run.sh); each part replaces its own section.\n")
        for part in PARTS:
            if part in sections:
                out += "\n" + sections[part]
        with open(path, "w") as f:
            f.write(out)


PARTS = ["impute", "generate", "speed", "threads", "scale", "big", "wide"]


def machine_line():
    """One line naming the CPU, cores and library versions."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, SQLite %s" % (cpu, os.cpu_count() or 0,
                                        sqlite3.sqlite_version)


# ---------------------------------------------------------------- generated

def synthetic_table(n, seed=0, p_num=12, p_cat=4, n_levels=4, missing=0.05):
    """A generated table of n rows: p_num numeric columns and p_cat
    categorical ones (n_levels levels, TEXT), all driven by 4 latent
    factors through a nonlinearity, with `missing` of the cells MCAR."""
    rng = np.random.default_rng(seed)
    gen = np.random.default_rng(12345)          # the same model for every n
    W = gen.normal(size=(4, p_num))
    Wc = gen.normal(size=(p_cat, 4, n_levels))
    p = p_num + p_cat
    X = np.empty((n, p))
    for at in range(0, n, 100000):              # in blocks: bounded memory
        m = min(100000, n - at)
        F = rng.normal(size=(m, 4))
        lin = F @ W
        X[at:at + m, :p_num] = (np.tanh(0.7 * lin) * 2 + 0.3 * lin
                                + 0.3 * rng.normal(size=(m, p_num)))
        for c in range(p_cat):
            logits = F @ Wc[c] + rng.gumbel(size=(m, n_levels))
            X[at:at + m, p_num + c] = np.argmax(logits, axis=1)
        X[at:at + m][rng.random((m, p)) < missing] = np.nan
    cols = ["x%d" % j for j in range(p_num)] + \
        ["c%d" % c for c in range(p_cat)]
    kinds = ["num"] * p_num + ["cat"] * p_cat
    levels = {p_num + c: ["a", "b", "c", "d", "e", "f", "g", "h"][:n_levels]
              for c in range(p_cat)}
    return Table("generated", cols, kinds, levels, X)


def gemm_layers(x_width, p, hidden=(64, 64), latent=None):
    """(in, out) of the vae's dense layers: encoder, then decoder."""
    d = latent or min(16, max(2, x_width // 2))
    enc, prev = [], x_width + p
    for h in hidden:
        enc.append((prev, h))
        prev = h
    enc.append((prev, 2 * d))
    dec, prev = [], d
    for h in reversed(hidden):
        dec.append((prev, h))
        prev = h
    dec.append((prev, x_width))
    return enc, dec


def encoded_width(table):
    return sum(1 if k == "num" else len(table.levels[j])
               for j, k in enumerate(table.kinds))
