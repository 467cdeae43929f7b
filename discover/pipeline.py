"""Run methods on a Series and collect their findings into one :class:`Report`.

Examples
--------
>>> import numpy as np
>>> import discover
>>> t = np.linspace(0, 10, 1001)
>>> x = np.c_[np.exp(-0.5 * t), 2 * np.exp(-0.5 * t)]
>>> report = discover.fit(discover.from_arrays(x, t=t, names=["a", "b"]), methods=["sindy"])
>>> report.methods["sindy"].status
'ok'
"""

from __future__ import annotations

import time
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from . import registry
from .data import Series, load
from .errors import DataWarning, MethodError, ParameterError
from .findings import _jsonable
from .progress import attach
from .report import MethodResult, Report

__all__ = ["fit", "resolve_methods"]


def resolve_methods(methods: Any = None, config: Mapping | None = None) -> list[tuple[str, BaseEstimator]]:
    """Turn ``methods`` into ``[(name, unfitted estimator), ...]``.

    ``methods`` is ``None`` (the quick methods), ``"all"``, a comma-separated
    string, or a list whose items are names or estimator instances.
    ``config`` maps a method name to its keyword arguments.
    """
    config = dict(config or {})
    if methods is None:
        items: list = registry.quick_methods()
    elif isinstance(methods, str):
        items = _all_installed() if methods.strip() == "all" else [
            m.strip() for m in methods.split(",") if m.strip()
        ]
    elif isinstance(methods, BaseEstimator):
        items = [methods]
    else:
        items = list(methods)
    if not items:
        raise MethodError("No method to run: 'methods' is empty.")
    unknown_cfg = set(config) - {i for i in items if isinstance(i, str)} - {
        getattr(i, "name", None) for i in items
    }
    if unknown_cfg:
        raise MethodError(
            f"The configuration names methods that are not run: {', '.join(sorted(unknown_cfg))}."
        )
    out, seen = [], set()
    for item in items:
        if isinstance(item, str):
            spec = registry.get(item)
            cls = spec.load()
            params = dict(config.get(item, {}))
            valid = cls().get_params(deep=False)
            bad = sorted(set(params) - set(valid))
            if bad:
                raise ParameterError(
                    f"Unknown option(s) for method {item!r}: {', '.join(bad)}. "
                    f"Options: {', '.join(sorted(valid))}."
                )
            est, name = cls(**params), item
        elif isinstance(item, BaseEstimator):
            est = clone(item)
            name = getattr(item, "name", "") or type(item).__name__.lower()
            if name in config:
                est.set_params(**config[name])
        else:
            raise MethodError(f"Cannot run {item!r}: give a method name or an estimator instance.")
        base, k = name, 2
        while name in seen:  # the same method twice with other options
            name, k = f"{base}-{k}", k + 1
        seen.add(name)
        out.append((name, est))
    return out


def _all_installed() -> list[str]:
    """Every available method whose optional packages are installed (``methods="all"``).

    Each method left out gets one warning naming what it needs and the command
    (README.md's) that installs it; the others still run.
    """
    names = []
    for spec in registry.available():
        missing = spec.missing()
        if missing:
            warnings.warn(f"method {spec.name!r} skipped: it needs {', '.join(missing)}, which is not "
                          f"installed; install it with: {spec.install_hint()}", UserWarning, stacklevel=3)
        else:
            names.append(spec.name)
    return names


def _seeded(est: BaseEstimator, seed: int | None) -> BaseEstimator:
    if seed is not None and "random_state" in est.get_params(deep=False):
        if est.get_params(deep=False)["random_state"] is None:
            est.set_params(random_state=seed)
    return est


def _on_cluster(est: BaseEstimator, backend: str | None) -> BaseEstimator:
    """A method run in this process spreads its own parallel work (evolution's islands,
    DYNOTEARS' subsamples) on the Dask cluster when ``backend="dask"``, unless its
    ``backend`` option was set. Methods run side by side on the cluster keep theirs."""
    if backend == "dask" and "backend" in est.get_params(deep=False):
        if est.get_params(deep=False)["backend"] is None:
            est.set_params(backend="dask")
    return est


