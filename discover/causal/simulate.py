"""Systems with known causal graphs, for the cases, the tests and the benchmark.

Each generator returns ``(series, truth)`` where ``truth`` is a list of
``(source, target, lag)`` triples over the series' variable names. Lags of
generated discrete-time data count samples; for continuous-time systems
(Lorenz-96, Ornstein–Uhlenbeck, coupled oscillators) the truth has lag 1 ("one step of the dynamics") and the summary
graph (any lag) is what is compared.

Examples
--------
>>> from discover.causal.simulate import svar
>>> series, truth = svar(d=5, n=200, seed=0)
>>> series.n_variables, series.n_samples
(5, 200)
>>> all(len(e) == 3 for e in truth)
True
"""

from __future__ import annotations

import numpy as np

from ..data import Series, Trajectory

__all__ = ["svar", "svar_matrices", "pamfil", "pamfil_matrices", "lorenz96", "summary_edges", "ou", "ou_matrix",
           "coupled_oscillators"]


def svar_matrices(d: int, *, max_lag: int = 2, contemporaneous_degree: float = 1.0,
                  lagged_degree: float = 1.0, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random sparse structural VAR coefficients ``W`` (a DAG) and ``A_1..A_p``.

    ``W[i, j] != 0`` means ``x_i(t) -> x_j(t)``; ``A_k[i, j] != 0`` means
    ``x_i(t-k) -> x_j(t)``. Weights are drawn from ``±[0.4, 0.8]``
    (contemporaneous) and ``±[0.2, 0.5]`` (lagged), then the lagged part is
    scaled down until the process is stable.
    """
    rng = np.random.default_rng(seed)

    def weights(shape, lo, hi):
        return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)

    order = rng.permutation(d)
    W = np.zeros((d, d))
    p_w = min(1.0, 2 * contemporaneous_degree / max(d - 1, 1))
    for a in range(d):
        for b in range(a + 1, d):
            if rng.random() < p_w:
                W[order[a], order[b]] = weights((), 0.4, 0.8)
    A = []
    p_a = min(1.0, lagged_degree / d)
    for k in range(max_lag):
        Ak = np.where(rng.random((d, d)) < p_a / (k + 1), weights((d, d), 0.2, 0.5), 0.0)
        A.append(Ak)
    # x_t = x_t W + sum_k x_{t-k} A_k + e  =>  x_t = sum_k x_{t-k} A_k (I - W)^{-1} + ...
    inv = np.linalg.inv(np.eye(d) - W)
    for _ in range(50):
        comp = np.zeros((d * max_lag, d * max_lag))
        for k, Ak in enumerate(A):
            comp[:d, k * d:(k + 1) * d] = (Ak @ inv).T
        if max_lag > 1:
            comp[d:, :-d] = np.eye(d * (max_lag - 1))
        if np.max(np.abs(np.linalg.eigvals(comp))) < 0.9:
            break
        A = [0.8 * Ak for Ak in A]
    return W, A


def summary_edges(W: np.ndarray, A: list[np.ndarray], names) -> list[tuple[str, str, int]]:
    """``(source, target, lag)`` triples of nonzero entries (self-lags included)."""
    out = [(names[i], names[j], 0) for i, j in zip(*np.nonzero(W))]
    for k, Ak in enumerate(A, start=1):
        out += [(names[i], names[j], k) for i, j in zip(*np.nonzero(Ak))]
    return out


def _structural_var(e: np.ndarray, A: list[np.ndarray], inv: np.ndarray) -> np.ndarray:
    """``x_t = (e_t + sum_k x_{t-k} A_k) (I - W)^{-1}`` from ``x = 0`` before the first row (``inv`` is
    ``(I - W)^{-1}``): the recursion of a structural VAR, for :func:`svar` and :func:`pamfil`."""
    x = np.zeros_like(e)
    for t in range(len(e)):
        acc = e[t].copy()
        for lag, Ak in enumerate(A, start=1):
            if t - lag >= 0:
                acc += x[t - lag] @ Ak
        x[t] = acc @ inv
    return x


def svar(d: int = 5, n: int = 500, *, max_lag: int = 2, n_trajectories: int = 1, noise_scale: float = 1.0,
         scales=None, seed: int = 0, burn_in: int = 100, **kwargs) -> tuple[Series, list]:
    """A linear structural VAR with contemporaneous and lagged edges.

    ``x_t = x_t W + x_{t-1} A_1 + ... + x_{t-p} A_p + e_t`` with Gaussian
    noise whose standard deviation differs between variables (0.5 to 1.5
    times ``noise_scale``). ``scales`` multiplies the columns afterwards
    (the graph does not change). ``n`` counts samples per trajectory.
    """
    rng = np.random.default_rng(seed + 1)
    W, A = svar_matrices(d, max_lag=max_lag, seed=seed, **kwargs)
    inv = np.linalg.inv(np.eye(d) - W)
    sd = noise_scale * rng.uniform(0.5, 1.5, d)
    names = tuple(f"x{i}" for i in range(d))
    trajs = []
    for k in range(n_trajectories):
        total = n + burn_in
        x = _structural_var(rng.standard_normal((total, d)) * sd, A, inv)[burn_in:]
        if scales is not None:
            x = x * np.asarray(scales, float)
        trajs.append(Trajectory(np.arange(n, dtype=float), x, name=f"svar-{k}"))
    series = Series(tuple(trajs), names, source="discover.causal.simulate:svar",
                    meta={"W": W, "A": A})
    return series, summary_edges(W, A, names)


def _companion_radius(W: np.ndarray, A: list[np.ndarray]) -> float:
    """Spectral radius of the reduced-form VAR ``x_t = sum_k x_{t-k} A_k (I - W)^{-1} + ...``."""
    d, p = len(W), len(A)
    inv = np.linalg.inv(np.eye(d) - W)
    comp = np.zeros((d * p, d * p))
    for k, Ak in enumerate(A):
        comp[:d, k * d:(k + 1) * d] = (Ak @ inv).T
    if p > 1:
        comp[d:, :-d] = np.eye(d * (p - 1))
    return float(np.max(np.abs(np.linalg.eigvals(comp)))) if p else 0.0


def pamfil_matrices(d: int, *, max_lag: int = 2, w_degree: float = 2.0, a_degree: float = 1.0,
                    eta: float = 1.5, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """``W`` and ``A_1..A_p`` drawn as in Pamfil et al. (2020), Sec. 5 (the DYNOTEARS benchmark).

    ``W``: an Erdős–Rényi DAG over a random order of the variables with
    expected degree ``w_degree`` (in + out edges of a node), weights
    uniform on ``[-2, -0.5] ∪ [0.5, 2]``. ``A_k``: Erdős–Rényi with expected
    in-degree ``a_degree`` per lag (self-lags possible), weights uniform on
    ``±[0.3, 0.5] · eta^-(k-1)``. The lagged part is then multiplied by 0.9
    until the process is stable (spectral radius of the companion matrix
    below 1); ``W`` is never rescaled.
    """
    rng = np.random.default_rng(seed)

    def weights(shape, lo, hi):
        return rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)

    order = rng.permutation(d)
    W = np.zeros((d, d))
    p_w = min(1.0, w_degree / max(d - 1, 1))
    for a in range(d):
        for b in range(a + 1, d):
            if rng.random() < p_w:
                W[order[a], order[b]] = weights((), 0.5, 2.0)
    p_a = min(1.0, a_degree / d)
    A = []
    for k in range(1, max_lag + 1):
        decay = eta ** -(k - 1)
        A.append(np.where(rng.random((d, d)) < p_a, weights((d, d), 0.3 * decay, 0.5 * decay), 0.0))
    for _ in range(200):
        if _companion_radius(W, A) < 1.0:
            break
        A = [0.9 * Ak for Ak in A]
    return W, A


def pamfil(d: int = 20, n: int = 2000, *, max_lag: int = 2, w_degree: float = 2.0, a_degree: float = 1.0,
           noise: str = "gaussian", eta: float = 1.5, n_trajectories: int = 1, seed: int = 0,
           burn_in: int = 200) -> tuple[Series, list]:
    """A structural VAR made the way the DYNOTEARS paper makes its benchmark (Pamfil et al., 2020, Sec. 5).

    ``X_t = X_t W + X_{t-1} A_1 + ... + X_{t-p} A_p + Z_t`` with ``W``, ``A_k``
    from :func:`pamfil_matrices` and ``Z_t`` standard Gaussian
    (``noise="gaussian"``) or standard exponential minus its mean 1
    (``noise="exponential"``), the same scale for every variable. The
    contemporaneous weights (up to 2) are much stronger than those of
    :func:`svar` (up to 0.8), so the variables far down the causal order
    have large variances. The paper's grid: ``d`` in {5, 10, 20, 50}, ``n``
    in {200, 500, 1000, 2000}, ``w_degree`` from 1 to 4.

    Examples
    --------
    >>> series, truth = pamfil(d=5, n=200, seed=0)
    >>> series.n_samples, sorted({lag for _, _, lag in truth}) <= [0, 1, 2]
    (200, True)
    """
    if noise not in ("gaussian", "exponential"):
        raise ValueError(f"noise must be 'gaussian' or 'exponential'; got {noise!r}")
    W, A = pamfil_matrices(d, max_lag=max_lag, w_degree=w_degree, a_degree=a_degree, eta=eta, seed=seed)
    rng = np.random.default_rng([seed, 1])
    inv = np.linalg.inv(np.eye(d) - W)
    names = tuple(f"x{i}" for i in range(d))
    trajs = []
    for k in range(n_trajectories):
        total = n + burn_in
        if noise == "gaussian":
            z = rng.standard_normal((total, d))
        else:
            z = rng.exponential(1.0, (total, d)) - 1.0
        x = _structural_var(z, A, inv)
        trajs.append(Trajectory(np.arange(n, dtype=float), x[burn_in:], name=f"pamfil-{k}"))
    series = Series(tuple(trajs), names, source="discover.causal.simulate:pamfil",
                    meta={"W": W, "A": A, "noise": noise})
    return series, summary_edges(W, A, names)


def _l96_drift(x: np.ndarray, forcing: float) -> np.ndarray:
    d = x.shape[-1]
    i = np.arange(d)
    return (x[..., (i + 1) % d] - x[..., (i - 2) % d]) * x[..., (i - 1) % d] - x + forcing


def lorenz96(d: int = 10, *, forcing: float = 10.0, n: int = 2000, dt: float = 0.01, sigma: float = 0.0,
             n_trajectories: int = 1, irregular: bool = False, keep: float = 0.3, seed: int = 0,
             burn_in: float = 5.0, substeps: int = 10, obs_times: str = "grid", n_obs: int = 50,
             t_max: float = 25.0) -> tuple[Series, list]:
    """Lorenz-96 ``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F``, as an ODE or an SDE.

    Integrated with fourth-order Runge–Kutta (``sigma = 0``) or
    Euler–Maruyama with diffusion ``sigma`` (``substeps`` inner steps per
    sample). ``irregular=True`` keeps a random fraction ``keep`` of the
    ``n`` samples of each trajectory, in random bursts with large gaps
    between them. ``obs_times="uniform"`` observes each trajectory at
    ``n_obs`` distinct times drawn uniformly at random from the grid of step
    ``dt`` on ``[0, t_max]`` (``n`` is then ignored): many short, gappy
    trajectories, mean gap about ``t_max / n_obs``. The truth:
    ``x_{i-1}, x_{i+1}, x_{i-2} -> x_i`` (lag 1) and the self-loop ``x_i -> x_i``.
    """
    rng = np.random.default_rng(seed)
    if obs_times not in ("grid", "uniform"):
        raise ValueError(f"obs_times must be 'grid' or 'uniform', got {obs_times!r}")
    if obs_times == "uniform":
        n = int(round(t_max / dt)) + 1
        if n_obs > n:
            raise ValueError(f"n_obs={n_obs} is more than the {n} grid times on [0, {t_max}] at dt={dt}")
    names = tuple(f"x{i}" for i in range(d))
    h = dt / substeps
    trajs = []
    for k in range(n_trajectories):
        x = forcing + rng.normal(0, 1.0, d)
        n_burn = int(round(burn_in / h))
        out = np.empty((n, d))
        total = n_burn + n * substeps
        for step in range(total):
            if sigma > 0:
                x = x + h * _l96_drift(x, forcing) + sigma * np.sqrt(h) * rng.standard_normal(d)
            else:
                k1 = _l96_drift(x, forcing)
                k2 = _l96_drift(x + 0.5 * h * k1, forcing)
                k3 = _l96_drift(x + 0.5 * h * k2, forcing)
                k4 = _l96_drift(x + h * k3, forcing)
                x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            if step >= n_burn and (step - n_burn + 1) % substeps == 0:
                out[(step - n_burn + 1) // substeps - 1] = x
        t = np.arange(n) * dt
        if irregular:
            mask = np.zeros(n, bool)
            while mask.mean() < keep:
                start = rng.integers(0, n)
                mask[start:start + rng.integers(5, 40)] = True
            # thin the bursts too, so steps inside them are uneven
            mask &= rng.random(n) < 0.8
            mask[0] = True
            out, t = out[mask], t[mask]
        elif obs_times == "uniform":
            pick = np.sort(rng.choice(n, n_obs, replace=False))
            out, t = out[pick], t[pick]
        trajs.append(Trajectory(t, out, name=f"lorenz96-{k}"))
    truth = []
    for i in range(d):
        for src in ((i - 1) % d, (i + 1) % d, (i - 2) % d, i):
            truth.append((names[src], names[i], 1))
    series = Series(tuple(trajs), names, source="discover.causal.simulate:lorenz96",
                    meta={"forcing": forcing, "sigma": sigma})
    return series, truth


def ou_matrix(d: int, *, degree: float = 1.0, decay=(1.0, 2.0), coupling=(0.5, 1.5), seed: int = 0) -> np.ndarray:
    """Drift matrix ``Θ`` of a sparse, stable multivariate Ornstein–Uhlenbeck process.

    ``Θ[i, i]`` are self-decay rates drawn uniformly from ``decay``; off the
    diagonal a directed Erdős–Rényi graph with expected in-degree ``degree``
    (no self-loops), each edge ``j -> i`` carrying ``-Θ[i, j]`` uniform on
    ``±coupling``. The off-diagonal part is then multiplied by 0.9 until
    every eigenvalue of ``Θ`` has a real part of at least half the smallest
    decay rate, so the process is stationary with a margin; the diagonal is
    never rescaled.
    """
    rng = np.random.default_rng(seed)
    p = min(1.0, degree / max(d - 1, 1))
    mask = (rng.random((d, d)) < p) & ~np.eye(d, dtype=bool)
    off = -rng.uniform(*coupling, (d, d)) * rng.choice([-1.0, 1.0], (d, d)) * mask
    diag = rng.uniform(*decay, d)
    for _ in range(200):
        theta = np.diag(diag) + off
        if np.min(np.linalg.eigvals(theta).real) >= 0.5 * diag.min():
            break
        off = 0.9 * off
    return theta


def ou(d: int = 5, n: int = 1000, *, dt: float = 0.1, degree: float = 1.0, sigma: float = 1.0,
       n_trajectories: int = 1, decay=(1.0, 2.0), coupling=(0.5, 1.5), seed: int = 0) -> tuple[Series, list]:
    """A multivariate Ornstein–Uhlenbeck process ``dX = -Θ (X - μ) dt + diag(s) dW`` on a sparse random graph.

    The linear-SDE setting of continuous-time structure learning: a
    stable drift matrix with self-decay on its diagonal and a sparse random
    directed graph off it, the setting of sparse OU drift estimation (e.g.
    Gaïffas & Matulewicz 2019, "Sparse inference of the drift of a
    high-dimensional Ornstein-Uhlenbeck process"); the ranges of the rates
    and couplings are our own (see :func:`ou_matrix`).
    ``μ`` is drawn from a standard normal and the diffusion ``s`` per
    variable uniformly from ``[0.5, 1.5] · sigma``. Sampled every ``dt``
    with the exact Gaussian transition
    ``X(t+dt) = μ + e^{-Θ dt} (X(t) - μ) + η``, ``η ~ N(0, Σ - e^{-Θ dt} Σ e^{-Θ^T dt})``
    (``Σ`` the stationary covariance, from the continuous Lyapunov
    equation), each trajectory started from the stationary law, so no
    burn-in is needed and no discretization error enters. The truth:
    ``x_j -> x_i`` (lag 1) for every ``Θ[i, j] != 0``, ``i != j``, and the
    self-loops ``x_i -> x_i``, as for :func:`lorenz96`; the series' ``meta``
    carries ``theta``, ``mu`` and ``diffusion``.

    Examples
    --------
    >>> series, truth = ou(d=4, n=300, seed=0)
    >>> series.n_variables, series.n_samples
    (4, 300)
    >>> ("x0", "x0", 1) in truth
    True
    """
    from scipy.linalg import cholesky, expm, solve_continuous_lyapunov

    theta = ou_matrix(d, degree=degree, decay=decay, coupling=coupling, seed=seed)
    rng = np.random.default_rng([seed, 2])
    mu = rng.standard_normal(d)
    s = sigma * rng.uniform(0.5, 1.5, d)
    cov = solve_continuous_lyapunov(-theta, -np.diag(s ** 2))
    cov = (cov + cov.T) / 2
    phi = expm(-theta * dt)
    q = cov - phi @ cov @ phi.T
    lq = cholesky((q + q.T) / 2, lower=True)
    lc = cholesky(cov, lower=True)
    names = tuple(f"x{i}" for i in range(d))
    trajs = []
    for k in range(n_trajectories):
        x = np.empty((n, d))
        x[0] = mu + lc @ rng.standard_normal(d)
        noise = rng.standard_normal((n, d)) @ lq.T
        for t in range(1, n):
            x[t] = mu + phi @ (x[t - 1] - mu) + noise[t]
        trajs.append(Trajectory(np.arange(n) * dt, x, name=f"ou-{k}"))
    truth = [(names[j], names[i], 1) for i, j in zip(*np.nonzero(theta))]
    series = Series(tuple(trajs), names, source="discover.causal.simulate:ou",
                    meta={"theta": theta, "mu": mu, "diffusion": s})
    return series, truth


def coupled_oscillators(d: int = 5, n: int = 2000, *, dt: float = 0.05, degree: float = 1.0,
                        coupling=(0.5, 1.0), frequencies=(0.5, 2.0), sigma: float = 0.3, n_trajectories: int = 1,
                        substeps: int = 10, burn_in: float = 10.0, seed: int = 0) -> tuple[Series, list]:
    """Noisy Kuramoto phase oscillators on a random directed graph, observed as ``cos θ_i``, ``sin θ_i``.

    ``dθ_i = (ω_i + Σ_j K_ij sin(θ_j - θ_i)) dt + sigma dW_i`` (the
    Kuramoto model with a directed coupling matrix and phase noise, the
    form used for graph recovery from oscillator data, e.g. the Kuramoto
    data of Kipf et al. 2018, Neural Relational Inference, and
    Löwe et al. 2022, Amortized Causal Discovery). ``K_ij > 0`` (``j``
    drives ``i``) on a directed Erdős–Rényi graph with expected in-degree
    ``degree``, uniform on ``coupling``; natural frequencies ``ω_i``
    uniform on ``frequencies``. Integrated by Euler–Maruyama with
    ``substeps`` inner steps per sample after ``burn_in`` time units.

    A phase is observed on the circle, so each oscillator ``i`` gives two
    columns, ``c{i} = cos θ_i`` and ``s{i} = sin θ_i`` (a Markov state,
    unlike the wrapped angle). The truth, over columns and with lag 1 as
    for :func:`lorenz96`: both columns of ``i`` drive both columns of
    ``i`` (self-loops included) and, for each coupling ``j -> i``, both
    columns of ``j`` drive both of ``i``. ``meta["groups"]`` gives each
    column's oscillator and ``meta["coupling"]`` the matrix ``K``, so a
    benchmark can score the coupling graph between oscillators.

    Examples
    --------
    >>> series, truth = coupled_oscillators(d=3, n=200, seed=0)
    >>> series.variables
    ('c0', 's0', 'c1', 's1', 'c2', 's2')
    >>> ("c0", "s0", 1) in truth
    True
    """
    rng = np.random.default_rng([seed, 3])
    p = min(1.0, degree / max(d - 1, 1))
    mask = (rng.random((d, d)) < p) & ~np.eye(d, dtype=bool)
    K = rng.uniform(*coupling, (d, d)) * mask
    omega = rng.uniform(*frequencies, d)
    h = dt / substeps
    names = tuple(f"{kind}{i}" for i in range(d) for kind in ("c", "s"))
    trajs = []
    for k in range(n_trajectories):
        theta = rng.uniform(0, 2 * np.pi, d)
        n_burn = int(round(burn_in / h))
        out = np.empty((n, d))
        for step in range(n_burn + n * substeps):
            drift = omega + np.sum(K * np.sin(theta[None, :] - theta[:, None]), axis=1)
            theta = theta + h * drift + sigma * np.sqrt(h) * rng.standard_normal(d)
            if step >= n_burn and (step - n_burn + 1) % substeps == 0:
                out[(step - n_burn + 1) // substeps - 1] = theta
        x = np.empty((n, 2 * d))
        x[:, 0::2], x[:, 1::2] = np.cos(out), np.sin(out)
        trajs.append(Trajectory(np.arange(n) * dt, x, name=f"kuramoto-{k}"))
    truth = []
    for i in range(d):
        for j in [i, *np.flatnonzero(K[i])]:
            truth += [(names[2 * j + a], names[2 * i + b], 1) for a in (0, 1) for b in (0, 1)]
    series = Series(tuple(trajs), names, source="discover.causal.simulate:coupled_oscillators",
                    meta={"coupling": K, "omega": omega, "sigma": sigma, "groups": tuple(np.repeat(np.arange(d), 2))})
    return series, truth
