"""The data layer on good input: CSV files, DataFrames and arrays become the Series they should."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

import discover
from discover import data as D
from discover.data import Series, from_arrays, from_dataframe, load, load_csv
from discover.errors import DataWarning

# Every test here runs through both CSV readers (serial chunks; parallel byte ranges).
pytestmark = pytest.mark.usefixtures("csv_reader")


def write(path, text: str):
    path.write_text(text)
    return path


def frame(n=50, seed=0):
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.05, 0.15, n))
    return pd.DataFrame({"t": t, "x": np.sin(t), "y": np.cos(t) + 0.1 * rng.standard_normal(n)})


# -- CSV ----------------------------------------------------------------------


def test_csv_values_time_and_names(tmp_path):
    df = frame()
    p = tmp_path / "run.csv"
    df.to_csv(p, index=False)
    s = load_csv(p)
    assert s.variables == ("x", "y") and s.time == "t" and s.inputs == ()
    assert s.n_trajectories == 1 and s.n_samples == len(df)
    np.testing.assert_allclose(s.t, df["t"].to_numpy(), rtol=1e-15)
    np.testing.assert_allclose(s.x, df[["x", "y"]].to_numpy(), rtol=1e-15)
    assert not s.regular  # the frame's steps are random
    assert s.source == str(p) and s.trajectories[0].name == "run"


def test_csv_arrays_are_read_only_float64(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t,x,y\n0,1,2\n1,2,3\n2,3,5\n"))
    tr = s.trajectories[0]
    assert tr.x.dtype == np.float64 and tr.t.dtype == np.float64
    with pytest.raises(ValueError):
        tr.x[0, 0] = 9.0
    with pytest.raises(ValueError):
        tr.t[0] = 9.0


@pytest.mark.parametrize("name", ["time", "Time", "T"])
def test_time_column_found_by_name(tmp_path, name):
    s = load_csv(write(tmp_path / "a.csv", f"x,{name}\n1,0.5\n2,0.75\n4,1.0\n"))
    assert s.time == name and s.variables == ("x",)
    np.testing.assert_allclose(s.t, [0.5, 0.75, 1.0])


def test_named_time_column(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "secs,x,t\n0,1,9\n2,2,8\n4,3,7\n"), time="secs")
    assert s.time == "secs" and s.variables == ("x", "t")
    assert s.dt == 2.0


def test_row_index_time_with_dt(tmp_path):
    p = write(tmp_path / "a.csv", "x,y\n1,2\n2,3\n3,5\n4,4\n")
    s = load_csv(p, dt=0.25)
    np.testing.assert_allclose(s.t, [0, 0.25, 0.5, 0.75])
    assert s.time == "t" and s.variables == ("x", "y") and s.regular
    assert load_csv(p).dt == 1.0


def test_time_false_forces_row_index(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t,x\n5,1\n3,2\n1,3\n"), time=False, dt=2.0)
    assert s.variables == ("t", "x")
    np.testing.assert_allclose(s.t, [0, 2, 4])


def test_group_column_splits_trajectories_in_order_of_appearance(tmp_path):
    text = "run,t,x,u\nb,0,1,0\na,0,5,1\nb,1,2,0\na,1,6,1\nb,2,3,1\n"
    s = load_csv(write(tmp_path / "a.csv", text), group="run", inputs=["u"])
    assert [tr.name for tr in s] == ["b", "a"]
    assert s.variables == ("x",) and s.inputs == ("u",)
    np.testing.assert_allclose(s.trajectories[0].x[:, 0], [1, 2, 3])
    np.testing.assert_allclose(s.trajectories[1].x[:, 0], [5, 6])
    np.testing.assert_allclose(s.trajectories[0].u[:, 0], [0, 0, 1])
    np.testing.assert_allclose(s.trajectories[1].t, [0, 1])


def test_numeric_group_labels(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "id,t,x\n1,0,1\n1,1,2\n2,0,3\n2,1,4\n"), group="id")
    assert [tr.name for tr in s] == ["1", "2"] and s.variables == ("x",)


def test_inputs_are_kept_apart(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t,x,u1,y,u2\n0,1,0,2,5\n1,2,1,3,6\n2,4,0,1,7\n"), inputs=["u2", "u1"])
    assert s.variables == ("x", "y") and s.inputs == ("u2", "u1")
    np.testing.assert_allclose(s.u, [[5, 0], [6, 1], [7, 0]])
    np.testing.assert_allclose(s.x, [[1, 2], [2, 3], [4, 1]])


def test_variables_subset_and_order(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t,a,b,c\n0,1,2,3\n1,2,3,5\n2,4,1,6\n"), variables=["c", "a"])
    assert s.variables == ("c", "a")
    np.testing.assert_allclose(s.x, [[3, 1], [5, 2], [6, 4]])


def test_several_files_are_several_trajectories(tmp_path):
    a = write(tmp_path / "a.csv", "t,x,y\n0,1,2\n1,2,3\n")
    b = write(tmp_path / "b.csv", "y,t,x\n7,0,5\n8,1,6\n9,2,8\n")  # same columns, another order
    s = load_csv([a, b])
    assert s.n_trajectories == 2 and [tr.name for tr in s] == ["a", "b"]
    np.testing.assert_allclose(s.trajectories[1].x, [[5, 7], [6, 8], [8, 9]])
    assert load([str(a), str(b)]).n_samples == 5


def test_several_files_with_groups(tmp_path):
    a = write(tmp_path / "a.csv", "g,t,x\np,0,1\np,1,2\nq,0,3\nq,1,4\n")
    b = write(tmp_path / "b.csv", "g,t,x\np,0,5\np,1,6\n")
    s = load_csv([a, b], group="g")
    assert [tr.name for tr in s] == ["a:p", "a:q", "b:p"]


def test_irregular_sampling(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t,x\n0,1\n0.1,2\n0.35,3\n0.4,3.5\n"))
    assert not s.regular
    np.testing.assert_allclose(s.t, [0, 0.1, 0.35, 0.4])


def test_gzip_row_guess_from_its_trailer(tmp_path):
    p = tmp_path / "a.csv.gz"
    text = "t,x\n" + "".join(f"{i},{i * i}\n" for i in range(500))
    with gzip.open(p, "wt") as fh:
        fh.write(text)
    head = text[:200]
    assert 500 <= D._guess_rows(p, head) <= 2000  # not the 131072-row default chunk


def test_gzip(tmp_path):
    p = tmp_path / "a.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("t;x;y\n0;1;2\n1;2;3\n2;3;5\n")
    s = load_csv(p)
    assert s.variables == ("x", "y") and s.trajectories[0].name == "a"
    np.testing.assert_allclose(s.x, [[1, 2], [2, 3], [3, 5]])


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, sep):
    text = sep.join(["t", "x", "y"]) + "\n" + "\n".join(sep.join(map(str, r)) for r in [(0, 1, 2), (1, 2, 3), (2, 4, 4)])
    s = load_csv(write(tmp_path / "a.csv", text + "\n"))
    assert s.variables == ("x", "y")
    np.testing.assert_allclose(s.x, [[1, 2], [2, 3], [4, 4]])


def test_whitespace_separated(tmp_path):
    s = load_csv(write(tmp_path / "a.txt", "t   x  y\n0  1  2\n1  2   3\n2 4 4\n"))
    np.testing.assert_allclose(s.x, [[1, 2], [2, 3], [4, 4]])


def test_semicolon_with_decimal_comma(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "t;x\n0,0;1,5\n0,5;2,25\n1,0;-3,125\n"))
    np.testing.assert_allclose(s.t, [0, 0.5, 1.0])
    np.testing.assert_allclose(s.x[:, 0], [1.5, 2.25, -3.125])


def test_forced_delimiter(tmp_path):
    # Sniffing would pick ',' (more fields in the header); the user knows better.
    p = write(tmp_path / "a.csv", "t;x,y\n0;1\n1;2\n2;4\n")
    s = load_csv(p, delimiter=";")
    assert s.variables == ("x,y",)
    np.testing.assert_allclose(s.x[:, 0], [1, 2, 4])
    assert load_csv(write(tmp_path / "b.csv", "t\tx\n0\t1\n1\t2\n"), delimiter="tab").variables == ("x",)


def test_spaces_around_cells_and_blank_lines(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "\n t , x \n0, 1.5\n\n1 , 2 \n2,3e1\n\n"))
    assert s.variables == ("x",)
    np.testing.assert_allclose(s.x[:, 0], [1.5, 2, 30])


def test_quoted_header_and_bom(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes('\ufeff"t","x, m"\n0,1\n1,2\n'.encode())
    s = load_csv(p)
    assert s.time == "t" and s.variables == ("x, m",)


def test_datetime_time_column(tmp_path):
    s = load_csv(write(tmp_path / "a.csv", "time,x\n2024-01-01 00:00:00,1\n2024-01-01 00:00:30,2\n"
                                        "2024-01-01 00:01:30,4\n"))
    np.testing.assert_allclose(s.t, [0, 30, 90])


def test_text_column_is_ignored_with_a_warning(tmp_path):
    with pytest.warns(DataWarning, match="'label'"):
        s = load_csv(write(tmp_path / "a.csv", "t,x,label\n0,1,up\n1,2,down\n2,4,up\n"))
    assert s.variables == ("x",)


def test_unnamed_index_column_from_to_csv_is_ignored(tmp_path):
    p = tmp_path / "a.csv"
    frame(5).to_csv(p)  # writes the index as a first, unnamed column
    with pytest.warns(DataWarning, match="no name"):
        s = load_csv(p)
    assert s.variables == ("x", "y")


def test_headerless_numbers_get_names_and_a_warning(tmp_path):
    with pytest.warns(DataWarning, match="numbers, not column names"):
        s = load_csv(write(tmp_path / "a.csv", "1,2\n3,4\n5,7\n"))
    assert s.variables == ("x0", "x1")
    np.testing.assert_allclose(s.x, [[1, 2], [3, 4], [5, 7]])


def test_many_chunks_and_a_short_row_guess(tmp_path, monkeypatch):
    # Small chunks and a short guess of the row count exercise growth of the block across chunks.
    monkeypatch.setattr(D, "_CHUNK_ROWS", 7)
    monkeypatch.setattr(D, "_guess_rows", lambda path, head: 3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((103, 3))
    t = np.arange(103) * 0.1
    p = tmp_path / "a.csv.gz"
    with gzip.open(p, "wt") as fh:
        pd.DataFrame({"t": t, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}).to_csv(fh, index=False)
    s = load_csv(p)
    np.testing.assert_array_equal(s.x, x)
    np.testing.assert_array_equal(s.t, t)


def test_round_trip_of_floats_is_exact(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 4)) * 10.0 ** rng.integers(-8, 8, size=(200, 4))
    df = pd.DataFrame(x, columns=list("abcd"))
    df.insert(0, "t", np.arange(200) * 0.01)
    p = tmp_path / "a.csv"
    df.to_csv(p, index=False, float_format="%.17g")
    np.testing.assert_array_equal(load_csv(p).x, x)


def test_constant_column_warns_and_loads(tmp_path):
    with pytest.warns(DataWarning, match="'c'.*constant"):
        s = load_csv(write(tmp_path / "a.csv", "t,x,c\n0,1,3\n1,2,3\n2,4,3\n"))
    assert s.variables == ("x", "c")


# -- DataFrames ---------------------------------------------------------------


def test_dataframe_is_left_unchanged():
    df = frame()
    df["run"] = ["a"] * 25 + ["b"] * 25
    df["u"] = np.arange(50.0)
    before = df.copy(deep=True)
    values_before = df["x"].to_numpy().copy()
    s = from_dataframe(df, group="run", inputs=["u"])
    pd.testing.assert_frame_equal(df, before)
    assert s.n_trajectories == 2
    # and the Series does not share memory with it
    assert not np.shares_memory(s.trajectories[0].x, df["x"].to_numpy())
    df.loc[0, "x"] = 123.0
    assert s.trajectories[0].x[0, 0] == values_before[0]


def test_dataframe_datetime_index():
    idx = pd.date_range("2020-01-01", periods=4, freq="15s", name="stamp")
    s = from_dataframe(pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0]}, index=idx))
    np.testing.assert_allclose(s.t, [0, 15, 30, 45])
    assert s.time == "stamp" and s.variables == ("x",)


def test_dataframe_datetime_column_and_int_columns():
    df = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-04"]), "x": [1, 2, 4]})
    s = from_dataframe(df, time="when")
    np.testing.assert_allclose(s.t, [0, 1, 3])  # daily stamps: in days from the first
    assert s.time_unit == "days" and s.x.dtype == np.float64
    np.testing.assert_allclose(from_dataframe(df, time="when", time_unit="seconds").t, [0, 86400, 259200])


def test_dataframe_time_index_named_t():
    df = frame(10).set_index("t")
    s = from_dataframe(df)
    np.testing.assert_allclose(s.t, df.index.to_numpy())
    assert s.variables == ("x", "y")


def test_dataframe_row_position_time():
    s = from_dataframe(pd.DataFrame({"a": [1.0, 2, 4], "b": [0.0, 1, 0]}), dt=0.1)
    np.testing.assert_allclose(s.t, [0, 0.1, 0.2])


def test_series_to_frame_round_trip():
    s = from_dataframe(frame(20))
    s2 = from_dataframe(s.to_frame())
    assert s2 == s
    assert s2 != from_dataframe(frame(20, seed=1))


# -- arrays -------------------------------------------------------------------


def test_from_arrays_copies_and_leaves_input_alone():
    x = np.arange(12.0).reshape(6, 2) ** 2
    t = np.linspace(0, 1, 6)
    x0, t0 = x.copy(), t.copy()
    s = from_arrays(x, t=t, names=["a", "b"])
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(t, t0)
    x[0, 0] = -1.0
    assert s.x[0, 0] == 0.0
    assert s.variables == ("a", "b") and s.time == "t"


def test_from_arrays_several_trajectories_with_inputs():
    xs = [np.ones((5, 2)).cumsum(0), np.ones((7, 2)).cumsum(0) * 2]
    us = [np.zeros(5), np.ones(7)]
    s = from_arrays(xs, dt=0.5, u=us, input_names=["drive"])
    assert s.n_trajectories == 2 and s.n_samples == 12 and s.inputs == ("drive",)
    assert s.trajectories[1].u.shape == (7, 1)
    np.testing.assert_allclose(s.trajectories[1].t, np.arange(7) * 0.5)


def test_from_arrays_shared_time_and_1d():
    t = np.array([0.0, 0.1, 0.3, 0.6])
    s = from_arrays([np.arange(4.0) ** 2, np.arange(4.0) ** 3], t=t)
    assert s.variables == ("x0",) and s.n_trajectories == 2
    np.testing.assert_array_equal(s.trajectories[1].t, t)


def test_load_dispatch(tmp_path):
    p = write(tmp_path / "a.csv", "t,x\n0,1\n1,2\n2,4\n")
    s = load(p)
    assert load(str(p)).variables == s.variables
    assert load(s) is s
    assert load(pd.DataFrame({"t": [0.0, 1.0], "x": [1.0, 3.0]})).variables == ("x",)
    a = load(np.arange(6.0).reshape(3, 2) ** 2, dt=0.5, variables=["p", "q"])
    assert a.variables == ("p", "q") and a.dt == 0.5
    assert discover.load is load


def test_loading_emits_no_stray_warnings(tmp_path):
    p = write(tmp_path / "a.csv", "t,x,y\n0,1,2\n1,2,3\n2,4,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert isinstance(load_csv(p), Series)


def test_a_few_columns_of_a_wide_file_do_not_keep_the_whole_file_alive(tmp_path):
    df = pd.DataFrame(np.random.default_rng(1).standard_normal((20, 12)), columns=[f"c{i}" for i in range(12)])
    df.insert(0, "t", np.arange(20.0))
    p = tmp_path / "wide.csv"
    df.to_csv(p, index=False)
    x = load_csv(p, variables=["c3", "c4"]).trajectories[0].x
    assert x.base is None or x.base.size <= x.size  # its own small array, not a view of all 13 columns
    np.testing.assert_allclose(x, df[["c3", "c4"]].to_numpy())
