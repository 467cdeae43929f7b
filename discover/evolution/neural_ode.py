"""Targets from a smooth model: a neural ODE fitted to the trajectories, whose vector field is distilled.

For noisy or irregularly sampled series, derivatives estimated sample by
sample are poor targets. Following Kidger ("On Neural Differential
Equations", 2022, §2.2.4, after Cranmer et al. 2020), a small neural vector
field ``f_θ`` is first fitted to the trajectories by integrating it, and
the symbolic search then fits ``f_θ`` evaluated at the measured states: a
smooth function of the states, with no differentiation noise.

The fit is multiple shooting over short windows: from every measured state
(or a learned, denoised copy of it, ``free_starts``), the network is
integrated by fixed-step Runge–Kutta 4 over the samples' own times (so
irregular sampling needs nothing special) for ``window - 1`` intervals, and
the mean squared error to the measured states (each variable in units of its
standard deviation) is minimised by Adam. Windows starting in held-out blocks
of each trajectory are not trained on; their loss decides when to stop.

Torch is imported only by :func:`fit_neural_ode`; the fitted field is kept
as numpy arrays (:class:`NeuralVectorField`), so evaluating and pickling it
need no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .horizon import rk4_step

__all__ = ["NeuralVectorField", "fit_neural_ode", "held_out_samples"]


@dataclass
class NeuralVectorField:
    """A fitted neural vector field in raw units: ``__call__(X)`` gives ``dX/dt`` at states ``X`` (n, d).

    ``weights``/``biases`` are the layers of a tanh MLP acting on standardised
    states ``(x - mean) / scale`` in time units of ``time_scale``.
    """

    weights: list
    biases: list
    mean: np.ndarray
    scale: np.ndarray
    time_scale: float
    train_loss: float = math.nan  #: mean squared state error over the training windows (standardised units)
    held_out_loss: float = math.nan  #: the same over the held-out windows, at the epoch kept
    epochs: int = 0

    def __call__(self, X) -> np.ndarray:
        h = (np.atleast_2d(np.asarray(X, float)) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w.T + b
            if i < len(self.weights) - 1:
                h = np.tanh(h)
        return h * self.scale / self.time_scale


def held_out_samples(n: int, fraction: float) -> np.ndarray:
    """The held-out mask of a trajectory of ``n`` samples: one block of twenty in every ``1 / fraction``.

    Twenty blocks (not the ten of :class:`~discover.evolution.EvolutionSR`'s
    pointwise rows) so that the held-out windows reach the transients too: a
    trajectory that settles on a fixed point has its later blocks at rest,
    where a near-zero field fits as well as the true one, and early stopping
    on them alone kept the first epochs' field.
    """
    every = max(2, int(round(1 / fraction)))
    blocks = np.arange(n) * 20 // max(n, 1)
    return blocks % every == every - 1


def _windows(trajectories, held, window, mean, scale, time_scale):
    """Stacked windows: start index, target states (W, k, d), steps (W, k), held-out flag per window."""
    starts, targets, steps, flags = [], [], [], []
    offset = 0
    for (t, x), h in zip(trajectories, held):
        z = (x - mean) / scale
        tau = (t - t[0]) / time_scale
        n = len(t)
        for i in range(0, n - window + 1):
            starts.append(offset + i)
            targets.append(z[i + 1:i + window])
            steps.append(np.diff(tau[i:i + window]))
            # a window is held out when it starts in a held-out block, and not trained on when it reaches one
            flags.append(2 if h[i] else (1 if h[i:i + window].any() else 0))
        offset += n
    return (np.array(starts), np.array(targets), np.array(steps), np.array(flags))


def fit_neural_ode(trajectories, *, held=None, hidden: int = 32, window: int = 4, substeps: int = 2,
                   max_epochs: int = 2000, learning_rate: float = 1e-2, patience: int = 300,
                   free_starts: bool = False, validation_fraction: float = 0.2, random_state=0,
                   progress: bool | None = None) -> NeuralVectorField:
    """Fit a neural vector field to trajectories by multiple shooting over short windows.

    Parameters
    ----------
    trajectories : list of (t, x)
        Time stamps (n,) and states (n, d) of each trajectory; the time steps
        may be irregular.
    held : list of bool arrays, optional
        Per trajectory, the samples whose windows are held out (default:
        :func:`held_out_samples` with ``validation_fraction``).
    hidden : int, default=32
        Width of the two hidden tanh layers.
    window : int, default=4
        Samples per shooting window (``window - 1`` integrated intervals).
    substeps : int, default=2
        Runge–Kutta 4 steps per sampling interval.
    max_epochs, learning_rate, patience : int, float, int
        Full-batch Adam; the held-out loss is checked every 10 epochs, the
        learning rate is divided by 3 after ``patience / 2`` epochs without
        improvement, and training stops after ``patience``; the best epoch is kept.
    free_starts : bool, default=False
        Start each training window from a learned copy of its measured state
        (tied to the measurement by the same squared error), so noise in the
        starting state does not enter the fit; held-out windows start from
        the measurements.
    random_state : int, default=0
        Seed of the initial weights.
    progress : bool or None
        Show a progress line (``None``: on a terminal).

    Returns
    -------
    NeuralVectorField

    Examples
    --------
    >>> import numpy as np
    >>> from discover.evolution.neural_ode import fit_neural_ode
    >>> t = np.sort(np.random.default_rng(0).uniform(0, 6, 80))
    >>> x = np.c_[np.cos(t), -np.sin(t)]
    >>> field = fit_neural_ode([(t, x)], max_epochs=300, random_state=0)
    >>> field(x[:3]).shape
    (3, 2)
    """
    from ..progress import task
    from ..registry import torch_threads

    trajectories = [(np.asarray(t, float), np.atleast_2d(np.asarray(x, float))) for t, x in trajectories]
    X = np.vstack([x for _, x in trajectories])
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    time_scale = float(np.median(np.concatenate([np.diff(t) for t, _ in trajectories if len(t) > 1])))
    if held is None:
        held = [held_out_samples(len(t), validation_fraction) for t, _ in trajectories]
    window = int(max(2, window))
    if min(len(t) for t, _ in trajectories) < window:
        window = max(2, min(len(t) for t, _ in trajectories))
    starts, targets, steps, flags = _windows(trajectories, held, window, mean, scale, time_scale)
    Z = np.vstack([(x - mean) / scale for _, x in trajectories])
    d = X.shape[1]
    with torch_threads("evolution (formulation='neural_ode')", 1) as torch:
        gen = torch.Generator().manual_seed(int(random_state) if random_state is not None else 0)
        dims = [d, hidden, hidden, d]
        layers = [torch.nn.Linear(a, b).double() for a, b in zip(dims[:-1], dims[1:])]
        with torch.no_grad():
            for i, lay in enumerate(layers):
                gain = 0.1 if i == len(layers) - 1 else 1.0  # a near-zero field to start from
                lay.weight.copy_(torch.randn(lay.weight.shape, generator=gen, dtype=torch.float64)
                                 * gain / math.sqrt(lay.weight.shape[1]))
                lay.bias.zero_()

        def field(z):
            for i, lay in enumerate(layers):
                z = lay(z)
                if i < len(layers) - 1:
                    z = torch.tanh(z)
            return z

        def shoot(z0, h):
            out = []
            z = z0
            for s in range(h.shape[1]):
                dt = (h[:, s] / substeps)[:, None]
                for _ in range(substeps):
                    z = rk4_step(field, z, dt)
                out.append(z)
            return torch.stack(out, dim=1)

        tr, va = flags == 0, flags == 2
        Zt = torch.tensor(Z)
        nodes = torch.nn.Parameter(Zt.clone())
        s_tr, y_tr, h_tr = (torch.tensor(starts[tr]), torch.tensor(targets[tr]), torch.tensor(steps[tr]))
        s_va, y_va, h_va = (torch.tensor(starts[va]), torch.tensor(targets[va]), torch.tensor(steps[va]))
        params = [p for lay in layers for p in lay.parameters()]
        opt = torch.optim.Adam(params + ([nodes] if free_starts else []), lr=learning_rate)
        best, best_state, since, epoch, lr = math.inf, None, 0, 0, learning_rate
        train_loss = math.nan
        with task("neural ODE", total=max_epochs, enabled=progress) as update:
            for epoch in range(1, max_epochs + 1):
                opt.zero_grad()
                z0 = nodes[s_tr] if free_starts else Zt[s_tr]
                loss = ((shoot(z0, h_tr) - y_tr) ** 2).mean()
                if free_starts:
                    loss = loss + ((nodes - Zt) ** 2).mean()
                loss.backward()
                opt.step()
                if epoch % 10 and epoch != max_epochs:
                    continue
                with torch.no_grad():
                    val = float(((shoot(Zt[s_va], h_va) - y_va) ** 2).mean()) if len(s_va) else float(loss)
                train_loss = float(loss.detach())
                update(10, loss=train_loss, held_out=val)
                if val < best * (1 - 1e-4):
                    best, since = val, 0
                    best_state = [p.detach().clone() for p in params]
                else:
                    since += 10
                    if since >= patience:
                        break
                    if since % max(10, patience // 2) == 0:
                        lr /= 3.0
                        for g in opt.param_groups:
                            g["lr"] = lr
        with torch.no_grad():
            if best_state is not None:
                for p, q in zip(params, best_state):
                    p.copy_(q)
        weights = [lay.weight.detach().numpy().copy() for lay in layers]
        biases = [lay.bias.detach().numpy().copy() for lay in layers]
    return NeuralVectorField(weights, biases, mean, scale, time_scale, train_loss=train_loss,
                             held_out_loss=best, epochs=epoch)
