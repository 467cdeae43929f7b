"""AL-RNN: the region analysis on a hand-built model, and brief training."""

import numpy as np
import pytest
import sympy as sp

from discover.alrnn import codes, delay_embed
from discover.alrnn.model import ALRNNParams


@pytest.fixture
def two_region_map():
    """x' = 0.5 x + 1 ;  y' = -0.5 y - relu(y) + 1  (M=2, N=1, P=1).

    Region "0" (y <= 0): y' = -0.5 y + 1, fixed point y = 2/3 > 0: virtual.
    Region "1" (y > 0):  y' = -1.5 y + 1, fixed point y = 0.4 > 0: real, unstable (-1.5).
    The 2-cycle 1 -> 0: y = 2, -2 (in regions 1, 0: real), multiplier 0.75: stable.
    x has the fixed point 2 in both regions.
    """
    return ALRNNParams(A=np.array([0.5, -0.5]), W=np.array([[0.0, 0.0], [0.0, -1.0]]),
                       h=np.array([1.0, 1.0]), n_pwl=1, n_obs=1, L=np.array([[0.0]]), l=np.array([3.0]))


def test_regions_code_and_graph(two_region_map):
    p = two_region_map
    Z = p.run(p.initial_state(np.array([0.0])), 400)[200:]
    np.testing.assert_allclose(np.abs(Z[:, 1]), 2.0, atol=1e-9)
    seq = codes.symbols(p, Z)
    assert set(seq) == {"0", "1"}
    assert all(a != b for a, b in zip(seq[:-1], seq[1:]))
    assert codes.occupation(seq) == {"0": 0.5, "1": 0.5}
    g = codes.transition_graph(seq)
    assert sorted(g.edges()) == [("0", "1"), ("1", "0")]
    assert g["0"]["1"]["weight"] == 1.0 and g["1"]["0"]["weight"] == 1.0


def test_self_loops_kept_and_probabilities():
    g = codes.transition_graph(list("0001101"))
    assert g["0"]["0"]["weight"] == pytest.approx(2 / 4)
    assert g["0"]["1"]["weight"] == pytest.approx(2 / 4)
    assert g["1"]["1"]["weight"] == pytest.approx(1 / 2)
    assert g.nodes["0"]["occupation"] == pytest.approx(4 / 7)


def test_region_maps_fixed_points(two_region_map):
    p = two_region_map
    np.testing.assert_allclose(codes.region_matrix(p, "0"), [[0.5, 0.0], [0.0, -0.5]])
    np.testing.assert_allclose(codes.region_matrix(p, "1"), [[0.5, 0.0], [0.0, -1.5]])
    fp = {f["region"]: f for f in codes.fixed_points(p, ["0", "1"])}
    np.testing.assert_allclose(fp["0"]["point"], [2.0, 2 / 3])
    np.testing.assert_allclose(fp["1"]["point"], [2.0, 0.4])
    assert fp["0"]["real"] is False and fp["1"]["real"] is True
    assert fp["1"]["stable"] is False and fp["0"]["stable"] is True
    np.testing.assert_allclose(sorted(fp["1"]["eigenvalues"].real), [-1.5, 0.5])


def test_cycles(two_region_map):
    p = two_region_map
    found = codes.cycles(p, ["0", "1"], max_period=8)
    assert len(found) == 1
    c = found[0]
    assert c["regions"] == ("0", "1")
    np.testing.assert_allclose(c["points"], [[2.0, -2.0], [2.0, 2.0]])
    assert c["stable"] is True
    np.testing.assert_allclose(sorted(np.abs(c["multipliers"])), [0.25, 0.75])
    virtual = codes.cycles(p, ["0", "1"], max_period=3, only_real=False)
    assert {c["regions"] for c in virtual} == {("0", "1"), ("0", "0", "1"), ("0", "1", "1")}


def test_region_equations_in_data_units(two_region_map):
    eqs = codes.region_equations(two_region_map, "1", ["temp"], mean=[10.0], scale=[2.0])
    # temp' = 10 + 2 * (0.5 * (temp - 10) / 2 + 1) = 0.5 temp + 7
    assert sp.simplify(eqs["temp"] - (0.5 * sp.Symbol("temp") + 7)) == 0


def test_delay_embedding():
    x = np.arange(10.0)[:, None]
    e = delay_embed(x, 2, 3)
    np.testing.assert_array_equal(e[0], [6.0, 3.0, 0.0])
    assert e.shape == (4, 3)
