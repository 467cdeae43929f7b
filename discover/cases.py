"""The bundled case studies: data with known truth, run and scored against it.

A case is a folder under the cases root (``cases/`` of the repository). It
holds its data (small CSV files) and the script that makes them
(``make_data.py``), its truth in ``truth.json`` and how to run it in
``case.json``::

    {
      "description": "Lorenz-63, chaotic",
      "data": ["lorenz.csv"],          # relative to the case folder
      "time": "t",                     # load options (also "group", "inputs")
      "methods": ["sindy"],            # what `discover cases run` fits
      "config": {"sindy": {}}          # per-method options
    }

``truth.json`` gives ``"equations"`` (``{variable: rhs}`` as sympy strings
over the column names), the interaction ``"graph"`` (``{"edges": [[source,
target], ...]}``) and ``"invariants"`` (a list of strings, empty when the
system has none). Folders without ``case.json`` are still listed (with their
CSV files and no methods); cases without equations in their truth are run but
not scored.

Examples
--------
>>> from discover.cases import list_cases, score_equations
>>> sorted(c.name for c in list_cases())[:2]  # doctest: +SKIP
['damped_oscillator', 'lorenz']
>>> score_equations({"x": "-2*x + y"}, {"equations": {"x": "-2*x"}})["precision"]
0.5
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from .errors import DiscoverError
from .findings import Equation, expr_terms, parse_expr

__all__ = ["Case", "find_root", "list_cases", "load_case", "score_equations", "run_cases", "write_csv",
           "standardised_run"]

_LOAD_KEYS = ("time", "group", "inputs", "variables", "dt", "delimiter")


@dataclass
class Case:
    """One case study.

    Attributes
    ----------
    name : str
        The folder name.
    description : str
    path : Path
        The case folder.
    data_files : list of Path
        Absolute paths of the data files.
    options : dict
        Load options (``time``, ``group``, ``inputs`` …) and ``config``
        (``{method: {option: value}}``).
    methods : list of str
        Methods ``discover cases run`` fits (empty: the quick methods).
    truth : dict
        The content of ``truth.json`` (empty when there is none).
    """

    name: str
    description: str
    path: Path
    data_files: list = field(default_factory=list)
    options: dict = field(default_factory=dict)
    methods: list = field(default_factory=list)
    truth: dict = field(default_factory=dict)

    @property
    def load_options(self) -> dict:
        """The options for :func:`discover.load` (``time``, ``group``, ``inputs`` …)."""
        return {k: v for k, v in self.options.items() if k in _LOAD_KEYS and v is not None}

    @property
    def config(self) -> dict:
        """Per-method options, ``{method: {option: value}}``."""
        return dict(self.options.get("config") or {})

    def load(self):
        """The case's data as a :class:`~discover.data.Series`."""
        from .data import load

        if not self.data_files:
            raise DiscoverError(f"Case {self.name!r} has no data files (run its make_data.py).")
        missing = [str(p) for p in self.data_files if not Path(p).exists()]
        if missing:
            raise DiscoverError(f"Case {self.name!r}: data file(s) missing: {', '.join(missing)} "
                                f"(run {self.path / 'make_data.py'}).")
        files = [str(p) for p in self.data_files]
        return load(files if len(files) > 1 else files[0], **self.load_options)

    def fit(self, *, seed: int | None = 0, methods=None, progress: bool = False):
        """Run the case's methods on its data; returns a :class:`~discover.report.Report`."""
        from .pipeline import fit

        methods = methods or self.methods or None
        names = [m for m in methods] if isinstance(methods, (list, tuple)) else methods
        config = {k: v for k, v in self.config.items()
                  if names is None or not isinstance(names, list) or k in names}
        return fit(self.load(), methods=names, config=config, seed=seed, progress=progress)


