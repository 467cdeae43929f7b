"""Inline SVG figures for ``report.html``: graphs, spectra, line plots, code strips.

Plain strings, no plotting library and no external reference: each function
returns one ``<svg>`` element (HTML5 inline SVG needs no ``xmlns``) with every
user string escaped. ``uid`` keeps the ids of markers unique in a page that
holds several figures.

Examples
--------
>>> import networkx as nx
>>> from discover.findings import Graph
>>> g = nx.DiGraph()
>>> g.add_edge("x", "y", weight=0.5, lag=1, score=0.9)
>>> svg = graph_svg(Graph(g, kind="causal"), uid="g0")
>>> svg.startswith("<svg") and "lag 1" in svg
True
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from ..findings import Graph, Spectrum
from ._format import fmt, lag_text, leading_order, shorten

__all__ = ["graph_svg", "eigenvalue_svg", "modes_svg", "line_plot_svg", "code_strip_svg", "pareto_svg",
           "overlay_svg", "phase_svg", "bar_svg"]

POSITIVE = "#1f6fd1"
DATA = "#4b5563"
HELD_OUT = "#fde68a"
NEGATIVE = "#d1372f"
NEUTRAL = "#6b7280"
SPURIOUS = "#e08a00"
PALETTE = ["#1f6fd1", "#d1372f", "#2e9e44", "#8e44ad", "#e08a00", "#00897b", "#c2185b", "#5d6d7e",
           "#795548", "#3949ab"]
FONT = 'font-family="system-ui, sans-serif"'

#: most points drawn per figure (leading ones first); the rest is summarised
MAX_POINTS = 4000
#: most edges drawn per graph (highest score first)
MAX_EDGES = 1500


def _e(text) -> str:
    return escape(str(text), quote=True)


def _n(v: float) -> str:
    """A coordinate: short and always finite."""
    v = float(v)
    if not math.isfinite(v):
        v = 0.0
    return f"{v:.1f}".rstrip("0").rstrip(".") if abs(v) < 1e7 else "0"


def _open(w: float, h: float, label: str, cls: str = "figure") -> str:
    return (f'<svg class="{cls}" viewBox="0 0 {_n(w)} {_n(h)}" width="{_n(w)}" height="{_n(h)}" '
            f'role="img" aria-label="{_e(label)}" {FONT} font-size="12"><title>{_e(label)}</title>')


def _finite(v, default: float = 0.0) -> float:
    v = float(v)
    return v if math.isfinite(v) else default


# ---------------------------------------------------------------------------
# graphs


def graph_svg(graph: Graph, uid: str, *, show_candidates: bool = True, order: list[str] | None = None) -> str:
    """A directed graph on a circle: arrows coloured by the sign of ``weight``
    (blue positive, red negative), width by ``|weight|``, opacity by ``score``,
    the lag in the label (``lag k``) when the graph has lagged edges, several
    edges between one pair (several lags, both directions) drawn as separate
    curves, self-loops as loops outside the node, candidate edges (not
    selected) dashed and grey. Hover an edge for its numbers. ``order`` (the
    data's variables) puts each node at the same place in every drawing."""
    nodes = [str(n) for n in graph.graph.nodes]
    if order:
        known = set(nodes)
        nodes = [str(v) for v in order if str(v) in known] + [v for v in nodes if v not in set(map(str, order))]
    n = len(nodes)
    edges = graph.edges(selected_only=not show_candidates)
    edges.sort(key=lambda e: (e["selected"], _finite(e["score"], 0.5)), reverse=True)
    dropped = max(len(edges) - MAX_EDGES, 0)
    edges = edges[:MAX_EDGES]
    r_node = 16 if n <= 12 else 12 if n <= 30 else 9
    radius = max(90.0, n * (2 * r_node + 14) / (2 * math.pi))
    label_room = min(max((len(s) for s in nodes), default=1), 14) * 7 + 14
    margin = r_node + max(label_room, 3.2 * r_node + 20) + 10  # room for labels and self-loops
    size = 2 * (radius + margin)
    cx = cy = size / 2
    pos = {}
    for i, name in enumerate(nodes):
        a = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        pos[name] = (cx + radius * math.cos(a), cy + radius * math.sin(a), a) if n > 1 else (cx, cy, -math.pi / 2)
    wmax = max((abs(_finite(e["weight"])) for e in edges), default=1.0) or 1.0
    lagged = any(e["lag"] for e in edges) and graph.kind != "transition"  # one step between regions: no label

    title = f"{graph.kind} graph of {graph.method or 'a method'}: {n} nodes, {len(edges)} edges"
    out = [_open(size, size + (18 if dropped else 0), title, "figure graph")]
    out.append("<defs>")
    for key, colour in (("p", POSITIVE), ("n", NEGATIVE), ("z", NEUTRAL)):
        out.append(f'<marker id="{_e(uid)}-{key}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
                   f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
                   f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')
    out.append("</defs>")

    # edges between the same pair of nodes get separate curves
    pair_count: dict[tuple, int] = {}
    for e in edges:
        key = tuple(sorted((e["source"], e["target"])))
        pair_count[key] = pair_count.get(key, 0) + 1
    pair_seen: dict[tuple, int] = {}
    loops_seen: dict[str, int] = {}
    labels = []
    for e in edges:
        if e["source"] not in pos or e["target"] not in pos:
            continue
        w = _finite(e["weight"])
        colour, mk = (POSITIVE, "p") if w > 0 else (NEGATIVE, "n") if w < 0 else (NEUTRAL, "z")
        if not e["selected"]:
            colour, mk = NEUTRAL, "z"
        width = 1.0 + 4.0 * abs(w) / wmax
        score = _finite(e["score"], 0.6)
        opacity = 0.25 + 0.75 * min(max(score, 0.0), 1.0)
        dash = ' stroke-dasharray="5 4"' if not e["selected"] else ""
        tip = (f"{e['source']} → {e['target']}, lag {lag_text(e['lag'], graph.metrics)}, weight {fmt(e['weight'])}, score {fmt(e['score'])}"
               + ("" if e["selected"] else " (candidate, not selected)"))
        x1, y1, a1 = pos[e["source"]]
        x2, y2, _ = pos[e["target"]]
        if e["source"] == e["target"]:
            k = loops_seen.get(e["source"], 0)
            loops_seen[e["source"]] = k + 1
            # beside the node's label (which sits on the outward radius), not on it
            d, (lx, ly) = _loop_path(x1, y1, a1 + 1.0, r_node, 1.0 + 0.45 * k)
        else:
            key = tuple(sorted((e["source"], e["target"])))
            m = pair_count[key]
            j = pair_seen.get(key, 0)
            pair_seen[key] = j + 1
            # offsets measured on the pair's canonical direction, so opposite edges part ways
            sign = 1 if (e["source"], e["target"]) == key else -1
            offset = (j - (m - 1) / 2) * 22 if m > 1 else 0.0
            d, (lx, ly) = _curve_path(x1, y1, x2, y2, offset * sign, r_node)
        out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width:.2f}" '
                   f'stroke-opacity="{opacity:.2f}"{dash} marker-end="url(#{_e(uid)}-{mk})">'
                   f"<title>{_e(tip)}</title></path>")
        if lagged and e["selected"]:  # candidates stay unlabelled (hover shows their lag)
            labels.append(f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="middle" dominant-baseline="middle" '
                          f'font-size="10" fill="{colour}" class="edge-label" paint-order="stroke" stroke="white" '
                          f'stroke-width="3">lag {int(e["lag"])}</text>')
    out.extend(labels)
    for name in nodes:
        x, y, a = pos[name]
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{r_node}" fill="#f3f4f6" stroke="#374151" '
                   f'stroke-width="1.2"><title>{_e(name)}</title></circle>')
        short = name if len(name) <= 14 else name[:13] + "…"
        if n == 1:
            tx, ty, anchor = x, y + r_node + 14, "middle"
        else:
            tx = x + (r_node + 6) * math.cos(a)
            ty = y + (r_node + 6) * math.sin(a)
            c = math.cos(a)
            anchor = "start" if c > 0.3 else "end" if c < -0.3 else "middle"
            ty += 4 + (8 if math.sin(a) > 0.7 else -4 if math.sin(a) < -0.7 else 0)
        out.append(f'<text x="{_n(tx)}" y="{_n(ty)}" text-anchor="{anchor}" class="node-label">{_e(short)}</text>')
    if dropped:
        out.append(f'<text x="8" y="{_n(size + 12)}" font-size="11" fill="{NEUTRAL}">{dropped} weaker edges not '
                   f"drawn</text>")
    out.append("</svg>")
    return "".join(out)


