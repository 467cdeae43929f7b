"""Regularized-evolution symbolic regression in plain Python and numpy.

:class:`EvolutionSR` finds each variable's right-hand side as a sympy
expression; :mod:`~discover.evolution.expressions` (trees, vectorised
evaluation, sympy printing), :mod:`~discover.evolution.mutations`,
:mod:`~discover.evolution.search` (populations, islands, hall of fame) and
:mod:`~discover.evolution.constants` (Levenberg–Marquardt, pruning, snapping)
are its parts.
"""

from .estimator import EvolutionSR
from .expressions import Node, Operator

__all__ = ["EvolutionSR", "Node", "Operator"]
