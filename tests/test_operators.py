"""Tests of discover.operators: DMD variants, residual verification, EDMD, Hankel/HAVOK, piecewise DMD.

Accuracy is asserted against known spectra (the cases in ``cases/``), with
tolerances that a wrong method fails.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sklearn.base import clone

import discover
import discover.systems
from discover.data import from_arrays
from discover.errors import DataError, DataWarning, ParameterError
from discover.findings import Equation, Simulation, Spectrum, from_dict
from discover.operators._linalg import difference_noise, gd_noise_sigma, match_eigenvalues, optimal_rank, temporal_svd
from discover.operators.dictionaries import RBF, Custom, Delays, Fourier, Polynomial
from discover.operators.dmd import DMD
from discover.operators.edmd import EDMD
from discover.operators.hankel import HAVOK, HankelDMD, hankel_embed
from discover.operators.pdmd import PiecewiseDMD
from discover.operators.residual import auto_threshold, pseudospectrum

ROOT = Path(__file__).resolve().parents[1]


def _case(name):
    spec = importlib.util.spec_from_file_location(f"case_{name}", ROOT / "cases" / name / "make_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def channels():
    return _case("damped_channels")


@pytest.fixture(scope="module")
def slow_manifold():
    return _case("slow_manifold")


def _rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --------------------------------------------------------------------- DMD


def test_clean_channels_exact_spectrum_and_forecast(channels):
    t, X, clean = channels.make(0.0, extra=100)
    s = from_arrays(X[:300], t=t[:300], names=[f"c{i}" for i in range(50)])
    m = DMD().fit(s)
    assert m.variant_ == "exact" and m.rank_ == 6
    assert match_eigenvalues(m.continuous_eigenvalues_, channels.EIGENVALUES).max() <= 1e-9
    assert _rel(m.forecast(100), clean[300:]) <= 1e-9
    assert m.reconstruction_error_ < 1e-10
    assert not m.spurious_.any() and m.residuals_.max() < 1e-9
    # frequencies and growth rates from the Spectrum are the truth's
    spec = m.findings()[0]
    truth = channels.EIGENVALUES
    assert np.allclose(np.sort(spec.growth_rates), np.sort(truth.real), atol=1e-9)
    assert np.allclose(np.sort(spec.frequencies), np.sort(truth.imag / (2 * np.pi)), atol=1e-9)


def test_noisy_channels_auto_picks_noise_robust_variant(channels):
    t, X, clean = channels.make(0.05, extra=100, seed=0)
    m = DMD().fit(X[:300], t=t[:300])
    assert m.variant_ == "opt" and m.rank_ == 6
    err_auto = match_eigenvalues(m.continuous_eigenvalues_, channels.EIGENVALUES).max()
    assert err_auto <= 1e-3
    assert _rel(m.forecast(100), clean[300:]) <= 0.01
    exact = DMD(variant="exact").fit(X[:300], t=t[:300])
    err_exact = match_eigenvalues(exact.continuous_eigenvalues_, channels.EIGENVALUES).max()
    assert err_exact > 10 * err_auto  # exact DMD is biased by noise
    for variant in ("fb", "tls"):
        mv = DMD(variant=variant).fit(X[:300], t=t[:300])
        assert match_eigenvalues(mv.continuous_eigenvalues_, channels.EIGENVALUES).max() < err_exact
    assert 0.6 < m.noise_level_ / np.mean(0.05 * clean[:300].std(axis=0)) < 1.4  # noise level estimated


def test_optimized_dmd_gives_exact_conjugate_pairs_on_real_data(channels):
    t, X, clean = channels.make(0.0, extra=100)
    # one extra channel with a real (non-oscillatory) decay: pairs and a real eigenvalue together
    Xr = np.column_stack([X, np.exp(-0.3 * t)])
    m = DMD(variant="opt").fit(Xr[:300], t=t[:300])
    assert m.solver_info_["conjugate_pairs"] and m.rank_ == 7
    w = m.continuous_eigenvalues_
    assert match_eigenvalues(w, np.r_[channels.EIGENVALUES, -0.3]).max() <= 1e-9
    # the spectrum is closed under conjugation exactly (bit for bit), and so are the modes
    assert np.array_equal(np.sort_complex(w), np.sort_complex(w.conj()))
    j = np.argmax(w.imag)
    k = int(np.flatnonzero(w == w[j].conj())[0])
    assert np.allclose(m.modes_[:, k], m.modes_[:, j].conj(), atol=1e-12)
    assert _rel(m.forecast(100), Xr[300:]) <= 1e-9
    # the unconstrained complex fit reaches the same optimum on noisy data
    t, X, _ = channels.make(0.05, seed=2)
    a = DMD(variant="opt", weights=None).fit(X, t=t)
    b = DMD(variant="opt", weights=None, conjugate_pairs=False).fit(X, t=t)
    assert a.solver_info_["conjugate_pairs"] and not b.solver_info_["conjugate_pairs"]
    assert match_eigenvalues(a.continuous_eigenvalues_, b.continuous_eigenvalues_).max() < 1e-8


def test_noisy_channels_reach_the_cramer_rao_bound(channels):
    """5 % noise: the default fit is statistically efficient (its error is the bound's).

    The bound also shows what no unbiased method can do on these data: an
    expected maximum eigenvalue error below 3e-4 or a 100-step forecast
    error below 0.005.
    """
    bound = channels.cramer_rao(0.05, seed=0)
    assert bound["max"] > 4e-4 and bound["forecast"] > 0.006
    errs, fcs = [], []
    for seed in range(4):
        t, X, clean = channels.make(0.05, seed=seed, extra=100)
        m = DMD().fit(X[:300], t=t[:300])
        errs.append(match_eigenvalues(m.continuous_eigenvalues_, channels.EIGENVALUES).mean())
        fcs.append(_rel(m.forecast(100), clean[300:]))
    assert np.mean(errs) < 1.3 * bound["mean"]
    assert np.sqrt(np.mean(np.square(fcs))) < 1.3 * bound["forecast"]
    # exact DMD is far from the bound (its noise bias)
    exact = DMD(variant="exact").fit(X[:300], t=t[:300])
    assert match_eigenvalues(exact.continuous_eigenvalues_, channels.EIGENVALUES).mean() > 10 * bound["mean"]


def test_few_channels_noise_detected_by_one_step_misfit():
    s = discover.systems.simulate("damped_oscillator", n=3000, dt=0.01, noise=0.01, seed=1)
    truth = [-0.1 + 1j * np.sqrt(4 - 0.01), -0.1 - 1j * np.sqrt(4 - 0.01)]
    m = DMD().fit(s)
    assert m.variant_ == "opt"
    err = match_eigenvalues(m.continuous_eigenvalues_, truth).max()
    assert err < 2e-3
    assert match_eigenvalues(DMD(variant="exact").fit(s).continuous_eigenvalues_, truth).max() > 3 * err


def test_noise_weighting_helps_with_unequal_channel_noise(channels):
    errs = {"auto": [], None: []}
    for seed in range(4):
        t, X, clean = channels.make(0.05, seed=seed, extra=100)
        for w in errs:
            m = DMD(weights=w).fit(X[:300], t=t[:300])
            errs[w].append(match_eigenvalues(m.continuous_eigenvalues_, channels.EIGENVALUES).mean())
            if w == "auto":
                assert m.scale_ is not None
                assert _rel(m.forecast(100), clean[300:]) < 0.012  # in the data's units
                assert _rel(m.reconstruct(0, t[:300]), clean[:300]) < 0.01
    assert np.mean(errs["auto"]) < 0.95 * np.mean(errs[None])


def test_bop_dmd_gives_uncertainty_that_covers_the_truth(channels):
    t, X, _ = channels.make(0.05, seed=1)
    m = DMD(variant="bop", n_bags=12, random_state=0).fit(X, t=t)
    assert m.eigenvalue_std_.shape == (6,) and np.all(m.eigenvalue_std_ > 0)
    err = np.abs(m.continuous_eigenvalues_[:, None] - channels.EIGENVALUES[None]).min(axis=1)
    assert np.all(err < 3 * m.eigenvalue_std_)  # measured err/std up to 1.3 (seeds 1-3)
    assert np.all(m.eigenvalue_std_ < 2e-3)  # and informative (measured 1.6e-4 to 4.3e-4)
    assert "eigenvalue_std" in m.findings()[0].metrics


def test_optimized_dmd_takes_irregular_time_steps(channels):
    t, X, _ = channels.make(0.0)
    keep = np.sort(np.random.default_rng(3).choice(len(t), 200, replace=False))
    s = from_arrays(X[keep], t=t[keep])
    assert not s.regular
    m = DMD().fit(s)
    assert m.variant_ == "opt"
    assert match_eigenvalues(m.continuous_eigenvalues_, channels.EIGENVALUES).max() <= 1e-8
    with pytest.raises(DataError, match="constant time step"):
        DMD(variant="exact").fit(s)


def test_several_trajectories_never_pair_across_a_boundary():
    A = np.array([[0.9, 0.2], [-0.2, 0.9]])
    trajs = []
    for x0 in ([1.0, 0.0], [-3.0, 2.0], [0.5, 5.0]):
        x = [np.array(x0)]
        for _ in range(20):
            x.append(A @ x[-1])
        trajs.append(np.array(x))
    m = DMD(variant="exact").fit(from_arrays(trajs, dt=1.0))
    assert np.allclose(np.sort_complex(m.eigenvalues_), np.sort_complex(np.linalg.eigvals(A)), atol=1e-12)
    # (one concatenated array: its jumps are no linear 2-D system, which the
    # automatic delay check would notice; delays=1 shows the plain pairing error)
    naive = DMD(variant="exact", delays=1).fit(np.concatenate(trajs))
    assert not np.allclose(np.sort_complex(naive.eigenvalues_), np.sort_complex(np.linalg.eigvals(A)), atol=1e-3)
    opt = DMD(variant="opt").fit(from_arrays(trajs, dt=1.0))
    assert np.allclose(np.sort_complex(opt.eigenvalues_), np.sort_complex(np.linalg.eigvals(A)), atol=1e-9)


def _two_damped_oscillations(t):
    """Columns of each oscillation (cos, sin) and the truth: -0.1 ± 2i, -0.3 ± 0.5i."""
    a = np.exp(-0.1 * t)
    b = np.exp(-0.3 * t)
    parts = np.c_[a * np.cos(2 * t), a * np.sin(2 * t), b * np.cos(0.5 * t + 1), b * np.sin(0.5 * t + 1)]
    return parts, np.array([-0.1 + 2j, -0.1 - 2j, -0.3 + 0.5j, -0.3 - 0.5j])


def test_single_column_is_delay_embedded_by_default():
    """One column, two damped oscillations: four eigenvalues no 1×1 DMD can hold.

    The default detects it (a delay embedding has rank 4, the column 1),
    embeds, warns, records it in the spectrum, and recovers the spectrum;
    ``delays=1`` gives the plain (wrong) 1×1 fit.
    """
    t = np.arange(500) * 0.05
    parts, truth = _two_damped_oscillations(t)
    y = parts[:, 0] + 0.7 * parts[:, 3]
    s = from_arrays(y[:400], t=t[:400], names=["y"])
    with pytest.warns(DataWarning, match="1 column of rank 1, while a 30-delay embedding reveals rank 4"):
        m = DMD().fit(s)
    assert m.delays_ == 30 and m.embedding_ is not None
    assert match_eigenvalues(m.continuous_eigenvalues_, truth).max() < 1e-6
    assert m.modes_.shape == (1, 4) and m.reconstruction_error_ < 1e-8
    assert _rel(m.forecast(100)[:, 0], y[400:]) < 1e-6
    assert _rel(m.reconstruct(0)[:, 0], y[:400]) < 1e-8
    assert _rel(m.predict(y[100:130, None], t=t[:50])[:, 0], y[100:150]) < 1e-6
    out = m.findings()
    spec = out[0]
    assert spec.metrics["delays"] == 30 and "delay embedding" in spec.metrics["embedding"]
    assert not [f for f in out if isinstance(f, Equation)]  # the model is linear in delayed copies only
    assert _rel([f for f in out if isinstance(f, Simulation)][0].values[:, 0], y[:400]) < 1e-8
    with pytest.raises(DataError, match="30 consecutive samples"):
        m.predict(y[:1])
    # explicit options override: no embedding, and the 1×1 spectrum is wrong
    plain = DMD(delays=1).fit(s)
    assert plain.delays_ == 1 and plain.embedding_ is None and plain.continuous_eigenvalues_.size == 1
    assert "delays" not in plain.findings()[0].metrics
    fixed = DMD(delays=12, variant="fb").fit(s)
    assert fixed.delays_ == 12 and match_eigenvalues(fixed.continuous_eigenvalues_, truth).max() < 1e-6


def test_fewer_channels_than_the_dynamics_need_are_embedded():
    """Two channels mixing two oscillators (rank 4 dynamics): embedded, 4 eigenvalues recovered;
    two channels of one oscillator (rank 2 dynamics) are left as they are."""
    t = np.arange(400) * 0.05
    parts, truth = _two_damped_oscillations(t)
    X = parts @ np.array([[1.0, 0.3], [0.2, -1.0], [0.5, 0.8], [-0.7, 0.4]])
    with pytest.warns(DataWarning, match="2 columns of rank 2"):
        m = DMD().fit(X, t=t)
    assert m.delays_ == 15 and match_eigenvalues(m.continuous_eigenvalues_, truth).max() < 1e-6
    assert m.modes_.shape == (2, 4)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        one = DMD().fit(parts[:, :2], t=t)
    assert one.delays_ == 1 and match_eigenvalues(one.continuous_eigenvalues_, truth[:2]).max() < 1e-9


def test_dmdc_recovers_dynamics_and_input_matrix():
    rng = np.random.default_rng(0)
    A = np.array([[0.95, 0.1, 0.0], [-0.1, 0.95, 0.0], [0.0, 0.0, 0.5]])
    B = np.array([[0.0], [1.0], [0.5]])
    u = rng.standard_normal((120, 1))
    x = np.zeros((120, 3))
    x[0] = [1, 0, 0]
    for k in range(119):
        x[k + 1] = A @ x[k] + B @ u[k]
    s = from_arrays(x, dt=0.1, names=["a", "b", "c"], u=u, input_names=["f"])
    m = DMD().fit(s)
    assert m.variant_ == "dmdc"
    assert np.allclose(np.sort_complex(m.eigenvalues_), np.sort_complex(np.linalg.eigvals(A)), atol=1e-10)
    pred = m.predict(x[0], n_steps=120, u=u[:119])
    assert _rel(pred, x) < 1e-10
    eqs = [f for f in m.findings() if isinstance(f, Equation)]
    assert [e.kind for e in eqs] == ["map"] * 3
    f = sp.Symbol("f", real=True)
    assert abs(float(eqs[1].rhs.coeff(f)) - 1.0) < 1e-8


def test_spurious_eigenvalues_flagged_and_left_out_of_headline(channels):
    t, X, _ = channels.make(0.05, seed=2)
    m = DMD(rank=10, variant="exact").fit(X, t=t)
    err = np.abs(m.continuous_eigenvalues_[:, None] - channels.EIGENVALUES[None]).min(axis=1)
    true_ones = err < 0.05
    assert true_ones.sum() == 6
    assert not m.spurious_[true_ones].any()
    assert m.spurious_[~true_ones].all()
    spec = m.findings()[0]
    assert len(spec.metrics["headline"]) == 6
    assert not spec.spurious[:6].any() and spec.spurious[6:].all()  # trusted first


def test_pseudospectrum_dips_at_eigenvalues(channels):
    t, X, _ = channels.make(0.0)
    m = DMD().fit(X, t=t)
    lam = m.eigenvalues_
    at = m.pseudospectrum(lam)
    away = m.pseudospectrum(lam * 0.9)
    assert at.max() < 1e-8 and away.min() > 1e-3
    grid = np.linspace(-1, 1, 5)[:, None] + 1j * np.linspace(-1, 1, 5)[None, :]
    assert m.pseudospectrum(grid).shape == (5, 5)


def test_pseudospectrum_of_a_known_scalar_map():
    x = np.random.default_rng(1).standard_normal((30, 1))
    s = pseudospectrum(x, 0.5 * x, np.array([0.5, 0.2, 1j]))
    assert np.allclose(s, [0.0, 0.3, abs(0.5 - 1j)], atol=1e-12)


def test_auto_threshold_finds_the_gap():
    assert 1e-14 < auto_threshold([1e-15, 3e-15, 2e-3, 5e-2]) < 2e-3
    assert auto_threshold([0.01, 0.02, 0.05]) == 0.1


def test_optimal_rank_rules():
    rng = np.random.default_rng(0)
    L = rng.standard_normal((200, 4)) @ rng.standard_normal((4, 60)) * 3
    s = np.linalg.svd(L + 0.1 * rng.standard_normal(L.shape), compute_uv=False)
    assert optimal_rank(s, L.shape) == 4
    assert optimal_rank(s, L.shape, 0.5) < 4
    assert optimal_rank(s, L.shape, 7) == 7


@pytest.mark.parametrize("method", ["gram", "randomized"])
def test_wide_data_svd_paths_match_lapack(method):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 10)) @ rng.standard_normal((10, 5000))
    W, s, r = temporal_svd(X, method=method, rank=10, random_state=0, chunk=1024)  # several column blocks
    W0, s0, _ = temporal_svd(X, method="svd", rank=10)
    assert r == 10
    assert np.allclose(s[:10], s0[:10], rtol=1e-10)
    assert np.allclose(np.abs(W[:, :10].T @ W0[:, :10]), np.eye(10), atol=1e-8)


def test_wide_data_and_memmap_chunks(tmp_path):
    rng = np.random.default_rng(0)
    n, m = 20000, 150
    w = np.array([-0.05 + 1j, -0.1 + 2j, -0.02 + 0.5j, -0.3 + 3j, -0.01 + 0.2j])
    w = np.concatenate([w, w.conj()])
    t = np.arange(m) * 0.05
    modes = rng.standard_normal((n, 10)) + 1j * rng.standard_normal((n, 10))
    modes[:, 5:] = modes[:, :5].conj()
    X = (np.exp(np.outer(t, w)) @ modes.T).real
    ref = DMD().fit(X, t=t)
    assert ref.rank_ == 10
    assert match_eigenvalues(ref.continuous_eigenvalues_, w).max() < 1e-8
    path = tmp_path / "x.dat"
    mm = np.memmap(path, dtype=float, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    ro = np.memmap(path, dtype=float, mode="r", shape=X.shape)
    mdl = DMD(variant="exact").fit(ro, t=t)
    assert match_eigenvalues(mdl.continuous_eigenvalues_, w).max() < 1e-8
    assert mdl.modes_.shape == (n, 10)


def test_findings_roundtrip_equations_and_simulation():
    s = discover.systems.simulate("damped_oscillator", n=400, dt=0.02)
    m = DMD().fit(s)
    out = m.findings()
    spec = out[0]
    assert isinstance(spec, Spectrum) and spec.method == "dmd"
    assert from_dict(spec.to_dict()) == spec
    eqs = [f for f in out if isinstance(f, Equation)]
    assert [e.variable for e in eqs] == ["x", "v"] and all(e.kind == "ode" for e in eqs)
    x, v = sp.symbols("x v", real=True)
    # truth: x' = v, v' = -4x - 0.2v (the integrator is accurate to ~1e-10)
    assert abs(float(eqs[1].rhs.coeff(x)) + 4) < 1e-6 and abs(float(eqs[1].rhs.coeff(v)) + 0.2) < 1e-6
    sims = [f for f in out if isinstance(f, Simulation)]
    assert sims and sims[0].failed_at is None
    assert _rel(sims[0].values, s.trajectories[0].x) < 1e-6


def test_pipeline_and_sklearn_conventions():
    s = discover.systems.simulate("damped_oscillator", n=300, dt=0.02)
    report = discover.fit(s, methods=["dmd", "edmd", "hankel", "pdmd"])
    for name in ("dmd", "edmd", "hankel", "pdmd"):
        assert report.methods[name].status == "ok", report.methods[name].error
    assert len(report.spectra) >= 4
    est = DMD(rank=3, variant="fb")
    assert clone(est).get_params() == est.get_params()


@pytest.mark.parametrize("params, text", [
    ({"rank": -1}, "The 'rank' parameter of DMD must be 'auto', a positive int"),
    ({"variant": "magic"}, "The 'variant' parameter of DMD must be one of"),
    ({"bag_fraction": 1.5}, "The 'bag_fraction' parameter of DMD"),
])
def test_parameter_errors(params, text):
    with pytest.raises(ParameterError, match=text):
        DMD(**params).fit(np.random.default_rng(0).standard_normal((20, 3)))


def test_bad_data_errors():
    with pytest.raises(DataError, match="at least"):
        DMD().fit(np.ones((2, 3)))
    x = np.random.default_rng(0).standard_normal((20, 3))
    x[4, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        DMD().fit(x)
    with pytest.raises(DataError, match="needs inputs"):
        DMD(variant="dmdc").fit(np.random.default_rng(0).standard_normal((20, 3)))


@pytest.mark.parametrize("row", [0, 17, 39])  # first, inner and last sample (the last is outside X1)
def test_wide_data_nan_found_by_the_fit_pass(row):
    # wide data are not checked before the fit: the per-channel energies of its first pass show a NaN or
    # inf, and the error still names the row; the data are left as given
    x = np.random.default_rng(1).standard_normal((40, 300))
    x[row, 123] = np.inf if row == 39 else np.nan
    before = x.copy()
    with pytest.raises(DataError, match=f"row {row + 1}: trajectory 0 contains NaN or inf"):
        DMD().fit(x)
    np.testing.assert_array_equal(x, before)


def test_threaded_reductions_match_one_pass(monkeypatch):
    from discover.operators import _linalg
    from discover.operators.dmd import _column_energies

    x = np.random.default_rng(2).standard_normal((30, 1001))
    monkeypatch.setattr(_linalg, "THREADED_MIN", 0)  # split even this small array
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert len(_linalg.in_threads(np.sum, x, 0)) == 3
    np.testing.assert_allclose(_column_energies(x), np.einsum("ij,ij->j", x, x), rtol=1e-14)
    np.testing.assert_allclose(sum(_linalg.in_threads(np.sum, x, 0)), x.sum(), rtol=1e-12)
    V, Q = x[:, :5], np.random.default_rng(3).standard_normal((5, 4)) * (1 + 2j)
    np.testing.assert_allclose(_linalg.real_times(V, Q), V @ Q, rtol=1e-13)
    B, nrm = _linalg.unit_columns(V, Q)
    np.testing.assert_allclose(np.linalg.norm(B, axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(nrm, np.linalg.norm(V @ Q, axis=0), rtol=1e-12)


# -------------------------------------------------------------------- EDMD


def test_slow_manifold_spectrum_and_eigenfunctions(slow_manifold):
    t, xs = slow_manifold.make()
    s = from_arrays(xs, t=t, names=["x", "y"])
    m = EDMD().fit(s)
    mu, lam, b = slow_manifold.MU, slow_manifold.LAM, slow_manifold.B
    trusted = m.continuous_eigenvalues_[~m.spurious_]
    assert len(trusted) == 4
    assert match_eigenvalues(trusted, [0, mu, 2 * mu, lam]).max() <= 1e-9
    assert m.spurious_.sum() == 2  # from x*y and y**2: not Koopman eigenvalues
    x, y = sp.symbols("x y", real=True)
    phi = sp.expand(m.eigenfunction(lam))
    assert phi.coeff(y) == 1 and abs(float(phi.coeff(x**2)) + b) < 1e-9
    assert sp.expand(m.eigenfunction(mu)) == x
    spec = m.findings()[0]
    assert spec.eigenfunctions is not None and from_dict(spec.to_dict()) == spec
    # eigenfunctions evolve by their eigenvalue along the data
    vals = m.eigenfunction_values(xs[0])
    j = int(np.argmin(np.abs(m.continuous_eigenvalues_ - lam)))
    assert np.allclose(vals[1:, j], m.eigenvalues_[j] * vals[:-1, j], atol=1e-10)


def test_edmd_needs_trajectory_boundaries(slow_manifold):
    t, xs = slow_manifold.make(n_trajectories=5)
    good = EDMD().fit(from_arrays(xs, t=t, names=["x", "y"]))
    naive = EDMD().fit(np.concatenate(xs), t=np.arange(5 * len(t)) * 0.1)
    mu = slow_manifold.MU
    assert np.abs(good.continuous_eigenvalues_ - mu).min() < 1e-9
    assert np.abs(naive.continuous_eigenvalues_ - mu).min() > 1e-6


def test_dictionaries_combine(slow_manifold):
    t, xs = slow_manifold.make(n_trajectories=10)
    s = from_arrays(xs, t=t, names=["x", "y"])
    d = Polynomial(1) + Custom(["x**2"])
    m = EDMD(dictionary=d).fit(s)
    assert len(d.parts) == 2 and m.K_.shape == (4, 4)
    assert not m.spurious_.any()  # {1, x, y, x²} is invariant
    assert match_eigenvalues(m.continuous_eigenvalues_, [0, -0.05, -0.1, -1.0]).max() < 1e-9
    pred = m.predict(xs[0][0], 20)
    assert _rel(pred, xs[0][:20]) < 1e-9


def test_dictionary_shapes_and_terms():
    X = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    for d, p in ((RBF(n_centers=6), 6), (Fourier(2), 8), (Polynomial(3), 10), (Custom(["sin(x)*y"]), 1)):
        d.fit(X, ["x", "y"])
        Z = d.transform(X)
        assert Z.shape == (50, p)
        terms = d.terms()
        f = sp.lambdify(sp.symbols("x y", real=True), terms, "numpy")
        assert np.allclose(np.column_stack([np.broadcast_to(v, (50,)) for v in f(*X.T)]), Z, atol=1e-10)
    dl = (Polynomial(1, include_bias=False) + Delays(2)).fit(X, ["x", "y"])
    Z = dl.transform(X)
    assert dl.lag == 2 and Z.shape == (48, 6)
    assert np.allclose(Z[:, 0:2], X[2:]) and np.allclose(Z[:, 2:4], X[1:-1]) and np.allclose(Z[:, 4:6], X[:-2])
    assert [str(v) for v in dl.terms()] == ["x", "y", "x_lag1", "y_lag1", "x_lag2", "y_lag2"]


def test_edmd_with_delays_on_a_scalar_oscillation():
    t = np.arange(200) * 0.1
    y = np.cos(1.3 * t) * np.exp(-0.05 * t)
    m = EDMD(dictionary=Polynomial(1, include_bias=False) + Delays(1)).fit(y, t=t)
    assert match_eigenvalues(m.continuous_eigenvalues_, [-0.05 + 1.3j, -0.05 - 1.3j]).max() < 1e-9


# ------------------------------------------------------------------ Hankel


def test_hankel_dmd_single_channel():
    t = np.arange(300) * 0.1
    y = np.cos(1.5 * t) + 0.5 * np.cos(0.4 * t + 1) * np.exp(-0.02 * t)
    s = from_arrays(y, t=t, names=["y"])
    truth = [1.5j, -1.5j, -0.02 + 0.4j, -0.02 - 0.4j]
    for est in (None, DMD(variant="fb"), DMD(variant="opt")):
        m = HankelDMD(estimator=est, delays=10).fit(s)
        assert match_eigenvalues(m.continuous_eigenvalues_, truth).max() < 1e-8
    m = HankelDMD().fit(from_arrays(y[:250], t=t[:250], names=["y"]))
    assert m.delays_ == 30
    assert _rel(m.forecast(50)[:, 0], y[250:]) < 1e-8
    assert m.findings()[0].metrics["delays"] == 30


def test_hankel_embed_layout():
    X = np.arange(10.0).reshape(5, 2)
    H = hankel_embed(X, 3)
    assert H.shape == (3, 6) and np.allclose(H[1], [2, 3, 4, 5, 6, 7])
    with pytest.raises(DataError):
        hankel_embed(X, 6)


def test_havok_forcing_predicts_lorenz_lobe_switches():
    from sklearn.metrics import roc_auc_score

    s = discover.systems.simulate("lorenz", n=8000, dt=0.01, burn_in=500)
    m = HankelDMD(havok=True).fit(s)
    h = m.havok_
    x, t = s.trajectories[0].x[:, 0], s.trajectories[0].t
    tsw = t[np.nonzero(np.diff(np.sign(x)) != 0)[0] + 1]
    idx = np.searchsorted(tsw, h.times_, side="right")
    nxt = np.where(idx < len(tsw), tsw[np.minimum(idx, len(tsw) - 1)], np.inf)
    label = (nxt - h.times_) <= 0.5
    assert roc_auc_score(label, h.intermittency_) >= 0.8
    assert 0 < h.active_.mean() < 0.1
    out = m.findings()
    assert isinstance(out[0], Spectrum) and out[0].metrics["havok"]
    eqs = [f for f in out if isinstance(f, Equation)]
    assert len(eqs) == h.rank_ - 1 and all(f"v{h.rank_}" in str(e.rhs) for e in eqs)
    assert isinstance(out[-1], Simulation)


def test_havok_class_directly():
    t = np.arange(3000) * 0.01
    x = np.sin(t) + 0.3 * np.sin(3.1 * t)
    h = HAVOK(delays=50, rank=6).fit([x], t=[t])
    assert h.coordinates_.shape == (3000 - 49, 6)
    sim = h.simulate(0, 500)
    assert _rel(sim, h.coordinates_[:500, :5]) < 0.05


# --------------------------------------------------------------- piecewise


def test_piecewise_dmd_follows_a_frequency_switch():
    t = np.arange(400) * 0.05
    w = np.where(t <= 10, 2.0, 3.0)  # steps up to sample 200 turn at 2, later ones at 3
    phase = np.cumsum(w) * 0.05
    X = np.c_[np.cos(phase), np.sin(phase), np.cos(2 * phase), np.sin(2 * phase) + np.cos(phase)]
    m = PiecewiseDMD(rank=4, tol=1e-6).fit(X, t=t)
    assert m.n_windows_ >= 2 and m.reconstruction_error_ <= 1e-6
    assert m.errors_by_n_[1] > 0.1  # one window cannot follow the switch
    first = np.sort(np.abs(m.window_eigenvalues_[0].imag))
    assert np.allclose(first, [2, 2, 4, 4], atol=1e-6)
    assert m.global_error_ is not None
    assert m.forecast(10).shape == (10, 4)
    specs = m.findings()
    assert len(specs) == m.n_windows_ and specs[0].metrics["n_windows"] == m.n_windows_


def test_spiral_wave_piecewise_beats_global():
    sw = _case("spiral_wave")
    t, X = sw.make()
    m = PiecewiseDMD(n_windows=5, rank=20).fit(X, t=t)
    assert m.reconstruction_error_ <= 1e-3
    g = DMD(rank=20, variant="exact").fit(X, t=t)
    assert _rel(g.reconstruct(0, t), X) > 0.1


@pytest.mark.slow
def test_wide_scale_faster_than_an_economy_svd_and_within_twice_the_data_in_memory():
    import gc
    import time
    import tracemalloc

    rng = np.random.default_rng(0)
    n, m = 50_000, 500
    w = -rng.uniform(0.0, 0.1, 5) + 1j * rng.uniform(0.2, 3.0, 5)
    t = np.arange(m) * 0.02
    E = np.exp(np.outer(t, w))
    X = np.empty((m, n))
    for j in range(0, n, 10_000):
        M = rng.standard_normal((min(10_000, n - j), 5)) + 1j * rng.standard_normal((min(10_000, n - j), 5))
        X[:, j:j + 10_000] = 2 * (E @ M.T).real
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    mdl = DMD().fit(X, t=t)
    fit_s = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert mdl.rank_ == 10
    assert match_eigenvalues(mdl.continuous_eigenvalues_, np.concatenate([w, w.conj()])).max() < 1e-8
    assert peak <= 2 * X.nbytes
    t0 = time.perf_counter()
    np.linalg.svd(X, full_matrices=False)
    assert fit_s < time.perf_counter() - t0


def test_docstring_examples_run():
    import doctest

    import discover.operators.dictionaries as m_dict
    import discover.operators.dmd as m_dmd
    import discover.operators.edmd as m_edmd
    import discover.operators.hankel as m_hankel
    import discover.operators.pdmd as m_pdmd
    import discover.operators.residual as m_res

    for mod in (m_dict, m_dmd, m_edmd, m_hankel, m_pdmd, m_res):
        result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, mod.__name__


# ------------------------------------------------ real series (bundled cases)

def _real_spectrum(name, file):
    import warnings

    from discover.cases import load_case

    case = load_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec = DMD(random_state=0).fit(case.load()).findings()[0]
    return spec, case.truth["spectrum"]


def _trusted_periods(spec):
    keep = ~spec.spurious & np.isfinite(spec.periods) & (spec.continuous_eigenvalues.imag > 0)
    return spec.periods[keep], spec.period_intervals[keep]


@pytest.mark.parametrize("name", ["sunspots", "elnino_sst", "co2_mauna_loa"])
def test_real_cycles_are_modes_not_spurious(name):
    spec, truth = _real_spectrum(name, None)
    assert spec.time_unit == truth["time_unit"] == "years"
    periods, intervals = _trusted_periods(spec)
    for known in truth["periods"]:
        lo, hi = known["range"]
        inside = (periods >= lo) & (periods <= hi)
        assert inside.any(), (known["name"], periods)
        # the interval of the mode found holds its estimate and is narrower than the known range
        j = np.flatnonzero(inside)[0]
        assert intervals[j, 0] <= periods[j] <= intervals[j, 1]
        assert intervals[j, 1] - intervals[j, 0] < hi - lo
    # nothing of a known cycle is left among the spurious ones
    bad = spec.spurious & np.isfinite(spec.periods)
    for known in truth["periods"]:
        lo, hi = known["range"]
        assert not np.any(bad & (spec.periods >= lo) & (spec.periods <= hi))


def test_real_co2_trend_is_a_growing_real_mode():
    spec, _ = _real_spectrum("co2_mauna_loa", None)
    real = ~spec.spurious & (np.abs(spec.continuous_eigenvalues.imag) < 1e-9)
    assert real.any()
    g = spec.growth_times[real]
    assert np.any((g > 20) & (g < 2000))  # rising CO2: e-folding of the order of centuries, positive


def test_spectrum_reports_periods_growth_times_and_intervals(channels):
    t, X, _ = channels.make(0.01, seed=3)
    spec = DMD(random_state=0).fit(X, t=t).findings()[0]
    true_periods = 2 * np.pi / np.abs(channels.EIGENVALUES.imag)
    true_growth = 1 / channels.EIGENVALUES.real
    w = spec.continuous_eigenvalues
    for z, p, g in zip(channels.EIGENVALUES, true_periods, true_growth):
        j = int(np.argmin(np.abs(w - z)))
        assert abs(spec.periods[j] - p) < 0.01 * p
        assert abs(spec.growth_times[j] - g) < 0.1 * abs(g)
        lo, hi = spec.intervals[j]
        assert lo.real <= spec.growth_rates[j] <= hi.real and lo.imag <= w[j].imag <= hi.imag
        # the 10-90 % window range is not a calibrated confidence interval: the truth lies within
        # half its width of it (it is inside on seeds 3 and 4, 3e-5 out of a 6e-4 range on seed 5) ...
        wr, wi = hi.real - lo.real, hi.imag - lo.imag
        assert lo.real - wr / 2 <= z.real <= hi.real + wr / 2 and lo.imag - wi / 2 <= z.imag <= hi.imag + wi / 2
        assert 0 < wr < 2e-3 and 0 < wi < 2e-3  # ... and it is narrow (measured up to 6e-4 at 1 % noise)
    assert not spec.spurious.any()
    back = type(spec).from_dict(spec.to_dict())
    assert back == spec and np.allclose(back.periods, spec.periods)


def test_noise_modes_stay_spurious_under_the_window_test(channels):
    # rank 10 on 6 true eigenvalues at 1 % and 5 % noise: the extra 4 fail both tests
    for noise in (0.01, 0.05):
        t, X, _ = channels.make(noise, seed=2)
        m = DMD(rank=10, random_state=0).fit(X, t=t)
        err = np.abs(m.continuous_eigenvalues_[:, None] - channels.EIGENVALUES[None]).min(axis=1)
        true_ones = err < 0.05
        assert true_ones.sum() == 6
        assert not m.spurious_[true_ones].any()
        assert m.spurious_[~true_ones].all() and not m.stable_[~true_ones].any()
    assert DMD(rank=10, stability_windows=0).fit(X, t=t).stable_ is None


def test_varpro_refuses_an_overflowing_basis_instead_of_hanging():
    # exp(alpha t) past float range: LAPACK must never see the inf (its least squares can hang on it)
    from discover.operators._varpro import NonFiniteBasis, varpro, varpro_real

    t = np.arange(1000.0)
    Z = np.c_[np.cos(0.3 * t), np.sin(0.3 * t)]
    with pytest.raises(NonFiniteBasis):
        varpro([t], [Z], np.array([1.0 + 0.3j, 1.0 - 0.3j]))
    with pytest.raises(NonFiniteBasis):
        varpro_real([t], [Z], np.array([1.0 + 0.3j, 1.0 - 0.3j]))
    # a start just inside the range converges back to the decaying truth, steps past overflow refused
    alpha, _, _ = varpro_real([t], [Z], np.array([0.5 + 0.31j, 0.5 - 0.31j]))
    assert np.allclose(np.sort_complex(alpha), [-0.3j, 0.3j], atol=1e-8)


def test_long_records_are_thinned_for_variable_projection_without_changing_the_answer():
    from discover.operators import dmd as dmd_mod

    t = np.arange(60000) * 0.01
    rng = np.random.default_rng(0)
    X = np.c_[np.exp(-0.05 * t) * np.cos(1.3 * t), np.exp(-0.05 * t) * np.sin(1.3 * t),
              np.exp(-0.02 * t) * np.cos(3.1 * t), np.exp(-0.02 * t) * np.sin(3.1 * t)]
    X = X + 1e-3 * rng.standard_normal(X.shape)
    series = from_arrays(X, dt=0.01)
    thin = DMD(variant="opt", delays=1).fit(series)
    assert thin.solver_info_["stride"] == 3  # 60000 samples -> every 3rd, within the aliasing guard
    truth = np.array([-0.05 + 1.3j, -0.05 - 1.3j, -0.02 + 3.1j, -0.02 - 3.1j])
    got = np.log(thin.eigenvalues_) / 0.01
    assert np.max(np.min(np.abs(got[:, None] - truth[None, :]), axis=0)) < 1e-4
    # the guard: a fast mode keeps the stride below a quarter turn per kept step
    ts, Zs, stride = dmd_mod._thin([t], [X], np.array([0.0 + 60.0j]))
    assert stride == int((np.pi / 2) / (60.0 * 0.01)) == 2 and len(ts[0]) == 30000


# ------------------------------------------- rank of tall data without a noise bulk

def _sensors(n, d, k, noise=0.01, seed=0, dt=0.02):
    """``d`` sensors mixing ``k`` undamped oscillators (rank 2k, amplitudes 0.5-2), white noise of level ``noise``·std."""
    rng = np.random.default_rng(seed)
    w = np.sort(rng.uniform(0.5, 3.0, k))
    t = np.arange(n) * dt
    S = np.concatenate([np.cos(w * t[:, None]), np.sin(w * t[:, None])], axis=1)
    Q = np.linalg.qr(rng.standard_normal((d, 2 * k)))[0].T  # orthonormal rows: no direction mixed away
    X = S @ (rng.uniform(0.5, 2.0, 2 * k)[:, None] * Q)
    level = noise * X.std()
    return t, X + level * rng.standard_normal(X.shape), w, level


def test_difference_noise_measures_white_noise_under_a_smooth_signal():
    _, X, _, level = _sensors(20_000, 9, 4)
    assert difference_noise(X) == pytest.approx(level, rel=0.1)
    # two trajectories: the differences never cross from one to the other
    assert difference_noise([X[:5000], X[5000:] + 100.0]) == pytest.approx(level, rel=0.1)


def test_tall_data_whose_columns_all_carry_signal_keep_their_rank():
    # 12 sensors of 6 oscillators: rank 12, no noise bulk; the median rule alone kept 1 direction
    _, X, w, _ = _sensors(4000, 12, 6)
    s = np.linalg.svd(X, compute_uv=False)
    assert optimal_rank(s, X.shape) <= 2
    assert optimal_rank(s, X.shape, noise=difference_noise(X)) == 12
    m = DMD(random_state=0).fit(from_arrays(X, t=np.arange(len(X)) * 0.02))
    assert m.rank_ == 12
    freqs = np.sort(np.abs(m.continuous_eigenvalues_.imag))[::2]
    np.testing.assert_allclose(freqs, w, rtol=1e-3)


def test_a_real_noise_bulk_is_left_to_the_median_rule():
    # 3 oscillators in 60 noisy sensors: the bulk is there and the measured level agrees with it
    _, X, _, _ = _sensors(3000, 60, 3, noise=0.3)
    s = np.linalg.svd(X, compute_uv=False)
    noise = difference_noise(X)
    assert gd_noise_sigma(s, X.shape) / noise < 2
    assert optimal_rank(s, X.shape, noise=noise) == optimal_rank(s, X.shape) == 6
