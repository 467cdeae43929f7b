"""The SDE method's two likelihoods on this case: pairs (far pairs dropped) vs the latent path.

For each seed, fits ``SDEStructure(latent=False)`` and ``SDEStructure(latent=True)`` and prints one
JSON line per fit: gaps used, summary-graph AUROC and F1 (with and without the self-loops), seconds,
the machine's load and the mean diffusion (the truth is 1). ``--size bench`` uses the benchmark's
version of the data (``n=4000`` samples per trajectory, as ``benchmarks/bench_causal.py`` l96-irr)
instead of the case's CSV. Run with ``OPENBLAS_NUM_THREADS=1``::

    OPENBLAS_NUM_THREADS=1 python cases/stochastic_irregular/compare_likelihoods.py --seeds 0,1,2
    OPENBLAS_NUM_THREADS=1 python cases/stochastic_irregular/compare_likelihoods.py --size bench --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from discover.causal._graphs import auroc, f1
from discover.causal.sde import SDEStructure
from discover.causal.simulate import lorenz96


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=["case", "bench"], default="case")
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args(argv)
    if args.size == "case":
        from discover.cases import load_case

        case = load_case("stochastic_irregular")
        series, truth = case.load(), case.truth["graph"]["edges"]
    else:
        series, truth = lorenz96(d=10, n=4000, dt=0.01, sigma=1.0, seed=0, substeps=10, irregular=True,
                                 n_trajectories=2)
    names = series.variables
    d = len(names)
    T = np.zeros((d, d), bool)
    for a, b, _lag in truth:
        T[names.index(a), names.index(b)] = True
    off = ~np.eye(d, dtype=bool)
    for seed in (int(s) for s in args.seeds.split(",")):
        for latent in (False, True):
            start = time.perf_counter()
            m = SDEStructure(latent=latent, random_state=seed).fit(series)
            seconds = time.perf_counter() - start
            print(json.dumps({
                "data": args.size, "seed": seed, "likelihood": "latent path" if latent else "pairs",
                "gaps_used": m.n_transitions_, "gaps": m.n_pairs_,
                "auroc": round(auroc(m.probabilities_[off], T[off]), 4),
                "f1": round(f1(m.selected_[off], T[off]), 4),
                "auroc_with_self_loops": round(auroc(m.probabilities_.ravel(), T.ravel()), 4),
                "f1_with_self_loops": round(f1(m.selected_.ravel(), T.ravel()), 4),
                "seconds": round(seconds, 1), "load": round(os.getloadavg()[0], 2),
                "diffusion_mean": round(float(m.diffusion_.mean()), 3)}), flush=True)


if __name__ == "__main__":
    main()
