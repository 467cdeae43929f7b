"""Linear algebra shared by the operator methods.

Everything works on snapshot matrices in the project's layout,
``(n_samples, n_features)``: rows are times. Nothing here forms an ``n×n``
matrix in the state dimension ``n``; wide data go through the ``m×m`` Gram
matrix of the snapshots (method of snapshots), accumulated over column chunks
so that a :class:`numpy.memmap` is read once, block by block.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "gd_omega",
    "gd_noise_sigma",
    "difference_noise",
    "capped_noise",
    "optimal_rank",
    "snapshot_svd",
    "temporal_svd",
    "match_eigenvalues",
]

#: How far above a measured noise level the median singular value's noise
#: estimate must be before the spectrum is taken to have no noise bulk.
NO_BULK = 4.0

#: Columns per block when the Gram matrix is accumulated from a large array.
CHUNK = 8192

#: Above this many values a reduction that BLAS does not do (a sum, per-column energies) is split over threads.
THREADED_MIN = 4_000_000


def reduction_threads() -> int:
    """Threads for the reductions of :func:`in_threads`: the BLAS setting (``OMP_NUM_THREADS`` …) when
    given, else the CPUs this process may use, at most 8."""
    import os

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        try:
            return max(1, min(int(os.environ[var]), 8))
        except (KeyError, ValueError):
            continue
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # not on Linux
        return max(1, min(os.cpu_count() or 1, 8))


def in_threads(fn, X: np.ndarray, axis: int) -> list:
    """``[fn(block) for block in X split along axis]``, the blocks in threads (NumPy's loops release the GIL).

    Memory-bound passes (a sum, ``Σ x²`` per column) run on one core in
    NumPy; on a 10⁵ × 500 array two threads halve them. Small arrays, or one
    thread, get one call.
    """
    k = reduction_threads() if X.size > THREADED_MIN else 1
    if k == 1:
        return [fn(X)]
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, X.shape[axis], k + 1).astype(int)
    blocks = [X[a:b] if axis == 0 else X[:, a:b] for a, b in zip(edges[:-1], edges[1:])]
    with ThreadPoolExecutor(k) as pool:
        return list(pool.map(fn, blocks))
#: A singular value beyond the rank above this fraction of the largest one
#: means a noise tail that dwarfs the Gram matrix's rounding error.
NOISY_TAIL = 1e-4


def gd_omega(beta: float) -> float:
    """Gavish–Donoho coefficient ω(β) for the optimal hard threshold with unknown noise.

    The threshold on singular values is ``ω(β) · median(s)``, ``β`` the aspect
    ratio (short side / long side) of the matrix.
    """
    beta = min(max(float(beta), 1e-12), 1.0)
    return 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43


def gd_noise_sigma(s: np.ndarray, shape: tuple[int, int]) -> float:
    """Noise level per entry estimated from all singular values (Gavish–Donoho, unknown noise).

    ``σ = median(s) / sqrt(max(m, n) · μ_β)`` with ``μ_β`` the median of the
    Marchenko–Pastur law, recovered here from ``ω(β) = λ*(β) / sqrt(μ_β)``.
    """
    m, n = shape
    beta = min(m, n) / max(m, n)
    lam_star = np.sqrt(2 * (beta + 1) + 8 * beta / ((beta + 1) + np.sqrt(beta**2 + 14 * beta + 1)))
    sqrt_mu = lam_star / gd_omega(beta)
    return float(np.median(s) / (np.sqrt(max(m, n)) * sqrt_mu))


def difference_noise(xs, *, order: int = 3, rows: int = 1000, stretches: int = 4, max_trajectories: int = 8,
                     scale=None) -> float:
    """Noise level per entry of snapshot rows, from their differences in time.

    White noise of level ``σ`` gives a ``k``-th difference of variance
    ``C(2k, k) σ²``, while a signal sampled finely enough is nearly removed
    by it. Each channel's level is a robust spread (1.4826 · MAD) of its
    ``order``-th differences over up to ``stretches`` stretches of ``rows``
    consecutive rows (fewer, down to 50, when there are many columns) in each
    of up to ``max_trajectories`` trajectories: a few hundred to a few
    thousand differences per channel, enough for a spread known to a few
    per cent, at a cost far below one pass over the data. The largest over
    the channels is returned, since the top of the noise singular values of
    a tall matrix is set by its noisiest channel. A signal too coarse for its differences to
    vanish makes this an over-estimate, never an under-estimate, so it is
    only ever used as a cap on the spectrum's own (median) estimate.

    ``xs`` is one ``(n_samples, n_features)`` array or a list of them (one
    per trajectory; differences never cross two trajectories); ``scale``
    (one factor per column) gives the level of the scaled columns. Returns
    ``inf`` when no trajectory has more than ``order + 8`` rows.
    """
    from math import comb

    xs = [xs] if isinstance(xs, np.ndarray) else list(xs)
    xs = [x for x in xs if len(x) > order + 8]
    if len(xs) > max_trajectories:
        xs = [xs[i] for i in np.linspace(0, len(xs) - 1, max_trajectories).astype(int)]
    pieces = []
    for x in xs:
        n = len(x)
        # fewer rows per stretch for many columns (at least 50): the cost stays a few 10^5 numbers
        take = min(n, rows, max(50, 50_000 // max(1, x.shape[1] if x.ndim > 1 else 1)))
        starts = np.unique(np.linspace(0, n - take, max(1, min(stretches, n // take))).astype(int))
        pieces += [np.diff(np.asarray(x[a:a + take], float), n=order, axis=0) for a in starts]
    if not pieces:
        return float("inf")
    D = np.concatenate(pieces)
    if scale is not None:
        D = D * np.asarray(scale, float)
    mad = np.median(np.abs(D - np.median(D, axis=0)), axis=0)
    return float(np.max(1.4826 * mad) / np.sqrt(comb(2 * order, order)))


def capped_noise(sigma: float, noise: float | None) -> float:
    """The spectrum's noise level ``sigma``, or the measured ``noise`` where there is no noise bulk.

    No bulk: ``sigma`` (read from the median singular value) is more than
    ``NO_BULK`` times ``noise`` (:func:`difference_noise`), as in
    :func:`optimal_rank`.
    """
    return noise if noise is not None and 0 < NO_BULK * noise < sigma else sigma


def optimal_rank(s: np.ndarray, shape: tuple[int, int], rank="auto", *, rel_tol: float = 1e-10,
                 noise: float | None = None) -> int:
    """The rank to keep given singular values ``s`` (descending) of a matrix of ``shape``.

    ``rank`` is ``"auto"`` (Gavish–Donoho optimal hard threshold, never above
    the numerical rank), a float in (0, 1) (the smallest rank whose energy
    fraction ``Σ s_i²`` reaches it) or an int (kept as is, capped by the
    number of nonzero singular values).

    ``noise`` (per entry, e.g. :func:`difference_noise`) caps the noise level
    that ``"auto"`` reads from the median singular value. That estimate
    assumes most singular values are noise; a tall matrix whose few columns
    all carry signal (nine sensors of five oscillators) has no noise bulk,
    its median is signal, and the median rule kept one direction of nine.
    When the median's level is more than ``NO_BULK`` times ``noise`` the
    median cannot be noise, and the threshold is the known-noise one at
    level ``noise``, at least twice the Marchenko–Pastur edge. (Red noise,
    the intrinsic noise of real series, has small differences: its
    embeddings read 1.4–1.8 times their difference level, so the margin
    leaves a real bulk alone.)
    """
    s = np.asarray(s, float)
    if s.size == 0 or s[0] <= 0:
        return 0
    numerical = int(np.sum(s > rel_tol * s[0]))
    if isinstance(rank, (int, np.integer)) and not isinstance(rank, bool):
        return int(max(1, min(rank, numerical)))
    if isinstance(rank, float):
        energy = np.cumsum(s**2) / np.sum(s**2)
        return int(min(np.searchsorted(energy, rank) + 1, numerical))
    m, n = shape
    if min(m, n) <= 8:
        # too few singular values for a noise bulk: keep every nonzero direction
        return numerical
    beta = min(m, n) / max(m, n)
    # With fewer singular values than the short side (a truncated sketch) the
    # median is biased: use the ones we have.
    tau = gd_omega(beta) * np.median(s)
    if noise is not None and s.size >= min(m, n) and 0 < NO_BULK * noise < gd_noise_sigma(s, shape):
        lam_star = np.sqrt(2 * (beta + 1) + 8 * beta / ((beta + 1) + np.sqrt(beta**2 + 14 * beta + 1)))
        tau = max(lam_star * np.sqrt(max(m, n)) * noise, 2.0 * noise * (np.sqrt(m) + np.sqrt(n)))
    elif s.size >= min(m, n):
        # Keep clear of the noise bulk: heteroscedastic noise (a noise level
        # per channel) pushes its top well past the Marchenko–Pastur edge
        # σ(√m + √n), and directions just above the edge are mostly noise
        # anyway (their singular vectors barely align with the signal's), so
        # the threshold is at least twice the edge.
        edge = gd_noise_sigma(s, shape) * (np.sqrt(m) + np.sqrt(n))
        tau = max(tau, 2.0 * edge)
    r = int(np.sum(s > tau))
    return int(max(1, min(r, numerical)))


def known_noise_rank(s: np.ndarray, shape: tuple[int, int], sigma: float) -> int:
    """How many of the singular values ``s`` of an ``m×n`` matrix stand above white noise of level ``sigma``.

    Gavish–Donoho's optimal hard threshold for a known noise level,
    ``λ*(β) √max(m, n) σ``: for data whose noise is equal in every entry
    (e.g. channels whitened by their estimated noise levels).
    """
    m, n = shape
    if sigma <= 0 or min(m, n) < 1:
        return 0
    beta = min(m, n) / max(m, n)
    lam_star = np.sqrt(2 * (beta + 1) + 8 * beta / ((beta + 1) + np.sqrt(beta**2 + 14 * beta + 1)))
    return int(np.sum(np.asarray(s, float) > lam_star * np.sqrt(max(m, n)) * sigma))


def _gram(X: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """``X Xᵀ`` (m×m), accumulated over blocks of columns for large or memory-mapped X."""
    m, n = X.shape
    if n <= chunk and not isinstance(X, np.memmap):
        Xf = np.asarray(X, float)
        return Xf @ Xf.T
    G = np.zeros((m, m))
    for j in range(0, n, chunk):
        B = np.asarray(X[:, j:j + chunk], float)
        G += B @ B.T
    return G


def _times_right(X: np.ndarray, M: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """``Xᵀ M`` (n×k) computed block by block over the columns of X."""
    m, n = X.shape
    if not isinstance(X, np.memmap):  # one product (Mᵀ X)ᵀ: 2-3x faster than blocks of Xᵀ M
        Xf = np.asarray(X, float)
        if np.iscomplexobj(M):  # never a complex copy of X
            return (M.real.T @ Xf + 1j * (M.imag.T @ Xf)).T
        return (M.T @ Xf).T
    out = np.empty((n, M.shape[1]), dtype=np.result_type(float, M.dtype))
    for j in range(0, n, chunk):
        out[j:j + chunk] = np.asarray(X[:, j:j + chunk], float).T @ M
    return out


def temporal_svd(X: np.ndarray, *, method: str = "auto", rank="auto", random_state=None,
                 chunk: int = CHUNK, noise: float | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Temporal singular vectors and singular values of snapshot rows ``X`` (m×n).

    Returns ``(W, s, r)``: ``W`` (m×k) the left singular vectors (one row per
    time), ``s`` (k,) all singular values computed (descending) and ``r`` the
    rank chosen by :func:`optimal_rank`. Spatial vectors are never formed
    here; ``X = W diag(s) Vᵀ`` gives them as ``V = Xᵀ W / s`` when needed.

    ``method``: ``"svd"`` (LAPACK economy SVD), ``"gram"`` (eigenvectors of
    the m×m Gram matrix, refined by one subspace iteration so the leading
    vectors keep full precision), ``"randomized"`` (a sketch of a few more
    columns than the rank) or ``"auto"`` (``"svd"`` for small data, ``"gram"``
    when there are many more columns than rows). ``noise`` is passed to
    :func:`optimal_rank`.
    """
    from ._common import blas_threads

    with blas_threads(X.shape[0] * X.shape[1]):
        return _temporal_svd(X, method, rank, random_state, chunk, noise)


def _temporal_svd(X, method, rank, random_state, chunk, noise=None):
    m, n = X.shape
    if method == "auto":
        method = "gram" if (n > 4 * m and m * n > 2_000_000) or isinstance(X, np.memmap) else "svd"
    if method == "svd":
        U, s, _ = np.linalg.svd(np.asarray(X, float), full_matrices=False)
        return U, s, optimal_rank(s, (m, n), rank, noise=noise)
    if method == "gram":
        G = _gram(X, chunk)
        w, U = np.linalg.eigh(G)
        w, U = w[::-1], U[:, ::-1]
        s = np.sqrt(np.clip(w, 0, None))
        # singular values below sqrt(eps)·s0 are not resolved by the Gram matrix
        r = optimal_rank(s, (m, n), rank, rel_tol=1e-7, noise=noise)
        if r < s.size and s[r] > NOISY_TAIL * s[0]:
            # noisy data: the Gram matrix's rounding (eps·s0² in G) moves the
            # leading vectors by ~1e-8 of what the noise tail already moves them;
            # a refinement (two more passes over the data) would buy nothing
            return U, s, r
        # one subspace iteration recovers full precision for the leading vectors
        k = min(m, r + 2)
        V = _times_right(X, U[:, :k], chunk)
        Q, _ = np.linalg.qr(V)
        B = _xq(X, Q, chunk)
        Ub, sb, _ = np.linalg.svd(B, full_matrices=False)
        U = np.concatenate([Ub, U[:, k:] - Ub @ (Ub.T @ U[:, k:])], axis=1) if k < m else Ub
        s = np.concatenate([sb, s[k:]])
        return U, s, r
    if method == "randomized":
        rng = np.random.default_rng(random_state)
        k = min(m, n, (rank if isinstance(rank, int) and not isinstance(rank, bool) else 40) + 10)
        Om = rng.standard_normal((n, k))
        Y = _xq(X, Om, chunk)
        for _ in range(2):  # power iterations
            Y, _ = np.linalg.qr(Y)
            Z, _ = np.linalg.qr(_times_right(X, Y, chunk))
            Y = _xq(X, Z, chunk)
        Q, _ = np.linalg.qr(Y)
        B = _times_right(X, Q, chunk).T  # k×n
        Ub, s, _ = np.linalg.svd(B, full_matrices=False)
        U = Q @ Ub
        r = optimal_rank(s, (m, n), rank, noise=noise)
        return U, s, r
    raise ValueError(f"unknown SVD method {method!r}")


def real_times(V: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``V @ Q`` for a real ``V`` (n×r, n large) and a possibly complex ``Q`` (r×k).

    NumPy would first copy ``V`` to complex and multiply in complex
    arithmetic (four times the flops, twice the memory); two real products
    give the same numbers.
    """
    if np.iscomplexobj(Q) and not np.iscomplexobj(V):
        out = np.empty((V.shape[0], Q.shape[1]), dtype=np.result_type(V.dtype, Q.dtype))
        out.real = V @ Q.real
        out.imag = V @ Q.imag
        return out
    return V @ Q


def unit_columns(B: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The columns of ``B Q`` scaled to unit length, and their lengths (0 → 1).

    ``B`` is tall (n×r, n large), ``Q`` small: the lengths come from the
    r×r Gram matrix ``BᵀB`` and ``Q`` is scaled before the one product, so
    nothing of size n×r is read more than once.
    """
    G = B.T @ B
    nrm = np.sqrt(np.maximum(np.einsum("ij,ik,kj->j", Q.conj(), G, Q).real, 0.0))
    nrm[~(nrm > 0)] = 1.0
    return real_times(B, Q / nrm), nrm


def _xq(X: np.ndarray, Q: np.ndarray, chunk: int = CHUNK) -> np.ndarray:
    """``X Q`` (m×k) for Q of shape (n×k), block by block over the columns of X."""
    m, n = X.shape
    if not isinstance(X, np.memmap):
        Xf = np.asarray(X, float)
        return Xf @ Q.real + 1j * (Xf @ Q.imag) if np.iscomplexobj(Q) else Xf @ Q
    out = np.zeros((m, Q.shape[1]), dtype=np.result_type(float, Q.dtype))
    for j in range(0, n, chunk):
        out += np.asarray(X[:, j:j + chunk], float) @ Q[j:j + chunk]
    return out


def snapshot_svd(X: np.ndarray, **kw) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Truncated SVD ``X ≈ W diag(s) Vᵀ`` of snapshot rows: returns ``(W_r, s_r, V_r, r)``."""
    W, s, r = temporal_svd(X, **kw)
    Wr, sr = W[:, :r], s[:r]
    V = _times_right(X, Wr, kw.get("chunk", CHUNK)) / sr
    return Wr, sr, V, r


def match_eigenvalues(estimate, truth) -> np.ndarray:
    """Errors ``|estimate - truth|`` after an optimal one-to-one matching (Hungarian).

    Returns one error per true eigenvalue (``inf`` for those left unmatched
    when fewer were estimated).
    """
    from scipy.optimize import linear_sum_assignment

    estimate = np.asarray(estimate, complex).ravel()
    truth = np.asarray(truth, complex).ravel()
    if estimate.size == 0:
        return np.full(truth.size, np.inf)
    C = np.abs(truth[:, None] - estimate[None, :])
    rows, cols = linear_sum_assignment(C)
    err = np.full(truth.size, np.inf)
    err[rows] = C[rows, cols]
    return err
