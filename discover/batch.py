"""Many datasets, one report each, and an index page that compares them.

:func:`run_batch` takes a folder of CSV files, a glob pattern, a manifest CSV
(one row per dataset: its file(s) and options) or a list of paths, fits each
dataset with :func:`discover.fit` and writes ``OUT/<dataset>/report.*`` plus
``OUT/index.json``, ``index.md`` and ``index.html`` (a table of each dataset's
equations, graphs and periods).

- **Resumable**: a dataset whose ``report.json`` is already in ``OUT`` is
  skipped (``resume=False`` fits it again).
- **Failures stay local**: a dataset that cannot be loaded or whose fit
  raises is recorded (in the index and in ``OUT/<dataset>/error.txt``) and
  the others go on; a method that fails inside a dataset is recorded in that
  dataset's report, as with :func:`discover.fit`.
- **Where it runs**: ``backend="processes"`` (default) runs the datasets in a
  local pool of processes (joblib's loky); ``"dask"`` submits them to a
  ``dask.distributed`` cluster (``scheduler="tcp://host:8786"``, an existing
  ``Client``, or a local cluster); ``"serial"`` runs them one after the other
  here. Dask does the scheduling, and re-runs the datasets of a worker that
  dies on the workers that remain. No scheduler of our own.
- **Same numbers everywhere**: each dataset is fitted with one BLAS thread and
  the given seed, so a local run, a process pool and a Dask cluster give the
  same reports to the last digit.
- **Atomic**: every file is written through
  :func:`discover.report.atomic_write` (temporary file, then rename), and
  ``report.json`` last, so an interrupted batch (Ctrl-C) leaves each
  finished report whole and no half-written file, and a rerun continues
  where it stopped. Local workers (``"processes"``, ``"serial"``) write
  their own dataset's report: rendering it takes about as long as a small
  fit, and done in the calling process it made half of each dataset's work
  serial (64 small fits: 1.53x on 2 workers). Dask workers only compute,
  and the calling process writes, since a cluster need not share the
  output folder. Inputs must be readable at the same paths on every worker
  (a shared file system).

Manifest CSV: a header with a ``file`` column (several files of one system:
separated by ``;``; relative paths are relative to the manifest), and
optional columns ``name``, ``methods`` (``sindy;dmd`` or ``all``), ``time``,
``group``, ``inputs`` (``;``-separated), ``dt``, ``wide`` and ``seed``; an
empty cell takes the batch's default.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from discover.batch import run_batch
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> t = np.arange(200) * 0.05
>>> for k, w in enumerate([1.0, 2.0]):
...     x = np.c_[np.exp(-0.1 * t) * np.cos(w * t), np.exp(-0.1 * t) * np.sin(w * t)]
...     np.savetxt(folder / f"osc{k}.csv", np.c_[t, x], delimiter=",", header="t,a,b", comments="")
>>> result = run_batch(folder, folder / "out", methods=["dmd"], backend="serial")
>>> [(row["name"], row["status"]) for row in result.rows]
[('osc0', 'ok'), ('osc1', 'ok')]
>>> [round(p, 3) for p in result.rows[1]["periods"]]
[3.142]
"""

from __future__ import annotations

import contextlib
import csv
import glob
import html
import json
import math
import os
import pickle
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DataError

__all__ = ["Dataset", "BatchResult", "DatasetTimeout", "find_datasets", "fit_dataset", "run_batch",
           "write_index"]

#: Load options a manifest row may set (passed to :func:`discover.load`).
LOAD_OPTIONS = ("time", "group", "inputs", "dt", "wide")
_BACKENDS = ("processes", "dask", "serial")


@dataclass(frozen=True)
class Dataset:
    """One dataset of a batch: its name (the report's folder), files and options."""

    name: str
    files: tuple[str, ...]
    load: Mapping[str, Any] = field(default_factory=dict)
    methods: Any = None
    seed: int | None = None


@dataclass
class BatchResult:
    """What :func:`run_batch` did: one row per dataset (as in ``index.json``)."""

    out: Path
    rows: list[dict]

    @property
    def failed(self) -> list[str]:
        return [r["name"] for r in self.rows if r["status"] == "failed"]

    @property
    def skipped(self) -> list[str]:
        return [r["name"] for r in self.rows if r.get("skipped")]


# ----------------------------------------------------------------- datasets
def _safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "dataset"
    return name[:100]


