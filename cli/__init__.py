"""The ``discover`` command line (installed as ``discover.cli``).

A thin shell over the Python API: every command is one call into
:mod:`discover` (shown in each command's help), plus argument parsing,
printing and exit codes. ``python -m discover`` runs the same commands.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import click

import discover

from .errors import (
    EXIT_CODES_HELP,
    EXIT_METHOD_FAILED,
    one_line,
    one_line_warnings,
    stderr_is_terminal,
    user_errors,
)
from .types import (
    REPORT_FORMATS,
    ConfigFile,
    FormatList,
    MethodList,
    data_options,
    jobs_option,
    quiet_option,
    root_option,
    seed_option,
)

__all__ = ["main"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT, epilog=EXIT_CODES_HELP)
@click.version_option(discover.__version__, "-V", "--version", prog_name="discover")
def main():
    """discover: equations, graphs, invariants and spectra from time series.

    Give it CSV files of a measured dynamical system; it runs the chosen
    methods and writes one report (report.json, report.md, report.html).

    \b
    Examples:
      discover fit cases/lorenz/lorenz.csv --out report
      discover fit run1.csv run2.csv --methods sindy,dmd --config options.toml
      discover fit sst.csv --time date --variables sst,nino --drop flag
      discover report report/report.json --format html --out report.html
      discover methods sindy
    """


# ---------------------------------------------------------------------------
# discover fit


def _check_methods(methods, config) -> None:
    """Refuse unknown options and bad option values before any data is read."""
    from discover.pipeline import resolve_methods

    for _, est in resolve_methods(methods, config):
        validate = getattr(est, "_validate_params", None)
        if callable(validate):
            validate()


@main.command(epilog=EXIT_CODES_HELP)
# DATA is not click.Path(exists=True): a missing file is bad input like any other (exit 1, one
# line from the data layer), not a usage error (exit 2 with the usage text).
@click.argument("data", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("report"),
              show_default=True, help="Folder the report is written to (created if needed).")
@click.option("-m", "--methods", type=MethodList(), default=None,
              help="Methods to run, comma-separated, or 'all'. Default: the quick ones "
                   "(see 'discover methods').")
@click.option("-c", "--config", type=ConfigFile(), default=None,
              help='JSON or TOML file of method options: {"sindy": {"threshold": 0.1}}. '
                   "Same as discover.fit(config=...).")
@data_options
@seed_option
@jobs_option
@click.option("--backend", type=click.Choice(["loky", "threading", "dask"]), default=None,
              help="Where parallel methods run (joblib backend). 'dask' uses the cluster at --scheduler, "
                   "or a local one. Implies --jobs -1 unless --jobs is given.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Dask scheduler address (e.g. tcp://10.0.0.5:8786) for --backend dask.")
@click.option("-f", "--format", "formats", type=FormatList(), default=",".join(REPORT_FORMATS),
              show_default=True, help="Report files to write: json, md, html (comma-separated) or all.")
@click.option("--max-rows", type=click.IntRange(min=0), default=None, metavar="N",
              help="Above N rows each method makes its choices on evenly spaced stretches of "
                   "consecutive rows adding up to N; DMD, SINDy and DYNOTEARS then refit on every row "
                   "in chunks, the others keep the stretches (each method's warnings say which); 0 fits "
                   "every row in memory. Default: each method's own limit (1e5 rows for the library "
                   "methods, 1e6 for DMD and DYNOTEARS).")
@quiet_option
def fit(data, out, methods, config, time, time_unit, dt, variables, drop, group, inputs, wide, seed, jobs, backend,
        scheduler, formats, max_rows, quiet):
    """Fit methods to DATA (CSV files) and write a report to --out.

    Several files are several trajectories of one system (same columns).
    The equations and other findings are printed; a progress display shows
    on a terminal unless --quiet. The same in Python:

    \b
      report = discover.fit(["data.csv"], methods=["sindy"], time="t")
      report.save("report")
    """
    ctx = click.get_current_context()
    if jobs == 0:
        raise click.BadParameter("must not be 0 (use 1 for one process, -1 for one per core).",
                                 param_hint="'-j' / '--jobs'")
    if scheduler and backend != "dask":
        raise click.BadParameter("needs --backend dask.", param_hint="'--scheduler'")
    if max_rows == 1:
        raise click.BadParameter("must be 0 (every row) or at least 2.", param_hint="'--max-rows'")
    if backend and ctx.get_parameter_source("jobs") is click.core.ParameterSource.DEFAULT:
        jobs = -1
    with user_errors(), one_line_warnings(), _dask_client(backend, scheduler, jobs):
        _check_methods(methods, config)
        source = str(data[0]) if len(data) == 1 else [str(p) for p in data]
        series = discover.load(source, time=time, group=group, inputs=inputs, dt=dt, wide=wide,
                               variables=variables, drop=drop, time_unit=time_unit)
        progress = not quiet and stderr_is_terminal()
        report = discover.fit(series, methods, config=config, seed=seed, n_jobs=jobs, backend=backend,
                              progress=progress, max_rows="auto" if max_rows is None else (max_rows or None))
        report.save(out, formats=formats)
    if not quiet:
        click.echo(str(report))
        names = ", ".join(f"report.{f}" for f in formats)
        click.echo(f"Report written to {out} ({names}).", err=True)
    for name in report.failed:
        click.echo(f"Failed: {name}: {one_line(report.methods[name].error)}", err=True)
    if report.failed:
        raise SystemExit(EXIT_METHOD_FAILED)


@contextmanager
def _dask_client(backend, scheduler, jobs):
    """A ``dask.distributed.Client`` for ``--backend dask``: the given scheduler, or a local cluster."""
    if backend != "dask":
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise click.ClickException("--backend dask needs dask.distributed: pip install 'discover[dask]'") from None
    try:
        client = Client(scheduler, timeout=30) if scheduler else Client(
            n_workers=None if jobs < 0 else jobs, threads_per_worker=1, dashboard_address=None)
    except (OSError, TimeoutError) as exc:
        raise click.ClickException(f"cannot reach the Dask scheduler {scheduler}: {one_line(exc)}") from None
    with client:
        yield client


# ---------------------------------------------------------------------------
# discover report


_RENDER_SUFFIX = {".html": "html", ".htm": "html", ".md": "md", ".txt": "text"}


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("report_path", metavar="REPORT", type=click.Path(exists=True, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(["html", "md", "text"]), default=None,
              help="Output format. Default: from --out's suffix, else md.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (atomically). Default: standard output.")
def report(report_path, fmt, out):
    """Render a saved report (report.json, or its folder) again as HTML or Markdown.

    The JSON is checked against the report schema first. The same in Python:

    \b
      discover.load_report("report/report.json").to_html()
    """
    fmt = fmt or _RENDER_SUFFIX.get(out.suffix.lower() if out else "", "md")
    with user_errors(extra=(ValueError, KeyError, TypeError)):
        path = report_path / "report.json" if report_path.is_dir() else report_path
        _validate_report_file(path)
        rep = discover.load_report(path)
        text = {"html": rep.to_html, "md": rep.to_markdown, "text": lambda: str(rep)}[fmt]()
        if out is None:
            click.echo(text, nl=not text.endswith("\n"))
        else:
            from discover.report import atomic_write

            atomic_write(out, text)
            click.echo(f"Wrote {out}.", err=True)


def _validate_report_file(path: Path) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not a text file") from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("discover.report/"):
        raise click.ClickException(f"{path}: not a discover report (no 'schema': 'discover.report/...').")
    try:
        from discover.report import validate
    except ImportError:  # the schema helper is not part of this installation
        return
    validate(data)


# ---------------------------------------------------------------------------
# discover methods


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def methods(name, as_json):
    """List the methods, or show one method's options and their defaults.

    Quick methods run when 'discover fit' is given no --methods. The same in
    Python: discover.registry.available().
    """
    from discover import registry

    with user_errors():
        if name is None:
            specs = registry.available()
            if as_json:
                click.echo(json.dumps([{"name": s.name, "quick": s.quick, "extra": s.extra,
                                        "summary": s.summary} for s in specs], indent=2))
                return
            rows = [(s.name, "yes" if s.quick else "no", s.extra or "", s.summary) for s in specs]
            click.echo(_table(("method", "quick", "extra", "summary"), rows))
            click.echo("\nOptions of a method: discover methods NAME", err=True)
            return
        spec = registry.get(name)
        cls = spec.load()
        info = _method_info(spec, cls)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=repr))
        return
    click.echo(f"{spec.name}: {info['summary']}")
    click.echo(f"class: {spec.target.replace(':', '.')}" + (f"   (needs: {spec.install_hint()})"
                                                             if spec.extra else ""))
    click.echo(f"runs by default: {'yes' if spec.quick else 'no'}\n")
    if info["options"]:
        rows = [(o["name"], o["default"], o["allowed"], o["help"]) for o in info["options"]]
        click.echo(_table(("option", "default", "allowed", "description"), rows))
    else:
        click.echo("(no options)")


def _method_info(spec, cls) -> dict:
    from discover.base import _describe

    params = cls().get_params(deep=False)
    constraints = getattr(cls, "_parameter_constraints", {}) or {}
    docs = _numpydoc_params(cls.__doc__ or "")
    summary = (cls.__doc__ or "").strip().splitlines()[0].strip() if cls.__doc__ else spec.summary
    options = []
    for key, default in params.items():
        allowed = constraints.get(key)
        options.append({
            "name": key,
            "default": repr(default),
            "allowed": " or ".join(_describe(c) for c in allowed) if allowed else "",
            "help": docs.get(key, ""),
        })
    return {"name": spec.name, "class": spec.target, "quick": spec.quick, "extra": spec.extra,
            "summary": summary or spec.summary, "options": options}


def _numpydoc_params(doc: str) -> dict[str, str]:
    """First sentence of each parameter's description in a numpydoc ``Parameters`` section."""
    import inspect

    lines = inspect.cleandoc(doc).splitlines()
    out: dict[str, str] = {}
    try:
        start = next(i for i, ln in enumerate(lines[:-1])
                     if ln.strip() == "Parameters" and set(lines[i + 1].strip()) == {"-"})
    except StopIteration:
        return out
    names: list[str] = []
    text: list[str] = []

    def flush():
        if names:
            desc = " ".join(text).strip()
            first = desc.replace("``", "").split(". ")[0].rstrip(".") + ("." if desc else "")
            for n in names:
                out[n] = first
    for i in range(start + 2, len(lines)):
        ln = lines[i]
        if ln and not ln.startswith(" "):
            if i + 1 < len(lines) and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
                break  # next section
            flush()
            names = [n.strip().lstrip("*") for n in ln.split(":")[0].split(",")]
            text = []
        elif ln.strip():
            text.append(ln.strip())
    flush()
    return out


