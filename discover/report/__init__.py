"""The common report: every method's findings side by side.

:class:`Report` holds, for each method run, its status, time, parameters and
error, and all findings. ``save(dir)`` writes ``report.json`` (validated by
the JSON Schema ``discover/report/schema.json``), ``report.md``,
``report.html`` and ``simulations/<method>.csv`` atomically: every file is
rendered in memory first, then each one is written to a temporary file in the
same folder and renamed over its target, so a crash (or Ctrl-C) never leaves
a half-written report, and a crash while rendering leaves the previous files
as they were.

Examples
--------
>>> import sympy as sp
>>> from discover.findings import Equation
>>> from discover.report import MethodResult, Report, validate
>>> x = sp.Symbol("x", real=True)
>>> run = MethodResult("sindy", "ok", 0.1, {}, findings=[Equation("x", -0.5 * x, method="sindy")])
>>> report = Report({"source": "decay.csv", "variables": ["x"]}, {"sindy": run})
>>> print(report.equations[0])
d(x)/dt = -0.5*x
>>> validate(report.to_dict())  # raises jsonschema.ValidationError when invalid
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..findings import (
    Equation,
    Finding,
    Graph,
    Invariant,
    Simulation,
    Spectrum,
    SymbolicCode,
    _jsonable,
    _num,
    from_dict,
)

__all__ = ["MethodResult", "Report", "SCHEMA_ID", "load_report", "atomic_write", "schema", "validate"]

SCHEMA_ID = "discover.report/1"

_SECTIONS = {
    "equations": Equation,
    "graphs": Graph,
    "invariants": Invariant,
    "spectra": Spectrum,
    "symbolic_codes": SymbolicCode,
}


@dataclass
class MethodResult:
    """The outcome of one method: ``status`` is ``"ok"`` or ``"failed"``."""

    name: str
    status: str
    seconds: float
    params: dict
    error: str | None = None
    findings: list = field(default_factory=list)
    traceback: str | None = None
    warnings: list = field(default_factory=list)  #: warnings the method raised, deduplicated

    def to_dict(self) -> dict:
        seconds = _num(float(self.seconds))
        return {"status": self.status, "seconds": round(seconds, 6) if isinstance(seconds, float) else seconds,
                "params": _jsonable(self.params), "error": None if self.error is None else str(self.error),
                "warnings": [str(w) for w in self.warnings]}


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``.

    Readers see either the old file or the new one, never a part; the
    temporary file is removed when writing fails. The new file gets the
    usual permissions (``0o666`` less the umask), not ``mkstemp``'s ``0o600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _pretty_json(obj: Any, level: int = 0) -> str:
    """JSON indented by structure; short values and arrays without objects in
    them (numbers, nested numbers) stay on one line, so a big matrix is not
    one number per line."""
    if not isinstance(obj, (dict, list)) or (isinstance(obj, list) and not any(isinstance(v, dict) for v in obj)):
        return json.dumps(obj, ensure_ascii=False, allow_nan=False)
    if len(obj) <= 8:  # small containers on one line when short
        compact = json.dumps(obj, ensure_ascii=False, allow_nan=False) if _size(obj, 100) <= 100 else ""
        if compact and len(compact) <= 100:
            return compact
    pad, end = "  " * (level + 1), "  " * level
    if isinstance(obj, dict):
        body = ",\n".join(f"{pad}{json.dumps(k, ensure_ascii=False)}: {_pretty_json(v, level + 1)}"
                          for k, v in obj.items())
        return "{\n" + body + "\n" + end + "}"
    return "[\n" + ",\n".join(pad + _pretty_json(v, level + 1) for v in obj) + "\n" + end + "]"


def _size(obj: Any, limit: int) -> int:
    """A lower bound of the JSON length of ``obj``; stops counting past ``limit``."""
    if isinstance(obj, dict):
        total = 2
        for k, v in obj.items():
            total += len(str(k)) + 4 + _size(v, limit - total)
            if total > limit:
                break
        return total
    if isinstance(obj, list):
        total = 2 + len(obj)
        for v in obj:
            if total > limit:
                break
            total += _size(v, limit - total)
        return total
    return len(str(obj)) + 2


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@lru_cache(maxsize=1)
def _schema_text() -> str:
    from importlib.resources import files

    return files(__package__).joinpath("schema.json").read_text(encoding="utf-8")


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``report.json``, ``$id`` ``discover.report/1``.

    Examples
    --------
    >>> schema()["$id"]
    'discover.report/1'
    """
    return json.loads(_schema_text())


def validate(d: dict) -> None:
    """Check ``report.json`` content against :func:`schema`.

    Raises
    ------
    jsonschema.ValidationError
        Naming the first offending place, e.g. ``graphs/0/edges/2/score``.
    """
    import jsonschema

    jsonschema.Draft202012Validator(schema(), format_checker=None).validate(d)


