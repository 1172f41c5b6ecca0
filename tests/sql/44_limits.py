# Limits that hold against a crafted model and a wide network:
# - inference work is capped (importance samples x widest layer, and
#   multiply-adds per row) and checked when a model is loaded: a model
#   whose blob asks for 1,000,000 samples is refused at once with an error
#   naming the limit, not run for seconds with gigabytes;
# - a fit asking for more than the caps is refused with a message;
# - sqlite3_interrupt stops, within 0.5 s, a fit with wide layers,
#   vae_fidelity (1,000,000 synthetic rows), vae_fill and a scan of a
#   source= table over 200,000 rows with a wide network (each measured
#   twice, the better kept: the machine may be busy).
import os, sqlite3, struct, sys, threading, time, zlib
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note

db = connect(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, c REAL, d REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?, ?, ?)',
               [(None if i % 5 == 0 else i * 0.001, (i % 7) * 1.0, (i % 13) * 0.5,
                 None if i % 3 == 0 else i % 11, 'uvwxyz'[i % 6]) for i in range(200000)])
db.execute("""SELECT vae_fit('m', 't', '{"epochs": 1, "max_rows": 2000, "seed": 1}')""")

# A crafted blob: impute_samples (the u32 after latent, nhidden, the hidden
# widths, epochs, batch and samples) set to 1,000,000, the CRC made good.
# The config starts after "VAEM", the u32 version and, from version 5 on,
# the writer string (u32 length and bytes).
blob = bytearray(db.execute("SELECT model FROM vae_models WHERE name = 'm'").fetchone()[0])
at = 8
if struct.unpack_from('<I', blob, 4)[0] >= 5:
    at += 4 + struct.unpack_from('<I', blob, 8)[0]
nhidden = struct.unpack_from('<I', blob, at + 4)[0]
at += 8 + 4 * nhidden + 12
print('blob holds the default impute_samples:', struct.unpack_from('<I', blob, at)[0] == 256)
struct.pack_into('<I', blob, at, 1000000)
struct.pack_into('<I', blob, len(blob) - 4, zlib.crc32(bytes(blob[:-4])) & 0xffffffff)
db.execute("INSERT INTO vae_models(name, source, columns, options, report, model, fit_id, created) "
           "SELECT 'crafted', source, columns, options, report, ?, 7, created FROM vae_models "
           "WHERE name = 'm'", (bytes(blob),))
t0 = time.time()
try:
    db.execute("SELECT vae_impute('crafted', 'a', NULL, 1, 2, 3, 'u')").fetchone()
    print('crafted model: used')
except sqlite3.Error as e:
    print('crafted model:', e)
check('refused at once', time.time() - t0 < 1.0, '%.2f s' % (time.time() - t0))

for opts in ('{"epochs": 1, "max_rows": 500, "hidden": [512], "impute_samples": 100000}',
             '{"epochs": 1, "max_rows": 500, "hidden": [4096, 4096], "impute_samples": 16}'):
    try:
        db.execute("SELECT vae_fit('w', 't', ?)", (opts,)).fetchone()
        print('fit: succeeded')
    except sqlite3.Error as e:
        print('fit:', e)


def stop_latency(sql, delay, tries=2):
    best = None
    for _ in range(tries):
        timer = threading.Timer(delay, db.interrupt)
        timer.start()
        t0 = time.time()
        try:
            db.execute(sql).fetchall()
            outcome = 'finished before the interrupt'
        except sqlite3.Error as e:
            outcome = str(e)
        late = time.time() - t0 - delay
        timer.cancel()
        time.sleep(0.1)
        best = late if best is None else min(best, late)
    return outcome, best


db.execute("""SELECT vae_fit('w2', 't', '{"epochs": 1, "hidden": [1024, 1024], "max_rows": 300,
           "batch": 16, "samples": 2, "seed": 1}')""")
db.execute('CREATE VIRTUAL TABLE f USING vae(w2, source=t)')
db.execute('CREATE TABLE u AS SELECT * FROM t')
for label, sql, delay in (
        ('fit with layers 2048 wide',
         """SELECT vae_fit('w3', 't', '{"epochs": 1000, "hidden": [2048, 2048], "batch": 16,
            "samples": 4, "impute_samples": 64, "max_rows": 2000}')""", 1.5),
        ('vae_fidelity', """SELECT vae_fidelity('w2', 't', '{"rows": 1000000}')""", 0.6),
        ('vae_fill', "SELECT vae_fill('w2', 'u')", 0.6),
        ('source= scan', 'SELECT count(*), sum(a) FROM f WHERE draw = 1', 0.6)):
    outcome, late = stop_latency(sql, delay)
    note('%s: stopped %.3f s after sqlite3_interrupt' % (label, late))
    print('%s: %s' % (label, outcome))
    check('%s stops within 0.5 s' % label, late < 0.5, '%.2f s' % late)
    # No statement runs on an interrupted connection until the interrupted
    # one ends, ROLLBACK TO among them: vae_fill once left its savepoint's
    # transaction open, holding the rows it had filled.
    print('%s leaves no transaction open: %s' % (label, not db.in_transaction))
print('nothing filled:', db.execute('SELECT count(*) FROM u WHERE a IS NULL').fetchone()[0] == 40000)

# Early in a fit of a wide network: the member's parameters and the
# optimizer's buffers are allocated and zeroed (half a gigabyte here, most
# of a second), and the fit once looked for a stop only after them (0.6 s
# late; 1.1 s under ASan). Once: a second fit reuses the first's freed
# pages and allocates faster.
outcome, late = stop_latency("""SELECT vae_fit('w3', 't', '{"epochs": 1000, "hidden": [2048, 2048],
    "batch": 16, "samples": 4, "impute_samples": 64, "max_rows": 2000}')""", 0.5, tries=1)
note('fit with layers 2048 wide, while it allocates: stopped %.3f s after sqlite3_interrupt' % late)
print('fit with layers 2048 wide, while it allocates: %s' % outcome)
check('fit with layers 2048 wide, while it allocates, stops within 0.5 s', late < 0.5,
      '%.2f s' % late)

# Inside a transaction the host began, an interrupted vae_fill rolls the
# whole transaction back, as an interrupted UPDATE of the host's would.
db.execute('CREATE TABLE log (x)')
db.execute('BEGIN')
db.execute('INSERT INTO log VALUES (1)')
outcome, late = stop_latency("SELECT vae_fill('w2', 'u')", 0.6)
print('vae_fill in a transaction: %s; open: %s, log rows: %d, nothing filled: %s' % (
    outcome, db.in_transaction, db.execute('SELECT count(*) FROM log').fetchone()[0],
    db.execute('SELECT count(*) FROM u WHERE a IS NULL').fetchone()[0] == 40000))
