"""SDE structure learning: recovered graphs on Lorenz-96 (regular and irregular sampling)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from discover.causal._graphs import auroc, f1
from discover.causal.simulate import lorenz96
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
    for i in range(d):
        assert model.weights_[(i + 1) % d, i] == pytest.approx(m[(i - 1) % d], rel=0.5)
        assert model.weights_[(i - 2) % d, i] == pytest.approx(-m[(i - 1) % d], rel=0.5)
    # the diffusion was 0.5 per square root of time; drift misfit inflates it a little, a unit
    # error (time rescaling) would be off by a factor of three or more
    assert np.all((model.diffusion_ > 0.25) & (model.diffusion_ < 1.0))


def test_findings_and_json(fitted):
    series, truth, model = fitted
    (g,) = model.findings()
    assert g.kind == "causal" and g.metrics["resolution"] == "summary" and g.metrics["time"] == "continuous"
    edges = g.edges(selected_only=False)
    assert len(edges) == 36 and all(0 <= e["score"] <= 1 for e in edges)
    assert from_dict(json.loads(json.dumps(g.to_dict()))) == g


def test_irregular_times_and_several_trajectories():
    series, truth = lorenz96(d=6, n=1500, dt=0.01, sigma=0.5, seed=2, substeps=5, irregular=True, keep=0.4,
                             n_trajectories=2)
    assert not series.regular and series.n_trajectories == 2
    model = SDEStructure(max_steps=400, random_state=0).fit(series)
    T = _truth(truth, series.variables)
    off = ~np.eye(6, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.9


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
    T = _truth(truth, series.variables)
    off = ~np.eye(10, dtype=bool)
    assert auroc(model.probabilities_[off], T[off]) >= 0.95
    assert f1(model.selected_[off], T[off]) >= 0.85
    assert model.selected_.diagonal().sum() >= 8  # the -x_i damping
