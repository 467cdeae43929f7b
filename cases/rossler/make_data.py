"""Make ``rossler.csv``: Rössler (a=0.2, b=0.2, c=5.7), 10 000 rows at dt=0.05, standardised.

As in Brenner et al. (NeurIPS 2024): the trajectory starts at the system's
default initial condition, 50 time units of transient are integrated and
dropped, and each column is standardised (zero mean, unit variance over the
file). Integration: DOP853 with tolerances 1e-10 (:func:`discover.systems.simulate`).
``make(n=...)`` gives longer runs (the benchmark trains on 10^5 steps and tests
on another 10^5). Run ``python cases/rossler/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from discover.cases import standardised_run, write_csv
from discover.data import Series

HERE = Path(__file__).resolve().parent


def make(n: int = 10000, dt: float = 0.05, seed: int = 0, x0=None) -> Series:
    """The case's Series, standardised by its own mean and standard deviation."""
    return standardised_run("rossler", n=n, dt=dt, transient=50, name="rossler", source="cases/rossler",
                            seed=seed, x0=x0)


def write(path: Path = HERE / "rossler.csv") -> Path:
    return write_csv(make(), path, digits=7)


if __name__ == "__main__":
    print(write())
    print(np.loadtxt(HERE / "rossler.csv", delimiter=",", skiprows=1).shape)
