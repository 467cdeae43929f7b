"""Small formatting helpers shared by the Markdown, terminal and HTML renderers."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from ..findings import Equation, Spectrum, expr_to_str

#: significant digits of the numbers shown to people (report.json keeps them all)
DIGITS = 4


def display_expr(expr: sp.Basic, digits: int = DIGITS) -> sp.Basic:
    """``expr`` with its float coefficients rounded to ``digits`` significant digits."""
    if expr is None:
        return expr
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr
    return expr.xreplace({f: sp.Float(f, digits) for f in floats})


class _DisplayPrinter(StrPrinter):
    """``sstr`` in lexicographic order with floats rounded for reading and
    column names as they are (no ``Symbol('..')``)."""

    _default_settings = {**StrPrinter._default_settings, "order": "lex", "digits": DIGITS}

    def _print_Float(self, expr):
        v = float(expr)
        text = f"{v:.{self._settings['digits']}g}"
        return text if any(c in text for c in ".einf") else text + ".0"


def expr_text(expr: sp.Basic, digits: int = DIGITS) -> str:
    """Readable text of an expression (floats rounded, column names as they are)."""
    if expr is None:
        return ""
    return _display_cached(expr, digits)


@lru_cache(maxsize=512)
def _display_cached(expr: sp.Basic, digits: int) -> str:
    return _DisplayPrinter({"digits": digits}).doprint(expr)


def lhs_text(eq: Equation) -> str:
    return eq.lhs


def equation_text(eq: Equation, digits: int = DIGITS) -> str:
    return f"{eq.lhs} = {expr_text(eq.rhs, digits)}"


def exact_text(expr: sp.Basic) -> str:
    """The exact text written in report.json."""
    return expr_to_str(expr)


def fmt(v: Any, digits: int = DIGITS) -> str:
    """A number for people: 4 significant digits, ``nan``/``inf`` spelled out, '–' for None."""
    if v is None:
        return "–"
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (complex, np.complexfloating)):
        z = complex(v)
        if z.imag == 0:
            return fmt(z.real, digits)
        sign = "-" if z.imag < 0 or (z.imag == 0 and math.copysign(1, z.imag) < 0) else "+"
        return f"{fmt(z.real, digits)} {sign} {fmt(abs(z.imag), digits)}j"
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0:
            return "0"
        return f"{x:.{digits}g}"
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return v
    return str(v)


def fmt_value(v: Any, limit: int = 120) -> str:
    """A metric or parameter value in one short line."""
    if isinstance(v, dict):
        text = "{" + ", ".join(f"{k}: {fmt_value(x, limit)}" for k, x in v.items()) + "}"
    elif isinstance(v, (list, tuple)):
        text = "[" + ", ".join(fmt_value(x, limit) for x in v[:20]) + (", …" if len(v) > 20 else "") + "]"
    elif isinstance(v, (float, int, complex, np.number, bool, np.bool_)) or v is None:
        text = fmt(v)
    else:
        text = str(v)
    return shorten(text, limit)


def shorten(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def metrics_text(metrics: dict, limit: int = 8) -> str:
    items = list((metrics or {}).items())
    parts = [f"{k} = {fmt_value(v, 60)}" for k, v in items[:limit]]
    if len(items) > limit:
        parts.append(f"… {len(items) - limit} more")
    return ", ".join(parts)


def lag_text(lag: Any, metrics: dict | None = None) -> str:
    """A lag in steps, and in the series' time unit when the graph's metrics give it.

    ``metrics["step_time"]`` is the length of one lag step in the series' time
    unit (``metrics["time_unit"]``, e.g. ``"years"`` for monthly dates), so lag
    1 on monthly data reads ``"1 (0.0833 years)"``.

    >>> lag_text(2, {"step_time": 1 / 12, "time_unit": "years"})
    '2 (0.167 years)'
    >>> lag_text(0, {"step_time": 0.1})
    '0'
    """
    k = int(lag)
    step = (metrics or {}).get("step_time")
    if not k or step is None or not np.isfinite(float(step)) or float(step) <= 0:
        return str(k)
    unit = str((metrics or {}).get("time_unit") or "time units")
    return f"{k} ({fmt(k * float(step), 3)} {unit})"


def seconds_text(s: Any) -> str:
    try:
        x = float(s)
    except (TypeError, ValueError):
        return str(s)
    if math.isnan(x):
        return "nan"
    return f"{x:.3g}" if x < 10 else f"{x:.1f}"


def leading_order(sp_: Spectrum) -> np.ndarray:
    """Indices of the eigenvalues, leading first: by |amplitude| when amplitudes are
    known, else by |λ| (slowest decay first); trustworthy ones before spurious ones."""
    lam = np.asarray(sp_.eigenvalues)
    n = len(lam)
    if n == 0:
        return np.zeros(0, dtype=int)
    if sp_.amplitudes is not None and len(sp_.amplitudes) == n:
        key = np.abs(np.asarray(sp_.amplitudes))
    else:
        key = np.abs(lam)
    key = np.where(np.isfinite(key), key, -np.inf)
    spurious = np.zeros(n, bool) if sp_.spurious is None or len(sp_.spurious) != n else np.asarray(sp_.spurious)
    return np.lexsort((-key, spurious))


def spectrum_rows(spec: Spectrum, k: int = 10) -> list[dict]:
    """The ``k`` leading eigenvalues as rows for a table."""
    order = leading_order(spec)[:k]
    w = spec.continuous_eigenvalues
    f = spec.frequencies
    g = spec.growth_rates
    rows = []
    for rank, i in enumerate(order, 1):
        rows.append({
            "rank": rank,
            "index": int(i),
            "lambda": complex(spec.eigenvalues[i]),
            "abs": float(abs(spec.eigenvalues[i])),
            "omega": complex(w[i]),
            "frequency": float(f[i]),
            "growth": float(g[i]),
            "amplitude": None if spec.amplitudes is None or len(spec.amplitudes) <= i else float(abs(spec.amplitudes[i])),
            "residual": None if spec.residuals is None or len(spec.residuals) <= i else float(spec.residuals[i]),
            "spurious": None if spec.spurious is None or len(spec.spurious) <= i else bool(spec.spurious[i]),
        })
    return rows


def n_spurious(spec: Spectrum) -> int:
    return 0 if spec.spurious is None else int(np.sum(spec.spurious))


def by_method(items: list) -> dict[str, list]:
    out: dict[str, list] = {}
    for it in items:
        out.setdefault(it.method, []).append(it)
    return out


def source_facts(series: dict) -> list[tuple[str, str]]:
    """(label, value) pairs describing the data, for the report header."""
    facts: list[tuple[str, str]] = []
    if series.get("source"):
        facts.append(("source", str(series["source"])))
    variables = list(series.get("variables") or [])
    if variables:
        shown = ", ".join(map(str, variables[:20])) + (f", … ({len(variables)} in all)" if len(variables) > 20 else "")
        facts.append(("variables", shown))
    inputs = list(series.get("inputs") or [])
    if inputs:
        facts.append(("inputs", ", ".join(map(str, inputs[:20])) + (" …" if len(inputs) > 20 else "")))
    for key, label in (("time", "time column"), ("n_samples", "samples"), ("n_trajectories", "trajectories"),
                       ("dt", "dt"), ("regular", "regular sampling")):
        if series.get(key) is not None and series.get(key) != "":
            facts.append((label, fmt_value(series[key])))
    return facts


def _edge_list(edges) -> str:
    return ", ".join(f"{s}→{t}" for s, t in edges) or "none"


def check_lines(checks: list[dict]) -> list[str]:
    """One plain sentence per check across methods (see :mod:`discover.checks`)."""
    out = []
    for c in checks:
        kind = c.get("kind")
        if kind == "lie_derivative":
            verdict = {True: "consistent", False: "NOT consistent", None: "not checked (a variable has no equation)"}[
                c.get("consistent")]
            out.append(f"{c['invariant']} ({c['invariant_method']}) along the equations of {c['equations_method']}: "
                       f"{verdict}; ∇f·F = {shorten(str(c['lie_derivative']), 120)} "
                       f"(relative size {fmt(c['relative'], 2)})")
        elif kind == "graph_agreement":
            a, b = c["methods"]
            out.append(f"{a} ({c['graph_kinds'][0]}) and {b} ({c['graph_kinds'][1]}) agree on "
                       f"{len(c['both'])} edges ({_edge_list(c['both'])}); only {a}: {_edge_list(c['only_first'])}; "
                       f"only {b}: {_edge_list(c['only_second'])}; Jaccard {fmt(c['jaccard'], 2)}")
        elif kind == "generative_ranking":
            ranked = "; ".join(
                f"{i}. {r['method']}: error {fmt(r['error'], 3)}"
                + (f", D_stsp {fmt(r['d_stsp'], 3)}" if r.get("d_stsp") is not None else "")
                + (f", D_H {fmt(r['d_h'], 3)}" if r.get("d_h") is not None else "")
                + (f", {r['failed_runs']} run(s) failed" if r.get("failed_runs") else "")
                for i, r in enumerate(c["rows"], 1))
            out.append("generative models ranked by the free run's RMS error against the data (standardised; "
                       f"D_stsp state-space divergence, D_H spectral Hellinger distance, lower is better): {ranked}")
        elif kind == "error":
            out.append(f"the checks across methods failed: {c.get('error')}")
    return out
