"""The ``alrnn`` method: an almost-linear RNN, its model selection over P and its symbolic code."""

from __future__ import annotations

import functools
import math
import os
import time
import warnings

import numpy as np

from ..base import Interval, Method, Options, check_is_fitted
from ..data import Series
from ..errors import DataError, DataWarning, MethodError, ParameterError
from ..findings import Equation, Graph, Simulation, SymbolicCode
from ..measures import _divergence_curve, _divergence_slope, hellinger_spectrum_distance, lyapunov_from_jacobians
from ..parallel import parallel_map
from . import codes
from .model import BLOW_UP, WARMUP, ALRNNParams, blow_up_bound, warmup_length

__all__ = ["ALRNN", "delay_embed"]

#: Share of the budget (``max_seconds`` and ``epochs``) that the ladder spends screening the values of P; the
#: chosen P then trains on, from its best checkpoint, for the rest (the learning rate decaying on from where the
#: screening left it). Without a ladder (``n_pwl`` given) the whole budget trains that P.
LADDER_SHARE = 0.5
#: A free run whose observed units spread less than this (in units of the data's standard deviation) has
#: settled to a fixed point.
SETTLED = 0.05
#: A free run that varies, but whose power spectrum is further than this from the data's (Hellinger distance
#: D_H in [0, 1], over Welch segments of an eighth of the compared length), has another rhythm than the data: it is
#: warned about. Two stretches of Lorenz-63 differ by at most 0.06, two of a noise-driven AR(2) oscillation of 300
#: to 20 000 samples by at most 0.12, and Lorenz-63 data with observation noise of 30 % of their spread differ from
#: the clean system by 0.2.
UNLIKE_SPECTRUM = 0.3
#: Steps, at most, over which the free run's spectrum is compared with the longest trajectory's.
SPECTRUM_STEPS = 100_000
#: A swing (:func:`swing_counts`) takes a record from below its mean minus this many standard deviations to above
#: its mean plus as many. Observation noise of 30 % of the spread adds up to 28 % to Lorenz-63's counts (with a band
#: of +-0.5, up to 146 %).
SWING_LEVEL = 0.75
#: Data with fewer swings than this (in a unit) show no rhythm: the distribution check leaves the unit out.
MIN_SWINGS = 5
#: A free run whose values, in some observed unit, are distributed unlike the first trajectory's spends its time
#: elsewhere than the data: it is warned about. The gap is the Wasserstein-1 distance between the two distributions
#: in units of the data's standard deviation (how far, on average, the run's values must move to be the data's),
#: allowed up to ``UNLIKE_DISTRIBUTION[1] * sqrt(1/n + 1/m)`` for n swings of the data and m = n * len(run) / len(x)
#: of a run that swings as often (each swing one draw of the values), and never below
#: ``UNLIKE_DISTRIBUTION[0]``. Stretches of Lorenz-63, Rossler and noise-driven AR(2) oscillations are at most 1.08,
#: 0.36 and 1.71 times the square root from long runs of the same system; a clean model of noisy data is narrower
#: than they are (Rossler's z with observation noise of 50 % of the spread is 0.30 from the clean system, Lorenz-63
#: with 100 % 0.26): docs/methods/alrnn.rst, "spends its time elsewhere".
UNLIKE_DISTRIBUTION = (0.35, 3.0)
#: Free runs from states spread over the data, and their length at most, that look for a second attractor of a
#: chaotic model (``runs_from_data_``).
RUNS_FROM_DATA = (32, 20000)
#: Samples of the longest trajectory that the data's Lyapunov exponent is estimated from (and steps, at least, of
#: the model's run that its exponent is taken along).
LYAPUNOV_SAMPLES = 20000
#: Near-best checkpoints, at most, whose runs from the data are counted for another attractor
#: (``screen_attractors``).
SCREENED = 16
#: A P improves on the ladder when its criterion is below the best so far times this.
LADDER_GAIN = 0.95
#: The ladder stops after this many P in a row that do not improve.
LADDER_PATIENCE = 2


def _workers(n_jobs: int | None) -> int:
    """How many trainings run at once for ``n_jobs`` (joblib's convention: -1 all cores, -2 all but one ...)."""
    if n_jobs is None:
        return 1
    return max(1, n_jobs if n_jobs > 0 else (os.cpu_count() or 1) + 1 + n_jobs)


def ladder_stopped(criteria: list[float], failed: list[bool] | None = None) -> bool:
    """Whether the ladder stops after the values of P whose criteria are ``criteria``, in the order screened.

    A P improves when its criterion is below the best before it times
    ``LADDER_GAIN``; the ladder stops once the last ``LADDER_PATIENCE`` values
    in a row did not improve, and the best so far did not fail (``failed``:
    its free run settled to a point where the data keep varying, or blew
    up). While the best is a failure, the criterion ranks failures (how far
    from the data a run came to rest), and a P that does not improve on it
    says nothing about the next, whether that P failed too or varies further
    from the data. The estimator asks after each group of values screened
    side by side, so a gain anywhere in a group keeps it going.
    """
    failed = list(failed) if failed is not None else [False] * len(criteria)
    best, best_failed, misses = math.inf, True, 0
    for criterion, fail in zip(criteria, failed):
        if criterion < best * LADDER_GAIN:
            best, best_failed, misses = criterion, fail, 0
        else:
            misses += 1
    return misses >= LADDER_PATIENCE and not best_failed


def ladder_failed(row: dict, goes_on: bool) -> bool:
    """Whether a ladder row's P failed: its kept checkpoint blew up (criterion inf), or, on data that go on
    (``goes_on``), its runs came to rest (``spread`` under ``SETTLED``)."""
    return not math.isfinite(row["criterion"]) or (goes_on and row["spread"] < SETTLED)


def near_best(value: float, best: float, tolerance: float) -> bool:
    """Whether a criterion ``value`` is as good as ``best`` within ``tolerance``: ``value <= best (1 + tol) + 0.05``.

    The ladder judges values of P by it, and the checkpoint choice its tie.
    """
    return value <= best * (1 + tolerance) + 0.05


def near_best_checkpoints(checkpoints: list, tolerance: float) -> list:
    """The checkpoints (``(criterion, ...)`` tuples) whose criterion is :func:`near_best` the lowest."""
    lowest = min(c[0] for c in checkpoints)
    return [c for c in checkpoints if near_best(c[0], lowest, tolerance)]


def select_checkpoint(checkpoints: list, tolerance: float, tie_break: str | None) -> tuple:
    """The checkpoint to keep from ``checkpoints`` (``(criterion, scores, params, epoch)`` tuples).

    ``tie_break=None`` keeps the lowest criterion. Otherwise the checkpoints
    whose criterion is :func:`near_best` the lowest are equally good
    reconstructions of the state space, and among them ``"D_H"`` keeps the
    one with the lowest D_H (the rhythm), ``"regions"`` the one that visits
    the fewest linear regions (the most parsimonious code), then the lowest
    D_H. Ties keep the lower criterion.
    """
    return ranked_checkpoints(checkpoints, tolerance, tie_break)[0]


def ranked_checkpoints(checkpoints: list, tolerance: float, tie_break: str | None) -> list:
    """The :func:`near_best` checkpoints in the order :func:`select_checkpoint` prefers them (its pick first).

    With ``tie_break=None`` the order is by criterion alone.
    """
    if not checkpoints:
        raise ValueError("no checkpoint to choose from")
    pool = near_best_checkpoints(checkpoints, tolerance)
    if tie_break is None:
        return sorted(pool, key=lambda c: c[0])
    if tie_break == "D_H":
        return sorted(pool, key=lambda c: (c[1]["D_H"], c[0]))
    if tie_break == "regions":
        return sorted(pool, key=lambda c: (c[1].get("regions", math.inf), c[1]["D_H"], c[0]))
    raise ValueError(f"unknown tie_break {tie_break!r}")


def other_attractor_runs(ends: np.ndarray, chaotic: bool) -> int:
    """How many runs of :func:`start_exponents` (their exponents ``ends``) leave the data's kind of dynamics.

    A run that blows up (NaN) always does; with ``chaotic`` data (a positive
    largest exponent) so does one that ends on a fixed point or a stable cycle
    (exponent <= 0).
    """
    ends = np.asarray(ends, dtype=float)
    return int(np.sum(np.isnan(ends)) + (np.sum(ends <= 0) if chaotic else 0))


