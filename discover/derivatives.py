"""Time derivatives of sampled trajectories, on regular or irregular time grids.

Four estimators, one entry point (:func:`differentiate`):

``"finite_difference"``
    Second-order central differences (one-sided second order at the ends),
    exact for quadratics on any grid (:func:`numpy.gradient`). Best on clean data.
``"savgol"``
    Savitzky–Golay: a local polynomial fitted around each sample, its slope
    taken as the derivative. On a regular grid this is
    :func:`scipy.signal.savgol_filter`; on an irregular grid the local fits are
    done in the sample's own time coordinates (batched least squares). The
    window is chosen per column by leave-one-out cross-validation unless given.
``"spline"``
    A quintic smoothing spline (FITPACK, :class:`scipy.interpolate.UnivariateSpline`,
    as ``derivative.Spline`` uses) whose smoothing is chosen from the data: the
    residual sum of squares may reach ``n * sigma²`` with ``sigma`` from
    :func:`estimate_noise`. Differentiated analytically.
``"tv"``
    Total-variation regularization of the derivative: the smoothed signal
    minimizes ``0.5*||z - x||² + alpha*TV(dz/dt)`` (a piecewise-constant
    derivative, i.e. first-order ℓ1 trend filtering), solved by lagged
    diffusivity on banded systems as in Chartrand's TVRegDiff. ``alpha`` is
    chosen per column by the discrepancy principle: the residual matches the
    estimated noise level.

``"auto"`` (the default) estimates the noise (:func:`estimate_noise`) and
uses finite differences when the noise would perturb them by less than
about 1 % of the derivative's spread, the smoothing spline otherwise.

Why not call ``pysindy.differentiation`` or ``derivative`` directly:
pysindy's ``FiniteDifference`` gives the same second-order result on
irregular grids but is about 25x slower than :func:`numpy.gradient` on a
million samples; its smoothed variant assumes a uniform grid
(``scipy.signal.savgol_filter``); ``derivative.SavitzkyGolay`` loops in
Python over samples with an ``O(n)`` window search each; and
``derivative.TrendFiltered`` (their total-variation estimator) builds and
inverts dense ``n × n`` matrices on a uniform grid. The numpy/scipy pieces
they wrap (``numpy.gradient``, ``savgol_filter``, FITPACK splines) are used
here directly.

Examples
--------
>>> import numpy as np
>>> from discover.derivatives import differentiate
>>> t = np.linspace(0, 2 * np.pi, 400)
>>> dx = differentiate(np.sin(t), t, method="finite_difference")
>>> bool(np.max(np.abs(dx - np.cos(t))) < 1e-3)
True
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import DataError, ParameterError

__all__ = ["METHODS", "differentiate", "estimate_noise", "choose_method"]

#: The derivative estimators :func:`differentiate` knows (besides ``"auto"``).
METHODS = ("finite_difference", "savgol", "spline", "tv")

#: ``auto`` smooths when noise would move finite differences by more than this
#: fraction of the derivative's standard deviation.
NOISE_THRESHOLD = 0.01

#: Rows scored when choosing a Savitzky–Golay window on a long irregular grid.
_SCORE_ROWS = 2000

_OPTIONS = {
    "finite_difference": (),
    "savgol": ("window", "order"),
    "spline": ("s", "k"),
    "tv": ("alpha", "max_iter", "tol"),
}


# ---------------------------------------------------------------------------
# Input checks


def _prepare(x, t) -> tuple[np.ndarray, np.ndarray, bool]:
    """Float copies of ``x`` as 2-D and of ``t``; whether ``x`` was 1-D."""
    x = np.array(x, dtype=np.float64)  # a copy: the caller's array is never touched
    one_d = x.ndim == 1
    if one_d:
        x = x[:, None]
    if x.ndim != 2:
        raise DataError(f"x must be 1-D or 2-D (n_samples, n_features); got shape {x.shape}")
    n = x.shape[0]
    if np.ndim(t) == 0:
        dt = float(t)
        if not (np.isfinite(dt) and dt > 0):
            raise DataError(f"the time step must be a positive number; got {t!r}")
        t = np.arange(n) * dt
    else:
        t = np.array(t, dtype=np.float64).reshape(-1)
    if len(t) != n:
        raise DataError(f"t has {len(t)} stamps but x has {n} samples")
    if n < 2:
        raise DataError(f"at least two samples are needed to differentiate; got {n}")
    if not np.isfinite(t).all() or not np.isfinite(x).all():
        bad = int(np.argmin(np.isfinite(t) & np.isfinite(x).all(axis=1)))
        raise DataError("t and x must be finite", row=bad)
    step = np.diff(t)
    if not (step > 0).all():
        bad = int(np.argmin(step > 0)) + 1
        raise DataError("time stamps must be strictly increasing", row=bad)
    return x, t, one_d


def _is_regular(t: np.ndarray) -> bool:
    d = np.diff(t)
    med = np.median(d)
    # Same rule as Trajectory.regular: 1e-6 relative, plus rounding of large (epoch) stamps.
    tol = 1e-6 * abs(med) + 8 * np.finfo(float).eps * np.max(np.abs(t))
    return bool(np.all(np.abs(d - med) <= tol))


# ---------------------------------------------------------------------------
# Noise


def estimate_noise(x, t=None) -> np.ndarray:
    """Per-column estimate of the standard deviation of additive white noise.

    Each interior sample is predicted from its two neighbours on each side by
    the cubic through them (Lagrange weights computed on the actual, possibly
    irregular, time stamps). For smooth, well-sampled signals the cubic is
    nearly exact, so the prediction residuals are noise; their robust spread
    (median absolute deviation), rescaled by the weights' noise gain, is the
    estimate. Fewer than 5 samples give zeros.

    Parameters
    ----------
    x : array of shape (n,) or (n, d)
    t : array of shape (n,), or None for unit steps

    Returns
    -------
    ndarray of shape (d,)

    Examples
    --------
    >>> import numpy as np
    >>> from discover.derivatives import estimate_noise
    >>> t = np.linspace(0, 10, 2000)
    >>> x = np.sin(t) + 0.05 * np.random.default_rng(0).standard_normal(t.size)
    >>> bool(abs(estimate_noise(x, t)[0] - 0.05) < 0.005)
    True
    """
    x, t, _ = _prepare(x, 1.0 if t is None else t)
    n, d = x.shape
    if n < 5:
        return np.zeros(d)
    ti = t[2:-2]
    nodes = np.stack([t[:-4], t[1:-3], t[3:-1], t[4:]], axis=1) - ti[:, None]  # (n-4, 4), relative to t_i
    w = np.ones_like(nodes)
    for j in range(4):
        for m in range(4):
            if m != j:
                w[:, j] *= (0.0 - nodes[:, m]) / (nodes[:, j] - nodes[:, m])
    neighbours = np.stack([x[:-4], x[1:-3], x[3:-1], x[4:]], axis=1)  # (n-4, 4, d)
    r = x[2:-2] - np.einsum("ij,ijk->ik", w, neighbours)
    r /= np.sqrt(1.0 + (w ** 2).sum(axis=1))[:, None]
    med = np.median(r, axis=0)
    return 1.4826 * np.median(np.abs(r - med), axis=0)


def choose_method(x, t) -> str:
    """The method ``"auto"`` picks for these data: ``"finite_difference"`` or ``"spline"``.

    Finite differences amplify noise of standard deviation ``s`` into an error
    of about ``s / (sqrt(2) * dt)``; when that exceeds :data:`NOISE_THRESHOLD`
    times the spread of the derivative in any column, the data are smoothed.
    """
    x, t, _ = _prepare(x, t)
    if len(t) < 5:
        return "finite_difference"
    sigma = estimate_noise(x, t)
    h = float(np.median(np.diff(t)))
    spread = np.std(np.gradient(x, t, axis=0, edge_order=2 if len(t) > 2 else 1), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sigma > 0, sigma / (np.sqrt(2.0) * h * spread), 0.0)
    ratio = np.nan_to_num(ratio, nan=0.0, posinf=np.inf)
    return "spline" if np.max(ratio) > NOISE_THRESHOLD else "finite_difference"


# ---------------------------------------------------------------------------
# The estimators


def _finite_difference(x, t):
    return np.gradient(x, t, axis=0, edge_order=2 if len(t) > 2 else 1)


def _window_candidates(n: int, order: int) -> list[int]:
    smallest = order + 2 + (order % 2 == 1)  # odd and > order
    largest = min(n if n % 2 else n - 1, max(301, n // 20 * 2 + 1))
    if largest < smallest:
        return []
    grid = np.unique(np.round(np.geomspace(smallest, largest, 14)).astype(int) // 2 * 2 + 1)
    return [int(w) for w in grid if smallest <= w <= largest]


def _local_poly(t, x, window: int, order: int, rows=None, block: int = 4096):
    """Local polynomial fits of ``order`` over ``window`` samples around each sample (shifted at the ends).

    Returns the fitted values, the slopes at each sample (of ``rows`` only,
    when given), and the weight of each sample on its own fitted value (for
    leave-one-out scores).
    """
    from numpy.lib.stride_tricks import sliding_window_view

    n, d = x.shape
    half = window // 2
    start = np.clip(np.arange(n) - half, 0, n - window)
    tw = sliding_window_view(t, window)
    xw = sliding_window_view(x, window, axis=0)  # (n - window + 1, d, window)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    fit = np.empty((len(rows), d))
    slope = np.empty((len(rows), d))
    self_weight = np.empty(len(rows))
    for lo in range(0, len(rows), block):
        out = slice(lo, min(len(rows), lo + block))
        idx = rows[out]
        dt = tw[start[idx]] - t[idx, None]  # (b, w)
        scale = np.max(np.abs(dt), axis=1)
        z = dt / scale[:, None]
        X = xw[start[idx]]  # (b, d, w)
        zk = np.ones_like(z)
        moments = []
        rhs = np.empty((len(idx), order + 1, d))
        for k in range(2 * order + 1):  # power sums of z and z-weighted sums of x, no (b, w, p) arrays
            moments.append(zk.sum(axis=1))
            if k <= order:
                rhs[:, k, :] = np.einsum("bw,bdw->bd", zk, X)
            zk = zk * z
        G = np.empty((len(idx), order + 1, order + 1))
        for i in range(order + 1):
            for j in range(order + 1):
                G[:, i, j] = moments[i + j]
        Ginv = np.linalg.inv(G)
        coef = Ginv @ rhs  # (b, p+1, d)
        fit[out] = coef[:, 0, :]
        slope[out] = coef[:, 1, :] / scale[:, None]
        self_weight[out] = Ginv[:, 0, 0]
    return fit, slope, self_weight


def _savgol(x, t, window=None, order=3):
    from scipy.signal import savgol_coeffs, savgol_filter

    n, d = x.shape
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 1:
        raise ParameterError(f"The 'order' parameter of savgol must be an int >= 1. Got {order!r} instead.")
    if window is not None:
        if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window <= order \
                or window % 2 == 0:
            raise ParameterError(f"The 'window' parameter of savgol must be an odd int > order ({order}). "
                                 f"Got {window!r} instead.")
        if window > n:
            raise DataError(f"savgol window {window} is longer than the {n} samples")
    candidates = [window] if window is not None else _window_candidates(n, order)
    if not candidates:  # too few samples to smooth at this order
        return _finite_difference(x, t)
    regular = _is_regular(t)
    h = float(np.median(np.diff(t)))
    chosen = [candidates[0]] * d
    if len(candidates) > 1:
        # Leave-one-out choice of the window per column (on a spread-out subset of rows for long
        # irregular series: the score is a mean, the subset estimates it well).
        rows = None if regular or n <= _SCORE_ROWS else np.unique(np.linspace(0, n - 1, _SCORE_ROWS).astype(int))
        target = x if rows is None else x[rows]
        best = np.full(d, np.inf)
        for w in candidates:
            if regular:
                fit = savgol_filter(x, w, order, axis=0, mode="interp")
                self_w = np.full(n, savgol_coeffs(w, order)[w // 2])
            else:
                fit, _, self_w = _local_poly(t, x, w, order, rows=rows)
            loo = (target - fit) / np.clip(1.0 - self_w, 1e-12, None)[:, None]
            score = np.mean(loo ** 2, axis=0)
            for j in np.flatnonzero(score < best):
                chosen[j] = w
            best = np.minimum(best, score)
    out = np.empty_like(x)
    for w in sorted(set(chosen)):
        cols = [j for j in range(d) if chosen[j] == w]
        if regular:
            out[:, cols] = savgol_filter(x[:, cols], w, order, deriv=1, delta=h, axis=0, mode="interp")
        else:
            out[:, cols] = _local_poly(t, x[:, cols], w, order)[1]
    return out


def _spline(x, t, s=None, k=5):
    from scipy.interpolate import UnivariateSpline

    n, d = x.shape
    if s is not None and not (isinstance(s, (int, float)) and not isinstance(s, bool) and s >= 0):
        raise ParameterError(f"The 's' parameter of spline must be a float >= 0 or None. Got {s!r} instead.")
    if k not in (3, 4, 5) or isinstance(k, bool):
        raise ParameterError(f"The 'k' parameter of spline must be one of 3, 4, 5. Got {k!r} instead.")
    if n <= k + 2:
        return _finite_difference(x, t)
    sigma = estimate_noise(x, t) if s is None else None
    t = t - t[0]  # FITPACK on epoch-sized stamps loses digits
    out = np.empty_like(x)
    for j in range(d):
        col = x[:, j]
        if np.ptp(col) == 0:
            out[:, j] = 0.0
            continue
        # FITPACK's smoothing condition sum((spline - x)**2) <= s: the expected sum of squared noise.
        smooth = n * sigma[j] ** 2 if s is None else float(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spl = UnivariateSpline(t, col, k=k, s=smooth)
            dcol = spl.derivative()(t)
        if not np.isfinite(dcol).all():  # pragma: no cover - FITPACK trouble: fall back
            dcol = _savgol(col[:, None], t)[:, 0]
        out[:, j] = dcol
    return out


def _tv_operator(t):
    """Coefficients of slope changes, ``(D z)_i = a_i z_i + b_i z_{i+1} + c_i z_{i+2}``."""
    h = np.diff(t)
    a, c = 1.0 / h[:-1], 1.0 / h[1:]
    return a, -(a + c), c


def _tv_smooth(col, abc, alpha, z0=None, max_iter=60, tol=1e-7):
    """Lagged diffusivity for ``min 0.5||z - col||² + alpha * sum|D z|`` (pentadiagonal solves)."""
    from scipy.linalg import solveh_banded

    a, b, c = abc
    n, m = len(col), len(a)

    def D(z):
        return a * z[:-2] + b * z[1:-1] + c * z[2:]

    z = col.copy() if z0 is None else z0.copy()
    eps = 1e-6 * max(np.max(np.abs(D(col))), 1e-300)
    ref = max(np.max(np.abs(col)), 1e-300)
    ab = np.empty((3, n))  # upper banded form of I + alpha * D^T W D
    for _ in range(max_iter):
        w = alpha / np.sqrt(D(z) ** 2 + eps ** 2)
        ab[:] = 0.0
        ab[2] += 1.0
        ab[2, :m] += w * a * a
        ab[2, 1:m + 1] += w * b * b
        ab[2, 2:] += w * c * c
        ab[1, 1:m + 1] += w * a * b
        ab[1, 2:] += w * b * c
        ab[0, 2:] += w * a * c
        z_new = solveh_banded(ab, col, check_finite=False)
        change = np.max(np.abs(z_new - z)) / ref
        z = z_new
        if change < tol:
            break
    return z


def _discrepancy_alpha(col, D, sigma: float, h: float, max_iter: int) -> float:
    """The ``alpha`` whose residual RMS equals ``sigma`` (the discrepancy principle).

    The RMS grows with ``alpha``; the root of ``log(rms) - log(sigma)`` in
    ``log(alpha)`` is found by false position with the Illinois modification,
    with loose, warm-started inner solves.
    """
    z = None

    def gap(log_alpha):
        nonlocal z
        z = _tv_smooth(col, D, float(np.exp(log_alpha)), z0=z, max_iter=min(max_iter, 20), tol=1e-4)
        rms = np.sqrt(np.mean((z - col) ** 2))
        return np.log(max(rms, 1e-300)) - np.log(sigma)

    lo, hi = np.log(sigma * h * 1e-3), np.log(sigma * h * 1e5)
    f_lo = gap(lo)
    if f_lo >= 0:
        return float(np.exp(lo))
    f_hi = gap(hi)
    if f_hi <= 0:
        return float(np.exp(hi))
    side = 0
    for _ in range(30):
        a = (lo * f_hi - hi * f_lo) / (f_hi - f_lo)
        f_a = gap(a)
        if abs(f_a) < 0.01 or hi - lo < 1e-3:  # 1 % in RMS
            return float(np.exp(a))
        if f_a > 0:
            hi, f_hi = a, f_a
            if side == -1:
                f_lo /= 2
            side = -1
        else:
            lo, f_lo = a, f_a
            if side == 1:
                f_hi /= 2
            side = 1
    return float(np.exp(0.5 * (lo + hi)))


def _tv(x, t, alpha=None, max_iter=60, tol=1e-7):
    n, d = x.shape
    if alpha is not None and not (isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha > 0):
        raise ParameterError(f"The 'alpha' parameter of tv must be a float > 0 or None. Got {alpha!r} instead.")
    if not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ParameterError(f"The 'max_iter' parameter of tv must be an int >= 1. Got {max_iter!r} instead.")
    if n < 5:
        return _finite_difference(x, t)
    D = _tv_operator(t)
    sigma = estimate_noise(x, t)
    out = np.empty_like(x)
    for j in range(d):
        col = x[:, j]
        if np.ptp(col) == 0:
            out[:, j] = 0.0
            continue
        if alpha is not None:
            z = _tv_smooth(col, D, float(alpha), max_iter=max_iter, tol=tol)
        elif sigma[j] <= 1e-12 * np.ptp(col):
            z = col
        else:
            z = _tv_smooth(col, D, _discrepancy_alpha(col, D, sigma[j], float(np.median(np.diff(t))), max_iter),
                           max_iter=max_iter, tol=tol)
        out[:, j] = _finite_difference(z[:, None], t)[:, 0]
    return out


# ---------------------------------------------------------------------------
# Entry point


def differentiate(x, t, method: str = "auto", **options) -> np.ndarray:
    """Estimate ``dx/dt`` column by column.

    Parameters
    ----------
    x : array of shape (n,) or (n, d)
        Samples of one trajectory (never several: differentiate trajectories
        one by one, e.g. with :meth:`discover.data.Series.derivatives`).
    t : array of shape (n,), or a float time step
        Strictly increasing time stamps; irregular grids are fine.
    method : {"auto", "finite_difference", "savgol", "spline", "tv"}
        See the module docstring.
    **options
        ``savgol``: ``window`` (odd number of samples; default chosen per
        column by leave-one-out cross-validation), ``order`` (polynomial
        order, default 3). ``spline``: ``s`` (FITPACK smoothing condition;
        default ``n * estimate_noise(x, t)**2``), ``k`` (degree 3 to 5, default 5). ``tv``: ``alpha`` (regularization;
        default by the discrepancy principle), ``max_iter``, ``tol``.

    Returns
    -------
    ndarray, same shape as ``x``
        A new array; ``x`` and ``t`` are not modified.

    Raises
    ------
    ParameterError
        An unknown method or option, or an invalid option value.
    DataError
        Fewer than two samples, non-finite values, or time stamps that do not increase.

    Examples
    --------
    >>> import numpy as np
    >>> from discover.derivatives import differentiate
    >>> t = np.sort(np.random.default_rng(1).uniform(0, 6, 600))
    >>> x = np.c_[np.sin(t), t ** 2]
    >>> dx = differentiate(x, t, method="finite_difference")
    >>> bool(np.allclose(dx[:, 1], 2 * t)) and bool(np.abs(dx[:, 0] - np.cos(t)).max() < 1e-2)
    True
    """
    if method != "auto" and method not in METHODS:
        raise ParameterError(f"The 'method' parameter of differentiate must be one of "
                             f"{', '.join(repr(m) for m in ('auto',) + METHODS)}. Got {method!r} instead.")
    allowed = set().union(*_OPTIONS.values()) if method == "auto" else set(_OPTIONS[method])
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ParameterError(f"differentiate(method={method!r}) takes no option(s) {unknown}; "
                             f"it takes {sorted(allowed) or 'none'}")
    xx, tt, one_d = _prepare(x, t)
    if method == "auto":
        method = choose_method(xx, tt)
        options = {k: v for k, v in options.items() if k in _OPTIONS[method]}
    if method == "finite_difference":
        dx = _finite_difference(xx, tt)
    elif method == "savgol":
        dx = _savgol(xx, tt, **options)
    elif method == "spline":
        dx = _spline(xx, tt, **options)
    else:
        dx = _tv(xx, tt, **options)
    return dx[:, 0] if one_d else dx
