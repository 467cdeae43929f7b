"""The ``evolution`` method: each variable's right-hand side found by regularized-evolution symbolic regression."""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import sympy as sp

from ..base import Interval, Method, Options, check_is_fitted
from ..data import Series
from ..errors import DataError, DataWarning, ParameterError
from ..findings import Equation, Invariant, expr_to_str, symbols_for
from .constants import materialize, optimize_constants, prune, readable, snap_constants
from .expressions import Node, Operator, SubtreeCache, complexity, evaluate, from_sympy, operator_table, to_sympy
from .mutations import simplify
from .search import Member, Problem, SearchConfig, choose, front_scores, pareto_front, search

__all__ = ["EvolutionSR"]

#: The least relative mean squared error below which two fits count as equally good. The floor
#: used is estimated from the data (:meth:`EvolutionSR._targets`: how much the targets move when
#: noise of the estimated level is added once more), and never lower than this round-off level.
ERROR_FLOOR = 1e-6

#: ``formulation="auto"`` uses the weak form above this noise level (estimated noise over each
#: state's standard deviation), as SINDy does.
WEAK_NOISE = 0.005

#: Share of ``max_seconds`` kept for the choice on the fronts (refits, pruning, snapping), so that the
#: whole fit, not only the search, ends within ``max_seconds``.
CHOICE_SHARE = 0.2

#: Seconds each equation's choice gets at least, whatever is left of ``max_seconds``: on short
#: budgets (ODEBench's 5 s per variable) a fifth of the budget did not refit, prune and snap even the
#: simplest members, and exact fits kept intercepts of 1e-5 (11 of 63 clean systems lost)
MIN_CHOICE_SECONDS = 2.0

#: ``formulation="auto"`` on noisy data keeps a state's target in the strong (pointwise) form when
#: the relative error its estimated derivative carries (the strong form's noise floor) is at most
#: this: fast, well-sampled dynamics, where the weak form's wide windows blur what the samples
#: resolve; slow or relaxing series, whose derivatives the noise swamps, stay in the weak form.
STRONG_FLOOR = 0.05


