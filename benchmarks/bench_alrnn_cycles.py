"""AL-RNN on periodic signals: a relaxation oscillator and a synthetic ECG, whose truth is a limit cycle.

Van der Pol's oscillator (x'' = mu (1 - x^2) x' - x; both coordinates, dt
0.02, 20 000 samples after 2000 discarded) and McSharry et al.'s ECGSYN model
(IEEE Trans. Biomed. Eng. 50, 2003: a limit cycle in the plane drives a third
coordinate through Gaussian P, Q, R, S, T waves; the third coordinate is the
ECG, here 60 s at 360 Hz, beats of 0.6 s, their RR interval drawn per beat
with ``--hrv`` seconds of spread, a breathing wander and white measurement
noise). For each seed the script fits :class:`discover.alrnn.ALRNN` and
prints the P it chose, τ, whether the free run settles, its spread and
spectral peak beside the data's, D_H and D_stsp (30 bins) of a free run as
long as the data against them, the rhythm check's D_H (the coded run's), and each screened P's training-data
D_stsp and D_H; for the ECGs also the run's beats against the data's (their count, RR interval, the
correlation of the mean beats aligned on the R peak, and the ratio of R heights)::

    python benchmarks/bench_alrnn_cycles.py --system vdp --mu 1 --seeds 0 --max-seconds 300
    python benchmarks/bench_alrnn_cycles.py --system ecgsyn --hrv 0.03 --noise 0.02 --max-seconds 120
    python benchmarks/bench_alrnn_cycles.py --system ecgsyn --decimate 4 --max-seconds 600   # noise-free
    python benchmarks/bench_alrnn_cycles.py --system ecgsyn --fs 700 --seconds 143 --hrv 0.03 --noise 0.01 \
        --smooth 6 --max-seconds 900 --options '{"n_latent": 100, "n_pwl": 2, "tau": 10, "seq_len": 50, ...}'

``--fs``, ``--seconds`` and ``--smooth`` make ECGSYN as the AL-RNN
authors' ECG was made (700 Hz, 143 s, smoothed by a Gaussian of 6
samples); ``--decimate K`` fits either ECG in means of blocks of K samples
(a coarser sampling of the same record); ``--system mitbih`` fits the lead
of ``cases/ecg_mitbih``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from bench_alrnn_real import block_means, case_series, fit_and_measure
from scipy.integrate import solve_ivp
from scipy.ndimage import gaussian_filter1d

from discover.data import Series, Trajectory

#: ECGSYN's P, Q, R, S, T waves: their angles on the limit cycle, heights and widths (McSharry et al., table 1)
WAVES = (np.array([-1 / 3, -1 / 12, 0, 1 / 12, 1 / 2]) * np.pi, np.array([1.2, -5.0, 30.0, -7.5, 0.75]),
         np.array([0.25, 0.1, 0.1, 0.1, 0.4]))


def van_der_pol(mu: float, n: int = 20000, dt: float = 0.02, burn: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """``(t, x)`` of van der Pol's oscillator on its limit cycle: ``n`` samples after ``burn`` discarded."""
    t = np.arange(n + burn) * dt
    x = solve_ivp(lambda _, s: [s[1], mu * (1 - s[0] ** 2) * s[1] - s[0]], (0, t[-1]), [2.0, 0.0], t_eval=t,
                  rtol=1e-9, atol=1e-9).y.T[burn:]
    return t[:n], x


