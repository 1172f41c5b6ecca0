"""What the Python SQL tests (tests/sql/2x_*.py) share: a connection with
vae.so loaded, and output that stays equal to the .expected files: pass/fail
lines on stdout, measured figures on stderr only with VAE_TEST_VERBOSE=1."""
import os
import sqlite3
import sys

VERBOSE = os.environ.get('VAE_TEST_VERBOSE') == '1'
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data')


def note(*a):
    if VERBOSE:
        print(*a, file=sys.stderr)


def check(label, ok, detail=''):
    print('%s: %s%s' % (label, bool(ok), '' if ok else '  [%s]' % detail))


def connect(so):
    """An in-memory database in autocommit mode with the extension loaded."""
    db = sqlite3.connect(':memory:', isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(so)
    return db
