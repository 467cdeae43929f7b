"""DMD over every row of a tall record, from Gram matrices summed over row chunks.

On tall data (many more snapshots than channels) every quantity of a DMD fit
at a given rank follows from the ``2n × 2n`` Gram matrix of the snapshot
pairs ``[x_k, x_{k+1}]`` (``X1ᵀX1``, ``X1ᵀX2``, ``X2ᵀX2``), which
:func:`discover.streaming.lagged_moments` sums over chunks without pairing
rows across trajectories:

- the POD basis ``V`` and the singular values are the eigenvectors and the
  square roots of the eigenvalues of ``X1ᵀX1``;
- in the POD coordinates ``Z = X V`` the reduced Grams are ``Vᵀ G V``: exact
  DMD is ``K = Z1ᵀZ2 / s²``, forward-backward DMD solves the forward and
  backward normal equations, total-least-squares DMD projects on the
  leading eigenvectors of the ``2r × 2r`` Gram of ``[Z1, Z2]``;
- the residual of an eigenpair needs ``‖[Z1, Z2] v‖`` only, so any square
  root ``R`` of that Gram (``RᵀR = [Z1, Z2]ᵀ[Z1, Z2]``) stands in for the
  snapshots (also in the pseudospectrum);
- exact modes are ``X2ᵀX1 V / s²`` times the reduced eigenvectors.

Optimized DMD fits the eigenvalues to the snapshots themselves: variable
projection runs on the reduced coordinates of every ``stride``-th sample,
the stride :func:`~discover.operators.dmd._thin` gives the in-memory fit for
the same data, from two starts — forward-backward DMD of the Grams (the
in-memory fit's start) and the first fit's eigenvalues — keeping the lower
cost: over a long record the cost oscillates in the frequencies with a
period of about one over the duration, and a start farther off than that
ends in a local minimum. The amplitudes (normal equations of Jovanović et al.) and the
reconstruction error are sums over chunks as well.
"""

from __future__ import annotations

import numpy as np

from ..base import check_is_fitted
from ..errors import DataError
from ..progress import task
from ..streaming import DEFAULT_CHUNK_ROWS, count_blocks, lagged_moments, row_blocks
from ._common import as_data
from ._linalg import capped_noise, difference_noise, gd_noise_sigma, real_times
from .residual import eigenpair_residuals, expected_noise_residual

__all__ = ["stream_refit"]


def _descending_eigh(G):
    ev, U = np.linalg.eigh(G)
    return ev[::-1], U[:, ::-1]


def _root(C):
    """A square matrix ``R`` with ``RᵀR = C`` (C symmetric positive semi-definite)."""
    ev, U = np.linalg.eigh(C)
    return np.sqrt(np.clip(ev, 0, None))[:, None] * U.T


