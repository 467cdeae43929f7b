"""Candidate-term libraries for SINDy, symbolic at the source.

A :class:`Library` is an ordered list of :class:`sympy.Expr` terms over the
series' column names (states and inputs) and a fast numpy evaluator for them.
Polynomial monomials are evaluated from an exponent table; every other term
(Fourier, user strings such as ``"sin(x)"`` or ``"x/(1+y)"``) through
:func:`sympy.lambdify`. Because the terms are sympy from the start, equations
never pass through printed strings (unlike ``pysindy``'s feature names).

Examples
--------
>>> import numpy as np
>>> from discover.sindy.library import Library
>>> lib = Library.build(["x", "y"], degree=2)
>>> [str(t) for t in lib.terms]
['1', 'x', 'y', 'x**2', 'x*y', 'y**2']
>>> lib.evaluate(np.array([[2.0, 3.0]])).tolist()
[[1.0, 2.0, 3.0, 4.0, 6.0, 9.0]]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..errors import ParameterError
from ..findings import parse_expr, symbols_for

__all__ = ["Library", "monomial_exponents"]


def monomial_exponents(n_vars: int, degree: int, include_bias: bool = True) -> np.ndarray:
    """Exponent rows of all monomials of total degree ``<= degree`` (graded, then lexicographic)."""
    rows = []
    for d in range(0 if include_bias else 1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(n_vars), d):
            e = np.zeros(n_vars, dtype=int)
            for i in combo:
                e[i] += 1
            rows.append(e)
    return np.array(rows, dtype=int).reshape(-1, n_vars)


@dataclass
class Library:
    """Candidate terms over ``names`` (states then inputs).

    Use :meth:`build`; ``terms`` are the sympy terms in column order.
    """

    names: tuple
    terms: list
    exponents: np.ndarray  #: (n_poly, n_names) exponents of the first n_poly terms
    _extra: object = field(default=None, repr=False)  #: lambdified non-polynomial terms

    @classmethod
    def build(cls, names: Sequence[str], *, degree: int = 2, include_bias: bool = True,
              fourier: int = 0, fourier_names: Sequence[str] | None = None,
              terms: Sequence[str] | None = None, poly_names: Sequence[str] | None = None) -> Library:
        """Polynomial (up to ``degree``) + Fourier (``sin(k v)``, ``cos(k v)``, k ≤ ``fourier``) + user terms.

        ``poly_names`` restricts the polynomial part to some names (all by
        default); ``fourier_names`` the Fourier part. User ``terms`` are sympy
        strings over ``names``; duplicates of other terms are dropped.
        """
        names = tuple(str(n) for n in names)
        syms = symbols_for(names)
        poly_names = names if poly_names is None else tuple(poly_names)
        idx = [names.index(n) for n in poly_names]
        exps_sub = monomial_exponents(len(idx), degree, include_bias)
        exps = np.zeros((len(exps_sub), len(names)), dtype=int)
        exps[:, idx] = exps_sub
        out = [sp.Mul(*[syms[n] ** int(p) for n, p in zip(names, e) if p]) for e in exps]
        extra = []
        for k in range(1, fourier + 1):
            for n in (names if fourier_names is None else fourier_names):
                for f in (sp.sin, sp.cos):
                    extra.append(f(k * syms[n]))
        for text in terms or ():
            try:
                expr = parse_expr(str(text), names)
            except (sp.SympifyError, SyntaxError, TypeError) as exc:
                raise ParameterError(f"The library term {text!r} is not a valid expression: {exc}") from None
            unknown = {s.name for s in expr.free_symbols} - set(names)
            if unknown:
                raise ParameterError(
                    f"The library term {text!r} uses {', '.join(sorted(unknown))}, which "
                    f"{'is not a column' if len(unknown) == 1 else 'are not columns'} of the data "
                    f"(columns: {', '.join(names)})."
                )
            extra.append(expr)
        seen = set(out)
        uniq = []
        for e in extra:
            if e not in seen and e != 0:
                seen.add(e)
                uniq.append(e)
        lib = cls(names, out + uniq, exps)
        if uniq:
            sym_list = [syms[n] for n in names]
            lib._extra = sp.lambdify(sym_list, uniq, modules="numpy")
        return lib

    def __len__(self) -> int:
        return len(self.terms)

    @property
    def n_poly(self) -> int:
        return len(self.exponents)

    def evaluate(self, z: np.ndarray) -> np.ndarray:
        """The library matrix ``Θ(z)``, shape ``(n_samples, n_terms)``; ``z`` is ``(n_samples, n_names)``."""
        z = np.asarray(z, dtype=float)
        if z.ndim == 1:
            z = z[None, :]
        n = z.shape[0]
        out = np.empty((n, len(self.terms)))
        for j, e in enumerate(self.exponents):
            col = np.ones(n)
            for i in np.nonzero(e)[0]:
                col = col * z[:, i] ** e[i] if e[i] > 1 else col * z[:, i]
            out[:, j] = col
        if self._extra is not None:
            with np.errstate(all="ignore"):
                vals = self._extra(*[z[:, i] for i in range(z.shape[1])])
            for j, v in enumerate(vals, start=self.n_poly):
                out[:, j] = np.broadcast_to(np.asarray(v, dtype=float), (n,))
        return out

    def expression(self, coef: np.ndarray) -> sp.Expr:
        """``Σ coef_j term_j`` as sympy (zero coefficients dropped)."""
        total = sp.Integer(0)
        for c, term in zip(coef, self.terms):
            if c != 0:
                total += (c if isinstance(c, sp.Basic) else sp.Float(float(c))) * term
        return total

    def term_variables(self) -> list[set]:
        """For each term, the names it depends on."""
        return [{s.name for s in t.free_symbols} for t in self.terms]
