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
