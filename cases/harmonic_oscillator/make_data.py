"""Make ``harmonic_oscillator.csv``: an undamped oscillator, three runs in one file.

``dx/dt = v``, ``dv/dt = -4 x`` (ω = 2). Three runs from different initial
conditions (so each has its own energy), 1000 rows each at dt = 0.01, told
apart by the ``run`` column. The energy ``4 x² + v²`` is conserved.
Run ``python cases/harmonic_oscillator/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

from discover.cases import write_csv
from discover.systems import simulate

HERE = Path(__file__).resolve().parent


def make(n: int = 1000, dt: float = 0.01, noise: float = 0.0, seed: int = 0):
    return simulate("harmonic_oscillator", n=n, dt=dt, n_trajectories=3, noise=noise, seed=seed)


def write(path: Path = HERE / "harmonic_oscillator.csv") -> Path:
    return write_csv(make(), path)


if __name__ == "__main__":
    print(write())
