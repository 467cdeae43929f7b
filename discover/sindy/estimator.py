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
from ..errors import DataError, DataWarning, ParameterError
from ..findings import Equation, Graph, Simulation, expr_to_str, symbols_for
from . import preprocess
from .library import Library
from .regression import DEFAULT_THRESHOLDS, Problem, block_bootstrap_weights, fit_support, select, wald_intervals

__all__ = ["SINDy"]

_OPTIMIZERS = ("stlsq", "sr3", "greedy", "swap")

#: Held-out relative error (root mean square of the residual over that of the target, on the held-out
#: rows) above which an equation is flagged ``reliable: False``: it then explains less than three
#: quarters of the held-out variance of the rate of change (or of the next state, for maps).
UNRELIABLE_ERROR = 0.5


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
    degree : int or "auto", default="auto"
        Highest total degree of the polynomial terms. ``"auto"`` chooses it
        by the held-out criterion that chooses the sparsity: degrees 1, 2, …
        ``max_degree`` are tried in turn; a degree is kept when it lowers the
        criterion (summed over the equations, plus ``2 log m`` per term chosen
        from ``m``: the extended BIC, which charges for searching a larger
        library) by at least the price of one term, and the search stops after two degrees in a row that do not
        (odd-symmetric systems gain nothing from even degrees), or once every
        equation's held-out error is at ``error_floor``. The degrees tried and their scores are in
        ``library_search_`` and in each equation's metrics (``library``,
        ``library_runners_up``).
    fourier : int or "auto", default="auto"
        Number of Fourier frequencies: ``sin(k v)``, ``cos(k v)`` for
        ``k = 1..fourier`` and every state variable ``v``. ``"auto"`` adds
        frequencies 1, 2, … ``max_fourier`` to the chosen polynomial library
        while they lower the criterion by the same margin (never when the
        polynomials already reach the error floor).
    max_degree : int, default=5
        Highest degree ``degree="auto"`` tries.
    max_fourier : int, default=2
        Most Fourier frequencies ``fourier="auto"`` tries.
    rational : bool, default=False
        Also fit each equation in the implicit form of SINDy-PI,
        ``d(x)/dt · (1 + Σ_k η_k θ_k) = Σ_k ξ_k θ_k``: the products
        ``-d(x)/dt · θ_k`` of the derivative with every non-constant library
        term join the candidates, the same selection picks among all of them,
        and an equation that keeps some is the rational function
        ``Σ ξ θ / (1 + Σ η θ)`` (Michaelis–Menten kinetics, saturating
        responses). Uses the strong form (pointwise derivatives) even on noisy
        data; not for maps. The denominators are ``denominators_``.
    max_library : int, default=300
        Largest library (number of candidate terms). The automatic search
        stops below it with a :class:`~discover.errors.DataWarning`; a fixed
        ``degree`` that exceeds it is an error. A polynomial library of degree
        ``p`` over ``d`` columns has ``C(d + p, p)`` terms; the fit time grows
        as ``d`` times a power 2 to 3 of that size (measured, one fit without
        bags: 84 and 210 terms 0.18 and 1.5 s, 66 and 286 terms 0.15 and
        4.7 s), for each degree tried.
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
        A display only: the raw estimates stay in ``coefficients_``,
        :meth:`raw_equations` and each equation's ``metrics["raw_rhs"]``, which
        is what every score compares; unreliable equations are never rounded.
    simulation : bool, default=True
        Simulate the learned terms, refitted on the training rows only, from
        the first held-out sample over the held-out span, and report it as a
        :class:`~discover.findings.Simulation` (``metrics["held_out"]``).
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
        "degree": [Interval(int, 0, 10), Options("auto")],
        "fourier": [Interval(int, 0, 20), Options("auto")],
        "max_degree": [Interval(int, 1, 10)],
        "max_fourier": [Interval(int, 0, 20)],
        "max_library": [Interval(int, 1, None)],
        "rational": [bool],
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

    def __init__(self, degree="auto", fourier="auto", terms=None, include_bias=True, threshold=None,
                 optimizers=("stlsq", "greedy", "swap"), criterion="bic", error_floor=1e-3, differentiation="auto",
                 formulation="auto", weak_noise=0.005, discrete_time=False, ensemble=20,
                 library_bagging=False, validation_fraction=0.2, rationalize=True, simulation=True,
                 random_state=None, max_degree=5, max_fourier=2, max_library=300, rational=False):
        self.degree = degree
        self.rational = rational
        self.fourier = fourier
        self.max_degree = max_degree
        self.max_fourier = max_fourier
        self.max_library = max_library
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
        self.streamed_ = None
        rng = np.random.default_rng(self.random_state)
        self.variables_ = series.variables
        self.inputs_ = series.inputs
        d = series.n_variables
        lengths = self._lengths = [len(tr) for tr in series.trajectories]
        if min(lengths) < 3:
            raise DataError("SINDy needs at least 3 samples per trajectory.")

        # noise estimate and formulation
        sigma = [preprocess.noise_level(tr.x) for tr in series.trajectories]
        spread = series.x.std(axis=0)
        spread[spread == 0] = 1.0
        rel_noise = np.median(np.vstack(sigma), axis=0) / spread
        if self.rational and self.discrete_time:
            raise ParameterError("The 'rational' parameter of SINDy needs an ODE: it cannot be used with "
                                 "discrete_time=True.")
        if self.rational and self.formulation == "weak":
            raise ParameterError("The 'rational' parameter of SINDy needs pointwise derivatives: use "
                                 "formulation='auto' or 'strong', not 'weak'.")
        if self.discrete_time:
            form = "map"
        elif self.rational:
            form = "strong"
        elif self.formulation == "auto":
            form = ("weak" if float(rel_noise.max()) > self.weak_noise and self.differentiation == "auto"
                    else "strong")
        else:
            form = self.formulation
        self.formulation_ = form
        diag = {"noise": dict(zip(series.variables, map(float, rel_noise))), "formulation": form}

        masks, held_traj = preprocess.validation_mask(lengths, self.validation_fraction)
        self._deriv_cache = None
        self._terms_func = None
        targets = self._targets(series, form, sigma)
        diag["derivatives"] = [info for _, _, info in targets if info]

        # the library: the same held-out criterion as the sparsity picks the degree and the Fourier terms
        trial = self._library_search(series, targets, masks, form, diag)
        self.library_ = lib = trial["library"]
        problem, selections, n_eff = trial["problem"], trial["selections"], trial["n_eff"]
        A_full, B_full = trial["A_full"], trial["B_full"]
        G, g = trial["G"], trial["g"]
        m = len(lib)
        self.denominators_ = np.zeros((d, m))
        self.denominator_intervals_ = (np.zeros((d, m)), np.zeros((d, m)))
        if self.rational:
            return self._fit_rational(series, trial, masks, held_traj, rel_noise, rng, diag, start)
        supports = np.array([s.best.support for s in selections])
        sel_kw = trial["sel_kw"]

        # ensembles: inclusion probabilities
        probs = None
        if self.ensemble:
            counts = np.zeros((d, m))
            offered = np.zeros((d, m))
            # bags: block bootstrap of the training rows; each bag refits every candidate support of
            # the full-data search on its rows and applies the same criterion
            pools = [[(c.support, c.optimizer) for c in sel.candidates] for sel in selections]
            allowed = None
            for _ in range(self.ensemble):
                w = block_bootstrap_weights(problem.n, rng)
                if self.library_bagging and m > 2:
                    allowed = np.ones(m, bool)
                    allowed[rng.choice(m, size=max(1, m // 6), replace=False)] = False
                Gb, gb = problem.gram(w)
                for j in range(d):
                    sb = select(problem, j, G=Gb, g=gb[:, j], allowed=allowed, supports=pools[j],
                                **sel_kw).best.support
                    counts[j] += sb
                    offered[j] += True if allowed is None else allowed
            probs = counts / np.maximum(offered, 1)
            supports = probs >= 0.5
        self.inclusion_probabilities_ = probs

        # short-horizon simulation on held-out data: the chosen model against, for each equation,
        # its runner-up; a chosen model that blows up or tracks far worse gives way. The models
        # simulated here are fitted on the training rows only, so the held-out rows stay held out.
        diag["simulation_check"] = None
        if self.simulation and form != "map" and self.threshold is None:
            alt = self._simulation_check(series, masks, held_traj, selections, supports, G, g, problem)
            diag["simulation_check"] = alt["summary"]
            if alt["switch"] is not None:
                j, sup = alt["switch"]
                supports = supports.copy()
                supports[j] = sup

        # final refit on all rows (the reported equations), in scaled units then back to original units;
        # the same supports refit on the training rows only give the model the validation simulation runs
        As_full, Bs_full = A_full / problem.s, B_full / problem.sb
        Gf, gf = As_full.T @ As_full / len(As_full), As_full.T @ Bs_full / len(As_full)
        coef_s = np.array([fit_support(Gf, gf[:, j], supports[j]) for j in range(d)])
        unscale = problem.sb[:, None] / problem.s[None, :]
        coef = coef_s * unscale
        coef_train_s = np.array([fit_support(G, g[:, j], supports[j]) for j in range(d)])
        self.held_out_error_ = np.array([_held_out_error(problem, j, coef_train_s[j]) for j in range(d)])

        # intervals: bootstrap of the refit on the chosen supports (or least-squares errors)
        lower, upper = self._intervals(As_full, Bs_full, supports, coef_s, problem, rng)
        self.coefficients_ = coef
        self.supports_ = supports
        self.coefficient_intervals_ = (lower, upper)
        self.selections_ = selections
        self._problem_scale = (problem.s, problem.sb)
        self._train_gram = (G, g)

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
        self.simulation_ = (self._validation_simulation(series, masks, held_traj, coef_train_s * unscale)
                            if self.simulation else None)
        self.unreliable_ = self._reliability(rel_noise)
        self.equations_ = [self._expression(j) for j in range(d)]
        diag["seconds_total"] = time.perf_counter() - start
        return self

    def _fit_rational(self, series, trial, masks, held_traj, rel_noise, rng, diag, start):
        """SINDy-PI with ``d(x_j)/dt`` as the left-hand term: one augmented regression per equation.

        For equation ``j`` the candidates are the library ``θ`` and the products ``-ẋ_j θ_k`` (``k``
        non-constant); the selection, the bags and the intervals are those of the explicit fit, run on
        that equation's own scaled problem. Coefficients ``[ξ, η]`` give ``ẋ_j = ξ·θ / (1 + η·θ)``.
        """
        lib, base = trial["library"], trial["problem"]
        d, m = series.n_variables, len(trial["library"])
        nb = np.array([t.free_symbols != set() for t in lib.terms])  # the constant never enters 1 + η·θ
        sel_kw = dict(trial["sel_kw"])
        num, den = np.zeros((d, m)), np.zeros((d, m))
        num_tr, den_tr = np.zeros((d, m)), np.zeros((d, m))
        lo_n, hi_n, lo_d, hi_d = (np.zeros((d, m)) for _ in range(4))
        supports, selections, probs, r2, errs = np.zeros((d, m), bool), [], np.zeros((d, m)), np.zeros(d), []
        aux = []
        for j in range(d):
            def aug(A, B, j=j):
                return np.hstack([A, -B[:, [j]] * A[:, nb]]), B[:, [j]]

            A, B = aug(base.A, base.B)
            Av, Bv = aug(base.Av, base.Bv)
            prob = Problem(A, B, Av, Bv)
            G, g = prob.gram()
            sel = select(prob, 0, G=G, g=g[:, 0], **sel_kw)
            sup = sel.best.support
            if self.ensemble:
                pool = [(c.support, c.optimizer) for c in sel.candidates]
                count = np.zeros(len(sup))
                for _ in range(self.ensemble):
                    Gb, gb = prob.gram(block_bootstrap_weights(prob.n, rng))
                    count += select(prob, 0, G=Gb, g=gb[:, 0], supports=pool, **sel_kw).best.support
                sup = count / self.ensemble >= 0.5
                p_aug = count / self.ensemble
            else:
                p_aug = sup.astype(float)
            Af, Bf = aug(trial["A_full"], trial["B_full"])
            Afs, Bfs = Af / prob.s, Bf / prob.sb
            Gf, gf = Afs.T @ Afs / len(Afs), Afs.T @ Bfs / len(Afs)
            c_s = fit_support(Gf, gf[:, 0], sup)
            c_tr = fit_support(G, g[:, 0], sup)
            lo, hi = self._intervals(Afs, Bfs, sup[None, :], c_s[None, :], prob, rng)
            scale = prob.sb[0] / prob.s
            for target, source in ((num[j], c_s * scale), (num_tr[j], c_tr * scale)):
                target[:] = source[:m]
            den[j, nb], den_tr[j, nb] = (c_s * scale)[m:], (c_tr * scale)[m:]
            lo_n[j], hi_n[j] = lo[0, :m], hi[0, :m]
            lo_d[j, nb], hi_d[j, nb] = lo[0, m:], hi[0, m:]
            supports[j] = sup[:m]
            supports[j, nb] |= sup[m:]
            probs[j] = p_aug[:m]
            probs[j, nb] = np.maximum(probs[j, nb], p_aug[m:])
            resid = Bfs[:, 0] - Afs @ c_s
            ss = np.sum((Bfs[:, 0] - Bfs[:, 0].mean()) ** 2)
            r2[j] = 1 - np.sum(resid ** 2) / (ss if ss > 0 else 1)
            errs.append(_held_out_error(prob, 0, c_tr))
            selections.append(sel)
            aux.append((G, g[:, 0], prob.s, prob.sb[0], nb))
        self.coefficients_, self.denominators_ = num, den
        self._rational_aux = aux
        self.coefficient_intervals_ = (lo_n, hi_n)
        self.denominator_intervals_ = (lo_d, hi_d)
        self.supports_, self.selections_ = supports, selections
        self.inclusion_probabilities_ = probs if self.ensemble else None
        self.held_out_error_ = np.array(errs)
        self.r2_ = r2
        self._problem_scale = (base.s, base.sb)
        self._train_gram = (trial["G"], trial["g"])
        diag["n_eff"] = trial["n_eff"]
        diag["simulation_check"] = None
        diag["seconds_fit"] = time.perf_counter() - start
        self.diagnostics_ = diag
        self._rhs_func = self._terms_func = None
        self.data_max_ = float(np.max(np.abs(series.x)))
        self.simulation_ = (self._validation_simulation(series, masks, held_traj, np.hstack([num_tr, den_tr]))
                            if self.simulation else None)
        self.unreliable_ = self._reliability(rel_noise)
        self.equations_ = [self._expression(j) for j in range(d)]
        diag["seconds_total"] = time.perf_counter() - start
        return self

    def stream_refit(self, series, *, chunk_rows: int | None = None) -> str | None:
        """Refit the coefficients on every row of ``series`` from normal equations summed over row chunks.

        The library, formulation, derivative windows and supports stay those
        of this fit (on a subsample, under :func:`discover.fit`); see
        :func:`discover.sindy.streamed.stream_refit`. Returns None when
        refitted, else why not (rational fits, a differentiation other than
        ``"auto"``).
        """
        from .streamed import stream_refit

        return stream_refit(self, _as_series(series), chunk_rows=chunk_rows)

    def _model_expr(self, coef) -> sp.Expr:
        """``num·θ`` or, with ``2m`` coefficients (numerator then denominator), ``num·θ / (1 + den·θ)``."""
        m = len(self.library_)
        num = self.library_.expression(list(coef[:m]))
        if len(coef) == m or not any(c != 0 for c in coef[m:]):
            return num
        return num / (1 + self.library_.expression(list(coef[m:])))

    def _full_coef(self):
        """Coefficients as ``(d, m)`` or, when a denominator is fitted, ``(d, 2m)``."""
        if self.denominators_.any():
            return np.hstack([self.coefficients_, self.denominators_])
        return self.coefficients_

    def _targets(self, series: Series, form: str, sigma: list) -> list:
        """Per trajectory ``(B, weak, info)``: the regression targets, which no library changes.

        ``B`` is the derivative (strong form) or the next state (maps); for the weak form it is
        ``None`` and ``weak`` holds the window ``(width, stride)`` (its targets come with the rows).
        """
        d = series.n_variables
        out = []
        for k, tr in enumerate(series.trajectories):
            if form == "map":
                out.append((tr.x[1:], None, None))
            elif form == "weak":
                w = min(preprocess.savgol_window(tr.x[:, j], sigma[k][j]) for j in range(d))
                width = int(min(len(tr) // 4, max(self._weak_scale * w, 15)))
                stride = max(1, width // 8)
                out.append((None, (width, stride), {"weak_width": width, "weak_stride": stride}))
            else:
                dx, info = self._derivative(series, k, sigma[k])
                out.append((dx, None, info))
        return out

    def _rows(self, series: Series, lib: Library, targets: list, masks: list, form: str) -> dict:
        """The regression problem of one library: training/held-out blocks and all rows."""
        A_tr, B_tr, A_va, B_va, A_all, B_all = [], [], [], [], [], []
        for k, tr in enumerate(series.trajectories):
            z = tr.x if tr.u is None else np.hstack([tr.x, tr.u])
            theta = lib.evaluate(z)
            mask = masks[k]
            B, weak, _ = targets[k]
            if form == "map":
                A, rows_val = theta[:-1], mask[1:]
            elif form == "weak":
                A, B, centers = preprocess.weak_rows(tr.t, tr.x, theta, weak[0], weak[1])
                rows_val = mask[centers]
            else:
                A, rows_val = theta, mask
            ok = np.all(np.isfinite(A), axis=1) & np.all(np.isfinite(B), axis=1)
            A, B, rows_val = A[ok], B[ok], rows_val[ok]
            A_tr.append(A[~rows_val])
            B_tr.append(B[~rows_val])
            A_va.append(A[rows_val])
            B_va.append(B[rows_val])
            A_all.append(A)
            B_all.append(B)
        problem = Problem(np.vstack(A_tr), np.vstack(B_tr), np.vstack(A_va), np.vstack(B_va))
        if problem.n < 2 or len(problem.Bv) < 2:
            raise DataError(f"SINDy needs more samples: {problem.n} training and {len(problem.Bv)} "
                            "held-out rows after preparing the data.")
        return {"problem": problem, "A_full": np.vstack(A_all), "B_full": np.vstack(B_all)}

    def _evaluate_library(self, series, lib, targets, masks, form, diag) -> dict:
        """Rows, candidate supports and the criterion of one library (all equations)."""
        d = series.n_variables
        trial = self._rows(series, lib, targets, masks, form)
        problem = trial["problem"]
        n_eff = self._n_eff(problem, form, diag["derivatives"])
        G, g = problem.gram()
        sel_kw = dict(optimizers=tuple(self.optimizers), thresholds=DEFAULT_THRESHOLDS, criterion=self.criterion,
                      floor=self.error_floor, n_eff=n_eff,
                      fixed_threshold=None if self.threshold is None else float(self.threshold))
        selections = [select(problem, j, G=G, g=g[:, j], **sel_kw) for j in range(d)]
        crit = [s.best.criterion for s in selections]
        # across libraries the criterion also charges for the size of the pool searched (the extended BIC
        # of Chen & Chen, 2008, γ = 1: 2 log m per term), or a larger library wins by chance fits
        k = sum(s.best.n_terms for s in selections)
        total = float(np.sum(crit)) + 2.0 * k * math.log(max(len(lib), 2)) if np.all(np.isfinite(crit)) else float("inf")
        trial.update(library=lib, n_eff=n_eff, G=G, g=g, sel_kw=sel_kw, selections=selections,
                     criterion=total,
                     errors=[math.sqrt(s.best.val_error) for s in selections],
                     at_floor=all(s.best.val_error <= self.error_floor ** 2 for s in selections))
        return trial

    def _library_search(self, series, targets, masks, form, diag) -> dict:
        """The library the held-out criterion picks (fixed ``degree``/``fourier`` are taken as given).

        ``degree="auto"`` tries degrees 1, 2, … ``max_degree`` and keeps a degree when it lowers the
        summed criterion of the equations (plus ``2 k log m`` for ``k`` terms chosen from ``m``: the
        extended BIC, which charges for the size of the pool searched) by at least the price of one term (``log n_eff`` for BIC, 2 for
        AICc); it stops after two degrees in a row that do not (a system symmetric under ``x -> -x``,
        as Van der Pol or Duffing, gains nothing from even degrees) or once every equation's held-out
        error is at the error floor; ``fourier="auto"`` then
        adds ``sin(k v)``, ``cos(k v)`` for k = 1, 2 … while that helps by the same margin. Libraries
        larger than ``max_library`` terms are not tried.
        """
        names = series.variables + series.inputs
        n_train = sum(int((~mk).sum()) for mk in masks)
        auto_deg, auto_four = self.degree == "auto", self.fourier == "auto"
        degrees = list(range(1, self.max_degree + 1)) if auto_deg else [int(self.degree)]
        four0 = 0 if auto_four else int(self.fourier)
        cap = int(self.max_library)
        tried, best, stop = [], None, None

        def build(deg, four):
            return Library.build(names, degree=deg, include_bias=self.include_bias, fourier=four,
                                 fourier_names=series.variables, terms=self.terms)

        def margin(trial):
            return math.log(max(trial["n_eff"], 2.0)) if self.criterion == "bic" else 2.0

        def record(trial, deg, four):
            tried.append({"degree": deg, "fourier": four, "n_terms": len(trial["library"]),
                          "criterion": trial["criterion"] if math.isfinite(trial["criterion"]) else None,
                          "validation_error": dict(zip(series.variables, trial["errors"]))})

        def too_big(lib, what):
            if len(lib) <= cap:
                return None
            return (f"{what} gives {len(lib)} library terms for {len(names)} columns, more than "
                    f"max_library={cap}")

        for deg in degrees:
            lib = build(deg, four0)
            msg = too_big(lib, f"degree {deg}")
            if msg:
                if not auto_deg or best is None:
                    raise ParameterError(f"SINDy: {msg}; lower 'degree' (or 'fourier', 'terms') or raise "
                                         "'max_library' (fit time grows faster than the square of the library size).")
                stop = (f"{msg}: the degree search stopped there (degrees up to {deg - 1} tried, "
                        f"{best['degree']} chosen)")
                warnings.warn(f"SINDy: {stop}.", DataWarning, stacklevel=4)
                break
            if auto_deg and best is not None and len(lib) > n_train // 2:
                stop = (f"degree {deg} gives {len(lib)} library terms, more than half the {n_train} training "
                        f"rows: the degree search stopped there ({best['degree']} chosen)")
                break
            trial = self._evaluate_library(series, lib, targets, masks, form, diag)
            trial["degree"], trial["fourier"] = deg, four0
            record(trial, deg, four0)
            if best is None or trial["criterion"] < best["criterion"] - margin(trial):
                best = trial
            elif deg >= best["degree"] + 2:
                break
            if best["at_floor"]:
                break
        if auto_four and not best["at_floor"]:
            for k in range(1, self.max_fourier + 1):
                lib = build(best["degree"], k)
                if too_big(lib, f"degree {best['degree']} with {k} Fourier frequencies"):
                    break
                trial = self._evaluate_library(series, lib, targets, masks, form, diag)
                trial["degree"], trial["fourier"] = best["degree"], k
                record(trial, best["degree"], k)
                if trial["criterion"] < best["criterion"] - margin(trial):
                    best = trial
                else:
                    break
                if best["at_floor"]:
                    break
        for row in tried:
            row["chosen"] = row["degree"] == best["degree"] and row["fourier"] == best["fourier"]
        self.library_search_ = tried
        diag["library_search"] = {"tried": tried, "stopped": stop}
        return best

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
        d = supports.shape[0]
        s, sb = problem.s, problem.sb
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
            idxs = [np.flatnonzero(sup) for sup in supports]
            res = [Bs[:, j] - As[:, idx] @ coef_s[j, idx] for j, idx in enumerate(idxs)]
            lo, hi = wald_intervals(coef_s, supports, lambda idx: As[:, idx].T @ As[:, idx],
                                    [r @ r for r in res], n)
        scale = sb[:, None] / s[None, :]
        lower, upper = lo * scale, hi * scale
        return np.minimum(lower, upper), np.maximum(lower, upper)

    def _expression(self, j: int) -> sp.Expr:
        """The equation shown: coefficients as small rationals where ``rationalize`` allows (never when
        the model is unreliable); the raw estimates are :meth:`raw_equations`."""
        coef = self._full_coef()[j]
        if not self.rationalize or self.variables_[j] in self.unreliable_:
            return self._model_expr(coef)
        lo = np.r_[self.coefficient_intervals_[0][j], self.denominator_intervals_[0][j]]
        hi = np.r_[self.coefficient_intervals_[1][j], self.denominator_intervals_[1][j]]
        return self._model_expr([_snap(c, a, b) if c != 0 else c for c, a, b in zip(coef, lo, hi)])

    def _reliability(self, rel_noise) -> dict:
        """``{variable: reason}`` for each equation that does not reproduce held-out data.

        An equation is unreliable when its held-out relative error (root mean square, relative to the
        target's) exceeds :data:`UNRELIABLE_ERROR`, when the validation simulation fails (blows up, or
        the solver stops: then every equation is), or when it says the variable does not change
        (``d(x)/dt = 0``, or ``x[k+1] = 0`` for maps) while the variable plainly varies (its spread is
        more than twice its estimated noise).
        """
        out = {}
        sim = self.simulation_
        for j, var in enumerate(self.variables_):
            reasons = []
            if not self.supports_[j].any() and rel_noise[j] < 0.5:
                lhs = f"{var}[k+1]" if self.formulation_ == "map" else f"d({var})/dt"
                reasons.append(f"{lhs} = 0 was the best candidate, but {var} varies (its spread is "
                               f"{1 / max(rel_noise[j], 1e-12):.3g} times its estimated noise)")
            elif not self.held_out_error_[j] <= UNRELIABLE_ERROR:
                reasons.append(f"held-out relative error {self.held_out_error_[j]:.3g} is above "
                               f"{UNRELIABLE_ERROR:g}: no candidate reproduces the held-out data")
            if sim is not None and sim.failed_at is not None:
                reasons.append(f"the simulation from held-out data failed at t = {sim.failed_at:.4g} "
                               f"({sim.message})")
            if reasons:
                out[var] = "; ".join(reasons)
        return out

    def raw_equations(self) -> list[sp.Expr]:
        """Right-hand sides with the raw least-squares coefficients (what every score compares)."""
        check_is_fitted(self, "coefficients_")
        return [self._model_expr(c) for c in self._full_coef()]

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
        theta = self.library_.evaluate(z)
        num = theta @ self.coefficients_.T
        return num / (1 + theta @ self.denominators_.T) if self.denominators_.any() else num

    def _rhs(self, coef=None):
        syms = symbols_for(self.variables_ + self.inputs_)
        args = [syms[n] for n in self.variables_ + self.inputs_]
        if coef is not None:
            return sp.lambdify(args, [self._model_expr(c) for c in coef], modules="numpy")
        if self._rhs_func is None:
            exprs = [self._model_expr(c) for c in self._full_coef()]
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
        return self._simulate(None, x0, t, u, max_seconds=max_seconds, bound=bound, trajectory=trajectory)

    def _simulate(self, coef, x0, t, u=None, *, max_seconds=20.0, bound=None, trajectory=0) -> Simulation:
        """:meth:`simulate` with coefficients ``coef`` (None: the fitted ones)."""
        t = np.asarray(t, float)
        x0 = np.asarray(x0, float).reshape(-1)
        d = len(self.variables_)
        if len(x0) != d:
            raise DataError(f"x0 has {len(x0)} values but the model has {d} variables.")
        if bound is None:
            bound = 1e3 * (self.data_max_ + 1.0)
        f = self._rhs(coef)
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

    def _validation_simulation(self, series, masks, held_traj, coef) -> Simulation:
        """Simulate ``coef`` (fitted on the training rows) from the first held-out sample.

        The start is the first held-out sample of the last trajectory (or of the trajectory held out
        whole), so neither the start nor the data compared were fitted.
        """
        k = held_traj if held_traj is not None else series.n_trajectories - 1
        tr = series.trajectories[k]
        start = int(np.argmax(masks[k]))
        t = tr.t[start:]
        u = None if tr.u is None else tr.u[start:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = self._simulate(coef, tr.x[start], t, u, trajectory=k)
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
                   "start_time": float(t[0]), "held_out": True,
                   "model": "the chosen terms refit on the training rows only (the equations shown are "
                            "refit on all rows)"}
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
        chosen = [r for r in self.library_search_ if r["chosen"]]
        runners = [dict(r) for r in self.library_search_ if not r["chosen"]]
        for j, var in enumerate(self.variables_):
            sel = self.selections_[j]
            unc = {}
            dlo, dhi = self.denominator_intervals_
            for i in np.flatnonzero(self.supports_[j]):
                key = expr_to_str(self.library_.terms[i])
                p = float(probs[j, i]) if probs is not None else 1.0
                if self.coefficients_[j, i] != 0 or not self.rational:
                    unc[key] = {"coefficient": float(self.coefficients_[j, i]), "lower": float(lo[j, i]),
                                "upper": float(hi[j, i]), "probability": p}
                if self.denominators_[j, i] != 0:  # a term of the denominator 1 + Σ η θ
                    unc[f"denominator: {key}"] = {"coefficient": float(self.denominators_[j, i]),
                                                  "lower": float(dlo[j, i]), "upper": float(dhi[j, i]),
                                                  "probability": p}
            pareto = [{"n_terms": c.n_terms, "validation_error": math.sqrt(c.val_error),
                       "rhs": expr_to_str(self._candidate_expr(j, c.support)),
                       "optimizer": c.optimizer, "criterion": c.criterion if np.isfinite(c.criterion) else None,
                       "chosen": c is sel.best} for c in sel.pareto()]
            metrics = {"r2": float(self.r2_[j]), "complexity": int(self.supports_[j].sum()),
                       "validation_error": math.sqrt(sel.best.val_error),
                       "held_out_error": float(self.held_out_error_[j]),
                       "train_error": math.sqrt(sel.best.train_error),
                       "criterion": self.criterion, "formulation": self.formulation_,
                       "n_candidates": len(sel.candidates), "pareto": pareto,
                       "raw_rhs": expr_to_str(self._model_expr(self._full_coef()[j])),
                       "library": dict(chosen[0]) if chosen else None,
                       "library_runners_up": runners,
                       "reliable": var not in self.unreliable_}
            if getattr(self, "streamed_", None):
                metrics["streamed"] = self.streamed_
            if var in self.unreliable_:
                metrics["unreliable_reason"] = self.unreliable_[var]
            out.append(Equation(var, self.equations_[j], kind=kind, method=self.name, metrics=metrics,
                                uncertainty=unc or None))
        out.append(self.interaction_graph())
        if self.simulation_ is not None:
            out.append(self.simulation_)
        return out

    def _candidate_expr(self, j, support):
        """A candidate support of equation ``j`` refitted on the training rows, as sympy."""
        if self.rational:
            G, g, s, sb, nb = self._rational_aux[j]
            c = fit_support(G, g, support) * sb / s
            m = len(self.library_)
            full = np.zeros(2 * m)
            full[:m] = c[:m]
            full[m:][nb] = c[m:]
            return self._model_expr(full)
        s, sb = self._problem_scale
        return self.library_.expression(fit_support(*self._gram_for(j), support) * sb[j] / s)

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


def _held_out_error(problem: Problem, j: int, coef_s: np.ndarray) -> float:
    """Relative root-mean-square error of scaled coefficients ``coef_s`` on the held-out rows of target ``j``."""
    if not len(problem.Bvs):
        return float("nan")
    b = problem.Bvs[:, j]
    r = b - problem.Avs @ coef_s
    ref = float(np.var(b)) if np.var(b) > 1e-6 * problem.bvv[j] else float(problem.bvv[j])
    return float(math.sqrt(np.mean(r ** 2) / max(ref, 1e-300)))


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
