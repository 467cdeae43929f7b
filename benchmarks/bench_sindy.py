"""SINDy benchmark: discover.sindy beside pysindy, in the same run.

Suite: the polynomial chaotic flows of :data:`discover.systems.CHAOTIC`
(Lorenz, Rössler, Chen, Lü, Sprott A–E, Halvorsen, Rabinovich–Fabrikant,
Arneodo, Genesio–Tesi, Rikitake, Nosé–Hoover) and the cubic systems of
:data:`discover.systems.CUBIC` (Rabinovich–Fabrikant with dysts' a=1.1,
γ=0.87, forced Duffing, Van der Pol, FitzHugh–Nagumo, and Thomas, whose
right-hand side is trigonometric), 4000 samples each, at 0 %, 1 % and 5 %
Gaussian noise (of each variable's standard deviation). Every method gets the
same data.

Methods
-------
discover   ``discover.sindy.SINDy()`` with its defaults: it chooses the library itself (polynomial
           degree, Fourier terms) by its held-out criterion, selects the sparsity automatically,
           20-bag ensembles, weak form when noisy, short-horizon simulation check and the held-out
           validation simulation — no tuning per system. Scored on its raw coefficients
           (``raw_equations``), not the rationalized display.
pysindy    ``ps.SINDy`` defaults (STLSQ threshold 0.1, finite differences), given the library that
           holds the truth (cubic polynomials; plus ``ps.FourierLibrary(1)`` for Thomas) — an advantage
           discover does not get.
pysindy-sweep
           The same library; ``ps.STLSQ`` over 30 thresholds on raw columns (1e-3 to 10) and 30 with
           ``normalize_columns=True`` (1e-4 to 1 times the median norm of the derivative columns: with
           normalised columns a coefficient is the norm of its term's contribution), smoothed finite
           differences on noisy data. As pysindy's model-selection examples advise, the setting is
           chosen on held-out data: the sparsest model whose derivative error on the last 20 % of the
           data is within 10 % of the best one (or within 0.1 % of the derivatives' root mean square,
           discover's error floor).
pysindy-oracle
           Threshold sweeps (raw and normalised columns; the strong form, and on noisy data also
           pysindy's weak form ``ps.WeakPDELibrary``, as discover uses a weak form there) on all the
           data with, for each equation, the setting whose model is closest to the truth: the best any
           such sweep can do, not a usable method. Its time includes scoring against the truth.

Scores, per equation: ``terms`` = exactly the true terms; ``1%``/``10%`` = exact terms
and every coefficient within that relative error; all scores compare raw estimates. Time:
seconds per equation, every method on one BLAS thread in the same process. The second table runs
the seven two-variable ODE-Strogatz systems with the right library (user terms) and with a plain
polynomial one.

Run ``python benchmarks/bench_sindy.py`` (all; ~15 min on one core) or
``python benchmarks/bench_sindy.py --systems lorenz thomas --noise 0 0.01``.
"""

from __future__ import annotations

import argparse
import os
import re
import time
import warnings

# one BLAS thread for every method (small matrices; threads only add contention)
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

from discover.cases import score_equations  # noqa: E402
from discover.sindy import SINDy  # noqa: E402
from discover.systems import CHAOTIC, CUBIC, SYSTEMS, System, integrate, simulate  # noqa: E402

FOURIER = {"thomas"}  # systems whose truth needs sin/cos terms (pysindy is given them)


def _per_equation(eqs: dict, truth: dict) -> list[tuple[bool, float]]:
    out = []
    for var, rhs in truth.items():
        s = score_equations({var: eqs.get(var, "0")}, {"equations": {var: rhs}})
        exact = s["exact"] == 1
        err = s["max_rel_coef_error"] if exact else float("inf")
        out.append((exact, err))
    return out


def _library(fourier: bool):
    import pysindy as ps

    lib = ps.PolynomialLibrary(degree=3)
    return lib + ps.FourierLibrary(n_frequencies=1) if fourier else lib


def _axes(x):
    import pysindy as ps

    return ps.AxesArray(x, {"ax_sample": 0, "ax_coord": 1})


