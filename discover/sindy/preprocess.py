"""Data preparation for SINDy: noise level, derivatives, weak-form integrals, held-out rows.

Derivatives are computed trajectory by trajectory, never across a boundary.
The noise level of each variable is estimated from high-order differences
(white noise dominates them when the signal is smooth and well sampled); it
picks the smoothing: sixth-order finite differences for clean data, a
Savitzky–Golay derivative whose window is the widest one that removes no
more than the noise (a discrepancy principle) otherwise, and — above a
noise level — the weak (integral) form, which needs no pointwise derivative.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["noise_level", "savgol_window", "derivative", "derivative_with", "fd_order", "weak_rows",
           "validation_mask"]


def noise_level(x: np.ndarray) -> np.ndarray:
    """Estimated white-noise standard deviation of each column of ``x``.

    Uses the median absolute third difference: for white noise of standard
    deviation σ the third difference has standard deviation σ√20; a smooth,
    well-sampled signal contributes little to it.
    """
    x = np.asarray(x, float)
    if len(x) < 8:
        return np.zeros(x.shape[1])
    d3 = np.diff(x, n=3, axis=0)
    return np.median(np.abs(d3), axis=0) / 0.6745 / math.sqrt(20.0)


def savgol_window(x: np.ndarray, sigma: float, polyorder: int = 3, max_window: int | None = None) -> int:
    """Widest odd Savitzky–Golay window whose residual is explained by noise of level ``sigma``."""
    from scipy.signal import savgol_filter

    n = len(x)
    max_window = max_window or max(polyorder + 2, min(n // 4, 201))
    best = polyorder + 2 + (polyorder + 2 + 1) % 2
    if sigma <= 0:
        return best
    for w in range(best, max_window + 1, 2):
        r = x - savgol_filter(x, w, polyorder, mode="interp")
        expected = sigma ** 2 * max(0.0, 1 - (polyorder + 1) / w)
        ratio = np.mean(r ** 2) / (expected + 0.25 * sigma ** 2)
        if ratio <= 1:
            best = w
        elif ratio > 4:  # far past the noise: wider windows only remove more signal
            break
    return best


def derivative(x: np.ndarray, t: np.ndarray, sigma: np.ndarray | None = None,
               clean_below: float = 1e-4) -> tuple[np.ndarray, dict]:
    """Derivative of one trajectory ``x`` (n, d) at times ``t``; returns ``(dx, info)``.

    Clean columns (noise below ``clean_below`` of the column's spread) get
    pysindy's sixth-order finite differences; noisy ones a Savitzky–Golay
    derivative (polynomial order 3) with a window set by the noise level.
    """
    x = np.asarray(x, float)
    t = np.asarray(t, float)
    n, d = x.shape
    sigma = noise_level(x) if sigma is None else np.asarray(sigma, float)
    spread = x.std(axis=0)
    spread[spread == 0] = 1.0
    order = fd_order(n)
    noisy = [j for j in range(d) if not (sigma[j] <= clean_below * spread[j] or n < 9)]
    # one window for all noisy columns, the narrowest: a column's derivative depends on the
    # others, and a window that suits a slow column smooths away another's fast episodes
    common = min((savgol_window(x[:, j], sigma[j]) for j in noisy), default=1)
    windows = [common if j in noisy else 1 for j in range(d)]
    info = {"derivative": f"finite_difference_{order}" if max(windows) == 1 else "savitzky_golay",
            "windows": windows}
    return derivative_with(x, t, windows, order), info


def fd_order(n: int) -> int:
    """Order of the finite differences :func:`derivative` takes on a trajectory of ``n`` samples."""
    return 6 if n >= 12 else (4 if n >= 5 else 2)


def derivative_with(x: np.ndarray, t: np.ndarray, windows, order: int, *, uniform: bool | None = None,
                    delta: float | None = None) -> np.ndarray:
    """The derivative :func:`derivative` computes once the windows are chosen: column ``j`` by finite
    differences of ``order`` when ``windows[j] == 1``, else by a Savitzky–Golay derivative of that window.

    Row ``i`` depends only on the rows within ``max(windows[j] // 2, order) + 1`` of it (and on the
    trajectory's ends), which lets :meth:`SINDy.stream_refit` compute it chunk by chunk; a chunk passes
    its trajectory's ``uniform`` and ``delta`` (the step), which would otherwise be read from ``t``.
    """
    import pysindy as ps
    from scipy.signal import savgol_filter

    x = np.asarray(x, float)
    t = np.asarray(t, float)
    n, d = x.shape
    dx = np.empty_like(x)
    fd = ps.FiniteDifference(order=order)._differentiate(x, t) if n >= 3 else np.gradient(x, t, axis=0)
    if uniform is None:
        uniform = n > 2 and np.allclose(np.diff(t), np.diff(t).mean(), rtol=1e-6, atol=0)
    delta = float(t[1] - t[0]) if delta is None and n > 1 else delta
    for j in range(d):
        w = int(windows[j])
        if w == 1:
            dx[:, j] = fd[:, j]
        elif uniform:
            dx[:, j] = savgol_filter(x[:, j], w, 3, deriv=1, delta=delta, mode="interp")
        else:
            sm = savgol_filter(x[:, j], w, 3, mode="interp")
            dx[:, j] = np.gradient(sm, t, edge_order=2)
    return dx


def _bump(t: np.ndarray, a: float, b: float, p: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Test function ``((t-a)(b-t))^p`` normalised to unit integral, and its derivative."""
    u = np.clip((t - a) * (b - t), 0, None)
    phi = u ** p
    dphi = p * u ** (p - 1) * (a + b - 2 * t)
    # normalise so that ∫φ = 1: ∫((t-a)(b-t))^p dt = (b-a)^(2p+1) B(p+1, p+1)
    norm = (b - a) ** (2 * p + 1) * math.gamma(p + 1) ** 2 / math.gamma(2 * p + 2)
    return phi / norm, dphi / norm


def weak_rows(t: np.ndarray, x: np.ndarray, theta: np.ndarray, width: int, stride: int | None = None,
              p: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weak-form rows of one trajectory.

    For test functions φ_k supported on windows of ``width`` samples:
    ``∫ φ_k ẋ dt = -∫ φ_k' x dt`` (``B`` rows) and ``∫ φ_k Θ(x) dt`` (``A``
    rows). Returns ``(A, B, centers)`` where ``centers`` are the window
    centre sample indices.
    """
    n = len(t)
    width = int(min(max(width, 2 * p + 3), n))
    stride = max(1, stride or width // 4)
    starts = np.arange(0, n - width + 1, stride)
    # trapezoid weights
    dt = np.diff(t)
    if len(dt) and np.allclose(dt, dt.mean(), rtol=1e-6, atol=0):
        # uniform sampling: every window has the same weights, so all rows come from one gather
        tt = t[:width] - t[0]
        wq = np.full(width, float(dt.mean()))
        wq[0] = wq[-1] = wq[0] / 2
        phi, dphi = _bump(tt, tt[0], tt[-1], p)
        idx = starts[:, None] + np.arange(width)[None, :]
        A = np.einsum("w,rwm->rm", wq * phi, theta[idx])
        B = -np.einsum("w,rwd->rd", wq * dphi, x[idx])
        return A, B, starts + width // 2
    A = np.empty((len(starts), theta.shape[1]))
    B = np.empty((len(starts), x.shape[1]))
    for r, s in enumerate(starts):
        sl = slice(s, s + width)
        tt = t[sl]
        wq = np.zeros(width)
        wq[:-1] += dt[s:s + width - 1] / 2
        wq[1:] += dt[s:s + width - 1] / 2
        phi, dphi = _bump(tt, tt[0], tt[-1], p)
        A[r] = (wq * phi) @ theta[sl]
        B[r] = -(wq * dphi) @ x[sl]
    return A, B, starts + width // 2


def validation_mask(lengths: list[int], fraction: float) -> tuple[list[np.ndarray], int | None]:
    """Held-out samples per trajectory and the trajectory held out whole (or None).

    With three or more trajectories, the last ``round(fraction * n)`` (at
    least one) trajectories are held out whole; otherwise the last
    ``fraction`` of each trajectory is held out. The held-out rows choose
    among candidate models; only the training rows fit the coefficients that
    are then checked (simulated) on them — the equations finally reported are
    refitted on all rows, so a check of those would be in-sample.
    """
    k = len(lengths)
    masks = [np.zeros(n, bool) for n in lengths]
    if k >= 3:
        n_hold = max(1, int(round(fraction * k)))
        for i in range(k - n_hold, k):
            masks[i][:] = True
        return masks, k - n_hold
    for m, n in zip(masks, lengths):
        cut = int(round(n * (1 - fraction)))
        m[cut:] = True
    return masks, None
