"""Regularized evolution (Real et al. 2019, as PySR uses it) over expression trees.

Each island holds a population. One step draws a tournament, mutates its
winner (or crosses two winners), accepts the child by simulated annealing and
lets it replace the *oldest* member (the "regularized" part: nothing lives
forever, however fit). Crowded complexities are penalised (adaptive
parsimony: the loss is multiplied by ``exp(scaling * share of the population
at that complexity)``). Every island keeps a hall of fame, the best tree per
complexity; after each iteration islands exchange members (migration), and
constants of a share of each population are refitted by Levenberg–Marquardt.

Islands of all targets of one search run together through
:func:`discover.parallel.parallel_map`: serially, on a process pool or on Dask.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..parallel import parallel_map
from ..progress import task
from .constants import optimize_constants
from .expressions import Node, Operator, SubtreeCache, complexity, count_nesting, evaluate, freeze, linear_fit
from .mutations import MUTATIONS, crossover, mutate, random_tree

__all__ = ["SearchConfig", "Member", "Problem", "Island", "search", "pareto_front", "front_scores",
           "choose"]


@dataclass
class SearchConfig:
    """Options of the search (see :class:`~discover.evolution.EvolutionSR` for their meaning)."""

    population_size: int = 40
    n_islands: int = 4
    n_iterations: int = 30
    steps: int = 600  #: mutations per island and iteration
    tournament_size: int = 10
    tournament_p: float = 0.9
    maxsize: int = 25
    parsimony: float = 1e-4
    adaptive_parsimony: float = 20.0
    alpha: float = 0.1
    crossover_probability: float = 0.05
    optimize_probability: float = 0.02
    migration: float = 0.05
    hof_migration: float = 0.05
    #: share of each island replaced after each iteration by hall-of-fame members of the *other* targets
    #: (rescored on this one): the equations of one system often share terms
    cross_migration: float = 0.0
    nested: dict = field(default_factory=dict)
    mutation_weights: dict = field(default_factory=lambda: dict(MUTATIONS))
    max_seconds: float | None = None
    loss_floor: float = 1e-14


@dataclass
class Member:
    tree: Node
    loss: float  #: mean squared error over the target's variance
    size: int
    birth: int
    tuned: bool = False  #: constants already refitted by Levenberg–Marquardt


@dataclass
class Problem:
    """One target: features ``X`` and values ``y`` (training rows), with its operators and user loss.

    With ``project`` (the default), a tree is scored with its outer linear
    coefficients solved by least squares (:func:`~.expressions.linear_fit`).
    """

    X: np.ndarray
    y: np.ndarray
    operators: dict
    loss: object = None
    seeds: list = field(default_factory=list)
    project: bool = True
    W: object = None  #: weak form: quadrature rows of test functions over the samples (``y`` are their targets)
    #: another objective than regression (e.g. conservation along trajectories, :mod:`.invariants`): an object
    #: with ``loss(tree)`` and ``optimize(tree, rng, restarts=, max_nfev=)`` returning ``(tree, loss)``
    objective: object = None
    dims: object = None  #: physical units: each feature's dimension (:mod:`.units`); ``None``: no units
    target_dim: object = None  #: the target's dimension
    unit_penalty: float = 1000.0  #: added to the relative loss of a dimensionally inconsistent tree
    #: values of constant-free subtrees over ``X`` (:class:`~.expressions.SubtreeCache`); give the targets
    #: searched over the same ``X`` one cache to share them. ``None``: a cache of its own
    cache: object = None

    def __post_init__(self):
        var = float(np.var(self.y))
        self.scale = var if var > 0 else 1.0
        if self.cache is None:
            self.cache = SubtreeCache(len(self.X))


def _penalty(tree: Node, prob: Problem) -> float:
    """PySR's dimensional penalty: ``unit_penalty`` for a tree whose units do not agree (0 without units)."""
    if prob.dims is None:
        return 0.0
    from .units import consistent

    ok = consistent(tree, prob.dims, prob.target_dim, prob.operators, project=prob.project)
    return 0.0 if ok else prob.unit_penalty


def _loss(tree: Node, prob: Problem) -> float:
    if prob.objective is not None:
        return prob.objective.loss(tree)
    frozen = freeze(tree, prob.X, prob.operators, prob.cache)
    if prob.project:
        pred = linear_fit(frozen, prob.X, prob.y, prob.operators, prob.W)[0]
    else:
        pred = evaluate(frozen, prob.X, prob.operators)
        if prob.W is not None:
            pred = prob.W @ pred
    if not np.all(np.isfinite(pred)):
        return math.inf
    if prob.loss is not None:
        val = float(prob.loss(pred, prob.y))
    else:
        val = float(np.mean((pred - prob.y) ** 2))
    return val / prob.scale + _penalty(tree, prob) if math.isfinite(val) else math.inf


