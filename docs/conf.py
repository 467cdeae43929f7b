"""Sphinx configuration for the discover docs.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (or ``tox -e docs``).
Warnings are errors, so a broken docstring or reference fails the build.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")


def _ensure_discover_cli() -> None:
    """Make ``discover.cli`` importable from a source checkout that was not pip-installed.

    An installed discover maps the top-level ``cli/`` folder to ``discover.cli``;
    a bare checkout does not, so load it under that name here.
    """
    import discover

    try:
        import discover.cli  # noqa: F401
    except ImportError:
        spec = importlib.util.spec_from_file_location(
            "discover.cli", ROOT / "cli" / "__init__.py", submodule_search_locations=[str(ROOT / "cli")])
        module = importlib.util.module_from_spec(spec)
        sys.modules["discover.cli"] = module
        spec.loader.exec_module(module)
        discover.cli = module


_ensure_discover_cli()
import discover  # noqa: E402

project = "discover"
author = "the discover developers"
copyright = "the discover developers"
release = discover.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # numpydoc-style docstrings
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "discover_docs",  # docs/_ext: CLI reference from --help, methods table from the registry
]

# No intersphinx: the docs are built where there is no network (CI, offline
# machines), and intersphinx would fetch numpy/scipy/sympy inventories at
# build time. References to those projects are written as plain text.

napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" as fields: no duplicate entries beside autodoc's dataclass fields
napoleon_use_rtype = False
napoleon_preprocess_types = False

autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_member_order = "bysource"
autoclass_content = "class"

# Several findings records have a field called ``type``: a type hint ``type``
# then matches more than one target. Sphinx links to the builtin anyway; the
# ambiguity warning is not a defect of the docs.
suppress_warnings = ["ref.python"]


def _skip_sklearn_plumbing(app, what, name, obj, skip, options):
    """Skip the ``set_<method>_request`` methods scikit-learn adds to every estimator.

    They are metadata-routing plumbing, and their docstrings refer to
    scikit-learn's own glossary, which does not exist here.
    """
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_plumbing)


templates_path: list[str] = []
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "py:obj"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = f"discover {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Equations, graphs, invariants and spectra from time series",
    "fixed_sidebar": False,
    "show_relbars": True,
}