class Report:
    """All findings of one :func:`discover.fit` run.

    Parameters
    ----------
    series : dict
        The data summary (:meth:`discover.data.Series.summary`).
    methods : dict of str to MethodResult
    seed : int or None
    created : str, optional
        ISO time stamp; now when omitted.
    data : discover.data.Series, optional
        The data the methods were fitted on (:func:`discover.fit` passes it).
        Only ``report.html`` uses it, to draw the data beside each model's
        free run, phase portraits and each invariant's drift, decimated; it is
        never written to ``report.json``, so a report read back from JSON is
        drawn without it.
    """

    def __init__(self, series: dict, methods: dict[str, MethodResult], *, seed: int | None = None,
                 created: str | None = None, version: str | None = None, checks: list | None = None,
                 data=None):
        from .. import __version__

        self.series = dict(series)
        self.data = data
        self.methods = dict(methods)
        #: checks across methods (:mod:`discover.checks`): Lie derivatives, graph agreement
        self.checks = list(checks or [])
        self.seed = seed
        self.created = created or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        self.version = version or __version__

    # -- access --------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.methods.values() for f in r.findings]

    def _of(self, cls) -> list:
        return [f for f in self.findings if isinstance(f, cls)]

    @property
    def equations(self) -> list[Equation]:
        return self._of(Equation)

    @property
    def graphs(self) -> list[Graph]:
        return self._of(Graph)

    @property
    def invariants(self) -> list[Invariant]:
        return self._of(Invariant)

    @property
    def spectra(self) -> list[Spectrum]:
        return self._of(Spectrum)

    @property
    def symbolic_codes(self) -> list[SymbolicCode]:
        return self._of(SymbolicCode)

    @property
    def simulations(self) -> list[Simulation]:
        return self._of(Simulation)

    @property
    def failed(self) -> list[str]:
        """Names of the methods that failed."""
        return [n for n, r in self.methods.items() if r.status != "ok"]

    # -- serialisation -------------------------------------------------------
    def to_dict(self, *, simulation_values: bool = False) -> dict:
        """The ``report.json`` content. Simulations are listed with their CSV file;
        their values are included only with ``simulation_values=True``."""
        d: dict[str, Any] = {
            "schema": SCHEMA_ID,
            "discover_version": self.version,
            "created": self.created,
            "seed": self.seed,
            "source": self.series.get("source", ""),
            "series": _jsonable(self.series),
            "methods": {n: r.to_dict() for n, r in self.methods.items()},
        }
        for key, cls in _SECTIONS.items():
            d[key] = [f.to_dict() for f in self._of(cls)]
        sims = []
        for s, file in _simulation_files(self.simulations):
            entry = s.to_dict()
            if not simulation_values:
                entry.pop("t")
                entry.pop("values")
                entry["file"] = file
                entry["n_steps"] = len(s.t)
            sims.append(entry)
        d["simulations"] = sims
        d["checks"] = _jsonable(self.checks)
        return d

    @classmethod
    def from_dict(cls, d: dict, *, base: Path | None = None) -> Report:
        """Rebuild a report from ``report.json`` content (simulation values read
        from ``base/simulations/*.csv`` when they are not inline)."""
        methods = {
            n: MethodResult(n, m["status"], float(m.get("seconds", 0.0)), m.get("params", {}), m.get("error"), [],
                            warnings=list(m.get("warnings", [])))
            for n, m in d.get("methods", {}).items()
        }

        def owner(f: Finding) -> MethodResult:
            if f.method not in methods:
                methods[f.method] = MethodResult(f.method, "ok", 0.0, {}, None, [])
            return methods[f.method]

        for key in _SECTIONS:
            for item in d.get(key, []):
                f = from_dict(item)
                owner(f).findings.append(f)
        for item in d.get("simulations", []):
            sim = _load_simulation(item, base)
            if sim is not None:
                owner(sim).findings.append(sim)
        return cls(d.get("series", {"source": d.get("source", "")}), methods, seed=d.get("seed"),
                   created=d.get("created"), version=d.get("discover_version"), checks=d.get("checks", []))

    def to_json(self, **kw) -> str:
        """``report.json``: indented for people, with numeric arrays on one line each."""
        return _pretty_json(self.to_dict(**kw)) + "\n"

    def to_markdown(self) -> str:
        from .markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        from .html import render_html

        return render_html(self)

    def _repr_html_(self) -> str:
        """The summary, as a notebook shows it (the same section that opens report.html)."""
        from .html import _css, summary_html

        return f"<div class=\"discover-report\"><style>{_css()}</style>{summary_html(self)}</div>"

    def save(self, directory: str | os.PathLike, formats: tuple[str, ...] = ("json", "md", "html")) -> Path:
        """Write the report files into ``directory`` (created if needed), each atomically.

        Every file is rendered first and written only when all rendered, so
        a failure while rendering leaves the files of an earlier run as they
        were; each file is then replaced by a rename, never left half-written.
        Returns the directory.
        """
        writers = {"json": ("report.json", self.to_json), "md": ("report.md", self.to_markdown),
                   "html": ("report.html", self.to_html)}
        for fmt in formats:
            if fmt not in writers:
                raise ValueError(f"Unknown report format {fmt!r}; choose from {', '.join(writers)}.")
        out = Path(directory)
        contents: dict[str, str] = {}
        groups: dict[str, list[Simulation]] = {}
        for s, file in _simulation_files(self.simulations):
            groups.setdefault(file, []).append(s)
        time_name = str(self.series.get("time") or "t")
        for file, sims in groups.items():
            contents[file] = _simulations_csv(sims, time_name)
        for fmt in formats:
            name, render = writers[fmt]
            contents[name] = render()
        out.mkdir(parents=True, exist_ok=True)
        # the simulations first and report.json last: a reader who finds the
        # new report.json also finds the files it names
        for name in sorted(contents, key=lambda n: (not n.startswith("simulations/"), n == "report.json")):
            atomic_write(out / name, contents[name])
        return out

    def __str__(self) -> str:
        from .markdown import render_terminal

        return render_terminal(self)

    def __repr__(self) -> str:
        ok = sum(r.status == "ok" for r in self.methods.values())
        return f"<Report: {ok}/{len(self.methods)} methods ok, {len(self.findings)} findings>"


