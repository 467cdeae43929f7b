"""Input handling shared by the operator methods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import Series
from ..errors import DataError
from ._linalg import in_threads


@dataclass
class Data:
    """Trajectories as plain arrays (no copies of large arrays)."""

    ts: list  #: times per trajectory
    xs: list  #: states per trajectory, (m_k, n)
    us: list | None  #: inputs per trajectory or None
    variables: tuple
    inputs: tuple
    time: str = ""  #: the unit of periods: the series' time unit, else the time column's name; "" when unknown

    @property
    def dt(self) -> float:
        if not hasattr(self, "_dt"):
            self._steps = np.concatenate([np.diff(t) for t in self.ts])
            self._dt = float(np.median(self._steps))
        return self._dt

    @property
    def regular(self) -> bool:
        dt = self.dt
        return bool(np.all(np.abs(self._steps - dt) <= 1e-6 * abs(dt)))

    @property
    def n_features(self) -> int:
        return self.xs[0].shape[1]

    def pairs(self):
        """Stacked snapshot pairs (X1, X2, U1): views when there is one trajectory."""
        if len(self.xs) == 1:
            x = self.xs[0]
            u = None if self.us is None else self.us[0][:-1]
            return x[:-1], x[1:], u
        X1 = np.concatenate([x[:-1] for x in self.xs])
        X2 = np.concatenate([x[1:] for x in self.xs])
        U1 = None if self.us is None else np.concatenate([u[:-1] for u in self.us])
        return X1, X2, U1


def as_data(series, t=None, u=None, *, owner: str = "method", min_samples: int = 3,
            check_finite: bool = True) -> Data:
    """A :class:`Series` or an array ``(n_samples, n_features)`` (or memmap) as :class:`Data`.

    ``check_finite=False`` leaves the NaN/inf check to the caller
    (:func:`check_finite_data`), for a method whose first pass over the data
    shows it anyway (wide DMD: the per-channel energies).
    """
    if isinstance(series, Series):
        ts = [tr.t for tr in series.trajectories]
        xs = [tr.x for tr in series.trajectories]
        us = [tr.u for tr in series.trajectories] if series.inputs else None
        variables, inputs = series.variables, series.inputs
        time = str(getattr(series, "time_unit", "") or getattr(series, "time", "") or "")
    else:
        time = ""
        X = series if isinstance(series, np.memmap) else np.asarray(series)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise DataError(f"{owner} needs a Series or a 2-D array (n_samples, n_features); got shape {X.shape}")
        if not np.issubdtype(X.dtype, np.number):
            raise DataError(f"{owner} needs numeric data; got dtype {X.dtype}")
        ts = [np.arange(X.shape[0], dtype=float) if t is None else np.asarray(t, float)]
        xs = [X]
        us = None if u is None else [np.asarray(u, float).reshape(X.shape[0], -1)]
        variables = tuple(f"x{i}" for i in range(X.shape[1]))
        inputs = () if u is None else tuple(f"u{i}" for i in range(us[0].shape[1]))
    for k, (tk, xk) in enumerate(zip(ts, xs)):
        if len(tk) < min_samples:
            raise DataError(f"{owner} needs at least {min_samples} samples per trajectory; "
                            f"trajectory {k} has {len(tk)}")
        if len(tk) != xk.shape[0]:
            raise DataError(f"trajectory {k}: {len(tk)} time stamps for {xk.shape[0]} samples")
        if check_finite:
            # a finite sum means every value is finite (NaN and inf propagate): one read, no n-sized mask
            check_finite_data(xs[k:k + 1], total=sum(in_threads(np.sum, xk, 0)) if _checked(xk) else 0.0, first=k)
        if np.any(np.diff(tk) <= 0):
            raise DataError(f"trajectory {k}: time stamps must increase strictly")
    return Data(ts, xs, us, tuple(variables), tuple(inputs), time)


def _checked(x) -> bool:
    """Arrays whose values are checked for NaN/inf (a memory map, or more than 5·10⁷ values, is not read)."""
    return not isinstance(x, np.memmap) and x.size < 50_000_000


def check_finite_data(xs, total: float, first: int = 0) -> None:
    """Raise :class:`DataError` naming the trajectory and row of the first NaN or inf in ``xs``.

    ``total`` is any sum over the values (of them or of their squares) the
    caller has already computed: when it is finite, every value is (NaN and
    inf propagate), and nothing is read again; only a sum that is not finite
    (a real NaN, or an overflow) is followed by the full check.
    """
    if np.isfinite(total):
        return
    for k, xk in enumerate(xs, start=first):
        if _checked(xk) and not np.all(np.isfinite(xk)):
            raise DataError(f"trajectory {k} contains NaN or inf", row=int(np.argwhere(~np.isfinite(xk))[0, 0]) + 1)


def relative_error(X, Xhat) -> float:
    num = np.linalg.norm(np.asarray(X) - Xhat)
    den = np.linalg.norm(X)
    return float(num / den) if den > 0 else float(num)


_CONTROLLER = None


def blas_threads(n_elements: int, limit: int = 4_000_000):
    """One BLAS thread for small problems (threads only add overhead there, and
    oversubscribed OpenBLAS threads can slow a 300×50 SVD a thousandfold)."""
    import contextlib

    global _CONTROLLER
    if n_elements > limit:
        return contextlib.nullcontext()
    try:
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER.limit(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 - threadpoolctl is optional
        return contextlib.nullcontext()
