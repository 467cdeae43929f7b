"""ODE-Strogatz benchmark of discover.evolution beside gplearn and pyoperon (when installed).

For each of the 7 systems (14 equations) of cases/strogatz, clean and with 1 %
noise: derivatives estimated from the simulated data (the collection's
protocol: four trajectories, 100 samples each), one EvolutionSR fit per
system (both equations in one run), and a count of equations recovered
exactly: the same terms as the truth (the expressions' shapes with every
number replaced by a placeholder agree, after sympy's expand) and every
number within 10 % of the true one. The reference tools get the same
targets (one regressor per equation) and the same check; a missing tool is
skipped with a message.

Run: ``python benchmarks/bench_evolution.py [--noise 0 0.01] [--systems lv vdp ...]
[--max-seconds 100] [--tools evolution gplearn pyoperon] [--out FILE.json]``;
``--chaotic [lorenz chen ...]`` runs the polynomial chaotic flows of
:mod:`discover.systems` instead (clean; the equations' terms and numbers
checked the same way). ``--drop 0.25 --noise 0.03 --formulation auto neural_ode``
runs the irregular, noisy variant (ODEBench's protocol drops 25 % or 50 % of
the samples at random): each named formulation of EvolutionSR on the same
data, ``neural_ode`` being the neural-ODE targets with short-horizon choice.
Report the load average printed
beside any time: timings on a loaded machine are upper bounds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "cases" / "strogatz"))

from make_data import SYSTEMS, simulate  # noqa: E402

from discover.evolution import EvolutionSR  # noqa: E402

X, Y = sp.symbols("x y", real=True)


def _plain(expr):
    """Sympy expression with every symbol plain (found equations use real symbols, truths may not)."""
    e = sp.sympify(expr, locals={"x": X, "y": Y}) if isinstance(expr, str) else sp.sympify(expr)
    return e.xreplace({s: sp.Symbol(s.name) for s in e.free_symbols})


def _skeleton(expr):
    """The expression with every number replaced by ``c``, and the numbers.

    Implicit coefficients are made explicit wherever a number could stand
    (``x`` is ``1*x``, ``cos(x)`` is ``1*cos(1*x)``), so that ``0.9996*x``
    or ``cos(0.997*x)`` have the truth's skeleton and their numbers are then
    compared with its 1s.
    """
    expr = sp.expand(_plain(expr))
    nums = []
    c = sp.Symbol("c")

    def walk(e):  # a place where a coefficient may stand
        if e.is_Number:
            nums.append(float(e))
            return c
        coeff, rest = e.as_coeff_Mul()
        nums.append(float(coeff))
        return c * inner(rest)

    def inner(e):
        if e.is_Number:
            nums.append(float(e))
            return c
        if not e.args:
            return e
        if e.is_Add:
            return sp.Add(*[walk(a) for a in e.args])
        if e.is_Mul:
            return sp.Mul(*[inner(a) for a in e.args])
        if e.is_Pow:
            return inner(e.base) ** inner(e.exp)
        return e.func(*[walk(a) for a in e.args])

    return walk(expr), nums


def _canonical(expr):
    """A canonical form for equivalent writings: tan/cot as sin/cos, trigonometric functions as
    exponentials, one fraction with expanded numerator and denominator, the coefficient of the
    denominator's first term scaled to 1."""
    e = _plain(expr)
    e = e.replace(sp.tan, lambda a: sp.sin(a) / sp.cos(a)).replace(sp.cot, lambda a: sp.cos(a) / sp.sin(a))
    if e.has(sp.sin, sp.cos):
        e = e.rewrite(sp.exp)
    num, den = sp.fraction(sp.together(sp.expand(e)))
    num, den = sp.expand(num), sp.expand(den)
    # scale so that the denominator's first term (in sympy's canonical order of its non-numeric part)
    # has coefficient 1: the same fraction written with other factors then has the same numbers
    first = min(sp.Add.make_args(den), key=lambda a: sp.default_sort_key(a.as_coeff_Mul()[1]))
    lead = first.as_coeff_Mul()[0]
    if lead:
        num, den = num / lead, den / lead
    return sp.expand(sp.N(num)), sp.expand(sp.N(den))