def fewest_other_attractors(candidates: list, count) -> tuple[tuple, int, int]:
    """The first of ``candidates`` (in order of preference) for which ``count(candidate)`` is lowest.

    Candidates are counted in order and the search stops at the first with a
    count of 0, so the first candidate costs one count when it has none.
    Returns ``(candidate, its count, how many were counted)``.
    """
    if not candidates:
        raise ValueError("no checkpoint to choose from")
    best, fewest, counted = None, math.inf, 0
    for c in candidates:
        k = count(c)
        counted += 1
        if k < fewest:
            best, fewest = c, k
        if k == 0:
            break
    return best, int(fewest), counted


def model_lyapunov(params: ALRNNParams, z0: np.ndarray, dt: float, n_steps: int = 20000,
                   burn: int = 1000) -> float:
    """The largest Lyapunov exponent of a free run of ``n_steps`` from the state ``z0`` (after ``burn``), from
    its Jacobians.

    NaN when the run leaves the finite numbers.
    """
    Z = params.run(z0, n_steps + burn)[burn:]
    if not np.all(np.isfinite(Z)):
        return float("nan")
    return float(lyapunov_from_jacobians((params.jacobian(z) for z in Z), dt, n_exponents=1)[0])


def neutral_bound(Z: np.ndarray, dt: float) -> float:
    """The largest exponent that a neutral direction can show over a run through the states ``Z`` (steps × units).

    On a cycle or a torus the largest exponent is 0: the tangent vector lines
    up with the flow, and its length over a stretch of the run grows by the
    ratio of the run's speeds (step lengths) at its two ends. Estimated over
    the run's ``n = len(Z) - 1`` steps, it can read up to
    ``ln(max speed / min speed) / (n * dt)`` either side of 0: on a
    model of van der Pol's cycle (mu = 1, dt 0.02, 5000 steps) ±0.009 against
    a bound of 0.012, where chaotic models of Lorenz-63 and Rössler read
    0.05-2 against bounds of 0.02-0.12. An exponent at or below the bound is
    no evidence of chaos. A run that stops (a fixed point) gives inf.

    Examples
    --------
    >>> import numpy as np
    >>> phase = np.arange(2000) * 0.1
    >>> circle = np.c_[np.cos(phase), np.sin(phase)]
    >>> round(neutral_bound(circle, dt=0.1), 6)  # constant speed: no growth along the flow
    0.0
    >>> ellipse = np.c_[3 * np.cos(phase), np.sin(phase)]
    >>> round(neutral_bound(ellipse, dt=0.1), 4)  # speeds 1 to 3: ln 3 over 200 time units
    0.0055
    """
    Z = np.asarray(Z, dtype=float)
    speed = np.linalg.norm(np.diff(Z, axis=0), axis=1)
    if len(speed) == 0 or not np.all(np.isfinite(speed)) or speed.min() <= 0:
        return math.inf
    return float(np.log(speed.max() / speed.min()) / (len(speed) * dt))


def chaotic_run(params: ALRNNParams, Z: np.ndarray, dt: float) -> bool:
    """Whether the free run ``Z`` (steps × units) is chaotic: its tangent vector, started along the flow,
    grows by more than the run's speeds change (the bound of :func:`neutral_bound`).

    Started along the flow, the tangent of a run on a cycle changes its
    length exactly as the run's speed does, within the bound; started
    elsewhere, it can add the growth of its way onto the cycle, which the
    exponent over the whole coded run includes. Chaos also needs more than
    one linear region: an affine map's exponents are the logs of its
    eigenvalues.
    """
    Z = np.asarray(Z, dtype=float)
    if len(Z) < 3 or not np.all(np.isfinite(Z)) or codes.regions_visited(params, Z) < 2:
        return False
    bound = neutral_bound(Z, dt)
    if not math.isfinite(bound):  # the run stops: a fixed point
        return False
    v = (Z[1] - Z[0]) / np.linalg.norm(Z[1] - Z[0])
    growth = 0.0
    for z in Z[1:-1]:
        v = params.jacobian(z) @ v
        norm = float(np.linalg.norm(v))
        if not norm > 0:
            return False
        growth += math.log(norm)
        v /= norm
    return growth / ((len(Z) - 1) * dt) > bound


