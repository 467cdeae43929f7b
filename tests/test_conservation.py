"""discover.conservation: every true conserved quantity, up to an equivalent form, and no other."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sklearn.base import clone

import discover
from discover.conservation import (
    ConservationLaws,
    build_library,
    check_against_equations,
    estimate_noise,
    independent_count,
    match_invariants,
)
from discover.data import Series, from_arrays
from discover.errors import ParameterError
from discover.findings import Equation, Invariant, from_dict
from discover.systems import SYSTEMS, simulate

CASES = Path(__file__).resolve().parent.parent / "cases"


def truth_of(name: str) -> list[str]:
    path = CASES / name / "truth.json"
    if path.exists():
        return json.loads(path.read_text())["invariants"]
    return list(SYSTEMS[name].invariants)


def check_laws(model: ConservationLaws, series: Series, truth: list[str]) -> None:
    """Every true law is a function of the found ones, and every found one a function of the truth."""
    found = [inv.expression for inv in model.invariants_]
    pts = series.x[:: max(1, series.n_samples // 300)]
    n_true = independent_count(truth, series.variables, pts) if truth else 0
    assert model.n_invariants_ == len(found) == n_true, [str(f) for f in found]
    if truth:
        assert match_invariants(found, truth, series.variables, pts) == (len(truth), 0), [str(f) for f in found]


SETUPS = {
    # name: (samples per trajectory, dt, trajectories)
    "harmonic_oscillator": (1000, 0.01, 3),
    "pendulum": (1000, 0.01, 3),
    "lotka_volterra": (1000, 0.04, 3),
    "damped_oscillator": (1000, 0.01, 3),
}


@pytest.mark.parametrize("noise", [0.0, 0.01])
@pytest.mark.parametrize("name", list(SETUPS))
def test_true_laws_found_and_no_other(name, noise):
    n, dt, k = SETUPS[name]
    series = simulate(name, n=n, dt=dt, n_trajectories=k, noise=noise, seed=3)
    model = ConservationLaws(random_state=0).fit(series)
    check_laws(model, series, truth_of(name))
    for inv in model.invariants_:
        assert inv.method == "conservation"
        # measured: clean residual <= 2.5e-7, confidence 1; at 1 %: residual 0.034-0.039, confidence >= 0.58
        assert 0 <= inv.confidence <= 1 and inv.confidence > (0.9 if noise == 0 else 0.5)
        assert inv.residual < (1e-5 if noise == 0 else 0.06)


def test_single_trajectory_from_case_file():
    series = discover.load(str(CASES / "pendulum" / "pendulum.csv"), time="t", group="run")
    model = ConservationLaws().fit(series)
    check_laws(model, series, truth_of("pendulum"))


def test_readable_forms_are_snapped():
    ho = ConservationLaws(degree=2, trig=False).fit(simulate("harmonic_oscillator", n=1500, dt=0.01))
    x, v = sp.symbols("x v", real=True)
    assert sp.simplify(ho.invariants_[0].expression - (4 * x**2 + v**2)) == 0
    lv = ConservationLaws().fit(simulate("lotka_volterra", n=1500, dt=0.04, n_trajectories=2))
    expr = lv.invariants_[0].expression
    coeffs = [t.as_coeff_Mul()[0] for t in sp.Add.make_args(expr)]
    assert all(isinstance(c, sp.Rational) for c in coeffs), expr
    assert len(coeffs) == 4  # prey, predator, log(prey), log(predator): nothing else


def test_chaotic_and_dissipative_have_none():
    lorenz = simulate("lorenz", n=2000, dt=0.005, n_trajectories=2, noise=0.01, seed=1)
    assert ConservationLaws(random_state=0).fit(lorenz).invariants_ == []


def test_several_independent_laws_and_dependent_ones_dropped():
    sir = simulate("sir", n=1500, dt=0.04, n_trajectories=3, seed=2)
    model = ConservationLaws(random_state=0).fit(sir)
    check_laws(model, sir, truth_of("sir"))
    # N, N², N³ (and more) are all constant: the law space is larger than what is reported
    assert model.null_dimension_ > model.n_invariants_ == 2
    assert any(r["reason"] == "dependent" for r in model.rejected_)


def test_rigid_body_energy_and_angular_momentum():
    rb = simulate("rigid_body", n=1500, dt=0.01, n_trajectories=3, noise=0.01, seed=4)
    check_laws(ConservationLaws(random_state=0).fit(rb), rb, truth_of("rigid_body"))


def test_law_that_breaks_later_is_refused_on_held_out_data():
    t = np.linspace(0, 20, 2000)
    x = np.where(t < 16, 1.0, 1.0 + 0.5 * (t - 16) ** 2)  # constant on the first 80 %, then not
    series = from_arrays(np.c_[x, np.sin(t)], t=t, names=["a", "b"])
    model = ConservationLaws(degree=1, trig=False).fit(series)
    assert model.invariants_ == []
    assert any(r["reason"] == "held-out" for r in model.rejected_)


def test_identities_are_not_laws():
    s = simulate("damped_oscillator", n=1000, dt=0.01, n_trajectories=2, seed=0)
    model = ConservationLaws(degree=2, terms=["sin(x)**2", "cos(x)**2"]).fit(s)
    assert model.invariants_ == []


def test_user_terms_and_increments_formulation():
    s = simulate("kepler", n=1500, dt=0.01, n_trajectories=3, seed=1)
    model = ConservationLaws(degree=2, trig=False, terms=["1/sqrt(x**2 + y**2)"]).fit(s)
    # energy and angular momentum (the Runge-Lenz vector needs x/r, y/r and degree 3)
    check_laws(model, s, truth_of("kepler")[:2])
    ho = simulate("harmonic_oscillator", n=1000, dt=0.01, n_trajectories=2)
    inc = ConservationLaws(degree=2, trig=False, formulation="increments").fit(ho)
    check_laws(inc, ho, truth_of("harmonic_oscillator"))


def test_independence_and_matching_helpers():
    pts = np.random.default_rng(0).normal(size=(60, 3))
    names = ["a", "b", "c"]
    laws = ["a**2 + b**2", "c", "(a**2 + b**2)*c", "2*c + 1", "a**2 + b**2 + c**2"]
    assert independent_count(laws, names, pts) == 2
    assert match_invariants(["a**2 + b**2", "c"], ["a**2 + b**2 + c**2"], names, pts) == (1, 2)
    assert match_invariants(["a + b"], ["a**2 + b**2"], names, pts) == (0, 1)


def test_library_and_noise_estimate():
    lib = build_library(["x", "y"], degree=3, trig=True, log="auto", terms=["x/y"],
                        x=np.array([[1.0, 2.0], [2.0, -1.0]]))
    names = [str(t) for t in lib.terms]
    # 9 monomials, sin/cos of each, log of the variable positive on the data only, the user term
    assert len(names) == 9 + 4 + 1 + 1 and "log(x)" in names and "log(y)" not in names
    assert "x/y" in names
    with pytest.raises(ParameterError, match="not variables"):
        build_library(["x"], terms=["z**2"])
    rng = np.random.default_rng(1)
    t = np.linspace(0, 30, 6000)
    clean = np.c_[np.sin(t), 3 * np.cos(0.5 * t)]
    est = estimate_noise([clean + np.array([0.01, 0.05]) * rng.standard_normal(clean.shape)])
    assert np.allclose(est, [0.01, 0.05], rtol=0.1)


def test_check_against_equations():
    pend = SYSTEMS["pendulum"]
    law = Invariant(sp.sympify("omega**2 - 19.62*cos(theta)"), method="conservation")
    eqs = [Equation(v, sp.sympify(r)) for v, r in pend.equations.items()]
    ok = check_against_equations([law], eqs)
    assert ok[0]["consistent"] is True and ok[0]["lie_derivative"] == 0
    fitted = {"theta": "1.0002*omega", "omega": "-9.806*sin(theta) + 0.001*omega"}
    pts = simulate("pendulum", n=300).x
    near = check_against_equations([law], fitted, points=pts, variables=["theta", "omega"])
    assert near[0]["consistent"] is True and 0 < near[0]["relative"] < 1e-2
    damped = check_against_equations(["4*x**2 + v**2"], SYSTEMS["damped_oscillator"].equations)
    assert damped[0]["consistent"] is False and damped[0]["relative"] > 0.01
    missing = check_against_equations(["x + y"], {"x": "y"})
    assert missing[0]["consistent"] is None and missing[0]["missing"] == ["y"]


def test_parameters_and_estimator_conventions():
    est = ConservationLaws(degree=2, threshold=3.0)
    assert clone(est).get_params()["threshold"] == 3.0
    s = simulate("harmonic_oscillator", n=300)
    with pytest.raises(ParameterError, match="'threshold' parameter of ConservationLaws must be"):
        ConservationLaws(threshold=0.5).fit(s)
    with pytest.raises(ParameterError, match="'degree'"):
        ConservationLaws(degree=0).fit(s)
    with pytest.raises(ParameterError, match="'terms'"):
        ConservationLaws(terms=[3]).fit(s)
    with pytest.warns(discover.DataWarning, match="degree lowered from 6 to 2"):  # 15 terms for 40 samples
        assert ConservationLaws(degree=6).fit(simulate("lorenz", n=40)).degree_ == 2
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ConservationLaws().findings()


def test_findings_round_trip_and_pipeline():
    s = simulate("harmonic_oscillator", n=800, dt=0.01, n_trajectories=2)
    report = discover.fit(s, methods=["conservation"], config={"conservation": {"degree": 2}})
    assert report.methods["conservation"].status == "ok"
    (inv,) = report.invariants
    assert from_dict(json.loads(json.dumps(inv.to_dict()))) == inv
    assert inv.metrics["in_library"] is True and inv.metrics["n_independent"] == 1
    assert "1 independent conserved quantity" in ConservationLaws(degree=2).fit(s).summary()


@pytest.mark.neural
def test_neural_detector_reports_invariant_outside_library_honestly():
    pytest.importorskip("torch")
    ho = simulate("harmonic_oscillator", n=600, dt=0.01, n_trajectories=4, seed=0)
    # a library with no term for the energy: the symbolic search finds nothing ...
    model = ConservationLaws(degree=1, trig=False, neural=True, neural_epochs=300, evolution=False,
                             random_state=0).fit(ho)
    assert model.invariants_ == []
    assert model.neural_["verdict"] == "invariant" and model.neural_["outside_library"] is True
    (note,) = model.findings()
    assert note.metrics["in_library"] is False and "g_neural" in str(note.expression)
    assert from_dict(json.loads(json.dumps(note.to_dict()))) == note
    # ... while on a damped oscillator there is nothing to find
    damped = simulate("damped_oscillator", n=600, dt=0.01, n_trajectories=4, seed=0)
    m2 = ConservationLaws(degree=1, trig=False, neural=True, neural_epochs=300, random_state=0).fit(damped)
    assert m2.neural_["verdict"] == "none" and m2.findings() == []


# ---------------------------------------------- noisy short data, few samples

def _solve(rhs, starts, T, dt, noise, rng):
    """Trajectories of ``rhs`` by scipy (not discover.systems), with measurement noise of
    ``noise`` times each variable's spread over all trajectories."""
    from scipy.integrate import solve_ivp

    from discover.data import Trajectory

    t = np.arange(int(round(T / dt)) + 1) * dt
    raw = [solve_ivp(rhs, (0, t[-1]), y0, t_eval=t, rtol=1e-10, atol=1e-12).y.T for y0 in starts]
    sd = np.concatenate(raw).std(axis=0)
    return tuple(Trajectory(t, x + noise * sd * rng.standard_normal(x.shape)) for x in raw)


