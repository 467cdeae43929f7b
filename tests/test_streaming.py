"""Chunked (streaming) refits over every row equal the in-memory fits on the same rows.

Each streamed method is fitted in memory, then refitted by ``stream_refit`` on the same series with chunk
sizes that put chunk edges everywhere (1 row, a few rows, one chunk); the refit must reproduce the
in-memory estimates to 1e-10 (relative). Several trajectories of different lengths, lags, derivative
stencils and test-function windows cross the chunk edges.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import discover
from discover import registry
from discover.data import Trajectory, from_arrays
from discover.errors import DataError, ParameterError
from discover.streaming import count_blocks, lagged_moments, row_blocks

CHUNKS = (1, 7, 10**6)


def _rel(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _series(xs, ts, names):
    s = from_arrays(xs[0], t=ts[0], names=names)
    return s.with_trajectories([Trajectory(t, x, None, f"run{k}") for k, (t, x) in enumerate(zip(ts, xs))])


# ------------------------------------------------------------------ the layer
@pytest.mark.parametrize("offsets", [(0, 1), (0, -2, -4), (0, 1, 2, 3), (0,)])
@pytest.mark.parametrize("chunk", [1, 2, 5, 1000])
def test_lagged_moments_are_the_in_memory_sums(offsets, chunk):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((n, 3)) + 5 for n in (17, 4, 40)]  # the short one has no full window for 4 lags
    center = [x.mean(axis=0) for x in xs]
    scale = np.array([1.0, 2.0, 0.5])
    lo, hi = min(offsets), max(offsets)
    rows = [np.array([np.concatenate([(x[t + o] - c) / scale for o in offsets])
                      for t in range(max(0, -lo), len(x) - max(0, hi))]).reshape(-1, 3 * len(offsets))
            for x, c in zip(xs, center)]
    W = np.concatenate(rows)
    G, s, n = lagged_moments(xs, offsets, chunk_rows=chunk, center=center, scale=scale)
    assert n == len(W)
    assert _rel(G, W.T @ W) < 1e-12
    assert np.max(np.abs(s - W.sum(axis=0))) < 1e-12 * np.abs(W).sum()  # centred: the sums are ~0


def test_row_blocks_cover_each_row_once_with_the_neighbours_asked_for():
    out = list(row_blocks(23, 5, before=3, after=2, first=1, stop=22))
    covered = np.concatenate([np.arange(lo, hi) for lo, hi, _, _ in out])
    assert np.array_equal(covered, np.arange(1, 22))
    for lo, hi, a, b in out:
        assert a == max(0, lo - 3) and b == min(23, hi + 2)
    assert count_blocks([23, 5, 0], 5) == 5 + 1
    with pytest.raises(ParameterError, match="chunk_rows"):
        list(row_blocks(10, 0))


# ------------------------------------------------------------------ DYNOTEARS
def _dynotears_case(kind):
    from discover.causal.simulate import lorenz96, svar

    if kind == "svar":  # three trajectories, two lags of one step
        return svar(4, 300, n_trajectories=3, seed=1)[0]
    return lorenz96(5, n=1500, dt=0.01, sigma=0.3, seed=2)[0]  # a decorrelation step of several samples


@pytest.mark.parametrize("kind", ["svar", "l96"])
def test_dynotears_weights_streamed_equal_in_memory(kind):
    from discover.causal.dynotears import DYNOTEARS

    series = _dynotears_case(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = DYNOTEARS(n_subsamples=4, random_state=0).fit(series)
    if kind == "l96":
        assert m.step_ > 1  # lags of several rows cross the chunk edges
    W, A, n = m.W_.copy(), m.A_.copy(), m.n_windows_
    for chunk in CHUNKS:
        assert m.stream_refit(series, chunk_rows=chunk) is None
        assert _rel(m.W_, W) < 1e-10 and _rel(m.A_, A) < 1e-10 and m.n_windows_ == n
    assert "refitted on all" in m.findings()[0].metrics["streamed"]


# ------------------------------------------------------------------ DMD
def _oscillations(noise, n_channels=6, lengths=(700, 450, 900), seed=0, levels=None):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((4, n_channels))
    xs, ts = [], []
    for n in lengths:
        t = np.arange(n) * 0.05
        ph = rng.uniform(0, 6, 2)
        L = np.c_[np.exp(-0.05 * t) * np.cos(2 * t + ph[0]), np.exp(-0.05 * t) * np.sin(2 * t + ph[0]),
                  np.exp(-0.1 * t) * np.cos(0.7 * t + ph[1]), np.exp(-0.1 * t) * np.sin(0.7 * t + ph[1])]
        sd = noise if levels is None else np.asarray(levels)
        xs.append(L @ M + sd * rng.standard_normal((n, n_channels)))
        ts.append(t)
    return _series(xs, ts, [f"x{i}" for i in range(n_channels)])


@pytest.mark.parametrize("variant,levels", [("exact", None), ("fb", None), ("tls", None), ("opt", None),
                                            ("opt", [0.002, 0.002, 0.05, 0.05, 0.01, 0.03])])
def test_dmd_streamed_equals_in_memory(variant, levels):
    from discover.operators.dmd import DMD

    series = _oscillations(0.01, levels=levels)
    m = DMD(variant=variant, rank=4, stability_windows=0, delays=1).fit(series)
    assert (m.scale_ is not None) == (levels is not None)  # heteroscedastic channels: a whitened refit
    ev = np.sort_complex(m.continuous_eigenvalues_)
    recs = [m.reconstruct(k, tr.t - tr.t[0]) for k, tr in enumerate(series.trajectories)]
    err, res = m.reconstruction_error_, np.sort(m.residuals_)
    for chunk in CHUNKS:
        assert m.stream_refit(series, chunk_rows=chunk) is None
        assert m.variant_ == variant
        assert _rel(np.sort_complex(m.continuous_eigenvalues_), ev) < 1e-10
        for k, tr in enumerate(series.trajectories):
            assert _rel(m.reconstruct(k, tr.t - tr.t[0]), recs[k]) < 1e-10
        assert abs(m.reconstruction_error_ - err) < 1e-10 * err
        assert _rel(np.sort(m.residuals_), res) < 1e-10
    spec = m.findings()[0]
    assert "refitted on all 2,050 rows" in spec.metrics["streamed"]


def test_dmd_says_why_it_does_not_stream_a_delay_embedding():
    from discover.operators.dmd import DMD

    t = np.arange(600) * 0.05
    one = from_arrays(np.cos(2 * t) + 0.5 * np.sin(0.7 * t), t=t, names=["y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = DMD().fit(one)
    assert m.delays_ > 1 and "delay-embedded" in m.stream_refit(one, chunk_rows=50)
    with pytest.raises(DataError, match="columns of the fit"):
        DMD(rank=2, delays=1).fit(_oscillations(0.0)).stream_refit(one)


# ------------------------------------------------------------------ SINDy
def _lorenz(n, x0, noise=0.0, seed=0, dt=0.01):
    def f(_, x):
        return [10 * (x[1] - x[0]), x[0] * (28 - x[2]) - x[1], x[0] * x[1] - 8 / 3 * x[2]]

    t = np.arange(n) * dt
    X = solve_ivp(f, (0, t[-1]), x0, t_eval=t, rtol=1e-10, atol=1e-10).y.T
    return t, X + noise * np.random.default_rng(seed).standard_normal(X.shape) * X.std(axis=0)


@pytest.mark.parametrize("noise,options,form", [(0.0, {}, "strong"), (0.0, {"ensemble": 0}, "strong"),
                                                (0.02, {"degree": 2}, "weak"),
                                                (0.0, {"discrete_time": True, "degree": 2}, "map")])
def test_sindy_streamed_coefficients_equal_in_memory(noise, options, form):
    from discover.sindy import SINDy

    (t1, X1), (t2, X2) = _lorenz(1200, (1, 1, 20), noise), _lorenz(700, (-3, 2, 15), noise, seed=1)
    series = _series([X1, X2], [t1, t2], ["x", "y", "z"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = SINDy(random_state=0, **options).fit(series)
    assert m.formulation_ == form
    if form == "strong":  # Savitzky-Golay and finite-difference columns both cross chunk edges
        assert {1, 5} <= {w for i in m.diagnostics_["derivatives"] for w in i["windows"]}
    coef, r2, (lo, hi) = m.coefficients_.copy(), m.r2_.copy(), m.coefficient_intervals_
    for chunk in CHUNKS:
        assert m.stream_refit(series, chunk_rows=chunk) is None
        assert _rel(m.coefficients_, coef) < 1e-10
        assert np.max(np.abs(m.r2_ - r2)) < 1e-10
        if not m.ensemble:
            assert _rel(m.coefficient_intervals_[0], lo) < 1e-10 and _rel(m.coefficient_intervals_[1], hi) < 1e-10
    assert "refitted on all 1,900 rows" in m.findings()[0].metrics["streamed"]


# ------------------------------------------------------------------ the pipeline
def test_fit_streams_above_the_limit_and_subsamples_the_rest(monkeypatch):
    for name in ("dmd", "dynotears", "conservation"):
        monkeypatch.setitem(registry.REGISTRY, name, replace(registry.REGISTRY[name], max_rows=600))
    series = _oscillations(0.01, lengths=(1500, 1200))
    report = discover.fit(series, methods=["dmd", "dynotears", "conservation"],
                          config={"dmd": {"rank": 4, "delays": 1}})
    for name in ("dmd", "dynotears"):
        entry = report.methods[name]
        assert entry.status == "ok", entry.error
        assert any("fitted on all 2,700 rows in chunks of" in w and "subsample of 600 rows" in w
                   for w in entry.warnings), entry.warnings
    assert any("max_rows=600" in w for w in report.methods["conservation"].warnings)
    assert not any("fitted on all" in w for w in report.methods["conservation"].warnings)
    # the streamed spectrum is the in-memory spectrum of every row (same rank and variant)
    full = discover.fit(series, methods=["dmd"], max_rows=None, config={"dmd": {"rank": 4, "delays": 1}})
    ev = [np.sort_complex(np.asarray(r.spectra[0].continuous_eigenvalues, complex)) for r in (report, full)]
    assert report.spectra[0].metrics["variant"] == full.spectra[0].metrics["variant"]
    assert _rel(ev[0], ev[1]) < 1e-10
    # --max-rows (one limit for all) streams too; max_rows=None fits in memory and says nothing
    again = discover.fit(series, methods=["dynotears"], max_rows=1000)
    assert any("fitted on all 2,700 rows" in w for w in again.methods["dynotears"].warnings)
    assert not any("rows" in w for w in full.methods["dmd"].warnings)


def test_fit_streams_sindy_and_finds_the_lorenz_equations(monkeypatch):
    monkeypatch.setitem(registry.REGISTRY, "sindy", replace(registry.REGISTRY["sindy"], max_rows=800))
    (t1, X1), (t2, X2) = _lorenz(1200, (1, 1, 20)), _lorenz(700, (-3, 2, 15), seed=1)
    report = discover.fit(_series([X1, X2], [t1, t2], ["x", "y", "z"]), methods=["sindy"],
                          config={"sindy": {"ensemble": 0, "degree": 2}})
    entry = report.methods["sindy"]
    assert entry.status == "ok", entry.error
    assert any("fitted on all 1,900 rows" in w and "selection on a subsample of" in w for w in entry.warnings)
    eq = {e.variable: e for e in report.equations}
    assert "refitted on all 1,900 rows" in eq["x"].metrics["streamed"]
    sym = {str(s): s for s in eq["x"].rhs.free_symbols}
    x, y = sym["x"], sym["y"]
    coeffs = eq["x"].rhs.as_coefficients_dict()
    assert abs(float(coeffs[x]) + 10) < 0.05 and abs(float(coeffs[y]) - 10) < 0.05
