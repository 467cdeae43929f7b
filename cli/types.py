"""Custom click parameter types and the option decorators the commands share.

A parameter type turns the text typed on the command line into the Python
value the API takes (a list of method names, a config dict, a list of column
names), so the commands themselves stay one call into :mod:`discover`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = [
    "CommaList",
    "MethodList",
    "ConfigFile",
    "FormatList",
    "REPORT_FORMATS",
    "TIME_UNIT_CHOICES",
    "data_options",
    "seed_option",
    "quiet_option",
    "jobs_option",
    "root_option",
]

#: Report files ``discover fit --format`` can write, in writing order.
REPORT_FORMATS = ("json", "md", "html")


class CommaList(click.ParamType):
    """``a,b,c`` -> ``["a", "b", "c"]`` (spaces around items dropped, empty items refused)."""

    name = "COLS"

    def convert(self, value: Any, param, ctx) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        items = [v.strip() for v in str(value).split(",")]
        if not items or any(not v for v in items):
            self.fail(f"{value!r} is not a comma-separated list of names (an item is empty).", param, ctx)
        return items


class MethodList(CommaList):
    """``sindy,dmd`` or ``all`` -> a list of registered method names, or ``"all"``.

    Unknown names are refused while the command line is parsed, listing the
    methods this installation has.
    """

    name = "METHODS"

    def convert(self, value: Any, param, ctx) -> list[str] | str:
        if isinstance(value, str) and value.strip().lower() == "all":
            return "all"
        items = super().convert(value, param, ctx)
        from discover import registry

        known = [s.name for s in registry.available()]
        unknown = [m for m in items if m not in known]
        if unknown:
            self.fail(
                f"unknown method(s) {', '.join(map(repr, unknown))}. "
                f"Available: {', '.join(known) or '(none installed)'}, or 'all'.",
                param, ctx,
            )
        seen: list[str] = []
        for m in items:  # the same method twice would run twice with the same options
            if m not in seen:
                seen.append(m)
        return seen


class FormatList(CommaList):
    """``json,md`` -> ``("json", "md")``; ``all`` is every format."""

    name = "FORMATS"

    def convert(self, value: Any, param, ctx) -> tuple[str, ...]:
        if isinstance(value, str) and value.strip().lower() == "all":
            return REPORT_FORMATS
        items = [v.lower() for v in super().convert(value, param, ctx)]
        bad = [v for v in items if v not in REPORT_FORMATS]
        if bad:
            self.fail(f"unknown format(s) {', '.join(map(repr, bad))}; choose from "
                      f"{', '.join(REPORT_FORMATS)} or 'all'.", param, ctx)
        return tuple(f for f in REPORT_FORMATS if f in items)


class ConfigFile(click.Path):
    """A JSON or TOML file ``{method: {option: value}}`` -> that dict.

    The file must exist and parse, and hold a table of tables; whether the
    options exist is checked by :func:`discover.pipeline.resolve_methods`.
    """

    name = "FILE"

    def __init__(self):
        super().__init__(exists=True, dir_okay=False, readable=True, path_type=Path)

    def convert(self, value: Any, param, ctx) -> dict:
        if isinstance(value, dict):
            return value
        path = super().convert(value, param, ctx)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.fail(f"cannot read {path}: {exc}", param, ctx)
        if path.suffix.lower() == ".toml":
            try:
                import tomllib
            except ImportError:  # Python 3.10
                import tomli as tomllib
            try:
                data = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                self.fail(f"{path} is not valid TOML: {exc}", param, ctx)
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                self.fail(f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          param, ctx)
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            self.fail(f"{path} must map method names to tables of options, "
                      'e.g. {"sindy": {"threshold": 0.1}}.', param, ctx)
        return data


# ---------------------------------------------------------------------------
# shared option decorators


def _stack(*decorators):
    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


#: Units ``--time-unit`` offers (those of :data:`discover.data.TIME_UNITS`; listed here so that
#: ``--help`` does not import numpy).
TIME_UNIT_CHOICES = ("seconds", "minutes", "hours", "days", "weeks", "months", "years")

data_options = _stack(
    click.option("--time", "time", metavar="COLUMN", default=None,
                 help="Time column (numbers, or dates such as 2001-03-01 or 2001-03-01T12:00+02:00). "
                      "Default: the column named t, time, year, date, datetime or timestamp (any case), "
                      "else the row index times --dt."),
    click.option("--time-unit", type=click.Choice(TIME_UNIT_CHOICES, case_sensitive=False), default=None,
                 help="Unit of time: dates are converted to it, numbers are taken to be in it. Default for "
                      "dates: years for monthly/quarterly/yearly stamps, else seconds to days by the step."),
    click.option("--dt", type=click.FloatRange(min=0, min_open=True), default=None,
                 help="Time step when there is no time column (default 1)."),
    click.option("--variables", type=CommaList(), default=None,
                 help="State columns, comma-separated. Default: every numeric column that is not the "
                      "time, group, an input or dropped."),
    click.option("--drop", type=CommaList(), default=None,
                 help="Columns to leave out, comma-separated."),
    click.option("--group", metavar="COLUMN", default=None,
                 help="Column that labels trajectories (several trajectories in one file). "
                      "Several files are several trajectories of one system."),
    click.option("--inputs", type=CommaList(), default=None,
                 help="Exogenous (control) input columns, comma-separated: they drive the system "
                      "but get no equation."),
    click.option("--wide", is_flag=True,
                 help="Accept more columns than samples (a field on a grid, for DMD-type methods)."),
)

seed_option = click.option("--seed", type=int, default=0, show_default=True,
                           help="Seed given to every method that has a random_state.")

quiet_option = click.option("-q", "--quiet", is_flag=True,
                            help="Print nothing but warnings and errors (no summary, no progress).")

jobs_option = click.option("-j", "--jobs", type=click.IntRange(min=-1), default=1, show_default=True,
                           help="Methods run in parallel (-1: one per core).")

root_option = click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
                           default=None,
                           help="Folder of the cases. Default: $DISCOVER_CASES, else ./cases.")
