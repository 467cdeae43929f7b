"""Packaging: the console script, ``discover.cli`` without a top-level ``cli``, setup.cfg and README/CI.

The fast tests read the installed metadata and the repository files; the slow
one builds an sdist and a wheel from it and reads the wheel's file list.
"""

from __future__ import annotations

import configparser
import importlib.metadata as md
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    return cfg


def _listed_packages() -> list[str]:
    return [p.strip() for p in _setup_cfg()["options"]["packages"].split() if p.strip()]


def _readme_commands() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.commands(ROOT / "README.md")


# ---------------------------------------------------------------------------
# the installed distribution


def test_discover_cli_imports_and_is_the_cli_folder():
    import discover.cli

    assert callable(discover.cli.main)
    folder = Path(discover.cli.__file__).resolve().parent
    # editable install: the repository's cli/ folder; regular install: site-packages/discover/cli/
    assert folder == (ROOT / "cli").resolve() or (folder.name == "cli" and folder.parent.name == "discover"), folder


def test_console_script_entry_point_resolves_to_the_click_group():
    import click
    import discover.cli

    (ep,) = [e for e in _installed_dist().entry_points if e.group == "console_scripts" and e.name == "discover"]
    assert ep.value == "discover.cli:main"
    assert ep.load() is discover.cli.main
    assert isinstance(ep.load(), click.Group)


def _installed_dist() -> md.Distribution:
    """The installed discover (its .dist-info), not a discover.egg-info a build left in the checkout."""
    found = [d for d in md.distributions(name="discover") if str(getattr(d, "_path", "")).endswith(".dist-info")]
    if not found:
        pytest.fail("discover is not installed (pip install -e .)")
    return found[0]


def test_no_top_level_cli_package_is_installed():
    dist = _installed_dist()
    top = {Path(str(f)).parts[0] for f in dist.files or []}
    assert "cli" not in top, sorted(top)
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        assert "cli" not in top_level.split()
    # an editable install maps packages in a finder module; 'cli' must not be one of them
    for f in dist.files or []:
        if str(f).startswith("__editable__") and str(f).endswith("finder.py"):
            text = Path(f.locate()).read_text()
            assert "'cli':" not in text and '"cli":' not in text


def test_python_dash_m_discover_module_runs_the_same_group():
    import discover.cli

    import discover.__main__ as entry

    assert entry.main is discover.cli.main


# ---------------------------------------------------------------------------
# setup.cfg, pyproject.toml, tox.ini


def test_every_package_folder_is_listed_in_setup_cfg():
    """``packages`` is listed by hand (see setup.cfg); a subpackage left out would be missing from wheels."""
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "discover").rglob("__init__.py")
               if "__pycache__" not in p.parts}
    listed = set(_listed_packages())
    assert on_disk - listed == set(), f"add to setup.cfg [options] packages: {sorted(on_disk - listed)}"
    assert "discover.cli" in listed and "cli" not in listed
    package_dir = _setup_cfg()["options"]["package_dir"]
    assert "discover.cli = cli" in package_dir


def test_setup_cfg_has_the_extras_and_console_script():
    cfg = _setup_cfg()
    extras = cfg["options.extras_require"]
    for extra in ("neural", "dask", "docs", "test", "lint"):
        assert extra in extras, extra
    assert "torch" in extras["neural"]
    assert "discover = discover.cli:main" in cfg["options.entry_points"]["console_scripts"]


def test_pyproject_holds_only_the_build_system():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert set(data) == {"build-system"}
    assert data["build-system"]["build-backend"] == "setuptools.build_meta"


def test_tox_has_the_environments():
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "tox.ini")
    for env in ("tests", "lint", "slow", "docs"):
        assert f"testenv:{env}" in cfg, env
    assert "ruff" in cfg["testenv:lint"]["commands"]
    assert "-W" in cfg["testenv:docs"]["commands"]


# ---------------------------------------------------------------------------
# README and CI agree


def test_readme_has_exactly_the_two_set_up_commands_ci_runs():
    cmds = _readme_commands()
    assert set(cmds) == {"main", "test"}
    assert cmds["main"].startswith("pip install . && discover fit cases/")
    assert "--out" in cmds["main"]
    assert cmds["test"].startswith("pip install -e ") and cmds["test"].endswith("python -m pytest")
    # torch must be pinned wherever it is installed (unpinned: a multi-GB CUDA build)
    for cmd in cmds.values():
        if "neural" in cmd or "torch" in cmd:
            assert "torch==2.13.0" in cmd
    # the case file the main command fits exists
    data = [w for w in cmds["main"].split() if w.endswith(".csv")]
    assert data and all((ROOT / d).is_file() for d in data), data
    # the set-up section has no other shell block
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert setup.count("```sh") == 2


def test_ci_script_runs_the_readme_commands():
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in script
    assert "readme_commands.py test" in script and "readme_commands.py main" in script
    assert 'bash -c "$TEST_CMD"' in script and 'bash -c "$MAIN_CMD"' in script
    assert "-eq 5" in script  # pytest's "no tests collected"
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111, ".ci/run must be executable"


def test_readme_command_extraction_refuses_multi_line_blocks(tmp_path):
    spec = importlib.util.spec_from_file_location("readme_commands", ROOT / ".ci" / "readme_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bad = tmp_path / "README.md"
    bad.write_text("<!-- ci: test -->\n```sh\npip install .\npytest\n```\n")
    with pytest.raises(ValueError, match="one line"):
        module.commands(bad)
    bad.write_text("<!-- ci: main -->\n```sh\necho hi\n```\n")
    assert module.commands(bad) == {"main": "echo hi"}


# ---------------------------------------------------------------------------
# building: sdist, then a wheel from the sdist (slow: a minute on a busy machine)


@pytest.mark.slow
def test_wheel_from_sdist_has_discover_cli_and_no_top_level_cli(tmp_path):
    pytest.importorskip("build")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path),
                    str(ROOT)], check=True, capture_output=True, text=True, timeout=600)
    (sdist,) = tmp_path.glob("discover-*.tar.gz")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(sdist)], check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = wheels.glob("discover-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "cli" not in tops, sorted(tops)
    assert "discover/cli/__init__.py" in names
    assert "discover/report/schema.json" in names
    assert "discover/__main__.py" in names
    for pkg in _listed_packages():
        assert pkg.replace(".", "/") + "/__init__.py" in names, pkg
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "discover = discover.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_readme_methods_table_matches_the_registry():
    from discover import registry

    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Methods", 1)[1].split("\n## ", 1)[0]
    rows = [ln.split("|") for ln in table.splitlines() if ln.startswith("| `")]
    names = {r[1].strip().strip("`") for r in rows}
    assert names == set(registry.REGISTRY), names ^ set(registry.REGISTRY)
    for r in rows:
        spec = registry.REGISTRY[r[1].strip().strip("`")]
        assert r[3].strip() == ("yes" if spec.quick else "no"), spec.name
        # a reserved name whose module is not written yet must say so, never pose as available
        assert spec.present() or "not in this release" in r[2], spec.name