def pendulum_g4(seed: int, noise: float = 0.01) -> Series:
    """g/l = 4, 8 trajectories of 20 time units every 0.05, amplitudes 0.3-2.5 rad."""
    rng = np.random.default_rng(seed)
    starts = [[rng.uniform(0.3, 2.5) * rng.choice([-1, 1]), rng.uniform(-1.5, 1.5)] for _ in range(8)]
    trajs = _solve(lambda _t, y: [y[1], -4 * np.sin(y[0])], starts, 20, 0.05, noise, rng)
    return Series(trajs, ("theta", "omega"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pendulum_energy_at_one_percent_noise_on_short_trajectories(seed):
    s = pendulum_g4(seed)
    model = ConservationLaws(random_state=0).fit(s)
    theta, omega = sp.symbols("theta omega", real=True)
    assert [sp.simplify(inv.expression - (omega**2 - 8 * sp.cos(theta))) for inv in model.invariants_] == [0]
    assert model.degree_ == 3 and model.library_note_ == ""


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_false_laws_at_one_percent_noise(seed):
    rng = np.random.default_rng(seed)
    damped = _solve(lambda _t, y: [y[1], -4 * y[0] - 0.2 * y[1]],
                    [rng.uniform(-2, 2, 2) for _ in range(8)], 20, 0.05, 0.01, rng)
    assert ConservationLaws(random_state=0).fit(Series(damped, ("x", "v"))).invariants_ == []
    lorenz = _solve(lambda _t, y: [10 * (y[1] - y[0]), y[0] * (28 - y[2]) - y[1], y[0] * y[1] - 8 / 3 * y[2]],
                    [rng.uniform(-10, 10, 3) + [0, 0, 25] for _ in range(3)], 15, 0.01, 0.01, rng)
    assert ConservationLaws(random_state=0).fit(Series(lorenz, ("x", "y", "z"))).invariants_ == []


def test_degree_lowered_when_the_library_would_outgrow_the_samples():
    from discover.errors import DataWarning

    # two uncoupled oscillators (4 variables), 2 x 30 samples: degree 3 needs 86, degree 2 needs 46
    rng = np.random.default_rng(0)
    trajs = _solve(lambda _t, y: [y[1], -4 * y[0], y[3], -9 * y[2]],
                   [rng.uniform(0.5, 1.5, 4) for _ in range(2)], 5.8, 0.2, 0.0, rng)
    s = Series(trajs, ("x1", "v1", "x2", "v2"))
    assert s.n_samples == 60
    with pytest.warns(DataWarning, match="degree lowered from 3 to 2"):
        model = ConservationLaws(random_state=0).fit(s)
    assert model.degree_ == 2 and "degree lowered" in model.library_note_
    check_laws(model, s, ["4*x1**2 + v1**2", "9*x2**2 + v2**2"])
    assert all(inv.metrics["degree"] == 2 and "library_note" in inv.metrics for inv in model.invariants_)
    # 30 variables x 50 samples: not even the linear terms fit; no laws, said so, no error
    wide = from_arrays(rng.standard_normal((50, 30)), dt=1.0)
    with pytest.warns(DataWarning, match="too few to test even the 30 linear terms"):
        model = ConservationLaws().fit(wide)
    assert model.degree_ == 0 and model.invariants_ == [] and model.findings() == []
