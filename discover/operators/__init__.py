"""Linear operators: DMD, EDMD, Hankel/HAVOK and piecewise DMD.

Every method gives :class:`~discover.findings.Spectrum` findings whose
eigenpairs carry residuals (residual DMD) and spurious flags; see
``docs/methods/operators.rst``.

- :class:`~discover.operators.dmd.DMD` — exact, forward-backward, total
  least squares, optimized (variable projection), BOP-DMD and DMDc, with
  automatic rank and variant.
- :class:`~discover.operators.edmd.EDMD` — Koopman spectrum and symbolic
  eigenfunctions over dictionaries from :mod:`discover.operators.dictionaries`.
- :class:`~discover.operators.hankel.HankelDMD` and
  :class:`~discover.operators.hankel.HAVOK` — delay embedding around any DMD,
  and the forced linear model with its intermittency detector.
- :class:`~discover.operators.pdmd.PiecewiseDMD` — one DMD per time window.
"""

from .dictionaries import RBF, Custom, Delays, Fourier, Polynomial
from .dmd import DMD
from .edmd import EDMD
from .hankel import HAVOK, HankelDMD
from .pdmd import PiecewiseDMD
from .residual import eigenpair_residuals, pseudospectrum

__all__ = ["DMD", "EDMD", "HankelDMD", "HAVOK", "PiecewiseDMD", "Polynomial", "RBF", "Fourier", "Delays",
           "Custom", "eigenpair_residuals", "pseudospectrum"]
