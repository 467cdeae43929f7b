"""Checks across methods: where the answers of different methods meet.

The pipeline runs these after every method has finished, on the findings
alone (no method internals), and the report shows them:

- ``lie_derivative``: each conserved quantity found by one method is checked
  symbolically against the right-hand sides found by another (SINDy, or any
  method that gives ODEs for every variable of the law): is ``∇f·F = 0``?
- ``graph_agreement``: an interaction graph (which variable enters which
  equation) beside a causal graph (who drives whom): the edges both find,
  and those only one finds.

Examples
--------
>>> import networkx as nx, sympy as sp
>>> from discover.findings import Equation, Graph, Invariant
>>> x, v = sp.symbols("x v")
>>> found = [Equation("x", v, method="sindy"), Equation("v", -4 * x, method="sindy"),
...          Invariant(4 * x**2 + v**2, residual=1e-6, method="conservation")]
>>> [(c["kind"], c["consistent"]) for c in cross_checks(found)]
[('lie_derivative', True)]
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .findings import Equation, Graph, Invariant, expr_to_str

__all__ = ["cross_checks", "lie_derivative_checks", "graph_agreement"]


def lie_derivative_checks(findings: list, series=None) -> list[dict]:
    """``∇f·F`` for every (invariant, ODE system from another method) pair that covers the law's variables.

    With ``series``, the size of ``∇f·F`` is measured at (up to 2000 of) its
    samples, which is what fitted coefficients that never cancel exactly need.
    """
    systems: dict[str, dict] = defaultdict(dict)
    for f in findings:
        if isinstance(f, Equation) and f.kind == "ode":
            systems[f.method][f.variable] = f
    invariants = [f for f in findings if isinstance(f, Invariant)]
    if not invariants or not systems:
        return []
    from .conservation import check_against_equations  # sympy-only; imported when there is work

    out = []
    for inv in invariants:
        names = {s.name for s in inv.expression.free_symbols}
        for method, eqs in systems.items():
            if method == inv.method or not names <= set(eqs):
                continue
            kw = {}
            if series is not None and set(eqs) <= set(series.variables):
                step = max(1, series.n_samples // 2000)
                kw = {"points": series.x[::step], "variables": list(series.variables)}
            (res,) = check_against_equations([inv], list(eqs.values()), **kw)
            out.append({
                "kind": "lie_derivative",
                "invariant": expr_to_str(inv.expression),
                "invariant_method": inv.method,
                "equations_method": method,
                "lie_derivative": expr_to_str(res["lie_derivative"]),
                "relative": float(res["relative"]),
                "consistent": res["consistent"],
            })
    return out


def _summary_edges(graphs: list[Graph]) -> set[tuple[str, str]]:
    """Selected edges ``(source, target)`` at any lag, self-loops left out."""
    summary = [g for g in graphs if g.metrics.get("resolution") == "summary"] or graphs
    return {(e["source"], e["target"]) for g in summary for e in g.edges() if e["source"] != e["target"]}


def graph_agreement(first: list[Graph], second: list[Graph]) -> dict:
    """Compare the summary edges of two methods' graphs (self-loops left out)."""
    a, b = _summary_edges(first), _summary_edges(second)
    union = a | b
    return {
        "kind": "graph_agreement",
        "methods": [first[0].method, second[0].method],
        "graph_kinds": [first[0].kind, second[0].kind],
        "both": sorted(map(list, a & b)),
        "only_first": sorted(map(list, a - b)),
        "only_second": sorted(map(list, b - a)),
        "jaccard": (len(a & b) / len(union)) if union else 1.0,
    }


