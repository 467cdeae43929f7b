"""Dynamic mode decomposition: spectrum, modes, amplitudes, forecasts, verified eigenpairs.

:class:`DMD` fits a linear model ``x_{k+1} = A x_k`` (or ``x_{k+1} = A x_k +
B u_k`` with inputs, DMDc) in the subspace of the leading singular vectors of
the snapshots, never forming ``A`` in the full state dimension. Variants:

``"exact"``
    Exact DMD (Tu et al.): least squares in the POD subspace, exact modes.
``"fb"``
    Forward-backward DMD (Dawson et al.): the geometric mean of the forward
    operator and the inverse of the backward one; removes the noise bias of
    exact DMD to first order.
``"tls"``
    Total-least-squares DMD (Hemati et al.): both snapshot sets are projected
    on the leading temporal subspace of the stacked pair.
``"opt"``
    Optimized DMD (Askham & Kutz): the continuous-time eigenvalues are fitted
    to all snapshots at once by variable projection; takes irregular time
    steps and several trajectories; the most accurate under noise.
``"bop"``
    BOP-DMD (Sashidhar & Kutz): optimized DMD plus ``n_bags`` fits on random
    subsets of the snapshots, giving a standard deviation per eigenvalue.
``"auto"`` (default)
    Looks at the data: DMDc when there are inputs, ``"opt"`` when the time
    steps are irregular, the singular values show noise beyond the chosen
    rank, or (with few channels, where there is no such tail) exact DMD's
    one-step error exceeds 1e-6; ``"exact"`` otherwise.

With ``delays="auto"`` (default), data with few columns are checked before
the fit: when a delay embedding of the columns has a larger rank than the
columns themselves (a single observed column of an oscillation, or fewer
channels than the dynamics need), no linear map on the columns alone can
hold the dynamics and their DMD spectrum would be wrong. DMD then runs on
the delay-embedded series (through :class:`~discover.operators.hankel.HankelDMD`,
with the same options), says so in a :class:`~discover.errors.DataWarning`
and in the spectrum's metrics (``delays``, ``embedding``), and reports modes,
reconstructions and forecasts in the original columns. ``delays=1`` turns
this off; an int ``delays > 1`` always embeds.

The rank is chosen by the optimal hard threshold of Gavish & Donoho (unknown
noise level) unless given (an int, or a float in (0, 1) for an energy
fraction). Every eigenpair carries its residual (residual DMD): the relative
one-step error of its eigenfunction on the data, compared with what noise
alone would give. A large residual alone does not make a mode spurious: real
cycles in real data (a solar cycle in yearly sunspot counts, a seasonal
cycle under weather) are driven by noise and never close exactly in one
step. So the fit is repeated on ``stability_windows`` overlapping windows of
half the record each (fresh fits in the full fit's POD coordinates, same
rank and variant), and a mode whose residual is too large is flagged
``spurious`` (and left out of the headline spectrum) only when the windows
do not reproduce it either: a mode is reproduced when the median distance
from its eigenvalue to its match in the windows is below half its distance
to the nearest other eigenvalue and below ``0.1 |ω| + 2π / T`` (``T`` the
window's duration, its frequency resolution), and when it is resolved by
the sampling: it lives for a few samples (``|Re ω| Δt < 0.5``) and its
period spans at least 3 samples. The 10–90 % range of the window estimates
(widened to contain the full-data one) is each eigenvalue's interval; the
spectrum reports periods and growth times in the time column's unit.

The window test tells a reproducible mode from a fitting artefact; it is not
a significance test against red noise. On a delay-embedded series of red
noise (an AR(1) process, a random walk) the embedding itself shapes
oscillations at periods set by the number of delays, the windows reproduce
them, and they are reported as modes (the residual test alone called them
spurious); judge long-lived modes of a single noisy column with that in mind.

Examples
--------
>>> import numpy as np
>>> from discover.data import from_arrays
>>> from discover.operators.dmd import DMD
>>> t = np.arange(200) * 0.05
>>> x = np.c_[np.exp(-0.1 * t) * np.cos(2 * t), np.exp(-0.1 * t) * np.sin(2 * t)]
>>> model = DMD().fit(from_arrays(x, t=t, names=["a", "b"]))
>>> np.round(np.sort_complex(model.continuous_eigenvalues_), 6)
array([-0.1-2.j, -0.1+2.j])

One observed column of two damped oscillations (four eigenvalues): the
default embeds it in delays by itself.

>>> import warnings
>>> y = np.exp(-0.1 * t) * np.cos(2 * t) + 0.7 * np.exp(-0.3 * t) * np.sin(0.5 * t + 1)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     model = DMD().fit(y, t=t)
>>> model.delays_
30
>>> np.round(np.sort_complex(model.continuous_eigenvalues_), 6)
array([-0.3-0.5j, -0.3+0.5j, -0.1-2.j , -0.1+2.j ])
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import sympy as sp

from ..base import Interval, Method, Options, check_is_fitted
from ..errors import DataError, DataWarning, NumericalError
from ..findings import Equation, Simulation, Spectrum, symbols_for
from ._common import as_data, blas_threads, check_finite_data
from ._linalg import (
    CHUNK,
    _times_right,
    _xq,
    capped_noise,
    difference_noise,
    gd_noise_sigma,
    in_threads,
    known_noise_rank,
    optimal_rank,
    real_times,
    temporal_svd,
    unit_columns,
)
from ._varpro import conjugate_structure, varpro, varpro_real
from .residual import eigenpair_residuals, expected_noise_residual, pseudospectrum

__all__ = ["DMD"]

_VARIANTS = ("auto", "exact", "fb", "tls", "opt", "bop", "dmdc")

#: The automatic delay check runs on data with at most this many columns
#: (more columns give at most 2 delays, and the check would cost an SVD of
#: twice the data).
AUTO_DELAY_MAX_FEATURES = 30
#: ... and when the embedded matrix has at most this many entries.
AUTO_DELAY_MAX_SIZE = 20_000_000
#: The window test (stability and intervals) runs on data of at most this
#: many values (it costs about ``stability_windows / 2`` fits).
STABILITY_MAX_SIZE = 5_000_000
#: A direction the embedding reveals counts only above this fraction of the
#: largest singular value: integrator error (~1e-10) in clean simulated
#: data of a linear system must not look like extra dynamics.
REVEAL_TOL = 1e-8
#: Temporal directions beyond the rank kept for the whitened refit of ``weights="auto"``.
REWEIGHT_EXTRA = 20
#: Below this noise ratio (energy beyond the rank) the projected residual of ``_reweight`` would lose
#: digits to rounding, and the residual is taken in a pass over the data.
PROJECTED_MIN_NOISE = 1e-4


class _Delays:
    """Constraint for ``delays``: "auto" or an int >= 1."""

    def accepts(self, v):
        return v == "auto" or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1)

    def describe(self):
        return "'auto' or an int in the range [1, inf)"


class _Rank:
    """Constraint for ``rank``: "auto", a positive int, or a float in (0, 1)."""

    def accepts(self, v):
        if isinstance(v, bool):
            return False
        if isinstance(v, str):
            return v == "auto"
        if isinstance(v, numbers.Integral):
            return v >= 1
        if isinstance(v, numbers.Real):
            return 0 < v < 1
        return False

    def describe(self):
        return "'auto', a positive int or a float in the range (0, 1)"


#: Snapshots (over all trajectories) above which variable projection fits on every k-th one.
VARPRO_MAX_SAMPLES = 20_000


def _thin(ts, Zs, alpha0, limit: int = VARPRO_MAX_SAMPLES):
    """Every ``stride``-th sample of each trajectory, so that at most about ``limit`` remain.

    The model ``z(t) = Σ b_j exp(α_j t)`` holds at any sampling, so thinning
    costs only precision, never bias, as long as no eigenvalue's frequency
    aliases: the stride keeps the fastest starting frequency below a quarter
    turn per kept step. Each trajectory keeps its first sample (its amplitudes
    refer to it). Returns ``(ts, Zs, stride)``.
    """
    total = sum(len(t) for t in ts)
    if total <= limit:
        return ts, Zs, 1
    stride = int(np.ceil(total / limit))
    steps = [np.diff(t) for t in ts if len(t) > 1]
    dt = float(min(np.min(d) for d in steps)) if steps else 0.0
    w = float(np.max(np.abs(np.imag(alpha0)))) if np.size(alpha0) else 0.0
    if w > 0 and dt > 0:
        stride = min(stride, max(1, int((np.pi / 2) / (w * dt))))
    if stride <= 1:
        return ts, Zs, 1
    return [t[::stride] for t in ts], [z[::stride] for z in Zs], stride


class DMD(Method):
    """Dynamic mode decomposition with automatic rank and variant.

    Parameters
    ----------
    rank : "auto", int or float, default "auto"
        Number of modes; ``"auto"`` is the Gavish–Donoho optimal hard
        threshold; a float in (0, 1) keeps that fraction of the energy.
    variant : {"auto", "exact", "fb", "tls", "opt", "bop", "dmdc"}, default "auto"
        See the module documentation.
    n_bags : int, default 30
        Number of bagged fits for ``variant="bop"``.
    bag_fraction : float, default 0.6
        Fraction of snapshots in each bag.
    residual_threshold : float, default 0.1
        An eigenpair fails the residual test when its residual exceeds this
        value plus three times the residual that the estimated noise alone
        would give; it is spurious when it also fails the window test.
    stability_windows : int, default 8
        Number of half-length windows refitted for the stability test and
        the eigenvalue intervals (see the module documentation); ``0``
        turns both off (the residual test alone decides). Skipped, with a
        note in the spectrum's metrics, for DMDc, records too short to
        resolve the rank in half of them, and data of more than
        ``STABILITY_MAX_SIZE`` values.
    svd : {"auto", "svd", "gram", "randomized"}, default "auto"
        How the snapshots are decomposed; ``"gram"`` (chosen automatically for
        wide data) works from the m×m Gram matrix of the snapshots, block by
        block over the columns.
    use_inputs : bool, default True
        Fit DMDc when the series has inputs.
    max_iter : int, default 100
        Iterations of the variable-projection solver.
    conjugate_pairs : bool, default True
        Optimized DMD (``"opt"``, ``"bop"``) fits the eigenvalues of the real
        data as exact conjugate pairs ``a ± iω`` (and real ones), with
        conjugate modes: half the nonlinear unknowns (real arithmetic) and
        a spectrum exactly closed under conjugation. On real data the
        unconstrained fit, started from a conjugate-closed guess, reaches
        the same optimum (to about 1e-8), so this is a guarantee of
        structure rather than of accuracy. Used whenever the initial
        eigenvalues pair up
        (otherwise, and with ``False``, the unconstrained complex fit);
        ``solver_info_["conjugate_pairs"]`` says which ran.
    weights : "auto" or None, default "auto"
        With ``"auto"``, optimized DMD on noisy data estimates each channel's
        noise level from its residual and refits on whitened channels when
        the levels differ (the maximum-likelihood fit for unequal noise).
    delays : "auto" or int, default "auto"
        Delay embedding of the columns before DMD. ``"auto"``: embed (with
        :class:`~discover.operators.hankel.HankelDMD`'s default number of
        delays, enough for about 30 embedded columns) when the data have
        at most 30 columns, no inputs, a constant time step, and a delay
        embedding reveals a larger rank than the columns have; a
        :class:`~discover.errors.DataWarning` says so. ``1``: never embed.
        An int above 1: always embed with that many delays.
    random_state : int, Generator or None
        Seed of bagging and randomized SVD.

    Attributes
    ----------
    eigenvalues_ : ndarray of complex, shape (r,)
        Discrete-time eigenvalues (one step of ``dt_``).
    continuous_eigenvalues_ : ndarray of complex
        ``log(eigenvalues_) / dt_``.
    modes_ : ndarray of complex, shape (n_features, r)
        Unit-norm DMD modes.
    amplitudes_ : ndarray of complex, shape (r,)
        Amplitudes of the modes in the first trajectory (at its first time).
    residuals_, spurious_ : ndarray, shape (r,)
        Residual DMD verification; ``spurious_`` = fails the residual test
        (``residual_flags_``) and is not reproduced by the windows (``stable_``).
    residual_flags_, stable_ : ndarray of bool, shape (r,)
        The two tests (``stable_`` is None when the windows were skipped).
    eigenvalue_intervals_ : ndarray of complex, shape (r, 2) or None
        Lower and upper bounds of the real and imaginary parts of each
        continuous-time eigenvalue over the windows.
    rank_, variant_, dt_ : chosen rank, variant and time step.
    reconstruction_error_ : float
        Relative Frobenius error of the model's reconstruction of the data.
    eigenvalue_std_ : ndarray or None
        Standard deviation of the continuous-time eigenvalues over the bags (BOP-DMD).
    delays_ : int
        Delays used (1: none).
    embedding_ : HankelDMD or None
        The fitted delay-embedding wrapper when ``delays_ > 1``; the model
        itself is ``embedding_.estimator_``, and ``embedding_reason_`` says
        why it was chosen.
    """

    name = "dmd"
    _parameter_constraints = {
        "rank": [_Rank()],
        "variant": [Options(*_VARIANTS)],
        "n_bags": [Interval(int, 2, None)],
        "bag_fraction": [Interval(float, 0, 1, closed="right")],
        "residual_threshold": [Interval(float, 0, None, closed="left")],
        "stability_windows": [Interval(int, 0, None)],
        "svd": [Options("auto", "svd", "gram", "randomized")],
        "use_inputs": [bool],
        "max_iter": [Interval(int, 1, None)],
        "conjugate_pairs": [bool],
        "weights": [Options("auto"), None],
        "delays": [_Delays()],
        "random_state": ["random_state"],
    }

    def __init__(self, *, rank="auto", variant="auto", n_bags=30, bag_fraction=0.6, residual_threshold=0.1,
                 stability_windows=8, svd="auto", use_inputs=True, max_iter=100, conjugate_pairs=True,
                 weights="auto", delays="auto", random_state=None):
        self.rank = rank
        self.variant = variant
        self.n_bags = n_bags
        self.bag_fraction = bag_fraction
        self.residual_threshold = residual_threshold
        self.stability_windows = stability_windows
        self.svd = svd
        self.use_inputs = use_inputs
        self.max_iter = max_iter
        self.conjugate_pairs = conjugate_pairs
        self.weights = weights
        self.delays = delays
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, series, y=None, *, t=None, u=None):
        """Fit to a :class:`~discover.data.Series` or an array ``(n_samples, n_features)``.

        ``t`` (time stamps) and ``u`` (inputs) are used only with an array.
        """
        self._validate_params()
        data = as_data(series, t, u, owner=type(self).__name__, check_finite=False)
        if data.n_features <= AUTO_DELAY_MAX_FEATURES:  # read before the fit (delay check, SVD): check now
            check_finite_data(data.xs, total=sum(float(np.sum(x)) for x in data.xs))
        # wider data are first read by the fit's per-channel energies, which show any NaN or inf (_decompose)
        self.embedding_, self.embedding_reason_, self.delays_ = None, None, 1
        self.streamed_ = None
        d, reason = self._choose_delays(data)
        if d > 1:
            return self._fit_embedded(series, t, data, d, reason)
        size = sum(x.size for x in data.xs)
        with blas_threads(size):
            self.scale_ = None
            self._fit(data, self.rank, self.variant, modes=False)
            if (self.weights == "auto" and self.variant_ in ("opt", "bop") and self.noise_level_ > 0
                    and data.n_features > 1):  # no size limit: the refit forms nothing of the data's size
                self._reweight(data)
            if self.modes_ is None:  # not reweighted: the modes of the first fit (one product, formed once)
                self.modes_ = unit_columns(self.V_, self.Qr_)[0]
            self._basis = None  # the first fit's wider basis, only needed by _reweight
            self._classify(data, size)
        return self

    # ------------------------------------------------------- delay embedding
    def _choose_delays(self, data) -> tuple[int, str | None]:
        """Delays to embed with (1: none) and why.

        ``"auto"`` compares the rank of the columns with the rank of their
        delay embedding (Gavish–Donoho threshold, and at least
        ``REVEAL_TOL`` of the largest singular value): more directions in the
        embedding mean the columns do not hold the state, so DMD on them
        would fit a spectrum of the wrong size.
        """
        if self.delays != "auto":
            d = int(self.delays)
            return d, (f"delays={d} given" if d > 1 else None)
        from .hankel import hankel_embed

        n = data.n_features
        uses_inputs = self.use_inputs and bool(data.inputs) and data.us is not None
        mmin = min(len(x) for x in data.xs)
        if uses_inputs or self.variant == "dmdc" or n > AUTO_DELAY_MAX_FEATURES or mmin < 8 or not data.regular:
            return 1, None
        d = _auto_delays(n, mmin)
        rows = sum(len(x) - d + 1 for x in data.xs)
        if rows * n * d > AUTO_DELAY_MAX_SIZE:
            return 1, None

        def revealed(M, noise):
            s = np.linalg.svd(M, compute_uv=False)
            if s.size == 0 or s[0] <= 0:
                return 0
            return min(optimal_rank(s, M.shape, "auto", noise=noise), int(np.sum(s > REVEAL_TOL * s[0])))

        X = np.concatenate([np.asarray(x, float) for x in data.xs])
        noise = difference_noise(data.xs)  # a delay copy has the same noise per entry
        r_cols = revealed(X, noise)
        r_emb = revealed(np.concatenate([hankel_embed(x, d) for x in data.xs]), noise)
        if r_emb <= r_cols:
            return 1, None
        what = "1 column" if n == 1 else f"{n} columns"
        return d, (f"{what} of rank {r_cols}, while a {d}-delay embedding reveals rank {r_emb}: "
                   f"DMD ran on the delay-embedded series (delays={d}; delays=1 turns this off)")

    def _fit_embedded(self, series, t, data, d, reason):
        """DMD of the delay-embedded series through :class:`HankelDMD`, reported in the original columns."""
        from sklearn.base import clone

        from .hankel import HankelDMD

        if reason and self.delays == "auto":
            warnings.warn(f"dmd: {reason}", DataWarning, stacklevel=3)
        inner = clone(self).set_params(delays=1)
        h = HankelDMD(estimator=inner, delays=d).fit(series, t=t)
        est = h.estimator_
        self.embedding_, self.embedding_reason_, self.delays_ = h, reason, d
        for name in ("eigenvalues_", "continuous_eigenvalues_", "amplitudes_", "traj_amplitudes_", "residuals_",
                     "noise_residuals_", "spurious_", "rank_", "variant_", "dt_", "noise_ratio_", "noise_level_",
                     "eigenvalue_std_", "fallback_", "eigenfunction_coefficients_", "residual_flags_", "stable_",
                     "eigenvalue_intervals_", "stability_note_", "time_unit_", "stability_deviation_"):
            setattr(self, name, getattr(est, name))
        if hasattr(est, "solver_info_"):
            self.solver_info_ = est.solver_info_
        self.B_ = None
        self.variables_ = data.variables
        self.inputs_ = ()
        self.time_unit_ = data.time
        self.n_features_in_ = data.n_features
        self.modes_ = h.modes_
        self._t0 = data.ts[0] - data.ts[0][0]
        self._t_origin = float(data.ts[0][0])  # the run is reported on the data's time axis
        self._ts = [tk - tk[0] for tk in data.ts]
        num = sum(float(np.sum((x - self.reconstruct(k, tk)) ** 2)) for k, (tk, x) in enumerate(zip(self._ts, data.xs)))
        den = sum(float(np.sum(np.square(x))) for x in data.xs)
        self.reconstruction_error_ = float(np.sqrt(num / max(den, 1e-300)))
        return self

    def _reweight(self, data):
        """Refit with each channel scaled by its own noise level (heteroscedastic noise).

        The noise of a channel is estimated from its residual after the
        first fit; when the levels differ (by more than 20 %), the fit is
        repeated on the whitened channels at the same rank and variant — the
        maximum-likelihood fit for Gaussian noise of unequal levels.

        Nothing of the data's size is formed and the data are read once more
        (for the whitened reduced trajectories). The residual per channel is
        the projected residual, from quantities of the first fit: the
        channel's energy, its coordinates in the leading ``k = r + 20``
        temporal directions and the model's reduced trajectory. The whitened
        data's leading temporal subspace is found by Rayleigh–Ritz in the same
        ``k`` directions. Both are exact when those directions hold all the
        data (up to ``k`` channels); for wider data they leave out the
        noise-only directions beyond ``k`` (second order in the noise), and
        on data so clean that the projected residual would lose digits to
        rounding, the residual is taken in one pass over the data instead.
        The solver starts from the first fit's eigenvalues.
        """
        r = int(self.rank_)
        Wk, sk, Vk, colsq1, colsum1 = self._basis
        zhat = [self._reduced_model(k, t - t[0]) for k, t in enumerate(data.ts)]
        exact = self.noise_ratio_ < PROJECTED_MIN_NOISE and Wk.shape[1] < min(sum(len(x) - 1 for x in data.xs),
                                                                              data.n_features)
        moments = (_residual_moments(data.xs, zhat, self.V_) if exact else
                   _projected_moments(data.xs, zhat, self.V_, Wk, sk, Vk, colsq1, colsum1))
        s1, s2, count = moments
        sq = colsq1 + sum(np.asarray(x[-1], float) ** 2 for x in data.xs)
        sd = np.sqrt(np.maximum(s2 / count - (s1 / count) ** 2, 1e-13 * sq / count))
        if not np.all(sd > 0) or sd.max() < 1.2 * sd.min():
            return
        w = sd / np.exp(np.mean(np.log(sd)))  # geometric mean 1: keeps the data's scale
        # whitened data X D⁻¹: Rayleigh–Ritz in the span of W_k, where (X1 D⁻¹)ᵀ W_k = D⁻¹ V_k s_k is known
        T = Vk / w[:, None]
        T *= sk
        lam, Ub = np.linalg.eigh(T.T @ T)
        lam, Ub = lam[::-1], Ub[:, ::-1]
        if self.rank == "auto":
            # the automatic rank kept a margin of twice the noise edge for a bulk of unequal channel noise;
            # whitened, the noise is equal per entry and the known-noise threshold applies: directions the
            # margin left out (a weak mode at 1.9x the edge, 10^5 x 500) come back, none is dropped
            r = max(r, min(known_noise_rank(np.sqrt(np.maximum(lam, 0.0)), (int(count) - len(data.xs),
                                                                             data.n_features),
                                            float(np.exp(np.mean(np.log(sd / w))))),
                           r + REWEIGHT_EXTRA // 2))
        lam, Ub = lam[:r], Ub[:, :r]
        if lam[-1] <= 0:
            return
        sw = np.sqrt(lam)
        Vw = (T @ Ub) / sw  # spatial basis of the whitened data, n × r
        # one pass for the whitened trajectories: their projection on W_k (Rayleigh–Ritz, no pass) was
        # tried and dropped: it discards the noise beyond k directions unevenly and cost 3.7x in the
        # eigenvalue error on the 10^5 x 500 benchmark (2.0e-3 vs 5.5e-4), 12 % on damped channels
        Zs = [_xq(x, Vw / w[:, None]) for x in data.xs]
        total = float(np.sum(sq / w**2))
        tail = max(float(np.sum(colsq1 / w**2)) - float(np.sum(lam)), 0.0)
        noise_ratio = float(np.sqrt(tail / max(total, 1e-300)))
        sigma = float(np.exp(np.mean(np.log(sd / w))))  # whitened noise per entry
        # the whitened data have the same eigenvalues: the first fit's start the solver (39 -> 18 iterations)
        self._fit(data, r, self.variant_, basis=(Wk @ Ub, sw, Vw, Zs, noise_ratio, sigma, total),
                  alpha0=self.continuous_eigenvalues_, modes=False)
        self.scale_ = w
        # quantities in the original units
        self.modes_, nrm = unit_columns(self.V_ * w[:, None], self.Qr_)
        self.traj_amplitudes_ = [b * nrm for b in self.traj_amplitudes_]
        self.amplitudes_ = self.traj_amplitudes_[0]
        self._mode_norms = nrm
        zhat = [self._reduced_model(k, t - t[0]) for k, t in enumerate(data.ts)]
        U = self.V_ * w[:, None]
        _, err2, _ = (_residual_moments(data.xs, zhat, U) if exact else
                      _projected_moments(data.xs, zhat, U, Wk, sk, Vk, colsq1, colsum1))
        self.reconstruction_error_ = float(np.sqrt(np.sum(err2) / max(float(np.sum(sq)), 1e-300)))
        self.noise_level_ = float(np.mean(sd))

    def stream_refit(self, series, *, chunk_rows: int | None = None) -> str | None:
        """Refit the operator on every row of ``series`` from Gram matrices summed over row chunks.

        The rank, the variant and the channel weights stay those of this fit
        (on a subsample, under :func:`discover.fit`); the POD basis, the
        operator, the amplitudes, the residuals and the reconstruction error
        are those of every row (:mod:`discover.operators._streamed`). Returns
        None when refitted, else why not (delay embedding, DMDc, BOP-DMD,
        irregular steps).
        """
        from ._streamed import stream_refit

        return stream_refit(self, series, chunk_rows=chunk_rows)

    def _reduced_model(self, trajectory, t) -> np.ndarray:
        """The model's trajectory in the reduced coordinates ``z`` (``x ≈ z V_ᵀ``, whitened units), real."""
        b = self.traj_amplitudes_[trajectory]
        if self._mode_norms is not None:
            b = b / self._mode_norms
        return ((np.exp(np.outer(t, self.continuous_eigenvalues_)) * b) @ self.Qr_.T).real

    def _decompose(self, data, X1, rank, use_u):
        """Temporal SVD of the snapshots, spatial POD basis and reduced trajectories.

        Returns ``(W_r, s_r, V, Zs, noise_ratio, sigma, Σ x²)``. With exact
        singular vectors (``svd`` not ``"randomized"``), ``X1 V = W_r s_r``,
        so on noisy data the reduced trajectories cost only one product of
        each trajectory's last sample; the basis is one pass over the data.
        """
        # the time differences cap the spectrum's noise estimate (no noise bulk when few channels all carry signal)
        # (wide data, more columns than rows, always have a bulk of time directions: not needed there)
        # per-channel energies first: their sum is also the NaN/inf check of data not checked before (fit)
        colsq1 = _column_energies(X1)
        energy = float(np.sum(colsq1)) + sum(float(np.sum(np.square(x[-1], dtype=float))) for x in data.xs)
        check_finite_data(data.xs, total=energy)
        noise = difference_noise(data.xs) if data.regular and X1.shape[1] < X1.shape[0] else None
        W, s, r = temporal_svd(X1, method=self.svd, rank=rank, random_state=self.random_state, noise=noise)
        if use_u:  # the inputs may need more state modes than the free dynamics
            r = max(r, 1)
        if r == 0:
            raise DataError("the data are identically zero: nothing to decompose")
        # Noise: energy beyond the rank, and the Gavish–Donoho noise level per entry.
        m1, n = X1.shape
        tail = float(np.sum(s[r:] ** 2)) if s.size > r else 0.0
        noise_ratio = float(np.sqrt(tail / max(np.sum(s**2), 1e-300)))
        sigma = gd_noise_sigma(s, (m1, n)) if s.size >= min(m1, n) and r < s.size else 0.0
        sigma = capped_noise(sigma, noise)
        sigma = sigma if noise_ratio > 1e-8 else 0.0
        # a few more directions than the rank for the whitened refit (_reweight)
        k = r
        if self.weights == "auto" and sigma > 0 and n > 1 and not use_u:
            k = max(r, min(r + REWEIGHT_EXTRA, W.shape[1], int(np.sum(s > 1e-7 * s[0]))))
        # spatial POD basis (n × k), with each channel's sum (the row of ones) and energy in the same pass
        P = _times_right(X1, np.column_stack([W[:, :k], np.ones(m1)]))
        Vk, colsum1 = P[:, :k] / s[:k], P[:, k]
        self._basis = (W[:, :k], s[:k], Vk, colsq1, colsum1)
        Wr, sr, V = W[:, :r], s[:r], Vk[:, :r]
        if self.svd == "randomized" or noise_ratio < PROJECTED_MIN_NOISE:
            # inexact vectors, or clean data whose error (Σ x² - Σ z²) needs z = x V to the last digit
            Zs = [_xq(x, V) for x in data.xs]
        else:
            Zs = _with_last_samples(Wr * sr, data.xs, V)
        return Wr, sr, V, Zs, noise_ratio, sigma, energy

    def _fit(self, data, rank, variant, basis=None, alpha0=None, modes=True):
        self.variables_ = data.variables
        self.inputs_ = data.inputs if self.use_inputs else ()
        self.dt_ = data.dt
        self.n_features_in_ = data.n_features
        regular = data.regular
        use_u = bool(self.inputs_) and data.us is not None

        X1, X2, U1 = data.pairs()
        if basis is None:
            Wr, sr, V, Zs, noise_ratio, sigma, energy = self._decompose(data, X1, rank, use_u)
        else:  # the whitened refit of _reweight: basis and reduced trajectories computed there
            Wr, sr, V, Zs, noise_ratio, sigma, energy = basis
        r = sr.size
        Z1 = np.concatenate([z[:-1] for z in Zs]) if basis is not None else Wr * sr
        Z2 = np.concatenate([z[1:] for z in Zs])
        self.noise_ratio_ = noise_ratio
        self.noise_level_ = sigma

        if variant == "auto":
            if use_u:
                variant = "dmdc"
            elif not regular or noise_ratio > 1e-6 or self._one_step_misfit(Wr, sr, Z1, Z2) > 1e-6:
                variant = "opt"
            else:
                variant = "exact"
        if variant == "dmdc" and not use_u:
            raise DataError("variant 'dmdc' needs inputs: the series has none")
        if variant in ("exact", "fb", "tls", "dmdc") and not regular:
            raise DataError(f"DMD variant {variant!r} needs a constant time step; use variant='opt' or 'bop' "
                            "for irregular samples")
        self.variant_ = variant
        self.rank_ = r
        self.eigenvalue_std_ = None
        self.B_ = None
        dt = self.dt_

        self.fallback_ = None
        if variant in ("opt", "bop"):
            try:
                with np.errstate(all="ignore"):
                    alpha, Qr, Bs = self._optimized(data, Zs, Z1, Z2, dt, alpha0)
                    lam = np.exp(alpha * dt)
                    K = (Qr @ np.diag(lam) @ np.linalg.inv(Qr)).T
                if not (np.all(np.isfinite(alpha)) and np.all(np.isfinite(K))):
                    raise np.linalg.LinAlgError("non-finite eigenvalues")
            except (np.linalg.LinAlgError, ValueError) as exc:
                # e.g. a zero eigenvalue (no continuous-time counterpart): fall back to exact DMD
                self.fallback_ = f"optimized DMD failed ({exc}); exact DMD used instead"
                variant = self.variant_ = "exact"
        if variant in ("exact", "fb", "tls", "dmdc"):
            if variant == "exact":
                K = (Wr.T @ Z2) / sr[:, None]  # row layout: Z2 ≈ Z1 K
            elif variant == "fb":
                K = self._fb(Z1, Z2)
            elif variant == "tls":
                Q, _, _ = np.linalg.svd(np.concatenate([Z1, Z2], axis=1), full_matrices=False)
                Q = Q[:, :r]
                Z1p, Z2p = Q @ (Q.T @ Z1), Q @ (Q.T @ Z2)
                K = np.linalg.lstsq(Z1p, Z2p, rcond=None)[0]
            else:  # dmdc
                KB = np.linalg.lstsq(np.concatenate([Z1, U1], axis=1), Z2, rcond=None)[0]
                K, self.B_ = KB[:r], KB[r:]
            lam, Qr = np.linalg.eig(K.T)  # reduced A = Kᵀ; A Qr = Qr Λ
            # a zero eigenvalue (a direction that vanishes in one step) has no
            # finite log: it is given a decay so fast that one step kills it
            tiny = np.abs(lam) < 1e-200
            lam_c = np.where(tiny, 1e-200, lam).astype(complex)
            alpha = np.log(lam_c) / dt
        if not np.all(np.isfinite(lam)):
            raise NumericalError("DMD produced non-finite eigenvalues (singular or ill-conditioned data)")

        # order: by amplitude later; first normalise reduced modes
        Qr = Qr / np.linalg.norm(Qr, axis=0)
        self.K_ = K
        self.V_ = V
        self.Qr_ = Qr
        self.eigenvalues_ = lam
        self.continuous_eigenvalues_ = alpha
        # modes in the full space
        if variant == "exact":
            modes = _times_right(X2, (Wr / sr) @ Qr)
            norms = np.linalg.norm(modes, axis=0)
            norms[norms == 0] = 1
            self.modes_ = modes / norms
        else:  # (not formed when the caller forms them later: ``modes=False``)
            self.modes_ = unit_columns(V, Qr)[0] if modes else None

        # amplitudes per trajectory (least squares over all snapshots, in reduced coordinates)
        self.traj_amplitudes_ = []
        errs_num, inside = 0.0, 0.0
        for k, (tk, zk) in enumerate(zip(data.ts, Zs)):
            if variant in ("opt", "bop"):
                b = self._amps_from_B(Bs[k], Qr)
            else:
                b = self._amplitudes(tk - tk[0], zk, alpha, Qr)
            self.traj_amplitudes_.append(b)
            if use_u:
                zhat = self._step_reduced(zk[0], data.us[k][:-1], len(tk))
            else:
                zhat = (np.exp(np.outer(tk - tk[0], alpha)) * b) @ Qr.T
            # error in the full space = error in the subspace + what the subspace misses (below)
            zerr = np.linalg.norm(zk - zhat.real) ** 2
            errs_num += zerr
            inside += float(np.sum(zk**2))
        errs_num += max(energy - inside, 0.0)  # what the subspace misses
        errs_den = energy
        self.reconstruction_error_ = float(np.sqrt(errs_num / max(errs_den, 1e-300)))
        self.amplitudes_ = self.traj_amplitudes_[0]
        self._mode_norms = None
        self._t0 = data.ts[0] - data.ts[0][0]
        self._t_origin = float(data.ts[0][0])  # the run is reported on the data's time axis
        self.last_ = (data.ts[-1] - data.ts[-1][0], data.xs[-1][-1].copy(), len(data.ts) - 1)

        # residual DMD: eigenfunctions are linear functionals g = columns of Qr^{-T}
        G = np.linalg.inv(Qr).T
        self.eigenfunction_coefficients_ = G
        self._psi = (Z1, Z2)
        res = eigenpair_residuals(Z1, Z2 if not use_u else Z2 - U1 @ self.B_, lam, G)
        floor = expected_noise_residual(sigma, Z1.shape[0], Z1, lam, G) if sigma > 0 else np.zeros_like(res)
        self.residuals_ = res
        self.noise_residuals_ = floor
        self.residual_flags_ = (res > self.residual_threshold + 3 * floor) | (floor > 0.25)
        self.spurious_ = self.residual_flags_.copy()
        self.stable_ = None
        self.eigenvalue_intervals_ = None
        self.stability_note_ = None
        self.stability_deviation_ = None
        self.time_unit_ = data.time
        return self

    # ------------------------------------------------- stability and intervals
    def _classify(self, data, size: int) -> None:
        """The window test: refit on overlapping half-length windows, match eigenvalues, and
        call spurious only the modes that fail the residual test and are not reproduced."""
        from scipy.optimize import linear_sum_assignment

        K, r = int(self.stability_windows), int(self.rank_)
        if K == 0:
            return
        if self.B_ is not None:
            self.stability_note_ = "window test skipped (DMDc): residual test only"
            return
        if size > STABILITY_MAX_SIZE:
            self.stability_note_ = f"window test skipped (more than {STABILITY_MAX_SIZE} values): residual test only"
            return
        lengths = [max(len(x) // 2, 2 * r + 4) for x in data.xs]
        if any(L > 0.8 * len(x) for L, x in zip(lengths, data.xs)):
            self.stability_note_ = "window test skipped (record too short for half-length windows): residual test only"
            return
        alpha = self.continuous_eigenvalues_
        variant = "opt" if self.variant_ == "bop" else self.variant_
        # the windows are fitted in the full fit's POD coordinates (r columns): the test is
        # about the eigenvalues, and this keeps its cost a small fraction of the fit's
        zs = [_xq(x if self.scale_ is None else x / self.scale_, self.V_) for x in data.xs]
        sub = DMD(rank=r, variant=variant, stability_windows=0, svd=self.svd, max_iter=self.max_iter,
                  conjugate_pairs=self.conjugate_pairs, weights=None, delays=1, random_state=self.random_state)
        matched = np.full((K, r), np.nan + 0j)
        durations = []
        for k in range(K):
            ts, xs = [], []
            for tk, xk, L in zip(data.ts, zs, lengths):
                s0 = int(round(k * (len(tk) - L) / max(K - 1, 1)))
                ts.append(tk[s0:s0 + L])
                xs.append(xk[s0:s0 + L])
            durations.append(min(t[-1] - t[0] for t in ts))
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sub._fit(type(data)(ts, xs, None, tuple(f"z{i}" for i in range(r)), ()), r, variant)
                w = sub.continuous_eigenvalues_
            except (np.linalg.LinAlgError, ValueError, NumericalError, DataError):
                continue
            if not np.all(np.isfinite(w)):
                continue
            C = np.abs(alpha[:, None] - w[None, :])
            rows, cols = linear_sum_assignment(C)
            matched[k, rows] = w[cols]
        dev = np.abs(matched - alpha[None, :])
        dev = np.where(np.isnan(dev), np.inf, dev)
        med = np.median(dev, axis=0)
        sep = np.array([np.min(np.abs(np.delete(alpha, j) - alpha[j])) if r > 1 else np.inf for j in range(r)])
        resolution = 2 * np.pi / max(float(np.median(durations)), 1e-300)
        # only a mode the sampling resolves can be vouched for: one that lives for a few samples
        # (|λ| > e^-0.5 per step) with a period of at least 3 samples (not a sign flip per sample)
        lives = (np.abs(alpha.real) * self.dt_ < 0.5) & (np.abs(alpha.imag) * self.dt_ <= 2 * np.pi / 3)
        self.stable_ = lives & (med < 0.5 * sep) & (med < 0.1 * np.abs(alpha) + resolution)
        self.spurious_ = self.residual_flags_ & ~self.stable_
        self.stability_deviation_ = med
        ok = np.isfinite(matched.real)
        lo = np.empty(r, complex)
        hi = np.empty(r, complex)
        for j in range(r):
            v = matched[ok[:, j], j]
            if v.size == 0:
                lo[j], hi[j] = complex(-np.inf, -np.inf), complex(np.inf, np.inf)
                continue
            re = np.quantile(np.r_[v.real], [0.1, 0.9])
            im = np.quantile(np.r_[v.imag], [0.1, 0.9])
            lo[j] = complex(min(re[0], alpha[j].real), min(im[0], alpha[j].imag))
            hi[j] = complex(max(re[1], alpha[j].real), max(im[1], alpha[j].imag))
        self.eigenvalue_intervals_ = np.column_stack([lo, hi])

    @staticmethod
    def _one_step_misfit(Wr, sr, Z1, Z2) -> float:
        """Relative one-step error of exact DMD in the reduced space.

        With few channels the singular values have no noise tail to look at;
        a linear model that does not close on the data (noise, or dynamics
        that no linear map follows) shows here instead.
        """
        K = (Wr.T @ Z2) / sr[:, None]
        den = np.linalg.norm(Z2)
        return float(np.linalg.norm(Z2 - Z1 @ K) / den) if den > 0 else 0.0

    # -------------------------------------------------------------- variants
    @staticmethod
    def _fb(Z1, Z2):
        return DMD._fb_combine(np.linalg.lstsq(Z1, Z2, rcond=None)[0], np.linalg.lstsq(Z2, Z1, rcond=None)[0])

    @staticmethod
    def _fb_combine(Kf, Kb):
        """Forward-backward operator from the forward (``Z2 ≈ Z1 Kf``) and backward (``Z1 ≈ Z2 Kb``) fits."""
        if np.linalg.cond(Kb) > 1e12:  # the backward map is singular (a vanishing direction): forward only
            return Kf
        M = Kf @ np.linalg.inv(Kb)
        mu, Q = np.linalg.eig(M)
        root = np.sqrt(mu.astype(complex))
        lf = np.linalg.eigvals(Kf)
        # choose the sign of each square root nearest to a forward eigenvalue
        for i, z in enumerate(root):
            if np.min(np.abs(lf - z)) > np.min(np.abs(lf + z)):
                root[i] = -z
        K = Q @ np.diag(root) @ np.linalg.inv(Q)
        if np.allclose(K.imag, 0, atol=1e-10 * max(1.0, np.abs(K).max())):
            K = K.real
        return K

    def _optimized(self, data, Zs, Z1, Z2, dt, alpha0=None):
        """Variable projection on the reduced coordinates ``Zs`` of every snapshot (from ``alpha0`` when given)."""
        ts = [tk - tk[0] for tk in data.ts]
        if alpha0 is not None and alpha0.size == Z1.shape[1]:
            # a refit from the first fit's eigenvalues (the whitened data have the same ones): close to the
            # minimum already, so Levenberg–Marquardt starts near Gauss–Newton (26 -> 18 iterations, 10^5 x 500)
            return self._solve_optimized(ts, Zs, np.asarray(alpha0, complex), damping=1e-8)
        # initial guess: forward-backward DMD on a regular resampling
        if data.regular:
            K0 = self._fb(Z1, Z2)
        else:
            rz1, rz2 = [], []
            for tk, zk in zip(ts, Zs):
                grid = np.arange(0, tk[-1] + 1e-12 * dt, dt)
                zi = np.column_stack([np.interp(grid, tk, zk[:, j]) for j in range(zk.shape[1])])
                rz1.append(zi[:-1])
                rz2.append(zi[1:])
            K0 = self._fb(np.concatenate(rz1), np.concatenate(rz2))
        lam0 = np.linalg.eigvals(K0)
        if np.any(np.abs(lam0) < 1e-200) or not np.all(np.isfinite(lam0)):
            raise np.linalg.LinAlgError("a zero eigenvalue has no continuous-time counterpart")
        return self._solve_optimized(ts, Zs, np.log(lam0.astype(complex)) / dt)

    def _solve_optimized(self, ts, Zs, alpha0, damping=1e-3):
        """Variable projection from ``alpha0`` (and the bagged fits of BOP-DMD): ``(α, reduced modes, B)``."""
        alpha, Bs, info = self._varpro(ts, Zs, alpha0, damping=damping)
        self.solver_info_ = info
        if self.variant_ == "bop":
            rng = np.random.default_rng(self.random_state)
            from scipy.optimize import linear_sum_assignment

            samples = []
            for _ in range(self.n_bags):
                bt, bz = [], []
                for tk, zk in zip(ts, Zs):
                    k = max(len(tk) * self.bag_fraction, alpha.size + 2)
                    idx = np.sort(rng.choice(len(tk), size=min(int(k), len(tk)), replace=False))
                    bt.append(tk[idx])
                    bz.append(zk[idx])
                a_b, _, _ = self._varpro(bt, bz, alpha)
                C = np.abs(alpha[:, None] - a_b[None, :])
                rows, cols = linear_sum_assignment(C)
                out = np.empty_like(alpha)
                out[rows] = a_b[cols]
                samples.append(out)
            samples = np.array(samples)
            self.eigenvalue_samples_ = samples
            self.eigenvalue_std_ = np.sqrt(np.var(samples.real, axis=0) + np.var(samples.imag, axis=0))
        return alpha, self._modes_from_B(Bs), Bs

    @staticmethod
    def _modes_from_B(Bs):
        """Reduced modes: rows of B (one per eigenvalue), normalised, from the trajectory where each is strongest."""
        strength = np.array([np.linalg.norm(B, axis=1) for B in Bs])  # n_traj × r
        best = np.argmax(strength, axis=0)
        Qr = np.array([Bs[k][j] for j, k in enumerate(best)]).T
        nrm = np.linalg.norm(Qr, axis=0)
        nrm[nrm == 0] = 1
        return Qr / nrm

    def _varpro(self, ts, Zs, alpha0, stride=None, damping=1e-3):
        """Variable projection, with eigenvalues in exact conjugate pairs when they pair up.

        Long series are thinned first (:func:`_thin`): each solver step costs
        time in proportion to the samples, and 10^5 snapshots took minutes.
        A given ``stride`` says the samples are thinned already.
        """
        if stride is None:
            ts, Zs, stride = _thin(ts, Zs, alpha0)
        if self.conjugate_pairs and conjugate_structure(alpha0) is not None:
            alpha, Bs, info = varpro_real(ts, Zs, alpha0, max_iter=self.max_iter, damping=damping)
        else:
            alpha, Bs, info = varpro(ts, Zs, alpha0, max_iter=self.max_iter, damping=damping)
            info = {**info, "conjugate_pairs": False}
        return alpha, Bs, {**info, "stride": stride}

    @staticmethod
    def _amps_from_B(B, Qr):
        # B (r × p): row j = b_j * mode_j; project on the unit reduced mode
        return np.einsum("jp,pj->j", B, Qr.conj())

    @staticmethod
    def _amplitudes(t, Z, alpha, Qr):
        """Least-squares amplitudes b: Z(t) ≈ Σ_j b_j exp(α_j t) q_j."""
        E = np.exp(np.outer(t, alpha))  # m × r
        r = alpha.size
        if len(t) * r * r > 5_000_000:
            # normal equations (Jovanović et al.): (EᴴE ∘ QᴴQ) b = diag(Eᴴ Z Q̄)
            P = (E.conj().T @ E) * (Qr.conj().T @ Qr)
            rhs = np.einsum("tj,tj->j", E.conj(), Z @ Qr.conj())
            try:
                return np.linalg.solve(P, rhs)
            except np.linalg.LinAlgError:
                return np.linalg.lstsq(P, rhs, rcond=None)[0]
        # vec over (time, coordinate): column j is E[:, j] ⊗ Qr[:, j]
        M = (E[:, None, :] * Qr[None, :, :]).reshape(-1, r)
        b, *_ = np.linalg.lstsq(M, Z.reshape(-1).astype(complex), rcond=None)
        return b

    def _step_reduced(self, z0, U, n):
        z = np.empty((n, z0.size))
        z[0] = z0
        for k in range(n - 1):
            z[k + 1] = z[k] @ self.K_.real + U[k] @ self.B_
        return z

    # ------------------------------------------------------------ prediction
    def predict(self, x0, t=None, *, n_steps: int | None = None, u=None) -> np.ndarray:
        """States from initial state ``x0`` at times ``t`` (relative to ``x0``'s time).

        Give ``t`` (any times, also irregular) or ``n_steps`` (steps of
        ``dt_``, starting with ``x0`` itself). With inputs (DMDc), ``u`` gives
        the input at each step, shape ``(n_steps - 1, n_inputs)``.
        Returns an array ``(len(t), n_features)``.

        A model on a delay embedding (``delays_ > 1``) starts from the
        ``delays_`` consecutive samples ``x0`` of shape ``(delays_, n_features)``
        (its first row at the initial time).
        """
        check_is_fitted(self, "eigenvalues_")
        if self.embedding_ is not None:
            x0 = np.asarray(x0, float)
            d, n = self.delays_, self.n_features_in_
            if x0.size != d * n:
                raise DataError(f"this DMD runs on a {d}-delay embedding: x0 must hold {d} consecutive samples, "
                                f"shape ({d}, {n}); got {x0.size} values")
            return self.embedding_.estimator_.predict(x0.reshape(-1), t, n_steps=n_steps)[:, :n]
        x0 = np.asarray(x0, float).reshape(-1)
        if x0.size != self.n_features_in_:
            raise DataError(f"x0 has {x0.size} values; the model has {self.n_features_in_} features")
        if t is None:
            if n_steps is None:
                raise ValueError("give the times t or n_steps")
            t = np.arange(n_steps) * self.dt_
        t = np.asarray(t, float)
        w = 1.0 if self.scale_ is None else self.scale_
        z0 = (x0 / w) @ self.V_
        if self.B_ is not None:
            if u is None:
                raise DataError("this DMDc model needs the inputs u for prediction")
            u = np.asarray(u, float).reshape(len(t) - 1, -1)
            return self._step_reduced(z0, u, len(t)) @ self.V_.T
        c = np.linalg.solve(self.Qr_, z0.astype(complex))
        z = (np.exp(np.outer(t, self.continuous_eigenvalues_)) * c) @ self.Qr_.T
        return (z @ self.V_.T).real * w

    def forecast(self, n_steps: int, *, u=None) -> np.ndarray:
        """The next ``n_steps`` states after the end of the last trajectory, shape ``(n_steps, n_features)``.

        Uses the amplitudes fitted to the whole trajectory, so noise in the
        last snapshot does not enter the forecast.
        """
        check_is_fitted(self, "eigenvalues_")
        if self.embedding_ is not None:
            return self.embedding_.forecast(n_steps)
        t_last, x_last, k = self.last_
        if self.B_ is not None:
            if u is None:
                raise DataError("this DMDc model needs the inputs u for the forecast")
            u = np.asarray(u, float).reshape(n_steps, -1)
            z = self._step_reduced(x_last @ self.V_, u, n_steps + 1)
            return z[1:] @ self.V_.T
        tf = t_last[-1] + self.dt_ * np.arange(1, n_steps + 1)
        return self._synth(k, tf)

    def reconstruct(self, trajectory: int = 0, t=None) -> np.ndarray:
        """The model's reconstruction of a training trajectory at times ``t`` (from its start)."""
        check_is_fitted(self, "eigenvalues_")
        if self.embedding_ is not None:  # the first block of an embedded row is the sample at its time
            t = np.asarray(t if t is not None else self._ts[trajectory], float)
            return self.embedding_.estimator_.reconstruct(trajectory, t)[:, :self.n_features_in_]
        t = np.asarray(t if t is not None else self.last_[0], float)
        return self._synth(trajectory, t)

    def _synth(self, trajectory, t):
        """Σ_j b_j exp(ω_j t) (mode j), in the data's units."""
        b = self.traj_amplitudes_[trajectory]
        if self._mode_norms is not None:
            b = b / self._mode_norms
        z = (np.exp(np.outer(t, self.continuous_eigenvalues_)) * b) @ self.Qr_.T
        x = (z @ self.V_.T).real
        return x if self.scale_ is None else x * self.scale_

    def pseudospectrum(self, grid) -> np.ndarray:
        """Residual pseudospectrum (discrete-time) of the reduced operator on a grid of complex points."""
        check_is_fitted(self, "eigenvalues_")
        if self.embedding_ is not None:
            return self.embedding_.estimator_.pseudospectrum(grid)
        Z1, Z2 = self._psi
        return pseudospectrum(Z1, Z2, grid)

    # -------------------------------------------------------------- findings
    def _order(self):
        """Trusted first, then by amplitude (largest first)."""
        amp = np.abs(self.amplitudes_)
        return np.lexsort((-amp, self.spurious_))

    def findings(self) -> list:
        check_is_fitted(self, "eigenvalues_")
        o = self._order()
        n = self.n_features_in_
        keep_modes = n * o.size <= 500_000  # modes of very wide data stay on the model (modes_)
        headline = [complex(z) for z in self.continuous_eigenvalues_[o][~self.spurious_[o]]]
        metrics = {
            "variant": self.variant_, "rank": int(self.rank_),
            "reconstruction_error": self.reconstruction_error_,
            "noise_ratio": self.noise_ratio_, "noise_level": self.noise_level_,
            "n_spurious": int(self.spurious_.sum()), "headline": headline,
        }
        if self.fallback_:
            metrics["note"] = self.fallback_
        if getattr(self, "streamed_", None):
            metrics["streamed"] = self.streamed_
        if self.embedding_ is not None:
            metrics["delays"] = int(self.delays_)
            metrics["embedding"] = self.embedding_reason_
        if self.eigenvalue_std_ is not None:
            metrics["eigenvalue_std"] = self.eigenvalue_std_[o]
        metrics["n_residual_flagged"] = int(self.residual_flags_.sum())
        if self.stable_ is not None:
            metrics["spurious_test"] = (f"residual and {self.stability_windows} half-length windows "
                                        "(spurious: fails both)")
            metrics["intervals"] = f"10-90 % range over {self.stability_windows} half-length windows"
        elif self.stability_note_:
            metrics["spurious_test"] = self.stability_note_
        intervals = None if self.eigenvalue_intervals_ is None else self.eigenvalue_intervals_[o]
        spec = Spectrum(eigenvalues=self.eigenvalues_[o], dt=self.dt_, intervals=intervals,
                        time_unit=self.time_unit_,
                        modes=self.modes_[:, o] if keep_modes else None,
                        amplitudes=self.amplitudes_[o], residuals=self.residuals_[o],
                        spurious=self.spurious_[o], variables=self.variables_ if keep_modes else (),
                        method=self.name, metrics=metrics)
        out = [spec]
        if n <= 12:
            out.extend(self.equations())
        if n * len(self._t0) <= 200_000 and self.B_ is None:
            t = np.asarray(self._t0)
            vals = self.reconstruct(0, t)
            failed = None if np.all(np.isfinite(vals)) else float(t[np.argmax(~np.all(np.isfinite(vals), axis=1))])
            t = t + getattr(self, "_t_origin", 0.0)  # on the data's own time axis (1950-2010, not 0-60)
            failed = None if failed is None else failed + getattr(self, "_t_origin", 0.0)
            out.append(Simulation(t=t, values=np.nan_to_num(vals), variables=self.variables_, method=self.name,
                                  failed_at=failed, message="" if failed is None else "non-finite values",
                                  metrics={"reconstruction_error": self.reconstruction_error_}))
        return out

    def linear_operator(self, kind: str = "ode") -> np.ndarray:
        """The learned operator in the full state space (only for small state dimension).

        ``kind="map"``: ``A`` with ``x_{k+1} = A x_k``; ``"ode"``: ``L`` with
        ``dx/dt = L x`` (``L = Φ diag(ω) Φ⁺``, with ``Φ = V Q``). A model on a
        delay embedding gives the operator on the embedded state (``delays_``
        consecutive samples, ``delays_ · n_features`` values).
        """
        check_is_fitted(self, "eigenvalues_")
        if self.embedding_ is not None:
            return self.embedding_.estimator_.linear_operator(kind)
        Phi = real_times(self.V_, self.Qr_)
        if self.scale_ is not None:
            Phi = Phi * self.scale_[:, None]
        ev = self.continuous_eigenvalues_ if kind == "ode" else self.eigenvalues_
        return (Phi @ np.diag(ev) @ np.linalg.pinv(Phi)).real

    def equations(self) -> list[Equation]:
        """The linear model per variable as :class:`~discover.findings.Equation` records.

        None on a delay embedding: there the model is linear in the delayed
        copies, not in the variables.
        """
        if self.embedding_ is not None:
            return []
        syms = symbols_for(self.variables_ + tuple(self.inputs_))
        xs = [syms[v] for v in self.variables_]
        if self.B_ is not None:  # DMDc: discrete map with inputs
            A = self.V_ @ self.K_.real.T @ self.V_.T
            Bfull = self.V_ @ self.B_.T
            kind = "map"
        else:
            A = self.linear_operator("ode")
            Bfull = None
            kind = "ode"
        eqs = []
        scale = max(np.abs(A).max(), 1e-300)
        for i, v in enumerate(self.variables_):
            rhs = sum(sp.Float(round(A[i, j], 10)) * xs[j] for j in range(len(xs)) if abs(A[i, j]) > 1e-10 * scale)
            if Bfull is not None:
                rhs += sum(sp.Float(round(Bfull[i, j], 10)) * syms[w] for j, w in enumerate(self.inputs_)
                           if abs(Bfull[i, j]) > 1e-10 * scale)
            eqs.append(Equation(v, sp.sympify(rhs), kind=kind, method=self.name,
                                metrics={"rank": int(self.rank_), "variant": self.variant_,
                                         "reconstruction_error": self.reconstruction_error_}))
        return eqs


def _blocks(shape, limit: int = 1 << 21):
    """Row and column slices covering an array of ``shape`` in blocks of at most ``limit`` entries."""
    m, n = shape
    cols = min(n, CHUNK)
    rows = max(1, min(m, limit // max(cols, 1)))
    for i in range(0, m, rows):
        for j in range(0, n, cols):
            yield slice(i, i + rows), slice(j, j + cols)


def _with_last_samples(Z1, xs, Q) -> list[np.ndarray]:
    """Per-trajectory reduced trajectories: the rows of ``Z1`` (every snapshot but each trajectory's last,
    stacked) with each trajectory's last sample projected, ``x[-1] Q``, appended."""
    Zs, i = [], 0
    for x in xs:
        Zs.append(np.concatenate([Z1[i:i + len(x) - 1], _xq(x[-1:], Q)]))
        i += len(x) - 1
    return Zs


def _column_energies(X) -> np.ndarray:
    """Per-channel ``Σ x²`` of snapshot rows, block by block for a memory map."""
    if not isinstance(X, np.memmap):
        Xf = np.asarray(X, float)
        return np.concatenate(in_threads(lambda b: np.einsum("ij,ij->j", b, b), Xf, axis=1))
    e = np.zeros(X.shape[1])
    for rs, cs in _blocks(X.shape):
        b = np.asarray(X[rs, cs], float)
        e[cs] += np.einsum("ij,ij->j", b, b)
    return e


def _residual_moments(xs, zs, V):
    """Per-channel ``(Σ res, Σ res², count)`` of the residual ``x - z Vᵀ`` over all
    trajectories, in one pass block by block (nothing of the data's size is formed)."""
    n = V.shape[0]
    s1, s2, count = np.zeros(n), np.zeros(n), 0
    for x, z in zip(xs, zs):
        for rs, cs in _blocks(x.shape):
            res = np.asarray(x[rs, cs], float) - z[rs] @ V[cs].T
            s1[cs] += res.sum(axis=0)
            s2[cs] += np.einsum("ij,ij->j", res, res)
        count += x.shape[0]
    return s1, s2, count


def _projected_moments(xs, zs, V, Wk, sk, Vk, colsq1, colsum1):
    """:func:`_residual_moments` from the first fit's projections, without reading the data.

    With ``X1`` the snapshots but each trajectory's last, ``X1ᵀ W_k = V_k s_k``;
    the model's trajectories ``Z1`` enter through their coordinates on ``W_k``
    (``X1ᵀ Z1 ≈ V_k s_k W_kᵀ Z1``, exact when ``W_k`` spans the data's rows).
    ``Σ (x - z Vᵀ)² = Σ x² - 2 Vᵀ(X1ᵀ Z1) + V Z1ᵀZ1 Vᵀ`` per channel, plus the last samples directly.
    """
    Z1 = np.concatenate([z[:-1] for z in zs])
    XZ = Vk @ (sk[:, None] * (Wk.T @ Z1))  # n × r (nothing n × k formed)
    XZ *= 2
    XZ -= V @ (Z1.T @ Z1)
    s2 = colsq1 - np.einsum("ij,ij->i", V, XZ)
    s1 = colsum1 - V @ Z1.sum(axis=0)
    for x, z in zip(xs, zs):
        last = np.asarray(x[-1], float) - V @ z[-1]
        s1 = s1 + last
        s2 = s2 + last**2
    return s1, np.maximum(s2, 0.0), sum(len(x) for x in xs)


def _auto_delays(n_features: int, n_samples: int) -> int:
    """HankelDMD's default: enough delays for about 30 embedded columns, at most a quarter of the samples."""
    return int(max(2, min(n_samples // 4, math.ceil(30 / n_features))))
