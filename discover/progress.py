"""Progress of long work inside a method, shown on a terminal only.

A method that runs longer than a few seconds (training loops, searches,
ensembles) reports its steps through :func:`task`::

    from discover.progress import task

    with task("training", total=n_epochs) as update:
        for epoch in range(n_epochs):
            ...
            update(loss=loss, D_stsp=d)          # advances by one step

Under :func:`discover.fit` with ``progress=True`` the line appears beneath the
per-method bar; an estimator used on its own shows its own bar when standard
error is a terminal (or when ``enabled=True``); otherwise nothing is printed and
``update`` costs a function call. Nothing here imports rich until a bar is
really drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["task", "active", "attach"]

_ACTIVE: Any = None  # the rich Progress of the running discover.fit, if any


def active() -> Any:
    """The progress display of the running :func:`discover.fit` (a ``rich.progress.Progress``) or None."""
    return _ACTIVE


@contextmanager
def attach(bar: Any) -> Iterator[None]:
    """Make ``bar`` the display that :func:`task` adds its lines to (used by the pipeline)."""
    global _ACTIVE
    previous, _ACTIVE = _ACTIVE, bar
    try:
        yield
    finally:
        _ACTIVE = previous


def _format_fields(fields: dict[str, Any]) -> str:
    parts = []
    for key, value in fields.items():
        if isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value}")
    return " · ".join(parts)


def _own_bar():
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), transient=True, console=Console(stderr=True))


@contextmanager
def task(description: str, total: float | None = None, *,
         enabled: bool | None = None) -> Iterator[Callable[..., None]]:
    """A progress line for one piece of long work; yields ``update(advance=1, **fields)``.

    Parameters
    ----------
    description : str
        What runs, e.g. ``"alrnn P=2 training"``.
    total : float, optional
        Number of steps, when known (then the time left is shown).
    enabled : bool, optional
        ``None`` (default): shown under a running :func:`discover.fit` display,
        or on its own when standard error is a terminal. ``False``: never.
        ``True``: always (on standard error).

    Yields
    ------
    update : callable
        ``update(advance=1, **fields)`` moves the line on by ``advance`` steps
        and shows the fields (``loss=0.01``) beside it.

    Examples
    --------
    >>> from discover.progress import task
    >>> with task("demo", total=3, enabled=False) as update:
    ...     for i in range(3):
    ...         update(loss=1.0 / (i + 1))
    """
    if enabled is False:
        yield lambda advance=1, **fields: None
        return
    bar, own = _ACTIVE, False
    if bar is None:
        if not (enabled or (enabled is None and getattr(sys.stderr, "isatty", lambda: False)())):
            yield lambda advance=1, **fields: None
            return
        try:
            bar, own = _own_bar(), True
        except ImportError:  # pragma: no cover - rich is a dependency
            yield lambda advance=1, **fields: None
            return
        bar.start()
    task_id = bar.add_task(f"  {description}", total=total)

    def update(advance: float = 1, **fields: Any) -> None:
        text = f"  {description} · {_format_fields(fields)}" if fields else None
        bar.update(task_id, advance=advance, description=text)

    try:
        yield update
    finally:
        bar.remove_task(task_id)
        if own:
            bar.stop()
