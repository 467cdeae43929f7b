"""Shared helpers of the causal methods: data preparation and graph building."""

from __future__ import annotations

import numpy as np

from ..data import Series
from ..errors import DataError

__all__ = ["standardize", "decorrelation_step", "auroc", "f1", "edge_key"]


def standardize(series: Series) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per-trajectory centred, pooled-unit-variance copies of each trajectory's states.

    Returns ``(xs, mean_of_each_trajectory, scale)``; a constant variable is a
    :class:`~discover.errors.DataError` naming it.
    """
    centred = [tr.x - tr.x.mean(axis=0) for tr in series.trajectories]
    pooled = np.concatenate(centred)
    scale = pooled.std(axis=0)
    for j, s in enumerate(scale):
        if not np.isfinite(s) or s <= 1e-12 * max(1.0, float(np.abs(series.x[:, j]).max())):
            raise DataError("the variable is constant (within each trajectory); a causal graph needs variation",
                            column=series.variables[j])
    means = np.array([tr.x.mean(axis=0) for tr in series.trajectories])
    return [c / scale for c in centred], means, scale


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
