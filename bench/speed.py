#!/usr/bin/python3
"""Speed benchmark: the vae against the same network in PyTorch, and
against the machine's cblas_sgemm at the network's own GEMM shapes.

Training: rows x epochs per second of vae_fit (the report's training-loop
seconds) and of torch_miwae.train (its loop), same architecture (widths,
latent, K = 16, Adam, lr 0.002, 10% extra masking, float32), fixed
epochs, no holdout, at batch 64 (the default) and 256, on 1 and on 2
threads. A batch is timed only on data sets where the vae would use it
as asked (it caps a batch at an eighth of the rows). Every measurement
runs in a fresh process with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set
(Debian's PyTorch does its GEMMs in the same OpenBLAS) and
torch.set_num_threads; the best of --repeat runs is kept (the machine may
be shared).

GFLOP/s: per row per epoch 3 x (2 sum_enc in*out + 2 K sum_dec in*out)
(forward, and backward as twice the forward). The ceiling is one training
step's GEMMs, at their exact shapes and transpositions, timed alone by
bench/sgemm_peak.c: "% of GEMM-bound" = achieved rows/s over the rows/s
that the GEMMs alone would allow, on the best thread count up to the
row's.

Inference (rows/s, generated table of 16 columns): vae_impute (every
column of every row, 256 importance samples), vae_sample, the virtual
table (unconditional, conditional on a categorical value, and the filled
source table), against the same importance-sampling computation in
PyTorch (batched over rows, as PyTorch would be used). PyTorch's sample
is a tensor, while vae_sample's rows are JSON text fetched by Python: so
vae_sample is also timed without its rows leaving SQLite (count(*): the
network and the draws only), and PyTorch also writing the same JSON rows
(json.dumps of each row, numbers in data units, categories as levels).

Peak resident memory (ru_maxrss) of each training process, and its
resident memory before the fit (the interpreter and libraries).

Usage: /usr/bin/python3 bench/speed.py [--quick] [--epochs 20]
           [--threads 1,2] [--batches 64,256] [--repeat 3]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import common as C

SGEMM_SRC = os.path.join(C.BENCH_DIR, "sgemm_peak.c")
SGEMM_BIN = os.path.join(C.REPO_ROOT, "build", "bench", "sgemm_peak")
BATCH, K = 64, 16    # the vae's default batch; the profile's


def effective_batch(n, batch):
    """The batch vae_fit uses on n training rows (core/train.c): at most
    an eighth of the rows, 16 at least, never more than n."""
    b = min(batch, max((n + 7) // 8, 16))
    return min(b, n)


def load_data(name, rows):
    if name == "generated":
        return C.synthetic_table(rows, seed=1)
    return C.load(name, "impute")


# ---------------------------------------------------------------- workers

def worker_train(a):
    t = load_data(a.data, a.rows)
    n = len(t.X)
    if a.impl == "vae":
        db = C.open_vae(a.so)
        C.create_table(db, "t", t)
        base = C.current_rss_mib()
        opts = {"epochs": a.epochs, "holdout": 0, "seed": 0,
                "batch": a.batch, "samples": K}
        opts.update(C.vae_types(t))
        rep, wall = C.vae_fit(db, "m", "t", opts)
        secs = rep["seconds"]
        rows_s = rep["rows_per_second"]
    else:
        import torch
        import torch_miwae as T
        torch.set_num_threads(a.threads)
        enc = T.Encoded(t.kinds, t.levels, t.X)
        xs, obs = enc.tensors(t.X)
        model = T.MIWAE(enc)
        base = C.current_rss_mib()
        t0 = time.perf_counter()
        _, secs = T.train(model, xs, obs, epochs=a.epochs, batch=a.batch, K=K,
                          lr=0.002, mask_rate=0.1, holdout=0.0)
        wall = time.perf_counter() - t0
        rows_s = n * a.epochs / secs
    return {"rows": n, "seconds": secs, "wall": wall, "rows_per_s": rows_s,
            "rss_base": base, "rss_peak": C.peak_rss_mib()}


def _timed(fn):
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


def json_rows(t, X):
    """Rows as vae_sample gives them: a JSON object per row keyed by column
    name, numbers in data units, categories as their level strings."""
    cat = {j: t.levels[j] for j in t.cat_idx}
    return [json.dumps({c: cat[j][int(v)] if j in cat else v
                        for j, (c, v) in enumerate(zip(t.cols, row))})
            for row in X.tolist()]


def worker_infer(a):
    """Rows/s of each inference path on a generated table."""
    import numpy as np
    t = load_data("generated", a.rows)
    q = t.with_X(np.where(C.mask_mcar(t.X, 5), np.nan, t.X))
    n_imp, n_gen = min(a.rows, a.infer_rows), a.sample_rows
    q = q.with_rows(np.arange(n_imp))
    t = t.with_rows(np.arange(min(len(t.X), 2000)))   # the model to time
    out = {}
    if a.impl == "vae":
        db = C.open_vae(a.so)
        C.create_table(db, "t", t)
        C.create_table(db, "q", q)
        opts = {"epochs": 1, "holdout": 0, "seed": 0}
        opts.update(C.vae_types(t))
        C.vae_fit(db, "m", "t", opts)
        cols = ", ".join(C.qident(c) for c in t.cols)
        sel = ", ".join("vae_impute('m', ?, %s)" % cols for _ in t.cols)
        out["impute"] = _timed(lambda: len(db.execute(
            "SELECT %s FROM q" % sel, t.cols).fetchall()))
        out["sample"] = _timed(lambda: len(db.execute(
            "SELECT value FROM vae_sample('m', ?, 1)", (n_gen,)).fetchall()))
        # The same rows drawn, but neither written as JSON nor fetched.
        out["sample_gen"] = _timed(lambda: db.execute(
            "SELECT count(*) FROM vae_sample('m', ?, 1)",
            (n_gen,)).fetchone()[0])
        db.execute("CREATE VIRTUAL TABLE s USING vae(m)")
        out["vtab"] = _timed(lambda: len(db.execute(
            "SELECT * FROM s LIMIT ?", (n_gen,)).fetchall()))
        out["vtab_cond"] = _timed(lambda: len(db.execute(
            "SELECT * FROM s WHERE c0 = 'a' LIMIT ?", (n_imp,)).fetchall()))
        db.execute("CREATE VIRTUAL TABLE f USING vae(m, source=q)")
        out["vtab_fill"] = _timed(lambda: len(db.execute(
            "SELECT * FROM f").fetchall()))
    else:
        import torch
        import torch_miwae as T
        torch.set_num_threads(a.threads)
        enc = T.Encoded(t.kinds, t.levels, t.X)
        xs, obs = enc.tensors(t.X)
        model = T.MIWAE(enc)
        T.train(model, xs, obs, epochs=1, mask_rate=0.1)
        qx, qo = enc.tensors(q.X)
        out["impute"] = _timed(lambda: len(T.impute(model, qx, qo, S=256)))
        out["sample"] = _timed(lambda: len(T.sample(model, n_gen)))
        out["sample_json"] = _timed(lambda: len(json_rows(
            t, T.decode_values(enc, T.sample(model, n_gen)))))
        # Conditional generation is the same importance sampling with one
        # observed cell (c0) per row.
        co = torch.zeros_like(qo)
        co[:, t.cols.index("c0")] = 1
        cx = qx.clone()
        cx[:, t.cols.index("c0")] = 0
        out["vtab_cond"] = _timed(lambda: len(T.impute(model, cx, co, S=256)))
    out["rss_peak"] = C.peak_rss_mib()
    return out


# ---------------------------------------------------------------- sgemm

def sgemm_binary():
    if os.path.exists(SGEMM_BIN) and \
            os.path.getmtime(SGEMM_BIN) >= os.path.getmtime(SGEMM_SRC):
        return SGEMM_BIN
    os.makedirs(os.path.dirname(SGEMM_BIN), exist_ok=True)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "openblas"],
                           capture_output=True, text=True).stdout.split() \
        or ["-I/usr/include/x86_64-linux-gnu/openblas-pthread", "-lopenblas"]
    cmd = ["cc", "-O2", "-std=c99", "-D_POSIX_C_SOURCE=200809L", SGEMM_SRC,
           "-o", SGEMM_BIN] + flags
    subprocess.run(cmd, check=True)
    return SGEMM_BIN


def step_shapes(enc, dec, B, K=K):
    """The cblas_sgemm calls of one training step, as core/nn.c makes them
    (M, N, K, transA, transB, beta)."""
    R = B * K
    s = [(B, o, i, 0, 0, 1) for i, o in enc] + \
        [(R, o, i, 0, 0, 1) for i, o in dec]
    for i, o in dec:
        s += [(i, o, R, 1, 0, 0), (R, i, o, 0, 1, 0)]
    for n, (i, o) in enumerate(enc):
        s.append((i, o, B, 1, 0, 0))
        if n > 0:
            s.append((B, i, o, 0, 1, 0))
    return s


def sgemm(shapes, threads, budget):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
               OMP_NUM_THREADS=str(threads))
    args = [",".join(str(x) for x in s) for s in shapes]
    r = subprocess.run([sgemm_binary(), str(budget)] + args, env=env,
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def flops_per_row(enc, dec, K=K):
    return 3 * (2 * sum(i * o for i, o in enc) + 2 * K * sum(i * o
                                                          for i, o in dec))


# ---------------------------------------------------------------- profile

PROFILE_GROUPS = [
    ("cblas_sgemm (OpenBLAS)", lambda d, s: "openblas" in d),
    ("tanh: tanh_forward/backward(_bias) + expf",
     lambda d, s: s.startswith("tanh_")
     or s.startswith("__expf") or s.startswith("expf")),
    ("double exp/log (likelihood, softmax, log-sum-exp, normals)",
     lambda d, s: d.startswith("libm") and ("exp" in s or "log" in s)),
    ("likelihood (vae_row_loglik, categorical_loglik)",
     lambda d, s: s in ("vae_row_loglik", "row_loglik",
                        "categorical_loglik")),
    ("normal RNG (vae_rng_*, normal_pair, sincos)",
     lambda d, s: s.startswith("vae_rng") or s == "normal_pair"
     or "sincos" in s),
    ("adam_step", lambda d, s: s == "adam_step"),
    ("bias/gradient loops in dense_*, forward/backward glue",
     lambda d, s: s in ("dense_forward", "dense_backward",
                        "dense_backward_weights", "bias_backward",
                        "vae_forward", "vae_backward", "vae_prepare",
                        "vae_decode")),
    ("kernel (scheduling, thread wake-ups)", lambda d, s: "kernel" in d),
    ("everything else (SQLite, libc, ...)", lambda d, s: True),
]
# Samples of the interpreter and the loader are the worker's set-up (making
# and inserting the table), not the fit: left out of the shares.
SETUP_DSOS = ("python3", "libpython", "ld-linux")


def profile(a, threads):
    """perf record of one vae training process; its samples by group."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads),
                   OMP_NUM_THREADS=str(threads))
        cmd = ["perf", "record", "-q", "-F", "1999", "-o", data, "--",
               sys.executable, os.path.join(C.BENCH_DIR, "speed.py"),
               "--worker", "train", "--impl", "vae", "--data", "generated",
               "--rows", str(a.gen_rows), "--epochs", str(a.epochs),
               "--threads", str(threads), "--batch", str(BATCH),
               "--so", a.so]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                              "--no-children", "--sort", "dso,symbol"],
                             capture_output=True, text=True, check=True)
    shares = {g: 0.0 for g, _ in PROFILE_GROUPS}
    for line in rep.stdout.splitlines():
        f = line.split()
        if len(f) < 4 or not f[0].endswith("%") or f[0].startswith("#"):
            continue
        try:
            pct = float(f[0][:-1])
        except ValueError:
            continue
        dso, sym = f[1], f[3] if f[2] == "[.]" or f[2] == "[k]" else f[2]
        if dso.startswith(SETUP_DSOS) or "numpy" in dso:
            continue
        sym = sym.split(".")[0]   # tanh_forward.avx2, f.part.0: f
        for g, match in PROFILE_GROUPS:
            if match(dso, sym):
                shares[g] += pct
                break
    total = sum(shares.values()) or 1.0
    return {g: 100.0 * v / total for g, v in shares.items()}


