"""JSON round trips of the findings vocabulary, including awkward column names."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discover.findings import (
    Equation,
    Graph,
    Invariant,
    Simulation,
    Spectrum,
    SymbolicCode,
    expr_to_str,
    from_dict,
    parse_expr,
    symbols_for,
)

AWKWARD = ["x.1", "E", "S", "beta", "lambda", "I", "N", "Q", "pi", "exp", "sin", "a b", "1", "x-1", "x[0]",
           "d(x)/dt", "it's", "α", "_", "e1"]


def roundtrip(f):
    """Through real JSON text, as report.json does (no NaN literals allowed)."""
    text = json.dumps(f.to_dict(), allow_nan=False)
    back = from_dict(json.loads(text))
    assert type(back) is type(f)
    return back


def test_equation_over_sympy_clashing_names_stays_symbolic():
    s = symbols_for(AWKWARD)
    rhs = (sp.Rational(1, 3) * s["x.1"] - 0.25 * s["E"] * s["S"] + s["beta"] * s["lambda"] ** 2
           + 2 * s["I"] + s["N"] / s["Q"] + s["pi"] * s["exp"] + sp.sin(s["sin"]) + s["a b"] * s["1"]
           + s["x-1"] - s["x[0]"] + s["d(x)/dt"] * s["it's"] + s["α"] + s["_"] + 3 * s["e1"])
    eq = Equation("E", rhs, method="sindy")
    back = roundtrip(eq)
    assert back == eq
    assert back.rhs == rhs  # sympy equality: same tree, same (real) symbols
    assert {x.name for x in back.rhs.free_symbols} == set(AWKWARD)
    assert not back.rhs.has(sp.E, sp.I, sp.pi)
    assert {type(f) for f in back.rhs.atoms(sp.Function)} == {sp.sin}  # beta, exp: symbols, not functions
    # E stays a symbol: substituting it changes the value, Euler's number would not
    assert back.rhs.diff(s["E"]) == -0.25 * s["S"]


def test_constants_next_to_columns_of_the_same_name():
    s = symbols_for(["E", "I", "pi"])
    rhs = sp.E * s["E"] + 2 * sp.I * s["I"] + sp.pi * s["pi"] + sp.exp(s["E"])
    back = roundtrip(Equation("E", rhs))
    assert back.rhs == rhs
    assert back.rhs.has(sp.E) and back.rhs.has(sp.I) and back.rhs.has(sp.pi)


@pytest.mark.parametrize("names", [["x", "y", "z"], ["S", "I", "R"], ["x.1", "x.2"], ["lambda", "beta"]])
def test_rhs_text_is_readable_by_sympify_for_plain_names(names):
    s = symbols_for(names)
    a, b = (s[n] for n in names[:2])
    eq = Equation(names[0], -sp.Rational(8, 3) * a + 0.1 * a * b, method="m")
    d = eq.to_dict()
    assert isinstance(d["rhs"], str)
    assert d["names"] == sorted(names[:2])
    if all(n.isidentifier() and n not in ("lambda", "beta", "S", "I", "E", "N", "Q") for n in names):
        assert sp.sympify(d["rhs"], locals=s) == eq.rhs
    assert parse_expr(d["rhs"], names) == eq.rhs


@pytest.mark.parametrize("coef", [sp.Rational(1, 3), sp.Rational(-22, 7), sp.Float(0.1), sp.Float(1 / 3),
                                  sp.Float(-1e-20), sp.Float(6.02214076e23), sp.Integer(7), sp.Float(2.0)])
def test_coefficients_come_back_exactly(coef):
    x = symbols_for(["x"])["x"]
    eq = Equation("x", coef * x + coef)
    back = roundtrip(eq)
    assert back.rhs == eq.rhs
    got = back.rhs.coeff(x)
    assert type(got) is type(coef) or (coef.is_Integer and got.is_Integer)
    if isinstance(coef, sp.Float):
        assert float(got) == float(coef)  # bit for bit, not 15 digits


def test_equation_metrics_with_nan_inf_and_uncertainty():
    x, y = symbols_for(["x", "y"]).values()
    eq = Equation("x", -x + 2.5 * y, kind="map", method="sr",
                  metrics={"r2": float("nan"), "aic": float("-inf"), "rmse": np.float64(0.01), "n": np.int64(3),
                           "per_term": {"x": float("inf")}, "ok": np.bool_(True)},
                  uncertainty={"x": {"lower": -1.1, "upper": -0.9, "probability": 1.0},
                               "y": {"lower": float("-inf"), "upper": 3.0, "probability": 0.5}})
    back = roundtrip(eq)
    assert back == eq
    assert math.isnan(back.metrics["r2"]) and back.metrics["aic"] == -math.inf
    assert back.metrics["per_term"]["x"] == math.inf
    assert back.uncertainty["y"]["lower"] == -math.inf
    assert back.kind == "map" and back.lhs == "x[k+1]"


def test_equations_that_differ_are_not_equal():
    x = symbols_for(["x"])["x"]
    assert Equation("x", -x) != Equation("x", -1.0000001 * x)
    assert Equation("x", -x) != Equation("y", -x)
    assert Equation("x", -x, method="a") != Equation("x", -x, method="b")


def test_expressions_given_as_text_keep_columns_symbolic():
    eq = Equation("E", "-2*E + I*x.1")
    names = {s.name for s in eq.rhs.free_symbols}
    assert names == {"E", "I", "x.1"}
    assert all(s.is_real for s in eq.rhs.free_symbols)
    assert parse_expr("E*sin(y) + pi") == sp.E * sp.sin(sp.Symbol("y", real=True)) + sp.pi  # no names: constants
    assert parse_expr("E*sin(y)", ["E", "y"]).free_symbols == set(symbols_for(["E", "y"]).values())
    assert parse_expr("x^2", ["x"]) == symbols_for(["x"])["x"] ** 2
    with pytest.raises(sp.SympifyError):
        parse_expr("2 + ", ["x"])


def test_graph_digraph_round_trip_keeps_order_and_flags():
    g = nx.DiGraph()
    g.add_nodes_from(["z", "x.1", "E", "lonely"])
    g.add_edge("x.1", "z", weight=-0.5, lag=0, score=0.25)
    g.add_edge("E", "x.1", weight=float("nan"), lag=3, score=1.0, selected=False)
    f = Graph(g, kind="causal", method="dynotears", metrics={"threshold": 0.3, "bic": float("nan")})
    back = roundtrip(f)
    assert back == f
    assert list(back.graph.nodes) == ["z", "x.1", "E", "lonely"]
    assert not back.graph.is_multigraph()
    assert back.edges() == [e for e in f.edges() if e["selected"]]
    assert len(back.edges(selected_only=False)) == 2
    assert math.isnan(back.graph["E"]["x.1"]["weight"])


def test_graph_multidigraph_with_several_lags():
    g = nx.MultiDiGraph()
    g.add_edge("x", "y", weight=0.8, lag=1, score=0.9)
    g.add_edge("x", "y", weight=-0.2, lag=2, score=0.4)
    g.add_edge("y", "y", weight=0.5, lag=1, score=1.0)
    f = Graph(g, kind="causal", method="pcmci")
    back = roundtrip(f)
    assert back == f and back.graph.is_multigraph()
    assert sorted(e["lag"] for e in back.edges() if e["target"] == "y" and e["source"] == "x") == [1, 2]
    # a multigraph without parallel edges stays a multigraph
    h = nx.MultiDiGraph()
    h.add_edge("a", "b", lag=1)
    assert roundtrip(Graph(h)).graph.is_multigraph()
    assert str(f).startswith("causal graph (pcmci): x->y@1")


def test_invariant_round_trip():
    s = symbols_for(["E", "x.1", "lambda"])
    inv = Invariant(s["E"] ** 2 / 2 + sp.Rational(1, 2) * s["x.1"] ** 2 - 0.3 * sp.cos(s["lambda"]),
                    residual=float("nan"), confidence=0.97, method="conservation", metrics={"n": 3})
    back = roundtrip(inv)
    assert back == inv and back.expression == inv.expression
    assert math.isnan(back.residual) and back.confidence == 0.97


def test_spectrum_complex_eigenvalues_modes_and_flags():
    rng = np.random.default_rng(1)
    lam = np.array([np.exp(0.3j), np.exp(-0.3j), 0.5, 1.0, 0.0, -0.9 + 0.1j])
    modes = rng.normal(size=(3, 6)) + 1j * rng.normal(size=(3, 6))
    E, I = symbols_for(["E", "I"]).values()  # noqa: E741 - a column called I
    spec = Spectrum(lam, dt=0.1, modes=modes, amplitudes=rng.normal(size=6) + 0j,
                    residuals=[0.0, 0.01, float("nan"), 0.2, float("inf"), 1e-9],
                    spurious=[False, False, False, True, True, False], variables=("E", "I", "x.1"),
                    eigenfunctions=[E + 2 * I, None, sp.exp(-E) * I, None, None, None], method="edmd",
                    metrics={"rank": 6})
    back = roundtrip(spec)
    assert back == spec
    np.testing.assert_array_equal(back.eigenvalues, spec.eigenvalues)
    np.testing.assert_array_equal(back.modes, modes)
    np.testing.assert_array_equal(back.residuals, spec.residuals)
    assert back.spurious.tolist() == [False, False, False, True, True, False]
    assert back.eigenfunctions[0] == E + 2 * I and back.eigenfunctions[1] is None
    w = back.continuous_eigenvalues
    assert w[4].real == -np.inf and w[4].imag == 0  # λ = 0: no nan
    np.testing.assert_allclose(w[0], 0.3j / 0.1, atol=1e-12)
    np.testing.assert_allclose(back.frequencies[0], 3 / (2 * np.pi))
    np.testing.assert_allclose(back.growth_rates[2], np.log(0.5) / 0.1)
    other = Spectrum(lam * 1.0001, dt=0.1)
    assert other != Spectrum(lam, dt=0.1)


def test_symbolic_code_round_trip():
    code = SymbolicCode(("00", "01", "11"), ("00", "00", "01", "11", "01"),
                        maps={"00": {"A": [[0.9, 0.1], [0.0, 0.8]], "b": [0.0, 1.5]},
                              "01": {"A": np.eye(2), "b": [float("nan"), 0.0]}},
                        variables=("x", "y"), method="alrnn", metrics={"accuracy": 0.99})
    back = roundtrip(code)
    assert back == code
    np.testing.assert_array_equal(back.maps["00"]["A"], [[0.9, 0.1], [0.0, 0.8]])
    assert back.sequence == code.sequence and back.alphabet == ("00", "01", "11")


def test_simulation_round_trip_failed_with_nan_and_inf():
    t = np.linspace(0, 1, 6)
    v = np.c_[np.exp(t), -t]
    v[4:, 0] = [np.inf, np.nan]
    sim = Simulation(t, v, ("x.1", "E"), method="sindy", trajectory=2, failed_at=0.8,
                     message="blow-up: |x.1| > 1e6", metrics={"rmse": float("nan")})
    back = roundtrip(sim)
    assert back == sim
    np.testing.assert_array_equal(back.values, v)
    assert back.failed_at == 0.8 and back.trajectory == 2 and "blow-up" in back.message
    ok = Simulation(t, v[:, :1], ("x",), method="m")
    assert roundtrip(ok).failed_at is None
    assert list(sim.to_frame().columns) == ["x.1", "E"]


def test_unknown_type_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown finding type 'banana'"):
        from_dict({"type": "banana"})


# property: any column name, any float/rational coefficients ------------------

_names = st.lists(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=6),
                  min_size=1, max_size=4, unique=True)
_coefs = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12).filter(lambda v: v != 0),
    st.fractions(max_denominator=50).filter(lambda q: q != 0),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=_names, coefs=st.lists(_coefs, min_size=1, max_size=4), power=st.integers(1, 3))
def test_any_names_and_coefficients_round_trip(names, coefs, power):
    s = list(symbols_for(names).values())
    terms = [(sp.Float(c) if isinstance(c, float) else sp.Rational(c.numerator, c.denominator))
             * s[i % len(s)] ** (1 + i % power) for i, c in enumerate(coefs)]
    rhs = sp.Add(*terms) + s[0] * s[-1]
    eq = Equation(names[0], rhs, method="prop")
    back = roundtrip(eq)
    assert back.rhs == eq.rhs, (names, expr_to_str(rhs))
    assert back == eq


@pytest.mark.parametrize("text", [
    '__import__("os").system("touch /tmp/discover-pwned")',
    "x.__class__",
    "(x).real",
    'sympify("x")',
    "open(x)",
    "preview(x)",
    "eval(x)",
])
def test_parsing_refuses_code_that_is_not_an_expression(text, tmp_path):
    # sympify evaluates its text; report.json may come from anywhere
    with pytest.raises(sp.SympifyError, match="not an expression"):
        parse_expr(text, ["x"])
    d = Equation("x", symbols_for(["x"])["x"]).to_dict()
    d["rhs"] = text
    with pytest.raises(ValueError):
        from_dict(d)


def test_parsing_allows_sympy_functions_and_undefined_ones():
    x = symbols_for(["x"])["x"]
    assert parse_expr("abs(x) + pow(x, 2)", ["x"]) == sp.Abs(x) + x**2  # the two harmless builtins
    text = "Piecewise((x, x > 0), (-x, True)) + sqrt(x) + Abs(x) + Max(x, 1) + exp(I*pi) + f(x)"
    e = parse_expr(text, ["x"])
    assert e.has(sp.Piecewise, sp.Abs, sp.Max) and e.subs(x, 4) == 4 + 2 + 4 + 4 - 1 + sp.Function("f")(4)
