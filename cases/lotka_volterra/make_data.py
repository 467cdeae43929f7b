"""Make ``lotka_volterra.csv``: predator–prey cycles, 2000 rows at dt = 0.02.

``d(prey)/dt = prey - 0.5 prey·predator``,
``d(predator)/dt = 0.2 prey·predator - 0.6 predator``; about five cycles.
The quantity ``0.2 prey - 0.6 log(prey) + 0.5 predator - log(predator)`` is
conserved. Run ``python cases/lotka_volterra/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

from discover.cases import write_csv
from discover.systems import simulate

HERE = Path(__file__).resolve().parent


def make(n: int = 2000, dt: float = 0.02, noise: float = 0.0, seed: int = 0):
    return simulate("lotka_volterra", n=n, dt=dt, noise=noise, seed=seed)


def write(path: Path = HERE / "lotka_volterra.csv") -> Path:
    return write_csv(make(), path)


if __name__ == "__main__":
    print(write())
