"""Pictures of ``report.html`` that put the data beside the findings.

Each function returns an HTML fragment (figures of :mod:`discover.report.svg`
with their captions, or a line of text where a picture would mislead):

* :func:`simulation_figures`: each variable of the data against a model's
  free run on the data's own time axis, the held-out stretch shaded, and a
  phase portrait of the two variables that vary most. A run that is flat
  where the data vary gets a sentence instead of a flat line.
* :func:`invariant_drift`: a conserved quantity evaluated on the data over
  time, relative to its mean, one line per trajectory.
* :func:`code_figures`: a symbolic code's transition graph (drawn like every
  other graph, nodes in the order of the alphabet) and its region occupancy.

The data come from :attr:`discover.report.Report.data` (the fitted
:class:`~discover.data.Series`), are decimated to a few thousand points per
figure, and never go into ``report.json``.

Examples
--------
>>> import numpy as np
>>> from discover import from_arrays
>>> from discover.findings import Simulation
>>> from discover.report import MethodResult, Report
>>> t = np.linspace(0, 10, 201)
>>> data = from_arrays(np.c_[np.sin(t), np.cos(t)], t=t, names=["x", "y"])
>>> run = Simulation(t, np.c_[np.sin(t), np.cos(t)], ("x", "y"), method="sindy")
>>> report = Report(data.summary(), {"sindy": MethodResult("sindy", "ok", 0.1, {}, findings=[run])}, data=data)
>>> page = simulation_figures(report, run)
>>> page.count('class="figure plot overlay"'), 'class="figure plot phase"' in page
(2, True)
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from ..findings import Graph, Invariant, Simulation, SymbolicCode
from . import svg
from ._format import expr_text, fmt, shorten

if TYPE_CHECKING:  # pragma: no cover
    from . import Report

__all__ = ["simulation_figures", "best_run_figure", "invariant_drift", "code_figures", "time_label", "is_flat"]

#: most variables drawn per simulation (the rest are in its CSV)
MAX_VARIABLES = 12
#: a run whose range is below this share of the data's range is called flat
#: (on a plot as high as the data, it moves by less than a pixel or two)
FLAT_SHARE = 1e-2


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def time_label(series: dict, t0: float | None = None) -> str:
    """The time axis' label: its column and unit (``year``, ``t (days since 2001-03-01)``)."""
    name = str(series.get("time") or "t")
    unit = str(series.get("time_unit") or "")
    start = series.get("time_start")
    if unit and start and t0 is not None and abs(t0) < 1e3:  # dates counted from their first stamp
        return f"{name} ({unit} since {start})"
    if unit and unit.rstrip("s") != name.lower().rstrip("s"):
        return f"{name} ({unit})"
    return name


def is_flat(run: np.ndarray, reference: np.ndarray | None = None) -> bool:
    """True when ``run`` is constant (its finite range is below :data:`FLAT_SHARE`
    of ``reference``'s range, or of its own size when there is no reference)
    while the reference varies."""
    r = np.asarray(run, float)
    r = r[np.isfinite(r)]
    if r.size < 2:
        return False
    span = float(r.max() - r.min())
    if reference is not None:
        d = np.asarray(reference, float)
        d = d[np.isfinite(d)]
        ref = float(d.max() - d.min()) if d.size else 0.0
        return ref > 0 and span <= FLAT_SHARE * ref
    return span <= 1e-9 * max(float(np.abs(r).max()), 1e-300)


def _settles(t_run, run, t_data, data) -> tuple[float, float, float, float] | None:
    """A run that goes flat after a transient while the data go on varying:
    ``(value, from time, data min, data max)`` over the second half of the
    run, or None. The data are compared over the same stretch of time, so a
    damped run of damped data is not called flat."""
    if data is None or t_data is None or len(t_run) < 4:
        return None
    t_run, run = np.asarray(t_run, float), np.asarray(run, float)
    half = len(t_run) // 2
    tail = run[half:]
    if not np.all(np.isfinite(tail)):
        return None
    lo, hi = float(t_run[half]), float(t_run[-1])
    window = (np.asarray(t_data, float) >= lo) & (np.asarray(t_data, float) <= hi)
    d = np.asarray(data, float)[window]
    d = d[np.isfinite(d)]
    if d.size < 2 or not is_flat(tail, d):
        return None
    # from when: the first time after which the run stays within the flat band
    band = max(FLAT_SHARE * float(d.max() - d.min()), float(tail.max() - tail.min()))
    off = np.flatnonzero(np.abs(run - tail[-1]) > band)
    start = float(t_run[off[-1] + 1]) if off.size and off[-1] + 1 < len(t_run) else float(t_run[0])
    return float(tail[-1]), start, float(d.min()), float(d.max())


