"""The report: report.json (schema), report.md, report.html, simulations CSV, atomic writes.

Reports are built by hand from findings (no method runs here).
"""

from __future__ import annotations

import copy
import json
import os
import re
import xml.etree.ElementTree as ET

import jsonschema
import networkx as nx
import numpy as np
import pytest
import sympy as sp

import discover.report as report_pkg
from discover.findings import (
    Equation,
    Graph,
    Invariant,
    Simulation,
    Spectrum,
    SymbolicCode,
    symbols_for,
)
from discover.report import SCHEMA_ID, MethodResult, Report, atomic_write, load_report, schema, validate
from discover.report.html import embedded_json, render_html
from discover.report.markdown import render_markdown, render_terminal

NAMES = ["x", "E", "x.1", "lambda"]
EVIL = '<img src=x onerror="alert(1)">&amp;</script><!--'


def lag_graph() -> Graph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(["x", "E", "x.1"])
    g.add_edge("x", "E", weight=0.8, lag=1, score=0.95)
    g.add_edge("x", "E", weight=-0.3, lag=2, score=0.5)
    g.add_edge("E", "x", weight=0.4, lag=1, score=0.7)
    g.add_edge("x.1", "x.1", weight=-0.9, lag=1, score=1.0)
    g.add_edge("E", "x.1", weight=0.1, lag=0, score=0.2, selected=False)
    return Graph(g, kind="causal", method="dynotears", metrics={"loss": 0.01})


def dmd_spectrum() -> Spectrum:
    lam = np.r_[0.99 * np.exp(0.3j), 0.99 * np.exp(-0.3j), 0.9, 0.5 * np.exp(1.2j), 0.5 * np.exp(-1.2j), 0.0]
    rng = np.random.default_rng(0)
    return Spectrum(lam, dt=0.1, modes=rng.normal(size=(4, 6)) + 1j * rng.normal(size=(4, 6)),
                    amplitudes=[3.0, 3.0, 2.0, 0.5, 0.5, 0.1], residuals=[0.01, 0.01, 0.02, 0.4, 0.4, float("nan")],
                    spurious=[False, False, False, True, True, False], variables=tuple(NAMES), method="dmd")


def simulation(method="sindy", trajectory=0, failed=False) -> Simulation:
    t = np.linspace(0, 2, 201)
    v = np.c_[np.sin(t), np.cos(t), np.exp(-t), t ** 2] + trajectory
    if failed:
        v[150:, 0] = np.inf
        v[160:, 1] = np.nan
        return Simulation(t, v, NAMES, method=method, trajectory=trajectory, failed_at=float(t[150]),
                          message="blow-up: |x| > 1e6")
    return Simulation(t, v, NAMES, method=method, trajectory=trajectory)


def make_report(**series) -> Report:
    s = symbols_for(NAMES)
    x, E, x1, lam = s.values()
    eqs = [Equation("x", -10.0 * x + 10.0 * E, method="sindy", metrics={"r2": 0.9999, "complexity": 2}),
           Equation("E", sp.Rational(-8, 3) * E + x * x1 - sp.Float(1 / 3) * lam, method="sindy",
                    metrics={"r2": float("nan")}),
           Equation("x.1", sp.sin(lam) * E + sp.E * sp.exp(-x1 ** 2), kind="map", method="sr")]
    inv = Invariant(x ** 2 + E ** 2 + x1 / 2, residual=1e-6, confidence=0.99, method="conservation")
    code = SymbolicCode(("00", "01", "11"), tuple(["00"] * 30 + ["01"] * 20 + ["11"] * 50),
                        maps={"00": {"A": np.eye(2) * 0.9, "b": [0.1, 0.0]}}, variables=("x", "E"), method="alrnn")
    methods = {
        "sindy": MethodResult("sindy", "ok", 1.23, {"threshold": 0.1, "library": "poly2"},
                              findings=[*eqs[:2], simulation("sindy", 0), simulation("sindy", 1)]),
        "sr": MethodResult("sr", "ok", 42.0, {}, findings=[eqs[2], simulation("sr", failed=True)]),
        "dynotears": MethodResult("dynotears", "ok", 0.5, {"lags": 2}, findings=[lag_graph()]),
        "conservation": MethodResult("conservation", "ok", 0.01, {}, findings=[inv]),
        "dmd": MethodResult("dmd", "ok", 0.02, {"rank": None}, findings=[dmd_spectrum()]),
        "alrnn": MethodResult("alrnn", "ok", 3.0, {}, findings=[code]),
        "sde": MethodResult("sde", "failed", 0.3, {}, "LinAlgError: Singular matrix"),
    }
    info = {"source": "lorenz.csv", "variables": NAMES, "time": "time", "n_samples": 201, "dt": 0.01,
            "n_trajectories": 2, **series}
    return Report(info, methods, seed=0)


@pytest.fixture(scope="module")
def report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def page(report) -> str:
    return render_html(report)


def empty_report() -> Report:
    return Report({"source": "empty.csv", "variables": ["x"]}, {"sindy": MethodResult("sindy", "ok", 0.1, {})})


def all_failed_report() -> Report:
    return Report({"source": "bad.csv", "variables": ["x"]}, {
        n: MethodResult(n, "failed", 0.1, {}, f"ValueError: {n} broke <here>") for n in ("sindy", "dmd", "sde")})


# ---------------------------------------------------------------------------
# report.json and the schema


def test_schema_is_draft_2020_12_named_discover_report_1():
    s = schema()
    jsonschema.Draft202012Validator.check_schema(s)
    assert s["$id"] == SCHEMA_ID == "discover.report/1"
    assert s["$schema"].endswith("/draft/2020-12/schema")


def test_report_json_shape_and_validity(report):
    d = json.loads(report.to_json())
    assert d == report.to_dict()
    validate(d)
    assert d["schema"] == "discover.report/1" and d["source"] == "lorenz.csv"
    assert d["methods"]["sde"] == {"status": "failed", "seconds": 0.3, "params": {}, "error": "LinAlgError: Singular matrix",
                                  "warnings": []}
    assert d["methods"]["sindy"]["params"] == {"threshold": 0.1, "library": "poly2"}
    edge = d["graphs"][0]["edges"][0]
    assert set(edge) == {"source", "target", "lag", "weight", "score", "selected"}
    assert {e["lag"] for e in d["graphs"][0]["edges"]} == {0, 1, 2}
    assert len(d["equations"]) == 3 and len(d["spectra"]) == 1 and len(d["symbolic_codes"]) == 1
    sims = d["simulations"]
    assert [s["file"] for s in sims] == ["simulations/sindy.csv"] * 2 + ["simulations/sr.csv"]
    assert all("values" not in s and s["n_steps"] == 201 for s in sims)
    assert sims[2]["failed_at"] == pytest.approx(1.5) and "blow-up" in sims[2]["message"]
    # an equation's rhs parses back over the column names
    eq = d["equations"][1]
    assert eq["names"] == ["E", "lambda", "x", "x.1"]


