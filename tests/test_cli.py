"""The ``discover`` command line: bad input gives one clear line and exit 1; fits write reports.

Most tests call the click commands in-process with ``CliRunner`` (click >= 8.2
keeps stderr apart). A few run the installed ``discover`` command and
``python -m discover`` as real subprocesses.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

import discover
from discover import registry
from discover.base import Interval, Method
from discover.findings import Equation, symbols_for

try:
    from discover.cli import main
except ImportError as exc:  # pragma: no cover - a setup problem, not a test result
    raise ImportError("discover.cli is importable only when discover is installed: pip install -e .") from exc

import discover.cli as cli_module

HAS_SINDY = importlib.util.find_spec("discover.sindy") is not None and registry.REGISTRY["sindy"].present()
needs_sindy = pytest.mark.skipif(not HAS_SINDY, reason="discover.sindy is not written yet")


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


needs_renderers = pytest.mark.skipif(
    not (_has("discover.report.markdown") and _has("discover.report.html")),
    reason="discover.report.markdown/html are not written yet",
)


# ---------------------------------------------------------------------------
# a tiny method registered for these tests only, so that the CLI is tested
# apart from the real methods


class Decay(Method):
    """Test method: says ``d(v)/dt = -scale * v`` for every variable.

    Parameters
    ----------
    scale : float
        The decay rate it reports. Must be positive.
    fail : bool
        Raise in ``fit`` (to test failure isolation).
    random_state : int or None
        Recorded, to test ``--seed``.
    """

    name = "cli-decay"
    _parameter_constraints = {
        "scale": [Interval(float, 0, None, closed="neither")],
        "fail": [bool],
        "random_state": ["random_state"],
    }

    def __init__(self, scale=1.0, fail=False, random_state=None):
        self.scale = scale
        self.fail = fail
        self.random_state = random_state

    def fit(self, series, y=None):
        self._validate_params()
        if self.fail:
            raise RuntimeError("deliberate failure")
        self.variables_ = series.variables
        return self

    def findings(self):
        syms = symbols_for(self.variables_)
        return [Equation(v, sp.Float(-self.scale) * syms[v], method=self.name) for v in self.variables_]


@pytest.fixture
def decay(monkeypatch):
    """Register ``cli-decay`` (and a failing twin) for one test."""
    monkeypatch.setitem(registry.REGISTRY, "cli-decay",
                        registry.MethodSpec("cli-decay", f"{__name__}:Decay", False, "test decay"))
    monkeypatch.setitem(registry.REGISTRY, "cli-broken",
                        registry.MethodSpec("cli-broken", f"{__name__}:Broken", False, "always fails"))
    return "cli-decay"


class Broken(Decay):
    """Test method that always raises in ``fit``."""

    name = "cli-broken"

    def __init__(self, scale=1.0, fail=True, random_state=None):
        super().__init__(scale=scale, fail=fail, random_state=random_state)


@pytest.fixture
def spy(monkeypatch):
    """Record what the CLI hands to ``discover.fit`` (the series and keyword arguments)."""
    calls = []
    real_fit = discover.fit

    def fake(series, methods=None, **kw):
        calls.append(dict(kw, methods=methods, series=series))
        return real_fit(series, methods, **kw)

    monkeypatch.setattr(discover, "fit", fake)
    return calls


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def good_csv(tmp_path: Path, name: str = "good.csv", n: int = 50) -> Path:
    t = np.linspace(0, 5, n)
    rows = "\n".join(f"{a:.6f},{np.exp(-a):.8f},{np.cos(a):.8f}" for a in t)
    return write(tmp_path, name, "t,x,y\n" + rows + "\n")


def assert_one_line_error(result, *needles: str) -> str:
    """Exit 1, a single 'Error: ...' line on stderr naming each needle, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip() and not ln.startswith("Warning:")]
    errors = [ln for ln in lines if ln.startswith("Error:")]
    assert len(errors) == 1 and len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


# ---------------------------------------------------------------------------
# bad input: one line on stderr naming file/row/column, exit 1, no traceback


