"""Make ``svar.csv``: a linear structural VAR with contemporaneous and lagged edges (d=5, n=500).

``x_t = x_t W + x_{t-1} A_1 + x_{t-2} A_2 + e_t`` with a random sparse DAG
``W`` and sparse ``A_1, A_2`` (:func:`discover.causal.simulate.svar`,
seed 2), Gaussian noise of unequal variances, a burn-in of 100 samples
dropped. ``truth.json`` lists every true edge as ``[source, target, lag]``
(lag in samples, 0 = contemporaneous) with its weight. Run
``python cases/svar/make_data.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from discover.cases import write_csv
from discover.causal.simulate import svar

HERE = Path(__file__).resolve().parent


def make(d: int = 5, n: int = 500, seed: int = 2):
    """The case's Series and true edges ``[(source, target, lag), ...]``."""
    return svar(d=d, n=n, seed=seed)


def write(directory: Path = HERE) -> Path:
    series, truth = make()
    path = write_csv(series, directory / "svar.csv", digits=10)
    W, A = series.meta["W"], series.meta["A"]
    idx = {v: i for i, v in enumerate(series.variables)}
    weights = [float(W[idx[a], idx[b]] if lag == 0 else A[lag - 1][idx[a], idx[b]]) for a, b, lag in truth]
    doc = {
        "system": "linear structural VAR, d=5, two lags (discover.causal.simulate.svar, seed 2)",
        "variables": list(series.variables),
        "graph": {"kind": "causal", "lag_unit": "samples",
                  "edges": [[a, b, lag] for a, b, lag in truth], "weights": weights},
    }
    (directory / "truth.json").write_text(json.dumps(doc, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(write())
