"""Causal structure of a stochastic differential equation, learned with a Bernoulli edge posterior.

In the spirit of SCOTCH (Wang et al., 2024): the data are observations of
``dx = f(x; G) dt + diag(σ) dW`` where variable ``j``'s drift ``f_j`` is a
small neural network that sees only the parents of ``j`` in a graph ``G``
(self-loops included). A factorized Bernoulli posterior ``q(G)`` over the
edges is learned together with the drift and diffusion by variational
inference: graphs are drawn with the Gumbel-softmax (relaxed Bernoulli)
trick, each observed transition ``x(t_k) -> x(t_{k+1})`` is scored by the
Gaussian Euler–Maruyama transition density (the drift integrated in
sub-steps over the observed, possibly irregular gap), and the edge count
pays the prior's price. Posterior edge probabilities are the scores.

The edge price is automatic: each edge costs ``edge_cost * log(N) / 2`` nats
of log-likelihood over the ``N`` transitions used (a BIC-like price), so the
learned graph does not depend on a hand-tuned sparsity weight. Variables are
standardized and time is measured in the data's own rate of change, so the
units of the variables and of time do not matter.

PyTorch is imported only when the method is fitted.

Examples
--------
>>> from discover.causal.simulate import lorenz96
>>> from discover.causal.sde import SDEStructure
>>> series, truth = lorenz96(d=5, n=400, dt=0.02, sigma=0.5, seed=0)
>>> model = SDEStructure(max_steps=50, random_state=0).fit(series)  # doctest: +SKIP
>>> model.probabilities_.shape  # doctest: +SKIP
(5, 5)
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from ..base import Interval, Method, Options, check_is_fitted
from ..data import Series
from ..errors import DataError, MethodError
from ..findings import Graph

__all__ = ["SDEStructure"]


def _transitions(series: Series, max_gap: float | None):
    """Consecutive observation pairs inside each trajectory: ``(x0, x1, dt)`` arrays."""
    x0, x1, dts = [], [], []
    for tr in series.trajectories:
        if len(tr) < 2:
            continue
        dt = np.diff(tr.t)
        keep = dt > 0
        if max_gap is not None:
            keep &= dt <= max_gap
        x0.append(tr.x[:-1][keep])
        x1.append(tr.x[1:][keep])
        dts.append(dt[keep])
    if not x0 or sum(len(a) for a in x0) == 0:
        raise DataError("no pair of consecutive observations to learn from (trajectories too short or gaps too large)")
    return np.concatenate(x0), np.concatenate(x1), np.concatenate(dts)


class SDEStructure(Method):
    """Causal graph of a latent SDE with graph-masked neural drift and a variational edge posterior.

    Parameters
    ----------
    hidden : int, default=32
        Width of each variable's drift network (two hidden layers).
    max_steps : int, default=800
        Optimizer steps (Adam).
    batch_size : int, default=256
        Transitions per step.
    learning_rate : float, default=5e-3
    edge_cost : float, default=8.0
        Price of an edge in units of ``log(N) / 2`` nats, the BIC price of one
        parameter; an edge brings a whole input column of a drift network,
        hence several parameters' worth. Larger gives sparser graphs.
    prior_probability : float, default=0.2
        Prior probability of an edge (the KL term of the ELBO).
    temperature : float, default=0.5
        Final Gumbel-softmax temperature (annealed from 1).
    max_substep : "auto" or float, default="auto"
        Longest Euler–Maruyama sub-step, in the data's time unit; "auto":
        the median gap between observations. Longer gaps are split.
    max_gap : "auto", float or None, default="auto"
        Pairs of observations further apart than this are not used (on a
        chaotic system the state after a long gap carries no information on
        the drift). "auto": 10 times the median gap; None: use all pairs.
    self_loops : bool, default=True
        Learn self-loops ``x_i -> x_i`` (a variable's drift depending on itself).
        ``False`` always lets each drift see its own variable and reports no
        self-loops.
    threshold : float, default=0.5
        Edges with posterior probability above it are selected.
    n_threads : int, default=1
        PyTorch CPU threads.
    random_state : int or None

    Attributes
    ----------
    probabilities_ : array, shape (d, d)
        Posterior edge probabilities, ``[i, j]``: ``x_i -> x_j``.
    selected_ : bool array, shape (d, d)
    weights_ : array, shape (d, d)
        Mean ``∂f_j/∂x_i`` over the data, in the variables' own units per unit of time.
    diffusion_ : array, shape (d,)
        Diffusion ``σ`` of each variable, in its own units per square root of time.
    loss_history_ : list of float

    Examples
    --------
    >>> from discover.causal.simulate import lorenz96
    >>> series, truth = lorenz96(d=5, n=400, dt=0.02, sigma=0.5, seed=0)
    >>> model = SDEStructure(max_steps=50, random_state=0)
    >>> model.fit(series).probabilities_.shape  # doctest: +SKIP
    (5, 5)
    """

    name = "sde"
    _parameter_constraints = {
        "hidden": [Interval(int, 1, None)],
        "max_steps": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "edge_cost": [Interval(float, 0, None)],
        "prior_probability": [Interval(float, 0, 1, closed="neither")],
        "temperature": [Interval(float, 0, None, closed="neither")],
        "max_substep": [Options("auto"), Interval(float, 0, None, closed="neither")],
        "max_gap": [Options("auto"), None, Interval(float, 0, None, closed="neither")],
        "self_loops": [bool],
        "threshold": [Interval(float, 0, 1)],
        "n_threads": [Interval(int, 1, None)],
        "random_state": ["random_state"],
    }

    def __init__(self, *, hidden=32, max_steps=800, batch_size=256, learning_rate=5e-3, edge_cost=8.0,
                 prior_probability=0.2, temperature=0.5, max_substep="auto", max_gap="auto", self_loops=True,
                 threshold=0.5, n_threads=1, random_state=None):
        self.hidden = hidden
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.edge_cost = edge_cost
        self.prior_probability = prior_probability
        self.temperature = temperature
        self.max_substep = max_substep
        self.max_gap = max_gap
        self.self_loops = self_loops
        self.threshold = threshold
        self.n_threads = n_threads
        self.random_state = random_state

    def fit(self, series: Series, y=None) -> SDEStructure:
        """Learn the edge posterior, drift and diffusion from ``series``."""
        self._validate_params()
        try:
            import torch
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise MethodError("The 'sde' method needs PyTorch: pip install 'discover[neural]'") from exc
        if not isinstance(series, Series):
            from ..data import load

            series = load(series)
        old_threads = torch.get_num_threads()
        torch.set_num_threads(self.n_threads)
        try:
            return self._fit(series, torch)
        finally:
            torch.set_num_threads(old_threads)

    def _fit(self, series: Series, torch):
        from .dynotears import _generator

        seed = self.random_state if isinstance(self.random_state, (int, np.integer)) else \
            int(_generator(self.random_state).integers(2**31))
        gen = torch.Generator().manual_seed(int(seed))
        names = series.variables
        d = len(names)
        all_dt = np.concatenate([np.diff(tr.t) for tr in series.trajectories if len(tr) > 1])
        med_dt = float(np.median(all_dt[all_dt > 0])) if np.any(all_dt > 0) else 1.0
        max_gap = 10 * med_dt if self.max_gap == "auto" else self.max_gap
        x0, x1, dt = _transitions(series, max_gap)
        mean = series.x.mean(axis=0)
        scale = series.x.std(axis=0)
        if np.any(scale <= 0):
            raise DataError("the variable is constant; a causal graph needs variation",
                            column=names[int(np.argmin(scale))])
        z0, z1 = (x0 - mean) / scale, (x1 - mean) / scale
        # time unit: the data's own rate of change (median |Δz|/Δt over the shortest gaps)
        short = dt <= np.quantile(dt, 0.5) * 1.0001
        rate = float(np.median(np.abs(z1[short] - z0[short]) / dt[short, None]))
        tau = 1.0 / rate if rate > 0 else 1.0
        s = dt / tau
        h_max = (med_dt if self.max_substep == "auto" else float(self.max_substep)) / tau
        n = len(z0)

        dtype = torch.float32
        Z0 = torch.tensor(z0, dtype=dtype)
        Z1 = torch.tensor(z1, dtype=dtype)
        S = torch.tensor(s, dtype=dtype)
        H = self.hidden

        def init(*shape, fan_in):
            return torch.nn.Parameter(torch.randn(*shape, generator=gen, dtype=dtype) / math.sqrt(fan_in))

        params = {
            "W1": init(d, d, H, fan_in=d), "b1": torch.nn.Parameter(torch.zeros(d, H, dtype=dtype)),
            "W2": init(d, H, H, fan_in=H), "b2": torch.nn.Parameter(torch.zeros(d, H, dtype=dtype)),
            "W3": init(d, H, fan_in=H), "b3": torch.nn.Parameter(torch.zeros(d, dtype=dtype)),
            "log_sigma": torch.nn.Parameter(torch.full((d,), -1.0, dtype=dtype)),
            "logits": torch.nn.Parameter(torch.zeros((d, d), dtype=dtype)),
        }
        eye = torch.eye(d, dtype=dtype)

        def drift(z, G):
            # G[i, j]: edge i -> j; target j sees z_i * G[i, j]
            zin = z[:, :, None] * G[None, :, :]  # (B, source, target)
            a = torch.tanh(torch.einsum("bst,tsh->bth", zin, params["W1"]) + params["b1"])
            a = torch.tanh(torch.einsum("bth,thk->btk", a, params["W2"]) + params["b2"])
            return torch.einsum("btk,tk->bt", a, params["W3"]) + params["b3"]

        def mean_after(z, step, G):
            k = int(min(20, max(1, math.ceil(float(step.max()) / h_max))))
            hstep = (step / k)[:, None]
            for _ in range(k):
                z = z + hstep * drift(z, G)
            return z

        # the edge logits learn faster than the networks: the posterior must settle within the run
        opt = torch.optim.Adam([
            {"params": [v for k, v in params.items() if k != "logits"], "lr": self.learning_rate},
            {"params": [params["logits"]], "lr": 10 * self.learning_rate},
        ])
        p0 = self.prior_probability
        edge_price = self.edge_cost * math.log(max(n, 2)) / 2
        batch = min(self.batch_size, n)
        self.loss_history_ = []
        for it in range(self.max_steps):
            frac = it / max(1, self.max_steps - 1)
            temp = 1.0 * (self.temperature / 1.0) ** frac
            idx = torch.randint(0, n, (batch,), generator=gen)
            u = torch.rand((d, d), generator=gen, dtype=dtype).clamp(1e-6, 1 - 1e-6)
            G = torch.sigmoid((params["logits"] + torch.log(u) - torch.log1p(-u)) / temp)
            if not self.self_loops:
                G = G * (1 - eye) + eye
            zb, z1b, sb = Z0[idx], Z1[idx], S[idx]
            mu = mean_after(zb, sb, G)
            var = torch.exp(2 * params["log_sigma"])[None, :] * sb[:, None] + 1e-6
            loglik = -0.5 * (((z1b - mu) ** 2) / var + torch.log(2 * math.pi * var)).sum(dim=1).mean()
            q = torch.sigmoid(params["logits"])
            if not self.self_loops:
                q = q * (1 - eye)
            kl = (q * torch.log(q / p0 + 1e-12) + (1 - q) * torch.log((1 - q) / (1 - p0) + 1e-12)).sum()
            loss = -loglik + (kl + edge_price * q.sum()) / n
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.loss_history_.append(float(loss.detach()))

        with torch.no_grad():
            prob = torch.sigmoid(params["logits"]).numpy().copy()
        if not self.self_loops:
            np.fill_diagonal(prob, 0.0)
        selected = prob > self.threshold
        # mean Jacobian on the data with the selected graph
        Gsel = torch.tensor(selected.astype(float), dtype=dtype)
        if not self.self_loops:
            Gsel = Gsel * (1 - eye) + eye
        sample = Z0[torch.randperm(n, generator=gen)[:min(n, 1000)]].clone().requires_grad_(True)
        out = drift(sample, Gsel)
        jac = np.zeros((d, d))
        for j in range(d):
            (g,) = torch.autograd.grad(out[:, j].sum(), sample, retain_graph=True)
            jac[:, j] = g.mean(dim=0).numpy()
        # original units: dx_j/dt = (scale_j / tau) f_j(z), z_i = (x_i - mean_i) / scale_i
        self.weights_ = jac * scale[None, :] / (tau * scale[:, None])
        with torch.no_grad():
            self.diffusion_ = np.exp(params["log_sigma"].numpy()) * scale / math.sqrt(tau)
        self.probabilities_ = prob
        self.selected_ = selected
        self.variables_ = names
        self.time_unit_ = tau
        self.n_transitions_ = n
        return self

    def graph(self) -> nx.DiGraph:
        """Every candidate edge with its posterior probability (``score``) and ``selected`` flag."""
        check_is_fitted(self, "probabilities_")
        names = self.variables_
        g = nx.DiGraph()
        g.add_nodes_from(names)
        d = len(names)
        for i in range(d):
            for j in range(d):
                if i == j and not self.self_loops:
                    continue
                g.add_edge(names[i], names[j], weight=float(self.weights_[i, j]), lag=0,
                           score=float(self.probabilities_[i, j]), selected=bool(self.selected_[i, j]))
        return g

    def findings(self) -> list[Graph]:
        """One causal graph (continuous time: every edge has lag 0; it is also the summary graph)."""
        check_is_fitted(self, "probabilities_")
        return [Graph(self.graph(), kind="causal", method=self.name,
                      metrics={"resolution": "summary", "time": "continuous", "threshold": self.threshold,
                               "n_transitions": self.n_transitions_,
                               "diffusion": {v: float(s) for v, s in zip(self.variables_, self.diffusion_)}})]
