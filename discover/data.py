"""The data layer: from CSV files, DataFrames or arrays to a validated :class:`Series`.

A :class:`Series` is one dynamical system observed as one or several
trajectories. Each :class:`Trajectory` holds its time stamps ``t`` (shape
``(n,)``), its state ``x`` (shape ``(n, n_variables)``) and, when the system
is driven, its exogenous inputs ``u`` (shape ``(n, n_inputs)``). Arrays are
copies of what the user gave, marked read-only: nothing the user passed is
ever modified.

The data layer knows no method. Methods ask it for derivatives
(:meth:`Series.derivatives`, see :mod:`discover.derivatives`), held-out
splits and stacked arrays.

Loading (:func:`load`, :func:`load_csv`, :func:`from_dataframe`,
:func:`from_arrays`) validates everything a method would trip over and
raises :class:`~discover.errors.DataError` naming the file, the row (the
line number an editor shows, header = line 1; the index label for a
DataFrame) and the column: non-numeric, empty, NaN or infinite cells, ragged
rows, duplicate or decreasing time stamps, duplicate column names, too few
rows, more variables than samples, absent columns. A constant column gives a
:class:`~discover.errors.DataWarning`. CSV files are parsed by pandas' C
parser in pieces written straight into one float64 block (peak memory about
1.7x the parsed data); a large plain numeric file is cut into byte ranges
parsed on all cores (:mod:`discover._csv_parallel`), anything else, and any
file that trips the parallel reader, goes through the serial chunked reader.
The exact line of a bad cell is looked up only when something is wrong.

Examples
--------
>>> import numpy as np
>>> from discover.data import from_arrays
>>> t = np.linspace(0, 1, 101)
>>> s = from_arrays(np.c_[np.cos(t), np.sin(t)], t=t, names=["x", "y"])
>>> s.variables, s.n_samples, s.n_trajectories
(('x', 'y'), 101, 1)
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError, DataWarning

__all__ = [
    "Trajectory",
    "Series",
    "load",
    "load_csv",
    "from_dataframe",
    "from_arrays",
    "TIME_NAMES",
    "TIME_UNITS",
]

#: Column names taken as the time column when none is named (compared case-insensitively).
TIME_NAMES = ("t", "time", "year", "date", "datetime", "timestamp")

#: Units a time axis can be stated in (``time_unit=``, ``--time-unit``), with their length in seconds.
TIME_UNITS = {"seconds": 1.0, "minutes": 60.0, "hours": 3600.0, "days": 86400.0, "weeks": 604800.0,
              "months": 365.2425 * 86400.0 / 12, "years": 365.2425 * 86400.0}


def _is_time_name(name) -> bool:
    return str(name).strip().lower() in TIME_NAMES


def _as_unit(unit) -> str | None:
    if unit is None:
        return None
    u = str(unit).strip().lower()
    u = {"s": "seconds", "sec": "seconds", "second": "seconds", "min": "minutes", "minute": "minutes",
         "h": "hours", "hour": "hours", "d": "days", "day": "days", "week": "weeks", "month": "months",
         "y": "years", "yr": "years", "year": "years"}.get(u, u)
    if u not in TIME_UNITS:
        raise DataError(f"time_unit must be one of {', '.join(TIME_UNITS)}; got {unit!r}")
    return u


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Trajectory:
    """One trajectory: time stamps, states and (optionally) inputs."""

    t: np.ndarray
    x: np.ndarray
    u: np.ndarray | None = None
    name: str = ""

    def __post_init__(self):
        object.__setattr__(self, "t", _frozen(self.t).reshape(-1))
        x = _frozen(self.x)
        if x.ndim == 1:
            x = x.reshape(-1, 1)
            x.setflags(write=False)
        object.__setattr__(self, "x", x)
        if self.u is not None:
            u = _frozen(self.u)
            if u.ndim == 1:
                u = u.reshape(-1, 1)
                u.setflags(write=False)
            object.__setattr__(self, "u", u)

    @classmethod
    def _owned(cls, t: np.ndarray, x: np.ndarray, u: np.ndarray | None = None, name: str = "") -> Trajectory:
        """A trajectory over float64 arrays the data layer just made (no copy; marked read-only)."""
        obj = object.__new__(cls)
        for a in (t, x, u):
            if a is not None:
                a.setflags(write=False)
        object.__setattr__(obj, "t", t)
        object.__setattr__(obj, "x", x)
        object.__setattr__(obj, "u", u)
        object.__setattr__(obj, "name", name)
        return obj

    def __eq__(self, other) -> bool:
        if not isinstance(other, Trajectory):
            return NotImplemented
        return (self.name == other.name and np.array_equal(self.t, other.t) and np.array_equal(self.x, other.x)
                and (self.u is None) == (other.u is None) and (self.u is None or np.array_equal(self.u, other.u)))

    __hash__ = None  # holds arrays

    def __len__(self) -> int:
        return len(self.t)

    @property
    def dt(self) -> float:
        """Median time step."""
        return float(np.median(np.diff(self.t))) if len(self.t) > 1 else float("nan")

    @property
    def regular(self) -> bool:
        """True when all time steps equal the median within 1e-6 relative.

        Rounding of large stamps (epoch seconds) is allowed for: a few units in
        the last place of the largest stamp.
        """
        if len(self.t) < 3:
            return True
        d = np.diff(self.t)
        med = np.median(d)
        tol = 1e-6 * abs(med) + 8 * np.finfo(float).eps * np.max(np.abs(self.t))
        return bool(np.all(np.abs(d - med) <= tol))

    def slice(self, start: int | None, stop: int | None) -> Trajectory:
        """Samples ``start:stop`` as a new trajectory."""
        return Trajectory(self.t[start:stop], self.x[start:stop],
                          None if self.u is None else self.u[start:stop], self.name)


@dataclass(frozen=True)
class Series:
    """A dynamical system observed as one or several trajectories.

    Parameters
    ----------
    trajectories : sequence of Trajectory
    variables : sequence of str
        Names of the state variables (columns of each trajectory's ``x``).
    inputs : sequence of str
        Names of the exogenous inputs (columns of ``u``); empty if none.
    time : str
        Name of the time column (``"t"`` when the row index was used).
        Its unit, when known (dates, the user's ``time_unit``, a ``year``
        column), is :attr:`time_unit`, kept in ``meta["time_unit"]``.
    source : str
        Where the data came from (file names), for reports.
    """

    trajectories: tuple
    variables: tuple
    inputs: tuple = ()
    time: str = "t"
    source: str = ""
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "trajectories", tuple(self.trajectories))
        object.__setattr__(self, "variables", tuple(str(v) for v in self.variables))
        object.__setattr__(self, "inputs", tuple(str(v) for v in self.inputs))
        if not self.trajectories:
            raise DataError("a Series needs at least one trajectory")
        for k, tr in enumerate(self.trajectories):
            if tr.x.shape[1] != len(self.variables):
                raise DataError(
                    f"trajectory {k} has {tr.x.shape[1]} state columns but {len(self.variables)} names were given"
                )
            if (tr.u is None) != (not self.inputs) or (tr.u is not None and tr.u.shape[1] != len(self.inputs)):
                raise DataError(f"trajectory {k} does not match the input names {list(self.inputs)}")

    # -- shape -------------------------------------------------------------
    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_trajectories(self) -> int:
        return len(self.trajectories)

    @property
    def n_samples(self) -> int:
        """Total number of samples over all trajectories."""
        return sum(len(tr) for tr in self.trajectories)

    @property
    def dt(self) -> float:
        """Median time step over all trajectories."""
        steps = np.concatenate([np.diff(tr.t) for tr in self.trajectories])
        return float(np.median(steps)) if len(steps) else float("nan")

    @property
    def regular(self) -> bool:
        """True when every trajectory is sampled at the same constant step."""
        dt = self.dt
        return all(tr.regular and (len(tr) < 2 or abs(tr.dt - dt) <= 1e-6 * abs(dt))
                   for tr in self.trajectories)

    @property
    def time_unit(self) -> str:
        """The unit of ``t`` (``"years"``, ``"days"``, ...): from dates, the user's choice, else ``""``."""
        return str(self.meta.get("time_unit") or "")

    @property
    def x(self) -> np.ndarray:
        """All states stacked, shape ``(n_samples, n_variables)``."""
        return np.concatenate([tr.x for tr in self.trajectories])

    @property
    def t(self) -> np.ndarray:
        """All time stamps stacked, shape ``(n_samples,)``."""
        return np.concatenate([tr.t for tr in self.trajectories])

    @property
    def u(self) -> np.ndarray | None:
        """All inputs stacked, or ``None``."""
        if not self.inputs:
            return None
        return np.concatenate([tr.u for tr in self.trajectories])

    def __iter__(self):
        return iter(self.trajectories)

    def __len__(self) -> int:
        return self.n_trajectories

    def __repr__(self) -> str:
        inp = f", inputs={list(self.inputs)}" if self.inputs else ""
        return (f"Series(variables={list(self.variables)}{inp}, trajectories={self.n_trajectories}, "
                f"samples={self.n_samples}, dt={self.dt:.4g}{'' if self.regular else ' (irregular)'})")

    # -- derived data ------------------------------------------------------
    def derivatives(self, method: str = "auto", **kwargs) -> list[np.ndarray]:
        """Time derivatives of the states, one array per trajectory.

        Computed trajectory by trajectory, never across a boundary. See
        :func:`discover.derivatives.differentiate` for the methods.
        """
        from .derivatives import differentiate

        return [differentiate(tr.x, tr.t, method=method, **kwargs) for tr in self.trajectories]

    def with_trajectories(self, trajectories) -> Series:
        """A Series with the same names and other trajectories."""
        return Series(tuple(trajectories), self.variables, self.inputs, self.time, self.source, dict(self.meta))

    def split(self, fraction: float = 0.2) -> tuple[Series, Series]:
        """Split into (train, held-out): the last ``fraction`` of each trajectory is held out.

        With several trajectories and ``fraction * n_trajectories >= 1``,
        whole trajectories are held out instead (the last ones), so held-out
        data start from initial conditions the fit never saw.
        """
        if not 0 < fraction < 1:
            raise ValueError(f"fraction must be in (0, 1); got {fraction}")
        n_hold = int(round(fraction * self.n_trajectories))
        if self.n_trajectories > 1 and n_hold >= 1:
            return (self.with_trajectories(self.trajectories[:-n_hold]),
                    self.with_trajectories(self.trajectories[-n_hold:]))
        train, test = [], []
        for tr in self.trajectories:
            cut = max(2, int(round(len(tr) * (1 - fraction))))
            train.append(tr.slice(None, cut))
            test.append(tr.slice(cut - 1, None))
        return self.with_trajectories(train), self.with_trajectories(test)

    def to_frame(self):
        """All trajectories as one :class:`pandas.DataFrame` (with a ``trajectory`` column when several)."""
        import pandas as pd

        frames = []
        for k, tr in enumerate(self.trajectories):
            df = pd.DataFrame(tr.x, columns=list(self.variables))
            if self.inputs:
                for j, name in enumerate(self.inputs):
                    df[name] = tr.u[:, j]
            df.insert(0, self.time, tr.t)
            if self.n_trajectories > 1:
                df.insert(0, "trajectory", tr.name or k)
            frames.append(df)
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> dict:
        """A JSON-able description for reports."""
        return {
            "source": self.source,
            "variables": list(self.variables),
            "inputs": list(self.inputs),
            "time": self.time,
            "time_unit": self.time_unit,
            "time_from": self.meta.get("time_from", "column"),
            **({"time_start": self.meta["time_start"]} if self.meta.get("time_start") else {}),
            "n_trajectories": self.n_trajectories,
            "n_samples": self.n_samples,
            "dt": self.dt,
            "regular": self.regular,
        }


# ---------------------------------------------------------------------------
# Constructors.
#
# Every constructor ends in :func:`_build`, which takes plain columns and a
# ``_Where`` (how to name a row for the user) and does all validation with
# whole-array numpy operations. The exact line and cell text of a bad value
# are looked up only once something is known to be wrong (``_CsvWhere`` then
# re-reads the file with the :mod:`csv` module up to that record).

_DELIMITERS = (",", ";", "\t", "|")
_WHITESPACE = r"\s+"
_SNIFF_BYTES = 1 << 16
_NA_TEXT = ("", "nan", "-nan", "+nan", "na", "n/a", "#n/a", "null", "none", "<na>", "nil")
_CHUNK_ROWS = 1 << 17  # rows per parsed chunk: ~1 MB per column
_FLOAT_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
_DECIMAL_COMMA_RE = re.compile(r"^\s*[+-]?\d*,\d+([eE][+-]?\d+)?\s*$")


def _is_number(text: str) -> bool:
    return bool(_FLOAT_RE.match(text))


def _as_names(value, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        names = [str(v) for v in value]
    except TypeError:
        raise DataError(f"{what} must be a column name or a list of column names; got {value!r}") from None
    return names


def _as_dt(dt) -> float:
    if dt is None:
        return 1.0
    try:
        dt = float(dt)
    except (TypeError, ValueError):
        raise DataError(f"dt must be a positive number; got {dt!r}") from None
    if not (np.isfinite(dt) and dt > 0):
        raise DataError(f"dt must be a positive number; got {dt!r}")
    return dt


class _Where:
    """How rows of one table are named in error messages (a DataFrame or arrays)."""

    def __init__(self, source: str, index=None):
        self.source = source
        self.index = index  # row labels, or None for 0-based positions

    def row(self, pos: int):
        return int(pos) if self.index is None else self.index[int(pos)]

    def describe(self, pos: int, column: str, value) -> str:
        """Why ``value`` (not finite) at ``pos`` is bad."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "missing value (NaN)"
        return f"value {value} is not finite"

    def error(self, message: str, pos: int | None = None, column: str | None = None) -> DataError:
        return DataError(message, file=self.source, row=None if pos is None else self.row(pos), column=column)


class _CsvWhere(_Where):
    """Rows of a CSV file, named by their 1-based line number (header = line 1)."""

    def __init__(self, path, opener, delimiter: str, header_line: int, columns: list[str]):
        super().__init__(str(path))
        self.path = path
        self.opener = opener
        self.delimiter = delimiter
        self.header_line = header_line
        self.columns = list(columns)
        self.n_fields = len(columns)
        self._cache: dict[int, tuple[int, list[str]]] = {}

    def record(self, pos: int) -> tuple[int, list[str]] | None:
        """(line number, fields) of data record ``pos`` (0-based, blank lines skipped), or None."""
        pos = int(pos)
        if pos in self._cache:
            return self._cache[pos]
        try:
            with self.opener() as fh:
                k = -1
                if self.delimiter == _WHITESPACE:
                    for lineno, line in enumerate(fh, 1):
                        if lineno <= self.header_line or not line.strip():
                            continue
                        k += 1
                        if k == pos:
                            self._cache[pos] = (lineno, line.split())
                            return self._cache[pos]
                else:
                    reader = csv.reader(fh, delimiter=self.delimiter, skipinitialspace=True)
                    for fields in reader:
                        if reader.line_num <= self.header_line or not fields:
                            continue
                        k += 1
                        if k == pos:
                            self._cache[pos] = (reader.line_num, fields)
                            return self._cache[pos]
        except (OSError, csv.Error, UnicodeDecodeError, EOFError):  # pragma: no cover - only the location is lost
            return None
        return None

    def first_ragged(self, positions) -> tuple[int, list[str]] | None:
        """(line, fields) of the first record among ``positions`` whose field count is wrong, in one pass."""
        wanted = set(int(p) for p in positions)
        last = max(wanted) if wanted else -1
        try:
            with self.opener() as fh:
                if self.delimiter == _WHITESPACE:
                    records = ((n, ln.split()) for n, ln in enumerate(fh, 1) if n > self.header_line and ln.strip())
                else:
                    reader = csv.reader(fh, delimiter=self.delimiter, skipinitialspace=True)
                    records = ((reader.line_num, f) for f in reader if reader.line_num > self.header_line and f)
                for k, (lineno, fields) in enumerate(records):
                    if k > last:
                        break
                    if k in wanted and len(fields) != self.n_fields:
                        return lineno, fields
        except (OSError, csv.Error, UnicodeDecodeError, EOFError):  # pragma: no cover
            return None
        return None

    def row(self, pos: int):
        rec = self.record(pos)
        return None if rec is None else rec[0]

    def ragged(self, pos: int) -> str | None:
        rec = self.record(pos)
        if rec is not None and len(rec[1]) != self.n_fields:
            return f"this row has {len(rec[1])} fields but the header has {self.n_fields}"
        return None

    def describe(self, pos: int, column: str, value) -> str:
        why = self.ragged(pos)
        if why:
            return why
        rec = self.record(pos)
        text = None
        if rec is not None:
            try:
                text = rec[1][self.columns.index(column)].strip()
            except (AttributeError, ValueError, IndexError):
                text = None
        if text == "":
            return "empty cell (missing value)"
        if text is not None:
            return f"value {text!r} is not a finite number"
        return super().describe(pos, column, value)


def _open_text(path: Path, encoding: str):
    if str(path).lower().endswith(".gz"):
        return lambda: gzip.open(path, "rt", encoding=encoding, newline="")
    return lambda: open(path, encoding=encoding, newline="")


def _read_head(path: Path) -> tuple[str, str]:
    """The first bytes of a file as text, and the encoding that decodes them."""
    try:
        if str(path).lower().endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                raw = fh.read(_SNIFF_BYTES)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise DataError("no such file", file=path) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a CSV file", file=path) from None
    except (OSError, EOFError) as exc:  # bad gzip, permissions
        raise DataError(f"cannot read the file ({exc})", file=path) from None
    if len(raw) == _SNIFF_BYTES:  # do not split a line (or a UTF-8 sequence) at the cut
        cut = raw.rfind(b"\n")
        raw = raw[: cut + 1] if cut > 0 else raw
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return raw.decode(encoding), "utf-8" if encoding == "utf-8-sig" else encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes everything")  # pragma: no cover


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == _WHITESPACE:
        return line.split()
    try:
        rows = list(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    except csv.Error:
        return line.split(delimiter)
    return rows[0] if rows else []


def _sniff(lines: list[str]) -> str:
    """The delimiter that splits the header and the first lines into the same number (> 1) of fields."""
    best, best_score = None, (0, 0)
    for d in _DELIMITERS:
        counts = [len(_split(line, d)) for line in lines]
        if counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts), counts[0])
        if score > best_score:
            best, best_score = d, score
    if best is not None:
        return best
    counts = [len(line.split()) for line in lines]
    if counts[0] >= 2 and all(c == counts[0] for c in counts):
        return _WHITESPACE
    return ","


def _read_csv_file(path: Path, *, wanted: set[str] | None, text_ok: set[str], group: str | None,
                   time_names: set, delimiter: str | None, skip: frozenset = frozenset()):
    """Read one CSV file into ``(columns: dict name -> ndarray|Series, where, n_rows)``.

    Numeric columns come back as float64 arrays parsed by pandas' C parser.
    ``wanted``: the only columns to parse (None: all). Columns that are text
    throughout (and not wanted by name) are dropped with a warning.
    """
    import pandas as pd

    head, encoding = _read_head(path)
    lines_with_no = [(i, ln) for i, ln in enumerate(head.splitlines(), 1) if ln.strip()]
    if not lines_with_no:
        raise DataError("the file is empty (no header line, no data)", file=path)
    header_line = lines_with_no[0][0]
    sample = [ln for _, ln in lines_with_no[:21]]
    if delimiter is None:
        delim = _sniff(sample)
    else:
        delim = {"tab": "\t", "\\t": "\t", "whitespace": _WHITESPACE, " ": _WHITESPACE}.get(delimiter, delimiter)
        if not isinstance(delim, str) or not delim:
            raise DataError(f"delimiter must be a non-empty string; got {delimiter!r}")
    header = [h.strip() for h in _split(sample[0], delim)]
    has_header = not all(_is_number(h) for h in header)
    if not has_header:
        warnings.warn(f"{path}: the first line holds numbers, not column names; reading it as data and "
                      f"naming the columns x0, x1, ...", DataWarning, stacklevel=4)
        header = [f"x{i}" for i in range(len(header))]
        header_line -= 1
    seen = {}
    for j, name in enumerate(header):
        if name in seen:
            raise DataError(f"duplicate column name (columns {seen[name] + 1} and {j + 1})", file=path,
                            row=header_line if has_header else None, column=name)
        seen[name] = j
    unnamed = [j for j, h in enumerate(header) if h == ""]
    if unnamed:
        if wanted is None:
            warnings.warn(f"{path}: column(s) {[j + 1 for j in unnamed]} have no name and are ignored",
                          DataWarning, stacklevel=4)
    decimal = "."
    data_lines = sample[1:] if has_header else sample
    if delim in (";", "\t", _WHITESPACE) and data_lines:
        cells = [c for ln in data_lines for c in _split(ln, delim)]
        if any(_DECIMAL_COMMA_RE.match(c) for c in cells) and not any("." in c for c in cells):
            decimal = ","
    # Every column is parsed (pandas skips the field-count check on the columns ``usecols`` drops, and
    # ragged rows must not pass); the ones not wanted are dropped after.
    usecols = [h for h in header if h != "" and h not in skip and (wanted is None or h in wanted or h.lower() in wanted)]
    first = _split(data_lines[0], delim) if data_lines else []
    dtype = {}
    for j, h in enumerate(header):
        cell = first[j].strip() if j < len(first) else ""
        if h == group or (cell and not _is_number(cell) and not (decimal == "," and _DECIMAL_COMMA_RE.match(cell))
                          and cell.lower().lstrip("+-") not in ("nan", "inf", "infinity", "na", "null", "none")):
            dtype[j] = object  # text (a group label, a date) or junk: looked at below
        else:
            dtype[j] = np.float64
    opener = _open_text(path, encoding)
    where = _CsvWhere(path, opener, delim, header_line if has_header else 0, header)

    rows_guess = _guess_rows(path, head)

    def read(dtypes):
        """Parse in chunks straight into one column-major float64 block: the peak stays near the data size."""
        numeric = [k for k in range(len(header)) if dtypes[k] is np.float64]
        textual = [k for k in range(len(header)) if dtypes[k] is not np.float64]
        block = np.empty((rows_guess, len(numeric)), order="F")
        texts = {k: [] for k in textual}
        n = 0
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                path, sep=delim, header=0 if has_header else None, names=None if has_header else header,
                index_col=False, dtype=dtypes, engine="c", chunksize=_CHUNK_ROWS, encoding=encoding,
                decimal=decimal, compression="infer", skip_blank_lines=True, on_bad_lines="error",
            )
            with reader:
                for chunk in reader:
                    if chunk.shape[1] != len(header):  # pragma: no cover - pandas raised or warned
                        raise DataError(f"the header has {len(header)} names but a row has {chunk.shape[1]} "
                                        f"fields", file=path)
                    c = len(chunk)
                    if n + c > block.shape[0]:  # the guess was short (gzip, uneven lines): grow by half
                        bigger = np.empty((max(n + c, block.shape[0] * 3 // 2), len(numeric)), order="F")
                        bigger[:n] = block[:n]
                        block = bigger
                    for m, k in enumerate(numeric):
                        block[n:n + c, m] = chunk.iloc[:, k].to_numpy(dtype=np.float64, copy=False)
                    for k in textual:
                        texts[k].append(chunk.iloc[:, k].to_numpy(dtype=object))
                    n += c
        cols = _block_columns(block, n, numeric)
        for k in textual:
            cols[k] = np.concatenate(texts[k]) if texts[k] else np.empty(0, dtype=object)
        return cols

    def read_parallel():
        """The all-numeric plain-file case on several cores (see :mod:`discover._csv_parallel`), or None."""
        from . import _csv_parallel

        if (any(dtype[k] is not np.float64 for k in dtype) or decimal != "." or delim == _WHITESPACE
                or len(delim) != 1 or encoding != "utf-8" or str(path).lower().endswith(".gz")
                or len(head.splitlines()) != len(head.replace("\r\n", "\n").split("\n")) - head.endswith("\n")):
            return None
        try:
            if path.stat().st_size < _csv_parallel.MIN_BYTES:
                return None
            with open(path, "rb") as fh:
                for _ in range(header_line):  # the lines before the data (blank ones, the header)
                    fh.readline()
                data_start = fh.tell()
            block, n = _csv_parallel.read_block(path, data_start=data_start, n_columns=len(header),
                                                delimiter=delim, rows_guess=rows_guess)
        except (_csv_parallel.Unavailable, OSError):
            return None
        return _block_columns(block, n, range(len(header))) if n else None

    try:
        try:
            raw = read_parallel()
            if raw is None:
                raw = read(dtype)
        except ValueError as exc:
            if isinstance(exc, (pd.errors.ParserError, DataError)):
                raise
            # A float column holds text somewhere: read every column as text and find the cell below.
            raw = read({k: object for k in dtype})
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (no header line, no data)", file=path) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, csv.Error, UnicodeDecodeError, ValueError,
            OverflowError, EOFError, OSError) as exc:
        raise _locate_parse_error(path, where, exc) from None
    n_rows = len(raw[0]) if raw else 0
    if n_rows == 0:
        raise DataError("the file has a header but no data rows", file=path, row=header_line + 1)
    last = raw[len(header) - 1]
    if header[-1] not in usecols:
        missing = np.isnan(last) if last.dtype == np.float64 else pd.isna(last)
        if missing.any():
            # Too few fields leave the last column empty; a used column is checked (and located) later.
            bad = where.first_ragged(np.flatnonzero(missing))
            if bad is not None:
                raise DataError(f"this row has {len(bad[1])} fields but the header has {len(header)}",
                                file=path, row=bad[0])
    columns = _Columns()
    columns.block = raw.block
    for j, name in enumerate(header):
        if name not in usecols:
            continue
        values = raw[j]
        if values.dtype == np.float64:
            columns[name] = values
            columns.index[name] = raw.index[j]
            continue
        col = pd.Series(values, copy=False).str.strip()
        if name == group:
            columns[name] = col
            continue
        num = pd.to_numeric(col.str.replace(",", ".", regex=False) if decimal == "," else col,
                            errors="coerce").to_numpy(dtype=np.float64, copy=True)
        missing = pd.isna(values) | col.str.lower().isin(_NA_TEXT).to_numpy()
        num[missing] = np.nan
        bad = np.isnan(num) & ~missing
        if not bad.any():
            columns[name] = num
            continue
        if bad.all() and (name in time_names or name.lower() in time_names):
            stamps = _parse_dates(col)
            if stamps is not None:
                columns[name] = stamps
                continue
        if bad.all() and name not in text_ok:
            warnings.warn(f"{path}: column {name!r} is not numeric and is ignored", DataWarning, stacklevel=4)
            continue
        pos = int(np.argmax(bad))
        why = where.ragged(pos) or f"value {str(values[pos]).strip()!r} is not a number"
        raise where.error(why, pos, name)
    return columns, where, n_rows


def _guess_rows(path: Path, head: str) -> int:
    """Rows to allocate for: file size over the mean line length of its head (plus slack)."""
    lines = head.count("\n")
    if lines < 2:
        return _CHUNK_ROWS
    try:
        size = path.stat().st_size
        if str(path).lower().endswith(".gz"):
            # A gzip file ends with its uncompressed size modulo 2**32 (of its last member only, so
            # this can fall short; the reader then grows the block).
            with open(path, "rb") as fh:
                fh.seek(-4, os.SEEK_END)
                size = max(int.from_bytes(fh.read(4), "little"), len(head))
    except OSError:  # pragma: no cover
        return _CHUNK_ROWS
    per_line = max(len(head.encode("utf-8", "replace")) / lines, 1.0)
    return int(size / per_line * 1.2) + 16


class _Dates:
    """A time column of dates, turned into numbers by :func:`_date_numbers` once every table is read.

    ``seconds``: seconds since 1970 (UTC when the stamps carry a zone); ``months``: the
    wall-clock month count ``12 * year + month - 1``; ``in_month``: True when every stamp
    falls on the same day of the month at the same time of day (calendar sampling: each
    step is a whole number of months); ``first``: the first stamp in ISO form.
    """

    def __init__(self, seconds: np.ndarray, months: np.ndarray, in_month: bool, first: str):
        self.seconds, self.months, self.in_month, self.first = seconds, months, in_month, first

    def __len__(self) -> int:
        return len(self.seconds)


def _parse_dates(values) -> _Dates | None:
    """The stamps as :class:`_Dates`, or None when ``values`` are not all dates or date-times.

    ISO 8601 dates and date-times, with or without a zone (``2001-03-01``,
    ``2001-03-01T12:00:00+02:00``, ``...Z``); mixed zones are compared in UTC.
    Other formats pandas recognises are accepted as well.
    """
    import pandas as pd

    values = values if isinstance(values, (pd.Series, pd.Index)) else pd.Series(values, copy=False)
    stamps = None
    if values.dtype.kind == "M":
        stamps = pd.Series(values, copy=False)
    else:
        for kwargs in ({"format": "ISO8601"}, {"format": "ISO8601", "utc": True}, {}, {"utc": True}):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    stamps = pd.Series(pd.to_datetime(values, errors="raise", **kwargs), copy=False)
                break
            except (ValueError, TypeError, OverflowError):
                continue
    if stamps is None or len(stamps) == 0 or stamps.isna().any():
        return None
    wall = stamps.dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    utc = stamps.dt.tz_convert("UTC").dt.tz_localize(None) if stamps.dt.tz is not None else stamps
    seconds = (utc - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype=np.float64)
    months = (wall.dt.year * 12 + wall.dt.month - 1).to_numpy(dtype=np.int64)
    offset = (wall - wall.dt.to_period("M").dt.start_time).to_numpy()  # day-in-month and time of day
    in_month = bool(len(offset) > 1 and (offset == offset[0]).all())
    return _Dates(seconds, months, in_month, stamps.iloc[0].isoformat())


def _date_numbers(dates: list[_Dates], unit: str | None) -> tuple[list[np.ndarray], str]:
    """Numbers for the date columns of all tables, in ``unit`` (chosen from the step when None).

    Calendar sampling (every stamp on the same day of its month at the same
    time: monthly, quarterly, yearly data) is counted in calendar months, so
    it is regular: in years, ``2001-03-01`` is ``2001 + 2/12``. Other dates are
    counted in ``unit`` from the first stamp (years: decimal years from 1970).
    Without a unit: years for calendar sampling, else the largest of seconds,
    minutes, hours and days not longer than the median step.
    """
    calendar = all(d.in_month for d in dates)
    if unit is None:
        if calendar:
            unit = "years"
        else:
            steps = np.concatenate([np.diff(d.seconds) for d in dates])
            step = float(np.median(steps)) if len(steps) else 1.0
            unit = next((u for u in ("days", "hours", "minutes") if step >= TIME_UNITS[u]), "seconds")
    if calendar and unit in ("years", "months"):
        scale = 12.0 if unit == "years" else 1.0
        origin = 0 if unit == "years" else min(int(d.months[0]) for d in dates)
        return [(d.months - origin) / scale for d in dates], unit
    if unit == "years":
        return [1970.0 + d.seconds / TIME_UNITS["years"] for d in dates], unit
    origin = min(float(d.seconds[0]) for d in dates)
    return [(d.seconds - origin) / TIME_UNITS[unit] for d in dates], unit


def _locate_parse_error(path: Path, where: _CsvWhere, exc: Exception) -> DataError:
    """A DataError for a file pandas could not tokenize: find the first ragged record."""
    k = 0
    while True:
        rec = where.record(k)
        if rec is None:
            break
        if len(rec[1]) != where.n_fields:
            return DataError(f"this row has {len(rec[1])} fields but the header has {where.n_fields}",
                             file=path, row=rec[0])
        k += 1
    msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    m = re.search(r"EOF inside string starting at row (\d+)", msg)
    if m:  # pandas counts records from 0 at the header
        return DataError("a quote opened on this line is never closed", file=path, row=int(m.group(1)) + 1)
    m = re.search(r"line (\d+)", msg)
    return DataError(f"cannot parse the file: {msg}", file=path, row=int(m.group(1)) if m else None)


def _increasing(col, evenly: bool) -> bool:
    """True when a column's values increase strictly (``evenly``: by one constant step, in months for dates)."""
    if isinstance(col, _Dates):
        if col.in_month and evenly:
            d = np.diff(col.months)
            return bool(len(d) and d[0] > 0 and (d == d[0]).all())
        col = col.seconds
    try:
        d = np.diff(np.asarray(col, dtype=np.float64))
    except (TypeError, ValueError):
        return False
    if not (len(d) and np.isfinite(d).all() and (d > 0).all()):
        return False
    return not evenly or bool(np.all(np.abs(d - d[0]) <= 1e-6 * d[0]))


def _find_time_column(tables, names0, taken: set, where) -> str | None:
    """The column named like time (:data:`TIME_NAMES`, any case).

    Among several: the only one that increases strictly, else the only one
    that increases by a constant step; otherwise an error lists them.
    """
    candidates = [n for n in names0 if _is_time_name(n) and n not in taken]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for evenly in (False, True):
        rising = [c for c in candidates if all(_increasing(cols[c], evenly) for cols, *_ in tables)]
        if len(rising) == 1:
            return rising[0]
        candidates = rising or candidates
    raise where.error(f"several columns could be the time column: {', '.join(map(repr, candidates))}; "
                      f"name one with time= (--time on the command line)")


def _build(tables, *, time, group, inputs, variables, dt, source: str, time_label: str | None = None,
           wide: bool = False, drop=None, time_unit: str | None = None) -> Series:
    """Validate columns and assemble the Series.

    ``tables``: list of ``(columns, where, n_rows, name)`` with ``columns`` a dict
    name -> float array (the group column may be any 1-D labels; the time column
    may be :class:`_Dates`).
    """
    dt = _as_dt(dt)
    inputs = _as_names(inputs, "inputs") or []
    variables = _as_names(variables, "variables")
    drop = _as_names(drop, "drop") or []
    time_unit = _as_unit(time_unit)
    names0 = list(tables[0][0])
    for columns, where, _, _ in tables:
        avail = [c for c in getattr(where, "columns", columns) if c and not c.startswith("\x00")]
        for c in drop:
            if c not in columns and c not in avail:
                raise where.error(f"the column {c!r} to drop is not in the data; columns are {avail}")
    # -- resolve the time column --------------------------------------------
    if time is None:
        taken0 = {group} | set(inputs) | set(variables or []) | set(drop)
        time_col = _find_time_column(tables, names0, taken0, tables[0][1])
    elif time is False:
        time_col = None
    else:
        time_col = str(time)
    for columns, where, _, _ in tables:
        avail = [c for c in getattr(where, "columns", columns) if c and not c.startswith("\x00")]
        for role, cols in (("time", [time_col] if time_col is not None else []), ("group", [group] if group else []),
                           ("input", inputs), ("variable", variables or [])):
            for c in cols:
                if c not in columns:
                    raise where.error(f"the {role} column {c!r} is not in the data; columns are {avail}")
    # -- the time axis's unit; dates become numbers in it ---------------------------
    time_start = None
    if time_col is not None and any(isinstance(cols[time_col], _Dates) for cols, *_ in tables):
        for cols, where, _, _ in tables:
            if not isinstance(cols[time_col], _Dates):
                raise where.error(f"the time column {time_col!r} holds dates in one file and numbers in another")
        dates = [cols[time_col] for cols, *_ in tables]
        numbers, time_unit = _date_numbers(dates, time_unit)
        time_start = min(dates, key=lambda d: d.seconds[0]).first
        for (cols, *_), num in zip(tables, numbers):
            cols[time_col] = num
    elif time_unit is None and time_col is not None and str(time_label or time_col).lower() in ("year", "years"):
        time_unit = "years"
    if group is not None and group in inputs + (variables or []):
        raise DataError(f"column {group!r} cannot be both the group column and a variable or input")
    taken = {c for c in (time_col, group) if c is not None} | set(inputs)
    if variables is None:
        variables = [c for c in names0 if c not in taken and c not in drop]
    else:
        clash = [c for c in variables if c in taken]
        if clash:
            raise DataError(f"column(s) {clash} cannot be both variables and the time, group or input column")
    dup = sorted({c for c in variables + inputs if (variables + inputs).count(c) > 1})
    if dup:
        raise DataError(f"column(s) {dup} named more than once in variables/inputs")
    if not variables:
        raise tables[0][1].error(f"no state variables left (columns: {names0}; time={time_col!r}, "
                                 f"group={group!r}, inputs={inputs})")
    # -- per table: finite values, groups, time order --------------------------
    trajs = []
    for columns, where, n_rows, tname in tables:
        x = _stack(columns, variables)
        u = _stack(columns, inputs) if inputs else None
        for arr, names in ((x, variables), (u, inputs)):
            if arr is None:
                continue
            finite = np.isfinite(arr)
            if not finite.all():
                pos = int(np.argmin(finite.all(axis=1)))  # the first bad row, then its first bad column
                j = int(np.argmin(finite[pos]))
                raise where.error(where.describe(pos, names[j], arr[pos, j]), pos, names[j])
        if time_col is not None:
            t = np.array(columns[time_col], dtype=np.float64)  # a copy: never a view of the user's data
            finite = np.isfinite(t)
            if not finite.all():
                pos = int(np.argmin(finite))
                raise where.error(where.describe(pos, time_col, t[pos]), pos, time_col)
        else:
            t = None
        if group is not None:
            pieces = _split_groups(columns[group], where, group)
        else:
            pieces = [(None, None)]
        for label, idx in pieces:
            if idx is None:
                n = n_rows
                tk = t if t is not None else np.arange(n, dtype=np.float64) * dt
                xk, uk = x, u
            else:
                n = len(idx)
                tk = t[idx] if t is not None else np.arange(n, dtype=np.float64) * dt
                xk = x[idx]
                uk = None if u is None else u[idx]
            what = "" if label is None else f" (group {label!r})"
            if n < 2:
                pos = 0 if idx is None else int(idx[0])
                raise where.error(f"only one sample{what}: a trajectory needs at least two rows", pos,
                                  group if label is not None else None)
            step = np.diff(tk)
            if not (step > 0).all():
                k = int(np.argmin(step > 0)) + 1
                pos = k if idx is None else int(idx[k])
                col = time_col or "index"
                if group is None:
                    what = " (if the data hold several trajectories, name the column that tells them apart " \
                           "with group=)"
                if step[k - 1] == 0:
                    raise where.error(f"duplicate time stamp {tk[k]:g}{what}", pos, col)
                raise where.error(f"time goes backwards ({tk[k - 1]:g} then {tk[k]:g}){what}; time stamps "
                                  f"must be increasing", pos, col)
            name = tname if label is None else (str(label) if len(tables) == 1 else f"{tname}:{label}")
            trajs.append(Trajectory._owned(tk, xk, uk, name))
    n_samples = sum(len(tr) for tr in trajs)
    if len(variables) > n_samples and not wide:
        raise DataError(f"{len(variables)} variables but only {n_samples} samples: more variables than samples "
                        f"(for a field on a grid, analysed with DMD-type methods, pass wide=True, or --wide "
                        f"on the command line)", file=source)
    # Constant columns: warn once per column, over all trajectories together.
    lo = np.min([tr.x.min(axis=0) for tr in trajs], axis=0)
    hi = np.max([tr.x.max(axis=0) for tr in trajs], axis=0)
    for j in np.flatnonzero(lo == hi):
        warnings.warn(f"{source}: column {variables[j]!r} is constant ({lo[j]:g}); it carries no dynamics",
                      DataWarning, stacklevel=3)
    return Series(tuple(trajs), tuple(variables), tuple(inputs),
                  time_label if time_label is not None else (time_col or "t"), source,
                  {"time_from": "column" if time_col is not None else "index", "group": group,
                   "time_unit": time_unit or "", "time_start": time_start})


class _Columns(dict):
    """Columns by name; numeric ones may be views of one parsed ``block`` (``index``: name -> its column)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.block = None
        self.index = {}


def _block_columns(block: np.ndarray, n: int, keys) -> _Columns:
    """Columns ``keys`` (one per column of ``block``) of its first ``n`` rows; a generous guess is compacted."""
    block = np.asfortranarray(block[:n]) if n < 0.75 * block.shape[0] else block[:n]
    cols = _Columns({k: block[:, m] for m, k in enumerate(keys)})
    cols.block, cols.index = block, {k: m for m, k in enumerate(keys)}
    return cols


def _stack(columns: dict, names: list[str]) -> np.ndarray:
    if isinstance(columns, _Columns) and columns.block is not None and all(n in columns.index for n in names):
        where = [columns.index[n] for n in names]
        if where == list(range(where[0], where[0] + len(where))) and 2 * len(where) >= columns.block.shape[1]:
            # Adjacent columns making up most of the parsed block: a (column-major) view, no copy (the
            # block is ours). A few columns of a wide file are copied instead, so the block can be freed.
            return columns.block[:, where[0]:where[0] + len(where)]
        return np.take(columns.block, where, axis=1)
    out = np.empty((len(columns[names[0]]), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        out[:, j] = columns[name]
    return out


def _split_groups(labels, where: _Where, group: str):
    import pandas as pd

    labels = pd.Series(labels, copy=False) if not isinstance(labels, pd.Series) else labels
    missing = pd.isna(labels).to_numpy()
    if missing.any():
        raise where.error("missing group label", int(np.argmax(missing)), group)
    codes, uniques = pd.factorize(labels, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return [(lab, idx) for lab, idx in zip(uniques, np.split(order, bounds))]


def _paths(paths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        return [Path(paths)]
    try:
        out = [Path(p) for p in paths]
    except TypeError:
        raise DataError(f"expected a path or a list of paths; got {type(paths).__name__}") from None
    if not out:
        raise DataError("no files given")
    return out


def load_csv(paths, *, time: str | None = None, group: str | None = None, inputs: Sequence[str] | None = None,
             variables: Sequence[str] | None = None, dt: float | None = None,
             delimiter: str | None = None, wide: bool = False, drop: Sequence[str] | None = None,
             time_unit: str | None = None) -> Series:
    """Load one or several CSV files into a validated :class:`Series`.

    Parameters
    ----------
    paths : str, path-like, or list of them
        One file, or several files that are several trajectories of one
        system (they must have the same columns). ``.csv.gz`` files are
        decompressed on the fly.
    time : str, optional
        The time column. Default: the column named one of :data:`TIME_NAMES`
        (any case; among several, the one that increases by a constant step,
        else an error lists them), else the row index times ``dt``. ``False``
        forces the row index. Dates and date-times (ISO 8601, with or without
        a zone) become numbers in ``time_unit``; calendar sampling (monthly,
        quarterly, yearly stamps on the same day of the month) is regular in
        years: ``2001-03-01`` is ``2001 + 2/12``.
    time_unit : str, optional
        The unit of time: one of ``seconds, minutes, hours, days, weeks,
        months, years``. Dates are converted to it; numbers are taken to be in
        it. Default for dates: years for calendar sampling, else the largest of
        seconds, minutes, hours, days not longer than the median step; for a
        column named ``year``: years; otherwise unknown (``""``).
    drop : list of str, optional
        Columns to leave out of the default variables.
    group : str, optional
        A column whose values split the rows into several trajectories.
    inputs : list of str, optional
        Exogenous (control) columns, kept apart from the state.
    variables : list of str, optional
        The state columns. Default: every numeric column that is not the
        time, group or an input column.
    dt : float, optional
        Time step when time comes from the row index (default 1.0).
    delimiter : str, optional
        Field separator. Default: sniffed among ``,``, ``;``, tab and ``|``
        (and runs of spaces).
    wide : bool, default False
        Accept more variables than samples (a field on a grid, analysed with
        DMD-type methods). Without it, that is an error: most methods cannot
        identify more unknowns than there are samples.

    Returns
    -------
    Series

    Raises
    ------
    DataError
        Naming the file, the row (the line number an editor shows, header =
        line 1) and the column: missing or empty files, non-numeric cells,
        NaN/inf/empty cells, ragged rows, duplicate or decreasing time stamps,
        too few rows, absent columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from discover.data import load_csv
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> _ = p.write_text("t;x;y\\n0;1;2\\n0.1;1.5;2.5\\n0.2;2;3.5\\n")
    >>> s = load_csv(p)
    >>> s.variables, s.n_samples, s.dt
    (('x', 'y'), 3, 0.1)
    """
    files = _paths(paths)
    group = None if group is None else str(group)
    inputs_l = _as_names(inputs, "inputs") or []
    vars_l = _as_names(variables, "variables")
    drop_l = _as_names(drop, "drop") or []
    wanted = None
    if vars_l is not None:
        wanted = set(vars_l) | set(inputs_l) | ({group} if group else set()) | \
            ({str(time)} if time not in (None, False) else set(TIME_NAMES) if time is None else set())
    skip = frozenset(drop_l) - set(vars_l or []) - set(inputs_l) - {group, time}
    if time is None:
        time_names = set(TIME_NAMES)
    elif time is False:
        time_names = set()
    else:
        time_names = {str(time)}
    text_ok = set(inputs_l) | set(vars_l or []) | time_names
    tables = []
    for path in files:
        columns, where, n = _read_csv_file(path, wanted=wanted, text_ok=text_ok, group=group,
                                           time_names=time_names, delimiter=delimiter, skip=skip)
        tables.append((columns, where, n, _stem(path)))
    if len(tables) > 1:
        ref = set(tables[0][1].columns) - {""}
        for _, where, _, _ in tables[1:]:
            have = set(where.columns) - {""}
            if have != ref:
                missing, extra = sorted(ref - have), sorted(have - ref)
                raise where.error(
                    f"the files must have the same columns; compared with {files[0]}, this file "
                    f"lacks {missing} and has {extra} extra" if missing or extra else "columns differ")
    source = ", ".join(str(p) for p in files)
    return _build(tables, time=time, group=group, inputs=inputs_l, variables=vars_l, dt=dt, source=source,
                  wide=wide, drop=drop_l, time_unit=time_unit)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".tsv", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def from_dataframe(df, *, time: str | None = None, group: str | None = None, inputs: Sequence[str] | None = None,
                   variables: Sequence[str] | None = None, dt: float | None = None,
                   source: str = "DataFrame", wide: bool = False, drop: Sequence[str] | None = None,
                   time_unit: str | None = None) -> Series:
    """A validated :class:`Series` from a :class:`pandas.DataFrame` (which is left unchanged).

    Takes the same options as :func:`load_csv`. Time comes from the ``time``
    column, else a column named one of :data:`TIME_NAMES`, else a
    :class:`~pandas.DatetimeIndex` (or an index named like a time column),
    else the row position times ``dt``. Dates become numbers in ``time_unit``
    as in :func:`load_csv`. Errors name the column and the row's index label.

    Examples
    --------
    >>> import pandas as pd
    >>> from discover.data import from_dataframe
    >>> df = pd.DataFrame({"run": ["a", "a", "b", "b"], "t": [0, 1, 0, 1], "x": [1.0, 2.0, 3.0, 5.0]})
    >>> s = from_dataframe(df, group="run")
    >>> s.n_trajectories, [tr.name for tr in s]
    (2, ['a', 'b'])
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame; got {type(df).__name__}")
    names = [str(c) for c in df.columns]
    seen = set()
    for name in names:
        if name in seen:
            raise DataError("duplicate column name", file=source, column=name)
        seen.add(name)
    if len(df) == 0:
        raise DataError("the DataFrame has no rows", file=source)
    where = _Where(source, index=df.index)
    group = None if group is None else str(group)
    inputs_l = _as_names(inputs, "inputs") or []
    vars_l = _as_names(variables, "variables")
    columns: dict = {}
    time_label = None
    index_time_key = "\x00index-time"
    if time is None and not any(_is_time_name(n) for n in names):
        idx = df.index
        if isinstance(idx, (pd.DatetimeIndex, pd.TimedeltaIndex)) or (
                idx.name is not None and _is_time_name(idx.name) and idx.dtype.kind in "fiu"):
            stamps = _parse_dates(idx) if idx.dtype.kind == "M" else None
            if idx.dtype.kind == "m":
                stamps = (idx - idx[0]).total_seconds().to_numpy(dtype=np.float64)
                time_unit = time_unit or "seconds"
            columns[index_time_key] = stamps if stamps is not None else idx.to_numpy(dtype=np.float64)
            time, time_label = index_time_key, str(idx.name) if idx.name is not None else "time"
    requested = set(inputs_l) | set(vars_l or []) | ({str(time)} if time not in (None, False) else set())
    time_names = {str(time)} if time not in (None, False) else (
        {n for n in names if _is_time_name(n)} if time is None else set())
    drop_l = _as_names(drop, "drop") or []
    for name, col in zip(names, df.columns):
        if vars_l is not None and name not in requested and name != group and name not in time_names:
            continue
        if name in drop_l and name not in requested and name != group and name not in time_names:
            continue
        s = df[col]
        if name == group:
            columns[name] = s
        elif s.dtype.kind in "fiub":
            columns[name] = s.to_numpy(dtype=np.float64, na_value=np.nan)
        elif s.dtype.kind in "mM":
            if s.dtype.kind == "m":
                columns[name] = s.dt.total_seconds().to_numpy(dtype=np.float64)
            else:
                stamps = _parse_dates(s)
                if stamps is None:
                    pos = int(np.argmax(s.isna().to_numpy()))
                    raise where.error("missing time stamp", pos, name)
                if name in time_names:
                    columns[name] = stamps
                elif name in requested:  # dates asked for as a variable or input: seconds since 1970
                    columns[name] = stamps.seconds
                else:
                    warnings.warn(f"{source}: column {name!r} holds dates and is ignored (time={name!r} makes it "
                                  f"the time column)", DataWarning, stacklevel=2)
        else:
            values = s.to_numpy(dtype=object)
            num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64)
            bad = np.isnan(num) & ~pd.isna(values)
            if not bad.any():
                columns[name] = num
                continue
            if bad.all() and name in time_names:
                stamps = _parse_dates(s)
                if stamps is not None:
                    columns[name] = stamps
                    continue
            if bad.all() and name not in requested and name not in time_names:
                warnings.warn(f"{source}: column {name!r} is not numeric and is ignored", DataWarning, stacklevel=2)
                continue
            pos = int(np.argmax(bad))
            raise where.error(f"value {values[pos]!r} is not a number", pos, name)
    if drop_l:  # named but absent: the same error as load_csv's
        missing = [c for c in drop_l if c not in names]
        if missing:
            raise DataError(f"the column {missing[0]!r} to drop is not in the data; columns are {names}",
                            file=source)
    return _build([(columns, where, len(df), source)], time=time, group=group, inputs=inputs_l, variables=vars_l,
                  dt=dt, source=source, time_label=time_label, wide=wide,
                  drop=[c for c in drop_l if c in columns], time_unit=time_unit)


def from_arrays(x, t=None, *, dt: float | None = None, names: Sequence[str] | None = None, u=None,
                input_names: Sequence[str] | None = None, source: str = "arrays", wide: bool = False) -> Series:
    """A validated :class:`Series` from arrays (copied; the arrays given are left unchanged).

    Parameters
    ----------
    x : array of shape (n, d), or a list of such (one per trajectory)
    t : array of shape (n,), or a list (one per trajectory), optional
        Time stamps. Default: ``arange(n) * dt``. One array is shared by all
        trajectories of the same length.
    dt : float, optional
        Time step when ``t`` is not given (default 1.0).
    names : list of str, optional
        Variable names (default ``x0, x1, ...``).
    u : array of shape (n, m), or a list, optional
        Exogenous inputs, one row per sample.
    input_names : list of str, optional
        Input names (default ``u0, u1, ...``).
    source : str
        Where the data came from, for reports and error messages.

    Examples
    --------
    >>> import numpy as np
    >>> from discover.data import from_arrays
    >>> s = from_arrays([np.ones((5, 2)).cumsum(0), np.ones((7, 2)).cumsum(0)], dt=0.5, names=["a", "b"])
    >>> s.n_trajectories, s.n_samples, s.dt
    (2, 12, 0.5)
    """
    many = isinstance(x, (list, tuple)) and len(x) > 0 and all(np.ndim(v) >= 1 for v in x)
    xs = list(x) if many else [x]
    if not xs:
        raise DataError("no data: x is empty", file=source)
    n_traj = len(xs)

    def per_traj(v, what):
        if v is None:
            return [None] * n_traj
        if many and isinstance(v, (list, tuple)) and len(v) == n_traj and all(np.ndim(e) >= 1 for e in v):
            return list(v)
        return [v] * n_traj

    ts, us = per_traj(t, "t"), per_traj(u, "u")
    tables = []
    d = None
    key_t = "\x00t"
    for k, (xk, tk, uk) in enumerate(zip(xs, ts, us)):
        src = source if n_traj == 1 else f"{source}[{k}]"
        xk = _numeric_array(xk, "x", src)
        if xk.ndim == 1:
            xk = xk[:, None]
        if xk.ndim != 2:
            raise DataError(f"x must be 1-D or 2-D (n_samples, n_features); got shape {xk.shape}", file=src)
        if d is None:
            d = xk.shape[1]
            vnames = [str(v) for v in names] if names is not None else [f"x{i}" for i in range(d)]
            if len(vnames) != d:
                raise DataError(f"{len(vnames)} names given for {d} columns", file=src)
        elif xk.shape[1] != d:
            raise DataError(f"this trajectory has {xk.shape[1]} columns, the first has {d}", file=src)
        n = xk.shape[0]
        if n == 0:
            raise DataError("no samples", file=src)
        cols = {name: xk[:, j] for j, name in enumerate(vnames)}
        if tk is not None:
            tk = _numeric_array(tk, "t", src).reshape(-1) if np.ndim(tk) <= 1 else None
            if tk is None or len(tk) != n:
                raise DataError(f"t must be 1-D with one stamp per sample ({n}); got shape {np.shape(ts[k])}",
                                file=src)
            cols[key_t] = tk
        if uk is not None:
            uk = _numeric_array(uk, "u", src)
            if uk.ndim == 1:
                uk = uk[:, None]
            if uk.ndim != 2 or uk.shape[0] != n:
                raise DataError(f"u must have one row per sample ({n}); got shape {uk.shape}", file=src)
            inames = [str(v) for v in input_names] if input_names is not None else \
                [f"u{i}" for i in range(uk.shape[1])]
            if len(inames) != uk.shape[1]:
                raise DataError(f"{len(inames)} input names given for {uk.shape[1]} input columns", file=src)
            for j, name in enumerate(inames):
                cols[name] = uk[:, j]
        tables.append((cols, _Where(src), n, str(k)))
    with_u = [us[k] is not None for k in range(n_traj)]
    if any(with_u) and not all(with_u):
        raise DataError("inputs u given for some trajectories only", file=source)
    inames = [c for c in tables[0][0] if c not in vnames and c != key_t]
    with_t = [key_t in tab[0] for tab in tables]
    return _build(tables, time=key_t if all(with_t) else False, group=None, inputs=inames, variables=vnames,
                  dt=dt, source=source, time_label="t", wide=wide)


def _numeric_array(a, what: str, source: str) -> np.ndarray:
    try:
        arr = np.asarray(a)
    except ValueError as exc:  # ragged nested lists
        raise DataError(f"{what} is not a rectangular array ({exc})", file=source) from None
    if arr.dtype.kind not in "fiub":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            flat = arr.reshape(-1) if arr.ndim else arr.reshape(1)
            for i, v in enumerate(flat):
                try:
                    float(v)
                except (TypeError, ValueError):
                    pos = np.unravel_index(i, arr.shape) if arr.ndim else (0,)
                    raise DataError(f"{what} holds a value that is not a number: {str(v)!r}", file=source,
                                    row=int(pos[0]), column=int(pos[1]) if len(pos) > 1 else None) from None
            raise DataError(f"{what} is not numeric (dtype {arr.dtype})", file=source) from None
    return np.asarray(arr, dtype=np.float64)


def load(data, *, time: str | None = None, group: str | None = None, inputs: Sequence[str] | None = None,
         variables: Sequence[str] | None = None, dt: float | None = None,
         delimiter: str | None = None, wide: bool = False, drop: Sequence[str] | None = None,
         time_unit: str | None = None) -> Series:
    """Load anything the toolkit takes into a validated :class:`Series`.

    Parameters
    ----------
    data : path, list of paths, pandas.DataFrame, numpy array, list of arrays, or Series
        Paths go to :func:`load_csv`, DataFrames to :func:`from_dataframe`,
        arrays to :func:`from_arrays` (``variables`` names their columns,
        ``dt`` their step); a :class:`Series` is returned as is.
    time, group, inputs, variables, dt, delimiter, wide, drop, time_unit
        As in :func:`load_csv`.

    Examples
    --------
    >>> import numpy as np
    >>> from discover.data import load
    >>> load(np.arange(10.0).reshape(5, 2) ** 2, dt=0.1, variables=["a", "b"])
    Series(variables=['a', 'b'], trajectories=1, samples=5, dt=0.1)
    """
    if isinstance(data, Series):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_csv(data, time=time, group=group, inputs=inputs, variables=variables, dt=dt,
                        delimiter=delimiter, wide=wide, drop=drop, time_unit=time_unit)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        return from_dataframe(data, time=time, group=group, inputs=inputs, variables=variables, dt=dt, wide=wide,
                              drop=drop, time_unit=time_unit)
    if isinstance(data, (list, tuple)) and data and all(isinstance(p, (str, os.PathLike)) for p in data):
        return load_csv(list(data), time=time, group=group, inputs=inputs, variables=variables, dt=dt,
                        delimiter=delimiter, wide=wide, drop=drop, time_unit=time_unit)
    if isinstance(data, (np.ndarray, list, tuple)):
        if time not in (None, False) or group is not None or inputs:
            raise DataError("time=, group= and inputs= name columns; with arrays use "
                            "from_arrays(x, t, u=...) instead")
        series = from_arrays(data, dt=dt, names=variables, wide=wide)
        series.meta["time_unit"] = _as_unit(time_unit) or ""
        return series
    raise DataError(f"cannot load data of type {type(data).__name__}: give a CSV path, a list of paths, "
                    f"a DataFrame, an array or a Series")