BAD_FILES = {
    # name: (file text, words the error line must contain besides the file name)
    "empty": ("", ()),
    "header_only": ("t,x,y\n", ()),
    "non_numeric": ("t,x,y\n0,1,2\n1,abc,3\n2,4,5\n3,5,6\n", ("row 3", "x")),
    "nan_cell": ("t,x,y\n0,1,2\n1,2,3\n2,nan,5\n3,5,6\n", ("row 4", "x")),
    "inf_cell": ("t,x,y\n0,1,2\n1,2,inf\n2,4,5\n3,5,6\n", ("row 3", "y")),
    "empty_cell": ("t,x,y\n0,1,2\n1,,3\n2,4,5\n3,5,6\n", ("row 3", "x")),
    "duplicate_time": ("t,x,y\n0,1,2\n1,2,3\n1,4,5\n2,5,6\n", ("row 4", "t")),
    "unsorted_time": ("t,x,y\n0,1,2\n2,2,3\n1,4,5\n3,5,6\n", ("row 4", "t")),
    "single_row": ("t,x,y\n0,1,2\n", ()),
    "more_variables_than_samples": ("t,a,b,c,d,e\n0,1,2,3,4,5\n1,2,3,4,5,7\n2,3,5,4,6,8\n", ()),
    "ragged_long": ("t,x,y\n0,1,2\n1,2,3,9\n2,4,5\n3,5,6\n", ("row 3",)),
    "ragged_short": ("t,x,y\n0,1,2\n1,2\n2,4,5\n3,5,6\n", ("row 3",)),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_gives_one_line_and_exit_1(tmp_path, decay, case):
    text, needles = BAD_FILES[case]
    path = write(tmp_path, f"{case}.csv", text)
    result = run("fit", path, "--methods", decay, "--out", tmp_path / "out", "--quiet")
    assert_one_line_error(result, path.name, *needles)
    assert not (tmp_path / "out" / "report.json").exists()


def test_missing_file(tmp_path, decay):
    result = run("fit", tmp_path / "nowhere.csv", "--methods", decay, "--out", tmp_path / "out")
    line = assert_one_line_error(result, "nowhere.csv")
    assert "not found" in line.lower() or "no such file" in line.lower() or "does not exist" in line.lower()


def test_named_time_column_absent(tmp_path, decay):
    path = good_csv(tmp_path)
    result = run("fit", path, "--time", "seconds", "--methods", decay, "--out", tmp_path / "out")
    assert_one_line_error(result, path.name, "seconds")


def test_absent_input_column(tmp_path, decay):
    path = good_csv(tmp_path)
    result = run("fit", path, "--inputs", "force", "--methods", decay, "--out", tmp_path / "out")
    assert_one_line_error(result, "force")


def test_constant_column_warns_and_goes_on(tmp_path, decay):
    t = np.arange(30) * 0.1
    rows = "\n".join(f"{a:.3f},{np.sin(a):.6f},4.0" for a in t)
    path = write(tmp_path, "const.csv", "t,x,c\n" + rows + "\n")
    out = tmp_path / "out"
    result = run("fit", path, "--methods", decay, "--out", out, "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning:")]
    assert len(warnings) == 1, result.stderr
    assert any(q in warnings[0] for q in ("'c'", '"c"', " c ", " c:", " c,")), warnings[0]
    assert "Traceback" not in result.stderr
    data = json.loads((out / "report.json").read_text())
    assert data["methods"][decay]["status"] == "ok"


def test_data_error_from_a_second_file_names_that_file(tmp_path, decay):
    first = good_csv(tmp_path, "run1.csv")
    second = write(tmp_path, "run2.csv", "t,x,y\n0,1,2\n1,oops,3\n2,4,5\n")
    result = run("fit", first, second, "--methods", decay, "--out", tmp_path / "out")
    assert_one_line_error(result, "run2.csv", "row 3")


# ---------------------------------------------------------------------------
# options: usage errors are exit 2, option values the methods refuse are exit 1


