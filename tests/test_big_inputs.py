"""Long data: every method makes its choices on evenly spaced stretches of consecutive rows above
``max_rows`` and says so; the methods that stream (DMD, SINDy, DYNOTEARS) then refit on every row in
chunks, the others keep the stretches; ``max_rows=None`` fits every row in memory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from discover.cli import main

import discover
from discover.data import from_arrays
from discover.errors import ParameterError
from discover.pipeline import subsample


def _oscillation(n: int, dt: float = 0.01):
    t = np.arange(n) * dt
    return from_arrays(np.c_[np.exp(-0.01 * t) * np.cos(2 * t), np.exp(-0.01 * t) * np.sin(2 * t)], dt=dt,
                       names=["a", "b"])


def test_stretches_are_consecutive_evenly_spaced_and_add_up():
    series = _oscillation(25_000)
    used, note = subsample(series, 10_000)
    assert used.n_trajectories == 10 and used.n_samples == 10_000
    starts = [tr.t[0] for tr in used.trajectories]
    assert starts[0] == 0.0 and starts[-1] == pytest.approx(240.0)  # rows 24000..24999: the record's end
    gaps = np.diff(starts)  # evenly spaced, to within one stretch (1000 rows = 10 time units)
    assert gaps.max() - gaps.min() <= 10.0 + 1e-9
    for tr in used.trajectories:  # consecutive rows: the time step is kept
        assert np.allclose(np.diff(tr.t), 0.01)
    assert "25,000 rows are more than max_rows=10,000" in note and "10,000 rows" in note
    assert subsample(series, None) == (series, None) and subsample(series, 30_000) == (series, None)


def test_many_short_trajectories_keep_whole_ones_across_the_set():
    runs = _oscillation(500)
    many = runs.with_trajectories([runs.trajectories[0]] * 40)  # 40 x 500 = 20,000 rows
    used, note = subsample(many, 5_000)
    assert used.n_samples == 5_000 and all(len(tr) == 500 for tr in used.trajectories) and note


def test_fit_says_which_rows_each_method_used_and_finds_the_same_dynamics():
    series = _oscillation(30_000)
    small = discover.fit(series, methods=["dmd"], max_rows=5_000)
    full = discover.fit(series, methods=["dmd"], max_rows=None)
    warn = small.methods["dmd"].warnings
    assert any("fitted on all 30,000 rows in chunks" in w and "subsample of 5,000 rows" in w for w in warn), warn
    assert not any("max_rows" in w for w in full.methods["dmd"].warnings)
    periods = [np.abs(np.asarray(r.spectra[0].periods, float)) for r in (small, full)]
    assert np.allclose(np.sort(periods[0])[-1], np.pi, rtol=1e-4)  # 2π/2
    assert np.allclose(np.sort(periods[1])[-1], np.pi, rtol=1e-4)
    assert small.series["n_samples"] == 30_000  # the report describes the data given, not the subsample
    with pytest.raises(ParameterError, match="max_rows"):
        discover.fit(series, methods=["dmd"], max_rows=1)


def test_cli_max_rows(tmp_path):
    s = _oscillation(3_000)
    pd.DataFrame({"t": s.t, "a": s.x[:, 0], "b": s.x[:, 1]}).to_csv(tmp_path / "d.csv", index=False)
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "d.csv"), "-m", "dmd", "--max-rows", "1000", "-q",
                                  "-o", str(tmp_path / "r"), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert any("fitted on all 3,000 rows in chunks" in w for w in report["methods"]["dmd"]["warnings"])
    r0 = CliRunner().invoke(main, ["fit", str(tmp_path / "d.csv"), "-m", "dmd", "--max-rows", "0", "-q",
                                   "-o", str(tmp_path / "r0"), "-f", "json"])
    assert r0.exit_code == 0
    assert not any("max_rows" in w for w in json.loads((tmp_path / "r0" / "report.json").read_text())
                   ["methods"]["dmd"]["warnings"])
    bad = CliRunner().invoke(main, ["fit", str(tmp_path / "d.csv"), "--max-rows", "1"])
    assert bad.exit_code == 2


def test_auto_takes_each_methods_own_limit(monkeypatch):
    from dataclasses import replace

    from discover import registry

    assert registry.REGISTRY["sindy"].max_rows == 100_000 and registry.REGISTRY["dmd"].max_rows == 1_000_000
    monkeypatch.setitem(registry.REGISTRY, "dmd", replace(registry.REGISTRY["dmd"], max_rows=1_000))
    report = discover.fit(_oscillation(3_000), methods=["dmd", "dynotears"])
    assert any("subsample of 1,000 rows" in w for w in report.methods["dmd"].warnings)
    assert not any("subsample" in w for w in report.methods["dynotears"].warnings)