def _trajectory(report: Report, k: int):
    data = getattr(report, "data", None)
    if data is None or not 0 <= k < len(data.trajectories):
        return None
    return data.trajectories[k]


def _held_out(sim: Simulation, t_data) -> tuple[float, float] | None:
    """The held-out stretch a run is compared with, when its metrics say."""
    m = sim.metrics or {}
    if not m.get("held_out"):
        return None
    start = m.get("start_time", sim.t[0] if len(sim.t) else None)
    try:
        start = float(start)
    except (TypeError, ValueError):
        return None
    stop = float(np.nanmax(t_data)) if t_data is not None and len(t_data) else float(np.nanmax(sim.t))
    return (start, max(stop, float(np.nanmax(sim.t)) if len(sim.t) else stop))


def simulation_figures(report: Report, sim: Simulation, *, max_variables: int = MAX_VARIABLES,
                       phase: bool = True, notes: bool = True, width: int | None = None) -> str:
    """Data against ``sim`` per variable (the first ``max_variables``), and a
    phase portrait (see the module docstring); ``notes=False`` leaves out the
    sentences (flat runs, caption), ``width`` sets each plot's width."""
    tr = _trajectory(report, sim.trajectory)
    names = list(report.series.get("variables") or [])
    col = {str(v): j for j, v in enumerate(names)}
    t_data = None if tr is None else np.asarray(tr.t, float)
    xlabel = time_label(report.series, float(t_data[0]) if t_data is not None and len(t_data) else None)
    if not any(str(v) in col for v in sim.variables) and t_data is not None and len(sim.t) and len(t_data) and (
            float(np.nanmin(sim.t)) > float(np.nanmax(t_data)) or float(np.nanmax(sim.t)) < float(np.nanmin(t_data))):
        xlabel = "t (the run's own clock)"  # a run of latent coordinates, timed from its own start
    held = _held_out(sim, t_data)
    method = sim.method or "model"
    out, flat, plots = [], [], []
    for j, name in enumerate(sim.variables[:max_variables]):
        y_data = None
        if tr is not None and name in col:
            y_data = np.asarray(tr.x[:, col[name]], float)
        y_run = np.asarray(sim.values[:, j], float)
        if is_flat(y_run, y_data):
            value = y_run[np.isfinite(y_run)]
            flat.append(f"{name} constant at {fmt(float(value[0]) if value.size else float('nan'), 3)}"
                        + (f" while the data range from {fmt(float(np.nanmin(y_data)), 3)} to "
                           f"{fmt(float(np.nanmax(y_data)), 3)}" if y_data is not None else ""))
            continue
        settled = _settles(sim.t, y_run, t_data, y_data)
        if settled is not None:
            flat.append(f"{name} settles at {fmt(settled[0], 3)} from t = {fmt(settled[1], 4)} on, while the data "
                        f"there range from {fmt(settled[2], 3)} to {fmt(settled[3], 3)}")
            continue
        what = "data and " if y_data is not None else ""
        title = (f"{what}{method}'s free run of {name} against {xlabel}"
                 + (f"; held out from {fmt(held[0])}" if held else ""))
        plots.append((name, svg.overlay_svg(t_data if y_data is not None else None, y_data, sim.t, y_run,
                                            title=title, xlabel=xlabel, ylabel=name, model_label=method,
                                            held_out=held, failed_at=sim.failed_at,
                                            width=width or (720 if len(sim.variables) == 1 else 420))))
    if flat and notes:
        one = len(flat) == 1
        out.append(f'<p class="flat">{_e(method)}\'s free run is flat for {len(flat)} variable{"" if one else "s"} '
                   f"({_e('; '.join(flat))}), so {'it is' if one else 'they are'} not drawn: the model does not "
                   "reproduce the dynamics there.</p>")
    if plots:
        cap = "data (grey) and the model's free run (blue) on the data's time axis"
        if held:
            cap += "; shaded: the held-out stretch the run is compared with"
        elif tr is not None:
            cap += "; nothing held out: the run covers data the model was fitted on"
        out.append('<div class="figures">' + "".join(f"<figure>{p}</figure>" for _, p in plots) + "</div>"
                   + (f'<p class="meta">{_e(cap)}.</p>' if notes else ""))
    if len(sim.variables) > max_variables and notes:
        out.append(f'<p class="meta">{len(sim.variables) - max_variables} more variables are in the CSV file.</p>')
    drawn = [name for name, _ in plots]
    pic = _phase(report, sim, tr, col, drawn) if phase else ""
    if pic:
        out.append(pic)
    return "".join(out)


