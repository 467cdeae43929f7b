"""Sphinx directives that generate reference pages from the code at build time.

``.. discover-cli::``
    The help text of every ``discover`` command, as ``--help`` prints it, one
    section per command. The CLI reference cannot drift from the code.

``.. discover-methods::``
    A table of the registered methods (name, summary, runs by default, extra).

``.. discover-schema::``
    The keys of ``report.json``, read from the JSON Schema in the package.
"""

from __future__ import annotations

import click
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

HELP_WIDTH = 88


def _commands(group: click.Group, ctx: click.Context):
    """Yield ``(context, command)`` for every command under ``group``, depth first, in order."""
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or getattr(cmd, "hidden", False):
            continue
        sub = cmd.make_context(name, [], parent=ctx, resilient_parsing=True,
                               terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
        yield sub, cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, sub)


def cli_rst() -> list[str]:
    """RST for the whole command tree: a section per command with its ``--help`` text."""
    from discover.cli import main

    root = main.make_context("discover", [], resilient_parsing=True,
                             terminal_width=HELP_WIDTH, max_content_width=HELP_WIDTH)
    lines: list[str] = []

    def section(title: str, ctx: click.Context, cmd: click.Command) -> None:
        lines.extend([title, "~" * len(title), ""])
        lines.extend([".. code-block:: text", ""])
        lines.extend("   " + ln if ln.strip() else "" for ln in cmd.get_help(ctx).splitlines())
        lines.append("")

    section("discover", root, main)
    for ctx, cmd in _commands(main, root):
        section(f"``{ctx.command_path}``", ctx, cmd)
    return lines


class CliDirective(SphinxDirective):
    has_content = False

    def run(self):
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(cli_rst(), source="discover --help"), node)
        return node.children


class MethodsDirective(SphinxDirective):
    has_content = False

    def run(self):
        from discover import registry

        rows = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 14 62 12 12",
            "",
            "   * - method",
            "     - what it finds",
            "     - runs by default",
            "     - needs",
        ]
        for spec in registry.REGISTRY.values():
            rows += [
                f"   * - ``{spec.name}``",
                f"     - {spec.summary}" + ("" if spec.present() else " (planned: not in this release yet)"),
                f"     - {'yes' if spec.quick else 'no'}",
                f"     - {('``discover[' + spec.extra + ']``') if spec.extra else ''}",
            ]
        node = nodes.container()
        self.state.nested_parse(StringList(rows, source="discover.registry"), self.content_offset, node)
        return node.children


def _schema_type(spec: dict) -> str:
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "enum" in spec:
        return "one of " + ", ".join(f"``{v}``" if isinstance(v, str) else str(v) for v in spec["enum"])
    if "const" in spec:
        return f"``{spec['const']}``"
    kind = spec.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array" and isinstance(spec.get("items"), dict):
        return f"array of {_schema_type(spec['items'])}"
    if kind:
        return kind
    for key in ("anyOf", "oneOf"):
        if key in spec:
            return " or ".join(_schema_type(s) for s in spec[key])
    return "any"


def schema_rst() -> list[str]:
    from discover.report import schema

    s = schema()
    blocks = [("report.json", s)] + [(name, d) for name, d in s.get("$defs", {}).items()
                                     if d.get("type") == "object" and d.get("properties")]
    lines: list[str] = []
    for title, obj in blocks:
        required = set(obj.get("required", ()))
        lines += [f"``{title}``" if title == "report.json" else f"``{title}`` object", "", ".. list-table::",
                  "   :header-rows: 1", "   :widths: 25 15 60", "", "   * - key", "     - required",
                  "     - type"]
        for key, spec in obj["properties"].items():
            desc = spec.get("description", "")
            lines += [f"   * - ``{key}``", f"     - {'yes' if key in required else 'no'}",
                      f"     - {_schema_type(spec)}" + (f": {desc}" if desc else "")]
        lines.append("")
    return lines


class SchemaDirective(SphinxDirective):
    has_content = False

    def run(self):
        node = nodes.container()
        self.state.nested_parse(StringList(schema_rst(), source="discover/report/schema.json"),
                                self.content_offset, node)
        return node.children


def setup(app):
    app.add_directive("discover-cli", CliDirective)
    app.add_directive("discover-methods", MethodsDirective)
    app.add_directive("discover-schema", SchemaDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
