"""ODEBench (cases/odebench): the collection loads and integrates, and the benchmark harness's pieces are right."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_odebench as ob  # noqa: E402


@pytest.fixture(scope="module")
def systems():
    return ob.load()


def test_collection_has_the_63_systems_with_their_fields(systems):
    assert [s["id"] for s in systems] == list(range(1, 64))
    dims = [s["dim"] for s in systems]
    assert (dims.count(1), dims.count(2), dims.count(3), dims.count(4)) == (23, 28, 10, 2)
    for s in systems:
        assert len(s["equations"]) == len(s["rhs"]) == len(s["variables"]) == s["dim"]
        assert len(s["initial_conditions"]) == 2 and all(len(ic) == s["dim"] for ic in s["initial_conditions"])
        assert s["name"] and s["source"]


def test_rhs_is_the_template_with_the_constants_put_in(systems):
    # the stored right-hand sides must be the collection's equations with its constants: a
    # transcription slip in either shows up as a difference at random states
    rng = np.random.default_rng(0)
    for s in systems:
        xs = sp.symbols(s["variables"])
        cs = sp.symbols([f"c_{i}" for i in range(len(s["constants"]))])
        loc = dict(zip(s["variables"], xs)) | {str(c): c for c in cs}
        for template, rhs in zip(s["equations"], s["rhs"]):
            a = sp.sympify(template, locals=loc).subs(dict(zip(cs, s["constants"])))
            b = sp.sympify(rhs, locals=loc)
            assert not (set(a.free_symbols) | set(b.free_symbols)) - set(xs)
            f, g = sp.lambdify(xs, a, "numpy"), sp.lambdify(xs, b, "numpy")
            pts = rng.uniform(0.2, 0.9, (20, s["dim"]))  # inside every system's domain (logs, roots, cot)
            assert np.allclose([f(*p) for p in pts], [g(*p) for p in pts], rtol=1e-9, atol=1e-12), (s["id"], rhs)


def test_every_system_integrates_over_0_10_from_both_initial_conditions(systems):
    for s in systems:
        for which in (0, 1):
            x = ob.trajectory(s, which)
            assert x.shape == (150, s["dim"]) and np.all(np.isfinite(x))
            assert np.allclose(x[0], s["initial_conditions"][which])
    # one known solution: naive growth x' = 0.23 x from 4.78
    x = ob.trajectory(systems[1], 0)
    assert np.allclose(x[:, 0], 4.78 * np.exp(0.23 * ob.T_EVAL), rtol=1e-4)


def test_corruption_follows_the_protocol():
    t = ob.T_EVAL
    x = np.ones((150, 2))
    tt, xx = ob.corrupt(t, x, 0.05, 0.5, np.random.default_rng(0))
    assert len(tt) == len(xx) == 75 and np.all(np.diff(tt) > 0) and set(tt) <= set(t)
    assert 0.03 < np.std(xx) < 0.07 and abs(np.mean(xx) - 1) < 0.02  # multiplicative: 1 * (1 + 0.05 N)
    tt, xx = ob.corrupt(t, 3 * x, 0.0, 0.0, np.random.default_rng(0))
    assert np.array_equal(tt, t) and np.array_equal(xx, 3 * x)


def test_r2_is_variance_weighted_and_failures_are_minus_infinity():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(1)
    true = rng.normal(size=(50, 3)) * [1, 10, 0.1]
    pred = true + rng.normal(scale=0.3, size=true.shape)
    assert ob.r2(true, pred) == pytest.approx(r2_score(true, pred, multioutput="variance_weighted"))
    assert ob.r2(true, None) == -math.inf
    # x' = x^2 from 1 blows up at t = 1: the integration fails instead of hanging or returning garbage
    assert ob.integrate(lambda _, x: x ** 2, [1.0]) is None


def test_harness_row_on_an_easy_system(systems):
    # x' = 0.23 x, with a small search (the benchmark itself runs default options)
    row = ob.run_system(systems[1], 0.0, 0.0, max_seconds=60.0, seed=0, options={"n_iterations": 3, "n_islands": 2})
    assert "error" not in row
    assert row["exact"] == [True] and row["exact_system"] is True
    assert row["r2_generalization"] > 0.999 and row["r2_reconstruction"] > 0.999
    assert row["id"] == 2 and row["dim"] == 1 and row["seconds"] > 0
    summary = ob.summarize([row, dict(row, id=3, exact=[False], exact_system=False, r2_generalization=None)])
    s = summary[0]
    assert (s["systems"], s["generalization"], s["reconstruction"], s["exact_systems"]) == (2, 0.5, 1.0, 0.5)
