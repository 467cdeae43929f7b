"""SINDy: exact recovery on clean data, graph, simulation, failures reported, estimator conventions."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from sklearn.base import clone

import discover
from discover.cases import score_equations
from discover.data import Series, Trajectory, from_arrays
from discover.errors import DataWarning, ParameterError
from discover.findings import Equation, Graph, Simulation
from discover.sindy import SINDy
from discover.systems import SYSTEMS, simulate

LORENZ = SYSTEMS["lorenz"]


@pytest.fixture(scope="module")
def lorenz_model(lorenz_series):
    return SINDy().fit(lorenz_series)


def _truth(name):
    return {"equations": dict(SYSTEMS[name].equations)}


def test_lorenz_exact_terms_and_coefficients(lorenz_model):
    score = score_equations(lorenz_model.findings(), _truth("lorenz"))
    assert score["precision"] == 1.0, score["per_equation"]
    assert score["recall"] == 1.0, score["per_equation"]
    assert score["max_rel_coef_error"] < 0.01
    assert score["exact"] == 3


def test_equations_are_sympy_over_column_names(lorenz_model):
    eqs = lorenz_model.equations()
    assert len(eqs) == 3 and all(isinstance(e, sp.Expr) for e in eqs)
    assert {s.name for e in eqs for s in e.free_symbols} == {"x", "y", "z"}
    found = [f for f in lorenz_model.findings() if isinstance(f, Equation)]
    assert [f.variable for f in found] == ["x", "y", "z"]
    assert all(f.method == "sindy" and f.kind == "ode" for f in found)
    m = found[1].metrics
    assert m["complexity"] == 3 and m["r2"] > 0.9999
    # the Pareto front is kept: one candidate per size, the chosen one marked, errors falling
    front = m["pareto"]
    assert sum(p["chosen"] for p in front) == 1
    errs = [p["validation_error"] for p in front]
    assert errs == sorted(errs, reverse=True)


def test_interaction_graph_has_the_true_edges(lorenz_model):
    graph = next(f for f in lorenz_model.findings() if isinstance(f, Graph))
    assert graph.kind == "interaction"
    edges = {(e["source"], e["target"]) for e in graph.edges()}
    assert edges == LORENZ.graph_edges()
    for e in graph.edges():
        assert e["lag"] == 0 and 0 <= e["score"] <= 1 and e["weight"] > 0


def test_simulation_tracks_held_out_data(lorenz_series, lorenz_model):
    sim = next(f for f in lorenz_model.findings() if isinstance(f, Simulation))
    assert sim.failed_at is None and sim.metrics["held_out"]
    tr = lorenz_series.trajectories[0]
    start = np.searchsorted(tr.t, sim.t[0])
    short = slice(0, 100)  # 0.5 time units, about half a Lyapunov time
    err = np.abs(sim.values[short] - tr.x[start:start + 100]).max()
    assert err < 1e-2 * tr.x.std()
    assert sim.metrics["short_horizon_rmse"] < 1e-3
    # the short-horizon check scored the chosen model and one runner-up per equation, and kept it
    check = lorenz_model.diagnostics_["simulation_check"]
    assert check["chosen"] < 1e-3 and set(check["alternatives"]) == {"x", "y", "z"}
    assert check["switched"] is None
    # and the user-facing simulate() gives the same kind of record
    again = lorenz_model.simulate(tr.x[0], tr.t[:200])
    assert np.abs(again.values - tr.x[:200]).max() < 1e-2 * tr.x.std()


def test_short_horizon_check_scores_a_blow_up_as_infinite(lorenz_series, lorenz_model):
    from discover.sindy import preprocess

    masks, held = preprocess.validation_mask([len(tr) for tr in lorenz_series.trajectories], 0.2)
    good = lorenz_model._short_horizon(lorenz_model.coefficients_, lorenz_series, masks, held)
    assert good < 1e-3
    bad = lorenz_model.coefficients_.copy()
    terms = [str(t) for t in lorenz_model.library_.terms]
    bad[0] = 0.0
    bad[0, [terms.index("1"), terms.index("x**2")]] = 100.0  # dx/dt = 100 (1 + x**2): x = tan(100 t + c)
    assert lorenz_model._short_horizon(bad, lorenz_series, masks, held) == float("inf")


def test_predict_gives_derivatives(lorenz_series, lorenz_model):
    x = lorenz_series.trajectories[0].x[:50]
    pred = lorenz_model.predict(x)
    f = LORENZ.rhs_function()
    true = np.array([f(0, row) for row in x])
    assert pred.shape == (50, 3)
    assert np.abs(pred - true).max() < 1e-3 * np.abs(true).max()
    per_traj = lorenz_model.predict(lorenz_series)
    assert isinstance(per_traj, list) and per_traj[0].shape == lorenz_series.trajectories[0].x.shape


def test_blow_up_is_reported_not_raised():
    # dx/dt = x**2 from x0 = 1 blows up at t = 1
    t = np.linspace(0, 0.8, 801)
    series = from_arrays(1 / (1 - t), t=t, names=["x"])
    model = SINDy(simulation=False).fit(series)
    eq = sp.Poly(model.equations()[0], sp.Symbol("x", real=True))
    assert eq.monoms() == [(2,)] and abs(float(eq.coeffs()[0]) - 1) < 1e-3
    sim = model.simulate([1.0], np.linspace(0, 2, 201))
    assert isinstance(sim, Simulation)
    assert sim.failed_at is not None and 0.9 < sim.failed_at <= 1.01
    assert "blow-up" in sim.message or "solver" in sim.message
    assert np.isnan(sim.values[-1]).all()


def test_several_trajectories_and_held_out_trajectory():
    series = simulate("damped_oscillator", n=600, dt=0.01, n_trajectories=4, seed=1)
    model = SINDy().fit(series)
    score = score_equations(model.findings(), _truth("damped_oscillator"))
    assert score["precision"] == score["recall"] == 1.0 and score["max_rel_coef_error"] < 1e-3
    sim = model.simulation_
    assert sim.trajectory == 3  # the trajectory held out whole


def test_control_inputs():
    t = np.arange(0, 20, 0.01)
    u = np.sin(t) + 0.5 * np.cos(3 * t)
    # dx/dt = -0.5 x + 2 u, integrated exactly enough with a fine solver
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lambda tt, x: -0.5 * x + 2 * (np.sin(tt) + 0.5 * np.cos(3 * tt)), (0, t[-1]), [1.0],
                    t_eval=t, rtol=1e-11, atol=1e-11)
    series = Series((Trajectory(t, sol.y.T, u[:, None]),), ("x",), ("u",))
    model = SINDy(ensemble=5).fit(series)
    score = score_equations(model.findings(), {"equations": {"x": "-0.5*x + 2*u"}})
    assert score["precision"] == score["recall"] == 1.0 and score["max_rel_coef_error"] < 1e-3
    edges = {(e["source"], e["target"]) for e in model.interaction_graph().edges()}
    assert edges == {("x", "x"), ("u", "x")}
    assert model.simulation_.failed_at is None and model.simulation_.metrics["rmse"] < 1e-3


def test_units_do_not_change_the_terms(lorenz_series):
    # the same system in other units (x in mm, time in ms): same terms, coefficients rescaled
    tr = lorenz_series.trajectories[0]
    scaled = Series((Trajectory(tr.t * 1000, tr.x * 1000),), ("x", "y", "z"))
    model = SINDy(ensemble=0, simulation=False).fit(scaled)
    truth = {"x": "(10*y - 10*x)/1000", "y": "(28*x - x*z/1000 - y)/1000", "z": "(x*y/1000 - 8/3*z)/1000"}
    score = score_equations(model.findings(), {"equations": truth})
    assert score["precision"] == score["recall"] == 1.0 and score["max_rel_coef_error"] < 0.01


def test_fixed_threshold_is_scaled():
    model = SINDy(threshold=0.05, ensemble=0, simulation=False).fit(simulate("lorenz", n=2000, dt=0.005))
    score = score_equations(model.findings(), _truth("lorenz"))
    assert score["exact"] == 3


def test_clone_and_get_params():
    model = SINDy(degree=3, ensemble=5, random_state=1)
    params = model.get_params()
    assert params["degree"] == 3 and params["ensemble"] == 5
    other = clone(model)
    assert other is not model and other.get_params() == params
    other.set_params(degree=2)
    assert other.degree == 2 and model.degree == 3


@pytest.mark.parametrize("params, message", [
    ({"degree": -1}, "The 'degree' parameter of SINDy must be an int in the range [0, 10] or one of 'auto'. "
                    "Got -1 instead."),
    ({"threshold": -0.1}, "The 'threshold' parameter of SINDy must be None or a float in the range [0, inf). "
                          "Got -0.1 instead."),
    ({"criterion": "aic"}, "The 'criterion' parameter of SINDy must be one of 'bic', 'aicc'. Got 'aic' instead."),
    ({"optimizers": ("lasso",)}, "The 'optimizers' parameter of SINDy must be a non-empty list of"),
    ({"terms": ["sin(q)"]}, "uses q, which is not a column"),
])
def test_parameter_errors(params, message):
    series = simulate("damped_oscillator", n=200, dt=0.01)
    with pytest.raises(ParameterError) as info:
        SINDy(**params).fit(series)
    assert message in str(info.value)


def test_through_the_pipeline(lorenz_series):
    report = discover.fit(lorenz_series, methods=["sindy"])
    assert report.methods["sindy"].status == "ok"
    score = score_equations(report.equations, _truth("lorenz"))
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 0.01
    assert len(report.graphs) == 1 and len(report.simulations) == 1
    # findings survive the JSON round trip of the report
    again = discover.findings.from_dict(report.equations[0].to_dict())
    assert again == report.equations[0]


# ---------------------------------------------------------------- phase 2: selection, noise, libraries


def test_ensemble_probabilities_intervals_and_edge_scores():
    series = simulate("lorenz", n=3000, dt=0.005, burn_in=1000, noise=0.01, seed=3)
    model = SINDy(ensemble=20, random_state=0).fit(series)
    eqs = [f for f in model.findings() if isinstance(f, Equation)]
    score = score_equations(eqs, _truth("lorenz"))
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 0.03  # measured 0.010
    for eq in eqs:
        assert eq.uncertainty
        for u in eq.uncertainty.values():
            assert u["probability"] >= 0.5
            assert u["lower"] <= u["coefficient"] <= u["upper"]
    # the true coefficient of y in dx/dt (10) lies in its interval
    ux = eqs[0].uncertainty["y"]
    assert ux["lower"] <= 10 <= ux["upper"] and ux["upper"] - ux["lower"] < 0.1
    p = model.inclusion_probabilities_
    assert p.shape == model.coefficients_.shape and ((0 <= p) & (p <= 1)).all()
    graph = model.interaction_graph()
    assert all(0.5 <= e["score"] <= 1 for e in graph.edges())


def test_one_percent_noise_recovers_the_terms():
    for name, dt in (("lorenz", 0.005), ("rossler", 0.02)):
        series = simulate(name, n=4000, dt=dt, burn_in=1000, noise=0.01, seed=1)
        model = SINDy(degree=3, ensemble=5, random_state=0, simulation=False).fit(series)
        score = score_equations(model.findings(), _truth(name))
        assert score["exact"] == 3, (name, score["per_equation"])
        assert score["max_rel_coef_error"] < 0.03  # measured 0.005 (Lorenz), 0.008 (Rössler)


def test_weak_form_is_chosen_for_noisy_data_and_recovers_lorenz():
    series = simulate("lorenz", n=4000, dt=0.005, burn_in=1000, noise=0.05, seed=2)
    model = SINDy(simulation=False, ensemble=5, random_state=0).fit(series)
    assert model.formulation_ == "weak" and model.diagnostics_["noise"]["x"] == pytest.approx(0.05, rel=0.2)
    score = score_equations(model.findings(), _truth("lorenz"))
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 0.05  # measured 0.016


def test_weak_form_on_clean_data_is_exact():
    model = SINDy(formulation="weak", ensemble=0, simulation=False).fit(simulate("lorenz", n=2000, dt=0.005))
    score = score_equations(model.findings(), _truth("lorenz"))
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 0.01


def test_user_terms_and_fourier_library():
    series = simulate("pendulum", n=600, dt=0.01, n_trajectories=3, seed=0)
    truth = {"equations": {"theta": "omega", "omega": "-9.81*sin(theta)"}}
    for kw in ({"terms": ["sin(theta)", "cos(theta)"]}, {"fourier": 2}):
        model = SINDy(degree=1, ensemble=0, simulation=False, **kw).fit(series)
        score = score_equations(model.findings(), truth)
        assert score["exact"] == 2 and score["max_rel_coef_error"] < 1e-3, (kw, model.equations())


def test_rational_user_term():
    # predator-prey with a saturating response: needs x*y/(1 + x)
    from discover.systems import System, integrate

    sys_ = System("pp", ("x", "y"), {"x": "x*(4 - x) - x*y/(1 + x)", "y": "y*(x/(1 + x) - 0.075*y)"}, (3.0, 4.0))
    t = np.arange(800) * 0.01
    trajs = [Trajectory(t, integrate(sys_, t, x0)) for x0 in ((3.0, 4.0), (1.0, 2.0), (2.0, 6.0))]
    series = Series(tuple(trajs), ("x", "y"))
    model = SINDy(terms=["x*y/(1 + x)"], ensemble=0, simulation=False).fit(series)
    score = score_equations(model.findings(), {"equations": dict(sys_.equations)})
    assert score["exact"] == 2 and score["max_rel_coef_error"] < 1e-3, model.equations()


def test_discrete_time_map():
    # Hénon map x' = 1 - 1.4 x^2 + y, y' = 0.3 x
    x = np.empty((600, 2))
    x[0] = (0.1, 0.1)
    for k in range(599):
        x[k + 1] = (1 - 1.4 * x[k, 0] ** 2 + x[k, 1], 0.3 * x[k, 0])
    series = from_arrays(x, t=np.arange(600.0), names=["x", "y"])
    model = SINDy(discrete_time=True, ensemble=0).fit(series)
    eqs = [f for f in model.findings() if isinstance(f, Equation)]
    assert all(e.kind == "map" for e in eqs)
    score = score_equations(eqs, {"equations": {"x": "1 - 1.4*x**2 + y", "y": "0.3*x"}})
    assert score["exact"] == 2 and score["max_rel_coef_error"] < 1e-6
    sim = model.simulate(x[0], np.arange(20.0))
    assert sim.failed_at is None and np.abs(sim.values - x[:20]).max() < 1e-6


def test_swap_search_recovers_near_collinear_terms():
    # on the Rabinovich-Fabrikant attractor x stays in [-1.9, -1.1], so x**2*y and x*y (and x**3, x**2, x)
    # are nearly collinear; at 1 % noise the greedy paths drop the true term first and never get it back
    # (old default: 1 and 0 of 3 equations); one-for-one swaps restore it
    from discover.sindy.regression import swap_refine

    truth = {"equations": dict(SYSTEMS["rabinovich_fabrikant"].equations)}
    for seed in (0, 2):
        series = simulate("rabinovich_fabrikant", n=4000, dt=0.01, burn_in=2000, noise=0.01, seed=seed)
        model = SINDy(degree=3, ensemble=5, random_state=0, simulation=False).fit(series)
        score = score_equations(model.findings(), truth)
        assert score["exact"] == 3, seed
        # at 1 % noise the weak form is used: the Savitzky-Golay derivative's smoothing bias, through the
        # collinear terms, put y*z and y 15 % off in the strong form
        assert model.formulation_ == "weak" and score["max_rel_coef_error"] < 0.03, seed  # measured 0.010
        old = SINDy(degree=3, ensemble=5, random_state=0, simulation=False, optimizers=("stlsq", "greedy"),
                    formulation="strong")
        assert score_equations(old.fit(series).findings(), truth)["exact"] < 3
    # swap_refine alone: a size-2 support with one wrong term of a collinear pair is swapped to the truth
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    A = np.c_[a, a + 0.05 * rng.normal(size=500), rng.normal(size=500)]
    b = A[:, 1] + A[:, 2] + 1e-3 * rng.normal(size=500)
    G, g = A.T @ A / 500, A.T @ b / 500
    wrong = np.array([True, False, True])
    assert swap_refine(G, g, wrong).tolist() == [False, True, True]
    assert swap_refine(G, g, np.array([True, True, False])).tolist() == [False, True, True]


@pytest.mark.parametrize("optimizers", [("sr3",), ("greedy",), ("stlsq",), ("swap",),
                                        ("stlsq", "sr3", "greedy", "swap")])
def test_each_optimizer_finds_lorenz(lorenz_series, optimizers):
    model = SINDy(optimizers=optimizers, ensemble=0, simulation=False).fit(lorenz_series)
    score = score_equations(model.findings(), _truth("lorenz"))
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("noise", [0.0, 0.01, 0.05])
def test_chaotic_suite(noise):
    # default options (the library is chosen, not given): the quadratic flows and the cubic systems
    from discover.systems import CHAOTIC, CUBIC

    exact = {"quadratic": [0, 0], "cubic": [0, 0]}
    for name in CHAOTIC + CUBIC:
        system = SYSTEMS[name]
        series = simulate(name, n=4000, dt=system.extra.get("dt", 0.01), burn_in=system.extra.get("burn_in", 1000),
                          noise=noise, seed=0)
        model = SINDy(random_state=0, simulation=False).fit(series)
        found = dict(zip(series.variables, model.raw_equations()))
        group = exact["cubic" if name in CUBIC else "quadratic"]
        for var in system.variables:
            s = score_equations({var: found[var]}, {"equations": {var: system.equations[var]}})
            tol = 0.01 if noise == 0 else 0.10
            group[0] += s["exact"] == 1 and s["max_rel_coef_error"] <= tol
            group[1] += 1
    # issue 3 asked 100 %, 97 % and 85 % (terms and coefficients within 1 % clean, 10 % noisy); issue 13 asks
    # the cubic systems to reach the quadratic ones' level. Measured (benchmarks/bench_sindy.py, seed 0):
    # quadratic 45/45, 45/45, 42/45; cubic 14/14, 14/14, 14/14
    need = {0.0: 1.0, 0.01: 0.97, 0.05: 0.85}[noise]
    for got, total in exact.values():
        assert got / total >= need, exact


def test_named_derivative_method_keeps_the_strong_form_on_noisy_data():
    series = simulate("damped_oscillator", n=800, dt=0.01, n_trajectories=2, noise=0.03, seed=4)
    model = SINDy(differentiation="savgol", ensemble=0, simulation=False).fit(series)
    assert model.formulation_ == "strong" and model.diagnostics_["derivatives"][0]["derivative"] == "savgol"
    assert SINDy(ensemble=0, simulation=False).fit(series).formulation_ == "weak"


def test_named_derivative_method_from_the_data_layer():
    series = simulate("damped_oscillator", n=800, dt=0.01, n_trajectories=2, noise=0.005, seed=4)
    model = SINDy(differentiation="savgol", ensemble=0, simulation=False).fit(series)
    assert model.diagnostics_["derivatives"][0]["derivative"] == "savgol"
    score = score_equations(model.findings(), _truth("damped_oscillator"))
    assert score["exact"] == 2 and score["max_rel_coef_error"] < 0.01  # measured 0.0019


# ---------------------------------------------------------------- library choice, honesty, held-out data


def _raw_score(model, name):
    return score_equations(dict(zip(model.variables_, model.raw_equations())), _truth(name))


@pytest.mark.parametrize("name, noise, tol", [
    ("van_der_pol", 0.0, 1e-6),  # odd-symmetric: degree 2 gains nothing, the search must look past it
    ("fitzhugh_nagumo", 0.01, 0.02),  # measured 0.0036
    ("rabinovich_fabrikant_dysts", 0.01, 0.02),  # the issue's case: cubic, dysts' a=1.1, γ=0.87; measured 0.0035
])
def test_default_library_search_finds_cubic_systems(name, noise, tol):
    system = SYSTEMS[name]
    series = simulate(name, n=4000, dt=system.extra["dt"], burn_in=system.extra["burn_in"], noise=noise, seed=0)
    model = SINDy(ensemble=5, random_state=0).fit(series)
    score = _raw_score(model, name)
    assert score["exact"] == len(system.variables), score["per_equation"]
    assert score["max_rel_coef_error"] < tol
    eq = next(f for f in model.findings() if isinstance(f, Equation))
    lib = eq.metrics["library"]
    assert (lib["degree"], lib["fourier"]) == (3, 0)
    # the runners-up are there, with their scores: degrees 1 and 2 lost
    degrees = {r["degree"] for r in eq.metrics["library_runners_up"]}
    assert {1, 2} <= degrees and all(not r["chosen"] for r in eq.metrics["library_runners_up"])
    assert all(e.metrics["reliable"] for e in model.findings() if isinstance(e, Equation))


def test_default_library_adds_fourier_terms_for_thomas():
    system = SYSTEMS["thomas"]
    series = simulate("thomas", n=4000, dt=0.1, burn_in=2000, seed=0)
    model = SINDy(ensemble=0, random_state=0).fit(series)
    score = _raw_score(model, "thomas")
    assert score["exact"] == 3 and score["max_rel_coef_error"] < 1e-6, score["per_equation"]
    chosen = next(r for r in model.library_search_ if r["chosen"])
    assert chosen["fourier"] >= 1
    assert len(system.variables) == 3


def test_lorenz_library_search_stays_small_and_quick(lorenz_series):
    model = SINDy(ensemble=0, simulation=False).fit(lorenz_series)
    # degree 1 then 2, where every held-out error is at the floor: nothing more is tried
    assert [(r["degree"], r["fourier"]) for r in model.library_search_] == [(1, 0), (2, 0)]
    assert _raw_score(model, "lorenz")["exact"] == 3


def test_library_size_cap():
    series = simulate("lorenz", n=500, dt=0.01, seed=0)
    with pytest.raises(ParameterError, match="degree 4 gives 35 library terms for 3 columns, more than max_library=30"):
        SINDy(degree=4, max_library=30, ensemble=0, simulation=False).fit(series)
    # the automatic search stops below the cap and says so
    van = simulate("van_der_pol", n=2000, dt=0.02, seed=0)
    with pytest.warns(DataWarning, match=r"degree 3 gives 10 library terms .* the degree search stopped there "
                                         r"\(degrees up to 2 tried, 1 chosen\)"):
        model = SINDy(max_library=9, ensemble=0, simulation=False).fit(van)
    assert max(r["degree"] for r in model.library_search_) == 2
    assert "max_library=9" in model.diagnostics_["library_search"]["stopped"]


def test_no_reliable_model_is_flagged_and_not_rationalized():
    rng = np.random.default_rng(0)
    t = np.arange(400.0)
    walk = np.cumsum(rng.standard_normal(400))  # a series that plainly varies, with no law to find
    noise = rng.standard_normal(400)  # a stationary, unpredictable series
    series = from_arrays(np.c_[walk, noise], t=t, names=["count", "temp"])
    model = SINDy(ensemble=5, random_state=0).fit(series)
    eqs = {f.variable: f for f in model.findings() if isinstance(f, Equation)}
    for var in ("count", "temp"):
        assert eqs[var].metrics["reliable"] is False, eqs[var].metrics
        assert eqs[var].metrics["unreliable_reason"]
        # the equation shown keeps the raw estimates (no rounding to fractions)
        assert not any(isinstance(a, sp.Rational) and not isinstance(a, sp.Integer)
                       for a in sp.preorder_traversal(eqs[var].rhs))
    if model.supports_[0].sum() == 0:
        assert "d(count)/dt = 0" in eqs["count"].metrics["unreliable_reason"]


def test_zero_equation_on_a_varying_series_is_flagged(lorenz_model):
    # the check itself: an empty support on a variable well above its noise, and a failed simulation
    model = clone(lorenz_model).set_params(ensemble=0)
    model.fit(simulate("lorenz", n=2000, dt=0.005, seed=0))
    assert model.unreliable_ == {}
    model.supports_ = model.supports_.copy()
    model.supports_[2] = False
    reasons = model._reliability(np.array([1e-6, 1e-6, 1e-6]))
    assert set(reasons) == {"z"} and "d(z)/dt = 0" in reasons["z"] and "varies" in reasons["z"]
    model.simulation_ = Simulation(np.arange(3.0), np.zeros((3, 3)), ("x", "y", "z"), method="sindy",
                                   failed_at=1.0, message="blow-up")
    assert set(model._reliability(np.array([1e-6, 1e-6, 1e-6]))) == {"x", "y", "z"}


def test_reliable_models_are_marked_reliable(lorenz_model):
    eqs = [f for f in lorenz_model.findings() if isinstance(f, Equation)]
    assert all(e.metrics["reliable"] is True and "unreliable_reason" not in e.metrics for e in eqs)
    assert all(e.metrics["held_out_error"] < 1e-4 for e in eqs)


def test_validation_simulation_runs_a_model_that_never_saw_the_held_out_rows(lorenz_series, lorenz_model):
    # the same supports refit on the training rows alone (the first 80 % of the trajectory) give the
    # simulated trajectory; the full-data refit (the equations shown) is not what is simulated
    from discover.sindy import preprocess

    sim = lorenz_model.simulation_
    assert sim.metrics["held_out"] is True and "training rows only" in sim.metrics["model"]
    tr = lorenz_series.trajectories[0]
    masks, _ = preprocess.validation_mask([len(tr)], 0.2)
    cut = int(np.argmax(masks[0]))
    assert sim.t[0] == tr.t[cut]
    train_only = Series((Trajectory(tr.t[:cut], tr.x[:cut]),), ("x", "y", "z"))
    ref = SINDy(degree=2, ensemble=0, simulation=False, validation_fraction=0.01).fit(train_only)
    assert (ref.supports_ == lorenz_model.supports_).all()
    again = ref.simulate(tr.x[cut], sim.t[:200])
    full = lorenz_model.simulate(tr.x[cut], sim.t[:200])
    d_train = np.abs(again.values - sim.values[:200]).max()
    d_full = np.abs(full.values - sim.values[:200]).max()
    assert d_train < 1e-4 and d_train < d_full


def test_scores_use_raw_coefficients_not_the_rounded_display():
    series = simulate("lorenz", n=4000, dt=0.005, burn_in=1000, noise=0.01, seed=0)
    model = SINDy(random_state=0).fit(series)
    eqs = [f for f in model.findings() if isinstance(f, Equation)]
    shown = score_equations({e.variable: e.rhs for e in eqs}, _truth("lorenz"))
    raw = score_equations(eqs, _truth("lorenz"))
    direct = _raw_score(model, "lorenz")
    assert raw["max_rel_coef_error"] == pytest.approx(direct["max_rel_coef_error"], rel=1e-9)
    assert raw["max_rel_coef_error"] > shown["max_rel_coef_error"]  # rounding flatters: shown is a display


def _rational_truth_error(model, truth: dict) -> float:
    """Largest gap between the found and the true right-hand sides over the data's range, relative."""
    from discover.findings import symbols_for

    table = symbols_for(model.variables_)
    syms = [table[v] for v in model.variables_]
    errs = []
    for j, var in enumerate(model.variables_):
        f = sp.lambdify(syms, model.raw_equations()[j])
        g = sp.lambdify(syms, sp.sympify(truth[var], locals=table))
        grid = np.random.default_rng(0).uniform(0.2, 3.0, size=(200, len(syms)))
        a, b = f(*grid.T), g(*grid.T)
        errs.append(float(np.max(np.abs(a - b)) / np.max(np.abs(b))))
    return max(errs)


