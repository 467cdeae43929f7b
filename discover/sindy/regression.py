"""Sparse regression with automatic model selection, on scaled features.

Everything here works on one linear problem ``b ≈ A ξ`` per target (a state
variable's derivative, or its next value for maps, or the weak-form
integrals). Columns of ``A`` and the target are scaled to unit root mean
square on the training rows, so a threshold means "a term carrying less than
this fraction of the target's size" whatever the units; coefficients are
mapped back to the original units at the end.

Candidate supports come from several sparse optimizers — a sequential
thresholded least-squares path (STLSQ) over thresholds, greedy backward
elimination (an exact-subset surrogate that gives one support per size), a
swap search that refines each of those supports by one-for-one term
exchanges (so near-collinear terms the greedy paths dropped early can come
back) and pysindy's SR3 with an L0 penalty over a path of weights. Each support is
refitted by least squares (debiased) on the training rows and scored on the
held-out rows; an information criterion (BIC or AICc on the held-out error,
with an error floor that stops the criterion from rewarding the fitting of
derivative round-off on clean data) picks one per equation. All of it runs
on Gram matrices, so ensembles (bootstrap row weights, library bagging) cost
little.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Problem", "Candidate", "Selection", "select", "candidate_supports", "fit_support", "swap_refine", "wald_intervals"]

_RIDGE = 1e-10


@dataclass
class Problem:
    """The scaled train/validation blocks of one regression (all targets at once).

    ``A`` is ``(n, m)``, ``B`` is ``(n, d)``; the scaled columns are ``A / s``
    and ``B / sb``. ``G = Aᵀ W A / Σw`` in scaled units (``W`` = row weights).
    """

    A: np.ndarray
    B: np.ndarray
    Av: np.ndarray
    Bv: np.ndarray
    s: np.ndarray = field(init=False)
    sb: np.ndarray = field(init=False)

    def __post_init__(self):
        s = np.sqrt(np.mean(self.A ** 2, axis=0))
        s[~np.isfinite(s) | (s == 0)] = 1.0
        sb = np.sqrt(np.mean(self.B ** 2, axis=0))
        sb[~np.isfinite(sb) | (sb == 0)] = 1.0
        self.s, self.sb = s, sb
        self.As = self.A / s
        self.Bs = self.B / sb
        self.Avs = self.Av / s
        self.Bvs = self.Bv / sb
        nv = max(len(self.Avs), 1)
        # held-out Gram: held-out errors of any coefficients without touching the rows again
        self.Gv = self.Avs.T @ self.Avs / nv
        self.gv = self.Avs.T @ self.Bvs / nv
        self.bvv = np.sum(self.Bvs ** 2, axis=0) / nv

    @property
    def n(self) -> int:
        return self.A.shape[0]

    def gram(self, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(G, g)`` with ``G`` of shape (m, m) and ``g`` of shape (m, d)."""
        if weights is None:
            return self.As.T @ self.As / self.n, self.As.T @ self.Bs / self.n
        w = weights / weights.sum()
        Aw = self.As * w[:, None]
        return Aw.T @ self.As, Aw.T @ self.Bs


def _solve(G: np.ndarray, g: np.ndarray, idx: np.ndarray) -> np.ndarray:
    k = len(idx)
    if k == 0:
        return np.zeros(0)
    sub = G[idx][:, idx]
    diag = sub.flat[::k + 1]
    sub.flat[::k + 1] = diag + _RIDGE * (diag.sum() / k)
    try:
        return np.linalg.solve(sub, g[idx])
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(sub, g[idx], rcond=None)[0]


def fit_support(G: np.ndarray, g: np.ndarray, support: np.ndarray) -> np.ndarray:
    """Least squares restricted to ``support`` (bool, length m); zeros elsewhere."""
    coef = np.zeros(G.shape[0])
    idx = np.flatnonzero(support)
    coef[idx] = _solve(G, g, idx)
    return coef


