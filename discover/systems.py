"""Small dynamical systems with known truth, integrated with scipy.

Used by the bundled cases, the tests and the benchmarks: data generated in
code, never downloaded. Each :class:`System` knows its equations (sympy
strings over its variable names), its interaction graph and its invariants.

Examples
--------
>>> from discover.systems import simulate, SYSTEMS
>>> s = simulate("lorenz", n=100, dt=0.01)
>>> s.variables
('x', 'y', 'z')
>>> SYSTEMS["lorenz"].equations["x"]
'10*(y - x)'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .data import Series, Trajectory

__all__ = ["System", "SYSTEMS", "CHAOTIC", "CUBIC", "simulate", "integrate", "add_noise"]


@dataclass(frozen=True)
class System:
    """An ODE system ``d(variable)/dt = equations[variable]``."""

    name: str
    variables: tuple
    equations: dict  #: variable -> rhs as a sympy-parsable string
    x0: tuple
    invariants: tuple = ()  #: conserved quantities as strings
    description: str = ""
    x0_spread: float = 0.0  #: relative spread of random initial conditions
    extra: dict = field(default_factory=dict)

    def symbols(self) -> list[sp.Symbol]:
        return [sp.Symbol(v, real=True) for v in self.variables]

    def rhs_exprs(self) -> list[sp.Expr]:
        loc = {v: s for v, s in zip(self.variables, self.symbols())}
        return [sp.sympify(self.equations[v], locals=loc) for v in self.variables]

    def rhs_function(self):
        """``f(t, x) -> dx/dt`` as a fast numpy function."""
        f = sp.lambdify(self.symbols(), self.rhs_exprs(), "numpy")

        def rhs(t, x):
            return np.array(f(*x), dtype=float).reshape(-1)

        return rhs

    def graph_edges(self) -> set[tuple[str, str]]:
        """Interaction edges ``(source, target)``: source appears in target's equation."""
        edges = set()
        for v, e in zip(self.variables, self.rhs_exprs()):
            for s in e.free_symbols:
                edges.add((s.name, v))
        return edges


