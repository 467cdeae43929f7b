"""discover.progress: lines under the pipeline's display, silent off a terminal."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from discover import progress


def test_task_is_silent_without_a_display(capsys):
    with progress.task("work", total=3) as update:
        for i in range(3):
            update(loss=float(i))
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_task_adds_a_line_under_the_attached_display():
    stream = io.StringIO()
    bar = Progress(console=Console(file=stream, force_terminal=True, width=120))
    seen = []
    with progress.attach(bar):
        assert progress.active() is bar
        with progress.task("training", total=4) as update:
            update(loss=0.5, D_stsp=1.25)
            (t,) = bar.tasks
            seen.append((t.description, t.completed, t.total))
        assert bar.tasks == []  # the line goes when the work ends
    assert progress.active() is None
    assert seen == [("  training · loss 0.5 · D_stsp 1.25", 1, 4)]


def test_enabled_true_draws_its_own_bar(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(progress, "_own_bar", lambda: Progress(console=Console(file=stream, force_terminal=True)))
    with progress.task("search", total=2, enabled=True) as update:
        update()
        update(best=0.1)
    assert "search" in stream.getvalue()