def _curve_path(x1, y1, x2, y2, offset, r_node):
    """A quadratic curve from node to node, bent ``offset`` pixels to the side,
    starting and ending on the circles of the nodes; also returns the midpoint."""
    dx, dy = x2 - x1, y2 - y1
    dist = math.hypot(dx, dy) or 1.0
    nx_, ny_ = -dy / dist, dx / dist
    mx, my = (x1 + x2) / 2 + 2 * offset * nx_, (y1 + y2) / 2 + 2 * offset * ny_
    sx, sy = _toward(x1, y1, mx, my, r_node + 1)
    ex, ey = _toward(x2, y2, mx, my, r_node + 2)
    label = (0.25 * sx + 0.5 * mx + 0.25 * ex, 0.25 * sy + 0.5 * my + 0.25 * ey)
    return f"M{_n(sx)},{_n(sy)} Q{_n(mx)},{_n(my)} {_n(ex)},{_n(ey)}", label


def _toward(x, y, tx, ty, dist):
    dx, dy = tx - x, ty - y
    d = math.hypot(dx, dy) or 1.0
    return x + dx / d * dist, y + dy / d * dist


def _loop_path(x, y, angle, r_node, scale):
    """A self-loop: a cubic curve leaving and entering the node on its outer side."""
    ux, uy = math.cos(angle), math.sin(angle)
    px, py = -uy, ux
    spread, reach = 0.55, r_node * (2.6 * scale)
    sx, sy = x + r_node * (ux * math.cos(spread) + px * math.sin(spread)), y + r_node * (
        uy * math.cos(spread) + py * math.sin(spread))
    ex, ey = x + (r_node + 2) * (ux * math.cos(spread) - px * math.sin(spread)), y + (r_node + 2) * (
        uy * math.cos(spread) - py * math.sin(spread))
    c1 = (x + reach * ux + reach * 0.7 * px, y + reach * uy + reach * 0.7 * py)
    c2 = (x + reach * ux - reach * 0.7 * px, y + reach * uy - reach * 0.7 * py)
    label = (x + (r_node + reach * 0.8) * ux, y + (r_node + reach * 0.8) * uy)
    d = (f"M{_n(sx)},{_n(sy)} C{_n(c1[0])},{_n(c1[1])} {_n(c2[0])},{_n(c2[1])} {_n(ex)},{_n(ey)}")
    return d, label


