"""What was found, in a few lines: the summary that opens every rendering.

:func:`summarize` reduces a :class:`~discover.report.Report` to plain data
(per variable the equation chosen or "no reliable model", the edges the
graphs agree on, conserved quantities, dominant periods and growth/decay
times in the data's time unit, each method's status and time);
:func:`summary_lines` words it for the terminal and Markdown, and the HTML
renderer draws the same data.

Examples
--------
>>> import sympy as sp
>>> from discover.findings import Equation
>>> from discover.report import MethodResult, Report
>>> x = sp.Symbol("x", real=True)
>>> bad = Equation("x", 0.1 * x, method="sindy", metrics={"reliable": False, "unreliable_reason": "noise"})
>>> r = Report({"variables": ["x"]}, {"sindy": MethodResult("sindy", "ok", 0.2, {}, findings=[bad])})
>>> summarize(r)["equations"][0]["chosen"] is None
True
>>> print("\\n".join(summary_lines(summarize(r))))
Equations (one per variable):
  x: no reliable model (best candidate, not a finding: d(x)/dt = 0.1*x [sindy]; noise)
Methods: sindy ok 0.2 s
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ._format import equation_text, expr_text, fmt, leading_order, seconds_text, shorten

if TYPE_CHECKING:  # pragma: no cover
    from discover.findings import Equation, Graph

    from . import Report

__all__ = ["is_reliable", "graph_scope", "spectrum_unit", "summarize", "summary_lines"]


def is_reliable(finding: Any) -> bool:
    """False only when the finding's ``metrics["reliable"]`` is False."""
    return (getattr(finding, "metrics", None) or {}).get("reliable", True) is not False


def unreliable_reason(finding: Any) -> str:
    return str((getattr(finding, "metrics", None) or {}).get("unreliable_reason") or "no reason given")


def graph_scope(g: Graph) -> str:
    """``"lag-resolved"`` or ``"summary"``: the graph's ``metrics["resolution"]``
    when it says, else lag-resolved when any edge carries a lag."""
    said = str((g.metrics or {}).get("resolution") or "")
    if said in ("summary", "lag-resolved"):
        return said
    if said in ("lagged", "lag", "lags", "window"):
        return "lag-resolved"
    return "lag-resolved" if any(e["lag"] for e in g.edges(selected_only=False)) else "summary"


def _score(eq: Equation) -> float:
    m = eq.metrics or {}
    for key in ("validation_error", "heldout_error", "test_error", "loss"):
        v = m.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v):
            return float(v)
    return math.inf


#: Equation kinds that hold in one region of state space only (an AL-RNN's region maps): listed with
#: their method, never chosen as a variable's governing equation in the summary.
PIECEWISE_KINDS = ("affine-region",)


def _equations(report: Report) -> list[dict]:
    by_var: dict[str, list] = {}
    for e in report.equations:
        if getattr(e, "kind", "") in PIECEWISE_KINDS:  # one region's map is not the variable's law
            continue
        by_var.setdefault(e.variable, []).append(e)
    order = [str(v) for v in report.series.get("variables") or []]
    order += [v for v in by_var if v not in order]
    out = []
    for var in order:
        eqs = by_var.get(var, [])
        if not eqs:
            continue
        good = [e for e in eqs if is_reliable(e)]
        pool = good or eqs
        best = min(pool, key=_score)  # min keeps the first of equal scores: the methods' order
        out.append({"variable": var, "chosen": best if good else None, "candidate": None if good else best,
                    "reason": None if good else unreliable_reason(best),
                    "others": [e.method for e in good if e is not best]})
    return out


def _graphs(report: Report) -> dict:
    graphs = [g for g in report.graphs if g.kind != "transition"]
    usable = [g for g in graphs if is_reliable(g) and g.edges(selected_only=True)]
    described = [{"method": g.method, "kind": g.kind, "scope": graph_scope(g),
                  "edges": len(g.edges(selected_only=True)), "reliable": is_reliable(g),
                  "reason": None if is_reliable(g) else unreliable_reason(g)} for g in graphs]
    count: dict[tuple[str, str], list[str]] = {}
    for g in usable:
        for pair in sorted({(e["source"], e["target"]) for e in g.edges(selected_only=True)}):
            if g.method not in count.setdefault(pair, []):
                count[pair].append(g.method)
    n_methods = len({g.method for g in usable})
    agreed = [(s, t, m) for (s, t), m in count.items() if len(m) >= 2 or n_methods < 2]
    agreed.sort(key=lambda x: (-len(x[2]), x[0], x[1]))
    return {"graphs": described, "n_usable": n_methods, "agreed": agreed}


def spectrum_unit(spec: Any, series: dict) -> str:
    """The unit of a spectrum's periods: the data's time unit, else "time units"
    (a spectrum that names only the time column has no unit)."""
    unit = str(series.get("time_unit") or "")
    if unit:
        return unit
    own = str(getattr(spec, "time_unit", "") or "")
    return own if own and own != str(series.get("time") or "") else "time units"


