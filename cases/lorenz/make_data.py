"""Make ``lorenz.csv``: Lorenz-63 (σ=10, ρ=28, β=8/3), clean, 4000 rows at dt=0.005.

The trajectory starts at the system's default initial condition; the first
1000 samples (5 time units, the transient onto the attractor) are
integrated and dropped. Integration: DOP853 with tolerances 1e-10
(:func:`discover.systems.simulate`). Run ``python cases/lorenz/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

from discover.cases import write_csv
from discover.systems import simulate

HERE = Path(__file__).resolve().parent


def make(n: int = 4000, dt: float = 0.005, noise: float = 0.0, seed: int = 0):
    """The case's Series (``noise`` relative to each variable's standard deviation)."""
    return simulate("lorenz", n=n, dt=dt, noise=noise, seed=seed, burn_in=1000)


def write(path: Path = HERE / "lorenz.csv") -> Path:
    return write_csv(make(), path)


if __name__ == "__main__":
    print(write())
