"""Three damped oscillators observed through 50 mixed channels (known spectrum).

Latent state: three damped rotations with continuous-time eigenvalues
``-0.05 ± 1.0j``, ``-0.10 ± 2.3j`` and ``-0.20 ± 3.7j``; each channel is a
fixed random combination of the six latent coordinates. Noise is Gaussian,
``noise`` × each channel's standard deviation.

:func:`cramer_rao` gives the Cramér–Rao lower bound of the eigenvalue and
forecast errors at a noise level: what no unbiased estimator can beat on
these data.

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


def _real_basis(t: np.ndarray):
    """Columns e^{at}cos(ωt), e^{at}sin(ωt) per oscillator and their derivatives in a and ω."""
    cols, d_a, d_w = [], [], []
    for re, im in TRUTH["oscillators"]:
        env = np.exp(re * t)
        c, s = env * np.cos(im * t), env * np.sin(im * t)
        cols += [c, s]
        d_a.append((t * c, t * s))
        d_w.append((-t * s, t * c))
    return np.column_stack(cols), d_a, d_w


def _jacobian(t: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """d(data)/d(parameters), shape (len(t), n_channels, 6 + 6 n_channels).

    Parameters: the three decay rates, the three frequencies, then six real
    amplitudes per channel (the real model: eigenvalues in conjugate pairs).
    """
    m, n = len(t), coef.shape[1]
    basis, d_a, d_w = _real_basis(t)
    J = np.zeros((m, n, 6 + 6 * n))
    for ch in range(n):
        for k in range(3):
            p, q = coef[2 * k, ch], coef[2 * k + 1, ch]
            J[:, ch, k] = p * d_a[k][0] + q * d_a[k][1]
            J[:, ch, 3 + k] = p * d_w[k][0] + q * d_w[k][1]
        J[:, ch, 6 + 6 * ch:12 + 6 * ch] = basis
    return J


def cramer_rao(noise: float = 0.05, *, seed: int = 0, n_snapshots: int = 300, n_channels: int = 50,
               dt: float = 0.05, horizon: int = 100, n_draws: int = 20000):
    """Cramér–Rao lower bound for the data of :func:`make` with the same arguments.

    The Fisher information of the Gaussian model (noise ``noise`` × each
    channel's standard deviation, as in :func:`make`) at the truth, with all
    amplitudes unknown, gives the smallest covariance of any unbiased
    estimate of the eigenvalues. Returns a dict: ``rms`` (per oscillator,
    the bound on the RMS of ``|ω̂ − ω|``), ``max``/``mean`` (expected max and
    mean over the six eigenvalues of ``|ω̂ − ω|`` for an estimate distributed
    as the bound, by Monte Carlo — the benchmark's metrics) and ``forecast``
    (RMS relative error of the ``horizon``-step forecast, first order).
    """
    t, _, clean = make(0.0, n_snapshots=n_snapshots, n_channels=n_channels, dt=dt, seed=seed, extra=horizon)
    tf, cf = t[:n_snapshots], clean[:n_snapshots]
    sigma = noise * cf.std(axis=0)
    coef = np.linalg.lstsq(_real_basis(tf)[0], cf, rcond=None)[0]
    J = (_jacobian(tf, coef) / sigma[None, :, None]).reshape(n_snapshots * n_channels, -1)
    cov = np.linalg.inv(J.T @ J)
    c_eig = cov[:6, :6]
    rms = np.sqrt(np.diag(c_eig)[:3] + np.diag(c_eig)[3:])
    draws = np.random.default_rng(0).multivariate_normal(np.zeros(6), c_eig, size=n_draws)
    err = np.hypot(draws[:, :3], draws[:, 3:])  # a pair shares its error
    G = _jacobian(t[n_snapshots:], coef).reshape(horizon * n_channels, -1)
    forecast = float(np.sqrt(np.sum((G @ cov) * G)) / np.linalg.norm(clean[n_snapshots:]))
    return {"rms": rms, "max": float(err.max(axis=1).mean()), "mean": float(err.mean(axis=1).mean()),
            "forecast": forecast}


if __name__ == "__main__":
    import pandas as pd

    for name, level in (("data.csv", 0.0), ("data_noisy.csv", 0.05)):
        t, X, _ = make(level)
        df = pd.DataFrame(X, columns=[f"c{i:02d}" for i in range(X.shape[1])])
        df.insert(0, "t", t)
        df.to_csv(HERE / name, index=False, float_format="%.10g")
        print("wrote", HERE / name)