def _span(series: dict) -> float:
    try:
        return float(series.get("n_samples")) * float(series.get("dt"))
    except (TypeError, ValueError):
        return math.inf


def _spectra(report: Report, unit: str) -> list[dict]:
    span = _span(report.series)  # growth times beyond 10 spans are no growth the data can show
    out = []
    for s in report.spectra:
        if not len(s.eigenvalues):
            continue
        u = spectrum_unit(s, report.series)
        periods, times = [], []
        spur = s.spurious if s.spurious is not None else np.zeros(len(s.eigenvalues), bool)
        for i in leading_order(s):
            if len(spur) > i and spur[i]:
                continue
            p, g = float(s.periods[i]), float(s.growth_times[i])
            if math.isfinite(p) and p > 0 and all(abs(p - q) > 1e-6 * p for q in periods) and len(periods) < 3:
                periods.append(p)
            if math.isfinite(g) and abs(g) <= 10 * span and all(abs(g - q) > 1e-6 * abs(g) for q in times) and len(times) < 3:
                times.append(g)
            if len(periods) >= 3 and len(times) >= 3:
                break
        out.append({"method": s.method, "unit": u, "periods": periods, "growth_times": times})
    return out


def summarize(report: Report) -> dict:
    """The report's answer as plain data (see the module docstring)."""
    unit = str(report.series.get("time_unit") or "") or "time units"
    return {
        "unit": unit,
        "equations": _equations(report),
        "graphs": _graphs(report),
        "invariants": [(i.method, i.expression) for i in report.invariants],
        "spectra": _spectra(report, unit),
        "methods": [(n, r.status, r.seconds) for n, r in report.methods.items()],
    }


def time_text(t: float, unit: str) -> str:
    """A growth time as words: 1/Re(ω) < 0 decays, > 0 grows."""
    return f"{'decays' if t < 0 else 'grows'} e-fold in {fmt(abs(t), 3)} {unit}"


def summary_lines(s: dict, width: int = 300) -> list[str]:
    """The summary as plain lines (terminal and the Markdown list)."""
    lines: list[str] = []
    if s["equations"]:
        lines.append("Equations (one per variable):")
        for e in s["equations"]:
            if e["chosen"] is not None:
                lines.append(f"  {e['variable']}: {shorten(equation_text(e['chosen']), width)} [{e['chosen'].method}]")
            else:
                c = e["candidate"]
                lines.append(f"  {e['variable']}: no reliable model (best candidate, not a finding: "
                             f"{shorten(equation_text(c), width)} [{c.method}]; {shorten(e['reason'], 200)})")
    g = s["graphs"]
    if g["graphs"]:
        names = "; ".join(f"{d['method']}: {d['scope']} {d['kind']} graph, {d['edges']} edges"
                          + ("" if d["reliable"] else f" — graph not reliable ({shorten(d['reason'], 120)})")
                          for d in g["graphs"])
        lines.append(f"Graphs: {names}")
        if g["agreed"]:
            what = "edges found by at least two methods" if g["n_usable"] >= 2 else "edges (one method only)"
            shown = ", ".join(f"{a}→{b} ({', '.join(m)})" for a, b, m in g["agreed"][:15])
            more = f", … {len(g['agreed']) - 15} more" if len(g["agreed"]) > 15 else ""
            lines.append(f"  {what}: {shown}{more}")
        elif g["n_usable"] >= 2:
            lines.append("  the graphs share no edge")
        elif g["n_usable"] == 0:
            lines.append("  no reliable graph with edges")
    if s["invariants"]:
        more = f"; … {len(s['invariants']) - 4} more" if len(s["invariants"]) > 4 else ""
        lines.append("Conserved: " + "; ".join(f"{shorten(expr_text(x), 120)} [{m}]" for m, x in s["invariants"][:4])
                     + more)
    for sp_ in s["spectra"]:
        lines.append(f"Dynamics [{sp_['method']}]: " + dynamics_text(sp_))
    if s["methods"]:
        lines.append("Methods: " + ", ".join(f"{n} {st} {seconds_text(sec)} s" for n, st, sec in s["methods"]))
    return lines


def dynamics_text(spectrum: dict) -> str:
    """One summarised spectrum (an entry of ``summarize(...)["spectra"]``) as plain text: periods, then growth/decay times."""
    bits = []
    if spectrum["periods"]:
        bits.append("periods " + ", ".join(fmt(p, 3) for p in spectrum["periods"]) + f" {spectrum['unit']}")
    if spectrum["growth_times"]:
        bits.append("; ".join(time_text(t, spectrum["unit"]) for t in spectrum["growth_times"]))
    return "; ".join(bits) if bits else "no oscillation or trend"
