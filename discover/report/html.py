"""``report.html``: one self-contained file that opens offline.

No external resource at all: the CSS is inlined from package data, equations
are presentation MathML (printed by :mod:`sympy.printing.mathml`, wrapped in
``<math display="block">``, named entities turned into characters), graphs
and plots are inline SVG (:mod:`discover.report.svg`), and the report's JSON
is embedded in ``<script type="application/json" id="discover-report">`` so
that tools can read it back. Every user string is escaped with
:func:`html.escape`.

Examples
--------
>>> import json, re
>>> import sympy as sp
>>> from discover.findings import Equation
>>> from discover.report import MethodResult, Report
>>> x = sp.Symbol("x", real=True)
>>> run = MethodResult("sindy", "ok", 0.1, {}, findings=[Equation("x", -0.5 * x, method="sindy")])
>>> report = Report({"source": "decay.csv", "variables": ["x"]}, {"sindy": run})
>>> page = render_html(report)
>>> json.loads(embedded_json(page)) == report.to_dict()
True
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from html.entities import html5
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp
from sympy.printing.mathml import mathml

from ..findings import Equation
from . import figures, svg
from ._format import (
    by_method,
    check_lines,
    display_expr,
    exact_text,
    expr_text,
    fmt,
    fmt_value,
    lag_text,
    metrics_text,
    n_spurious,
    seconds_text,
    source_facts,
    spectrum_rows,
)
from .summary import dynamics_text, graph_scope, is_reliable, summarize, unreliable_reason

if TYPE_CHECKING:  # pragma: no cover
    from . import Report

__all__ = ["render_html", "embedded_json", "expr_mathml"]

#: expressions whose text is longer than this are shown as text, not MathML
MATHML_MAX_CHARS = 6000

_XML_ENTITIES = {"lt", "gt", "amp", "quot", "apos"}
_ENTITY = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*)|#(\d+)|#[xX]([0-9a-fA-F]+));")


def _e(text) -> str:
    return html.escape(str(text), quote=True)


@lru_cache(maxsize=1)
def _css() -> str:
    from importlib.resources import files

    return files(__package__).joinpath("static", "report.css").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# MathML


def _unentity(markup: str) -> str:
    """Named HTML entities (``&InvisibleTimes;``, ``&ExponentialE;``) and
    numeric references (``&#955;``) as the characters they stand for, keeping
    XML's own five (``&lt;`` ...) escaped."""

    def swap(m: re.Match) -> str:
        name, dec, hexa = m.groups()
        if name is not None:
            if name in _XML_ENTITIES:
                return m.group(0)
            char = html5.get(name + ";")
            return char if char is not None else m.group(0)
        try:
            char = chr(int(dec) if dec is not None else int(hexa, 16))
        except (ValueError, OverflowError):
            return m.group(0)
        return m.group(0) if char in "<>&\"'" or not char.isprintable() else char

    return _ENTITY.sub(swap, markup)


def _symbol_mathml(sym: sp.Symbol) -> str:
    """One symbol as MathML: sympy's rendering (greek letters, sub/superscripts)
    for tame names, the escaped name as it is otherwise."""
    name = sym.name
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        return mathml(sym, printer="presentation")
    return f"<mi>{_e(name)}</mi>"


def expr_mathml(expr: sp.Basic, digits: int = 4) -> str:
    """Presentation MathML of ``expr`` (no ``<math>`` wrapper), floats rounded
    to ``digits`` significant digits, user names escaped, no named entities.

    Examples
    --------
    >>> import sympy as sp
    >>> expr_mathml(sp.Symbol("a<b") + 1)
    '<mrow><mi>a&lt;b</mi><mo>+</mo><mn>1</mn></mrow>'
    """
    expr = display_expr(sp.sympify(expr), digits)
    # sympy does not escape symbol names and splits odd ones: print a
    # placeholder for each symbol and put the escaped name in afterwards
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    holders = {}
    for i, s in enumerate(syms):
        holders[s] = sp.Symbol("Zq" + _letters(i) + "qZ", **s.assumptions0)
    if holders:
        # keep the order sympy would use for the real names
        markup = mathml(expr.xreplace(holders), printer="presentation", order="lex")
        for s, h in holders.items():
            markup = markup.replace(f"<mi>{h.name}</mi>", _symbol_mathml(s))
    else:
        markup = mathml(expr, printer="presentation")
    return _unentity(markup)


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _lhs_mathml(eq: Equation) -> str:
    var = _symbol_mathml(sp.Symbol(eq.variable))
    if eq.kind == "ode":
        return (f"<mfrac><mrow><mi mathvariant=\"normal\">d</mi>{var}</mrow>"
                f"<mrow><mi mathvariant=\"normal\">d</mi><mi>t</mi></mrow></mfrac>")
    if eq.kind == "map":
        return f"<msub><mrow>{var}</mrow><mrow><mi>k</mi><mo>+</mo><mn>1</mn></mrow></msub>"
    return var


def _math(inner: str) -> str:
    return f'<math display="block">{_unentity(inner)}</math>'


# ---------------------------------------------------------------------------
# the page


def embedded_json(page: str) -> str:
    """The JSON text embedded in a page written by :func:`render_html`."""
    m = re.search(r'<script type="application/json" id="discover-report">(.*?)</script>', page, re.S)
    if m is None:
        raise ValueError("No embedded discover report in this page.")
    return m.group(1)


def _json_for_script(d: dict) -> str:
    """JSON that cannot end the ``<script>`` element it sits in (``</``,
    ``<!--`` and friends are written as ``\\u003c`` escapes, which JSON reads back)."""
    text = json.dumps(d, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    data = report.to_dict()
    uid = _Ids()
    counts = {
        "methods": len(report.methods),
        "equations": len(report.equations),
        "graphs": len(report.graphs),
        "invariants": len(report.invariants),
        "spectra": len(report.spectra),
        "symbolic-codes": len(report.symbolic_codes),
        "simulations": len(report.simulations),
    }
    titles = {"methods": "Methods", "equations": "Equations", "graphs": "Graphs", "invariants": "Invariants",
              "spectra": "Spectra", "symbolic-codes": "Symbolic codes", "simulations": "Simulations"}
    src = report.series.get("source") or "data"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="discover">',
        f"<title>discover report: {_e(src)}</title>",
        f"<style>{_css()}</style></head><body>",
        "<header><h1>discover report</h1>",
        '<dl class="facts">',
    ]
    for k, v in source_facts(report.series):
        parts.append(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>")
    seed = "" if report.seed is None else f", seed {_e(report.seed)}"
    parts.append(f"<dt>created</dt><dd>{_e(report.created)}, discover {_e(report.version)}{seed}</dd></dl></header>")
    parts.append("<nav>" + '<a href="#summary">Summary</a>'
                 + "".join(f'<a href="#{k}">{titles[k]} <span class="count">{n}</span></a>'
                           for k, n in counts.items()) + "</nav><main>")
    parts.append(summary_html(report))
    parts += _methods(report)
    parts += _equations(report)
    parts += _graphs(report, uid)
    parts += _invariants(report)
    parts += _spectra(report, uid)
    parts += _codes(report, uid)
    parts += _simulations(report, uid)
    lines = check_lines(getattr(report, "checks", []))
    if lines:
        parts.append(_section("checks", "Checks across methods") + "<ul>"
                     + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul></section>")
    parts.append("</main>")
    parts.append('<footer>Written by discover. The full results, with exact numbers, are in report.json '
                 "and embedded in this page.</footer>")
    parts.append(f'<script type="application/json" id="discover-report">{_json_for_script(data)}</script>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


class _Ids:
    """Unique ids for SVG markers in one page."""

    def __init__(self):
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def summary_html(report: Report) -> str:
    """The summary section (also :meth:`Report._repr_html_` in a notebook)."""
    s = summarize(report)
    rows = []
    for e in s["equations"]:
        if e["chosen"] is not None:
            eq = e["chosen"]
            cell = _expr_block(eq.rhs, lhs=_lhs_mathml(eq)) + f'<p class="meta">{_e(eq.method)}</p>'
        else:
            c = e["candidate"]
            cell = (f'<p class="unreliable"><strong>no reliable model</strong> ({_e(e["reason"])})</p>'
                    f'<details><summary>best candidate ({_e(c.method)}), not a finding</summary>'
                    f"{_expr_block(c.rhs, lhs=_lhs_mathml(c))}</details>")
        rows.append(f"<tr><th>{_e(e['variable'])}</th><td>{cell}</td></tr>")
    out = ['<section id="summary"><h2>Summary</h2>']
    if rows:
        out.append('<table class="summary"><thead><tr><th>variable</th><th>governing equation</th></tr></thead>'
                   f"<tbody>{''.join(rows)}</tbody></table>")
    items = []
    g = s["graphs"]
    for d in g["graphs"]:
        flag = "" if d["reliable"] else f' — <strong class="unreliable">graph not reliable</strong> ({_e(d["reason"])})'
        items.append(f"{_e(d['method'])}: {_e(d['scope'])} {_e(d['kind'])} graph, {d['edges']} edges{flag}")
    if g["agreed"]:
        what = "Edges found by at least two methods" if g["n_usable"] >= 2 else "Edges (one method only)"
        items.append(f"{what}: " + _e(", ".join(f"{a}→{b} ({', '.join(m)})" for a, b, m in g["agreed"][:30])))
    elif g["n_usable"] >= 2:
        items.append("The graphs share no edge.")
    if s["invariants"]:
        more = f"; … {len(s['invariants']) - 4} more below" if len(s["invariants"]) > 4 else ""
        items.append("Conserved: " + "; ".join(f"{_e(expr_text(x))} = const ({_e(m)})" for m, x in s["invariants"][:4])
                     + more)
    for sp_ in s["spectra"]:
        items.append(f"Dynamics ({_e(sp_['method'])}): " + _e(dynamics_text(sp_)))
    if s["methods"]:
        items.append("Methods: " + ", ".join(
            f"{_e(n)} " + (f"{_e(st)}" if st == "ok" else f'<strong class="failed">{_e(st)}</strong>')
            + f" {_e(seconds_text(sec))} s" for n, st, sec in s["methods"]))
    if items:
        out.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
    out.append(_picture(figures.best_run_figure, report))
    if len(out) == 2 and not out[1]:
        out.append(_empty("Nothing was found."))
    out.append("</section>")
    return "\n".join(out)


def _picture(draw, *args) -> str:
    """A picture of :mod:`.figures`, or one line saying why it is missing: a
    picture that fails never costs the page (the findings are all there)."""
    try:
        return draw(*args)
    except Exception as exc:  # noqa: BLE001 - a drawing failure must not cost the report
        return f'<p class="meta">This picture could not be drawn ({_e(type(exc).__name__)}: {_e(exc)}).</p>'


def _section(key: str, title: str) -> str:
    return f'<section id="{key}"><h2>{title}</h2>'


def _empty(text: str) -> str:
    return f'<p class="empty">{_e(text)}</p>'


def _methods(report: Report) -> list[str]:
    out = [_section("methods", "Methods")]
    failed = report.failed
    if failed:
        rest = ("Their errors are below; the other methods' results are complete." if len(failed) < len(report.methods)
                else "Their errors are below; there are no results.")
        out.append('<div class="callout"><strong>' + str(len(failed)) + " of " + str(len(report.methods))
                   + " methods failed:</strong> " + ", ".join(_e(n) for n in failed) + ". " + rest + "</div>")
    if not report.methods:
        return out + [_empty("No method was run."), "</section>"]
    out.append("<table><thead><tr><th>method</th><th>status</th><th>seconds</th><th>findings</th>"
               "<th>parameters</th></tr></thead><tbody>")
    for name, r in report.methods.items():
        params = ""
        if r.params:
            items = "".join(f"<tr><td>{_e(k)}</td><td>{_e(fmt_value(v, 200))}</td></tr>" for k, v in r.params.items())
            params = f"<details><summary>{len(r.params)} options</summary><table>{items}</table></details>"
        status = _e(r.status)
        out.append(f'<tr><td>{_e(name)}</td><td class="status-{_e(r.status)}">{status}</td>'
                   f'<td class="num">{_e(seconds_text(r.seconds))}</td><td class="num">{len(r.findings)}</td>'
                   f"<td>{params}</td></tr>")
        if r.error:
            out.append(f'<tr><td colspan="5"><pre class="error">{_e(r.error)}</pre></td></tr>')
        if getattr(r, "warnings", None):
            items = "".join(f"<li><code>{_e(w)}</code></li>" for w in r.warnings)
            out.append(f'<tr><td colspan="5"><details><summary>{len(r.warnings)} warning(s)</summary>'
                       f"<ul>{items}</ul></details></td></tr>")
    out.append("</tbody></table></section>")
    return out


def _expr_block(expr: sp.Basic, lhs: str = "", rhs_suffix: str = "") -> str:
    """An expression as MathML (text for enormous ones), with its exact text below."""
    text = expr_text(expr)
    if len(text) <= MATHML_MAX_CHARS:
        try:
            body = lhs + ("<mo>=</mo>" if lhs else "") + expr_mathml(expr) + rhs_suffix
            math = _math("<mrow>" + body + "</mrow>")
            ET.fromstring(math)  # well-formed, or shown as text (e.g. a function named "a<b")
            shown = f'<div class="eq">{math}</div>'
        except Exception:  # noqa: BLE001 - a printer failure must not cost the report
            shown = f"<pre>{_e(text)}</pre>"
    else:
        shown = (f'<p class="meta">This expression is too long to typeset ({len(text)} characters); '
                 f"its text:</p><pre>{_e(text)}</pre>")
    exact = exact_text(expr)
    return shown + f"<details><summary>text</summary><pre>{_e(exact)}</pre></details>"


def _equations(report: Report) -> list[str]:
    out = [_section("equations", "Equations")]
    if not report.equations:
        return out + [_empty("No equations found."), "</section>"]
    for method, eqs in by_method(report.equations).items():
        out.append(f"<h3>{_e(method or 'unnamed method')}</h3>")
        for eq in eqs:
            meta = f"{_e(eq.kind)} for {_e(eq.variable)}"
            if not is_reliable(eq):
                meta = (f'<strong class="unreliable">no reliable model</strong> for {_e(eq.variable)} '
                        f"({_e(unreliable_reason(eq))}); the best candidate, shown only as such · " + meta)
            if eq.metrics:
                meta += " · " + _e(metrics_text(eq.metrics))
            block = _expr_block(eq.rhs, lhs=_lhs_mathml(eq))
            unc = ""
            if eq.uncertainty:
                rows = "".join(f"<tr><td>{_e(t)}</td><td>{_e(fmt_value(v, 160))}</td></tr>"
                               for t, v in eq.uncertainty.items())
                unc = f"<details><summary>uncertainty per term</summary><table>{rows}</table></details>"
            front = (eq.metrics or {}).get("front") or (eq.metrics or {}).get("pareto_front")
            pic = svg.pareto_svg(front, (eq.metrics or {}).get("complexity"),
                                 title=f"Pareto front for {eq.variable} ({eq.method})") if front else ""
            if pic:
                pic = f'<details open><summary>Pareto front: error against complexity, chosen in red</summary>{pic}</details>'
            out.append(f'<div class="finding equation">{block}'
                       f'<p class="meta">{meta}</p>{pic}{unc}</div>')
    out.append("</section>")
    return out


def _graphs(report: Report, uid: _Ids) -> list[str]:
    out = [_section("graphs", "Graphs")]
    if not report.graphs:
        return out + [_empty("No graphs found."), "</section>"]
    for g in report.graphs:
        edges = g.edges(selected_only=False)
        sel = [e for e in edges if e["selected"]]
        out.append(f"<h3>{_e(graph_scope(g))} {_e(g.kind)} graph · {_e(g.method or 'unnamed method')}</h3>")
        if not is_reliable(g):
            out.append(f'<p class="unreliable"><strong>graph not reliable</strong>: {_e(unreliable_reason(g))}</p>')
        meta = f"{g.graph.number_of_nodes()} nodes, {len(sel)} edges"
        if len(edges) > len(sel):
            meta += f", {len(edges) - len(sel)} candidate edges (dashed)"
        if g.metrics:
            meta += " · " + metrics_text(g.metrics)
        out.append(f'<div class="finding graph"><p class="meta">{_e(meta)}. Blue: positive weight, red: negative; '
                   "width: |weight|; opacity: score.</p>")
        if g.graph.number_of_nodes() > 1 and edges:
            out.append(svg.graph_svg(g, uid("g"), order=_node_order(report, g)))
        else:  # no canvas for one node or an empty graph
            out.append(_empty("No edges to draw." if not edges else "One node: nothing to draw."))
        if edges:
            rows = "".join(
                f"<tr><td>{_e(e['source'])}</td><td>{_e(e['target'])}</td><td class=\"num\">{_e(lag_text(e['lag'], g.metrics))}</td>"
                f"<td class=\"num\">{_e(fmt(e['weight']))}</td><td class=\"num\">{_e(fmt(e['score']))}</td>"
                f"<td>{'yes' if e['selected'] else 'no'}</td></tr>"
                for e in edges)
            out.append(f"<details{' open' if len(edges) <= 12 else ''}><summary>{len(edges)} edges</summary>"
                       f'<div class="scroll"><table><thead><tr><th>source</th><th>target</th><th>lag</th>'
                       f"<th>weight</th><th>score</th><th>selected</th></tr></thead><tbody>{rows}</tbody></table>"
                       "</div></details>")
        out.append("</div>")
    out.append("</section>")
    return out


def _node_order(report: Report, g) -> list[str]:
    """Node places shared by every drawing: the data's variables, or for a
    transition graph the alphabet of the same method's symbolic code."""
    if g.kind == "transition":
        code = next((c for c in report.symbolic_codes if c.method == g.method), None)
        if code is not None:
            return [str(a) for a in code.alphabet]
    return [str(v) for v in report.series.get("variables") or []]


def _invariants(report: Report) -> list[str]:
    out = [_section("invariants", "Invariants")]
    if not report.invariants:
        return out + [_empty("No invariants found."), "</section>"]
    for method, invs in by_method(report.invariants).items():
        out.append(f"<h3>{_e(method or 'unnamed method')}</h3>")
        for inv in invs:
            block = _expr_block(inv.expression, rhs_suffix="<mo>=</mo><mtext>const</mtext>")
            meta = f"residual {fmt(inv.residual)}, confidence {fmt(inv.confidence)}"
            if inv.metrics:
                meta += " · " + metrics_text(inv.metrics)
            drift = _picture(figures.invariant_drift, report, inv)
            out.append(f'<div class="finding invariant">{block}<p class="meta">{_e(meta)}</p>{drift}</div>')
    out.append("</section>")
    return out


def _spectra(report: Report, uid: _Ids) -> list[str]:
    out = [_section("spectra", "Spectra")]
    if not report.spectra:
        return out + [_empty("No spectra found."), "</section>"]
    for s in report.spectra:
        r = len(s.eigenvalues)
        out.append(f"<h3>{_e(s.method or 'unnamed method')}</h3>")
        meta = f"{r} eigenvalues, dt = {fmt(s.dt)}"
        if s.spurious is not None:
            meta += f", {n_spurious(s)} flagged spurious (orange crosses)"
        if s.variables:
            meta += f", modes over {len(s.variables)} variables"
        if s.metrics:
            meta += " · " + metrics_text(s.metrics)
        out.append(f'<div class="finding spectrum"><p class="meta">{_e(meta)}</p>')
        if r:
            out.append('<div class="figures">'
                       f"<figure>{svg.eigenvalue_svg(s, uid('s'))}<figcaption>discrete time: λ and the unit circle"
                       "</figcaption></figure>"
                       f"<figure>{svg.eigenvalue_svg(s, uid('s'), continuous=True)}<figcaption>continuous time: "
                       "ω = log(λ)/dt</figcaption></figure></div>")
            rows = spectrum_rows(s, 10)
            body = "".join(
                f"<tr><td class=\"num\">{row['rank']}</td><td class=\"num\">{_e(fmt(row['lambda']))}</td>"
                f"<td class=\"num\">{_e(fmt(row['abs']))}</td><td class=\"num\">{_e(fmt(row['omega']))}</td>"
                f"<td class=\"num\">{_e(fmt(row['frequency']))}</td><td class=\"num\">{_e(fmt(row['growth']))}</td>"
                f"<td class=\"num\">{_e(fmt(row['amplitude']))}</td><td class=\"num\">{_e(fmt(row['residual']))}</td>"
                f"<td>{_e(fmt(row['spurious']))}</td></tr>" for row in rows)
            out.append(f"<p class=\"meta\">Leading eigenvalues ({len(rows)} of {r}):</p><table><thead><tr><th>#</th>"
                       "<th>λ</th><th>|λ|</th><th>ω</th><th>frequency</th><th>growth rate</th><th>|amplitude|</th>"
                       f"<th>residual</th><th>spurious</th></tr></thead><tbody>{body}</tbody></table>")
            modes = svg.modes_svg(s, uid("m"))
            if modes:
                out.append(f"<figure>{modes}</figure>")
        if s.eigenfunctions:
            efs = [(k, f) for k, f in enumerate(s.eigenfunctions) if f is not None][:10]
            for k, f in efs:
                lhs = f"<msub><mi>φ</mi><mn>{k}</mn></msub>"
                out.append(f'<div class="eigenfunction">{_expr_block(f, lhs=lhs)}</div>')
        out.append("</div>")
    out.append("</section>")
    return out


def _codes(report: Report, uid: _Ids) -> list[str]:
    out = [_section("symbolic-codes", "Symbolic codes")]
    if not report.symbolic_codes:
        return out + [_empty("No symbolic codes found."), "</section>"]
    for c in report.symbolic_codes:
        n = len(c.sequence)
        out.append(f"<h3>{_e(c.method or 'unnamed method')}</h3>")
        meta = f"{len(c.alphabet)} regions, {n} symbols"
        if c.metrics:
            meta += " · " + metrics_text(c.metrics)
        out.append(f'<div class="finding code"><p class="meta">{_e(meta)}</p>')
        out.append(svg.code_strip_svg(c.alphabet, c.sequence))
        out.append(_picture(figures.code_figures, report, c, uid("t")))
        counts: dict[str, int] = {a: 0 for a in c.alphabet}
        for s in c.sequence:
            counts[s] = counts.get(s, 0) + 1
        rows = []
        for a, k in counts.items():
            m = c.maps.get(a)
            affine = ""
            if m is not None:
                A, b = np.asarray(m["A"]), np.asarray(m["b"])
                if A.size <= 64:
                    affine = (f"<pre>A = {_e(np.array2string(A, precision=4, suppress_small=True))}\n"
                              f"b = {_e(np.array2string(b, precision=4, suppress_small=True))}</pre>")
                else:
                    affine = f"A: {A.shape[0]}×{A.shape[1] if A.ndim > 1 else 1} (in report.json)"
            rows.append(f"<tr><td>{_e(a)}</td><td class=\"num\">{k}</td><td class=\"num\">"
                        f"{_e(fmt(k / n if n else float('nan')))}</td><td>{affine}</td></tr>")
        out.append("<details><summary>regions and their affine maps z ↦ A z + b</summary><div class=\"scroll\">"
                   "<table><thead><tr><th>region</th><th>samples</th><th>share</th><th>map</th></tr></thead>"
                   f"<tbody>{''.join(rows)}</tbody></table></div></details></div>")
    out.append("</section>")
    return out


def _simulations(report: Report, uid: _Ids) -> list[str]:
    from . import _simulation_files

    out = [_section("simulations", "Simulations")]
    if not report.simulations:
        return out + [_empty("No simulations."), "</section>"]
    for s, file in _simulation_files(report.simulations):
        out.append(f"<h3>{_e(s.method or 'unnamed method')} · trajectory {s.trajectory}</h3>")
        meta = f"{len(s.t)} steps, file {file}"
        if s.metrics:
            meta += " · " + metrics_text(s.metrics)
        out.append(f'<div class="finding simulation"><p class="meta">{_e(meta)}</p>')
        if s.failed_at is not None:
            out.append(f'<div class="callout">The simulation stopped at t = {_e(fmt(s.failed_at))}: '
                       f"{_e(s.message)}</div>")
        out.append(_picture(figures.simulation_figures, report, s))
        if getattr(report, "data", None) is None:
            out.append('<p class="meta">The data are not part of report.json, so this page, rendered from it, '
                       "shows the model's run alone.</p>")
        out.append("</div>")
    out.append("</section>")
    return out
