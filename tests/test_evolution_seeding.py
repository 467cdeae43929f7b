"""Seed equations (a SINDy model's) start the evolutionary search, and the subtree cache changes nothing."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

import discover
from discover.data import from_arrays
from discover.errors import DataWarning, ParameterError
from discover.evolution import EvolutionSR
from discover.evolution.expressions import SubtreeCache, default_operators, evaluate, freeze, from_sympy, linear_fit

#: a search far too short to build three-term equations from random trees
TINY = dict(n_iterations=1, steps=5, population_size=8, n_islands=1, sindy_seeds=False, random_state=0,
            progress=False)
TRUTH = {"x": "3*x - 2*x*y - x**2", "y": "2*y - x*y - y**2"}


def _lv():
    t = np.linspace(0, 5, 200)
    xs = [solve_ivp(lambda _, v: [3 * v[0] - 2 * v[0] * v[1] - v[0] ** 2, 2 * v[1] - v[0] * v[1] - v[1] ** 2],
                    (0, 5), x0, t_eval=t, rtol=1e-10, atol=1e-10).y.T for x0 in ([1.0, 3.0], [4.0, 1.0], [3.0, 3.0])]
    return from_arrays(xs, t=[t] * 3, names=["x", "y"])


def _close(found, truth) -> bool:
    x, y = sp.symbols("x y", real=True)
    diff = sp.expand(found - sp.sympify(truth, locals={"x": x, "y": y}))
    return all(abs(float(c)) < 1e-3 for c in sp.Poly(diff, x, y).coeffs()) if diff != 0 else True


def test_seed_equations_start_the_search():
    series = _lv()
    plain = EvolutionSR(**TINY).fit(series)
    assert not all(_close(e, TRUTH[v]) for e, v in zip(plain.equations(), "xy"))  # the budget alone cannot
    # a SINDy-like model with rounded coefficients: the search refits them
    seeded = EvolutionSR(seed_equations={"x": "2.9*x - 2.1*x*y - x**2", "y": "2*y - 0.9*x*y - 1.1*y**2"},
                         **TINY).fit(series)
    assert all(_close(e, TRUTH[v]) for e, v in zip(seeded.equations(), "xy"))


def test_bad_seed_equations():
    series = _lv()
    with pytest.raises(ParameterError, match="seed_equations.*'z'"):
        EvolutionSR(seed_equations={"z": "x"}, **TINY).fit(series)
    with pytest.warns(DataWarning, match="skips the seed equation for 'x'"):  # exp is not an operator here
        EvolutionSR(seed_equations={"x": "exp(x)", "y": TRUTH["y"]}, **TINY).fit(series)
    with pytest.warns(DataWarning, match="unknown columns"):
        EvolutionSR(seed_equations={"x": "q*x"}, **TINY).fit(series)


def test_pipeline_seeds_evolution_with_sindy():
    series = _lv()
    config = {"evolution": {k: v for k, v in TINY.items() if k != "random_state"}}
    report = discover.fit(series, ["evolution", "sindy"], config=config, seed=0)
    assert list(report.methods) == ["evolution", "sindy"]  # the report keeps the order asked for
    assert report.methods["sindy"].status == "ok"
    evo = report.methods["evolution"]
    assert evo.status == "ok"
    assert set(evo.params["seed_equations"]) == {"x", "y"}
    found = {f.variable: f.rhs for f in report.findings if f.method == "evolution" and f.type == "equation"}
    assert all(_close(found[v], TRUTH[v]) for v in "xy")
    # given by the user, the option is left as it is
    config["evolution"]["seed_equations"] = {"x": "x"}
    report = discover.fit(series, ["evolution", "sindy"], config=config, seed=0)
    assert report.methods["evolution"].params["seed_equations"] == {"x": "x"}


def test_frozen_trees_give_the_same_values():
    ops = default_operators()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    x, y = sp.symbols("x y", real=True)
    cache = SubtreeCache(len(X))
    for expr in (x * y + sp.sin(x) - 2.5 * y, sp.cos(x * y) * 0.3 + x / (1 + y**2), x * y, 1.5 * sp.sin(0.7 * x)):
        tree = from_sympy(expr, ["x", "y"], ops)
        for _ in range(2):  # a miss, then hits
            frozen = freeze(tree, X, ops, cache)
            np.testing.assert_array_equal(evaluate(frozen, X, ops), evaluate(tree, X, ops))
            np.testing.assert_array_equal(linear_fit(frozen, X, X[:, 0], ops)[0], linear_fit(tree, X, X[:, 0], ops)[0])
        # the frozen tree shares the constants: moving one moves both
        if tree.constants():
            tree.constants()[-1].value += 1.0
            np.testing.assert_array_equal(evaluate(frozen, X, ops), evaluate(tree, X, ops))
    assert cache.hits > 0 and cache.misses > 0


def test_progress_shows_the_front_of_each_target(monkeypatch):
    import contextlib

    import discover.evolution.search as search_module

    seen = []

    @contextlib.contextmanager
    def fake_task(description, total=None, **kwargs):
        yield lambda advance=1, **fields: seen.append(fields)

    monkeypatch.setattr(search_module, "task", fake_task)
    model = EvolutionSR(**{**TINY, "n_iterations": 2}).fit(_lv())
    assert len(seen) == model.search_["iterations"] and set(seen[-1]) == {"x", "y"}
    # "complexity:loss" pairs of the current front, complexity rising and loss falling
    pairs = [tuple(map(float, p.split(":"))) for p in seen[-1]["x"].split()]
    assert pairs and all(a[0] < b[0] and a[1] > b[1] for a, b in zip(pairs, pairs[1:]))


def test_cross_migration_copies_the_other_targets_terms_and_rescores_them():
    from discover.evolution.search import Member, Problem, SearchConfig, _cross_migrate, _loss, new_island

    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, size=(100, 2))
    ops = default_operators()
    x, y = sp.symbols("x y", real=True)
    shared = from_sympy(x * y / (1 + x), ["x", "y"], ops)
    probs = [Problem(X, 3 * X[:, 0] - X[:, 0] * X[:, 1] / (1 + X[:, 0]), ops),
             Problem(X, 2 * X[:, 0] * X[:, 1] / (1 + X[:, 0]), ops)]
    cfg = SearchConfig(population_size=20, n_islands=2, cross_migration=0.25)
    islands = [[new_island(p, cfg, s) for s in (1, 2)] for p in probs]
    islands[0][0].hof[9] = Member(shared, 0.5, 9, 0)  # target 0 found the shared term
    _cross_migrate(islands, probs, cfg, np.random.default_rng(1))
    copies = [m for isl in islands[1] for m in isl.members if m.tree.key() == shared.key()]
    assert copies, "the term found for x is not offered to y"
    assert all(m.loss == pytest.approx(_loss(shared, probs[1])) and m.loss < 1e-20 for m in copies)
    assert all(m.tree is not shared for m in copies)
    none = SearchConfig(population_size=20, n_islands=2, cross_migration=0.0)
    before = [[m.tree.key() for m in isl.members] for isl in islands[1]]
    _cross_migrate(islands, probs, none, np.random.default_rng(1))
    assert [[m.tree.key() for m in isl.members] for isl in islands[1]] == before
