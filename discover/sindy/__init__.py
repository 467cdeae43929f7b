"""SINDy: sparse identification of nonlinear dynamics that picks its own model.

Built on pysindy's parts (its SR3 optimizer and finite differences) with
symbolic libraries, internal feature scaling, automatic model selection on
held-out data, ensembles, a weak form for noisy data, discrete-time maps and
honest validation by simulation. See :class:`SINDy`.
"""

from __future__ import annotations

from .estimator import SINDy
from .library import Library

__all__ = ["SINDy", "Library"]
