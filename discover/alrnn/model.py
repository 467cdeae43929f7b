"""The almost-linear RNN (Brenner et al., NeurIPS 2024) in PyTorch, and its parameters in NumPy.

The latent state :math:`z_t \\in R^M` evolves as

.. math:: z_t = A z_{t-1} + W \\Phi^*(z_{t-1}) + h + C u_t

with :math:`A` diagonal, :math:`\\Phi^*` the identity on the first
:math:`M - P` units and the ReLU on the last :math:`P`, so the map is
piecewise linear with at most :math:`2^P` linear regions. The first
:math:`N` units are the observations (identity read-out); the other
:math:`M - N` start from the first observation through a learned linear map
:math:`z_0 = (x_0, L x_0 + l)`. ``C`` is present only with control inputs.

Initialisation as in the paper: :math:`A = \\mathrm{diag}(K/\\lambda_{max}(K))`
with :math:`K = R^T R / M + I`, :math:`R` standard normal; :math:`W \\sim N(0, 0.01^2)`;
:math:`h = 0`.

``ALRNNParams`` (the parameters as NumPy arrays, with the map, its free run
and its Jacobians) needs no torch; ``ALRNNModule`` (the trainable module) is
built on first use, so importing :mod:`discover.alrnn` does not import torch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["ALRNNParams", "BLOW_UP", "WARMUP", "blow_up_bound", "init_parameters", "warmup_length"]  # and ALRNNModule, built on first use (torch)

#: A free run whose observed units leave this many times the data's largest magnitude (standardised) has blown up.
BLOW_UP = 10.0
#: Samples a free run from the data is forced along before it starts, so that its latent units are inferred from
#: the data (:meth:`ALRNNParams.start_state`), at most a tenth of the trajectory (:func:`warmup_length`).
WARMUP = 200


def warmup_length(n: int, warmup: int = WARMUP) -> int:
    """Samples a free run is forced along before it starts on a trajectory of ``n``: ``warmup``, at most ``n // 10``."""
    return int(min(warmup, n // 10))


def blow_up_bound(xs) -> float:
    """The magnitude past which a free run of a model of the arrays ``xs`` (standardised data) has blown up."""
    return BLOW_UP * max(float(np.max(np.abs(x))) for x in xs)


@dataclass(frozen=True)
class ALRNNParams:
    """A trained AL-RNN's parameters as NumPy arrays (the symbolic analysis needs no torch).

    Attributes
    ----------
    A : ndarray (M,)
        Diagonal of the linear part.
    W : ndarray (M, M)
    h : ndarray (M,)
    n_pwl : int
        P, the number of ReLU units (the last P).
    n_obs : int
        N, the number of observed units (the first N).
    C : ndarray (M, n_inputs) or None
    L : ndarray (M - N, N) and l : ndarray (M - N,)
        The latent initialisation ``z_0[N:] = L x_0 + l``.
    """

    A: np.ndarray
    W: np.ndarray
    h: np.ndarray
    n_pwl: int
    n_obs: int
    C: np.ndarray | None = None
    L: np.ndarray | None = None
    l: np.ndarray | None = None  # noqa: E741

    @property
    def n_latent(self) -> int:
        return len(self.A)

    def initial_state(self, x0: np.ndarray) -> np.ndarray:
        """``z_0`` from the first observation (N values)."""
        x0 = np.asarray(x0, float)
        rest = self.L @ x0 + self.l if self.L is not None else np.zeros(self.n_latent - self.n_obs)
        return np.concatenate([x0, rest])

    def forced_state(self, x: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """The state at the last row of ``x`` after running the model along ``x`` with its observed units forced.

        Starts from :meth:`initial_state` of ``x[0]``; at every later step the
        first N units are replaced by the data and the latent units carry on,
        so the latent state is the one the model infers from the recent past
        (a warm-up before a free run; ``u`` row t drives the step into row t).
        """
        x = np.asarray(x, float)
        z = self.initial_state(x[0])
        for t in range(1, len(x)):
            z = self.step(z, None if u is None else u[t])
            z[:self.n_obs] = x[t]
        return z

    def start_state(self, x: np.ndarray, u: np.ndarray | None = None, warmup: int = WARMUP) -> tuple[np.ndarray, int]:
        """The state a free run from trajectory ``x`` starts with, and the sample ``w`` it stands for.

        The model is forced along ``x``'s first ``w`` samples
        (:func:`warmup_length`; :meth:`forced_state`), so that its latent
        units are the ones it infers from the data rather than the learned
        map of one observation (:meth:`initial_state`, the start of every
        training sequence). A model can have a second attractor that only the
        second reaches; the checkpoints are judged by runs from states forced
        so, and every run that describes the fitted model starts here too.
        """
        w = warmup_length(len(x), warmup)
        return self.forced_state(np.asarray(x, float)[:w + 1], None if u is None else u[:w + 1]), w

    def step(self, z: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """One step of the map (``z`` of shape (M,) or (B, M))."""
        phi = z.copy()
        if self.n_pwl:
            phi[..., -self.n_pwl:] = np.maximum(phi[..., -self.n_pwl:], 0.0)
        out = self.A * z + phi @ self.W.T + self.h
        if self.C is not None and u is not None:
            out = out + u @ self.C.T
        return out

    def run(self, z0: np.ndarray, n_steps: int, u: np.ndarray | None = None) -> np.ndarray:
        """A free run of ``n_steps`` states starting with ``z0`` (included); stops filling at a blow-up.

        ``u`` (n_steps, n_inputs) is the input at each step (row t drives the step into state t).
        """
        z = np.asarray(z0, float).copy()
        out = np.full((n_steps, len(z)), np.nan)
        out[0] = z
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(1, n_steps):
                z = self.step(z, None if u is None else u[t])
                if not np.all(np.isfinite(z)) or np.abs(z).max() > 1e8:
                    break
                out[t] = z
        return out

    def jacobian(self, z: np.ndarray) -> np.ndarray:
        """The Jacobian at ``z``: ``diag(A) + W D(z)``, exact for the PWL map."""
        d = np.ones(self.n_latent)
        if self.n_pwl:
            d[-self.n_pwl:] = (z[-self.n_pwl:] > 0).astype(float)
        return np.diag(self.A) + self.W * d


def init_parameters(M: int, gen):
    """The paper's initialisation: ``A = diag(K / λmax(K))``, ``K = RᵀR/M + I``; ``W ~ N(0, 0.01²)``; ``h = 0``.

    ``gen`` is a ``torch.Generator``; returns torch tensors ``(A, W, h)``.
    """
    import torch

    R = torch.randn(M, M, generator=gen, dtype=torch.float64)
    K = R.T @ R / M + torch.eye(M, dtype=torch.float64)
    lam = torch.linalg.eigvalsh(K).max()
    A = torch.diagonal(K / lam).clone()
    W = 0.01 * torch.randn(M, M, generator=gen, dtype=torch.float64)
    return A.float(), W.float(), torch.zeros(M)


def __getattr__(name: str):
    if name == "ALRNNModule":
        return _module_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _module_class():
    import torch
    from torch import nn

    class ALRNNModule(nn.Module):
        """The AL-RNN as a torch module, with a batched, vectorised step."""

        def __init__(self, M: int, N: int, P: int, n_inputs: int = 0, *, gen: torch.Generator):
            super().__init__()
            if not 0 <= P <= M:
                raise ValueError(f"n_pwl must lie in [0, {M}]; got {P}")
            A, W, h = init_parameters(M, gen)
            self.M, self.N, self.P = M, N, P
            self.A = nn.Parameter(A)
            self.W = nn.Parameter(W)
            self.h = nn.Parameter(h)
            self.L = nn.Parameter(0.01 * torch.randn(M - N, N, generator=gen))
            self.l = nn.Parameter(torch.zeros(M - N))  # noqa: E741
            self.C = nn.Parameter(0.01 * torch.randn(M, n_inputs, generator=gen)) if n_inputs else None
            mask = torch.zeros(M, dtype=torch.bool)
            if P:
                mask[M - P:] = True
            self.register_buffer("relu_mask", mask)

        def initial_state(self, x0: torch.Tensor) -> torch.Tensor:
            return torch.cat([x0, x0 @ self.L.T + self.l], dim=-1)

        def phi(self, z: torch.Tensor) -> torch.Tensor:
            if not self.P:
                return z
            return torch.where(self.relu_mask, torch.relu(z), z)

        def step(self, z: torch.Tensor, u: torch.Tensor | None = None) -> torch.Tensor:
            out = torch.addmm(self.h, self.phi(z), self.W.T) + self.A * z
            if self.C is not None and u is not None:
                out = out + u @ self.C.T
            return out

        def to_params(self) -> ALRNNParams:
            def a(t):
                return None if t is None else t.detach().double().cpu().numpy().copy()

            return ALRNNParams(A=a(self.A), W=a(self.W), h=a(self.h), n_pwl=self.P, n_obs=self.N,
                               C=a(self.C), L=a(self.L), l=a(self.l))

        def load_params(self, p: ALRNNParams) -> None:
            with torch.no_grad():
                for name in ("A", "W", "h", "L", "l", "C"):
                    value = getattr(p, name)
                    if value is not None and getattr(self, name) is not None:
                        getattr(self, name).copy_(torch.as_tensor(value, dtype=torch.float32))

    return ALRNNModule
