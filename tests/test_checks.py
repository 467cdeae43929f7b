"""Checks across methods: Lie derivatives of invariants along found equations, graph agreement."""

from __future__ import annotations

import json

import networkx as nx
import sympy as sp

from discover.checks import cross_checks, graph_agreement
from discover.findings import Equation, Graph, Invariant
from discover.report import MethodResult, Report, validate

x, v = sp.symbols("x v", real=True)


def _oscillator(damping: float, method: str = "sindy") -> list:
    return [Equation("x", v, method=method), Equation("v", -4 * x - damping * v, method=method)]


def test_energy_is_consistent_with_undamped_and_not_with_damped_equations():
    energy = Invariant(4 * x**2 + v**2, residual=1e-8, method="conservation")
    ok = cross_checks([energy, *_oscillator(0.0)])
    assert [(c["kind"], c["consistent"]) for c in ok] == [("lie_derivative", True)]
    assert sp.sympify(ok[0]["lie_derivative"]) == 0
    bad = cross_checks([energy, *_oscillator(0.2)])
    assert bad[0]["consistent"] is False
    assert sp.simplify(sp.sympify(bad[0]["lie_derivative"], locals={"x": x, "v": v}) + 0.4 * v**2) == 0


def test_laws_are_not_checked_against_their_own_method_or_incomplete_systems():
    energy = Invariant(4 * x**2 + v**2, method="sindy")
    assert cross_checks([energy, *_oscillator(0.0)]) == []  # same method
    only_x = [Equation("x", v, method="dmd")]
    assert cross_checks([Invariant(4 * x**2 + v**2, method="conservation"), *only_x]) == []


def _graph(edges, kind, method, resolution=None):
    g = nx.MultiDiGraph()
    g.add_nodes_from(["a", "b", "c"])
    for s, t, lag in edges:
        g.add_edge(s, t, lag=lag, weight=1.0, score=1.0, selected=True)
    g.add_edge("c", "a", lag=1, weight=0.1, score=0.2, selected=False)  # a candidate only
    return Graph(g, kind, method, metrics={"resolution": resolution} if resolution else {})


def test_graph_agreement_counts_summary_edges_without_self_loops_or_candidates():
    interaction = _graph([("a", "b", 0), ("b", "c", 0), ("a", "a", 0)], "interaction", "sindy")
    causal = _graph([("a", "b", 1), ("a", "b", 2), ("c", "b", 1), ("b", "b", 1)], "causal", "dynotears")
    c = graph_agreement([interaction], [causal])
    assert c["both"] == [["a", "b"]]
    assert c["only_first"] == [["b", "c"]] and c["only_second"] == [["c", "b"]]
    assert c["jaccard"] == 1 / 3
    # with a lag-resolved and a summary graph, the summary one is compared
    summary = _graph([("a", "b", 1)], "causal", "dynotears", resolution="summary")
    checks = cross_checks([interaction, causal, summary])
    assert len(checks) == 1 and checks[0]["only_second"] == []


def test_checks_are_in_the_report_and_its_schema():
    found = [Invariant(4 * x**2 + v**2, residual=1e-8, method="conservation"), *_oscillator(0.0),
             _graph([("a", "b", 0)], "interaction", "sindy"), _graph([("a", "b", 1)], "causal", "dynotears")]
    methods = {m: MethodResult(m, "ok", 0.1, {}, findings=[f for f in found if f.method == m])
               for m in ("sindy", "conservation", "dynotears")}
    report = Report({"source": "test", "variables": ["x", "v"]}, methods, checks=cross_checks(found))
    d = json.loads(report.to_json())
    validate(d)
    assert [c["kind"] for c in d["checks"]] == ["lie_derivative", "graph_agreement"]
    assert Report.from_dict(d).checks == d["checks"]
    assert "Checks across methods" in report.to_markdown()
    assert "consistent" in report.to_html() and "Checks across methods" in str(report)


def test_lie_derivative_measured_on_the_data_when_given():
    import numpy as np

    from discover.data import from_arrays

    t = np.linspace(0, 10, 500)
    s = from_arrays(np.c_[np.cos(2 * t), -2 * np.sin(2 * t)], t=t, names=["x", "v"])
    energy = Invariant(4 * x**2 + v**2, method="conservation")
    fitted = [Equation("x", 1.0000001 * v, method="sindy"), Equation("v", -3.9999998 * x, method="sindy")]
    (c,) = cross_checks([energy, *fitted], series=s)
    assert c["consistent"] is True and c["relative"] < 1e-5
    (c,) = cross_checks([energy, *_oscillator(0.5)], series=s)
    assert c["consistent"] is False


def test_no_agreement_check_over_two_empty_edge_sets():
    def empty(kind, method):
        g = nx.MultiDiGraph()
        g.add_nodes_from(["x", "y"])
        return Graph(graph=g, kind=kind, method=method)

    assert [c for c in cross_checks([empty("interaction", "sindy"), empty("causal", "dynotears")])
            if c["kind"] == "graph_agreement"] == []
    full = nx.MultiDiGraph()
    full.add_edge("x", "y", weight=1.0, lag=0, score=1.0, selected=True)
    checks = cross_checks([Graph(graph=full, kind="interaction", method="sindy"), empty("causal", "dynotears")])
    (c,) = [c for c in checks if c["kind"] == "graph_agreement"]
    assert c["only_first"] == [["x", "y"]] and c["jaccard"] == 0.0


def test_generative_models_ranked_by_free_run_error_and_divergences():
    import numpy as np
    import pandas as pd

    from discover.checks import generative_ranking
    from discover.data import load
    from discover.findings import Simulation

    t = np.arange(2000) * 0.01
    x, v = np.cos(2 * t), -2 * np.sin(2 * t)
    series = load(pd.DataFrame({"t": t, "x": x, "v": v}), time="t")
    good = Simulation(t=t, values=np.column_stack([x, v]) * 1.01, variables=("x", "v"), method="good")
    wrong = Simulation(t=t, values=np.column_stack([np.cos(3 * t), -3 * np.sin(3 * t)]), variables=("x", "v"),
                       method="wrong")
    stopped = Simulation(t=t[:10], values=np.zeros((10, 2)), variables=("x", "v"), method="stopped", failed_at=0.1)
    r = generative_ranking([wrong, stopped, good], series)
    assert [row["method"] for row in r["rows"]] == ["good", "wrong", "stopped"]
    good_row, wrong_row = r["rows"][0], r["rows"][1]
    assert good_row["error"] < 0.05 < wrong_row["error"]
    assert good_row["d_h"] < wrong_row["d_h"]
    assert r["rows"][2]["failed_runs"] == 1
    assert generative_ranking([wrong], None) is None
    # a run started on the held-out last fifth is compared with that stretch of the data
    late = Simulation(t=t[1600:], values=np.column_stack([x, v])[1600:], variables=("x", "v"), method="late")
    assert generative_ranking([late], series)["rows"][0]["error"] < 1e-12