def best_run_figure(report: Report, max_variables: int = 3) -> str:
    """For the summary: the data against the free run of the generative model
    ranked first by the checks (lowest error, no failed run), its first
    ``max_variables`` variables that move; "" without data or ranking."""
    if getattr(report, "data", None) is None:
        return ""
    ranking = next((c for c in report.checks if c.get("kind") == "generative_ranking"), None)
    rows = [r for r in (ranking or {}).get("rows", [])
            if r.get("runs") and not r.get("failed_runs") and math.isfinite(float(r.get("error", math.inf)))]
    if not rows:
        return ""
    best = rows[0]
    sim = next((s for s in report.simulations if s.method == best["method"]), None)
    if sim is None:
        return ""
    pics = simulation_figures(report, sim, max_variables=max_variables, phase=False, notes=False,
                              width=720 if len(sim.variables) == 1 else 360)
    if "<svg" not in pics:
        return ""
    held = " on its held-out stretch (shaded)" if _held_out(sim, None) else ""
    more = len(rows) - 1
    return (f'<div class="best-run">{pics}<p class="meta">Data (grey) and the free run of {_e(best["method"])} '
            f"(blue), the generative model ranked first{_e(held)}: RMS error {_e(fmt(float(best['error']), 3))} of "
            f"the data's spread" + (f"; {more} other{'s' if more > 1 else ''} in Checks across methods" if more else "")
            + ".</p></div>")


def _phase(report: Report, sim: Simulation, tr, col: dict, drawn: list[str]) -> str:
    """The phase portrait in the plane of the two drawn variables that vary most in the data (or the run)."""
    if len(drawn) < 2:
        return ""
    sj = {str(v): j for j, v in enumerate(sim.variables)}
    def spread(v) -> float:
        v = np.asarray(v, float)
        v = v[np.isfinite(v)]
        return float(v.std()) if v.size else 0.0

    if tr is not None and all(n in col for n in drawn):
        spreads = [spread(tr.x[:, col[n]]) for n in drawn]
    else:
        spreads = [spread(sim.values[:, sj[n]]) for n in drawn]
    a, b = (drawn[i] for i in sorted(np.argsort(spreads, kind="stable")[::-1][:2]))
    data_xy = [] if tr is None or a not in col or b not in col else [np.c_[tr.x[:, col[a]], tr.x[:, col[b]]]]
    run = np.c_[sim.values[:, sj[a]], sim.values[:, sj[b]]]
    method = sim.method or "model"
    title = f"phase portrait of {a} and {b}: " + ("data and " if data_xy else "") + f"{method}'s free run"
    pic = svg.phase_svg(data_xy, [run], xlabel=a, ylabel=b, title=title, model_label=method)
    which = "the first two variables" if len(drawn) == 2 else "the two variables that vary most"
    return (f'<div class="figures"><figure>{pic}<figcaption>phase portrait: {_e(a)} against {_e(b)} '
            f"({_e(which)})</figcaption></figure></div>")


