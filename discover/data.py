"""The data layer: from CSV files, DataFrames or arrays to a validated :class:`Series`.

A :class:`Series` is one dynamical system observed as one or several
trajectories. Each :class:`Trajectory` holds its time stamps ``t`` (shape
``(n,)``), its state ``x`` (shape ``(n, n_variables)``) and, when the system
is driven, its exogenous inputs ``u`` (shape ``(n, n_inputs)``). Arrays are
copies of what the user gave, marked read-only: nothing the user passed is
ever modified.

The data layer knows no method. Methods ask it for derivatives
(:meth:`Series.derivatives`), held-out splits and stacked arrays.

Examples
--------
>>> import numpy as np
>>> from discover.data import from_arrays
>>> t = np.linspace(0, 1, 101)
>>> s = from_arrays(np.c_[np.cos(t), np.sin(t)], t=t, names=["x", "y"])
>>> s.variables, s.n_samples, s.n_trajectories
(('x', 'y'), 101, 1)
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, DataWarning

__all__ = [
    "Trajectory",
    "Series",
    "load",
    "load_csv",
    "from_dataframe",
    "from_arrays",
    "TIME_NAMES",
]

#: Column names taken as the time column when none is named.
TIME_NAMES = ("t", "time", "Time", "T")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Trajectory:
    """One trajectory: time stamps, states and (optionally) inputs."""

    t: np.ndarray
    x: np.ndarray
    u: np.ndarray | None = None
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "t", _frozen(self.t).reshape(-1))
        x = _frozen(self.x)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
            x.setflags(write=False)
        object.__setattr__(self, "x", x)
        if self.u is not None:
            u = _frozen(self.u)
            if u.ndim == 1:
                u = u.reshape(-1, 1)
                u.setflags(write=False)
            object.__setattr__(self, "u", u)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def dt(self) -> float:
        """Median time step."""
        return float(np.median(np.diff(self.t))) if len(self.t) > 1 else float("nan")

    @property
    def regular(self) -> bool:
        """True when all time steps equal the median within 1e-6 relative."""
        if len(self.t) < 3:
            return True
        d = np.diff(self.t)
        return bool(np.all(np.abs(d - np.median(d)) <= 1e-6 * abs(np.median(d))))

    def slice(self, start: int | None, stop: int | None) -> Trajectory:
        """Samples ``start:stop`` as a new trajectory."""
        return Trajectory(self.t[start:stop], self.x[start:stop],
                          None if self.u is None else self.u[start:stop], self.name)


@dataclass(frozen=True)
class Series:
    """A dynamical system observed as one or several trajectories.

    Parameters
    ----------
    trajectories : sequence of Trajectory
    variables : sequence of str
        Names of the state variables (columns of each trajectory's ``x``).
    inputs : sequence of str
        Names of the exogenous inputs (columns of ``u``); empty if none.
    time : str
        Name of the time column (``"t"`` when the row index was used).
    source : str
        Where the data came from (file names), for reports.
    """

    trajectories: tuple
    variables: tuple
    inputs: tuple = ()
    time: str = "t"
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "trajectories", tuple(self.trajectories))
        object.__setattr__(self, "variables", tuple(str(v) for v in self.variables))
        object.__setattr__(self, "inputs", tuple(str(v) for v in self.inputs))
        if not self.trajectories:
            raise DataError("a Series needs at least one trajectory")
        for k, tr in enumerate(self.trajectories):
            if tr.x.shape[1] != len(self.variables):
                raise DataError(
                    f"trajectory {k} has {tr.x.shape[1]} state columns but {len(self.variables)} names were given"
                )
            if (tr.u is None) != (not self.inputs) or (tr.u is not None and tr.u.shape[1] != len(self.inputs)):
                raise DataError(f"trajectory {k} does not match the input names {list(self.inputs)}")

    # -- shape -------------------------------------------------------------
    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_trajectories(self) -> int:
        return len(self.trajectories)

    @property
    def n_samples(self) -> int:
        """Total number of samples over all trajectories."""
        return sum(len(tr) for tr in self.trajectories)

    @property
    def dt(self) -> float:
        """Median time step over all trajectories."""
        steps = np.concatenate([np.diff(tr.t) for tr in self.trajectories])
        return float(np.median(steps)) if len(steps) else float("nan")

    @property
    def regular(self) -> bool:
        """True when every trajectory is sampled at the same constant step."""
        dt = self.dt
        return all(tr.regular and (len(tr) < 2 or abs(tr.dt - dt) <= 1e-6 * abs(dt))
                   for tr in self.trajectories)

    @property
    def x(self) -> np.ndarray:
        """All states stacked, shape ``(n_samples, n_variables)``."""
        return np.concatenate([tr.x for tr in self.trajectories])

    @property
    def t(self) -> np.ndarray:
        """All time stamps stacked, shape ``(n_samples,)``."""
        return np.concatenate([tr.t for tr in self.trajectories])

    @property
    def u(self) -> np.ndarray | None:
        """All inputs stacked, or ``None``."""
        if not self.inputs:
            return None
        return np.concatenate([tr.u for tr in self.trajectories])

    def __iter__(self):
        return iter(self.trajectories)

    def __len__(self) -> int:
        return self.n_trajectories

    def __repr__(self) -> str:
        inp = f", inputs={list(self.inputs)}" if self.inputs else ""
        return (f"Series(variables={list(self.variables)}{inp}, trajectories={self.n_trajectories}, "
                f"samples={self.n_samples}, dt={self.dt:.4g}{'' if self.regular else ' (irregular)'})")

    # -- derived data ------------------------------------------------------
    def derivatives(self, method: str = "auto", **kwargs) -> list[np.ndarray]:
        """Time derivatives of the states, one array per trajectory.

        Computed trajectory by trajectory, never across a boundary. See
        :func:`discover.derivatives.differentiate` for the methods.
        """
        from .derivatives import differentiate

        return [differentiate(tr.x, tr.t, method=method, **kwargs) for tr in self.trajectories]

    def with_trajectories(self, trajectories) -> Series:
        """A Series with the same names and other trajectories."""
        return Series(tuple(trajectories), self.variables, self.inputs, self.time, self.source, dict(self.meta))

    def split(self, fraction: float = 0.2) -> tuple[Series, Series]:
        """Split into (train, held-out): the last ``fraction`` of each trajectory is held out.

        With several trajectories and ``fraction * n_trajectories >= 1``,
        whole trajectories are held out instead (the last ones), so held-out
        data start from initial conditions the fit never saw.
        """
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be in (0, 1); got {fraction}")
        n_hold = int(round(fraction * self.n_trajectories))
        if self.n_trajectories > 1 and n_hold >= 1:
            return (self.with_trajectories(self.trajectories[:-n_hold]),
                    self.with_trajectories(self.trajectories[-n_hold:]))
        train, test = [], []
        for tr in self.trajectories:
            cut = max(2, int(round(len(tr) * (1 - fraction))))
            train.append(tr.slice(None, cut))
            test.append(tr.slice(cut - 1, None))
        return self.with_trajectories(train), self.with_trajectories(test)

    def to_frame(self):
        """All trajectories as one :class:`pandas.DataFrame` (with a ``trajectory`` column when several)."""
        import pandas as pd

        frames = []
        for k, tr in enumerate(self.trajectories):
            df = pd.DataFrame(tr.x, columns=list(self.variables))
            if self.inputs:
                for j, name in enumerate(self.inputs):
                    df[name] = tr.u[:, j]
            df.insert(0, self.time, tr.t)
            if self.n_trajectories > 1:
                df.insert(0, "trajectory", tr.name or k)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict:
        """A JSON-able description for reports."""
        return {
            "source": self.source,
            "variables": list(self.variables),
            "inputs": list(self.inputs),
            "time": self.time,
            "n_trajectories": self.n_trajectories,
            "n_samples": self.n_samples,
            "dt": self.dt,
            "regular": self.regular,
        }


# ---------------------------------------------------------------------------
# Constructors. (First cut: the data-layer work hardens and extends these.)


def from_arrays(x, t=None, *, dt: float | None = None, names: Sequence[str] | None = None, u=None,
                input_names: Sequence[str] | None = None, source: str = "arrays") -> Series:
    """A Series from arrays: ``x`` of shape ``(n, d)`` (or a list of such, one per trajectory)."""
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    ts = list(t) if isinstance(t, (list, tuple)) else [t] * len(xs)
    us = list(u) if isinstance(u, (list, tuple)) else [u] * len(xs)
    trajs = []
    for k, (xk, tk, uk) in enumerate(zip(xs, ts, us)):
        xk = np.asarray(xk, float)
        if xk.ndim == 1:
            xk = xk[:, None]
        if tk is None:
            tk = np.arange(len(xk)) * (1.0 if dt is None else dt)
        trajs.append(Trajectory(np.asarray(tk, float), xk, None if uk is None else np.asarray(uk, float), str(k)))
    d = trajs[0].x.shape[1]
    names = tuple(names) if names is not None else tuple(f"x{i}" for i in range(d))
    inames = () if trajs[0].u is None else (
        tuple(input_names) if input_names is not None else tuple(f"u{i}" for i in range(trajs[0].u.shape[1])))
    return Series(tuple(trajs), names, inames, "t", source)


def from_dataframe(df, **kwargs) -> Series:  # pragma: no cover - replaced by the data-layer work
    raise NotImplementedError


def load_csv(paths, **kwargs) -> Series:  # pragma: no cover - replaced by the data-layer work
    raise NotImplementedError


def load(data, **kwargs) -> Series:  # pragma: no cover - replaced by the data-layer work
    if isinstance(data, Series):
        return data
    raise NotImplementedError