SYSTEMS: dict[str, System] = {
    s.name: s
    for s in [
        System("lorenz", ("x", "y", "z"),
               {"x": "10*(y - x)", "y": "x*(28 - z) - y", "z": "x*y - 8/3*z"},
               (-8.0, 8.0, 27.0), description="Lorenz-63, chaotic (σ=10, ρ=28, β=8/3)", x0_spread=0.3),
        System("damped_oscillator", ("x", "v"),
               {"x": "v", "v": "-4*x - 0.2*v"},
               (2.0, 0.0), description="Linear damped oscillator ω0=2, ζ=0.05", x0_spread=0.5),
        System("harmonic_oscillator", ("x", "v"),
               {"x": "v", "v": "-4*x"},
               (1.0, 0.0), invariants=("4*x**2 + v**2",), description="Undamped oscillator ω=2",
               x0_spread=0.5),
        System("lotka_volterra", ("prey", "predator"),
               {"prey": "1.0*prey - 0.5*prey*predator", "predator": "0.2*prey*predator - 0.6*predator"},
               (4.0, 1.5),
               invariants=("0.2*prey - 0.6*log(prey) + 0.5*predator - 1.0*log(predator)",),
               description="Lotka–Volterra predator–prey", x0_spread=0.3),
        System("pendulum", ("theta", "omega"),
               {"theta": "omega", "omega": "-9.81*sin(theta)"},
               (1.0, 0.0), invariants=("omega**2/2 - 9.81*cos(theta)",),
               description="Nonlinear pendulum g/L = 9.81", x0_spread=0.3),
        System("rossler", ("x", "y", "z"),
               {"x": "-y - z", "y": "x + 0.2*y", "z": "0.2 + z*(x - 5.7)"},
               (1.0, 1.0, 0.0), description="Rössler attractor", x0_spread=0.2),
        # Systems with known conserved quantities (used by discover.conservation).
        System("kepler", ("x", "y", "vx", "vy"),
               {"x": "vx", "y": "vy", "vx": "-x/(x**2 + y**2)**(3/2)", "vy": "-y/(x**2 + y**2)**(3/2)"},
               (1.0, 0.0, 0.0, 1.2),
               invariants=("(vx**2 + vy**2)/2 - 1/sqrt(x**2 + y**2)", "x*vy - y*vx",
                           "x*vy**2 - y*vx*vy - x/sqrt(x**2 + y**2)", "y*vx**2 - x*vx*vy - y/sqrt(x**2 + y**2)"),
               description="Kepler two-body problem in the relative frame (GM=1), eccentricity 0.44: "
                           "energy, angular momentum, Laplace–Runge–Lenz vector (3 independent)",
               x0_spread=0.1),
        System("rigid_body", ("w1", "w2", "w3"),
               {"w1": "-w2*w3", "w2": "w3*w1", "w3": "-w1*w2/3"},
               (1.0, 0.5, 0.3),
               invariants=("w1**2 + 2*w2**2 + 3*w3**2", "w1**2 + 4*w2**2 + 9*w3**2"),
               description="Free rigid body (Euler equations), inertia (1, 2, 3): energy and |L|^2",
               x0_spread=0.3),
        System("sir", ("S", "I", "R"),
               {"S": "-0.3*S*I", "I": "0.3*S*I - 0.1*I", "R": "0.1*I"},
               (0.95, 0.05, 0.0),
               invariants=("S + I + R", "S + I - log(S)/3"),
               description="SIR epidemic β=0.3, γ=0.1 (fractions): population and the S–I first integral",
               x0_spread=0.3),
        System("fpu_chain", ("x1", "x2", "x3", "v1", "v2", "v3"),
               {"x1": "v1", "x2": "v2", "x3": "v3",
                "v1": "(x2 - x1) + 0.5*(x2 - x1)**2",
                "v2": "(x3 - x2) + 0.5*(x3 - x2)**2 - (x2 - x1) - 0.5*(x2 - x1)**2",
                "v3": "-(x3 - x2) - 0.5*(x3 - x2)**2"},
               (0.0, 0.0, 0.0, 0.6, -0.2, -0.4),
               invariants=("v1 + v2 + v3",
                           "(v1**2 + v2**2 + v3**2)/2 + (x2 - x1)**2/2 + (x3 - x2)**2/2"
                           " + (x2 - x1)**3/6 + (x3 - x2)**3/6"),
               description="Three masses on a free FPU-α chain (α=0.5): momentum and energy",
               x0_spread=0.05),
        System("henon_heiles", ("x", "y", "px", "py"),
               {"x": "px", "y": "py", "px": "-x - 2*x*y", "py": "-y - x**2 + y**2"},
               (0.0, 0.1, 0.49, 0.0),
               invariants=("(px**2 + py**2)/2 + (x**2 + y**2)/2 + x**2*y - y**3/3",),
               description="Hénon–Heiles at E≈1/8 (mixed/chaotic): energy only", x0_spread=0.1),
    ]
}


def integrate(system: System | str, t: np.ndarray, x0) -> np.ndarray:
    """Integrate ``system`` from ``x0`` and return states at times ``t`` (tight tolerances)."""
    from scipy.integrate import solve_ivp

    system = SYSTEMS[system] if isinstance(system, str) else system
    sol = solve_ivp(system.rhs_function(), (t[0], t[-1]), np.asarray(x0, float), t_eval=t,
                    method="DOP853", rtol=1e-10, atol=1e-10)
    if not sol.success or sol.y.shape[1] != len(t):  # pragma: no cover - systems here are benign
        raise RuntimeError(f"integration of {system.name} failed: {sol.message}")
    return sol.y.T


