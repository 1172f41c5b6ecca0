"""A TVAE-style synthesizer in PyTorch (Xu et al., "Modeling Tabular Data
using Conditional GAN", NeurIPS 2019: the TVAE baseline), written for this
benchmark from the paper's description:

  - mode-specific normalization of numeric columns: a variational Gaussian
    mixture (up to 10 modes, modes with weight < 0.005 dropped) per column;
    a value becomes its mode (one-hot, drawn from the posterior over modes)
    and alpha = (x - mean_mode) / (4 sd_mode), clipped to [-0.99, 0.99];
  - categorical columns one-hot;
  - encoder and decoder with two ReLU layers of 128, a 128-dim latent;
  - loss = 2 x (Gaussian error of the alphas with one learned sigma per
    output, cross-entropy of every one-hot block) + KL, per row;
  - Adam (lr 1e-3, weight decay 1e-5), batch 500, 300 epochs;
  - sampling: z ~ N(0, I); alpha = tanh(output) plus noise of its sigma;
    modes and levels by argmax.
"""

import numpy as np
import torch
from torch import nn
from sklearn.mixture import BayesianGaussianMixture


class Transformer:
    def __init__(self, kinds, levels, X, seed):
        self.kinds, self.levels = kinds, levels
        self.rng = np.random.default_rng(seed)
        self.gmm = {}
        self.blocks = []   # per column: list of (kind, start, width)
        at = 0
        for j, k in enumerate(kinds):
            if k == "num":
                x = X[:, j:j + 1]
                g = BayesianGaussianMixture(
                    n_components=min(10, len(np.unique(x))),
                    weight_concentration_prior_type="dirichlet_process",
                    weight_concentration_prior=0.001, max_iter=100,
                    random_state=seed).fit(x)
                keep = np.flatnonzero(g.weights_ > 0.005)
                if len(keep) == 0:
                    keep = np.array([int(np.argmax(g.weights_))])
                self.gmm[j] = (g, keep)
                self.blocks.append([("alpha", at, 1),
                                    ("softmax", at + 1, len(keep))])
                at += 1 + len(keep)
            else:
                L = len(levels[j])
                self.blocks.append([("softmax", at, L)])
                at += L
        self.width = at

    def _mode_stats(self, j):
        g, keep = self.gmm[j]
        mu = g.means_[keep, 0]
        sd = np.sqrt(g.covariances_[keep].reshape(len(keep), -1)[:, 0])
        return g, keep, mu, sd

    def encode(self, X):
        n = len(X)
        out = np.zeros((n, self.width), dtype=np.float32)
        for j, k in enumerate(self.kinds):
            if k == "num":
                g, keep, mu, sd = self._mode_stats(j)
                pr = g.predict_proba(X[:, j:j + 1])[:, keep] + 1e-6
                pr /= pr.sum(1, keepdims=True)
                u = self.rng.random((n, 1))
                mode = np.minimum((pr.cumsum(1) < u).sum(1), len(keep) - 1)
                alpha = (X[:, j] - mu[mode]) / (4 * sd[mode])
                (_, a, _), (_, b, _) = self.blocks[j]
                out[:, a] = np.clip(alpha, -0.99, 0.99)
                out[np.arange(n), b + mode] = 1
            else:
                _, a, _ = self.blocks[j][0]
                out[np.arange(n), a + X[:, j].astype(int)] = 1
        return out

    def decode(self, M, sigma):
        n = len(M)
        X = np.empty((n, len(self.kinds)))
        for j, k in enumerate(self.kinds):
            if k == "num":
                g, keep, mu, sd = self._mode_stats(j)
                (_, a, _), (_, b, w) = self.blocks[j]
                alpha = np.clip(M[:, a] + sigma[a] * self.rng.normal(size=n),
                                -1, 1)
                mode = np.argmax(M[:, b:b + w], axis=1)
                X[:, j] = alpha * 4 * sd[mode] + mu[mode]
            else:
                _, a, L = self.blocks[j][0]
                X[:, j] = np.argmax(M[:, a:a + L], axis=1)
        return X


class TVAE(nn.Module):
    def __init__(self, width, hidden=128, latent=128):
        super().__init__()
        self.latent = latent
        self.enc = nn.Sequential(nn.Linear(width, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, width))
        self.sigma = nn.Parameter(torch.full((width,), 0.1))


def _loss(model, tr, x, rec, mu, logvar):
    terms = []
    for blocks in tr.blocks:
        for kind, a, w in blocks:
            if kind == "alpha":
                s = model.sigma[a]
                terms.append(((x[:, a] - torch.tanh(rec[:, a])) ** 2
                              / (2 * s * s)).sum() + torch.log(s) * len(x))
            else:
                terms.append(nn.functional.cross_entropy(
                    rec[:, a:a + w], x[:, a:a + w].argmax(1),
                    reduction="sum"))
    kld = -0.5 * torch.sum(1 + logvar - mu ** 2 - logvar.exp())
    return (2.0 * sum(terms) + kld) / len(x)


def fit_sample(kinds, levels, X, n, seed, epochs=300, batch=500):
    """Trains on the complete rows X and returns n synthetic rows."""
    torch.manual_seed(seed)
    tr = Transformer(kinds, levels, X, seed)
    data = torch.tensor(tr.encode(X))
    model = TVAE(tr.width)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    batch = min(batch, len(data))
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(len(data), generator=g)
        for at in range(0, len(data), batch):
            x = data[perm[at:at + batch]]
            h = model.enc(x)
            mu, logvar = model.mu(h), model.logvar(h)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            loss = _loss(model, tr, x, model.dec(z), mu, logvar)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                model.sigma.clamp_(0.01, 1.0)
    with torch.no_grad():
        M = torch.tanh(model.dec(torch.randn(n, model.latent))).numpy()
        return tr.decode(M, model.sigma.numpy())