def _pysindy_fit(series, *, sweep: bool, fourier: bool, noisy: bool):
    import pysindy as ps

    xs = [tr.x for tr in series.trajectories]
    ts = [tr.t for tr in series.trajectories]
    names = list(series.variables)
    diff = ps.SmoothedFiniteDifference() if (sweep and noisy) else ps.FiniteDifference()
    if not sweep:
        model = ps.SINDy(feature_library=_library(fourier), differentiation_method=diff)
        model.fit(xs, t=ts, feature_names=names)
        return model, names
    # derivatives and library once; STLSQ over the thresholds, on raw and on normalised columns
    n = len(xs[0])
    cut = int(0.8 * n)
    xdot = diff._differentiate(xs[0], ts[0])
    theta = np.asarray(_library(fourier).fit_transform(_axes(xs[0])))
    scale = float(np.median(np.linalg.norm(xdot[:cut], axis=0)))
    fits = []
    for normalize, thresholds in ((False, np.geomspace(1e-3, 10.0, 30)), (True, np.geomspace(1e-4, 1.0, 30) * scale)):
        for thr in thresholds:
            opt = ps.STLSQ(threshold=thr, normalize_columns=normalize)
            opt.fit(theta[:cut], xdot[:cut])
            coef = np.asarray(opt.coef_)
            err = np.sqrt(np.mean((theta[cut:] @ coef.T - xdot[cut:]) ** 2))
            fits.append((err, np.count_nonzero(coef), thr, normalize))
    best_err = min(f[0] for f in fits)
    # the sparsest model whose held-out error is within 10 % of the best one (or within discover's error
    # floor, 0.1 % of the derivatives' size, so that clean data do not reward fitting round-off)
    tol = max(1.1 * best_err, best_err + 1e-3 * float(np.sqrt(np.mean(xdot[cut:] ** 2))))
    err, k, thr, normalize = min((f for f in fits if f[0] <= tol), key=lambda f: (f[1], f[0]))
    model = ps.SINDy(optimizer=ps.STLSQ(threshold=thr, normalize_columns=normalize),
                     feature_library=_library(fourier), differentiation_method=diff)
    model.fit(xs, t=ts, feature_names=names)
    return model, names


def _pysindy_oracle(series, truth: dict, *, fourier: bool, noisy: bool, weak: bool) -> dict:
    """The best a threshold sweep can do: per equation, the setting whose model is closest to the truth."""
    import pysindy as ps

    x, t = series.trajectories[0].x, series.trajectories[0].t
    names = list(series.variables)
    diff = ps.SmoothedFiniteDifference() if noisy else ps.FiniteDifference()
    xdot = diff._differentiate(x, t)
    lib = _library(fourier)
    problems = [(np.asarray(lib.fit_transform(_axes(x))), xdot, lib.get_feature_names(names))]
    if weak:
        np.random.seed(0)  # pysindy's weak form places its test-function domains with numpy's global generator
        wlib = ps.WeakPDELibrary(function_library=_library(fourier), spatiotemporal_grid=t, K=400, p=4)
        wtheta = np.asarray(wlib.fit_transform(_axes(x)))
        problems.append((wtheta, np.asarray(wlib.convert_u_dot_integral(_axes(x))), wlib.get_feature_names(names)))
    best: dict = {}
    for theta, target, feats in problems:
        scale = float(np.median(np.linalg.norm(target, axis=0)))
        for normalize, thresholds in ((False, np.geomspace(1e-3, 10.0, 30)),
                                      (True, np.geomspace(1e-4, 1.0, 30) * scale)):
            for thr in thresholds:
                opt = ps.STLSQ(threshold=thr, normalize_columns=normalize)
                opt.fit(theta, target)
                eqs = _coef_equations(np.asarray(opt.coef_), feats, names)
                for var, (exact, err) in zip(names, _per_equation(eqs, truth)):
                    key = (not exact, err)
                    if var not in best or key < best[var][0]:
                        best[var] = (key, eqs[var])
    return {v: e for v, (_, e) in best.items()}


_TRIG = re.compile(r"^(sin|cos)\((\d+) (\w+)\)$")


def _coef_equations(coef, feats, names) -> dict:
    import sympy as sp

    from discover.findings import symbols_for

    syms = symbols_for(names)
    out = {}
    for i, var in enumerate(names):
        expr = sp.Integer(0)
        for c, f in zip(coef[i], feats):
            if c == 0:
                continue
            trig = _TRIG.match(f)
            if trig:
                fn, k, v = trig.groups()
                term = (sp.sin if fn == "sin" else sp.cos)(int(k) * syms[v])
            else:
                term = sp.Integer(1)
                for tok in f.split(" "):
                    if tok == "1":
                        continue
                    base, _, p = tok.partition("^")
                    term *= syms[base] ** (int(p) if p else 1)
            expr += float(c) * term
        out[var] = expr
    return out