def test_unknown_method_is_a_usage_error(tmp_path):
    result = run("fit", good_csv(tmp_path), "--methods", "no-such-method")
    assert result.exit_code == 2
    assert "no-such-method" in result.stderr and "Available" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_and_command_are_usage_errors(tmp_path):
    assert run("fit", good_csv(tmp_path), "--frobnicate").exit_code == 2
    assert run("fitt").exit_code == 2
    assert run("fit").exit_code == 2  # DATA is required
    assert run("fit", good_csv(tmp_path), "--jobs", "0").exit_code == 2
    assert run("fit", good_csv(tmp_path), "--format", "pdf").exit_code == 2


def test_config_with_bad_value_is_exit_1(tmp_path, decay):
    cfg = write(tmp_path, "cfg.json", json.dumps({decay: {"scale": -2.0}}))
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--config", cfg, "--out", tmp_path / "o")
    assert_one_line_error(result, "scale", "-2.0")


def test_config_with_unknown_option_is_exit_1(tmp_path, decay):
    cfg = write(tmp_path, "cfg.toml", f'["{decay}"]\nspeed = 3\n')
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--config", cfg, "--out", tmp_path / "o")
    assert_one_line_error(result, "speed")


def test_config_for_a_method_not_run_is_exit_1(tmp_path, decay):
    cfg = write(tmp_path, "cfg.json", json.dumps({"cli-broken": {"scale": 2.0}}))
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--config", cfg, "--out", tmp_path / "o")
    assert_one_line_error(result, "cli-broken")


@pytest.mark.parametrize("text,suffix", [("{not json", ".json"), ("[1, 2]", ".json"), ("a = [", ".toml"),
                                         ('{"sindy": 3}', ".json")])
def test_malformed_config_file_is_a_usage_error(tmp_path, decay, text, suffix):
    cfg = write(tmp_path, "cfg" + suffix, text)
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--config", cfg)
    assert result.exit_code == 2
    assert "cfg" + suffix in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------
# a fit with the test method: report files, config, seed, exit code 3


def test_fit_writes_report_and_maps_options_to_the_api(tmp_path, decay, spy):
    cfg = write(tmp_path, "cfg.toml", f'["{decay}"]\nscale = 0.5\n')
    out = tmp_path / "out"
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--config", cfg, "--seed", 7,
                 "--out", out, "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # --quiet
    (seen,) = spy
    assert seen["methods"] == [decay] and seen["seed"] == 7 and seen["n_jobs"] == 1
    assert seen["config"] == {decay: {"scale": 0.5}} and seen["progress"] is False
    assert seen["series"].variables == ("x", "y")
    data = json.loads((out / "report.json").read_text())
    assert data["schema"].startswith("discover.report/")
    assert data["methods"][decay]["params"]["scale"] == 0.5
    assert data["methods"][decay]["params"]["random_state"] == 7
    eqs = {e["variable"]: sp.sympify(e["rhs"]) for e in data["equations"]}
    assert set(eqs) == {"x", "y"}
    assert float(eqs["x"].coeff(sp.Symbol("x"))) == pytest.approx(-0.5)
    assert not (out / "report.md").exists() and not (out / "report.html").exists()


