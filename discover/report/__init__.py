"""The common report: every method's findings side by side.

:class:`Report` holds, for each method run, its status, time, parameters and
error, and all findings. ``save(dir)`` writes ``report.json`` (validated by
the JSON Schema ``discover/report/schema.json``), ``report.md``,
``report.html`` and ``simulations/<method>.csv`` atomically.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from dataclasses import dataclass, field
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
    from_dict,
)

__all__ = ["MethodResult", "Report", "SCHEMA_ID", "load_report", "atomic_write"]

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

    def to_dict(self) -> dict:
        return {"status": self.status, "seconds": round(self.seconds, 6), "params": _jsonable(self.params),
                "error": self.error}


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"})) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
    """

    def __init__(self, series: dict, methods: dict[str, MethodResult], *, seed: int | None = None,
                 created: str | None = None, version: str | None = None):
        from .. import __version__

        self.series = dict(series)
        self.methods = dict(methods)
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
        for s in self.simulations:
            entry = s.to_dict()
            if not simulation_values:
                entry.pop("t")
                entry.pop("values")
                entry["file"] = f"simulations/{s.method}.csv"
                entry["n_steps"] = len(s.t)
            sims.append(entry)
        d["simulations"] = sims
        return d

    @classmethod
    def from_dict(cls, d: dict, *, base: Path | None = None) -> Report:
        """Rebuild a report from ``report.json`` content (simulation values read
        from ``base/simulations/*.csv`` when they are not inline)."""
        methods = {
            n: MethodResult(n, m["status"], float(m.get("seconds", 0.0)), m.get("params", {}), m.get("error"), [])
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
                   created=d.get("created"), version=d.get("discover_version"))

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(**kw), indent=2, ensure_ascii=False, allow_nan=False)

    def to_markdown(self) -> str:
        from .markdown import render_markdown

        return render_markdown(self)

    def to_html(self) -> str:
        from .html import render_html

        return render_html(self)

    def save(self, directory: str | os.PathLike, formats: tuple[str, ...] = ("json", "md", "html")) -> Path:
        """Write the report files into ``directory`` (created if needed), each atomically.

        Returns the directory. Existing files of other runs are replaced, never
        left half-written.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        by_method: dict[str, list[Simulation]] = {}
        for s in self.simulations:
            by_method.setdefault(s.method, []).append(s)
        for method, sims in by_method.items():
            atomic_write(out / "simulations" / f"{method}.csv", _simulations_csv(sims))
        writers = {"json": ("report.json", self.to_json), "md": ("report.md", self.to_markdown),
                   "html": ("report.html", self.to_html)}
        for fmt in formats:
            if fmt not in writers:
                raise ValueError(f"Unknown report format {fmt!r}; choose from {', '.join(writers)}.")
            name, render = writers[fmt]
            atomic_write(out / name, render())
        return out

    def __str__(self) -> str:
        from .markdown import render_terminal

        return render_terminal(self)

    def __repr__(self) -> str:
        ok = sum(r.status == "ok" for r in self.methods.values())
        return f"<Report: {ok}/{len(self.methods)} methods ok, {len(self.findings)} findings>"


def _simulations_csv(sims: list[Simulation]) -> str:
    import io

    import numpy as np

    buf = io.StringIO()
    variables = sims[0].variables
    buf.write(",".join(["trajectory", "t", *variables]) + "\n")
    for s in sims:
        block = np.column_stack([np.full(len(s.t), s.trajectory), s.t, s.values])
        np.savetxt(buf, block, delimiter=",", fmt=["%d"] + ["%.10g"] * (block.shape[1] - 1))
    return buf.getvalue()


def _load_simulation(item: dict, base: Path | None) -> Simulation | None:
    if "values" in item:
        return Simulation.from_dict(item)
    if base is None or "file" not in item:
        return None
    path = Path(base) / item["file"]
    if not path.exists():
        return None
    import numpy as np

    block = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    rows = block[block[:, 0] == item.get("trajectory", 0)]
    full = dict(item, t=rows[:, 1].tolist(), values=rows[:, 2:].tolist())
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
