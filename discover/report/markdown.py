"""``report.md`` and the plain-text summary that ``discover fit`` prints.

Both are derived from a :class:`~discover.report.Report` only; numbers are
shown with 4 significant digits (``report.json`` keeps them exact).

Examples
--------
>>> import sympy as sp
>>> from discover.findings import Equation
>>> from discover.report import MethodResult, Report
>>> x = sp.Symbol("x", real=True)
>>> run = MethodResult("sindy", "ok", 0.1, {}, findings=[Equation("x", -0.5 * x, method="sindy")])
>>> print(render_terminal(Report({"source": "decay.csv", "variables": ["x"]}, {"sindy": run})))
discover report: decay.csv (1 variable); 1/1 methods ok, 1 finding
<BLANKLINE>
Summary
  Equations (one per variable):
    x: d(x)/dt = -0.5*x [sindy]
  Methods: sindy ok 0.1 s
<BLANKLINE>
Equations
  [sindy] d(x)/dt = -0.5*x
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ._format import (
    by_method,
    check_lines,
    equation_text,
    expr_text,
    fmt,
    fmt_value,
    lag_text,
    metrics_text,
    n_spurious,
    seconds_text,
    shorten,
    source_facts,
    spectrum_rows,
)
from .summary import graph_scope, is_reliable, spectrum_unit, summarize, summary_lines, unreliable_reason

if TYPE_CHECKING:  # pragma: no cover
    from . import Report

__all__ = ["render_markdown", "render_terminal"]

#: longest equation text printed on a terminal (the files keep all of it)
TERMINAL_WIDTH = 400
#: most table rows per graph / spectrum in report.md
MAX_ROWS = 50


# ---------------------------------------------------------------------------
# Markdown


_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def _cell(text) -> str:
    """Text for one Markdown table cell: one line, pipes escaped, nothing a
    forge would take for an HTML tag."""
    if isinstance(text, _Code):
        return str(text).replace("|", "\\|")
    text = _TAG.sub("&lt;", str(text)).replace("|", "\\|")
    return " ".join(text.split()) or " "


class _Code(str):
    """A cell that is already a code span (shown literally, HTML and all)."""


def _code(text: str) -> _Code:
    """An inline code span that survives backticks in the text."""
    text = " ".join(str(text).split())
    if not text:
        return _Code("")
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return _Code(f"{ticks}{pad}{text}{pad}{ticks}")


def _fence(text: str, lang: str = "text") -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{lang}\n{text}\n{fence}"


def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def render_markdown(report: Report) -> str:
    """The report as Markdown, readable in a terminal and on a code forge.

    Sections: the data, the methods (status, seconds, error), equations
    (plain text in code blocks), graphs (edge tables), invariants, spectra
    (leading eigenvalues), symbolic codes and simulations.
    """
    parts: list[str] = ["# discover report", ""]
    facts = source_facts(report.series)
    parts += [f"- **{k}**: {_code(v) if k == 'source' else _cell(v)}" for k, v in facts]
    seed = "" if report.seed is None else f", seed {report.seed}"
    parts += [f"- **created**: {report.created}, discover {report.version}{seed}", ""]
    summary = summary_lines(summarize(report))
    if summary:
        parts += ["## Summary", ""]
        parts += [f"- {_cell(line)}" if not line.startswith("  ") else f"  - {_cell(line.strip())}" for line in summary]
        parts += [""]

    parts += ["## Methods", ""]
    if report.methods:
        rows = [[name, "ok" if r.status == "ok" else f"**{r.status}**", seconds_text(r.seconds),
                 len(r.findings), _code(shorten(r.error, 300)) if r.error else ""]
                for name, r in report.methods.items()]
        parts += [_table(["method", "status", "seconds", "findings", "error"], rows), ""]
        warned = [(n, r) for n, r in report.methods.items() if getattr(r, "warnings", None)]
        if warned:
            parts += ["Warnings raised while fitting:", ""]
            parts += [f"- {_code(n)}: {_code(shorten(w, 300))}" for n, r in warned for w in r.warnings]
            parts += [""]
        with_params = [(n, r) for n, r in report.methods.items() if r.params]
        if with_params:
            parts += ["<details><summary>Parameters</summary>", ""]
            for name, r in with_params:
                opts = ", ".join(f"{k}={fmt_value(v, 80)}" for k, v in r.params.items())
                parts += [f"- {_code(name)}: {_cell(opts)}"]
            parts += ["", "</details>", ""]
    else:
        parts += ["No method was run.", ""]

    parts += _md_equations(report) + _md_graphs(report) + _md_invariants(report)
    parts += _md_spectra(report) + _md_codes(report) + _md_simulations(report)
    lines = check_lines(getattr(report, "checks", []))
    if lines:
        parts += ["## Checks across methods", ""] + [f"- {_cell(line)}" for line in lines] + [""]
    return "\n".join(parts).rstrip() + "\n"


def _md_equations(report: Report) -> list[str]:
    out = ["## Equations", ""]
    if not report.equations:
        return out + ["No equations found.", ""]
    for method, eqs in by_method(report.equations).items():
        out += [f"### {_cell(method or 'unnamed method')}", ""]
        for e in eqs:
            if not is_reliable(e):
                out += [f"**{_cell(e.variable)}: no reliable model** ({_cell(unreliable_reason(e))}); "
                        "the best candidate, shown only as such:", ""]
            tex = _latex(e)
            out += [f"$$\n{tex}\n$$" if tex else _fence(equation_text(e)), ""]
        out += ["<details><summary>as text</summary>", "", _fence("\n".join(equation_text(e) for e in eqs)),
                "", "</details>", ""]
        rows = [[e.variable, e.kind, metrics_text(e.metrics)] for e in eqs if e.metrics]
        if rows:
            out += [_table(["variable", "kind", "metrics"], rows), ""]
        for e in eqs:
            if e.uncertainty:
                urows = [[term, fmt_value(v, 100)] for term, v in e.uncertainty.items()]
                out += [f"Uncertainty of the terms of {_code(e.variable)}:", "", _table(["term", "interval"], urows), ""]
    return out


def _md_graphs(report: Report) -> list[str]:
    out = ["## Graphs", ""]
    if not report.graphs:
        return out + ["No graphs found.", ""]
    for g in report.graphs:
        edges = g.edges(selected_only=True)
        n_cand = len(g.edges(selected_only=False)) - len(edges)
        out += [f"### {graph_scope(g)} {_cell(g.kind)} graph — {_cell(g.method or 'unnamed method')}", ""]
        if not is_reliable(g):
            out += [f"**Graph not reliable**: {_cell(unreliable_reason(g))}.", ""]
        line = f"{g.graph.number_of_nodes()} nodes, {len(edges)} edges"
        if n_cand:
            line += f" (and {n_cand} candidate edge{'s' if n_cand != 1 else ''} not selected)"
        out += [line + (f"; {metrics_text(g.metrics)}" if g.metrics else "") + ".", ""]
        if edges:
            edges = sorted(edges, key=lambda e: (-_finite(e["score"]), -abs(_finite(e["weight"]))))
            rows = [[e["source"], e["target"], lag_text(e["lag"], g.metrics), fmt(e["weight"]), fmt(e["score"])]
                    for e in edges[:MAX_ROWS]]
            if len(edges) <= MAX_MERMAID:
                out += [_mermaid(edges, g.metrics), ""]
            out += [_table(["source", "target", "lag", "weight", "score"], rows), ""]
            if len(edges) > MAX_ROWS:
                out += [f"… and {len(edges) - MAX_ROWS} more edges (all of them are in report.json).", ""]
    return out


#: most edges drawn as a Mermaid block (a forge renders bigger ones unreadably)
MAX_MERMAID = 60
#: longest LaTeX equation written (longer ones stay in the text block)
MAX_LATEX = 3000


def _latex(e) -> str:
    """``\\frac{dx}{dt} = …`` (or ``x_{t+1} = …``) in LaTeX, or "" when too long."""
    import sympy as sp

    from ._format import display_expr

    var = sp.latex(sp.Symbol(e.variable))
    lhs = {"ode": f"\\frac{{d{{{var}}}}}{{dt}}", "map": f"{{{var}}}_{{t+1}}"}.get(e.kind, var)
    try:
        tex = sp.latex(display_expr(e.rhs))
    except Exception:  # noqa: BLE001 - a printer failure keeps the text block
        return ""
    return "" if len(tex) > MAX_LATEX else f"{lhs} = {tex}"


def _mermaid(edges: list[dict], metrics: dict | None = None) -> str:
    """Edges as a Mermaid flowchart (node ids n0…, names as quoted labels)."""
    names = sorted({str(e[k]) for e in edges for k in ("source", "target")})
    ids = {n: f"n{i}" for i, n in enumerate(names)}

    def q(text: str) -> str:
        return '"' + str(text).replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") + '"'

    lines = ["```mermaid", "flowchart LR"]
    lines += [f"    {ids[n]}[{q(n)}]" for n in names]
    for e in edges:
        label = f"{fmt(e['weight'], 2)}" + (f", lag {lag_text(e['lag'], metrics)}" if e["lag"] else "")
        lines.append(f"    {ids[str(e['source'])]} -->|{q(label)}| {ids[str(e['target'])]}")
    return "\n".join(lines + ["```"])


def _finite(v) -> float:
    v = float(v)
    return v if np.isfinite(v) else 0.0


def _md_invariants(report: Report) -> list[str]:
    out = ["## Invariants", ""]
    if not report.invariants:
        return out + ["No invariants found.", ""]
    rows = [[_code(expr_text(i.expression) + " = const"), fmt(i.residual), fmt(i.confidence), i.method]
            for i in report.invariants]
    return out + [_table(["invariant", "residual", "confidence", "method"], rows), ""]


def _md_spectra(report: Report) -> list[str]:
    out = ["## Spectra", ""]
    if not report.spectra:
        return out + ["No spectra found.", ""]
    for s in report.spectra:
        r = len(s.eigenvalues)
        out += [f"### {_cell(s.method or 'unnamed method')}", ""]
        facts = f"{r} eigenvalues, dt = {fmt(s.dt)}"
        if s.spurious is not None:
            facts += f", {n_spurious(s)} flagged spurious"
        if s.variables:
            facts += f", modes over {len(s.variables)} variables"
        out += [facts + (f"; {metrics_text(s.metrics)}" if s.metrics else "") + ".", ""]
        rows = spectrum_rows(s, 10)
        if rows:
            out += [f"Leading eigenvalues ({len(rows)} of {r}):", ""]
            table = [[row["rank"], fmt(row["lambda"]), fmt(row["abs"]), fmt(row["omega"]), fmt(row["frequency"]),
                      fmt(row["growth"]), fmt(row["amplitude"]), fmt(row["residual"]), fmt(row["spurious"])]
                     for row in rows]
            out += [_table(["#", "λ", "|λ|", "ω = log(λ)/dt", "frequency", "growth rate", "|amplitude|",
                            "residual", "spurious"], table), ""]
        if s.eigenfunctions:
            efs = [(k, f) for k, f in enumerate(s.eigenfunctions) if f is not None][:10]
            if efs:
                out += ["Eigenfunctions:", "", _fence("\n".join(f"φ{k} = {expr_text(f)}" for k, f in efs)), ""]
    return out


def _md_codes(report: Report) -> list[str]:
    out = ["## Symbolic codes", ""]
    if not report.symbolic_codes:
        return out + ["No symbolic codes found.", ""]
    for c in report.symbolic_codes:
        out += [f"### {_cell(c.method or 'unnamed method')}", ""]
        n = len(c.sequence)
        out += [f"{len(c.alphabet)} regions, {n} symbols" + (f"; {metrics_text(c.metrics)}" if c.metrics else "")
                + ".", ""]
        counts = {a: 0 for a in c.alphabet}
        for s in c.sequence:
            counts[s] = counts.get(s, 0) + 1
        rows = [[a, k, fmt(k / n if n else float("nan"))] for a, k in list(counts.items())[:MAX_ROWS]]
        out += [_table(["region", "samples", "share"], rows), ""]
        if c.sequence:
            head = " ".join(c.sequence[:60]) + (" …" if n > 60 else "")
            out += ["Sequence: " + _code(head), ""]
        small = [(k, m) for k, m in c.maps.items() if m["A"].size <= 36][:8]
        for k, m in small:
            a = np.array2string(np.asarray(m["A"]), precision=4, suppress_small=True)
            b = np.array2string(np.asarray(m["b"]), precision=4, suppress_small=True)
            out += [f"Region {_code(k)}: z ↦ A z + b", "", _fence(f"A =\n{a}\nb = {b}"), ""]
    return out


def _md_simulations(report: Report) -> list[str]:
    from . import _simulation_files

    out = ["## Simulations", ""]
    if not report.simulations:
        return out + ["No simulations.", ""]
    rows = []
    for s, file in _simulation_files(report.simulations):
        state = "complete" if s.failed_at is None else _code(f"failed at t = {fmt(s.failed_at)}: {s.message}")
        rows.append([s.method, s.trajectory, len(s.t), ", ".join(s.variables[:10]) + (" …" if len(s.variables) > 10
                     else ""), file, state])
    return out + [_table(["method", "trajectory", "steps", "variables", "file", "state"], rows), ""]


# ---------------------------------------------------------------------------
# terminal


def render_terminal(report: Report) -> str:
    """A short plain-text summary for the terminal: equations first, then
    graphs, invariants, spectra, symbolic codes, failed simulations and the
    failed methods with their error."""
    n_vars = len(report.series.get("variables") or [])
    src = report.series.get("source") or "data"
    ok = sum(r.status == "ok" for r in report.methods.values())
    nf = len([f for f in report.findings if f.type != "simulation"])
    lines = [f"discover report: {src}" + (f" ({n_vars} variable{'s' if n_vars != 1 else ''})" if n_vars else "")
             + f"; {ok}/{len(report.methods)} methods ok, {nf} finding{'s' if nf != 1 else ''}"]

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", title, *body])

    section("Summary", ["  " + line for line in summary_lines(summarize(report))])
    section("Equations", [f"  [{e.method}] {shorten(equation_text(e), TERMINAL_WIDTH)}" if is_reliable(e) else
                          f"  [{e.method}] {e.variable}: no reliable model ({shorten(unreliable_reason(e), 200)}); "
                          f"best candidate only: {shorten(equation_text(e), TERMINAL_WIDTH)}"
                          for e in report.equations])
    gl = []
    for g in report.graphs:
        edges = sorted(g.edges(), key=lambda e: -_finite(e["score"]))
        shown = [f"{e['source']} -> {e['target']}" + (f" at lag {lag_text(e['lag'], g.metrics)}" if e["lag"] else "")
                 + f" w={fmt(e['weight'], 3)}" + (f" score {fmt(e['score'], 2)}" if e["score"] != 1.0 else "")
                 for e in edges[:12]]
        more = f", … {len(edges) - 12} more" if len(edges) > 12 else ""
        flag = "" if is_reliable(g) else f" — graph not reliable ({shorten(unreliable_reason(g), 200)})"
        gl.append(f"  [{g.method}] {graph_scope(g)} {g.kind} graph{flag}: "
                  + (", ".join(shown) + more if shown else "no edges"))
    section("Graphs", gl)
    section("Invariants", [f"  [{i.method}] {shorten(expr_text(i.expression), TERMINAL_WIDTH)} = const"
                           f"  (residual {fmt(i.residual, 2)})" for i in report.invariants])
    sl = []
    for s in report.spectra:
        rows = spectrum_rows(s, 4)
        unit = spectrum_unit(s, report.series)
        modes = "; ".join(f"ω={fmt(r['omega'], 3)}"
                          + (f" (period {fmt(s.periods[r['index']], 3)} {unit})" if r["frequency"] > 0 else "")
                          + (" spurious" if r["spurious"] else "") for r in rows)
        sl.append(f"  [{s.method}] {len(s.eigenvalues)} eigenvalues" + (f": {modes}" if modes else ""))
    section("Spectra", sl)
    section("Symbolic codes", [f"  [{c.method}] {len(c.alphabet)} regions, {len(c.sequence)} symbols"
                               for c in report.symbolic_codes])
    section("Failed simulations", [f"  [{s.method}] trajectory {s.trajectory} stopped at t={fmt(s.failed_at)}: "
                                   f"{shorten(s.message, 200)}" for s in report.simulations if s.failed_at is not None])
    section("Checks across methods", [f"  {shorten(line, 300)}" for line in check_lines(getattr(report, "checks", []))])
    section("Warnings", [f"  [{name}] {shorten(w, 200)}" for name, r in report.methods.items()
                         for w in getattr(r, "warnings", [])])
    section("Failed methods", [f"  {name}: {shorten(r.error or r.status, 300)}" for name, r in report.methods.items()
                               if r.status != "ok"])
    if nf == 0:
        lines += ["", "No findings."]
    return "\n".join(lines)
