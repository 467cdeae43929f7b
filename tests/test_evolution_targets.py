"""Targets for noisy or irregular series (issue 11, item 6): a neural ODE's vector field, short-horizon choice."""

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from discover.data import from_arrays
from discover.derivatives import differentiate
from discover.errors import ParameterError
from discover.evolution import EvolutionSR
from discover.evolution.horizon import horizon_choice, horizon_windows, integrate_windows, window_errors

TRUE = {"x": {"x": 1.5, "x*y": -1.0}, "y": {"y": -3.0, "x*y": 1.0}}


def _lv(_, s):
    x, y = s
    return [1.5 * x - x * y, -3.0 * y + x * y]


def _irregular_lv(noise=0.05, n=100, seed=1):
    """Lotka-Volterra, 3 orbits, ``n`` samples each at uniformly random times in [0, 8], noise relative to the std."""
    rng = np.random.default_rng(seed)
    ts, xs = [], []
    for x0 in ([4.0, 2.0], [2.0, 1.0], [5.0, 3.5]):
        t = np.sort(rng.uniform(0, 8, n))
        t[0] = 0.0
        xs.append(solve_ivp(_lv, (0, 8), x0, t_eval=t, rtol=1e-10, atol=1e-10).y.T)
        ts.append(t)
    std = np.vstack(xs).std(axis=0)
    clean = [x.copy() for x in xs]
    xs = [x + noise * std * rng.normal(size=x.shape) for x in xs]
    return from_arrays(xs, t=ts, names=["x", "y"]), ts, clean


def _terms(expr):
    """{monomial text: coefficient} of a polynomial expression."""
    x, y = sp.symbols("x y", real=True)
    expr = sp.expand(sp.sympify(expr).xreplace({s: sp.Symbol(s.name, real=True) for s in sp.sympify(expr).free_symbols}))
    poly = sp.Poly(expr, x, y)
    return {str(sp.Mul(*[v ** e for v, e in zip((x, y), m)])): float(c) for m, c in poly.terms()}


def _exact(expr, truth, tol):
    try:
        terms = _terms(expr)
    except sp.PolynomialError:
        return False
    return set(terms) == set(truth) and all(abs(terms[k] - v) <= tol * abs(v) for k, v in truth.items())


def test_runge_kutta_windows_follow_irregular_steps():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 3, 40))
    x = np.c_[np.exp(-0.7 * t), 2 * np.exp(0.3 * t)]
    win = horizon_windows([(t, x)], [np.ones(40, bool)], 4)
    assert len(win) == 37 and win.steps.shape == (37, 3)
    rhs = lambda Z: Z * np.array([-0.7, 0.3])  # noqa: E731
    np.testing.assert_allclose(integrate_windows(rhs, win), win.targets, rtol=1e-6)
    assert window_errors(rhs, win).max() < 1e-10
    # a wrong rate is seen, a blow-up counts the cap, not nan
    assert window_errors(lambda Z: Z * np.array([-0.5, 0.3]), win).mean() > 1e-4
    assert window_errors(lambda Z: Z ** 8 * 1e6, win).max() == 100.0


def test_horizon_choice_takes_the_simplest_within_tolerance():
    errs = [np.full(20, 0.2), np.full(20, 0.012), np.full(20, 0.010), np.full(20, 0.0099)]
    assert horizon_choice(errs, tolerance=1.5) == 1
    assert horizon_choice(errs, tolerance=1.1) == 2
    assert horizon_choice([np.full(5, np.inf), np.full(5, 1.0)]) == 1


