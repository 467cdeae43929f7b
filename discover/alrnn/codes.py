"""The symbolic code of a piecewise-linear AL-RNN and the analysis of its linear regions (NumPy only).

A state's symbol is the sign pattern of the P ReLU units: the bit string
``"b1...bP"`` with ``bi = 1`` when unit ``M - P + i`` is positive (``"-"``
when P = 0: one linear region). In region ``r`` with ReLU pattern
``D_r = diag(1, ..., 1, b1, ..., bP)`` the map is affine,

.. math:: z \\mapsto A_r z + h, \\qquad A_r = \\mathrm{diag}(A) + W D_r,

its fixed point is :math:`z^*_r = (I - A_r)^{-1} h`, *real* when
:math:`z^*_r` lies in region ``r`` itself and *virtual* otherwise. A
k-cycle through the regions :math:`r_1, \\dots, r_k` solves
:math:`z_1 = F_{r_k} \\circ \\dots \\circ F_{r_1}(z_1)` (one linear system);
it is a real cycle when each of its points :math:`z_i` lies in its region
:math:`r_i`, stable when the eigenvalues of :math:`A_{r_k} \\cdots A_{r_1}`
lie inside the unit circle.

Examples
--------
>>> import numpy as np
>>> from discover.alrnn.model import ALRNNParams
>>> from discover.alrnn.codes import fixed_points
>>> p = ALRNNParams(A=np.array([0.5, -0.5]), W=np.array([[0.0, 0.0], [0.0, -1.0]]),
...                 h=np.array([1.0, 1.0]), n_pwl=1, n_obs=1)
>>> [(f["region"], f["real"]) for f in fixed_points(p, ["0", "1"])]
[('0', False), ('1', True)]
"""

from __future__ import annotations

import itertools
from collections import Counter

import networkx as nx
import numpy as np
import sympy as sp

from .model import ALRNNParams

__all__ = ["symbols", "regions_visited", "region_matrix", "occupation", "transition_graph", "fixed_points", "cycles",
           "region_equations"]


def symbols(params: ALRNNParams, Z: np.ndarray) -> list[str]:
    """The region symbol of each state (rows of ``Z``)."""
    P = params.n_pwl
    if P == 0:
        return ["-"] * len(Z)
    bits = (np.asarray(Z)[:, -P:] > 0).astype(np.int8)
    return ["".join("1" if b else "0" for b in row) for row in bits]


def regions_visited(params: ALRNNParams, Z: np.ndarray) -> int:
    """How many linear regions (sign patterns of the P ReLU units) the finite states ``Z`` (..., M) visit.

    :func:`symbols` without its strings: the checkpoints of a training count
    the regions of 10^5 states each, where building a string per state costs
    more than the count.
    """
    Z = Z.reshape(-1, Z.shape[-1])
    Z = Z[np.all(np.isfinite(Z), axis=1)]
    P = params.n_pwl
    if not P or len(Z) == 0:
        return int(len(Z) > 0)
    bits = (Z[:, -P:] > 0).astype(np.int64) @ (1 << np.arange(P, dtype=np.int64))
    return int(len(np.unique(bits)))


def _region_of(params: ALRNNParams, z: np.ndarray) -> str:
    return symbols(params, z[None])[0]


def region_matrix(params: ALRNNParams, region: str) -> np.ndarray:
    """``A_r = diag(A) + W D_r`` of region ``region``."""
    d = np.ones(params.n_latent)
    if params.n_pwl:
        d[-params.n_pwl:] = [1.0 if c == "1" else 0.0 for c in region]
    return np.diag(params.A) + params.W * d


