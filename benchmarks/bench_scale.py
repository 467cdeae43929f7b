"""Cost of each method as the data grow, wide-data DMD, big CSVs and batches.

Sections (``--only NAME,...``; all by default):

``grid``
    Time and peak memory (``tracemalloc``: numpy's buffers included) of each
    quick method (sindy, dmd, conservation, dynotears) over a grid of samples
    ``n`` and columns ``d``. Two data families side by side: ``d/2`` damped
    oscillators mixed into ``d`` channels (linear) and Lorenz-96 with ``d``
    sites (chaotic), 1 % noise. The curves go to the JSON file so a user can
    predict a run (``--grid-n``, ``--grid-d`` set the grid).
``dmd``
    ``dmd`` with defaults (``weights="auto"``) on a 10⁵ × 500 snapshot matrix
    (rank 10, noise of unequal level per channel) beside the Gram matrix and
    its eigendecomposition on the same data, and PyDMD's ``DMD`` and
    ``BOPDMD`` when installed. Times are the best of two runs without the
    memory tracer (peak memory from a third, traced run); the automatic
    rank and the singular values around it are printed, with ``rank=10``
    beside it for the eigenvalue error at the true rank.
``csv``
    A CSV of ``--rows`` rows × 10 columns (time and 9 channels mixing damped
    oscillators, 1 % noise, one continuous record) written to a temporary
    folder (and deleted after), then for each quick method a fresh process
    loads it and fits: load and fit time, time per 10⁶ rows, peak resident
    memory. A method that streams (dmd, sindy, dynotears) runs twice above
    its row limit: streamed (choices on the subsample, final fit on every
    row in chunks) and subsampled (``discover.fit(stream=False)``).
    ``--config JSON`` passes method options (``--big`` gives dmd
    ``rank=9, delays=1``: the 9 channels carry 5 oscillators, a
    10-dimensional state, so the default delay check rightly embeds them
    below its size limit, and an embedded fit does not stream; see
    docs/scale.rst).
``batch``
    64 small datasets (folder of CSVs), ``run_batch`` with 1 and 2 local
    processes (throughput ratio, cold: with the workers' start-up, and warm:
    workers reused, as in a long batch), and the Dask path's overhead for one quick
    fit (a local cluster already running, against the same fit in-process).

Timings are wall-clock on whatever else runs on the machine: the load
average is printed and stored beside them.

Run: ``python benchmarks/bench_scale.py [--quick] [--only grid,dmd,csv,batch]
[--rows 1000000,3000000] [--json scale.json]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

QUICK = ["sindy", "dmd", "conservation", "dynotears"]


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(fn, repeat: int = 0):
    """``(result, seconds, peak MiB above the start)`` of ``fn()`` under tracemalloc.

    With ``repeat`` > 0 the seconds are the best of that many further runs
    without tracemalloc: the tracer hooks every allocation, and code that
    makes many small arrays (an iterative solver) ran up to 1.5x slower under
    it, which would make a timing ratio compare the tracer, not the method.
    """
    if repeat:
        out, _, peak = measure(fn)
        return out, min(_timed(fn) for _ in range(repeat)), peak
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    return out, sec, peak


# ------------------------------------------------------------------ data
def oscillators(n: int, d: int, seed: int = 0, dt: float = 0.02):
    """``d`` channels mixing ``ceil(d/2)`` damped oscillators, 1 % noise."""
    rng = np.random.default_rng(seed)
    k = (d + 1) // 2
    t = np.arange(n) * dt
    w = rng.uniform(0.5, 3.0, k)
    g = rng.uniform(0.0, 0.05, k) * 10 / max(n * dt, 10)
    S = np.concatenate([np.exp(-g * t[:, None]) * np.cos(w * t[:, None]),
                        np.exp(-g * t[:, None]) * np.sin(w * t[:, None])], axis=1)[:, :d]
    X = S @ rng.standard_normal((S.shape[1], d))
    return t, X + 0.01 * X.std() * rng.standard_normal(X.shape)


def lorenz96(n: int, d: int, seed: int = 0, dt: float = 0.01, forcing: float = 8.0):
    """Lorenz-96 with ``d`` sites (RK4, after a burn-in), 1 % noise."""
    rng = np.random.default_rng(seed)
    x = forcing + rng.standard_normal(d)

    def f(x):
        return (np.roll(x, -1) - np.roll(x, 2)) * np.roll(x, 1) - x + forcing

    out = np.empty((n, d))
    for i in range(n + 500):
        k1 = f(x)
        k2 = f(x + 0.5 * dt * k1)
        k3 = f(x + 0.5 * dt * k2)
        k4 = f(x + dt * k3)
        x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if i >= 500:
            out[i - 500] = x
    return np.arange(n) * dt, out + 0.01 * out.std() * rng.standard_normal(out.shape)


FAMILIES = {"oscillators": oscillators, "lorenz96": lorenz96}


# ------------------------------------------------------------------ grid
def bench_grid(ns, ds, results):
    import warnings

    import discover
    from discover.data import from_arrays

    rows = []
    for family, make in FAMILIES.items():
        for d in ds:
            for n in ns:
                t, X = make(n, d)
                s = from_arrays(X, t=t, names=[f"x{i}" for i in range(d)])
                for method in QUICK:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        rep, sec, peak = measure(lambda s=s, method=method: discover.fit(s, [method], seed=0))
                    status = rep.methods[method].status
                    rows.append({"family": family, "method": method, "n": n, "d": d, "seconds": round(sec, 4),
                                 "peak_mib": round(peak, 2), "data_mib": round(X.nbytes / 2**20, 3),
                                 "status": status})
                    print(f"  {family:12s} {method:13s} n={n:>7d} d={d:>3d}  {sec:8.3f} s  {peak:9.1f} MiB"
                          f"  {status}", flush=True)
    results["grid"] = {"load": load_avg(), "rows": rows}
    # growth exponents: slope of log time against log n (per method, family, d) and against log d
    fits = []
    for family in FAMILIES:
        for method in QUICK:
            for d in ds:
                pts = [(r["n"], r["seconds"]) for r in rows if (r["family"], r["method"], r["d"]) == (family, method, d)]
                if len(pts) >= 2 and all(p[1] > 0 for p in pts):
                    a = np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)[0]
                    fits.append({"family": family, "method": method, "d": d, "time_exponent_in_n": round(a, 2)})
            for n in ns:
                pts = [(r["d"], r["seconds"]) for r in rows if (r["family"], r["method"], r["n"]) == (family, method, n)]
                if len(pts) >= 2 and all(p[1] > 0 for p in pts):
                    a = np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)[0]
                    fits.append({"family": family, "method": method, "n": n, "time_exponent_in_d": round(a, 2)})
    results["grid"]["exponents"] = fits
    for f in fits:
        print("  exponent", f)


# ------------------------------------------------------------------- dmd
def bench_dmd(n_state, results):
    from discover.operators._linalg import _gram, match_eigenvalues
    from discover.operators.dmd import DMD

    m, r = 500, 10
    rng = np.random.default_rng(0)
    w = -rng.uniform(0.0, 0.1, r // 2) + 1j * rng.uniform(0.2, 3.0, r // 2)
    truth = np.concatenate([w, w.conj()])
    t = np.arange(m) * 0.02
    E = np.exp(np.outer(t, w))
    X = np.empty((m, n_state))
    sd = rng.uniform(0.02, 0.6, n_state)
    for j in range(0, n_state, 10_000):
        c = min(10_000, n_state - j)
        M = rng.standard_normal((c, r // 2)) + 1j * rng.standard_normal((c, r // 2))
        X[:, j:j + c] = 2 * (E @ M.T).real + sd[j:j + c] * rng.standard_normal((m, c))
    data_mib = X.nbytes / 2**20
    rows = []

    def gram_eigh():
        return np.linalg.eigh(_gram(X[:-1]))

    _, g_sec, g_peak = measure(gram_eigh, repeat=2)
    rows.append({"method": "Gram X1 X1ᵀ + eigh", "seconds": g_sec, "peak_mib": g_peak})
    mdl, sec, peak = measure(lambda: DMD().fit(X, t=t), repeat=2)
    err = match_eigenvalues(mdl.continuous_eigenvalues_, truth)
    # err: one per true eigenvalue (inf where the automatic rank left it out); also the error of the
    # conjugate pairs that were kept whole, so a rank one short still shows how well the rest are found
    whole = np.sort(err[np.isfinite(err)])[: 2 * (int(mdl.rank_) // 2)]  # the best-matched pairs, as many as fit
    rows.append({"method": f"discover DMD() (auto → {mdl.variant_}, rank {mdl.rank_}, weights='auto')",
                 "seconds": sec, "peak_mib": peak, "max_err": float(err.max()), "rank": int(mdl.rank_),
                 "singular_values": [float(v) for v in np.sqrt(np.maximum(
                     np.linalg.eigvalsh(_gram(X[:-1]))[::-1][: r + 2], 0))]})
    _, g2, _ = measure(gram_eigh, repeat=2)  # again after: the ratio uses the better of the two
    g_best = min(g_sec, g2)
    mdl, sec10, _ = measure(lambda: DMD(rank=r).fit(X, t=t), repeat=2)
    rows.append({"method": f"discover DMD(rank={r})", "seconds": sec10, "rank": int(mdl.rank_),
                 "max_err": float(match_eigenvalues(mdl.continuous_eigenvalues_, truth).max())})
    mdl, sec2, _ = measure(lambda: DMD(weights=None).fit(X, t=t), repeat=2)
    rows.append({"method": "discover DMD(weights=None)", "seconds": sec2,
                 "max_err": float(match_eigenvalues(mdl.continuous_eigenvalues_, truth).max())})
    try:
        import pydmd
    except ImportError:
        print("  PyDMD not installed: its rows are skipped")
    else:
        d, s3, p3 = measure(lambda: pydmd.DMD(svd_rank=r).fit(X.T))
        rows.append({"method": "PyDMD DMD(svd_rank=10)", "seconds": s3, "peak_mib": p3,
                     "max_err": float(match_eigenvalues(np.log(d.eigs.astype(complex)) / 0.02, truth).max())})
        try:
            b, s4, p4 = measure(lambda: pydmd.BOPDMD(svd_rank=r, num_trials=0).fit(X.T, t))
            rows.append({"method": "PyDMD BOPDMD(svd_rank=10, num_trials=0)", "seconds": s4, "peak_mib": p4,
                         "max_err": float(match_eigenvalues(b.eigs, truth).max())})
        except Exception as exc:  # noqa: BLE001 - a reference tool's failure is reported, not fatal
            rows.append({"method": "PyDMD BOPDMD", "error": f"{type(exc).__name__}: {exc}"})
    for row in rows:
        row["ratio_to_gram"] = round(row["seconds"] / g_best, 2) if "seconds" in row else None
        row["peak_over_data"] = round(row["peak_mib"] / data_mib, 2) if row.get("peak_mib") is not None else None
        print(f"  {row['method']:60s} {row.get('seconds', float('nan')):7.2f} s  x{row['ratio_to_gram']}"
              f"  peak/data {row.get('peak_over_data')}  err {row.get('max_err', '')}", flush=True)
    sv = rows[1]["singular_values"]
    print(f"  automatic rank {rows[1]['rank']} of {r}: singular values {', '.join(f'{v:.0f}' for v in sv)}"
          f"; the {len(whole)} best-matched eigenvalues within {whole.max() if whole.size else float('nan'):.3g}")
    results["dmd"] = {"load": load_avg(), "shape": [m, n_state], "data_mib": data_mib, "gram_best_s": g_best,
                      "rows": rows}


# ------------------------------------------------------------------- csv
CHILD = r"""
import json, resource, sys, time, warnings
t0 = time.perf_counter()
import discover
path, method = sys.argv[1], sys.argv[2]
t1 = time.perf_counter()
s = discover.load(path, time="t")
t2 = time.perf_counter()
rss_load = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    rep = discover.fit(s, [method], seed=0, stream=sys.argv[3] == "1", config=json.loads(sys.argv[4]))
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "fit_s": t3 - t2, "status": rep.methods[method].status,
                  "error": rep.methods[method].error, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_after_load_mib": rss_load, "warnings": [w[:300] for w in rep.methods[method].warnings[:6]]}))
