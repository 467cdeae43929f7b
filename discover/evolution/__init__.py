"""Regularized-evolution symbolic regression in plain Python and numpy.

:class:`EvolutionSR` finds each variable's right-hand side as a sympy
expression; :mod:`~discover.evolution.expressions` (trees, vectorised
evaluation, sympy printing), :mod:`~discover.evolution.mutations`,
:mod:`~discover.evolution.search` (populations, islands, hall of fame) and
:mod:`~discover.evolution.constants` (Levenberg–Marquardt, pruning, snapping)
are its parts. :func:`search_invariants` (:mod:`~discover.evolution.invariants`)
searches conserved quantities the same way.
"""

from .estimator import EvolutionSR
from .expressions import Node, Operator
from .invariants import search_invariants

__all__ = ["EvolutionSR", "Node", "Operator", "search_invariants"]
