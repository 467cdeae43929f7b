"""Make ``lorenz63.csv``: Lorenz-63 (σ=10, ρ=28, β=8/3), 10 000 rows at dt=0.01, standardised.

As in Brenner et al. (NeurIPS 2024): the trajectory starts at the system's
default initial condition, 10 time units of transient are integrated and
dropped, and each column is standardised (zero mean, unit variance over the
file). Integration: DOP853 with tolerances 1e-10 (:func:`discover.systems.simulate`).
``make(n=...)`` gives longer runs (the benchmark trains on 10^5 steps and tests
on another 10^5). Run ``python cases/lorenz63_alrnn/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from discover.cases import standardised_run, write_csv
from discover.data import Series

HERE = Path(__file__).resolve().parent


def make(n: int = 10000, dt: float = 0.01, seed: int = 0, x0=None) -> Series:
    """The case's Series, standardised by its own mean and standard deviation."""
    return standardised_run("lorenz", n=n, dt=dt, transient=10, name="lorenz63", source="cases/lorenz63_alrnn",
                            seed=seed, x0=x0)


def write(path: Path = HERE / "lorenz63.csv") -> Path:
    return write_csv(make(), path, digits=7)


if __name__ == "__main__":
    print(write())
    print(np.loadtxt(HERE / "lorenz63.csv", delimiter=",", skiprows=1).shape)
