"""Real tables: date-time time columns, a time column by name, choosing columns, ``--methods all``.

Every table is generated here (dates with pandas, values with numpy): no file
is downloaded or shipped.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from discover.cli import main

import discover
from discover import registry
from discover.errors import DataError, DataWarning
from discover.report.markdown import render_terminal


def _sst(path, n=120, freq="MS", col="date", fmt="%Y-%m-%d", seed=0):
    """A monthly SST-like series: 20 C mean, 3 C annual cycle, slow trend, noise."""
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2001-01-01", periods=n, freq=freq)
    years = stamps.year + (stamps.month - 1) / 12
    sst = 20 + 3 * np.sin(2 * np.pi * years) + 0.01 * (years - 2001) + 0.05 * rng.standard_normal(n)
    pd.DataFrame({col: stamps.strftime(fmt), "sst": sst}).to_csv(path, index=False)
    return path


# -- 1. dates ------------------------------------------------------------------------------------


def test_monthly_dates_are_regular_in_years(tmp_path):
    s = discover.load(_sst(tmp_path / "sst.csv"))
    assert s.time == "date" and s.variables == ("sst",)
    assert s.time_unit == "years" and s.regular
    assert s.dt == pytest.approx(1 / 12, rel=1e-9)
    assert s.t[0] == pytest.approx(2001.0) and s.t[14] == pytest.approx(2002 + 2 / 12)  # 2002-03-01
    summary = s.summary()
    assert summary["time_unit"] == "years" and summary["time_from"] == "column"
    assert summary["time_start"].startswith("2001-01-01")


@pytest.mark.parametrize("freq,dt", [("QS", 0.25), ("YS", 1.0), ("MS", 1 / 12)])
def test_calendar_sampling_is_regular(tmp_path, freq, dt):
    s = discover.load(_sst(tmp_path / "a.csv", n=40, freq=freq))
    assert s.regular and s.time_unit == "years" and s.dt == pytest.approx(dt, rel=1e-9)


def test_date_times_with_zones(tmp_path):
    # hourly stamps across the DST change in Paris: +01:00 then +02:00 offsets, regular in UTC
    stamps = pd.date_range("2021-03-27T12:00", periods=48, freq="h", tz="Europe/Paris")
    pd.DataFrame({"timestamp": [x.isoformat() for x in stamps], "x": np.arange(48.0)}).to_csv(
        tmp_path / "a.csv", index=False)
    s = discover.load(tmp_path / "a.csv")
    assert s.time == "timestamp" and s.time_unit == "hours" and s.regular and s.dt == pytest.approx(1.0)
    # ...and 'Z' (UTC) stamps every 10 minutes
    stamps = pd.date_range("2021-01-01", periods=30, freq="10min")
    pd.DataFrame({"Time": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"), "x": np.arange(30.0)}).to_csv(
        tmp_path / "b.csv", index=False)
    s = discover.load(tmp_path / "b.csv")
    assert s.time == "Time" and s.time_unit == "minutes" and s.dt == pytest.approx(10.0)


def test_irregular_dates_stay_irregular(tmp_path):
    days = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-06", "2020-01-09"])
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "x": [1.0, 2, 3, 5, 4]}).to_csv(tmp_path / "a.csv",
                                                                                       index=False)
    s = discover.load(tmp_path / "a.csv")
    assert s.time_unit == "days" and not s.regular
    np.testing.assert_allclose(s.t, [0, 1, 4, 5, 8])


def test_time_unit_choice(tmp_path):
    p = _sst(tmp_path / "sst.csv", n=24)
    months = discover.load(p, time_unit="months")
    assert months.time_unit == "months" and months.regular and months.dt == pytest.approx(1.0)
    days = discover.load(p, time_unit="days")  # months differ in length: not regular in days
    assert days.time_unit == "days" and not days.regular and 28 <= days.dt <= 31
    assert discover.load(tmp_path / "sst.csv", time_unit="hours").time_unit == "hours"
    with pytest.raises(DataError, match="time_unit must be one of"):
        discover.load(p, time_unit="fortnights")


def test_dmd_on_monthly_dates_finds_the_annual_cycle(tmp_path):
    report = discover.fit(_sst(tmp_path / "sst.csv"), methods=["dmd"])
    assert report.series["time_unit"] == "years"
    spectrum = next(f for f in report.findings if f.type == "spectrum")
    assert spectrum.dt == pytest.approx(1 / 12, rel=1e-9)
    periods = np.abs(np.asarray(spectrum.periods, dtype=float))
    assert np.min(np.abs(periods - 1.0)) < 0.02  # the annual cycle: a period of one year


def test_dynotears_lags_are_stated_in_the_time_unit(tmp_path):
    """Monthly dates: a lag of one step is one month, stated as 0.0833 years wherever a lag is shown."""
    rng = np.random.default_rng(1)
    n = 400
    x, y = np.zeros(n), np.zeros(n)
    for k in range(1, n):
        x[k] = 0.5 * x[k - 1] + rng.standard_normal()
        y[k] = 0.3 * y[k - 1] + 0.8 * x[k - 1] + 0.5 * rng.standard_normal()
    stamps = pd.date_range("1980-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
    pd.DataFrame({"date": stamps, "x": x, "y": y}).to_csv(tmp_path / "m.csv", index=False)
    report = discover.fit(tmp_path / "m.csv", methods=["dynotears"])
    lagged = next(g for g in report.graphs if g.metrics.get("resolution") == "lag")
    assert lagged.metrics["time_unit"] == "years"
    assert lagged.metrics["step_time"] == pytest.approx(lagged.metrics["step"] / 12, rel=1e-9)
    assert ("x", "y", 1) in {(e["source"], e["target"], e["lag"]) for e in lagged.edges()}
    one = f"1 ({lagged.metrics['step'] / 12:.3g} years)"
    assert f"| x | y | {one} |" in report.to_markdown()
    assert f"x -> y at lag {one}" in render_terminal(report)
    assert f'<td class="num">{one}</td>' in report.to_html()


# -- 2. a time column by name --------------------------------------------------------------------


def test_year_column_is_time_not_a_variable(tmp_path):
    rng = np.random.default_rng(1)
    pd.DataFrame({"Year": np.arange(1900, 2000), "temp": rng.standard_normal(100).cumsum()}).to_csv(
        tmp_path / "y.csv", index=False)
    s = discover.load(tmp_path / "y.csv")
    assert s.time == "Year" and s.variables == ("temp",) and s.time_unit == "years" and s.dt == 1.0
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "y.csv"), "--methods", "dmd", "-q",
                                  "--out", str(tmp_path / "rep"), "-f", "json"])
    assert r.exit_code == 0, r.output
    series = json.loads((tmp_path / "rep" / "report.json").read_text())["series"]
    assert series["time"] == "Year" and series["variables"] == ["temp"] and series["time_unit"] == "years"


def test_ambiguous_time_columns_one_line_error(tmp_path):
    pd.DataFrame({"t": np.arange(10.0), "time": np.arange(10.0) * 2, "x": np.arange(10.0) ** 2}).to_csv(
        tmp_path / "a.csv", index=False)
    with pytest.raises(DataError, match="several columns could be the time column: 't', 'time'"):
        discover.load(tmp_path / "a.csv")
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "a.csv"), "-q", "--out", str(tmp_path / "r")])
    assert r.exit_code == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "'t', 'time'" in lines[0] and "--time" in lines[0]
    assert discover.load(tmp_path / "a.csv", time="time").variables == ("t", "x")


def test_only_the_evenly_increasing_candidate_is_time(tmp_path):
    pd.DataFrame({"date": np.arange(12.0), "year": [3, 1, 2, 5, 6, 7, 8, 9, 9, 1, 0, 4],
                  "x": np.arange(12.0)}).to_csv(tmp_path / "a.csv", index=False)
    s = discover.load(tmp_path / "a.csv")
    assert s.time == "date" and s.variables == ("year", "x")


# -- 3. choosing columns -------------------------------------------------------------------------


def _table(path):
    rng = np.random.default_rng(2)
    pd.DataFrame({"t": np.arange(200) * 0.1, "a": rng.standard_normal(200), "b": rng.standard_normal(200),
                  "c": rng.standard_normal(200), "flag": ["ok"] * 200, "u": np.sin(np.arange(200))}).to_csv(
        path, index=False)
    return path


def test_variables_and_drop_on_the_command_line(tmp_path):
    p = _table(tmp_path / "a.csv")
    out = tmp_path / "r"
    r = CliRunner().invoke(main, ["fit", str(p), "--methods", "dmd", "-q", "--out", str(out), "-f", "json",
                                  "--variables", "a,c", "--inputs", "u"])
    assert r.exit_code == 0, r.output
    series = json.loads((out / "report.json").read_text())["series"]
    assert series["variables"] == ["a", "c"] and series["inputs"] == ["u"]
    r = CliRunner().invoke(main, ["fit", str(p), "--methods", "dmd", "-q", "--out", str(out), "-f", "json",
                                  "--drop", "b,flag", "--time-unit", "seconds"])
    assert r.exit_code == 0, r.output
    assert "flag" not in r.stderr  # a dropped text column is not read, so not warned about
    series = json.loads((out / "report.json").read_text())["series"]
    assert series["variables"] == ["a", "c", "u"] and series["time_unit"] == "seconds"
    r = CliRunner().invoke(main, ["fit", str(p), "-q", "--out", str(out), "--drop", "nope"])
    assert r.exit_code == 1 and "'nope'" in r.stderr and "drop" in r.stderr


def test_drop_in_python_matches_the_command_line(tmp_path):
    p = _table(tmp_path / "a.csv")
    s = discover.load(p, drop=["b", "flag"], inputs=["u"])
    assert s.variables == ("a", "c") and s.inputs == ("u",)
    df = pd.read_csv(p)
    assert discover.load(df, drop=["b", "flag"], inputs=["u"]).variables == ("a", "c")
    with pytest.raises(DataError, match="'zz' to drop"):
        discover.load(df, drop=["zz", "flag"])


# -- 4. --methods all ----------------------------------------------------------------------------


def test_methods_all_skips_what_is_not_installed(tmp_path, monkeypatch):
    real = registry._importable
    monkeypatch.setattr(registry, "_importable", lambda name: False if name == "torch" else real(name))
    neural = [s.name for s in registry.available() if s.extra == "neural"]
    assert neural, "no method needs the neural extra: this test has nothing to skip"
    t = np.arange(150) * 0.05
    pd.DataFrame({"t": t, "x": np.cos(t), "v": -np.sin(t)}).to_csv(tmp_path / "a.csv", index=False)
    from discover import pipeline

    with pytest.warns(UserWarning, match="skipped"):
        chosen = [n for n, _ in pipeline.resolve_methods("all")]
    assert not set(neural) & set(chosen) and chosen
    r = CliRunner().invoke(main, ["fit", str(tmp_path / "a.csv"), "--methods", "all", "-q",
                                  "--out", str(tmp_path / "r"), "-f", "json"])
    skipped = [ln for ln in r.stderr.splitlines() if "skipped" in ln]
    assert len(skipped) == len(neural), r.stderr
    readme = (pathlib_root() / "README.md").read_text(encoding="utf-8")
    for line, name in zip(skipped, neural):
        assert f"'{name}'" in line and 'pip install ".[neural]" torch==2.13.0' in line
    assert 'pip install ".[neural]" torch==2.13.0' in readme  # the command is the README's, word for word
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert set(report["methods"]) == set(chosen)
    failed = [n for n, m in report["methods"].items() if m["status"] != "ok"]
    assert r.exit_code == 0 and not failed, (failed, r.stderr)  # the installed methods all ran


_BLOCK_TORCH = """
import sys
class _Block:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch blocked by the test")
        return None
