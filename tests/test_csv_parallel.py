"""The parallel CSV reader: same values as the serial one, and it really runs where it applies.

The error and good-input suites (``test_data.py``, ``test_data_errors.py``)
run through both readers by the ``csv_reader`` fixture; here: that the
parallel path is taken, byte-exact agreement on awkward layouts, growth of a
short row guess, and the fallback when pandas lacks the API.
"""

from __future__ import annotations

import numpy as np
import pytest

from discover import _csv_parallel as P
from discover.data import load_csv
from discover.errors import DataWarning


@pytest.fixture
def spy(monkeypatch):
    """Count the parallel reads that returned a block (and so were used)."""
    calls = {"ok": 0, "unavailable": 0}
    real = P.read_block

    def counted(*args, **kwargs):
        try:
            out = real(*args, **kwargs)
        except P.Unavailable:
            calls["unavailable"] += 1
            raise
        calls["ok"] += 1
        return out

    monkeypatch.setattr(P, "read_block", counted)
    monkeypatch.setattr(P, "MIN_BYTES", 0)
    return calls


def table(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) * 0.01
    x = rng.standard_normal((n, 3)) * np.array([1.0, 1e-12, 1e9])
    return t, x


def text_of(t, x, newline="\n", blank_every=0, trailing=True):
    lines = ["t,a,b,c"]
    for i, (ti, row) in enumerate(zip(t, x)):
        lines.append(",".join(repr(float(v)) for v in (ti, *row)))
        if blank_every and i % blank_every == blank_every - 1:
            lines.append("")
    body = newline.join(lines)
    return body + newline if trailing else body


@pytest.mark.parametrize("newline, blank_every, trailing, bom", [
    ("\n", 0, True, False), ("\r\n", 0, True, False), ("\n", 7, True, False),
    ("\n", 0, False, False), ("\r\n", 13, False, True)])
def test_parallel_path_is_taken_and_exact(tmp_path, monkeypatch, spy, newline, blank_every, trailing, bom):
    t, x = table()
    p = tmp_path / "d.csv"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text_of(t, x, newline, blank_every, trailing).encode())
    for piece in (37, 4096, 1 << 30):  # cuts inside nearly every line, a few pieces, one piece
        monkeypatch.setattr(P, "PIECE_BYTES", piece)
        s = load_csv(p)
        np.testing.assert_array_equal(s.x, x)
        np.testing.assert_array_equal(s.t, t)
        assert s.variables == ("a", "b", "c")
    assert spy == {"ok": 3, "unavailable": 0}


def test_parallel_and_serial_agree_on_a_larger_file(tmp_path, monkeypatch, spy):
    t, x = table(60_000, seed=1)
    p = tmp_path / "big.csv"
    p.write_text(text_of(t, x))
    monkeypatch.setattr(P, "PIECE_BYTES", 64 << 10)
    fast = load_csv(p)
    assert spy["ok"] == 1
    monkeypatch.setattr(P, "MIN_BYTES", 1 << 62)
    slow = load_csv(p)
    np.testing.assert_array_equal(fast.x, slow.x)
    np.testing.assert_array_equal(fast.t, slow.t)


def test_short_row_guess_grows_the_block(tmp_path):
    t, x = table(500)
    p = tmp_path / "d.csv"
    p.write_text(text_of(t, x))
    start = len("t,a,b,c\n")
    block, n = P.read_block(p, data_start=start, n_columns=4, delimiter=",", rows_guess=3, n_workers=2)
    assert n == 500 and block.shape[0] >= n
    np.testing.assert_array_equal(block[:n], np.column_stack([t, x]))


def test_text_cell_makes_it_step_aside(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("t,x\n" + "".join(f"{i},{i}\n" for i in range(50)) + "50,oops\n")
    with pytest.raises(P.Unavailable):
        P.read_block(p, data_start=4, n_columns=2, delimiter=",", rows_guess=60, n_workers=2)


def test_without_the_pandas_api_the_serial_reader_is_used(tmp_path, monkeypatch, spy):
    def no_api(*args, **kwargs):
        raise P.Unavailable("this pandas has no TextReader.load_buffer")

    monkeypatch.setattr(P, "_reader_factory", no_api)
    t, x = table(300)
    p = tmp_path / "d.csv"
    p.write_text(text_of(t, x))
    s = load_csv(p)
    np.testing.assert_array_equal(s.x, x)
    assert spy == {"ok": 0, "unavailable": 1}


def test_files_it_does_not_apply_to_never_reach_it(tmp_path, spy):
    (tmp_path / "semi.csv").write_text("t;x\n0;1,5\n1;2,5\n")  # decimal comma
    (tmp_path / "text.csv").write_text("t,x,g\n0,1,a\n1,2,b\n")  # a text column
    (tmp_path / "ws.csv").write_text("t x\n0 1\n1 2\n")  # whitespace-separated
    for name in ("semi.csv", "ws.csv"):
        load_csv(tmp_path / name)
    with pytest.warns(DataWarning, match="not numeric"):
        load_csv(tmp_path / "text.csv")
    assert spy == {"ok": 0, "unavailable": 0}


def test_workers_are_bounded():
    assert 1 <= P.workers() <= 4
