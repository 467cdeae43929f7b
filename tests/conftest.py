"""Shared fixtures. Slow tests are marked ``@pytest.mark.slow`` and excluded by default."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def lorenz_series():
    """Clean Lorenz-63 (σ=10, ρ=28, β=8/3), 4000 samples at dt=0.005."""
    from discover.systems import simulate

    return simulate("lorenz", n=4000, dt=0.005, seed=0)


@pytest.fixture(params=["serial", "parallel"])
def csv_reader(request, monkeypatch):
    """Run a CSV test through both readers of the data layer.

    ``parallel``: :mod:`discover._csv_parallel` on every plain numeric file,
    however small, cut into pieces of a few lines, so piece boundaries fall
    everywhere (blank lines, the last line, CRLF); ``serial``: the chunked
    reader only. Use it with ``pytestmark = pytest.mark.usefixtures("csv_reader")``.
    """
    from discover import _csv_parallel

    if request.param == "parallel":
        monkeypatch.setattr(_csv_parallel, "MIN_BYTES", 0)
        monkeypatch.setattr(_csv_parallel, "PIECE_BYTES", 24)
    else:
        monkeypatch.setattr(_csv_parallel, "MIN_BYTES", 1 << 62)
    return request.param
