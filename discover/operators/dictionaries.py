"""Dictionaries of observables for EDMD, combinable with ``+``.

A dictionary maps the state ``x`` (one row per sample) to observables
``ψ(x)``. Symbolic dictionaries also give each observable as a
:class:`sympy.Expr` over the variable names, so Koopman eigenfunctions can be
written as formulas. Time-delay terms use the past of a trajectory: a
dictionary with ``lag = d`` yields rows for samples ``d, d+1, …`` only.

Examples
--------
>>> import numpy as np
>>> from discover.operators.dictionaries import Polynomial, Custom
>>> d = Polynomial(2) + Custom(["sin(x)"])
>>> d.fit(np.zeros((3, 2)), ["x", "y"]).terms()
[1, x, y, x**2, x*y, y**2, sin(x)]
>>> d.transform(np.array([[1.0, 2.0]])).round(3)
array([[1.   , 1.   , 2.   , 1.   , 2.   , 4.   , 0.841]])
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..findings import parse_expr, symbols_for

__all__ = ["Dictionary", "Polynomial", "RBF", "Fourier", "Delays", "Custom", "Concat"]


class Dictionary:
    """Base class: ``fit(X, names)``, ``transform(X)``, ``terms()``, ``lag``."""

    lag: int = 0

    def fit(self, X: np.ndarray, names) -> Dictionary:
        self.names_ = tuple(str(n) for n in names)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def terms(self) -> list | None:
        """The observables as sympy expressions (``None`` when not symbolic)."""
        return None

    def __add__(self, other: Dictionary) -> Concat:
        left = self.parts if isinstance(self, Concat) else [self]
        right = other.parts if isinstance(other, Concat) else [other]
        return Concat(left + right)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({args})"

    def _syms(self):
        s = symbols_for(self.names_)
        return [s[n] for n in self.names_]


class Polynomial(Dictionary):
    """All monomials of the variables up to ``degree`` (with the constant when ``include_bias``)."""

    def __init__(self, degree: int = 2, include_bias: bool = True):
        self.degree = degree
        self.include_bias = include_bias

    def fit(self, X, names):
        super().fit(X, names)
        n = len(self.names_)
        powers = []
        for d in range(0 if self.include_bias else 1, self.degree + 1):
            for combo in itertools.combinations_with_replacement(range(n), d):
                p = np.zeros(n, int)
                for i in combo:
                    p[i] += 1
                powers.append(p)
        self.powers_ = np.array(powers).reshape(-1, n)
        return self

    def transform(self, X):
        X = np.asarray(X, float)
        out = np.ones((X.shape[0], len(self.powers_)))
        for j, p in enumerate(self.powers_):
            for i in np.nonzero(p)[0]:
                out[:, j] *= X[:, i] if p[i] == 1 else X[:, i] ** p[i]
        return out

    def terms(self):
        xs = self._syms()
        return [sp.Mul(*[x**int(k) for x, k in zip(xs, p)]) for p in self.powers_]


class RBF(Dictionary):
    """Radial basis functions ``exp(-(ε‖x − c‖)²)`` (or thin-plate ``r² log r``) at ``n_centers`` centres.

    Centres are k-means centres of the (standardised) data; ``epsilon`` defaults
    to the inverse median distance between centres.
    """

    def __init__(self, n_centers: int = 20, kernel: str = "gauss", epsilon: float | None = None,
                 random_state=0):
        self.n_centers = n_centers
        self.kernel = kernel
        self.epsilon = epsilon
        self.random_state = random_state

    def fit(self, X, names):
        super().fit(X, names)
        from scipy.cluster.vq import kmeans2

        X = np.asarray(X, float)
        self.scale_ = np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
        k = min(self.n_centers, len(X))
        rng = np.random.default_rng(self.random_state)
        centres, _ = kmeans2(X / self.scale_, k, minit="++", seed=rng)
        self.centers_ = centres * self.scale_
        if self.epsilon is None:
            d = np.linalg.norm((centres[:, None] - centres[None]), axis=2)
            med = np.median(d[np.triu_indices(k, 1)]) if k > 1 else 1.0
            self.epsilon_ = 1.0 / max(med, 1e-12)
        else:
            self.epsilon_ = float(self.epsilon)
        return self

    def transform(self, X):
        Z = np.asarray(X, float) / self.scale_
        C = self.centers_ / self.scale_
        r2 = np.sum((Z[:, None, :] - C[None]) ** 2, axis=2)
        if self.kernel == "gauss":
            return np.exp(-(self.epsilon_**2) * r2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nan_to_num(0.5 * r2 * np.log(r2))

    def terms(self):
        xs = self._syms()
        out = []
        for c in self.centers_:
            r2 = sum(((x - float(ci)) / float(s)) ** 2 for x, ci, s in zip(xs, c, self.scale_))
            out.append(sp.exp(-float(self.epsilon_**2) * r2) if self.kernel == "gauss"
                       else r2 * sp.log(r2) / 2)
        return out


class Fourier(Dictionary):
    """``sin`` and ``cos`` of ``k · 2π (x − min) / range`` for k = 1 … ``n_frequencies``, per variable."""

    def __init__(self, n_frequencies: int = 2):
        self.n_frequencies = n_frequencies

    def fit(self, X, names):
        super().fit(X, names)
        X = np.asarray(X, float)
        self.low_ = X.min(axis=0)
        span = X.max(axis=0) - self.low_
        self.span_ = np.where(span > 0, span, 1.0)
        return self

    def transform(self, X):
        Z = 2 * np.pi * (np.asarray(X, float) - self.low_) / self.span_
        cols = []
        for i in range(Z.shape[1]):
            for k in range(1, self.n_frequencies + 1):
                cols += [np.sin(k * Z[:, i]), np.cos(k * Z[:, i])]
        return np.column_stack(cols)

    def terms(self):
        out = []
        for x, lo, sp_ in zip(self._syms(), self.low_, self.span_):
            z = 2 * sp.pi * (x - float(lo)) / float(sp_)
            for k in range(1, self.n_frequencies + 1):
                out += [sp.sin(k * z), sp.cos(k * z)]
        return out


class Delays(Dictionary):
    """The states at the ``delays`` previous samples: ``x(t − dt), …, x(t − delays·dt)``.

    Symbols are named ``<variable>_lag<j>``.
    """

    def __init__(self, delays: int = 1):
        self.delays = delays

    @property
    def lag(self) -> int:  # type: ignore[override]
        return self.delays

    def transform(self, X):
        X = np.asarray(X, float)
        m, d = X.shape[0], self.delays
        return np.concatenate([X[d - j:m - j] for j in range(1, d + 1)], axis=1)

    def terms(self):
        return [sp.Symbol(f"{n}_lag{j}", real=True) for j in range(1, self.delays + 1) for n in self.names_]


class Custom(Dictionary):
    """User terms given as text over the variable names, e.g. ``["sin(x)", "x*y**2"]``."""

    def __init__(self, expressions=()):
        self.expressions = expressions

    def fit(self, X, names):
        super().fit(X, names)
        self.exprs_ = [parse_expr(e, self.names_) if isinstance(e, str) else sp.sympify(e)
                       for e in self.expressions]
        self.fn_ = sp.lambdify(self._syms(), self.exprs_, "numpy")
        return self

    def transform(self, X):
        X = np.asarray(X, float)
        vals = self.fn_(*X.T)
        return np.column_stack([np.broadcast_to(np.asarray(v, float), (X.shape[0],)) for v in vals])

    def terms(self):
        return list(self.exprs_)


class Concat(Dictionary):
    """Several dictionaries side by side (what ``a + b`` builds)."""

    def __init__(self, parts=()):
        self.parts = list(parts)

    @property
    def lag(self) -> int:  # type: ignore[override]
        return max((p.lag for p in self.parts), default=0)

    def fit(self, X, names):
        super().fit(X, names)
        for p in self.parts:
            p.fit(X, names)
        return self

    def transform(self, X):
        X = np.asarray(X, float)
        L = self.lag
        outs = []
        for p in self.parts:
            Z = p.transform(X[L - p.lag:])
            outs.append(Z)
        return np.concatenate(outs, axis=1)

    def terms(self):
        out = []
        for p in self.parts:
            t = p.terms()
            if t is None:
                return None
            out.extend(t)
        return out
