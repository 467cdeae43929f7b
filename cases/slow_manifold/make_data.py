"""The slow-manifold system x' = μx, y' = λ(y − x²), sampled exactly (closed form).

``x(t) = x0 e^{μt}``, ``y(t) = (y0 − b x0²) e^{λt} + b x(t)²`` with
``b = λ / (λ − 2μ)``. Koopman eigenvalues 0, μ, 2μ, λ with eigenfunctions
1, x, x², y − b x². ``python make_data.py`` writes ``data.csv`` (30
trajectories, a ``trajectory`` column); tests call :func:`make`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TRUTH = json.loads((HERE / "truth.json").read_text())
MU, LAM, DT = TRUTH["mu"], TRUTH["lam"], TRUTH["dt"]
B = LAM / (LAM - 2 * MU)


def make(n_trajectories: int = 30, n_samples: int = 50, seed: int = 0):
    """Return ``(t, [X_k])``: one ``(n_samples, 2)`` array per trajectory, initial states in [-1, 1]²."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) * DT
    out = []
    for x0, y0 in rng.uniform(-1, 1, (n_trajectories, 2)):
        x = x0 * np.exp(MU * t)
        y = (y0 - B * x0**2) * np.exp(LAM * t) + B * x**2
        out.append(np.c_[x, y])
    return t, out


if __name__ == "__main__":
    import pandas as pd

    t, xs = make()
    frames = [pd.DataFrame({"trajectory": k, "t": t, "x": X[:, 0], "y": X[:, 1]}) for k, X in enumerate(xs)]
    pd.concat(frames).to_csv(HERE / "data.csv", index=False, float_format="%.17g")
    print("wrote", HERE / "data.csv")
