"""Optimized DMD by variable projection (Askham & Kutz), for one or several trajectories.

The model is ``Z_k(t) = Σ_j exp(α_j t) b_{kj}``: every trajectory ``k`` shares
the continuous-time eigenvalues ``α`` and has its own amplitudes. For fixed
``α`` the amplitudes are a linear least-squares problem, so only ``α`` is
searched for (Levenberg–Marquardt on the projected residual, Kaufman's
Jacobian, complex arithmetic). Time stamps may be irregular.

For real data, :func:`varpro_real` constrains the eigenvalues to real values
and conjugate pairs ``a ± iω``: the basis is ``exp(a t) cos(ω t)``,
``exp(a t) sin(ω t)`` with real amplitudes, so every mode comes with its exact
conjugate and the nonlinear unknowns are halved (``(a, ω)`` per pair instead
of two complex eigenvalues). This is the maximum-likelihood model for real
data with Gaussian noise.
"""

from __future__ import annotations

import numpy as np


class NonFiniteBasis(np.linalg.LinAlgError):
    """``exp(α t)`` overflowed (an eigenvalue growing over a long record): no step may go there, and
    LAPACK must never see the inf or NaN (its least squares can hang on them)."""


def _check_finite(Phi: np.ndarray) -> None:
    if not np.all(np.isfinite(Phi)):
        raise NonFiniteBasis("exp(alpha t) is not finite over the record (an eigenvalue grows too fast)")


def _fit_linear(t, Z, alpha):
    Phi = np.exp(np.outer(t, alpha))
    _check_finite(Phi)
    B, *_ = np.linalg.lstsq(Phi, Z, rcond=None)
    return Phi, B


def _residual(ts, Zs, alpha):
    out = []
    for t, Z in zip(ts, Zs):
        Phi, B = _fit_linear(t, Z, alpha)
        out.append(Z - Phi @ B)
    return out


def varpro(ts, Zs, alpha0, *, max_iter: int = 100, tol: float = 1e-12, damping: float = 1e-3):
    """Fit ``α`` (complex, shape (r,)) and per-trajectory amplitudes ``B_k`` (r × p).

    ``ts``: list of time arrays (shifted so each starts at 0 is best), ``Zs``:
    list of data arrays (m_k × p). Returns ``(alpha, Bs, info)``.
    ``damping`` is the Levenberg–Marquardt start, relative to the largest
    diagonal entry of ``JᴴJ``: 1e-3 (Marquardt's) from a rough guess, much
    less from a start known to be close (a refit), where the first steps
    would otherwise only shrink the damping.
    """
    alpha = np.asarray(alpha0, complex).copy()
    r = alpha.size
    Zs = [np.asarray(Z, complex) for Z in Zs]

    def evaluate(a):
        res, jac = [], []
        for t, Z in zip(ts, Zs):
            Phi = np.exp(np.outer(t, a))
            _check_finite(Phi)
            Q, R = np.linalg.qr(Phi)
            try:
                B = np.linalg.solve(R, Q.conj().T @ Z)
            except np.linalg.LinAlgError:
                B = np.linalg.lstsq(Phi, Z, rcond=None)[0]
            Rk = Z - Phi @ B
            res.append(Rk.ravel())
            # Kaufman: J_j = -P⊥ (t ⊙ φ_j) b_jᵀ
            D = t[:, None] * Phi  # m × r
            PD = D - Q @ (Q.conj().T @ D)
            Jk = -(PD[:, None, :] * B.T[None, :, :])  # m × p × r
            jac.append(Jk.reshape(-1, r))
        return np.concatenate(res), np.concatenate(jac)

    alpha, cost, it = _levenberg_marquardt(evaluate, alpha, max_iter, tol, damping)
    Bs = [_fit_linear(t, Z, alpha)[1] for t, Z in zip(ts, Zs)]
    return alpha, Bs, {"iterations": it + 1, "cost": cost}


def _levenberg_marquardt(evaluate, alpha, max_iter, tol, damping=1e-3):
    """Minimise ``|r(α)|²`` given ``evaluate(α) -> (r, J)`` (real or complex); returns ``(α, cost, iterations - 1)``."""
    rvec, J = evaluate(alpha)
    cost = np.vdot(rvec, rvec).real
    mu = None
    it = 0
    for it in range(max_iter):  # noqa: B007
        JhJ = J.conj().T @ J
        g = J.conj().T @ rvec
        d = np.real(np.diag(JhJ)).copy()
        d[d <= 0] = 1.0
        if mu is None:
            mu = damping * float(np.max(d))
        improved = False
        for _ in range(30):
            try:
                step = -np.linalg.solve(JhJ + mu * np.diag(d), g)
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            trial = alpha + step
            if not np.all(np.isfinite(trial)):
                mu *= 10
                continue
            try:
                r_new, J_new = evaluate(trial)
            except NonFiniteBasis:  # the step grows a mode past overflow: a shorter one
                mu *= 10
                continue
            c_new = np.vdot(r_new, r_new).real
            if c_new < cost:
                improved = True
                rel = (cost - c_new) / max(cost, 1e-300)
                alpha, rvec, J, cost = trial, r_new, J_new, c_new
                mu = max(mu / 3, 1e-15)
                break
            mu *= 4
        if not improved or rel < tol or np.linalg.norm(step) <= tol * (1 + np.linalg.norm(alpha)):
            break
    return alpha, cost, it


