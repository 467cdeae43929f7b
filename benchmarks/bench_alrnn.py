"""AL-RNN benchmark: reconstruction quality and training speed (Lorenz-63, Rössler).

For each system: standardised data as in ``cases/lorenz63_alrnn`` and
``cases/rossler`` (Lorenz dt 0.01, Rössler dt 0.05), ``--train`` steps to
train on and another ``--test`` held-out steps; the ALRNN is trained within a
wall-time budget, then a free run of ``--test`` steps from the held-out
start is compared with the held-out data:

* D_stsp (30 bins per dimension) and D_H (Welch spectra, 4096-sample
  segments, smoothing 2 bins) from :mod:`discover.measures`;
* the largest Lyapunov exponent of the data (Rosenstein, over all the
  held-out steps) and of the model (from its Jacobians, exact for the PWL
  map, along the whole free run after 1000 steps), and their relative error;
  beside it, Rosenstein's estimate from the model's observed run (the data's
  estimator on the model: a diagnostic, not the comparison the error uses);
* the linear subregions the free run visits;
* beside them, once per system, the same measures of the system itself: the
  trajectory's own next ``--test`` steps against the held-out ones, the
  floor that sampling alone leaves (at 10^5 steps about 0.02-0.03 for D_stsp
  and D_H on both systems);
* the fit's own verdict: every warning it gave (a ``DataWarning`` says the
  model does not reconstruct the data, or in what way) and its
  distribution check (``ALRNN.distribution_``).

Then the training speed at the authors' recipe (batch 16, sequences of 200,
50 batches per epoch): seconds per epoch and per 10^6 model steps.

    python benchmarks/bench_alrnn.py                  # Lorenz (15 min) and Rössler (5 min), the defaults
    python benchmarks/bench_alrnn.py --systems lorenz --seeds 0,1,2
    python benchmarks/bench_alrnn.py --systems lorenz --ladder --n-jobs 2 --epochs 4000 --seeds 0,1,2
                                    # P chosen by the ladder, 15 minutes on 2 cores, the clock bounds it
    python benchmarks/bench_alrnn.py --systems lorenz --each-p 0,1,2,3 --minutes 10
    python benchmarks/bench_alrnn.py --systems "" --speed               # timing only
    python benchmarks/bench_alrnn.py --systems rossler --obs-noise 0.1 --tau 0 --ladder
                                    # measurement noise on the training data, τ the estimator's own

Timings depend on the machine's load: the script prints ``uptime``.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from discover.alrnn import ALRNN, codes
from discover.alrnn.estimator import UNLIKE_SPECTRUM, ladder_failed, ladder_pick, ladder_stopped
from discover.data import Series, Trajectory
from discover.errors import DataError, DataWarning
from discover.measures import (
    hellinger_spectrum_distance,
    lyapunov_from_data,
    lyapunov_from_jacobians,
    state_space_divergence,
)
from discover.systems import add_noise, simulate

SETTINGS = {
    "lorenz": dict(dt=0.01, burn=10.0, P=2, seq_len=200, tau=16, regions=3),
    "rossler": dict(dt=0.05, burn=50.0, P=1, seq_len=300, tau=8, regions=2),
}


def data(system: str, n: int, more: int = 0):
    """``n`` standardised steps of ``system``; with ``more``, the ``n + more`` steps, standardised as the first ``n``."""
    s = SETTINGS[system]
    x = simulate(system, n=n + more, dt=s["dt"], burn_in=int(round(s["burn"] / s["dt"]))).trajectories[0].x
    return (x - x[:n].mean(axis=0)) / x[:n].std(axis=0)


def system_itself(system: str, n_train: int, n_test: int) -> dict:
    """The measures of the system's own next ``n_test`` steps against the held-out ones: the floor a model is read by.

    The same trajectory goes on past the held-out steps (standardised as the data the models see), and those
    steps are scored against the held-out steps as a model's free run is: D_stsp, D_H, and the error of its
    Lyapunov exponent (Rosenstein's on both, so the figure is the estimator's scatter, not a model's).
    """
    x = data(system, n_train + n_test, more=n_test)
    test, own = x[n_train:n_train + n_test], x[n_train + n_test:]
    dt = SETTINGS[system]["dt"]
    lam_test, lam_own = lyapunov_from_data(test, dt), lyapunov_from_data(own, dt)
    return {"D_stsp": state_space_divergence(test, own), "D_H": hellinger_spectrum_distance(test, own),
            "lyap_err": abs(lam_own - lam_test) / abs(lam_test)}


def held_out(p, train: np.ndarray, test: np.ndarray, dt: float, lyapunov: bool = True,
             rosenstein: bool = False) -> dict:
    """A free run of ``len(test)`` steps from the state inferred along the last 200 training steps, against ``test``.

    ``rosenstein``: also Rosenstein's exponent of the run (about 0.5 s; only the printed kept model shows it).
    """
    n_test = len(test)
    Z = p.run(p.forced_state(np.concatenate([train[-200:], test[:1]])), n_test)
    gen = Z[:, :3]
    finite = np.all(np.isfinite(gen), axis=1)
    P, M = p.n_pwl, p.n_latent
    lam = lam_rosenstein = float("nan")
    if lyapunov and finite.sum() > 2000:
        # along the whole run after a transient of 1000 steps, as the data's over all the held-out steps: an
        # exponent from 2 10^4 steps scatters by about 0.04 (4 %) on Lorenz-63, from 10^5 by about 0.016
        lam = float(lyapunov_from_jacobians((p.jacobian(z) for z in Z[finite][1000:]), dt, n_exponents=1)[0])
        if rosenstein:  # a diagnostic: the data's estimator on the model's run (the error uses the exact one)
            try:
                lam_rosenstein = float(lyapunov_from_data(gen[finite][1000:], dt))
            except DataError:  # a run that settles on a fixed point has no neighbour pairs to follow
                pass
    on = (Z[finite][:, M - P:] > 0).mean(axis=0) if P else []
    symbols = codes.symbols(p, Z[finite])
    keys, counts = np.unique(symbols, return_counts=True)
    occupancy = {k: round(c / len(symbols), 4) for k, c in zip(keys, counts)}
    return {"D_stsp": state_space_divergence(test, gen), "D_H": hellinger_spectrum_distance(test, gen),
            "lyap": lam, "lyap_rosenstein": lam_rosenstein, "regions": len(occupancy), "occupancy": occupancy,
            "relu_on": [round(float(f), 3) for f in on]}


def reconstruct(system: str, n_train: int, n_test: int, seconds: float, ladder: bool, seed: int,
                n_pwl: int | None = None, candidate_rules: bool = False, save: str | None = None,
                obs_noise: float = 0.0, **options) -> dict:
    s = SETTINGS[system]
    x = data(system, n_train + n_test)
    train, test = x[:n_train], x[n_train:]
    # measurement noise on what the model learns from; it is judged against the clean held-out steps
    train = add_noise(train, obs_noise, np.random.default_rng([seed, 7]))
    series = Series((Trajectory(np.arange(n_train) * s["dt"], train),), ("x", "y", "z"))
    options = {"seq_len": s["seq_len"], "tau": s["tau"], **{k: v for k, v in options.items() if v is not None}}
    if options["tau"] == 0:  # --tau 0: the estimator's own choice from the data's predictability time
        options["tau"] = None
    P = s["P"] if n_pwl is None else n_pwl
    model = ALRNN(n_latent=20, n_pwl=None if ladder else P, max_seconds=seconds, random_state=seed, **options)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:  # what the fit says about its model, printed with it
        warnings.simplefilter("always", DataWarning)
        model.fit(series)
    fit_seconds = time.perf_counter() - start
    ho = held_out(model.params_, train, test, s["dt"], rosenstein=True)
    if save:  # the near-best checkpoints, to study other choices among them offline
        import pickle

        with open(os.path.join(save, f"{system}_seed{seed}_P{model.n_pwl_}.pkl"), "wb") as fh:
            pickle.dump({"near_best": model._near_best, "params": model.params_, "ladder": model.ladder_,
                         "n_train": n_train, "n_test": n_test, "seed": seed}, fh)
    candidates = []
    if candidate_rules:  # every near-best checkpoint, scored on the held-out steps, and what each rule keeps
        from discover.alrnn.estimator import select_checkpoint
        for d, scores, prm, epoch in model._near_best:
            candidates.append({"epoch": epoch, "criterion": d, "train_D_H": scores["D_H"],
                               "train_regions": scores.get("regions"), **held_out(prm, train, test, s["dt"], False)})
        picks = {}
        for rule in (None, "D_H", "regions"):
            _, _, prm, epoch = select_checkpoint(model._near_best, model.ladder_tolerance, rule)
            picks[str(rule)] = {**next(c for c in candidates if c["epoch"] == epoch),
                                **held_out(prm, train, test, s["dt"])}
        candidates = {"all": candidates, "picks": picks}
    lam_data = lyapunov_from_data(test, s["dt"])
    return {
        "system": system, "P": model.n_pwl_, "tau": model.tau_, "lyap_train": model.lyapunov_data_,
        "observed_divergence": model.observed_divergence_, "ladder": {k: round(v["D_stsp"], 3) for k, v in model.ladder_.items()},
        "ladder_failed": {k: ladder_failed(v, goes_on=True) for k, v in model.ladder_.items()},  # these systems go on
        "D_stsp": ho["D_stsp"], "D_H": ho["D_H"], "lyap_data": lam_data, "lyap_model": ho["lyap"],
        "lyap_model_rosenstein": ho["lyap_rosenstein"],
        "lyap_err": abs(ho["lyap"] - lam_data) / abs(lam_data), "regions": ho["regions"],
        "occupancy": ho["occupancy"], "expected_regions": s["regions"], "fit_s": fit_seconds,
        "candidates": candidates,
        "restarts": {k: [round(d, 3) for d in v.get("restarts", [])] for k, v in model.ladder_.items()},
        "epochs": {k: v["epochs"] for k, v in model.ladder_.items()},
        "best_epoch": {k: v["best_epoch"] for k, v in model.ladder_.items()},
        "s_per_epoch": {k: round(v["seconds"] / max(v["epochs"], 1), 2) for k, v in model.ladder_.items()},
        "relu_on": ho["relu_on"], "screen": model.attractor_screen_, "runs_from_data": model.runs_from_data_,
        "spectrum_distance": model.spectrum_distance_, "distribution": model.distribution_,
        "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],  # none is lost by recording them
        "history": " ".join(f"{r['epoch']}:{r['D_stsp']:.2f}/{r['D_H']:.2f}" + ("*" if r.get("recentred") else "")
                            for v in model.ladder_.values() for r in v["history"] if "D_stsp" in r),
    }


def recipe_speed(epochs: int, seq_len: int = 200, batch_size: int = 16) -> dict:
    """Training time per epoch (50 batches) and per 10^6 model steps, checkpoint evaluations left out."""
    x = data("lorenz", 20000)
    series = Series((Trajectory(np.arange(len(x)) * 0.01, x),), ("x", "y", "z"))
    m = ALRNN(n_latent=20, n_pwl=2, tau=16, seq_len=seq_len, batch_size=batch_size, batches_per_epoch=50,
              epochs=epochs, eval_every=epochs, eval_length=1000, free_run=1000, random_state=0).fit(series)
    row = m.ladder_[2]
    return {"s_per_epoch": row["train_seconds"] / row["epochs"],
            "s_per_1e6_steps": row["train_seconds_per_million_steps"]}


OPTIONS = {  # command-line flag -> ALRNN option; a flag left out keeps the estimator's default
    "optimizer": str, "lr": float, "lr_end": float, "batch_size": int, "epochs": int, "forcing": str, "tau": int,
    "seq_len": int, "batches_per_epoch": int, "eval_every": int, "eval_length": int, "eval_starts": int,
    "criterion": str, "min_active": float, "noise": float, "alpha_min": float, "restarts": int, "max_pwl": int,
    "n_jobs": int, "tie_break": str,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", default="lorenz,rossler")
    ap.add_argument("--train", type=int, default=100000)
    ap.add_argument("--test", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=None,
                    help="training budget per system (default: 15 for Lorenz-63, 5 for Rössler)")
    ap.add_argument("--ladder", action="store_true", help="choose P by the ladder instead of the paper's P")
    ap.add_argument("--recipe-epochs", type=int, default=3)
    ap.add_argument("--speed", action="store_true",
                    help="also time the training loop over sequence lengths 100-400 and batches 16-64")
    ap.add_argument("--seeds", default="0", help="comma-separated seeds; the mean is printed too")
    ap.add_argument("--each-p", default=None,
                    help="comma-separated P values trained one by one, each with --minutes / their number; prints "
                         "the P the ladder's rule picks from their training-data criteria")
    for flag, kind in OPTIONS.items():
        ap.add_argument("--" + flag.replace("_", "-"), type=kind, default=None)
    ap.add_argument("--obs-noise", type=float, default=0.0,
                    help="Gaussian noise on the training data, as a fraction of each variable's standard deviation "
                         "(the held-out steps stay clean)")
    ap.add_argument("--history", action="store_true", help="print the checkpoint divergences")
    ap.add_argument("--save", default=None, help="a folder to pickle each run's near-best checkpoints in "
                    "(made if missing)")
    ap.add_argument("--candidates", action="store_true",
                    help="score every near-best checkpoint on the held-out steps, and what each tie_break keeps")
    args = ap.parse_args()
    if args.save:  # before any training: a folder that cannot be made fails now, not after the first run
        os.makedirs(args.save, exist_ok=True)
    print("load:", os.getloadavg(), "options:", {k: v for k, v in vars(args).items() if v is not None})
    options = {k: getattr(args, k) for k in OPTIONS if getattr(args, k) is not None}
    for system in [s for s in args.systems.split(",") if s]:
        minutes = args.minutes if args.minutes is not None else (15.0 if system == "lorenz" else 5.0)
        rows = []
        own = system_itself(system, args.train, args.test)
        print(f"{system:8s} the system itself (its next {args.test} steps against the held-out ones): "
              f"D_stsp={own['D_stsp']:.3f} D_H={own['D_H']:.3f} exponent error={100 * own['lyap_err']:.0f}% "
              "(Rosenstein's on both)", flush=True)
        if args.each_p:
            each = [int(p) for p in args.each_p.split(",")]
            for P in each:
                r = reconstruct(system, args.train, args.test, minutes * 60 / len(each), False, int(args.seeds.split(",")[0]),
                                n_pwl=P, **options)
                rows.append(r)
                print(f"{system:8s} P={P} training criterion={r['ladder'][P]:.3f} | held out: D_stsp={r['D_stsp']:.3f} "
                      f"D_H={r['D_H']:.3f} lyap data={r['lyap_data']:.3f} model={r['lyap_model']:.3f} "
                      f"(Rosenstein {r['lyap_model_rosenstein']:.3f}) err={100 * r['lyap_err']:.0f}% "
                      f"regions={r['regions']} occupancy={r['occupancy']} fit={r['fit_s']:.0f}s load={os.getloadavg()[0]:.1f}", flush=True)
            crit = {P: r["ladder"][P] for P, r in zip(each, rows)}
            failed = {P: r["ladder_failed"][P] for P, r in zip(each, rows)}
            tried = []
            for P in each:  # the estimator's rule with one worker: asked after each value of P
                tried.append(P)
                if ladder_stopped([crit[p] for p in tried], [failed[p] for p in tried]):
                    break
            tolerance = ALRNN().ladder_tolerance
            pick = ladder_pick({P: crit[P] for P in tried}, tolerance, failed)
            pick_all = ladder_pick(crit, tolerance, failed)
            print(f"ladder rule: tries P={tried}, picks P={pick}; without the stopping rule it would pick P={pick_all}")
            continue
        for seed in [int(s) for s in args.seeds.split(",")]:
            r = reconstruct(system, args.train, args.test, minutes * 60, args.ladder, seed,
                            candidate_rules=args.candidates, save=args.save, obs_noise=args.obs_noise, **options)
            rows.append(r)
            print(f"{system:8s} seed={seed} P={r['P']} tau={r['tau']} (training data's exponent "
                  f"{r['lyap_train']:.3f}, observed divergence {r['observed_divergence']:.3f}) "
                  f"D_stsp={r['D_stsp']:.3f} D_H={r['D_H']:.3f} "
                  f"lyap data={r['lyap_data']:.3f} model={r['lyap_model']:.3f} "
                  f"(Rosenstein {r['lyap_model_rosenstein']:.3f}) err={100 * r['lyap_err']:.0f}% "
                  f"regions={r['regions']} (paper {r['expected_regions']}) occupancy={r['occupancy']} "
                  f"free-run D_H against the training data (warned above {UNLIKE_SPECTRUM:g})={r['spectrum_distance']:.3f} "
                  f"fit={r['fit_s']:.0f}s ladder={r['ladder']} (failed: {[P for P, f in r['ladder_failed'].items() if f]}) restarts={r['restarts']} epochs={r['epochs']} "
                  f"best epoch={r['best_epoch']} s/epoch={r['s_per_epoch']} load={os.getloadavg()[0]:.1f}",
                  flush=True)
            d = r["distribution"]
            print(f"  distribution check: gap {d['gap']:.3f} (allowed {d['allowed']:.3f}) in unit {d['unit']}" if d
                  else "  distribution check: none (the run settles)", flush=True)
            for w in r["warnings"]:
                print("  warning:", w, flush=True)
            if r["screen"] or r["runs_from_data"]:
                print(f"  second-attractor screen (runs of 32 that leave the data's dynamics): {r['screen']}; the "
                      f"kept model's runs from the data: {r['runs_from_data']}", flush=True)
            if args.history:
                print("  training-data criterion by epoch (* a ReLU unit re-centred):", r["history"])
            if r["candidates"]:
                c = r["candidates"]
                print(f"  {len(c['all'])} near-best checkpoints (epoch criterion D_H/regions on training data -> "
                      "held-out D_stsp D_H regions):", " ".join(
                          f"{x['epoch']}:{x['criterion']:.2f} {x['train_D_H']:.3f}/{x['train_regions']}"
                          f"->{x['D_stsp']:.2f} {x['D_H']:.3f} {x['regions']}" for x in c["all"]))
                for rule, x in c["picks"].items():
                    print(f"  tie_break={rule}: epoch {x['epoch']} held out D_stsp={x['D_stsp']:.3f} D_H={x['D_H']:.3f}"
                          f" lyap err={100 * abs(x['lyap'] - r['lyap_data']) / abs(r['lyap_data']):.0f}% "
                          f"regions={x['regions']} occupancy={x['occupancy']}", flush=True)
        if len(rows) > 1:
            mean = {k: float(np.mean([r[k] for r in rows])) for k in ("D_stsp", "D_H", "lyap_err", "regions")}
            print(f"{system:8s} mean of {len(rows)} seeds: D_stsp={mean['D_stsp']:.3f} D_H={mean['D_H']:.3f} "
                  f"lyap err={100 * mean['lyap_err']:.0f}% regions={mean['regions']:.2f}", flush=True)
    if args.recipe_epochs:
        sp = recipe_speed(args.recipe_epochs)
        print(f"authors' recipe (batch 16 x 200, 50 batches): {sp['s_per_epoch']:.2f} s/epoch, "
              f"{sp['s_per_1e6_steps']:.2f} s per 10^6 model steps (their PyTorch code: ~137 s/epoch on this "
              f"machine); load {os.getloadavg()[0]:.1f}", flush=True)
    if args.speed:
        for batch_size in (16, 64):
            for seq_len in (100, 200, 400):
                sp = recipe_speed(args.recipe_epochs or 3, seq_len, batch_size)
                print(f"batch {batch_size:3d} x seq {seq_len:3d}: {sp['s_per_epoch']:.2f} s/epoch, "
                      f"{sp['s_per_1e6_steps']:.2f} s per 10^6 model steps, load {os.getloadavg()[0]:.1f}",
                      flush=True)
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
