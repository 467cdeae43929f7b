"""Make ``predator_prey.csv``: predator–prey with a saturating (Holling type II) response.

The ODE-Strogatz "predator-prey" system::

    dx/dt = x (4 - x - y/(1 + x))
    dy/dt = y (x/(1 + x) - 0.075 y)

Three runs (column ``run``) of 800 samples at dt = 0.01. Its right-hand
sides are not polynomials: the case's ``case.json`` gives SINDy the term
``x*y/(1 + x)`` through its configuration, as a user would with
``--config``. Run ``python cases/predator_prey/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from discover.systems import System, integrate

HERE = Path(__file__).resolve().parent
SYSTEM = System("predator_prey", ("x", "y"),
                {"x": "x*(4 - x - y/(1 + x))", "y": "y*(x/(1 + x) - 0.075*y)"}, (3.0, 4.0))
STARTS = ((3.0, 4.0), (1.0, 2.0), (2.0, 6.0))


def write(path: Path = HERE / "predator_prey.csv", n: int = 800, dt: float = 0.01) -> Path:
    t = np.arange(n) * dt
    blocks = [np.column_stack([np.full(n, k), t, integrate(SYSTEM, t, x0)]) for k, x0 in enumerate(STARTS)]
    np.savetxt(path, np.vstack(blocks), delimiter=",", fmt=["%d"] + ["%.12g"] * 3, header="run,t,x,y",
               comments="")
    return path


if __name__ == "__main__":
    print(write())
