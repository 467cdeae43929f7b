"""The continuous-time families of the causal benchmark: Ornstein–Uhlenbeck and coupled oscillators."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm, solve_continuous_lyapunov

from discover.causal._graphs import auroc, f1
from discover.causal.dynotears import DYNOTEARS
from discover.causal.simulate import coupled_oscillators, ou, ou_matrix


def _adjacency(truth, names):
    idx = {n: i for i, n in enumerate(names)}
    T = np.zeros((len(names), len(names)), bool)
    for a, b, lag in truth:
        assert lag == 1
        T[idx[a], idx[b]] = True
    return T


# ---------------------------------------------------------------------------
# Ornstein–Uhlenbeck


def test_ou_shapes_times_and_several_trajectories():
    series, truth = ou(d=4, n=300, dt=0.2, n_trajectories=3, seed=1)
    assert series.variables == ("x0", "x1", "x2", "x3")
    assert len(series.trajectories) == 3
    for tr in series.trajectories:
        assert tr.x.shape == (300, 4)
        np.testing.assert_allclose(np.diff(tr.t), 0.2)
    # the trajectories are independent draws, not copies
    assert not np.allclose(series.trajectories[0].x, series.trajectories[1].x)


def test_ou_is_deterministic_with_a_seed():
    a, ta = ou(d=5, n=200, seed=3)
    b, tb = ou(d=5, n=200, seed=3)
    c, _ = ou(d=5, n=200, seed=4)
    np.testing.assert_array_equal(a.trajectories[0].x, b.trajectories[0].x)
    assert ta == tb
    assert not np.allclose(a.trajectories[0].x, c.trajectories[0].x)


@pytest.mark.parametrize("seed", range(6))
def test_ou_drift_is_stable_sparse_and_its_graph_is_the_truth(seed):
    theta = ou_matrix(8, degree=2.0, seed=seed)
    diag = np.diag(theta)
    assert np.all((diag >= 1.0) & (diag <= 2.0))  # the diagonal is never rescaled
    assert np.linalg.eigvals(theta).real.min() >= 0.5 * diag.min() - 1e-12
    series, truth = ou(d=8, n=50, degree=2.0, seed=seed)
    np.testing.assert_array_equal(series.meta["theta"], theta)
    T = _adjacency(truth, series.variables)
    # x_j -> x_i exactly where theta[i, j] != 0, self-loops included
    np.testing.assert_array_equal(T, (theta != 0).T)
    assert np.all(np.diag(T))


def test_ou_samples_follow_the_exact_transition_and_the_stationary_law():
    # a long step (0.5 against decay rates 1-2) where an Euler step I - theta*dt would be far off
    dt = 0.5
    series, _ = ou(d=5, n=20000, dt=dt, degree=1.5, seed=0)
    x = series.trajectories[0].x
    theta, mu, s = series.meta["theta"], series.meta["mu"], series.meta["diffusion"]
    phi = expm(-theta * dt)
    assert np.abs(phi - (np.eye(5) - theta * dt)).max() > 0.2
    design = np.c_[np.ones(len(x) - 1), x[:-1]]
    phi_hat = np.linalg.lstsq(design, x[1:], rcond=None)[0][1:].T
    assert np.abs(phi_hat - phi).max() < 0.05
    cov = solve_continuous_lyapunov(-theta, -np.diag(s ** 2))
    assert np.abs(np.cov(x.T) - cov).max() < 0.12 * np.abs(cov).max()
    assert np.abs(x.mean(axis=0) - mu).max() < 0.1


def test_dynotears_recovers_small_ou_graphs():
    # d = 5, 1000 samples at dt = 0.1, five graphs; measured mean AUROC 0.99, F1 0.90
    aucs, f1s = [], []
    off = ~np.eye(5, dtype=bool)
    for seed in range(5):
        series, truth = ou(d=5, n=1000, dt=0.1, seed=seed)
        T = _adjacency(truth, series.variables)
        model = DYNOTEARS(random_state=0).fit(series)
        aucs.append(auroc(model.summary_scores_[off], T[off]))
        f1s.append(f1(model.summary_selected_[off], T[off]))
    assert np.mean(aucs) >= 0.95 and min(aucs) >= 0.9
    assert np.mean(f1s) >= 0.8


# ---------------------------------------------------------------------------
# coupled (Kuramoto) oscillators


def test_oscillators_shapes_columns_and_determinism():
    series, truth = coupled_oscillators(d=4, n=500, dt=0.05, n_trajectories=2, seed=2)
    assert series.variables == ("c0", "s0", "c1", "s1", "c2", "s2", "c3", "s3")
    assert series.meta["groups"] == (0, 0, 1, 1, 2, 2, 3, 3)
    for tr in series.trajectories:
        assert tr.x.shape == (500, 8)
        np.testing.assert_allclose(np.diff(tr.t), 0.05)
        # a phase on the unit circle: bounded, never diverges
        np.testing.assert_allclose(tr.x[:, 0::2] ** 2 + tr.x[:, 1::2] ** 2, 1.0, atol=1e-12)
    again, truth_again = coupled_oscillators(d=4, n=500, dt=0.05, n_trajectories=2, seed=2)
    np.testing.assert_array_equal(series.trajectories[1].x, again.trajectories[1].x)
    assert truth == truth_again
    other, _ = coupled_oscillators(d=4, n=500, dt=0.05, n_trajectories=2, seed=3)
    assert not np.allclose(series.trajectories[0].x, other.trajectories[0].x)


@pytest.mark.parametrize("seed", range(4))
def test_oscillator_truth_is_the_coupling_graph_on_both_columns(seed):
    series, truth = coupled_oscillators(d=6, n=20, degree=2.0, seed=seed)
    K = series.meta["coupling"]
    assert np.all(np.diag(K) == 0) and np.all(K >= 0)
    T = _adjacency(truth, series.variables)
    # oscillator j drives oscillator i (K[i, j] > 0): every column of j -> every column of i
    between = (K != 0).T | np.eye(6, dtype=bool)
    np.testing.assert_array_equal(T, np.kron(between, np.ones((2, 2), bool)))


def test_oscillator_phases_follow_the_kuramoto_drift():
    # the coupling matrix read back from the phases by least squares:
    # dθ_i/dt ≈ ω_i + Σ_j K_ij sin(θ_j - θ_i); measured error 0.08, couplings 0.5-1
    dt, d = 0.05, 5
    series, _ = coupled_oscillators(d=d, n=4000, dt=dt, seed=0)
    x = series.trajectories[0].x
    phase = np.unwrap(np.arctan2(x[:, 1::2], x[:, 0::2]), axis=0)
    K, omega = series.meta["coupling"], series.meta["omega"]
    assert (K != 0).sum() >= 3
    for i in range(d):
        others = [j for j in range(d) if j != i]
        design = np.c_[np.ones(len(x) - 1), np.sin(phase[:-1, others] - phase[:-1, [i]])]
        coef = np.linalg.lstsq(design, np.diff(phase[:, i]) / dt, rcond=None)[0]
        assert abs(coef[0] - omega[i]) < 0.15
        np.testing.assert_allclose(coef[1:], K[i, others], atol=0.15)

@pytest.mark.neural
def test_sde_method_ranks_small_ou_edges():
    # the SDE method's defaults were tuned on Lorenz-96 only; on OU it ranks edges well (measured AUROC
    # 0.934 and 0.941 on these two graphs) though its selection is sparse (see docs/methods/causal.rst)
    pytest.importorskip("torch")
    from discover.causal.sde import SDEStructure

    off = ~np.eye(5, dtype=bool)
    aucs = []
    for seed in (0, 1):
        series, truth = ou(d=5, n=1000, dt=0.1, seed=seed)
        T = _adjacency(truth, series.variables)
        model = SDEStructure(random_state=0).fit(series)
        aucs.append(auroc(model.probabilities_[off], T[off]))
    assert min(aucs) >= 0.85


def _bench_causal():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_causal.py"
    spec = importlib.util.spec_from_file_location("bench_causal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_scores_oscillators_on_the_coupling_graph_and_cuts_causalnex_between_groups():
    bench = _bench_causal()
    series, truth = coupled_oscillators(d=5, n=20, degree=2.0, seed=1)
    _, T = bench.truth_arrays(truth, series.variables, 1)
    K = series.meta["coupling"]
    np.testing.assert_array_equal(bench.pool(T, series.meta["groups"]), (K != 0).T | np.eye(5, dtype=bool))
    # a method that finds only each oscillator's own columns scores nothing between oscillators
    own = np.kron(np.eye(5, dtype=bool), np.ones((2, 2), bool))
    m = bench.metrics(own.astype(float), own, T, groups=series.meta["groups"])
    assert m["f1"] == 0.0 and m["auroc"] == 0.5
    # the two-group cut falls in the gap between weak and strong weights, whatever their scale
    for scale in (1.0, 0.01):
        cut = bench.two_cluster_cut(scale * np.array([0.0, 0.0, 0.01, 0.02, 0.03, 0.5, 0.6, 0.8]))
        assert scale * 0.03 < cut < scale * 0.5
