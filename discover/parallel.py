"""Where work runs: one process, a local pool, or a Dask cluster — chosen by one option.

Everything goes through joblib; ``backend="dask"`` uses joblib's Dask backend
with whatever ``dask.distributed.Client`` is active (tests use a
``LocalCluster``). No home-made scheduler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["run_parallel", "parallel_map"]


def parallel_map(func: Callable, items: Sequence, *, n_jobs: int | None = 1, backend: str | None = None) -> list:
    """``[func(*item) for item in items]``, in parallel when ``n_jobs != 1``; order kept."""
    if n_jobs in (None, 1) and backend is None:
        return [func(*item) for item in items]
    from joblib import Parallel, delayed, parallel_config

    if backend == "dask":
        import dask.distributed  # noqa: F401 - registers the backend with joblib
    with parallel_config(backend=backend or "loky", n_jobs=n_jobs or -1):
        return Parallel()(delayed(func)(*item) for item in items)


def run_parallel(func: Callable, items: Sequence, *, n_jobs: int | None = -1, backend: str | None = None,
                 on_done: Callable[[Any], None] | None = None) -> list:
    """Like :func:`parallel_map`, calling ``on_done(first item element)`` as results arrive."""
    results = parallel_map(func, items, n_jobs=n_jobs, backend=backend)
    if on_done is not None:
        for item in items:
            on_done(item[0])
    return results
