#!/usr/bin/python3
"""Threads benchmark: one `vae_fit` on 1 thread against the same fit on 2,
in pairs of whole processes taken in turn, as issue 16 asks ("at least
1.6x one core on 2 idle cores"; "with another process hogging one core, a
2-thread fit is never slower than a 1-thread fit").

Each run is a fresh `sqlite3` shell that loads the extension, attaches the
20,000 x 16 table of bench/scale.py (generated once into build/bench/) read
only and runs

    vae_fit('m', 'SELECT * FROM src.t',
            '{"epochs":20,"holdout":0,"seed":0,"threads":T}')

with T = 1, then T = 2, then 1 again, and so on, after one warm-up run of
each that is not counted. Wall and CPU seconds (user + system of the
shell, every thread) come from the operating system. It prints the median
and the range of the per-pair ratio, 2 threads over 1: below 1 is faster.
Both runs of a pair give the same model bits (tests/sql/27_threads.sql).

With --defaults the fit takes vae_fit's defaults but the seed and the
threads ('{"seed":0,"threads":T}': early stopping on held-out rows, and
on tables of up to 10,000 rows two members, which 2 threads train side by
side), e.g. `--rows 500 --defaults` for a table of the quick imputation
bench's size.

It measures a set with the other core idle, then one while a separate
process spins on a core (--modes idle,busy, the default).
The figure moves with the host from run to run (one-thread runs took
4.2 s to 6.7 s on the same machine on different hours): compare sets
measured in the same hour, and quote the median.

Usage: /usr/bin/python3 bench/threads.py [--pairs 9 | --quick]
           [--modes idle,busy] [--so PATH] [--rows 20000] [--epochs 20]
           [--defaults] [--sqlite3 sqlite3] [--no-save]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import common as C
import scale


def one_run(shell, script):
    """Wall and CPU seconds of one shell running `script`."""
    t0 = time.perf_counter()
    p = subprocess.Popen([shell, ":memory:", "-init", script, ".quit"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    p.stdout.close()
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0 or "Error" in err or "rror" in out:
        sys.exit("threads: %s failed (%d): %s%s" % (script, p.returncode,
                                                    out, err))
    return wall, ru.ru_utime + ru.ru_stime


def scripts(tmp, so, db, epochs, defaults=False):
    """The two .sql files: the same fit on 1 and on 2 threads."""
    # .load takes the path without its suffix; the entry point comes from
    # the file name, so the copy keeps the name vae.so.
    lib = os.path.join(tmp, "vae.so")
    shutil.copy(so, lib)
    out = {}
    for t in (1, 2):
        path = os.path.join(tmp, "t%d.sql" % t)
        with open(path, "w") as f:
            f.write(".load %s\n" % lib[:-3])
            f.write("ATTACH 'file:%s?mode=ro' AS src;\n" % db)
            opts = ('{"seed":0,"threads":%d}' % t if defaults else
                    '{"epochs":%d,"holdout":0,"seed":0,"threads":%d}'
                    % (epochs, t))
            f.write("SELECT json_extract(vae_fit('m', 'SELECT * FROM src.t',"
                    " '%s'), '$.seconds');\n" % opts)
        out[t] = path
    return out


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def measure(a, sql, busy):
    """Wall and CPU seconds per thread count over a.pairs pairs."""
    spin = None
    if busy:
        spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        one_run(a.sqlite3, sql[1])
        one_run(a.sqlite3, sql[2])
        walls, cpus = {1: [], 2: []}, {1: [], 2: []}
        for i in range(a.pairs):
            for t in (1, 2):
                w, c = one_run(a.sqlite3, sql[t])
                walls[t].append(w)
                cpus[t].append(c)
            print("  %s pair %d: 1 thread %.2f s, 2 threads %.2f s, "
                  "ratio %.3f" % ("busy" if busy else "idle", i + 1,
                                  walls[1][-1], walls[2][-1],
                                  walls[2][-1] / walls[1][-1]),
                  file=sys.stderr, flush=True)
    finally:
        if spin:
            spin.kill()
            spin.wait()
    wr = [w2 / w1 for w1, w2 in zip(walls[1], walls[2])]
    cr = [c2 / c1 for c1, c2 in zip(cpus[1], cpus[2])]
    return ["busy" if busy else "idle", a.pairs, median(walls[1]),
            median(walls[2]), median(wr), "%.3f-%.3f" % (min(wr), max(wr)),
            "%.2fx" % (1 / median(wr)), median(cr),
            "%.1f" % os.getloadavg()[0]]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=9)
    p.add_argument("--quick", action="store_true", help="3 pairs")
    p.add_argument("--modes", default="idle,busy",
                   help="idle, busy or both (the other core spinning)")
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--defaults", action="store_true",
                   help="vae_fit's defaults but seed and threads "
                   "(--epochs unused)")
    p.add_argument("--sqlite3", default="sqlite3")
    p.add_argument("--no-save", action="store_true")
    a = p.parse_args(argv)
    if a.quick:
        a.pairs = 3
    modes = [m for m in a.modes.split(",") if m]
    if a.pairs < 1 or not modes or any(m not in ("idle", "busy")
                                       for m in modes):
        p.error("--pairs must be at least 1, --modes idle and/or busy")
    db = scale.database(a.rows)
    tmp = tempfile.mkdtemp(prefix="vae-threads-")
    try:
        sql = scripts(tmp, os.path.abspath(a.so), db, a.epochs, a.defaults)
        rows = [measure(a, sql, m == "busy") for m in modes]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rep = C.Report("threads")
    what = ("defaults" if a.defaults else "%d epochs" % a.epochs)
    rep.table("Threads: vae_fit of %d x 16 rows, %s, 2 threads "
              "against 1" % (a.rows, what),
              ["other core", "pairs", "1 thread wall s", "2 threads wall s",
               "2 over 1 (median)", "min-max", "speed-up",
               "CPU 2 over 1", "load"], rows,
              ["whole sqlite3 processes, 1 and 2 threads in turn after a "
               "warm-up run of each; busy: a process spins on one core",
               "the same bits on both (tests/sql/27_threads.sql)"])
    if not a.no_save:
        rep.save(preface="### Threads\n\n%s.\n\nCommand: `/usr/bin/python3 "
                 "bench/threads.py --pairs %d --modes %s --rows %d%s`"
                 % (C.machine_line(), a.pairs, a.modes, a.rows,
                    " --defaults" if a.defaults else
                    " --epochs %d" % a.epochs))


if __name__ == "__main__":
    main()
