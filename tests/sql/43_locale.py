# Number text does not depend on the host's locale: with LC_NUMERIC set to
# a decimal-comma locale (de_DE.UTF-8, which make test builds in
# build/locale), reports and sampled rows are valid JSON with '.' decimals,
# and a numeric cell given as the text '2.5' reads as 2.5. The extension
# reads and writes numbers in the "C" locale of the calling thread
# (uselocale), never through localeconv or anything process-wide.
import json, locale, os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'lib'))
from vaetest import check, connect

os.environ['LOCPATH'] = os.path.join(here, '..', '..', 'build', 'locale')
try:
    locale.setlocale(locale.LC_NUMERIC, 'de_DE.UTF-8')
    print('decimal comma in effect:', locale.localeconv()['decimal_point'] == ',')
except locale.Error:
    print('no de_DE.UTF-8 locale: run make test (it builds one in build/locale)')

db = connect(sys.argv[1])
db.execute('CREATE TABLE t (a REAL, b REAL, k TEXT)')
db.executemany('INSERT INTO t VALUES (?, ?, ?)',
               [(None if i % 7 == 0 else i * 0.37, (i % 11) * 0.5 + 0.25, 'xyz'[i % 3])
                for i in range(300)])
rep = db.execute("""SELECT vae_fit('m', 't', '{"epochs": 3, "lr": 0.0025, "seed": 3}')""").fetchone()[0]
try:
    r = json.loads(rep)
    print('report is JSON, with decimals:', isinstance(r['seconds'], float))
    opts = json.loads(db.execute('SELECT options FROM vae_models').fetchone()[0])
    print('stored options: lr reads back:', opts['lr'] == 0.0025)
except (ValueError, KeyError) as e:
    print('report or options not JSON:', e, rep[:200])
rows = [json.loads(v) for (v,) in db.execute("SELECT value FROM vae_sample('m', 20, 1)")]
check('sampled rows are JSON with numbers', all(isinstance(x['a'], (int, float)) for x in rows))
same = db.execute("SELECT vae_impute('m', 'a', NULL, '2.75', 'x') = vae_impute('m', 'a', NULL, 2.75, 'x')").fetchone()[0]
print("text '2.75' reads as 2.75:", same == 1)
print("text '2,75' is refused:", end=' ')
try:
    db.execute("SELECT vae_impute('m', 'a', NULL, '2,75', 'x')").fetchone()
    print(False)
except Exception as e:
    print(True)
locale.setlocale(locale.LC_NUMERIC, 'C')