def generative_ranking(findings: list, series) -> dict | None:
    """Rank the methods whose free runs (:class:`~discover.findings.Simulation`)
    cover the data: relative RMS error of the run against its own trajectory,
    on standardised variables, over the stretch of data the run covers (the
    held-out part when a method starts its run there), and, when :mod:`discover.measures` is there, the
    state-space divergence D_stsp and the spectral Hellinger distance D_H.
    Methods are ordered by error (a run that stopped early counts as failed)."""
    sims = [f for f in findings if f.type == "simulation"]
    if series is None or not sims:
        return None
    names = [str(v) for v in series.variables]
    x_all = np.asarray(series.x, float)
    mu, sd = np.nanmean(x_all, axis=0), np.nanstd(x_all, axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    try:
        from .measures import hellinger_spectrum_distance, state_space_divergence
    except ImportError:  # pragma: no cover - measures ship with discover
        hellinger_spectrum_distance = state_space_divergence = None
    per: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for sim in sims:
        cols = [list(map(str, sim.variables)).index(v) if v in map(str, sim.variables) else -1 for v in names]
        if sim.failed_at is not None or min(cols) < 0 or sim.trajectory >= len(series.trajectories):
            per[sim.method]["failed"].append(1)
            continue
        tr = series.trajectories[sim.trajectory]
        t_data, t_sim = np.asarray(tr.t, float), np.asarray(sim.t, float)
        i0 = int(np.searchsorted(t_data, t_sim[0] - 1e-9 * max(1.0, abs(t_sim[0])))) if len(t_sim) else 0
        n = min(len(t_data) - i0, len(t_sim))  # the run starts where it was started on the data (held-out part)
        if n < 2:
            continue
        data = (np.asarray(tr.x, float)[i0:i0 + n] - mu) / sd
        run = (np.asarray(sim.values, float)[:n][:, cols] - mu) / sd
        if not np.all(np.isfinite(run)):
            per[sim.method]["failed"].append(1)
            continue
        per[sim.method]["error"].append(float(np.sqrt(np.mean((run - data) ** 2))))
        if state_space_divergence is not None and n >= 50:
            try:
                per[sim.method]["d_stsp"].append(float(state_space_divergence(data, run)))
                per[sim.method]["d_h"].append(float(hellinger_spectrum_distance(data, run, segment=min(4096, n))))
            except Exception:  # noqa: BLE001 - a measure that cannot be computed is left out
                pass
    rows = []
    for method, m in per.items():
        rows.append({"method": method,
                     "error": float(np.mean(m["error"])) if m["error"] else float("inf"),
                     "d_stsp": float(np.mean(m["d_stsp"])) if m["d_stsp"] else None,
                     "d_h": float(np.mean(m["d_h"])) if m["d_h"] else None,
                     "failed_runs": len(m["failed"]), "runs": len(m["error"])})
    if not rows:
        return None
    rows.sort(key=lambda r: (r["error"], r["method"]))
    return {"kind": "generative_ranking", "rows": rows}


def cross_checks(findings: list, series=None) -> list[dict]:
    """All checks across methods for a list of findings (see the module docstring).

    Graphs are compared between an interaction graph and a causal graph of
    different methods; each check is a JSON-ready dict with a ``kind``.
    ``series`` (optional) gives sample points for the Lie-derivative checks.
    """
    checks = lie_derivative_checks(findings, series)
    by_method: dict[tuple[str, str], list[Graph]] = defaultdict(list)
    for f in findings:
        if isinstance(f, Graph) and f.kind in ("interaction", "causal"):
            by_method[(f.method, f.kind)].append(f)
    keys = sorted(by_method)
    for i, (m1, k1) in enumerate(keys):
        for m2, k2 in keys[i + 1:]:
            if m1 != m2 and {k1, k2} == {"interaction", "causal"}:
                first, second = ((m1, k1), (m2, k2)) if k1 == "interaction" else ((m2, k2), (m1, k1))
                agreement = graph_agreement(by_method[first], by_method[second])
                if agreement["both"] or agreement["only_first"] or agreement["only_second"]:
                    checks.append(agreement)  # no agreement over two empty edge sets
    ranking = generative_ranking(findings, series)
    if ranking is not None:
        checks.append(ranking)
    return checks
