"""The SINDy estimator of :mod:`discover`: sparse equations that pick their own model."""

from __future__ import annotations

import math
import time
import warnings
from fractions import Fraction

import networkx as nx
import numpy as np
import sympy as sp

from ..base import Interval, Method, Options, check_is_fitted
from ..data import Series
from ..errors import DataError, ParameterError
from ..findings import Equation, Graph, Simulation, expr_to_str, symbols_for
from . import preprocess
from .library import Library
from .regression import DEFAULT_THRESHOLDS, Problem, block_bootstrap_weights, fit_support, select

__all__ = ["SINDy"]

_OPTIMIZERS = ("stlsq", "sr3", "greedy", "swap")


class SINDy(Method):
    """Sparse identification of nonlinear dynamics, with automatic model selection.

    Learns ``d(x_i)/dt = Σ_j ξ_ij θ_j(x, u)`` (or ``x_i[k+1] = …`` for maps)
    with few terms ``θ_j`` from a library of candidates (polynomials, Fourier
    terms, user expressions). The sparsity is chosen from the data: candidate
    supports from several optimizers (an STLSQ threshold path, greedy backward
    elimination, pysindy's SR3) are scored on held-out data and an
    information criterion picks one per equation. Features are scaled
    internally, so no threshold depends on the variables' units; equations
    are reported in the original units.

    Parameters
    ----------
    degree : int, default=2
        Highest total degree of the polynomial terms.
    fourier : int, default=0
        Number of Fourier frequencies: ``sin(k v)``, ``cos(k v)`` for
        ``k = 1..fourier`` and every state variable ``v``.
    terms : list of str, optional
        Extra library terms as sympy strings over the column names, e.g.
        ``["sin(x)", "x/(1+y)", "exp(-z)"]``.
    include_bias : bool, default=True
        Include the constant term.
    threshold : float or None, default=None
        ``None`` selects the sparsity automatically. A float fixes the STLSQ
        threshold, in scaled units (a term is kept when it carries at least
        this fraction of the target's root mean square).
    optimizers : tuple of str, default=("stlsq", "greedy", "swap")
        Where candidate supports come from: ``"stlsq"`` (threshold path),
        ``"greedy"`` (backward elimination), ``"swap"`` (each support found
        by the others, of up to 12 terms, refined by one-for-one term swaps
        while they lower the training error: a local exact-subset search that
        recovers true terms the greedy paths drop among near-collinear
        candidates) and ``"sr3"`` (pysindy SR3, L0).
    criterion : {"bic", "aicc"}, default="bic"
        Information criterion on the held-out error.
    error_floor : float, default=1e-3
        Relative held-out error below which candidates count as equally good
        (so that the criterion does not reward fitting derivative round-off on
        clean data); the sparsest of them wins.
    differentiation : str, default="auto"
        ``"auto"`` estimates the noise and picks sixth-order finite
        differences or a Savitzky–Golay derivative; any other name is passed
        to :meth:`discover.data.Series.derivatives`.
    formulation : {"auto", "strong", "weak"}, default="auto"
        ``"weak"`` regresses integrals against smooth test functions (no
        pointwise derivatives); ``"auto"`` chooses it when the estimated noise
        exceeds ``weak_noise`` (and ``differentiation`` is ``"auto"``: a
        derivative method the user names is used, in the strong form).
    weak_noise : float, default=0.005
        Noise level (relative to each variable's standard deviation) above
        which ``formulation="auto"`` uses the weak form. From about 0.5 %
        noise a pointwise derivative needs a smoothing window wide enough to
        bias it where the dynamics are fast, and near-collinear terms turn
        that bias into coefficient errors of 10-15 % (Rabinovich–Fabrikant at
        1 %); the weak form integrates by parts instead and has no such bias.
    discrete_time : bool, default=False
        Learn a map ``x[k+1] = f(x[k], u[k])`` instead of an ODE.
    ensemble : int, default=20
        Number of bagged refits (moving-block bootstrap of the training
        rows; each bag refits every candidate support found on the full
        data and applies the criterion again). Gives
        each term an inclusion probability and each coefficient an interval;
        the reported terms are those kept in at least half of the bags.
        ``0`` turns ensembles off.
    library_bagging : bool, default=False
        In each bag also leave out a random sixth of the library terms
        (probabilities then count the bags where a term was offered).
    validation_fraction : float, default=0.2
        Share of the data held out for model selection and validation.
    rationalize : bool, default=True
        Show a coefficient as a small rational number (denominator 1–6, 8 or 10) when
        that number lies inside its interval and within 1 % of the estimate.
    simulation : bool, default=True
        Simulate the learned model from a held-out initial condition and
        report it as a :class:`~discover.findings.Simulation`.
    random_state : int, numpy Generator or None
        Seed of the ensembles.

    Attributes
    ----------
    coefficients_ : ndarray of shape (n_variables, n_terms)
        Coefficients in the original units.
    library_ : Library
        The candidate terms (``library_.terms`` are sympy).
    equations_ : list of sympy.Expr
        Right-hand sides, one per variable.
    selections_ : list of Selection
        Candidates and Pareto front per equation.
    diagnostics_ : dict
        Noise estimate, derivative method, formulation, timings.

    Examples
    --------
    >>> from discover.systems import simulate
    >>> from discover.sindy import SINDy
    >>> series = simulate("lorenz", n=2000, dt=0.005)
    >>> model = SINDy().fit(series)
    >>> [len(e.args) for e in model.equations()]  # terms per equation
    [2, 3, 2]
    >>> sorted((str(k), round(float(v), 3)) for k, v in model.equations()[0].as_coefficients_dict().items())
    [('x', -10.0), ('y', 10.0)]
    """

    name = "sindy"
    _weak_scale = 1
    _weak_neff = 2.0

    _parameter_constraints = {
        "degree": [Interval(int, 0, 10)],
        "fourier": [Interval(int, 0, 20)],
        "terms": [None, list, tuple],
        "include_bias": [bool],
        "threshold": [None, Interval(float, 0, None, closed="left")],
        "optimizers": [list, tuple],
        "criterion": [Options("bic", "aicc")],
        "error_floor": [Interval(float, 0, 1, closed="left")],
        "differentiation": [str],
        "formulation": [Options("auto", "strong", "weak")],
        "weak_noise": [Interval(float, 0, None, closed="left")],
        "discrete_time": [bool],
        "ensemble": [Interval(int, 0, 10000)],
        "library_bagging": [bool],
        "validation_fraction": [Interval(float, 0, 0.5, closed="neither")],
        "rationalize": [bool],
        "simulation": [bool],
        "random_state": ["random_state"],
    }

    def __init__(self, degree=2, fourier=0, terms=None, include_bias=True, threshold=None,
                 optimizers=("stlsq", "greedy", "swap"), criterion="bic", error_floor=1e-3, differentiation="auto",
                 formulation="auto", weak_noise=0.005, discrete_time=False, ensemble=20,
                 library_bagging=False, validation_fraction=0.2, rationalize=True, simulation=True,
                 random_state=None):
        self.degree = degree
        self.fourier = fourier
        self.terms = terms
        self.include_bias = include_bias
        self.threshold = threshold
        self.optimizers = optimizers
        self.criterion = criterion
        self.error_floor = error_floor
        self.differentiation = differentiation
        self.formulation = formulation
        self.weak_noise = weak_noise
        self.discrete_time = discrete_time
        self.ensemble = ensemble
        self.library_bagging = library_bagging
        self.validation_fraction = validation_fraction
        self.rationalize = rationalize
        self.simulation = simulation
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _check_extra(self):
        bad = [o for o in self.optimizers if o not in _OPTIMIZERS]
        if bad or not self.optimizers:
            raise ParameterError(
                f"The 'optimizers' parameter of SINDy must be a non-empty list of "
                f"{', '.join(repr(o) for o in _OPTIMIZERS)}. Got {self.optimizers!r} instead."
            )

    def fit(self, series, y=None):
        """Learn the equations of ``series`` (a :class:`~discover.data.Series`); returns ``self``."""
        self._validate_params()
        self._check_extra()
        # the matrices are small: threaded BLAS only costs here (and is ruinous on a busy machine)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(series)

    def _fit(self, series):
        series = _as_series(series)
        start = time.perf_counter()
        rng = np.random.default_rng(self.random_state)
        self.variables_ = series.variables
        self.inputs_ = series.inputs
        names = series.variables + series.inputs
        self.library_ = Library.build(names, degree=self.degree, include_bias=self.include_bias,
                                      fourier=self.fourier, fourier_names=series.variables, terms=self.terms)
        d, m = series.n_variables, len(self.library_)
        lengths = [len(tr) for tr in series.trajectories]
        if min(lengths) < 3:
            raise DataError("SINDy needs at least 3 samples per trajectory.")

        # noise estimate and formulation
        sigma = [preprocess.noise_level(tr.x) for tr in series.trajectories]
        spread = series.x.std(axis=0)
        spread[spread == 0] = 1.0
        rel_noise = np.median(np.vstack(sigma), axis=0) / spread
        if self.discrete_time:
            form = "map"
        elif self.formulation == "auto":
            form = ("weak" if float(rel_noise.max()) > self.weak_noise and self.differentiation == "auto"
                    else "strong")
        else:
            form = self.formulation
        self.formulation_ = form
        diag = {"noise": dict(zip(series.variables, map(float, rel_noise))), "formulation": form}

        masks, held_traj = preprocess.validation_mask(lengths, self.validation_fraction)
        A_tr, B_tr, A_va, B_va, A_all, B_all = [], [], [], [], [], []
        deriv_info = []
        for k, tr in enumerate(series.trajectories):
            z = tr.x if tr.u is None else np.hstack([tr.x, tr.u])
            theta = self.library_.evaluate(z)
            mask = masks[k]
            if form == "map":
                A, B, rows_val = theta[:-1], tr.x[1:], mask[1:]
            elif form == "weak":
                w = min(preprocess.savgol_window(tr.x[:, j], sigma[k][j]) for j in range(d))
                width = int(min(len(tr) // 4, max(self._weak_scale * w, 15)))
                stride = max(1, width // 8)
                A, B, centers = preprocess.weak_rows(tr.t, tr.x, theta, width, stride)
                deriv_info.append({"weak_width": width, "weak_stride": stride})
                rows_val = mask[centers]
            else:
                dx, info = self._derivative(series, k, sigma[k])
                deriv_info.append(info)
                A, B, rows_val = theta, dx, mask
            ok = np.all(np.isfinite(A), axis=1) & np.all(np.isfinite(B), axis=1)
            A, B, rows_val = A[ok], B[ok], rows_val[ok]
            A_tr.append(A[~rows_val])
            B_tr.append(B[~rows_val])
            A_va.append(A[rows_val])
            B_va.append(B[rows_val])
            A_all.append(A)
            B_all.append(B)
        diag["derivatives"] = deriv_info
        self._deriv_cache = None
        self._terms_func = None
        problem = Problem(np.vstack(A_tr), np.vstack(B_tr), np.vstack(A_va), np.vstack(B_va))
        if problem.n < 2 or len(problem.Bv) < 2:
            raise DataError(f"SINDy needs more samples: {problem.n} training and {len(problem.Bv)} "
                            "held-out rows after preparing the data.")
        A_full, B_full = np.vstack(A_all), np.vstack(B_all)
        n_eff = self._n_eff(problem, form, deriv_info)

        # selection per equation
        G, g = problem.gram()
        opts = tuple(self.optimizers)
        sel_kw = dict(optimizers=opts, thresholds=DEFAULT_THRESHOLDS, criterion=self.criterion,
                      floor=self.error_floor, n_eff=n_eff,
                      fixed_threshold=None if self.threshold is None else float(self.threshold))
        selections = [select(problem, j, G=G, g=g[:, j], **sel_kw) for j in range(d)]
        supports = np.array([s.best.support for s in selections])

        # ensembles: inclusion probabilities
        probs = None
        if self.ensemble:
            counts = np.zeros((d, m))
            offered = np.zeros((d, m))
            # bags: block bootstrap of the training rows; each bag refits every candidate support of
            # the full-data search on its rows and applies the same criterion
            pools = [[(c.support, c.optimizer) for c in sel.candidates] for sel in selections]
            bag_kw = dict(sel_kw)
            allowed = None
            for _ in range(self.ensemble):
                w = block_bootstrap_weights(problem.n, rng)
                if self.library_bagging and m > 2:
                    allowed = np.ones(m, bool)
                    allowed[rng.choice(m, size=max(1, m // 6), replace=False)] = False
                Gb, gb = problem.gram(w)
                for j in range(d):
                    sb = select(problem, j, G=Gb, g=gb[:, j], allowed=allowed, supports=pools[j],
                                **bag_kw).best.support
                    counts[j] += sb
                    offered[j] += True if allowed is None else allowed
            probs = counts / np.maximum(offered, 1)
            supports = probs >= 0.5
        self.inclusion_probabilities_ = probs

        # final refit on all rows, in scaled units then back to original units
        As_full, Bs_full = A_full / problem.s, B_full / problem.sb
        Gf, gf = As_full.T @ As_full / len(As_full), As_full.T @ Bs_full / len(As_full)
        coef_s = np.array([fit_support(Gf, gf[:, j], supports[j]) for j in range(d)])
        coef = coef_s * problem.sb[:, None] / problem.s[None, :]

        # short-horizon simulation on held-out data: the chosen model against, for each equation,
        # its runner-up; a chosen model that blows up or tracks far worse gives way
        diag["simulation_check"] = None
        if self.simulation and form != "map" and self.threshold is None:
            alt = self._simulation_check(series, masks, held_traj, selections, supports, Gf, gf, problem)
            diag["simulation_check"] = alt["summary"]
            if alt["switch"] is not None:
                j, sup = alt["switch"]
                supports = supports.copy()
                supports[j] = sup
                coef_s[j] = fit_support(Gf, gf[:, j], sup)
                coef = coef_s * problem.sb[:, None] / problem.s[None, :]

        # intervals: bootstrap of the refit on the chosen supports (or least-squares errors)
        lower, upper = self._intervals(As_full, Bs_full, supports, coef_s, problem, rng)
        self.coefficients_ = coef
        self.supports_ = supports
        self.coefficient_intervals_ = (lower, upper)
        self.selections_ = selections
        self._problem_scale = (problem.s, problem.sb)
        self._train_gram = (G, g)
        self.equations_ = [self._expression(j) for j in range(d)]

        # metrics per equation
        pred_full = As_full @ coef_s.T
        resid = Bs_full - pred_full
        ss_tot = np.sum((Bs_full - Bs_full.mean(axis=0)) ** 2, axis=0)
        self.r2_ = 1 - np.sum(resid ** 2, axis=0) / np.where(ss_tot > 0, ss_tot, 1)
        diag["n_eff"] = n_eff
        diag["seconds_fit"] = time.perf_counter() - start
        self.diagnostics_ = diag
        self._rhs_func = self._terms_func = None  # lambdified functions do not pickle
        self.data_max_ = float(np.max(np.abs(series.x)))
        self.simulation_ = self._validation_simulation(series, masks, held_traj) if self.simulation else None
        diag["seconds_total"] = time.perf_counter() - start
        return self

    def _short_horizon(self, coef, series, masks, held_traj, n_starts=3) -> float:
        """Mean relative error of short simulations from held-out starts (inf when one fails)."""
        if getattr(self, "_terms_func", None) is None:
            # the library once (not each candidate's equations): candidates differ only in coef
            syms = symbols_for(self.variables_ + self.inputs_)
            args = [syms[n] for n in self.variables_ + self.inputs_]
            self._terms_func = sp.lambdify(args, list(self.library_.terms), modules="numpy")
        terms = self._terms_func
        coef = np.asarray(coef, float)
        k = held_traj if held_traj is not None else series.n_trajectories - 1
        tr = series.trajectories[k]
        idx = np.flatnonzero(masks[k])
        if len(idx) < 8:
            return float("nan")
        horizon = max(4, len(idx) // 10)
        starts = np.linspace(idx[0], max(idx[0], idx[-1] - horizon), n_starts).astype(int)
        scale = series.x.std(axis=0)
        scale[scale == 0] = 1.0
        bound = 1e3 * (float(np.max(np.abs(series.x))) + 1.0)
        errs = []
        from scipy.integrate import solve_ivp

        for st in starts:
            t = tr.t[st:st + horizon]
            uf = _input_function(t, None if tr.u is None else tr.u[st:st + horizon], len(self.inputs_))

            def rhs(tt, z, uf=uf):
                if not np.max(np.abs(z)) < bound:  # blow-up: the exception makes the candidate lose
                    raise FloatingPointError(f"left the bounded region at t={tt}")
                with np.errstate(all="ignore"):
                    v = coef @ np.array(terms(*z, *uf(tt)), dtype=float).reshape(-1)
                return np.where(np.isfinite(v) & (np.abs(v) < 1e12), v, 0.0)

            try:
                sol = solve_ivp(rhs, (t[0], t[-1]), tr.x[st], t_eval=t, method="LSODA", rtol=1e-6, atol=1e-8)
            except Exception:  # noqa: BLE001 - a failing candidate simply loses
                return float("inf")
            if sol.status != 0 or sol.y.shape[1] != len(t):
                return float("inf")
            errs.append(np.sqrt(np.mean(((sol.y.T - tr.x[st:st + horizon]) / scale) ** 2)))
        return float(np.mean(errs))

    def _simulation_check(self, series, masks, held_traj, selections, supports, Gf, gf, problem) -> dict:
        s, sb = problem.s, problem.sb

        def coef_of(sups):
            return np.array([fit_support(Gf, gf[:, j], sups[j]) for j in range(len(sups))]) * sb[:, None] / s

        base = self._short_horizon(coef_of(supports), series, masks, held_traj)
        summary = {"chosen": base, "alternatives": {}}
        best = (base, None)
        for j, sel in enumerate(selections):
            order = sorted((c for c in sel.candidates if np.isfinite(c.criterion)
                            and not np.array_equal(c.support, supports[j])), key=lambda c: c.criterion)
            if not order:
                continue
            trial = supports.copy()
            trial[j] = order[0].support
            err = self._short_horizon(coef_of(trial), series, masks, held_traj)
            summary["alternatives"][self.variables_[j]] = err
            if err < best[0]:
                best = (err, (j, order[0].support))
        # switch only when the chosen model fails or tracks more than twice as badly
        switch = best[1] if best[1] is not None and not (base <= 2 * best[0]) else None
        summary["switched"] = None if switch is None else self.variables_[switch[0]]
        return {"summary": summary, "switch": switch}

    def _derivative(self, series: Series, k: int, sigma) -> tuple[np.ndarray, dict]:
        tr = series.trajectories[k]
        if self.differentiation == "auto":
            return preprocess.derivative(tr.x, tr.t, sigma)
        try:
            if k == 0 or getattr(self, "_deriv_cache", None) is None:
                self._deriv_cache = series.derivatives(method=self.differentiation)  # per trajectory
            return np.asarray(self._deriv_cache[k]), {"derivative": self.differentiation}
        except ImportError:  # data layer without a derivatives module: own estimate
            return preprocess.derivative(tr.x, tr.t, sigma)

    @staticmethod
    def _n_eff(problem: Problem, form: str, info: list) -> float:
        """Effective number of independent held-out rows (smoothing correlates neighbours)."""
        nv = len(problem.Bv)
        if form == "weak":
            ratio = min(i["weak_stride"] / i["weak_width"] for i in info)
            return max(4.0, nv * ratio * SINDy._weak_neff)
        widths = [max(i.get("windows", [1])) for i in info if "windows" in i] or [1]
        return max(4.0, nv / max(1.0, max(widths) / 2))

    def _intervals(self, As, Bs, supports, coef_s, problem, rng):
        d, m = supports.shape
        s, sb = problem.s, problem.sb
        lower = np.zeros((d, m))
        upper = np.zeros((d, m))
        n = len(As)
        if self.ensemble:
            draws = []
            for _ in range(max(self.ensemble, 10)):
                w = block_bootstrap_weights(n, rng)
                w = w / w.sum()
                Aw = As * w[:, None]
                G, g = Aw.T @ As, Aw.T @ Bs
                draws.append([fit_support(G, g[:, j], supports[j]) for j in range(d)])
            draws = np.array(draws)  # (bags, d, m)
            lo, hi = np.percentile(draws, [2.5, 97.5], axis=0)
        else:
            lo, hi = np.zeros((d, m)), np.zeros((d, m))
            for j in range(d):
                idx = np.flatnonzero(supports[j])
                if not len(idx):
                    continue
                X = As[:, idx]
                r = Bs[:, j] - X @ coef_s[j, idx]
                dof = max(1, n - len(idx))
                cov = np.linalg.pinv(X.T @ X) * (r @ r) / dof
                se = np.sqrt(np.clip(np.diag(cov), 0, None))
                lo[j, idx] = coef_s[j, idx] - 1.96 * se
                hi[j, idx] = coef_s[j, idx] + 1.96 * se
        scale = sb[:, None] / s[None, :]
        lower, upper = lo * scale, hi * scale
        return np.minimum(lower, upper), np.maximum(lower, upper)

    def _expression(self, j: int) -> sp.Expr:
        coef = self.coefficients_[j]
        lo, hi = self.coefficient_intervals_[0][j], self.coefficient_intervals_[1][j]
        shown = []
        for c, a, b in zip(coef, lo, hi):
            shown.append(_snap(c, a, b) if (self.rationalize and c != 0) else c)
        return self.library_.expression(shown)

    # ------------------------------------------------------------ use the model
    def equations(self) -> list[sp.Expr]:
        """Right-hand sides as sympy expressions over the column names, in variable order."""
        check_is_fitted(self, "equations_")
        return list(self.equations_)

    def predict(self, x, u=None):
        """Derivatives (or next states, for maps) the model gives.

        ``x`` is a :class:`~discover.data.Series` (returns one array per
        trajectory) or an array of shape ``(n_samples, n_variables)`` (with
        ``u`` of shape ``(n_samples, n_inputs)`` when the model has inputs).
        """
        check_is_fitted(self, "coefficients_")
        if isinstance(x, Series):
            return [self._predict_array(tr.x, tr.u) for tr in x.trajectories]
        return self._predict_array(np.asarray(x, float), None if u is None else np.asarray(u, float))

    def _predict_array(self, x, u):
        x = np.atleast_2d(x)
        if self.inputs_:
            if u is None:
                raise DataError(f"This model has inputs {list(self.inputs_)}: pass 'u'.")
            z = np.hstack([x, np.atleast_2d(u).reshape(len(x), -1)])
        else:
            z = x
        return self.library_.evaluate(z) @ self.coefficients_.T

    def _rhs(self):
        if self._rhs_func is None:
            syms = symbols_for(self.variables_ + self.inputs_)
            args = [syms[n] for n in self.variables_ + self.inputs_]
            exprs = [self.library_.expression(c) for c in self.coefficients_]
            self._rhs_func = sp.lambdify(args, exprs, modules="numpy")
        return self._rhs_func

    def simulate(self, x0, t, u=None, *, max_seconds: float = 20.0, bound: float | None = None,
                 trajectory: int = 0) -> Simulation:
        """Run the learned model from ``x0`` over times ``t``; never raises on numerical trouble.

        Returns a :class:`~discover.findings.Simulation`; when the solution
        blows up (leaves ``bound``, by default 1000 × the data's largest
        magnitude), the solver fails (stiffness) or ``max_seconds`` pass, it
        stops there with ``failed_at`` and ``message`` set and NaN after.
        For maps, ``t`` gives the steps.
        """
        check_is_fitted(self, "coefficients_")
        t = np.asarray(t, float)
        x0 = np.asarray(x0, float).reshape(-1)
        d = len(self.variables_)
        if len(x0) != d:
            raise DataError(f"x0 has {len(x0)} values but the model has {d} variables.")
        if bound is None:
            bound = 1e3 * (self.data_max_ + 1.0)
        f = self._rhs()
        uf = _input_function(t, u, len(self.inputs_))
        out = np.full((len(t), d), np.nan)
        failed_at, message = None, ""
        t0 = time.perf_counter()
        if self.formulation_ == "map":
            z = x0.copy()
            out[0] = z
            for k in range(1, len(t)):
                with np.errstate(all="ignore"):
                    z = np.array(f(*z, *uf(t[k - 1])), dtype=float).reshape(-1)
                if not np.all(np.isfinite(z)) or np.max(np.abs(z)) > bound:
                    failed_at, message = float(t[k]), "the map left the bounded region (blow-up)"
                    break
                out[k] = z
        else:
            from scipy.integrate import solve_ivp

            class _Stop(Exception):
                pass

            def rhs(tt, z):
                if time.perf_counter() - t0 > max_seconds:
                    raise _Stop(tt)
                with np.errstate(all="ignore"):
                    v = np.array(f(*z, *uf(tt)), dtype=float).reshape(-1)
                return np.where(np.isfinite(v), v, 1e300)

            def escape(tt, z):
                return bound - np.max(np.abs(z))

            escape.terminal = True
            try:
                sol = solve_ivp(rhs, (t[0], t[-1]), x0, t_eval=t, method="LSODA", events=escape,
                                rtol=1e-9, atol=1e-9)
                n_ok = sol.y.shape[1]
                out[:n_ok] = sol.y.T
                if sol.status == 1:
                    failed_at = float(sol.t_events[0][0]) if len(sol.t_events[0]) else float(sol.t[-1])
                    message = "the solution left the bounded region (blow-up)"
                elif sol.status != 0 or n_ok < len(t):
                    failed_at = float(t[n_ok - 1]) if n_ok else float(t[0])
                    message = f"the solver stopped: {sol.message}"
            except _Stop as stop:
                failed_at = float(stop.args[0])
                message = f"the simulation took longer than {max_seconds:g} s (stiff or blowing up)"
                out[:] = np.nan
                out[0] = x0
            except Exception as exc:  # noqa: BLE001 - report, never crash
                failed_at, message = float(t[0]), f"{type(exc).__name__}: {exc}"
            bad = ~np.all(np.isfinite(out), axis=1)
            if failed_at is None and bad.any():
                first = int(np.argmax(bad))
                failed_at, message = float(t[first]), "the solution became non-finite"
        return Simulation(t, out, self.variables_, method=self.name, trajectory=trajectory,
                          failed_at=failed_at, message=message)

    def _validation_simulation(self, series, masks, held_traj) -> Simulation:
        """Simulate from the first held-out sample of the last trajectory (or a held-out one)."""
        k = held_traj if held_traj is not None else series.n_trajectories - 1
        tr = series.trajectories[k]
        start = int(np.argmax(masks[k]))
        t = tr.t[start:]
        u = None if tr.u is None else tr.u[start:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = self.simulate(tr.x[start], t, u, trajectory=k)
        data = tr.x[start:]
        scale = series.x.std(axis=0)
        scale[scale == 0] = 1.0
        err = np.abs(sim.values - data) / scale
        rms = np.sqrt(np.nanmean(err ** 2)) if np.isfinite(err).any() else float("inf")
        diverged = ~(np.nanmax(err, axis=1) <= 0.2) if len(err) else np.zeros(0, bool)
        valid = float(t[int(np.argmax(diverged))] - t[0]) if diverged.any() else float(t[-1] - t[0])
        n_short = max(2, len(t) // 10)
        short = float(np.sqrt(np.mean(err[:n_short] ** 2))) if np.isfinite(err[:n_short]).all() else float("inf")
        metrics = {"rmse": float(rms), "short_horizon_rmse": short, "valid_time": valid,
                   "start_time": float(t[0]), "held_out": True}
        return Simulation(sim.t, sim.values, sim.variables, method=self.name, trajectory=k,
                          failed_at=sim.failed_at, message=sim.message, metrics=metrics)

    # -------------------------------------------------------------- findings
    def findings(self) -> list:
        """One :class:`Equation` per variable, the interaction :class:`Graph` and a :class:`Simulation`."""
        check_is_fitted(self, "coefficients_")
        out = []
        probs = self.inclusion_probabilities_
        lo, hi = self.coefficient_intervals_
        kind = "map" if self.formulation_ == "map" else "ode"
        s, sb = self._problem_scale
        for j, var in enumerate(self.variables_):
            sel = self.selections_[j]
            unc = {}
            for i in np.flatnonzero(self.supports_[j]):
                key = expr_to_str(self.library_.terms[i])
                unc[key] = {"coefficient": float(self.coefficients_[j, i]), "lower": float(lo[j, i]),
                            "upper": float(hi[j, i]),
                            "probability": float(probs[j, i]) if probs is not None else 1.0}
            pareto = [{"n_terms": c.n_terms, "validation_error": math.sqrt(c.val_error),
                       "rhs": expr_to_str(self.library_.expression(
                           fit_support(*self._gram_for(j), c.support) * sb[j] / s)),
                       "optimizer": c.optimizer, "criterion": c.criterion if np.isfinite(c.criterion) else None,
                       "chosen": c is sel.best} for c in sel.pareto()]
            metrics = {"r2": float(self.r2_[j]), "complexity": int(self.supports_[j].sum()),
                       "validation_error": math.sqrt(sel.best.val_error),
                       "train_error": math.sqrt(sel.best.train_error),
                       "criterion": self.criterion, "formulation": self.formulation_,
                       "n_candidates": len(sel.candidates), "pareto": pareto}
            out.append(Equation(var, self.equations_[j], kind=kind, method=self.name, metrics=metrics,
                                uncertainty=unc or None))
        out.append(self.interaction_graph())
        if self.simulation_ is not None:
            out.append(self.simulation_)
        return out

    def _gram_for(self, j):
        G, g = self._train_gram
        return G, g[:, j]

    def interaction_graph(self) -> Graph:
        """Edge ``a -> b`` when ``a`` enters the equation of ``b``.

        ``weight`` is the summed scaled size of the terms holding ``a`` (unit
        free); ``score`` the largest inclusion probability of those terms
        (1 without ensembles).
        """
        check_is_fitted(self, "coefficients_")
        g = nx.DiGraph()
        g.add_nodes_from(self.variables_ + self.inputs_)
        s, sb = self._problem_scale
        term_vars = self.library_.term_variables()
        probs = self.inclusion_probabilities_
        for j, target in enumerate(self.variables_):
            for i in np.flatnonzero(self.supports_[j]):
                size = abs(self.coefficients_[j, i]) * s[i] / sb[j]
                p = 1.0 if probs is None else float(probs[j, i])
                for src in term_vars[i]:
                    if g.has_edge(src, target):
                        e = g.edges[src, target]
                        e["weight"] += size
                        e["score"] = max(e["score"], p)
                    else:
                        g.add_edge(src, target, weight=size, lag=0, score=p, selected=True)
        return Graph(g, kind="interaction", method=self.name)


def _snap(c: float, lo: float, hi: float):
    """A small rational inside ``[lo, hi]`` and within 1 % of ``c``, else ``c``."""
    if not np.isfinite(c) or c == 0:
        return c
    for q in (1, 2, 3, 4, 5, 6, 8, 10):
        r = Fraction(round(c * q), q)
        if r != 0 and lo <= float(r) <= hi and abs(float(r) - c) <= 0.01 * abs(c):
            return sp.Rational(r.numerator, r.denominator)
    return c


def _input_function(t, u, n_inputs):
    if n_inputs == 0:
        return lambda tt: ()
    if u is None:
        raise DataError("This model has inputs: pass 'u' (one row per time in 't', or a callable).")
    if callable(u):
        return lambda tt: tuple(np.atleast_1d(u(tt)).reshape(-1))
    u = np.asarray(u, float).reshape(len(t), -1)
    return lambda tt: tuple(np.interp(tt, t, u[:, i]) for i in range(u.shape[1]))


def _as_series(series) -> Series:
    if isinstance(series, Series):
        return series
    from ..data import load

    return load(series)