def start_exponents(params: ALRNNParams, trajectories: list, n_starts: int, n_steps: int, dt: float,
                    warmup: int = WARMUP) -> np.ndarray:
    """The largest Lyapunov exponent over the last quarter of free runs of ``n_steps`` from ``n_starts`` data states.

    The states are spread evenly over the data, each inferred by forcing the
    model along the ``warmup`` samples before it (as the checkpoint runs
    are); the runs go together as one batch, each with a tangent vector
    renormalised every step. A run that ends on a fixed point or a stable
    cycle has an exponent ≤ 0 there, a chaotic one a positive exponent; a run
    that blows up gives NaN. A positive exponent within what a neutral
    direction can show over that quarter (:func:`neutral_bound`: a run on a
    cycle reads a little above or below 0) is returned as 0.
    """
    from .training import _forced_states, _starts

    z = _forced_states(params, trajectories, _starts(trajectories, 1, n_starts, warmup)[0], warmup)
    v = np.ones_like(z) / np.sqrt(z.shape[1])
    d = np.ones_like(z)
    P, tail = params.n_pwl, max(1, n_steps // 4)
    total = np.zeros(len(z))
    fastest, slowest = np.zeros(len(z)), np.full(len(z), np.inf)  # step lengths over the last quarter
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t in range(n_steps):
            if P:
                d[:, -P:] = z[:, -P:] > 0
            v = params.A * v + (d * v) @ params.W.T
            nxt = params.step(z)
            norm = np.linalg.norm(v, axis=1)
            v /= norm[:, None]
            if t >= n_steps - tail:
                total += np.log(norm)
                speed = np.linalg.norm(nxt - z, axis=1)
                fastest, slowest = np.fmax(fastest, speed), np.fmin(slowest, speed)
            z = nxt
        bound = np.where(slowest > 0, np.log(fastest / slowest), np.inf) / (tail * dt)
    lam = total / (tail * dt)
    lam[(lam > 0) & (lam <= bound)] = 0.0
    lam[~np.all(np.isfinite(z), axis=1) | (np.abs(z).max(axis=1) > 1e8)] = np.nan
    return lam


def rhythm_distance(x: np.ndarray, run: np.ndarray) -> float:
    """D_H between data and a free run over as many steps as both have, on Welch segments of an eighth of them.

    The measure of the rhythm check (``UNLIKE_SPECTRUM``): segments of 64 to
    4096 samples, so that even a short record's spectrum is averaged over
    several; with one segment, two stretches of one noise-driven oscillation
    differ by up to 0.3.
    """
    n = min(len(x), len(run))
    return float(hellinger_spectrum_distance(x[:n], run[:n], segment=int(np.clip(n // 8, 64, 4096))))


def swing_counts(x: np.ndarray, level: float = SWING_LEVEL) -> np.ndarray:
    """Per column of ``x``, how often it swings from below its mean minus ``level`` standard deviations to above its
    mean plus as many.

    Each swing is one excursion through the band about the mean, so noise
    about a level does not count twice, and the levels are the record's own
    (a run of another amplitude is counted by its rhythm alone). The
    distribution check (``UNLIKE_DISTRIBUTION``) counts each swing as one
    draw of the record's values.

    Examples
    --------
    >>> t = np.arange(1000)
    >>> swing_counts(np.column_stack([np.cos(2 * np.pi * t / 100), np.cos(2 * np.pi * t / 25)])).tolist()
    [10.0, 40.0]
    """
    x = np.asarray(x, dtype=float)
    dev = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-300)
    state = np.where(dev < -level, -1, np.where(dev > level, 1, 0))
    counts = np.zeros(x.shape[1])
    for j in range(x.shape[1]):
        side = state[:, j][state[:, j] != 0]
        counts[j] = np.sum((side[1:] == 1) & (side[:-1] == -1))
    return counts


def distribution_gap(x: np.ndarray, run: np.ndarray) -> dict:
    """How far the values of a free ``run`` are distributed from the data ``x``'s, in the unit where the gap is largest
    against what the data's length allows (``UNLIKE_DISTRIBUTION``).

    ``{"unit", "gap", "allowed", "unlike"}``: the observed unit's index,
    the Wasserstein-1 distance between run and data in it (in units of the
    data's standard deviation), the gap allowed there, and whether it is
    passed. Units where the data swing fewer than ``MIN_SWINGS`` times are
    left out (``unit`` None where none is left). A 1-D comparison: unlike
    the binned state-space divergence it does not saturate on a thin cycle,
    and it sees a run of the data's rhythm whose amplitude or shape is
    wrong. The allowance counts each swing as one draw, which is generous
    to a strictly periodic record.

    Examples
    --------
    >>> t = np.arange(20000)
    >>> sine = np.sin(2 * np.pi * t / 100)[:, None]
    >>> gap = distribution_gap(sine, 2 * sine)
    >>> round(gap["gap"], 2), round(gap["allowed"], 2), gap["unlike"]
    (0.9, 0.35, True)
    """
    from scipy.stats import wasserstein_distance

    n = swing_counts(x)
    # the run's draws as many as the data's rate gives over its length: a run that does not swing buys no allowance
    allowed = np.maximum(UNLIKE_DISTRIBUTION[0], UNLIKE_DISTRIBUTION[1] * np.sqrt(
        (1 + len(x) / len(run)) / np.maximum(n, 1)))
    scale = np.maximum(x.std(axis=0), 1e-300)
    gap = np.array([wasserstein_distance(x[:, j], run[:, j]) / scale[j] for j in range(x.shape[1])])
    shown = n >= MIN_SWINGS
    if not shown.any():
        return {"unit": None, "gap": math.nan, "allowed": math.nan, "unlike": False}
    j = int(np.argmax(np.where(shown, gap / allowed, -np.inf)))
    return {"unit": j, "gap": float(gap[j]), "allowed": float(allowed[j]), "unlike": bool(gap[j] > allowed[j])}


def ladder_pick(criteria: dict[int, float], tolerance: float, failed: dict[int, bool] | None = None) -> int:
    """The fewest ReLU units whose criterion is below ``best * (1 + tolerance) + 0.05`` (:func:`near_best`).

    Among those, the fewest whose run did not fail (``failed``, as in
    :func:`ladder_stopped`) where there is one: a model that comes to rest
    near the data can score as well as one that keeps varying, and only the
    second can reconstruct them.
    """
    best = min(criteria.values())
    good = [P for P, c in criteria.items() if near_best(c, best, tolerance)]
    alive = [P for P in good if not (failed or {}).get(P, False)]
    return min(alive or good) if good else min(criteria, key=criteria.get)


def _keep_checkpoint(row: dict, checkpoint: tuple) -> ALRNNParams:
    """Write a kept checkpoint's scores into its ladder row; its parameters."""
    d, scores, params, epoch = checkpoint
    row.update(criterion=d, D_stsp=scores["D_stsp"], D_H=scores["D_H"], regions=scores.get("regions"),
               spread=scores.get("spread", math.inf), best_epoch=epoch)
    return params


def _ladder_row(res) -> dict:
    return {"criterion": res.best_divergence, "D_stsp": res.best_scores.get("D_stsp", math.inf),
            "D_H": res.best_scores.get("D_H", 1.0), "spread": res.best_scores.get("spread", math.inf),
            "seconds": res.seconds, "epochs": res.epochs_run,
            "best_epoch": res.best_epoch, "seconds_per_million_steps": res.seconds_per_million_steps,
            "train_seconds": res.train_seconds,
            "train_seconds_per_million_steps": res.train_seconds_per_million_steps,
            "restarts": res.restart_divergences, "history": res.history}


def _train_p(P: int, seed: int, trajectories: list, config: dict, epochs: int, seconds: float | None,
             lr: float, lr_end: float, init: ALRNNParams | None):
    """Train an AL-RNN with P ReLU units (``config["restarts"]`` times, each with its share of ``seconds``).

    A module-level function so that the ladder can run several P in worker
    processes; everything random comes from ``seed``. ``init`` continues from
    those parameters instead of the paper's initialisation.
    """
    from ..registry import torch_threads
    from .model import ALRNNModule
    from .training import train

    restarts = config["restarts"]
    budget = None if seconds is None else seconds / restarts
    results = []
    with torch_threads("alrnn", config["n_threads"]) as torch:
        for k, child in enumerate(np.random.SeedSequence(seed).spawn(restarts)):
            rng = np.random.default_rng(child)
            gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
            torch.manual_seed(int(rng.integers(2**31)))
            module = ALRNNModule(config["M"], config["N"], P, config["n_inputs"], gen=gen)
            if init is not None:
                module.load_params(init)
            what = "continued" if init is not None else "training"
            res = train(module, trajectories, epochs=epochs, lr=lr, lr_end=lr_end, max_seconds=budget, rng=rng,
                        description=f"alrnn P={P} {what}" + (f" ({k + 1}/{restarts})" if restarts > 1 else ""),
                        **config["options"])
            results.append(res)
            if res.interrupted:
                break
    best = min(results, key=lambda r: r.best_divergence)
    best.seconds = sum(r.seconds for r in results)
    best.model_steps = sum(r.model_steps for r in results)
    best.train_seconds = sum(r.train_seconds for r in results)
    best.restart_divergences = [r.best_divergence for r in results]
    best.interrupted = any(r.interrupted for r in results)
    return best


def _auto_lag(x: np.ndarray) -> int:
    """First lag where the mean autocorrelation of the columns falls below 1/e."""
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    n = len(x)
    for lag in range(1, max(2, n // 20)):
        if np.mean(np.sum(x[lag:] * x[:-lag], axis=0) / (n - lag)) < math.exp(-1):
            return lag
    return max(1, n // 20)


def delay_embed(x: np.ndarray, n_delays: int, lag: int) -> np.ndarray:
    """Columns ``x(t), x(t - lag), ..., x(t - n_delays*lag)`` (per variable), rows from ``n_delays*lag`` on.

    Examples
    --------
    >>> import numpy as np
    >>> delay_embed(np.arange(5.0)[:, None], 2, 1)
    array([[2., 1., 0.],
           [3., 2., 1.],
           [4., 3., 2.]])
    """
    x = np.asarray(x, float)
    start = n_delays * lag
    if len(x) <= start + 1:
        raise DataError(f"a trajectory of {len(x)} samples is too short for {n_delays} delays of {lag} samples")
    blocks = [x[start - k * lag:len(x) - k * lag] for k in range(n_delays + 1)]
    d = x.shape[1]
    return np.stack(blocks, axis=2).reshape(len(x) - start, d * (n_delays + 1)) if d else x[start:]


class ALRNN(Method):
    """Almost-linear RNN (Brenner et al., NeurIPS 2024): a piecewise-linear model and its symbolic code.

    The model :math:`z_t = A z_{t-1} + W \\Phi^*(z_{t-1}) + h` (see
    :mod:`discover.alrnn.model`) is trained by teacher forcing on the
    standardised (optionally delay-embedded) observations (see
    :mod:`discover.alrnn.training`). Without ``n_pwl`` a ladder of P = 0, 1,
    2, ... up to ``max_pwl`` is screened, each with an equal share of half the
    budget, until the checkpoint criterion (by default D_stsp + 10 D_H of free
    runs on the training data) has failed to improve by 5 % for two values of
    P in a row (judged after each group of ``n_jobs`` values trained at
    once); the fewest ReLU units whose criterion is within
    ``ladder_tolerance`` of the best is chosen, and that model trains on from
    its best checkpoint for the other half of the budget (with ``n_jobs > 1``
    the next best values of P train on beside it, and the choice is made
    again on the longer-trained models). A long free run of
    the chosen model is then coded by its linear regions (see
    :mod:`discover.alrnn.codes`). A model whose coded free run blows up
    raises :class:`~discover.errors.MethodError`; one whose free run settles
    to a fixed point where the data keep varying, varies with another rhythm
    than the data's, or leaves the data's range once continued past the coded
    steps gives a :class:`~discover.errors.DataWarning` (it reconstructs
    nothing).

    Parameters
    ----------
    n_latent : int
        M, the number of latent units (at least the number of observed units).
    n_pwl : int or None
        P, the number of ReLU units; ``None`` chooses it by the ladder.
    max_pwl : int
        Highest P the ladder tries (at most ``n_latent``).
    forcing : {"sparse", "generalized"}
        Sparse teacher forcing every ``tau`` steps, or generalized teacher forcing.
    tau : int or None
        Forcing interval; ``None``: from the data's predictability time,
        ``round(0.15 / (λ dt))`` samples with λ the rate at which the observed
        series diverges (``observed_divergence_``: the largest Lyapunov
        exponent on clean data, larger with noise; ``seq_len // 4`` for data
        that are not chaotic).
    seq_len : int
        Length of the training subsequences.
    batch_size : int
        Subsequences per batch.
    batches_per_epoch : int
        Batches (optimizer updates) per epoch.
    epochs : int
        Epochs of the training (``max_seconds`` may stop it earlier). With the
        ladder, each P is screened for half of them and the chosen P trains on
        for the other half.
    lr : float
        Initial learning rate.
    lr_end : float
        Learning rate reached by the exponential decay at the last epoch.
    optimizer : {"radam", "adam"}
        RAdam (the paper's) or Adam (the default); RAdam's rectification warms
        up over about 2000 updates, so Adam suits trainings of a few minutes.
    min_active : float
        A ReLU unit on for less than this fraction of the training states, or
        for more than ``1 - min_active``, has its threshold moved to the
        median of its pre-activations at the next checkpoint (see
        :func:`discover.alrnn.training.recentre_relu_units`); 0 turns this off.
    noise : float
        Standard deviation of Gaussian noise on the forcing signal
        (standardised units; the authors' setting). Forced with noisy states,
        the model learns to return to the data's manifold from near it, which
        keeps its long free runs on the attractor.
    eval_every : int
        Epochs between two checkpoint evaluations.
    eval_length : int
        Steps of each checkpoint free run.
    eval_starts : int
        Checkpoint free runs, from places spread evenly over the training
        data (each after a forced warm-up of 200 samples; they run together
        as one batch), compared with the data over the same windows.
    criterion : {"D_stsp", "D_stsp+D_H"}
        What the kept checkpoint (and the ladder's choice of P) minimises over
        those runs: ``D_stsp + 10 D_H`` (each measure over its target, 1.0
        and 0.1; the default), which also rejects a run with the right
        occupation and the wrong rhythm, or the state-space divergence alone.
    alpha_min : float
        Floor of generalized teacher forcing's adaptive ``α``; the estimate
        ``1 - 1/G`` is 0 once the model contracts (``G <= 1``), which turns
        forcing off altogether.
    restarts : int
        Independent trainings of each P from different seeds, each with
        ``max_seconds / restarts`` of the budget; the one whose checkpoint
        criterion (on the training data) is lowest is kept.
    max_seconds : float or None
        Wall-time budget of the whole training. With the ladder, half of it
        screens the values of P (each gets an equal share, ``n_jobs`` of them
        at a time) and the chosen P (and, on spare workers, the next best)
        trains on for what is left.
    n_delays : int or "auto"
        Delays per observed column; ``"auto"``: enough for 3 observed units in
        all (2 for a scalar series, 1 for two columns, 0 otherwise).
    delay_lag : int or "auto"
        Samples between delays; ``"auto"``: where the autocorrelation first falls below 1/e.
    ladder_tolerance : float
        A P is good enough when its checkpoint criterion is below ``best * (1 + tol) + 0.05``.
    tie_break : {None, "D_H", "regions"}
        Which of the chosen P's checkpoints is kept: ``None`` the one with the
        lowest criterion; otherwise, among the checkpoints within
        ``ladder_tolerance`` of the lowest (as good by the criterion as the
        values of P the ladder calls equal), the lowest D_H (``"D_H"``) or the
        fewest linear regions visited, then the lowest D_H (``"regions"``).
    screen_attractors : bool
        Whether the kept checkpoint must also pass the runs from the data
        (without inputs only): among the chosen P's checkpoints within
        ``ladder_tolerance`` of the lowest criterion (in the order
        ``tie_break`` ranks them, at most 16), the first with the fewest of 32
        free runs of ``min(20000, 2 * free_run)`` steps from states spread over
        the data that blow up or, where the data are chaotic (a positive
        ``lyapunov_data_``), end on a fixed point or a stable cycle. The
        checkpoint runs compare windows of the data with runs from a few
        places, and a model whose chaos is a transient that ends on a
        non-chaotic attractor can pass them; its long free runs from most
        states of the data end there. Non-chaotic runs count only when the
        first ranked is chaotic from some state. The first ranked is counted
        first, and when it has none it is kept at the cost of one count
        (about a second).
    free_run : int
        Steps of the free run that is coded (its Lyapunov exponent is
        computed along it, continued to as many steps as the data's
        estimate has samples where that is longer). It starts, as the
        checkpoints' runs do, from the state forced along the first
        trajectory's first samples (:meth:`ALRNNParams.start_state`).
    code_length : int
        Symbols of the coded sequence kept in the finding.
    max_period : int
        Longest period of the cycles searched for.
    n_threads : int
        Torch threads of each training.
    n_jobs : int
        Values of P the ladder trains at once, in worker processes (joblib's
        convention: -1 for every core).
    backend : {None, "loky", "dask"}
        Where those trainings run (``"dask"``: the active Dask client).
    random_state : int, Generator or None

    Attributes
    ----------
    params_ : ALRNNParams
        The chosen model (standardised units).
    n_pwl_ : int
    tau_ : int
    ladder_ : dict
        ``{P: {"D_stsp", "seconds", "epochs", "seconds_per_million_steps"}}``.
    sequence_ : list of str
        The coded free run.
    occupation_ : dict
    transition_graph_ : networkx.DiGraph
    fixed_points_, cycles_ : list of dict
    lyapunov_ : float
        Largest Lyapunov exponent of the model (per unit time, from its
        Jacobians along its free run, over at least as many steps as the
        data's estimate has samples).
    spectrum_distance_ : float
        D_H between the coded free run (past its transient), continued to as
        many steps as the longest trajectory has (at most 100 000),
        and that trajectory, over Welch segments of an eighth of their length
        (64 to 4096 samples); above 0.3 the run has another rhythm than the
        data, which is warned about. A continuation that leaves 10 times the
        data's range is warned about and compared up to there. NaN where the
        run settles (warned about where the data vary) or the data have
        inputs.
    distribution_ : dict or None
        Where the coded run (continued as for ``spectrum_distance_``) spends
        its time against the first trajectory, unit by unit
        (:func:`distribution_gap`): ``{"unit", "gap", "allowed", "unlike"}``,
        the Wasserstein-1 distance in units of the data's standard deviation
        in the unit where it is largest against what the data's length
        allows; a gap past the allowance is warned about. ``None`` where the
        run settles or the data have inputs.
    runs_from_data_ : dict or None
        For a chaotic model (its coded run's exponent positive, no inputs):
        ``{"runs", "steps", "non_chaotic", "blow_up"}``, how many of 32 free
        runs of ``min(20000, 2 * free_run)`` steps from states spread over the
        data end on a non-chaotic attractor or blow up (either gives a
        :class:`~discover.errors.DataWarning`); ``None`` otherwise.
    attractor_screen_ : dict or None
        What ``screen_attractors`` found: ``{"counted", "first_epoch",
        "first", "kept_epoch", "kept", "runs", "steps"}``, the checkpoints
        counted, the epoch and count (runs that leave the data's dynamics, of
        ``runs``) of the one ranked first and of the one kept; ``None`` when
        it did not run.
    lyapunov_data_ : float
        The data's, estimated from the longest trajectory's first 20 000
        samples (:func:`~discover.measures.lyapunov_from_data`, fitted past
        the jump that measurement noise makes; NaN where too short to tell).
    observed_divergence_ : float
        The same estimate fitted through that jump (``first_step=0``): how
        fast the observed series, noise and all, becomes unpredictable; the
        automatic ``tau`` is ``round(0.15 / (observed_divergence_ * dt))``
        (within 1 and ``seq_len // 4``). Equal to ``lyapunov_data_`` within a
        few per cent on clean data; far above it on noisy data.

    Examples
    --------
    >>> from discover.systems import simulate
    >>> from discover.alrnn import ALRNN
    >>> series = simulate("lorenz", n=3000, dt=0.01, burn_in=500)
    >>> model = ALRNN(n_latent=10, n_pwl=2, epochs=2, batches_per_epoch=5, random_state=0).fit(series)
    >>> model.n_pwl_, len(model.findings()) > 3
    (2, True)
    """

    name = "alrnn"
    _parameter_constraints = {
        "n_latent": [Interval(int, 1, None)],
        "n_pwl": [Interval(int, 0, None), None],
        "max_pwl": [Interval(int, 0, 12)],
        "forcing": [Options("sparse", "generalized")],
        "tau": [Interval(int, 1, None), None],
        "seq_len": [Interval(int, 2, None)],
        "batch_size": [Interval(int, 1, None)],
        "batches_per_epoch": [Interval(int, 1, None)],
        "epochs": [Interval(int, 1, None)],
        "lr": [Interval(float, 0, None, closed="neither")],
        "lr_end": [Interval(float, 0, None, closed="neither")],
        "noise": [Interval(float, 0, None)],
        "min_active": [Interval(float, 0, 0.5)],
        "optimizer": [Options("radam", "adam")],
        "eval_every": [Interval(int, 1, None)],
        "eval_length": [Interval(int, 100, None)],
        "eval_starts": [Interval(int, 1, None)],
        "criterion": [Options("D_stsp", "D_stsp+D_H")],
        "alpha_min": [Interval(float, 0, 1)],
        "restarts": [Interval(int, 1, None)],
        "max_seconds": [Interval(float, 0, None, closed="neither"), None],
        "n_delays": [Interval(int, 0, None), Options("auto")],
        "delay_lag": [Interval(int, 1, None), Options("auto")],
        "ladder_tolerance": [Interval(float, 0, None)],
        "tie_break": [Options("D_H", "regions"), None],
        "screen_attractors": [bool],
        "free_run": [Interval(int, 10, None)],
        "code_length": [Interval(int, 1, None)],
        "max_period": [Interval(int, 1, 12)],
        "n_threads": [Interval(int, 1, None)],
        "n_jobs": [int, None],
        "backend": [Options("loky", "dask"), None],
        "random_state": ["random_state"],
    }

    def __init__(self, *, n_latent=20, n_pwl=None, max_pwl=8, forcing="sparse", tau=None, seq_len=200,
                 batch_size=64, batches_per_epoch=50, epochs=500, lr=2e-3, lr_end=6.7e-5, noise=0.05, min_active=0.02,
                 optimizer="adam", eval_every=5, eval_length=20000, eval_starts=5, criterion="D_stsp+D_H",
                 alpha_min=0.0, restarts=1, max_seconds=None, n_delays="auto", delay_lag="auto", ladder_tolerance=0.1,
                 tie_break=None, screen_attractors=True, free_run=10000, code_length=2000, max_period=8, n_threads=1,
                 n_jobs=1, backend=None, random_state=None):
        self.n_latent = n_latent
        self.n_pwl = n_pwl
        self.max_pwl = max_pwl
        self.forcing = forcing
        self.tau = tau
        self.seq_len = seq_len
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.epochs = epochs
        self.lr = lr
        self.lr_end = lr_end
        self.noise = noise
        self.min_active = min_active
        self.optimizer = optimizer
        self.eval_every = eval_every
        self.eval_length = eval_length
        self.eval_starts = eval_starts
        self.criterion = criterion
        self.alpha_min = alpha_min
        self.restarts = restarts
        self.max_seconds = max_seconds
        self.n_delays = n_delays
        self.delay_lag = delay_lag
        self.ladder_tolerance = ladder_tolerance
        self.tie_break = tie_break
        self.screen_attractors = screen_attractors
        self.free_run = free_run
        self.code_length = code_length
        self.max_period = max_period
        self.n_threads = n_threads
        self.n_jobs = n_jobs
        self.backend = backend
        self.random_state = random_state

    # -- fit -------------------------------------------------------------
    def fit(self, series: Series, y=None) -> ALRNN:
        """Train the AL-RNN (choosing P unless given) and code its free run."""
        self._validate_params()
        from ..registry import import_torch

        import_torch("alrnn")  # fail before the data are read; each training sets its threads (_train_p)
        if not isinstance(series, Series):
            from ..data import load

            series = load(series)
        self._fit(series)
        return self

    def _fit(self, series: Series) -> None:
        from .training import record_goes_on  # torch, imported when the method runs

        rng = self.random_state if isinstance(self.random_state, np.random.Generator) else \
            np.random.default_rng(None if self.random_state is None else int(
                self.random_state.randint(2**31) if isinstance(self.random_state, np.random.RandomState)
                else self.random_state))
        self.variables_ = tuple(series.variables)
        self.inputs_ = tuple(series.inputs)
        self.dt_ = float(series.dt) if np.isfinite(series.dt) else 1.0
        self._series_ref = series
        trajectories = self._prepare(series)
        N = trajectories[0][0].shape[1]
        if self.n_latent < N:
            raise DataError(f"n_latent={self.n_latent} is smaller than the {N} observed units "
                            f"({', '.join(self.observed_)}); raise n_latent")
        self.tau_ = self._choose_tau(trajectories)
        top = min(self.max_pwl, self.n_latent)
        candidates = [self.n_pwl] if self.n_pwl is not None else list(range(0, top + 1))
        if candidates[0] > self.n_latent:
            raise ParameterError(f"n_pwl={self.n_pwl} is larger than n_latent={self.n_latent}")
        seeds = dict(zip(candidates, (int(s) for s in rng.integers(2**31, size=len(candidates)))))
        more_seed = int(rng.integers(2**31))
        ladder = len(candidates) > 1
        share = LADDER_SHARE if ladder else 1.0
        n_par = min(len(candidates), _workers(self.n_jobs)) if ladder else 1
        start = time.perf_counter()
        screen_seconds = None if self.max_seconds is None else self.max_seconds * share * n_par / len(candidates)
        screen_epochs = max(1, int(round(self.epochs * share)))
        lr_mid = self.lr * (self.lr_end / self.lr) ** share if self.lr_end < self.lr else self.lr_end
        config = self._train_config(N=N, n_inputs=0 if trajectories[0][1] is None else trajectories[0][1].shape[1])
        # a P fails when its run blew up, or came to rest where the data keep varying (without inputs to drive it)
        goes_on = trajectories[0][1] is None and record_goes_on(max((x for x, _ in trajectories), key=len))
        failed = functools.partial(ladder_failed, goes_on=goes_on)

        self.ladder_, results = {}, {}
        interrupted = False
        for i in range(0, len(candidates), n_par):
            group = candidates[i:i + n_par]
            jobs = [(P, seeds[P], trajectories, config, screen_epochs, screen_seconds, self.lr, lr_mid, None)
                    for P in group]
            try:
                done = parallel_map(_train_p, jobs, n_jobs=n_par, backend=self.backend)
            except KeyboardInterrupt:  # in worker processes: the running group is lost, the rest is kept
                if not results:
                    raise
                interrupted = True
                break
            for P, res in zip(group, done):
                results[P] = res
                self.ladder_[P] = _ladder_row(res)
                interrupted = interrupted or res.interrupted
            # judged on the whole group: a gain that a worker measured after misses in the same group resets
            # them, since the criterion has not stopped improving (one worker would have stopped before it)
            if interrupted or ladder_stopped([r.best_divergence for r in results.values()],
                                             [failed(row) for row in self.ladder_.values()]):
                break
        self.n_pwl_ = ladder_pick({P: v["criterion"] for P, v in self.ladder_.items()}, self.ladder_tolerance,
                                  {P: failed(v) for P, v in self.ladder_.items()})
        checkpoints = {P: list(res.checkpoints) for P, res in results.items()}
        left = None if self.max_seconds is None else self.max_seconds - (time.perf_counter() - start)
        if ladder and not interrupted and self.epochs > screen_epochs and (left is None or left > 1.0):
            # the pick trains on; spare workers train on the next best by criterion beside it, and the
            # pick is made again on the longer-trained models (a short screening may undersell a larger P)
            others = sorted((P for P in results if P != self.n_pwl_ and math.isfinite(results[P].best_divergence)),
                            key=lambda P: results[P].best_divergence)
            going = [self.n_pwl_] + others[:n_par - 1]
            # the pick keeps the seed it had when it trained on alone
            more_seeds = {P: more_seed if P == self.n_pwl_ else
                          int(np.random.SeedSequence((more_seed, P)).generate_state(1)[0]) for P in going}
            jobs = [(P, more_seeds[P], trajectories, {**config, "restarts": 1}, self.epochs - screen_epochs, left,
                     lr_mid, self.lr_end, results[P].params) for P in going]
            try:
                done = parallel_map(_train_p, jobs, n_jobs=len(going), backend=self.backend)
            except KeyboardInterrupt:  # in worker processes: the continuation is lost, the screening kept
                done = []
            for P, more in zip(going, done):
                row = self.ladder_[P]
                row["history"] = row["history"] + [{**r, "epoch": r["epoch"] + row["epochs"], "continued": True}
                                                   for r in more.history]
                checkpoints[P] += [(d, sc, prm, ep + row["epochs"]) for d, sc, prm, ep in more.checkpoints]
                row["epochs"] += more.epochs_run
                row["continued_epochs"] = more.epochs_run
                for key in ("seconds", "train_seconds"):
                    row[key] += getattr(more, key)
                steps = results[P].model_steps + more.model_steps
                row["seconds_per_million_steps"] = row["seconds"] / max(steps, 1) * 1e6
                row["train_seconds_per_million_steps"] = row["train_seconds"] / max(steps, 1) * 1e6
                if checkpoints[P]:
                    _keep_checkpoint(row, select_checkpoint(checkpoints[P], self.ladder_tolerance, None))
            if len(done) > 1:
                self.n_pwl_ = ladder_pick({P: self.ladder_[P]["criterion"] for P in going}, self.ladder_tolerance,
                                          {P: failed(self.ladder_[P]) for P in going})
        row = self.ladder_[self.n_pwl_]
        self.params_ = results[self.n_pwl_].params
        self.attractor_screen_, start_ends = None, None
        if checkpoints[self.n_pwl_]:
            pool = checkpoints[self.n_pwl_]
            self._near_best = near_best_checkpoints(pool, self.ladder_tolerance)  # for the benchmark's --candidates
            ranked = ranked_checkpoints(pool, self.ladder_tolerance, self.tie_break)
            kept = ranked[0]
            if self.screen_attractors and trajectories[0][1] is None:
                kept, start_ends = self._screen_attractors(ranked[:SCREENED], trajectories)
            self.params_ = _keep_checkpoint(row, kept)
        self.divergence_ = row["D_stsp"]
        self._analyse(trajectories, start_ends)

    def _screen_attractors(self, ranked: list, trajectories) -> tuple[tuple, np.ndarray]:
        """The first of the ``ranked`` checkpoints with the fewest runs from the data that leave its dynamics.

        Sets ``attractor_screen_``; returns the kept checkpoint and its runs' exponents (which
        :meth:`_analyse` reads instead of running them again).
        """
        steps = self._start_steps()
        ends = {ranked[0][3]: start_exponents(ranked[0][2], trajectories, RUNS_FROM_DATA[0], steps, self.dt_)}
        # non-chaotic runs count where the data are chaotic and so is the first ranked from some state (a model
        # with no chaotic run has no second attractor beside a chaotic one: the settling warning speaks for it)
        chaotic = bool(np.isfinite(self.lyapunov_data_) and self.lyapunov_data_ > 0
                       and np.any(ends[ranked[0][3]] > 0))
        counts = {}

        def count(c):
            if c[3] not in ends:
                ends[c[3]] = start_exponents(c[2], trajectories, RUNS_FROM_DATA[0], steps, self.dt_)
            counts[c[3]] = other_attractor_runs(ends[c[3]], chaotic)
            return counts[c[3]]

        kept, fewest, counted = fewest_other_attractors(ranked, count)
        self.attractor_screen_ = {"counted": counted, "first_epoch": ranked[0][3], "first": counts[ranked[0][3]],
                                  "kept_epoch": kept[3], "kept": fewest, "runs": RUNS_FROM_DATA[0], "steps": steps}
        return kept, ends[kept[3]]

    def _start_steps(self) -> int:
        """Steps of each free run from a data state (:func:`start_exponents`) that looks for another attractor."""
        return min(RUNS_FROM_DATA[1], 2 * self.free_run)

    def _prepare(self, series: Series) -> list:
        X = series.x
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        if np.any(std == 0):
            bad = [v for v, s in zip(series.variables, std) if s == 0]
            raise DataError(f"column(s) {', '.join(bad)} are constant; the AL-RNN needs varying observations")
        self.scale_ = std
        if series.inputs:
            U = series.u
            self.input_mean_ = U.mean(axis=0)
            us = U.std(axis=0)
            self.input_scale_ = np.where(us > 0, us, 1.0)
        d = series.n_variables
        n_delays = max(0, 3 - d) if self.n_delays == "auto" else int(self.n_delays)
        lag = 1
        if n_delays:
            lag = _auto_lag(series.trajectories[0].x) if self.delay_lag == "auto" else int(self.delay_lag)
        self.n_delays_, self.delay_lag_ = n_delays, lag
        self.observed_ = tuple(v if k == 0 else f"{v}_lag{k * lag}" for v in series.variables
                               for k in range(n_delays + 1))
        out = []
        for tr in series.trajectories:
            x = (tr.x - self.mean_) / self.scale_
            u = None if tr.u is None else (tr.u - self.input_mean_) / self.input_scale_
            if n_delays:
                x = delay_embed(x, n_delays, lag)
                u = None if u is None else u[n_delays * lag:]
            if len(x) < 3:
                continue
            out.append((np.ascontiguousarray(x), u))
        if not out:
            raise DataError("every trajectory is too short for the AL-RNN (needs at least 3 samples)")
        return out

    def _choose_tau(self, trajectories) -> int:
        """τ from the observed series' predictability time; the data's exponent (``lyapunov_data_``) beside it.

        Both are Rosenstein's estimate, made whether or not τ is given. The
        exponent leaves out the jump that measurement noise makes between
        the pairs' closest step and the next; τ's rate (``observed_divergence_``)
        takes it in, since noise makes the observed series, which forcing
        feeds the model, unpredictable sooner. Tied to the noise-free
        exponent instead, τ on Rössler data with 10 % noise was 71-73 rather
        than 1 and reconstructed on 1 of 4 seeds rather than 3 (see the
        AL-RNN page, "Noisy data").
        """
        x = max(trajectories, key=lambda t: len(t[0]))[0][:LYAPUNOV_SAMPLES]
        try:  # one neighbour search, two fits (lyapunov_from_data with first_step 1 and 0)
            curve = _divergence_curve(x)
            lam, observed = _divergence_slope(curve, self.dt_, 1), _divergence_slope(curve, self.dt_, 0)
        except DataError:
            lam = observed = float("nan")
        self.lyapunov_data_, self.observed_divergence_ = lam, observed
        if self.tau is not None:
            return int(self.tau)
        slowest = max(1, self.seq_len // 4)
        if not np.isfinite(observed) or observed <= 0:
            return slowest
        return int(np.clip(round(0.15 / (observed * self.dt_)), 1, slowest))

    def _train_config(self, *, N: int, n_inputs: int) -> dict:
        """What each P's training needs from the options (picklable, for the ladder's worker processes)."""
        return dict(M=self.n_latent, N=N, n_inputs=n_inputs, restarts=self.restarts, n_threads=self.n_threads,
                    options=dict(seq_len=self.seq_len, batch_size=self.batch_size,
                                 batches_per_epoch=self.batches_per_epoch, tau=self.tau_, forcing=self.forcing,
                                 noise=self.noise, min_active=self.min_active, eval_every=self.eval_every,
                                 eval_length=self.eval_length, eval_starts=self.eval_starts,
                                 criterion=self.criterion, alpha_min=self.alpha_min, optimizer=self.optimizer))

    def _analyse(self, trajectories, start_ends: np.ndarray | None = None) -> None:
        """Code a long free run of ``params_`` and read its regions, exponent and runs from the data.

        ``start_ends``: the exponents of ``params_``'s runs from the data (:func:`start_exponents`), where the
        checkpoint screen has already run them.
        """
        from .training import run_spread

        p = self.params_
        # from the state forced along the first trajectory's first samples, as the checkpoints' runs start
        z0 = p.start_state(*trajectories[0])[0]
        burn = max(100, self.free_run // 10)
        Z = p.run(z0, self.free_run + burn)
        n_samples = sum(len(x) for x, _ in trajectories)
        bound = blow_up_bound(x for x, _ in trajectories)
        inside = np.all(np.abs(Z[:, :p.n_obs]) <= bound, axis=1)  # NaN: outside
        # with control inputs this run, which has none, cannot judge the model: it is cut at a blow-up only
        driven = trajectories[0][1] is not None
        if driven:
            Z = Z[:int(np.argmin(inside))] if not inside.all() else Z
            if len(Z) <= burn + 1:
                raise MethodError("the trained AL-RNN diverges in free running without its inputs; no symbolic "
                                  "code can be read")
        elif not inside.all():
            raise MethodError(
                f"the trained AL-RNN (P = {self.n_pwl_}) does not reconstruct these data: its free run leaves "
                f"{BLOW_UP:g} times the data's range after {int(np.argmin(inside))} steps, so no symbolic code "
                f"can be read (D_stsp {self.divergence_:.3g} on the training data, {n_samples} samples). A short "
                "or noisy series may not constrain the model; more data or a longer training (max_seconds) may help.")
        whole, Z = Z, Z[burn:]
        self.free_run_ = Z
        # a run that dies out where the data keep varying reconstructs nothing: say so plainly. Judged over
        # the data's own span (a run from the longest trajectory's forced start against that trajectory's last
        # tenth), so that a damped model of a damped series, which settles later on, is not flagged
        longest = max((x for x, _ in trajectories), key=len)

        def over_span() -> np.ndarray:
            """The model's run over the longest trajectory's span from its forced start (the coded run's start
            where that trajectory is the first: no second run)."""
            n = len(longest) - warmup_length(len(longest))
            if longest is trajectories[0][0] and n <= len(whole):
                return whole[:n, :p.n_obs]
            return p.run(p.start_state(longest)[0], n)[:, :p.n_obs]

        spread = run_spread(Z[None, :, :p.n_obs], trajectories)
        self.free_run_status_ = "settles" if spread < SETTLED else "varies"
        ratio = math.inf
        if not driven and spread < SETTLED:
            k = max(len(longest) // 10, 2)
            span = over_span()[-k:]
            ratio = float(np.max(span.std(axis=0) / np.maximum(longest[-k:].std(axis=0), 1e-12)))
        self.sequence_ = codes.symbols(p, Z)
        self.occupation_ = codes.occupation(self.sequence_)
        self.regions_ = sorted(self.occupation_)
        self.transition_graph_ = codes.transition_graph(self.sequence_)
        self.fixed_points_ = codes.fixed_points(p, self.regions_)
        self.cycles_ = codes.cycles(p, self.regions_, self.max_period) if len(self.regions_) > 1 else []
        # over at least as many steps as the data's estimate had samples (the run goes on past the coded one):
        # on Lorenz-63 an exponent from 2 10^4 steps scatters by about 4 %, and fewer steps scatter more
        n_lam = max(min(len(Z), LYAPUNOV_SAMPLES), min(len(longest), LYAPUNOV_SAMPLES))
        self.lyapunov_ = (model_lyapunov(p, z0, self.dt_, n_steps=n_lam, burn=burn) if not driven and n_lam > len(Z)
                          else float(lyapunov_from_jacobians((p.jacobian(z) for z in Z[:n_lam]), self.dt_,
                                                             n_exponents=1)[0]))
        self.runs_from_data_ = None
        if not driven and self.free_run_status_ == "varies" and self.lyapunov_ > 0 and chaotic_run(p, Z, self.dt_):
            # a chaotic model can have a second, non-chaotic attractor (or a chaotic transient that ends on one)
            # that the coded run never meets: runs from many states of the data find it
            steps = self._start_steps()
            ends = start_ends if start_ends is not None else \
                start_exponents(p, trajectories, RUNS_FROM_DATA[0], steps, self.dt_)
            self.runs_from_data_ = {"runs": len(ends), "steps": steps, "non_chaotic": int(np.sum(ends <= 0)),
                                    "blow_up": int(np.sum(np.isnan(ends)))}
            k, b = self.runs_from_data_["non_chaotic"], self.runs_from_data_["blow_up"]
            if k or b:
                settled = (f"{k} end on a non-chaotic attractor (largest exponent over their last quarter <= 0, or "
                           "within what a cycle shows)")
                what = " and ".join(x for x in (settled if k else "", f"{b} blow up" if b else "") if x)
                warnings.warn(
                    f"ALRNN: of {len(ends)} free runs of {steps} steps from states spread over the data, {what}, "
                    f"while the coded run is chaotic (exponent {self.lyapunov_:.3g}): the model has another "
                    "attractor beside the one it codes, and a long run from a state of the data may end there. Its "
                    f"code, region maps and exponent describe the chaotic one only (P = {self.n_pwl_}).",
                    DataWarning, stacklevel=3)
        # a run that varies with another rhythm than the data's reconstructs nothing either: the coded run,
        # continued to as many steps as the longest trajectory has, against it (rhythm_distance)
        self.spectrum_distance_ = math.nan
        self.distribution_ = None
        if not driven and self.free_run_status_ == "varies":
            run = Z[:, :p.n_obs]
            want = min(len(longest), SPECTRUM_STEPS)
            if len(run) < want:  # the continuation is kept up to where it leaves the data's range, if it does
                more = p.run(Z[-1], want - len(run) + 1)[1:, :p.n_obs]
                out = ~np.all(np.abs(more) <= bound, axis=1)  # NaN rows (run() after an overflow) count as out
                if out.any():
                    left = int(np.argmax(out))
                    warnings.warn(
                        f"ALRNN: the model's free run leaves {BLOW_UP:g} times the data's range after "
                        f"{burn + len(run) + left} steps, past the {burn + len(run)} steps it was coded over: its "
                        f"code and region maps describe a transient of a model that is not bounded (P = "
                        f"{self.n_pwl_}, D_stsp {self.divergence_:.3g} on the training data), not the system that "
                        "made the data. More data or a longer training (max_seconds) may help.",
                        DataWarning, stacklevel=3)
                    more = more[:left]
                run = np.concatenate([run, more])
            self.spectrum_distance_ = rhythm_distance(longest, run)
            if self.spectrum_distance_ > UNLIKE_SPECTRUM:
                warnings.warn(
                    f"ALRNN: the model's free run varies, but not with the data's rhythm: its power spectrum is "
                    f"D_H = {self.spectrum_distance_:.2f} from theirs (0: equal, 1: disjoint; reconstructions "
                    f"score below {UNLIKE_SPECTRUM:g}). It does not reconstruct their dynamics (P = {self.n_pwl_}, "
                    f"D_stsp {self.divergence_:.3g} on the training data), and its code and region maps describe "
                    f"the model, not the system that made the data. More data or a longer training (max_seconds) "
                    "may help.", DataWarning, stacklevel=3)
            # where it spends its time: the run, from the first trajectory's start, against that trajectory (whose
            # amplitude a neutral cycle keeps), unit by unit
            self.distribution_ = distribution_gap(trajectories[0][0], run)
            if self.distribution_["unlike"]:
                d = self.distribution_
                warnings.warn(
                    f"ALRNN: the model's free run does not spend its time where the data do: in "
                    f"{self.observed_[d['unit']]!r} its values lie {d['gap']:.2g} of the data's standard "
                    f"deviation from theirs on average (the Wasserstein-1 distance between the two distributions; "
                    f"the data's length allows {d['allowed']:.2g}). It does not reconstruct their dynamics "
                    f"(P = {self.n_pwl_}, D_stsp {self.divergence_:.3g} on the training data), and its code and "
                    "region maps describe the model, not the system that made the data. More data or a longer "
                    "training (max_seconds) may help.",
                    DataWarning, stacklevel=3)
        if not driven and self.free_run_status_ == "varies":
            self._warn_if_dying(longest, over_span)
            self._warn_if_growing(longest)
        if ratio < SETTLED:
            region = self.sequence_[-1]
            eig = next(f["eigenvalues"] for f in self.fixed_points_ if f["region"] == region)
            osc = eig[np.abs(eig.imag) > 1e-9]
            ring = ""
            if len(osc):  # the slowest-decaying oscillation about the point: what the data's cycle became
                lam = osc[np.argmax(np.abs(osc))]
                period = 2 * math.pi / abs(math.atan2(lam.imag, lam.real))
                ring = (f"; about it the model rings with period {period * self.dt_:.3g} (time units), each cycle "
                        f"damped to {abs(lam) ** period:.2g} of the one before")
            warnings.warn(
                f"ALRNN: the model's free run settles to a fixed point (region {region!r}{ring}) while the data "
                f"keep varying: over the data's last tenth its spread is {ratio:.2g} of theirs. It does not "
                f"reconstruct their dynamics (P = {self.n_pwl_}, D_stsp {self.divergence_:.3g} on the training "
                "data), and its code and region maps describe only the approach to that point. Data driven by "
                f"noise, or too few samples ({n_samples}) to learn a sustained oscillation from, give this.",
                DataWarning, stacklevel=3)

    def _warn_if_dying(self, longest: np.ndarray, over_span) -> None:
        """Warn when the model's run from the data's start (``over_span()``) dies out over their span while the
        data go on.

        Judged by the rule that tells a record dying out from one that goes on
        (:func:`~discover.alrnn.training.record_goes_on`: the last quarter
        spreads at least ``ONGOING`` times the first), on the data and on the
        run alike. A linear model (one region, a stable fixed point) of a
        sustained cycle can only ring down; over the coded run it still
        "varies". A run that shrinks over the data's span from the data's
        size onto a smaller cycle of its own, and goes on by the same rule over
        the coded run (long past that transient), does not die out.
        """
        from .training import ONGOING, quarter_spread_ratio, record_goes_on

        if not record_goes_on(longest) or record_goes_on(self.free_run_[:, :self.params_.n_obs]):
            return
        run = over_span()
        if not np.all(np.isfinite(run)) or record_goes_on(run):  # a blow-up is warned about elsewhere
            return
        warnings.warn(
            f"ALRNN: the model's free run dies out where the data go on: from their start, over their "
            f"{len(run)} samples after a forced warm-up, its last quarter spreads "
            f"{quarter_spread_ratio(run):.2g} times its first "
            f"(the data's {quarter_spread_ratio(longest):.2g}; below {ONGOING:g} is dying out). Its long-term "
            "behaviour is not the data's "
            f"(P = {self.n_pwl_}, D_stsp {self.divergence_:.3g} on the training data), and its code and region "
            "maps describe a transient. More data or a longer training (max_seconds) may help.",
            DataWarning, stacklevel=4)

    def _warn_if_growing(self, longest: np.ndarray) -> None:
        """Warn when the coded run grows where the data do not: its last quarter spreads more than ``1 / ONGOING``
        times its first, the mirror image of :meth:`_warn_if_dying`'s rule.

        A model whose oscillation grows slowly stays inside the data's range
        for the coded steps, so neither the bound nor the spectrum sees it. A
        run that stays in one linear region is the plainest case: the
        region's affine map has an eigenvalue of modulus above 1, and every
        orbit of a linear map grows with it (a linear model has no sustained
        cycle but a neutral one); the warning then names that eigenvalue.
        """
        from .training import ONGOING, quarter_spread_ratio

        run = self.free_run_[:, :self.params_.n_obs]
        grows, theirs = quarter_spread_ratio(run), quarter_spread_ratio(longest)
        if not (math.isfinite(grows) and grows > 1 / ONGOING) or theirs > 1 / ONGOING:
            return
        linear = ""
        if len(self.regions_) == 1:  # one affine map: its growth is its eigenvalues', exactly
            eig = next(f["eigenvalues"] for f in self.fixed_points_ if f["region"] == self.regions_[0])
            rho = float(np.max(np.abs(eig)))
            if rho > 1:
                linear = (f" It stays in one linear region ({self.regions_[0]!r}), where the model is one affine "
                          f"map: its eigenvalue of modulus {rho:.6g} makes every orbit grow, by "
                          f"{rho ** len(longest):.3g} times over the data's {len(longest)} steps, without bound (a "
                          "linear map has no cycle of its own but a neutral one).")
        what = ("a transient of a model that is not bounded" if linear else
                "a transient (onto a larger cycle of the model's own, or without bound)")
        warnings.warn(
            f"ALRNN: the model's free run grows where the data do not: over its {len(run)} coded steps its last "
            f"quarter spreads {grows:.3g} times its first (the data's {theirs:.2g}; above {1 / ONGOING:.2g} is "
            f"growing).{linear} Its code and region maps describe {what} (P = {self.n_pwl_}, D_stsp "
            f"{self.divergence_:.3g} on the training data), not the system that made the data. More data or a longer "
            "training (max_seconds) may help.", DataWarning, stacklevel=4)

    # -- use -------------------------------------------------------------
    def simulate(self, n_steps: int, *, trajectory: int = 0, series: Series | None = None) -> np.ndarray:
        """A free run of ``n_steps`` in the data's units (the original columns), from a trajectory's start.

        The model is first forced along the trajectory's first samples (at
        most 200, a tenth of it: :func:`~discover.alrnn.model.warmup_length`
        of the trajectory's length; :meth:`ALRNNParams.start_state`), as its
        checkpoints' runs were, so the run's first row stands for that sample
        (counted after the delay embedding's first rows, where there is one)
        and the rows after it follow the model alone.
        """
        check_is_fitted(self, "params_")
        p = self.params_
        d = len(self.variables_)
        if series is None:
            raise DataError("simulate needs the series whose trajectory gives the start")
        tr = series.trajectories[trajectory]
        x = (tr.x - self.mean_) / self.scale_
        u = None if tr.u is None else (tr.u - self.input_mean_) / self.input_scale_
        if self.n_delays_:
            x = delay_embed(x, self.n_delays_, self.delay_lag_)
            u = None if u is None else u[self.n_delays_ * self.delay_lag_:]
        z0, w = p.start_state(x, u)
        u = None if u is None else u[w:]
        if u is not None and len(u) < n_steps:
            n_steps = len(u)
        Z = p.run(z0, n_steps, u)
        obs = Z[:, [k * (self.n_delays_ + 1) for k in range(d)]]
        return obs * self.scale_ + self.mean_

    def region_equations(self, region: str) -> dict:
        """``{column: sympy.Expr}``: the region's affine map of the observed units in the data's units."""
        check_is_fitted(self, "params_")
        mean = np.repeat(self.mean_, self.n_delays_ + 1)
        scale = np.repeat(self.scale_, self.n_delays_ + 1)
        eqs = codes.region_equations(self.params_, region, list(self.observed_), mean=mean, scale=scale)
        if self.inputs_ and self.params_.C is not None:
            import sympy as sp

            for i, name in enumerate(self.observed_):
                extra = sum(float(self.params_.C[i, j]) * (sp.Symbol(u) - float(self.input_mean_[j]))
                            / float(self.input_scale_[j]) for j, u in enumerate(self.inputs_))
                eqs[name] = sp.expand(eqs[name] + float(scale[i]) * extra)
        return eqs

    def findings(self) -> list:
        """SymbolicCode, transition Graph, per-region affine Equations and a Simulation."""
        check_is_fitted(self, "params_")
        p: ALRNNParams = self.params_
        fps = {f["region"]: f for f in self.fixed_points_}
        code_metrics = {
            "n_regions": len(self.regions_),
            "n_pwl": self.n_pwl_,
            "n_latent": p.n_latent,
            "tau": self.tau_,
            "D_stsp": self.divergence_,
            "D_H": self.ladder_[self.n_pwl_]["D_H"],
            "criterion": self.criterion,
            "ladder": {str(k): v["D_stsp"] for k, v in self.ladder_.items()},
            "ladder_criterion": {str(k): v["criterion"] for k, v in self.ladder_.items()},
            "occupation": self.occupation_,
            "lyapunov_model": self.lyapunov_,
            "lyapunov_data": self.lyapunov_data_,
            "observed_divergence": self.observed_divergence_,
            "free_run": self.free_run_status_,
            "free_run_D_H": self.spectrum_distance_,
            "free_run_distribution": self.distribution_,
            "runs_from_data": self.runs_from_data_,
            "attractor_screen": self.attractor_screen_,
            "fixed_points": {r: ("real" if f["real"] else "virtual") + (", stable" if f["stable"] else ", unstable")
                             for r, f in fps.items()},
            "cycles": [{"regions": "".join(f"[{r}]" for r in c["regions"]), "period": len(c["regions"]),
                        "stable": c["stable"]} for c in self.cycles_],
            "latent": [f"z{i + 1}" for i in range(p.n_latent - p.n_obs)],
        }
        maps = {r: {"A": codes.region_matrix(p, r), "b": p.h} for r in self.regions_}
        observed = list(self.observed_) + [f"z{i + 1}" for i in range(p.n_latent - p.n_obs)]
        out: list = [SymbolicCode(alphabet=tuple(self.regions_), sequence=tuple(self.sequence_[:self.code_length]),
                                  maps=maps, variables=tuple(observed), method=self.name, metrics=code_metrics),
                     Graph(self.transition_graph_, kind="transition", method=self.name,
                           metrics={"n_regions": len(self.regions_)})]
        for r in self.regions_:
            f = fps[r]
            for var, rhs in self.region_equations(r).items():
                out.append(Equation(var, rhs, kind="affine-region", method=self.name, metrics={
                    "region": r, "occupation": self.occupation_[r],
                    "fixed_point": "real" if f["real"] else "virtual",
                    "spectral_radius": float(np.max(np.abs(f["eigenvalues"])))}))
        tr = self._series_ref.trajectories[0]
        lag_rows = self.n_delays_ * self.delay_lag_
        first = lag_rows + warmup_length(len(tr.t) - lag_rows)  # the sample the run starts at (simulate)
        sim = self.simulate(len(tr.t) - first, series=self._series_ref)
        out.append(Simulation(tr.t[first:][:len(sim)], sim, self.variables_,
                              method=self.name, metrics={"D_stsp": self.divergence_}))
        return out