def _optimize(tree: Node, prob: Problem, rng, *, restarts: int, max_nfev: int = 60) -> tuple[Node, float]:
    """The tree with its constants refitted for the problem's objective, and its loss (before ``prob.scale``)."""
    if prob.objective is not None:
        return prob.objective.optimize(tree, rng, restarts=restarts, max_nfev=max_nfev)
    return optimize_constants(tree, prob.X, prob.y, prob.operators, rng, restarts=restarts, loss=prob.loss,
                              max_nfev=max_nfev, project=prob.project, W=prob.W, cache=prob.cache)


def _valid(tree: Node, cfg: SearchConfig, ops: dict[str, Operator]) -> bool:
    if complexity(tree, ops) > cfg.maxsize:
        return False
    for outer, inner in cfg.nested.items():
        for name, most in inner.items():
            if count_nesting(tree, outer, name) > most:
                return False
    return True


@dataclass
class Island:
    """The state of one island: population, hall of fame, complexity counts, clock, random state."""

    members: list
    hof: dict  #: complexity -> Member
    counts: np.ndarray
    clock: int
    rng: np.random.Generator
    evaluations: int = 0


def _update_hof(hof: dict, m: Member) -> None:
    old = hof.get(m.size)
    if math.isfinite(m.loss) and (old is None or m.loss < old.loss):
        hof[m.size] = Member(m.tree.copy(), m.loss, m.size, m.birth, m.tuned)


def new_island(prob: Problem, cfg: SearchConfig, seed) -> Island:
    rng = np.random.default_rng(seed)
    ops, d = prob.operators, prob.X.shape[1]
    members = []
    pool = [s.copy() for s in prob.seeds]
    for i in range(cfg.population_size):
        tree = pool[i] if i < len(pool) else random_tree(int(rng.integers(0, 4)), d, ops, rng)
        members.append(Member(tree, _loss(tree, prob), complexity(tree, ops), i))
    isl = Island(members, {}, np.ones(cfg.maxsize + 1), cfg.population_size, rng, cfg.population_size)
    for m in members:
        _update_hof(isl.hof, m)
    return isl


def _adjusted(m: Member, isl: Island, cfg: SearchConfig) -> float:
    share = isl.counts[min(m.size, cfg.maxsize)] / isl.counts.sum()
    return m.loss * math.exp(cfg.adaptive_parsimony * share) + cfg.parsimony * m.size


def _tournament(isl: Island, cfg: SearchConfig) -> Member:
    k = min(cfg.tournament_size, len(isl.members))
    idx = isl.rng.choice(len(isl.members), size=k, replace=False)
    cands = sorted((isl.members[i] for i in idx), key=lambda m: _adjusted(m, isl, cfg))
    for m in cands:
        if isl.rng.random() < cfg.tournament_p:
            return m
    return cands[-1]


def _replace_oldest(isl: Island, child: Member) -> None:
    oldest = min(range(len(isl.members)), key=lambda i: isl.members[i].birth)
    isl.members[oldest] = child


def _step(isl: Island, prob: Problem, cfg: SearchConfig, temperature: float, kinds, weights) -> None:
    ops, d, rng = prob.operators, prob.X.shape[1], isl.rng
    if rng.random() < cfg.crossover_probability:
        a, b = _tournament(isl, cfg), _tournament(isl, cfg)
        for _ in range(10):
            ca, cb = crossover(a.tree, b.tree, rng)
            if _valid(ca, cfg, ops) and _valid(cb, cfg, ops):
                break
        else:
            return
        for c in (ca, cb):
            isl.clock += 1
            m = Member(c, _loss(c, prob), complexity(c, ops), isl.clock)
            isl.evaluations += 1
            _replace_oldest(isl, m)
            isl.counts[min(m.size, cfg.maxsize)] += 1
            _update_hof(isl.hof, m)
        return
    parent = _tournament(isl, cfg)
    for _ in range(10):
        kind = kinds[min(int(np.searchsorted(weights, rng.random())), len(kinds) - 1)]
        child = mutate(parent.tree, kind, d, ops, rng, temperature=temperature)
        if _valid(child, cfg, ops):
            break
    else:
        child = parent.tree.copy()
    loss = _loss(child, prob)
    isl.evaluations += 1
    if child.constants() and rng.random() < cfg.optimize_probability and math.isfinite(loss):
        child, loss = _optimize(child, prob, rng, restarts=0, max_nfev=20)
        loss = loss / prob.scale + _penalty(child, prob)
        isl.evaluations += 1
    size = complexity(child, ops)
    new = Member(child, loss, size, 0)
    # simulated annealing on the adjusted loss (in log units, so the temperature does not depend on scale)
    before, after = _adjusted(parent, isl, cfg), _adjusted(new, isl, cfg)
    if not math.isfinite(after):
        accept = False
    elif after <= before or temperature <= 0:
        accept = after <= before
    else:
        delta = math.log(after) - math.log(max(before, 1e-300))
        accept = rng.random() < math.exp(-delta / (cfg.alpha * temperature))
    isl.clock += 1
    if accept:
        new.birth = isl.clock
    else:
        new = Member(parent.tree.copy(), parent.loss, parent.size, isl.clock)
    _replace_oldest(isl, new)
    isl.counts[min(new.size, cfg.maxsize)] += 1
    _update_hof(isl.hof, new)