def _stem(path: str) -> str:
    name = Path(path).name
    for suffix in (".csv.gz", ".csv", ".gz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(path).stem


def _unique(datasets: list[Dataset]) -> list[Dataset]:
    """Datasets with distinct names (``name``, ``name-2``, ... in order)."""
    seen: dict[str, int] = {}
    out = []
    for d in datasets:
        n = seen.get(d.name.lower(), 0) + 1
        seen[d.name.lower()] = n
        out.append(d if n == 1 else Dataset(f"{d.name}-{n}", d.files, d.load, d.methods, d.seed))
    return out


def _is_manifest(path: Path) -> bool:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError):
        return False
    return "file" in [h.strip().lower() for h in header]


def _cell_list(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]


def _read_manifest(path: Path) -> list[Dataset]:
    base = path.parent
    out = []
    with open(path, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if not row.get("file"):
                raise DataError(f"manifest {path}: row {i} names no file", file=str(path), row=i)
            files = tuple(str(p if Path(p).is_absolute() else base / p)
                          for p in (s.strip() for s in row["file"].split(";")) if p)
            load: dict[str, Any] = {}
            try:
                for key in LOAD_OPTIONS:
                    v = row.get(key, "")
                    if not v:
                        continue
                    if key == "inputs":
                        load[key] = _cell_list(v)
                    elif key == "dt":
                        load[key] = float(v)
                    elif key == "wide":
                        load[key] = v.lower() in ("1", "true", "yes", "y")
                    else:
                        load[key] = v
                seed = int(row["seed"]) if row.get("seed") else None
            except ValueError as exc:
                raise DataError(f"manifest {path}: row {i}: {exc}", file=str(path), row=i) from None
            methods = row.get("methods") or None
            if methods and methods.lower() != "all":
                methods = _cell_list(methods)
            out.append(Dataset(_safe_name(row.get("name") or _stem(files[0])), files, load, methods, seed))
    return out


def find_datasets(source: str | os.PathLike | Sequence) -> list[Dataset]:
    """The datasets of a batch: a folder (its ``*.csv``/``*.csv.gz`` files, sorted),
    a glob pattern, a manifest CSV (a ``file`` column) or a list of paths.

    Raises :class:`~discover.errors.DataError` when nothing matches.
    """
    if isinstance(source, (list, tuple)):
        datasets = [Dataset(_safe_name(_stem(str(p))), (str(p),)) for p in source]
        what = "the list of files"
    else:
        src = Path(source)
        if src.is_dir():
            files = sorted(str(p) for p in src.iterdir()
                           if p.is_file() and p.name.lower().endswith((".csv", ".csv.gz")))
            datasets = [Dataset(_safe_name(_stem(f)), (f,)) for f in files]
            what = f"folder {src}"
        elif src.is_file() and _is_manifest(src):
            datasets = _read_manifest(src)
            what = f"manifest {src}"
        elif src.is_file():
            datasets = [Dataset(_safe_name(_stem(str(src))), (str(src),))]
            what = str(src)
        else:
            files = sorted(glob.glob(str(source), recursive=True))
            datasets = [Dataset(_safe_name(_stem(f)), (f,)) for f in files if Path(f).is_file()]
            what = f"pattern {source!r}"
    if not datasets:
        raise DataError(f"no datasets found in {what} (a folder of .csv files, a glob pattern, or a manifest "
                        "CSV with a 'file' column)")
    return _unique(datasets)


# -------------------------------------------------------------- one dataset
class DatasetTimeout(BaseException):
    """A dataset ran past the batch's ``timeout``. A ``BaseException``, like
    ``KeyboardInterrupt``, so that :func:`discover.fit`, which keeps a failing
    method from losing the others, does not take it for one method's failure."""


@contextlib.contextmanager
def _alarm(seconds: float):
    """Raise :class:`DatasetTimeout` in this (main) thread after ``seconds`` (POSIX ``SIGALRM``)."""
    def ring(signum, frame):
        raise DatasetTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_CHILD = ("import pickle, sys\n"
          "from discover.batch import fit_dataset\n"
          "with open(sys.argv[1], 'rb') as f:\n"
          "    args = pickle.load(f)\n"
          "res = fit_dataset(*args)\n"
          "with open(sys.argv[2], 'wb') as f:\n"
          "    pickle.dump(res, f)\n")


#: Seconds a child interpreter may take beyond the timeout (its start and imports) before it is killed.
CHILD_GRACE = 120.0


def _fit_in_child(dataset: Dataset, methods, config, seed, timeout: float) -> dict:
    """Fit in a child interpreter, for threads (a Dask worker's) where no signal can interrupt the fit.

    The child times the fit itself (``SIGALRM`` in its main thread, so its
    start and imports are not counted) and is killed if it outlives the
    timeout by :data:`CHILD_GRACE` seconds (a call that never returns).
    """
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="discover-batch-") as tmp:
        args, result = Path(tmp) / "args.pkl", Path(tmp) / "result.pkl"
        with open(args, "wb") as f:
            pickle.dump((dataset, methods, config, seed, timeout), f)
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(args), str(result)], capture_output=True,
                                  text=True, timeout=timeout + CHILD_GRACE)
        except subprocess.TimeoutExpired:
            return {"name": dataset.name, "report": None,
                    "error": f"DatasetTimeout: timed out after {timeout:g} s (its process was killed)",
                    "traceback": "", "seconds": time.perf_counter() - start}
        if proc.returncode != 0 or not result.exists():
            return {"name": dataset.name, "report": None,
                    "error": f"the fit's process ended with status {proc.returncode}",
                    "traceback": proc.stderr[-4000:], "seconds": time.perf_counter() - start}
        with open(result, "rb") as f:
            return pickle.load(f)


