"""The neural detector: is there an invariant outside the library? (PyTorch, imported when used)."""

from __future__ import annotations

import math

import numpy as np

from ..data import Series, load
from .checks import _expr_gradients, _gradient_rank_residual

# ---------------------------------------------------------------------------
# Neural detector


def neural_detector(series, *, laws=(), hidden: int = 32, epochs: int = 400, threshold: float = 0.05,
                    validation_fraction: float = 0.25, max_points: int = 400, random_state=0) -> dict:
    """Does a non-trivial conserved quantity exist, inside the library or not?

    A small network ``g: R^d → R`` is trained (contrastively, in the spirit of
    ConCerNet) to be constant along each trajectory while differing between
    trajectories: the loss is the within-trajectory variance of ``g`` over its
    total variance. It is then checked on the held-out last part of each
    trajectory, which must keep the value learned on the first part:
    ``score`` = held-out deviation² / between-trajectory variance. An
    invariant exists when ``score < threshold``. When ``laws`` (sympy
    expressions) are given, ``outside_library`` says whether ``g`` is *not*
    a function of them (gradient rank test).

    It needs at least two trajectories from different initial conditions
    (the verdict is ``"undetermined"`` otherwise). PyTorch is imported here only.

    Returns
    -------
    dict
        ``verdict`` (``"invariant"``, ``"none"`` or ``"undetermined"``),
        ``score``, ``confidence``, ``outside_library`` (bool or None), ``reason``.
    """
    series = series if isinstance(series, Series) else load(series)
    if series.n_trajectories < 2:
        return {"verdict": "undetermined", "score": float("nan"), "confidence": 0.0, "outside_library": None,
                "reason": "the neural detector needs at least two trajectories from different initial conditions"}
    from ..registry import torch_threads

    with torch_threads("conservation (neural=True)", 1) as torch:  # tiny network: one thread is fastest
        return _neural_fit(torch, series, laws, hidden, epochs, threshold, validation_fraction, max_points,
                           random_state)


def _neural_fit(torch, series, laws, hidden, epochs, threshold, validation_fraction, max_points, random_state):
    gen = torch.Generator().manual_seed(int(random_state) if random_state is not None else 0)
    torch.manual_seed(int(random_state) if random_state is not None else 0)
    rng = np.random.default_rng(random_state)
    X = series.x
    mu, sd = X.mean(axis=0), X.std(axis=0) + 1e-12
    trains, holds = [], []
    for tr in series.trajectories:
        x = (np.asarray(tr.x) - mu) / sd
        cut = int(round(len(x) * (1 - validation_fraction)))
        tx = x[:cut]
        if len(tx) > max_points:
            tx = tx[np.sort(rng.choice(len(tx), max_points, replace=False))]
        trains.append(torch.tensor(tx, dtype=torch.float32))
        holds.append(torch.tensor(x[cut:], dtype=torch.float32))
    d = X.shape[1]
    net = torch.nn.Sequential(torch.nn.Linear(d, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                              torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
    for prm in net.parameters():  # deterministic init from our generator
        with torch.no_grad():
            prm.copy_(torch.randn(prm.shape, generator=gen) * (1.0 / math.sqrt(prm.shape[-1])))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    allx = torch.cat(trains)
    sizes = [len(t) for t in trains]
    for _ in range(epochs):
        opt.zero_grad()
        g = net(allx).squeeze(1)
        parts = torch.split(g, sizes)
        within = torch.stack([p.var(unbiased=False) for p in parts]).mean()
        loss = within / (g.var(unbiased=False) + 1e-8)
        loss.backward()
        opt.step()
    with torch.no_grad():
        means = torch.stack([net(t).squeeze(1).mean() for t in trains])
        between = float(means.var(unbiased=False))
        dev, n = 0.0, 0
        for m, h in zip(means, holds):
            if len(h):
                r = net(h).squeeze(1) - m
                dev += float((r ** 2).sum())
                n += len(h)
    score = (dev / max(n, 1)) / max(between, 1e-30)
    exists = bool(score < threshold)
    conf = float(np.clip(1 - score / threshold, 0, 1)) if exists else float(np.clip(1 - threshold / score, 0, 1))
    outside = None
    if exists:
        outside = True
        if laws:
            idx = rng.choice(len(X), size=min(200, len(X)), replace=False)
            xp = torch.tensor((X[idx] - mu) / sd, dtype=torch.float32, requires_grad=True)
            net(xp).sum().backward()
            gg = xp.grad.numpy().astype(float) / sd  # chain rule back to raw units
            base = _expr_gradients(list(laws), series.variables, X[idx])
            outside = bool(_gradient_rank_residual(base, gg) > 0.3)
    return {"verdict": "invariant" if exists else "none", "score": float(score), "confidence": conf,
            "outside_library": outside,
            "reason": ("held-out parts keep the learned value" if exists else
                       "no learned quantity stays constant on held-out data")}