# ---------------------------------------------------------------------------
# axes


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.ceil(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-9 and len(ticks) < 50:
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        v += step
    return ticks


def _tick_text(v: float, ticks: list[float]) -> str:
    """A tick label with as many decimals as the tick step needs: 1950, 1960
    on a time axis in years (not 1.95e+03), 0.25, 0.5 on a fine one."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 0.0
    big = max((abs(t) for t in ticks), default=0.0)
    if step > 0 and 1e-4 <= step and big < 1e7:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        if step * 10 ** decimals % 1 > 1e-6:  # 2.5, 0.25: one more
            decimals += 1
        return f"{v:.{decimals}f}"
    return fmt(v, 3)


class _Axes:
    """Linear map from data to pixels in a box, with tick marks and labels."""

    def __init__(self, x0, x1, y0, y1, box, *, equal: bool = False):
        self.left, self.top, self.w, self.h = box
        if not x1 > x0:
            x0, x1 = x0 - 1, x1 + 1
        if not y1 > y0:
            y0, y1 = y0 - 1, y1 + 1
        if equal:  # same scale on both axes (the unit circle stays a circle)
            sx, sy = (x1 - x0) / self.w, (y1 - y0) / self.h
            s = max(sx, sy)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            x0, x1 = cx - s * self.w / 2, cx + s * self.w / 2
            y0, y1 = cy - s * self.h / 2, cy + s * self.h / 2
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1

    def px(self, x):
        return self.left + (x - self.x0) / (self.x1 - self.x0) * self.w

    def py(self, y):
        return self.top + (self.y1 - y) / (self.y1 - self.y0) * self.h

    def frame(self, xlabel: str, ylabel: str, *, zero_lines: bool = False, x_ticks: bool = True) -> str:
        out = [f'<rect x="{_n(self.left)}" y="{_n(self.top)}" width="{_n(self.w)}" height="{_n(self.h)}" '
               f'fill="none" stroke="#9ca3af" stroke-width="1"/>']
        xt = _nice_ticks(self.x0, self.x1) if x_ticks else []
        for t in xt:
            x = self.px(t)
            out.append(f'<line x1="{_n(x)}" y1="{_n(self.top + self.h)}" x2="{_n(x)}" y2="{_n(self.top + self.h + 4)}" '
                       f'stroke="#9ca3af"/><text x="{_n(x)}" y="{_n(self.top + self.h + 15)}" text-anchor="middle" '
                       f'font-size="10" fill="#4b5563">{_e(_tick_text(t, xt))}</text>')
        yt = _nice_ticks(self.y0, self.y1)
        for t in yt:
            y = self.py(t)
            out.append(f'<line x1="{_n(self.left - 4)}" y1="{_n(y)}" x2="{_n(self.left)}" y2="{_n(y)}" stroke="#9ca3af"/>'
                       f'<text x="{_n(self.left - 6)}" y="{_n(y + 3)}" text-anchor="end" font-size="10" '
                       f'fill="#4b5563">{_e(_tick_text(t, yt))}</text>')
        if zero_lines:
            if self.x0 < 0 < self.x1:
                out.append(f'<line x1="{_n(self.px(0))}" y1="{_n(self.top)}" x2="{_n(self.px(0))}" '
                           f'y2="{_n(self.top + self.h)}" stroke="#d1d5db"/>')
            if self.y0 < 0 < self.y1:
                out.append(f'<line x1="{_n(self.left)}" y1="{_n(self.py(0))}" x2="{_n(self.left + self.w)}" '
                           f'y2="{_n(self.py(0))}" stroke="#d1d5db"/>')
        out.append(f'<text x="{_n(self.left + self.w / 2)}" y="{_n(self.top + self.h + 30)}" text-anchor="middle" '
                   f'fill="#374151">{_e(xlabel)}</text>')
        out.append(f'<text x="{_n(self.left - 40)}" y="{_n(self.top + self.h / 2)}" text-anchor="middle" '
                   f'fill="#374151" transform="rotate(-90 {_n(self.left - 40)} {_n(self.top + self.h / 2)})">'
                   f"{_e(ylabel)}</text>")
        return "".join(out)


# ---------------------------------------------------------------------------
# spectra


def eigenvalue_svg(spec: Spectrum, uid: str, *, continuous: bool = False) -> str:
    """Eigenvalues in the complex plane: discrete-time ``λ`` with the unit circle,
    or continuous-time ``ω = log(λ)/dt`` with the imaginary axis. Trustworthy
    eigenvalues are filled dots (size by amplitude when known), spurious ones
    orange crosses. At most ``MAX_POINTS`` leading ones are drawn."""
    lam = np.asarray(spec.eigenvalues)
    order = leading_order(spec)
    shown = order[:MAX_POINTS]
    z = (spec.continuous_eigenvalues if continuous else lam)[shown]
    spur = (np.zeros(len(lam), bool) if spec.spurious is None or len(spec.spurious) != len(lam)
            else np.asarray(spec.spurious))[shown]
    finite = np.isfinite(z.real) & np.isfinite(z.imag)
    w, h = 300, 300
    box = (56, 14, 228, 228)
    if continuous:
        re, im = z.real[finite], z.imag[finite]
        x0, x1 = (float(re.min()), float(re.max())) if re.size else (-1.0, 1.0)
        y0, y1 = (float(im.min()), float(im.max())) if im.size else (-1.0, 1.0)
        x0, x1 = min(x0, 0.0), max(x1, 0.0)
        pad_x, pad_y = 0.08 * (x1 - x0 or 1), 0.08 * (y1 - y0 or 1)
        ax = _Axes(x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y, box)
        title = f"continuous-time eigenvalues ω of {spec.method or 'a method'}"
        xl, yl = "growth rate  Re ω", "Im ω  (2π × frequency)"
    else:
        m = float(np.max(np.abs(z[finite]))) if finite.any() else 1.0
        lim = max(1.1, 1.05 * m)
        ax = _Axes(-lim, lim, -lim, lim, box, equal=True)
        title = f"discrete-time eigenvalues λ of {spec.method or 'a method'}"
        xl, yl = "Re λ", "Im λ"
    out = [_open(w, h, title, "figure spectrum"), ax.frame(xl, yl, zero_lines=True)]
    if not continuous:
        r = (ax.px(1) - ax.px(0))
        out.append(f'<circle cx="{_n(ax.px(0))}" cy="{_n(ax.py(0))}" r="{_n(r)}" fill="none" stroke="#6b7280" '
                   f'stroke-dasharray="4 3"><title>unit circle</title></circle>')
    amps = None
    if spec.amplitudes is not None and len(spec.amplitudes) == len(lam):
        a = np.abs(np.asarray(spec.amplitudes))[shown]
        top = np.nanmax(a) if a.size and np.isfinite(a).any() else 0
        if top > 0:
            amps = np.where(np.isfinite(a), a / top, 0)
    dot = 3.5 if len(shown) <= 200 else 2.2
    for k in np.flatnonzero(finite)[::-1]:  # leading ones drawn last, on top
        x, y = ax.px(z[k].real), ax.py(z[k].imag)
        tip = (f"λ = {fmt(lam[shown[k]])}, ω = {fmt(spec.continuous_eigenvalues[shown[k]])}, "
               f"frequency {fmt(spec.frequencies[shown[k]])}" + (", spurious" if spur[k] else ""))
        if spur[k]:
            s = dot + 0.8
            out.append(f'<path d="M{_n(x - s)},{_n(y - s)} L{_n(x + s)},{_n(y + s)} M{_n(x - s)},{_n(y + s)} '
                       f'L{_n(x + s)},{_n(y - s)}" stroke="{SPURIOUS}" stroke-width="1.6" class="spurious">'
                       f"<title>{_e(tip)}</title></path>")
        else:
            rad = dot if amps is None else dot + 3.5 * math.sqrt(float(amps[k]))
            out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{rad:.1f}" fill="{POSITIVE}" fill-opacity="0.75" '
                       f'class="eigenvalue"><title>{_e(tip)}</title></circle>')
    notes = []
    if len(order) > len(shown):
        notes.append(f"{len(shown)} leading of {len(order)} shown")
    if (~finite).any():
        notes.append(f"{int((~finite).sum())} at λ = 0 not drawn")
    if notes:
        out.append(f'<text x="{_n(w - 4)}" y="11" text-anchor="end" font-size="10" fill="{NEUTRAL}">'
                   f"{_e('; '.join(notes))}</text>")
    out.append("</svg>")
    return "".join(out)


def modes_svg(spec: Spectrum, uid: str, k: int = 4) -> str:
    """The magnitude of the ``k`` leading modes over the variables (one line
    each); for thousands of variables this is the picture, not a table."""
    if spec.modes is None or spec.modes.ndim != 2 or spec.modes.shape[1] == 0:
        return ""
    order = [i for i in leading_order(spec) if i < spec.modes.shape[1]][:k]
    mags = [np.abs(spec.modes[:, i]) for i in order]
    n = spec.modes.shape[0]
    names = list(spec.variables) if len(spec.variables) == n else [str(i) for i in range(n)]
    labels = [f"mode {j + 1}: f = {fmt(spec.frequencies[i], 3)}, growth {fmt(spec.growth_rates[i], 3)}"
              for j, i in enumerate(order)]
    return line_plot_svg(np.arange(n, dtype=float), np.column_stack(mags) if mags else np.zeros((n, 0)),
                         labels=labels, title=f"leading modes of {spec.method or 'a method'} (|mode| per variable)",
                         xlabel="variable" if n > 30 else "", ylabel="|mode|",
                         xticks=names if n <= 30 else None, width=620, height=300, markers=n <= 60)


# ---------------------------------------------------------------------------
# line plots


def _decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the shape of a long series: min and max of each of ``max_points/2`` buckets."""
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep = []
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        seg = y[a:b]
        ok = np.isfinite(seg)
        if not ok.any():
            keep.append(a)
            continue
        i_min = a + int(np.nanargmin(np.where(ok, seg, np.nan)))
        i_max = a + int(np.nanargmax(np.where(ok, seg, np.nan)))
        keep.extend(sorted({i_min, i_max}))
    keep = np.asarray(keep)
    return x[keep], y[keep]


def line_plot_svg(x, ys, *, labels=None, title: str = "", xlabel: str = "", ylabel: str = "",
                  failed_at: float | None = None, xticks=None, width: int = 300, height: int = 190,
                  markers: bool = False, max_points: int = 1200) -> str:
    """Lines of ``ys`` (shape ``(n, k)``) against ``x``; non-finite values break
    the line; ``failed_at`` draws a red dashed line where a simulation stopped."""
    x = np.asarray(x, float)
    ys = np.asarray(ys, float)
    if ys.ndim == 1:
        ys = ys[:, None]
    k = ys.shape[1]
    top = 10 + (14 * min(k, 4) if labels and k > 1 else 8)
    bottom = 36 + (50 if xticks is not None else 0)
    height = max(height, top + bottom + 110)
    box = (52, top, width - 62, height - top - bottom)
    fy = ys[np.isfinite(ys)]
    fx = x[np.isfinite(x)]
    y0, y1 = (float(fy.min()), float(fy.max())) if fy.size else (0.0, 1.0)
    pad = 0.05 * (y1 - y0) if y1 > y0 else 1.0
    x0, x1 = (float(fx.min()), float(fx.max())) if fx.size else (0.0, 1.0)
    if failed_at is not None and math.isfinite(failed_at):
        x1 = max(x1, float(failed_at))
    ax = _Axes(x0, x1, y0 - pad, y1 + pad, box)
    out = [_open(width, height, title or ylabel, "figure plot"), ax.frame(xlabel, ylabel, x_ticks=xticks is None)]
    for j in range(k):
        colour = PALETTE[j % len(PALETTE)]
        xs, yj = _decimate(x, ys[:, j], max_points)
        segs, cur = [], []
        for a, b in zip(xs, yj):
            if math.isfinite(a) and math.isfinite(b):
                cur.append(f"{_n(ax.px(a))},{_n(ax.py(b))}")
            elif cur:
                segs.append(cur)
                cur = []
        if cur:
            segs.append(cur)
        tip = labels[j] if labels and j < len(labels) else ylabel
        for seg in segs:
            if len(seg) == 1:
                px_, py_ = seg[0].split(",")
                out.append(f'<circle cx="{px_}" cy="{py_}" r="2" fill="{colour}"/>')
            else:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="1.5">'
                           f"<title>{_e(tip)}</title></polyline>")
        if markers:
            for a, b in zip(xs, yj):
                if math.isfinite(a) and math.isfinite(b):
                    out.append(f'<circle cx="{_n(ax.px(a))}" cy="{_n(ax.py(b))}" r="2.2" fill="{colour}"/>')
    if labels and k > 1:
        for j, lab in enumerate(labels[:4]):
            colour = PALETTE[j % len(PALETTE)]
            yy = 12 + 14 * j
            out.append(f'<line x1="{_n(box[0])}" y1="{yy - 4}" x2="{_n(box[0] + 16)}" y2="{yy - 4}" stroke="{colour}" '
                       f'stroke-width="2"/><text x="{_n(box[0] + 20)}" y="{yy}" font-size="10" fill="#374151">'
                       f"{_e(lab)}</text>")
    if xticks is not None:
        for i, name in enumerate(xticks):
            px_ = ax.px(i)
            short = name if len(name) <= 10 else name[:9] + "…"
            yb = box[1] + box[3] + 12
            out.append(f'<text x="{_n(px_)}" y="{_n(yb)}" font-size="10" fill="#374151" text-anchor="end" '
                       f'transform="rotate(-45 {_n(px_)} {_n(yb)})">{_e(short)}</text>')
    if failed_at is not None and math.isfinite(failed_at):
        out.append(_failed_line(ax, box, failed_at, "simulation stopped"))
    out.append("</svg>")
    return "".join(out)