def add_noise(x: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of ``level`` × each column's standard deviation."""
    if level <= 0:
        return x
    return x + level * x.std(axis=0) * rng.standard_normal(x.shape)


def simulate(system: System | str, *, n: int = 2000, dt: float = 0.01, n_trajectories: int = 1,
             noise: float = 0.0, seed: int = 0, x0=None, burn_in: int = 0) -> Series:
    """A :class:`~discover.data.Series` of ``system`` with known truth.

    The first trajectory starts at ``x0`` (default: the system's); the others
    at random perturbations of it. ``noise`` is relative to each variable's
    standard deviation. ``burn_in`` samples are integrated and dropped.
    """
    system = SYSTEMS[system] if isinstance(system, str) else system
    rng = np.random.default_rng(seed)
    base = np.asarray(system.x0 if x0 is None else x0, float)
    t = np.arange(n + burn_in) * dt
    trajs = []
    for k in range(n_trajectories):
        start = base if k == 0 else base * (1 + system.x0_spread * rng.uniform(-1, 1, base.shape)) \
            + system.x0_spread * rng.uniform(-0.5, 0.5, base.shape) * (base == 0)
        x = integrate(system, t, start)[burn_in:]
        trajs.append(Trajectory(t[burn_in:] - t[burn_in], add_noise(x, noise, rng), name=f"{system.name}-{k}"))
    return Series(tuple(trajs), system.variables, source=f"discover.systems:{system.name}",
                  meta={"system": system.name, "noise": noise})


# Polynomial chaotic flows for the SINDy benchmark (benchmarks/bench_sindy.py), with the
# parameters of the literature (as in the dysts collection). ``extra["dt"]`` is a sampling
# step that resolves the fastest oscillation with a few dozen samples; ``extra["burn_in"]``
# samples reach the attractor.
for _system in [
    System("chen", ("x", "y", "z"), {"x": "35*(y - x)", "y": "-7*x - x*z + 28*y", "z": "x*y - 3*z"},
           (-10.0, 0.0, 37.0), description="Chen (a=35, b=3, c=28)", x0_spread=0.1,
           extra={"dt": 0.002, "burn_in": 2000}),
    System("lu", ("x", "y", "z"), {"x": "36*(y - x)", "y": "-x*z + 20*y", "z": "x*y - 3*z"},
           (1.0, 1.0, 1.0), description="Lü (a=36, b=3, c=20)", x0_spread=0.1,
           extra={"dt": 0.002, "burn_in": 2000}),
    System("sprott_a", ("x", "y", "z"), {"x": "y", "y": "-x + y*z", "z": "1 - y**2"},
           (0.0, 5.0, 0.0), description="Sprott A (conservative Nosé–Hoover)", x0_spread=0.05,
           extra={"dt": 0.02, "burn_in": 0}),
    System("sprott_b", ("x", "y", "z"), {"x": "y*z", "y": "x - y", "z": "1 - x*y"},
           (0.1, 0.1, 0.1), description="Sprott B", x0_spread=0.1, extra={"dt": 0.02, "burn_in": 2000}),
    System("sprott_c", ("x", "y", "z"), {"x": "y*z", "y": "x - y", "z": "1 - x**2"},
           (0.1, 0.1, 0.1), description="Sprott C", x0_spread=0.1, extra={"dt": 0.02, "burn_in": 2000}),
    System("sprott_d", ("x", "y", "z"), {"x": "-y", "y": "x + z", "z": "x*z + 3*y**2"},
           (0.1, 0.1, 0.1), description="Sprott D", x0_spread=0.1, extra={"dt": 0.02, "burn_in": 2000}),
    System("sprott_e", ("x", "y", "z"), {"x": "y*z", "y": "x**2 - y", "z": "1 - 4*x"},
           (0.1, 0.1, 0.1), description="Sprott E", x0_spread=0.1, extra={"dt": 0.02, "burn_in": 2000}),
    System("halvorsen", ("x", "y", "z"),
           {"x": "-1.89*x - 4*y - 4*z - y**2", "y": "-1.89*y - 4*z - 4*x - z**2",
            "z": "-1.89*z - 4*x - 4*y - x**2"},
           (-1.48, -1.51, 2.04), description="Halvorsen (a=1.89), cyclically symmetric", x0_spread=0.05,
           extra={"dt": 0.005, "burn_in": 2000}),
    System("rabinovich_fabrikant", ("x", "y", "z"),
           {"x": "y*(z - 1 + x**2) + 0.1*x", "y": "x*(3*z + 1 - x**2) + 0.1*y", "z": "-2*z*(0.14 + x*y)"},
           (-1.0, 0.0, 0.5), description="Rabinovich–Fabrikant (α=0.14, γ=0.1), cubic", x0_spread=0.05,
           extra={"dt": 0.01, "burn_in": 2000}),
    System("arneodo", ("x", "y", "z"), {"x": "y", "y": "z", "z": "5.5*x - 3.5*y - z - x**3"},
           (0.2, 0.2, 0.2), description="Arneodo (a=-5.5, b=3.5, c=1, d=-1), cubic", x0_spread=0.1,
           extra={"dt": 0.01, "burn_in": 2000}),
    System("genesio_tesi", ("x", "y", "z"), {"x": "y", "y": "z", "z": "-x - 1.1*y - 0.44*z + x**2"},
           (0.1, 0.1, 0.1), description="Genesio–Tesi (a=0.44, b=1.1, c=1)", x0_spread=0.1,
           extra={"dt": 0.02, "burn_in": 2000}),
    System("rikitake", ("x", "y", "z"), {"x": "-2*x + y*z", "y": "-2*y + x*(z - 5)", "z": "1 - x*y"},
           (1.0, 0.0, 0.5), description="Rikitake dynamo (μ=2, a=5)", x0_spread=0.1,
           extra={"dt": 0.01, "burn_in": 2000}),
    System("nose_hoover", ("x", "y", "z"), {"x": "y", "y": "-x + y*z", "z": "1.5 - y**2"},
           (0.0, 5.0, 0.0), description="Nosé–Hoover thermostat (a=1.5)", x0_spread=0.05,
           extra={"dt": 0.02, "burn_in": 0}),
]:
    SYSTEMS.setdefault(_system.name, _system)
del _system

# Systems whose right-hand side is cubic (or, for Thomas, trigonometric): a default SINDy must find them
# without being told the degree. Parameters are the published ones: Rabinovich–Fabrikant with those of
# the dysts collection (a=1.1, γ=0.87); the Duffing oscillator with dysts' (α=1, β=-1, δ=0.1, γ=0.35,
# ω=1.4), its forcing cos(ωt) carried by a harmonic pair u = cos(ωt), v = sin(ωt) so the flow is
# autonomous and polynomial; Van der Pol with μ=1; FitzHugh–Nagumo with FitzHugh's a=0.7, b=0.8,
# τ=12.5 and current I=0.5; Thomas' cyclically symmetric attractor with b=0.208186.
for _system in [
    System("rabinovich_fabrikant_dysts", ("x", "y", "z"),
           {"x": "y*(z - 1 + x**2) + 0.87*x", "y": "x*(3*z + 1 - x**2) + 0.87*y", "z": "-2*z*(1.1 + x*y)"},
           (-1.0, 0.0, 0.5), description="Rabinovich–Fabrikant with dysts' parameters (a=1.1, γ=0.87), cubic",
           x0_spread=0.05, extra={"dt": 0.01, "burn_in": 2000}),
    System("duffing", ("x", "y", "u", "v"),
           {"x": "y", "y": "-0.1*y + x - x**3 + 0.35*u", "u": "-1.4*v", "v": "1.4*u"},
           (1.0, 0.0, 1.0, 0.0), description="Forced Duffing (δ=0.1, α=1, β=-1, γ=0.35, ω=1.4), forcing "
                                             "u = cos(ωt), v = sin(ωt) as states; cubic",
           x0_spread=0.1, extra={"dt": 0.02, "burn_in": 2000}),
    System("van_der_pol", ("x", "y"), {"x": "y", "y": "(1 - x**2)*y - x"},
           (0.5, 0.0), description="Van der Pol (μ=1), from near the origin onto the limit cycle; cubic",
           x0_spread=0.2, extra={"dt": 0.02, "burn_in": 0}),
    System("fitzhugh_nagumo", ("v", "w"), {"v": "v - v**3/3 - w + 0.5", "w": "(v + 0.7 - 0.8*w)/12.5"},
           (-2.0, 1.5), description="FitzHugh–Nagumo (a=0.7, b=0.8, τ=12.5, I=0.5), from off the cycle; cubic",
           x0_spread=0.2, extra={"dt": 0.05, "burn_in": 0}),
    System("thomas", ("x", "y", "z"),
           {"x": "sin(y) - 0.208186*x", "y": "sin(z) - 0.208186*y", "z": "sin(x) - 0.208186*z"},
           (0.1, 0.0, 0.0), description="Thomas' cyclically symmetric attractor (b=0.208186); needs Fourier terms",
           x0_spread=0.1, extra={"dt": 0.1, "burn_in": 2000}),
]:
    SYSTEMS.setdefault(_system.name, _system)
del _system

#: Systems with cubic (or trigonometric) right-hand sides, of the SINDy benchmark and its tests.
CUBIC = ("rabinovich_fabrikant_dysts", "duffing", "van_der_pol", "fitzhugh_nagumo", "thomas")

#: The polynomial chaotic flows of the SINDy benchmark suite.
CHAOTIC = ("lorenz", "rossler", "chen", "lu", "sprott_a", "sprott_b", "sprott_c", "sprott_d", "sprott_e",
           "halvorsen", "rabinovich_fabrikant", "arneodo", "genesio_tesi", "rikitake", "nose_hoover")
