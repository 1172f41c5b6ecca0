#!/usr/bin/env python3
"""Pictures of a vae model, read from the database that holds it.

    python3 samples/plot.py DATABASE [MODEL] [options]

Draws two PNG files:
  loss.png     training and validation loss per epoch (the negative bound per
               row, from the fit report), with the best epoch marked;
  columns.png  per column, the real distribution against the synthetic one
               (histograms for numbers, bars for categories), titled with
               the column's held-out imputation error from the report and its
               shape score from vae_fidelity.

MODEL defaults to the newest model in vae_models. The real rows are those of
the model's source (as recorded in vae_models) unless --source gives a table
or SELECT; the synthetic rows come from vae_sample.

Options:
  --ext PATH     the extension to load (default ./vae; `vae` after make install)
  --source SRC   a table name or SELECT for the real rows
  --rows N       synthetic rows to draw (default 2000)
  --seed S       their seed (default 0)
  --out DIR      where to write the PNG files (default .)

Needs matplotlib (Debian: apt-get install python3-matplotlib) and a Python
whose sqlite3 module can load extensions (Debian's python3).
"""
import argparse
import json
import math
import os
import sqlite3
import sys

try:
    import matplotlib
    matplotlib.use('Agg')  # files only, no display needed
    import matplotlib.pyplot as plt
    import numpy as np
except ImportError:
    sys.exit('plot.py needs matplotlib: apt-get install python3-matplotlib')

REAL_COLOR = '#4c72b0'
SYNTH_COLOR = '#dd8452'


def quote(name):
    return '"%s"' % name.replace('"', '""')


def load_model(db, name):
    sql = ('SELECT name, source, columns, report FROM vae_models '
           + ('WHERE name = ?' if name else 'ORDER BY created DESC, rowid DESC LIMIT 1'))
    row = db.execute(sql, (name,) if name else ()).fetchone()
    if row is None:
        sys.exit('plot.py: no model %s in this database' % (repr(name) if name else 'at all'))
    return row[0], row[1], json.loads(row[2]), json.loads(row[3])


def plot_loss(report, name, path):
    train, val = report.get('train_loss') or [], report.get('val_loss') or []
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=100, layout='constrained')
    epochs = range(1, len(train) + 1)
    ax.plot(epochs, train, color=REAL_COLOR, label='training')
    if any(v is not None for v in val):
        ax.plot(range(1, len(val) + 1), [math.nan if v is None else v for v in val],
                color=SYNTH_COLOR, label='validation (held-out rows)')
    best = report.get('best_epoch')
    if best:
        ax.axvline(best, color='grey', linestyle=':', linewidth=1)
        ax.annotate('best epoch %d (kept)' % best, (best, 0), xycoords=('data', 'axes fraction'),
                    xytext=(3, 4), textcoords='offset points', fontsize=8, color='grey')
    ax.set_xlabel('epoch')
    ax.set_ylabel('loss (negative bound per row)')
    ax.set_title("model '%s': %d training rows, %d held out; %d epochs, %.2f s"
                 % (name, report.get('rows_train', report.get('rows', 0)),
                    report.get('rows_holdout', 0), len(train), report.get('seconds', 0)),
                 fontsize=10)
    ax.legend(frameon=False, fontsize=9, loc='upper right')
    ax.grid(alpha=0.3)
    fig.savefig(path)
    plt.close(fig)


def column_title(col, report, fidelity):
    err = (report.get('holdout_error') or {}).get(col['name'])
    numeric = col['kind'] in ('real', 'integer')
    lines = [col['name'] + (' (log scale)' if col.get('log') else '')]
    parts = []
    # RMSE / sd for numbers, error rate for categories; n/a when the held-out
    # rows had no hidden cell in this column.
    what = 'imputation error' if numeric else 'imputation error rate'
    parts.append(what + (' %.2f' % err if err is not None else ' n/a'))
    shape = (fidelity.get('shape') or {}).get(col['name'])
    if shape is not None:
        parts.append('shape %.2f' % shape)
    lines.append(', '.join(parts))
    return '\n'.join(lines)


