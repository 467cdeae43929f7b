"""Make ``lorenz_noisy.csv``: the Lorenz case with 1 % Gaussian noise.

Same trajectory as ``cases/lorenz`` (4000 samples at dt = 0.005 after a
transient of 5 time units), plus noise of 1 % of each variable's standard
deviation (seed 0). Run ``python cases/lorenz_noisy/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from discover.systems import simulate

HERE = Path(__file__).resolve().parent


def write(path: Path = HERE / "lorenz_noisy.csv") -> Path:
    tr = simulate("lorenz", n=4000, dt=0.005, burn_in=1000, noise=0.01, seed=0).trajectories[0]
    np.savetxt(path, np.column_stack([tr.t, tr.x]), delimiter=",", fmt="%.8g", header="t,x,y,z", comments="")
    return path


if __name__ == "__main__":
    print(write())
