"""Conserved quantities: every independent one over a symbolic library, and nothing else.

A quantity ``f(x) = Σ_k c_k θ_k(x)`` built from a library of candidate terms
``θ_k`` (monomials up to a degree, ``sin``/``cos`` and ``log`` of the
variables, terms the user writes as sympy strings) is conserved when it keeps
one value along each trajectory; different trajectories may keep different
values. :class:`ConservationLaws` finds the whole space of such coefficient
vectors ``c`` from the data alone, without estimating derivatives, and reports
a sparse, readable basis of functionally independent laws as
:class:`~discover.findings.Invariant` findings.

How it works (details in ``docs/methods/conservation.rst``; the parts live in
``library`` (the candidate terms), ``noise`` (the noise estimate),
``numerics`` (the law search's linear algebra), ``checks`` (independence,
matching and the Lie-derivative check), ``estimator`` and ``neural``):

1. *Increments, not derivatives.* Along a trajectory ``f`` is constant, so
   every increment ``f(x_i) - f(x_j)`` between two samples of the same
   trajectory vanishes. Summed over all pairs these increments are the
   deviations of ``Θ(x)`` from the trajectory's mean, so the candidates ``c``
   are the near-null directions of ``A = Σ_traj Θ_cᵀ Θ_c / n`` (``Θ_c``:
   library columns centred per trajectory). Optionally one-step increments
   ``Θ(x_{k+1}) - Θ(x_k)`` are used instead (``formulation="increments"``).
2. *Threshold relative to noise.* The measurement noise of each variable is
   estimated from high-order differences of the data and propagated through
   the library's Jacobian into a covariance ``B`` of library terms. A direction
   ``c`` is a law when its variation along trajectories is what noise alone
   would give: the generalized eigenvalue ``λ = cᵀAc / cᵀBc`` is below
   ``threshold`` (1 means "exactly the noise"). A floor ``tol`` (relative
   variation) stands in for noise on clean data.
3. *Identities are not laws.* Directions that barely vary even on points
   scattered around the data (``sin²+cos²``, ``sin x ≈ x - x³/6`` on a small
   range) are projected out first.
4. *Sparse readable basis.* Sparse vectors of the law space are found by one
   small ℓ1 linear programme per term, pruned backwards, refitted on their
   support, snapped to simple rationals (or to the fewest significant digits)
   only where the data still accept the rounded law.
5. *Independence.* A law is reported only when its gradient is not in the
   span of the gradients of the laws already kept (rank test at sample
   points): a square, product or rescaling of found laws is not reported twice.
6. *No false laws.* Every candidate is re-checked on held-out data (the last
   part of each trajectory, which must keep the *same* value as the first
   part) before it is reported, with its residual and a confidence.

:func:`neural_detector` (PyTorch, imported only when used) learns a quantity
that is constant along trajectories and differs between them, to say whether
an invariant exists outside the library. :func:`check_against_equations`
checks laws symbolically against right-hand sides (the Lie derivative ∇f·F).

Examples
--------
>>> from discover.systems import simulate
>>> from discover.conservation import ConservationLaws
>>> series = simulate("harmonic_oscillator", n=2000, dt=0.01)
>>> laws = ConservationLaws(degree=2, trig=False).fit(series)
>>> [str(inv.expression) for inv in laws.invariants_]
['v**2 + 4*x**2']
"""

from .checks import check_against_equations, independent_count, match_invariants
from .estimator import ConservationLaws
from .library import Library, build_library
from .neural import neural_detector
from .noise import estimate_noise

__all__ = [
    "ConservationLaws",
    "Library",
    "build_library",
    "estimate_noise",
    "check_against_equations",
    "match_invariants",
    "independent_count",
    "neural_detector",
]
