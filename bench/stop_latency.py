#!/usr/bin/python3
"""Stop latency: how late a `vae_fit` returns after `sqlite3_interrupt`,
interrupted at many moments of its run rather than one (the extension's
guest rule: within half a second; tests/sql/44_limits.py checks a few
moments, this finds the worst).

The fit is tests/sql/44_limits.py's wide one: a 200,000-row table of five
columns, read through a `max_rows` reservoir of 2,000 rows, two 2048-wide
layers (8.5 million parameters a member), so that reading the source,
making each member, allocating its buffers and training all take tenths of
a second. For each delay (seconds after the call began) a timer calls
`interrupt()` on the connection; the script prints how long after it the
call returned, and the worst.

    /usr/bin/python3 bench/stop_latency.py --so ./vae.so \
        --from 0.2 --to 1.6 --step 0.04

Under ASan: make build/asan/vae.so, then run it with that library's libasan
in LD_PRELOAD and ASAN_OPTIONS=detect_leaks=0. A benchmark, not a test:
the figures depend on the machine and its load.
"""

import argparse
import sqlite3
import threading
import time

import common as C

FIT = """SELECT vae_fit('w', 't', '{"epochs": 1000, "hidden": [2048, 2048],
    "batch": 16, "samples": 4, "impute_samples": 64, "max_rows": 2000}')"""


def table(db):
    db.execute("CREATE TABLE t (a REAL, b REAL, c REAL, d REAL, k TEXT)")
    db.executemany(
        "INSERT INTO t VALUES (?, ?, ?, ?, ?)",
        [(None if i % 5 == 0 else i * 0.001, (i % 7) * 1.0, (i % 13) * 0.5,
          None if i % 3 == 0 else i % 11, "uvwxyz"[i % 6])
         for i in range(200000)])


def late_after(db, delay):
    timer = threading.Timer(delay, db.interrupt)
    timer.start()
    t0 = time.monotonic()
    try:
        db.execute(FIT).fetchall()
        outcome = "finished before the interrupt"
    except sqlite3.Error as e:
        outcome = str(e)
    late = time.monotonic() - t0 - delay
    timer.cancel()
    return late, outcome


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--so", default=C.DEFAULT_SO)
    p.add_argument("--from", dest="lo", type=float, default=0.2)
    p.add_argument("--to", dest="hi", type=float, default=1.6)
    p.add_argument("--step", type=float, default=0.04)
    a = p.parse_args()
    db = C.open_vae(a.so)
    table(db)
    worst = (-1.0, 0.0)
    k = 0
    while a.lo + k * a.step <= a.hi + 1e-9:
        delay = a.lo + k * a.step
        late, outcome = late_after(db, delay)
        print("interrupt at %.2f s: returned %.3f s later (%s)"
              % (delay, late, outcome), flush=True)
        worst = max(worst, (late, delay))
        k += 1
        time.sleep(0.1)
    print("worst: %.3f s after the interrupt at %.2f s, of %d moments"
          % (worst[0], worst[1], k))


if __name__ == "__main__":
    main()
