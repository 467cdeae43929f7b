"""Property-based tests: whatever text or frame comes in, the loader answers a DataError or a valid Series."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discover.data import Series, from_arrays, from_dataframe, load_csv
from discover.errors import DataError, DataWarning

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK = ["nan", "NaN", "inf", "-inf", "Infinity", "", " ", "  ", "abc", "1e", "--1", "1,5", "1.5.2", '"', '"1"',
        "NA", "null", "None", "\t", ";", ",", "|", "0x1F", "1_000", "+", "-", ".", "é", "2020-01-01"]
NAMES = ["t", "time", "x", "y", "z", "u", "g", "", " ", "a,b", '"q"', "x", "t"]


def number_text():
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
        st.integers(-10**6, 10**6).map(str),
        st.floats(-1e3, 1e3).map(lambda v: f"{v:.3f}"),
    )


cell = st.one_of(number_text(), number_text(), st.sampled_from(JUNK), st.text(max_size=4))


@st.composite
def csv_text(draw):
    delim = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    ncol = draw(st.integers(1, 5))
    header = draw(st.lists(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=3)),
                           min_size=ncol, max_size=ncol))
    nrow = draw(st.integers(0, 12))
    rows = []
    t = 0.0
    for _ in range(nrow):
        width = draw(st.one_of(st.just(ncol), st.integers(0, ncol + 2)))
        cells = draw(st.lists(cell, min_size=width, max_size=width))
        if cells and draw(st.booleans()):  # a plausible (sometimes repeated, sometimes decreasing) time first
            t += draw(st.sampled_from([0.0, 0.1, 1.0, -0.5]))
            cells[0] = repr(t)
        rows.append(delim.join(cells))
    blank = draw(st.booleans())
    lines = [delim.join(header)] + rows
    if blank and rows:
        lines.insert(draw(st.integers(1, len(lines))), "")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"])), delim


def check_series(s: Series):
    assert isinstance(s, Series)
    assert s.n_trajectories >= 1 and s.n_variables >= 1
    assert s.n_variables <= s.n_samples
    for tr in s:
        n = len(tr)
        assert n >= 2
        assert tr.t.shape == (n,) and tr.x.shape == (n, s.n_variables)
        assert np.isfinite(tr.t).all() and np.isfinite(tr.x).all()
        assert (np.diff(tr.t) > 0).all()
        if s.inputs:
            assert tr.u.shape == (n, len(s.inputs)) and np.isfinite(tr.u).all()
        else:
            assert tr.u is None
        assert not tr.x.flags.writeable and not tr.t.flags.writeable


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hypothesis")


@settings(max_examples=200, **SETTINGS)
@given(data=csv_text(), time=st.sampled_from([None, "t", False]), group=st.sampled_from([None, "g"]),
       inputs=st.sampled_from([None, ["u"]]), force=st.booleans())
def test_malformed_csv_gives_data_error_or_valid_series(scratch, data, time, group, inputs, force):
    text, delim = data
    path = scratch / "h.csv"
    path.write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing but DataWarning may leak out (pandas parser or date warnings)
        warnings.simplefilter("ignore", DataWarning)
        try:
            s = load_csv(path, time=time, group=group, inputs=inputs, delimiter=delim if force else None)
        except DataError as err:
            assert err.file == str(path)
            assert str(err)
            return
    check_series(s)


column = st.one_of(
    st.lists(st.floats(width=64), min_size=0, max_size=8),
    st.lists(st.one_of(st.floats(-10, 10), st.sampled_from(["a", "1", None, "", "nan"])), min_size=0, max_size=8),
    st.lists(st.integers(-5, 5), min_size=0, max_size=8),
)


@settings(max_examples=200, **SETTINGS)
@given(cols=st.lists(st.tuples(st.sampled_from(["t", "x", "y", "g", "u", "w"]), column), min_size=1, max_size=4),
       group=st.sampled_from([None, "g"]), inputs=st.sampled_from([None, ["u"]]))
def test_random_dataframes_give_data_error_or_valid_series_and_stay_unchanged(cols, group, inputs):
    n = min(len(c) for _, c in cols)
    df = pd.DataFrame({f"{name}{k}" if k and name in [c for c, _ in cols[:k]] else name: values[:n]
                       for k, (name, values) in enumerate(cols)})
    before = df.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DataWarning)
        try:
            s = from_dataframe(df, group=group, inputs=inputs)
        except DataError:
            s = None
    pd.testing.assert_frame_equal(df, before)
    if s is not None:
        check_series(s)


@settings(max_examples=60, **SETTINGS)
@given(x=st.integers(4, 30).flatmap(lambda n: st.lists(
           st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=3, max_size=3),
           min_size=n, max_size=n)),
       delim=st.sampled_from([",", ";", "\t"]), steps=st.lists(st.floats(1e-3, 10), min_size=30, max_size=30))
def test_well_formed_csv_round_trips_exactly(scratch, x, delim, steps):
    x = np.array(x)
    t = np.cumsum(steps[: len(x)])
    if len(np.unique(t)) < len(t):
        return
    lines = [delim.join(["t", "a", "b", "c"])] + [delim.join(repr(float(v)) for v in (ti, *row)) for ti, row in zip(t, x)]
    path = scratch / "ok.csv"
    path.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # a constant column is allowed
        s = load_csv(path)
    np.testing.assert_array_equal(s.x, x)
    np.testing.assert_array_equal(s.t, t)


@settings(max_examples=100, **SETTINGS)
@given(shape=st.tuples(st.integers(0, 6), st.integers(0, 4)), junk=st.sampled_from([None, np.nan, np.inf, -np.inf]),
       where=st.tuples(st.integers(0, 5), st.integers(0, 3)), dt=st.one_of(st.none(), st.floats(-1, 2)))
def test_random_arrays_give_data_error_or_valid_series(shape, junk, where, dt):
    x = np.random.default_rng(0).standard_normal(shape)
    if junk is not None and x.size and where[0] < shape[0] and where[1] < shape[1]:
        x[where] = junk
    x0 = x.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            s = from_arrays(x, dt=dt)
        except DataError:
            s = None
    np.testing.assert_array_equal(x, x0)
    if s is not None:
        check_series(s)