def test_report_json_keeps_big_arrays_on_one_line():
    rng = np.random.default_rng(0)
    spec = Spectrum(np.exp(1j * rng.uniform(-1, 1, 40)), modes=rng.normal(size=(500, 40)),
                    variables=tuple(f"c{i}" for i in range(500)), method="edmd")
    r = Report({"source": "s.csv"}, {"edmd": MethodResult("edmd", "ok", 1.0, {}, findings=[spec])})
    text = r.to_json()
    assert len(text.splitlines()) < 100
    assert json.loads(text) == r.to_dict()
    validate(json.loads(text))


def _broken(report, change):
    d = copy.deepcopy(report.to_dict())
    change(d)
    return d


@pytest.mark.parametrize("change, where", [
    (lambda d: d.pop("schema"), "schema"),
    (lambda d: d.__setitem__("schema", "discover.report/2"), "schema"),
    (lambda d: d["graphs"][0]["edges"][0].__setitem__("score", 1.5), "score"),
    (lambda d: d["graphs"][0]["edges"][0].__setitem__("score", -0.1), "score"),
    (lambda d: d["graphs"][0]["edges"][0].__setitem__("lag", -1), "lag"),
    (lambda d: d["graphs"][0]["edges"][0].pop("target"), "target"),
    (lambda d: d["methods"]["sindy"].__setitem__("status", "done"), "status"),
    (lambda d: d["methods"]["sindy"].pop("error"), "error"),
    (lambda d: d["equations"][0].__setitem__("rhs", 3), "rhs"),
    (lambda d: d["invariants"][0].__setitem__("confidence", 2.0), "confidence"),
    (lambda d: d["spectra"][0].__setitem__("dt", "fast"), "dt"),
    (lambda d: d["simulations"][0].pop("file"), "simulations"),
    (lambda d: d.pop("equations"), "equations"),
])
def test_broken_reports_fail_validation(report, change, where):
    with pytest.raises(jsonschema.ValidationError) as info:
        validate(_broken(report, change))
    err = info.value
    assert where in (" ".join(map(str, err.absolute_path)) + " " + err.message)


def test_nan_and_inf_pass_the_schema(report):
    d = _broken(report, lambda d: d["graphs"][0]["edges"][0].update(score="nan", weight="-inf"))
    validate(d)


def test_report_from_dict_round_trip_with_inline_simulations(report):
    d = report.to_dict(simulation_values=True)
    back = Report.from_dict(json.loads(json.dumps(d)))
    assert back.to_dict(simulation_values=True) == d
    assert back.simulations[2] == report.simulations[2]
    assert back.failed == ["sde"]


# ---------------------------------------------------------------------------
# files


