"""AL-RNN: the region analysis on a hand-built model, and brief training."""

import warnings

import numpy as np
import pytest
import sympy as sp

from discover.alrnn import codes, delay_embed
from discover.alrnn.model import ALRNNParams


@pytest.fixture
def two_region_map():
    """x' = 0.5 x + 1 ;  y' = -0.5 y - relu(y) + 1  (M=2, N=1, P=1).

    Region "0" (y <= 0): y' = -0.5 y + 1, fixed point y = 2/3 > 0: virtual.
    Region "1" (y > 0):  y' = -1.5 y + 1, fixed point y = 0.4 > 0: real, unstable (-1.5).
    The 2-cycle 1 -> 0: y = 2, -2 (in regions 1, 0: real), multiplier 0.75: stable.
    x has the fixed point 2 in both regions.
    """
    return ALRNNParams(A=np.array([0.5, -0.5]), W=np.array([[0.0, 0.0], [0.0, -1.0]]),
                       h=np.array([1.0, 1.0]), n_pwl=1, n_obs=1, L=np.array([[0.0]]), l=np.array([3.0]))


def test_regions_code_and_graph(two_region_map):
    p = two_region_map
    Z = p.run(p.initial_state(np.array([0.0])), 400)[200:]
    np.testing.assert_allclose(np.abs(Z[:, 1]), 2.0, atol=1e-9)
    seq = codes.symbols(p, Z)
    assert set(seq) == {"0", "1"}
    assert all(a != b for a, b in zip(seq[:-1], seq[1:]))
    assert codes.occupation(seq) == {"0": 0.5, "1": 0.5}
    g = codes.transition_graph(seq)
    assert sorted(g.edges()) == [("0", "1"), ("1", "0")]
    assert g["0"]["1"]["weight"] == 1.0 and g["1"]["0"]["weight"] == 1.0


def test_forced_state_replaces_the_observed_units(two_region_map):
    p = two_region_map
    z = p.forced_state(np.array([[0.0], [5.0], [7.0]]))
    # y starts at l = 3: y1 = -0.5*3 - relu(3) + 1 = -3.5, y2 = -0.5*(-3.5) - 0 + 1 = 2.75; x is forced to 7
    np.testing.assert_allclose(z, [7.0, 2.75])
    np.testing.assert_allclose(p.forced_state(np.array([[4.0]])), p.initial_state(np.array([4.0])))


def test_self_loops_kept_and_probabilities():
    g = codes.transition_graph(list("0001101"))
    assert g["0"]["0"]["weight"] == pytest.approx(2 / 4)
    assert g["0"]["1"]["weight"] == pytest.approx(2 / 4)
    assert g["1"]["1"]["weight"] == pytest.approx(1 / 2)
    assert g.nodes["0"]["occupation"] == pytest.approx(4 / 7)


def test_region_maps_fixed_points(two_region_map):
    p = two_region_map
    np.testing.assert_allclose(codes.region_matrix(p, "0"), [[0.5, 0.0], [0.0, -0.5]])
    np.testing.assert_allclose(codes.region_matrix(p, "1"), [[0.5, 0.0], [0.0, -1.5]])
    fp = {f["region"]: f for f in codes.fixed_points(p, ["0", "1"])}
    np.testing.assert_allclose(fp["0"]["point"], [2.0, 2 / 3])
    np.testing.assert_allclose(fp["1"]["point"], [2.0, 0.4])
    assert fp["0"]["real"] is False and fp["1"]["real"] is True
    assert fp["1"]["stable"] is False and fp["0"]["stable"] is True
    np.testing.assert_allclose(sorted(fp["1"]["eigenvalues"].real), [-1.5, 0.5])


def test_cycles(two_region_map):
    p = two_region_map
    found = codes.cycles(p, ["0", "1"], max_period=8)
    assert len(found) == 1
    c = found[0]
    assert c["regions"] == ("0", "1")
    np.testing.assert_allclose(c["points"], [[2.0, -2.0], [2.0, 2.0]])
    assert c["stable"] is True
    np.testing.assert_allclose(sorted(np.abs(c["multipliers"])), [0.25, 0.75])
    virtual = codes.cycles(p, ["0", "1"], max_period=3, only_real=False)
    assert {c["regions"] for c in virtual} == {("0", "1"), ("0", "0", "1"), ("0", "1", "1")}


def test_region_equations_in_data_units(two_region_map):
    eqs = codes.region_equations(two_region_map, "1", ["temp"], mean=[10.0], scale=[2.0])
    # temp' = 10 + 2 * (0.5 * (temp - 10) / 2 + 1) = 0.5 temp + 7
    assert sp.simplify(eqs["temp"] - (0.5 * sp.Symbol("temp") + 7)) == 0


def test_delay_embedding():
    x = np.arange(10.0)[:, None]
    e = delay_embed(x, 2, 3)
    np.testing.assert_array_equal(e[0], [6.0, 3.0, 0.0])
    assert e.shape == (4, 3)


# -- the estimator, briefly trained ------------------------------------------------------

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def lorenz_series():
    from discover.systems import simulate

    return simulate("lorenz", n=1500, dt=0.01, burn_in=500)


FAST = dict(n_latent=8, epochs=2, batches_per_epoch=3, batch_size=16, seq_len=50, eval_every=1,
            free_run=300, max_period=3)


def test_import_does_not_load_torch():
    import subprocess
    import sys

    code = "import sys, discover, discover.alrnn, discover.measures; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_fit_findings_and_reproducibility(lorenz_series):
    from discover.alrnn import ALRNN
    from discover.findings import Equation, Graph, Simulation, SymbolicCode

    a = ALRNN(n_pwl=2, random_state=3, **FAST).fit(lorenz_series)
    b = ALRNN(n_pwl=2, random_state=3, **FAST).fit(lorenz_series)
    np.testing.assert_array_equal(a.params_.W, b.params_.W)
    assert a.n_pwl_ == 2 and set(a.ladder_) == {2}
    assert 1 <= a.tau_ <= 50
    found = a.findings()
    code = next(f for f in found if isinstance(f, SymbolicCode))
    assert code.metrics["n_regions"] == len(code.alphabet) == len(set(a.sequence_))
    assert all(len(r) == 2 and set(r) <= {"0", "1"} for r in code.alphabet)
    graph = next(f for f in found if isinstance(f, Graph))
    assert graph.kind == "transition"
    for node in graph.graph:
        assert sum(d["weight"] for _, _, d in graph.graph.out_edges(node, data=True)) == pytest.approx(1.0)
    eqs = [f for f in found if isinstance(f, Equation)]
    assert len(eqs) == 3 * len(code.alphabet)
    assert {e.variable for e in eqs} == {"x", "y", "z"}
    assert all(e.kind == "affine-region" for e in eqs)
    assert {str(s) for s in eqs[0].rhs.free_symbols} <= {"x", "y", "z"} | {f"z{i}" for i in range(1, 6)}
    sim = next(f for f in found if isinstance(f, Simulation))
    # the run starts after the forced warm-up (a tenth of the 1500 samples), on the data there
    assert sim.values.shape == (1350, 3) and sim.t[0] == lorenz_series.trajectories[0].t[150]
    np.testing.assert_allclose(sim.values[0], lorenz_series.trajectories[0].x[150], rtol=1e-5, atol=1e-5)


def test_noisy_data_give_the_systems_exponent_and_a_short_tau():
    """With measurement noise of 30 %, ``lyapunov_data_`` stays near Lorenz-63's 0.906 while τ follows the
    observed series, which the noise makes unpredictable within a step (τ = 1).

    The exponent is Rosenstein's fitted from the step after the pairs were
    chosen (1.09 here); fitted through the noise's jump it is 106, the rate τ
    is taken from. Clean, the two agree and τ is the paper's 16.
    """
    from discover.alrnn import ALRNN
    from discover.systems import simulate

    noisy = simulate("lorenz", n=5000, dt=0.01, burn_in=500, noise=0.3, seed=0)
    m = ALRNN(n_pwl=1, random_state=0, **FAST).fit(noisy)
    assert m.lyapunov_data_ == pytest.approx(0.906, rel=0.3)
    assert m.observed_divergence_ > 50 * m.lyapunov_data_ and m.tau_ == 1
    clean = ALRNN(n_pwl=1, random_state=0, **{**FAST, "seq_len": 200}).fit(
        simulate("lorenz", n=20000, dt=0.01, burn_in=500, seed=0))
    assert clean.observed_divergence_ == pytest.approx(clean.lyapunov_data_, rel=0.05)
    assert clean.lyapunov_data_ == pytest.approx(0.906, rel=0.15) and 14 <= clean.tau_ <= 19


