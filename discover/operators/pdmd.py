"""Piecewise DMD: one DMD per time window, for dynamics that no single linear operator follows.

After "Piecewise DMD for oscillatory and Turing spatio-temporal dynamics":
the snapshots are split into ``N`` contiguous windows (neighbours share
their boundary snapshot), an exact (or randomized-SVD) DMD of rank ``r`` is
fitted in each, and the reconstruction error is recorded for every ``N``
tried. With ``n_windows="auto"`` the smallest ``N`` whose error is below
``tol`` is chosen (else the best one). The fit also reports global DMD at
the same total number of modes ``N·r``, so a user sees whether the windows
really help, and forecasts from the last window.

Examples
--------
>>> import numpy as np
>>> from discover.operators.pdmd import PiecewiseDMD
>>> t = np.arange(400) * 0.05
>>> w = np.where(t < 10, 2.0, 3.0)                  # the frequency switches at t = 10
>>> phase = np.cumsum(w) * 0.05
>>> X = np.c_[np.cos(phase), np.sin(phase), np.cos(phase) + np.sin(phase)]
>>> m = PiecewiseDMD(n_windows=2, rank=2).fit(X, t=t)
>>> [sorted(np.round(np.abs(ev.imag), 2).tolist()) for ev in m.window_eigenvalues_]
[[2.0, 2.0], [3.0, 3.0]]
"""

from __future__ import annotations

import numbers

import numpy as np

from ..base import Interval, Method, Options, check_is_fitted
from ..errors import DataError
from ..findings import Spectrum
from ._common import as_data, blas_threads
from .dmd import DMD

__all__ = ["PiecewiseDMD"]


class _Windows:
    def accepts(self, v):
        return v == "auto" or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1)

    def describe(self):
        return "'auto' or an int in the range [1, inf)"


