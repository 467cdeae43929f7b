"""Three damped oscillators observed through 50 mixed channels (known spectrum).

Latent state: three damped rotations with continuous-time eigenvalues
``-0.05 ± 1.0j``, ``-0.10 ± 2.3j`` and ``-0.20 ± 3.7j``; each channel is a
fixed random combination of the six latent coordinates. Noise is Gaussian,
``noise`` × each channel's standard deviation.

Run ``python cases/damped_channels/make_data.py`` to write ``data.csv``
(clean) and ``data_noisy.csv`` (5 % noise); tests call :func:`make`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
TRUTH = json.loads((HERE / "truth.json").read_text())
EIGENVALUES = np.array([complex(*z) for z in TRUTH["continuous_eigenvalues"]])


def latent(t: np.ndarray) -> np.ndarray:
    """The six latent coordinates (unit initial amplitude, phases 0.3, 1.1, 2.0)."""
    cols = []
    for (re, im), ph in zip(TRUTH["oscillators"], (0.3, 1.1, 2.0)):
        env = np.exp(re * t)
        cols += [env * np.cos(im * t + ph), env * np.sin(im * t + ph)]
    return np.column_stack(cols)


def make(noise: float = 0.0, *, n_snapshots: int = 300, n_channels: int = 50, dt: float = 0.05,
         seed: int = 0, extra: int = 0):
    """Return ``(t, X, X_clean)``: ``n_snapshots + extra`` rows, ``n_channels`` columns.

    The first ``n_snapshots`` rows are for fitting, the ``extra`` rows after
    them (clean) for checking forecasts.
    """
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((6, n_channels))
    t = np.arange(n_snapshots + extra) * dt
    clean = latent(t) @ C
    X = clean.copy()
    if noise > 0:
        X[:n_snapshots] += noise * clean[:n_snapshots].std(axis=0) * rng.standard_normal((n_snapshots, n_channels))
    return t, X, clean


if __name__ == "__main__":
    import pandas as pd

    for name, level in (("data.csv", 0.0), ("data_noisy.csv", 0.05)):
        t, X, _ = make(level)
        df = pd.DataFrame(X, columns=[f"c{i:02d}" for i in range(X.shape[1])])
        df.insert(0, "t", t)
        df.to_csv(HERE / name, index=False, float_format="%.10g")
        print("wrote", HERE / name)