def test_rational_implicit_form_recovers_michaelis_menten():
    # SINDy-PI's example: dx/dt = 0.6 - 1.5 x / (0.3 + x) = (0.6 - 3 x) / (1 + 10/3 x)
    from discover.systems import System, integrate

    sys_ = System("mm", ("x",), {"x": "0.6 - 1.5*x/(0.3 + x)"}, (2.0,))
    t = np.arange(400) * 0.01
    series = Series(tuple(Trajectory(t, integrate(sys_, t, (x0,))) for x0 in (0.05, 0.5, 1.0, 2.0, 3.0)), ("x",))
    model = SINDy(rational=True, ensemble=5, random_state=0).fit(series)
    x = sp.Symbol("x", real=True)
    num, den = sp.fraction(sp.together(model.raw_equations()[0]))
    assert sp.Poly(den, x).degree() == 1 and sp.Poly(num, x).degree() == 1
    assert _rational_truth_error(model, {"x": "0.6 - 1.5*x/(0.3 + x)"}) < 1e-5
    eq = next(f for f in model.findings() if isinstance(f, Equation))
    den_term = eq.uncertainty["denominator: x"]
    assert den_term["coefficient"] == pytest.approx(10 / 3, rel=1e-5)
    assert model.simulation_.failed_at is None and model.simulation_.metrics["rmse"] < 1e-5
    assert model.predict(np.array([[1.0]]))[0, 0] == pytest.approx(0.6 - 1.5 / 1.3, rel=1e-5)
    # without the implicit form the polynomial library cannot give it exactly
    plain = SINDy(ensemble=0, random_state=0).fit(series)
    assert _rational_truth_error(plain, {"x": "0.6 - 1.5*x/(0.3 + x)"}) > 1e-3


def test_rational_needs_the_strong_form():
    series = simulate("damped_oscillator", n=200, dt=0.01)
    with pytest.raises(ParameterError, match="pointwise derivatives"):
        SINDy(rational=True, formulation="weak").fit(series)
    with pytest.raises(ParameterError, match="discrete_time"):
        SINDy(rational=True, discrete_time=True).fit(series)


def test_wide_short_data_bound_the_library_and_are_flagged():
    # 8 columns x 203 rows (the shape of a quarterly macro table), random walks: the degree search stops
    # before a library larger than half the training rows, and no equation is called reliable
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal((203, 8)), axis=0) + 50
    series = from_arrays(x, t=np.arange(203.0), names=[f"c{i}" for i in range(8)])
    model = SINDy(ensemble=5, random_state=0).fit(series)
    assert "more than half the 162 training rows" in model.diagnostics_["library_search"]["stopped"]
    assert max(r["n_terms"] for r in model.library_search_) <= 81
    assert set(model.unreliable_) == set(series.variables)
