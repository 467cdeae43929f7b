"""Bad input: one clear DataError naming file, row (editor line number, header = 1) and column."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from discover import data as D
from discover.data import from_arrays, from_dataframe, load, load_csv
from discover.errors import DataError, DataWarning, DiscoverError

# Every test here runs through both CSV readers (serial chunks; parallel byte ranges).
pytestmark = pytest.mark.usefixtures("csv_reader")


def csv(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def fails(path, **kw) -> DataError:
    with pytest.raises(DataError) as info:
        load_csv(path, **kw)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, DiscoverError)
    assert err.file == str(path)
    assert str(path) in str(err)
    return err


def test_missing_file(tmp_path):
    err = fails(tmp_path / "nope.csv")
    assert "no such file" in err.reason


def test_directory_instead_of_file(tmp_path):
    assert "directory" in fails(tmp_path).reason


def test_empty_file(tmp_path):
    err = fails(csv(tmp_path, ""))
    assert "empty" in err.reason


def test_blank_lines_only(tmp_path):
    assert "empty" in fails(csv(tmp_path, "\n\n  \n")).reason


def test_header_only(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n"))
    assert "no data rows" in err.reason and err.row == 2


def test_non_numeric_cell(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2\n1,2,3\n2,abc,4\n3,4,5\n"))
    assert (err.row, err.column) == (4, "x") and "'abc'" in err.reason


def test_non_numeric_cell_after_blank_lines(tmp_path):
    err = fails(csv(tmp_path, "t,x\n0,1\n\n\n1,2\n2,oops\n"))
    assert (err.row, err.column) == (6, "x")


def test_non_numeric_cell_in_a_late_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(D, "_CHUNK_ROWS", 4)
    rows = [f"{i},{i * i}" for i in range(30)]
    rows[22] = "22,x22"
    err = fails(csv(tmp_path, "t,x\n" + "\n".join(rows) + "\n"))
    assert (err.row, err.column) == (24, "x")


@pytest.mark.parametrize("cell, words", [("nan", "'nan'"), ("NaN", "'NaN'"), ("inf", "'inf'"),
                                         ("-Infinity", "'-Infinity'"), ("", "empty cell"), ("  ", "empty cell"),
                                         ("NA", "'NA'")])
def test_nan_inf_and_empty_cells(tmp_path, cell, words):
    err = fails(csv(tmp_path, f"t,x,y\n0,1,2\n1,2,3\n2,3,{cell}\n3,4,5\n"))
    assert (err.row, err.column) == (4, "y")
    assert words in err.reason


def test_nan_in_time_column(tmp_path):
    err = fails(csv(tmp_path, "t,x\n0,1\nnan,2\n2,3\n"))
    assert (err.row, err.column) == (3, "t")


def test_duplicate_time_stamps(tmp_path):
    err = fails(csv(tmp_path, "t,x\n0,1\n0.5,2\n0.5,3\n1,4\n"))
    assert (err.row, err.column) == (4, "t") and "duplicate time stamp 0.5" in err.reason


def test_unsorted_time(tmp_path):
    err = fails(csv(tmp_path, "t,x\n0,1\n2,2\n1,3\n3,4\n"))
    assert (err.row, err.column) == (4, "t") and "backwards" in err.reason
    assert "group=" in err.reason  # the hint for concatenated trajectories


def test_unsorted_time_inside_a_group(tmp_path):
    err = fails(csv(tmp_path, "g,t,x\na,0,1\nb,0,1\na,1,2\nb,2,3\nb,1,3\n"), group="g")
    assert (err.row, err.column) == (6, "t") and "group 'b'" in err.reason


def test_named_time_column_absent(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2\n1,2,3\n"), time="seconds")
    assert "'seconds'" in err.reason and "['t', 'x', 'y']" in err.reason


def test_single_row(tmp_path):
    err = fails(csv(tmp_path, "t,x\n0,1\n"))
    assert "only one sample" in err.reason and err.row == 2


def test_more_variables_than_samples(tmp_path):
    path = csv(tmp_path, "t,a,b,c,d\n0,1,2,3,4\n1,2,3,4,6\n2,2,1,3,5\n")
    err = fails(path)
    assert "more variables than samples" in err.reason and "wide=True" in err.reason
    # a field on a grid is wide on purpose: accepted when asked for
    s = load_csv(path, wide=True)
    assert s.variables == ("a", "b", "c", "d") and s.n_samples == 3


def test_ragged_row_too_many_fields(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2\n1,2,3\n2,3,4,5\n3,4,5\n"))
    assert err.row == 4 and "4 fields" in err.reason and "header has 3" in err.reason


def test_ragged_first_row_too_many_fields(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2,9\n1,2,3\n"))
    assert err.row == 2 and "4 fields" in err.reason


def test_ragged_row_too_few_fields(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2\n1,2\n2,3,4\n"))
    assert err.row == 3 and "2 fields" in err.reason


def test_ragged_row_too_few_fields_in_an_unused_column(tmp_path):
    err = fails(csv(tmp_path, "t,x,y\n0,1,2\n1,2\n2,3,4\n"), variables=["x"])
    assert err.row == 3 and "2 fields" in err.reason


def test_constant_column_warns_and_the_rest_goes_on(tmp_path):
    with pytest.warns(DataWarning) as record:
        s = load_csv(csv(tmp_path, "t,x,k\n0,1,7\n1,2,7\n2,4,7\n"))
    assert any("'k'" in str(w.message) and "constant" in str(w.message) for w in record)
    assert s.variables == ("x", "k") and s.n_samples == 3


def test_duplicate_column_names(tmp_path):
    err = fails(csv(tmp_path, "t,x,y,x\n0,1,2,3\n1,2,3,4\n"))
    assert (err.row, err.column) == (1, "x") and "duplicate column" in err.reason


def test_group_with_a_single_row(tmp_path):
    err = fails(csv(tmp_path, "g,t,x\na,0,1\na,1,2\nb,0,5\nc,0,1\nc,1,2\n"), group="g")
    assert (err.row, err.column) == (4, "g") and "group 'b'" in err.reason


def test_missing_group_label(tmp_path):
    err = fails(csv(tmp_path, "g,t,x\na,0,1\n,1,2\n"), group="g")
    assert (err.row, err.column) == (3, "g")


def test_group_column_absent(tmp_path):
    assert "'run'" in fails(csv(tmp_path, "t,x\n0,1\n1,2\n"), group="run").reason


def test_input_column_absent(tmp_path):
    err = fails(csv(tmp_path, "t,x,u\n0,1,0\n1,2,1\n"), inputs=["drive"])
    assert "input column 'drive'" in err.reason and "['t', 'x', 'u']" in err.reason


def test_variable_column_absent(tmp_path):
    assert "'z'" in fails(csv(tmp_path, "t,x\n0,1\n1,2\n"), variables=["x", "z"]).reason


def test_non_numeric_requested_column(tmp_path):
    err = fails(csv(tmp_path, "t,x,mode\n0,1,on\n1,2,off\n"), variables=["x", "mode"])
    assert (err.row, err.column) == (2, "mode")


def test_files_with_different_columns(tmp_path):
    a = csv(tmp_path, "t,x,y\n0,1,2\n1,2,3\n", "a.csv")
    b = csv(tmp_path, "t,x,z\n0,1,2\n1,2,3\n", "b.csv")
    with pytest.raises(DataError) as info:
        load_csv([a, b])
    err = info.value
    assert err.file == str(b) and "['y']" in err.reason and "['z']" in err.reason


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "a.csv.gz"
    p.write_bytes(b"not gzip at all")
    assert "cannot read" in fails(p).reason


def test_unterminated_quote(tmp_path):
    err = fails(csv(tmp_path, 't,x\n0,1\n1,"2\n2,3\n'))
    assert err.row == 3 and "quote" in err.reason


def test_bad_gzip_content_location(tmp_path):
    p = tmp_path / "a.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("t;x\n0;1\n1;?\n")
    err = fails(p)
    assert (err.row, err.column) == (3, "x")


def test_role_clashes(tmp_path):
    p = csv(tmp_path, "t,x,u\n0,1,0\n1,2,1\n2,4,1\n")
    with pytest.raises(DataError, match="both"):
        load_csv(p, variables=["x", "u"], inputs=["u"])
    with pytest.raises(DataError, match="dt"):
        load_csv(p, time=False, dt=-1)


# -- DataFrames and arrays: errors name the column and the row's index label --


def test_dataframe_nan_names_column_and_index_label():
    df = pd.DataFrame({"t": [0.0, 1, 2, 3], "x": [1.0, 2, np.nan, 4]}, index=[10, 20, 30, 40])
    with pytest.raises(DataError) as info:
        from_dataframe(df)
    assert (info.value.row, info.value.column, info.value.file) == (30, "x", "DataFrame")


def test_dataframe_non_numeric_cell():
    df = pd.DataFrame({"t": [0.0, 1, 2], "x": [1.0, "two", 3.0]}, index=["a", "b", "c"])
    with pytest.raises(DataError) as info:
        from_dataframe(df, variables=["x"])
    assert (info.value.row, info.value.column) == ("b", "x")


def test_dataframe_duplicate_times_and_columns():
    with pytest.raises(DataError) as info:
        from_dataframe(pd.DataFrame({"t": [0.0, 1, 1], "x": [1.0, 2, 3]}))
    assert (info.value.row, info.value.column) == (2, "t")
    with pytest.raises(DataError, match="duplicate column"):
        from_dataframe(pd.DataFrame([[0.0, 1, 2], [1, 2, 3]], columns=["t", "x", "x"]))


def test_dataframe_errors_leave_it_unchanged():
    df = pd.DataFrame({"t": [0.0, 2, 1], "x": [1.0, 2, 3]})
    before = df.copy()
    with pytest.raises(DataError):
        from_dataframe(df)
    pd.testing.assert_frame_equal(df, before)


def test_not_a_dataframe_and_unknown_type():
    with pytest.raises(DataError):
        from_dataframe([[1, 2]])
    with pytest.raises(DataError, match="cannot load"):
        load(42)


def test_arrays_errors_name_row_and_column():
    x = np.ones((5, 2)).cumsum(0)
    x[3, 1] = np.inf
    with pytest.raises(DataError) as info:
        from_arrays(x, names=["a", "b"])
    assert (info.value.row, info.value.column) == (3, "b")
    with pytest.raises(DataError) as info:
        from_arrays([np.ones((3, 1)).cumsum(0), np.ones((4, 1)).cumsum(0)], t=[[0, 1, 2], [0, 1, 1, 2]])
    assert info.value.file == "arrays[1]" and info.value.row == 2


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=np.ones((4, 2)), names=["a"]), "1 names given for 2 columns"),
    (dict(x=np.ones((4, 2)), t=np.arange(3.0)), "one stamp per sample"),
    (dict(x=np.ones((2, 2, 2))), "1-D or 2-D"),
    (dict(x=np.array([["1", "b"], ["2", "3"]])), "not a number"),
    (dict(x=np.ones((4, 1)), u=np.ones(3)), "one row per sample"),
    (dict(x=[np.ones((4, 2)), np.ones((4, 3))]), "columns"),
    (dict(x=np.ones((1, 1))), "only one sample"),
])
def test_array_shape_errors(kwargs, match):
    with pytest.raises(DataError, match=match):
        from_arrays(**kwargs)


def test_arrays_more_variables_than_samples():
    x = np.random.default_rng(0).standard_normal((3, 5))
    with pytest.raises(DataError, match="more variables than samples"):
        from_arrays(x)
    assert from_arrays(x, wide=True).n_variables == 5
