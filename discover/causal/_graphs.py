"""Shared helpers of the causal methods: data preparation and graph building."""

from __future__ import annotations

import numpy as np

from ..data import Series
from ..errors import DataError

__all__ = ["standardize", "constant_columns", "decorrelation_step", "auroc", "f1", "edge_key"]


def standardize(series: Series) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per-trajectory centred, pooled-unit-variance copies of each trajectory's states.

    Returns ``(xs, mean_of_each_trajectory, scale)``; a constant variable is a
    :class:`~discover.errors.DataError` naming it.
    """
    centred = [tr.x - tr.x.mean(axis=0) for tr in series.trajectories]
    scale = np.concatenate(centred).std(axis=0)
    bad = sorted([j for j, s in enumerate(scale) if not np.isfinite(s)] + constant_columns(series, scale))
    if bad:
        raise DataError("the variable is constant (within each trajectory); a causal graph needs variation",
                        column=series.variables[bad[0]])
    means = np.array([tr.x.mean(axis=0) for tr in series.trajectories])
    return [c / scale for c in centred], means, scale


def constant_columns(series: Series, scale: np.ndarray | None = None) -> list[int]:
    """Columns without variation within any trajectory: a pooled within-trajectory spread (``scale``,
    computed when not given) of at most 1e-12 of the column's largest magnitude."""
    if scale is None:
        scale = np.concatenate([tr.x - tr.x.mean(axis=0) for tr in series.trajectories]).std(axis=0)
    size = np.abs(series.x).max(axis=0)
    return [j for j in range(series.n_variables)
            if np.isfinite(scale[j]) and scale[j] <= 1e-12 * max(1.0, float(size[j]))]


def _median_acf(xs: list[np.ndarray], k: int) -> float | None:
    num, den = 0.0, 0.0
    used = False
    for x in xs:
        if len(x) <= k + 1:
            continue
        a, b = x[:-k], x[k:]
        num = num + (a * b).sum(axis=0)
        den = den + np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
        used = True
    if not used:
        return None
    return float(np.median(num / np.maximum(den, 1e-300)))


