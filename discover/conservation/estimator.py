"""The estimator: :class:`ConservationLaws`."""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction

import numpy as np
import sympy as sp

from ..base import Interval, Method, Options, check_is_fitted
from ..data import Series, load
from ..errors import DataError, DataWarning, ParameterError
from ..findings import Invariant, symbols_for
from .checks import _gradient_rank_residual
from .library import _fit_library_size, build_library
from .neural import neural_detector
from .noise import estimate_noise
from .numerics import _gen_eig, _rational, _rayleigh, _round_sig, _sparse_candidates

# ---------------------------------------------------------------------------
# The estimator


class ConservationLaws(Method):
    """Conserved quantities over a symbolic library, checked on held-out data.

    Parameters
    ----------
    degree : int, default 3
        Monomials of total degree 1..``degree`` in the library. The library
        must have fewer than half as many terms as there are samples; when
        it would not, the degree is lowered (down to 1), then the ``sin``/
        ``cos`` terms are left out, with a :class:`~discover.errors.DataWarning`
        and ``degree_``/``library_note_`` (and the laws' metrics) saying so.
        Data too few even for the linear terms give no laws (and the warning).
    trig : bool, default True
        Add ``sin`` and ``cos`` of each variable.
    log : bool or "auto", default "auto"
        Add ``log`` of each variable (``"auto"``: those positive on all data).
    terms : list of str, optional
        Extra library terms as sympy strings over the column names, e.g.
        ``["1/sqrt(x**2 + y**2)"]`` (also from ``--config``).
    noise : "auto" or float, default "auto"
        Measurement noise: estimated from the data, or a standard deviation
        given as a fraction of each variable's standard deviation.
    threshold : float, default 2.0
        A direction is a law when its variance along trajectories is at most
        ``threshold`` times what the noise alone explains.
    holdout_threshold : float, default 1.2
        The same ratio on the held-out data (not used to fit, so not biased
        low), which every reported law must pass.
    tol : float, default 1e-6
        Relative variation treated as zero on clean data (numerical floor
        added to the noise model).
    formulation : {"pairs", "increments"}, default "pairs"
        ``"pairs"``: increments between all pairs of samples of a trajectory
        (deviations from its mean); ``"increments"``: one-step increments
        ``Θ(x_{k+1}) − Θ(x_k)``. Neither needs derivatives.
    validation_fraction : float, default 0.25
        Last part of each trajectory held out; a law must keep the same value
        there as on the first part.
    max_denominator : int, default 12
        Largest denominator when snapping coefficients to rationals.
    independence_tol : float, default 0.1
        Median relative residual of a law's gradient off the span of the kept
        laws' gradients above which it counts as independent.
    neural : bool, default False
        Also run :func:`neural_detector` (PyTorch) to say whether an invariant
        exists outside the library.
    neural_epochs : int, default 400
    evolution : bool or "auto", default "auto"
        Search conserved quantities outside the library by regularized
        evolution (:func:`discover.evolution.search_invariants`), independent
        of the library's laws. ``"auto"``: when ``neural=True`` and the
        detector says an invariant exists outside the library; ``True``:
        always; ``False``: never. Its laws join :attr:`invariants_` with
        ``method="evolution"``; a failure of the search is a warning
        (``evolution_error_``) and keeps the library's laws.
    evolution_options : dict, optional
        Keyword arguments of :func:`~discover.evolution.search_invariants`
        (``operators``, ``maxsize``, ``max_seconds`` …).
    random_state : int, Generator or None
        Seeds the scattered test points and the neural detector.

    Attributes
    ----------
    library_ : Library or None
        None when the data were too few for any library.
    degree_, trig_ : int, bool
        The degree and trig setting used (lower than asked on few samples).
    library_note_ : str
        What was lowered and why ("" when nothing was).
    invariants_ : list of Invariant
        The independent laws, sparse and simplified.
    n_invariants_ : int
        Number of functionally independent laws found.
    null_dimension_ : int
        Dimension of the space of conserved library combinations (before
        independence: a law and its square both count here).
    eigenvalues_ : ndarray
        Generalized eigenvalues λ (variance along trajectories / noise
        variance), ascending; laws have ``λ < threshold``.
    noise_ : ndarray
        Noise standard deviation used, per variable.
    rejected_ : list of dict
        Candidates not reported and why (``"dependent"``, ``"held-out"``, ``"trivial"``).
    neural_ : dict or None
        The neural detector's verdict when ``neural=True``.
    evolution_invariants_ : list of Invariant
        What the evolution search found (empty when it did not run).
    evolution_error_ : str or None
        Why the evolution search failed, when it did.

    Examples
    --------
    >>> from discover.systems import simulate
    >>> s = simulate("lotka_volterra", n=3000, dt=0.01)
    >>> laws = ConservationLaws(degree=2).fit(s)
    >>> print(laws.invariants_[0].expression)
    5*predator/2 + prey - 5*log(predator) - 3*log(prey)
    """

    name = "conservation"
    _parameter_constraints = {
        "degree": [Interval(int, 1, 8)],
        "trig": [bool],
        "log": [bool, Options("auto")],
        "terms": [None, list, tuple],
        "noise": [Options("auto"), Interval(float, 0, None)],
        "threshold": [Interval(float, 1, None, closed="neither")],
        "holdout_threshold": [Interval(float, 1, None, closed="neither")],
        "tol": [Interval(float, 0, 1, closed="neither")],
        "formulation": [Options("pairs", "increments")],
        "validation_fraction": [Interval(float, 0, 0.5, closed="left")],
        "max_denominator": [Interval(int, 1, None)],
        "independence_tol": [Interval(float, 0, 1, closed="neither")],
        "neural": [bool],
        "neural_epochs": [Interval(int, 1, None)],
        "evolution": [bool, Options("auto")],
        "evolution_options": [None, dict],
        "random_state": ["random_state"],
    }

    def __init__(self, *, degree: int = 3, trig: bool = True, log="auto", terms=None, noise="auto",
                 threshold: float = 2.0, holdout_threshold: float = 1.2, tol: float = 1e-6, formulation: str = "pairs",
                 validation_fraction: float = 0.25, max_denominator: int = 12,
                 independence_tol: float = 0.1, neural: bool = False, neural_epochs: int = 400,
                 evolution="auto", evolution_options: dict | None = None, random_state=None):
        self.degree = degree
        self.trig = trig
        self.log = log
        self.terms = terms
        self.noise = noise
        self.threshold = threshold
        self.holdout_threshold = holdout_threshold
        self.tol = tol
        self.formulation = formulation
        self.validation_fraction = validation_fraction
        self.max_denominator = max_denominator
        self.independence_tol = independence_tol
        self.neural = neural
        self.neural_epochs = neural_epochs
        self.evolution = evolution
        self.evolution_options = evolution_options
        self.random_state = random_state

    # -- fitting -----------------------------------------------------------
    def fit(self, series, y=None) -> ConservationLaws:
        """Find the conserved quantities of ``series`` (a Series or anything :func:`discover.load` takes)."""
        self._validate_params()
        from threadpoolctl import threadpool_limits

        # Many small dense problems: one BLAS thread is fastest (and does not fight other work).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(series)

    def _fit(self, series) -> ConservationLaws:
        if self.terms is not None:
            for t in self.terms:
                if not isinstance(t, (str, sp.Basic)):
                    raise ParameterError(
                        f"The 'terms' parameter of ConservationLaws must be a list of sympy strings. "
                        f"Got {t!r} instead."
                    )
        series = series if isinstance(series, Series) else load(series)
        rng = self.random_state if isinstance(self.random_state, np.random.Generator) else \
            np.random.default_rng(self.random_state if not isinstance(self.random_state, np.random.RandomState)
                                  else self.random_state.randint(2**31))
        names = series.variables
        xs = [np.asarray(tr.x, float) for tr in series.trajectories]
        X = np.concatenate(xs)
        d = X.shape[1]
        if not np.all(np.isfinite(X)):
            raise DataError("ConservationLaws needs finite data (NaN or inf found)")
        min_len = 3 if self.formulation == "pairs" else 2
        n_usable = sum(len(x) for x in xs if len(x) >= min_len)
        degree, trig, note = _fit_library_size(d, n_usable, self.degree, self.trig, self.log, X,
                                               len(self.terms or ()))
        self.degree_, self.trig_, self.library_note_ = degree, trig, note
        if note:
            warnings.warn(f"ConservationLaws: {note}", DataWarning, stacklevel=3)
        if degree == 0:  # not even the linear terms can be tested on so few samples
            return self._nothing_testable()
        lib = build_library(names, degree=degree, trig=trig, log=self.log, terms=list(self.terms or ()), x=X)
        self.library_ = lib
        p = lib.n_terms

        # -- noise per variable (absolute) ------------------------------
        std = X.std(axis=0)
        if self.noise == "auto":
            pooled = estimate_noise(xs)
            # per trajectory (noise levels may differ between recordings); short ones use the pooled value
            sigmas = [estimate_noise([x]) if len(x) >= 50 else pooled for x in xs]
            cap = 0.1 * std
            if any(np.any(sg > cap) for sg in sigmas):
                warnings.warn(
                    "ConservationLaws: the estimated noise exceeds 10% of a variable's spread "
                    "(coarse sampling or very noisy data); capped at 10%.", DataWarning, stacklevel=2)
            sigmas = [np.minimum(sg, cap) for sg in sigmas]
            sigma = np.minimum(pooled, cap)
        else:
            sigma = float(self.noise) * std
            sigmas = [sigma] * len(xs)
        self.noise_ = sigma

        # -- library values, jacobians, scaling ---------------------------
        thetas = [lib.evaluate(x) for x in xs]
        Th = np.concatenate(thetas)
        if not np.all(np.isfinite(Th)):
            bad = [str(lib.terms[j]) for j in np.where(~np.all(np.isfinite(Th), axis=0))[0]]
            raise DataError(f"library terms are not finite on the data: {', '.join(bad)}")
        scale = Th.std(axis=0)
        keep = scale > 1e-12 * (1 + np.abs(Th).max(axis=0))  # a term that never varies says nothing
        cols = np.where(keep)[0]
        scale = scale[cols]
        thetas = [t[:, cols] / scale for t in thetas]
        p = len(cols)
        self._cols, self._scale = cols, scale

        # -- train / held-out split ----------------------------------------
        vf = self.validation_fraction
        cuts = [len(t) if vf == 0 or len(t) < 20 else int(round(len(t) * (1 - vf))) for t in thetas]
        train = [t[:c] for t, c in zip(thetas, cuts)]
        hold = [t[c:] if c < len(t) else None for t, c in zip(thetas, cuts)]
        A_tr = self._spread(train)
        self._A_all = self._spread(thetas)

        # -- noise covariance of the library terms (Jacobian × noise), per part
        def noise_cov(parts):
            """Mean of Jᵀ Σ J over the samples (an average: a random subset of them is enough)."""
            Bm, n = np.zeros((p, p)), 0
            for x, sg in zip(parts, sigmas):
                if x is None or len(x) == 0:
                    continue
                w = len(x)
                if len(x) > 1500:
                    x = x[np.sort(rng.choice(len(x), 1500, replace=False))]
                Jx = self.library_.jacobian(x)[:, cols, :] * (sg[None, None, :] / scale[:, None])
                Jx = Jx.transpose(0, 2, 1).reshape(-1, p)
                Bm += (w / len(x)) * (Jx.T @ Jx)
                n += w
            Bm /= max(n, 1)
            return (2 * Bm if self.formulation == "increments" else Bm), n

        (B_tr, n_tr), (B_ho, n_ho) = noise_cov([x[:c] for x, c in zip(xs, cuts)]), \
            noise_cov([x[c:] for x, c in zip(xs, cuts)])
        B_all = (n_tr * B_tr + n_ho * B_ho) / max(n_tr + n_ho, 1)

        # -- points scattered around the data: how much each law varies off it
        idx = rng.integers(0, len(X), size=min(2000, max(200, len(X))))
        Xs = X[idx] + 0.25 * std * rng.standard_normal((len(idx), d))
        for i, v in enumerate(self.library_.variables):
            if any(str(t) == f"log({v})" for t in lib.terms):
                Xs[:, i] = np.maximum(Xs[:, i], 0.5 * X[:, i].min())
        with np.errstate(all="ignore"):
            Ts = self.library_.evaluate(Xs)[:, cols] / scale
        Ts = Ts[np.all(np.isfinite(Ts), axis=1)]
        A_box = np.cov(Ts, rowvar=False).reshape(p, p) if len(Ts) > 2 else np.eye(p)
        self._A_box = A_box
        # Noise model plus a floor: on clean data a law may still vary by ``tol``
        # relative to how much it varies around the data.
        floor = (self.tol ** 2) * A_box + 1e-14 * np.eye(p)
        B_tr, B_ho, B_all = B_tr + floor, B_ho + floor, B_all + floor
        self._B = B_tr

        # -- tiers: simplest terms first (Occam); later tiers only add what is new
        kinds = np.array([self.library_.kinds[j] for j in cols])
        tiers = [np.flatnonzero(kinds == "poly"), np.flatnonzero(kinds != "trig"), np.arange(p)]
        tiers = [t for i, t in enumerate(tiers) if len(t) and (i == 0 or len(t) > len(tiers[i - 1]))]
        pts = X[rng.choice(len(X), size=min(200, len(X)), replace=False)]
        Jp = self.library_.jacobian(pts)[:, cols, :] / scale[None, :, None]
        kept, grads, rejected = [], [], []
        max_laws = d - 1
        pool = {}
        for tier in tiers:
            pool.update(self._search(tier, A_tr, B_tr, A_box)[2])
        # Rank: fit first (noise ratios below the best one, or below 1/threshold, count as equal),
        # then fewer terms, then fewer non-polynomial terms.
        lam_floor = max(min((cl[1] for cl in pool.values()), default=1.0), 1.0 / self.threshold)

        def score(cl):
            c, lam = cl
            return (math.log(max(lam, lam_floor) / lam_floor)
                    + 0.05 * (np.count_nonzero(c) + self._n_special(c)), lam)

        for c, lam in sorted(pool.values(), key=score):
            if len(kept) >= max_laws:  # a flow in d dimensions has at most d - 1 independent laws
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            g = np.einsum("npi,p->ni", Jp, c)
            if grads and _gradient_rank_residual(grads, g) <= self.independence_tol:
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            lam_hold = self._holdout_lambda(c, train, hold, B_ho)
            if self.holdout_threshold < lam_hold < 3 * self.holdout_threshold:
                # pruning may have dropped a small true term: try adding terms back
                c2 = self._grow(c, A_tr, B_tr)
                if c2 is not None:
                    lam_hold2 = self._holdout_lambda(c2, train, hold, B_ho)
                    if lam_hold2 < lam_hold:
                        c, lam, lam_hold = c2, _rayleigh(c2, A_tr, B_tr), lam_hold2
                        g = np.einsum("npi,p->ni", Jp, c)
            if lam_hold > self.holdout_threshold or lam > self.holdout_threshold:
                # on held-out data, and on the data it was fitted to, at the noise level
                rejected.append({"coefficients": c, "reason": "held-out", "lambda_holdout": lam_hold})
                continue
            lam_box = _rayleigh(c, A_box, B_tr)
            if lam_box < 10 * self.threshold:
                rejected.append({"coefficients": c, "reason": "trivial"})
                continue
            if _gradient_rank_residual(grads, g) <= self.independence_tol:
                rejected.append({"coefficients": c, "reason": "dependent"})
                continue
            kept.append((c, lam, lam_hold, lam_box))
            grads.append(g)
        self.rejected_ = rejected

        # the whole law space over the full library, for the record
        w, _ = self._law_space(np.arange(p), A_tr, B_tr, A_box)
        self.eigenvalues_ = w
        self.null_dimension_ = int(np.sum(w < self.threshold))

        invariants = []
        for c, _lam, lam_hold, lam_box in kept:
            expr, c_final = self._readable(c, A_tr, B_tr)
            lam_all = _rayleigh(c_final, self._A_all, B_all)
            resid = math.sqrt(max(float(c_final @ self._A_all @ c_final), 0.0)) / max(
                math.sqrt(max(float(c_final @ A_box @ c_final), 0.0)), 1e-300)
            h = self.holdout_threshold
            s_hold = 1.0 if not math.isfinite(lam_hold) or lam_hold <= 1 else float(
                np.clip((h - lam_hold) / (h - 1), 0, 1))
            s_sig = float(np.clip(math.log10(max(lam_box, 1e-300) / self.threshold) / 3, 0, 1))
            conf = s_hold * s_sig
            invariants.append(Invariant(
                expr, residual=resid, confidence=conf, method=self.name,
                metrics={"terms": int(np.count_nonzero(c_final)), "noise_ratio": lam_all, "degree": degree,
                         **({"library_note": note} if note else {}),
                         "noise_ratio_holdout": lam_hold, "signal_to_noise": math.sqrt(max(lam_box, 0.0)),
                         "null_dimension": self.null_dimension_, "n_independent": len(kept),
                         "in_library": True},
            ))
        self.invariants_ = invariants
        self.n_invariants_ = len(invariants)

        self.neural_ = None
        if self.neural:
            self.neural_ = neural_detector(series, laws=[inv.expression for inv in invariants],
                                           epochs=self.neural_epochs, random_state=rng.integers(2**31),
                                           validation_fraction=max(vf, 0.2))
        self._search_outside_library(series, rng)
        return self

    def _search_outside_library(self, series, rng) -> None:
        """The evolution search for laws the library cannot express, when asked or when the detector says so."""
        self.evolution_invariants_, self.evolution_error_ = [], None
        nd = self.neural_
        wanted = self.evolution is True or (
            self.evolution == "auto" and nd is not None and nd.get("verdict") == "invariant"
            and bool(nd.get("outside_library")))
        if not wanted:
            return
        from ..evolution.invariants import search_invariants  # numpy only: no torch on this path

        opts = {"random_state": int(rng.integers(2**31)), **(self.evolution_options or {})}
        try:
            found = search_invariants(series, known=[inv.expression for inv in self.invariants_], **opts)
        except Exception as exc:  # the library's laws stand whatever happens to the search
            self.evolution_error_ = f"{type(exc).__name__}: {exc}"
            warnings.warn(f"ConservationLaws: the evolution search for invariants outside the library failed "
                          f"({self.evolution_error_}); the library's laws are kept.", DataWarning, stacklevel=4)
            return
        for inv in found:
            inv.metrics["via"] = "conservation"
        self.evolution_invariants_ = found

    def _nothing_testable(self) -> ConservationLaws:
        """The fitted state when the data are too few for any library: no laws, said why."""
        self.library_ = None
        self.noise_ = None
        self._cols = np.arange(0)
        self.eigenvalues_ = np.empty(0)
        self.null_dimension_ = 0
        self.invariants_, self.n_invariants_, self.rejected_, self.neural_ = [], 0, [], None
        self.evolution_invariants_, self.evolution_error_ = [], None
        return self

    # -- pieces --------------------------------------------------------------
    def _law_space(self, sub, A, B, A_box):
        """Generalized eigenvalues/vectors of (A, B) restricted to ``sub``, identities removed."""
        As, Bs, Ab = A[np.ix_(sub, sub)], B[np.ix_(sub, sub)], A_box[np.ix_(sub, sub)]
        wb, Vb = np.linalg.eigh((Ab + Ab.T) / 2)
        n_id = int(np.sum(wb < 1e-10 * max(wb.max(), 1e-300)))
        Q = Vb[:, n_id:] if n_id else np.eye(len(sub))
        w, V = _gen_eig(Q.T @ As @ Q, Q.T @ Bs @ Q)
        return w, Q @ V

    def _search(self, sub, A, B, A_box):
        """Sparse law candidates using only the terms ``sub``: ``(k, λ_next, {support: (c, λ)})``."""
        w, V = self._law_space(sub, A, B, A_box)
        k = int(np.sum(w < self.threshold))
        lam_next = float(w[k]) if k < len(w) else float("inf")
        raw = []
        if k:
            N = V[:, :k]
            raw = [N[:, 0]] if k == 1 else _sparse_candidates(N)
            raw = [self._embed(sub, a) for a in raw]
            raw += self._small_supports(sub, A, B)
        cands, supports = {}, set()
        for a in raw:
            sup = tuple(np.flatnonzero(np.abs(a) > 1e-2 * np.abs(a).max()))
            if sup in supports:
                continue
            supports.add(sup)
            for c in self._prune(a, A, B):
                key = tuple(np.flatnonzero(c))
                lam = _rayleigh(c, A, B)
                if key not in cands or lam < cands[key][1]:
                    cands[key] = (c, lam)
        return k, lam_next, cands

    def _embed(self, sub, a):
        v = np.zeros(len(self._cols))
        v[sub] = a
        return v

    def _small_supports(self, sub, A, B, max_terms: int = 4, budget: int = 6000) -> list[np.ndarray]:
        """Every law with at most ``max_terms`` terms (minimal supports), while the count stays in budget."""
        out, found = [], []
        for size in range(1, max_terms + 1):
            if math.comb(len(sub), size) > budget:
                break
            combos = np.array(list(itertools.combinations(sub, size)), dtype=int).reshape(-1, size)
            if found:
                mask = np.ones(len(combos), bool)
                for f in found:  # keep minimal supports only
                    contains = np.ones(len(combos), bool)
                    for e in f:
                        contains &= np.any(combos == e, axis=1)
                    mask &= ~contains
                combos = combos[mask]
            if not len(combos):
                continue
            As = A[combos[:, :, None], combos[:, None, :]]
            Bs = B[combos[:, :, None], combos[:, None, :]]
            try:
                L = np.linalg.cholesky(Bs)
            except np.linalg.LinAlgError:
                continue
            Li = np.linalg.inv(L)
            M = Li @ As @ np.swapaxes(Li, 1, 2)
            lam = np.linalg.eigvalsh((M + np.swapaxes(M, 1, 2)) / 2)[:, 0]
            for comb in combos[lam < self.threshold]:
                c, _ = self._refit(comb, A, B)
                found.append(comb)
                out.append(c)
        return out

    def _spread(self, parts: list[np.ndarray]) -> np.ndarray:
        """``Σ_traj Δᵀ Δ / n`` with Δ the (all-pairs or one-step) increments."""
        p = parts[0].shape[1]
        A = np.zeros((p, p))
        n = 0
        for t in parts:
            if t is None or len(t) < 2:
                continue
            D = np.diff(t, axis=0) if self.formulation == "increments" else t - t.mean(axis=0)
            A += D.T @ D
            n += len(D)
        return A / max(n, 1)

    def _holdout_lambda(self, c, train, hold, B) -> float:
        """Noise-normalized deviation of the law on held-out data from its training value."""
        num, n = 0.0, 0
        for tr, ho in zip(train, hold):
            if ho is None or len(ho) == 0:
                continue
            if self.formulation == "increments":
                r = np.diff(ho @ c)
            else:
                r = ho @ c - (tr @ c).mean()
            num += float(r @ r)
            n += len(r)
        if n == 0:
            return float("nan")
        den = float(c @ B @ c)
        return (num / n) / den if den > 0 else float("inf")

    def _refit(self, support, A, B) -> tuple[np.ndarray, float]:
        S = list(support)
        w, V = _gen_eig(A[np.ix_(S, S)], B[np.ix_(S, S)])
        c = np.zeros(len(A))
        c[S] = V[:, 0]
        return c, float(w[0])

    def _prune(self, a: np.ndarray, A, B) -> list[np.ndarray]:
        """Threshold small entries, refit on the support, then drop terms while still a law.

        Backward elimination: at each step the terms whose removal costs least
        (t-statistic of the regression of the largest term on the others) are
        tried with an exact refit; a removal is kept when the law's noise ratio
        stays within ``max(1.5 λ0, λ0 + 0.5)`` and under the threshold.
        """
        a = np.asarray(a, float)
        if not np.any(a):
            return []
        for rel in (1e-2, 1e-5):
            S = list(np.flatnonzero(np.abs(a) > rel * np.abs(a).max()))
            c, lam = self._refit(S, A, B)
            if lam < self.threshold:
                break
        else:
            return []
        limit = min(self.threshold, max(1.5 * lam, lam + 0.5))
        while len(S) > 1:
            j = max(S, key=lambda i: abs(c[i]))
            others = [i for i in S if i != j]
            H = A[np.ix_(others, others)] - lam * B[np.ix_(others, others)]
            try:
                Hinv = np.diag(np.linalg.pinv(H, hermitian=True))
            except np.linalg.LinAlgError:  # pragma: no cover
                Hinv = np.ones(len(others))
            cost = (c[others] / c[j]) ** 2 / np.maximum(np.abs(Hinv), 1e-300)
            order = [others[t] for t in np.argsort(cost)]
            # drop as many of the cheapest terms at once as the data allow (halving), else one of the cheapest few
            done = False
            m = len(order) // 2
            while m >= 1 and not done:
                S2 = [i for i in S if i not in set(order[:m])]
                c2, lam2 = self._refit(S2, A, B)
                if lam2 <= limit:
                    S, c, done = S2, c2, True
                m //= 2
            for t in order[1:3] if not done else ():
                S2 = [i for i in S if i != t]
                c2, lam2 = self._refit(S2, A, B)
                if lam2 <= limit:
                    S, c, done = S2, c2, True
                    break
            if not done:
                break
        return [c]

    def _grow(self, c: np.ndarray, A, B, max_add: int = 3) -> np.ndarray | None:
        """Add back, one at a time, the terms that lower the noise ratio most (at most ``max_add``)."""
        S = list(np.flatnonzero(c))
        lam = _rayleigh(c, A, B)
        best_c = None
        rank = {"poly": 0, "log": 1, "user": 1, "trig": 2}
        kinds = [rank[self.library_.kinds[j]] for j in self._cols]
        top = max(kinds[j] for j in S)  # stay within the law's own library tier
        for _ in range(max_add):
            trials = []
            for j in range(len(c)):
                if j in S or kinds[j] > top:
                    continue
                c2, lam2 = self._refit(S + [j], A, B)
                trials.append((lam2, j, c2))
            if not trials:
                break
            lam2, j, c2 = min(trials, key=lambda t: t[0])
            if lam2 > lam - 0.02 * max(lam, 1.0):
                break
            S, lam, best_c = S + [j], lam2, c2
        return best_c

    def _n_special(self, c: np.ndarray) -> int:
        """How many non-polynomial terms a law uses (polynomial laws are preferred)."""
        m = len(self.library_.exponents)
        return int(sum(1 for j in np.flatnonzero(c) if self._cols[j] >= m))

    def _readable(self, c: np.ndarray, A, B) -> tuple[sp.Expr, np.ndarray]:
        """Rescale, snap to rationals / few digits where the data accept it, build the sympy law."""
        raw = c / self._scale  # coefficients of the unscaled terms
        S = list(np.flatnonzero(c))
        lam0 = _rayleigh(c, A, B)
        limit = min(self.threshold, lam0 + 0.05 * max(lam0, 1.0))  # snapping may cost 5 % of the noise

        def lam_of(coefs: dict) -> float:
            v = np.zeros(len(c))
            for j, q in coefs.items():
                v[j] = float(q) * self._scale[j]
            return _rayleigh(v, A, B)

        best = None
        for j in S:
            r = raw / raw[j]
            snapped = {i: _rational(r[i], self.max_denominator) for i in S}
            close = [i for i in S if abs(float(snapped[i]) - r[i]) <= 0.02 * abs(r[i])]
            score = (-len(close), sum(snapped[i].denominator for i in close), self._term_rank(j))
            if best is None or score < best[0]:
                best = (score, j, r, snapped, close)
        _, j, r, snapped, close = best
        coefs = {i: r[i] for i in S}
        # snap the close ones together; if refused, one at a time by closeness
        trial = dict(coefs)
        trial.update({i: snapped[i] for i in close})
        if lam_of(trial) <= limit:
            coefs = trial
        else:
            for i in sorted(close, key=lambda i: abs(float(snapped[i]) - r[i]) / abs(r[i])):
                t2 = dict(coefs)
                t2[i] = snapped[i]
                if lam_of(t2) <= limit:
                    coefs = t2
        floats = [i for i in S if not isinstance(coefs[i], Fraction)]
        if floats:
            for digits in range(2, 12):
                t2 = dict(coefs)
                for i in floats:
                    t2[i] = _round_sig(float(coefs[i]), digits)
                if lam_of(t2) <= limit:
                    coefs = t2
                    break
        terms = self.library_.terms
        cols = self._cols
        expr = sp.Add(*[
            (sp.Rational(q.numerator, q.denominator) if isinstance(q, Fraction) else sp.Float(q, 15))
            * terms[cols[i]] for i, q in coefs.items()
        ])
        v = np.zeros(len(c))
        for i, q in coefs.items():
            v[i] = float(q) * self._scale[i]
        return expr, v

    def _term_rank(self, j: int) -> tuple:
        t = self.library_.terms[self._cols[j]]
        poly = t.is_polynomial()
        return (0 if poly else 1, sp.Poly(t).total_degree() if poly else 0, j)

    # -- findings ---------------------------------------------------------
    def findings(self) -> list:
        """The independent laws found, plus an honest note from the neural detector."""
        check_is_fitted(self, "invariants_")
        out = list(self.invariants_) + list(getattr(self, "evolution_invariants_", []))
        nd = self.neural_
        if (nd and nd.get("verdict") == "invariant" and nd.get("outside_library")
                and not getattr(self, "evolution_invariants_", [])):
            syms = [symbols_for(self.library_.variables)[v] for v in self.library_.variables]
            g = sp.Function("g_neural")(*syms)
            out.append(Invariant(
                g, residual=nd["score"], confidence=nd["confidence"], method=self.name,
                metrics={"in_library": False, "kind": "neural",
                         "note": "a conserved quantity exists but the library has no term for it"},
            ))
        return out

    def summary(self) -> str:
        """A short text: how many independent laws and which."""
        check_is_fitted(self, "invariants_")
        lines = [f"{self.n_invariants_} independent conserved quantit{'y' if self.n_invariants_ == 1 else 'ies'}"
                 f" (law space of dimension {self.null_dimension_}, library of {len(self._cols)} terms)"]
        lines += [f"  {inv}" for inv in self.invariants_]
        return "\n".join(lines)
