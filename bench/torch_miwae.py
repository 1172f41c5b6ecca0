"""A MIWAE in PyTorch with the vae's architecture: the reference imputer of
bench/impute.py and the peer of bench/speed.py.

Same network and objective as core/ (see core/objective.c):
  encoder  [standardized values | one-hot levels, 0 where missing ; mask]
           -> tanh(64) -> tanh(64) -> mu | logvar (logvar clamped [-12, 8])
  decoder  z -> tanh(64) -> tanh(64) -> per numeric column a mean, per
           categorical column the logits of its levels; one learned
           log-variance per numeric column (variance = exp(.) + 1e-3)
  bound    logsumexp_k [log p(x_obs | z_k) + log p(z_k) - log q(z_k | x)]
           - log K, over the observed cells only, K samples per row
  Adam (lr 0.002), batch 64, float32, Glorot-uniform weights, zero biases.
Imputation: self-normalized importance sampling with S samples per row
(conditional mean for numeric cells, most probable level for categorical).

What core/ does and this does not: log-scale modelling of strongly skewed
positive columns, rounding integer columns, clamping to the observed range.
"""

import math
import time

import numpy as np
import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)
VAR_FLOOR = 1e-3


def default_latent(x_width):
    return min(16, max(2, x_width // 2))


class Encoded:
    """A Table's rows as tensors: xs (standardized numeric values and level
    indexes, 0 where missing), obs (1 = observed) and the layout."""

    def __init__(self, kinds, levels, X, stats=None):
        self.kinds = kinds
        p = len(kinds)
        self.num = [j for j in range(p) if kinds[j] == "num"]
        self.cat = [j for j in range(p) if kinds[j] == "cat"]
        widths = [1 if k == "num" else len(levels[j])
                  for j, k in enumerate(kinds)]
        self.off = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(int)
        self.widths = widths
        self.x_width = int(sum(widths))
        if stats is None:
            mu = np.nanmean(X, axis=0)
            sd = np.nanstd(X, axis=0, ddof=1) if len(X) > 1 else np.ones(p)
            sd = np.where(sd > 0, sd, 1.0)
            mu[self.cat] = 0.0
            sd[self.cat] = 1.0
            stats = (mu, sd)
        self.stats = stats
        self.lo = np.nanmin(X, axis=0)
        self.hi = np.nanmax(X, axis=0)

    def tensors(self, X):
        mu, sd = self.stats
        obs = ~np.isnan(X)
        xs = np.where(obs, (np.nan_to_num(X) - mu) / sd, 0.0)
        return (torch.tensor(xs, dtype=torch.float32),
                torch.tensor(obs, dtype=torch.float32))


class MIWAE(nn.Module):
    def __init__(self, enc, hidden=(64, 64), latent=None):
        super().__init__()
        self.e = enc
        self.d = latent or default_latent(enc.x_width)
        p = len(enc.kinds)
        enc_in = enc.x_width + p
        layers, prev = [], enc_in
        for h in hidden:
            layers += [nn.Linear(prev, h), nn.Tanh()]
            prev = h
        layers.append(nn.Linear(prev, 2 * self.d))
        self.encoder = nn.Sequential(*layers)
        layers, prev = [], self.d
        for h in reversed(hidden):
            layers += [nn.Linear(prev, h), nn.Tanh()]
            prev = h
        layers.append(nn.Linear(prev, enc.x_width))
        self.decoder = nn.Sequential(*layers)
        self.logvar = nn.Parameter(torch.zeros(len(enc.num)))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        # index tensors for the log-likelihood
        self.num_idx = torch.tensor(enc.num, dtype=torch.long)
        self.num_off = torch.tensor([enc.off[j] for j in enc.num],
                                    dtype=torch.long)
        self.cat_spans = [(j, int(enc.off[j]), int(enc.widths[j]))
                          for j in enc.cat]

    def encoder_input(self, xs, vis):
        """[values | one-hot] with zeros where not visible, then vis."""
        B = xs.shape[0]
        inp = torch.zeros(B, self.e.x_width + xs.shape[1])
        if len(self.e.num):
            inp[:, self.num_off] = xs[:, self.num_idx] * vis[:, self.num_idx]
        for j, a, L in self.cat_spans:
            lv = xs[:, j].long().clamp(0, L - 1)
            inp[torch.arange(B), a + lv] = vis[:, j]
        inp[:, self.e.x_width:] = vis
        return inp

    def log_weights(self, xs, obs, vis, K):
        """(B, K) log importance weights and the decoder output (B, K, W)."""
        B = xs.shape[0]
        stats = self.encoder(self.encoder_input(xs, vis))
        mu, lv = stats[:, :self.d], stats[:, self.d:].clamp(-12.0, 8.0)
        eps = torch.randn(B, K, self.d)
        z = mu[:, None, :] + torch.exp(0.5 * lv)[:, None, :] * eps
        out = self.decoder(z.reshape(B * K, self.d)).reshape(B, K, -1)
        ll = torch.zeros(B, K)
        if len(self.e.num):
            var = torch.exp(self.logvar) + VAR_FLOOR
            diff = xs[:, None, self.num_idx] - out[:, :, self.num_off]
            cell = -0.5 * (LOG_2PI + torch.log(var) + diff * diff / var)
            ll = ll + (cell * obs[:, None, self.num_idx]).sum(-1)
        for j, a, L in self.cat_spans:
            logp = torch.log_softmax(out[:, :, a:a + L], dim=-1)
            lv_idx = xs[:, j].long().clamp(0, L - 1)
            pick = logp.gather(-1, lv_idx[:, None, None].expand(B, K, 1))
            ll = ll + pick[..., 0] * obs[:, None, j]
        log_ratio = -0.5 * (z * z).sum(-1) + 0.5 * ((eps * eps).sum(-1)
                                                     + lv.sum(-1)[:, None])
        return ll + log_ratio, out

    def loss(self, xs, obs, vis, K):
        lw, _ = self.log_weights(xs, obs, vis, K)
        return -(torch.logsumexp(lw, dim=1) - math.log(K)).mean()


def train(model, xs, obs, epochs, batch=64, K=16, lr=0.002, mask_rate=0.0,
          holdout=0.0, patience=30, seed=0):
    """Mini-batch Adam; with holdout > 0, early stopping on the held-out
    bound (the best epoch's parameters are kept). Returns (epochs run,
    training seconds)."""
    g = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n = xs.shape[0]
    idx = g.permutation(n)
    n_hold = int(math.floor(n * holdout))
    if n_hold >= n:
        n_hold = n - 1
    tr, ho = idx[:n - n_hold], idx[n - n_hold:]
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.999),
                           eps=1e-8)
    best, best_state, since = float("inf"), None, 0
    t0 = time.perf_counter()
    ep = 0
    for ep in range(1, epochs + 1):
        order = torch.tensor(g.permutation(tr))
        for at in range(0, len(order), batch):
            b = order[at:at + batch]
            xb, ob = xs[b], obs[b]
            vb = ob
            if mask_rate > 0:
                vb = ob * (torch.rand(ob.shape) >= mask_rate).float()
            opt.zero_grad(set_to_none=True)
            model.loss(xb, ob, vb, K).backward()
            opt.step()
        if n_hold > 0:
            with torch.no_grad():
                state = torch.get_rng_state()
                torch.manual_seed(seed + 0xA1)
                h = torch.tensor(ho)
                val = float(model.loss(xs[h], obs[h], obs[h], K))
                torch.set_rng_state(state)
            if val < best:
                best, since = val, 0
                best_state = {k: v.clone()
                              for k, v in model.state_dict().items()}
            else:
                since += 1
                if since >= patience:
                    break
    secs = time.perf_counter() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    return ep, secs


