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
            t0 = time.perf_counter()
            model = ConservationLaws(random_state=0, **opts).fit(series)
            seconds = time.perf_counter() - t0
            found = [inv.expression for inv in model.invariants_]
            rec_ind, fp = score(found, system, series.variables, pts)
            t1 = time.perf_counter()
            with threadpool_limits(limits=1, user_api="blas"):
                ref = reference_svd(series, opts.get("terms", ()))
            ref_seconds = time.perf_counter() - t1
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


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
