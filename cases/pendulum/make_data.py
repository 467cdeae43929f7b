"""Make ``pendulum.csv``: the nonlinear pendulum, three runs in one file.

``dθ/dt = ω``, ``dω/dt = -9.81 sin θ``. Three runs from different initial
angles (about 1 rad, large enough that sin θ ≠ θ matters), 1000 rows each at
dt = 0.01, told apart by the ``run`` column. The energy ``ω²/2 − 9.81 cos θ``
is conserved. Run ``python cases/pendulum/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

from discover.cases import write_csv
from discover.systems import simulate

HERE = Path(__file__).resolve().parent


def make(n: int = 1000, dt: float = 0.01, noise: float = 0.0, seed: int = 0):
    return simulate("pendulum", n=n, dt=dt, n_trajectories=3, noise=noise, seed=seed)


def write(path: Path = HERE / "pendulum.csv") -> Path:
    return write_csv(make(), path)


if __name__ == "__main__":
    print(write())