def test_a_limit_cycle_gets_the_slowest_tau_whatever_the_sign_of_its_round_off():
    """A periodic series diverges at no rate; Rosenstein's slope on it is round-off of either sign. Both signs
    get ``seq_len // 4``, four forcings per training sequence.

    Van der Pol's (mu = 1, dt 0.02) slope is +0.003 per time unit; τ was then
    ``round(0.15 / (λ dt))`` clipped to ``seq_len``, a whole sequence with
    no forcing (200 at the defaults), while a slope at or below zero got
    ``seq_len // 4``. At P = 2 and 120 s its free run had D_H 0.105 and
    D_stsp 7.3 against the data with τ = 200, 0.056 and 2.8 with τ = 50.
    """
    from scipy.integrate import solve_ivp

    from discover.alrnn import ALRNN
    from discover.data import Series, Trajectory

    dt = 0.02
    t = np.arange(12000) * dt
    x = solve_ivp(lambda _, s: [s[1], (1 - s[0] ** 2) * s[1] - s[0]], (0, t[-1]), [2.0, 0.0], t_eval=t,
                  rtol=1e-9, atol=1e-9).y.T[2000:]
    m = ALRNN(n_pwl=0, random_state=0, **{**FAST, "seq_len": 200}).fit(Series((Trajectory(t[:10000], x),), ("x", "y")))
    assert 0 < m.observed_divergence_ < 0.02 and m.tau_ == 50
    assert round(0.15 / (m.observed_divergence_ * dt)) > 200  # the rule alone would not force within a sequence


def test_ladder_records_each_p(lorenz_series):
    from discover.alrnn import ALRNN

    m = ALRNN(max_pwl=1, random_state=0, **FAST).fit(lorenz_series)
    assert set(m.ladder_) <= {0, 1} and 0 in m.ladder_
    assert all(np.isfinite(v["D_stsp"]) or v["D_stsp"] == np.inf for v in m.ladder_.values())
    best = min(v["criterion"] for v in m.ladder_.values())
    assert m.ladder_[m.n_pwl_]["criterion"] <= best * 1.1 + 0.05
    code = next(f for f in m.findings() if type(f).__name__ == "SymbolicCode")
    assert code.metrics["criterion"] == "D_stsp+D_H"  # the default, and the report says which chose P
    assert code.metrics["ladder_criterion"] == {str(P): v["criterion"] for P, v in m.ladder_.items()}
    for v in m.ladder_.values():
        if np.isfinite(v["criterion"]):
            assert v["criterion"] == pytest.approx(v["D_stsp"] + 10 * v["D_H"])


def _screening_result(P: int, d: float, M: int, epochs: int):
    """What a stand-in for ``_train_p`` gives back: a do-nothing model of P ReLU units with criterion ``d``."""
    from discover.alrnn.training import TrainResult

    params = ALRNNParams(A=np.full(M, 0.9), W=np.zeros((M, M)), h=np.zeros(M), n_pwl=P, n_obs=3,
                         L=np.zeros((M - 3, 3)), l=np.zeros(M - 3))
    scores = {"D_stsp": d, "D_H": 0.1}
    return TrainResult(params=params, best_divergence=d, best_epoch=epochs, epochs_run=epochs, seconds=1.0,
                       model_steps=100, history=[{"epoch": epochs, "loss": 0.1, "D_stsp": d}],
                       train_seconds=0.5, best_scores=scores, checkpoints=[(d, scores, params, epochs)])


def test_ladder_stops_after_two_values_without_gain_and_trains_the_chosen_p_on(lorenz_series, monkeypatch):
    """The rule on given criteria: P=2 and P=3 do not improve on P=1 by 5 %, so P=4 is never tried.

    The fewest within 10 % (+0.05) of the best is P=1, which then trains on from its parameters with the
    rest of the epochs; its continued criterion replaces the screening's when lower.
    """
    from discover.alrnn import ALRNN, estimator

    criteria = {0: 6.0, 1: 2.0, 2: 1.95, 3: 2.2, 4: 0.1}
    calls = []

    def fake(P, seed, trajectories, config, epochs, seconds, lr, lr_end, init):
        calls.append((P, epochs, init is not None, lr, lr_end))
        d = 1.5 if init is not None else criteria[P]
        return _screening_result(P, d, config["M"], epochs)

    monkeypatch.setattr(estimator, "_train_p", fake)
    m = ALRNN(n_latent=8, max_pwl=4, epochs=10, lr=1e-3, lr_end=1e-5, free_run=200, max_period=2,
              random_state=0).fit(lorenz_series)
    assert [c[0] for c in calls] == [0, 1, 2, 3, 1]
    assert set(m.ladder_) == {0, 1, 2, 3} and m.n_pwl_ == 1
    screen, more = calls[1], calls[-1]
    assert screen[1] == 5 and not screen[2] and more[1] == 5 and more[2]
    assert screen[4] == pytest.approx(1e-4) and more[3] == pytest.approx(1e-4) and more[4] == 1e-5
    row = m.ladder_[1]
    assert row["criterion"] == 1.5 and row["epochs"] == 10 and row["continued_epochs"] == 5
    assert [r["epoch"] for r in row["history"]] == [5, 10] and row["history"][1]["continued"]


@pytest.mark.parametrize("criteria,tried,pick", [
    # a 2-worker run's screening (noise 0.02, seed 0): P=2 is the second miss, but P=3 beside it gains
    ({0: 8.445, 1: 8.364, 2: 9.408, 3: 4.568, 4: 4.0, 5: 4.5}, [0, 1, 2, 3, 4, 5], 4),
    # both miss: the ladder stops, and P=0 is within 10 % + 0.05 of the best (8.364)
    ({0: 8.445, 1: 8.364, 2: 9.408, 3: 8.5, 4: 4.0, 5: 4.5}, [0, 1, 2, 3], 0),
])
def test_a_gain_beside_the_last_miss_in_a_group_keeps_the_ladder_going(lorenz_series, monkeypatch, criteria,
                                                                      tried, pick):
    """With two workers P=2 and P=3 are screened together; the stop is judged on both of their criteria."""
    from discover.alrnn import ALRNN, estimator

    calls = []

    def fake(P, seed, trajectories, config, epochs, seconds, lr, lr_end, init):
        calls.append(P)
        d = criteria[P]
        return _screening_result(P, d, config["M"], epochs)

    monkeypatch.setattr(estimator, "_train_p", fake)
    monkeypatch.setattr(estimator, "parallel_map", lambda f, items, **kw: [f(*item) for item in items])
    m = ALRNN(n_latent=8, max_pwl=5, epochs=10, n_jobs=2, free_run=200, max_period=2,
              random_state=0).fit(lorenz_series)
    assert sorted(m.ladder_) == tried
    assert calls[:len(tried)] == tried
    assert m.n_pwl_ == pick


@pytest.mark.parametrize("second,expected", [(0.5, 2), (1.45, 1)])
def test_spare_workers_train_the_next_best_p_on_and_the_pick_is_made_again(lorenz_series, monkeypatch, second,
                                                                           expected):
    """With two workers the pick (P=1) and the next best by criterion (P=2) both train on.

    P=1 reaches 1.5. When P=2 reaches 0.5, P=1 is no longer within 10 % + 0.05 of the best (0.6): P=2 is
    chosen. When P=2 reaches only 1.45, P=1 is (1.5 <= 1.645) and stays the pick.
    """
    from discover.alrnn import ALRNN, estimator

    criteria = {0: 6.0, 1: 2.0, 2: 1.95, 3: 2.2}
    continued = {1: 1.5, 2: second}
    calls = []

    def fake(P, seed, trajectories, config, epochs, seconds, lr, lr_end, init):
        calls.append((P, init is not None))
        d = continued[P] if init is not None else criteria[P]
        return _screening_result(P, d, config["M"], epochs)

    monkeypatch.setattr(estimator, "_train_p", fake)
    monkeypatch.setattr(estimator, "parallel_map", lambda f, items, **kw: [f(*item) for item in items])
    m = ALRNN(n_latent=8, max_pwl=3, epochs=10, n_jobs=2, free_run=200, max_period=2,
              random_state=0).fit(lorenz_series)
    assert calls == [(0, False), (1, False), (2, False), (3, False), (1, True), (2, True)]
    assert m.n_pwl_ == expected
    assert m.ladder_[1]["criterion"] == 1.5 and m.ladder_[2]["criterion"] == second
    assert m.ladder_[1]["continued_epochs"] == m.ladder_[2]["continued_epochs"] == 5
    assert "continued_epochs" not in m.ladder_[3]


def _fixed_model(monkeypatch, A, h=0.0):
    """Replace training by a model with diagonal ``A`` and no coupling (criterion 2.0 for every P)."""
    from discover.alrnn import estimator
    from discover.alrnn.training import TrainResult

    def fake(P, seed, trajectories, config, epochs, seconds, lr, lr_end, init):
        M = config["M"]
        params = ALRNNParams(A=np.full(M, A), W=np.zeros((M, M)), h=np.full(M, h), n_pwl=P, n_obs=config["N"],
                             L=np.zeros((M - config["N"], config["N"])), l=np.zeros(M - config["N"]))
        return TrainResult(params=params, best_divergence=2.0, best_epoch=epochs, epochs_run=epochs, seconds=1.0,
                           model_steps=100, best_scores={"D_stsp": 2.0, "D_H": 0.1})

    monkeypatch.setattr(estimator, "_train_p", fake)


