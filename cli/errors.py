"""How the command line reports trouble: one line on stderr, an exit code scripts can trust.

Exit codes
----------
0  every method ran (or the command did what it was asked)
1  bad input or options: the data, a config value, a report file
2  usage error: unknown command or option, or an option value click refuses
3  the report was written but at least one method failed
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click

from discover.errors import DiscoverError

__all__ = ["EXIT_OK", "EXIT_BAD_INPUT", "EXIT_USAGE", "EXIT_METHOD_FAILED", "EXIT_CODES_HELP",
           "user_errors", "one_line_warnings", "one_line"]

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_METHOD_FAILED = 3

#: The exit codes as they appear in ``--help`` (click keeps ``\b`` paragraphs unwrapped).
EXIT_CODES_HELP = """\b
Exit status:
  0  all methods ran
  1  bad input or options (one line on stderr, starting 'Error:')
  2  usage error (unknown command or option, refused option value)
  3  report written, but some method failed (see its entry)"""


def one_line(text: object) -> str:
    """The message on one line (an error that spans lines is joined with ' | ')."""
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    return " | ".join(lines) if lines else type(text).__name__


def _os_error(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    what = {FileNotFoundError: "file not found", IsADirectoryError: "is a folder, not a file",
            NotADirectoryError: "not a folder", PermissionError: "permission denied"}.get(type(exc))
    what = what or (exc.strerror or str(exc))
    return f"{name}: {what}" if name else what


@contextmanager
def user_errors(*, extra: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Turn the errors a user can cause into a one-line :class:`click.ClickException` (exit 1).

    Caught: :class:`discover.errors.DiscoverError` (its message names file,
    row and column for a :class:`~discover.errors.DataError`), ``OSError``
    (a missing or unreadable file), a ``jsonschema`` validation error, and the
    types in ``extra``. Anything else is a bug and keeps its traceback.
    """
    try:
        yield
    except click.ClickException:
        raise
    except DiscoverError as exc:
        raise click.ClickException(one_line(exc)) from None
    except OSError as exc:
        raise click.ClickException(_os_error(exc)) from None
    except Exception as exc:  # noqa: BLE001 - filtered just below
        if _is_schema_error(exc):
            where = "/".join(str(p) for p in getattr(exc, "absolute_path", ()))
            msg = one_line(getattr(exc, "message", exc))
            raise click.ClickException(
                f"the report does not follow its schema: {msg}" + (f" (at {where})" if where else "")
            ) from None
        if extra and isinstance(exc, extra):
            raise click.ClickException(one_line(exc)) from None
        raise


def _is_schema_error(exc: BaseException) -> bool:
    try:
        from jsonschema.exceptions import SchemaError, ValidationError
    except ImportError:  # pragma: no cover - jsonschema is a dependency
        return False
    return isinstance(exc, (ValidationError, SchemaError))


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """Show warnings (a constant column ...) as ``Warning: ...`` lines on stderr, each once.

    Library deprecation and floating-point warnings are not shown.
    """
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = one_line(message)
        if text not in shown:
            shown.add(text)
            click.echo(f"Warning: {text}", err=True)

    from discover.errors import DataWarning

    with warnings.catch_warnings():
        # Library deprecations and floating-point noise are for developers, not for this output.
        for noise in (DeprecationWarning, PendingDeprecationWarning, FutureWarning, RuntimeWarning):
            warnings.simplefilter("ignore", noise)
        warnings.simplefilter("always", DataWarning)
        warnings.showwarning = show
        yield


def stderr_is_terminal() -> bool:
    """True when stderr is an interactive terminal (progress is shown only there)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