def evolve(isl: Island, prob: Problem, cfg: SearchConfig) -> Island:
    """One iteration of an island: ``steps`` mutations (annealed from temperature 1 to 0), then constant refits."""
    kinds = list(cfg.mutation_weights)
    w = np.array([cfg.mutation_weights[k] for k in kinds], float)
    w = np.cumsum(w / w.sum())
    n = cfg.steps
    isl.counts *= 0.5  # a sliding window of the complexities seen
    with np.errstate(all="ignore"):
        for s in range(n):
            _step(isl, prob, cfg, 1.0 - s / n, kinds, w)
        for i, m in enumerate(isl.members):
            if (m.tree.constants() and isl.rng.random() < 5 * cfg.optimize_probability
                    and math.isfinite(m.loss)):
                tree, loss = _optimize(m.tree, prob, isl.rng, restarts=1)
                isl.evaluations += 1
                isl.members[i] = Member(tree, loss / prob.scale + _penalty(tree, prob), m.size, m.birth)
                _update_hof(isl.hof, isl.members[i])
        # the hall of fame's new entries have their constants refitted too (one tree per complexity)
        for size, m in list(isl.hof.items()):
            if m.tree.constants() and not m.tuned:
                m.tuned = True
                tree, loss = _optimize(m.tree, prob, isl.rng, restarts=1)
                isl.evaluations += 1
                _update_hof(isl.hof, Member(tree, loss / prob.scale + _penalty(tree, prob), size, m.birth, True))
    return isl


def _evolve_item(isl, prob, cfg):
    return evolve(isl, prob, cfg)


def _migrate(islands: list[Island], cfg: SearchConfig, rng) -> None:
    if len(islands) < 2:
        return
    pool = [m for isl in islands for m in isl.members if math.isfinite(m.loss)]
    hof = [m for isl in islands for m in isl.hof.values()]
    for isl in islands:
        for frac, source in ((cfg.migration, pool), (cfg.hof_migration, hof)):
            k = int(round(frac * len(isl.members)))
            if not source or k == 0:
                continue
            for i in rng.choice(len(isl.members), size=k, replace=False):
                m = source[int(rng.integers(len(source)))]
                isl.members[i] = Member(m.tree.copy(), m.loss, m.size, isl.clock)


def _cross_migrate(islands: list[list[Island]], problems: list[Problem], cfg: SearchConfig, rng) -> None:
    """Copy hall-of-fame trees of the other targets (over the same features) into each target's islands.

    A copied tree is scored on its new target (its outer coefficients are
    solved again there), so ``x*y/(1 + x**2)`` found for one equation of a
    system is at once a candidate term of the others.
    """
    if cfg.cross_migration <= 0 or len(problems) < 2:
        return
    hofs = [[m for isl in row for m in isl.hof.values() if m.size > 1] for row in islands]
    for j, (row, prob) in enumerate(zip(islands, problems)):
        others = [m for i, h in enumerate(hofs) if i != j and problems[i].X.shape[1] == prob.X.shape[1]
                  and problems[i].operators.keys() == prob.operators.keys() for m in h]
        k = int(round(cfg.cross_migration * cfg.population_size))
        if not others or k == 0:
            continue
        for isl in row:
            for i in rng.choice(len(isl.members), size=min(k, len(isl.members)), replace=False):
                tree = others[int(rng.integers(len(others)))].tree.copy()
                m = Member(tree, _loss(tree, prob), complexity(tree, prob.operators), isl.clock)
                isl.evaluations += 1
                isl.members[i] = m
                _update_hof(isl.hof, m)


def pareto_front(hof: dict, floor: float = 0.0) -> list[Member]:
    """Members of a hall of fame that no simpler member beats, by increasing complexity.

    A more complex member must lower the loss by more than rounding: by more
    than ``floor`` and than a relative ``1e-9`` (losses below ``floor`` are
    exact fits alike). So the front does not depend on the last bits of the
    arithmetic, which differ between processes (SIMD paths, memory alignment).
    """
    front, best = [], math.inf
    for size in sorted(hof):
        m = hof[size]
        if improves(m.loss, best, floor):
            front.append(m)
            best = m.loss
    return front


