"""Optimized DMD by variable projection (Askham & Kutz), for one or several trajectories.

The model is ``Z_k(t) = Σ_j exp(α_j t) b_{kj}``: every trajectory ``k`` shares
the continuous-time eigenvalues ``α`` and has its own amplitudes. For fixed
``α`` the amplitudes are a linear least-squares problem, so only ``α`` is
searched for (Levenberg–Marquardt on the projected residual, Kaufman's
Jacobian, complex arithmetic). Time stamps may be irregular.
"""

from __future__ import annotations

import numpy as np


def _fit_linear(t, Z, alpha):
    Phi = np.exp(np.outer(t, alpha))
    B, *_ = np.linalg.lstsq(Phi, Z, rcond=None)
    return Phi, B


def _residual(ts, Zs, alpha):
    out = []
    for t, Z in zip(ts, Zs):
        Phi, B = _fit_linear(t, Z, alpha)
        out.append(Z - Phi @ B)
    return out


def varpro(ts, Zs, alpha0, *, max_iter: int = 100, tol: float = 1e-12):
    """Fit ``α`` (complex, shape (r,)) and per-trajectory amplitudes ``B_k`` (r × p).

    ``ts``: list of time arrays (shifted so each starts at 0 is best), ``Zs``:
    list of data arrays (m_k × p). Returns ``(alpha, Bs, info)``.
    """
    alpha = np.asarray(alpha0, complex).copy()
    r = alpha.size
    Zs = [np.asarray(Z, complex) for Z in Zs]

    def evaluate(a):
        res, jac = [], []
        for t, Z in zip(ts, Zs):
            Phi = np.exp(np.outer(t, a))
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
            mu = 1e-3 * float(np.max(d))
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
            r_new, J_new = evaluate(trial)
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
    Bs = [_fit_linear(t, Z, alpha)[1] for t, Z in zip(ts, Zs)]
    return alpha, Bs, {"iterations": it + 1, "cost": cost}
