"""Extended DMD: the Koopman operator on a dictionary of observables, with verified eigenpairs.

:class:`EDMD` evaluates a dictionary ``ψ`` (polynomials, radial basis
functions, Fourier terms, time delays, user formulas — combined with ``+``)
on every snapshot pair of every trajectory (never a pair across a trajectory
boundary), fits ``ψ(x_{k+1}) ≈ ψ(x_k) K`` by least squares and reads the
Koopman spectrum off ``K``. Each eigenpair ``(λ, ξ)`` gives an eigenfunction
``φ(x) = ψ(x) ξ``: a sympy formula when the dictionary is symbolic. Each
carries its residual (residual DMD, Colbrook & Townsend); eigenpairs that the
dictionary cannot represent have large residuals and are flagged spurious.

Examples
--------
The slow-manifold system ``x' = μx, y' = λ(y − x²)``: eigenvalues μ, λ, 2μ
and the eigenfunction ``y − b x²`` with ``b = λ / (λ − 2μ)``.

>>> import numpy as np
>>> from discover.data import from_arrays
>>> from discover.operators.edmd import EDMD
>>> mu, lam, t = -0.1, -1.0, np.arange(40) * 0.1
>>> b = lam / (lam - 2 * mu)
>>> def traj(x0, y0):
...     x = x0 * np.exp(mu * t)
...     return np.c_[x, (y0 - b * x0**2) * np.exp(lam * t) + b * x**2]
>>> s = from_arrays([traj(1.0, 0.5), traj(-0.7, 1.2), traj(0.4, -0.8)], t=t, names=["x", "y"])
>>> model = EDMD().fit(s)
>>> w = model.continuous_eigenvalues_[~model.spurious_]
>>> np.sort(np.round(w.real, 6)) + 0.0
array([-1. , -0.2, -0.1,  0. ])
>>> model.eigenfunction(lam)
-1.25*x**2 + y
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..base import Interval, Method, Options, check_is_fitted
from ..findings import Spectrum
from ._common import as_data, blas_threads
from .dictionaries import Dictionary, Polynomial
from .residual import auto_threshold, eigenpair_residuals, pseudospectrum

__all__ = ["EDMD"]


class EDMD(Method):
    """Extended dynamic mode decomposition over a (symbolic) dictionary.

    Parameters
    ----------
    dictionary : Dictionary or None, default None
        Observables; ``None`` means ``Polynomial(2)``. Combine with ``+``,
        e.g. ``Polynomial(2) + Custom(["sin(x)"]) + Delays(1)``.
    rank : int or None, default None
        Truncate the dictionary's data to this many singular directions
        before the least squares (regularisation for large dictionaries).
    residual_threshold : "auto" or float, default "auto"
        Eigenpairs with a larger relative residual are flagged spurious;
        ``"auto"`` puts the threshold in the widest gap (of at least two
        decades) of the residuals below 0.1, else at 0.1.
    coefficient_tol : float, default 1e-8
        Eigenfunction coefficients smaller than this (relative to the
        largest) are dropped from the sympy formulas.

    Attributes
    ----------
    K_ : ndarray (p, p)
        The Koopman matrix on the dictionary, ``Ψ_Y ≈ Ψ_X K``.
    eigenvalues_, continuous_eigenvalues_ : ndarray of complex
        Sorted: trusted first, then slowest first.
    eigenvectors_ : ndarray (p, r)
        Coefficients ξ of the eigenfunctions in the dictionary.
    residuals_, spurious_ : ndarray
    eigenfunctions_ : list of sympy.Expr or None
    modes_ : ndarray (n_features, r)
        Koopman modes of the state: ``x ≈ Σ_j φ_j(x) modes_[:, j]``.
    """

    name = "edmd"
    _parameter_constraints = {
        "dictionary": [None, Dictionary],
        "rank": [None, Interval(int, 1, None)],
        "residual_threshold": [Options("auto"), Interval(float, 0, None, closed="left")],
        "coefficient_tol": [Interval(float, 0, 1)],
    }

    def __init__(self, *, dictionary=None, rank=None, residual_threshold="auto", coefficient_tol=1e-8):
        self.dictionary = dictionary
        self.rank = rank
        self.residual_threshold = residual_threshold
        self.coefficient_tol = coefficient_tol

    def fit(self, series, y=None, *, t=None):
        """Fit to a :class:`~discover.data.Series` (or an array ``(n_samples, n_features)``)."""
        self._validate_params()
        data = as_data(series, t, owner="EDMD")
        import copy

        D = copy.deepcopy(self.dictionary) if self.dictionary is not None else Polynomial(2)
        self.variables_ = data.variables
        self.dt_ = data.dt
        self.n_features_in_ = data.n_features
        if not data.regular:
            from ..errors import DataError

            raise DataError("EDMD needs a constant time step (resample the data first)")
        Xall = np.concatenate(data.xs) if len(data.xs) > 1 else data.xs[0]
        with blas_threads(Xall.size * 10):
            return self._fit(data, D, Xall)

    def _fit(self, data, D, Xall):
        D.fit(Xall, data.variables)
        self.dictionary_ = D
        L = D.lag
        px, py, xs_target = [], [], []
        if L == 0:  # one call on all samples, then split per trajectory
            P_all = D.transform(Xall)
            cuts = np.cumsum([0] + [len(x) for x in data.xs])
            parts = [P_all[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        else:
            parts = [D.transform(xk) if len(xk) >= L + 2 else None for xk in data.xs]
        for xk, P in zip(data.xs, parts):
            if len(xk) < L + 2:
                continue
            px.append(P[:-1])
            py.append(P[1:])
            xs_target.append(np.asarray(xk[L:-1], float))
        if not px:
            from ..errors import DataError

            raise DataError(f"EDMD: every trajectory is shorter than the dictionary's lag + 2 ({L + 2})")
        PX, PY = np.concatenate(px), np.concatenate(py)
        Xt = np.concatenate(xs_target)
        if self.rank is not None:
            U, s, Vt = np.linalg.svd(PX, full_matrices=False)
            r = min(self.rank, len(s))
            K = Vt[:r].T @ ((U[:, :r].T @ PY) / s[:r, None])
        else:
            K = np.linalg.lstsq(PX, PY, rcond=None)[0]
        lam, Xi = np.linalg.eig(K)
        res = eigenpair_residuals(PX, PY, lam, Xi)
        thr = auto_threshold(res) if self.residual_threshold == "auto" else self.residual_threshold
        self.residual_threshold_ = thr
        spurious = res > thr
        with np.errstate(divide="ignore"):
            alpha = np.log(lam.astype(complex)) / self.dt_
        # trusted first, then slowest (largest |λ|) first
        order = np.lexsort((-np.abs(lam), spurious))
        lam, Xi, res, spurious, alpha = lam[order], Xi[:, order], res[order], spurious[order], alpha[order]
        self.K_ = K
        self._formulas_cache = None
        self.eigenvalues_ = lam
        self.continuous_eigenvalues_ = alpha
        self.eigenvectors_ = Xi
        self.residuals_ = res
        self.spurious_ = spurious
        self._psi = (PX, PY)
        # Koopman modes of the state: X ≈ Ψ C = (Ψ Ξ)(Ξ⁻¹ C)
        C = np.linalg.lstsq(PX, Xt, rcond=None)[0]
        try:
            self.modes_ = (np.linalg.solve(Xi, C.astype(complex))).T
        except np.linalg.LinAlgError:
            self.modes_ = (np.linalg.pinv(Xi) @ C).T
        return self

    @property
    def eigenfunctions_(self) -> list | None:
        """Eigenfunctions as sympy formulas over the variables (``None`` for a non-symbolic dictionary)."""
        check_is_fitted(self, "eigenvalues_")
        if getattr(self, "_formulas_cache", None) is None:
            self._formulas_cache = (self._formulas(),)
        return self._formulas_cache[0]

    # ------------------------------------------------------------------
    def _formulas(self):
        terms = self.dictionary_.terms()
        if terms is None:
            return None
        out = []
        for j in range(self.eigenvectors_.shape[1]):
            xi = self.eigenvectors_[:, j].astype(complex)
            big = np.abs(xi).max()
            keep = np.abs(xi) > self.coefficient_tol * big
            # normalise by the first term kept (dictionary order: lowest degree first)
            first = int(np.argmax(keep))
            xi = xi / xi[first]
            real = abs(self.eigenvalues_[j].imag) < 1e-12 and np.allclose(xi.imag, 0, atol=1e-9)
            expr = sp.Integer(0)
            for i, (c, term, k) in enumerate(zip(xi, terms, keep)):
                if not k:
                    continue
                coef = sp.Integer(1) if i == first else sp.Float(round(c.real, 12)) if real else sp.Float(round(c.real, 12)) + sp.I * sp.Float(
                    round(c.imag, 12))
                expr += coef * term
            out.append(expr)
        return out

    def eigenfunction(self, continuous_eigenvalue: complex):
        """The sympy formula of the eigenfunction whose continuous-time eigenvalue is nearest."""
        check_is_fitted(self, "eigenvalues_")
        j = int(np.argmin(np.abs(self.continuous_eigenvalues_ - continuous_eigenvalue)))
        return None if self.eigenfunctions_ is None else self.eigenfunctions_[j]

    def eigenfunction_values(self, X) -> np.ndarray:
        """Eigenfunctions evaluated on states ``X`` (rows; needs ``lag`` extra rows for delays)."""
        check_is_fitted(self, "eigenvalues_")
        return self.dictionary_.transform(np.asarray(X, float)) @ self.eigenvectors_

    def predict(self, x0, n_steps: int) -> np.ndarray:
        """``n_steps`` states from ``x0`` (or from a history of ``lag + 1`` rows for delay dictionaries)."""
        check_is_fitted(self, "eigenvalues_")
        H = np.atleast_2d(np.asarray(x0, float))
        phi0 = (self.dictionary_.transform(H) @ self.eigenvectors_)[-1]
        k = np.arange(n_steps)[:, None]
        return ((self.eigenvalues_[None, :] ** k) * phi0) @ self.modes_.T

    def pseudospectrum(self, grid) -> np.ndarray:
        """Residual pseudospectrum (discrete time) on a grid of complex points."""
        check_is_fitted(self, "eigenvalues_")
        return pseudospectrum(*self._psi, grid)

    def findings(self) -> list:
        check_is_fitted(self, "eigenvalues_")
        headline = [complex(z) for z in self.continuous_eigenvalues_[~self.spurious_]]
        return [Spectrum(
            eigenvalues=self.eigenvalues_, dt=self.dt_, modes=self.modes_, residuals=self.residuals_,
            spurious=self.spurious_, variables=self.variables_, eigenfunctions=self.eigenfunctions_,
            method=self.name,
            metrics={"dictionary": repr(self.dictionary_), "n_observables": int(self.K_.shape[0]),
                     "n_spurious": int(self.spurious_.sum()), "headline": headline},
        )]
