"""SDE structure learning: recovered graphs on Lorenz-96 (regular and irregular sampling)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from discover.causal._graphs import auroc, f1
from discover.causal.simulate import lorenz96
from discover.data import Series, Trajectory
from discover.findings import from_dict


def _truth(truth, names):
    idx = {n: i for i, n in enumerate(names)}
    T = np.zeros((len(names), len(names)), bool)
    for a, b, _lag in truth:
        T[idx[a], idx[b]] = True
    return T


def test_importing_discover_does_not_import_torch():
    code = ("import sys, discover, discover.causal.sde, discover.causal.dynotears; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


torch = pytest.importorskip("torch")
from discover.causal.sde import SDEStructure  # noqa: E402

pytestmark = pytest.mark.neural


@pytest.fixture(scope="module")
def fitted():
    series, truth = lorenz96(d=6, n=1500, dt=0.01, sigma=0.5, seed=0, substeps=5)
    model = SDEStructure(max_steps=400, random_state=0).fit(series)
    return series, truth, model


def test_recovers_lorenz96_sde(fitted):
    series, truth, model = fitted
    T = _truth(truth, series.variables)
    off = ~np.eye(6, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.95
    assert f1(model.selected_[off], T[off]) >= 0.85
    assert np.all((model.probabilities_ >= 0) & (model.probabilities_ <= 1))


def test_weights_and_diffusion_are_in_original_units(fitted):
    series, truth, model = fitted
    # d x_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F: mean ∂f_i/∂x_{i+1} = mean(x_{i-1}) > 0,
    # mean ∂f_i/∂x_{i-2} = -mean(x_{i-1}) < 0
    d = 6
    m = series.x.mean(axis=0)
    rel = []
    for i in range(d):
        rel.append(model.weights_[(i + 1) % d, i] / m[(i - 1) % d] - 1)
        rel.append(model.weights_[(i - 2) % d, i] / -m[(i - 1) % d] - 1)
    # measured: every relative error within 0.29, mean |error| 0.095
    assert np.max(np.abs(rel)) < 0.35 and np.mean(np.abs(rel)) < 0.15
    # the diffusion was 0.5 per square root of time; drift misfit inflates it (measured 0.69-0.86,
    # the bias the docstring states); a unit error (time rescaling) would be off by a factor of three
    assert np.all((model.diffusion_ > 0.5) & (model.diffusion_ < 0.95))


def test_findings_and_json(fitted):
    series, truth, model = fitted
    (g,) = model.findings()
    assert g.kind == "causal" and g.metrics["resolution"] == "summary" and g.metrics["time"] == "continuous"
    # regular, finely sampled: "auto" keeps the fast pair likelihood
    assert not model.latent_ and g.metrics["likelihood"] == "pairs" and "observation_noise" not in g.metrics
    # a clear graph: posterior edge probabilities are near 0 or 1, so it is not flagged
    assert g.metrics["reliable"] is True and g.metrics["unreliable_reason"] is None
    edges = g.edges(selected_only=False)
    assert len(edges) == 36 and all(0 <= e["score"] <= 1 for e in edges)
    assert from_dict(json.loads(json.dumps(g.to_dict()))) == g


def test_irregular_times_and_several_trajectories():
    # bursts with large gaps between them: "auto" takes the latent path, which uses every gap
    series, truth = lorenz96(d=5, n=1000, dt=0.01, sigma=0.5, seed=2, substeps=5, irregular=True, keep=0.4,
                             n_trajectories=2)
    assert not series.regular and series.n_trajectories == 2
    model = SDEStructure(max_steps=250, random_state=0).fit(series)
    assert model.latent_
    assert model.n_transitions_ == model.n_pairs_ == series.n_samples - 2
    T = _truth(truth, series.variables)
    off = ~np.eye(5, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.9
    assert model.observation_noise_.shape == (5,) and np.all(model.observation_noise_ > 0)
    (g,) = model.findings()
    assert g.metrics["likelihood"] == "latent path" and g.metrics["n_transitions"] == model.n_pairs_
    assert from_dict(json.loads(json.dumps(g.to_dict()))) == g


def _far_apart(d, n, seed, *, burst=3, skip=(12, 30), sigma=0.5):
    """Lorenz-96 seen in bursts of ``burst`` samples at dt=0.01, then a gap of 0.12 to 0.3 time units.

    A third of the gaps are more than 10 median gaps long: the pairs the pair likelihood drops.
    """
    series, truth = lorenz96(d=d, n=n, dt=0.01, sigma=sigma, seed=seed, substeps=5, n_trajectories=2)
    rng = np.random.default_rng(seed)
    trajs = []
    for tr in series.trajectories:
        keep, i = [], 0
        while i < n:
            keep += range(i, min(i + burst, n))
            i += burst - 1 + int(rng.integers(*skip))
        keep = np.array(keep)
        trajs.append(Trajectory(tr.t[keep], tr.x[keep], name=tr.name))
    return Series(tuple(trajs), series.variables), truth


def test_latent_path_cuts_every_gap_into_segments():
    from discover.causal.sde import _segments

    series, _ = _far_apart(3, 400, 0)
    mean, scale = series.x.mean(axis=0), series.x.std(axis=0)
    tau, h = 0.25, 0.01 / 0.25
    seg = _segments(series, mean, scale, tau, h, 64, 8)
    n_obs = series.n_samples
    gaps = np.concatenate([np.diff(tr.t) for tr in series.trajectories]) / tau
    assert seg["n_gaps"] == len(gaps) == n_obs - 2
    np.testing.assert_allclose(seg["obs"], (series.x - mean) / scale)
    assert np.all(seg["steps"] <= 8) and np.all(seg["steps"] >= 1)
    # follow the segments from each gap's first observation: they reach the next one, in ceil(gap/h) steps
    nxt = dict(zip(seg["start"], zip(seg["end"], seg["steps"], seg["h"])))
    starts = np.concatenate([off + np.arange(len(tr) - 1) for off, tr in
                             zip(np.cumsum([0] + [len(tr) for tr in series.trajectories[:-1]]),
                                 series.trajectories)])
    for s0, g in zip(starts, gaps):
        state, steps, length = s0, 0, 0.0
        while True:
            state, k, hk = nxt[state]
            steps, length = steps + k, length + k * hk
            if state < n_obs:
                break
            assert state < n_obs + len(seg["anchors"])
        assert state == s0 + 1 and steps == min(64, int(np.ceil(g / h - 1e-9))) and length == pytest.approx(g)
    # one anchor where two segments of the same gap meet
    assert len(seg["anchors"]) == len(seg["start"]) - len(gaps) > 0


def test_far_apart_pairs_are_used_not_dropped():
    series, _ = _far_apart(4, 600, 1)
    dt = np.concatenate([np.diff(tr.t) for tr in series.trajectories])
    assert np.mean(dt > 10 * np.median(dt)) > 0.3
    pairs = SDEStructure(max_steps=5, random_state=0, latent=False).fit(series)
    latent = SDEStructure(max_steps=5, random_state=0).fit(series)
    assert not pairs.latent_ and pairs.n_transitions_ == np.sum(dt <= 10 * np.median(dt))
    assert latent.latent_ and latent.n_transitions_ == len(dt) == latent.n_pairs_
    assert latent.n_latent_ > series.n_samples  # states inside the long gaps
    again = SDEStructure(max_steps=5, random_state=0).fit(series)
    np.testing.assert_array_equal(latent.probabilities_, again.probabilities_)
    np.testing.assert_array_equal(latent.diffusion_, again.diffusion_)


def test_parameters_and_pipeline():
    import discover
    from discover.errors import ParameterError

    series, _ = lorenz96(d=4, n=300, dt=0.02, sigma=0.5, seed=0, substeps=4)
    with pytest.raises(ParameterError, match="'edge_cost' parameter of SDEStructure"):
        SDEStructure(edge_cost=-1.0).fit(series)
    report = discover.fit(series, methods=["sde"], config={"sde": {"max_steps": 20}})
    assert report.methods["sde"].status == "ok", report.methods["sde"].error
    a = SDEStructure(max_steps=30, random_state=5).fit(series)
    b = SDEStructure(max_steps=30, random_state=5).fit(series)
    np.testing.assert_array_equal(a.probabilities_, b.probabilities_)
    no_self = SDEStructure(max_steps=20, self_loops=False, random_state=0).fit(series)
    assert not no_self.selected_.diagonal().any()
    assert all(e["source"] != e["target"] for e in no_self.findings()[0].edges(selected_only=False))


@pytest.mark.slow
def test_lorenz96_irregular_benchmark_size():
    series, truth = lorenz96(d=10, n=4000, dt=0.01, sigma=1.0, seed=0, substeps=10, irregular=True,
                             n_trajectories=2)
    model = SDEStructure(random_state=0).fit(series)
    assert model.latent_ and model.n_transitions_ == series.n_samples - 2
    T = _truth(truth, series.variables)
    off = ~np.eye(10, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.95
    assert f1(model.selected_[off], T[off]) >= 0.85
    assert model.selected_.diagonal().sum() >= 8  # the -x_i damping


@pytest.mark.slow
def test_latent_path_on_the_stochastic_irregular_case():
    from discover.cases import load_case

    case = load_case("stochastic_irregular")
    series = case.load()
    dt = np.concatenate([np.diff(tr.t) for tr in series.trajectories])
    assert dt.max() > 100 * np.median(dt)  # gaps of up to two time units, Lorenz-96's own is ~0.25
    model = SDEStructure(random_state=0).fit(series)
    assert model.latent_ and model.n_transitions_ == len(dt)
    T = _truth(case.truth["graph"]["edges"], series.variables)
    off = ~np.eye(10, dtype=bool)
    assert auroc(model.probabilities_.ravel(), T.ravel()) >= 0.95
    assert auroc(model.probabilities_[off], T[off]) >= 0.95
    assert f1(model.selected_.ravel(), T.ravel()) >= 0.85
    assert f1(model.selected_[off], T[off]) >= 0.85


@pytest.mark.slow
def test_graph_from_data_with_many_far_apart_pairs():
    # a third of the gaps are 12-30 median gaps long; the latent path uses them all
    series, truth = _far_apart(5, 3000, 0)
    model = SDEStructure(random_state=0).fit(series)
    assert model.latent_ and model.n_transitions_ == series.n_samples - 2
    T = _truth(truth, series.variables)
    assert auroc(model.probabilities_.ravel(), T.ravel()) >= 0.95
    assert f1(model.selected_.ravel(), T.ravel()) >= 0.85


@pytest.mark.slow
def test_latent_path_when_every_gap_is_long():
    # every gap 0.1-0.4 time units, about the system's own time scale: the drift has to be found
    # along latent paths through the gaps
    n = 12000
    series, truth = lorenz96(d=5, n=n, dt=0.01, sigma=0.5, seed=0, substeps=5, n_trajectories=2)
    rng = np.random.default_rng(0)
    trajs = []
    for tr in series.trajectories:
        keep = np.cumsum(rng.integers(10, 40, n))
        keep = keep[keep < n]
        trajs.append(Trajectory(tr.t[keep], tr.x[keep], name=tr.name))
    series = Series(tuple(trajs), series.variables)
    model = SDEStructure(random_state=0).fit(series)
    assert model.latent_ and model.n_transitions_ == series.n_samples - 2
    T = _truth(truth, series.variables)
    assert auroc(model.probabilities_.ravel(), T.ravel()) >= 0.95
    assert f1(model.selected_.ravel(), T.ravel()) >= 0.85


def test_progress_shows_step_and_elbo(monkeypatch):
    import contextlib

    import discover.causal.sde as sde_module

    seen = []

    @contextlib.contextmanager
    def fake_task(description, total=None, **kwargs):
        seen.append(("start", description, total))
        yield lambda advance=1, **fields: seen.append((advance, fields))

    monkeypatch.setattr(sde_module, "task", fake_task)
    series, _ = lorenz96(d=4, n=300, dt=0.01, sigma=0.5, seed=0, substeps=2)
    model = SDEStructure(max_steps=50, random_state=0).fit(series)
    assert seen[0] == ("start", "sde structure (pairs)", 50)
    updates = seen[1:]
    assert sum(a for a, _ in updates) == 50 and [f["step"] for _, f in updates] == [20, 40, 50]
    assert updates[-1][1]["elbo"] == pytest.approx(-np.mean(model.loss_history_[-20:]))


def _gappy(d, n_trajectories, n_obs, t_max, seed):
    series, truth = lorenz96(d=d, dt=0.05, sigma=0.5, seed=seed, substeps=10, n_trajectories=n_trajectories,
                             obs_times="uniform", n_obs=n_obs, t_max=t_max)
    return series, _truth(truth, series.variables)


def test_uniform_observation_times():
    series, _ = _gappy(4, 3, 50, 25.0, 0)
    assert len(series.trajectories) == 3
    for tr in series.trajectories:
        assert len(tr) == 50 and np.all(np.diff(tr.t) > 0) and tr.t[0] >= 0 and tr.t[-1] <= 25.0
    with pytest.raises(ValueError, match="obs_times"):
        lorenz96(d=4, obs_times="bursts")


def test_short_gappy_trajectories_rank_the_true_edges_on_top():
    # issue 12.4 in small: many short trajectories, random times, mean gap 0.5 time units (about two of
    # Lorenz-96's own time scales), so every transition goes through the latent path
    # (measured AUROC on seeds 0 / 1 / 2: 0.87 / 1.00 / 0.85 in ~20 s on a loaded machine; chance is 0.5)
    series, T = _gappy(5, 10, 50, 25.0, 0)
    model = SDEStructure(max_steps=400, random_state=0).fit(series)
    assert model.latent_
    off = ~np.eye(5, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.8


@pytest.mark.slow
def test_issue_12_4_gappy_lorenz96_target():
    # d=10, F=10, σ=0.5; 20 trajectories, each at 50 uniformly random times on [0, 25]
    res = []
    for seed in range(3):
        series, T = _gappy(10, 20, 50, 25.0, seed)
        model = SDEStructure(random_state=0).fit(series)
        off = ~np.eye(10, dtype=bool)
        res.append((auroc(model.probabilities_[off], T[off]), f1(model.selected_[off], T[off])))
    mean_auroc, mean_f1 = np.mean(res, axis=0)
    assert mean_auroc >= 0.95
    assert mean_f1 >= 0.85
