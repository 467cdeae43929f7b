"""SINDy's final coefficients over every row, from normal equations summed over row chunks.

The reported equations are a least-squares refit, on all rows, of the
supports the selection chose; it needs the rows only through ``ΘᵀΘ`` and
``ΘᵀẊ`` (in the scaled units of the selection). :func:`stream_refit`
sums those over chunks of each trajectory. A chunk reads the rows its
targets need around it: the derivative stencil (finite differences, or the
Savitzky–Golay window the fit chose), the next state of a map, or the whole
test-function windows of the weak form; so each chunk's rows are the rows
the in-memory fit builds.
"""

from __future__ import annotations

import numpy as np

from ..base import check_is_fitted
from ..errors import DataError
from ..progress import task
from ..streaming import DEFAULT_CHUNK_ROWS, count_blocks, row_blocks
from . import preprocess
from .regression import fit_support, wald_intervals

__all__ = ["stream_refit", "chunk_rows_of"]


def _lower_median(values) -> int:
    v = np.sort(np.asarray(values, int))
    return int(v[(len(v) - 1) // 2])


def _derivative_settings(est, series):
    """Per trajectory, per-column windows (1: finite differences): the fit's own for the trajectories it
    was fitted on (the same lengths), else the lower median over the fit's trajectories."""
    infos = [i for i in est.diagnostics_["derivatives"] if i]
    lengths = [len(tr) for tr in series.trajectories]
    if lengths == list(getattr(est, "_lengths", ())) and len(infos) == len(lengths):
        return [list(i["windows"]) for i in infos]
    common = [_lower_median([i["windows"][j] for i in infos]) for j in range(len(est.variables_))]
    return [common] * len(lengths)


def chunk_rows_of(est, series, chunk: int):
    """Yield ``(A, B)`` — library rows and targets — of every row of ``series``, chunk by chunk."""
    form, lib = est.formulation_, est.library_
    windows_of = _derivative_settings(est, series) if form == "strong" else None
    if form == "weak":
        infos = [i for i in est.diagnostics_["derivatives"] if i]
        width0 = _lower_median([i["weak_width"] for i in infos])
        stride = _lower_median([i["weak_stride"] for i in infos])
    for k, tr in enumerate(series.trajectories):
        t, x = tr.t, tr.x
        z = x if tr.u is None else np.hstack([x, tr.u])  # a view per chunk would copy u anyway
        n = len(t)
        if form == "map":
            for lo, hi, _, _ in row_blocks(n, chunk, stop=n - 1):
                yield lib.evaluate(z[lo:hi]), np.asarray(x[lo + 1:hi + 1], float)
        elif form == "strong":
            windows, order = windows_of[k], preprocess.fd_order(n)
            steps = np.diff(t)
            uniform = n > 2 and np.allclose(steps, steps.mean(), rtol=1e-6, atol=0)
            delta = float(t[1] - t[0])
            reach = max(max(windows) // 2, order) + 2
            span = max(windows) + 1  # a Savitzky-Golay window fits inside every chunk, also at the ends
            for lo, hi, a, b in row_blocks(n, chunk, before=reach, after=reach):
                b = max(b, min(n, a + span))
                a = min(a, max(0, b - span))
                dx = preprocess.derivative_with(x[a:b], t[a:b], windows, order, uniform=uniform, delta=delta)
                yield lib.evaluate(z[lo:hi]), dx[lo - a:hi - a]
        else:  # weak: whole test-function windows per chunk, the window starts of the whole trajectory
            width = int(min(max(width0, 11), n))  # weak_rows' own bounds (p = 4)
            starts = np.arange(0, n - width + 1, stride)
            per = max(1, chunk // stride)
            for i in range(0, len(starts), per):
                a, b = int(starts[i]), int(starts[min(i + per, len(starts)) - 1]) + width
                A, B, _ = preprocess.weak_rows(t[a:b], x[a:b], lib.evaluate(z[a:b]), width, stride)
                yield A, B


def stream_refit(est, series, *, chunk_rows: int | None = None) -> str | None:
    """Refit a fitted :class:`~discover.sindy.SINDy`'s coefficients on every row of ``series``.

    The library, the formulation, the derivative windows, the supports and
    the scaling stay those of the fit; the coefficients, R², the equations and
    (without ``ensemble``) the least-squares intervals are those of every
    row. Ensemble intervals (a block bootstrap of rows) stay the fit's,
    widened to contain the refitted coefficient. Returns None when
    refitted, else why not.
    """
    check_is_fitted(est, "coefficients_")
    if est.rational or est.denominators_.any():
        return "not streamed: rational (SINDy-PI) fits"
    if est.formulation_ == "strong" and est.differentiation != "auto":
        return f"not streamed: differentiation={est.differentiation!r}"
    if tuple(series.variables) != tuple(est.variables_) or tuple(series.inputs) != tuple(est.inputs_):
        raise DataError(f"stream_refit needs the columns of the fit {list(est.variables_)}; "
                        f"got {list(series.variables)}")
    if min(len(tr) for tr in series.trajectories) < 3:
        return "not streamed: a trajectory has fewer than 3 samples"
    chunk = int(chunk_rows or DEFAULT_CHUNK_ROWS)
    s, sb = est._problem_scale
    supports = est.supports_
    d, m = supports.shape
    G, g = np.zeros((m, m)), np.zeros((m, d))
    bb, bsum, N = np.zeros(d), np.zeros(d), 0
    total = count_blocks([len(tr) for tr in series.trajectories], chunk)
    with task("sindy: normal equations over every row", total=total) as update:
        for A, B in chunk_rows_of(est, series, chunk):
            ok = np.all(np.isfinite(A), axis=1) & np.all(np.isfinite(B), axis=1)
            As, Bs = A[ok] / s, B[ok] / sb
            G += As.T @ As
            g += As.T @ Bs
            bb += np.einsum("ij,ij->j", Bs, Bs)
            bsum += Bs.sum(axis=0)
            N += len(As)
            update()
    if N < 2:
        return "not streamed: fewer than 2 usable rows"
    coef_s = np.array([fit_support(G / N, g[:, j] / N, supports[j]) for j in range(d)])
    unscale = sb[:, None] / s[None, :]
    coef = coef_s * unscale
    rss = np.maximum(bb - 2 * np.einsum("jm,mj->j", coef_s, g) + np.einsum("jm,mk,jk->j", coef_s, G, coef_s), 0)
    ss_tot = bb - bsum ** 2 / N
    est.r2_ = 1 - rss / np.where(ss_tot > 0, ss_tot, 1)
    lo, hi = est.coefficient_intervals_
    if est.ensemble:
        lo, hi = np.minimum(lo, coef), np.maximum(hi, coef)
    else:
        lo, hi = wald_intervals(coef_s, supports, lambda idx: G[np.ix_(idx, idx)], rss, N)
        lo, hi = lo * unscale, hi * unscale
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    est.coefficients_ = coef
    est.coefficient_intervals_ = (lo, hi)
    est.data_max_ = max(float(np.max(np.abs(tr.x))) for tr in series.trajectories)
    est._rhs_func = est._terms_func = None
    est.equations_ = [est._expression(j) for j in range(d)]
    est.streamed_ = (f"coefficients refitted on all {series.n_samples:,} rows ({N:,} regression rows) in chunks of "
                     f"{chunk:,}; library, derivatives and supports chosen on the rows of the first fit"
                     + ("; ensemble intervals from the first fit" if est.ensemble else ""))
    est.diagnostics_["streamed"] = est.streamed_
    return None
