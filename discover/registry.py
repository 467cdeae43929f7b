"""The registry of methods that :func:`discover.fit` can run.

Each entry names the estimator class by import path, so listing methods
imports nothing heavy (torch stays out of the import path of methods that do
not need it). An entry whose module is not present in this installation is
not offered.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .errors import MethodError

__all__ = ["MethodSpec", "register", "get", "available", "quick_methods", "REGISTRY", "EXTRA_MODULES",
           "EXTRA_INSTALL", "import_torch", "torch_threads"]


@dataclass(frozen=True)
class MethodSpec:
    """What the pipeline knows of a method before importing it."""

    name: str
    target: str  #: ``"module:Class"``
    quick: bool  #: runs by default (fast on ordinary data)
    summary: str
    extra: str | None = None  #: pip extra it needs, e.g. ``"neural"``
    #: rows it fits at most by default (longer data: evenly spaced stretches, see ``discover.pipeline.subsample``);
    #: set from measured peak memory, so that a default fit stays within a few GB
    max_rows: int | None = 1_000_000
    #: above ``max_rows`` the estimator's ``stream_refit`` refits its final estimates on every row in
    #: chunks (the choices stay those of the subsample); without it the subsample is the whole fit
    streams: bool = False

    @property
    def module(self) -> str:
        return self.target.split(":")[0]

    def present(self) -> bool:
        """True when the method's module is part of this installation.

        A module of discover itself is looked up as a file, without importing
        its parent packages (``discover.operators`` imports numpy and sklearn),
        so that listing methods stays instant.
        """
        parts = self.module.split(".")
        if parts[0] == __name__.split(".")[0] and len(parts) > 1:
            base = Path(__file__).resolve().parent.joinpath(*parts[1:])
            return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:
            return False

    def missing(self) -> list[str]:
        """The optional packages this method needs that are not installed (empty when it can run)."""
        return [m for m in EXTRA_MODULES.get(self.extra or "", ()) if not _importable(m)]

    def install_hint(self) -> str:
        """The command that installs what the method needs (as README.md gives it), or ``""``."""
        return EXTRA_INSTALL.get(self.extra or "", f"pip install '.[{self.extra}]'" if self.extra else "")

    def load(self) -> type:
        """Import and return the estimator class."""
        module, _, cls = self.target.partition(":")
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            hint = f" Install it with: {self.install_hint()}" if self.extra else ""
            raise MethodError(f"Method {self.name!r} cannot be imported: {exc}.{hint}") from exc
        return getattr(mod, cls)


REGISTRY: dict[str, MethodSpec] = {}

#: The importable packages each pip extra brings (what a method with that ``extra`` needs to run).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {"neural": ("torch",)}

#: How to install an extra, word for word as README.md says (torch pinned: unpinned, it pulls a CUDA build).
EXTRA_INSTALL: dict[str, str] = {"neural": 'pip install ".[neural]" torch==2.13.0'}


def import_torch(method: str):
    """Import and return :mod:`torch` for ``method``, or raise a :class:`MethodError`.

    The error names the exact install command README.md gives (torch pinned to
    a CPU build), never an unpinned ``pip install``.
    """
    try:
        import torch
    except ImportError as exc:
        raise MethodError(f"The {method!r} method needs PyTorch, which is not installed. "
                          f"Install it with: {EXTRA_INSTALL['neural']}") from exc
    return torch


@contextlib.contextmanager
def torch_threads(method: str, n_threads: int):
    """:func:`import_torch` for ``method``, with torch's thread count set to ``n_threads`` while the block
    runs and put back after it (also when it raises)."""
    torch = import_torch(method)
    old = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield torch
    finally:
        torch.set_num_threads(old)


def _importable(name: str) -> bool:
    """True when package ``name`` can be imported (looked up, not imported)."""
    import sys

    if name in sys.modules:
        return sys.modules[name] is not None
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def register(name: str, target: str, *, quick: bool, summary: str, extra: str | None = None,
             max_rows: int | None = 1_000_000, streams: bool = False) -> MethodSpec:
    """Add (or replace) a method in the registry; returns its spec."""
    spec = MethodSpec(name, target, quick, summary, extra, max_rows, streams)
    REGISTRY[name] = spec
    return spec


def available() -> list[MethodSpec]:
    """The registered methods present in this installation, in registry order."""
    return [s for s in REGISTRY.values() if s.present()]


def quick_methods() -> list[str]:
    """Names of the methods run when none are named."""
    return [s.name for s in available() if s.quick]


def get(name: str) -> MethodSpec:
    """The spec of method ``name``; a :class:`MethodError` lists the choices otherwise."""
    spec = REGISTRY.get(name)
    if spec is None or not spec.present():
        names = ", ".join(s.name for s in available())
        raise MethodError(f"Unknown method {name!r}. Available methods: {names}.")
    return spec


# The methods of discover. Quick ones run by default; the others when named or with "all".
# max_rows from measured peak memory (10 columns): SINDy 6.3 GB and conservation 5.2 GB at 2e5 rows (their
# libraries hold rows x hundreds of terms several times), DMD 0.67 GB, DYNOTEARS 0.38 GB
register("sindy", "discover.sindy:SINDy", quick=True, max_rows=100_000, streams=True,
         summary="Sparse identification of nonlinear dynamics (pysindy): ODEs per variable")
register("dmd", "discover.operators.dmd:DMD", quick=True, streams=True,
         summary="Dynamic mode decomposition: linear spectrum, modes, forecast")
register("edmd", "discover.operators.edmd:EDMD", quick=False, max_rows=100_000,
         summary="Extended DMD: Koopman spectrum and eigenfunctions over a symbolic dictionary")
register("hankel", "discover.operators.hankel:HankelDMD", quick=False,
         summary="Delay-embedded DMD and HAVOK forced linear models")
register("pdmd", "discover.operators.pdmd:PiecewiseDMD", quick=False,
         summary="Piecewise DMD over time windows")
register("conservation", "discover.conservation:ConservationLaws", quick=True, max_rows=100_000,
         summary="Conserved quantities over a symbolic library")
register("dynotears", "discover.causal.dynotears:DYNOTEARS", quick=True, streams=True,
         summary="Causal graph with contemporaneous and lagged edges (DYNOTEARS)")
register("sde", "discover.causal.sde:SDEStructure", quick=False, extra="neural", max_rows=100_000,
         summary="Causal graph from a latent SDE with a learned edge posterior (PyTorch)")
register("evolution", "discover.evolution:EvolutionSR", quick=False, max_rows=100_000,
         summary="Symbolic regression by regularized evolution")
register("alrnn", "discover.alrnn:ALRNN", quick=False, extra="neural", max_rows=100_000,
         summary="Almost-linear RNN and its symbolic code (PyTorch)")
