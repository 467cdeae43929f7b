"""Chunked (streaming) sums over every row of a :class:`~discover.data.Series`.

Some methods need the data only through sums over rows: Gram matrices of
snapshot pairs (the DMD family), the normal equations of a regression on a
library (SINDy's final coefficients), the covariance of lag windows
(DYNOTEARS). Those sums can be taken over row chunks of bounded size, so a
fit over 10^7 rows needs memory for one chunk, not for copies of the whole
record. :func:`discover.fit` fits such a method on a subsample first (where
its choices — rank, library, λ — need the data themselves) and then refits
its final estimates on every row through these sums (the estimator's
``stream_refit``).

A chunk carries the rows around it that its rows need (lags, delays,
derivative stencils) and never crosses a trajectory boundary, so the sums
are those of the in-memory computation, up to the order of floating-point
additions.

Examples
--------
>>> import numpy as np
>>> from discover.streaming import lagged_moments
>>> x = np.arange(20.0).reshape(10, 2)
>>> G, s, n = lagged_moments([x], (0, 1), chunk_rows=3)
>>> W = np.hstack([x[:-1], x[1:]])          # the rows [x_t, x_{t+1}]
>>> bool(np.allclose(G, W.T @ W)), bool(np.allclose(s, W.sum(axis=0))), n
(True, True, 9)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .errors import ParameterError

__all__ = ["DEFAULT_CHUNK_ROWS", "row_blocks", "lagged_moments", "count_blocks"]

#: Rows per chunk when none is given: 10^5 rows of 10 columns are 8 MB, and the per-chunk
#: products (a library of a few hundred terms) stay within a few hundred MB.
DEFAULT_CHUNK_ROWS = 100_000


def _check_chunk(chunk_rows: int) -> int:
    if isinstance(chunk_rows, bool) or int(chunk_rows) != chunk_rows or chunk_rows < 1:
        raise ParameterError(f"chunk_rows must be a positive integer; got {chunk_rows!r}")
    return int(chunk_rows)


def row_blocks(n: int, chunk_rows: int, *, before: int = 0, after: int = 0,
               first: int = 0, stop: int | None = None) -> Iterator[tuple[int, int, int, int]]:
    """Chunks of the output rows ``first .. stop - 1`` of a trajectory of ``n`` rows.

    Yields ``(lo, hi, a, b)``: the chunk's output rows are ``lo .. hi - 1``
    and it reads the rows ``a .. b - 1`` (``before`` rows ahead of ``lo``
    and ``after`` rows past ``hi``, clipped to the trajectory), so that a
    computation needing that many neighbours gets them across chunk edges.
    """
    chunk_rows = _check_chunk(chunk_rows)
    stop = n if stop is None else stop
    for lo in range(first, stop, chunk_rows):
        hi = min(lo + chunk_rows, stop)
        yield lo, hi, max(0, lo - before), min(n, hi + after)


def count_blocks(lengths: Sequence[int], chunk_rows: int) -> int:
    """Number of chunks :func:`row_blocks` gives over trajectories of ``lengths`` (for progress bars)."""
    chunk_rows = _check_chunk(chunk_rows)
    return int(sum(-(-max(n, 0) // chunk_rows) for n in lengths))


def lagged_moments(xs: Sequence[np.ndarray], offsets: Sequence[int], *, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                   center: Sequence[np.ndarray] | None = None, scale: np.ndarray | None = None,
                   update=None) -> tuple[np.ndarray, np.ndarray, int]:
    """``(Σ w wᵀ, Σ w, count)`` over the rows ``w_t = [x_{t+o} for o in offsets]`` of every trajectory.

    Parameters
    ----------
    xs : list of ndarray, each (n_k, d)
        The trajectories; rows never pair across two of them.
    offsets : sequence of int
        Row offsets of the blocks of ``w``: ``(0, 1)`` gives DMD's snapshot
        pairs ``[x_t, x_{t+1}]``; ``(0, -s, -2s)`` DYNOTEARS' lag windows
        ``[x_t, x_{t-s}, x_{t-2s}]``; ``(0, 1, ..., q-1)`` a delay embedding.
        Only the ``t`` with every ``t + o`` inside the trajectory count.
    chunk_rows : int
        Rows ``t`` per chunk; each chunk reads ``max(offsets) - min(offsets)``
        more rows around them.
    center : list of ndarray (d,), optional
        Subtracted from each trajectory's rows (one vector per trajectory).
    scale : ndarray (d,), optional
        Each column is divided by it (after centring).
    update : callable, optional
        Called once per chunk (a :func:`discover.progress.task` update).

    Returns
    -------
    G : ndarray (q d, q d)
        ``Σ_t w_t w_tᵀ`` with ``q = len(offsets)``.
    s : ndarray (q d,)
        ``Σ_t w_t``.
    count : int
        The number of rows ``t``.
    """
    offsets = [int(o) for o in offsets]
    lo_off, hi_off = min(offsets), max(offsets)
    d = xs[0].shape[1]
    q = len(offsets)
    G = np.zeros((q * d, q * d))
    s = np.zeros(q * d)
    count = 0
    for k, x in enumerate(xs):
        n = len(x)
        first, stop = max(0, -lo_off), n - max(0, hi_off)
        if stop <= first:
            continue
        for lo, hi, _, _ in row_blocks(n, chunk_rows, first=first, stop=stop):
            block = np.asarray(x[lo + lo_off: hi + hi_off], float)
            if center is not None:
                block = block - center[k]
            if scale is not None:
                block = block / scale
            m = hi - lo
            W = np.concatenate([block[o - lo_off: o - lo_off + m] for o in offsets], axis=1) if q > 1 else block
            G += W.T @ W
            s += W.sum(axis=0)
            count += m
            if update is not None:
                update()
    return G, s, count
