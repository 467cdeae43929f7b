"""The invariant search of discover.evolution: Kepler's energy and Runge–Lenz vector (issue 11, item 7)."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from discover.conservation.checks import _expr_gradients, _gradient_rank_residual
from discover.data import Series, Trajectory
from discover.errors import DataError, ParameterError
from discover.evolution import search_invariants
from discover.evolution.expressions import Node, operator_table
from discover.evolution.invariants import DEFAULT_OPERATORS, Tangency

NAMES = ["x", "y", "vx", "vy"]
ENERGY = "(vx**2 + vy**2)/2 - 1/sqrt(x**2 + y**2)"
ANGULAR = "x*vy - y*vx"
LENZ_X = "vy*(x*vy - y*vx) - x/sqrt(x**2 + y**2)"
LENZ_Y = "-vx*(x*vy - y*vx) - y/sqrt(x**2 + y**2)"


def _kepler_rhs(t, z):
    r3 = np.hypot(z[0], z[1]) ** 3
    return [z[2], z[3], -z[0] / r3, -z[1] / r3]


def kepler(n_orbits=8, seed=0, periods=3, per_period=120):
    """Bound planar orbits (GM = 1) of different energies, eccentricities, orientations and senses."""
    rng = np.random.default_rng(seed)
    trs = []
    for _ in range(n_orbits):
        a, e, w = rng.uniform(0.7, 1.6), rng.uniform(0.1, 0.6), rng.uniform(0, 2 * np.pi)
        rp, vp = a * (1 - e), np.sqrt((1 + e) / (a * (1 - e)))  # perihelion distance and speed
        sense = 1 if rng.random() < 0.7 else -1
        z0 = [rp * np.cos(w), rp * np.sin(w), -sense * vp * np.sin(w), sense * vp * np.cos(w)]
        t = np.linspace(0, periods * 2 * np.pi * a ** 1.5, periods * per_period)
        sol = solve_ivp(_kepler_rhs, (0, t[-1]), z0, t_eval=t, rtol=1e-10, atol=1e-12, method="DOP853")
        trs.append(Trajectory(t, sol.y.T))
    return Series(trs, NAMES)


def _fresh_points(n=200, seed=123):
    """States off the training orbits: other bound orbits' points."""
    s = kepler(n_orbits=5, seed=seed, periods=1, per_period=40)
    return np.concatenate([tr.x for tr in s.trajectories])[:n]


def _residual(expr, basis, pts):
    g = _expr_gradients([expr], NAMES, pts)[0]
    return _gradient_rank_residual(_expr_gradients(basis, NAMES, pts), g)


def _check_kepler(found):
    pts = _fresh_points()
    exprs = [inv.expression for inv in found]
    # every reported quantity is a function of the known invariants
    for e in exprs:
        assert _residual(e, [ENERGY, ANGULAR, LENZ_X, LENZ_Y], pts) < 1e-5, e
    # one is the energy up to an affine map: its gradient is parallel to the energy's everywhere
    assert any(_residual(e, [ENERGY], pts) < 1e-5 for e in exprs), exprs
    # one is a Runge–Lenz component: not a function of energy and angular momentum
    assert any(_residual(e, [ENERGY, ANGULAR], pts) > 0.1 for e in exprs), exprs
    for inv in found:
        assert inv.method == "evolution"
        assert inv.residual < 1e-6
        assert inv.metrics["in_library"] is False
        assert {s.name for s in inv.expression.free_symbols} <= set(NAMES)


def test_kepler_energy_and_runge_lenz_with_default_options():
    found = search_invariants(kepler(), random_state=0, progress=False)
    assert 2 <= len(found) <= 3
    _check_kepler(found)
    energy = next(inv.expression for inv in found if _residual(inv.expression, [ENERGY], _fresh_points()) < 1e-5)
    # readable constants: the energy with small rational coefficients (up to scale)
    assert all(a.is_Rational for a in energy.atoms(sp.Number)), energy


def test_conservation_runs_the_search_and_keeps_library_laws():
    # as the conservation method runs it: the polynomial library finds L, the search the rest
    from discover.conservation import ConservationLaws

    model = ConservationLaws(degree=2, trig=False, evolution=True, random_state=1).fit(kepler(seed=3))
    pts = _fresh_points()
    (lib,) = model.invariants_
    assert _residual(lib.expression, [ANGULAR], pts) < 1e-5
    assert len(model.evolution_invariants_) == 2
    for inv in model.evolution_invariants_:  # nothing reported is a function of L alone
        assert _residual(inv.expression, [ANGULAR], pts) > 0.1
        assert inv.metrics["via"] == "conservation"
    _check_kepler(model.evolution_invariants_)
    assert model.findings() == [lib] + model.evolution_invariants_


def test_conservation_keeps_library_laws_when_the_search_fails():
    from discover.conservation import ConservationLaws

    s = Series([Trajectory(tr.t, tr.x) for tr in kepler(n_orbits=3, periods=1, per_period=60).trajectories], NAMES)
    with pytest.warns(UserWarning, match="evolution search .* failed"):
        model = ConservationLaws(degree=2, trig=False, evolution=True, evolution_options={"maxsize": 0}).fit(s)
    assert "maxsize" in model.evolution_error_ and model.evolution_invariants_ == []
    assert len(model.invariants_) == 1 and model.findings() == model.invariants_