def decorrelation_step(xs: list[np.ndarray], target: float, max_step: int | None = None) -> int:
    """Lag (in samples) at which the median autocorrelation of the variables drops to ``target``.

    The crossing is located between samples by linear interpolation and then
    rounded to the nearest sample, so the same system sampled ten times as
    finely gives ten times the step (up to that rounding): the step is a
    fixed stretch of the system's own time, and the graph learned on it does
    not depend on the sampling interval.
    """
    longest = max(len(x) for x in xs)
    limit = max(1, (longest // 8) if max_step is None else max_step)
    prev = 1.0
    for k in range(1, limit + 1):
        rho = _median_acf(xs, k)
        if rho is None:
            return max(1, k - 1)
        if rho <= target:
            crossing = (k - 1) + (prev - target) / max(prev - rho, 1e-12)
            return max(1, int(round(crossing)))
        prev = rho
    return limit


def edge_key(source: int, target: int, lag: int) -> tuple[int, int, int]:
    return (int(source), int(target), int(lag))


def auroc(scores: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve (ties count half); NaN when a class is empty."""
    scores = np.asarray(scores, float).ravel()
    truth = np.asarray(truth, bool).ravel()
    pos, neg = scores[truth], scores[~truth]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def f1(selected: np.ndarray, truth: np.ndarray) -> float:
    """F1 score of a selected edge set against the true one."""
    selected = np.asarray(selected, bool).ravel()
    truth = np.asarray(truth, bool).ravel()
    tp = np.sum(selected & truth)
    if tp == 0:
        return 0.0
    precision = tp / selected.sum()
    recall = tp / truth.sum()
    return float(2 * precision * recall / (precision + recall))


def _adf_tstat(x: np.ndarray) -> float | None:
    """Augmented Dickey–Fuller t-statistic with constant and linear trend (Schwert's short lag rule, 4 (n/100)^(1/4)).

    ``Δx_t = a + b t + ρ x_{t-1} + Σ_k c_k Δx_{t-k} + e_t``; the t-statistic
    of ``ρ``. None when the series is too short to test (< 25 points).
    """
    n = len(x)
    if n < 25:
        return None
    k = int(min(4 * (n / 100) ** 0.25, n // 10))
    dx = np.diff(x)
    y = dx[k:]
    m = len(y)
    cols = [np.ones(m), np.arange(m, dtype=float), x[k:-1]]
    cols += [dx[k - j:len(dx) - j] for j in range(1, k + 1)]
    X = np.column_stack(cols)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = m - X.shape[1]
    if dof <= 5:
        return None
    s2 = resid @ resid / dof
    try:
        cov = s2 * np.linalg.inv(X.T @ X)
    except np.linalg.LinAlgError:
        return None
    se = np.sqrt(max(cov[2, 2], 1e-300))
    return float(beta[2] / se)


# 10 % critical value of the ADF test with constant and trend (MacKinnon, asymptotic): a unit-root
# series is flagged 9 times in 10, while stationary chaotic oscillators tested on short records
# (Lorenz-96, 4000 samples at dt = 0.01, t between -3.6 and -3.9) are not; at the 1 % value -3.96 they were
ADF_CRITICAL_10PCT = -3.13


def trending_columns(xs: list[np.ndarray], names, step: int = 1) -> dict[str, str]:
    """Columns that look non-stationary: ``{name: reason}``.

    A column is flagged when, in its longest trajectory sampled every
    ``step`` samples (the lag step, so a finely sampled continuous system is
    tested on its own time scale; at least 50 points), either a linear trend in time explains
    more than half its variance, or the augmented Dickey–Fuller test (with
    constant and trend) leaves its statistic above the 10 % critical value
    -3.13 (a series with a unit root is flagged 9 times in 10).
    Trajectories with fewer than 25 points at that step are not tested.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> walk = np.cumsum(rng.standard_normal(500))
    >>> noise = rng.standard_normal(500)
    >>> sorted(trending_columns([np.c_[walk, noise]], ["walk", "noise"]))
    ['walk']
    """
    longest = max(xs, key=len)
    # at most every len/50-th sample: an integrated series decorrelates slowly, so its own step is long
    x = longest[::max(1, min(int(step), len(longest) // 50))]
    out: dict[str, str] = {}
    if len(x) < 25:
        return out
    t = np.arange(len(x), dtype=float)
    T = np.column_stack([np.ones_like(t), t])
    for j, name in enumerate(names):
        col = x[:, j]
        var = col.var()
        if var <= 0:
            continue
        fit = T @ np.linalg.lstsq(T, col, rcond=None)[0]
        r2 = 1.0 - ((col - fit) ** 2).mean() / var
        stat = _adf_tstat(col)
        if r2 > 0.5:
            out[name] = f"a linear trend explains {r2:.0%} of its variance"
        elif stat is not None and stat > ADF_CRITICAL_10PCT:
            out[name] = f"unit root not rejected (ADF t = {stat:.2f} > {ADF_CRITICAL_10PCT})"
    return out


def residual_shape(E: np.ndarray) -> tuple[float, float]:
    """Median |skewness| and median excess kurtosis over the columns of residuals ``E``."""
    E = E - E.mean(axis=0)
    sd = E.std(axis=0)
    sd[sd == 0] = 1.0
    Zs = E / sd
    skew = np.abs((Zs ** 3).mean(axis=0))
    kurt = (Zs ** 4).mean(axis=0) - 3.0
    return float(np.median(skew)), float(np.median(kurt))


def undecided_scores(scores: np.ndarray, low: float = 0.3, high: float = 0.7) -> str | None:
    """A reason to call a graph unreliable when most edge scores sit near 0.5, else None.

    Examples
    --------
    >>> undecided_scores(np.array([0.45, 0.55, 0.5, 0.95]))
    '75% of the candidate pairs score between 0.3 and 0.7: the edges are not ranked clearly'
    >>> undecided_scores(np.array([0.02, 0.98, 0.5])) is None
    True
    """
    scores = np.asarray(scores, float).ravel()
    if scores.size == 0:
        return None
    middle = float(np.mean((scores > low) & (scores < high)))
    if middle > 0.5:
        return f"{middle:.0%} of the candidate pairs score between {low} and {high}: the edges are not ranked clearly"
    return None
