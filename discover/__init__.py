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

from . import registry
from .data import Series, Trajectory, from_arrays, from_dataframe, load, load_csv
from .errors import DataError, DataWarning, DiscoverError, MethodError, NumericalError, ParameterError
from .findings import Equation, Graph, Invariant, Simulation, Spectrum, SymbolicCode
from .pipeline import fit
from .report import Report, load_report

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