sys.meta_path.insert(0, _Block())
from discover.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("method", ["sde", "alrnn"])
def test_a_neural_method_named_without_torch_gives_the_pinned_command(tmp_path, method):
    """``--methods sde`` by name where torch cannot be imported: README's pinned command, others kept."""
    t = np.arange(150) * 0.05
    pd.DataFrame({"t": t, "x": np.cos(t), "v": -np.sin(t)}).to_csv(tmp_path / "a.csv", index=False)
    r = subprocess.run([sys.executable, "-c", _BLOCK_TORCH, "fit", str(tmp_path / "a.csv"), "--methods",
                        f"dmd,{method}", "-q", "--out", str(tmp_path / "r"), "-f", "json"],
                       capture_output=True, text=True, timeout=120)
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["methods"]["dmd"]["status"] == "ok", r.stderr  # the other method is not lost
    error = report["methods"][method]["error"]
    assert report["methods"][method]["status"] == "failed" and "PyTorch" in error, error
    assert 'pip install ".[neural]" torch==2.13.0' in error and 'pip install ".[neural]" torch==2.13.0' in r.stderr
    assert "discover[neural]" not in error + r.stderr


def pathlib_root():
    from pathlib import Path

    return Path(__file__).resolve().parents[1]


# -- 6. start-up: the command line imports nothing heavy --------------------------------------------