def test_save_and_load_report(tmp_path, report):
    out = report.save(tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md", "simulations"]
    assert sorted(p.name for p in (out / "simulations").iterdir()) == ["sindy.csv", "sr.csv"]
    validate(json.loads((out / "report.json").read_text()))
    back = load_report(out)
    assert back.to_dict() == report.to_dict()
    assert len(back.simulations) == 3
    for a, b in zip(back.simulations, report.simulations):
        assert a == b
        np.testing.assert_array_equal(a.values, b.values)  # exact, nan and inf included
        np.testing.assert_array_equal(a.t, b.t)
    assert load_report(out / "report.json").to_dict() == report.to_dict()


def test_simulation_csv_has_the_inputs_column_names(tmp_path, report):
    out = report.save(tmp_path, formats=("json",))
    head = (out / "simulations" / "sr.csv").read_text().splitlines()
    assert head[0] == "time,x,E,x.1,lambda"  # the time column and the variables, named as in the input
    assert len(head) == 202
    assert head[1 + 160].split(",")[1:3] == ["inf", "nan"]
    several = (out / "simulations" / "sindy.csv").read_text().splitlines()
    assert several[0] == "trajectory,time,x,E,x.1,lambda" and len(several) == 1 + 2 * 201
    import pandas as pd

    frame = pd.read_csv(out / "simulations" / "sr.csv")
    assert list(frame.columns) == ["time", *NAMES]


def test_simulation_csv_quotes_odd_names_and_odd_method_names(tmp_path):
    t = np.arange(3.0)
    sim = Simulation(t, np.c_[t, 2 * t], ("a,b", 'say "hi"'), method="../evil name")
    r = Report({"source": "s.csv", "time": "t"}, {"../evil name": MethodResult("../evil name", "ok", 0.0, {},
                                                                               findings=[sim])})
    out = r.save(tmp_path / "run")
    files = list((out / "simulations").iterdir())
    assert [f.name for f in files] == ["_evil_name.csv"]  # no "..", no space: stays in simulations/
    assert not (tmp_path / "evil name.csv").exists()
    back = load_report(out)
    assert back.simulations[0] == sim
    import pandas as pd

    assert list(pd.read_csv(files[0]).columns) == ["t", "a,b", 'say "hi"']


def test_a_crash_while_rendering_leaves_the_previous_report(tmp_path, monkeypatch, report):
    out = tmp_path / "run"
    report.save(out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(_report):
        raise RuntimeError("renderer crashed")

    other = make_report(source="other.csv")
    for target in ("discover.report.html.render_html", "discover.report.markdown.render_markdown"):
        with monkeypatch.context() as m:
            m.setattr(target, boom)
            with pytest.raises(RuntimeError, match="renderer crashed"):
                other.save(out)
        after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        assert after == before  # report.json (and every other file) untouched, no temp file left
    assert not list(out.rglob("*.tmp"))


def test_a_crash_while_writing_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    atomic_write(target, "old")

    def fail_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report_pkg.os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_written_files_are_readable_by_others(tmp_path, report):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_unknown_format_is_refused_before_anything_is_written(tmp_path, report):
    with pytest.raises(ValueError, match="Unknown report format 'pdf'"):
        report.save(tmp_path / "run", formats=("json", "pdf"))
    assert not (tmp_path / "run").exists()


def test_load_report_refuses_other_json(tmp_path):
    (tmp_path / "report.json").write_text('{"hello": 1}')
    with pytest.raises(ValueError, match="not a discover report"):
        load_report(tmp_path)


# ---------------------------------------------------------------------------
# report.md and the terminal summary


def test_markdown_sections(report):
    md = render_markdown(report)
    for heading in ("# discover report", "## Methods", "## Equations", "## Graphs", "## Invariants", "## Spectra",
                    "## Symbolic codes", "## Simulations"):
        assert f"\n{heading}\n" in "\n" + md
    assert "| sde | **failed** | 0.3 | 0 | `LinAlgError: Singular matrix` |" in md
    assert "d(x)/dt = 10.0*E - 10.0*x" in md
    assert "x.1[k+1] = E*sin(lambda) + E*exp(-x.1**2)" in md or "x.1[k+1] = " in md
    assert "| x | E | 1 | 0.8 | 0.95 |" in md  # edge table, lag in its column
    assert "| x | E | 2 | -0.3 | 0.5 |" in md
    assert "| source | target | lag | weight | score |" in md
    assert "frequency | growth rate | |amplitude| | residual | spurious" in md.replace("\\|", "|")
    assert "x**2 + E**2 + x.1/2 = const" in md or "E**2 + x**2 + x.1/2 = const" in md
    assert "simulations/sr.csv" in md and "failed at t = 1.5" in md
    assert "3 regions, 100 symbols" in md


def test_markdown_escapes_table_cells():
    r = Report({"source": "a|b.csv"}, {"m|1": MethodResult("m|1", "failed", 0.0, {}, "bad | cell\nsecond line")})
    md = render_markdown(r)
    assert "| m\\|1 | **failed** |" in md and "`bad \\| cell second line`" in md


def test_markdown_shows_html_in_user_strings_literally():
    r = Report({"source": "s.csv"}, {"<b>m</b>": MethodResult("<b>m</b>", "failed", 0.0, {}, "got <script>")})
    md = render_markdown(r)
    assert "<b>" not in md.replace("`got <script>`", "") and "&lt;b>m&lt;/b>" in md


def test_terminal_summary_order_and_errors(report):
    text = render_terminal(report)
    assert str(report) == text
    pos = [text.index(h) for h in ("Equations", "Graphs", "Invariants", "Spectra", "Failed methods")]
    assert pos == sorted(pos)
    assert "[sindy] d(x)/dt = 10.0*E - 10.0*x" in text
    assert "x -> E at lag 2" in text
    assert "sde: LinAlgError: Singular matrix" in text
    assert "6/7 methods ok" in text
    assert "<" not in text.replace("<here>", "")  # plain text, no markup


# ---------------------------------------------------------------------------
# report.html


def test_html_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    low = page.lower()
    assert "http://" not in low and "https://" not in low and "//cdn" not in low
    assert " src=" not in low
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', low))  # only in-page anchors
    assert "href=" not in re.sub(r'href="#[^"]*"', "", low)
    assert "<link" not in low and "@import" not in low
    assert re.findall(r"url\((?!#)", low) == []  # only in-page references (SVG markers)
    assert "xmlns" not in low
    assert "<style>" in page and "font" in page  # CSS inlined


def test_html_embeds_the_report_json(report, page):
    assert page.count('<script type="application/json" id="discover-report">') == 1
    assert json.loads(embedded_json(page)) == report.to_dict()
    assert page.count("<script") == 1  # nothing executable


def test_html_escapes_user_strings_and_cannot_close_the_script():
    s = symbols_for([EVIL, "y"])
    g = nx.DiGraph()
    g.add_edge(EVIL, "y", weight=1.0)
    r = Report({"source": EVIL, "variables": [EVIL, "y"]}, {
        EVIL: MethodResult(EVIL, "ok", 0.1, {EVIL: EVIL}, findings=[
            Equation(EVIL, 2 * s[EVIL] + s["y"], method=EVIL, metrics={EVIL: 1.0}),
            Graph(g, kind=EVIL, method=EVIL),
            Simulation([0.0, 1.0], [[1.0, 2.0], [3.0, 4.0]], (EVIL, "y"), method=EVIL, failed_at=1.0, message=EVIL),
            SymbolicCode((EVIL,), (EVIL, EVIL), method=EVIL),
        ]),
        "bad": MethodResult("bad", "failed", 0.1, {}, EVIL),
    })
    page = render_html(r)
    assert "<img" not in page and "</script><!--" not in page
    assert page.count("</script>") == 1 and page.count("<!--") == 0
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;" in page
    assert json.loads(embedded_json(page)) == r.to_dict()
    _check_xml_fragments(page)


def _check_xml_fragments(page: str) -> None:
    """Every <math> and <svg> element is well-formed XML with no named entity but XML's own."""
    for tag in ("math", "svg"):
        for frag in re.findall(rf"<{tag}\b.*?</{tag}>", page, re.S):
            ET.fromstring(frag)
    assert not re.search(r"&(?!(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);)", page.split("<script")[0])


def test_html_equations_are_mathml(report, page):
    maths = re.findall(r'<math display="block">(.*?)</math>', page, re.S)
    assert len(maths) >= len(report.equations) + len(report.invariants)
    _check_xml_fragments(page)
    first = maths[0]
    assert "<mfrac>" in first and "<mi>x</mi>" in first and "<mn>10.0</mn>" in first
    second = maths[1]
    assert "<mi>E</mi>" in second  # the column E is a letter, not Euler's number
    assert "<mi>x.1</mi>" in second and "λ" in second  # lambda shown as λ
    third = maths[2]
    assert "\u2147" in third  # Euler's number (ⅇ) from sp.E, a character, not &ExponentialE;
    assert "&InvisibleTimes;" not in page and "&ExponentialE;" not in page


def test_html_graph_svg(page):
    svgs = re.findall(r'<svg class="figure graph".*?</svg>', page, re.S)
    assert len(svgs) == 2  # dynotears' graph and the symbolic code's transition graph
    assert "transition graph of alrnn" in svgs[1]
    g = svgs[0]
    edges = re.findall(r'<path d="[^"]*"[^>]*marker-end="url\(#([^)]*)\)"[^>]*>', g)
    assert len(edges) == 5  # 4 selected + 1 candidate
    labels = re.findall(r'class="edge-label"[^>]*>([^<]*)<', g)
    assert sorted(labels) == ["lag 1", "lag 1", "lag 1", "lag 2"]  # selected edges labelled with their lag
    assert 'stroke-dasharray="5 4"' in g  # the candidate edge
    widths = {float(w) for w in re.findall(r'stroke-width="([\d.]+)" stroke-opacity', g)}
    assert max(widths) == pytest.approx(5.0) and min(widths) < 2  # by |weight|
    opac = [float(o) for o in re.findall(r'stroke-opacity="([\d.]+)"', g)]
    assert max(opac) == 1.0 and min(opac) < 0.5  # by score
    ids = re.findall(r'<marker id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # unique in the page


def test_html_spectrum_plots(page):
    svgs = re.findall(r'<svg class="figure spectrum".*?</svg>', page, re.S)
    assert len(svgs) == 2  # discrete and continuous time
    discrete, continuous = svgs
    assert "unit circle" in discrete
    assert discrete.count('class="spurious"') == 2 and discrete.count('class="eigenvalue"') == 4
    assert continuous.count('class="spurious"') == 2 and continuous.count('class="eigenvalue"') == 3
    assert "1 at λ = 0 not drawn" in continuous
    assert "Leading eigenvalues (6 of 6)" in page and "<th>spurious</th>" in page
    assert "leading modes of dmd" in page


def test_html_failed_method_and_simulations(page):
    assert '<td class="status-failed">failed</td>' in page
    assert "LinAlgError: Singular matrix" in page and "1 of 7 methods failed" in page
    sim_plots = re.findall(r'<svg class="figure plot overlay".*?</svg>', page, re.S)
    assert len(sim_plots) == 3 * len(NAMES)
    assert all("free run of" in p for p in sim_plots)
    assert "The data are not part of report.json" in page  # a report without its data says so
    assert sum('class="failed-at"' in p for p in sim_plots) == len(NAMES)
    assert "The simulation stopped at t = 1.5: blow-up: |x| &gt; 1e6" in page


def test_thousands_of_variables_are_a_plot_not_a_table():
    rng = np.random.default_rng(0)
    n, r = 3000, 12
    spec = Spectrum(np.exp(rng.uniform(-0.1, 0, r) + 1j * rng.uniform(-1, 1, r)), dt=0.5,
                    modes=rng.normal(size=(n, r)), variables=tuple(f"cell{i}" for i in range(n)), method="edmd")
    page = render_html(Report({"source": "cells.csv"}, {"edmd": MethodResult("edmd", "ok", 1.0, {}, findings=[spec])}))
    assert page.count("<tr>") < 40
    assert "cell2999" not in page.split("<script")[0]  # variable names are not listed one by one
    modes = re.findall(r'<svg class="figure plot".*?</svg>', page, re.S)
    assert len(modes) == 1 and modes[0].count("<polyline") >= 4
    _check_xml_fragments(page)
    md = render_markdown(Report({"source": "cells.csv"}, {"edmd": MethodResult("edmd", "ok", 1.0, {}, findings=[spec])}))
    assert md.count("\n|") < 40


# ---------------------------------------------------------------------------
# robustness


@pytest.mark.parametrize("make", [empty_report, all_failed_report])
def test_renderers_with_nothing_found(make, tmp_path):
    r = make()
    validate(r.to_dict())
    out = r.save(tmp_path)
    page = (out / "report.html").read_text()
    assert "No equations found." in page and "No graphs found." in page
    assert json.loads(embedded_json(page)) == r.to_dict()
    _check_xml_fragments(page)
    md = (out / "report.md").read_text()
    assert "No equations found." in md
    text = str(r)
    if r.failed:
        assert "Failed methods" in text and "sindy: ValueError: sindy broke <here>" in text
        assert "3 of 3 methods failed" in page and "ValueError: dmd broke &lt;here&gt;" in page
    else:
        assert "No findings." in text


def test_very_long_expressions():
    names = [f"x{i}" for i in range(40)]
    s = list(symbols_for(names).values())
    mid = sp.Add(*[(0.123456789 * (i + 1)) * s[i] * s[(i * 7) % 40] for i in range(40)])  # ~ 40 terms
    huge = sp.Add(*[(0.5 + i) * s[i % 40] * s[(i // 40) % 40] ** 3 for i in range(400)])  # ~ 400 terms
    r = Report({"source": "long.csv"}, {"sindy": MethodResult("sindy", "ok", 1.0, {}, findings=[
        Equation("x0", mid, method="sindy"), Equation("x1", huge, method="sindy")])})
    page = render_html(r)
    # the short one typeset twice (summary and equations section), the huge one shown as text in both
    assert page.count('<math display="block">') == 2
    assert "too long to typeset" in page
    assert json.loads(embedded_json(page)) == r.to_dict()
    _check_xml_fragments(page)
    assert "0.1235" in page  # shown with 4 digits ...
    assert "0.123456789" in embedded_json(page)  # ... kept exactly in the data
    text = str(r)
    assert max(len(line) for line in text.splitlines()) <= 420
    validate(r.to_dict())


def test_fifty_node_graph():
    rng = np.random.default_rng(3)
    nodes = [f"gene_{i}" for i in range(50)]
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for _ in range(150):
        a, b = rng.choice(50, 2)
        g.add_edge(nodes[a], nodes[b], weight=float(rng.normal()), score=float(rng.uniform()), lag=int(rng.integers(3)))
    r = Report({"source": "genes.csv"}, {"dyn": MethodResult("dyn", "ok", 1.0, {}, findings=[Graph(g, method="dyn")])})
    page = render_html(r)
    svg = re.findall(r'<svg class="figure graph".*?</svg>', page, re.S)[0]
    assert svg.count("<circle") == 50
    assert len(re.findall(r"marker-end=", svg)) == g.number_of_edges()
    _check_xml_fragments(page)
    vb = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    cx = [float(v) for v in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert min(cx) > 0 and max(cx) < vb[2]  # every node inside the picture
    validate(r.to_dict())


def test_odd_findings_render():
    x = symbols_for(["x"])["x"]
    odd = [
        Equation("x", sp.Integer(0), method="m"),
        Equation("x", sp.Float(2.5), kind="algebraic", method="m"),
        Equation("x", sp.Piecewise((x, x > 0), (-x, True)), method="m"),
        Graph(nx.DiGraph(), method="m"),
        Graph(nx.DiGraph([("x", "x")]), method="m"),
        Invariant(x, method="m"),
        Spectrum(np.zeros(0), method="m"),
        Spectrum([np.nan, 1.0, np.inf], dt=0.5, method="m"),
        SymbolicCode((), (), method="m"),
        Simulation(np.zeros(0), np.zeros((0, 1)), ("x",), method="m", failed_at=0.0, message="diverged at once"),
        Simulation([0.0], [[np.nan]], ("x",), method="m2"),
    ]
    r = Report({}, {"m": MethodResult("m", "ok", float("nan"), {"f": float("inf"), "obj": object()}, findings=odd)})
    d = json.loads(r.to_json())
    validate(d)
    page = render_html(r)
    assert json.loads(embedded_json(page)) == r.to_dict()
    _check_xml_fragments(page)
    assert "Piecewise" in render_markdown(r) and "d(x)/dt = 0" in str(r)


def _chromium() -> str | None:
    import shutil

    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="needs a headless chromium")
def test_html_opens_offline_in_a_browser(tmp_path, report):
    import subprocess

    out = report.save(tmp_path / "run", formats=("html",))
    url = (out / "report.html").as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND"]
    dom = subprocess.run([_chromium(), *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<math") >= 4 and dom.count("<svg") >= 8  # parsed as MathML and SVG, not text
    assert json.loads(embedded_json(dom)) == report.to_dict()
    png = tmp_path / "shot.png"
    subprocess.run([_chromium(), *flags, "--window-size=1200,3000", f"--screenshot={png}", url],
                   capture_output=True, timeout=120)
    assert png.stat().st_size > 50_000  # a page with figures, not a blank one


def test_mathml_that_would_break_the_page_is_shown_as_text():
    x = symbols_for(["x"])["x"]
    eq = Equation("x", sp.Function("a<b")(x) + 1, method="m")  # sympy's MathML printer does not escape this
    page = render_html(Report({}, {"m": MethodResult("m", "ok", 0.0, {}, findings=[eq])}))
    assert "a<b" not in page.split("<script")[0] and "a&lt;b(x)" in page
    _check_xml_fragments(page)


def _flagged_report() -> Report:
    x, y = sp.symbols("x y", real=True)
    good = Equation("x", -2 * x + y, method="sindy", metrics={"reliable": True, "validation_error": 0.01})
    bad = Equation("y", 0.37 * x, method="sindy",
                   metrics={"reliable": False, "unreliable_reason": "explains 3 % of the held-out variance"})
    also_bad = Equation("y", 0.11 * y, method="evolution",
                        metrics={"reliable": False, "unreliable_reason": "front is flat", "validation_error": 0.5})
    g = nx.MultiDiGraph()
    g.add_nodes_from(["x", "y"])
    g.add_edge("x", "y", weight=0.4, lag=1, score=0.9, selected=True)
    causal = Graph(graph=g, kind="causal", method="dynotears",
                   metrics={"reliable": False, "unreliable_reason": "too few samples per parameter"})
    spec = Spectrum(np.exp(0.1 * np.array([-0.01 + 2j * np.pi / 12, -0.01 - 2j * np.pi / 12, -0.5])), dt=0.1,
                    method="dmd", time_unit="year")
    runs = {"sindy": MethodResult("sindy", "ok", 0.5, {}, findings=[good, bad]),
            "evolution": MethodResult("evolution", "ok", 3.0, {}, findings=[also_bad]),
            "dynotears": MethodResult("dynotears", "ok", 1.0, {}, findings=[causal]),
            "dmd": MethodResult("dmd", "ok", 0.1, {}, findings=[spec]),
            "sde": MethodResult("sde", "failed", 0.2, {}, error="RuntimeError: boom")}
    return Report({"source": "flags.csv", "variables": ["x", "y"], "time_unit": "year"}, runs)


def test_unreliable_findings_are_never_shown_as_findings():
    r = _flagged_report()
    text = str(r)
    head = text.split("\nEquations\n")[0]
    assert "Summary" in head and text.index("Summary") < text.index("\nEquations\n")
    assert "x: d(x)/dt = -2*x + y [sindy]" in head
    # y: no reliable model; the best candidate (lower held-out error: evolution's) only as such
    assert "y: no reliable model (best candidate, not a finding: d(y)/dt = 0.11*y [evolution]; front is flat)" in head
    assert "graph not reliable (too few samples per parameter)" in head
    assert "lag-resolved causal graph" in head
    assert "no reliable graph with edges" in head
    assert "periods 12 year" in head and "decays e-fold in" in head
    assert "sde failed" in head
    md = render_markdown(r)
    assert md.index("## Summary") < md.index("## Methods")
    assert "**y: no reliable model** (explains 3 % of the held-out variance)" in md
    assert "**Graph not reliable**: too few samples per parameter." in md
    assert "$$\n\\frac{d{x}}{dt} = " in md
    assert "```mermaid\nflowchart LR" in md and '-->|"0.4, lag 1"|' in md
    page = render_html(r)
    assert page.index('id="summary"') < page.index('id="methods"')
    summary = page[page.index('id="summary"'):page.index('id="methods"')]
    assert "no reliable model" in summary and "graph not reliable" in summary
    assert "best candidate (evolution), not a finding" in summary
    _check_xml_fragments(page)
    assert r._repr_html_().count('id="summary"') == 1


def test_summary_agreement_needs_two_reliable_graphs_with_edges():
    from discover.report.summary import summarize

    def graph(method, edges, kind="causal"):
        g = nx.MultiDiGraph()
        g.add_nodes_from(["a", "b", "c"])
        for s_, t in edges:
            g.add_edge(s_, t, weight=1.0, lag=0, score=1.0, selected=True)
        return Graph(graph=g, kind=kind, method=method)

    runs = {m: MethodResult(m, "ok", 0.1, {}, findings=[graph(m, e)])
            for m, e in (("p", [("a", "b"), ("b", "c")]), ("q", [("a", "b")]), ("r", []))}
    s = summarize(Report({"variables": ["a", "b", "c"]}, runs))
    assert s["graphs"]["n_usable"] == 2
    assert s["graphs"]["agreed"] == [("a", "b", ["p", "q"])]
    assert [d["scope"] for d in s["graphs"]["graphs"]] == ["summary"] * 3


def test_summary_never_picks_a_region_map_as_the_governing_equation():
    """An AL-RNN's affine map of one region is listed with its method, not chosen as x's law."""
    from discover.report.summary import summarize

    x, y, z1 = sp.symbols("x y z1")
    region = [Equation("x", 0.9 * x + 0.2 * z1, kind="affine-region", method="alrnn",
                       metrics={"region": 0}),
              Equation("y", 0.8 * y - 0.1 * z1, kind="affine-region", method="alrnn", metrics={"region": 0})]
    ode = Equation("x", -2.0 * y, kind="ode", method="sindy")
    runs = {"alrnn": MethodResult("alrnn", "ok", 1.0, {}, findings=region),
            "sindy": MethodResult("sindy", "ok", 0.1, {}, findings=[ode])}
    chosen = {e["variable"]: e["chosen"] for e in summarize(Report({"variables": ["x", "y"]}, runs))["equations"]}
    assert chosen == {"x": ode}  # y has only a region map: no governing equation is claimed for it
    only = summarize(Report({"variables": ["x", "y"]}, {"alrnn": runs["alrnn"]}))
    assert only["equations"] == []


def test_no_canvas_for_one_node_and_same_node_places_in_every_drawing():
    one = nx.MultiDiGraph()
    one.add_node("sst")
    single = Graph(graph=one, kind="interaction", method="sindy")
    a, b = nx.MultiDiGraph(), nx.MultiDiGraph()
    a.add_nodes_from(["x", "y", "z"])
    b.add_nodes_from(["z", "y", "x"])  # another method lists the nodes in another order
    a.add_edge("x", "y", weight=1.0, lag=0, score=1.0, selected=True)
    b.add_edge("y", "z", weight=1.0, lag=2, score=0.7, selected=True)
    r1 = Report({"variables": ["sst"]}, {"sindy": MethodResult("sindy", "ok", 0.1, {}, findings=[single])})
    assert "<svg" not in render_html(r1).split('id="graphs"')[1].split("</section>")[0]
    r = Report({"variables": ["x", "y", "z"]}, {
        "sindy": MethodResult("sindy", "ok", 0.1, {}, findings=[Graph(graph=a, kind="interaction", method="sindy")]),
        "dyno": MethodResult("dyno", "ok", 0.1, {}, findings=[Graph(graph=b, kind="causal", method="dyno")])})
    section = render_html(r).split('id="graphs"')[1].split("</section>")[0]
    svgs = re.findall(r"<svg.*?</svg>", section, flags=re.S)
    assert len(svgs) == 2

    def places(svg_text):
        return re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*><title>(\w)</title>', svg_text)

    assert places(svgs[0]) and sorted(places(svgs[0]), key=lambda p: p[2]) == sorted(places(svgs[1]), key=lambda p: p[2])


def test_pareto_front_drawn_with_the_chosen_model_marked():
    x = sp.Symbol("x", real=True)
    front = [{"complexity": 1, "loss": 0.9, "expression": "x"},
             {"complexity": 3, "loss": 0.01, "expression": "-2*x", "chosen": True},
             {"complexity": 7, "loss": 0.009, "expression": "-2*x + 0.01*x**3"}]
    eq = Equation("x", -2 * x, method="evolution", metrics={"complexity": 3, "front": front})
    page = render_html(Report({"variables": ["x"]}, {"evolution": MethodResult("evolution", "ok", 1, {}, findings=[eq])}))
    pics = re.findall(r'<svg[^>]*aria-label="Pareto front for x \(evolution\)[^"]*"', page)
    assert len(pics) == 1 and "complexity 3, error 0.01 (chosen)" in pics[0]
    assert page.count('fill="#dc2626"><title>-2*x: complexity 3') == 1  # the chosen point, in red
    _check_xml_fragments(page)
    from discover.report.svg import pareto_svg

    assert pareto_svg(front[:1]) == ""  # one point is no front


def test_report_with_two_generative_models_validates_against_the_schema():
    # Two simulations make the checks rank them (kind generative_ranking): the schema must know it.
    import discover
    from discover.data import from_arrays

    t = np.arange(0, 20, 0.02)
    x = np.column_stack([np.cos(2 * t) * np.exp(-0.05 * t), -2 * np.sin(2 * t) * np.exp(-0.05 * t)])
    report = discover.fit(from_arrays(x, t=t, names=["x", "v"]), methods=["sindy", "dmd"])
    data = report.to_dict()
    assert any(c.get("kind") == "generative_ranking" for c in data["checks"])
    validate(json.loads(json.dumps(data)))


# ---------------------------------------------------------------------------
# pictures that put the data beside the findings (issue 14.2, 14.3)


def _svgs(page: str, cls: str) -> list[str]:
    return re.findall(rf'<svg class="figure {cls}".*?</svg>', page, re.S)


def _polyline_x(svg_text: str, cls: str) -> list[float]:
    xs = []
    for pts in re.findall(rf'<polyline points="([^"]*)"[^>]*class="{cls}"', svg_text):
        xs += [float(p.split(",")[0]) for p in pts.split()]
    return xs


def _dated_report(tmp_path, methods=("sindy", "dmd")):
    """Monthly dates 1950-2009 of a yearly cycle plus a slow decade cycle, fitted by SINDy and DMD."""
    import discover

    months = np.arange(720)
    dates = [f"{1950 + m // 12}-{m % 12 + 1:02d}-01" for m in months]
    years = 1950 + months / 12
    sst = 25 + 2 * np.sin(2 * np.pi * years) + 0.5 * np.cos(2 * np.pi * years / 10)
    path = tmp_path / "sst.csv"
    path.write_text("date,sst\n" + "".join(f"{d},{float(v)!r}\n" for d, v in zip(dates, sst)))
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        return discover.fit(str(path), methods=list(methods), seed=0)


def test_free_runs_are_drawn_against_the_data_on_the_data_time_axis(tmp_path):
    report = _dated_report(tmp_path, methods=("dmd",))
    sim = report.simulations[0]
    assert sim.t[0] == pytest.approx(1950.0) and sim.t[-1] == pytest.approx(1950 + 719 / 12)  # not 0 to 60
    page = render_html(report)
    (plot,) = _svgs(re.search(r'<section id="simulations">.*?</section>', page, re.S).group(0), "plot overlay")
    ticks = re.findall(r'font-size="10" fill="#4b5563">(\d{4})</text>', plot)
    assert {"1960", "1980", "2000"} <= set(ticks)  # years on the axis, not 1.96e+03 or 0..60
    data_x, model_x = _polyline_x(plot, "data"), _polyline_x(plot, "model")
    assert data_x and model_x
    # both span the same stretch of the axis: the run sits on the data's own times
    assert min(model_x) == pytest.approx(min(data_x), abs=1) and max(model_x) == pytest.approx(max(data_x), abs=1)
    assert 'class="held-out"' not in plot and "nothing held out" in page
    assert 'class="figure plot phase"' not in page  # one variable: no phase portrait
    # decimated: at most 1200 points per line however long the data
    assert len(data_x) <= 1200 and 'aria-label="data and dmd' in plot


def test_held_out_stretch_is_shaded_and_a_flat_run_is_a_sentence_not_a_plot():
    from discover.data import from_arrays

    t = np.linspace(0, 20, 1001)
    data = from_arrays(np.c_[np.sin(t), np.cos(t)], t=t, names=["x", "y"])
    late = t >= 16
    good = Simulation(t[late], np.c_[np.sin(t[late]), np.cos(t[late])], ("x", "y"), method="sindy",
                      metrics={"held_out": True, "start_time": 16.0})
    flat = Simulation(t, np.c_[np.full_like(t, 0.3), np.cos(t)], ("x", "y"), method="dmd")
    runs = {"sindy": MethodResult("sindy", "ok", 0.1, {}, findings=[good]),
            "dmd": MethodResult("dmd", "ok", 0.1, {}, findings=[flat])}
    page = render_html(Report(data.summary(), runs, data=data))
    plots = _svgs(page, "plot overlay")
    assert len(plots) == 3  # x and y of sindy, only y of dmd
    shaded = [p for p in plots if 'class="held-out"' in p]
    assert len(shaded) == 2
    (rect_x, rect_w) = re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*class="held-out"',
                                 shaded[0]).groups()
    # the plot box runs from 56 to 420 - 10 px over t in [0, 20]: the shade covers [16, 20]
    assert float(rect_x) == pytest.approx(56 + 0.8 * 354, abs=1) and float(rect_w) == pytest.approx(0.2 * 354, abs=1)
    assert "dmd's free run is flat for 1 variable (x constant at 0.3 while the data range from -1 to 1)" in page
    assert not any("dmd&#x27;s free run of x" in p or "dmd's free run of x" in p for p in plots)
    # the flat run's section has no phase portrait of a line; sindy's has one with data and run
    phases = _svgs(page, "plot phase")
    assert len(phases) == 1 and 'class="data"' in phases[0] and 'class="model"' in phases[0]


def test_a_constant_model_without_data_is_still_not_plotted():
    t = np.linspace(0, 1, 50)
    sim = Simulation(t, np.c_[np.full_like(t, 2.0), np.sin(t)], ("a", "b"), method="sindy")
    page = render_html(Report({"variables": ["a", "b"]}, {"sindy": MethodResult("sindy", "ok", 0.1, {},
                                                                                  findings=[sim])}))
    assert len(_svgs(page, "plot overlay")) == 1 and "a constant at 2" in page


def test_invariant_drift_is_drawn_from_the_data_and_tells_a_law_from_a_near_miss():
    from discover.data import from_arrays

    t = np.linspace(0, 30, 3001)
    trs = [np.c_[r * np.cos(t), -r * np.sin(t)] for r in (1.0, 2.0)]  # two circles: energy r^2/2 each
    data = from_arrays(trs, t=t, names=["x", "v"])
    s = symbols_for(["x", "v"])
    law = Invariant(s["x"] ** 2 / 2 + s["v"] ** 2 / 2, residual=1e-12, confidence=1.0, method="conservation")
    wrong = Invariant(s["x"] ** 2 + 2 * s["v"] ** 2, residual=0.3, confidence=0.1, method="other")
    runs = {"conservation": MethodResult("conservation", "ok", 0.1, {}, findings=[law]),
            "other": MethodResult("other", "ok", 0.1, {}, findings=[wrong])}
    page = render_html(Report(data.summary(), runs, data=data))
    drifts = re.findall(r"largest relative drift ([^<]+)</figcaption>", page)
    assert len(drifts) == 2
    assert float(drifts[0]) < 1e-12  # conserved on both trajectories, each relative to its own mean
    # x^2 + 2 v^2 = r^2 (1 + sin^2 t) swings by 1/3 around its mean 1.5 r^2
    assert float(drifts[1]) == pytest.approx(1 / 3, rel=0.01)
    assert "2 trajectories" in page
    law_svg = re.search(r'<svg[^>]*aria-label="drift of [^"]*x\*\*2/2.*?</svg>', page, re.S).group(0)
    assert law_svg.count("<polyline") == 2  # one line per trajectory, none from one's end to the next start
    # no data, no drift picture
    assert "largest relative drift" not in render_html(Report(data.summary(), runs))


def test_symbolic_code_pictures_present_only_with_a_code(report, page):
    bars = _svgs(page, "plot bars")
    assert len(bars) == 1
    heights = {lab: float(h) for h, lab in re.findall(r'height="([\d.]+)" fill="[^"]+" class="bar"><title>([^:]+):',
                                                      bars[0])}
    # 30, 20 and 50 of 100 samples
    assert heights["00"] / heights["11"] == pytest.approx(0.6, rel=0.02)
    assert heights["01"] / heights["11"] == pytest.approx(0.4, rel=0.02)
    graphs = [g for g in _svgs(page, "graph") if "transition graph" in g]
    assert len(graphs) == 1
    # 00 -> 01 -> 11: two transitions, each the only way out of its region
    assert graphs[0].count("marker-end") == 2 and "00 → 01" in graphs[0] and "01 → 11" in graphs[0]
    no_code = make_report()
    del no_code.methods["alrnn"]
    other = render_html(no_code)
    assert not _svgs(other, "plot bars") and "transition graph" not in other


def test_transition_graph_drawn_with_the_same_node_places_as_the_method_graph():
    g = nx.DiGraph()
    g.add_edge("b", "a", weight=0.5, score=1.0, lag=1)
    g.add_edge("a", "b", weight=0.5, score=1.0, lag=1)
    code = SymbolicCode(("a", "b"), tuple("aabbaabb"), maps={}, variables=("x",), method="alrnn")
    run = MethodResult("alrnn", "ok", 0.1, {}, findings=[code, Graph(g, kind="transition", method="alrnn")])
    page = render_html(Report({"variables": ["x"]}, {"alrnn": run}))
    drawn = [re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="16"[^>]*><title>(\w)</title>', s)
             for s in _svgs(page, "graph")]
    assert len(drawn) == 2 and drawn[0] == drawn[1] and [n for *_, n in drawn[0]] == ["a", "b"]
    assert 'class="edge-label"' not in page  # a transition is one step: no "lag 1" on every edge (AL-RNN's are lag 1)


def test_a_big_report_stays_small_and_fast(tmp_path):
    """Item 8's shape drawn by hand: 10 variables x 1e5 samples, a free run as long, an invariant."""
    import time

    from discover.data import from_arrays

    n, names = 100_000, [f"x{i}" for i in range(10)]
    t = np.arange(n) * 0.01
    x = np.sin(np.outer(t, np.linspace(0.5, 3, 10)) + np.arange(10))
    data = from_arrays(x, t=t, names=names)
    s = symbols_for(names)
    sim = Simulation(t, x[:, ::-1] * 0.9, names, method="sindy")
    run = MethodResult("sindy", "ok", 0.1, {}, findings=[sim, Invariant(s["x0"] ** 2 + s["x1"] ** 2, method="sindy")])
    report = Report(data.summary(), {"sindy": run}, data=data)
    start = time.perf_counter()
    page = render_html(report)
    seconds = time.perf_counter() - start
    assert len(_svgs(page, "plot overlay")) == 10 and len(_svgs(page, "plot phase")) == 1
    assert len(page.encode()) < 1_500_000, len(page.encode())  # decimated: not 1e6 values per series
    assert seconds < 5, seconds
    # report.json stays data-free (the data only feed the pictures) and valid
    text = report.to_json()
    assert len(text) < 20_000 and "data" not in json.loads(text)
    validate(json.loads(text))


def test_summary_shows_the_data_against_the_best_ranked_free_run():
    from discover.checks import cross_checks
    from discover.data import from_arrays

    t = np.linspace(0, 20, 1001)
    x = np.c_[np.sin(t), np.cos(t)]
    data = from_arrays(x, t=t, names=["x", "y"])
    close = Simulation(t, 0.99 * x, ("x", "y"), method="good")
    far = Simulation(t, np.c_[np.sin(1.3 * t), np.cos(1.3 * t)], ("x", "y"), method="poor")
    runs = {"poor": MethodResult("poor", "ok", 0.1, {}, findings=[far]),
            "good": MethodResult("good", "ok", 0.1, {}, findings=[close])}
    report = Report(data.summary(), runs, data=data)
    report.checks = cross_checks(report.findings, data)
    summary = re.search(r'<section id="summary">.*?</section>', render_html(report), re.S).group(0)
    plots = _svgs(summary, "plot overlay")
    assert len(plots) == 2 and all("good&#x27;s free run" in p or "good's free run" in p for p in plots)
    assert "the free run of good (blue), the generative model ranked first" in summary
    assert "1 other in Checks across methods" in summary
    # no data (a report read back from report.json): no picture in the summary
    report.data = None
    assert "<svg" not in re.search(r'<section id="summary">.*?</section>', render_html(report), re.S).group(0)


def test_a_run_that_settles_on_a_fixed_point_is_a_sentence_but_a_damped_run_of_damped_data_is_drawn():
    from discover.data import from_arrays

    t = np.linspace(0, 20, 2001)
    data = from_arrays(np.c_[np.sin(3 * t), np.exp(-t) * np.cos(3 * t)], t=t, names=["x", "y"])
    # x: a transient, then a fixed point at 0.5 while the data keep oscillating;
    # y: decays like the data, which decay too: drawn
    run = np.c_[0.5 + np.exp(-5 * t) * np.cos(3 * t), np.exp(-1.1 * t) * np.cos(3 * t)]
    sim = Simulation(t, run, ("x", "y"), method="alrnn")
    page = render_html(Report(data.summary(), {"alrnn": MethodResult("alrnn", "ok", 0.1, {}, findings=[sim])},
                              data=data))
    plots = _svgs(page, "plot overlay")
    assert len(plots) == 1 and "free run of y" in plots[0]
    m = re.search(r"x settles at ([\d.]+) from t = ([\d.]+) on, while the data there range from -1 to 1", page)
    assert m and float(m.group(1)) == pytest.approx(0.5, abs=1e-3)
    # |exp(-5 t) cos 3t| last exceeds 1 % of the data's range (0.02) just before cos 3t's zero at pi/6 = 0.52
    # (its next peak, at pi/3, is exp(-5.2) = 0.006)
    assert 0.4 < float(m.group(2)) < np.pi / 6


def test_a_run_of_latent_coordinates_is_drawn_alone_on_its_own_clock():
    from discover.data import from_arrays

    t = 1950 + np.arange(240) / 12
    data = from_arrays(np.sin(2 * np.pi * t)[:, None], t=t, names=["sst"])
    tau = np.arange(100) * 0.1
    sim = Simulation(tau, np.c_[np.sin(tau), np.cos(tau)], ("v1", "v2"), method="havok")
    page = render_html(Report(data.summary(), {"havok": MethodResult("havok", "ok", 0.1, {}, findings=[sim])},
                              data=data))
    plots = _svgs(page, "plot overlay")
    assert len(plots) == 2 and all('class="data"' not in p and "the run&#x27;s own clock" in p for p in plots)


def test_awkward_runs_and_a_failing_picture_never_cost_the_page(monkeypatch):
    from discover.data import from_arrays
    from discover.report import figures

    t = np.linspace(0, 5, 101)
    x = np.c_[np.sin(t), np.cos(t)]
    data = from_arrays([x, x[:50]], t=[t, t[:50]], names=["x", "y"])
    sims = [Simulation(t, np.full((101, 2), np.nan), ("x", "y"), method="a", failed_at=0.0, message="nan at once"),
            Simulation(t[:1], x[:1], ("x", "y"), method="b"),
            Simulation(t, x, ("x", "y"), method="c", trajectory=7),  # no such trajectory in the data
            Simulation(t[:50], x[:50], ("x", "y"), method="d", trajectory=1)]
    runs = {s.method: MethodResult(s.method, "ok", 0.1, {}, findings=[s]) for s in sims}
    s_ = symbols_for(["x", "y"])
    runs["e"] = MethodResult("e", "ok", 0.1, {}, findings=[Invariant(s_["x"] ** 2 + s_["y"] ** 2, method="e"),
                                                            Invariant(sp.Integer(3) + 0 * s_["x"], method="e")])
    report = Report(data.summary(), runs, data=data)
    page = render_html(report)
    assert "largest relative drift" in page and "could not be drawn" not in page

    def broken(*args):
        raise RuntimeError("boom <here>")

    monkeypatch.setattr(figures, "simulation_figures", broken)
    page = render_html(report)
    assert page.count("This picture could not be drawn (RuntimeError: boom &lt;here&gt;)") == len(sims)
    assert "Invariants" in page and "</html>" in page
