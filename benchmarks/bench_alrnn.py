"""AL-RNN benchmark: reconstruction quality and training speed (Lorenz-63, Rössler).

For each system: standardised data as in ``cases/lorenz63_alrnn`` and
``cases/rossler`` (Lorenz dt 0.01, Rössler dt 0.05), ``--train`` steps to
train on and another ``--test`` held-out steps; the ALRNN is trained within a
wall-time budget, then a free run of ``--test`` steps from the held-out
start is compared with the held-out data:

* D_stsp (30 bins per dimension) and D_H (Welch spectra, 4096-sample
  segments, smoothing 2 bins) from :mod:`discover.measures`;
* the largest Lyapunov exponent of the data (Rosenstein) and of the model
  (from its Jacobians, exact for the PWL map), and their relative error;
* the linear subregions the free run visits.

Then the training speed at the authors' recipe (batch 16, sequences of 200,
50 batches per epoch): seconds per epoch and per 10^6 model steps.

    python benchmarks/bench_alrnn.py                  # both systems, 7 min each
    python benchmarks/bench_alrnn.py --systems lorenz --minutes 15

Timings depend on the machine's load: the script prints ``uptime``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from discover.alrnn import ALRNN
from discover.data import Series, Trajectory
from discover.measures import (
    hellinger_spectrum_distance,
    lyapunov_from_data,
    lyapunov_from_jacobians,
    state_space_divergence,
)
from discover.systems import simulate

SETTINGS = {
    "lorenz": dict(dt=0.01, burn=10.0, P=2, seq_len=200, tau=16, regions=3),
    "rossler": dict(dt=0.05, burn=50.0, P=1, seq_len=300, tau=8, regions=2),
}


def data(system: str, n: int):
    s = SETTINGS[system]
    x = simulate(system, n=n, dt=s["dt"], burn_in=int(round(s["burn"] / s["dt"]))).trajectories[0].x
    return (x - x.mean(axis=0)) / x.std(axis=0)


def reconstruct(system: str, n_train: int, n_test: int, seconds: float, ladder: bool, seed: int,
                **options) -> dict:
    s = SETTINGS[system]
    x = data(system, n_train + n_test)
    train, test = x[:n_train], x[n_train:]
    series = Series((Trajectory(np.arange(n_train) * s["dt"], train),), ("x", "y", "z"))
    n_p = 1 if not ladder else s["P"] + 2
    options = {"seq_len": s["seq_len"], "tau": s["tau"], **{k: v for k, v in options.items() if v is not None}}
    model = ALRNN(n_latent=20, n_pwl=None if ladder else s["P"], max_pwl=s["P"] + 1, max_seconds=seconds / n_p,
                  random_state=seed, **options)
    start = time.perf_counter()
    model.fit(series)
    fit_seconds = time.perf_counter() - start
    p = model.params_
    Z = p.run(p.forced_state(np.concatenate([train[-200:], test[:1]])), n_test)  # latent state from the last 200 steps
    gen = Z[:, :3]
    finite = np.all(np.isfinite(gen), axis=1)
    lam_data = lyapunov_from_data(test, s["dt"])
    lam_model = float(lyapunov_from_jacobians((p.jacobian(z) for z in Z[finite][1000:21000]), s["dt"],
                                              n_exponents=1)[0]) if finite.sum() > 2000 else float("nan")
    regions = sorted(set(model.sequence_))
    on = (Z[finite][:, 20 - model.n_pwl_:] > 0).mean(axis=0) if model.n_pwl_ else []
    return {
        "system": system, "P": model.n_pwl_, "ladder": {k: round(v["D_stsp"], 3) for k, v in model.ladder_.items()},
        "D_stsp": state_space_divergence(test, gen), "D_H": hellinger_spectrum_distance(test, gen),
        "lyap_data": lam_data, "lyap_model": lam_model, "lyap_err": abs(lam_model - lam_data) / abs(lam_data),
        "regions": len(regions), "expected_regions": s["regions"], "fit_s": fit_seconds,
        "epochs": {k: v["epochs"] for k, v in model.ladder_.items()},
        "best_epoch": {k: v["best_epoch"] for k, v in model.ladder_.items()},
        "s_per_epoch": {k: round(v["seconds"] / max(v["epochs"], 1), 2) for k, v in model.ladder_.items()},
        "relu_on": [round(float(f), 3) for f in on],
        "history": " ".join(f"{r['epoch']}:{r['D_stsp']:.2f}" + ("*" if r.get("recentred") else "")
                            for v in model.ladder_.values() for r in v["history"] if "D_stsp" in r),
    }


def recipe_speed(epochs: int) -> dict:
    x = data("lorenz", 20000)
    series = Series((Trajectory(np.arange(len(x)) * 0.01, x),), ("x", "y", "z"))
    m = ALRNN(n_latent=20, n_pwl=2, tau=16, seq_len=200, batch_size=16, batches_per_epoch=50, epochs=epochs,
              eval_every=epochs, free_run=1000, random_state=0).fit(series)
    row = m.ladder_[2]
    return {"s_per_epoch": row["seconds"] / row["epochs"], "s_per_1e6_steps": row["seconds_per_million_steps"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", default="lorenz,rossler")
    ap.add_argument("--train", type=int, default=100000)
    ap.add_argument("--test", type=int, default=100000)
    ap.add_argument("--minutes", type=float, default=7.0, help="training budget per system")
    ap.add_argument("--ladder", action="store_true", help="choose P by the ladder instead of the paper's P")
    ap.add_argument("--recipe-epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--optimizer", default="radam", choices=["radam", "adam"])
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2000, help="epochs of the learning-rate schedule (per P)")
    ap.add_argument("--forcing", default="sparse", choices=["sparse", "generalized"])
    ap.add_argument("--tau", type=int, default=None, help="forcing interval (default: the paper's per system)")
    ap.add_argument("--seq-len", type=int, default=None, help="default: the paper's per system")
    ap.add_argument("--batches", type=int, default=50, help="batches per epoch")
    ap.add_argument("--eval-every", type=int, default=5)
    ap.add_argument("--min-active", type=float, default=0.02)
    ap.add_argument("--history", action="store_true", help="print the checkpoint divergences")
    ap.add_argument("--lr-end-ratio", type=float, default=30.0, help="lr / lr_end")
    args = ap.parse_args()
    print("load:", os.getloadavg(), "options:", vars(args))
    rows = []
    for system in args.systems.split(","):
        r = reconstruct(system, args.train, args.test, args.minutes * 60, args.ladder, args.seed,
                        optimizer=args.optimizer, lr=args.lr, lr_end=args.lr / args.lr_end_ratio,
                        batch_size=args.batch_size, epochs=args.epochs, forcing=args.forcing, tau=args.tau,
                        seq_len=args.seq_len, batches_per_epoch=args.batches, eval_every=args.eval_every,
                        min_active=args.min_active)
        rows.append(r)
        print(f"{system:8s} P={r['P']} D_stsp={r['D_stsp']:.3f} D_H={r['D_H']:.3f} "
              f"lyap data={r['lyap_data']:.3f} model={r['lyap_model']:.3f} err={100 * r['lyap_err']:.0f}% "
              f"regions={r['regions']} (paper {r['expected_regions']}) fit={r['fit_s']:.0f}s "
              f"ladder={r['ladder']} epochs={r['epochs']} best epoch={r['best_epoch']} "
              f"s/epoch={r['s_per_epoch']} relu on={r['relu_on']}", flush=True)
        if args.history:
            print("  D_stsp on the training data by epoch (* a ReLU unit re-centred):", r["history"])
    sp = recipe_speed(args.recipe_epochs)
    print(f"authors' recipe (batch 16 x 200, 50 batches): {sp['s_per_epoch']:.2f} s/epoch, "
          f"{sp['s_per_1e6_steps']:.2f} s per 10^6 model steps (their PyTorch code: ~137 s/epoch on this machine)")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