def test_a_free_run_that_settles_where_the_data_vary_is_reported(lorenz_series, monkeypatch):
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    _fixed_model(monkeypatch, 0.9)  # contracts to 0 from anywhere
    with pytest.warns(DataWarning, match="settles to a fixed point .* does not reconstruct"):
        m = ALRNN(n_pwl=1, **FAST).fit(lorenz_series)
    code = next(f for f in m.findings() if type(f).__name__ == "SymbolicCode")
    assert code.metrics["free_run"] == "settles"


def test_a_damped_series_may_settle_without_a_warning(monkeypatch):
    import warnings

    from discover.alrnn import ALRNN
    from discover.data import Series, Trajectory

    t = np.arange(3000) * 0.01  # decays to e^-9 of its start
    x = np.exp(-0.3 * t)[:, None] * np.column_stack([np.cos(3 * t), np.sin(3 * t), np.cos(3 * t + 1)])
    _fixed_model(monkeypatch, 0.997)  # decays like the data, to e^-9 over their 3000 samples
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=UserWarning)
        m = ALRNN(n_pwl=1, **{**FAST, "free_run": 5000}).fit(Series((Trajectory(t, x),), ("a", "b", "c")))
    # the model settles as the data do: said in the finding, not warned about
    assert next(f for f in m.findings() if type(f).__name__ == "SymbolicCode").metrics["free_run"] == "settles"


def test_a_free_run_that_blows_up_is_an_error_not_a_code(lorenz_series, monkeypatch):
    from discover.alrnn import ALRNN
    from discover.errors import MethodError

    _fixed_model(monkeypatch, 1.01, h=0.1)  # grows without bound
    with pytest.raises(MethodError, match="does not reconstruct these data: its free run leaves 10 times"):
        ALRNN(n_pwl=1, **FAST).fit(lorenz_series)


def test_checkpoints_of_a_short_series_must_stay_bounded_past_its_end(two_region_map):
    from discover.alrnn.training import checkpoint_scores, stays_bounded

    x = np.linspace(-2.0, 2.0, 60)[:, None]
    assert stays_bounded(two_region_map, [(x, None)], length=5000)
    growing = ALRNNParams(A=np.array([1.002]), W=np.zeros((1, 1)), h=np.array([0.001]), n_pwl=0, n_obs=1)
    # within the data's 60 samples the run barely moves; over 5000 steps it leaves 10 times their range
    assert not stays_bounded(growing, [(x, None)], length=5000)
    assert checkpoint_scores(growing, [(x, None)], length=5000)["D_stsp"] == np.inf
    assert np.isfinite(checkpoint_scores(two_region_map, [(x, None)], length=5000)["D_stsp"])
    # a series as long as the check is judged by its windows alone
    assert stays_bounded(growing, [(np.linspace(-2.0, 2.0, 6000)[:, None], None)], length=5000)


def test_a_checkpoint_whose_run_leaves_the_datas_range_scores_inf_though_it_stays_finite(two_region_map):
    """The windows' runs are held to the bound the fitted model's coded run is (10 times the data's largest
    magnitude), not only to an overflow: a model that runs to a fixed point at 50 times the data's range is no
    reconstruction, and keeping it would leave the fit with a model its analysis must refuse."""
    from discover.alrnn.model import BLOW_UP
    from discover.alrnn.training import checkpoint_scores, free_runs

    x = np.linspace(-2.0, 2.0, 6000)[:, None]  # as long as the windows: judged by them alone
    far = ALRNNParams(A=np.array([0.5]), W=np.zeros((1, 1)), h=np.array([50.0]), n_pwl=0, n_obs=1)
    runs, _ = free_runs(far, [(x, None)], length=5000)
    assert np.all(np.isfinite(runs)) and np.max(np.abs(runs)) > BLOW_UP * 2.0  # finite, but 50 times out
    scores = checkpoint_scores(far, [(x, None)], length=5000)
    assert scores["D_stsp"] == np.inf and scores["D_H"] == 1.0
    assert np.isfinite(checkpoint_scores(two_region_map, [(x, None)], length=5000)["D_stsp"])


def _rotation(radius: float, period: float) -> ALRNNParams:
    """A linear AL-RNN (P = 0, M = N = 2) that turns the plane by 2π/period a step and scales it by radius."""
    c, s = radius * np.cos(2 * np.pi / period), radius * np.sin(2 * np.pi / period)
    return ALRNNParams(A=np.array([c, c]), W=np.array([[0.0, -s], [s, 0.0]]), h=np.zeros(2), n_pwl=0, n_obs=2,
                       L=np.zeros((0, 2)), l=np.zeros(0))


