"""Conserved quantities found by regularized evolution, for what no fixed library can express.

:func:`search_invariants` looks for expressions ``f(x)`` that keep one value
along each measured trajectory (different trajectories may keep different
values), with the same regularized evolution as the regression search
(:mod:`.search`), but another objective (:class:`Tangency`):

* *Outer coefficients solved, not searched.* A tree is read as a sum of
  additive terms ``t_1 .. t_k``; the coefficients ``c`` of
  ``f = Σ c_i t_i`` are the generalized eigenvector of
  ``(A, G)`` with the smallest eigenvalue, where ``A`` is the
  within-trajectory scatter of the terms (their deviations from each
  trajectory's mean) and ``G`` the mean squared gradient of ``f`` (in units
  of each variable's standard deviation). The loss is that eigenvalue,
  ``λ = cᵀAc / cᵀGc``: how much ``f`` varies along trajectories relative to
  how steeply it changes across the state space. An additive constant and an
  overall scale change nothing, and a constant has ``G = 0`` and cannot win.
* *Independent of what is already known.* After a first invariant (or the
  laws the user passes as ``known``), the gradient in ``G`` is the part off
  the span of the known invariants' gradients (the rank test of
  :mod:`discover.conservation.checks`): a function of known invariants has
  ``G = 0``, and adding one to a candidate changes neither ``A`` nor ``G``.
  So each new invariant is functionally independent of the earlier ones.
* *Held out.* Each trajectory's last part is held out; a reported
  invariant must keep, there, the value it had on the first part.

Gradients are central differences of the tree at a few sample points, so
user operators need no derivative.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import scipy.linalg
import sympy as sp

from ..data import Series, load
from ..errors import DataError, ParameterError
from ..findings import Invariant
from ..progress import task
from .constants import multistart_lm, snap_constant
from .expressions import Node, additive_terms, complexity, evaluate, has_feature, operator_table, to_sympy
from .search import Problem, SearchConfig, pareto_front, search

__all__ = ["search_invariants", "Tangency"]

DEFAULT_OPERATORS = ("+", "-", "*", "/", "sqrt")


def building_blocks(d: int, operators: dict) -> list[Node]:
    """Simple terms that conserved quantities of mechanics are made of, as far as ``operators`` write them.

    The variables, their products two by two, and for each pair ``(i, j)``
    the norm ``sqrt(x_i*x_i + x_j*x_j)``, its inverse and each variable over
    it (kinetic energies, angular momenta, central potentials and their
    components). The first population is made of sums of one to three of them.
    """
    v = Node.var
    out = [v(i) for i in range(d)]
    if "*" in operators:
        out += [Node("*", [v(i), v(j)]) for i in range(d) for j in range(i, d)]
        if "+" in operators and "sqrt" in operators:
            for i in range(d):
                for j in range(i + 1, d):
                    norm = Node("sqrt", [Node("+", [Node("*", [v(i), v(i)]), Node("*", [v(j), v(j)])])])
                    out.append(norm)
                    if "/" in operators:
                        out.append(Node("/", [Node.const(1.0), norm.copy()]))
                        out += [Node("/", [v(k), norm.copy()]) for k in range(d)]
        out += [Node("*", [v(k), Node("*", [v(i), v(j)])]) for i in range(d) for j in range(i, d)
                for k in range(j, d)]
    return out


def _screen(blocks: list[Node], obj: Tangency, n: int, budget: int = 60000) -> list[Node]:
    """The ``n`` sums of one to three blocks that are best conserved, by the full loss.

    All sums are ranked at once by their within-trajectory over total
    variance (small generalized eigenproblems, batched), while their number
    stays within ``budget``; the best ``8 n`` are then scored by
    :meth:`Tangency.loss` (which also rules out functions of known invariants).
    """
    import itertools

    m = obj.matrices(blocks)
    if m is None:  # a block not finite on the data: keep those that are
        blocks = [b for b in blocks if obj.matrices([b]) is not None]
        m = obj.matrices(blocks)
        if m is None:
            return []
    A, B = m["A"], m["B"]
    live = np.flatnonzero(np.diag(B) > 0)
    scored = []
    for size in (1, 2, 3):
        if math.comb(len(live), size) > budget:
            break
        combos = np.array(list(itertools.combinations(live, size)), dtype=int).reshape(-1, size)
        As = A[combos[:, :, None], combos[:, None, :]]
        Bs = B[combos[:, :, None], combos[:, None, :]]
        Bs = Bs + 1e-9 * np.trace(Bs, axis1=1, axis2=2)[:, None, None] * np.eye(size)
        try:
            Li = np.linalg.inv(np.linalg.cholesky(Bs))
        except np.linalg.LinAlgError:
            continue
        M = Li @ As @ np.swapaxes(Li, 1, 2)
        lam = np.linalg.eigvalsh((M + np.swapaxes(M, 1, 2)) / 2)[:, 0]
        scored += list(zip(lam, map(tuple, combos)))
    scored.sort(key=lambda t: t[0])
    out = []
    for _, combo in scored[:8 * n]:
        tree = blocks[combo[0]].copy()
        for i in combo[1:]:
            tree = Node("+", [tree, blocks[i].copy()])
        loss = obj.loss(tree)
        if math.isfinite(loss):
            out.append((loss, complexity(tree, obj.operators), tree))
    out.sort(key=lambda t: (t[0], t[1]))
    return [t for _, _, t in out[:n]]


def _seed_trees(blocks: list[Node], n: int, operators, maxsize: int, rng) -> list[Node]:
    out: list[Node] = []
    for _ in range(50 * n):
        if len(out) >= n:
            break
        k = int(rng.integers(1, 4))
        idx = rng.choice(len(blocks), size=k, replace=False)
        tree = blocks[idx[0]].copy()
        for i in idx[1:]:
            tree = Node("+", [tree, blocks[i].copy()])
        if complexity(tree, operators) <= maxsize:
            out.append(tree)
    return out


def _terms(tree: Node) -> list[Node]:
    return [t for t in additive_terms(tree) if has_feature(t)]


class Tangency:
    """The objective of the invariant search: variation along trajectories over the off-span gradient.

    Parameters
    ----------
    parts : list of ndarray
        Training rows of each trajectory, ``(n_i, d)``.
    operators : dict
        The search's operator table.
    known : list of ndarray
        Gradients (raw units, ``(n_points, d)``) of invariants already known, at ``points``.
    points : ndarray
        Where gradients are taken, ``(n_points, d)``.
    sigma : ndarray
        Standard deviation of each variable (gradients are taken in units of it).
    """

    def __init__(self, parts, operators, known, points, sigma):
        self.operators = operators
        self.X = np.concatenate(parts)
        self.n = len(self.X)
        self.labels = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        self.counts = np.array([len(p) for p in parts], float)
        self.points = np.asarray(points, float)
        self.sigma = np.asarray(sigma, float)
        P, d = self.points.shape
        self.h = 1e-5 * self.sigma
        fd = []
        for j in range(d):
            for s in (1.0, -1.0):
                q = self.points.copy()
                q[:, j] += s * self.h[j]
                fd.append(q)
        self.Xall = np.concatenate([self.X] + fd)
        self.proj = np.broadcast_to(np.eye(d), (P, d, d)).copy()
        self.known = bool(len(known))
        if known:
            K = np.stack([np.asarray(g, float) * self.sigma for g in known], axis=2)  # (P, d, m)
            K = K / np.maximum(np.linalg.norm(K, axis=1, keepdims=True), 1e-300)
            U, s, _ = np.linalg.svd(K, full_matrices=False)
            keep = s > 1e-8 * np.maximum(s.max(axis=1, keepdims=True), 1e-300)
            U = U * keep[:, None, :]
            self.proj -= np.einsum("pdk,pek->pde", U, U)

    # -- the pieces of the loss ---------------------------------------------
    def matrices(self, terms: list[Node]) -> dict | None:
        """The terms' scatter and gradient matrices, or ``None`` when a term is not finite on the data.

        ``A``: within-trajectory scatter; ``B``: covariance over all rows;
        ``Gf``/``Gp``: mean Gram of the gradients, whole and off the known
        span; ``J``/``Jp``: those gradients ``(points, d, terms)``; ``T``: values.
        """
        if not terms:
            return None
        V = np.empty((len(self.Xall), len(terms)))
        for i, t in enumerate(terms):
            V[:, i] = evaluate(t, self.Xall, self.operators)
        if not np.all(np.isfinite(V)) or np.abs(V).max() > 1e150:
            return None
        n, (P, d) = self.n, self.points.shape
        T = V[:n]
        means = np.zeros((len(self.counts), len(terms)))
        np.add.at(means, self.labels, T)
        means /= self.counts[:, None]
        C = T - means[self.labels]
        A = C.T @ C / n
        Tc = T - T.mean(axis=0)
        B = Tc.T @ Tc / n
        fd = V[n:].reshape(d, 2, P, len(terms))
        J = ((fd[:, 0] - fd[:, 1]) / (2 * self.h[:, None, None]) * self.sigma[:, None, None]).transpose(1, 0, 2)
        Jp = np.einsum("pde,pek->pdk", self.proj, J) if self.known else J
        Gf = np.einsum("pdk,pdl->kl", J, J) / P
        Gp = np.einsum("pdk,pdl->kl", Jp, Jp) / P if self.known else Gf
        # a term whose gradient is at the round-off of its values (x/x) is a constant: no weight anywhere
        flat = np.sqrt(np.maximum(np.diag(Gf), 0.0)) <= 1e-7 * (np.sqrt(np.mean(T * T, axis=0)) + 1e-300)
        if flat.any():
            for M in (A, B, Gf, Gp):
                M[flat, :] = 0.0
                M[:, flat] = 0.0
        return {"A": A, "B": B, "Gf": Gf, "Gp": Gp, "J": J, "Jp": Jp, "T": T}

    def coefficients(self, m: dict) -> np.ndarray | None:
        """The ``c`` of least ``cᵀAc / cᵀBc`` among directions whose gradient is off the known span.

        Directions without gradient (constants) are removed; with known
        invariants, so are those whose gradient lies mostly in their span
        (generalized eigenvalue of ``(Gp, Gf)`` below 0.01).
        """
        dg = np.sqrt(np.maximum(np.diag(m["Gf"]), 0.0))
        if not dg.max(initial=0.0) > 0:
            return None
        D = np.where(dg > 0, dg, 1.0)
        DD = np.outer(D, D)
        w, V = np.linalg.eigh(m["Gf"] / DD)
        keep = w > 1e-10 * w.max()
        if not keep.any():
            return None
        Q = V[:, keep] / np.sqrt(w[keep])
        if self.known:
            mu, Y = np.linalg.eigh(Q.T @ (m["Gp"] / DD) @ Q)
            Q = Q @ Y[:, mu > 0.01]
            if not Q.shape[1]:
                return None
        As, Bs = Q.T @ (m["A"] / DD) @ Q, Q.T @ (m["B"] / DD) @ Q
        Bs = (Bs + Bs.T) / 2 + 1e-12 * max(np.trace(Bs), 1e-300) * np.eye(len(Bs))
        try:
            _, Y = scipy.linalg.eigh((As + As.T) / 2, Bs)
        except (np.linalg.LinAlgError, ValueError):
            return None
        c = (Q @ Y[:, 0]) / D
        return c if c[np.argmax(np.abs(c))] > 0 else -c

    def rho(self, m: dict, c: np.ndarray) -> float:
        """Median over the points of ``|∇f off the known span| / |∇f|`` (1 with nothing known)."""
        if not self.known:
            return 1.0
        g = np.linalg.norm(m["J"] @ c, axis=1)
        gp = np.linalg.norm(m["Jp"] @ c, axis=1)
        return max(float(np.median(np.where(g > 0, gp / np.maximum(g, 1e-300), 0.0))), 1e-6)

    def score(self, m: dict, c) -> float:
        """The loss of ``f = Σ c_i t_i``: within-trajectory over total variance, over ``rho²``."""
        c = np.asarray(c, float)
        var = float(np.var(m["T"] @ c))
        if not var > 0:
            return math.inf
        return max(float(c @ m["A"] @ c), 0.0) / var / self.rho(m, c) ** 2

    def _lambda(self, m: dict) -> tuple[float, np.ndarray | None]:
        c = self.coefficients(m)
        if c is None:
            return math.inf, None
        return self.score(m, c), c

    # -- what the search calls ----------------------------------------------
    def loss(self, tree: Node) -> float:
        """``λ`` of the tree with its outer coefficients solved (inf when invalid or degenerate)."""
        m = self.matrices(_terms(tree))
        if m is None:
            return math.inf
        return self._lambda(m)[0]

    def optimize(self, tree: Node, rng, *, restarts: int = 1, max_nfev: int = 60) -> tuple[Node, float]:
        """Levenberg–Marquardt on the constants inside the terms (outer coefficients solved at each step)."""
        t = tree.copy()
        consts = t.constants()
        base = self.loss(t)
        if not consts or not math.isfinite(base):
            return t, base
        n = self.n

        def resid(p):
            for c, v in zip(consts, p):
                c.value = float(v)
            terms = _terms(t)
            m = self.matrices(terms)
            if m is None:
                return np.full(n, 1e5)
            c = self.coefficients(m)
            if c is None:
                return np.full(n, 1e5)
            f = m["T"] @ c
            means = np.bincount(self.labels, weights=f) / self.counts
            return (f - means[self.labels]) / math.sqrt(n) / max(float(np.std(f)), 1e-300) / self.rho(m, c)

        return t, multistart_lm(consts, resid, lambda: self.loss(t), base, rng, restarts=restarts, max_nfev=max_nfev)


# ---------------------------------------------------------------------------
# The search


def search_invariants(series, *, known=(), operators=DEFAULT_OPERATORS, maxsize: int = 22,
                      n_invariants: int | None = None, tolerance="auto",
                      population_size: int = 40, n_islands: int = 4, n_iterations: int = 40, steps: int = 400,
                      max_seconds: float | None = None, validation_fraction: float = 0.25, max_samples: int = 1500,
                      n_points: int = 64, random_state=0, n_jobs: int | None = 1, backend: str | None = None,
                      progress: bool | None = None) -> list[Invariant]:
    """Conserved quantities of the measured trajectories, searched by regularized evolution.

    One search per invariant: each looks for the simplest expression ``f``
    whose variation along the trajectories is at most ``tolerance`` relative
    to how steeply it changes across the state space, and that is not a
    function of the invariants already found or ``known``; it stops at
    ``n_invariants`` or when a search finds nothing conserved. How the loss
    works is in this module's docstring and ``docs/methods/evolution.rst``.

    Parameters
    ----------
    series : Series or anything :func:`discover.load` takes
        At least two trajectories from different initial conditions (a value
        that every trajectory keeps the same is not told from a constant).
    known : sequence of sympy expressions or str
        Invariants already known (e.g. the conservation library's laws, over
        the column names); the search reports only quantities independent of them.
    operators : sequence of str or Operator, default ``("+", "-", "*", "/", "sqrt")``
        The search's operators.
    maxsize : int, default 22
        Largest complexity (nodes) of an expression. A planar Kepler orbit's
        Runge–Lenz component ``vy*(x*vy - y*vx) - x/sqrt(x*x + y*y)`` has 20.
    n_invariants : int, optional
        Most invariants to report (default ``d - 1 - len(known)``: a flow in
        ``d`` dimensions has at most ``d - 1`` independent ones).
    tolerance : "auto" or float, default "auto"
        Largest loss ``λ`` (on the held-out parts) of a reported invariant;
        ``λ`` is about the squared relative variation along trajectories
        (``1e-4`` admits about 1 %). ``"auto"``: 25 times what the measured
        noise alone gives (``4 ν²``, ``ν`` the largest noise level over a
        variable's standard deviation, from :func:`discover.conservation.noise.estimate_noise`),
        at most 0.1; on clean data about 1e-10, so an approximation of a law
        is not reported as one.
    population_size, n_islands, n_iterations, steps, max_seconds
        The evolution's size and budget per invariant (see
        :class:`~discover.evolution.EvolutionSR`); ``max_seconds`` bounds each search.
    validation_fraction : float, default 0.25
        The last part of each trajectory, held out.
    max_samples : int, default 1500
        Training rows used (evenly thinned per trajectory).
    n_points : int, default 64
        Sample points where gradients are taken.
    random_state : int or None, default 0
        Seed: the same seed gives the same invariants.
    n_jobs, backend : islands in parallel (:func:`discover.parallel.parallel_map`).
    progress : bool, optional
        Show the search's progress (default: under :func:`discover.fit` or on a terminal).

    Returns
    -------
    list of Invariant
        Each with ``method="evolution"``, ``residual`` = the RMS deviation on the
        held-out parts from each trajectory's training value over the spread of
        ``f`` across all samples, and ``metrics`` ``loss``, ``loss_holdout``,
        ``complexity``, ``in_library=False``.

    Examples
    --------
    An oscillator ``x'' = -2 x`` keeps ``v**2 + 2*x**2``:

    >>> import numpy as np
    >>> from scipy.integrate import solve_ivp
    >>> from discover.data import Series, Trajectory
    >>> from discover.evolution import search_invariants
    >>> t = np.linspace(0, 8, 300)
    >>> def orbit(a):
    ...     s = solve_ivp(lambda t, z: [z[1], -2 * z[0]], (0, 8), [a, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
    ...     return Trajectory(t, s.y.T)
    >>> s = Series([orbit(a) for a in (0.5, 1.0, 1.5)], ["x", "v"])
    >>> found = search_invariants(s, operators=["+", "*"], maxsize=12, n_iterations=3, progress=False)
    >>> found[0].expression
    v**2 + 2*x**2
    """
    series = series if isinstance(series, Series) else load(series)
    ops = operator_table(operators)
    names = list(series.variables)
    d = len(names)
    for name, v, lo in (("maxsize", maxsize, 3), ("population_size", population_size, 2), ("n_islands", n_islands, 1),
                        ("n_iterations", n_iterations, 1), ("steps", steps, 1), ("max_samples", max_samples, 10),
                        ("n_points", n_points, 4)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise ParameterError(f"The '{name}' parameter of search_invariants must be an int in the range "
                                 f"[{lo}, inf). Got {v!r} instead.")
    if not (tolerance == "auto" or (isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool)
                                    and 0 < tolerance < 1)):
        raise ParameterError(f"The 'tolerance' parameter of search_invariants must be 'auto' or a float in the "
                             f"range (0, 1). Got {tolerance!r} instead.")
    if not 0 <= validation_fraction < 0.5:
        raise ParameterError(f"The 'validation_fraction' parameter of search_invariants must be a float in the "
                             f"range [0, 0.5). Got {validation_fraction!r} instead.")
    if series.n_trajectories < 2:
        raise DataError("search_invariants needs at least two trajectories from different initial conditions "
                        f"(got {series.n_trajectories})")
    xs = [np.asarray(tr.x, float) for tr in series.trajectories]
    if not all(np.all(np.isfinite(x)) for x in xs):
        raise DataError("search_invariants needs finite data (NaN or inf found)")
    known = [k.expression if isinstance(k, Invariant) else k for k in known]
    limit = d - 1 - len(known) if n_invariants is None else int(n_invariants)
    if limit <= 0:
        return []

    rng = np.random.default_rng(random_state)
    cuts = [int(round(len(x) * (1 - validation_fraction))) if validation_fraction > 0 and len(x) >= 8 else len(x)
            for x in xs]
    train = [x[:c] for x, c in zip(xs, cuts)]
    hold = [x[c:] for x, c in zip(xs, cuts)]
    per = max(2, max_samples // len(train))
    train = [x[np.unique(np.linspace(0, len(x) - 1, min(len(x), per)).round().astype(int))] for x in train]
    X = np.concatenate(train)
    sigma = np.concatenate(xs).std(axis=0)
    sigma = np.where(sigma > 0, sigma, 1.0)
    points = X[np.sort(rng.choice(len(X), size=min(n_points, len(X)), replace=False))]
    from ..conservation.noise import estimate_noise

    # the loss a true invariant has from measurement noise alone: about the squared relative noise
    floor = 4 * float(np.max(estimate_noise(xs) / sigma)) ** 2 + 1e-12
    if tolerance == "auto":
        tolerance = min(25 * floor, 0.1)

    from ..conservation.checks import _expr_gradients

    found: list[Invariant] = []
    exprs = list(known)
    seeds: list[Node] = []
    blocks = building_blocks(d, ops)
    cfg = SearchConfig(population_size=population_size, n_islands=n_islands, n_iterations=n_iterations,
                       steps=steps, maxsize=maxsize, max_seconds=max_seconds)
    with task("evolution invariants", total=limit, enabled=progress) as update:
        for _ in range(limit):
            grads = _expr_gradients(exprs, names, points) if exprs else []
            obj = Tangency(train, ops, grads, points, sigma)
            fresh = [t for t in _screen(blocks, obj, population_size // 2) if complexity(t, ops) <= maxsize]
            pool = seeds[:population_size // 4] + fresh + _seed_trees(blocks, population_size, ops, maxsize, rng)
            prob = Problem(X, np.zeros(len(X)), ops, seeds=pool[:population_size], objective=obj)
            res = search([prob], cfg, seed=int(rng.integers(2**31)), n_jobs=n_jobs, backend=backend,
                         progress=progress, names=[f"invariant {len(found) + 1}"])
            hof = res["hofs"][0]
            seeds = [m.tree.copy() for m in sorted(hof.values(), key=lambda m: m.loss)]
            inv = _pick(hof, obj, train, hold, ops, names, tolerance, floor, rng)
            update(found=len(found) + (inv is not None))
            if inv is None:
                break
            inv.metrics.update(seconds=res["seconds"], evaluations=res["evaluations"])
            found.append(inv)
            exprs.append(inv.expression)
    return found


def _pick(hof, obj: Tangency, train, hold, ops, names, tolerance, floor, rng) -> Invariant | None:
    """The simplest front member conserved on the held-out parts as well as the best one, made readable.

    Members whose held-out loss is at most ``tolerance`` are candidates; the
    simplest whose held-out loss is within ``max(10 best, best + floor)``
    is taken (``floor``: what the measurement noise alone gives), so an
    approximation that is conserved to 1e-4 does not hide the exact law.
    """
    cands = []
    for m in pareto_front(hof):
        if not m.loss <= tolerance:
            continue
        tree, c, lam = _readable(m.tree, obj, tolerance, rng)
        if c is None:
            continue
        lam_hold, resid = _holdout(tree, c, obj, train, hold, ops)
        if lam_hold <= tolerance:
            cands.append((tree, c, lam, lam_hold, resid))
    if not cands:
        return None
    best = min(x[3] for x in cands)
    tree, c, lam, lam_hold, resid = next(x for x in cands if x[3] <= max(10 * best, best + floor))
    terms = _terms(tree)
    expr = sp.Add(*[_number(q) * to_sympy(t, names, ops) for q, t in zip(c, terms)])
    conf = float(np.clip(1 - math.sqrt(max(lam_hold, lam) / tolerance), 0, 1))
    return Invariant(expr, residual=resid, confidence=conf, method="evolution",
                     metrics={"loss": lam, "loss_holdout": lam_hold, "complexity": complexity(tree, ops),
                              "in_library": False, "kind": "evolution"})


def _number(q):
    if isinstance(q, Fraction):
        return sp.Rational(q.numerator, q.denominator)
    return sp.Integer(int(q)) if float(q).is_integer() else sp.Float(q, 6)


def _coef_lambda(obj: Tangency, tree: Node, c) -> float:
    m = obj.matrices(_terms(tree))
    if m is None:
        return math.inf
    return obj.score(m, [float(q) for q in c])


def _readable(tree: Node, obj: Tangency, tolerance: float, rng):
    """Drop terms that do not matter, snap inner constants and outer coefficients where ``λ`` allows.

    Returns the tree, its coefficients (``Fraction`` where snapped) and ``λ``.
    """
    t = tree.copy()
    lam0 = obj.loss(t)
    allow = lambda lam: lam <= max(4 * lam0, lam0 + 1e-3 * tolerance)  # noqa: E731
    # drop additive terms while the rest stays conserved
    changed = True
    while changed and len(_terms(t)) > 1:
        changed = False
        for drop in range(len(_terms(t))):
            kept = [x.copy() for i, x in enumerate(_terms(t)) if i != drop]
            cand = kept[0]
            for x in kept[1:]:
                cand = Node("+", [cand, x])
            if allow(obj.loss(cand)):
                t, changed = cand, True
                break
    # inner constants: simple values where the loss allows
    consts = t.constants()
    for i in range(len(consts)):
        t = snap_constant(t, i, lambda trial: trial if allow(obj.loss(trial)) else None)
    m = obj.matrices(_terms(t))
    if m is None:
        return t, None, math.inf
    lam, c = obj._lambda(m)
    if c is None:
        return t, None, math.inf
    # outer coefficients: normalise by one of them and snap to small fractions, else round
    best = None
    for j in range(len(c)):
        if abs(c[j]) < 1e-12 * np.abs(c).max():
            continue
        r = c / c[j]
        snapped = [Fraction(float(v)).limit_denominator(12) for v in r]
        close = sum(abs(float(q) - v) <= 1e-3 * abs(v) for q, v in zip(snapped, r))
        score = (-close, sum(q.denominator for q in snapped), j)
        if best is None or score < best[0]:
            best = (score, r, snapped)
    _, r, snapped = best
    if allow(_coef_lambda(obj, t, snapped)):
        return t, snapped, _coef_lambda(obj, t, snapped)
    for digits in range(2, 10):
        rounded = [float(f"{v:.{digits}g}") for v in r]
        if allow(_coef_lambda(obj, t, rounded)):
            return t, rounded, _coef_lambda(obj, t, rounded)
    return t, list(r), lam


def _holdout(tree: Node, c, obj: Tangency, train, hold, ops) -> tuple[float, float]:
    """``λ`` on the held-out parts (deviation from each trajectory's training mean) and the relative residual."""
    terms = _terms(tree)
    cf = np.array([float(q) for q in c])

    def f(x):
        return np.column_stack([evaluate(t, x, ops) for t in terms]) @ cf

    m = obj.matrices(terms)
    rho = obj.rho(m, cf) if m is not None else 0.0
    dev, n, allv = 0.0, 0, []
    for tr, ho in zip(train, hold):
        ftr = f(tr)
        allv.append(ftr)
        if len(ho):
            fh = f(ho)
            allv.append(fh)
            dev += float(np.sum((fh - ftr.mean()) ** 2))
            n += len(ho)
    if n == 0:  # nothing held out: the training variation stands in
        for tr in train:
            ftr = f(tr)
            dev += float(np.sum((ftr - ftr.mean()) ** 2))
            n += len(tr)
    spread = float(np.std(np.concatenate(allv)))
    msd = dev / max(n, 1)
    if not (math.isfinite(msd) and spread > 0 and rho > 0):
        return math.inf, math.inf
    return msd / spread ** 2 / rho ** 2, math.sqrt(msd) / spread
