"""Make ``stochastic_irregular.csv``: stochastic Lorenz-96 (d=10, F=10, σ=1) seen at irregular times.

Two trajectories of the SDE ``dx_i = ((x_{i+1} - x_{i-2}) x_{i-1} - x_i + F) dt
+ σ dW_i`` (Euler–Maruyama at step 0.001). Of the 2000 samples on the
grid dt=0.01 of each trajectory, random bursts are kept (about 30 %, thinned
so that steps inside a burst are uneven too), leaving large gaps between
them (:func:`discover.causal.simulate.lorenz96` with ``irregular=True``,
seed 0). The column ``trajectory`` tells the two apart. Run
``python cases/stochastic_irregular/make_data.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from discover.cases import write_csv
from discover.causal.simulate import lorenz96

HERE = Path(__file__).resolve().parent


def make(n: int = 2000, seed: int = 0):
    """The case's Series (two irregular trajectories) and true edges."""
    return lorenz96(d=10, forcing=10.0, n=n, dt=0.01, sigma=1.0, seed=seed, substeps=10, irregular=True,
                    n_trajectories=2)


def write(directory: Path = HERE) -> Path:
    series, truth = make()
    path = write_csv(series, directory / "stochastic_irregular.csv", group="trajectory", digits=8)
    doc = {
        "system": "stochastic Lorenz-96, d=10, F=10, sigma=1, irregular sampling, two trajectories",
        "variables": list(series.variables),
        "graph": {"kind": "causal", "lag_unit": "continuous time",
                  "edges": [[a, b, lag] for a, b, lag in truth]},
    }
    (directory / "truth.json").write_text(json.dumps(doc, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(write())