def _noisy_cycle(n: int, period: float = 11.0, seed: int = 0) -> np.ndarray:
    """A standardised cycle of ``period`` samples, its amplitude and position jittered by 10 %."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 2 * np.pi / period
    x = np.c_[np.cos(t), np.sin(t)] * (1 + 0.1 * rng.standard_normal((n, 1))) + 0.1 * rng.standard_normal((n, 2))
    return (x - x.mean(0)) / x.std(0)


def test_criterion_bins_keep_five_samples_a_cell():
    from discover.alrnn.training import criterion_bins
    from discover.systems import simulate

    lorenz = simulate("lorenz", n=20000, dt=0.01, burn_in=1000).trajectories[0].x
    assert criterion_bins((lorenz - lorenz.mean(0)) / lorenz.std(0)) == 30  # the paper's bins where data abound
    for n in (300, 1000):
        x = _noisy_cycle(n)
        b = criterion_bins(x)
        assert 2 <= b < 30
        cells = len(np.unique(np.minimum(np.floor((x - x.min(0)) / (x.max(0) - x.min(0)) * b), b - 1), axis=0))
        assert n / cells >= 5
        finer = np.minimum(np.floor((x - x.min(0)) / (x.max(0) - x.min(0)) * (b + 1)), b)
        assert n / len(np.unique(finer, axis=0)) < 5  # the most bins that keep five a cell


def test_a_short_record_is_compared_with_the_models_long_term_run():
    """300 samples of a cycle: the model that keeps it scores better than one that rings down after the record.

    Over the record's span the damped rotation (3 % a step) still turns, and with the windows alone the two
    scored within 2 % of each other (9.50 and 9.60); past the record the damped one has settled (17.4).
    """
    from discover.alrnn.training import _criterion, checkpoint_scores

    data = [(_noisy_cycle(300), None)]
    keeps = checkpoint_scores(_rotation(1.0, 11.0), data, 20000, 5)
    settles = checkpoint_scores(_rotation(0.97, 11.0), data, 20000, 5)
    slower = checkpoint_scores(_rotation(1.0, 30.0), data, 20000, 5)
    assert keeps["D_H"] < 0.15 and settles["D_H"] > 0.5 and slower["D_H"] > 0.5
    c = {k: _criterion(v, "D_stsp+D_H") for k, v in (("keeps", keeps), ("settles", settles), ("slower", slower))}
    assert c["keeps"] < 0.8 * min(c["settles"], c["slower"])
    # a record that dies out is judged by its windows: the model that decays as it does scores best
    t = np.arange(300)
    damped = np.c_[np.cos(t * 2 * np.pi / 11), np.sin(t * 2 * np.pi / 11)] * 0.995 ** t[:, None]
    from discover.alrnn.training import record_goes_on

    assert not record_goes_on(damped) and record_goes_on(data[0][0])
    as_damped = _criterion(checkpoint_scores(_rotation(0.995, 11.0), [(damped, None)], 20000, 5), "D_stsp+D_H")
    sustained = _criterion(checkpoint_scores(_rotation(1.0, 11.0), [(damped, None)], 20000, 5), "D_stsp+D_H")
    assert as_damped < 0.5 * sustained
    # a record as long as the run is judged by its windows: the same rotation scores alike on them
    long = [(_noisy_cycle(30000), None)]
    assert checkpoint_scores(_rotation(1.0, 11.0), long, 20000, 5)["D_H"] < 0.15
    # how much the runs still vary, in the data's standard deviations: a cycle near the data's size (a rotation
    # keeps the radius it starts from) near 1, a run that came to rest about 0 (on the windows of a long
    # record, and past a short one)
    assert 0.5 < keeps["spread"] < 1.5 and settles["spread"] < 1e-3
    assert 0.5 < checkpoint_scores(_rotation(1.0, 11.0), long, 20000, 5)["spread"] < 1.5
    assert checkpoint_scores(_rotation(0.97, 11.0), long, 20000, 5)["spread"] < 1e-3


def test_ladder_rule_pieces():
    import math

    from discover.alrnn.estimator import ladder_pick, ladder_stopped

    assert not ladder_stopped([3.0, 2.9])  # 3 % better is not the 5 % a gain needs: one miss
    assert ladder_stopped([3.0, 2.9, 2.86])  # two in a row below 5 % better than 3.0
    assert not ladder_stopped([3.0, 2.9, 2.8])  # 2.8 is 7 % better: the misses start again
    assert ladder_stopped([3.0, 2.9, 2.8, 3.5, math.inf])  # a run that blew up is a miss
    assert not ladder_stopped([math.inf, math.inf, 3.0])
    # within 10 % + 0.05 of the best (1.0): 1.14 is, 1.16 is not; the fewest ReLU units of those
    assert ladder_pick({0: 5.0, 1: 1.16, 2: 1.14, 3: 1.0}, 0.1) == 2
    assert ladder_pick({0: 5.0, 1: 1.16, 2: 1.2, 3: 1.0}, 0.1) == 3
    assert ladder_pick({0: math.inf, 1: math.inf}, 0.1) == 0  # nothing reconstructs: the fewest
    # while every P so far failed (came to rest where the data vary, or blew up) the misses do not stop it
    assert not ladder_stopped([7.65, 7.52, 7.59], [True, True, True])
    assert not ladder_stopped([7.65, math.inf, 7.59], [True, True, True])
    assert ladder_stopped([7.65, 7.52, 7.59], [False, False, False])
    # nor while the best so far failed: a P that varies but does not beat it by 5 % is a miss that says nothing
    assert not ladder_stopped([7.65, 7.52, 7.59], [True, False, True])
    assert not ladder_stopped([10.45, math.inf, 14.36], [True, True, False])  # ECG in means of 4, 600 s
    assert not ladder_stopped([7.0, 6.0, 6.5, 6.9], [False, True, False, False])  # a failure became the best
    assert ladder_stopped([7.65, 7.0, 7.2, 7.1], [True, False, True, False])  # a P that varies is the best: usual
    # near the best, the fewest units whose run did not fail; where all failed, the fewest of them
    assert ladder_pick({0: 7.65, 1: 7.52, 2: 7.59, 3: 7.0}, 0.1, {0: True, 1: True, 2: True, 3: False}) == 3
    assert ladder_pick({0: 7.65, 1: 7.52, 2: 7.59, 3: 7.0}, 0.1, {0: True, 1: False, 2: True, 3: False}) == 1
    assert ladder_pick({0: 7.65, 1: 7.52, 2: 7.59, 3: 7.0}, 0.1, {P: True for P in range(4)}) == 0
    # a P that varies but is far from the best is not preferred over near-best ones that failed
    assert ladder_pick({0: 7.0, 1: 20.0}, 0.1, {0: True, 1: False}) == 0


def test_ladder_in_worker_processes_matches_one_process(lorenz_series):
    from discover.alrnn import ALRNN

    opts = dict(max_pwl=2, random_state=0, **FAST)
    a = ALRNN(**opts).fit(lorenz_series)
    b = ALRNN(n_jobs=2, **opts).fit(lorenz_series)
    assert set(a.ladder_) == set(b.ladder_)
    def scores(P, m):  # the checkpoints' scores (the rows also hold timings)
        return [(r["epoch"], r["loss"], r.get("D_stsp"), r.get("D_H")) for r in m.ladder_[P]["history"]]

    for P in a.ladder_:  # the screening is the same; two workers also train the runner-up on
        assert scores(P, a) == scores(P, b)[:len(scores(P, a))]
    pick = a.n_pwl_  # with one worker only the pick trains on, with the same seed as beside the runner-up
    assert "continued_epochs" in a.ladder_[pick] and "continued_epochs" in b.ladder_[pick]
    assert scores(pick, a) == scores(pick, b)
    assert sum("continued_epochs" in row for row in b.ladder_.values()) == 2
    if b.n_pwl_ == pick:
        np.testing.assert_array_equal(a.params_.W, b.params_.W)


def test_scalar_series_is_delay_embedded_and_inputs_and_groups():
    from discover.alrnn import ALRNN
    from discover.data import from_arrays

    t = np.arange(800) * 0.05
    rng = np.random.default_rng(0)
    u = np.sin(0.3 * t)[:, None]
    xs = [np.sin(t + k) + 0.5 * u[:, 0] + 0.01 * rng.normal(size=len(t)) for k in range(2)]
    s = from_arrays([x[:, None] for x in xs], t=[t, t], names=["count"], u=[u, u], input_names=["rain"])
    m = ALRNN(n_pwl=1, random_state=0, **FAST).fit(s)
    assert m.n_delays_ == 2 and m.observed_[0] == "count" and m.observed_[1].startswith("count_lag")
    eqs = m.region_equations(m.regions_[0])
    assert "rain" in {str(v) for v in eqs["count"].free_symbols}
    sim = m.simulate(100, series=s, trajectory=1)
    assert sim.shape == (100, 1)


def test_bad_options_are_named(lorenz_series):
    from discover.alrnn import ALRNN
    from discover.errors import DataError, ParameterError

    with pytest.raises(ParameterError, match="'forcing' parameter of ALRNN"):
        ALRNN(forcing="full").fit(lorenz_series)
    with pytest.raises(DataError, match="n_latent=2"):
        ALRNN(n_latent=2, n_pwl=0, **{k: v for k, v in FAST.items() if k != "n_latent"}).fit(lorenz_series)


@pytest.mark.parametrize("level", [-2.0, 3.0])
def test_recentred_relu_unit_keeps_the_map(level):
    """A ReLU unit always off (level -2) or always on (+3) is shifted to its median; the
    observed part of every step is unchanged on states where the unit keeps its sign."""
    import torch

    from discover.alrnn.model import ALRNNModule
    from discover.alrnn.training import recentre_relu_units

    torch.manual_seed(0)
    module = ALRNNModule(6, 2, 1, gen=torch.Generator().manual_seed(0))
    with torch.no_grad():
        module.W.normal_(0, 0.3)
        module.l.normal_(0, 0.3)
    Z = torch.randn(500, 6)
    Z[:, -1] = level + 0.3 * torch.randn(500)
    x0 = torch.randn(4, 2)
    before = [module.step(Z).detach(), module.initial_state(x0).detach()]
    c = float(Z[:, -1].median())
    assert recentre_relu_units(module, Z) == [5]
    Zs = Z.clone()
    Zs[:, -1] -= c
    after = module.step(Zs).detach()
    same = (Zs[:, -1] > 0) == (Z[:, -1] > 0)
    assert 200 < int(same.sum()) < 300
    torch.testing.assert_close(after[same, :5], before[0][same, :5], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(after[same, 5], before[0][same, 5] - c, atol=1e-5, rtol=1e-5)
    assert float((after[~same, :5] - before[0][~same, :5]).abs().max()) > 1e-2  # elsewhere it is a new region
    torch.testing.assert_close(module.initial_state(x0)[:, 5], before[1][:, 5] - c, atol=1e-6, rtol=1e-6)
    assert 0.4 < float((Zs[:, -1] > 0).float().mean()) < 0.6
    assert recentre_relu_units(module, Zs) == []  # now on for about half the states: left alone


@pytest.mark.parametrize("forcing,n_inputs", [("sparse", 0), ("generalized", 2)])
def test_written_out_gradients_equal_autograd(forcing, n_inputs):
    """The NumPy backpropagation through time gives torch autograd's loss and gradients."""
    import torch

    from discover.alrnn.model import ALRNNModule
    from discover.alrnn.training import _forward_backward

    m = ALRNNModule(7, 3, 2, n_inputs, gen=torch.Generator().manual_seed(1)).double()
    with torch.no_grad():
        m.W.normal_(0, 0.3)
        m.h.normal_(0, 0.2)
        m.l.normal_(0, 0.3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 30, 3))
    Xf = X + 0.1 * rng.normal(size=X.shape)
    U = rng.normal(size=(5, 30, n_inputs)) if n_inputs else None
    alpha, tau = 0.3, 4
    Xt, Xft = torch.tensor(X), torch.tensor(Xf)
    z, preds = m.initial_state(Xt[:, 0]), []
    for s in range(29):
        if forcing == "sparse" and s > 0 and s % tau == 0:
            z = torch.cat([Xft[:, s], z[:, 3:]], 1)
        elif forcing == "generalized" and s > 0:
            z = torch.cat([alpha * Xft[:, s] + (1 - alpha) * z[:, :3], z[:, 3:]], 1)
        z = m.step(z, None if U is None else torch.tensor(U[:, s + 1]))
        preds.append(z[:, :3])
    loss = torch.mean((torch.stack(preds, 1) - Xt[:, 1:]) ** 2)
    loss.backward()
    values = {k: None if getattr(m, k) is None else getattr(m, k).detach().numpy() for k in "A W h L l C".split()}
    ours, grads, states = _forward_backward(**values, X=X, Xf=Xf, U=U, N=3, P=2, tau=tau, forcing=forcing,
                                            alpha=alpha)
    assert ours == pytest.approx(float(loss.detach()), rel=1e-12)
    assert set(grads) == {"A", "W", "h", "L", "l"} | ({"C"} if n_inputs else set())
    for k, g in grads.items():
        np.testing.assert_allclose(g, getattr(m, k).grad.numpy(), rtol=1e-10, atol=1e-13)
    assert states.shape == (29, 5, 7)