def _match(fe, te, tol):
    fs, fn = _skeleton(fe)
    ts, tn = _skeleton(te)
    if fs != ts or len(fn) != len(tn):
        return False
    return all(abs(a - b) <= tol * abs(b) + 1e-12 for a, b in zip(sorted(fn), sorted(tn)))


def exact(found, truth, tol=0.1) -> bool:
    """Same terms as ``truth`` with every number within ``tol`` (relative).

    Compared as written (after sympy's expand) and, failing that, in a
    canonical form (:func:`_canonical`) so that equivalent writings count:
    ``cos(x)*cos(y)/sin(y)`` for ``cos(x)/tan(y)``, ``2*x*y/(x**2 + 2)`` for
    ``x*y/(1 + 0.5*x**2)``, with a tolerance of ``tol / 4`` because the
    canonical numbers combine several original ones. An extra or a missing
    term fails both.
    """
    try:
        if _match(found, truth, tol):
            return True
        (fn, fd), (tn, td) = _canonical(found), _canonical(truth)
        # numbers of the canonical form mix the original coefficients: a tighter tolerance there
        return _match(fn, tn, tol / 4) and _match(fd, td, tol / 4)
    except (TypeError, ValueError, AttributeError, sp.SympifyError):
        return False


def _targets(series):
    dx = np.vstack(series.derivatives("spline"))  # the targets EvolutionSR uses on clean data
    return series.x, dx


def run_evolution(series, max_seconds, seed, formulation="auto", n_jobs=1):
    t0 = time.perf_counter()
    model = EvolutionSR(random_state=seed, max_seconds=max_seconds, progress=False,
                        formulation=formulation, n_jobs=n_jobs).fit(series)
    return [str(e) for e in model.equations()], time.perf_counter() - t0, model.search_


def run_chaotic(names, max_seconds, seed):
    """Polynomial chaotic flows of discover.systems (clean, 2000 samples after the burn-in of the SINDy suite)."""
    from discover.systems import SYSTEMS as FLOWS
    from discover.systems import simulate as simulate_flow

    total = found = 0
    for name in names:
        system = FLOWS[name]
        series = simulate_flow(name, n=2000, dt=system.extra.get("dt", 0.01),
                               burn_in=system.extra.get("burn_in", 1000), seed=seed)
        eqs, secs, info = run_evolution(series, max_seconds, seed)
        ok = [exact(e, system.equations[v]) for e, v in zip(eqs, system.variables)]
        total += len(ok)
        found += sum(ok)
        print(json.dumps({"system": name, "evolution": eqs, "exact": ok, "seconds": secs,
                          "seconds_per_equation": secs / len(ok)}), f"load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"chaotic: evolution exact {found}/{total}, load {os.getloadavg()[0]:.1f}", flush=True)


def drop_samples(series, share, seed):
    """The series with ``share`` of each trajectory's samples dropped at random (first and last kept)."""
    from discover.data import from_arrays

    rng = np.random.default_rng(seed + 1000)
    ts, xs = [], []
    for tr in series.trajectories:
        n = len(tr)
        inner = rng.permutation(np.arange(1, n - 1))[: int(round(share * n))]
        keep = np.setdiff1d(np.arange(n), inner)
        ts.append(tr.t[keep])
        xs.append(tr.x[keep])
    return from_arrays(xs, t=ts, names=list(series.variables))


def run_gplearn(X_, dx, seed):
    try:
        from gplearn.genetic import SymbolicRegressor
    except ImportError:
        return None
    out = []
    for j in range(2):
        reg = SymbolicRegressor(population_size=1000, generations=20, function_set=("add", "sub", "mul", "div",
                                "sin", "cos"), random_state=seed)
        reg.fit(X_, dx[:, j])
        text = str(reg._program)
        loc = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
               "div": lambda a, b: a / b, "sin": sp.sin, "cos": sp.cos, "X0": X, "X1": Y}
        out.append(str(sp.sympify(text, locals=loc)))
    return out