def occupation(sequence: list[str]) -> dict[str, float]:
    """Occupation frequency of each region in a coded sequence (most visited first)."""
    counts = Counter(sequence)
    n = len(sequence)
    return {r: c / n for r, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def transition_graph(sequence: list[str]) -> nx.DiGraph:
    """Transitions between consecutive symbols: edge weight = probability of ``target`` after ``source``.

    Self-loops are kept. Nodes carry ``occupation`` (frequency of the region).
    """
    g = nx.DiGraph()
    occ = occupation(sequence)
    for r, f in occ.items():
        g.add_node(r, occupation=f)
    pairs = Counter(zip(sequence[:-1], sequence[1:]))
    out = Counter(sequence[:-1])
    for (a, b), c in sorted(pairs.items()):
        g.add_edge(a, b, weight=c / out[a], lag=1, score=c / out[a], count=c)
    return g


def fixed_points(params: ALRNNParams, regions: list[str]) -> list[dict]:
    """Each region's fixed point, whether it is real, its eigenvalues and stability."""
    out = []
    eye = np.eye(params.n_latent)
    for r in regions:
        Ar = region_matrix(params, r)
        eig = np.linalg.eigvals(Ar)
        try:
            z = np.linalg.solve(eye - Ar, params.h)
        except np.linalg.LinAlgError:
            out.append({"region": r, "point": None, "real": False, "eigenvalues": eig, "stable": False})
            continue
        out.append({"region": r, "point": z, "real": _region_of(params, z) == r, "eigenvalues": eig,
                    "stable": bool(np.max(np.abs(eig)) < 1)})
    return out


def _canonical(seq: tuple) -> bool:
    k = len(seq)
    rotations = [seq[i:] + seq[:i] for i in range(k)]
    if seq != min(rotations):
        return False
    return all(seq != seq[i:] + seq[:i] for i in range(1, k) if k % i == 0)  # primitive


def cycles(params: ALRNNParams, regions: list[str], max_period: int = 8, *, only_real: bool = True,
           max_sequences: int = 200000) -> list[dict]:
    """Periodic orbits of period 2..``max_period`` through the given regions.

    Every primitive region sequence (one per rotation class) is solved; a
    cycle is kept when its points lie in their regions (``only_real``).
    Returns dicts ``{"regions", "points" (k, M), "real", "multipliers", "stable"}``.
    """
    found = []
    M = params.n_latent
    mats = {r: region_matrix(params, r) for r in regions}
    eye = np.eye(M)
    n_seq = 0
    for k in range(2, max_period + 1):
        for seq in itertools.product(sorted(regions), repeat=k):
            if not _canonical(seq):
                continue
            n_seq += 1
            if n_seq > max_sequences:
                return found
            prod, c = eye, np.zeros(M)
            for r in seq:
                prod = mats[r] @ prod
                c = mats[r] @ c + params.h
            try:
                z = np.linalg.solve(eye - prod, c)
            except np.linalg.LinAlgError:
                continue
            pts = [z]
            for r in seq[:-1]:
                pts.append(mats[r] @ pts[-1] + params.h)
            real = all(_region_of(params, p) == r for p, r in zip(pts, seq))
            if only_real and not real:
                continue
            mult = np.linalg.eigvals(prod)
            found.append({"regions": seq, "points": np.array(pts), "real": real, "multipliers": mult,
                          "stable": bool(np.max(np.abs(mult)) < 1)})
    return found


def _round(v: float, digits: int) -> float:
    if v == 0 or not np.isfinite(v):
        return v
    return round(v, digits - 1 - int(np.floor(np.log10(abs(v)))))


def region_equations(params: ALRNNParams, region: str, names: list[str], *, mean=None, scale=None,
                     digits: int = 4) -> dict[str, sp.Expr]:
    """The region's affine map for the observed units, as sympy expressions.

    ``names`` names the N observed units (the user's columns); the latent
    units are ``z1 .. z{M-N}``. With ``mean`` and ``scale`` (the
    standardisation of the observations) the maps are in the data's units:
    ``x_next = mean + scale * (A_r z + h)[obs]`` with ``z_obs = (x - mean)/scale``.
    """
    N, M = params.n_obs, params.n_latent
    obs = [sp.Symbol(n) for n in names]
    lat = [sp.Symbol(f"z{i + 1}") for i in range(M - N)]
    mean = np.zeros(N) if mean is None else np.asarray(mean, float)
    scale = np.ones(N) if scale is None else np.asarray(scale, float)
    state = [(o - float(m)) / float(s) for o, m, s in zip(obs, mean, scale)] + lat
    Ar = region_matrix(params, region)
    out = {}
    for i in range(N):
        expr = sum(sp.Float(round(float(Ar[i, j]), 12)) * state[j] for j in range(M) if Ar[i, j] != 0)
        expr = float(mean[i]) + float(scale[i]) * (expr + float(params.h[i]))
        expr = sp.expand(expr)
        expr = expr.xreplace({f: sp.Float(_round(float(f), digits)) for f in expr.atoms(sp.Float)})
        out[names[i]] = expr
    return out