# ---------------------------------------------------------------------------
# discover cases


@main.group()
def cases():
    """The bundled case studies: list them, or fit them and score against their truth."""


@cases.command("list")
@root_option
def cases_list(root):
    """List the cases (name, description, folder).

    The same in Python: discover.cases.list_cases(root).
    """
    with user_errors():
        from discover import cases as _cases

        found = _cases.list_cases(root)
    if not found:
        click.echo("No cases found.", err=True)
        return
    click.echo(_table(("case", "description", "folder"),
                      [(c.name, c.description, _short_path(c.path)) for c in found]))


@cases.command("run", epilog=EXIT_CODES_HELP)
@click.argument("names", nargs=-1)
@root_option
@seed_option
@click.option("--json", "as_json", is_flag=True, help="Print the score rows as JSON.")
@quiet_option
def cases_run(names, root, seed, as_json, quiet):
    """Fit the named cases (default: all) and print a score table against their truth.

    Scores: term precision and recall of the equations found, and the largest
    relative error of a true term's coefficient. Exit status 3 when a method
    failed on some case. The same in Python:

    \b
      discover.cases.run_cases(["lorenz"], seed=0)
    """
    with user_errors(), one_line_warnings():
        from discover import cases as _cases

        rows = _cases.run_cases(list(names) or None, root=root, seed=seed,
                                progress=not quiet and stderr_is_terminal())
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
    elif not quiet:
        cols = ("case", "method", "precision", "recall", "max_rel_coef_error", "seconds", "status")
        click.echo(_table(cols, [tuple(_cell(r.get(c)) for c in cols) for r in rows]))
    if any(r.get("status") != "ok" for r in rows):
        raise SystemExit(EXIT_METHOD_FAILED)


# ---------------------------------------------------------------------------
# plain-text tables (they go through pipes and logs unchanged)


def _short_path(path) -> str:
    """``path`` relative to the current folder when it lies below it."""
    import os

    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return os.fspath(path)


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:
            return "-"
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
    return str(v)


def _table(headers, rows, *, max_width: int = 60) -> str:
    def clip(s: str) -> str:
        s = str(s).replace("\n", " ")
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    rows = [[clip(c) if i < len(headers) - 1 else str(c).replace("\n", " ") for i, c in enumerate(r)]
            for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * min(w, max_width) for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


main.add_command(__import__(f"{__package__}.batch", fromlist=["batch"]).batch)  # discover batch: cli/batch.py

if __name__ == "__main__":  # pragma: no cover
    main()