def plot_columns(db, name, cols, report, source, nrows, seed, path):
    names = [c['name'] for c in cols]
    if source.lstrip().upper().startswith(('SELECT', 'WITH')):
        src_sql = source
    else:
        src_sql = 'SELECT * FROM ' + quote(source)
    real = db.execute('SELECT %s FROM (%s)' % (', '.join(map(quote, names)), src_sql)).fetchall()
    synth = [json.loads(v) for (v,) in
             db.execute('SELECT value FROM vae_sample(?, ?, ?)', (name, nrows, seed))]
    fidelity = json.loads(db.execute('SELECT vae_fidelity(?, ?, ?)',
                                     (name, source, json.dumps({'seed': seed}))).fetchone()[0])

    ncol = min(len(cols), 5)
    nrow = math.ceil(len(cols) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.6 * ncol, 2.2 * nrow + 0.3), dpi=90,
                             squeeze=False, layout='constrained')
    for j, col in enumerate(cols):
        ax = axes[j // ncol][j % ncol]
        a = [r[j] for r in real if r[j] is not None]
        b = [r[col['name']] for r in synth if r[col['name']] is not None]
        if col['kind'] in ('real', 'integer'):
            a = np.array(a, dtype=float)
            b = np.array(b, dtype=float)
            both = np.concatenate([a, b])
            lo, hi = both.min(), both.max()
            nbins = int(min(30, max(6, round(2 * len(a) ** (1 / 3)))))  # Rice's rule
            if col.get('log') and lo > 0:
                bins = np.geomspace(lo, hi, nbins + 1)
                ax.set_xscale('log')
            elif col['kind'] == 'integer' and hi - lo <= 30:
                bins = np.arange(lo - 0.5, hi + 1.5)
            else:
                bins = np.linspace(lo, hi if hi > lo else lo + 1, nbins + 1)
            # Heights are shares of the rows, so both samples compare whatever
            # their sizes (and log-scale bins are not distorted by their widths).
            ax.hist(a, bins=bins, weights=np.full(len(a), 1 / max(len(a), 1)), alpha=0.55,
                    color=REAL_COLOR, label='real')
            ax.hist(b, bins=bins, weights=np.full(len(b), 1 / max(len(b), 1)), histtype='step',
                    linewidth=1.6, color=SYNTH_COLOR, label='synthetic')
            ax.set_ylabel('share', fontsize=7)
        else:
            levels = sorted(set(map(str, a)) | set(map(str, b)))
            x = np.arange(len(levels))
            pa = [sum(1 for v in a if str(v) == l) / max(len(a), 1) for l in levels]
            pb = [sum(1 for v in b if str(v) == l) / max(len(b), 1) for l in levels]
            ax.bar(x, pa, 0.6, color=REAL_COLOR, alpha=0.55, label='real')
            ax.bar(x, pb, 0.6, fill=False, edgecolor=SYNTH_COLOR, linewidth=1.6, label='synthetic')
            ax.set_xticks(x)
            ax.set_xticklabels(levels, fontsize=7, rotation=30 if len(levels) > 3 else 0)
            ax.set_ylabel('share', fontsize=7)
        ax.tick_params(labelsize=7)
        ax.set_title(column_title(col, report, fidelity), fontsize=8)
    for k in range(len(cols), nrow * ncol):
        axes[k // ncol][k % ncol].axis('off')
    fig.suptitle("model '%s': real rows (%d, filled) against synthetic rows (%d, outline); "
                 "overall fidelity %.2f" % (name, len(real), len(synth), fidelity.get('overall') or 0),
                 x=0.01, ha='left', fontsize=10)
    fig.savefig(path)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('database')
    ap.add_argument('model', nargs='?')
    ap.add_argument('--ext', default='./vae')
    ap.add_argument('--source')
    ap.add_argument('--rows', type=int, default=2000)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--out', default='.')
    args = ap.parse_args()

    if not os.path.exists(args.database):
        sys.exit('plot.py: no database %s' % args.database)
    db = sqlite3.connect(args.database)
    if not hasattr(db, 'enable_load_extension'):
        sys.exit('plot.py: this Python cannot load SQLite extensions (try /usr/bin/python3)')
    db.enable_load_extension(True)
    db.load_extension(args.ext)
    db.enable_load_extension(False)
    name, source, cols, report = load_model(db, args.model)
    os.makedirs(args.out, exist_ok=True)
    loss = os.path.join(args.out, 'loss.png')
    plot_loss(report, name, loss)
    print('wrote', loss)
    columns = os.path.join(args.out, 'columns.png')
    plot_columns(db, name, cols, report, args.source or source, args.rows, args.seed, columns)
    print('wrote', columns)
    db.close()


if __name__ == '__main__':
    main()