def conjugate_structure(alpha, tol: float = 1e-8):
    """Split eigenvalues into conjugate pairs and real ones, or ``None`` if they do not pair up.

    Returns ``(pairs, reals)``: indices ``(i, j)`` with ``α_j ≈ conj(α_i)``,
    ``Im α_i > 0``, and indices of the real eigenvalues. ``tol`` is relative to
    the largest ``|α|``.
    """
    alpha = np.asarray(alpha, complex)
    scale = tol * max(1.0, float(np.max(np.abs(alpha))) if alpha.size else 1.0)
    reals = [i for i in range(alpha.size) if abs(alpha[i].imag) <= scale]
    upper = [i for i in range(alpha.size) if alpha[i].imag > scale]
    lower = [i for i in range(alpha.size) if alpha[i].imag < -scale]
    if len(upper) != len(lower):
        return None
    pairs, free = [], list(lower)
    for i in sorted(upper, key=lambda k: -alpha[k].imag):
        j = min(free, key=lambda k: abs(alpha[k] - alpha[i].conjugate()))
        if abs(alpha[j] - alpha[i].conjugate()) > 1e-3 * max(1.0, abs(alpha[i])):
            return None
        free.remove(j)
        pairs.append((i, j))
    return pairs, reals


def _real_basis(t, a, w, c):
    """Columns ``e^{a t}cos(ω t), e^{a t}sin(ω t)`` per pair, then ``e^{c t}`` per real eigenvalue."""
    ea = np.exp(np.outer(t, a))
    cols = np.empty((t.size, 2 * a.size + c.size))
    cols[:, 0:2 * a.size:2] = ea * np.cos(np.outer(t, w))
    cols[:, 1:2 * a.size:2] = ea * np.sin(np.outer(t, w))
    cols[:, 2 * a.size:] = np.exp(np.outer(t, c))
    return cols


def varpro_real(ts, Zs, alpha0, *, max_iter: int = 100, tol: float = 1e-12, damping: float = 1e-3):
    """Variable projection for real data with eigenvalues in exact conjugate pairs.

    Same inputs and outputs as :func:`varpro` (complex ``α`` and complex
    amplitude rows, so callers need not care); ``alpha0`` must pair up
    (:func:`conjugate_structure`), otherwise ``ValueError``. The returned
    ``α`` are ordered as pairs ``(a + iω, a − iω)`` then the real ones, and the
    amplitude rows of a pair are exact conjugates.
    """
    alpha0 = np.asarray(alpha0, complex)
    structure = conjugate_structure(alpha0)
    if structure is None:
        raise ValueError("the initial eigenvalues do not come in conjugate pairs")
    pairs, reals = structure
    P = len(pairs)
    theta0 = np.concatenate([[alpha0[i].real for i, _ in pairs], [alpha0[i].imag for i, _ in pairs],
                             [alpha0[i].real for i in reals]])
    Zs = [np.asarray(Z, float) for Z in Zs]
    nr = len(reals)

    def split(th):
        return th[:P], th[P:2 * P], th[2 * P:]

    def evaluate(th):
        a, w, c = split(th)
        res, jac = [], []
        for t, Z in zip(ts, Zs):
            Phi = _real_basis(t, a, w, c)
            _check_finite(Phi)
            Q, R = np.linalg.qr(Phi)
            try:
                B = np.linalg.solve(R, Q.T @ Z)
            except np.linalg.LinAlgError:
                B = np.linalg.lstsq(Phi, Z, rcond=None)[0]
            res.append((Z - Phi @ B).ravel())
            tc = t[:, None] * Phi
            Cc, Ss = tc[:, 0:2 * P:2], tc[:, 1:2 * P:2]          # t e cos, t e sin
            Bc, Bs_ = B[0:2 * P:2], B[1:2 * P:2]                  # rows: cos and sin amplitudes
            # ∂/∂a: t·(cos-col ⊗ Bc + sin-col ⊗ Bs); ∂/∂ω: t·(−sin-col ⊗ Bc + cos-col ⊗ Bs); ∂/∂c: t·col ⊗ B
            D = np.concatenate([Cc[:, None, :] * Bc.T[None] + Ss[:, None, :] * Bs_.T[None],
                                -Ss[:, None, :] * Bc.T[None] + Cc[:, None, :] * Bs_.T[None],
                                tc[:, None, 2 * P:] * B[2 * P:].T[None]], axis=2)  # m × p × (2P + nr)
            m_, p_, k_ = D.shape
            Df = D.transpose(0, 2, 1).reshape(m_, -1)  # m × (k p)
            PD = Df - Q @ (Q.T @ Df)
            jac.append(-PD.reshape(m_, k_, p_).transpose(0, 2, 1).reshape(-1, k_))
        return np.concatenate(res), np.concatenate(jac)

    theta, cost, it = _levenberg_marquardt(evaluate, theta0.astype(float), max_iter, tol, damping)
    a, w, c = split(theta)
    alpha = np.concatenate([np.ravel(np.column_stack([a + 1j * w, a - 1j * w])), c.astype(complex)])
    Bs = []
    for t, Z in zip(ts, Zs):
        Phi = _real_basis(t, a, w, c)
        _check_finite(Phi)
        B = np.linalg.lstsq(Phi, Z, rcond=None)[0]
        Bc = np.empty((2 * P + nr, Z.shape[1]), complex)
        # p cos + q sin = ½(p − iq) e^{iωt} + ½(p + iq) e^{−iωt}
        Bc[0:2 * P:2] = 0.5 * (B[0:2 * P:2] - 1j * B[1:2 * P:2])
        Bc[1:2 * P:2] = 0.5 * (B[0:2 * P:2] + 1j * B[1:2 * P:2])
        Bc[2 * P:] = B[2 * P:]
        Bs.append(Bc)
    return alpha, Bs, {"iterations": it + 1, "cost": cost, "conjugate_pairs": True}
