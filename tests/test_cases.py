"""The bundled cases: layout, truth files, discovery API and SINDy's scores against the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import discover
from discover.cases import Case, find_root, list_cases, load_case, run_cases, score_equations
from discover.errors import DiscoverError
from discover.systems import SYSTEMS

ROOT = Path(__file__).resolve().parent.parent / "cases"
SINDY_CASES = ["lorenz", "damped_oscillator", "lotka_volterra"]


def test_find_root_order(tmp_path, monkeypatch):
    assert find_root(ROOT) == ROOT.resolve()
    monkeypatch.setenv("DISCOVER_CASES", str(tmp_path))
    assert find_root() == tmp_path.resolve()
    monkeypatch.delenv("DISCOVER_CASES")
    monkeypatch.chdir(tmp_path)
    assert find_root() == ROOT.resolve()  # beside the package source (editable checkout)
    (tmp_path / "cases").mkdir()
    assert find_root() == (tmp_path / "cases").resolve()
    with pytest.raises(DiscoverError, match="does not exist"):
        find_root(tmp_path / "nowhere")
    monkeypatch.setenv("DISCOVER_CASES", str(tmp_path / "nowhere"))
    with pytest.raises(DiscoverError, match="DISCOVER_CASES"):
        find_root()


@pytest.mark.parametrize("name", SINDY_CASES)
def test_case_layout_and_truth(name):
    case = load_case(name, ROOT)
    assert isinstance(case, Case) and case.name == name and case.description
    assert (case.path / "make_data.py").exists() and (case.path / "README.md").exists()
    assert case.methods == ["sindy"]
    for f in case.data_files:
        assert f.exists() and f.stat().st_size < 1_000_000
    truth = json.loads((case.path / "truth.json").read_text())
    system = SYSTEMS[name]
    # truth.json agrees with the generating system, equation by equation
    score = score_equations(dict(system.equations), truth)
    assert score["exact"] == len(system.variables) and score["max_rel_coef_error"] < 1e-12
    assert {tuple(e) for e in truth["graph"]["edges"]} == system.graph_edges()
    assert isinstance(truth["invariants"], list)
    assert bool(truth["invariants"]) == (name == "lotka_volterra")


def test_lorenz_file_is_the_readme_one():
    data = np.loadtxt(ROOT / "lorenz" / "lorenz.csv", delimiter=",", skiprows=1)
    header = (ROOT / "lorenz" / "lorenz.csv").read_text().splitlines()[0]
    assert header == "t,x,y,z" and data.shape == (4000, 4)
    assert np.allclose(np.diff(data[:, 0]), 0.005)


def test_list_and_unknown_cases():
    names = [c.name for c in list_cases(ROOT)]
    assert set(SINDY_CASES) <= set(names) and names == sorted(names)
    with pytest.raises(DiscoverError, match="Unknown case 'nope'"):
        load_case("nope", ROOT)
    with pytest.raises(DiscoverError, match="Unknown case"):
        run_cases(["nope"], ROOT)


def test_score_equations_terms_and_coefficients():
    truth = {"equations": {"x": "10*(y - x)", "z": "x*y - 8/3*z"}}
    s = score_equations({"x": "-10.1*x + 10*y + 0.01*x*z", "z": "x*y - 2.6*z"}, truth)
    assert s["precision"] == pytest.approx(4 / 5) and s["recall"] == 1.0
    assert s["max_rel_coef_error"] == pytest.approx(0.025)
    assert s["exact"] == 1 and s["per_equation"]["x"]["extra"] == ["x*z"]
    missing = score_equations({"x": "10*y"}, truth)
    assert missing["recall"] == pytest.approx(1 / 4) and missing["exact"] == 0


def test_lorenz_case_through_discover_fit():
    """The README command's case: every true term, no false one, coefficients within 1 %."""
    case = load_case("lorenz", ROOT)
    report = discover.fit(str(case.data_files[0]), methods=["sindy"], time="t")
    score = score_equations(report.equations, case.truth)
    assert score["precision"] == 1.0 and score["recall"] == 1.0
    assert score["max_rel_coef_error"] < 0.01
    edges = {(e["source"], e["target"]) for g in report.graphs for e in g.edges()}
    assert edges == {tuple(e) for e in case.truth["graph"]["edges"]}


def test_run_cases_scores_every_sindy_case():
    rows = run_cases(SINDY_CASES, ROOT)
    assert {r["case"] for r in rows} == set(SINDY_CASES)
    for r in rows:
        assert set(r) >= {"case", "method", "precision", "recall", "max_rel_coef_error", "seconds", "status"}
        assert r["method"] == "sindy" and r["status"] == "ok", r
        assert r["precision"] == 1.0 and r["recall"] == 1.0, r
        assert r["max_rel_coef_error"] < 0.01, r


def test_user_term_case_and_noisy_case():
    """predator_prey needs its configured term x*y/(1 + x); lorenz_noisy has 1 % noise."""
    case = load_case("predator_prey", ROOT)
    assert case.config == {"sindy": {"terms": ["x*y/(1 + x)"]}} and case.load_options["group"] == "run"
    rows = {r["case"]: r for r in run_cases(["predator_prey", "lorenz_noisy"], ROOT)}
    assert rows["predator_prey"]["exact"] == "2/2" and rows["predator_prey"]["max_rel_coef_error"] < 1e-3
    assert rows["lorenz_noisy"]["exact"] == "3/3" and rows["lorenz_noisy"]["max_rel_coef_error"] < 0.1