def fit_dataset(dataset: Dataset, methods: Any = None, config: Mapping | None = None,
                seed: int | None = 0, timeout: float | None = None, out: str | os.PathLike | None = None,
                formats: tuple[str, ...] = ("json", "md", "html")) -> dict:
    """Load and fit one dataset; never raises. Runs wherever the batch sends it.

    Returns ``{"name", "report" (a Report or None), "error", "traceback",
    "seconds"}``. The fit uses one BLAS thread, so the numbers do not depend
    on the machine's thread count or the executor. With ``timeout`` (seconds),
    a fit still running then is stopped and reported as failed ("timed out
    after N s"): by ``SIGALRM`` in a process's main thread (serial and
    process-pool batches; a single long numerical call finishes first), else
    (Dask workers run tasks in threads) in a child interpreter that does the
    same, started for the purpose.

    With ``out``, the report is also written here into ``out/<name>``
    (``formats``; ``report.json`` last) and ``"saved"`` is True, so the
    caller only reads it back for its index.
    """
    if timeout is not None and (threading.current_thread() is not threading.main_thread()
                                or not hasattr(signal, "setitimer")):
        res = _fit_in_child(dataset, methods, config, seed, timeout)
    else:
        res = _fit_dataset(dataset, methods, config, seed, timeout)
    if out is not None and res["report"] is not None:
        _save(res["report"], Path(out) / dataset.name, formats)
        res["saved"] = True
    return res


def _save(report, folder: Path, formats: tuple[str, ...]) -> None:
    """A dataset's report files (``report.json`` last), and no ``error.txt`` of an earlier failed run."""
    report.save(folder, formats=formats)
    try:
        (folder / "error.txt").unlink()
    except FileNotFoundError:
        pass


