"""Measurement noise per variable, from high-order differences of the data."""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------------------
# Noise


def estimate_noise(xs, *, max_order: int = 4) -> np.ndarray:
    """Standard deviation of additive white noise per variable, from differences.

    For each order ``m`` in 1..``max_order`` the ``m``-th differences of a
    trajectory are noise times ``sqrt(binom(2m, m))`` plus a smooth part that
    shrinks with ``m`` on finely sampled data; a robust (MAD) scale of each is
    taken and the smallest over orders kept. Trajectories are combined by their
    median.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.linspace(0, 20, 4001)
    >>> x = np.c_[np.sin(t)] + 0.01 * rng.standard_normal((4001, 1))
    >>> float(np.round(estimate_noise([x])[0], 3))
    0.01
    """
    per = []
    for x in xs:
        x = np.asarray(x, float)
        if x.ndim == 1:
            x = x[:, None]
        best = np.full(x.shape[1], np.inf)
        for m in range(1, max_order + 1):
            if len(x) <= m + 4:
                break
            D = np.diff(x, m, axis=0)
            mad = 1.4826 * np.median(np.abs(D - np.median(D, axis=0)), axis=0)
            best = np.minimum(best, mad / math.sqrt(math.comb(2 * m, m)))
        per.append(np.where(np.isfinite(best), best, 0.0))
    return np.median(np.array(per), axis=0) if per else np.zeros(0)
