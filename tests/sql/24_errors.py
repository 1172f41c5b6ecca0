# Errors of the functions and of the vae virtual table on a titanic model:
# an unknown column, an unknown category, a virtual table over a model that
# does not exist or that was dropped. Each gives the extension's exact
# message; nothing is created or written on error; a dropped model that is
# fitted again is picked up by the existing table.
#
# Run by sql_run.sh with the path of vae.so; the output (stdout and stderr)
# must equal 24_errors.expected.
import csv, os, sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))

db = sqlite3.connect(':memory:', isolation_level=None)
db.enable_load_extension(True)
db.load_extension(sys.argv[1])


def run(sql, *args):
    """Prints the first row of sql, or its error."""
    try:
        row = db.execute(sql, args).fetchone()
        print('ok:', row)
    except sqlite3.Error as e:
        print('error:', e)


def models():
    return db.execute('SELECT name, fit_id, report, model FROM vae_models ORDER BY name').fetchall()


def tables():
    return db.execute("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master "
                      "ORDER BY name)").fetchone()[0]


with open(os.path.join(HERE, '..', 'data', 'titanic.csv'), newline='') as f:
    rd = csv.reader(f)
    next(rd)
    rows = [[r[0], r[1], float(r[2]) if r[2] != '' else None, r[3]] for r in rd]
db.execute('CREATE TABLE titanic (survived TEXT, sex TEXT, age REAL, passengerClass TEXT)')
db.executemany('INSERT INTO titanic VALUES (?, ?, ?, ?)', rows)
FIT = """SELECT vae_fit('m', 'titanic', '{"seed": 1, "hidden": [8], "epochs": 3}') IS NOT NULL"""
run(FIT)
before = models()

print('-- unknown column')
run("SELECT vae_impute('m', 'fare', 'yes', 'female', 30, '1st')")
run("SELECT vae_impute('m', 'fare', json_object('sex', 'female'))")
run("SELECT vae_impute('m', 'age', json_object('sex', 'female', 'fare', 7.25))")
run("SELECT vae_impute('m', 'Age', json_object('SEX', 'female')) IS NOT NULL")
run("""SELECT vae_fit('m2', 'titanic', '{"columns": ["sex", "fare"]}')""")
run("""SELECT vae_fit('m2', 'titanic', '{"types": {"fare": "real"}}')""")
run("SELECT vae_fit('m2', 'SELECT sex, fare FROM titanic')")
run("""SELECT vae_fit('m', 'SELECT survived, sex, passengerClass FROM titanic',
                      '{"warm_start": true}')""")
db.execute('CREATE VIRTUAL TABLE s USING vae(m)')
run('SELECT * FROM s WHERE fare = 1 LIMIT 1')

print('-- unknown category')
run("SELECT vae_impute('m', 'age', 'yes', 'child', NULL, '1st')")
run("SELECT vae_impute('m', 'age', json_object('passengerClass', '4th'))")
run("SELECT vae_impute('m', 'sex', 'perhaps', NULL, 30, '1st')")
run("SELECT vae_score('m', 'yes', 'female', 30, 'crew')")
run("SELECT vae_impute('m', 'age', 'yes', 'Female', NULL, '1st')")
run("""SELECT vae_fit('m', 'SELECT survived, ''child'' AS sex, age, passengerClass FROM titanic',
                      '{"warm_start": true}')""")
print('generated rows for a category the model never saw: an error naming the known ones')
run("SELECT count(*) FROM (SELECT * FROM s WHERE sex = 'child' LIMIT 5)")
db.execute("CREATE TABLE u AS SELECT * FROM titanic LIMIT 3")
db.execute("UPDATE u SET passengerClass = 'crew' WHERE rowid = 2")
db.execute('CREATE VIRTUAL TABLE fu USING vae(m, source=u)')
run('SELECT count(*) FROM fu')
run('SELECT * FROM fu WHERE rowid = 1 AND age IS NOT NULL')
db.execute("UPDATE u SET passengerClass = '2nd' WHERE rowid = 2")
run('SELECT count(*) FROM fu')
print('models unchanged:', models() == before)

print('-- a virtual table over a missing model')
run('CREATE VIRTUAL TABLE g USING vae(nosuch)')
run('CREATE VIRTUAL TABLE g USING vae(nosuch, source=titanic)')
run('CREATE VIRTUAL TABLE g USING vae(m, source=nosuch)')
print('tables:', tables())
run("SELECT * FROM vae_sample('nosuch', 3)")
run("SELECT vae_impute('nosuch', 'age', json_object('sex', 'male'))")
print('-- the model dropped under an existing table, then fitted again')
run('SELECT count(*) FROM (SELECT * FROM s LIMIT 5)')
db.execute("DELETE FROM vae_models WHERE name = 'm'")
run('SELECT count(*) FROM (SELECT * FROM s LIMIT 5)')
run('SELECT count(*) FROM fu')
run("SELECT vae_impute('m', 'age', json_object('sex', 'male'))")
run(FIT)
run('SELECT count(*) FROM (SELECT * FROM s LIMIT 5)')
print('tables:', tables())