def _pysindy_equations(model, names) -> dict:
    return _coef_equations(np.asarray(model.coefficients()), model.get_feature_names(), names)


def run_chaotic(systems, noises, *, ensemble: int, seed: int = 0, detail: bool = False, methods=None):
    methods = methods or ["discover", "pysindy", "pysindy-sweep", "pysindy-oracle"]
    groups = {"quadratic": [s for s in systems if s not in CUBIC], "cubic": [s for s in systems if s in CUBIC]}
    stats = {(g, m, nz): {"n": 0, "terms": 0, "c1": 0, "c10": 0, "tp": 0, "nt": 0, "sec": 0.0}
             for g in groups for m in methods for nz in noises}
    rows = []
    for name in systems:
        system = SYSTEMS[name]
        group = "cubic" if name in CUBIC else "quadratic"
        dt, burn = system.extra.get("dt", 0.01), system.extra.get("burn_in", 1000)
        four = name in FOURIER
        for nz in noises:
            series = simulate(name, n=4000, dt=dt, burn_in=burn, noise=nz, seed=seed)
            truth = dict(system.equations)
            for m in methods:
                start = time.perf_counter()
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        if m == "discover":
                            # defaults: library search, selection, ensembles, simulation check on
                            model = SINDy(ensemble=ensemble, random_state=seed)
                            model.fit(series)
                            eqs = dict(zip(series.variables, model.raw_equations()))
                        elif m == "pysindy-oracle":
                            eqs = _pysindy_oracle(series, truth, fourier=four, noisy=nz > 0, weak=nz > 0.005)
                        else:
                            model, names = _pysindy_fit(series, sweep=(m == "pysindy-sweep"), fourier=four,
                                                        noisy=nz > 0)
                            eqs = _pysindy_equations(model, names)
                except Exception as exc:  # noqa: BLE001 - a failure scores zero
                    print(f"  {name} {nz} {m}: failed: {exc}")
                    eqs = {}
                sec = time.perf_counter() - start
                res = _per_equation(eqs, truth)
                sc = score_equations({v: eqs.get(v, "0") for v in truth}, {"equations": truth})
                n_true = sum(len(p["true_terms"]) for p in sc["per_equation"].values())
                n_tp = n_true - sum(len(p["missing"]) for p in sc["per_equation"].values())
                st = stats[(group, m, nz)]
                st["n"] += len(res)
                st["terms"] += sum(e for e, _ in res)
                st["c1"] += sum(e and err <= 0.01 for e, err in res)
                st["c10"] += sum(e and err <= 0.10 for e, err in res)
                st["tp"] += n_tp
                st["nt"] += n_true
                st["sec"] += sec
                rows.append((name, nz, m, sum(e for e, _ in res), len(res),
                             max((err for _, err in res), default=np.inf), sec))
                if detail:
                    print(f"  {name:27s} noise={nz:<5g} {m:14s} exact {rows[-1][3]}/{rows[-1][4]}"
                          f"  max err {rows[-1][5]:.2e}  {sec:6.2f}s", flush=True)
    print()
    print(f"SINDy suite: {len(systems)} systems, 4000 samples each (one run, seed {seed})")
    print(f"{'group':9s} {'noise':>6} {'method':15s} {'equations':>9} {'exact terms':>11} {'+coef 1%':>9}"
          f" {'+coef 10%':>10} {'recall':>7} {'s/equation':>11}")
    for g, members in groups.items():
        if not members:
            continue
        for nz in noises:
            for m in methods:
                st = stats[(g, m, nz)]
                n = max(st["n"], 1)
                print(f"{g:9s} {nz:6.0%} {m:15s} {st['n']:9d} {st['terms'] / n:11.1%} {st['c1'] / n:9.1%} "
                      f"{st['c10'] / n:10.1%} {st['tp'] / max(st['nt'], 1):7.1%} {st['sec'] / n:11.3f}")
    return stats, rows


# ---------------------------------------------------------------- ODE-Strogatz

