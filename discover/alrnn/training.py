"""Training an AL-RNN: sparse or generalized teacher forcing on random subsequences.

Each batch holds ``batch_size`` random subsequences of ``seq_len`` samples
(from any trajectory, in proportion to its length). The model starts from the
first sample of each subsequence and runs freely, except that its observed
units are forced by the data:

* sparse teacher forcing (``forcing="sparse"``): every ``tau`` steps the
  first N units are overwritten by the data (plus optional Gaussian noise of
  standard deviation ``noise``); the gradient does not flow through the
  overwritten values, only through the latent units that carry on;
* generalized teacher forcing (``forcing="generalized"``): at every step the
  observed units become ``α·data + (1-α)·model``, with ``α`` re-estimated
  every epoch from the Jacobians along the forced trajectories as
  ``α = max(0, 1 - 1/G)``, ``G`` the geometric mean of their spectral norms
  (Hess et al., ICML 2023), so forcing is strong exactly when the model's
  dynamics would blow gradients up.

A ReLU unit whose pre-activation keeps one sign along the forced
trajectories makes no region boundary: always off, it is dead (no gradient
reaches it); always on, it is one more linear unit. At every checkpoint
evaluation each such unit (on for less than ``min_active`` or more than
``1 - min_active`` of the states sampled during the epoch) is shifted by
the median ``c`` of its pre-activations, ``z_u -> z_u - c``, with ``h`` and
the latent start compensated so that the map is unchanged where the unit
kept its sign (exactly for a dead unit; for an always-on unit the
``W[:, u] c`` it contributed moves into ``h``). Its threshold then lies
inside the data and training can use it (:func:`recentre_relu_units`).

The loss is the mean squared error on the observations at every step. Its
gradients are computed by backpropagation through time written out in NumPy
(:func:`_forward_backward`, equal to torch autograd's to rounding): the
recurrence is many small matrix products, and autograd's per-operation
overhead was about 80 % of the time. The parameters live in the torch module
and the torch optimizer steps them. RAdam
(or Adam, ``optimizer="adam"``: RAdam's variance rectification acts as a
warm-up of the order of ``2/(1-β2)`` = 2000 updates, right for long training
and too slow for a few hundred updates) with an exponential decay of the learning rate from ``lr`` to ``lr_end`` over
the epochs (or over ``max_seconds`` when the clock stops training first).
Every ``eval_every`` epochs the model runs freely from ``eval_starts`` places
spread over the training data (:func:`free_runs`), and the parameters with
the lowest ``criterion`` (D_stsp + 10 D_H by default, or D_stsp alone; :func:`checkpoint_scores`)
are kept. A ``KeyboardInterrupt``
stops training and keeps the best model so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..measures import _histogram_cells, hellinger_spectrum_distance, histogram_bins, state_space_divergence
from ..progress import task
from .codes import regions_visited
from .model import WARMUP, ALRNNModule, ALRNNParams, blow_up_bound, warmup_length

__all__ = ["TrainResult", "checkpoint_scores", "criterion_bins", "free_runs", "quarter_spread_ratio",
           "recentre_relu_units", "record_goes_on", "run_spread", "stays_bounded", "train"]


@dataclass
class TrainResult:
    """What :func:`train` gives back."""

    params: ALRNNParams
    best_divergence: float
    best_epoch: int
    epochs_run: int
    seconds: float
    model_steps: int
    interrupted: bool = False
    history: list = field(default_factory=list)
    restart_divergences: list = field(default_factory=list)
    train_seconds: float = 0.0
    best_scores: dict = field(default_factory=dict)
    #: every evaluated checkpoint with a finite criterion: ``(criterion, scores, params, epoch)``
    checkpoints: list = field(default_factory=list)

    @property
    def train_seconds_per_million_steps(self) -> float:
        """The optimisation's cost alone (checkpoint evaluations left out)."""
        return self.train_seconds / max(self.model_steps, 1) * 1e6

    @property
    def seconds_per_million_steps(self) -> float:
        return self.seconds / max(self.model_steps, 1) * 1e6