def test_generalized_forcing_trains(lorenz_series):
    from discover.alrnn import ALRNN

    m = ALRNN(n_pwl=1, forcing="generalized", tau=5, random_state=0, **FAST).fit(lorenz_series)
    assert m.tau_ == 5 and np.isfinite(m.params_.W).all()


def test_checkpoint_runs_from_several_starts(two_region_map):
    """The map's own orbit as data: every forced free run follows it, so both measures are 0."""
    from discover.alrnn.training import _starts, checkpoint_scores, free_runs

    p = two_region_map
    Z = p.run(p.initial_state(np.array([0.0])), 3000)[1000:]
    data = [(Z[:, :1], None), (Z[:1200, :1], None)]
    starts, n = _starts(data, 500, 4, 200)
    assert n == 500 and len(starts) == 4
    assert all(i >= 200 and i + n <= len(data[k][0]) for k, i in starts)
    gen, windows = free_runs(p, data, 500, n_starts=4)
    assert gen.shape == windows.shape == (4 * 500, 1)
    np.testing.assert_allclose(gen, windows, atol=1e-9)
    scores = checkpoint_scores(p, data, 500, n_starts=4)
    assert scores["D_stsp"] == pytest.approx(0.0, abs=1e-9) and scores["D_H"] == pytest.approx(0.0, abs=1e-6)
    blown = ALRNNParams(A=np.array([2.0, 0.5]), W=np.zeros((2, 2)), h=np.zeros(2), n_pwl=1, n_obs=1,
                        L=np.zeros((1, 1)), l=np.zeros(1))
    assert checkpoint_scores(blown, [(np.linspace(1, 2, 3000)[:, None], None)], 2000) == {
        "D_stsp": np.inf, "D_H": 1.0, "regions": 1, "spread": np.inf}
    assert scores["regions"] == 2


def test_regions_visited_counts_sign_patterns(two_region_map):
    from discover.alrnn.codes import regions_visited

    p = two_region_map
    Z = p.run(p.initial_state(np.array([0.0])), 400)[200:]
    assert regions_visited(p, Z) == 2
    assert regions_visited(p, Z[Z[:, 1] > 0]) == 1
    with_nan = np.vstack([Z[Z[:, 1] > 0], [[np.nan, -1.0]]])  # a blown-up row counts nowhere
    assert regions_visited(p, with_nan) == 1
    linear = ALRNNParams(A=np.array([0.5, 0.5]), W=np.zeros((2, 2)), h=np.zeros(2), n_pwl=0, n_obs=1)
    assert regions_visited(linear, Z) == 1


def test_select_checkpoint_breaks_ties_within_the_tolerance():
    """Criteria 1.0, 1.08, 1.2, 1.14: within 10 % + 0.05 of the best (1.15) are 1.0, 1.08 and 1.14."""
    from discover.alrnn.estimator import select_checkpoint

    cps = [(c, {"D_stsp": c, "D_H": dh, "regions": r}, None, epoch)
           for epoch, (c, dh, r) in enumerate([(1.0, 0.2, 4), (1.08, 0.05, 3), (1.2, 0.01, 2), (1.14, 0.1, 2)])]
    assert select_checkpoint(cps, 0.1, None)[3] == 0
    assert select_checkpoint(cps, 0.1, "D_H")[3] == 1  # 1.2's lower D_H is out of the tolerance
    assert select_checkpoint(cps, 0.1, "regions")[3] == 3  # 2 regions; the other 2-region one is out
    assert select_checkpoint(cps, 0.0, "D_H")[3] == 0  # 1.05: only the best
    with pytest.raises(ValueError):
        select_checkpoint(cps, 0.1, "loss")


def test_model_lyapunov_of_a_linear_map():
    """P = 0 and W strictly lower triangular: the map's eigenvalues are A's, so the largest exponent is
    log(0.98) / dt (the second unit's); with 1.02 there instead the run leaves 1e8 and gives NaN."""
    from discover.alrnn.estimator import model_lyapunov

    W = np.array([[0.0, 0, 0], [0.3, 0, 0], [0.2, -0.4, 0]])
    p = ALRNNParams(A=np.array([0.9, 0.98, 0.5]), W=W, h=np.zeros(3), n_pwl=0, n_obs=3)
    assert model_lyapunov(p, np.ones(3), dt=0.1, n_steps=20000, burn=10) == pytest.approx(np.log(0.98) / 0.1,
                                                                                           rel=0.01)
    p.A[1] = 1.02
    assert np.isnan(model_lyapunov(p, np.ones(3), dt=0.1, n_steps=2000, burn=10))  # 1.02^2000 leaves 1e8


def test_exponents_of_data_and_model_at_comparable_length(lorenz_series):
    """The data's exponent is estimated with tau given too; the model's runs on past the coded free run
    (300 steps) to as many steps as the data's estimate had samples (1500)."""
    from discover.alrnn import ALRNN
    from discover.alrnn.estimator import model_lyapunov

    m = ALRNN(n_pwl=1, tau=10, random_state=0, **FAST).fit(lorenz_series)
    assert len(m.free_run_) == 300 and 0.3 < m.lyapunov_data_ < 3  # Lorenz-63: 0.91; 15 time units of data
    z0, w = m.params_.start_state((lorenz_series.trajectories[0].x - m.mean_) / m.scale_)
    assert w == 150  # a tenth of the 1500 samples, under the 200 at most
    assert m.lyapunov_ == pytest.approx(model_lyapunov(m.params_, z0, m.dt_, n_steps=1500, burn=100))
    metrics = next(f for f in m.findings() if type(f).__name__ == "SymbolicCode").metrics
    assert metrics["lyapunov_data"] == m.lyapunov_data_ and metrics["lyapunov_model"] == m.lyapunov_


def test_start_exponents_tell_the_attractor_each_start_ends_on():
    """z' = 0.5 z + 1.5 relu(z): from z <= 0 a run contracts onto 0 (exponent log 0.5 / dt), from z > 0 it
    doubles each step and blows up (NaN)."""
    from discover.alrnn.estimator import start_exponents

    p = ALRNNParams(A=np.array([0.5]), W=np.array([[1.5]]), h=np.zeros(1), n_pwl=1, n_obs=1)
    x = np.linspace(-1, 1, 101)[:, None]
    lam = start_exponents(p, [(x, None)], n_starts=21, n_steps=400, dt=0.1)
    assert len(lam) == 21
    starts = np.linspace(10, 100, 21).round().astype(int)  # after the 10-sample warm-up (a tenth of 101)
    assert np.all(np.isnan(lam[x[starts, 0] > 0]))
    assert lam[x[starts, 0] <= 0] == pytest.approx(np.log(0.5) / 0.1)


def _tent_data() -> np.ndarray:
    """400 states of the tent map z' = 1.9 z - 3.8 relu(z) + 0.5 on its chaotic orbit (so a run of the map has
    the data's rhythm), then 100 states beyond [-0.45, 0.5], from each of which the map blows up."""
    orbit = [0.1]
    for _ in range(499):
        orbit.append(1.9 * orbit[-1] - 3.8 * max(orbit[-1], 0.0) + 0.5)
    rng = np.random.default_rng(0)
    beyond = rng.choice([-1.0, 1.0], 100) * rng.uniform(0.6, 0.9, 100)
    return np.concatenate([orbit[100:], beyond])[:, None]