def _fit_dataset(dataset, methods, config, seed, timeout) -> dict:
    from threadpoolctl import threadpool_limits

    from .pipeline import fit

    start = time.perf_counter()
    try:
        with threadpool_limits(limits=1), (_alarm(timeout) if timeout is not None else contextlib.nullcontext()):
            files = list(dataset.files)
            report = fit(files[0] if len(files) == 1 else files,
                         dataset.methods if dataset.methods is not None else methods, config=config,
                         seed=dataset.seed if dataset.seed is not None else seed, **dict(dataset.load))
        return {"name": dataset.name, "report": report, "error": None, "traceback": None,
                "seconds": time.perf_counter() - start}
    except (Exception, DatasetTimeout) as exc:  # noqa: BLE001 - one dataset's failure never stops the batch
        return {"name": dataset.name, "report": None, "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(), "seconds": time.perf_counter() - start}


def _summary(name: str, files: Sequence[str], d: dict | None, *, error: str | None = None,
             seconds: float = 0.0) -> dict:
    """One index row from a report's JSON content (``d``) or an error."""
    row: dict[str, Any] = {"name": name, "files": list(files), "report": f"{name}/report.html",
                           "status": "failed", "error": error, "seconds": round(float(seconds), 3),
                           "methods": {}, "equations": [], "graphs": [], "periods": []}
    if d is None:
        row["report"] = None
        return row
    methods = d.get("methods", {})
    row["methods"] = {n: m.get("status") for n, m in methods.items()}
    row["seconds"] = round(sum(float(m.get("seconds", 0.0)) for m in methods.values()), 3)
    failed = [n for n, m in methods.items() if m.get("status") != "ok"]
    row["status"] = "ok" if not failed else ("partial" if len(failed) < len(methods) else "failed")
    if failed:
        row["error"] = "; ".join(f"{n}: {methods[n].get('error')}" for n in failed)
    for eq in d.get("equations", []):
        row["equations"].append({"method": eq.get("method"), "variable": eq.get("variable"), "rhs": eq.get("rhs")})
    for g in d.get("graphs", []):
        edges = [f"{e['source']}→{e['target']}" + (f" (lag {e['lag']})" if e.get("lag") else "")
                 for e in g.get("edges", []) if e.get("selected", True)]
        row["graphs"].append({"method": g.get("method"), "kind": g.get("kind"), "edges": edges})
    periods = []
    for s in d.get("spectra", []):
        spurious = s.get("spurious") or [False] * len(s.get("periods") or [])
        for p, bad in zip(s.get("periods") or [], spurious):
            if not bad and isinstance(p, (int, float)) and math.isfinite(p) and p > 0:
                periods.append(float(p))
    row["periods"] = sorted({round(p, 6) for p in periods}, reverse=True)
    return row


# ------------------------------------------------------------------- index
def write_index(out: str | os.PathLike, rows: list[dict]) -> Path:
    """Write ``index.json``, ``index.md`` and ``index.html`` (each atomically) into ``out``."""
    from .report import atomic_write

    out = Path(out)
    atomic_write(out / "index.json", json.dumps({"schema": "discover.batch/1", "datasets": rows}, indent=1,
                                                ensure_ascii=False, default=str) + "\n")
    atomic_write(out / "index.md", _index_markdown(rows))
    atomic_write(out / "index.html", _index_html(rows))
    return out


def _eq_lines(row: dict) -> list[str]:
    return [f"[{e['method']}] d{e['variable']}/dt = {e['rhs']}" for e in row["equations"]]


def _graph_lines(row: dict) -> list[str]:
    return [f"[{g['method']}] " + (", ".join(g["edges"]) or "no edges") for g in row["graphs"]]


def _period_text(row: dict) -> str:
    return ", ".join(f"{p:.4g}" for p in row["periods"][:8]) + (" …" if len(row["periods"]) > 8 else "")


def _index_markdown(rows: list[dict]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    ok = sum(r["status"] == "ok" for r in rows)
    lines = ["# discover batch", "", f"{len(rows)} datasets: {ok} ok, "
             f"{sum(r['status'] == 'partial' for r in rows)} with a failed method, "
             f"{sum(r['status'] == 'failed' for r in rows)} failed.", "",
             "| dataset | status | s | equations | graphs | periods |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        name = f"[{r['name']}]({r['name']}/report.md)" if r.get("report") else r["name"]
        status = r["status"] + (f": {r['error']}" if r.get("error") else "")
        lines.append("| " + " | ".join(cell(c) for c in [
            name, status, f"{r['seconds']:.2f}", "<br>".join(_eq_lines(r)) or "–",
            "<br>".join(_graph_lines(r)) or "–", _period_text(r) or "–"]) + " |")
    return "\n".join(lines) + "\n"


def _index_html(rows: list[dict]) -> str:
    from .report.html import _css

    e = html.escape
    body = []
    for r in rows:
        name = (f'<a href="{e(r["report"])}">{e(r["name"])}</a>' if r.get("report") else e(r["name"]))
        status = e(r["status"]) + (f'<br><small>{e(str(r["error"]))}</small>' if r.get("error") else "")
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in [
            name, status, f"{r['seconds']:.2f}", "<br>".join(e(x) for x in _eq_lines(r)) or "–",
            "<br>".join(e(x) for x in _graph_lines(r)) or "–", e(_period_text(r)) or "–"]) + "</tr>")
    data = json.dumps({"schema": "discover.batch/1", "datasets": rows}, ensure_ascii=False, default=str)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>discover batch</title>"
            f"<style>{_css()}</style></head><body><main><h1>discover batch</h1>"
            f"<p>{len(rows)} datasets; each name links to its report.</p>"
            "<table><thead><tr><th>dataset</th><th>status</th><th>s</th><th>equations</th><th>graphs</th>"
            "<th>periods</th></tr></thead><tbody>" + "".join(body) + "</tbody></table>"
            f'<script type="application/json" id="discover-batch">{data}</script></main></body></html>\n')


