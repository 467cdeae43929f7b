"""Small numerical helpers of the law search (generalized eigenproblems, sparse candidates, rounding)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from scipy import linalg

# ---------------------------------------------------------------------------
# Small numerical helpers


def _gen_eig(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Generalized symmetric eigenproblem ``A v = λ B v``, ascending λ."""
    A = (A + A.T) / 2
    B = (B + B.T) / 2
    try:
        w, V = linalg.eigh(A, B)
    except (linalg.LinAlgError, ValueError):
        L = np.linalg.cholesky(B + 1e-14 * np.trace(B) * np.eye(len(B)))
        Li = np.linalg.inv(L)
        w, U = np.linalg.eigh(Li @ A @ Li.T)
        V = Li.T @ U
    return np.maximum(w, 0.0), V


def _rayleigh(c: np.ndarray, A: np.ndarray, B: np.ndarray) -> float:
    den = float(c @ B @ c)
    return float(c @ A @ c) / den if den > 0 else float("inf")


def _sparse_candidates(N: np.ndarray, max_lp: int = 24) -> list[np.ndarray]:
    """Sparse vectors in the column span of ``N`` (p × k): one ℓ1 LP per coordinate."""
    from scipy.optimize import linprog

    p, k = N.shape
    Qn, _ = np.linalg.qr(N)
    rows = np.linalg.norm(Qn, axis=1)
    coords = [j for j in np.argsort(-rows) if rows[j] > 1e-3 * rows.max()][:max_lp]
    cands = [Qn[:, j] for j in range(k)]
    cost = np.r_[np.zeros(k), np.ones(p)]
    eye = np.eye(p)
    A_ub = np.block([[Qn, -eye], [-Qn, -eye]])
    b_ub = np.zeros(2 * p)
    bounds = [(None, None)] * k + [(0, None)] * p
    for j in coords:
        A_eq = np.r_[Qn[j], np.zeros(p)][None, :]
        try:
            res = linprog(cost, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
        except ValueError:  # pragma: no cover - solver refused
            continue
        if res.status == 0:
            cands.append(Qn @ res.x[:k])
    return cands


def _rational(x: float, max_den: int) -> Fraction:
    return Fraction(x).limit_denominator(max_den)


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))