@torch.no_grad()
def impute(model, xs, obs, S=256, chunk=32):
    """Importance-sampling estimate of every missing cell, in the encoded
    scale (standardized numeric values, level indexes)."""
    e = model.e
    out_all = xs.clone()
    for at in range(0, xs.shape[0], chunk):
        xb, ob = xs[at:at + chunk], obs[at:at + chunk]
        lw, out = model.log_weights(xb, ob, ob, S)
        w = torch.softmax(lw, dim=1)                    # (B, S)
        res = xb.clone()
        if len(e.num):
            m = (w[:, :, None] * out[:, :, model.num_off]).sum(1)
            res[:, model.num_idx] = torch.where(ob[:, model.num_idx] > 0,
                                                xb[:, model.num_idx], m)
        for j, a, L in model.cat_spans:
            pr = (w[:, :, None] * torch.softmax(out[:, :, a:a + L], -1)).sum(1)
            res[:, j] = torch.where(ob[:, j] > 0, xb[:, j],
                                    pr.argmax(-1).float())
        out_all[at:at + chunk] = res
    return out_all


@torch.no_grad()
def sample(model, n, chunk=256):
    """n rows from the prior, each cell drawn from p(x | z)."""
    e = model.e
    rows = []
    sd = torch.sqrt(torch.exp(model.logvar) + VAR_FLOOR)
    for at in range(0, n, chunk):
        B = min(chunk, n - at)
        out = model.decoder(torch.randn(B, model.d))
        x = torch.empty(B, len(e.kinds))
        if len(e.num):
            x[:, model.num_idx] = out[:, model.num_off] + \
                sd * torch.randn(B, len(e.num))
        for j, a, L in model.cat_spans:
            x[:, j] = torch.multinomial(torch.softmax(out[:, a:a + L], -1),
                                        1)[:, 0].float()
        rows.append(x)
    return torch.cat(rows)


def decode_values(enc, xs):
    """Encoded scale back to data units (numeric unstandardized)."""
    mu, sd = enc.stats
    X = xs.numpy().astype(float)
    X[:, enc.num] = X[:, enc.num] * sd[enc.num] + mu[enc.num]
    return X


def fit_impute(table_X, kinds, levels, seed, epochs=500, holdout=0.1,
               patience=30, K=16, S=256, mask_rate=0.0):
    """The reference imputer: trains with early stopping, then imputes
    every NaN of table_X. Returns the completed matrix."""
    torch.manual_seed(seed)
    enc = Encoded(kinds, levels, table_X)
    xs, obs = enc.tensors(table_X)
    model = MIWAE(enc)
    train(model, xs, obs, epochs=epochs, K=K, holdout=holdout,
          patience=patience, seed=seed, mask_rate=mask_rate)
    torch.manual_seed(seed + 1)
    return decode_values(enc, impute(model, xs, obs, S=S))