class EvolutionSR(Method):
    """Symbolic regression by regularized evolution, one equation per variable.

    The targets are the time derivatives of the states, estimated by
    :meth:`discover.data.Series.derivatives` (the differentiator SINDy
    uses). All equations are searched in one run: the islands of every
    target go together through :func:`discover.parallel.parallel_map`. For
    each target the hall of fame (best expression per complexity) gives a
    Pareto front of loss against complexity; every front member's constants
    are refitted on all training rows and snapped to simple values where the
    loss allows, each member gets PySR's score (the drop of log-loss per unit
    of complexity from the simpler neighbour) and its loss on held-out rows,
    and the chosen equation is the best-scored member whose held-out loss
    is within ``selection_tolerance`` of the best held-out loss on the front.

    Parameters
    ----------
    operators : list of str or Operator, default=("+", "-", "*", "/", "sin", "cos")
        Built-in names (``+ - * / pow exp log sqrt sin cos tanh square cube neg inv``)
        or :class:`~discover.evolution.expressions.Operator` objects (a numpy
        function, its sympy counterpart and a complexity).
    maxsize : int, default=25
        Largest complexity searched (nodes, an operator counting its complexity).
    nested : dict, optional
        Nesting constraints, e.g. ``{"sin": {"sin": 0, "cos": 0}}``: no sine
        or cosine inside a sine. The default (``None``) allows no ``sin``/``cos``
        inside ``sin``/``cos`` and no ``exp``/``log`` inside ``exp``/``log``;
        ``{}`` allows every nesting.
    loss : callable, optional
        ``loss(prediction, target) -> float`` (mean over samples), replacing
        the mean squared error; constants are still fitted by least squares and
        kept only where they lower this loss.
    population_size, n_islands, n_iterations, steps : int
        Members per island (40), islands per target (4), iterations (100:
        each is ``steps`` mutations per island, then migration and constant
        refits), ``steps`` (600).
    tournament_size : int, default=10
    parsimony : float, default=1e-4
        Penalty per unit complexity on the relative loss.
    adaptive_parsimony : float, default=20
        ``loss * exp(adaptive_parsimony * share of the population at that complexity)``.
    alpha : float, default=0.1
        Annealing: a worse child is accepted with probability ``exp(-Δlog loss / (alpha T))``.
    crossover_probability, optimize_probability : float
        Per step (0.05, 0.02); at the end of each iteration a share
        ``5 * optimize_probability`` of each population has its constants refitted.
    max_samples : int, default=800
        Training rows the search evaluates (evenly spaced); the front's final
        refit uses all training rows.
    max_seconds : float, optional
        Wall-time limit of the whole fit. The search (checked between
        iterations) gets what is left after the preparation, less a share
        (``CHOICE_SHARE``, a fifth) kept for the choice on the fronts; the
        choice refines members from the simplest on and, at the limit, keeps
        the search's constants for the rest (``metrics_[j]["refined"]`` of
        ``metrics_[j]["candidates"]`` were refined). Each equation's choice
        gets at least ``MIN_CHOICE_SECONDS`` (2 s), so on budgets of a few
        seconds a fit can end that much later.
    validation_fraction : float, default=0.2
        Share of rows held out for the choice on the front: each trajectory
        is cut into 10 blocks and one block in every ``1 / validation_fraction``
        is held out (so transients are checked too).
    selection_tolerance : float, default=1.5
        A front member is eligible when its held-out loss is at most this
        times the best held-out loss of the front.
    differentiation : str, default="spline"
        Passed to :meth:`~discover.data.Series.derivatives`. The default is the
        quintic smoothing spline whose smoothing follows the estimated noise:
        on clean data it interpolates, with errors far below second-order
        finite differences at coarse sampling (relative squared error 10⁻⁶
        against up to 2·10⁻³ on ODE-Strogatz, dt 0.1), which the search would
        otherwise fit with extra terms.
    targets : list of str, optional
        Extra target columns (inputs of the series) fitted as algebraic
        laws of the states, ``kind="algebraic"``.
    n_jobs : int, default=1
        Processes for the islands (``-1``: all cores).
    backend : {None, "loky", "dask"}
        ``"dask"`` runs the islands on the active ``dask.distributed.Client``.
    progress : bool or None
        Show the progress line (``None``: on a terminal).
    random_state : int or None
        Seed; the same seed gives the same equations.
    sindy_seeds : bool, default=True
        Seed every island with the sparse polynomial models of SINDy's greedy
        backward path (:func:`polynomial_seeds`), the rational ones of its
        implicit form (:func:`rational_seeds`) and the best few monomials
        plus one rational term ``m(x)/(1 + c q(x))`` (:func:`rational_term_seeds`;
        both up to 3 features), so what a polynomial or rational library holds
        is there from the start.
    seed_equations : dict, optional
        ``{target: expression}`` (sympy or text over the column names), e.g.
        a fitted SINDy model's right-hand sides: each starts in every island
        of its target's population. :func:`discover.fit` fills it from the
        SINDy method's equations when both run in one sequential call and it
        is left at ``None``. An expression that uses an operator outside
        ``operators`` is skipped; an unknown target is an error.
    cross_migration : float, default=0.0
        Share of each island replaced after each iteration by hall-of-fame
        trees of the other targets (over the same features), rescored on
        this target, so the equations of one system share their terms
        (e.g. 0.05). Off by default: the measured tables were made without
        it, and an A/B at a fixed number of iterations (15 vs 14 of 20
        equations) is within chance.
    formulation : {"auto", "strong", "weak", "neural_ode"}, default="auto"
        ``"strong"`` fits estimated derivatives sample by sample; ``"weak"``
        fits integrals against smooth test functions (``∫ φ f(x) dt`` to
        ``-∫ φ' x dt``), which needs no derivative and averages noise out;
        ``"auto"`` decides per state: on clean data (estimated noise at most
        0.5 % of every state's standard deviation) the strong form; otherwise a
        state keeps the strong form when its derivative's estimated noise floor
        (relative squared error) is at most ``STRONG_FLOOR`` (0.05) and takes
        the weak form when not (``formulation_`` is then ``"mixed"`` when the
        states differ). ``"neural_ode"`` fits a small neural
        vector field to the trajectories first, by integrating it over short
        windows (:func:`~discover.evolution.neural_ode.fit_neural_ode`, needs
        torch), and fits its values at the measured states: for noisy or
        irregularly sampled series. Extra ``targets`` are always fitted
        pointwise.
    selection : {"auto", "held_out", "horizon"}, default="auto"
        How each variable's equation is chosen from its front. ``"held_out"``:
        the pointwise held-out loss (see above). ``"horizon"``: the system is
        integrated (Runge–Kutta 4 over the samples' own times) from every
        measured state over ``horizon`` samples, and the simplest
        member whose mean state error is within ``selection_tolerance`` times
        the best is chosen (:func:`~discover.evolution.horizon.horizon_choice`; the other
        variables keep their choice, two sweeps). ``"auto"``: ``"horizon"``
        for ``formulation="neural_ode"`` and for irregular sampling, else
        ``"held_out"``. Models with inputs are always chosen pointwise.
    horizon : int, default=4
        Samples per window of the short-horizon score (``horizon - 1`` steps).
    neural_ode : dict, optional
        Options of :func:`~discover.evolution.neural_ode.fit_neural_ode`
        (``hidden``, ``window``, ``max_epochs``, ``learning_rate``, ...).
    units : dict, optional
        Physical units, ``{column: unit}``, for every state, input and target
        column and the time column (``"m"``, ``"m/s"``, ``"kg*m/s^2"``,
        ``"1"`` for dimensionless, or a :mod:`sympy.physics.units`
        expression; the time column's may be left out when the series knows
        its time unit). A state's target, its derivative, has the state's unit
        over time's. Each candidate's dimension is inferred
        (:mod:`discover.evolution.units`; constants take any dimension, as in
        PySR), and a dimensionally inconsistent one has ``unit_penalty`` added
        to its loss, in the search and on the final front. ``None``: no units.
    unit_penalty : float, default=1000
        Added to the relative loss (1 is the loss of the mean) of a
        candidate whose units do not agree: the default keeps every
        inconsistent expression off the front; a small value makes units a
        preference only.

    Attributes
    ----------
    equations_ : list of sympy.Expr
        The chosen right-hand sides (one per variable, then per extra target).
    fronts_ : list of list of dict
        The Pareto front of each target: ``complexity``, ``loss`` (relative
        training MSE), ``held_out_loss``, ``score``, ``expression`` (text), ``chosen``.
    search_ : dict
        Iterations, evaluations, evaluations per second, seconds, ``interrupted``.
    selection_ : str
        ``"held_out"`` or ``"horizon"``: how the equations were chosen from
        the fronts (with ``"horizon"`` each front row has a ``horizon_loss``).
    vector_field_ : NeuralVectorField
        With ``formulation="neural_ode"``: the fitted field
        (:class:`~discover.evolution.neural_ode.NeuralVectorField`), callable on states.

    Examples
    --------
    >>> import numpy as np
    >>> from discover.data import from_arrays
    >>> from discover.evolution import EvolutionSR
    >>> t = np.linspace(0, 10, 501)
    >>> series = from_arrays(np.c_[np.exp(-0.5 * t), np.exp(-2 * t)], t=t, names=["a", "b"])
    >>> model = EvolutionSR(n_iterations=3, n_islands=1, steps=200, random_state=0).fit(series)
    >>> [str(e) for e in model.equations()]
    ['-0.5*a', '-2*b']
    """

    name = "evolution"

    _parameter_constraints = {
        "operators": [list, tuple],
        "maxsize": [Interval(int, 3, 200)],
        "nested": [None, dict],
        "loss": [None, "callable"],
        "population_size": [Interval(int, 4, None)],
        "n_islands": [Interval(int, 1, None)],
        "n_iterations": [Interval(int, 1, None)],
        "steps": [Interval(int, 1, None)],
        "tournament_size": [Interval(int, 2, None)],
        "parsimony": [Interval(float, 0, None)],
        "adaptive_parsimony": [Interval(float, 0, None)],
        "alpha": [Interval(float, 0, None, closed="neither")],
        "crossover_probability": [Interval(float, 0, 1)],
        "optimize_probability": [Interval(float, 0, 1)],
        "max_samples": [Interval(int, 10, None)],
        "max_seconds": [None, Interval(float, 0, None, closed="neither")],
        "validation_fraction": [Interval(float, 0, 0.5, closed="neither")],
        "selection_tolerance": [Interval(float, 1, None)],
        "differentiation": [str],
        "targets": [None, list, tuple],
        "n_jobs": [None, int],
        "backend": [None, str],
        "progress": [None, bool],
        "random_state": ["random_state"],
        "sindy_seeds": [bool],
        "seed_equations": [None, dict],
        "cross_migration": [Interval(float, 0, 1)],
        "formulation": [Options("auto", "strong", "weak", "neural_ode")],
        "selection": [Options("auto", "held_out", "horizon")],
        "horizon": [Interval(int, 2, None)],
        "neural_ode": [None, dict],
        "units": [None, dict],
        "unit_penalty": [Interval(float, 0, None)],
    }

    def __init__(self, operators=("+", "-", "*", "/", "sin", "cos"), maxsize=25, nested=None, loss=None,
                 population_size=40, n_islands=4, n_iterations=100, steps=600, tournament_size=10,
                 parsimony=1e-4, adaptive_parsimony=20.0, alpha=0.1, crossover_probability=0.05,
                 optimize_probability=0.02, max_samples=800, max_seconds=None, validation_fraction=0.2,
                 selection_tolerance=1.5, differentiation="spline", targets=None, n_jobs=1, backend=None,
                 progress=None, random_state=None, sindy_seeds=True, formulation="auto", units=None,
                 unit_penalty=1000.0, selection="auto", horizon=4, neural_ode=None, seed_equations=None,
                 cross_migration=0.0):
        self.operators = operators
        self.maxsize = maxsize
        self.nested = nested
        self.loss = loss
        self.population_size = population_size
        self.n_islands = n_islands
        self.n_iterations = n_iterations
        self.steps = steps
        self.tournament_size = tournament_size
        self.parsimony = parsimony
        self.adaptive_parsimony = adaptive_parsimony
        self.alpha = alpha
        self.crossover_probability = crossover_probability
        self.optimize_probability = optimize_probability
        self.max_samples = max_samples
        self.max_seconds = max_seconds
        self.validation_fraction = validation_fraction
        self.selection_tolerance = selection_tolerance
        self.differentiation = differentiation
        self.targets = targets
        self.n_jobs = n_jobs
        self.backend = backend
        self.progress = progress
        self.random_state = random_state
        self.sindy_seeds = sindy_seeds
        self.formulation = formulation
        self.units = units
        self.unit_penalty = unit_penalty
        self.selection = selection
        self.horizon = horizon
        self.neural_ode = neural_ode
        self.seed_equations = seed_equations
        self.cross_migration = cross_migration

    # ------------------------------------------------------------------ fit
    def _config(self, ops) -> SearchConfig:
        if self.nested is None:
            # PySR's advice made the default: no trigonometric function inside another, no exp/log
            # inside exp/log (such nestings fit numbers, e.g. sin(sin(sin(2/x))) for 2/x, not laws)
            nested = {}
            for family in (("sin", "cos", "tan"), ("exp", "log")):
                here = [f for f in family if f in ops]
                for outer in here:
                    nested[outer] = {inner: 0 for inner in here}
        else:
            nested = dict(self.nested)
        for outer, inner in nested.items():
            if outer not in ops or not isinstance(inner, dict) or any(k not in ops for k in inner):
                raise ParameterError(
                    f"The 'nested' parameter of EvolutionSR must map operator names of the search to "
                    f"{{operator name: most nestings}}. Got {self.nested!r} instead.")
        return SearchConfig(
            population_size=self.population_size, n_islands=self.n_islands, n_iterations=self.n_iterations,
            steps=self.steps, tournament_size=self.tournament_size, maxsize=self.maxsize,
            parsimony=float(self.parsimony), adaptive_parsimony=float(self.adaptive_parsimony),
            alpha=float(self.alpha), crossover_probability=float(self.crossover_probability),
            optimize_probability=float(self.optimize_probability), nested=nested,
            cross_migration=float(self.cross_migration),
            max_seconds=None if self.max_seconds is None else float(self.max_seconds))

    def _given_seeds(self, ops) -> dict[str, list[Node]]:
        """``seed_equations`` as trees by target; an expression the operators cannot write is skipped."""
        given = self.seed_equations or {}
        bad = [k for k in given if k not in self.target_names_]
        if bad:
            raise ParameterError(f"The 'seed_equations' parameter of EvolutionSR names targets that are not "
                                 f"fitted: {bad}. Targets are {list(self.target_names_)}.")
        out = {}
        for name, expr in given.items():
            try:
                e = sp.sympify(expr, locals=dict(symbols_for(self.feature_names_)))
                e = e.xreplace({s: sp.Symbol(s.name, real=True) for s in e.free_symbols})
                unknown = {str(s) for s in e.free_symbols} - set(self.feature_names_)
                if unknown:
                    raise ValueError(f"unknown columns {sorted(unknown)}")
                out[name] = [from_sympy(e, self.feature_names_, ops)]
            except (ValueError, TypeError, sp.SympifyError) as exc:
                warnings.warn(f"EvolutionSR skips the seed equation for {name!r} ({expr}): {exc}", DataWarning,
                              stacklevel=3)
        return out

    def _operators(self) -> dict[str, Operator]:
        try:
            return operator_table(self.operators)
        except ValueError as exc:
            raise ParameterError(f"The 'operators' parameter of EvolutionSR is invalid: {exc}") from None

    def fit(self, series, y=None):
        """Search the equations of ``series`` (a :class:`~discover.data.Series`); returns ``self``."""
        self._validate_params()
        ops = self._operators()
        cfg = self._config(ops)
        if not isinstance(series, Series):
            raise DataError(f"EvolutionSR.fit needs a discover Series; got {type(series).__name__}.")
        start = time.perf_counter()
        rng = np.random.default_rng(self.random_state)
        self.variables_ = tuple(series.variables)
        extra = list(self.targets or [])
        bad = [c for c in extra if c not in (series.inputs or ())]
        if bad:
            raise ParameterError(f"The 'targets' parameter of EvolutionSR names columns that are not inputs of "
                                 f"the series: {bad}. Inputs are {list(series.inputs or [])}.")
        self.inputs_ = tuple(c for c in (series.inputs or ()) if c not in extra)
        self.feature_names_ = self.variables_ + self.inputs_
        self.target_names_ = self.variables_ + tuple(extra)
        X, Y, held = self._rows(series, extra)
        if X.shape[0] < 10:
            raise DataError(f"EvolutionSR needs at least 10 samples; the series has {X.shape[0]}.")
        self.formulation_ = self._formulation(series)
        targets = self._targets(series, X, Y, held)
        if self.formulation_ == "neural_ode":
            self._neural_targets(series, X, held, targets, rng)
        dims = self._dimensions(series)
        for j, tg in enumerate(targets):
            tg["dims"], tg["target_dim"] = (None, None) if dims is None else (dims[0], dims[1][j])
        seeds = [Node.var(i) for i in range(X.shape[1])]
        given = self._given_seeds(ops)
        problems, shared = [], []  # shared: (features, cache) of the targets so far
        for j, tg in enumerate(targets):
            Xs, ys, W = tg["X"], tg["y"], tg["W"]
            if W is None:  # strong form: an evenly spaced subset of the training rows
                sub = np.unique(np.linspace(0, len(ys) - 1, min(self.max_samples, len(ys))).astype(int))
                Xs, ys = Xs[sub], ys[sub]
            # targets over the same features share one cache of subtree values (sharing work between them)
            Xs, cache = next(((F, c) for F, c in shared if F.shape == Xs.shape and np.array_equal(F, Xs)),
                             (Xs, None))
            if cache is None:
                cache = SubtreeCache(len(Xs))
                shared.append((Xs, cache))
            more = []
            if self.sindy_seeds:
                more = polynomial_seeds(Xs, ys, ops, W=W)
                if W is not None:  # the weak form's noisy rows may lead the path astray: pointwise too
                    more += polynomial_seeds(Xs, tg["pointwise"], ops)
                more += rational_seeds(Xs, ys if W is None else tg["pointwise"], ops)
                more += rational_term_seeds(Xs, ys, ops, W=W)
            more = given.get(self.target_names_[j], []) + more
            more = list({t.key(): t for t in more}.values())
            problems.append(Problem(Xs, ys, ops, self.loss, seeds + more, W=W, dims=tg["dims"],
                                    target_dim=tg["target_dim"], unit_penalty=float(self.unit_penalty),
                                    cache=cache))
        seed = int(rng.integers(2**32))
        deadline = None
        if self.max_seconds is not None:  # what is left after the preparation: most to the search, a share kept
            deadline = start + float(self.max_seconds)
            cfg.max_seconds = max(0.0, (deadline - time.perf_counter()) * (1 - CHOICE_SHARE))
        result = search(problems, cfg, seed=seed, n_jobs=self.n_jobs, backend=self.backend,
                        progress=self.progress, names=list(self.target_names_))
        self._ops = ops
        self.trees_, self.fronts_, self.equations_, self.metrics_ = [], [], [], []
        choice_start = time.perf_counter()
        for j, (hof, tg) in enumerate(zip(result["hofs"], targets)):
            # each target's choice gets an equal part of the time left before the deadline
            until = None if deadline is None else time.perf_counter() + max(
                MIN_CHOICE_SECONDS, (deadline - time.perf_counter()) / (len(targets) - j))
            tree, front, metrics = self._choose(hof, tg, ops, rng, until=until)
            self.trees_.append(tree)
            self.fronts_.append(front)
            self.metrics_.append(metrics)
            self.equations_.append(self._tidy(to_sympy(tree, self.feature_names_, ops)))
        self.noise_floor_ = [m["noise_floor"] for m in self.metrics_]
        self.search_ = {k: result[k] for k in ("iterations", "evaluations", "evaluations_per_second", "seconds",
                                               "interrupted")}
        self.search_["choice_seconds"] = time.perf_counter() - choice_start
        self.search_["seconds_total"] = time.perf_counter() - start
        self.n_extra_ = len(extra)
        self.selection_ = self._selection(series)
        if self.selection_ == "horizon":
            self._horizon_select(series, targets, ops)
        return self

    def _neural_targets(self, series: Series, X, held, targets, rng) -> None:
        """Replace the states' targets by the vector field of a neural ODE fitted to the trajectories."""
        from .neural_ode import fit_neural_ode, held_out_samples

        if self.inputs_:
            raise ParameterError("The 'formulation' parameter of EvolutionSR cannot be 'neural_ode' for a "
                                 f"series with inputs ({list(self.inputs_)}); the neural ODE is autonomous.")
        d = len(self.variables_)
        opts = {"random_state": int(rng.integers(2**31)), "validation_fraction": self.validation_fraction,
                "progress": self.progress}
        opts.update(self.neural_ode or {})
        trajs = [(tr.t, tr.x) for tr in series.trajectories]
        masks = [held_out_samples(len(tr), self.validation_fraction) for tr in series.trajectories]
        try:
            self.vector_field_ = fit_neural_ode(trajs, held=masks, **opts)
        except TypeError as exc:
            raise ParameterError(f"The 'neural_ode' parameter of EvolutionSR holds an unknown option: {exc}") from None
        F = self.vector_field_(X[:, :d])
        for j in range(d):
            targets[j].update(y=F[~held, j], yv=F[held, j], formulation="neural_ode")

    def _selection(self, series: Series) -> str:
        if self.inputs_ or self.selection == "held_out":
            return "held_out"
        if self.selection == "horizon" or self.formulation_ == "neural_ode":
            return "horizon"
        irregular = any(len(tr) > 2 and np.ptp(np.diff(tr.t)) > 1e-6 * np.median(np.diff(tr.t))
                        for tr in series.trajectories)
        return "horizon" if irregular else "held_out"

    def _horizon_select(self, series: Series, targets, ops) -> None:
        """Choose each variable's front member again by short-horizon integration of the whole system."""
        from .horizon import horizon_choice, horizon_windows, window_errors

        d = len(self.variables_)
        # windows from every sample: the front's few members were fitted to pointwise targets, not to
        # these states, and held-out blocks alone often sit at a fixed point, where a near-zero right-hand
        # side integrates as well as the true one (ODE-Strogatz lv: 1.3e-3 against 1.8e-3 there, 1.4e-3
        # against 4e-2 over all windows)
        masks = [np.ones(len(tr), bool) for tr in series.trajectories]
        win = horizon_windows([(tr.t, tr.x) for tr in series.trajectories], masks, self.horizon)
        if len(win) < 5:
            self.selection_ = "held_out"
            return
        fronts = [targets[j]["front"] for j in range(d)]
        current = [next(i for i, row in enumerate(self.fronts_[j]) if row["chosen"]) for j in range(d)]
        pointwise, decided = list(current), [False] * d

        def system(trees):
            return lambda Z: np.column_stack([evaluate(t, Z, ops) for t in trees])

        for _ in range(2):  # Gauss-Seidel sweeps: each variable with the others' current choice
            changed = False
            for j in range(d):
                trees = [fronts[i][current[i]][1] for i in range(d)]
                errors = []
                for _size, tree, _loss in fronts[j]:
                    trees[j] = tree
                    errors.append(window_errors(system(trees), win))
                k = horizon_choice(errors, tolerance=self.selection_tolerance)
                # the score decides only when it tells the front apart: when even the simplest member
                # (k == 0) integrates within the tolerance of the best (data at rest, or noise above what a few
                # steps move), it cannot see the dynamics and the pointwise choice stays (ODE-Strogatz
                # barmag at 3 % noise: 2.5e-3 for 0.02*y against 2.1e-3 for the best)
                decided[j] = k > 0
                if not decided[j]:
                    k = pointwise[j]
                for row, e in zip(self.fronts_[j], errors):
                    row["horizon_loss"] = float(np.mean(e))
                    row["chosen"] = False
                self.fronts_[j][k]["chosen"] = True
                changed |= k != current[j]
                current[j] = k
            if not changed:
                break
        for j in range(d):
            row, tree = self.fronts_[j][current[j]], fronts[j][current[j]][1]
            self.trees_[j] = tree
            self.equations_[j] = self._tidy(to_sympy(tree, self.feature_names_, ops))
            h = row["held_out_loss"]
            self.metrics_[j].update(complexity=row["complexity"], loss=row["loss"], held_out_loss=h,
                                    score=row["score"], r2=1.0 - row["loss"],
                                    held_out_r2=1.0 - h if math.isfinite(h) else math.nan,
                                    horizon_loss=row["horizon_loss"],
                                    selection="horizon" if decided[j] else "held_out")
            if "units_consistent" in row:
                self.metrics_[j]["units_consistent"] = row["units_consistent"]

    def _formulation(self, series: Series) -> str:
        if self.formulation != "auto":
            return self.formulation
        from ..derivatives import estimate_noise

        rel = [float(np.max(estimate_noise(tr.x, tr.t) / np.maximum(tr.x.std(axis=0), 1e-300)))
               for tr in series.trajectories if len(tr) >= 10]
        return "weak" if rel and float(np.median(rel)) > WEAK_NOISE else "strong"

    def _targets(self, series: Series, X, Y, held) -> list[dict]:
        """Per target: training and held-out rows (and weak-form matrices) and the estimated noise floor.

        With ``formulation="auto"`` on noisy data each state's target is taken
        in the weak form unless its pointwise derivative is accurate enough
        (noise floor at most ``STRONG_FLOOR``): then the strong form, which
        keeps every sample as a row, is used for it.
        """
        from ..derivatives import estimate_noise

        rng = np.random.default_rng(0)
        # the same trajectories with noise of the estimated level added once more: how far that moves
        # the targets is their part of the floor below which fits are not told apart (the part of the
        # noisy states a candidate is evaluated at is added in _choose, with the front's best model)
        noisy = [tr.x + rng.normal(size=tr.x.shape) * estimate_noise(tr.x, tr.t) if len(tr) >= 5 else tr.x
                 for tr in series.trajectories]
        inputs = list(series.inputs or [])
        keep_in = [inputs.index(c) for c in self.inputs_]
        sig = [estimate_noise(np.hstack([tr.x] + ([tr.u[:, keep_in]] if keep_in else [])), tr.t)
               if len(tr) >= 5 else np.zeros(X.shape[1]) for tr in series.trajectories]
        if self.formulation_ in ("strong", "neural_ode"):
            return self._strong_targets(series, X, Y, held, noisy, sig)
        if self.formulation != "auto":
            return self._weak_targets(series, X, Y, held, noisy, sig)
        d = len(self.variables_)
        strong = self._strong_targets(series, X, Y, held, noisy, sig)
        if all(st["floor"] <= STRONG_FLOOR for st in strong[:d]):  # the weak form's quadratures are not needed
            out = strong[:d] + self._extra_targets(X, Y, held)
        else:
            weak = self._weak_targets(series, X, Y, held, noisy, sig)
            out = [st if st["floor"] <= STRONG_FLOOR else wk for st, wk in zip(strong[:d], weak[:d])] + weak[d:]
        kinds = {"strong" if tg["W"] is None else "weak" for tg in out[:d]}
        self.formulation_ = kinds.pop() if len(kinds) == 1 else "mixed"
        return out

    def _strong_targets(self, series: Series, X, Y, held, noisy, sig) -> list[dict]:
        from ..derivatives import differentiate

        d = len(self.variables_)
        train = ~held
        again = np.vstack([self._cut(series.with_trajectories([tr]), dx)
                           for tr, dx in zip(series.trajectories, self._derivatives(series, noisy))])
        sig_rows = np.vstack([np.tile(sg, (len(self._cut(series.with_trajectories([tr]), tr.x)), 1))
                              for sg, tr in zip(sig, series.trajectories)])
        # the differentiation error (bias, present on clean data too): bounded by the disagreement
        # with a second estimator (the quartic spline beside the default quintic one; else the
        # quintic beside the method asked for)
        other = {"k": 4} if self.differentiation == "spline" else {}
        second = np.vstack([self._cut(series.with_trajectories([tr]),
                                      differentiate(tr.x, tr.t, method="spline", **other))
                            for tr in series.trajectories])
        out = []
        for j in range(d):
            floor = float(np.mean((again[:, j] - Y[:, j]) ** 2 + (second[:, j] - Y[:, j]) ** 2)
                          / (np.var(Y[:, j]) or 1.0))
            out.append({"X": X[train], "y": Y[train, j], "W": None, "Xv": X[held], "yv": Y[held, j],
                        "Wv": None, "floor": max(ERROR_FLOOR, floor), "sigma": sig_rows[train]})
        return out + self._extra_targets(X, Y, held, sigma=sig_rows[train])

    def _extra_targets(self, X, Y, held, sigma=None) -> list[dict]:
        """The extra (algebraic) target columns: pointwise rows, and a floor from their own estimated noise.

        ``sigma`` (rows of the features' noise levels) makes ``_choose`` add the
        noisy features' part to the floor; ``None`` leaves it out.
        """
        from ..derivatives import estimate_noise

        out = []
        for j in range(len(self.variables_), Y.shape[1]):
            col = Y[:, j]
            floor = float(estimate_noise(col[:, None])[0] ** 2 / (np.var(col) or 1.0))
            out.append({"X": X[~held], "y": Y[~held, j], "W": None, "Xv": X[held], "yv": Y[held, j],
                        "Wv": None, "floor": max(ERROR_FLOOR, floor), "sigma": sigma})
        return out

    def _weak_targets(self, series: Series, X, Y, held, noisy, sig) -> list[dict]:
        d = len(self.variables_)
        out = []
        Xall, W, B, hw = self._weak(series, [tr.x for tr in series.trajectories])
        _, _, Bb, _ = self._weak(series, noisy)
        sig_all = np.vstack([np.tile(sg, (len(tr), 1)) for sg, tr in zip(sig, series.trajectories)])
        pointwise = np.vstack(self._derivatives(series, [tr.x for tr in series.trajectories]))
        for j in range(d):
            floor = float(np.mean((Bb[:, j] - B[:, j]) ** 2) / (np.var(B[:, j]) or 1.0))
            out.append({"X": Xall, "y": B[~hw, j], "W": W[~hw], "Xv": Xall, "yv": B[hw, j], "Wv": W[hw],
                        "floor": max(ERROR_FLOOR, floor), "sigma": sig_all, "pointwise": pointwise[:, j]})
        return out + self._extra_targets(X, Y, held)  # extra (algebraic) targets stay pointwise

    def _derivatives(self, series: Series, xs) -> list[np.ndarray]:
        from ..derivatives import differentiate

        return [differentiate(x, tr.t, method=self.differentiation) for x, tr in zip(xs, series.trajectories)]

    @staticmethod
    def _cut(series: Series, dx):
        n = len(series.trajectories[0])
        cut = 2 if n > 20 else 0
        return dx[cut:n - cut]

    def _weak(self, series: Series, xs):
        """Weak form: features at every sample, test-function quadrature rows ``W`` and their targets.

        Each trajectory is covered by windows of ``max(11, min(2n/5, 41))``
        samples (stride an eighth of that) with the bump ``((t-a)(b-t))^4``;
        a row's target is ``-∫ φ' x dt`` and a candidate's value ``∫ φ f(x) dt``
        (trapezoid rule), so no derivative is estimated. A window is held out
        when its centre lies in a held-out block (as for the pointwise rows).
        """
        from scipy import sparse

        from ..sindy.preprocess import _bump

        inputs = list(series.inputs or [])
        keep_in = [inputs.index(c) for c in self.inputs_]
        feats, rows, cols, vals, B, held = [], [], [], [], [], []
        offset, r = 0, 0
        every = max(2, int(round(1 / self.validation_fraction)))
        for tr, x in zip(series.trajectories, xs):
            n = len(tr)
            feats.append(np.hstack([x] + ([tr.u[:, keep_in]] if keep_in else [])))
            width = int(min(n, max(11, min(2 * n // 5, 41))))
            blocks = np.arange(n) * 10 // max(n, 1)
            for s0 in range(0, n - width + 1, max(1, width // 8)):
                tt = tr.t[s0:s0 + width]
                dt = np.diff(tt)
                wq = np.zeros(width)
                wq[:-1] += dt / 2
                wq[1:] += dt / 2
                phi, dphi = _bump(tt, tt[0], tt[-1])
                rows.extend([r] * width)
                cols.extend(range(offset + s0, offset + s0 + width))
                vals.extend(wq * phi)
                B.append(-(wq * dphi) @ x[s0:s0 + width])
                held.append(blocks[s0 + width // 2] % every == every - 1)
                r += 1
            offset += n
        W = sparse.csr_matrix((vals, (rows, cols)), shape=(r, offset))
        return np.vstack(feats), W, np.array(B), np.array(held, bool)

    def _rows(self, series: Series, extra):
        """States (+ inputs) as features, derivatives (+ extra columns) as targets, and the held-out mask."""
        Xs, Ys, held = [], [], []
        inputs = list(series.inputs or [])
        keep_in = [inputs.index(c) for c in self.inputs_]
        take = [inputs.index(c) for c in extra]
        derivs = series.derivatives(self.differentiation)
        for tr, dx in zip(series.trajectories, derivs):
            n = len(tr)
            feats = [tr.x] + ([tr.u[:, keep_in]] if keep_in else [])
            targ = [dx] + ([tr.u[:, take]] if take else [])
            cut = 2 if n > 20 else 0  # end points of a derivative estimate are the least accurate
            rows = slice(cut, n - cut)
            Xs.append(np.hstack(feats)[rows])
            Ys.append(np.hstack(targ)[rows])
            # held out: one block in every 1/validation_fraction blocks of each trajectory, so the
            # check covers transients too (a trajectory's last part often sits at a fixed point)
            m = n - 2 * cut
            blocks = np.arange(m) * 10 // max(m, 1)
            every = max(2, int(round(1 / self.validation_fraction)))
            held.append(blocks % every == every - 1)
        return np.vstack(Xs), np.vstack(Ys), np.concatenate(held)

    def _choose(self, hof, tg, ops, rng, until=None):
        """Refit, prune and snap every member of the front; score; pick by score under the held-out check.

        Members are refined from the simplest on; past ``until`` (a ``time.perf_counter()`` value) the
        rest keep the search's constants (outer coefficients written in), and ``metrics["refined"]``
        says how many members were refined.
        """
        X, y, W, Xv, yv, Wv, floor = (tg[k] for k in ("X", "y", "W", "Xv", "yv", "Wv", "floor"))
        var = float(np.var(y)) or 1.0

        def rel(tree, A, b, M):
            # held-out losses relative to the training variance: a held-out block may be nearly flat
            pred = evaluate(tree, A, ops)
            if M is not None:
                pred = M @ pred
            if not np.all(np.isfinite(pred)):
                return math.inf
            val = float(self.loss(pred, b)) if self.loss is not None else float(np.mean((pred - b) ** 2))
            return val / var

        refined, n_refined = {}, 0
        members = pareto_front(hof, SearchConfig.loss_floor)
        for m in members:
            # the search scored the tree with its outer linear coefficients solved: write them in
            tree = simplify(materialize(m.tree, X, y, ops, W), ops)
            if until is not None and time.perf_counter() > until:
                size = complexity(tree, ops)
                loss = rel(tree, X, y, W) + self._unit_penalty(tree, tg, ops)
                if size not in refined or loss < refined[size].loss:
                    refined[size] = Member(tree, loss, size, 0)
                continue
            n_refined += 1
            tree, _ = optimize_constants(tree, X, y, ops, rng, restarts=3, loss=self.loss, W=W)
            tree, _ = prune(simplify(tree, ops), X, y, ops, rng, floor=floor, loss=self.loss, W=W)
            # a snapped value may cost a tenth of the noise floor, not more (else small true terms snap to 0)
            tree, _ = snap_constants(tree, X, y, ops, floor=0.1 * floor, loss=self.loss, rng=rng, W=W)
            # a fraction's numbers drift along its flat direction (numerator and denominator times the
            # same number) to 10 digits: its denominator is scaled to a constant term of 1 and snapped
            tree, _ = readable(simplify(tree, ops), X, y, ops, floor=0.1 * floor, loss=self.loss, rng=rng, W=W)
            tree = simplify(tree, ops)
            size = complexity(tree, ops)
            loss = rel(tree, X, y, W) + self._unit_penalty(tree, tg, ops)  # PySR's dimensional penalty
            if size not in refined or loss < refined[size].loss:
                refined[size] = Member(tree, loss, size, 0)
        # the refined members' own front (an improvement by rounding alone does not count)
        front = [(m.size, m.tree, m.loss) for m in pareto_front(refined, SearchConfig.loss_floor)]
        sizes = [f[0] for f in front]
        losses = [f[2] for f in front]
        if tg.get("sigma") is not None and front:
            # the noisy states a candidate is evaluated at move its values too: measured on the most
            # accurate member of the front, with noise of the estimated level added to the features
            floor = max(ERROR_FLOOR, floor + self._in_variables(front[-1][1], X, tg["sigma"], W, var, ops))
        # below the noise floor (estimated from the data) losses are equal: no score for fitting noise
        scores = front_scores([max(lo, floor) for lo in losses], sizes)
        held = [rel(f[1], Xv, yv, Wv) + self._unit_penalty(f[1], tg, ops) if len(yv) else math.nan for f in front]
        k = choose(scores, held, tolerance=self.selection_tolerance, floor=floor, train=losses)
        table = [{"complexity": s, "loss": lo, "held_out_loss": h, "score": float(sc),
                  "expression": expr_to_str(self._tidy(to_sympy(t, self.feature_names_, ops))), "chosen": i == k}
                 for i, (s, t, lo), h, sc in zip(range(len(front)), front, held, scores)]
        size, tree, loss = front[k]
        metrics = {"complexity": size, "loss": loss, "held_out_loss": held[k], "score": float(scores[k]),
                   "r2": 1.0 - loss, "held_out_r2": 1.0 - held[k] if math.isfinite(held[k]) else math.nan,
                   "noise_floor": floor, "refined": n_refined, "candidates": len(members),
                   "formulation": tg.get("formulation", "weak" if W is not None else "strong")}
        tg["front"] = front  # for the short-horizon choice over the whole system
        if tg.get("dims") is not None:
            from .units import unit_text

            for row, f in zip(table, front):
                row["units_consistent"] = self._units_ok(f[1], tg, ops)
            metrics["units_consistent"] = self._units_ok(tree, tg, ops)
            metrics["unit"] = unit_text(tg["target_dim"])
        return tree, table, metrics

    @staticmethod
    def _units_ok(tree, tg, ops) -> bool | None:
        """Whether a front member's units agree (``None`` without units).

        Its outer coefficients were fitted (solved by least squares in the
        search, then refitted and snapped), so they are constants that carry
        whatever unit the target needs, even when one snapped to 1 and was
        simplified away: what is checked is each additive term inside, as in
        the search.
        """
        if tg.get("dims") is None:
            return None
        from .units import consistent

        return consistent(tree, tg["dims"], tg["target_dim"], ops, project=True)

    def _unit_penalty(self, tree, tg, ops) -> float:
        return 0.0 if self._units_ok(tree, tg, ops) in (None, True) else float(self.unit_penalty)

    def _dimensions(self, series: Series):
        """Each feature's and each target's dimension from ``units`` (``None`` when no units are given).

        A state's derivative has the state's unit over the time column's; the
        time column's unit is ``units[series.time]``, else the series' own
        time unit (``meta["time_unit"]``) when sympy knows it.
        """
        if self.units is None:
            return None
        from .units import parse_unit

        units = dict(self.units)
        time = units.pop(series.time, None)
        if time is None and series.meta.get("time_unit"):
            try:
                parse_unit(str(series.meta["time_unit"]))
                time = str(series.meta["time_unit"])
            except ValueError:
                time = None
        columns = list(self.feature_names_) + [c for c in self.target_names_ if c not in self.feature_names_]
        unknown = [c for c in units if c not in columns]
        missing = [c for c in columns if c not in units] + ([series.time] if time is None else [])
        if unknown or missing:
            raise ParameterError(
                f"The 'units' parameter of EvolutionSR must give a unit for every column used and the time "
                f"column {series.time!r}; " + (f"missing {missing}" if missing else "")
                + ("; " if missing and unknown else "") + (f"not columns: {unknown}" if unknown else "")
                + f". Columns are {columns}.")
        dims = {}
        for name, unit in [(series.time, time)] + list(units.items()):
            try:
                dims[name] = parse_unit(unit)
            except (ValueError, TypeError) as exc:
                raise ParameterError(f"The 'units' parameter of EvolutionSR has a bad unit for {name!r}: "
                                     f"{exc}") from None
        t = dims[series.time]
        features = [dims[c] for c in self.feature_names_]
        targets = [tuple(a - b for a, b in zip(dims[c], t)) for c in self.variables_]
        targets += [dims[c] for c in self.target_names_[len(self.variables_):]]
        return features, targets

    @staticmethod
    def _in_variables(tree, X, sigma, W, var, ops, draws: int = 3) -> float:
        """Relative mean squared change of ``tree``'s values when noise ``sigma`` is added to its features."""
        if not np.any(sigma > 0):
            return 0.0
        rng = np.random.default_rng(1)
        base = evaluate(tree, X, ops)
        out = []
        for _ in range(draws):
            diff = evaluate(tree, X + rng.normal(size=X.shape) * sigma, ops) - base
            if W is not None:
                diff = W @ diff
            if np.all(np.isfinite(diff)):
                out.append(float(np.mean(diff ** 2)) / var)
        return float(np.mean(out)) if out else 0.0

    @staticmethod
    def _tidy(expr: sp.Expr) -> sp.Expr:
        """The shorter of the expression and its expansion."""
        cands = [expr]
        for f in (sp.expand,):
            try:
                cands.append(f(expr))
            except Exception:  # noqa: BLE001 - sympy may fail on odd forms; the original stays
                pass
        return min(cands, key=sp.count_ops)

    # ------------------------------------------------------------------ use
    def equations(self) -> list[sp.Expr]:
        """The chosen right-hand sides as sympy expressions over the column names."""
        check_is_fitted(self, "equations_")
        return list(self.equations_)

    def predict(self, x, u=None) -> np.ndarray:
        """The right-hand sides at states ``x`` (shape ``(n, n_variables)``; inputs ``u`` if the model has any)."""
        check_is_fitted(self, "trees_")
        if isinstance(x, Series):
            u = x.u if self.inputs_ else None
            x = x.x
        x = np.atleast_2d(np.asarray(x, float))
        feats = x if not self.inputs_ else np.hstack([x, np.atleast_2d(np.asarray(u, float))])
        d = len(self.variables_)
        return np.column_stack([evaluate(t, feats, self._ops) for t in self.trees_[:d]])

    def simulate(self, x0, t) -> np.ndarray:
        """Integrate the learned equations from ``x0`` over the times ``t`` (LSODA); rows where it failed are nan."""
        check_is_fitted(self, "trees_")
        if self.inputs_:
            raise DataError("EvolutionSR.simulate cannot integrate a model with inputs; use predict.")
        from scipy.integrate import solve_ivp

        t = np.asarray(t, float)
        sol = solve_ivp(lambda _, s: self.predict(s[None, :])[0], (t[0], t[-1]), np.asarray(x0, float),
                        t_eval=t, method="LSODA", rtol=1e-8, atol=1e-10)
        out = np.full((len(t), len(self.variables_)), np.nan)
        out[: sol.y.shape[1]] = sol.y.T
        return out

    def findings(self) -> list:
        """An :class:`~discover.findings.Equation` per target, with its Pareto front in the metrics."""
        check_is_fitted(self, "equations_")
        out = []
        d = len(self.variables_)
        for j, (name, expr) in enumerate(zip(self.target_names_, self.equations_)):
            metrics = dict(self.metrics_[j])
            metrics["front"] = self.fronts_[j]
            metrics["evaluations_per_second"] = self.search_["evaluations_per_second"]
            if self.search_["interrupted"]:
                metrics["interrupted"] = True
            out.append(Equation(name, expr, kind="ode" if j < d else "algebraic", method=self.name,
                                metrics=metrics))
        out.extend(getattr(self, "invariants_", []))
        return out


def polynomial_seeds(X: np.ndarray, y: np.ndarray, ops: dict[str, Operator], *, max_terms: int = 8,
                     W=None) -> list[Node]:
    """Seed trees from a SINDy-style regression of ``y`` on the monomials of the features.

    The library holds every monomial up to degree 3 (2 features or 3),
    2 (up to 8 features) or 1; SINDy's greedy backward elimination
    (:func:`discover.sindy.regression.greedy_backward`) gives one support per
    size, and each support of at most ``max_terms`` terms becomes a sum of
    products of features (its coefficients are solved by the search's linear
    projection). Needs ``+`` and ``*`` among the operators; else no seeds.
    With ``W`` (weak form) the library's columns are integrated by it first.
    """
    from ..sindy.library import monomial_exponents
    from ..sindy.regression import greedy_backward

    d = X.shape[1]
    if "+" not in ops or "*" not in ops or d == 0:
        return []
    degree = 3 if d <= 3 else 2 if d <= 8 else 1
    exps = monomial_exponents(d, degree, include_bias=False)
    theta = np.column_stack([_monomial_columns(X, exps), np.ones(len(X))])
    if W is not None:
        theta = W @ theta
    scale = np.linalg.norm(theta, axis=0)
    if not np.all(np.isfinite(scale)) or np.any(scale == 0):
        return []
    ts = theta / scale
    allowed = np.ones(ts.shape[1], bool)
    seeds = []
    for sup in greedy_backward(ts.T @ ts, ts.T @ y, allowed):
        idx = [i for i in np.flatnonzero(sup) if i < len(exps)]  # the constant column is the projection's
        if not idx or len(idx) > max_terms:
            continue
        terms = [_monomial(exps[i], d) for i in idx]
        tree = terms[0]
        for t in terms[1:]:
            tree = Node("+", [tree, t])
        seeds.append(tree)
    return seeds


def _monomial_columns(X: np.ndarray, exps: np.ndarray) -> np.ndarray:
    """The monomials with exponent rows ``exps`` evaluated at the rows of ``X``, one column each."""
    return np.column_stack([np.prod(X ** e, axis=1) for e in exps])


def _monomial(e, d) -> Node:
    factors = [Node.var(k) for k in range(d) for _ in range(int(e[k]))]
    term = factors[0]
    for f in factors[1:]:
        term = Node("*", [term, f])
    return term


def rational_seeds(X: np.ndarray, y: np.ndarray, ops: dict[str, Operator], *, max_terms: int = 7) -> list[Node]:
    """Seed trees ``P(x) / (1 + Q(x))`` from the linear implicit form of SINDy-PI.

    ``y (1 + Q) = P`` is linear in the coefficients: ``y`` is regressed on the
    monomials of ``P`` (degree 3 for up to 3 features, else 2, with a
    constant) and on ``-y`` times the monomials of ``Q`` (degree 1 and 2);
    SINDy's greedy backward path gives supports, and each one of at most
    ``max_terms`` terms with a denominator becomes a tree with its fitted
    constants (refined by Levenberg–Marquardt in the search). Needs ``+``,
    ``*`` and ``/``; only for up to 3 features.
    """
    from ..sindy.library import monomial_exponents
    from ..sindy.regression import fit_support, greedy_backward

    d = X.shape[1]
    if any(o not in ops for o in ("+", "*", "/")) or not 1 <= d <= 3:
        return []
    num = monomial_exponents(d, 3 if d <= 3 else 2, include_bias=True)
    den = monomial_exponents(d, 2, include_bias=False)
    theta = np.hstack([_monomial_columns(X, num), -y[:, None] * _monomial_columns(X, den)])
    scale = np.linalg.norm(theta, axis=0)
    if not np.all(np.isfinite(scale)) or np.any(scale == 0):
        return []
    ts = theta / scale
    G, g = ts.T @ ts, ts.T @ y
    seeds = []
    for sup in greedy_backward(G, g):
        k = int(sup.sum())
        if k > max_terms or not sup[len(num):].any() or not sup[:len(num)].any():
            continue
        coef = fit_support(G, g, sup) / scale
        parts = []
        for i in np.flatnonzero(sup[:len(num)]):
            c = Node.const(float(coef[i]))
            parts.append(c if not num[i].any() else Node("*", [c, _monomial(num[i], d)]))
        top = parts[0]
        for t in parts[1:]:
            top = Node("+", [top, t])
        bottom = Node.const(1.0)
        for i in np.flatnonzero(sup[len(num):]):
            bottom = Node("+", [bottom, Node("*", [Node.const(float(coef[len(num) + i])), _monomial(den[i], d)])])
        seeds.append(Node("/", [top, bottom]))
    return seeds


#: Scales tried by :func:`rational_term_seeds` for the denominator ``1 + c*q(x)``: ``c = ±s / median|q|``
#: for these ``s`` (log-spaced, a factor of about 1.8 apart), so the grid does not depend on the data's units.
RATIONAL_SCALES = np.logspace(-2, 2, 17)


def _subsets(m: int, sizes) -> dict[int, np.ndarray]:
    import itertools

    out = {}
    for k in sizes:
        combos = list(itertools.combinations(range(m), k))
        out[k] = np.array(combos, dtype=int).reshape(len(combos), k)
    return out


def rational_term_seeds(X: np.ndarray, y: np.ndarray, ops: dict[str, Operator], *, W=None) -> list[Node]:
    """Seed trees of a few monomials plus one rational term ``m(x) / (1 + c q(x))``.

    For each denominator ``1 + c q`` (``q`` a monomial of degree 1 or 2,
    ``c`` of either sign on the grid :data:`RATIONAL_SCALES` over the median
    of ``|q|``, kept where ``1 + c q`` stays above 0.1 on every sample),
    every model ``a0 + Σ a_i p_i(x) + b m(x) / (1 + c q)`` with ``m`` a
    monomial up to degree 2 (or 1) and up to three monomials ``p_i`` up to
    degree 3 (two with 3 features) is fitted by least squares, all at once
    (small batched solves on the Gram matrix). For each number of terms the
    one with the least residual over all denominators becomes a tree; its
    coefficients are solved by the search's projection, ``c`` refined by its
    optimizer. Unlike the implicit form of :func:`rational_seeds` the fit is
    explicit, ``y`` on one side only, so noise in the target does not enter
    the design (at 1 % noise on ODE-Strogatz's predator-prey the implicit
    form's denominators cross zero inside the data), and the seeds are
    compact: ``4x - x**2 - x*y/(1 + x)`` is three terms, not a quotient of a
    cubic by ``1 + x``. The search is exhaustive over these small supports,
    because the library is collinear by construction (``x/(1 + x)`` is
    ``1 - 1/(1 + x)``) and greedy elimination loses its way in it. With
    ``W`` (weak form) the columns are integrated by it first. Needs ``+``,
    ``*`` and ``/``; only for 1 to 3 features.
    """
    from ..sindy.library import monomial_exponents

    d = X.shape[1]
    if any(o not in ops for o in ("+", "*", "/")) or not 1 <= d <= 3:
        return []
    poly = monomial_exponents(d, 3, include_bias=False)
    over = monomial_exponents(d, 2 if d <= 2 else 1, include_bias=True)
    dens = monomial_exponents(d, 2, include_bias=False)
    with np.errstate(all="ignore"):
        P, M, Q = (_monomial_columns(X, exps) for exps in (poly, over, dens))
    if not (np.all(np.isfinite(P)) and np.all(np.isfinite(M)) and np.all(np.isfinite(Q))):
        return []
    one = np.ones(len(X)) if W is None else W @ np.ones(len(X))

    def project(A):  # the intercept (the projection's) taken out
        return A - np.outer(one, one @ A) / (one @ one)

    yc = project(y[:, None])[:, 0]
    Pc = project(P if W is None else W @ P)
    pn = np.linalg.norm(Pc, axis=0)
    if not np.all(pn > 0):
        return []
    Pc = Pc / pn
    most = 3 if d <= 2 else 2
    subsets = _subsets(len(poly), range(most + 1))
    best: dict[int, tuple[float, int, float, int, np.ndarray]] = {}  # terms -> (residual, q, c, m, poly subset)
    for qi, q in enumerate(Q.T):
        typical = float(np.median(np.abs(q)))
        if not typical > 0:
            continue
        for c in np.concatenate([RATIONAL_SCALES, -RATIONAL_SCALES]) / typical:
            D = 1.0 + c * q
            if D.min() < 0.1:
                continue
            R = project(M / D[:, None] if W is None else W @ (M / D[:, None]))
            rn = np.linalg.norm(R, axis=0)
            ok = rn > 1e-12 * max(rn.max(), 1e-300)
            R = R / np.where(ok, rn, 1.0)
            T = np.hstack([Pc, R])
            G, g = T.T @ T, T.T @ yc
            for mi in np.flatnonzero(ok):
                for k, sub in subsets.items():
                    idx = np.hstack([sub, np.full((len(sub), 1), len(poly) + mi)])
                    Gs = G[idx[:, :, None], idx[:, None, :]] + 1e-10 * np.eye(k + 1)
                    gs = g[idx]
                    try:
                        sol = np.linalg.solve(Gs, gs[:, :, None])[:, :, 0]
                    except np.linalg.LinAlgError:
                        continue
                    res = yc @ yc - np.einsum("ij,ij->i", gs, sol)
                    i = int(np.argmin(res))
                    if k + 1 not in best or res[i] < best[k + 1][0]:
                        best[k + 1] = (float(res[i]), qi, float(c), int(mi), sub[i])
    seeds = []
    for _n, (_res, qi, c, mi, sub) in sorted(best.items()):
        top = _monomial(over[mi], d) if over[mi].any() else Node.const(1.0)
        bottom = Node("+", [Node.const(1.0), Node("*", [Node.const(c), _monomial(dens[qi], d)])])
        tree = Node("/", [top, bottom])
        for i in sub:
            tree = Node("+", [_monomial(poly[i], d), tree])
        seeds.append(tree)
    return seeds


_ = Invariant  # invariants are added by discover.evolution.invariants when asked for