class PiecewiseDMD(Method):
    """Piecewise (windowed) DMD with an automatic number of windows.

    Parameters
    ----------
    n_windows : "auto" or int, default "auto"
        Number of windows; ``"auto"`` tries 1 … ``max_windows``.
    rank : "auto" or int, default 20
        DMD rank in each window (capped by the window's length); ``"auto"``:
        the optimal hard threshold in each window.
    tol : float, default 1e-3
        Relative reconstruction error that ``"auto"`` aims for. On noisy data
        the aim is raised to 1.5 × the noise level estimated from the
        singular values (windows cannot and should not fit the noise).
    max_windows : int, default 12
    svd : {"svd", "randomized", "auto"}, default "auto"
        SVD used in each window (``"auto"``: LAPACK).
    compare_global : bool, default True
        Also fit global DMD at rank ``N·r`` and report its error.
    random_state : int, Generator or None

    Attributes
    ----------
    n_windows_ : int
    bounds_ : list of (start, stop)
        Sample ranges of the windows (``stop`` exclusive; neighbours share a snapshot).
    models_ : list of DMD
    window_eigenvalues_ : list of ndarray
        Continuous-time eigenvalues per window.
    errors_by_n_ : dict
        ``{N: relative reconstruction error}`` for every ``N`` tried.
    reconstruction_error_ : float
    global_error_ : float or None
        Error of global DMD at rank ``N·r``.
    """

    name = "pdmd"
    _parameter_constraints = {
        "n_windows": [_Windows()],
        "rank": [Options("auto"), Interval(int, 1, None)],
        "tol": [Interval(float, 0, None, closed="neither")],
        "max_windows": [Interval(int, 1, None)],
        "svd": [Options("auto", "svd", "randomized")],
        "compare_global": [bool],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_windows="auto", rank=20, tol=1e-3, max_windows=12, svd="auto", compare_global=True,
                 random_state=None):
        self.n_windows = n_windows
        self.rank = rank
        self.tol = tol
        self.max_windows = max_windows
        self.svd = svd
        self.compare_global = compare_global
        self.random_state = random_state

    def fit(self, series, y=None, *, t=None):
        """Fit to a :class:`~discover.data.Series` with one trajectory, or an array ``(n_samples, n_features)``."""
        self._validate_params()
        data = as_data(series, t, owner="PiecewiseDMD")
        if len(data.xs) != 1:
            raise DataError("PiecewiseDMD works on one trajectory; fit each trajectory separately")
        if not data.regular:
            raise DataError("PiecewiseDMD needs a constant time step")
        T, X = data.ts[0], data.xs[0]
        self.variables_, self.dt_, self.n_features_in_ = data.variables, data.dt, data.n_features
        m = len(T)
        with blas_threads(X.size):
            if self.n_windows == "auto":
                candidates = range(1, max(1, min(self.max_windows, (m - 1) // 3)) + 1)
            else:
                if (m - 1) // self.n_windows < 2:
                    raise DataError(f"{self.n_windows} windows need at least {2 * self.n_windows + 1} samples")
                candidates = [self.n_windows]
            self.errors_by_n_ = {}
            best = None
            target = self.tol
            if self.n_windows == "auto":
                from ._linalg import temporal_svd

                _, sv, rg = temporal_svd(X, method=self._svd(), random_state=self.random_state)
                noise = float(np.sqrt(np.sum(sv[rg:] ** 2) / max(np.sum(sv**2), 1e-300)))
                target = max(self.tol, 1.5 * noise)
            self.target_error_ = target
            for N in candidates:
                fitted = self._fit_windows(T, X, N)
                err = fitted[2]
                self.errors_by_n_[N] = err
                if best is None or err < best[3] * 0.999:
                    best = (N, *fitted)
                if self.n_windows == "auto" and err <= target:
                    best = (N, *fitted)
                    break
            N, bounds, models, err = best
            self.n_windows_, self.bounds_, self.models_ = N, bounds, models
            self.reconstruction_error_ = err
            self.window_eigenvalues_ = [mdl.continuous_eigenvalues_ for mdl in models]
            self.global_error_ = None
            self.global_rank_ = None
            if self.compare_global:
                per = max(int(mdl.rank_) for mdl in models)
                rg = min(N * per, m - 1, X.shape[1])
                g = DMD(rank=int(rg), variant="exact", delays=1, svd=self._svd(), random_state=self.random_state)
                try:
                    g.fit(X, t=T)
                    self.global_error_ = _rel(X, g.reconstruct(0, T - T[0]))
                    self.global_rank_ = int(g.rank_)
                except Exception as exc:  # noqa: BLE001 - a comparison must not sink the fit
                    self.global_error_ = float("nan")
                    self.global_message_ = f"{type(exc).__name__}: {exc}"
        self._T, self._X_last = T, X[bounds[-1][0]:]
        return self

    def _svd(self):
        return "svd" if self.svd == "auto" else self.svd

    def _fit_windows(self, T, X, N):
        m = len(T)
        edges = np.linspace(0, m - 1, N + 1).round().astype(int)
        bounds = [(int(a), int(b) + 1) for a, b in zip(edges[:-1], edges[1:])]
        models, num, den = [], 0.0, 0.0
        for i, (a, b) in enumerate(bounds):
            Xw, Tw = X[a:b], T[a:b]
            r = "auto" if self.rank == "auto" else int(min(self.rank, len(Tw) - 1, X.shape[1]))
            mdl = DMD(rank=r, variant="exact", delays=1, svd=self._svd(), random_state=self.random_state).fit(Xw, t=Tw)
            rec = mdl.reconstruct(0, Tw - Tw[0])
            # count each shared boundary snapshot once
            s = 1 if i > 0 else 0
            num += float(np.sum((Xw[s:] - rec[s:]) ** 2))
            den += float(np.sum(Xw[s:] ** 2))
            models.append(mdl)
        return bounds, models, float(np.sqrt(num / max(den, 1e-300)))

    def reconstruct(self) -> np.ndarray:
        """The piecewise reconstruction of the training data, ``(n_samples, n_features)``."""
        check_is_fitted(self, "models_")
        out = np.empty((len(self._T), self.n_features_in_))
        for (a, b), mdl in zip(self.bounds_, self.models_):
            out[a:b] = mdl.reconstruct(0, self._T[a:b] - self._T[a])
        return out

    def forecast(self, n_steps: int) -> np.ndarray:
        """The next ``n_steps`` samples, from the last window's model."""
        check_is_fitted(self, "models_")
        return self.models_[-1].forecast(n_steps)

    def findings(self) -> list:
        check_is_fitted(self, "models_")
        out = []
        n = self.n_features_in_
        for i, ((a, b), mdl) in enumerate(zip(self.bounds_, self.models_)):
            o = mdl._order()
            keep = n * o.size <= 500_000
            metrics = {"window": i, "t_start": float(self._T[a]), "t_end": float(self._T[b - 1]),
                       "rank": int(mdl.rank_), "window_error": float(mdl.reconstruction_error_)}
            if i == 0:
                metrics.update({"n_windows": int(self.n_windows_), "reconstruction_error": self.reconstruction_error_,
                                "errors_by_n": {str(k): v for k, v in self.errors_by_n_.items()},
                                "global_rank": self.global_rank_, "global_error": self.global_error_})
            out.append(Spectrum(eigenvalues=mdl.eigenvalues_[o], dt=self.dt_,
                                modes=mdl.modes_[:, o] if keep else None, amplitudes=mdl.amplitudes_[o],
                                residuals=mdl.residuals_[o], spurious=mdl.spurious_[o],
                                variables=self.variables_ if keep else (), method=self.name, metrics=metrics))
        return out


def _rel(X, Xhat) -> float:
    d = np.linalg.norm(X)
    return float(np.linalg.norm(X - Xhat) / d) if d > 0 else float(np.linalg.norm(Xhat))