def test_a_second_attractor_is_warned_about():
    """A tent map (slopes 1.9 and -1.9) is chaotic on [-0.45, 0.5] and blows up from outside it: runs from
    the data's states beyond it are counted and warned about, and the coded run's exponent is log 1.9."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    p = ALRNNParams(A=np.array([1.9]), W=np.array([[-3.8]]), h=np.array([0.5]), n_pwl=1, n_obs=1)
    m = ALRNN(free_run=2000, max_period=2)
    m.params_, m.n_pwl_, m.dt_, m.divergence_ = p, 1, 1.0, 0.0
    x = _tent_data()
    with pytest.warns(DataWarning, match="blow up"):
        m._analyse([(x, None)])
    assert m.lyapunov_ == pytest.approx(np.log(1.9), abs=0.05)
    r = m.runs_from_data_
    assert r["runs"] == 32 and r["steps"] == 4000 and r["non_chaotic"] == 0 and 3 <= r["blow_up"] <= 10
    m.params_ = ALRNNParams(A=np.array([1.9]), W=np.array([[-3.8]]), h=np.array([0.5]), n_pwl=1, n_obs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m._analyse([(x[:400], None)])  # every state inside: no warning
    assert m.runs_from_data_["blow_up"] == 0


def _ellipse_map(theta: float = 0.1) -> ALRNNParams:
    """P = 0 and A + W = S R S^-1 with R a rotation by ``theta`` and S = diag(1, 3): every orbit turns on an
    ellipse of axes 1 : 3, neither growing nor shrinking, at speeds that change threefold along it."""
    c, s = np.cos(theta), np.sin(theta)
    return ALRNNParams(A=np.array([c, c]), W=np.array([[0.0, -s / 3], [3 * s, 0.0]]), h=np.zeros(2), n_pwl=0,
                       n_obs=2)


def test_a_cycle_is_not_taken_for_chaos():
    """On a neutral cycle the estimated exponent reads a little above or below 0 (the tangent vector's length
    follows the speed along the ellipse). Within the bound that the speeds set, it is no evidence of chaos: no
    run from the data counts as chaotic, and the coded run is not searched for a second attractor. The tent
    map's chaos (test_a_second_attractor_is_warned_about) still is."""
    from discover.alrnn import ALRNN
    from discover.alrnn.estimator import chaotic_run, neutral_bound, start_exponents

    p = _ellipse_map()
    x = p.run(np.array([1.0, 0.0]), 2000)
    bound = neutral_bound(x[-500:], dt=0.1)
    assert bound == pytest.approx(np.log(3) / 50, rel=0.01)  # speeds 1 to 3 over 500 steps of 0.1
    lam = start_exponents(p, [(x, None)], n_starts=32, n_steps=2000, dt=0.1)
    assert np.all(lam <= 0) and np.all(lam > -bound)
    # with a ReLU unit that copies the first and feeds nothing, the run visits two regions and its exponent
    # over the coded run reads +0.004 (the tangent's way onto the cycle): before the bound, all 32 runs from
    # the data were said to leave for a second, non-chaotic attractor
    c, s = np.cos(0.1), np.sin(0.1)
    two = ALRNNParams(A=np.array([c, c, 0.0]), W=np.array([[0.0, -s / 3, 0.0], [3 * s, 0.0, 0.0], [1.0, 0.0, 0.0]]),
                      h=np.zeros(3), n_pwl=1, n_obs=2, L=np.zeros((1, 2)), l=np.zeros(1))
    m = ALRNN(free_run=2500, max_period=2)
    m.params_, m.n_pwl_, m.dt_, m.divergence_ = two, 1, 0.1, 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m._analyse([(x, None)])
    assert m.regions_ == ["0", "1"] and m.lyapunov_ > 0 and m.free_run_status_ == "varies"
    assert not chaotic_run(two, m.free_run_, 0.1) and m.runs_from_data_ is None


def test_rhythm_distance_tells_a_rhythm_from_the_noise_of_a_short_record():
    """Two stretches of one noise-driven AR(2) oscillation (period about 10 samples) stay well below the warning's
    0.3 even at 300 samples, and one of period 4 samples is far above it."""
    from discover.alrnn.estimator import UNLIKE_SPECTRUM, rhythm_distance
    from discover.measures import hellinger_spectrum_distance

    rng = np.random.default_rng(0)

    def ar2(n, a1, a2=-0.9):
        x = np.zeros(n + 200)
        for k in range(2, n + 200):
            x[k] = a1 * x[k - 1] + a2 * x[k - 2] + rng.standard_normal()
        return x[200:, None]

    for n in (300, 2000):
        same = [rhythm_distance(ar2(n, 1.6), ar2(n, 1.6)) for _ in range(10)]
        assert max(same) < 0.2, same
        assert min(rhythm_distance(ar2(n, 1.6), ar2(n, 0.0)) for _ in range(10)) > UNLIKE_SPECTRUM
    # one Welch segment (the measure's default below 4096 samples) is too noisy for the check
    assert max(hellinger_spectrum_distance(ar2(2000, 1.6), ar2(2000, 1.6)) for _ in range(10)) > 0.2


def test_a_free_run_with_another_rhythm_than_the_data_is_warned_about():
    """A rotation by 0.1 rad per step varies for ever: against data turning at that rate its spectrum matches
    (no warning); against data turning three times as fast the code describes the model only, and says so."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    c, s = np.cos(0.1), np.sin(0.1)
    t = np.arange(3000.0)

    def analysed(rate):
        m = ALRNN(free_run=3000, max_period=2)
        m.params_ = ALRNNParams(A=np.array([c, c]), W=np.array([[0.0, -s], [s, 0.0]]), h=np.zeros(2), n_pwl=0,
                                n_obs=2)
        m.n_pwl_, m.dt_, m.divergence_ = 0, 1.0, 0.0
        m._analyse([(np.column_stack([np.cos(rate * t), np.sin(rate * t)]), None)])
        return m

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = analysed(0.1)
    assert same.free_run_status_ == "varies" and same.spectrum_distance_ < 0.05
    with pytest.warns(DataWarning, match=r"not with the data's rhythm: its power spectrum is D_H = (0\.9|1\.0)"):
        other = analysed(0.3)
    assert other.spectrum_distance_ > 0.9


def test_a_free_run_that_dies_out_where_the_data_go_on_is_warned_about():
    """A linear model can only ring down: a rotation that shrinks 0.05 % a step still varies over its coded run
    (0.29 of the data's spread over its second half) but its last quarter over the data's 3000 samples spreads 0.33 times
    its first, where a sustained cycle's spreads 1.0. Against data that die out as fast, it is right."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    t = np.arange(3000.0)

    def analysed(data):
        m = ALRNN(free_run=3000, max_period=2)
        m.params_ = _rotation(0.9995, 2 * np.pi / 0.1)
        m.n_pwl_, m.dt_, m.divergence_ = 0, 1.0, 0.0
        m._analyse([(data, None)])
        return m

    cycle = np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t)])
    with pytest.warns(DataWarning, match=r"dies out where the data go on: .* spreads 0\.3\d times its first"):
        m = analysed(cycle)
    assert m.free_run_status_ == "varies"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysed(cycle * 0.9995 ** t[:, None])  # the data die out alike
        m = ALRNN(free_run=3000, max_period=2)  # a sustained rotation of the sustained cycle
        m.params_ = _rotation(1.0, 2 * np.pi / 0.1)
        m.n_pwl_, m.dt_, m.divergence_ = 0, 1.0, 0.0
        m._analyse([(cycle, None)])


def test_a_run_that_shrinks_onto_a_cycle_of_its_own_does_not_die_out():
    """Over the data's span the run from the data's start shrinks to a third (a transient onto the model's
    smaller cycle); the coded run, long past it, keeps its spread: not dying out. Where the coded run shrinks
    too, it is."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    t = np.arange(3000.0)
    cycle = np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t)])
    onto = cycle * (0.5 + 1.5 * np.exp(-t / 300))[:, None]  # from twice the data's size onto half of it
    m = ALRNN(free_run=3000, max_period=2)
    m.params_, m.n_pwl_, m.divergence_ = _rotation(1.0, 2 * np.pi / 0.1), 0, 0.0
    m.free_run_ = 0.5 * cycle
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m._warn_if_dying(cycle, lambda: onto)
    m.free_run_ = cycle * 0.9995 ** t[:, None]
    with pytest.warns(DataWarning, match="dies out where the data go on"):
        m._warn_if_dying(cycle, lambda: onto)


def test_a_free_run_that_leaves_the_data_after_the_coded_steps_is_warned_about():
    """A rotation at the data's rate whose radius grows by 0.1 % a step stays within 10 times the data's range
    over the 1100 coded steps (radius 3) and leaves it near step 2300: the rhythm check's continuation to the
    data's 30 000 samples finds that, where the spectrum alone (the same rate) would not."""
    from discover.alrnn import ALRNN
    from discover.alrnn.estimator import UNLIKE_SPECTRUM
    from discover.errors import DataWarning

    c, s, g = np.cos(0.1), np.sin(0.1), 1.001
    t = np.arange(30000.0)
    m = ALRNN(free_run=1000, max_period=2)
    m.params_ = ALRNNParams(A=np.array([g * c, g * c]), W=np.array([[0.0, -g * s], [g * s, 0.0]]), h=np.zeros(2),
                            n_pwl=0, n_obs=2)
    m.n_pwl_, m.dt_, m.divergence_, m.observed_ = 0, 1.0, 0.0, ("x", "y")
    with pytest.warns(DataWarning, match=r"leaves 10 times the data's range after 23\d\d steps, past the 1100"):
        m._analyse([(np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t)]), None)])
    assert m.free_run_status_ == "varies" and m.spectrum_distance_ < UNLIKE_SPECTRUM