def have_perf():
    try:
        return subprocess.run(["perf", "--version"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


# ---------------------------------------------------------------- driver

def configs(a, impl, threads):
    """Environments to try. PyTorch's OpenMP threads spin while waiting
    (OMP_WAIT_POLICY=ACTIVE, the default); on a small or shared machine
    that starves OpenBLAS's threads, and PASSIVE is far faster. PyTorch
    gets the better of the two: PASSIVE --repeat times, ACTIVE once
    (quick mode: PASSIVE only)."""
    if impl == "vae" or threads == 1:
        return [{}]
    if a.quick:
        return [{"OMP_WAIT_POLICY": "PASSIVE"}]
    return [{"OMP_WAIT_POLICY": "PASSIVE"}, {}]   # the first gets --repeat


def run(a):
    sets = [("breast_cancer", 0), ("generated", a.gen_rows)]
    train, arch, cases = {}, {}, []
    for name, rows in sets:
        t = load_data(name, max(rows, 1))
        enc, dec = C.gemm_layers(C.encoded_width(t), len(t.cols))
        arch[name] = (len(t.X), len(t.cols), enc, dec)
        for bs in a.batches:
            if effective_batch(len(t.X), bs) != bs:
                continue
            cases.append((name, bs))
            for th in a.threads:
                for impl in ("vae", "torch"):
                    args = ["train", "--impl", impl, "--data", name, "--rows",
                            rows, "--epochs", a.epochs, "--threads", th,
                            "--batch", bs, "--so", a.so]
                    runs = [dict(C.run_worker("speed.py", args, threads=th,
                                              env_extra=env), env=env)
                            for i, env in enumerate(configs(a, impl, th))
                            for _ in range(a.repeat if i == 0 else 1)]
                    r = max(runs, key=lambda r: r["rows_per_s"])
                    train[name, bs, th, impl] = r
                    print("  train %-13s batch %3d %d thread(s) %-5s %9.0f "
                          "rows/s  peak %.0f MiB  %s"
                          % (name, bs, th, impl, r["rows_per_s"],
                             r["rss_peak"], r["env"]),
                          file=sys.stderr, flush=True)
    peaks = {}
    for name, bs in cases:
        _, _, enc, dec = arch[name]
        for th in a.threads:
            peaks[name, bs, th] = sgemm(step_shapes(enc, dec, bs), th,
                                        a.sgemm_budget)
    square = {th: sgemm([(1024, 1024, 1024, 0, 0, 0)], th, 1.0)
              for th in a.threads}
    infer = {}
    for th in a.threads:
        for impl in ("vae", "torch"):
            args = ["infer", "--impl", impl, "--rows", a.gen_rows,
                    "--infer-rows", a.infer_rows, "--sample-rows",
                    a.sample_rows, "--threads", th, "--so", a.so]
            runs = [C.run_worker("speed.py", args, threads=th, env_extra=env)
                    for env in configs(a, impl, th)]
            infer[th, impl] = {k: max(r[k] for r in runs) for k in runs[0]}
            print("  infer %d thread(s) %-5s %s" % (th, impl, json.dumps(
                {k: round(v) for k, v in infer[th, impl].items()})),
                file=sys.stderr, flush=True)
    return sets, cases, arch, train, peaks, square, infer


def report(a, sets, cases, arch, train, peaks, square, infer):
    rep = C.Report("speed")
    head = ["data (rows x cols)", "batch", "threads", "vae rows/s",
            "PyTorch rows/s",
            "vae / PyTorch", "vae GFLOP/s", "PyTorch GFLOP/s",
            "sgemm GFLOP/s (step shapes)", "vae % of GEMM-bound",
            "sgemm GFLOP/s 1024^3"]
    rows = []
    for name, bs in cases:
        n, p, enc, dec = arch[name]
        fl = flops_per_row(enc, dec)
        for th in a.threads:
            v, t = train[name, bs, th, "vae"], train[name, bs, th, "torch"]
            pk = min((peaks[name, bs, t] for t in a.threads if t <= th),
                     key=lambda r: r["pass_seconds"])
            gemm_rows_s = bs / pk["pass_seconds"]
            rows.append(["%s (%d x %d)" % (name, n, p), bs, th,
                         v["rows_per_s"],
                         t["rows_per_s"], v["rows_per_s"] / t["rows_per_s"],
                         v["rows_per_s"] * fl * 1e-9,
                         t["rows_per_s"] * fl * 1e-9, pk["pass_gflops"],
                         "%.0f%%" % (100 * v["rows_per_s"] / gemm_rows_s),
                         square[th]["pass_gflops"]])
    notes = ["network per data set: encoder %s, decoder %s (in, out); "
             "K = %d, %d epochs, best of %d runs"
             % (" / ".join("%s %s" % (nm, arch[nm][2]) for nm, _ in sets),
                " / ".join("%s %s" % (nm, arch[nm][3]) for nm, _ in sets),
                K, a.epochs, a.repeat)]
    notes.append("the GEMM bound on n threads is the faster of sgemm on "
                 "each measured thread count up to n; the vae runs a "
                 "fit's GEMMs on one thread (its private serial OpenBLAS)")
    capped = ["%s batch %d" % (nm, bs) for nm, _ in sets for bs in a.batches
              if (nm, bs) not in cases]
    if capped:
        notes.append("not timed (the vae caps a batch at an eighth of the "
                     "rows): " + ", ".join(capped))
    won = sorted({"%s batch %d, %d threads: %s"
                  % (nm, bs, th, train[nm, bs, th, "torch"]["env"]
                     .get("OMP_WAIT_POLICY", "ACTIVE"))
                  for nm, bs in cases for th in a.threads if th > 1})
    if won:
        notes.append("PyTorch on more than one thread: the better of "
                      "OMP_WAIT_POLICY=ACTIVE (default) and PASSIVE; kept: "
                      + "; ".join(won))
    rep.table("Training throughput (rows x epochs per second; higher is "
              "better)", head, rows, notes)

    head = ["operation", "threads", "vae rows/s", "PyTorch rows/s",
            "vae / PyTorch"]
    rows = []
    ops = [("impute", "vae_impute, all 16 columns (256 samples)", "impute"),
           ("sample", "vae_sample (JSON rows) vs PyTorch tensor", "sample"),
           ("sample", "vae_sample (JSON rows) vs PyTorch JSON rows",
            "sample_json"),
           ("sample_gen", "vae_sample, rows drawn only (count(*)) vs "
            "PyTorch tensor", "sample"),
           ("vtab", "virtual table, unconditional vs PyTorch tensor",
            "sample"),
           ("vtab_cond", "virtual table, WHERE c0 = 'a'", "vtab_cond"),
           ("vtab_fill", "virtual table over source (filled rows)",
            "impute")]
    for th in a.threads:
        for key, label, peer in ops:
            v = infer[th, "vae"].get(key)
            t = infer[th, "torch"].get(peer)
            rows.append([label, th, v, t, v / t if v and t else None])
    rep.table("Inference throughput (rows per second, generated table "
              "%d rows x 16 columns; PyTorch: the same computation, batched; "
              "higher is better)" % a.gen_rows, head, rows,
              ["impute rows: %d (20%% of cells missing); generated rows: %d"
               % (a.infer_rows, a.sample_rows),
               "vae's rows are SQL rows fetched by Python (sqlite3), each a "
               "JSON text (vae_sample) or 16 values (the table); PyTorch's "
               "sample is one tensor, unless it writes the JSON rows too; "
               "count(*) draws vae_sample's rows without writing or "
               "fetching them"])

    head = ["data", "batch", "threads", "vae peak MiB", "vae before fit MiB",
            "PyTorch peak MiB", "PyTorch before fit MiB",
            "vae / PyTorch (peak)"]
    rows = []
    for name, bs in cases:
        for th in a.threads:
            v, t = train[name, bs, th, "vae"], train[name, bs, th, "torch"]
            rows.append([name, bs, th, v["rss_peak"], v["rss_base"],
                         t["rss_peak"], t["rss_base"],
                         v["rss_peak"] / t["rss_peak"]])
    rep.table("Peak resident memory of the training process (MiB; the vae "
              "process is Python + sqlite3 + vae.so, PyTorch's is Python + "
              "torch)", head, rows)
    if a.profile and have_perf():
        prof = {th: profile(a, th) for th in a.threads}
        head = ["where vae_fit's time goes"] + \
            ["%% of samples, %d thread%s" % (th, "" if th == 1 else "s")
             for th in a.threads]
        rows = [[g] + ["%.1f" % prof[th][g] for th in a.threads]
                for g, _ in PROFILE_GROUPS]
        rep.table("Profile of vae training (perf record, generated %d x 16, "
                  "%d epochs, batch %d)" % (a.gen_rows, a.epochs, BATCH),
                  head, rows,
                  ["shares of the samples outside the Python interpreter "
                   "(whose samples are the worker making its table); libm's "
                   "log serves both the likelihood and the normal RNG"])
    return rep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("task", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--impl", choices=["vae", "torch"])
    p.add_argument("--data", default="generated")
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batches", default="64,256",
                   help="training batch sizes to time")
    p.add_argument("--batch", type=int, default=BATCH,
                   help=argparse.SUPPRESS)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--gen-rows", type=int, default=10000)
    p.add_argument("--infer-rows", type=int, default=2000)
    p.add_argument("--sample-rows", type=int, default=100000)
    p.add_argument("--sgemm-budget", type=float, default=0.2)
    p.add_argument("--profile", action="store_true",
                   help="also profile vae training with perf")
    p.add_argument("--no-save", action="store_true")
    a = p.parse_args(argv)
    if a.worker:
        a.threads = int(a.threads)
        return a
    a.threads = [int(x) for x in a.threads.split(",")]
    a.batches = [int(x) for x in a.batches.split(",")]
    if a.quick:
        # 4096 rows: batch 256 is not capped (an eighth of the rows).
        a.epochs, a.repeat, a.gen_rows = 2, 1, 4096
        a.infer_rows, a.sample_rows = 300, 10000
    a.so = os.path.abspath(a.so)
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.worker:
        fn = worker_train if a.task == "train" else worker_infer
        print(json.dumps(fn(a)))
        return 0
    print("== speed: %d epochs, threads %s, batches %s; %s; load average %s"
          % (a.epochs, a.threads, a.batches, C.machine_line(),
             " ".join("%.2f" % x for x in os.getloadavg())),
          file=sys.stderr, flush=True)
    res = run(a)
    rep = report(a, *res)
    if not a.no_save:
        rep.save(preface="### Speed\n\n%s; load average at the end %s."
                 % (C.machine_line(),
                    " ".join("%.2f" % x for x in os.getloadavg())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
