# PRAGMA hard_heap_limit holds for vae_fit: core/ allocates through SQLite's
# allocator, so a fit whose network needs more than the limit fails cleanly
# with SQLITE_NOMEM (Python's MemoryError) and the process does not grow
# past the limit; the connection stays usable and the earlier model is
# kept. A fit that fits within the limit succeeds under it.
import os, sqlite3, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from vaetest import check, connect, note

LIMIT = 64 << 20


def status(key):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak():
    # Linux 4.0 on: writing 5 resets VmHWM to the current RSS.
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
        return True
    except OSError:
        return False


db = connect(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, c REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?, ?)',
               [(i * 0.1, (i % 7) * 1.0, None if i % 5 == 0 else (i % 11) * 0.5, 'uvw'[i % 3])
                for i in range(400)])
# First a small fit: OpenBLAS's own buffers (allocated once, outside any
# allocator a caller can give) are in place before anything is measured.
db.execute("""SELECT vae_fit('m', 't', '{"epochs": 2, "hidden": [8], "latent": 2}')""")
before = db.execute('SELECT fit_id FROM vae_models').fetchone()

db.execute('PRAGMA hard_heap_limit = %d' % LIMIT)
print('limit set:', db.execute('PRAGMA hard_heap_limit').fetchone()[0] == LIMIT)
have_peak = reset_peak()
rss0 = status('VmRSS')
try:
    # About 8.4 million parameters: parameters, gradients, Adam's two
    # moments and two snapshots take some 200 MB.
    db.execute("""SELECT vae_fit('m', 't', '{"epochs": 1, "hidden": [2048, 2048], "latent": 8, "batch": 16, "samples": 1}')""").fetchone()
    print('big fit: succeeded')
except MemoryError:
    print('big fit: SQLITE_NOMEM')
except sqlite3.Error as e:
    print('big fit:', type(e).__name__, e)
grown = status('VmHWM') - rss0
note('peak growth during the refused fit: %.1f MB (limit %d MB)' % (grown / 1e6, LIMIT >> 20))
check('the process grew by less than the limit', not have_peak or grown < LIMIT,
      '%.1f MB' % (grown / 1e6))
print('earlier model kept:', db.execute('SELECT fit_id FROM vae_models').fetchone() == before)

# A default-sized fit needs far less: it succeeds under the same limit.
r = db.execute("""SELECT json_extract(vae_fit('m2', 't', '{"epochs": 3}'), '$.rows')""").fetchone()
print('small fit under the limit:', r[0] is not None)
print('imputes:', db.execute("SELECT vae_impute('m2', 'c', 1.0, 2.0, NULL, 'u') IS NOT NULL").fetchone()[0] == 1)
db.execute('PRAGMA hard_heap_limit = 0')
