"""AL-RNN on bundled real series: does the free run reconstruct them, and does the method say when not?

For each case (a single measured column, delay-embedded by the estimator) and
seed, fits :class:`discover.alrnn.ALRNN` with its defaults and a wall-time
budget, then prints the P the ladder chose, τ, whether the long free run
settles or varies, its spread against the data's, the period of its
largest spectral peak beside the data's, D_H of an equally long free run
against the record, and the warnings the fit raised::

    python benchmarks/bench_alrnn_real.py --cases sunspots elnino_sst --seeds 0,1,2 --max-seconds 120
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from discover.alrnn import ALRNN
from discover.alrnn.estimator import UNLIKE_SPECTRUM
from discover.data import Series, Trajectory
from discover.measures import hellinger_spectrum_distance, state_space_divergence

CASES = Path(__file__).resolve().parent.parent / "cases"


def peak_period(x: np.ndarray, dt: float) -> float:
    """The period of the largest peak of the periodogram among periods under a tenth of the record.

    Longer periods (a baseline's wander, a trend) are left out: a record holds
    too few of them to tell a cycle from a drift.
    """
    p = np.abs(np.fft.rfft(x - x.mean())) ** 2
    f = np.fft.rfftfreq(len(x), dt)
    keep = f > 10.0 / (len(x) * dt)
    return float(1.0 / f[keep][np.argmax(p[keep])])


def fit_and_measure(series: Series, seed: int, **options) -> dict:
    """Fit :class:`ALRNN` to ``series`` (one trajectory) and measure a free run as long as it against it.

    The run is taken 2000 steps past the start of the record, past the
    transient. Returns the chosen P, τ, the free-run status, the run's spread
    (first column, against the data's), its spectral peak beside the data's
    (:func:`peak_period`), D_H and D_stsp against the data, the kept
    checkpoint's D_H on the training data and the coded run's (the rhythm
    check's), the ladder's rows, the fit's seconds, the ALRNN warnings and
    the run itself (``run``, ``dt``);
    or ``{"error": ...}`` when the fit fails.
    """
    x, t = series.trajectories[0].x, series.trajectories[0].t
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m = ALRNN(random_state=seed, **options).fit(series)
        except Exception as exc:  # noqa: BLE001 - a failed fit is a result here
            return {"error": f"{type(exc).__name__}: {exc}"}
    dt = float(np.median(np.diff(t)))
    sim = m.simulate(len(x) + 2000, series=series)[2000:]
    return {
        "P": m.n_pwl_, "tau": m.tau_, "free_run": m.findings()[0].metrics["free_run"],
        "spread": float(sim[:, 0].std() / x[:, 0].std()), "period_model": peak_period(sim[:, 0], dt),
        "period_data": peak_period(x[:, 0], dt), "D_H": hellinger_spectrum_distance(x, sim),
        "D_stsp": state_space_divergence(x, sim), "D_H_train": m.ladder_[m.n_pwl_]["D_H"],
        "D_H_free_run": m.spectrum_distance_, "ladder": m.ladder_, "fit_s": time.perf_counter() - start,
        "run": sim, "dt": dt,
        "warnings": [str(w.message)[:160] for w in caught if "ALRNN" in str(w.message)],
    }


def block_means(t: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of blocks of ``k`` samples of ``x`` (along its first axis), each at its block's first time: a coarser
    sampling of the same record; a last incomplete block is dropped."""
    n = len(x) // k * k
    return t[:n:k], x[:n].reshape(-1, k, *x.shape[1:]).mean(axis=1)


def case_series(case: str, decimate: int = 1) -> Series:
    """The single-series record of ``cases/<case>``, its time column as the case names it; with ``decimate`` > 1,
    means of blocks of that many samples."""
    spec = json.loads((CASES / case / "case.json").read_text())
    df = pd.read_csv(CASES / case / spec["data"][0])
    t = df[spec["time"]].to_numpy(float)
    col = next(c for c in df.columns if c != spec["time"])
    x = df[[col]].to_numpy(float)
    if decimate > 1:
        t, x = block_means(t, x, decimate)
    return Series((Trajectory(t, x),), (col,))


def run(case: str, seed: int, max_seconds: float | None, decimate: int = 1, **options) -> dict:
    series = case_series(case, decimate)
    return {"case": case, "seed": seed, **fit_and_measure(series, seed, max_seconds=max_seconds, **options)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["sunspots", "elnino_sst"])
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--max-seconds", type=float, default=120.0,
                    help="the fit's wall-time budget; 0 for none (the estimator's epochs alone, reproducible)")
    ap.add_argument("--n-jobs", type=int, default=None, help="the ladder's worker processes (default: the estimator's)")
    ap.add_argument("--tau", type=int, default=None)
    ap.add_argument("--n-pwl", type=int, default=None, help="P fixed (default: the ladder's choice)")
    ap.add_argument("--decimate", type=int, default=1, help="fit means of blocks of this many samples")
    ap.add_argument("--criterion", default=None, help="the checkpoint criterion (default: the estimator's)")
    args = ap.parse_args()
    options = {} if args.tau is None else {"tau": args.tau}
    if args.n_pwl is not None:
        options["n_pwl"] = args.n_pwl
    if args.criterion is not None:
        options["criterion"] = args.criterion
    if args.n_jobs is not None:
        options["n_jobs"] = args.n_jobs
    for case in args.cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            r = run(case, seed, args.max_seconds or None, args.decimate, **options)
            if "error" in r:
                print(f"{case} seed {seed}: {r['error']}", flush=True)
                continue
            print(f"{case} seed {seed}: P={r['P']} tau={r['tau']} free run {r['free_run']}, spread "
                  f"{r['spread']:.2g} of the data's, peak period {r['period_model']:.3g} (data "
                  f"{r['period_data']:.3g}), D_H={r['D_H']:.3f} (kept checkpoint's on the training data "
                  f"{r['D_H_train']:.3f}; the coded run's against it, warned above {UNLIKE_SPECTRUM:g}, "
                  f"{r['D_H_free_run']:.3f}), ladder { {k: round(v['D_stsp'], 3) for k, v in r['ladder'].items()} } (runs' spread "
                  f"{ {k: float(format(v['spread'], '.2g')) for k, v in r['ladder'].items()} }), "
                  f"fit {r['fit_s']:.0f} s",
                  flush=True)
            for w in r["warnings"]:
                print("   warning:", w, flush=True)


if __name__ == "__main__":
    main()
