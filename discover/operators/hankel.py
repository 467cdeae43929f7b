"""Delay-embedded (Hankel) DMD as a wrapper around any DMD variant, and HAVOK.

:class:`HankelDMD` stacks ``delays`` consecutive samples of each trajectory
into one row (``[x_k, x_{k+s}, …, x_{k+(d−1)s}]``, ``s`` the ``stride``) and
fits the wrapped estimator (a :class:`~discover.operators.dmd.DMD` with any
variant) to the embedded series. Delays let DMD see oscillations in a single
measured channel, and let it represent nonlinear dynamics on an attractor.

:class:`HAVOK` (Hankel alternative view of Koopman, Brunton et al. 2017)
takes the delay coordinates of one variable (the leading right singular
vectors of its Hankel matrix), fits a linear model of the first ``r − 1``
coordinates forced by the last, ``dv/dt = A v + B v_r``, and reads the
forcing ``v_r`` as an intermittency detector: it is active (large) shortly
before rare events such as the lobe switches of the Lorenz attractor.

Examples
--------
>>> import numpy as np
>>> from discover.data import from_arrays
>>> from discover.operators.hankel import HankelDMD
>>> t = np.arange(300) * 0.1
>>> y = np.cos(1.5 * t) + 0.5 * np.cos(0.4 * t)   # one channel, four eigenvalues
>>> m = HankelDMD(delays=8).fit(from_arrays(y, t=t, names=["y"]))
>>> np.round(np.sort(np.abs(m.continuous_eigenvalues_.imag)), 6)
array([0.4, 0.4, 1.5, 1.5])
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..base import Interval, Method, check_is_fitted
from ..data import Series, Trajectory
from ..errors import DataError
from ..findings import Equation, Simulation, Spectrum, symbols_for
from ._common import as_data, blas_threads
from .dmd import DMD, _auto_delays, _Delays

__all__ = ["HankelDMD", "HAVOK", "hankel_embed"]


def hankel_embed(X: np.ndarray, delays: int, stride: int = 1) -> np.ndarray:
    """Rows ``[x_k, x_{k+s}, …, x_{k+(d−1)s}]`` for ``k = 0 … m − 1 − (d−1)s``; shape ``(m − (d−1)s, n·d)``."""
    X = np.asarray(X, float)
    if X.ndim == 1:
        X = X[:, None]
    span = (delays - 1) * stride
    m = X.shape[0] - span
    if m < 2:
        raise DataError(f"{delays} delays with stride {stride} need more than {span + 1} samples; got {X.shape[0]}")
    return np.concatenate([X[j * stride:j * stride + m] for j in range(delays)], axis=1)


class HankelDMD(Method):
    """DMD of the delay-embedded series (any DMD variant), or HAVOK with ``havok=True``.

    Parameters
    ----------
    estimator : DMD or None, default None
        The DMD to wrap (``None``: ``DMD()`` with automatic rank and variant).
        Its own automatic delay check is off inside the wrapper (an
        estimator with ``delays="auto"`` runs with ``delays=1``).
    delays : "auto" or int, default "auto"
        Number of delayed copies; ``"auto"`` takes enough for about 30
        embedded coordinates (at most a quarter of the samples).
    stride : int, default 1
        Samples between delays.
    havok : bool, default False
        Fit a :class:`HAVOK` model instead (of the first variable, or of
        ``havok_variable``) and report its forced linear model.
    havok_variable : str or None
        The variable HAVOK embeds.
    rank : int, default 15
        Number of HAVOK coordinates (the last is the forcing); with
        ``delays="auto"`` at most half the delays.

    With ``havok=True`` and ``delays="auto"``, the embedding window is an
    eighth of the dominant period of the variable's rate of change (from
    its spectrum, so slow drifts and regime switches do not set it).

    Attributes
    ----------
    estimator_ : DMD
        The fitted wrapped estimator (on the embedded series).
    delays_ : int
    eigenvalues_, continuous_eigenvalues_ : ndarray
    modes_ : ndarray (n_features, r)
        The block of the embedded modes that belongs to the current sample.
    """

    name = "hankel"
    _parameter_constraints = {
        "estimator": [None, DMD],
        "delays": [_Delays()],
        "stride": [Interval(int, 1, None)],
        "havok": [bool],
        "havok_variable": [None, str],
        "rank": [Interval(int, 2, None)],
    }

    def __init__(self, *, estimator=None, delays="auto", stride=1, havok=False, havok_variable=None, rank=15):
        self.estimator = estimator
        self.delays = delays
        self.stride = stride
        self.havok = havok
        self.havok_variable = havok_variable
        self.rank = rank

    def fit(self, series, y=None, *, t=None):
        """Fit to a :class:`~discover.data.Series` (or an array ``(n_samples, n_features)``)."""
        self._validate_params()
        data = as_data(series, t, owner="HankelDMD")
        self.variables_ = data.variables
        if self.havok:
            var = self.havok_variable or data.variables[0]
            if var not in data.variables:
                raise DataError(f"HAVOK variable {var!r} is not a column; columns: {list(data.variables)}")
            j = data.variables.index(var)
            if self.delays == "auto":  # an eighth of the dominant period of dx/dt (slow drifts ignored)
                x0 = np.diff(data.xs[0][:, j])
                f = np.fft.rfftfreq(len(x0), d=data.dt)
                p = np.abs(np.fft.rfft(x0))
                period = 1.0 / f[1 + np.argmax(p[1:])] if len(p) > 1 else len(x0) * data.dt
                d = int(round(period / 8 / (data.dt * self.stride)))
            else:
                d = self.delays
            d = int(max(5, min(d, min(len(x) for x in data.xs) // 3)))
            r = min(self.rank, max(5, d // 2)) if self.delays == "auto" else min(self.rank, d)
            self.havok_ = HAVOK(delays=d, rank=r, stride=self.stride).fit(
                [x[:, j] for x in data.xs], t=data.ts, variable=var)
            self.delays_ = d
            self.eigenvalues_ = self.havok_.eigenvalues_
            self.continuous_eigenvalues_ = self.havok_.continuous_eigenvalues_
            return self
        n = data.n_features
        mmin = min(len(x) for x in data.xs)
        if self.delays == "auto":
            d = _auto_delays(n, mmin)
        else:
            d = int(self.delays)
        span = (d - 1) * self.stride
        if mmin - span < 3:
            raise DataError(f"HankelDMD: {d} delays (stride {self.stride}) leave fewer than 3 rows "
                            f"in a trajectory of {mmin} samples")
        self.delays_ = d
        emb = [hankel_embed(x, d, self.stride) for x in data.xs]
        ts = [tk[:len(e)] for tk, e in zip(data.ts, emb)]
        names = [f"{v}[+{j * self.stride}]" if j else v for j in range(d) for v in data.variables]
        # (built directly: the embedded rows need no second validation, and
        # may well have more columns than rows)
        es = Series(tuple(Trajectory(tk, e) for tk, e in zip(ts, emb)), tuple(names), source="hankel",
                    time=data.time or "t")
        est = DMD(delays=1) if self.estimator is None else _clone(self.estimator)
        if est.delays == "auto":  # the embedding is done here
            est.set_params(delays=1)
        with blas_threads(sum(e.size for e in emb)):
            est.fit(es)
        self.estimator_ = est
        self.n_features_in_ = n
        self.eigenvalues_ = est.eigenvalues_
        self.continuous_eigenvalues_ = est.continuous_eigenvalues_
        M = est.modes_[:n]
        nrm = np.linalg.norm(M, axis=0)
        nrm[nrm == 0] = 1
        self.modes_ = M / nrm
        self.dt_ = est.dt_
        return self

    def forecast(self, n_steps: int) -> np.ndarray:
        """The next ``n_steps`` samples after the end of the last trajectory, ``(n_steps, n_features)``."""
        check_is_fitted(self, "eigenvalues_")
        if self.havok:
            raise NotImplementedError("HAVOK needs the forcing to run forward; use havok_.simulate")
        if self.stride != 1:
            raise NotImplementedError("forecast needs stride 1")
        n = self.n_features_in_
        return self.estimator_.forecast(n_steps)[:, -n:]

    def findings(self) -> list:
        check_is_fitted(self, "eigenvalues_")
        if self.havok:
            return self.havok_.findings()
        inner = self.estimator_.findings()[0]
        metrics = dict(inner.metrics)
        metrics.update({"delays": self.delays_, "stride": self.stride})
        o = np.lexsort((-np.abs(self.estimator_.amplitudes_), self.estimator_.spurious_))
        return [Spectrum(eigenvalues=self.eigenvalues_[o], dt=self.dt_, modes=self.modes_[:, o],
                         amplitudes=self.estimator_.amplitudes_[o], residuals=self.estimator_.residuals_[o],
                         spurious=self.estimator_.spurious_[o], variables=self.variables_, method=self.name,
                         metrics=metrics, time_unit=inner.time_unit,
                         intervals=None if inner.intervals is None else self.estimator_.eigenvalue_intervals_[o])]


def _clone(est):
    from sklearn.base import clone

    return clone(est)


def _derivative(v: np.ndarray, dt: float) -> np.ndarray:
    """Fourth-order central differences (second order at the ends), along axis 0."""
    d = np.empty_like(v)
    d[2:-2] = (-v[4:] + 8 * v[3:-1] - 8 * v[1:-3] + v[:-4]) / (12 * dt)
    d[:2] = (v[1:3] - v[0:2]) / dt
    d[-2:] = (v[-2:] - v[-3:-1]) / dt
    return d


class HAVOK:
    """Hankel alternative view of Koopman: a linear model forced by its last delay coordinate.

    Parameters
    ----------
    delays : int, default 100
        Rows of the Hankel matrix of the measured variable.
    rank : int, default 15
        Delay coordinates kept; the last one is the forcing.
    stride : int, default 1
    threshold : float or None
        Forcing is "active" where ``|v_r| > threshold``; ``None``: 2.5
        standard deviations of ``v_r`` (computed on the data).
    window : float or None
        Time span of the intermittency score ``intermittency_`` (the largest
        ``|v_r|`` over the past ``window``); ``None``: the embedding window.

    Attributes
    ----------
    coordinates_ : ndarray (rows, rank)
        Delay coordinates ``v_1 … v_r`` (one row per Hankel row, timed at its latest sample, ``times_``).
    forcing_, active_, intermittency_ : ndarray (rows,)
        ``v_r``, ``|v_r| > threshold_`` and the causal score.
    A_, B_ : the forced linear model ``dv/dt = A v + B v_r``.

    Examples
    --------
    >>> from discover.systems import simulate
    >>> s = simulate("lorenz", n=6000, dt=0.005)
    >>> h = HAVOK(delays=40, rank=11).fit([s.trajectories[0].x[:, 0]], t=[s.trajectories[0].t])
    >>> h.forcing_.shape == h.active_.shape
    True
    """

    name = "hankel"

    def __init__(self, delays: int = 100, rank: int = 15, stride: int = 1, threshold: float | None = None,
                 window: float | None = None):
        self.window = window
        self.delays = delays
        self.rank = rank
        self.stride = stride
        self.threshold = threshold

    def fit(self, xs, *, t, variable: str = "x") -> HAVOK:
        """Fit to one or several 1-D arrays ``xs`` with time stamps ``t`` (lists, one per trajectory)."""
        if isinstance(xs, Series):
            t = [tr.t for tr in xs.trajectories]
            variable = xs.variables[0]
            xs = [tr.x[:, 0] for tr in xs.trajectories]
        xs = [np.asarray(x, float).ravel() for x in xs]
        ts = [np.asarray(tt, float) for tt in t]
        dt = float(np.median(np.concatenate([np.diff(tt) for tt in ts])))
        H = np.concatenate([hankel_embed(x, self.delays, self.stride) for x in xs])
        # time of each row = time of its last (most recent) sample
        span = (self.delays - 1) * self.stride
        trow = [tt[span:] for tt in ts]
        # SVD through the small (delays × delays) Gram matrix: H = V S Uᵀ
        w, U = np.linalg.eigh(H.T @ H)
        w, U = w[::-1], U[:, ::-1]
        s = np.sqrt(np.clip(w, 0, None))
        r = min(self.rank, int(np.sum(s > 1e-10 * s[0])))
        V = (H @ U[:, :r]) / s[:r]  # (rows, r): delay coordinates
        self.U_, self.s_ = U[:, :r], s[:r]
        # derivative per trajectory (never across a boundary)
        dv, vv, off = [], [], 0
        self.segments_ = []
        for tt in trow:
            k = len(tt)
            seg = V[off:off + k]
            dv.append(_derivative(seg, dt)[2:-2])
            vv.append(seg[2:-2])
            self.segments_.append((off, k))
            off += k
        dV, Vc = np.concatenate(dv), np.concatenate(vv)
        coef, *_ = np.linalg.lstsq(Vc, dV[:, :r - 1], rcond=None)  # r × (r−1)
        self.A_ = coef[:r - 1].T
        self.B_ = coef[r - 1:].T
        self.dt_ = dt
        self.variable_ = variable
        self.coordinates_ = V
        self.times_ = np.concatenate(trow)
        self.forcing_ = V[:, r - 1]
        thr = 2.5 * np.std(self.forcing_) if self.threshold is None else float(self.threshold)
        self.threshold_ = thr
        self.active_ = np.abs(self.forcing_) > thr
        # intermittency score: the largest |forcing| over the last `window` (causal)
        from scipy.ndimage import maximum_filter1d

        k = max(1, int(round((self.window if self.window is not None else self.delays * self.stride * dt) / dt)))
        score = np.empty_like(self.forcing_)
        for off, n in self.segments_:
            score[off:off + n] = maximum_filter1d(np.abs(self.forcing_[off:off + n]), k, origin=(k - 1) // 2)
        self.intermittency_ = score
        w = np.linalg.eigvals(self.A_)
        self.continuous_eigenvalues_ = w
        self.eigenvalues_ = np.exp(w * dt)
        self.rank_ = r
        return self

    def simulate(self, trajectory: int = 0, n_steps: int | None = None) -> np.ndarray:
        """Run the forced linear model with the measured forcing (exact for piecewise-linear input)."""
        from scipy.signal import StateSpace, lsim

        off, k = self.segments_[trajectory]
        k = k if n_steps is None else min(k, n_steps)
        v = self.coordinates_[off:off + k]
        r = self.rank_
        sys = StateSpace(self.A_, self.B_, np.eye(r - 1), np.zeros((r - 1, 1)))
        tt = np.arange(k) * self.dt_
        _, y, _ = lsim(sys, v[:, r - 1], tt, X0=v[0, :r - 1])
        return np.asarray(y).reshape(k, r - 1)

    def findings(self) -> list:
        r = self.rank_
        names = [f"v{i + 1}" for i in range(r)]
        syms = symbols_for(names)
        eqs = []
        for i in range(r - 1):
            rhs = sum(sp.Float(round(self.A_[i, j], 8)) * syms[names[j]] for j in range(r - 1)) \
                + sp.Float(round(self.B_[i, 0], 8)) * syms[names[r - 1]]
            eqs.append(Equation(names[i], rhs, kind="ode", method=self.name,
                                metrics={"havok": True, "forcing": names[-1], "variable": self.variable_}))
        import warnings

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sim = self.simulate(0)
        off, k = self.segments_[0]
        v = self.coordinates_[off:off + k, :r - 1]
        bad = ~np.all(np.isfinite(sim), axis=1) | (np.abs(sim).max(axis=1) > 1e6 * max(np.abs(v).max(), 1e-300))
        failed_at, message = None, ""
        if bad.any():
            i = int(np.argmax(bad))
            failed_at, message = float(self.times_[off + i] - self.times_[off]), "the forced model diverged"
            sim = np.where(np.isfinite(sim), sim, 0.0)
            sim[i:] = 0.0
        good = slice(0, int(np.argmax(bad)) if bad.any() else len(v))
        err = float(np.linalg.norm(sim[good] - v[good]) / max(np.linalg.norm(v[good]), 1e-300))
        spec = Spectrum(eigenvalues=self.eigenvalues_, dt=self.dt_, method=self.name,
                        metrics={"havok": True, "delays": self.delays, "rank": r,
                                 "forcing_threshold": self.threshold_,
                                 "forcing_active_fraction": float(np.mean(self.active_)),
                                 "simulation_error": err})
        simf = Simulation(t=self.times_[off:off + k] - self.times_[off], values=sim,
                          variables=tuple(names[:-1]), method=self.name, failed_at=failed_at, message=message,
                          metrics={"simulation_error": err})
        return [spec, *eqs, simf]