def _starts(trajectories, length: int, n_starts: int, warmup: int) -> tuple[list[tuple[int, int]], int]:
    """``n_starts`` (trajectory, index) pairs spread evenly over the data, and the common run length."""
    lengths = [len(x) for x, _ in trajectories]
    w = [warmup_length(len(x), warmup) for x, _ in trajectories]
    n = int(min(length, max(m - v for m, v in zip(lengths, w))))
    usable = [(k, m - w[k] - n) for k, m in enumerate(lengths) if m - w[k] - n >= 0]
    total = sum(r + 1 for _, r in usable)
    out = []
    for j in range(max(1, n_starts)):
        pos = int(round(j * (total - 1) / max(n_starts - 1, 1))) if n_starts > 1 else 0
        for k, r in usable:
            if pos <= r:
                out.append((k, w[k] + pos))
                break
            pos -= r + 1
    return sorted(set(out)), n


def _forced_states(params: ALRNNParams, trajectories, starts: list[tuple[int, int]], warmup: int) -> np.ndarray:
    """The model's states at ``starts`` ((trajectory, index) pairs), each forced along the samples before it."""
    z = []
    for k, i in starts:
        x, u = trajectories[k]
        a = i - warmup_length(len(x), warmup)
        z.append(params.forced_state(x[a:i + 1], None if u is None else u[a:i + 1]))
    return np.stack(z)


def _window_runs(params: ALRNNParams, trajectories, length: int, n_starts: int,
                 warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """The whole latent states of :func:`free_runs` (starts × steps × M) and the data over the same windows."""
    starts, n = _starts(trajectories, length, n_starts, warmup)
    z = _forced_states(params, trajectories, starts, warmup)
    U = None
    if trajectories[0][1] is not None:
        U = np.stack([trajectories[k][1][i:i + n] for k, i in starts])
    out = np.full((len(starts), n, params.n_latent), np.nan)
    out[:, 0] = z
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, n):
            z = params.step(z, None if U is None else U[:, t])
            z = np.where(np.abs(z) > 1e8, np.nan, z)
            out[:, t] = z
    return out, _window_data(trajectories, starts, n)


def _window_data(trajectories, starts: list[tuple[int, int]], n: int) -> np.ndarray:
    """The data over the windows of ``n`` samples at ``starts`` (:func:`_starts`), one after the other."""
    return np.concatenate([trajectories[k][0][i:i + n] for k, i in starts])


def free_runs(params: ALRNNParams, trajectories: list[tuple[np.ndarray, np.ndarray | None]],
              length: int = 20000, n_starts: int = 1, warmup: int = WARMUP) -> tuple[np.ndarray, np.ndarray]:
    """Free runs of the model from ``n_starts`` places spread over the data, and the data they are compared with.

    At each start the model is first forced along the preceding ``warmup``
    samples (at most a tenth of the trajectory; :meth:`ALRNNParams.forced_state`),
    so that its latent units are inferred from the data, then runs freely for
    ``length`` steps at most (all starts run together, as one batch). Returns
    ``(runs, data)``, both of shape ``(n_starts * length, N)``: the runs'
    observed units one after the other, and the data over the same windows.
    A run that blows up is NaN from there on.
    """
    out, data = _window_runs(params, trajectories, length, n_starts, warmup)
    return out[:, :, :params.n_obs].reshape(-1, params.n_obs), data


def continued_run(params: ALRNNParams, trajectories: list[tuple[np.ndarray, np.ndarray | None]],
                  length: int = 20000, warmup: int = WARMUP) -> np.ndarray | None:
    """A free run of ``length`` steps past a short record's forced start (observed units), or None.

    The checkpoint runs compare the model with the data over windows of the
    data, so on a series shorter than ``length`` they end with it. Such data
    get this extra run, from the first trajectory's start after its forced
    warm-up, to judge the model beyond the record (:func:`stays_bounded`,
    :func:`checkpoint_scores`); with inputs there is nothing to drive the
    run past the data, and longer series are judged by the windows themselves
    (None).
    """
    x, u = trajectories[0]
    if u is not None or max(len(t) - warmup_length(len(t), warmup) for t, _ in trajectories) >= length:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        return params.run(params.start_state(x, warmup=warmup)[0], length)[:, :params.n_obs]


#: A record whose last quarter spreads (in its most varying unit, relative to the first quarter) less than this
#: is dying out: its future is rest, not more of the same, so the model is judged over the record's own windows,
#: not by its run past the record (:func:`checkpoint_scores`). Stretches of 500 to 3000 samples of Lorenz-63 and
#: Rössler measured 0.77-2.3, the sunspot and El Niño records 1.67 and 1.04, and damped oscillations 0.11-0.69
#: (``cases/damped_oscillator``: 0.53).
ONGOING = 0.7


