"""Almost-linear RNNs: piecewise-linear reconstructions and their symbolic codes.

``ALRNN`` is the method of :func:`discover.fit` (``methods=["alrnn"]``);
``discover.alrnn.codes`` analyses any AL-RNN's regions, fixed points and
cycles with NumPy alone. PyTorch is imported only when a model is trained.
"""

from .estimator import ALRNN, delay_embed

__all__ = ["ALRNN", "delay_embed"]
