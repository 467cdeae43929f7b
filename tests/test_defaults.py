"""Default fits hold on data we did not make: every quick method fits (exit status 0).

`discover fit DATA.csv` with no options runs the quick methods (SINDy, DMD,
conservation laws, DYNOTEARS). Each must fit the data it gets, adapting to
its size (fewer samples than a library has terms, one column, many
columns), rather than fail. The awkward shapes run in the default suite;
the sweep over every bundled case is slow.

A constant column loads with a warning; SINDy, DMD and the conservation
laws fit it, and DYNOTEARS leaves it out of its fit as an isolated node and
says so, so the command exits with status 0.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from discover.cli import main

import discover
from discover.cases import list_cases, load_case
from discover.report import load_report

QUICK = {"sindy", "dmd", "conservation", "dynotears"}


def _write(path: Path, X: np.ndarray, names: list[str], dt: float = 0.1) -> Path:
    t = np.arange(len(X)) * dt
    np.savetxt(path, np.column_stack([t, X]), delimiter=",", header=",".join(["t", *names]), comments="",
               fmt="%.10g")
    return path


def _shapes(rng) -> dict:
    t300, t50, t200 = np.arange(300) * 0.1, np.arange(50) * 0.1, np.arange(200) * 0.1
    A = 0.5 * np.eye(30) + 0.1 * rng.standard_normal((30, 30)) / np.sqrt(30)
    var = np.zeros((200, 30))
    for k in range(199):  # a stable VAR(1) driven by noise
        var[k + 1] = A @ var[k] + rng.standard_normal(30)
    return {
        "one_column": ((np.sin(t300) + 0.05 * rng.standard_normal(300))[:, None], ["y"]),
        "two_columns_50_rows": (np.c_[np.cos(t50), np.sin(t50)] + 0.01 * rng.standard_normal((50, 2)), ["a", "b"]),
        "thirty_columns_200_rows": (var, [f"c{i}" for i in range(30)]),
        "trending_column": (np.c_[np.sin(t200) + 0.3 * t200, np.cos(t200)] + 0.01 * rng.standard_normal((200, 2)),
                            ["p", "q"]),
        "constant_column": (np.c_[np.sin(t200), np.cos(t200), np.full(200, 3.0)], ["p", "q", "k"]),
    }


SHAPES = ["one_column", "two_columns_50_rows", "thirty_columns_200_rows", "trending_column", "constant_column"]


@pytest.mark.parametrize("shape", SHAPES)
def test_awkward_shape_fits_with_defaults(shape, tmp_path):
    X, names = _shapes(np.random.default_rng(0))[shape]
    path = _write(tmp_path / f"{shape}.csv", X, names)
    start = time.perf_counter()
    res = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    seconds = time.perf_counter() - start
    assert res.exit_code == 0, (res.output, res.stderr)
    report = load_report(tmp_path / "out")
    assert {m for m, r in report.methods.items() if r.status == "ok"} == QUICK
    assert seconds < 120


def test_conservation_says_when_it_lowered_its_degree():
    X, names = _shapes(np.random.default_rng(0))["thirty_columns_200_rows"]
    series = discover.data.from_arrays(X, dt=0.1, names=names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = discover.fit(series, methods=["conservation"])
    res = report.methods["conservation"]
    assert res.status == "ok"
    # 30 variables: degree 3 (5515 terms) and 2 (555) outgrow 200 samples; degree 1 with sin/cos (90) fits
    assert any("degree lowered from 3 to 1" in w for w in res.warnings), res.warnings


def test_constant_column_fits_with_status_0(tmp_path):
    t = np.arange(200) * 0.1
    path = _write(tmp_path / "constant.csv", np.c_[np.sin(t), np.cos(t), np.full(200, 3.0)], ["p", "q", "k"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = discover.fit(str(path))
    assert {m for m, r in report.methods.items() if r.status == "ok"} == QUICK
    causal = [g for g in report.graphs if g.method == "dynotears"]
    assert causal and all(g.metrics["constant_columns"] == ["k"] for g in causal)
    for g in causal:  # the constant column is a node without edges; the others keep theirs
        assert "k" in g.graph and g.graph.degree("k") == 0
        assert any(e["source"] == "p" and e["target"] == "p" for e in g.edges())
    res = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.stderr
    assert "constant column(s) k left out" in (tmp_path / "out" / "report.md").read_text()


def test_dynotears_fit_is_unchanged_by_a_constant_column():
    """The varying columns get exactly the graph they get without the constant one."""
    from discover.causal.dynotears import DYNOTEARS
    from discover.causal.simulate import svar
    from discover.data import Series, Trajectory

    s, _ = svar(d=4, n=400, seed=1)
    with_k = Series(tuple(Trajectory(tr.t, np.c_[tr.x[:, :2], np.full(len(tr), -2.5), tr.x[:, 2:]], None, tr.name)
                          for tr in s.trajectories), ("x0", "x1", "k", "x2", "x3"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = DYNOTEARS(random_state=0).fit(s)
        b = DYNOTEARS(random_state=0).fit(with_k)
    keep = [0, 1, 3, 4]
    np.testing.assert_array_equal(b.scores_[:, keep][:, :, keep], a.scores_)
    np.testing.assert_array_equal(b.selected_[:, keep][:, :, keep], a.selected_)
    np.testing.assert_allclose(b.A_[:, keep][:, :, keep], a.A_, rtol=1e-10, atol=1e-14)
    assert not b.selected_[:, 2].any() and not b.selected_[:, :, 2].any() and b.constant_columns_ == ["k"]
    with pytest.raises(discover.errors.DataError, match="constant"):
        DYNOTEARS(required_edges=[("k", "x0", 1)]).fit(with_k)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(c.name for c in list_cases() if c.data_files))  # spiral_wave: no CSV
def test_bundled_case_fits_with_defaults(name):
    case = load_case(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = discover.fit(case.load())
    failed = {m: r.error for m, r in report.methods.items() if r.status != "ok"}
    assert not failed
    assert set(report.methods) == QUICK