def _ar2(rng, n, a1, a2=-0.9):
    """A noise-driven AR(2) oscillation (period about 10 samples for a1 = 1.6, 4 for a1 = 0) past 200 samples."""
    x = np.zeros(n + 200)
    e = rng.standard_normal(n + 200)
    for k in range(2, n + 200):
        x[k] = a1 * x[k - 1] + a2 * x[k - 2] + e[k]
    return x[200:, None]


def test_swings_count_excursions_through_a_band_about_the_mean():
    """A swing is a passage from 0.75 standard deviations below the mean to as far above it: a sine swings once a
    period. Observation noise of 30 % of the spread adds none to a sine's count, and less than a third to
    Lorenz-63's."""
    from discover.alrnn.estimator import swing_counts
    from discover.systems import simulate

    t = np.arange(1000)
    cycles = np.column_stack([np.cos(2 * np.pi * t / 100), -np.sin(2 * np.pi * t / 20)])
    assert swing_counts(cycles).tolist() == [10, 50]
    assert swing_counts(np.sin(2 * np.pi * t / 100)[:, None]).tolist() == [9]  # the first rise starts at the mean
    rng = np.random.default_rng(0)
    noisy = np.cos(2 * np.pi * t / 100) + 0.3 * np.sqrt(0.5) * rng.standard_normal(1000)
    assert swing_counts(noisy[:, None]).tolist() == [10]
    x = simulate("lorenz", n=20000, dt=0.01, burn_in=1000).trajectories[0].x
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    clean, noisy = swing_counts(x), swing_counts(x + 0.3 * rng.standard_normal(x.shape))
    assert np.all((noisy >= clean) & (noisy <= 1.3 * clean)), (clean, noisy)
    assert swing_counts(np.linspace(0, 1, 300)[:, None]).tolist() == [1]  # a ramp rises once


def test_distribution_gap_allows_the_scatter_of_a_short_record_and_noise():
    """Stretches of Lorenz-63 (2000 samples) and of noise-driven oscillations (300) stay within the allowance from a
    long run of the same system, as do Lorenz-63 and Rossler data with observation noise of 50 % of their spread
    from the clean runs; a run at twice the data's amplitude does not."""
    from discover.alrnn.estimator import distribution_gap
    from discover.systems import simulate

    rng = np.random.default_rng(0)
    for system, dt in (("lorenz", 0.01), ("rossler", 0.05)):
        x = simulate(system, n=60000, dt=dt, burn_in=1000).trajectories[0].x
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        long = x[20000:]
        for k in range(0, 20000, 4000):
            assert not distribution_gap(x[k:k + 2000], long)["unlike"], distribution_gap(x[k:k + 2000], long)
        noisy = distribution_gap(x[:20000] + 0.5 * rng.standard_normal((20000, 3)), long)
        assert noisy["gap"] < 0.32 and not noisy["unlike"], noisy
        assert distribution_gap(x[:2000], 2 * long)["unlike"]
    for _ in range(20):
        assert not distribution_gap(_ar2(rng, 300, 1.6), _ar2(rng, 10000, 1.6))["unlike"]
        assert not distribution_gap(_ar2(rng, 2000, 0.0), _ar2(rng, 10000, 0.0))["unlike"]
    flat = distribution_gap(np.linspace(0, 1, 300)[:, None], _ar2(rng, 1000, 1.6))
    assert flat["unit"] is None and not flat["unlike"]  # no swings: no rhythm to compare by


def test_a_run_of_the_datas_rhythm_at_another_amplitude_is_warned_about():
    """Data turning at 0.1 rad a step while their radius swells and shrinks (1.8 to 0.2, period 5000 steps) against
    the neutral rotation, which keeps the radius 1.8 it starts from: the spectra are alike (D_H below 0.01) but the
    run spends its time elsewhere, 0.6 standard deviations from the data on average."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    t = np.arange(20000.0)
    data = (1 + 0.8 * np.cos(2 * np.pi * t / 5000))[:, None] * np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t)])
    m = ALRNN(free_run=3000, max_period=2)
    m.params_ = _rotation(1.0, 2 * np.pi / 0.1)
    m.n_pwl_, m.dt_, m.divergence_, m.observed_ = 0, 1.0, 0.0, ("x", "y")
    with pytest.warns(DataWarning, match=r"does not spend its time where the data do: in '[xy]' its values lie 0\.6"):
        m._analyse([(data, None)])
    assert m.spectrum_distance_ < 0.01 and m.distribution_["unlike"] and m.distribution_["allowed"] == 0.35


def test_a_free_run_that_grows_is_warned_about_and_a_neutral_one_is_not():
    """A rotation at the data's rate whose radius grows by 0.03 % a step stays within 10 times the data's range
    over its 3300 steps (radius 2.7): its last quarter spreads about 1.9 times its first, and it stays in its one
    linear region, whose eigenvalue of modulus 1.0003 the warning names. The neutral rotation (a linear model of a harmonic oscillator)
    keeps the data's cycle: no warning."""
    from discover.alrnn import ALRNN
    from discover.errors import DataWarning

    t = np.arange(3000.0)
    cycle = np.column_stack([np.cos(0.1 * t), np.sin(0.1 * t)])

    def analysed(growth):
        m = ALRNN(free_run=3000, max_period=2)
        m.params_ = _rotation(growth, 2 * np.pi / 0.1)
        m.n_pwl_, m.dt_, m.divergence_, m.observed_ = 0, 1.0, 0.0, ("x", "y")
        m._analyse([(cycle, None)])
        return m

    with pytest.warns(DataWarning, match=r"grows where the data do not: .* spreads 1\.9\d times its first .* one "
                                         r"linear region \('-'\).* modulus 1\.0003 makes every orbit grow"):
        analysed(1.0003)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysed(1.0)


def test_other_attractor_runs_and_the_first_with_fewest():
    from discover.alrnn.estimator import fewest_other_attractors, other_attractor_runs

    ends = np.array([0.5, -0.1, np.nan, 0.0, 0.3])
    assert other_attractor_runs(ends, chaotic=True) == 3  # NaN, -0.1 and 0.0
    assert other_attractor_runs(ends, chaotic=False) == 1  # only the blow-up
    seen = []

    def count(c):
        seen.append(c)
        return {"a": 2, "b": 1, "c": 0, "d": 0}[c]

    assert fewest_other_attractors(list("abcd"), count) == ("c", 0, 3) and seen == list("abc")  # stops at c
    seen.clear()
    assert fewest_other_attractors(list("ab"), lambda c: 1) == ("a", 1, 2)  # a tie keeps the first
    with pytest.raises(ValueError):
        fewest_other_attractors([], count)


def test_ranked_checkpoints_put_select_checkpoints_pick_first():
    from discover.alrnn.estimator import ranked_checkpoints, select_checkpoint

    cps = [(c, {"D_stsp": c, "D_H": dh, "regions": r}, None, epoch)
           for epoch, (c, dh, r) in enumerate([(1.08, 0.05, 3), (1.0, 0.2, 4), (1.2, 0.01, 2), (1.14, 0.1, 2)])]
    for rule, order in ((None, [1, 0, 3]), ("D_H", [0, 3, 1]), ("regions", [3, 0, 1])):
        ranked = ranked_checkpoints(cps, 0.1, rule)
        assert [c[3] for c in ranked] == order and ranked[0] is select_checkpoint(cps, 0.1, rule)


def test_the_screen_keeps_a_near_best_checkpoint_without_another_attractor():
    """Two tent maps (slopes 1.9 and -1.9, peak h): with h = 0.5 the chaotic interval is [-0.45, 0.5] and runs
    from the data's states beyond it (0.6 to 0.9 from 0, :func:`_tent_data`) blow up; with h = 1 it is [-0.9, 1]
    and holds every state. The first ranked (lower criterion) has blow-ups, so the second is kept. Runs that
    contract count where the data and the first ranked are chaotic, and not where the data are not, or where the
    first ranked has no chaotic run (there is no second attractor to look for)."""
    from discover.alrnn import ALRNN

    def tent(h):
        return ALRNNParams(A=np.array([1.9]), W=np.array([[-3.8]]), h=np.array([h]), n_pwl=1, n_obs=1)

    x = _tent_data()
    ranked = [(1.0, {}, tent(0.5), 10), (1.05, {}, tent(1.0), 20)]
    m = ALRNN(free_run=1000)
    m.dt_, m.lyapunov_data_ = 1.0, 0.6
    kept, ends = m._screen_attractors(ranked, [(x, None)])
    s = m.attractor_screen_
    assert kept is ranked[1] and s["counted"] == 2 and s["kept"] == 0 and s["kept_epoch"] == 20
    assert s["first_epoch"] == 10 and 3 <= s["first"] <= 10 and s["runs"] == 32 and s["steps"] == 2000
    assert len(ends) == 32 and np.all(ends > 0)  # the kept map's runs: log 1.9 on every one
    contracting = (1.1, {}, ALRNNParams(A=np.array([0.5]), W=np.zeros((1, 1)), h=np.zeros(1), n_pwl=1, n_obs=1), 5)
    assert m._screen_attractors([ranked[0], contracting], [(x, None)])[0] is ranked[0]  # 32 contracting runs
    assert m.attractor_screen_["counted"] == 2
    assert m._screen_attractors([contracting] + ranked, [(x, None)])[0] is contracting  # no chaotic run first
    assert m.attractor_screen_["counted"] == 1
    m.lyapunov_data_ = -0.1  # data that are not chaotic: contracting runs are their kind, blow-ups still count
    assert m._screen_attractors([ranked[0], contracting], [(x, None)])[0] is contracting


