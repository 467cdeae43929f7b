"""Start-up benchmark: wall time of ``discover --help``, ``discover methods`` and ``discover --version``.

Each command runs as a fresh subprocess, ``--repeat`` times (default 5); the
best time is printed beside the median, with the target of issue 15 (0.3 s).
The installed ``discover`` script next to this Python is used (a pyenv shim
in ``PATH`` adds its own start-up, a shell script, so it is avoided); with
``--module`` the commands run as ``python -m discover``. The import time of
``discover.cli`` alone (``python -X importtime``) and the heavy packages it
pulls in are printed too.

Run ``python benchmarks/bench_startup.py [--repeat 5] [--module]``. Timings
depend on the machine's load: state ``uptime`` beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_S = 0.3
COMMANDS = (["--help"], ["methods"], ["--version"])
HEAVY = ("numpy", "pandas", "scipy", "sklearn", "sympy", "torch")


def _launcher(module: bool) -> list[str]:
    if module:
        return [sys.executable, "-m", "discover"]
    script = Path(sys.executable).with_name("discover")
    if script.is_file():
        return [str(script)]
    found = shutil.which("discover")
    if found is None:
        sys.exit("no 'discover' command installed (pip install -e .); try --module")
    return [found]


def _time(cmd: list[str], repeat: int) -> list[float]:
    times = []
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (best is reported)")
    parser.add_argument("--module", action="store_true", help="run 'python -m discover' instead of the script")
    args = parser.parse_args(argv)
    launcher = _launcher(args.module)
    subprocess.run(launcher + ["--version"], stdout=subprocess.DEVNULL, check=True)  # warm the file cache
    print(f"launcher: {' '.join(launcher)}   load average: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'command':<24}{'best (s)':>10}{'median (s)':>12}  target {TARGET_S} s")
    worst_best = 0.0
    for extra in COMMANDS:
        times = _time(launcher + extra, args.repeat)
        best = min(times)
        worst_best = max(worst_best, best)
        label = "discover " + " ".join(extra)
        print(f"{label:<24}{best:>10.3f}{statistics.median(times):>12.3f}  {'ok' if best <= TARGET_S else 'SLOW'}")
    probe = ("import sys, time; t = time.perf_counter(); import discover.cli; "
             f"print(round(time.perf_counter() - t, 3), ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    print(f"import discover.cli: {out[0]} s; heavy packages imported: {out[1] if len(out) > 1 else 'none'}")
    return 0 if worst_best <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