def invariant_drift(report: Report, inv: Invariant) -> str:
    """The invariant evaluated on the data, (I − mean) / |mean| per trajectory, against time."""
    data = getattr(report, "data", None)
    if data is None:
        return ""
    syms = sorted(inv.expression.free_symbols, key=lambda s: s.name)
    names = {str(v): j for j, v in enumerate(data.variables)}
    inputs = {str(v): j for j, v in enumerate(data.inputs)}
    missing = [s.name for s in syms if s.name not in names and s.name not in inputs]
    if missing or not syms:
        return ""
    try:
        import sympy as sp

        f = sp.lambdify(syms, inv.expression, modules="numpy")
    except Exception:  # noqa: BLE001 - a printer failure must not cost the report
        return ""
    ts, vals, rel_to = [], [], "|mean|"
    per = max(1200 // len(data.trajectories), 50)  # points per trajectory, each decimated on its own
    for tr in data.trajectories:
        cols = [tr.x[:, names[s.name]] if s.name in names else tr.u[:, inputs[s.name]] for s in syms]
        with np.errstate(all="ignore"):
            v = np.broadcast_to(np.asarray(f(*cols), float), (len(tr.t),)).astype(float)
        ok = np.isfinite(v)
        if ok.sum() < 2:
            continue
        mean = float(np.mean(v[ok]))
        scale = abs(mean)
        if scale <= 1e-9 * float(np.max(np.abs(v[ok]))):  # a quantity conserved at zero: relative to its spread
            scale, rel_to = float(np.std(v[ok])) or 1.0, "std"
        tk, vk = svg._decimate(np.asarray(tr.t, float), (v - mean) / scale, per)
        ts.append(np.r_[tk, np.nan])  # a gap between trajectories: no line from one end to the next start
        vals.append(np.r_[vk, np.nan])
    if not ts:
        return ""
    t = np.concatenate(ts)
    y = np.concatenate(vals)
    text = shorten(expr_text(inv.expression), 60)
    xlabel = time_label(report.series, float(data.trajectories[0].t[0]))
    big = float(np.nanmax(np.abs(y))) if np.isfinite(y).any() else float("nan")
    n = len(ts)
    title = (f"drift of {text} along the data: (I − mean) / {rel_to} against {xlabel}, "
             f"{n} trajector{'y' if n == 1 else 'ies'}, largest {fmt(big, 3)}")
    pic = svg.line_plot_svg(t, y, title=title, xlabel=xlabel, ylabel=f"relative drift ({rel_to})", width=520,
                            max_points=len(t) + 2)
    return (f'<div class="figures"><figure>{pic}<figcaption>{_e(text)} on the data, relative to its mean'
            f"{' per trajectory' if n > 1 else ''}: largest relative drift {_e(fmt(big, 3))}</figcaption></figure></div>")


def transition_graph(code: SymbolicCode, method_graph: Graph | None = None) -> Graph:
    """The code's transition graph: the method's own (``kind="transition"``)
    when it has one, else counted from the sequence (weight = share of the
    steps from a region that go to the other; staying put is not an edge)."""
    if method_graph is not None:
        return method_graph
    g = nx.DiGraph()
    g.add_nodes_from(code.alphabet)
    seq = list(code.sequence)
    counts: dict[tuple, int] = {}
    leaving: dict[str, int] = {}
    for a, b in zip(seq[:-1], seq[1:]):
        leaving[a] = leaving.get(a, 0) + 1
        if a != b:
            counts[(a, b)] = counts.get((a, b), 0) + 1
    for (a, b), k in counts.items():
        g.add_edge(a, b, weight=k / leaving[a], score=1.0, lag=0, count=k)
    return Graph(g, kind="transition", method=code.method)


def code_figures(report: Report, code: SymbolicCode, uid: str = "tg") -> str:
    """The transition graph and a bar chart of region occupancy for one code."""
    own = next((g for g in report.graphs if g.kind == "transition" and g.method == code.method), None)
    g = transition_graph(code, own)
    out = []
    order = [str(a) for a in code.alphabet]
    if g.graph.number_of_nodes() > 1 and g.graph.number_of_edges():
        pic = svg.graph_svg(g, uid, order=order)
        out.append(f"<figure>{pic}<figcaption>transitions between regions (width: share of the steps leaving a "
                   "region)</figcaption></figure>")
    n = len(code.sequence)
    if n and len(order) > 1:
        counts = {a: 0 for a in order}
        for s in code.sequence:
            counts[str(s)] = counts.get(str(s), 0) + 1
        labels = list(counts)
        share = [counts[a] / n for a in labels]
        colours = [svg.PALETTE[i % len(svg.PALETTE)] for i in range(len(labels))]
        title = "region occupancy: " + ", ".join(f"{a} {fmt(s, 3)}" for a, s in zip(labels[:12], share[:12])) + \
            (" …" if len(labels) > 12 else "")
        pic = svg.bar_svg(labels, share, title=title, ylabel="share of samples", colours=colours)
        out.append(f"<figure>{pic}<figcaption>region occupancy over {n} samples</figcaption></figure>")
    elif len(order) == 1:
        out.append(f'<p class="meta">One region ({_e(order[0])}) holds every sample: no transitions, '
                   "nothing to draw.</p>")
    return ('<div class="figures">' + "".join(out) + "</div>") if out else ""