def test_the_screen_runs_in_a_fit_and_can_be_turned_off(lorenz_series):
    from discover.alrnn import ALRNN

    m = ALRNN(n_pwl=1, random_state=0, **{**FAST, "epochs": 4}).fit(lorenz_series)
    s = m.attractor_screen_
    assert 1 <= s["counted"] <= 4 and s["kept"] <= s["first"] and m.ladder_[1]["best_epoch"] == s["kept_epoch"]
    assert next(f for f in m.findings() if type(f).__name__ == "SymbolicCode").metrics["attractor_screen"] == s
    off = ALRNN(n_pwl=1, random_state=0, screen_attractors=False, **{**FAST, "epochs": 4}).fit(lorenz_series)
    assert off.attractor_screen_ is None and off.ladder_[1]["best_epoch"] == s["first_epoch"]


def test_generalized_forcing_alpha_floor(lorenz_series):
    """A contracting model makes the adaptive alpha 0 (forcing off); alpha_min keeps a floor under it."""
    from discover.alrnn import ALRNN

    opts = dict(n_pwl=1, forcing="generalized", tau=5, random_state=0, **{**FAST, "epochs": 3})
    free = ALRNN(**opts).fit(lorenz_series).ladder_[1]["history"]
    floored = ALRNN(alpha_min=0.3, **opts).fit(lorenz_series).ladder_[1]["history"]
    assert [r["alpha"] for r in free] == [0.0, 0.0, 0.0]  # the paper's initialisation contracts (A < 1, W small)
    assert [r["alpha"] for r in floored] == [0.3, 0.3, 0.3]


def test_restarts_keep_the_best_by_the_training_criterion(lorenz_series):
    from discover.alrnn import ALRNN

    m = ALRNN(n_pwl=1, restarts=2, criterion="D_stsp+D_H", eval_starts=3, random_state=0, **FAST).fit(lorenz_series)
    row = m.ladder_[1]
    assert len(row["restarts"]) == 2 and row["criterion"] == min(row["restarts"])
    assert row["criterion"] == pytest.approx(row["D_stsp"] + 10 * row["D_H"])
    assert row["train_seconds"] <= row["seconds"]


@pytest.mark.parametrize("criterion", ["D_stsp", "D_stsp+D_H"])
@pytest.mark.parametrize("tie_break", ["D_H", "regions"])
def test_tie_break_keeps_a_near_best_checkpoint(lorenz_series, tie_break, criterion):
    """The kept checkpoint is within the tolerance of the lowest criterion, and the best of those by the tie."""
    from discover.alrnn import ALRNN

    m = ALRNN(n_pwl=2, tie_break=tie_break, criterion=criterion, screen_attractors=False, random_state=0,
              **{**FAST, "epochs": 8, "eval_every": 1}).fit(lorenz_series)
    row = m.ladder_[2]
    value = (lambda r: r["D_stsp"]) if criterion == "D_stsp" else (lambda r: r["D_stsp"] + 10 * r["D_H"])
    evaluated = [r for r in row["history"] if np.isfinite(r.get("D_stsp", np.inf))]
    lowest = min(value(r) for r in evaluated)
    near = [r for r in evaluated if value(r) <= lowest * 1.1 + 0.05]
    key = (lambda r: r["D_H"]) if tie_break == "D_H" else (lambda r: (r["regions"], r["D_H"]))
    kept = next(r for r in evaluated if r["epoch"] == row["best_epoch"])
    assert kept in near and key(kept) == min(key(r) for r in near)
    assert row["D_stsp"] == kept["D_stsp"] and row["D_H"] == kept["D_H"] and row["regions"] == kept["regions"]
    assert m.divergence_ == kept["D_stsp"]


def test_pipeline_runs_alrnn(lorenz_series, tmp_path):
    import json

    import discover

    report = discover.fit(lorenz_series, methods=["alrnn"], config={"alrnn": dict(n_pwl=1, **FAST)})
    assert report.methods["alrnn"].status == "ok", report.methods["alrnn"].error
    report.save(tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["symbolic_codes"][0]["metrics"]["n_regions"] >= 1


def test_brief_training_predicts_a_damped_oscillator():
    """A damped rotation is linear: P = 0 must learn it in a few seconds (5-step forecasts
    from held-out starts beat persistence by far; an untrained model does not)."""
    from discover.alrnn import ALRNN
    from discover.data import from_arrays

    t = np.arange(2000) * 0.05
    x = np.c_[np.cos(t), np.sin(t)] * np.exp(-0.01 * t)[:, None]
    s = from_arrays(x, t=t, names=["a", "b"])
    opts = dict(n_latent=4, n_pwl=0, n_delays=0, tau=5, batches_per_epoch=10, batch_size=16, seq_len=30,
                lr=1e-2, lr_end=1e-3, eval_every=5, free_run=200, optimizer="adam", random_state=0)

    def forecast_error(m):
        p, xs = m.params_, (x - m.mean_) / m.scale_
        err = [np.abs(p.run(p.initial_state(xs[k]), 6)[5, :2] - xs[k + 5]).max() for k in range(25, 1990, 50)]
        persistence = [np.abs(xs[k] - xs[k + 5]).max() for k in range(25, 1990, 50)]
        return max(err) / np.mean(persistence)

    assert forecast_error(ALRNN(epochs=20, **opts).fit(s)) < 0.3  # measured 0.12
    untrained = ALRNN(epochs=1, **{**opts, "batches_per_epoch": 1, "lr": 1e-6, "lr_end": 1e-7}).fit(s)
    assert forecast_error(untrained) > 0.5



@pytest.mark.slow
def test_lorenz_reconstruction_at_the_p_the_ladder_picks():
    """Lorenz-63 with P chosen by the ladder in 15 minutes on 2 cores, judged on 10^5 held-out steps.

    The issue's targets for D_stsp (<= 1.0) and D_H (<= 0.1), as ``bench_alrnn.py --systems lorenz
    --ladder --n-jobs 2 --epochs 4000`` measures them. With the default criterion (D_stsp + 10 D_H) this
    test's last run chose P = 4 and measured 0.346, 0.061 and a Lyapunov error of 4 % (the model's exponent
    then over 2 10^4 steps, now over the whole held-out run as the benchmark's); the benchmark's
    seed 0 chose P = 7 (0.277, 0.073, 8 %). The budget is wall time, so a rerun depends on the machine's
    speed, and over eight benchmark seeds the Lyapunov error reached 16 % once (19 % in a rerun of this
    test under the old criterion), so the exponent is asserted at 25 %, not the target's 15 %. A ladder
    stuck on the one-wing plateau gives D_stsp 5-6.5 and an exponent near 0.
    """
    from discover.alrnn import ALRNN
    from discover.data import Series, Trajectory
    from discover.measures import (
        hellinger_spectrum_distance,
        lyapunov_from_data,
        lyapunov_from_jacobians,
        state_space_divergence,
    )
    from discover.systems import simulate

    x = simulate("lorenz", n=200000, dt=0.01, burn_in=1000).trajectories[0].x
    x = (x - x.mean(0)) / x.std(0)
    train, test = x[:100000], x[100000:]
    series = Series((Trajectory(np.arange(len(train)) * 0.01, train),), ("x", "y", "z"))
    m = ALRNN(n_latent=20, seq_len=200, tau=16, epochs=4000, max_seconds=900, n_jobs=2,
              random_state=0).fit(series)
    assert 2 <= m.n_pwl_ <= 8 and m.n_pwl_ in m.ladder_
    p = m.params_
    Z = p.run(p.forced_state(np.concatenate([train[-200:], test[:1]])), len(test))
    assert np.all(np.isfinite(Z))
    d_stsp, d_h = state_space_divergence(test, Z[:, :3]), hellinger_spectrum_distance(test, Z[:, :3])
    lam_data = lyapunov_from_data(test, 0.01)
    lam = float(lyapunov_from_jacobians((p.jacobian(z) for z in Z[1000:]), 0.01, n_exponents=1)[0])  # as the bench
    print(f"P={m.n_pwl_} D_stsp={d_stsp:.3f} D_H={d_h:.3f} lyapunov={lam:.3f} (data {lam_data:.3f})")
    assert d_stsp <= 1.0, d_stsp
    assert d_h <= 0.1, d_h
    assert abs(lam - lam_data) / lam_data <= 0.25, (lam, lam_data)