def find_root(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the cases.

    ``root`` if given; else ``$DISCOVER_CASES``; else ``./cases`` when it
    exists; else the ``cases/`` folder beside the package source (an
    editable checkout). Raises :class:`~discover.errors.DiscoverError` when
    none exists.
    """
    tried = []
    if root is not None:
        p = Path(root)
        if p.is_dir():
            return p.resolve()
        raise DiscoverError(f"The cases folder {str(p)!r} does not exist.")
    env = os.environ.get("DISCOVER_CASES")
    if env:
        p = Path(env)
        if p.is_dir():
            return p.resolve()
        raise DiscoverError(f"DISCOVER_CASES points to {env!r}, which is not a folder.")
    for p in (Path.cwd() / "cases", Path(__file__).resolve().parent.parent / "cases"):
        tried.append(str(p))
        if p.is_dir():
            return p.resolve()
    raise DiscoverError(
        "No cases folder found (looked in " + ", ".join(tried) + "). Give one with --root or "
        "set DISCOVER_CASES to the cases/ folder of a discover checkout."
    )


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DiscoverError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno}).") from None


def _case_from_dir(path: Path) -> Case:
    spec = _read_json(path / "case.json") if (path / "case.json").exists() else {}
    truth = _read_json(path / "truth.json") if (path / "truth.json").exists() else {}
    if "data" in spec:
        data = spec["data"] if isinstance(spec["data"], list) else [spec["data"]]
        files = [path / f for f in data]
    else:
        files = sorted(list(path.glob("*.csv")) + list(path.glob("*.csv.gz")))
    desc = spec.get("description") or truth.get("system") or ""
    if not desc and (path / "README.md").exists():
        lines = [ln.strip("# ").strip() for ln in (path / "README.md").read_text(encoding="utf-8").splitlines()]
        desc = next((ln for ln in lines if ln), "")
    options = {k: spec[k] for k in _LOAD_KEYS if k in spec}
    options["config"] = dict(spec.get("config") or {})
    return Case(path.name, str(desc), path, files, options, list(spec.get("methods") or []), truth)


def list_cases(root: str | os.PathLike | None = None) -> list[Case]:
    """All cases under the root (folders with a ``case.json`` or ``truth.json``), by name."""
    base = find_root(root)
    out = []
    for p in sorted(base.iterdir()):
        if p.is_dir() and ((p / "case.json").exists() or (p / "truth.json").exists()):
            out.append(_case_from_dir(p))
    return out


def load_case(name: str, root: str | os.PathLike | None = None) -> Case:
    """The case called ``name``; a :class:`DiscoverError` lists the choices otherwise."""
    cases = {c.name: c for c in list_cases(root)}
    if name not in cases:
        raise DiscoverError(f"Unknown case {name!r}. Cases: {', '.join(sorted(cases)) or 'none'}.")
    return cases[name]


def _as_exprs(equations, names) -> dict[str, sp.Expr]:
    if isinstance(equations, dict):
        items = equations.items()
    else:
        # the raw estimates where a method shows a rounded (rationalized) form: scores compare what was fitted
        items = [(e.variable, (e.metrics or {}).get("raw_rhs", e.rhs)) for e in equations
                 if isinstance(e, Equation)]
    out = {}
    for var, rhs in items:
        out[str(var)] = rhs if isinstance(rhs, sp.Basic) else parse_expr(str(rhs), names)
    return out


def score_equations(equations, truth: dict) -> dict[str, Any]:
    """Compare found equations with the truth, term by term.

    Parameters
    ----------
    equations : list of Equation, or dict of variable to rhs (sympy or string)
    truth : dict
        With ``"equations"``: ``{variable: rhs string}`` (a case's ``truth``).

    Returns
    -------
    dict
        ``precision`` and ``recall`` of the terms (each term a monomial or
        other non-numeric factor, compared symbolically after expansion),
        ``max_rel_coef_error`` over the terms found that are true,
        ``exact`` (equations with exactly the true terms), ``n_equations``
        and ``per_equation`` details.

    Examples
    --------
    >>> s = score_equations({"x": "-9.9*x + 10*y"}, {"equations": {"x": "10*(y - x)"}})
    >>> s["precision"], s["recall"], round(s["max_rel_coef_error"], 3)
    (1.0, 1.0, 0.01)
    """
    true_eqs = dict(truth.get("equations", truth) if isinstance(truth, dict) else truth)
    names = set(true_eqs)
    for rhs in true_eqs.values():
        names |= {s.name for s in sp.sympify(str(rhs)).free_symbols} if isinstance(rhs, str) else set()
    found = _as_exprs(equations, sorted(names))
    for rhs in found.values():
        names |= {s.name for s in rhs.free_symbols}
    truth_exprs = {v: parse_expr(str(r), sorted(names)) for v, r in true_eqs.items()}
    tp = fp = fn = exact = 0
    max_err = 0.0
    per = {}
    for var, texpr in truth_exprs.items():
        tt = {k: c for k, c in expr_terms(texpr).items() if c != 0}
        ft = {k: c for k, c in expr_terms(found.get(var, sp.Integer(0))).items() if c != 0}
        common = set(tt) & set(ft)
        errs = [abs(ft[k] - tt[k]) / abs(tt[k]) for k in common]
        e_fp, e_fn = len(set(ft) - set(tt)), len(set(tt) - set(ft))
        tp, fp, fn = tp + len(common), fp + e_fp, fn + e_fn
        exact += (e_fp == 0 and e_fn == 0)
        max_err = max([max_err] + errs)
        per[var] = {"true_terms": sorted(tt), "found_terms": sorted(ft), "missing": sorted(set(tt) - set(ft)),
                    "extra": sorted(set(ft) - set(tt)), "max_rel_coef_error": max(errs) if errs else None}
    return {
        "precision": tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0),
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "max_rel_coef_error": max_err if tp else float("nan"),
        "exact": exact,
        "n_equations": len(truth_exprs),
        "per_equation": per,
    }


def run_cases(names=None, root: str | os.PathLike | None = None, seed: int | None = 0,
              progress: bool = False) -> list[dict]:
    """Fit each case's methods and score them against its truth.

    Returns one row per (case, method): ``case``, ``method``, ``precision``,
    ``recall``, ``max_rel_coef_error`` (``None`` where the method gives no
    equations or the case has no equation truth), ``exact``, ``seconds``
    and ``status`` (``"ok"``, ``"failed: …"`` or ``"no truth"``).
    """
    cases = list_cases(root)
    if names:
        known = {c.name: c for c in cases}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise DiscoverError(f"Unknown case(s) {', '.join(map(repr, unknown))}. "
                                f"Cases: {', '.join(sorted(known)) or 'none'}.")
        cases = [known[n] for n in names]
    rows = []
    for case in cases:
        start = time.perf_counter()
        try:
            report = case.fit(seed=seed, progress=progress)
        except DiscoverError as exc:
            rows.append({"case": case.name, "method": ",".join(case.methods) or "-", "precision": None,
                         "recall": None, "max_rel_coef_error": None, "exact": None,
                         "seconds": time.perf_counter() - start, "status": f"failed: {exc}"})
            continue
        for mname, res in report.methods.items():
            row = {"case": case.name, "method": mname, "precision": None, "recall": None,
                   "max_rel_coef_error": None, "exact": None, "seconds": res.seconds, "status": res.status}
            if res.status != "ok":
                row["status"] = f"failed: {res.error}"
            else:
                eqs = [f for f in res.findings if isinstance(f, Equation)]
                if eqs and case.truth.get("equations"):
                    sc = score_equations(eqs, case.truth)
                    row.update(precision=sc["precision"], recall=sc["recall"],
                               max_rel_coef_error=sc["max_rel_coef_error"],
                               exact=f"{sc['exact']}/{sc['n_equations']}")
                elif not case.truth.get("equations"):
                    row["status"] = "ok (no equation truth)"
            rows.append(row)
    return rows


def write_csv(series, path: str | os.PathLike, *, group: str = "run", digits: int = 12) -> Path:
    """Write a case's data: ``t`` and the variables, ``digits`` significant digits.

    Several trajectories go into one file, told apart by a ``group`` column
    (their index) in front, which ``discover fit --group run`` reads back.
    """
    import numpy as np

    path = Path(path)
    columns = [series.time, *series.variables]
    blocks = [np.column_stack([tr.t, tr.x]) for tr in series.trajectories]
    if series.n_trajectories > 1:
        blocks = [np.column_stack([np.full(len(b), k), b]) for k, b in enumerate(blocks)]
        columns, fmt = [group, *columns], ["%d"] + [f"%.{digits}g"] * (len(columns))
    else:
        fmt = f"%.{digits}g"
    np.savetxt(path, np.vstack(blocks), delimiter=",", fmt=fmt, header=",".join(columns), comments="")
    return path


def standardised_run(system: str, *, n: int, dt: float, transient: float, name: str, source: str,
                     seed: int = 0, x0=None):
    """One trajectory of a :mod:`discover.systems` flow, each column standardised over the run.

    As the AL-RNN paper prepares its benchmarks (Brenner et al., NeurIPS 2024):
    start at the system's default initial condition (or ``x0``), integrate and
    drop ``transient`` time units, keep ``n`` samples at ``dt`` and give each
    column zero mean and unit variance over the kept samples.
    """
    from .data import Series, Trajectory
    from .systems import simulate

    s = simulate(system, n=n, dt=dt, seed=seed, burn_in=int(round(transient / dt)), x0=x0)
    tr = s.trajectories[0]
    x = (tr.x - tr.x.mean(axis=0)) / tr.x.std(axis=0)
    return Series((Trajectory(tr.t, x, name=name),), s.variables, source=source)