def quarter_spread_ratio(x: np.ndarray) -> float:
    """How much a record's last quarter spreads against its first, in its most varying unit (inf if too short)."""
    q = len(x) // 4
    if q < 2:
        return math.inf
    first, last = x[:q].std(axis=0), x[-q:].std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(first > 0, last / first, np.inf)
    return float(np.max(ratio))


def record_goes_on(x: np.ndarray) -> bool:
    """Whether a record keeps varying to its end: its last quarter spreads at least ``ONGOING`` times its first."""
    return quarter_spread_ratio(x) >= ONGOING


def within_bound(run: np.ndarray, trajectories: list[tuple[np.ndarray, np.ndarray | None]]) -> bool:
    """Whether every value of ``run`` (observed units) is within ``BLOW_UP`` times the data's largest magnitude, the
    bound the fitted model's coded run is held to (:func:`~discover.alrnn.model.blow_up_bound`); NaN rows (an
    overflow) fail."""
    return bool(np.all(np.abs(run) <= blow_up_bound(t for t, _ in trajectories)))


def stays_bounded(params: ALRNNParams, trajectories: list[tuple[np.ndarray, np.ndarray | None]],
                  length: int = 20000, warmup: int = WARMUP, run: np.ndarray | None = None) -> bool:
    """Whether a free run of ``length`` steps stays within ``BLOW_UP`` times the data's largest magnitude.

    A model that blows up only after a short record's end (a yearly count of
    300 values) would pass the checkpoint runs, which end with the data; the
    :func:`continued_run` (``run``, when already made) judges it. Longer
    series, and series with inputs, are judged by the windows themselves (True).
    """
    run = continued_run(params, trajectories, length, warmup) if run is None else run
    if run is None:
        return True
    return within_bound(run, trajectories)


def criterion_bins(data: np.ndarray, n_bins: int = 30, per_cell: float = 5.0) -> int:
    """Bins per dimension of the checkpoints' D_stsp: the most, up to ``n_bins`` (fewer above three dimensions,
    :func:`~discover.measures.histogram_bins`), that leave ``per_cell`` data samples on average in each cell the
    data occupy.

    The paper's 30 bins per dimension suit the 100 000 samples its
    measures compare: Lorenz-63's occupied cells hold dozens each, and the rule
    keeps 30. On a short record they leave nearly every sample alone in its
    cell, so D_stsp measures only whether the model lands in those same cells:
    on the 303 embedded yearly sunspot numbers every checkpoint scored
    7.3-8.1, a model that settled to a point as well as one that kept the
    solar cycle with two thirds of the data's spread. Five per cell is the
    usual floor of expected counts for comparing binned frequencies (Cochran's
    rule for the chi-squared test).
    """
    data = np.asarray(data, dtype=float)
    for b in range(histogram_bins(data.shape[1], n_bins), 1, -1):
        if len(data) / len(np.unique(_histogram_cells(data, data, b))) >= per_cell:
            return b
    return 2