@pytest.mark.neural
def test_neural_detector_verdict_starts_the_search():
    pytest.importorskip("torch")
    from discover.conservation import ConservationLaws
    from discover.systems import simulate

    ho = simulate("harmonic_oscillator", n=600, dt=0.01, n_trajectories=4, seed=0)
    # a library with no term for the energy; the detector says one exists, the search writes it down
    model = ConservationLaws(degree=1, trig=False, neural=True, neural_epochs=300, random_state=0).fit(ho)
    assert model.invariants_ == [] and model.neural_["outside_library"] is True
    (inv,) = model.findings()
    assert inv.method == "evolution" and inv.residual < 1e-3
    assert _gradient_rank_residual(_expr_gradients(["4*x**2 + v**2"], ["x", "v"], ho.x[::50]),
                                   _expr_gradients([inv.expression], ["x", "v"], ho.x[::50])[0]) < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kepler_other_seeds(seed):
    found = search_invariants(kepler(seed=seed), random_state=seed, progress=False)
    _check_kepler(found)


@pytest.mark.slow
def test_no_approximate_law_on_clean_data():
    # the quartic oscillator's energy v**2 + x**2 + x**4/2 is no sum of building blocks and the default
    # budget does not find it (measured); nested square roots approximate it to 1e-4, which a fixed
    # tolerance of 1e-4 reported as a law. With the noise-based tolerance only the true law may come back.
    t = np.linspace(0, 12, 400)

    def orbit(a, b):
        sol = solve_ivp(lambda t, z: [z[1], -z[0] - z[0] ** 3], (0, 12), [a, b], t_eval=t, rtol=1e-10, atol=1e-12)
        return Trajectory(t, sol.y.T)

    s = Series([orbit(a, b) for a, b in ((0.5, 0), (1.0, 0.3), (1.5, -0.2), (0.8, 0.8))], ["x", "v"])
    for inv in search_invariants(s, random_state=0, progress=False):
        g = _expr_gradients([inv.expression], ["x", "v"], s.x[::40])[0]
        assert _gradient_rank_residual(_expr_gradients(["v**2 + x**2 + x**4/2"], ["x", "v"], s.x[::40]), g) < 1e-5


def _objective(known=()):
    s = kepler(n_orbits=4, periods=1, per_period=100)
    parts = [np.asarray(tr.x) for tr in s.trajectories]
    X = np.concatenate(parts)
    pts = X[::7][:48]
    grads = _expr_gradients(list(known), NAMES, pts) if known else []
    return Tangency(parts, operator_table(DEFAULT_OPERATORS), grads, pts, X.std(axis=0))


def _tree(text):
    import ast

    ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}

    def conv(n):
        if isinstance(n, ast.BinOp):
            return Node(ops[type(n.op)], [conv(n.left), conv(n.right)])
        if isinstance(n, ast.Call):
            return Node(n.func.id, [conv(n.args[0])])
        if isinstance(n, ast.Name):
            return Node.var(NAMES.index(n.id))
        return Node.const(float(n.value))

    return conv(ast.parse(text, mode="eval").body)


def test_loss_is_small_only_for_conserved_and_new_quantities():
    obj = _objective()
    energy = _tree("vx*vx + vy*vy - 2/sqrt(x*x + y*y)")
    assert obj.loss(energy) < 1e-12
    assert obj.loss(_tree("3*(vx*vx + vy*vy) - 6/sqrt(x*x + y*y) + 5")) < 1e-12  # affine map of it
    assert obj.loss(_tree("vx*vx + vy*vy")) > 0.1  # kinetic energy alone is not conserved
    assert obj.loss(_tree("x/x")) == np.inf  # a constant cannot win
    assert obj.loss(_tree("x")) > 0.1
    # with L known, L and L plus a little of anything are not new invariants
    obj_l = _objective([ANGULAR])
    assert obj_l.loss(_tree("x*vy - y*vx")) > 0.1
    assert obj_l.loss(_tree("x*vy - y*vx + 0.001*x")) > 0.1
    assert obj_l.loss(energy) < 1e-12


def test_deterministic_with_a_seed_and_clear_errors():
    t = np.linspace(0, 8, 300)

    def orbit(a):
        sol = solve_ivp(lambda t, z: [z[1], -2 * z[0]], (0, 8), [a, 0.0], t_eval=t, rtol=1e-10, atol=1e-12)
        return Trajectory(t, sol.y.T)

    s = Series([orbit(a) for a in (0.5, 1.0, 1.5)], ["x", "v"])
    opts = dict(operators=["+", "*"], maxsize=12, n_iterations=3, random_state=4, progress=False)
    a, b = search_invariants(s, **opts), search_invariants(s, **opts)
    assert [str(i.expression) for i in a] == [str(i.expression) for i in b]
    assert len(a) == 1
    x, v = sp.symbols("x v", real=True)
    e = a[0].expression.subs({q: sp.Symbol(q.name, real=True) for q in a[0].expression.free_symbols})
    assert sp.simplify(e / e.coeff(v ** 2) - (v ** 2 + 2 * x ** 2)).is_constant()
    with pytest.raises(DataError, match="two trajectories"):
        search_invariants(Series([orbit(1.0)], ["x", "v"]))
    with pytest.raises(ParameterError, match="'maxsize'"):
        search_invariants(s, maxsize=0)