STROGATZ = {
    "bacterial_respiration": (("x", "y"), {"x": "20 - x - x*y/(1 + 0.1*x**2)", "y": "10 - x*y/(1 + 0.1*x**2)"},
                              ["x*y/(1 + 0.1*x**2)"], (5.0, 10.0)),
    "bar_magnets": (("x", "y"), {"x": "0.5*sin(x - y) - sin(x)", "y": "0.5*sin(y - x) - sin(y)"},
                    ["sin(x)", "sin(y)", "sin(x - y)", "cos(x)", "cos(y)"], (1.0, 2.0)),
    "glider": (("v", "theta"), {"v": "-0.05*v**2 - sin(theta)", "theta": "v - cos(theta)/v"},
               ["sin(theta)", "cos(theta)", "cos(theta)/v"], (5.0, 1.0)),
    "lotka_volterra_interspecies": (("x", "y"), {"x": "3*x - 2*x*y - x**2", "y": "2*y - x*y - y**2"}, [],
                                    (5.0, 1.0)),
    "predator_prey": (("x", "y"), {"x": "x*(4 - x - y/(1 + x))", "y": "y*(x/(1 + x) - 0.075*y)"},
                      ["x*y/(1 + x)"], (3.0, 4.0)),
    "shear_flow": (("theta", "phi"), {"theta": "cot(phi)*cos(theta)",
                                      "phi": "(cos(phi)**2 + 0.1*sin(phi)**2)*sin(theta)"},
                   ["cot(phi)*cos(theta)", "cos(phi)**2*sin(theta)", "sin(phi)**2*sin(theta)"], (0.5, 1.0)),
    "van_der_pol": (("x", "y"), {"x": "10*(y - (x**3 - x)/3)", "y": "-x/10"}, [], (2.0, 0.0)),
}


def run_strogatz(seed: int = 0):
    print()
    print("ODE-Strogatz two-variable systems (clean, 3 trajectories x 1000 samples at dt = 0.01)")
    print(f"{'system':30s} {'right library':>14} {'polynomial':>11}")
    tot_right = tot_poly = tot_eq = 0
    sys_right = sys_poly = 0
    for name, (vars_, eqs, terms, x0) in STROGATZ.items():
        system = System(name, vars_, eqs, x0, x0_spread=0.3)
        rng = np.random.default_rng(seed)
        t = np.arange(1000) * 0.01
        trajs = []
        from discover.data import Series, Trajectory

        for k in range(3):
            start = np.asarray(x0) * (1 + (0.2 * rng.uniform(-1, 1, 2) if k else 0))
            try:
                x = integrate(system, t, start)
            except RuntimeError:
                continue
            trajs.append(Trajectory(t, x))
        series = Series(tuple(trajs), vars_)
        res = {}
        right = {"degree": 2, "terms": terms} if terms else {"degree": 3}  # polynomial systems: cubic
        for label, kw in (("right", right), ("poly", {"degree": 3})):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = SINDy(simulation=False, **kw).fit(series)
                found = dict(zip(vars_, model.raw_equations()))
                per = _per_equation(found, eqs)
                res[label] = sum(e and err <= 0.01 for e, err in per)
            except Exception as exc:  # noqa: BLE001
                print(f"  {name} {label}: failed: {exc}")
                res[label] = 0
        tot_right += res["right"]
        tot_poly += res["poly"]
        tot_eq += 2
        sys_right += res["right"] == 2
        sys_poly += res["poly"] == 2
        print(f"{name:30s} {res['right']:>12}/2 {res['poly']:>9}/2")
    print(f"{'equations recovered (coef 1%)':30s} {tot_right:>11}/{tot_eq} {tot_poly:>8}/{tot_eq}")
    print(f"{'systems recovered':30s} {sys_right:>12}/7 {sys_poly:>9}/7")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--systems", nargs="*", default=list(CHAOTIC) + list(CUBIC))
    p.add_argument("--noise", nargs="*", type=float, default=[0.0, 0.01, 0.05])
    p.add_argument("--ensemble", type=int, default=20)
    p.add_argument("--detail", action="store_true")
    p.add_argument("--no-strogatz", action="store_true")
    p.add_argument("--methods", nargs="*", default=None, help="discover, pysindy, pysindy-sweep, pysindy-oracle")
    a = p.parse_args(argv)
    run_chaotic(a.systems, a.noise, ensemble=a.ensemble, detail=a.detail, methods=a.methods)
    if not a.no_strogatz:
        run_strogatz()


if __name__ == "__main__":
    main()
