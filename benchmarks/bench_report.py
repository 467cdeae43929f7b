"""Report size and speed (issue 14, item 8): a wide, long series through the quick methods.

The data: Lorenz-96 (``discover.causal.simulate.lorenz96``, forcing 10,
RK4 with dt 0.01) with ``--d`` variables (default 10) and ``--n`` samples
(default 100,000), seed 0. The quick methods (or ``--methods``) are fitted
once; then ``Report.save`` (report.json, report.md, report.html and the
simulation CSVs, every file rendered and written) is timed ``--repeat`` times
(default 3) and ``render_html`` alone once. Printed: best and worst save time,
each file's size, the report files without the simulation CSVs (the target:
< 5 s and < 5 MB), and how many pictures the page holds.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_report.py [--n 100000] [--d 10]
[--methods sindy,dmd]``. Timings depend on the machine's load: state
``uptime`` beside them (printed at the end).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path

TARGET_S = 5.0
TARGET_MB = 5.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="samples (default 100000)")
    ap.add_argument("--d", type=int, default=10, help="variables (default 10)")
    ap.add_argument("--methods", default=None, help="comma-separated methods (default: the quick methods)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    import discover
    from discover.causal.simulate import lorenz96

    series, _ = lorenz96(d=a.d, n=a.n, dt=0.01, substeps=1, seed=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = discover.fit(series, methods=a.methods, seed=0)
    print(f"Lorenz-96, {a.d} variables x {a.n} samples; fit {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{n} {r.status} {r.seconds:.1f} s" for n, r in report.methods.items()))
    out = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        times = []
        for _ in range(a.repeat):
            shutil.rmtree(out, ignore_errors=True)
            start = time.perf_counter()
            report.save(out)
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        page = report.to_html()
        html_s = time.perf_counter() - start
        sizes = {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"save, all files: best {min(times):.2f} s, worst {max(times):.2f} s of {a.repeat} "
          f"(target < {TARGET_S:g} s); render_html alone {html_s:.2f} s")
    for name, size in sizes.items():
        print(f"  {name}: {size / 1e6:.2f} MB")
    report_mb = sum(v for k, v in sizes.items() if not k.startswith("simulations")) / 1e6
    print(f"report files without the simulation CSVs: {report_mb:.2f} MB (target < {TARGET_MB:g} MB)")
    print(f"pictures: {page.count('figure plot overlay')} data-against-run plots, "
          f"{page.count('figure plot phase')} phase portraits, {page.count('largest relative drift')} drift plots")
    print("load:", os.getloadavg())


if __name__ == "__main__":
    main()