def test_neural_vector_field_beats_differences_on_irregular_noisy_samples():
    pytest.importorskip("torch")
    from discover.evolution.neural_ode import fit_neural_ode

    series, ts, clean = _irregular_lv(noise=0.05, n=100, seed=1)
    trajs = [(tr.t, tr.x) for tr in series.trajectories]
    field = fit_neural_ode(trajs, hidden=16, max_epochs=300, random_state=0)
    X = series.x
    true = np.array([_lv(0, s) for s in X])
    rel = ((field(X) - true) ** 2).mean(axis=0) / true.var(axis=0)
    fd = np.vstack([differentiate(x, t, method="finite_difference") for t, x in trajs])
    true_clean = np.vstack([np.array([_lv(0, s) for s in c]) for c in clean])
    rel_fd = ((fd - true_clean) ** 2).mean(axis=0) / true_clean.var(axis=0)
    spline = np.vstack([differentiate(x, t, method="spline") for t, x in trajs])
    rel_sp = ((spline - true_clean) ** 2).mean(axis=0) / true_clean.var(axis=0)
    # measured here: neural field ~2e-3, smoothing spline ~2e-2, finite differences > 1
    assert rel.max() < 0.01
    assert rel_fd.min() > 0.5 and rel_sp.max() > 3 * rel.max()
    assert fit_neural_ode(trajs, hidden=16, max_epochs=20, random_state=0)(X[:5]).shape == (5, 2)
    again = fit_neural_ode(trajs, hidden=16, max_epochs=20, random_state=0)
    np.testing.assert_array_equal(again(X[:5]), fit_neural_ode(trajs, hidden=16, max_epochs=20, random_state=0)(X[:5]))


FAST = dict(n_iterations=4, n_islands=2, steps=200, random_state=0, progress=False)


def test_neural_ode_targets_recover_lotka_volterra_where_differences_fail():
    pytest.importorskip("torch")
    series, _, _ = _irregular_lv(noise=0.05, n=100, seed=1)
    model = EvolutionSR(formulation="neural_ode", neural_ode={"hidden": 16, "max_epochs": 300}, **FAST).fit(series)
    eqs = model.equations()
    assert model.selection_ == "horizon"
    assert _exact(eqs[0], TRUE["x"], 0.1) and _exact(eqs[1], TRUE["y"], 0.1), eqs
    m = model.findings()[0].metrics
    assert m["formulation"] == "neural_ode" and m["selection"] == "horizon" and m["horizon_loss"] < 0.02
    assert all("horizon_loss" in row for row in model.fronts_[0])
    # plain derivatives (finite differences between the irregular samples) on the same data: no law at all
    plain = EvolutionSR(formulation="strong", differentiation="finite_difference", selection="held_out",
                        **{**FAST, "n_iterations": 2}).fit(series)
    assert not any(_exact(e, TRUE[v], 0.15) for e, v in zip(plain.equations(), "xy")), plain.equations()


def test_neural_ode_options_are_checked():
    series, _, _ = _irregular_lv(noise=0.0, n=30)
    with pytest.raises(ParameterError, match="neural_ode"):
        EvolutionSR(formulation="neural_ode", neural_ode={"widht": 3}, **FAST).fit(series)
    with pytest.raises(ParameterError, match="selection"):
        EvolutionSR(selection="best").fit(series)
    u = from_arrays([np.c_[np.sin(np.arange(30.0)), np.cos(np.arange(30.0))]], dt=0.1, names=["a", "b"],
                    u=[np.arange(30.0)[:, None]])
    with pytest.raises(ParameterError, match="inputs"):
        EvolutionSR(formulation="neural_ode", **FAST).fit(u)


def test_short_horizon_choice_keeps_torch_out():
    code = ("import sys, numpy as np\n"
            "from discover.data import from_arrays\n"
            "from discover.evolution import EvolutionSR\n"
            "t = np.sort(np.random.default_rng(0).uniform(0, 6, 80))\n"
            "s = from_arrays(np.c_[np.exp(-0.5 * t), np.exp(-t)], t=t, names=['a', 'b'])\n"
            "m = EvolutionSR(n_iterations=2, n_islands=1, steps=100, random_state=0, progress=False).fit(s)\n"
            "assert m.selection_ == 'horizon', m.selection_\n"
            "print([str(e) for e in m.equations()], 'torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("False") and "-0.5*a" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("noise,seed", [(0.02, 2), (0.02, 3), (0.05, 2), (0.05, 3)])
def test_neural_ode_targets_recover_lotka_volterra_on_other_draws(noise, seed):
    """Other noise draws and sample times (measured: 12 of 12 equations over seeds 1-3 at 2 % and 5 %,
    against 5 of 12 for the default weak form and 0 of 12 for finite differences, same search budget)."""
    pytest.importorskip("torch")
    series, _, _ = _irregular_lv(noise=noise, n=100, seed=seed)
    model = EvolutionSR(formulation="neural_ode", neural_ode={"hidden": 16, "max_epochs": 300}, **FAST).fit(series)
    eqs = model.equations()
    assert _exact(eqs[0], TRUE["x"], 0.1) and _exact(eqs[1], TRUE["y"], 0.1), eqs