def test_several_files_are_several_trajectories(tmp_path, decay, spy):
    result = run("fit", good_csv(tmp_path, "a.csv"), good_csv(tmp_path, "b.csv", n=40), "--methods", decay,
                 "--out", tmp_path / "o", "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert spy[0]["series"].n_trajectories == 2 and spy[0]["series"].n_samples == 90


def test_group_and_dt_options(tmp_path, decay, spy):
    rows = [f"{g},{np.exp(-0.1 * k):.6f},{k % 3}" for g in ("a", "b") for k in range(20)]
    path = write(tmp_path, "grouped.csv", "run,x,y\n" + "\n".join(rows) + "\n")
    result = run("fit", path, "--group", "run", "--dt", "0.5", "--methods", decay, "--out", tmp_path / "o",
                 "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    s = spy[0]["series"]
    assert s.n_trajectories == 2 and s.variables == ("x", "y")
    assert s.dt == pytest.approx(0.5)


def test_wide_field_on_a_grid_runs_dmd_end_to_end(tmp_path):
    """A CSV with many more columns than rows (a field on a grid) is refused without --wide
    and fitted by DMD with it; the report holds the spectrum of the two travelling modes."""
    pytest.importorskip("discover.operators.dmd")
    t = np.arange(60) * 0.1
    grid = np.linspace(0, 2 * np.pi, 400)
    field = (np.outer(np.cos(2.0 * t), np.sin(grid)) + np.outer(np.sin(2.0 * t), np.cos(grid))
             + 0.5 * np.outer(np.exp(-0.3 * t), np.cos(3 * grid)))
    header = "t," + ",".join(f"u{k}" for k in range(len(grid)))
    body = "\n".join(f"{tk:.3f}," + ",".join(f"{v:.10g}" for v in row) for tk, row in zip(t, field))
    path = write(tmp_path, "field.csv", header + "\n" + body + "\n")
    refused = CliRunner().invoke(main, ["fit", str(path), "--methods", "dmd", "--out", str(tmp_path / "r")])
    assert refused.exit_code == 1 and "--wide" in refused.stderr
    result = run("fit", path, "--wide", "--methods", "dmd", "--out", tmp_path / "o", "--format", "json", "--quiet")
    assert result.exit_code == 0, result.stderr
    d = json.loads((tmp_path / "o" / "report.json").read_text())
    w = d["spectra"][0]["continuous_eigenvalues"]
    omega = np.array(w["real"]) + 1j * np.array(w["imag"])
    assert np.min(np.abs(omega - 2.0j)) < 1e-6 and np.min(np.abs(omega + 0.3)) < 1e-6


def test_inputs_option(tmp_path, decay, spy):
    t = np.arange(40) * 0.1
    rows = "\n".join(f"{a:.2f},{np.sin(a):.6f},{np.cos(a):.6f},{a * a:.4f}" for a in t)
    path = write(tmp_path, "driven.csv", "t,x,y,u\n" + rows + "\n")
    result = run("fit", path, "--inputs", "u", "--methods", decay, "--out", tmp_path / "o", "--format", "json",
                 "--quiet")
    assert result.exit_code == 0, result.stderr
    assert spy[0]["series"].variables == ("x", "y") and spy[0]["series"].inputs == ("u",)


def test_a_failed_method_gives_exit_3_and_keeps_the_others(tmp_path, decay):
    out = tmp_path / "out"
    result = run("fit", good_csv(tmp_path), "--methods", f"{decay},cli-broken", "--out", out,
                 "--format", "json", "--quiet")
    assert result.exit_code == 3, result.stderr
    failed = [ln for ln in result.stderr.splitlines() if ln.startswith("Failed:")]
    assert len(failed) == 1 and "cli-broken" in failed[0] and "deliberate failure" in failed[0]
    assert "Traceback" not in result.stderr
    data = json.loads((out / "report.json").read_text())
    assert data["methods"]["cli-broken"]["status"] == "failed"
    assert data["methods"][decay]["status"] == "ok"
    assert {e["variable"] for e in data["equations"]} == {"x", "y"}


def test_progress_only_on_a_terminal_and_not_quiet(tmp_path, decay, spy, monkeypatch):
    path = good_csv(tmp_path)
    args = ("fit", path, "--methods", decay, "--out", tmp_path / "o", "--format", "json")
    for tty, quiet in [(False, True), (True, True), (True, False)]:
        monkeypatch.setattr(cli_module, "stderr_is_terminal", lambda tty=tty: tty)
        if quiet:
            assert run(*args, "--quiet").exit_code == 0
        else:
            monkeypatch.setattr(discover.Report, "__str__", lambda self: "summary")  # renderer not under test
            assert run(*args).exit_code == 0
    assert [c["progress"] for c in spy] == [False, False, True]


def test_jobs_are_passed_through(tmp_path, decay, monkeypatch):
    seen = {}
    real_fit = discover.fit

    def one_process(series, methods=None, **kw):  # record n_jobs, run in this process (fast)
        seen.update(kw)
        return real_fit(series, methods, **dict(kw, n_jobs=1))

    monkeypatch.setattr(discover, "fit", one_process)
    result = run("fit", good_csv(tmp_path), "--methods", f"{decay},cli-broken", "--jobs", "-1",
                 "--out", tmp_path / "o", "--format", "json", "--quiet")
    assert result.exit_code == 3
    assert seen["n_jobs"] == -1


def test_backend_option(tmp_path, decay, spy):
    args = ("fit", good_csv(tmp_path), "--methods", f"{decay},cli-broken", "--out", tmp_path / "o",
            "--format", "json", "--quiet")
    assert run(*args, "--backend", "threading").exit_code == 3
    assert spy[-1]["backend"] == "threading" and spy[-1]["n_jobs"] == -1  # a backend implies parallel
    assert run(*args, "--backend", "threading", "--jobs", "2").exit_code == 3
    assert spy[-1]["n_jobs"] == 2
    assert run(*args).exit_code == 3
    assert spy[-1]["backend"] is None and spy[-1]["n_jobs"] == 1
    result = run(*args, "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2 and "--backend dask" in result.stderr


def test_dask_backend_on_a_local_scheduler(tmp_path, decay, spy):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "o"
        result = run("fit", good_csv(tmp_path), "--methods", f"{decay},cli-broken", "--backend", "dask",
                     "--scheduler", cluster.scheduler_address, "--out", out, "--format", "json", "--quiet")
    assert result.exit_code == 3, result.stderr
    assert spy[-1]["backend"] == "dask"
    data = json.loads((out / "report.json").read_text())
    assert data["methods"][decay]["status"] == "ok" and data["methods"]["cli-broken"]["status"] == "failed"


@needs_renderers
def test_fit_prints_the_summary_and_writes_all_formats(tmp_path, decay):
    out = tmp_path / "out"
    result = run("fit", good_csv(tmp_path), "--methods", decay, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "x" in result.stdout and "Report written to" in result.stderr
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0


# ---------------------------------------------------------------------------
# discover report


def _saved_report(tmp_path, decay) -> Path:
    out = tmp_path / "saved"
    assert run("fit", good_csv(tmp_path), "--methods", decay, "--out", out, "--format", "json",
               "--quiet").exit_code == 0
    return out / "report.json"


@needs_renderers
@pytest.mark.parametrize("fmt,marker", [("html", "<html"), ("md", "#")])
def test_report_rerenders_a_saved_report(tmp_path, decay, fmt, marker):
    saved = _saved_report(tmp_path, decay)
    target = tmp_path / f"again.{fmt}"
    result = run("report", saved, "--format", fmt, "--out", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text()
    assert marker in text.lower()
    # to stdout when no --out; the folder works too
    result = run("report", saved.parent, "--format", fmt)
    assert result.exit_code == 0 and marker in result.stdout.lower()


@pytest.mark.parametrize("text,needle", [
    ("{oops", "not valid JSON"),
    ('{"hello": 1}', "not a discover report"),
    ("[]", "not a discover report"),
])
def test_report_refuses_files_that_are_not_reports(tmp_path, text, needle):
    bad = write(tmp_path, "bad.json", text)
    result = run("report", bad, "--format", "md")
    assert_one_line_error(result, "bad.json", needle)


@pytest.mark.skipif(not hasattr(__import__("discover.report", fromlist=["x"]), "validate"),
                    reason="discover.report.validate is not written yet")
def test_report_refuses_a_report_that_breaks_the_schema(tmp_path, decay):
    saved = _saved_report(tmp_path, decay)
    data = json.loads(saved.read_text())
    data["methods"][decay]["status"] = "sort of"
    saved.write_text(json.dumps(data))
    result = run("report", saved, "--format", "md")
    assert_one_line_error(result, "schema")


def test_report_of_a_missing_file_is_a_usage_error(tmp_path):
    result = run("report", tmp_path / "none.json")
    assert result.exit_code == 2 and "none.json" in result.stderr


# ---------------------------------------------------------------------------
# discover methods


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and discover.__version__ in result.stdout


def test_methods_lists_the_registry(decay):
    result = run("methods")
    assert result.exit_code == 0
    for spec in registry.available():
        assert spec.name in result.stdout
    as_json = json.loads(run("methods", "--json").stdout)
    assert {m["name"] for m in as_json} == {s.name for s in registry.available()}


def test_methods_shows_options_defaults_and_docs(decay):
    result = run("methods", decay)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Test method" in out
    for option, default in [("scale", "1.0"), ("fail", "False"), ("random_state", "None")]:
        line = next(ln for ln in out.splitlines() if ln.startswith(option))
        assert default in line
    assert "The decay rate it reports" in out
    assert "a float in the range (0, inf)" in out
    info = json.loads(run("methods", decay, "--json").stdout)
    assert [o["name"] for o in info["options"]] == ["fail", "random_state", "scale"]


def test_methods_with_an_unknown_name_is_exit_1():
    result = run("methods", "no-such-method")
    assert_one_line_error(result, "no-such-method")


# ---------------------------------------------------------------------------
# discover cases (the cases module is written by another helper: tested against
# a fake with the agreed API here; tests/test_cases.py tests the real one)


class _FakeCases:
    class Case:
        def __init__(self, name, description, path):
            self.name, self.description, self.path = name, description, Path(path)

    def __init__(self, status="ok"):
        self.calls = []
        self.status = status

    def list_cases(self, root=None):
        self.calls.append(("list", root))
        return [self.Case("lorenz", "Lorenz-63, chaotic", "cases/lorenz"),
                self.Case("lotka_volterra", "predator and prey", "cases/lotka_volterra")]

    def run_cases(self, names=None, root=None, seed=0, progress=False):
        self.calls.append(("run", names, root, seed, progress))
        return [{"case": "lorenz", "method": "sindy", "precision": 1.0, "recall": 1.0,
                 "max_rel_coef_error": 0.0042, "seconds": 1.23, "status": self.status}]


@pytest.fixture
def fake_cases(monkeypatch):
    fake = _FakeCases()
    monkeypatch.setitem(sys.modules, "discover.cases", fake)
    monkeypatch.setattr(discover, "cases", fake, raising=False)
    return fake


def test_cases_list(fake_cases, tmp_path):
    result = run("cases", "list", "--root", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "lorenz" in result.stdout and "predator and prey" in result.stdout
    assert fake_cases.calls == [("list", tmp_path)]


def test_cases_run_prints_a_score_table(fake_cases):
    result = run("cases", "run", "lorenz", "--seed", "3")
    assert result.exit_code == 0, result.stderr
    header, _, row = result.stdout.splitlines()[:3]
    assert header.split() == ["case", "method", "precision", "recall", "max_rel_coef_error", "seconds", "status"]
    assert row.split() == ["lorenz", "sindy", "1", "1", "0.0042", "1.23", "ok"]
    assert fake_cases.calls == [("run", ["lorenz"], None, 3, False)]
    rows = json.loads(run("cases", "run", "--json").stdout)
    assert rows[0]["case"] == "lorenz" and fake_cases.calls[-1][1] is None


def test_cases_run_exit_3_when_a_method_failed(fake_cases):
    fake_cases.status = "failed"
    assert run("cases", "run").exit_code == 3


def test_cases_errors_are_one_line(monkeypatch):
    class Missing:
        def list_cases(self, root=None):
            raise discover.DiscoverError("no cases folder: set --root or $DISCOVER_CASES")

    monkeypatch.setitem(sys.modules, "discover.cases", Missing())
    monkeypatch.setattr(discover, "cases", Missing(), raising=False)
    assert_one_line_error(run("cases", "list"), "no cases folder")


# ---------------------------------------------------------------------------
# SINDy on Lorenz through the CLI (needs discover.sindy from its author)


def lorenz_csv(tmp_path: Path, n: int = 2000) -> Path:
    from discover.systems import simulate

    s = simulate("lorenz", n=n, dt=0.005, seed=0)
    df = s.to_frame()
    path = tmp_path / "lorenz.csv"
    df.to_csv(path, index=False, float_format="%.10g")
    return path


LORENZ = {"x": {"x": -10.0, "y": 10.0}, "y": {"x": 28.0, "y": -1.0, "x*z": -1.0},
          "z": {"x*y": 1.0, "z": -8.0 / 3.0}}


def check_lorenz_equations(equations: list[dict], rel: float = 0.02) -> None:
    x, y, z = sp.symbols("x y z")
    found = {e["variable"]: sp.expand(sp.sympify(e["rhs"], locals={"x": x, "y": y, "z": z}))
             for e in equations if e.get("method", "sindy").startswith("sindy")}
    assert set(found) == {"x", "y", "z"}
    for var, terms in LORENZ.items():
        got = sp.Poly(found[var], x, y, z).as_dict()
        want = {sp.Poly(sp.sympify(k, locals={"x": x, "y": y, "z": z}), x, y, z).monoms()[0]: v
                for k, v in terms.items()}
        assert set(got) == set(want), (var, found[var])
        for mono, coef in want.items():
            assert float(got[mono]) == pytest.approx(coef, rel=rel), (var, found[var])


@needs_sindy
@needs_renderers
def test_sindy_fit_on_lorenz_writes_json_md_html(tmp_path):
    out = tmp_path / "report"
    result = run("fit", lorenz_csv(tmp_path), "--methods", "sindy", "--out", out)
    assert result.exit_code == 0, result.stderr
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).stat().st_size > 0
    data = json.loads((out / "report.json").read_text())
    assert data["methods"]["sindy"]["status"] == "ok"
    check_lorenz_equations(data["equations"])
    assert "x" in result.stdout and "z" in result.stdout  # equations printed


# ---------------------------------------------------------------------------
# real subprocesses: the installed console script and python -m discover


def _console_script() -> str:
    here = Path(sys.executable).parent / ("discover.exe" if os.name == "nt" else "discover")
    found = str(here) if here.exists() else shutil.which("discover")
    if found is None:
        pytest.fail("the 'discover' command is not installed: pip install -e .")
    return found


def _run_process(*args, cwd=None, timeout=120):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def test_installed_command_help(tmp_path):
    proc = _run_process(_console_script(), "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Exit status" in proc.stdout and "fit" in proc.stdout


def test_python_dash_m_discover_bad_input_is_one_line_and_exit_1(tmp_path):
    bad = write(tmp_path, "bad.json", "{oops")
    proc = _run_process(sys.executable, "-m", "discover", "report", bad, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("Error:")
    assert "bad.json" in proc.stderr and "Traceback" not in proc.stderr


@needs_sindy
@needs_renderers
def test_installed_command_fits_lorenz(tmp_path):
    data = lorenz_csv(tmp_path)
    proc = _run_process(_console_script(), "fit", data.name, "--methods", "sindy", "--out", "rep",
                        cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stderr  # no progress display (or colour) when piped
    check_lorenz_equations(json.loads((tmp_path / "rep" / "report.json").read_text())["equations"])
    assert (tmp_path / "rep" / "report.html").exists() and (tmp_path / "rep" / "report.md").exists()


# ---------------------------------------------------------------------------
# help and the generated CLI reference


def test_help_documents_the_exit_codes():
    for args in ([], ["fit"], ["report"], ["cases", "run"]):
        out = run(*args, "--help").stdout
        assert "Exit status" in out, args
        for code in ("0  ", "1  ", "2  ", "3  "):
            assert code in out, (args, code)


def test_docs_cli_reference_has_every_command():
    pytest.importorskip("sphinx")
    spec = importlib.util.spec_from_file_location(
        "discover_docs", Path(__file__).resolve().parent.parent / "docs" / "_ext" / "discover_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = "\n".join(module.cli_rst())
    for path in ("discover fit", "discover report", "discover methods", "discover cases list",
                 "discover cases run"):
        assert f"``{path}``" in text and f"Usage: {path} " in text, path
    assert "--methods" in text and "Exit status" in text