def checkpoint_scores(params: ALRNNParams, trajectories: list[tuple[np.ndarray, np.ndarray | None]],
                      length: int = 20000, n_starts: int = 1, warmup: int = WARMUP, n_bins: int | None = None) -> dict:
    """``{"D_stsp", "D_H", "regions", "spread"}`` of :func:`free_runs` against the data over the same windows.

    ``regions`` is how many linear regions the runs visit, ``spread`` how much
    they still vary over their second half (:func:`run_spread`; the run past
    the record, where that is the one compared). A run that blows
    up, or leaves ``BLOW_UP`` times the data's largest magnitude even for a
    step (the bound the fitted model's coded run is held to), gives
    ``D_stsp = inf`` and ``D_H = 1``, and so does a model that does so past
    the end of a short series (:func:`stays_bounded`). On a record
    shorter than half the :func:`continued_run`, the windows' runs are mostly
    the transient from the data (a model that rings down over centuries looks
    alive over 300 years), so the run's last steps, as many as the windows
    hold, are compared with the data instead, unless the record is dying out
    (:func:`record_goes_on`; a damped record's future is rest). D_stsp is the paper's with 30
    bins per dimension, fewer where the data occupy too few samples per cell
    (:func:`criterion_bins`; ``n_bins`` gives them, as :func:`train` does once
    for all its checkpoints).
    """
    Z, data = _window_runs(params, trajectories, length, n_starts, warmup)
    gen = Z[:, :, :params.n_obs].reshape(-1, params.n_obs)
    # a model whose run leaves the bound is an error in the analysis: no checkpoint is kept that it must refuse
    bounded = within_bound(gen, trajectories)
    later = continued_run(params, trajectories, length, warmup) if bounded else None
    if not bounded or not stays_bounded(params, trajectories, length, warmup, later):
        return {"D_stsp": float("inf"), "D_H": 1.0, "regions": regions_visited(params, Z), "spread": float("inf")}
    runs = Z[:, :, :params.n_obs]
    if later is not None and len(later) >= 2 * len(gen) and record_goes_on(trajectories[0][0]):
        # a short record that goes on: the model's long-term behaviour, not its transient from the data, is
        # compared with it
        gen = later[-len(gen):]
        runs = gen[None]
    seg = int(min(4096, len(gen) // max(n_starts, 1)))
    return {"D_stsp": state_space_divergence(data, gen, n_bins=criterion_bins(data) if n_bins is None else n_bins),
            "D_H": hellinger_spectrum_distance(data, gen, segment=max(seg, 64)),
            "regions": regions_visited(params, Z), "spread": run_spread(runs, trajectories)}


def run_spread(runs: np.ndarray, trajectories: list[tuple[np.ndarray, np.ndarray | None]]) -> float:
    """How much free ``runs`` (starts × steps × observed units) still vary over their second half.

    The largest standard deviation, over units and runs, of each run's second
    half, in units of the data's standard deviation (all trajectories
    together): near 0 for a run that has settled to a fixed point, about 1 for
    one that keeps the data's spread.
    """
    runs = np.asarray(runs, dtype=float)
    scale = np.maximum(np.concatenate([x for x, _ in trajectories]).std(axis=0), 1e-12)
    return float(np.max(runs[:, runs.shape[1] // 2:].std(axis=1) / scale))


def _sample(trajectories, seq_len, batch_size, rng):
    lengths = np.array([len(x) - seq_len + 1 for x, _ in trajectories])
    probs = lengths / lengths.sum()
    which = rng.choice(len(trajectories), size=batch_size, p=probs)
    xs, us = [], []
    for k in which:
        x, u = trajectories[k]
        s = int(rng.integers(lengths[k]))
        xs.append(x[s:s + seq_len])
        if u is not None:
            us.append(u[s:s + seq_len])
    return np.stack(xs).astype(float), (np.stack(us).astype(float) if us else None)


def _forward_backward(A, W, h, L, l, C, X, Xf, U, *, N: int, P: int, tau: int, forcing: str,  # noqa: E741
                      alpha: float):
    """Loss and exact gradients of one batch, by backpropagation through time written out in NumPy.

    The recurrence of small matrices costs little arithmetic and many
    operations; autograd's per-operation overhead was most of the time, so the
    forward pass stores the forced states ``zt_s`` and the backward pass
    carries ``g_s = dL/dz_s`` back through
    ``g_s = c_s * (A * g + (g @ W) * D_s) + dL/dpred``, with ``D_s`` the
    ReLU units' on/off pattern at ``zt_s`` and ``c_s`` the forcing's factor on
    the observed units (0 where sparse forcing replaced them, ``1 - alpha``
    under generalized forcing, 1 elsewhere). The parameter gradients are then
    single products over all steps. Returns ``(loss, grads, states)``:
    ``grads`` keyed like the module's parameters, ``states`` the forced states
    (steps × batch × M).
    """
    B, T, _ = X.shape
    M = len(A)
    S = T - 1
    ZT = np.empty((S, B, M))  # the state each step starts from, after forcing
    Z = np.empty((S, B, M))  # the state each step gives
    z = np.concatenate([X[:, 0], X[:, 0] @ L.T + l], axis=1)
    keep = np.ones((S, N))  # dz_s[:, :N] / dz_s before forcing
    for s in range(S):
        if s > 0:
            if forcing == "sparse":
                if s % tau == 0:
                    z = z.copy()
                    z[:, :N] = Xf[:, s]
                    keep[s] = 0.0
            else:
                z = z.copy()
                z[:, :N] = alpha * Xf[:, s] + (1 - alpha) * z[:, :N]
                keep[s] = 1 - alpha
        ZT[s] = z
        phi = z.copy()
        if P:
            np.maximum(phi[:, M - P:], 0.0, out=phi[:, M - P:])
        z = A * z + phi @ W.T + h
        if C is not None:
            z = z + U[:, s + 1] @ C.T
        Z[s] = z
    resid = Z[:, :, :N] - X[:, 1:].transpose(1, 0, 2)
    loss = float(np.mean(resid**2))
    dpred = resid * (2.0 / resid.size)
    D = np.ones((S, B, M))
    if P:
        D[:, :, M - P:] = ZT[:, :, M - P:] > 0
    G = np.empty((S, B, M))  # dL/dz_{s+1}, the gradient at each step's output
    g = np.zeros((B, M))
    for s in range(S - 1, -1, -1):
        g[:, :N] += dpred[s]
        G[s] = g
        g = (A * g + (g @ W) * D[s])
        g[:, :N] *= keep[s]
    # g is now dL/dz_0
    PHI = ZT * D  # Phi*(zt): D is 1 on the linear units and the ReLU's on/off on the others
    Gf, PHIf, ZTf = G.reshape(-1, M), PHI.reshape(-1, M), ZT.reshape(-1, M)
    grads = {"A": np.einsum("ij,ij->j", Gf, ZTf), "W": Gf.T @ PHIf, "h": Gf.sum(0),
             "L": g[:, N:].T @ X[:, 0], "l": g[:, N:].sum(0)}
    if C is not None:
        grads["C"] = Gf.T @ U[:, 1:].transpose(1, 0, 2).reshape(-1, U.shape[2])
    return loss, grads, ZT


def _gtf_alpha(module: ALRNNModule, Z: torch.Tensor) -> float:
    """``1 - 1/G`` with G the geometric mean of the Jacobians' spectral norms at the states ``Z``."""
    with torch.no_grad():
        d = torch.ones_like(Z)
        if module.P:
            d[:, -module.P:] = (Z[:, -module.P:] > 0).float()
        J = torch.diag_embed(module.A.expand_as(Z)) + module.W[None] * d[:, None, :]
        norms = torch.linalg.matrix_norm(J, ord=2)
        G = float(torch.exp(torch.log(norms.clamp_min(1e-12)).mean()))
    return max(0.0, 1.0 - 1.0 / G) if G > 1 else 0.0


def recentre_relu_units(module: ALRNNModule, Z: torch.Tensor, min_active: float = 0.02) -> list[int]:
    """Shift each ReLU unit that keeps one sign on the states ``Z`` so its threshold is at their median.

    With ``c`` the median of unit ``u`` over ``Z`` and ``z_u' = z_u - c``:
    ``h_u += (A_u - 1) c``, ``l_u -= c`` and, for a unit that was always on,
    ``h += W[:, u] c``. The map is unchanged on states where the unit keeps
    the sign it had on ``Z``. Returns the units shifted (indices into ``z``).
    """
    shifted = []
    if not module.P or len(Z) == 0:
        return shifted
    with torch.no_grad():
        for u in range(module.M - module.P, module.M):
            on = float((Z[:, u] > 0).float().mean())
            if min_active <= on <= 1 - min_active:
                continue
            c = float(Z[:, u].median())
            if on > 0.5:
                module.h += module.W[:, u] * c
            module.h[u] += (float(module.A[u]) - 1.0) * c
            if u >= module.N:
                module.l[u - module.N] -= c
            shifted.append(u)
    return shifted


def _criterion(scores: dict, criterion: str) -> float:
    """The number a checkpoint is chosen by: D_stsp, or D_stsp + 10 D_H (each over its target, 1.0 and 0.1)."""
    if criterion == "D_stsp":
        return scores["D_stsp"]
    return scores["D_stsp"] + 10.0 * scores["D_H"]


def train(module: ALRNNModule, trajectories: list[tuple[np.ndarray, np.ndarray | None]], *, epochs: int,
          seq_len: int, batch_size: int, batches_per_epoch: int, tau: int, forcing: str = "sparse",
          noise: float = 0.0, lr: float = 1e-3, lr_end: float = 1e-5, eval_every: int = 5,
          eval_length: int = 20000, eval_starts: int = 1, criterion: str = "D_stsp+D_H",
          max_seconds: float | None = None, optimizer: str = "radam", alpha_min: float = 0.0,
          min_active: float = 0.02, rng: np.random.Generator,
          description: str = "alrnn training") -> TrainResult:
    """Train ``module`` on standardised ``trajectories`` (list of ``(x, u)``); keep the best by D_stsp.

    See the module docstring for the scheme. ``max_seconds`` stops training
    (after the running epoch) once that much wall time has passed.
    """
    N = module.N
    seq_len = int(min(seq_len, min(len(x) for x, _ in trajectories)))
    opt = (torch.optim.RAdam if optimizer == "radam" else torch.optim.Adam)(module.parameters(), lr=lr)
    decay = math.log(lr_end / lr) if lr_end and lr_end < lr else 0.0
    best = (math.inf, module.to_params(), 0, {})
    checkpoints = []
    history = []
    alpha = max(0.5, alpha_min) if forcing == "generalized" else 0.0
    start = time.perf_counter()
    train_seconds = 0.0  # the optimisation alone, without the checkpoint evaluations
    steps = 0
    interrupted = False
    epoch = 0
    # the checkpoints' data windows, and so D_stsp's bins, are the same at every evaluation
    n_bins = criterion_bins(_window_data(trajectories, *_starts(trajectories, eval_length, eval_starts, WARMUP)))
    with task(description, total=epochs) as update:
        try:
            for epoch in range(1, epochs + 1):
                total = 0.0
                epoch_start = time.perf_counter()
                forced_states = []
                for _ in range(batches_per_epoch):
                    X, U = _sample(trajectories, seq_len, batch_size, rng)
                    Xf = X + noise * rng.standard_normal(X.shape) if noise else X
                    values = {name: (None if t is None else t.detach().double().numpy())
                              for name, t in (("A", module.A), ("W", module.W), ("h", module.h),
                                              ("L", module.L), ("l", module.l), ("C", module.C))}
                    loss, grads, states = _forward_backward(**values, X=X, Xf=Xf, U=U, N=N, P=module.P, tau=tau,
                                                            forcing=forcing, alpha=alpha)
                    if not math.isfinite(loss):
                        raise FloatingPointError("the AL-RNN's training loss is not finite")
                    for name, g in grads.items():
                        param = getattr(module, name)
                        param.grad = torch.as_tensor(g, dtype=param.dtype)
                    torch.nn.utils.clip_grad_norm_(module.parameters(), 10.0)
                    opt.step()
                    if len(forced_states) < 16:
                        forced_states.append(torch.as_tensor(states[::16].reshape(-1, module.M), dtype=torch.float32))
                    total += loss
                    steps += X.shape[0] * (seq_len - 1)
                done = epoch / epochs
                if max_seconds is not None:
                    done = max(done, (time.perf_counter() - start) / max_seconds)
                for group in opt.param_groups:
                    group["lr"] = lr * math.exp(decay * min(done, 1.0))
                if forcing == "generalized" and forced_states:
                    alpha = max(alpha_min, _gtf_alpha(module, torch.cat(forced_states)))
                train_seconds += time.perf_counter() - epoch_start
                row = {"epoch": epoch, "loss": total / batches_per_epoch, "train_seconds": train_seconds,
                       "seconds": time.perf_counter() - start}
                if forcing == "generalized":
                    row["alpha"] = alpha
                if epoch % eval_every == 0 or epoch == epochs:
                    if min_active > 0 and forced_states and epoch < epochs:
                        shifted = recentre_relu_units(module, torch.cat(forced_states), min_active)
                        if shifted:
                            row["recentred"] = shifted
                    params = module.to_params()
                    scores = checkpoint_scores(params, trajectories, eval_length, eval_starts, n_bins=n_bins)
                    row.update(scores)
                    d = _criterion(scores, criterion)
                    if math.isfinite(d):
                        checkpoints.append((d, scores, params, epoch))
                    if d < best[0]:
                        best = (d, params, epoch, scores)
                history.append(row)
                update(loss=row["loss"], D_stsp=best[0])
                if max_seconds is not None and time.perf_counter() - start > max_seconds:
                    break
        except KeyboardInterrupt:
            interrupted = True
    if best[2] == 0:  # never evaluated (interrupted early): evaluate what we have
        params = module.to_params()
        scores = checkpoint_scores(params, trajectories, eval_length, eval_starts, n_bins=n_bins)
        best = (_criterion(scores, criterion), params, epoch, scores)
        if math.isfinite(best[0]):
            checkpoints.append((best[0], scores, params, epoch))
    return TrainResult(params=best[1], best_divergence=best[0], best_epoch=best[2], epochs_run=epoch,
                       seconds=time.perf_counter() - start, model_steps=steps, interrupted=interrupted,
                       history=history, train_seconds=train_seconds, best_scores=best[3], checkpoints=checkpoints)