def _failed_line(ax, box, failed_at: float, what: str) -> str:
    """A dashed red vertical line where a free run stopped (it diverged), with its time as a tooltip."""
    xf = ax.px(failed_at)
    return (f'<line x1="{_n(xf)}" y1="{_n(box[1])}" x2="{_n(xf)}" y2="{_n(box[1] + box[3])}" '
            f'stroke="{NEGATIVE}" stroke-dasharray="4 3" stroke-width="1.5" class="failed-at">'
            f"<title>{what} at t = {_e(fmt(failed_at))}</title></line>")

# ---------------------------------------------------------------------------
# symbolic codes


def code_strip_svg(alphabet, sequence, *, width: int = 640, max_runs: int = 2000) -> str:
    """The coded sequence as a strip of coloured runs, one colour per region."""
    seq = list(sequence)
    n = len(seq)
    colours = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(alphabet)}
    for s in seq:
        colours.setdefault(s, NEUTRAL)
    height = 34 + 16 * ((min(len(colours), 24) + 5) // 6)
    out = [_open(width, height, f"symbolic code: {len(colours)} regions over {n} samples", "figure code")]
    if n:
        bins = min(n, max_runs)
        idx = np.linspace(0, n, bins + 1).astype(int)
        runs = []  # (start, stop, symbol) in sample units; each bin shows its first symbol
        for a, b in zip(idx[:-1], idx[1:]):
            if b <= a:
                continue
            s = seq[a]
            if runs and runs[-1][2] == s:
                runs[-1][1] = b
            else:
                runs.append([a, b, s])
        scale = (width - 8) / n
        for a, b, s in runs:
            out.append(f'<rect x="{_n(4 + a * scale)}" y="4" width="{max((b - a) * scale, 0.5):.2f}" height="20" '
                       f'fill="{colours[s]}"><title>{_e(s)}: samples {a}–{b - 1}</title></rect>')
    for i, (s, c) in enumerate(list(colours.items())[:24]):
        x, y = 4 + (i % 6) * (width - 8) / 6, 40 + 16 * (i // 6)
        short = s if len(s) <= 14 else s[:13] + "…"
        out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{c}"/>'
                   f'<text x="{_n(x + 14)}" y="{_n(y)}" font-size="10" fill="#374151">{_e(short)}</text>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------
# Pareto fronts


def pareto_svg(front: list, chosen_complexity=None, *, title: str = "") -> str:
    """Error (log scale when it spans a decade) against complexity for a list of
    ``{complexity, loss, expression[, held_out_loss, chosen]}``; the chosen model
    ringed. "" when fewer than two points are finite."""
    pts = []
    for p in front or []:
        try:
            c, lo = float(p["complexity"]), float(p["loss"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(c) and math.isfinite(lo):
            chosen = bool(p.get("chosen")) or (chosen_complexity is not None and c == float(chosen_complexity))
            pts.append((c, lo, str(p.get("expression", "")), chosen))
    if len(pts) < 2:
        return ""
    pts.sort()
    ys = np.array([p[1] for p in pts])
    log = bool(np.all(ys > 0) and ys.max() / ys.min() > 10)
    yv = np.log10(ys) if log else ys
    w, h = 340, 220
    ax = _Axes(pts[0][0] - 0.5, pts[-1][0] + 0.5, float(yv.min()), float(yv.max()), (60, 14, w - 76, h - 60))
    label = (title or "Pareto front") + ": " + "; ".join(
        f"complexity {fmt(c, 3)}, error {fmt(lo, 3)}" + (" (chosen)" if ch else "") for c, lo, _, ch in pts)
    out = [_open(w, h, label), ax.frame("complexity", "log10 error" if log else "error")]
    path = " ".join(f"{_n(ax.px(c))},{_n(ax.py(y))}" for (c, _, _, _), y in zip(pts, yv))
    out.append(f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="1.2"/>')
    for (c, lo, expr, ch), y in zip(pts, yv):
        out.append(f'<circle cx="{_n(ax.px(c))}" cy="{_n(ax.py(y))}" r="{5 if ch else 3}" '
                   f'fill="{"#dc2626" if ch else "#2563eb"}"><title>{_e(shorten(expr, 200))}: complexity '
                   f"{_e(fmt(c, 3))}, error {_e(fmt(lo, 3))}{' (chosen)' if ch else ''}</title></circle>")
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------
# data against a model


def _stride(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spread samples (first and last kept)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def _polyline(ax: _Axes, x, y, colour: str, tip: str, *, width: float = 1.5, max_points: int = 1200,
              cls: str = "", decimate: bool = True) -> list[str]:
    """One series as polylines (non-finite values break it), decimated to ``max_points``."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if decimate:
        x, y = _decimate(x, y, max_points)
    ok = np.isfinite(x) & np.isfinite(y)
    out = []
    c = f' class="{cls}"' if cls else ""
    breaks = np.flatnonzero(~ok)
    for seg in np.split(np.arange(len(x)), breaks):
        seg = seg[ok[seg]]
        if len(seg) == 1:
            out.append(f'<circle cx="{_n(ax.px(x[seg[0]]))}" cy="{_n(ax.py(y[seg[0]]))}" r="1.6" fill="{colour}"{c}/>')
        elif len(seg) > 1:
            pts = " ".join(f"{_n(ax.px(a))},{_n(ax.py(b))}" for a, b in zip(x[seg], y[seg]))
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width}" '
                       f'stroke-linejoin="round"{c}><title>{_e(tip)}</title></polyline>')
    return out


def _legend(box, items: list[tuple[str, str, str]]) -> str:
    """``(colour, label, kind)`` entries above the plot box; kind "line" or "area"."""
    out, x = [], box[0]
    for colour, label, kind in items:
        if kind == "area":
            out.append(f'<rect x="{_n(x)}" y="4" width="14" height="10" fill="{colour}"/>')
        else:
            out.append(f'<line x1="{_n(x)}" y1="9" x2="{_n(x + 16)}" y2="9" stroke="{colour}" stroke-width="2"/>')
        short = shorten(label, 40)
        out.append(f'<text x="{_n(x + 20)}" y="13" font-size="10" fill="#374151">{_e(short)}</text>')
        x += 28 + 6 * len(short)
    return "".join(out)


def overlay_svg(t_data, y_data, t_model, y_model, *, title: str, xlabel: str = "t", ylabel: str = "",
                model_label: str = "model", held_out: tuple[float, float] | None = None,
                failed_at: float | None = None, width: int = 420, height: int = 210,
                max_points: int = 800) -> str:
    """Data (grey) and a model's free run (blue) of one variable on the data's
    time axis; ``held_out = (start, stop)`` shades the held-out stretch; a red
    dashed line marks where a run stopped. Either series may be ``None``.
    Long series are decimated to ``max_points`` (min and max per bucket: about
    one bucket per pixel)."""
    have_data = t_data is not None and y_data is not None and len(t_data) > 0
    have_model = t_model is not None and y_model is not None and len(t_model) > 0
    xs = [np.asarray(v, float) for v in ((t_data,) if have_data else ()) + ((t_model,) if have_model else ())]
    ys = [np.asarray(v, float) for v in ((y_data,) if have_data else ()) + ((y_model,) if have_model else ())]
    fx = np.concatenate([v[np.isfinite(v)] for v in xs]) if xs else np.zeros(0)
    fy = np.concatenate([v[np.isfinite(v)] for v in ys]) if ys else np.zeros(0)
    x0, x1 = (float(fx.min()), float(fx.max())) if fx.size else (0.0, 1.0)
    y0, y1 = (float(fy.min()), float(fy.max())) if fy.size else (0.0, 1.0)
    pad = 0.05 * (y1 - y0) if y1 > y0 else 1.0
    box = (56, 22, width - 66, height - 22 - 38)
    ax = _Axes(x0, x1, y0 - pad, y1 + pad, box)
    out = [_open(width, height, title, "figure plot overlay")]
    if held_out is not None:
        a, b = max(float(held_out[0]), ax.x0), min(float(held_out[1]), ax.x1)
        if b > a:
            out.append(f'<rect x="{_n(ax.px(a))}" y="{_n(box[1])}" width="{_n(ax.px(b) - ax.px(a))}" '
                       f'height="{_n(box[3])}" fill="{HELD_OUT}" fill-opacity="0.55" class="held-out">'
                       f"<title>held out: t from {_e(fmt(a))} to {_e(fmt(b))}</title></rect>")
            out.append(f'<text x="{_n(ax.px(b) - 3)}" y="{_n(box[1] + 11)}" text-anchor="end" font-size="10" '
                       f'fill="#92400e">held out</text>')
    out.append(ax.frame(xlabel, ylabel))
    if have_data:
        out += _polyline(ax, t_data, y_data, DATA, f"data: {ylabel}", width=1.1, max_points=max_points, cls="data")
    if have_model:
        out += _polyline(ax, t_model, y_model, POSITIVE, f"{model_label}: {ylabel}", width=1.6,
                         max_points=max_points, cls="model")
    legend = ([(DATA, "data", "line")] if have_data else []) + ([(POSITIVE, model_label, "line")] if have_model else [])
    if held_out is not None:
        legend.append((HELD_OUT, "held out", "area"))
    out.append(_legend(box, legend))
    if failed_at is not None and math.isfinite(failed_at) and ax.x0 <= failed_at <= ax.x1:
        out.append(_failed_line(ax, box, failed_at, "the run stopped"))
    out.append("</svg>")
    return "".join(out)


def phase_svg(data_xy: list, model_xy: list, *, xlabel: str, ylabel: str, title: str,
              model_label: str = "model", size: int = 320, max_points: int = 2000) -> str:
    """A phase portrait: each ``(n, 2)`` array of ``data_xy`` (grey) and of
    ``model_xy`` (blue) as a curve in the plane of two variables; long curves
    are thinned to ``max_points`` evenly spread samples."""
    arrays = [np.asarray(a, float) for a in list(data_xy) + list(model_xy) if a is not None and len(a)]
    pts = np.concatenate([a[np.all(np.isfinite(a), axis=1)] for a in arrays]) if arrays else np.zeros((0, 2))
    if pts.size:
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    else:
        x0 = y0 = 0.0
        x1 = y1 = 1.0
    px_, py_ = 0.05 * (x1 - x0 or 1), 0.05 * (y1 - y0 or 1)
    box = (56, 22, size - 66, size - 22 - 38)
    ax = _Axes(float(x0 - px_), float(x1 + px_), float(y0 - py_), float(y1 + py_), box)
    out = [_open(size, size, title, "figure plot phase"), ax.frame(xlabel, ylabel)]
    for group, colour, label, width in ((data_xy, DATA, "data", 0.8), (model_xy, POSITIVE, model_label, 1.3)):
        per = max(max_points // max(len(group), 1), 50)
        for a in group:
            if a is None or not len(a):
                continue
            a = np.asarray(a, float)[_stride(len(a), per)]
            out += _polyline(ax, a[:, 0], a[:, 1], colour, label, width=width, decimate=False,
                             cls="data" if colour == DATA else "model")
    legend = ([(DATA, "data", "line")] if any(a is not None and len(a) for a in data_xy) else []) + \
        ([(POSITIVE, model_label, "line")] if any(a is not None and len(a) for a in model_xy) else [])
    out.append(_legend(box, legend))
    out.append("</svg>")
    return "".join(out)


def bar_svg(labels: list[str], values, *, title: str, ylabel: str = "", xlabel: str = "",
            colours: list[str] | None = None, max_bars: int = 40) -> str:
    """Vertical bars, one per label (at most ``max_bars``, the largest; the
    rest summed in one grey bar), each with its value on hover."""
    labels = [str(v) for v in labels]
    vals = np.asarray(values, float)
    colours = list(colours) if colours is not None else [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    if len(labels) > max_bars:
        keep = sorted(np.argsort(-np.nan_to_num(vals))[:max_bars - 1])
        rest = float(np.nansum(np.delete(vals, keep)))
        rest_n = len(labels) - len(keep)
        labels = [labels[i] for i in keep] + [f"{rest_n} others"]
        colours = [colours[i] for i in keep] + [NEUTRAL]
        vals = np.r_[vals[keep], rest]
    n = len(labels)
    bw = 26 if n <= 12 else 16
    longest = max((len(v) for v in labels), default=1)
    bottom = 38 + min(longest, 12) * 5
    width = max(240, 72 + n * (bw + 6))
    height = 200 + bottom - 38
    top = float(np.nanmax(vals)) if n and np.isfinite(vals).any() else 1.0
    box = (56, 14, width - 66, height - 14 - bottom)
    ax = _Axes(-0.5, n - 0.5, 0.0, top * 1.08 if top > 0 else 1.0, box)
    out = [_open(width, height, title, "figure plot bars"), ax.frame("", ylabel, x_ticks=False)]
    for i, (lab, v, c) in enumerate(zip(labels, vals, colours)):
        v = _finite(v)
        y = ax.py(max(v, 0.0))
        out.append(f'<rect x="{_n(ax.px(i) - bw / 2)}" y="{_n(y)}" width="{bw}" '
                   f'height="{_n(max(ax.py(0) - y, 0.5))}" fill="{c}" class="bar"><title>{_e(lab)}: {_e(fmt(v))}'
                   f"</title></rect>")
        short = lab if len(lab) <= 12 else lab[:11] + "…"
        yb = box[1] + box[3] + 12
        out.append(f'<text x="{_n(ax.px(i))}" y="{_n(yb)}" font-size="10" fill="#374151" text-anchor="end" '
                   f'transform="rotate(-45 {_n(ax.px(i))} {_n(yb)})">{_e(short)}</text>')
    if xlabel:
        out.append(f'<text x="{_n(box[0] + box[2] / 2)}" y="{_n(height - 4)}" text-anchor="middle" '
                   f'fill="#374151">{_e(xlabel)}</text>')
    out.append("</svg>")
    return "".join(out)
