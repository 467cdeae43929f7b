"""The ODE-Strogatz collection (SRBench): 7 two-variable systems from Strogatz's textbook, 14 equations.

Equations, parameters and initial conditions are those of the collection
(La Cava et al., SRBench 2021, after Schmidt & Lipson's original set): four
trajectories per system, t in [0, 10] sampled every 0.1 (100 samples each).
Random initial conditions are drawn with a fixed seed. Run
``python cases/strogatz/make_data.py`` to write one CSV per system here
(columns ``trajectory, t, x, y``); :func:`simulate` gives the same data in
Python (with an optional noise level, relative to each variable's standard
deviation).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

# name -> (dx/dt, dy/dt as sympy text over x, y; numpy right-hand side; initial conditions)
SYSTEMS = {
    "bacres": ("20 - x - x*y/(1 + 0.5*x**2)", "10 - x*y/(1 + 0.5*x**2)"),
    "barmag": ("0.5*sin(x - y) - sin(x)", "0.5*sin(y - x) - sin(y)"),
    "glider": ("-0.05*x**2 - sin(y)", "x - cos(y)/x"),
    "lv": ("3*x - 2*x*y - x**2", "2*y - x*y - y**2"),
    "predprey": ("x*(4 - x - y/(1 + x))", "y*(x/(1 + x) - 0.075*y)"),
    "shearflow": ("cos(x)/tan(y)", "(cos(y)**2 + 0.1*sin(y)**2)*sin(x)"),
    "vdp": ("10*(y - (x**3 - x)/3)", "-x/10"),
}


def _rhs(name):
    def f(_, s):
        x, y = s
        if name == "bacres":
            r = x * y / (1 + 0.5 * x ** 2)
            return [20 - x - r, 10 - r]
        if name == "barmag":
            return [0.5 * np.sin(x - y) - np.sin(x), 0.5 * np.sin(y - x) - np.sin(y)]
        if name == "glider":
            return [-0.05 * x ** 2 - np.sin(y), x - np.cos(y) / x]
        if name == "lv":
            return [3 * x - 2 * x * y - x ** 2, 2 * y - x * y - y ** 2]
        if name == "predprey":
            return [x * (4 - x - y / (1 + x)), y * (x / (1 + x) - 0.075 * y)]
        if name == "shearflow":
            return [np.cos(x) / np.tan(y), (np.cos(y) ** 2 + 0.1 * np.sin(y) ** 2) * np.sin(x)]
        return [10 * (y - (x ** 3 - x) / 3), -x / 10]
    return f


def initial_conditions(name: str, rng: np.random.Generator) -> np.ndarray:
    """The collection's four initial conditions of a system."""
    if name in ("bacres", "predprey"):
        return np.c_[5 + rng.normal(0, 1, 4), 10 + rng.normal(0, 0.1, 4)]
    if name == "barmag":
        return rng.uniform(0, 2 * np.pi, (4, 2))
    if name == "glider":
        return np.c_[5 + rng.normal(0, 1, 4), rng.normal(0, 0.1, 4)]
    if name == "lv":
        return np.array([[1.0, 3.0], [4.0, 1.0], [8.0, 2.0], [3.0, 3.0]])
    if name == "shearflow":
        return np.c_[rng.uniform(-np.pi, np.pi, 4), rng.uniform(-np.pi / 2, np.pi / 2, 4)]
    return rng.uniform(0, 1, (4, 2))


def simulate(name: str, *, noise: float = 0.0, seed: int = 0, n: int = 100, dt: float = 0.1):
    """Four trajectories of system ``name`` as a :class:`discover.data.Series` (noise relative to each std)."""
    from discover.data import from_arrays

    rng = np.random.default_rng(seed)
    t = np.arange(n) * dt
    xs = []
    for x0 in initial_conditions(name, rng):
        sol = solve_ivp(_rhs(name), (t[0], t[-1]), x0, t_eval=t, method="LSODA", rtol=1e-10, atol=1e-10)
        xs.append(sol.y.T)
    if noise:
        std = np.vstack(xs).std(axis=0)
        xs = [x + noise * std * rng.normal(size=x.shape) for x in xs]
    return from_arrays(xs, t=[t] * len(xs), names=["x", "y"])


def main() -> None:
    here = Path(__file__).resolve().parent
    for name in SYSTEMS:
        series = simulate(name)
        series.to_frame().to_csv(here / f"{name}.csv", index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