def _summarise_warnings(caught: list) -> list[str]:
    """``["ConvergenceWarning: Objective did not converge ... (x18)", ...]`` in first-seen order."""
    counts: dict[str, int] = {}
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).strip().splitlines()[0] if str(w.message).strip() else ''}"
        counts[text] = counts.get(text, 0) + 1
    return [t if n == 1 else f"{t} (x{n})" for t, n in counts.items()]


#: Rows above which each method is fitted on a subsample (``discover.fit(max_rows=...)``, ``--max-rows``).
MAX_ROWS = 1_000_000


def subsample(series: Series, max_rows: int | None, stretches: int = 10) -> tuple[Series, str | None]:
    """At most ``max_rows`` rows of ``series``: evenly spaced stretches of consecutive rows.

    Each trajectory is cut into stretches of ``max_rows // stretches`` rows
    and that many stretches are kept, evenly spaced over the whole record,
    each as a trajectory of its own (consecutive rows keep the time step, so
    derivatives and lags stay right, while the stretches cover the record).
    Returns the series and a sentence saying what was used, or ``(series,
    None)`` when it is small enough.
    """
    n = series.n_samples
    if max_rows is None or n <= max_rows:
        return series, None
    per = max(2, max_rows // stretches)
    pieces = [(k, a, min(a + per, len(tr))) for k, tr in enumerate(series.trajectories)
              for a in range(0, len(tr), per)]
    take = max(1, max_rows // per)
    chosen = sorted({int(round(i)) for i in np.linspace(0, len(pieces) - 1, min(take, len(pieces)))})
    trajs = []
    for i in chosen:
        k, a, b = pieces[i]
        tr = series.trajectories[k]
        trajs.append(type(tr)(tr.t[a:b], tr.x[a:b], None if tr.u is None else tr.u[a:b], f"{tr.name}[{a}:{b}]"))
    used = sum(len(tr) for tr in trajs)
    note = (f"{n:,} rows are more than max_rows={max_rows:,}: fitted on {len(trajs)} evenly spaced stretches "
            f"of up to {per:,} consecutive rows ({used:,} rows); max_rows=None (--max-rows 0) fits every row")
    return series.with_trajectories(trajs), note


def _run_one(name: str, est: BaseEstimator, series: Series, note: str | None = None,
             full: Series | None = None) -> MethodResult:
    """Fit one method; never raises (its error is recorded instead).

    Warnings the method raises are recorded in its entry of the report
    (deduplicated) instead of flooding the terminal; ``note`` (what
    :func:`subsample` did) is one of them. With ``full`` (the whole series,
    of which ``series`` is the subsample), the method then refits its final
    estimates on every row of ``full`` in chunks (its ``stream_refit``), and
    the note says so instead.
    """
    start = time.perf_counter()
    params = _jsonable(est.get_params(deep=False))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if note and full is None:
            warnings.warn(note, DataWarning, stacklevel=2)
        try:
            est.fit(series)
            if full is not None:
                _stream(est, series, full, note)
            findings = list(est.findings())
            for f in findings:  # tag findings with the name they were run under
                if getattr(f, "method", None) in ("", None) or (name != f.method and name.startswith(f.method)):
                    object.__setattr__(f, "method", name)
            result = MethodResult(name, "ok", time.perf_counter() - start, params, None, findings, None)
        except Exception as exc:  # noqa: BLE001 - isolate every failure
            result = MethodResult(
                name, "failed", time.perf_counter() - start, params,
                f"{type(exc).__name__}: {exc}", [], traceback.format_exc(),
            )
    result.warnings = _summarise_warnings(caught)
    return result


def _stream(est: BaseEstimator, used: Series, full: Series, note: str | None) -> None:
    """``est`` (fitted on the subsample ``used``) refitted on every row of ``full`` in chunks, or kept, with a
    warning saying which."""
    from .streaming import DEFAULT_CHUNK_ROWS

    try:
        why = est.stream_refit(full, chunk_rows=DEFAULT_CHUNK_ROWS)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:  # the subsample's fit stands
        why = f"not streamed: {type(exc).__name__}: {exc}"
    if why is None:
        warnings.warn(f"fitted on all {full.n_samples:,} rows in chunks of {DEFAULT_CHUNK_ROWS:,} (selection on a "
                      f"subsample of {used.n_samples:,} rows: {used.n_trajectories} evenly spaced stretches of "
                      "consecutive rows)", DataWarning, stacklevel=3)
    else:
        warnings.warn(f"{note} ({why})", DataWarning, stacklevel=3)


def fit(
    data: Any,
    methods: Any = None,
    *,
    config: Mapping | None = None,
    seed: int | None = 0,
    n_jobs: int | None = 1,
    backend: str | None = None,
    progress: bool = False,
    max_rows: int | str | None = "auto",
    stream: bool = True,
    **load_options: Any,
) -> Report:
    """Run methods on data and return one :class:`~discover.report.Report`.

    Parameters
    ----------
    data : Series, path, list of paths, DataFrame or array
        Anything :func:`discover.load` takes; ``load_options`` go to it.
    methods : None, "all", str or list
        Method names (see :func:`discover.registry.available`) or estimator
        instances. ``None`` runs the quick methods.
    config : dict, optional
        ``{method name: {option: value}}``.
    seed : int or None
        Given to every method with a ``random_state`` left at ``None``.
    n_jobs : int
        Methods run in parallel (joblib) when ``n_jobs != 1``.
    backend : str, optional
        A joblib backend, e.g. ``"loky"`` or ``"dask"`` (with a
        ``dask.distributed.Client`` running). With ``"dask"``, a method
        run in this process (one method, or ``n_jobs=1``) whose own
        ``backend`` option is left at ``None`` runs its parallel work on
        the cluster: evolution's islands, DYNOTEARS' subsamples.
    progress : bool
        Show a progress display on the terminal.
    max_rows : "auto", int or None, default="auto"
        Longer data are fitted on evenly spaced stretches of consecutive rows
        that add up to this many (:func:`subsample`); each method's entry in
        the report says so in a warning. A method that streams (``registry``
        ``streams``: DMD, SINDy, DYNOTEARS) makes its choices (rank, library,
        λ) on those rows and then refits its final estimates on every row in
        chunks (:mod:`discover.streaming`); its warning says "fitted on all N
        rows in chunks of K". ``"auto"``: each method's own limit
        (``registry`` ``max_rows``: 10^5 rows for the library methods SINDy,
        EDMD, conservation, evolution and the neural ones, 10^6 for DMD and
        DYNOTEARS), set from measured peak memory. ``None`` fits every row
        (memory grows with rows times each method's library or embedding
        width).
    stream : bool, default=True
        Above ``max_rows``, the methods that stream refit on every row in
        chunks; ``False`` leaves every method on the subsample.

    Returns
    -------
    Report
        Every method's status, time, parameters and error, and all findings.
        A method that raises is recorded as failed; the others go on.
    """
    series = data if isinstance(data, Series) else load(data, **load_options)
    if max_rows not in ("auto", None) and (isinstance(max_rows, (bool, str)) or int(max_rows) != max_rows
                                           or max_rows < 2):
        raise ParameterError(f"max_rows must be 'auto', an integer of at least 2, or None; got {max_rows!r}")
    jobs = [(name, _seeded(est, seed)) for name, est in resolve_methods(methods, config)]
    cut: dict = {}

    def rows_at(limit):  # one subsample per distinct limit
        if limit not in cut:
            cut[limit] = subsample(series, limit)
        return cut[limit]

    def rows_for(name, est):
        spec = registry.REGISTRY.get(name)
        used, note = rows_at((spec.max_rows if spec is not None else MAX_ROWS) if max_rows == "auto" else max_rows)
        streams = (stream and note is not None and spec is not None and spec.streams
                   and hasattr(est, "stream_refit"))
        return used, note, (series if streams else None)

    runs = [(name, est, *rows_for(name, est)) for name, est in jobs]
    results: list[MethodResult] = []
    if n_jobs in (None, 1) or len(jobs) == 1:
        done: dict = {}
        # a method that takes seed equations runs after SINDy, which gives them
        sindy = any(name == "sindy" for name, *_ in runs)
        order = sorted(range(len(runs)), key=lambda i: sindy and _takes_seeds(runs[i][1]))
        with _progress(progress, len(jobs)) as advance:
            for i in order:
                name, est, used, note, full = runs[i]
                _seed_from_sindy(est, done.values(), used.variables)
                advance(name, started=True)
                done[i] = _run_one(name, _on_cluster(est, backend), used, note, full)
                advance(name, started=False)
        results = [done[i] for i in range(len(runs))]
    else:
        from .parallel import run_parallel

        with _progress(progress, len(jobs)) as advance:
            results = run_parallel(_run_one, runs, n_jobs=n_jobs,
                                   backend=backend, on_done=lambda n: advance(n, started=False))
    shown = rows_at(MAX_ROWS if max_rows == "auto" else max_rows)[0]  # the checks and pictures
    report = Report(series.summary(), {r.name: r for r in results}, seed=seed, data=shown)
    report.checks = _checks(report, shown)
    return report


def _takes_seeds(est: BaseEstimator) -> bool:
    """Whether ``est`` takes seed equations and was left to be given them (``seed_equations=None``)."""
    params = est.get_params(deep=False)
    return "seed_equations" in params and params["seed_equations"] is None


def _seed_from_sindy(est: BaseEstimator, results, variables) -> None:
    """Give ``est`` (evolution) the right-hand sides of a SINDy run that succeeded, as its seed equations
    (only for the series' ``variables``: an equation of anything else is not one of its targets)."""
    if not _takes_seeds(est):
        return
    for r in results:
        if r.name == "sindy" and r.status == "ok":
            rhs = {f.variable: str(f.rhs) for f in r.findings
                   if getattr(f, "type", "") == "equation" and f.kind == "ode" and f.rhs != 0
                   and f.variable in variables}
            if rhs:
                est.set_params(seed_equations=rhs)
            return


def _checks(report: Report, series: Series) -> list[dict]:
    """Checks across methods; a failure here is recorded, never loses the report."""
    from .checks import cross_checks

    try:
        return cross_checks(report.findings, series)
    except Exception as exc:  # noqa: BLE001 - the methods' results matter more than the checks
        return [{"kind": "error", "error": f"{type(exc).__name__}: {exc}"}]


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total, self.bar = enabled, total, None

    def __enter__(self):
        if self.enabled:
            try:
                from rich.console import Console
                from rich.progress import Progress, SpinnerColumn, TimeElapsedColumn

                # stderr: a summary printed on stdout stays clean when redirected
                self.bar = Progress(SpinnerColumn(), "{task.description}",
                                    "[progress.percentage]{task.completed}/{task.total}",
                                    TimeElapsedColumn(), transient=True, console=Console(stderr=True))
                self.bar.start()
                self.task = self.bar.add_task("fitting", total=self.total)
                self._attached = attach(self.bar)
                self._attached.__enter__()
            except ImportError:  # pragma: no cover - rich is a dependency
                self.bar = None
        return self.advance

    def advance(self, name: str, *, started: bool) -> None:
        if self.bar is None:
            return
        if started:
            self.bar.update(self.task, description=f"fitting {name}")
        else:
            self.bar.advance(self.task)

    def __exit__(self, *exc):
        if self.bar is not None:
            self._attached.__exit__(None, None, None)
            self.bar.stop()
        return False