def improves(loss: float, best: float, floor: float = 0.0) -> bool:
    """Whether ``loss`` is below ``best`` by more than rounding (``floor`` absolute, 1e-9 relative)."""
    return loss < best - max(floor, 1e-9 * best) if math.isfinite(best) else loss < best


def front_scores(losses, sizes) -> np.ndarray:
    """PySR's score: ``-Δ log(loss) / Δ complexity`` between neighbours of the front (0 for the first)."""
    out = np.zeros(len(losses))
    for i in range(1, len(losses)):
        a, b = max(losses[i - 1], 1e-300), max(losses[i], 1e-300)
        out[i] = -(math.log(b) - math.log(a)) / max(sizes[i] - sizes[i - 1], 1)
    return out


def choose(scores, held_out, *, tolerance: float = 1.5, floor: float = 1e-6, train=None) -> int:
    """The simplest front member whose losses are within the noise of the best.

    A member is eligible when its held-out loss is at most ``tolerance``
    times the best held-out loss of the front, or at most that best plus
    ``floor`` (the relative error the targets' noise alone causes, estimated
    from the data), and the same holds for its training loss (PySR's rule).
    Among the eligible members (the front is ordered by complexity) the
    simplest is chosen; ``scores`` decide only when no member has a finite
    held-out loss.
    """
    held = np.asarray(held_out, float)
    ok = np.isfinite(held)
    if train is not None:
        tr = np.asarray(train, float)
        best_tr = np.nanmin(tr)
        ok &= tr <= max(tolerance * best_tr, best_tr + floor)
    if not ok.any():
        return int(np.argmax(scores))
    best = held[ok].min()
    allowed = ok & (held <= max(tolerance * best, best + floor))
    return int(np.flatnonzero(allowed)[0])


def search(problems: list[Problem], cfg: SearchConfig, *, seed=None, n_jobs: int | None = 1,
           backend: str | None = None, progress: bool | None = None, names=None) -> dict:
    """Run the islands of every problem together; return the merged halls of fame and statistics.

    A KeyboardInterrupt (Ctrl-C) between iterations ends the search and keeps
    what the halls of fame hold; ``interrupted`` then says so.
    """
    ss = np.random.SeedSequence(seed)
    children = ss.spawn(len(problems) * cfg.n_islands + 1)
    rng = np.random.default_rng(children[-1])
    islands = [[new_island(p, cfg, children[j * cfg.n_islands + i]) for i in range(cfg.n_islands)]
               for j, p in enumerate(problems)]
    start = time.perf_counter()
    interrupted, done = False, 0
    floor_seen: list = []
    eval_seconds = 0.0
    labels = names or [f"y{j}" for j in range(len(problems))]
    try:
        with task("evolution", total=cfg.n_iterations, enabled=progress) as update:
            for it in range(cfg.n_iterations):
                items = [(isl, problems[j], cfg) for j in range(len(problems)) for isl in islands[j]]
                t0 = time.perf_counter()
                out = parallel_map(_evolve_item, items, n_jobs=n_jobs, backend=backend)
                eval_seconds += time.perf_counter() - t0
                for j in range(len(problems)):
                    islands[j] = out[j * cfg.n_islands:(j + 1) * cfg.n_islands]
                    _migrate(islands[j], cfg, rng)
                _cross_migrate(islands, problems, cfg, rng)
                done = it + 1
                hofs = [_merge(row) for row in islands]
                # the current best per complexity (the Pareto front) of each target, e.g. "x 3:0.021 7:4.1e-13"
                update(**{label: " ".join(f"{m.size}:{m.loss:.2g}" for m in pareto_front(hof, cfg.loss_floor)[-5:])
                          for label, hof in zip(labels, hofs)})
                # stop once every target has a member at the loss floor and the simplest such member
                # has not become simpler for three iterations
                simplest = tuple(min((m.size for m in hof.values() if m.loss <= cfg.loss_floor), default=-1)
                                 for hof in hofs)
                floor_seen.append(simplest)
                if -1 not in simplest and len(floor_seen) >= 4 and len(set(floor_seen[-4:])) == 1:
                    break
                if cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds:
                    break
    except KeyboardInterrupt:
        interrupted = True
    evaluations = sum(isl.evaluations for row in islands for isl in row)
    return {
        "hofs": [_merge(row) for row in islands],
        "iterations": done,
        "interrupted": interrupted,
        "evaluations": evaluations,
        "seconds": time.perf_counter() - start,
        "evaluations_per_second": evaluations / eval_seconds if eval_seconds > 0 else float("nan"),
    }


def _merge(row: list[Island]) -> dict:
    hof: dict = {}
    for isl in row:
        for m in isl.hof.values():
            _update_hof(hof, m)
    return hof
