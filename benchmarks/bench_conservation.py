"""Benchmark: conserved quantities on classical systems, clean and with 1 % noise.

For every system: 4 trajectories from different initial conditions, 10⁴ samples
in all, a degree-3 polynomial library (plus sin/cos, log of positive variables
and, for Kepler, the user terms 1/r, x/r, y/r). A found law counts as
recovering a true one when the true law is a function of the found laws
(gradient-rank test at sample points); a found law that is not a function of
the true laws is a false positive.

Reference, side by side: the textbook null-space method (SVD of the one-step
increment matrix Θ(x_{k+1}) − Θ(x_k) stacked over trajectories, singular
values below 10⁻³ of the largest taken as laws, no noise model, no held-out
check, no sparse basis), scored the same way.

Both are timed in the same conditions: one BLAS thread for both (the
reference and discover's fit run inside the same ``threadpool_limits``
block; ``ConservationLaws.fit`` pins one BLAS thread by itself anyway, its
problems being many small dense ones). ``--threads N`` gives both N.

A second table: short noisy trajectories (the case of issue 13): a pendulum
with g/l = 4, 8 trajectories of 20 time units every 0.05 at 1 % measurement
noise (scipy's integrator, not discover.systems), and the damped oscillator
and Lorenz system, which have no law, on the same footing; seeds 0-4. A
third: the library adapting to few samples (US macro data from statsmodels,
when installed).

Run: ``python benchmarks/bench_conservation.py`` (about a minute on 2 cores);
``--quick`` runs 3 systems.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from discover.conservation import ConservationLaws, build_library, independent_count, match_invariants
from discover.systems import SYSTEMS, simulate

KEPLER_TERMS = ["1/sqrt(x**2 + y**2)", "x/sqrt(x**2 + y**2)", "y/sqrt(x**2 + y**2)"]
SUITE = [
    # name, dt, options
    ("harmonic_oscillator", 0.01, {}),
    ("pendulum", 0.01, {}),
    ("lotka_volterra", 0.04, {}),
    ("kepler", 0.01, {"terms": KEPLER_TERMS}),
    ("rigid_body", 0.01, {}),
    ("sir", 0.04, {}),
    ("fpu_chain", 0.01, {}),
    ("henon_heiles", 0.01, {}),
    ("damped_oscillator", 0.01, {}),
    ("lorenz", 0.005, {}),
]


def reference_svd(series, terms=(), rel=1e-3):
    """Textbook baseline: laws = right singular vectors of the increment matrix with small singular values."""
    lib = build_library(series.variables, degree=3, trig=True, log="auto", terms=terms, x=series.x)
    D = np.concatenate([np.diff(lib.evaluate(tr.x), axis=0) for tr in series.trajectories])
    scale = np.maximum(np.abs(D).max(axis=0), 1e-300)
    _, s, Vt = np.linalg.svd(D / scale, full_matrices=False)
    null = Vt[s < rel * s[0]]
    laws = []
    for v in null:
        c = v / scale
        c[np.abs(c) < 1e-8 * np.abs(c).max()] = 0
        laws.append(sum(float(ci) * t for ci, t in zip(c, lib.terms) if ci))
    return laws


def score(found, system, variables, points):
    """(independent true laws recovered, false positives), up to equivalent forms."""
    truth = list(system.invariants)
    if not found:
        return 0, 0
    if not truth:
        return 0, len(found)
    _, fp = match_invariants(found, truth, variables, points)
    recovered = [t for t in truth if match_invariants(found, [t], variables, points)[0] == 1]
    return (independent_count(recovered, variables, points) if recovered else 0), fp


def independent_truth(system, points):
    return independent_count(list(system.invariants), system.variables, points)


def main(quick: bool = False) -> None:
    suite = SUITE[:3] + SUITE[-1:] if quick else SUITE
    rows = []
    totals = {}
    for noise in (0.0, 0.01):
        for name, dt, opts in suite:
            system = SYSTEMS[name]
            series = simulate(name, n=2500, dt=dt, n_trajectories=4, noise=noise, seed=1)
            pts = series.x[:: max(1, series.n_samples // 300)]
            n_true = independent_truth(system, pts) if system.invariants else 0
            with threadpool_limits(limits=THREADS, user_api="blas"):  # the same for both
                t0 = time.perf_counter()
                model = ConservationLaws(random_state=0, **opts).fit(series)
                seconds = time.perf_counter() - t0
                t1 = time.perf_counter()
                ref = reference_svd(series, opts.get("terms", ()))
                ref_seconds = time.perf_counter() - t1
            found = [inv.expression for inv in model.invariants_]
            rec_ind, fp = score(found, system, series.variables, pts)
            r_ind, r_fp = score(ref, system, series.variables, pts)
            rows.append((name, noise, n_true, rec_ind, fp, seconds, r_ind, r_fp, ref_seconds,
                         "; ".join(str(e) for e in found)))
            tot = totals.setdefault(noise, [0, 0, 0, 0, 0, 0.0])
            tot[0] += n_true
            tot[1] += min(rec_ind, n_true)
            tot[2] += fp
            tot[3] += min(r_ind, n_true)
            tot[4] += r_fp
            tot[5] = max(tot[5], seconds)
            print(f"  {name} noise={noise}: {rec_ind}/{n_true} fp={fp} in {seconds:.2f} s", file=sys.stderr)

    print()
    print("| system | noise | true (indep.) | recovered | false + | time (s) | reference recovered | reference false + |"
          " reference time (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, noise, n_true, rec, fp, sec, r_rec, r_fp, r_sec, _ in rows:
        print(f"| {name} | {noise:.0%} | {n_true} | {min(rec, n_true)} | {fp} | {sec:.2f} | {min(r_rec, n_true)} |"
              f" {r_fp} | {r_sec:.2f} |")
    print()
    for noise, (n, rec, fp, r_rec, r_fp, worst) in totals.items():
        print(f"noise {noise:.0%}: discover recovered {rec}/{n} ({rec / max(n, 1):.0%}), {fp} false positive(s), "
              f"slowest {worst:.2f} s | reference recovered {r_rec}/{n}, {r_fp} false positive(s)")
    print()
    print("Laws found (discover):")
    for name, noise, *_rest, laws in rows:
        print(f"  {name} ({noise:.0%}): {laws or '-'}")
    short_noisy()
    few_samples()


def _solve(rhs, starts, T, dt, noise, rng):
    from scipy.integrate import solve_ivp

    from discover.data import Series, Trajectory

    t = np.arange(int(round(T / dt)) + 1) * dt
    raw = [solve_ivp(rhs, (0, t[-1]), y0, t_eval=t, rtol=1e-10, atol=1e-12).y.T for y0 in starts]
    sd = np.concatenate(raw).std(axis=0)
    return Series(tuple(Trajectory(t, x + noise * sd * rng.standard_normal(x.shape)) for x in raw),
                  tuple(f"v{i}" for i in range(len(starts[0]))))


def short_noisy(seeds=range(5)) -> None:
    """Pendulum g/l = 4 (energy ω² − 8 cos θ), damped oscillator and Lorenz (none): 1 % noise, short runs."""
    import sympy as sp

    setups = {
        "pendulum g/l=4": (lambda _t, y: [y[1], -4 * np.sin(y[0])],
                           lambda r: [r.uniform(0.3, 2.5) * r.choice([-1, 1]), r.uniform(-1.5, 1.5)], 8, 20, 0.05),
        "damped oscillator": (lambda _t, y: [y[1], -4 * y[0] - 0.2 * y[1]], lambda r: r.uniform(-2, 2, 2), 8, 20,
                              0.05),
        "lorenz": (lambda _t, y: [10 * (y[1] - y[0]), y[0] * (28 - y[2]) - y[1], y[0] * y[1] - 8 / 3 * y[2]],
                   lambda r: r.uniform(-10, 10, 3) + [0, 0, 25], 3, 15, 0.01),
    }
    th, om = sp.symbols("v0 v1", real=True)
    energy = om**2 - 8 * sp.cos(th)
    print()
    print("| system (1 % noise, short runs) | seeds | energy found | false laws | median time (s) |")
    print("|---|---|---|---|---|")
    for name, (rhs, start, k, T, dt) in setups.items():
        hits, false, secs = 0, 0, []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            s = _solve(rhs, [start(rng) for _ in range(k)], T, dt, 0.01, rng)
            with threadpool_limits(limits=THREADS, user_api="blas"):
                t0 = time.perf_counter()
                laws = [inv.expression for inv in ConservationLaws(random_state=0).fit(s).invariants_]
                secs.append(time.perf_counter() - t0)
            ok = name.startswith("pendulum") and len(laws) == 1 and sp.simplify(laws[0] - energy) == 0
            hits += ok
            false += len(laws) - ok
        found = f"{hits}/{len(seeds)}" if name.startswith("pendulum") else "-"
        print(f"| {name} | {len(seeds)} | {found} | {false} | {np.median(secs):.2f} |")


def few_samples() -> None:
    """The library adapts to the samples instead of failing (US macro data: 8 columns, 203 rows)."""
    try:
        import statsmodels.api as sm
    except ImportError:
        print("\n(statsmodels not installed: the few-samples row is skipped)")
        return
    import warnings

    from discover.data import from_arrays

    d = sm.datasets.macrodata.load_pandas().data
    cols = ["realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "unemp"]
    s = from_arrays(d[cols].to_numpy(float), t=np.arange(len(d)) * 0.25, names=cols)
    with warnings.catch_warnings(), threadpool_limits(limits=THREADS, user_api="blas"):
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        m = ConservationLaws(random_state=0).fit(s)
        sec = time.perf_counter() - t0
    print()
    print(f"US macro (8 columns x 203 rows, default options): degree used {m.degree_}; {m.library_note_}; "
          f"{m.n_invariants_} law(s); {sec:.2f} s")


THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1

if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
