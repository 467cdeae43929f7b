"""``discover batch``: one report per dataset plus an index page (a thin shell over
:func:`discover.batch.run_batch`)."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import EXIT_CODES_HELP, EXIT_METHOD_FAILED, one_line, one_line_warnings, user_errors
from .types import REPORT_FORMATS, ConfigFile, FormatList, MethodList, quiet_option, seed_option

__all__ = ["batch"]


@click.command(epilog=EXIT_CODES_HELP)
@click.argument("source")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("batch"),
              show_default=True, help="Folder of the reports (one subfolder per dataset) and the index page.")
@click.option("-m", "--methods", type=MethodList(), default=None,
              help="Methods to run on every dataset, comma-separated, or 'all' (a manifest row's "
                   "'methods' wins). Default: the quick ones.")
@click.option("-c", "--config", type=ConfigFile(), default=None,
              help='JSON or TOML file of method options: {"dmd": {"rank": 4}}.')
@seed_option
@click.option("-j", "--jobs", type=click.IntRange(min=-1), default=None,
              help="Local processes (--backend processes, default one per core) or local Dask workers.")
@click.option("--backend", type=click.Choice(["processes", "dask", "serial"]), default="processes",
              show_default=True, help="Where the datasets run: a local process pool, a Dask cluster, "
                                      "or one after the other in this process.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Dask scheduler address (e.g. tcp://10.0.0.5:8786) for --backend dask; "
                   "default: a local cluster. Input files must be readable by the workers at the same paths.")
@click.option("-f", "--format", "formats", type=FormatList(), default=",".join(REPORT_FORMATS),
              show_default=True, help="Report files per dataset: json, md, html (json is always written).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop a dataset still running after SECONDS and record it as failed (the others go on).")
@click.option("--rerun", is_flag=True, help="Fit every dataset again (default: skip those with a report.json).")
@quiet_option
def batch(source, out, methods, config, seed, jobs, backend, scheduler, formats, timeout, rerun, quiet):
    """Fit every dataset in SOURCE and write one report each plus an index page to --out.

    SOURCE is a folder of CSV files, a glob pattern (quote it: 'runs/*.csv')
    or a manifest CSV with a 'file' column (and optional name, methods,
    time, group, inputs, dt, wide, seed columns). A dataset that fails is
    recorded and the others go on; running the command again skips the
    finished ones. The same in Python:

    \b
      from discover.batch import run_batch
      run_batch("runs/", "batch", methods=["dmd"], backend="dask", scheduler="tcp://host:8786")
    """
    if jobs == 0:
        raise click.BadParameter("must not be 0 (use -1 for one per core).", param_hint="'-j' / '--jobs'")
    if scheduler and backend != "dask":
        raise click.BadParameter("needs --backend dask.", param_hint="'--scheduler'")

    def show(row):
        if not quiet:
            extra = f": {one_line(row['error'])}" if row.get("error") else ""
            click.echo(f"{row['name']}: {row['status']} ({row['seconds']:.2f} s){extra}", err=True)

    with user_errors(extra=(OSError, TimeoutError)), one_line_warnings():
        from discover.batch import run_batch

        result = run_batch(source, out, methods=methods, config=config, seed=seed, backend=backend, n_jobs=jobs,
                           scheduler=scheduler, formats=tuple(formats), resume=not rerun, on_done=show,
                           timeout=timeout)
    if not quiet:
        ok = sum(r["status"] == "ok" for r in result.rows)
        click.echo(f"{len(result.rows)} datasets ({ok} ok, {len(result.skipped)} already done, "
                   f"{len(result.failed)} failed). Index: {out / 'index.html'}", err=True)
    if result.failed or any(r["status"] == "partial" for r in result.rows):
        raise SystemExit(EXIT_METHOD_FAILED)