def wald_intervals(coef: np.ndarray, supports: np.ndarray, gram, rss, n: int) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wald intervals of least-squares coefficients on their supports; zeros off them.

    ``coef`` and ``supports`` are ``(d, m)`` (one equation per row), ``gram(idx)``
    gives the Gram matrix of the terms ``idx`` and ``rss[j]`` equation ``j``'s
    residual sum of squares over ``n`` rows. In the units of ``coef``.
    """
    lo, hi = np.zeros(coef.shape), np.zeros(coef.shape)
    for j in range(coef.shape[0]):
        idx = np.flatnonzero(supports[j])
        if not len(idx):
            continue
        cov = np.linalg.pinv(gram(idx)) * rss[j] / max(1, n - len(idx))
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
        lo[j, idx] = coef[j, idx] - 1.96 * se
        hi[j, idx] = coef[j, idx] + 1.96 * se
    return lo, hi


def stlsq(G: np.ndarray, g: np.ndarray, threshold: float, allowed: np.ndarray | None = None,
          max_iter: int = 50) -> np.ndarray:
    """Sequential thresholded least squares in scaled units; returns the support."""
    active = np.ones(G.shape[0], bool) if allowed is None else allowed.copy()
    for _ in range(max_iter):
        coef = fit_support(G, g, active)
        keep = active & (np.abs(coef) >= threshold)
        if (keep == active).all():
            break
        active = keep
    return active


def greedy_backward(G: np.ndarray, g: np.ndarray, allowed: np.ndarray | None = None) -> list[np.ndarray]:
    """Backward elimination: from all terms, drop the one whose loss raises the error least.

    Returns one support per size (largest first). With ``H = G_S⁻¹`` and
    ``c = H g_S``, dropping term ``j`` raises the (scaled) residual by
    ``c_j² / H_jj``, so each size costs one small inverse.
    """
    active = np.flatnonzero(np.ones(G.shape[0], bool) if allowed is None else allowed)
    out = []
    while len(active):
        sup = np.zeros(G.shape[0], bool)
        sup[active] = True
        out.append(sup)
        if len(active) == 1:
            break
        k = len(active)
        sub = G[active][:, active]
        diag = sub.flat[::k + 1]
        sub.flat[::k + 1] = diag + _RIDGE * (diag.sum() / k)
        try:
            H = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            H = np.linalg.pinv(sub)
        c = H @ g[active]
        cost = c ** 2 / np.maximum(np.diag(H), 1e-300)
        active = np.delete(active, int(np.argmin(cost)))
    out.append(np.zeros(G.shape[0], bool))
    return out


def swap_refine(G: np.ndarray, g: np.ndarray, support: np.ndarray, allowed: np.ndarray | None = None,
                max_iter: int = 20) -> np.ndarray:
    """Best single swaps (one term out, one in) while they lower the training error; same size.

    Greedy paths commit early: among near-collinear terms (``x*y`` against
    ``x**2*y`` when ``x`` stays in a narrow band) backward elimination may
    drop the true one first and never get it back. A swap search is a local
    exact-subset step (the support ends as the best of its size among its
    one-swap neighbours), which is what the criterion then compares across
    sizes. In scaled units the training error of a support ``S`` with
    ``H = G_S⁻¹``, ``c = H g_S`` is ``e = 1 - cᵀ g_S``; removing ``p`` raises
    it by ``c_p² / H_pp`` and then adding ``i`` lowers it by ``R_ip² / Q_ip``
    with ``U = G_{:,S} H``, ``R_ip = r_i + U_ip c_p / H_pp`` (``r = g - G_{:,S} c``)
    and ``Q_ip = G_ii - (U G_{S,:})_ii + U_ip² / H_pp``: every swap of a step
    from one inverse.
    """
    m = G.shape[0]
    ok = np.ones(m, bool) if allowed is None else allowed.copy()
    S = np.flatnonzero(support & ok)
    k = len(S)
    if k == 0 or k >= ok.sum():
        return support & ok
    dG = np.diag(G)
    for _ in range(max_iter):
        sub = G[np.ix_(S, S)]
        sub = sub + _RIDGE * (np.trace(sub) / k) * np.eye(k)
        try:
            H = np.linalg.inv(sub)
        except np.linalg.LinAlgError:
            break
        c = H @ g[S]
        e = 1.0 - float(c @ g[S])
        GS = G[:, S]
        U = GS @ H
        r = g - GS @ c
        q0 = dG - np.einsum("ij,ij->i", U, GS)
        h = np.maximum(np.diag(H), 1e-300)
        R = r[:, None] + U * (c / h)[None, :]
        Q = q0[:, None] + U ** 2 / h[None, :]
        out_ok = ok.copy()
        out_ok[S] = False
        valid = out_ok[:, None] & (Q > 1e-9 * np.maximum(dG, 1e-300)[:, None])
        if not valid.any():
            break
        new_err = np.where(valid, (e + c ** 2 / h)[None, :] - R ** 2 / np.where(valid, Q, 1.0), np.inf)
        i, p = np.unravel_index(int(np.argmin(new_err)), new_err.shape)
        if not new_err[i, p] < e - 1e-9 * max(abs(e), 1e-12):
            break
        S = np.sort(np.r_[np.delete(S, p), i])
    out = np.zeros(m, bool)
    out[S] = True
    return out


def sr3_path(As: np.ndarray, bs: np.ndarray, lams, allowed: np.ndarray | None = None) -> list[np.ndarray]:
    """Supports of pysindy's SR3 (L0 penalty) over the weights ``lams`` (scaled units)."""
    import pysindy as ps

    cols = np.flatnonzero(np.ones(As.shape[1], bool) if allowed is None else allowed)
    out = []
    for lam in lams:
        opt = ps.SR3(reg_weight_lam=float(lam), regularizer="L0", relax_coeff_nu=1.0, max_iter=60, tol=1e-6)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                opt.fit(As[:, cols], bs[:, None])
        except Exception:  # noqa: BLE001 - an optimizer failing just gives no candidate
            continue
        coef = np.asarray(opt.coef_).reshape(-1)
        sup = np.zeros(As.shape[1], bool)
        sup[cols[np.abs(coef) > 1e-12]] = True
        out.append(sup)
    return out


