"""Short-horizon scoring: candidate systems integrated over a few samples from measured states.

Pointwise losses compare a right-hand side with estimated derivatives (or a
smooth model's vector field); on noisy or irregularly sampled series those
targets carry errors of their own, and the front member that fits them best
may fit their errors. Integrating a candidate system from each measured
state over a short horizon and comparing the states it reaches with the
measured ones scores it against the data themselves. Only the final front
is scored this way (the search's inner loop keeps its cheap targets).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Windows", "horizon_windows", "integrate_windows", "window_errors", "horizon_choice"]


class Windows:
    """Short windows of measured states: starts (W, d), targets (W, k, d), time steps (W, k)."""

    def __init__(self, starts: np.ndarray, targets: np.ndarray, steps: np.ndarray, scale: np.ndarray):
        self.starts, self.targets, self.steps, self.scale = starts, targets, steps, scale

    def __len__(self) -> int:
        return len(self.starts)


def horizon_windows(trajectories, masks, horizon: int) -> Windows:
    """Windows of ``horizon`` samples of each trajectory ``(t, x)``, one starting at each sample where ``mask``.

    ``scale`` is each state's standard deviation over all samples, so errors are in those units.
    """
    allx = np.vstack([x for _, x in trajectories])
    scale = allx.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    starts, targets, steps = [], [], []
    k = max(2, int(horizon))
    for (t, x), m in zip(trajectories, masks):
        for i in np.flatnonzero(m[: max(0, len(t) - k + 1)]):
            starts.append(x[i])
            targets.append(x[i + 1:i + k])
            steps.append(np.diff(t[i:i + k]))
    d = allx.shape[1]
    if not starts:
        return Windows(np.zeros((0, d)), np.zeros((0, k - 1, d)), np.zeros((0, k - 1)), scale)
    return Windows(np.array(starts), np.array(targets), np.array(steps), scale)


def rk4_step(f, z, dt):
    """One classical Runge–Kutta step of ``dz/dt = f(z)``; only arithmetic, so ``z`` may be a NumPy array
    or a torch tensor (the neural ODE's multiple shooting uses it with autograd)."""
    k1 = f(z)
    k2 = f(z + 0.5 * dt * k1)
    k3 = f(z + 0.5 * dt * k2)
    k4 = f(z + dt * k3)
    return z + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def integrate_windows(rhs, windows: Windows, substeps: int = 2) -> np.ndarray:
    """States reached by fixed-step Runge–Kutta 4 (``substeps`` per interval) from every window's start.

    ``rhs(X)`` maps states (W, d) to their rates (W, d). Returns (W, k, d);
    non-finite values where a candidate blew up.
    """
    z = windows.starts.astype(float).copy()
    out = np.empty(windows.targets.shape)
    with np.errstate(all="ignore"):
        for s in range(windows.steps.shape[1]):
            dt = (windows.steps[:, s] / substeps)[:, None]
            for _ in range(substeps):
                z = rk4_step(rhs, z, dt)
            out[:, s] = z
    return out


def window_errors(rhs, windows: Windows, substeps: int = 2, cap: float = 100.0) -> np.ndarray:
    """Per window: mean squared state error over its steps and states, each state in units of its spread.

    A window where the candidate blew up (or erred by more than ``cap``) counts ``cap``.
    """
    pred = integrate_windows(rhs, windows, substeps)
    with np.errstate(all="ignore"):
        err = np.mean(((pred - windows.targets) / windows.scale) ** 2, axis=(1, 2))
    return np.where(np.isfinite(err), np.minimum(err, cap), cap)


def horizon_choice(errors: list, *, tolerance: float = 1.5) -> int:
    """The simplest candidate (``errors`` ordered by complexity) whose mean error is within ``tolerance`` of the best.

    ``errors[k]`` holds candidate ``k``'s per-window errors on the same
    windows. The rule is the pointwise one of
    :func:`~discover.evolution.search.choose` applied to the states reached:
    a simpler member that misses a term drifts off within a few samples and
    is several times worse, while a member that only fits the targets' noise
    is not better on measured states.
    """
    means = np.array([float(np.mean(e)) if len(e) else math.inf for e in errors])
    if not len(means) or not np.isfinite(means).any():
        return 0
    best = float(np.nanmin(means))
    return int(np.flatnonzero(means <= tolerance * best + 1e-300)[0])