"""


def write_csv(path: Path, rows: int, seed: int = 0, d: int = 9, dt: float = 0.02) -> None:
    """One continuous record of :func:`oscillators` (same construction), written 200,000 rows at a time."""
    rng = np.random.default_rng(seed)
    k = (d + 1) // 2
    w = rng.uniform(0.5, 3.0, k)
    g = rng.uniform(0.0, 0.05, k) * 10 / max(rows * dt, 10)
    M = rng.standard_normal((2 * k, d))[:d]
    scale = None
    block = 200_000
    with open(path, "w") as fh:
        fh.write("t," + ",".join(f"x{i}" for i in range(d)) + "\n")
        for i in range(0, rows, block):
            t = np.arange(i, min(i + block, rows)) * dt
            S = np.concatenate([np.exp(-g * t[:, None]) * np.cos(w * t[:, None]),
                                np.exp(-g * t[:, None]) * np.sin(w * t[:, None])], axis=1)[:, :d]
            X = S @ M
            scale = X.std() if scale is None else scale  # the first block's spread sets the 1 % noise
            np.savetxt(fh, np.c_[t, X + 0.01 * scale * rng.standard_normal(X.shape)], delimiter=",", fmt="%.8g")


#: methods that refit on every row above their row limit (``registry`` ``streams``)
STREAMS = {"dmd", "sindy", "dynotears"}
#: row limits of the registry (the subsample a method's choices are made on)
LIMITS = {"sindy": 100_000, "conservation": 100_000, "dmd": 1_000_000, "dynotears": 1_000_000}


def bench_csv(row_counts, results, timeout, config=None):
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in row_counts:
            path = Path(tmp) / f"big_{rows}.csv"
            t0 = time.perf_counter()
            write_csv(path, rows)
            print(f"  wrote {rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.0f} s",
                  flush=True)
            runs = [(m, True) for m in QUICK if m in STREAMS and rows > LIMITS.get(m, 10**6)]
            runs += [(m, False) for m in QUICK]
            for method, stream in runs:
                opts = {method: (config or {}).get(method, {})}
                try:
                    p = subprocess.run([sys.executable, "-c", CHILD, str(path), method, "1" if stream else "0",
                                        json.dumps(opts)], capture_output=True, text=True, timeout=timeout)
                    rec = json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else {
                        "status": "crashed", "error": p.stderr[-400:]}
                except subprocess.TimeoutExpired:
                    rec = {"status": "timeout", "error": f"over {timeout} s"}
                rec.update({"rows": rows, "method": method, "load": load_avg(), "options": opts[method],
                            "mode": ("streamed" if stream else "subsampled" if rows > LIMITS.get(method, 10**6)
                                     else "in memory")})
                if "fit_s" in rec:
                    rec["fit_s_per_1e6_rows"] = rec["fit_s"] / (rows / 1e6)
                    rec["load_s_per_1e6_rows"] = rec["load_s"] / (rows / 1e6)
                out.append(rec)
                print(f"  {rows:>9,} rows {method:13s} {rec['mode']:10s} load {rec.get('load_s', float('nan')):6.1f} s  "
                      f"fit {rec.get('fit_s', float('nan')):7.1f} s  peak RSS {rec.get('peak_rss_mib', float('nan')):7.0f}"
                      f" MiB  {rec['status']} {rec.get('error') or ''}", flush=True)
            path.unlink()
    results["csv"] = out


# ----------------------------------------------------------------- batch
def bench_batch(results, n_datasets=64):
    from discover.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        for k in range(n_datasets):
            t, X = oscillators(2000, 4, seed=k)
            np.savetxt(folder / f"d{k:02d}.csv", np.c_[t, X], delimiter=",", header="t,a,b,c,d", comments="")
        # Each count runs twice: "cold" pays the start-up (1 job runs in this
        # process, 2 jobs start 2 loky workers that import numpy, sklearn,
        # sympy, pysindy), "warm" reuses them (loky keeps its workers), which
        # is the throughput of a long batch.
        rows = {}
        for jobs in (1, 2):
            for phase in ("cold", "warm"):
                t0 = time.perf_counter()
                res = run_batch(folder, Path(tmp) / f"out{jobs}{phase}", methods=["dmd", "sindy"],
                                backend="processes", n_jobs=jobs, resume=False)
                sec = rows[jobs, phase] = time.perf_counter() - t0
                print(f"  {n_datasets} datasets (dmd+sindy), {jobs} process(es), {phase}: {sec:.1f} s "
                      f"({n_datasets / sec:.1f} datasets/s), failed {len(res.failed)}; load {load_avg()}", flush=True)
        speedup = rows[1, "cold"] / rows[2, "cold"]
        warm = rows[1, "warm"] / rows[2, "warm"]
        print(f"  throughput 2 processes / 1 process: {speedup:.2f}x cold, {warm:.2f}x warm (cores: {os.cpu_count()})")
        entry = {"datasets": n_datasets, "seconds_1": rows[1, "cold"], "seconds_2": rows[2, "cold"],
                 "speedup": speedup, "seconds_1_warm": rows[1, "warm"], "seconds_2_warm": rows[2, "warm"],
                 "speedup_warm": warm, "load": load_avg(), "cpus": os.cpu_count()}
        try:
            from dask.distributed import Client
        except ImportError:
            print("  dask.distributed not installed: overhead not measured")
        else:
            one = Path(tmp) / "one"
            one.mkdir()
            (one / "d00.csv").write_bytes((folder / "d00.csv").read_bytes())
            run_batch(one, Path(tmp) / "warm", methods=["dmd"], backend="serial", resume=False)  # imports warm
            serial = min(_timed(lambda: run_batch(one, Path(tmp) / "s", methods=["dmd"], backend="serial",
                                                  resume=False)) for _ in range(3))
            with Client(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as client:
                run_batch(one, Path(tmp) / "dw", methods=["dmd"], backend="dask", scheduler=client, resume=False)
                dask_s = min(_timed(lambda: run_batch(one, Path(tmp) / "d", methods=["dmd"], backend="dask",
                                                      scheduler=client, resume=False)) for _ in range(3))
            entry.update({"one_fit_serial_s": serial, "one_fit_dask_s": dask_s, "dask_overhead_s": dask_s - serial})
            print(f"  one quick fit: in-process {serial:.3f} s, on a running local Dask cluster {dask_s:.3f} s "
                  f"(overhead {dask_s - serial:.3f} s); load {load_avg()}")
        results["batch"] = entry


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grid, 2·10⁴-column DMD, 2·10⁵-row CSV")
    ap.add_argument("--only", default="grid,dmd,csv,batch")
    ap.add_argument("--grid-n", default=None, help="comma-separated n (default 1000,4000,16000)")
    ap.add_argument("--grid-d", default=None, help="comma-separated d (default 3,6,12)")
    ap.add_argument("--rows", default=None, help="CSV rows, comma-separated (default 1000000,3000000)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per method on the big CSV")
    ap.add_argument("--methods", default=",".join(QUICK), help="methods of the grid and CSV sections")
    ap.add_argument("--big", action="store_true",
                    help="only the big-CSV section at 10⁶ and 10⁷ rows × 10 columns (issue 15.4; needs ~1 GB in the temp folder)")
    ap.add_argument("--config", default=None, help="method options of the csv section, as JSON")
    ap.add_argument("--json", default="bench_scale.json")
    a = ap.parse_args()
    if a.big:
        a.only, a.rows = "csv", a.rows or "1000000,10000000"
        a.config = a.config or json.dumps({"dmd": {"rank": 9, "delays": 1}})
    QUICK[:] = a.methods.split(",")
    only = set(a.only.split(","))
    ns = [int(float(v)) for v in (a.grid_n or ("500,2000" if a.quick else "1000,4000,16000")).split(",")]
    ds = [int(v) for v in (a.grid_d or ("3,6" if a.quick else "3,6,12")).split(",")]
    rows = [int(float(v)) for v in (a.rows or ("200000" if a.quick else "1000000,3000000")).split(",")]
    results = {"machine": {"cpus": os.cpu_count(), "load_at_start": load_avg()}}
    print(f"load average at start: {load_avg()} ({os.cpu_count()} cores)")
    if "dmd" in only:
        print("== wide-data DMD")
        bench_dmd(20_000 if a.quick else 100_000, results)
    if "grid" in only:
        print("== cost grid")
        bench_grid(ns, ds, results)
    if "batch" in only:
        print("== batch")
        bench_batch(results, 16 if a.quick else 64)
    if "csv" in only:
        print("== big CSV")
        bench_csv(rows, results, a.timeout, json.loads(a.config) if a.config else None)
    results["machine"]["load_at_end"] = load_avg()
    Path(a.json).write_text(json.dumps(results, indent=1, default=str) + "\n")
    print(f"curves written to {a.json}")


if __name__ == "__main__":
    main()