DEFAULT_THRESHOLDS = np.r_[0.0, np.geomspace(1e-4, 1.0, 25)]


def swap_supports(G, g, pool, allowed=None, max_terms: int = 12) -> list[np.ndarray]:
    """Swap-refined supports: one seed per size up to ``max_terms`` (the pool's least training error)."""
    if not any(sup.any() for sup in pool):  # swap alone: start from the greedy path
        pool = greedy_backward(G, g, allowed)
    seeds: dict[int, tuple[float, np.ndarray]] = {}
    for sup in pool:
        k = int(sup.sum())
        if 0 < k <= max_terms:
            idx = np.flatnonzero(sup)
            err = 1.0 - float(_solve(G, g, idx) @ g[idx])
            if k not in seeds or err < seeds[k][0]:
                seeds[k] = (err, sup)
    return [swap_refine(G, g, sup, allowed) for _, sup in seeds.values()]


def candidate_supports(G, g, *, optimizers=("stlsq", "greedy", "swap"), thresholds=DEFAULT_THRESHOLDS,
                       allowed=None, As=None, bs=None, swap_max_terms=12) -> dict[bytes, tuple[np.ndarray, str]]:
    """Unique supports ``{key: (support, optimizer that found it first)}`` for one target."""
    found: dict[bytes, tuple[np.ndarray, str]] = {}

    def add(sup, name):
        key = np.packbits(sup).tobytes()
        if key not in found:
            found[key] = (sup, name)

    m = G.shape[0]
    add(np.zeros(m, bool), "empty")
    if "stlsq" in optimizers:
        # thresholds rise, so each run starts from the previous support (warm start)
        sup = np.ones(m, bool) if allowed is None else allowed.copy()
        for lam in np.sort(thresholds):
            sup = stlsq(G, g, lam, sup)
            add(sup, "stlsq")
            if not sup.any():
                break
    if "greedy" in optimizers:
        for sup in greedy_backward(G, g, allowed):
            add(sup, "greedy")
    if "swap" in optimizers:
        pool = [sup for sup, _ in found.values()]
        for sup in swap_supports(G, g, pool, allowed, swap_max_terms):
            add(sup, "swap")
    if "sr3" in optimizers and As is not None:
        for sup in sr3_path(As, bs, np.geomspace(1e-4, 0.3, 8) ** 2 / 2, allowed):
            add(sup, "sr3")
    return found


@dataclass
class Candidate:
    support: np.ndarray
    optimizer: str
    n_terms: int
    train_error: float  #: relative mean square error, training rows
    val_error: float  #: relative mean square error, held-out rows
    criterion: float


@dataclass
class Selection:
    """The outcome for one target: every candidate, the chosen index, the Pareto front."""

    candidates: list
    chosen: int

    @property
    def best(self) -> Candidate:
        return self.candidates[self.chosen]

    def pareto(self) -> list[Candidate]:
        """Non-dominated candidates (fewer terms or lower held-out error), by size."""
        by_size: dict[int, Candidate] = {}
        for c in self.candidates:
            if c.n_terms not in by_size or c.val_error < by_size[c.n_terms].val_error:
                by_size[c.n_terms] = c
        front, best = [], np.inf
        for k in sorted(by_size):
            if by_size[k].val_error < best:
                front.append(by_size[k])
                best = by_size[k].val_error
        return front