def _safe_file_name(name: str) -> str:
    """A method name as a file name: no folders, no odd characters."""
    clean = re.sub(r"[^\w.+-]", "_", str(name)).lstrip(".")
    return clean or "method"


def _simulation_files(sims: list[Simulation]) -> list[tuple[Simulation, str]]:
    """Each simulation with its CSV file: ``simulations/<method>.csv``, holding
    every trajectory of that method (with a ``trajectory`` column when there
    are several); ``<method>-<k>.csv`` when the method's simulations have
    different variables."""
    by_method: dict[str, list[Simulation]] = {}
    for s in sims:
        by_method.setdefault(s.method, []).append(s)
    files: dict[int, str] = {}
    taken: set[str] = set()
    for method, group in by_method.items():
        stem = _safe_file_name(method)
        while stem in taken:
            stem += "_"
        taken.add(stem)
        if len({s.variables for s in group}) == 1:
            for s in group:
                files[id(s)] = f"simulations/{stem}.csv"
        else:
            for k, s in enumerate(group):
                files[id(s)] = f"simulations/{stem}-{k}.csv"
    return [(s, files[id(s)]) for s in sims]


def _simulations_csv(sims: list[Simulation], time_name: str = "t") -> str:
    """The CSV of one method's simulations: the time column and the input's
    column names, plus a ``trajectory`` column first when there are several
    trajectories. Numbers are written exactly (shortest round-trip form)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    several = len(sims) > 1
    writer.writerow((["trajectory"] if several else []) + [time_name, *sims[0].variables])
    for s in sims:
        lead = [str(int(s.trajectory))] if several else []
        for t, row in zip(s.t.tolist(), s.values.tolist()):
            buf.write(",".join([*lead, repr(t), *map(repr, row)]) + "\n")
    return buf.getvalue()


def _load_simulation(item: dict, base: Path | None) -> Simulation | None:
    if "values" in item:
        return Simulation.from_dict(item)
    if base is None or "file" not in item:
        return None
    path = Path(base) / item["file"]
    if not path.is_file():
        return None
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return None
    header, body = rows[0], rows[1:]
    n_var = len(item.get("variables", ()))
    several = len(header) == n_var + 2
    traj = str(int(item.get("trajectory", 0)))
    t, values = [], []
    for r in body:
        if not r:
            continue
        if several:
            if r[0] != traj:
                continue
            r = r[1:]
        t.append(float(r[0]))
        values.append([float(v) for v in r[1:]])
    full = dict(item, t=t, values=values)
    return Simulation.from_dict(full)


def load_report(path: str | os.PathLike) -> Report:
    """Read a saved ``report.json`` (or the folder holding it)."""
    p = Path(path)
    if p.is_dir():
        p = p / "report.json"
    with open(p, encoding="utf-8") as fh:
        d = json.load(fh)
    if not str(d.get("schema", "")).startswith("discover.report/"):
        raise ValueError(f"{p} is not a discover report (no 'schema': {SCHEMA_ID!r}).")
    return Report.from_dict(d, base=p.parent)
