"""sqlite_vae -- the vae SQLite extension, packaged for Python.

vae trains a variational autoencoder over the columns of a table and uses
it from SQL: vae_fit, vae_impute, vae_fill, vae_sample, vae_score, the vae
virtual table (see the README of the vae repository).

    import sqlite3, sqlite_vae
    db = sqlite3.connect("data.db")
    sqlite_vae.load(db)
    db.execute("SELECT vae_fit('m', 'patients')")

load(conn) loads the vae.so carried inside this package into a sqlite3 (or
apsw) connection; loadable_path() names that file, for other programs
(`.load` in the sqlite3 shell, load_extension elsewhere); __version__ is the
version of the extension, the same as SELECT vae_version().

Python's sqlite3 module can load extensions only when its Python was built
with that enabled (Debian's /usr/bin/python3 is; some builds, pyenv's default
for one, are not): load() then raises RuntimeError saying so.
"""
import os

from ._version import __version__

__all__ = ["load", "loadable_path", "__version__"]


def loadable_path():
    """The path of vae.so inside this package (a str)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vae.so")
    if not os.path.isfile(path):
        raise FileNotFoundError("sqlite_vae: %s is missing; reinstall the package "
                                "(pip install builds it)" % path)
    return path


def load(conn):
    """Loads vae into conn, a sqlite3.Connection (or an apsw.Connection).

    Extension loading is switched on for the call and off again after it,
    so that SQL run later on conn cannot load other extensions.
    """
    path = loadable_path()
    if hasattr(conn, "loadextension"):  # apsw
        conn.enableloadextension(True)
        try:
            conn.loadextension(path)
        finally:
            conn.enableloadextension(False)
        return
    if not hasattr(conn, "enable_load_extension"):
        raise RuntimeError(
            "sqlite_vae.load: this Python's sqlite3 module cannot load extensions "
            "(it was built without them); use a Python that can, such as Debian's "
            "/usr/bin/python3, or load %s with another SQLite binding" % path)
    conn.enable_load_extension(True)
    try:
        conn.load_extension(path)
    finally:
        conn.enable_load_extension(False)