def criterion_value(err: float, k: int, n_eff: float, kind: str, floor: float) -> float:
    e = max(err, floor ** 2, 1e-300)
    if kind == "aicc":
        pen = 2 * k + (2 * k * (k + 1) / (n_eff - k - 1) if n_eff - k - 1 > 0 else np.inf)
    else:
        pen = k * math.log(n_eff)
    return n_eff * math.log(e) + pen


def select(problem: Problem, j: int, *, G=None, g=None, optimizers=("stlsq", "greedy", "swap"),
           thresholds=DEFAULT_THRESHOLDS, criterion="bic", floor=1e-3, n_eff=None,
           allowed=None, fixed_threshold=None, supports=None) -> Selection:
    """Candidates for target ``j`` and the one the criterion picks.

    ``supports`` (a list of ``(support, optimizer)``) skips the search and
    scores those candidates only (what the ensemble bags do).
    """
    if G is None:
        G, gall = problem.gram()
        g = gall[:, j]
    n_eff = float(len(problem.Bvs) if n_eff is None else n_eff)
    if supports is not None:
        sups = {i: (sup if allowed is None else sup & allowed, name) for i, (sup, name) in enumerate(supports)}
    elif fixed_threshold is not None:
        sups = {b"": (stlsq(G, g, fixed_threshold, allowed), "stlsq")}
    else:
        # the swap search runs second, on the sizes up to two past the first pick (the sizes it can change)
        first = tuple(o for o in optimizers if o != "swap") or ("greedy",)
        sups = candidate_supports(G, g, optimizers=first, thresholds=thresholds, allowed=allowed,
                                  As=problem.As, bs=problem.Bs[:, j])
    cands = _score(problem, j, G, g, sups.values(), n_eff, criterion, floor)
    if supports is None and fixed_threshold is None and "swap" in optimizers:
        kb = _pick(cands).n_terms
        seen = {np.packbits(c.support).tobytes() for c in cands}
        new = []
        for sup in swap_supports(G, g, [c.support for c in cands], allowed, min(12, kb + 2)):
            key = np.packbits(sup).tobytes()
            if key not in seen:
                seen.add(key)
                new.append((sup, "swap"))
        cands += _score(problem, j, G, g, new, n_eff, criterion, floor)
    best = _pick(cands)
    return Selection(cands, next(i for i, c in enumerate(cands) if c is best))


def _pick(cands):
    # ties (e.g. several supports under the error floor): fewest terms, then lowest error
    return min(cands, key=lambda c: (round(c.criterion, 9), c.n_terms, c.val_error))


def _score(problem, j, G, g, sups, n_eff, criterion, floor) -> list:
    nv = len(problem.Bvs)
    Gv, gv, bvv = problem.Gv, problem.gv[:, j], float(problem.bvv[j])
    cands = []
    for sup, name in sups:
        coef = fit_support(G, g, sup)
        # training error from the Gram form; held-out error directly
        tr = float(1 - 2 * coef @ g + coef @ G @ coef) if sup.any() else 1.0
        idx = np.flatnonzero(sup)
        c = coef[idx]
        ve = bvv - 2 * c @ gv[idx] + c @ Gv[idx][:, idx] @ c if nv else tr
        if nv and ve < 1e-2 * bvv:  # the Gram form cancels badly for small errors: use the rows
            r = problem.Bvs[:, j] - problem.Avs[:, idx] @ c
            ve = float(r @ r) / nv
        if not np.isfinite(ve):
            ve = np.inf
        k = int(sup.sum())
        # no more terms than effective held-out samples can support
        crit = criterion_value(ve, k, n_eff, criterion, floor) if np.isfinite(ve) and k < n_eff - 1 else np.inf
        cands.append(Candidate(sup, name, k, max(tr, 0.0), ve, crit))
    return cands


def block_bootstrap_weights(n: int, rng: np.random.Generator, n_blocks: int = 40) -> np.ndarray:
    """Row weights of a moving-block bootstrap (blocks keep the rows' autocorrelation)."""
    n_blocks = max(1, min(n_blocks, n))
    L = int(math.ceil(n / n_blocks))
    starts = rng.integers(0, max(1, n - L + 1), size=n_blocks)
    w = np.zeros(n)
    for s in starts:
        w[s:s + L] += 1
    return w if w.sum() > 0 else np.ones(n)
