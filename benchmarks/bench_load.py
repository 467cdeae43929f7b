"""Loading speed and memory: ``discover.load_csv`` beside ``pandas.read_csv``, in the same run.

Writes a CSV of ``--rows`` rows (default 1,000,000) and 10 float columns
(``t`` and 9 variables) to a temporary folder, then runs each loader in a
fresh Python process ``--repeat`` times (default 3) and reports

* wall time of the call (best of the runs; the runs of the loaders are
  interleaved so that load from other processes hits them alike), its
  median, and the CPU time of the call (best of the runs; steadier than wall
  time when other processes compete for the cores), and
* peak memory of the call: the rise of the process's peak resident set size
  (``VmHWM``, reset just before the call through ``/proc/self/clear_refs``;
  falling back to ``ru_maxrss`` where that is not available) above its
  resident size just before the call, worst of the runs. Resident memory,
  not ``tracemalloc``, because pandas' C tokenizer allocates outside
  Python's allocator and ``tracemalloc`` would not see it.

Targets (from the data-layer issue): load + validate at most 1.5x the time
of ``pandas.read_csv``, peak memory at most 3x the parsed float64 data
(rows x 10 x 8 bytes = 80 MB for a million rows).

Run: ``python benchmarks/bench_load.py [--rows N] [--repeat K]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

CHILD = r"""
import json, os, resource, sys, time
import numpy as np, pandas as pd
import discover.data as D

def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def hwm():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False

which, path = sys.argv[1], sys.argv[2]
calls = {
    "pandas.read_csv": lambda: pd.read_csv(path),
    "pandas.read_csv(engine='c', dtype=float)": lambda: pd.read_csv(path, engine="c", dtype=np.float64),
    "discover.load_csv": lambda: D.load_csv(path),
}
base = rss()
exact = reset_peak()
t0, c0 = time.perf_counter(), time.process_time()
out = calls[which]()
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = hwm() - base
shape = list(out.shape) if hasattr(out, "shape") else [out.n_samples, out.n_variables + 1]
print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "exact_peak": exact, "shape": shape}))
"""


def write_csv(path: str, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(rows) * 0.001
    x = np.cumsum(rng.standard_normal((rows, 9)), axis=0) * 0.01
    block = 200_000
    with open(path, "w") as fh:
        fh.write("t," + ",".join(f"x{i}" for i in range(9)) + "\n")
        for lo in range(0, rows, block):
            a = np.c_[t[lo:lo + block], x[lo:lo + block]]
            np.savetxt(fh, a, delimiter=",", fmt="%.10g")


def run(which: str, path: str) -> dict:
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", CHILD, which, path], capture_output=True, text=True, env=env,
                         check=False)
    if res.returncode != 0:
        raise SystemExit(f"{which} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    data_mb = args.rows * 10 * 8 / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.csv")
        t0 = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = os.path.getsize(path) / 1e6
        print(f"CSV: {args.rows:,} rows x 10 columns, {size_mb:.0f} MB on disk, {data_mb:.0f} MB as float64 "
              f"(written in {time.perf_counter() - t0:.1f} s); {args.repeat} fresh processes per loader\n")
        names = ["pandas.read_csv", "pandas.read_csv(engine='c', dtype=float)", "discover.load_csv"]
        runs = {name: [] for name in names}
        for _ in range(args.repeat):  # interleaved, so a busy spell on the machine hits every loader alike
            for name in names:
                runs[name].append(run(name, path))
        results = {name: {"wall": min(r["wall"] for r in rs), "median": float(np.median([r["wall"] for r in rs])),
                          "cpu": min(r["cpu"] for r in rs),
                          "peak": max(r["peak"] for r in rs) / 1e6, "exact": all(r["exact_peak"] for r in rs)}
                   for name, rs in runs.items()}
        ref = results["pandas.read_csv"]
        w = max(len(n) for n in names)
        print(f"{'loader':<{w}}  {'best time (s)':>13}  {'median (s)':>10}  {'x read_csv':>10}  "
              f"{'best CPU (s)':>12}  {'x read_csv':>10}  {'peak +RSS (MB)':>14}  {'x float64 data':>14}")
        for name in names:
            r = results[name]
            print(f"{name:<{w}}  {r['wall']:>13.2f}  {r['median']:>10.2f}  {r['wall'] / ref['wall']:>10.2f}  "
                  f"{r['cpu']:>12.2f}  {r['cpu'] / ref['cpu']:>10.2f}  {r['peak']:>14.0f}  "
                  f"{r['peak'] / data_mb:>14.2f}")
        d = results["discover.load_csv"]
        print(f"\ntargets: time <= 1.5x read_csv -> {d['wall'] / ref['wall']:.2f}x "
              f"({'met' if d['wall'] <= 1.5 * ref['wall'] else 'NOT met'}); "
              f"peak <= 3x data ({3 * data_mb:.0f} MB) -> {d['peak']:.0f} MB "
              f"({'met' if d['peak'] <= 3 * data_mb else 'NOT met'}); CPU time {d['cpu'] / ref['cpu']:.2f}x "
              f"(steadier than wall time on a busy machine)")
        if not all(r["exact"] for r in results.values()):
            print("note: peak from ru_maxrss (could not reset VmHWM); increments may be underestimated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
