"""AL-RNN, offline: which of a run's near-best checkpoints each rule keeps, and how they score held out.

Reads the pickles that ``bench_alrnn.py --save DIR`` writes (a kept run's
near-best checkpoints: those within ``ladder_tolerance`` of the lowest
checkpoint criterion, with the ladder's rows) and, for each checkpoint in the
order of its training criterion (at most 16, as the estimator's screen):

* ``crit``: the checkpoint criterion it was trained and kept by (D_stsp + 10 D_H
  over 5 free runs of 2·10^4 steps from the training data, as recorded);
* ``other``: the second-attractor count of the estimator's screen, from the
  same public functions (:func:`~discover.alrnn.estimator.start_exponents`, 32
  runs of 2·10^4 steps from the training data's states;
  :func:`~discover.alrnn.estimator.other_attractor_runs` on chaotic data);
* ``crit32``: the same criterion over 32 free runs instead of 5
  (:func:`~discover.alrnn.training.checkpoint_scores`), a less noisy reading of
  the same thing on the training data;
* held out, as ``bench_alrnn.held_out``: one free run of ``n_test`` steps from the
  held-out start against the held-out data, D_stsp, D_H and the Lyapunov
  exponent's relative error, and whether all three of issue 10's targets are met
  (D_stsp <= 1, D_H <= 0.1, error <= 15 %).

Then what each rule keeps: the lowest criterion (``criterion``, the estimator's
ranking), the screen (fewest second-attractor runs, then that ranking;
``screen_attractors=True``, the default) and the lowest ``crit32``; and how many
runs meet the targets under each, against how many have any near-best
checkpoint that does (no rule over these checkpoints can do better).

    python benchmarks/bench_alrnn.py --systems lorenz --ladder --n-jobs 2 --epochs 4000 --seeds 0,1 \\
        --recipe-epochs 0 --save /tmp/pk
    python benchmarks/alrnn_checkpoints.py /tmp/pk/*.pkl

Each checkpoint takes about 6 s (most of it the held-out run's exponent).
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_alrnn import SETTINGS, data, held_out  # noqa: E402

from discover.alrnn import ALRNN  # noqa: E402
from discover.alrnn.estimator import (  # noqa: E402
    LYAPUNOV_SAMPLES,
    RUNS_FROM_DATA,
    SCREENED,
    fewest_other_attractors,
    other_attractor_runs,
    ranked_checkpoints,
    start_exponents,
)
from discover.alrnn.training import _criterion, checkpoint_scores  # noqa: E402
from discover.measures import lyapunov_from_data  # noqa: E402

TARGETS = {"D_stsp": 1.0, "D_H": 0.1, "lyap_err": 0.15}


def score_run(path: str, tolerance: float = 0.1) -> list[dict]:
    """One row per near-best checkpoint of the run pickled at ``path`` (in the order of its criterion)."""
    with open(path, "rb") as fh:
        saved = pickle.load(fh)
    system = os.path.basename(path).split("_")[0]
    s = SETTINGS[system]
    x = data(system, saved["n_train"] + saved["n_test"])
    train, test = x[:saved["n_train"]], x[saved["n_train"]:]
    # the estimator standardises the training part on its own, and its checkpoint runs and screen run there
    fit = [((train - train.mean(axis=0)) / train.std(axis=0), None)]
    lam_test, lam_train = lyapunov_from_data(test, s["dt"]), lyapunov_from_data(fit[0][0][:LYAPUNOV_SAMPLES], s["dt"])
    pool = ranked_checkpoints(saved["near_best"], tolerance, None)[:SCREENED]  # the estimator's order
    defaults = ALRNN()
    rows, chaotic = [], None
    for rank, (crit, _, params, epoch) in enumerate(pool):
        ends = start_exponents(params, fit, RUNS_FROM_DATA[0], RUNS_FROM_DATA[1], s["dt"])
        if chaotic is None:  # the estimator's gate: chaotic data, and the first ranked chaotic from some state
            chaotic = bool(lam_train > 0 and np.any(ends > 0))
        s32 = checkpoint_scores(params, fit, defaults.eval_length, 32)
        ho = held_out(params, train, test, s["dt"])
        err = abs(ho["lyap"] - lam_test) / abs(lam_test)
        rows.append({"rank": rank, "epoch": int(epoch), "crit": float(crit),
                     "other": other_attractor_runs(ends, chaotic),
                     "crit32": _criterion(s32, defaults.criterion),
                     "D_stsp": ho["D_stsp"], "D_H": ho["D_H"], "lyap_err": err,
                     "ok": bool(ho["D_stsp"] <= TARGETS["D_stsp"] and ho["D_H"] <= TARGETS["D_H"]
                                and err <= TARGETS["lyap_err"])})
    return rows


RULES = {
    "criterion": lambda rows: rows[0],
    "screen": lambda rows: fewest_other_attractors(rows, lambda r: r["other"])[0],
    "crit32": lambda rows: min(rows, key=lambda r: r["crit32"]),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pickles", nargs="+", help="files written by bench_alrnn.py --save")
    ap.add_argument("--tolerance", type=float, default=0.1, help="the estimator's ladder_tolerance")
    args = ap.parse_args()
    met = dict.fromkeys(RULES, 0)
    reachable = 0
    for path in args.pickles:
        rows = score_run(path, args.tolerance)
        print(f"{os.path.basename(path)}: {len(rows)} near-best checkpoints")
        for r in rows:
            print(f"  #{r['rank']:<2d} epoch {r['epoch']:5d} crit {r['crit']:.3f} other {r['other']:2d}/32 "
                  f"crit32 {r['crit32']:.3f} | held out D_stsp {r['D_stsp']:.3f} D_H {r['D_H']:.3f} "
                  f"lyap err {100 * r['lyap_err']:.0f}% {'meets all three' if r['ok'] else ''}", flush=True)
        picks = {name: rule(rows) for name, rule in RULES.items()}
        for name, r in picks.items():
            met[name] += r["ok"]
        reachable += any(r["ok"] for r in rows)
        print("  kept: " + "; ".join(f"{name} #{r['rank']} ({'meets' if r['ok'] else 'misses'})"
                                     for name, r in picks.items()), flush=True)
    print(f"runs meeting all three targets, of {len(args.pickles)}: "
          + ", ".join(f"{name} {n}" for name, n in met.items())
          + f"; with any near-best checkpoint that meets them: {reachable}")


if __name__ == "__main__":
    main()