# ------------------------------------------------------------------- batch
def _finished(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _executor(backend: str, todo: list[Dataset], args: tuple, n_jobs: int | None, scheduler: Any):
    """Results of :func:`fit_dataset` over ``todo`` as they arrive (any order)."""
    if backend == "serial" or not todo:
        for ds in todo:
            yield fit_dataset(ds, *args)
        return
    if backend == "processes":
        from joblib import Parallel, delayed

        jobs = n_jobs if n_jobs not in (None, 0) else -1
        yield from Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")(
            delayed(fit_dataset)(ds, *args) for ds in todo)
        return
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError("backend='dask' needs dask.distributed: pip install 'discover[dask]'") from None
    own = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler:
        client = own = Client(scheduler, timeout=30)
    else:
        client = own = Client(n_workers=n_jobs if n_jobs and n_jobs > 0 else None, threads_per_worker=1,
                              processes=True, dashboard_address=None)
    try:
        futures = [client.submit(fit_dataset, ds, *args, key=f"discover-batch-{ds.name}-{os.urandom(4).hex()}",
                                 pure=False, retries=2) for ds in todo]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            for fut in futures:
                fut.cancel()
    finally:
        if own is not None:
            own.close()


def run_batch(source: str | os.PathLike | Sequence, out: str | os.PathLike, *, methods: Any = None,
              config: Mapping | None = None, seed: int | None = 0, backend: str = "processes",
              n_jobs: int | None = None, scheduler: Any = None, formats: tuple[str, ...] = ("json", "md", "html"),
              resume: bool = True, on_done: Callable[[dict], None] | None = None,
              timeout: float | None = None) -> BatchResult:
    """Fit every dataset of ``source`` and write one report each plus an index page into ``out``.

    Parameters
    ----------
    source : folder, glob pattern, manifest CSV or list of paths
        See :func:`find_datasets`.
    out : path
        Output folder: ``out/<dataset>/report.*`` and ``out/index.{json,md,html}``.
    methods, config, seed
        As in :func:`discover.fit` (a manifest row's ``methods``/``seed`` win).
    backend : {"processes", "dask", "serial"}
        Where the datasets run (see the module documentation).
    n_jobs : int, optional
        Processes (``"processes"``; default one per core) or local Dask
        workers (``"dask"`` without a scheduler).
    scheduler : str or dask.distributed.Client, optional
        The Dask scheduler address or client for ``backend="dask"``.
    formats : tuple of str
        Report files per dataset (``"json"`` is always written: it marks a
        dataset finished).
    resume : bool
        Skip datasets whose ``report.json`` exists in ``out``.
    on_done : callable, optional
        Called with each new index row as its dataset finishes.
    timeout : float, optional
        Seconds one dataset may take; one still running then is recorded as
        failed ("timed out after N s", see :func:`fit_dataset`) and the
        others go on. A timed-out dataset is fitted again by a rerun.

    Returns
    -------
    BatchResult
        One row per dataset, in the order of ``source``.
    """
    if backend not in _BACKENDS:
        raise ValueError(f"The 'backend' parameter of run_batch must be one of {', '.join(_BACKENDS)}. "
                         f"Got {backend!r} instead.")
    if scheduler is not None and backend != "dask":
        raise ValueError("a scheduler needs backend='dask'")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"The 'timeout' parameter of run_batch must be a positive number of seconds; "
                         f"got {timeout!r}.")
    formats = tuple(dict.fromkeys(("json", *formats)))
    datasets = find_datasets(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict] = {}
    todo = []
    for ds in datasets:
        done = _finished(out / ds.name) if resume else None
        if done is not None:
            rows[ds.name] = {**_summary(ds.name, ds.files, done), "skipped": True}
        else:
            todo.append(ds)
    by_name = {ds.name: ds for ds in datasets}
    from .report import atomic_write

    try:
        # local workers write their own report (see the module's notes); Dask workers only compute
        args = (methods, config, seed, timeout) + ((out, formats) if backend != "dask" else ())
        for res in _executor(backend, todo, args, n_jobs, scheduler):
            ds = by_name[res["name"]]
            folder = out / ds.name
            if res["report"] is not None:
                if res.get("saved"):
                    summary = json.loads((folder / "report.json").read_text(encoding="utf-8"))
                else:
                    _save(res["report"], folder, formats)
                    summary = json.loads(res["report"].to_json())
                row = _summary(ds.name, ds.files, summary)
            else:
                atomic_write(folder / "error.txt", f"{res['error']}\n\n{res['traceback']}")
                row = _summary(ds.name, ds.files, None, error=res["error"], seconds=res["seconds"])
            rows[ds.name] = row
            if on_done is not None:
                on_done(row)
    finally:  # also after Ctrl-C: the index lists what is finished (each file written atomically)
        ordered = [rows[ds.name] for ds in datasets if ds.name in rows]
        write_index(out, ordered)
    return BatchResult(out, ordered)