def run_pyoperon(X_, dx, seed):
    try:
        from pyoperon.sklearn import SymbolicRegressor
    except ImportError:
        return None
    out = []
    for j in range(2):
        reg = SymbolicRegressor(allowed_symbols="add,sub,mul,div,sin,cos,constant,variable", random_state=seed,
                                n_threads=1)
        reg.fit(X_, dx[:, j])
        out.append(reg.get_model_string(reg.model_, 6, ["x", "y"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.01])
    ap.add_argument("--systems", nargs="+", default=list(SYSTEMS))
    ap.add_argument("--max-seconds", type=float, default=100.0, help="search budget per system (two equations)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    ap.add_argument("--tools", nargs="+", default=["evolution", "gplearn", "pyoperon"],
                    help="which of evolution, gplearn, pyoperon to run (e.g. references in a separate process)")
    ap.add_argument("--chaotic", nargs="*", default=None,
                    help="instead: polynomial chaotic flows of discover.systems (no names: lorenz)")
    ap.add_argument("--drop", type=float, default=0.0,
                    help="share of each trajectory's samples dropped at random (irregular sampling)")
    ap.add_argument("--formulation", nargs="+", default=["auto"],
                    help="EvolutionSR formulations to run on the same data (auto, strong, weak, neural_ode)")
    ap.add_argument("--n-jobs", type=int, default=1, help="processes for the islands (EvolutionSR's n_jobs)")
    ap.add_argument("--rescore", default=None, help="score the rows of a saved --out FILE.json again and stop")
    args = ap.parse_args()
    if args.rescore:
        for row in json.loads(Path(args.rescore).read_text()):
            truth = SYSTEMS[row["system"]]
            marks = {t: [exact(e, tr) for e, tr in zip(row[t], truth)] for t in ("evolution", "gplearn", "pyoperon")
                     if t in row}
            print(row["system"], row["noise"], marks, f"{row.get('seconds_per_equation', float('nan')):.1f} s/eq")
        return
    if args.chaotic is not None:
        run_chaotic(args.chaotic or ["lorenz"], args.max_seconds, args.seed)
        return
    rows = []
    for noise in args.noise:
        for name in args.systems:
            series = simulate(name, noise=noise, seed=args.seed)
            if args.drop:
                series = drop_samples(series, args.drop, args.seed)
            truth = SYSTEMS[name]
            row = {"system": name, "noise": noise, "drop": args.drop}
            for form in args.formulation if "evolution" in args.tools else []:
                eqs, secs, info = run_evolution(series, args.max_seconds, args.seed, form, args.n_jobs)
                tag = "" if form == "auto" else f"_{form}"
                row.update({f"evolution{tag}": eqs, f"seconds{tag}": secs, f"seconds_per_equation{tag}": secs / 2,
                            f"evaluations_per_second{tag}": info["evaluations_per_second"],
                            f"iterations{tag}": info["iterations"], f"search_seconds{tag}": info["seconds"],
                            f"exact{tag}": [exact(e, t) for e, t in zip(eqs, truth)]})
            X_, dx = _targets(series)
            for tool, fn in (("gplearn", run_gplearn), ("pyoperon", run_pyoperon)):
                if tool not in args.tools:
                    continue
                t0 = time.perf_counter()
                res = fn(X_, dx, args.seed)
                if res is None:
                    print(f"{tool} is not installed: skipped", flush=True)
                    continue
                row[tool] = res
                row[f"{tool}_seconds_per_equation"] = (time.perf_counter() - t0) / 2
                row[f"{tool}_exact"] = [exact(e, t) for e, t in zip(res, truth)]
            row["load"] = os.getloadavg()[0]
            rows.append(row)
            print(json.dumps(row), f"load {os.getloadavg()[0]:.1f}", flush=True)
            if args.out:  # after every system, so that a stopped run keeps what it measured
                Path(args.out).write_text(json.dumps(rows, indent=1))
        sub = [r for r in rows if r["noise"] == noise]
        forms = tuple((f"evolution {f}", f"exact_{f}", f"seconds_per_equation_{f}")
                      for f in args.formulation if f != "auto")
        for tool, key, sec in forms + (("evolution", "exact", "seconds_per_equation"),
                               ("gplearn", "gplearn_exact", "gplearn_seconds_per_equation"),
                               ("pyoperon", "pyoperon_exact", "pyoperon_seconds_per_equation")):
            have = [r for r in sub if key in r]
            if have:
                print(f"noise {noise:g}: {tool} exact {sum(sum(r[key]) for r in have)}/{2 * len(have)}, "
                      f"mean {np.mean([r[sec] for r in have]):.1f} s per equation, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