def stream_refit(est, series, *, chunk_rows: int | None = None) -> str | None:
    """Refit a fitted :class:`~discover.operators.dmd.DMD` on every row of ``series`` (see the module docs).

    Keeps the estimator's rank, variant and channel weights (``scale_``);
    returns None when refitted, else why not.
    """
    from .dmd import DMD, _thin

    check_is_fitted(est, "eigenvalues_")
    if est.embedding_ is not None:
        return f"not streamed: the fit is delay-embedded (delays={est.delays_})"
    if est.B_ is not None:
        return "not streamed: DMDc (inputs)"
    if est.variant_ == "bop":
        return "not streamed: BOP-DMD draws bags of the snapshots themselves"
    data = as_data(series, owner="DMD")
    if tuple(data.variables) != tuple(est.variables_):
        raise DataError(f"stream_refit needs the columns of the fit {list(est.variables_)}; "
                        f"got {list(data.variables)}")
    if not data.regular:
        return "not streamed: irregular time steps"
    chunk = int(chunk_rows or DEFAULT_CHUNK_ROWS)
    n, r, w = data.n_features, int(est.rank_), est.scale_
    dt = est.dt_ = data.dt
    lengths = [len(x) for x in data.xs]
    with task("dmd: Gram matrices over every row", total=3 * count_blocks(lengths, chunk)) as update:
        G, _, m1 = lagged_moments(data.xs, (0, 1), chunk_rows=chunk, scale=w, update=update)
        s2, U = _descending_eigh(G[:n, :n])
        s = np.sqrt(np.clip(s2, 0, None))
        if r > n or s[r - 1] <= 0:
            return f"not streamed: rank {r} exceeds the rank of the rows"
        V, sr = U[:, :r], s[:r]
        P = np.zeros((2 * n, 2 * r))
        P[:n, :r] = P[n:, r:] = V
        C = P.T @ G @ P  # Gram of [Z1, Z2]
        C11, C12, C22 = C[:r, :r], C[:r, r:], C[r:, r:]
        tail = float(np.sum(s2[r:].clip(0)))
        noise_ratio = float(np.sqrt(tail / max(float(np.sum(s2.clip(0))), 1e-300)))
        sigma = gd_noise_sigma(s, (m1, n)) if s.size >= min(m1, n) and r < s.size else 0.0
        if w is None:  # as DMD._decompose: the time differences cap a median that is signal
            noise = difference_noise(data.xs)
            sigma = capped_noise(sigma, noise)
        sigma = sigma if noise_ratio > 1e-8 else 0.0

        variant, fallback, Bs = est.variant_, None, None
        if variant == "opt":
            try:
                with np.errstate(all="ignore"):
                    lam0 = np.linalg.eigvals(DMD._fb_combine(np.linalg.solve(C11, C12), np.linalg.solve(C22, C12.T)))
                    if np.any(np.abs(lam0) < 1e-200) or not np.all(np.isfinite(lam0)):
                        raise np.linalg.LinAlgError("a zero eigenvalue has no continuous-time counterpart")
                    alpha0 = np.log(lam0.astype(complex)) / dt
                    ts = [t - t[0] for t in data.ts]
                    _, _, stride = _thin(ts, ts, alpha0)
                    zs = [(x[::stride] if w is None else x[::stride] / w) @ V for x in data.xs]
                    # two starts: forward-backward DMD of every row (the in-memory fit's start) and the first
                    # fit's eigenvalues; the better optimum is kept. Over a long record the cost oscillates in
                    # the frequencies with a period of about 1 / duration, and a start off by more than that
                    # ends in a local minimum (3·10⁶ rows of 5 oscillators: 3.8e-4 from the fb start alone,
                    # 9e-8 on the subsample)
                    starts = [alpha0]
                    first = np.asarray(est.continuous_eigenvalues_, complex)
                    if first.shape == alpha0.shape and np.all(np.isfinite(first)):
                        starts.append(first)
                    best = None
                    for a0 in starts:
                        fit = est._varpro([t[::stride] for t in ts], zs, a0, stride=stride)
                        if np.all(np.isfinite(fit[0])) and (best is None or fit[2]["cost"] < best[2]["cost"]):
                            best = fit
                    if best is None:
                        raise np.linalg.LinAlgError("non-finite eigenvalues")
                    alpha, Bs, info = best
                    Qr = DMD._modes_from_B(Bs)
                    lam = np.exp(alpha * dt)
                    K = (Qr @ np.diag(lam) @ np.linalg.inv(Qr)).T
                if not (np.all(np.isfinite(alpha)) and np.all(np.isfinite(K))):
                    raise np.linalg.LinAlgError("non-finite eigenvalues")
                est.solver_info_ = info
            except (np.linalg.LinAlgError, ValueError) as exc:
                fallback = f"optimized DMD failed ({exc}); exact DMD used instead"
                variant, Bs = "exact", None
        if variant in ("exact", "fb", "tls"):
            if variant == "exact":
                K = C12 / (sr ** 2)[:, None]
            elif variant == "fb":
                K = DMD._fb_combine(np.linalg.solve(C11, C12), np.linalg.solve(C22, C12.T))
            else:  # tls: Z1, Z2 projected on the leading r left singular vectors of [Z1, Z2]
                e2, P2 = _descending_eigh(C)
                M = (P2[:, :r].T @ C) / np.sqrt(np.clip(e2[:r], 1e-300, None))[:, None]
                K = np.linalg.lstsq(M[:, :r], M[:, r:], rcond=None)[0]
            lam, Qr = np.linalg.eig(K.T)
            lam_c = np.where(np.abs(lam) < 1e-200, 1e-200, lam).astype(complex)
            alpha = np.log(lam_c) / dt
        if not np.all(np.isfinite(lam)):
            return "not streamed: non-finite eigenvalues on the full data"
        Qr = Qr / np.linalg.norm(Qr, axis=0)

        # modes in the full space (and, with channel weights, in the data's units)
        modes = real_times(G[n:, :n] @ V / sr ** 2 if variant == "exact" else V, Qr)
        if w is not None:
            modes = modes * w[:, None]
        nrm = np.linalg.norm(modes, axis=0)
        nrm[nrm == 0] = 1

        # amplitudes per trajectory: from variable projection, or least squares over every snapshot
        amps = []
        for k, (t, x) in enumerate(zip(data.ts, data.xs)):
            if Bs is not None:
                amps.append(DMD._amps_from_B(Bs[k], Qr))
                continue
            PE, rhs = np.zeros((r, r), complex), np.zeros(r, complex)
            for lo, hi, _, _ in row_blocks(len(x), chunk):
                E = np.exp(np.outer(t[lo:hi] - t[0], alpha))
                z = (x[lo:hi] if w is None else x[lo:hi] / w) @ V
                PE += E.conj().T @ E
                rhs += np.einsum("tj,tj->j", E.conj(), z @ Qr.conj())
                update()
            Pm = PE * (Qr.conj().T @ Qr)
            try:
                amps.append(np.linalg.solve(Pm, rhs))
            except np.linalg.LinAlgError:
                amps.append(np.linalg.lstsq(Pm, rhs, rcond=None)[0])

        est.variant_, est.fallback_ = variant, fallback
        est.K_, est.V_, est.Qr_ = K, V, Qr
        est.eigenvalues_, est.continuous_eigenvalues_ = lam, alpha
        est.modes_ = modes / nrm
        if w is None:
            est.traj_amplitudes_, est._mode_norms = amps, None
        else:
            est.traj_amplitudes_, est._mode_norms = [b * nrm for b in amps], nrm
        est.amplitudes_ = est.traj_amplitudes_[0]
        est.noise_ratio_ = noise_ratio
        if w is None:
            est.noise_level_ = sigma
        est.last_ = (data.ts[-1] - data.ts[-1][0], np.array(data.xs[-1][-1], float), len(data.ts) - 1)

        # reconstruction error over every row, in the data's units
        num = den = 0.0
        for k, (t, x) in enumerate(zip(data.ts, data.xs)):
            for lo, hi, _, _ in row_blocks(len(x), chunk):
                xk = np.asarray(x[lo:hi], float)
                num += float(np.sum((xk - est._synth(k, t[lo:hi] - t[0])) ** 2))
                den += float(np.sum(xk ** 2))
                update()
    est.reconstruction_error_ = float(np.sqrt(num / max(den, 1e-300)))

    # residual DMD from a square root of the Gram of [Z1, Z2] (the same norms as the snapshots give)
    R = _root(C)
    R1, R2 = R[:, :r], R[:, r:]
    Geig = np.linalg.inv(Qr).T
    est.eigenfunction_coefficients_ = Geig
    est._psi = (R1, R2)
    res = eigenpair_residuals(R1, R2, lam, Geig)
    floor = expected_noise_residual(sigma, m1, R1, lam, Geig) if sigma > 0 else np.zeros_like(res)
    est.residuals_, est.noise_residuals_ = res, floor
    est.residual_flags_ = (res > est.residual_threshold + 3 * floor) | (floor > 0.25)
    est.spurious_ = est.residual_flags_.copy()
    est.stable_ = est.eigenvalue_intervals_ = est.stability_deviation_ = None
    est.eigenvalue_std_ = None
    est.stability_note_ = "window test skipped (refitted on every row in chunks): residual test only"
    est.streamed_ = (f"refitted on all {sum(lengths):,} rows in chunks of {chunk:,} (rank {r}, variant "
                     f"{est.variant_}{', channel weights' if w is not None else ''} chosen on the rows of the first fit)")
    return None
