"""discover: symbolic and interpretable model discovery from time series.

Give it time series measured from a dynamical system and it tells you, in
forms a scientist can read and check, what governs them: differential
equations, causal and interaction graphs, conserved quantities, Koopman/DMD
spectra and the symbolic code of a piecewise-linear model.

Examples
--------
>>> import discover
>>> sorted(discover.registry.REGISTRY)[:3]
['alrnn', 'conservation', 'dmd']
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from . import registry
from .errors import DataError, DataWarning, DiscoverError, MethodError, NumericalError, ParameterError

# The public names below are imported on first use (PEP 562), so that ``import discover`` (and the
# command line's ``--help``, ``--version`` and ``methods``) does not pay for numpy, pandas, sklearn or
# sympy before anything runs.
_LAZY = {
    "Series": "data", "Trajectory": "data", "from_arrays": "data", "from_dataframe": "data",
    "load": "data", "load_csv": "data",
    "Equation": "findings", "Graph": "findings", "Invariant": "findings", "Simulation": "findings",
    "Spectrum": "findings", "SymbolicCode": "findings",
    "fit": "pipeline",
    "Report": "report", "load_report": "report",
}

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .data import Series, Trajectory, from_arrays, from_dataframe, load, load_csv
    from .findings import Equation, Graph, Invariant, Simulation, Spectrum, SymbolicCode
    from .pipeline import fit
    from .report import Report, load_report


def __getattr__(name: str):
    import importlib

    module = _LAZY.get(name)
    if module is None:
        # ``discover.pipeline`` and the other submodules, as when this package imported them eagerly.
        if not name.startswith("__"):
            import importlib.util
            import sys

            full = f"{__name__}.{name}"
            if full in sys.modules:  # already imported (or put there, as tests do)
                return sys.modules[full]
            try:
                found = importlib.util.find_spec(full) is not None
            except (ImportError, ValueError):
                found = False
            if found:
                return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module 'discover' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "fit",
    "load",
    "load_csv",
    "from_dataframe",
    "from_arrays",
    "load_report",
    "Series",
    "Trajectory",
    "Report",
    "Equation",
    "Graph",
    "Invariant",
    "Spectrum",
    "SymbolicCode",
    "Simulation",
    "DiscoverError",
    "DataError",
    "DataWarning",
    "MethodError",
    "NumericalError",
    "ParameterError",
    "registry",
]
