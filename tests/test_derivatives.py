"""Derivative estimation: accuracy against known derivatives, irregular grids, noise, trajectory boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from discover.data import Trajectory, from_arrays
from discover.derivatives import METHODS, choose_method, differentiate, estimate_noise
from discover.errors import DataError, ParameterError
from discover.systems import SYSTEMS


def rel_rmse(est, truth):
    return np.sqrt(np.mean((est - truth) ** 2, axis=0)) / np.std(truth, axis=0)


@pytest.fixture(scope="module")
def lorenz_truth(lorenz_series):
    tr = lorenz_series.trajectories[0]
    f = SYSTEMS["lorenz"].rhs_function()
    return tr.t, tr.x, np.array([f(0.0, xi) for xi in tr.x])


@pytest.fixture(scope="module")
def irregular():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 12, 1500))
    x = np.c_[np.sin(t), 3 * np.cos(0.5 * t)]
    dx = np.c_[np.cos(t), -1.5 * np.sin(0.5 * t)]
    return t, x, dx


# -- finite differences ---------------------------------------------------------


def test_finite_difference_is_exact_for_quadratics_on_irregular_grids():
    t = np.sort(np.random.default_rng(1).uniform(0, 5, 40))
    x = np.c_[3 * t ** 2 - 2 * t + 1, -t]
    np.testing.assert_allclose(differentiate(x, t, "finite_difference"), np.c_[6 * t - 2, -np.ones_like(t)],
                               rtol=1e-9, atol=1e-9)


def test_finite_difference_is_second_order():
    errs = []
    for n in (100, 200):
        t = np.linspace(0, 2, n)
        errs.append(np.max(np.abs(differentiate(np.exp(t), t, "finite_difference") - np.exp(t))))
    assert 3.5 < errs[0] / errs[1] < 4.5


def test_finite_difference_on_clean_lorenz(lorenz_truth):
    t, x, dx = lorenz_truth
    assert rel_rmse(differentiate(x, t, "finite_difference"), dx).max() < 3e-3


# -- noise --------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.001, 0.01, 0.1])
def test_estimate_noise_recovers_the_level(lorenz_truth, level):
    t, x, _ = lorenz_truth
    sigma = level * x.std(axis=0)
    noisy = x + sigma * np.random.default_rng(2).standard_normal(x.shape)
    np.testing.assert_allclose(estimate_noise(noisy, t), sigma, rtol=0.1)


def test_estimate_noise_on_clean_and_irregular_data(lorenz_truth, irregular):
    t, x, _ = lorenz_truth
    assert np.all(estimate_noise(x, t) < 1e-4 * x.std(axis=0))
    ti, xi, _ = irregular
    noisy = xi + 0.02 * np.random.default_rng(3).standard_normal(xi.shape)
    np.testing.assert_allclose(estimate_noise(noisy, ti), [0.02, 0.02], rtol=0.2)  # MAD of ~1500 residuals
    assert estimate_noise(xi, ti).max() < 1e-4
    assert estimate_noise(np.arange(3.0), None).tolist() == [0.0]


def test_auto_picks_finite_differences_on_clean_data_and_smooths_noisy_data(lorenz_truth):
    t, x, dx = lorenz_truth
    assert choose_method(x, t) == "finite_difference"
    np.testing.assert_array_equal(differentiate(x, t), differentiate(x, t, "finite_difference"))
    noisy = x + 0.01 * x.std(axis=0) * np.random.default_rng(4).standard_normal(x.shape)
    assert choose_method(noisy, t) == "spline"
    err_auto = rel_rmse(differentiate(noisy, t), dx).max()
    err_fd = rel_rmse(differentiate(noisy, t, "finite_difference"), dx).max()
    assert err_auto < 0.04 and err_fd > 0.15  # smoothing is what makes the difference here


# -- smoothing methods on noisy data ----------------------------------------------


@pytest.mark.parametrize("method, tol", [("savgol", 0.05), ("spline", 0.04), ("tv", 0.12)])
def test_smoothing_methods_on_noisy_lorenz(lorenz_truth, method, tol):
    t, x, dx = lorenz_truth
    noisy = x + 0.01 * x.std(axis=0) * np.random.default_rng(5).standard_normal(x.shape)
    err = rel_rmse(differentiate(noisy, t, method), dx)
    assert err.max() < tol
    assert rel_rmse(differentiate(noisy, t, "finite_difference"), dx).min() > 1.2 * tol


@pytest.mark.parametrize("method, tol", [("finite_difference", 1e-3), ("savgol", 1e-3), ("spline", 1e-3),
                                         ("tv", 1e-3)])
def test_every_method_works_on_irregular_clean_data(irregular, method, tol):
    t, x, dx = irregular
    assert rel_rmse(differentiate(x, t, method), dx).max() < tol


@pytest.mark.parametrize("method, tol", [("savgol", 0.04), ("spline", 0.04), ("tv", 0.06)])
def test_smoothing_methods_on_irregular_noisy_data(irregular, method, tol):
    t, x, dx = irregular
    noisy = x + 0.01 * x.std(axis=0) * np.random.default_rng(6).standard_normal(x.shape)
    assert rel_rmse(differentiate(noisy, t, method), dx).max() < tol


def test_tv_keeps_a_kink_sharp():
    t = np.linspace(0, 2, 800)
    x = np.where(t < 1, t, 2 - t)
    truth = np.where(t < 1, 1.0, -1.0)
    noisy = x + 0.01 * np.random.default_rng(7).standard_normal(t.size)
    err = {m: np.sqrt(np.mean((differentiate(noisy, t, m) - truth) ** 2)) for m in ("tv", "spline", "savgol")}
    assert err["tv"] < 0.1 and err["tv"] < err["spline"] and err["tv"] < err["savgol"]


def test_savgol_regular_and_nearly_regular_grids_agree():
    t = np.linspace(0, 10, 500)
    x = np.sin(t) + 0.01 * np.random.default_rng(8).standard_normal(t.size)
    a = differentiate(x, t, "savgol", window=21, order=3)
    b = differentiate(x, t * (1 + 1e-7 * np.sin(t)), "savgol", window=21, order=3)  # irregular code path
    np.testing.assert_allclose(a[20:-20], b[20:-20], atol=1e-4)


def test_options_are_honoured():
    t = np.linspace(0, 10, 500)
    x = np.sin(t) + 0.05 * np.random.default_rng(9).standard_normal(t.size)
    rough = differentiate(x, t, "savgol", window=5)
    smooth = differentiate(x, t, "savgol", window=51)
    assert np.std(np.diff(rough)) > 3 * np.std(np.diff(smooth))
    assert np.std(differentiate(x, t, "spline", s=0.0) - np.cos(t)) > np.std(differentiate(x, t, "spline")
                                                                                - np.cos(t))
    assert np.std(differentiate(x, t, "tv", alpha=1e-6) - np.cos(t)) > np.std(differentiate(x, t, "tv")
                                                                                - np.cos(t))


# -- shapes, inputs, errors -------------------------------------------------------


@pytest.mark.parametrize("method", ("auto",) + METHODS)
def test_shape_and_inputs_untouched(method):
    t = np.linspace(0, 1, 60)
    x = np.c_[t ** 2, np.sin(3 * t)]
    x0, t0 = x.copy(), t.copy()
    assert differentiate(x, t, method).shape == (60, 2)
    assert differentiate(x[:, 0], t, method).shape == (60,)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)


@pytest.mark.parametrize("method", ("auto",) + METHODS)
def test_short_and_constant_series(method):
    assert differentiate([1.0, 3.0], [0.0, 2.0], method).tolist() == [1.0, 1.0]
    np.testing.assert_allclose(differentiate(np.c_[np.ones(30), np.arange(30.0)], 0.5, method),
                               np.c_[np.zeros(30), 2 * np.ones(30)], atol=1e-8)


def test_bad_arguments():
    t = np.linspace(0, 1, 20)
    with pytest.raises(ParameterError, match="'method' parameter of differentiate"):
        differentiate(t, t, "magic")
    with pytest.raises(ParameterError, match="no option"):
        differentiate(t, t, "finite_difference", window=5)
    with pytest.raises(ParameterError, match="'window'"):
        differentiate(t, t, "savgol", window=4)
    with pytest.raises(ParameterError, match="'alpha'"):
        differentiate(t, t, "tv", alpha=-1.0)
    with pytest.raises(DataError, match="increasing"):
        differentiate(t, t[::-1], "finite_difference")
    with pytest.raises(DataError, match="finite"):
        differentiate(np.r_[t[:-1], np.nan], t)
    with pytest.raises(DataError, match="at least two"):
        differentiate([1.0], [0.0])
    with pytest.raises(DataError, match="stamps"):
        differentiate(t, t[:-1])


# -- trajectories -----------------------------------------------------------------


@pytest.mark.parametrize("method", ("auto",) + METHODS)
def test_series_derivatives_never_cross_a_trajectory_boundary(method):
    t = np.linspace(0, 2, 200)
    a = np.c_[np.sin(t), t]
    b = np.c_[np.sin(t) + 50.0, t - 40.0]  # a jump of 50 between the two trajectories
    s = from_arrays([a, b], t=t)
    d = s.derivatives(method)
    truth = np.c_[np.cos(t), np.ones_like(t)]
    for part in d:
        assert np.max(np.abs(part - truth)) < 0.05
    # What crossing the boundary would look like: a spike of the size of the jump over one step.
    joined = np.concatenate([a, b])
    spike = np.max(np.abs(differentiate(joined, np.arange(400) * (t[1] - t[0]), "finite_difference")))
    assert spike > 1000


def test_series_derivatives_on_noisy_multi_trajectory_data():
    from discover.systems import simulate

    f = SYSTEMS["damped_oscillator"].rhs_function()
    clean = simulate("damped_oscillator", n=800, dt=0.01, n_trajectories=3, seed=1)
    rng = np.random.default_rng(10)
    noisy = clean.with_trajectories(
        Trajectory(tr.t, tr.x + 0.01 * tr.x.std(axis=0) * rng.standard_normal(tr.x.shape), name=tr.name)
        for tr in clean)
    for est, tr in zip(noisy.derivatives(), clean.trajectories):
        truth = np.array([f(0.0, xi) for xi in tr.x])
        assert rel_rmse(est, truth).max() < 0.05


@pytest.mark.parametrize("method", ("auto",) + METHODS)
def test_epoch_sized_time_stamps(method):
    t = 1.7e9 + np.arange(1000) * 0.01  # seconds since 1970: steps are rounded in the last digits
    s = from_arrays(np.sin(t - 1.7e9), t=t)
    assert s.regular
    assert np.max(np.abs(s.derivatives(method)[0][:, 0] - np.cos(t - 1.7e9))) < 1e-3