def ecgsyn(seconds: float = 60.0, fs: float = 360.0, rr: float = 0.6, hrv: float = 0.0, wander: float = 0.003,
           f_resp: float = 0.25, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(t, ecg)`` of ECGSYN: each beat's RR interval ``rr`` plus normal spread ``hrv`` (seconds), a breathing
    wander of ``wander`` at ``f_resp`` Hz (about a tenth of the R wave at the default) and white noise of
    ``noise`` times the signal's spread."""
    rng = np.random.default_rng(seed)
    n_beats = int(seconds / rr) + 5
    rrs = rr + hrv * rng.standard_normal(n_beats)
    edges = np.concatenate([[0.0], np.cumsum(rrs)])
    theta, a, b = WAVES

    def f(t, s):
        x, y, z = s
        alpha = 1 - np.hypot(x, y)
        w = 2 * np.pi / rrs[min(np.searchsorted(edges, t, side="right") - 1, n_beats - 1)]
        d = np.mod(np.arctan2(y, x) - theta + np.pi, 2 * np.pi) - np.pi
        z0 = wander * np.sin(2 * np.pi * f_resp * t)
        return [alpha * x - w * y, alpha * y + w * x, -np.sum(a * d * np.exp(-d ** 2 / (2 * b ** 2))) - (z - z0)]

    t = np.arange(0, seconds, 1 / fs)
    z = solve_ivp(f, (0, seconds), [1.0, 0.0, 0.04], t_eval=t, max_step=1 / fs, rtol=1e-8, atol=1e-10).y[2]
    return t, z + noise * z.std() * rng.standard_normal(len(z))


def mean_beat(x: np.ndarray, fs: float, rr: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    """The mean beat of an ECG ``x`` (sampled at ``fs``) and its RR intervals (s).

    R peaks are the maxima above half the largest, at least 0.6 ``rr`` apart;
    each beat is the stretch from 0.25 ``rr`` before its peak to 0.6 ``rr``
    after it, the median of the signal taken off.
    """
    from scipy.signal import find_peaks

    x = np.asarray(x, float) - np.median(x)
    peaks, _ = find_peaks(x, height=0.5 * np.max(x), distance=max(1, int(0.6 * rr * fs)))
    a, b = int(0.25 * rr * fs), int(0.6 * rr * fs)
    beats = [x[k - a:k + b] for k in peaks if k - a >= 0 and k + b <= len(x)]
    return (np.mean(beats, axis=0) if beats else np.full(a + b, np.nan)), np.diff(peaks) / fs


def beat_comparison(data: np.ndarray, run: np.ndarray, fs: float) -> str:
    """How the run's beats compare with an ECG's: their count, RR interval (mean ± spread), the correlation of the
    mean beats and the ratio of their R heights."""
    (bd, rd), (bm, rm) = mean_beat(data, fs), mean_beat(run, fs)
    if not np.all(np.isfinite(bm)):  # fewer than one whole beat: a run that settles
        return f"beats: data {len(rd) + 1}, run none"
    rr = f"{rm.mean():.3f}±{rm.std():.3f} s" if len(rm) else "none (one beat)"
    return (f"beats: data {len(rd) + 1}, run {len(rm) + 1}; RR data {rd.mean():.3f}±{rd.std():.3f} s, run {rr}; "
            f"mean-beat correlation {np.corrcoef(bd, bm)[0, 1]:.3f}, R height ratio {np.max(bm) / np.max(bd):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--system", choices=("vdp", "ecgsyn", "mitbih"), default="vdp",
                    help="mitbih: the lead of cases/ecg_mitbih (360 Hz, one minute)")
    ap.add_argument("--mu", type=float, default=1.0, help="van der Pol's damping")
    ap.add_argument("--hrv", type=float, default=0.0, help="ECGSYN: spread of the RR interval (s)")
    ap.add_argument("--noise", type=float, default=0.0, help="ECGSYN: white noise, times the signal's spread")
    ap.add_argument("--fs", type=float, default=360.0, help="ECGSYN: sampling rate (Hz)")
    ap.add_argument("--seconds", type=float, default=60.0, help="ECGSYN: length (s)")
    ap.add_argument("--smooth", type=float, default=0.0,
                    help="ECGs: smooth by a Gaussian of this many samples first (the AL-RNN authors' ECG: 6 at 700 Hz)")
    ap.add_argument("--decimate", type=int, default=1, help="ECGs: fit means of blocks of this many samples")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="the fit's wall-time budget; 0 for none")
    ap.add_argument("--options", default="{}", help="more ALRNN options as JSON, e.g. '{\"n_pwl\": 2, \"tau\": 50}'")
    args = ap.parse_args()
    if args.system == "vdp":
        t, x = van_der_pol(args.mu)
        series, name = Series((Trajectory(t, x),), ("x", "y")), f"van der Pol mu={args.mu:g}"
    else:
        if args.system == "ecgsyn":
            t, z = ecgsyn(seconds=args.seconds, fs=args.fs, hrv=args.hrv, noise=args.noise)
            name = f"ECGSYN {args.fs:g} Hz hrv={args.hrv:g} noise={args.noise:g}"
        else:
            record = case_series("ecg_mitbih").trajectories[0]
            t, z, name = record.t, record.x[:, 0], "MIT-BIH 208"
        if args.smooth:
            z, name = gaussian_filter1d(z, args.smooth), f"{name} smoothed by {args.smooth:g}"
        if args.decimate > 1:
            t, z = block_means(t, z, args.decimate)
            name = f"{name} in means of {args.decimate}"
        series = Series((Trajectory(t, z[:, None]),), ("ecg",))
    options = {"max_seconds": args.max_seconds or None, **json.loads(args.options)}
    for seed in (int(s) for s in args.seeds.split(",")):
        r = fit_and_measure(series, seed, **options)
        if "error" in r:
            print(f"{name} seed {seed}: {r['error']}", flush=True)
            continue
        print(f"{name} seed {seed} {json.loads(args.options) or ''}: P={r['P']} tau={r['tau']} free run "
              f"{r['free_run']}, spread {r['spread']:.2f} of the data's, peak period {r['period_model']:.3g} (data "
              f"{r['period_data']:.3g}), D_H={r['D_H']:.3f}, D_stsp={r['D_stsp']:.2f}, the rhythm check's D_H "
              f"{r['D_H_free_run']:.3f}; training D_stsp, D_H by P "
              f"{ {P: (round(v['D_stsp'], 2), round(v['D_H'], 3)) for P, v in r['ladder'].items()} }; fit "
              f"{r['fit_s']:.0f} s", flush=True)
        if args.system != "vdp":
            print("   " + beat_comparison(series.trajectories[0].x[:, 0], r["run"][:, 0], 1 / r["dt"]), flush=True)
        for w in r["warnings"]:
            print("   warning:", w, flush=True)


if __name__ == "__main__":
    main()
