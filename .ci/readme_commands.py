"""Print a set-up command of README.md, so CI runs exactly what the README tells people to run.

The README marks each of its two set-up commands with an HTML comment (invisible
when rendered) right before a one-line fenced shell block::

    <!-- ci: main -->
    ```sh
    pip install . && discover fit cases/lorenz/lorenz.csv --out report
    ```

Usage: ``python .ci/readme_commands.py main|test [README.md]``. Exits 1 with
a message when the marker or its block is missing or spans several lines.
tests/test_packaging.py checks the README through the same function.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MARKER = re.compile(r"<!--\s*ci:\s*(?P<name>[\w-]+)\s*-->\s*\n```(?:sh|bash|console|shell)?\s*\n(?P<body>.*?)\n```",
                    re.DOTALL)


def commands(readme: str | Path) -> dict[str, str]:
    """``{name: command}`` for every marked block of ``readme``."""
    text = Path(readme).read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for m in MARKER.finditer(text):
        body = m.group("body").strip()
        if "\n" in body:
            raise ValueError(f"the README's {m.group('name')!r} command must be one line, got:\n{body}")
        if m.group("name") in found:
            raise ValueError(f"the README marks two {m.group('name')!r} commands")
        found[m.group("name")] = body
    return found


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("main", "test"):
        print(__doc__, file=sys.stderr)
        return 2
    readme = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "README.md"
    try:
        cmd = commands(readme).get(argv[0])
    except (OSError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if cmd is None:
        print(f"Error: {readme} has no '<!-- ci: {argv[0]} -->' command", file=sys.stderr)
        return 1
    print(cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
