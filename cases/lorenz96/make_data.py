"""Make ``lorenz96.csv``: Lorenz-96 with d=10 and F=10, as an ODE, 2000 samples at dt=0.01.

``dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F`` (indices modulo 10),
integrated with fourth-order Runge–Kutta at step 0.001 from a random start
near ``F``; the first 5 time units are dropped
(:func:`discover.causal.simulate.lorenz96`, seed 0). ``make(sigma=1.0)``
gives the stochastic version (Euler–Maruyama, diffusion 1). The true
causal graph: ``x_{i-1}, x_{i+1}, x_{i-2} -> x_i`` and the self-loop.
Run ``python cases/lorenz96/make_data.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from discover.cases import write_csv
from discover.causal.simulate import lorenz96

HERE = Path(__file__).resolve().parent


def make(n: int = 2000, dt: float = 0.01, sigma: float = 0.0, seed: int = 0, **kwargs):
    """The case's Series and true edges ``[(source, target, 1), ...]``."""
    return lorenz96(d=10, forcing=10.0, n=n, dt=dt, sigma=sigma, seed=seed, substeps=10, **kwargs)


def write(directory: Path = HERE) -> Path:
    series, truth = make()
    path = write_csv(series, directory / "lorenz96.csv", digits=8)
    doc = {
        "system": "Lorenz-96, d=10, F=10 (discover.causal.simulate.lorenz96, seed 0)",
        "variables": list(series.variables),
        "equations": {f"x{i}": f"(x{(i + 1) % 10} - x{(i - 2) % 10})*x{(i - 1) % 10} - x{i} + 10"
                      for i in range(10)},
        "graph": {"kind": "causal", "lag_unit": "one step of the dynamics (continuous time)",
                  "edges": [[a, b, lag] for a, b, lag in truth]},
    }
    (directory / "truth.json").write_text(json.dumps(doc, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(write())