def test_cli_import_is_light():
    code = ("import sys, discover.cli\n"
            "from click.testing import CliRunner\n"
            "for args in (['--help'], ['--version'], ['methods'], ['fit', '--help']):\n"
            "    assert CliRunner().invoke(discover.cli.main, args).exit_code == 0, args\n"
            "heavy = sorted(m for m in ('sklearn', 'sympy', 'torch', 'pandas', 'scipy', 'numpy') "
            "if m in sys.modules)\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"importing discover.cli imported {out.stdout.strip()}"


def test_lazy_names_still_resolve():
    code = "import discover; print(discover.pipeline.__name__, discover.data.TIME_NAMES[0], discover.load.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["discover.pipeline", "t", "load"], out.stderr
    assert discover.fit is discover.pipeline.fit and discover.Series is discover.data.Series
    assert {"fit", "load", "Report"} <= set(dir(discover))
    with pytest.raises(AttributeError):
        discover.not_a_name  # noqa: B018


def test_time_unit_choices_match_the_data_layer():
    from discover.cli.types import TIME_UNIT_CHOICES

    from discover.data import TIME_UNITS

    assert TIME_UNIT_CHOICES == tuple(TIME_UNITS)


def test_dates_in_several_files_and_groups_share_one_axis(tmp_path):
    a = _sst(tmp_path / "a.csv", n=24)
    b = tmp_path / "b.csv"
    stamps = pd.date_range("2010-06-01", periods=24, freq="MS")
    pd.DataFrame({"date": stamps.strftime("%Y-%m-%d"), "sst": np.arange(24.0)}).to_csv(b, index=False)
    s = discover.load([a, b])
    assert s.regular and s.time_unit == "years"
    assert s.trajectories[1].t[0] == pytest.approx(2010 + 5 / 12)
    df = pd.concat([pd.read_csv(a).assign(run="a"), pd.read_csv(b).assign(run="b")])
    g = discover.load(df, group="run")
    assert g.n_trajectories == 2 and g.regular and g.time_unit == "years" and g.dt == pytest.approx(1 / 12)


def test_a_date_column_that_is_not_the_time_is_left_out_with_a_warning():
    df = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=5, freq="D"), "x": [1.0, 2, 3, 4, 6]})
    with pytest.warns(DataWarning, match="'when' holds dates"):
        s = discover.load(df)
    assert s.variables == ("x",) and s.time_unit == ""
    s = discover.load(df, time="when")
    assert s.time_unit == "days" and s.time == "when"
    np.testing.assert_allclose(s.t, [0, 1, 2, 3, 4])


def test_irregular_time_beside_a_temperature_named_T(tmp_path):
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.05, 0.15, 50))
    pd.DataFrame({"time": t, "T": 300 + rng.standard_normal(50)}).to_csv(tmp_path / "a.csv", index=False)
    s = discover.load(tmp_path / "a.csv")
    assert s.time == "time" and s.variables == ("T",) and not s.regular
