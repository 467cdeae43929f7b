"""Parse a large, plain, all-numeric CSV on several cores into one float64 block.

pandas (3.1 and later) tokenizes byte ranges of a file without holding the
GIL, through ``TextReader.load_buffer``; its own parallel ``read_csv`` uses
that, but keeps every piece's columns alive until it gathers them into a
frame and maps the whole file into memory: about 3.5× the parsed data at its
peak. Here each worker reads one byte range (``os.pread``, no mapping),
parses it with its own reader, and the pieces are copied in file order into
one preallocated column-major block as soon as they can be placed, so the
peak stays near the size of the data.

This leans on pandas internals, so it is an optimisation only: the data
layer calls :func:`read_block` for files where it applies, and any
exception here (pandas without the API, a malformed row, a text cell, a
quoted newline at a cut) makes the caller fall back to its serial chunked
reader, which is the one that locates and explains errors. Tests check that
both paths give identical results and identical errors.
"""

from __future__ import annotations

import io
import os
import queue
import threading

import numpy as np

MIN_BYTES = 8 << 20  # below this the serial reader is as fast
PIECE_BYTES = 4 << 20  # bytes per parsed piece
_MAX_CELLS_PER_PIECE_SET = 2000  # pieces × columns: wide files get fewer, larger pieces
_SCAN = 1 << 16


class Unavailable(Exception):
    """The parallel path does not apply (or failed); read serially."""


def workers() -> int:
    """Threads to parse with: the cores this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 4))


def _reader_factory(n_columns: int, delimiter: str, n_workers: int):
    """A function that makes one pandas C reader for headerless float64 pieces, or raise Unavailable."""
    try:
        from pandas.io.parsers.readers import TextFileReader
    except ImportError as exc:  # pragma: no cover - pandas moved it
        raise Unavailable(str(exc)) from None
    names = [f"c{j}" for j in range(n_columns)]

    def make():
        reader = TextFileReader(io.BytesIO(b""), delimiter=delimiter, header=None, names=names,
                                dtype=np.float64, engine="c", low_memory=False, index_col=False,
                                skip_blank_lines=True)  # too many fields in a row: ParserError
        engine = getattr(reader, "_engine", None)
        inner = getattr(engine, "_reader", None)
        if inner is None or not hasattr(inner, "load_buffer"):
            reader.close()
            raise Unavailable("this pandas has no TextReader.load_buffer")
        inner.trim_after_read = False  # keep buffers between pieces instead of reallocating them
        if hasattr(inner, "block_workers"):
            inner.block_workers = n_workers
        return reader, engine, names

    return make


def _boundaries(fd: int, start: int, size: int, n_pieces: int) -> list[int]:
    """Byte offsets that cut ``[start, size)`` into about ``n_pieces`` runs of whole lines."""
    cuts = [start]
    for k in range(1, n_pieces):
        pos = start + (size - start) * k // n_pieces
        if pos <= cuts[-1]:
            continue
        while True:
            chunk = os.pread(fd, _SCAN, pos)
            if not chunk:
                pos = size
                break
            nl = chunk.find(b"\n")
            if nl >= 0:
                pos += nl + 1
                break
            pos += len(chunk)
        if cuts[-1] < pos < size:
            cuts.append(pos)
    cuts.append(size)
    return cuts


def read_block(path, *, data_start: int, n_columns: int, delimiter: str, rows_guess: int,
               n_workers: int | None = None) -> tuple[np.ndarray, int]:
    """Parse the rows from byte ``data_start`` of ``path`` into an F-ordered block of ``n_columns`` columns.

    Returns the block as allocated (at least ``rows_guess`` rows) and the
    number of rows filled, so that the caller can tell how generous the
    guess was.

    Raises :class:`Unavailable` whenever the caller should use its serial
    reader instead; nothing else.
    """
    n_workers = workers() if n_workers is None else max(1, int(n_workers))
    try:
        make = _reader_factory(n_columns, delimiter, n_workers)
        fd = os.open(path, os.O_RDONLY)
    except Unavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - anything here means: read serially
        raise Unavailable(repr(exc)) from None
    try:
        size = os.fstat(fd).st_size
        n_pieces = max(1, min((size - data_start) // PIECE_BYTES + 1,
                              max(2 * n_workers, _MAX_CELLS_PER_PIECE_SET // max(n_columns, 1))))
        cuts = _boundaries(fd, data_start, size, n_pieces)
        return _parse(fd, cuts, make, n_columns, rows_guess, min(n_workers, len(cuts) - 1))
    finally:
        os.close(fd)


def _parse(fd: int, cuts: list[int], make, n_columns: int, rows_guess: int, n_workers: int) -> tuple[np.ndarray, int]:
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for k in range(len(cuts) - 1):
        todo.put(k)
    lock = threading.Lock()
    failed: list[BaseException] = []
    pending: dict[int, list[np.ndarray]] = {}
    state = {"next": 0, "rows": 0, "block": np.empty((max(rows_guess, 1), n_columns), order="F")}

    def place(columns: list[np.ndarray]) -> None:
        # Under the lock, in file order.
        n, c = state["rows"], len(columns[0])
        block = state["block"]
        if n + c > block.shape[0]:  # the guess was short: grow by half
            bigger = np.empty((max(n + c, block.shape[0] * 3 // 2), n_columns), order="F")
            bigger[:n] = block[:n]
            state["block"] = block = bigger
        for j, col in enumerate(columns):
            block[n:n + c, j] = col
        state["rows"] = n + c

    def work() -> None:
        reader = None
        try:
            reader, engine, names = make()
            while not failed:
                try:
                    k = todo.get_nowait()
                except queue.Empty:
                    return
                data = os.pread(fd, cuts[k + 1] - cuts[k], cuts[k])
                engine._reader.load_buffer(data, strip_bom=cuts[k] == 0)
                del data
                if hasattr(engine, "_first_chunk"):
                    engine._first_chunk = True  # a piece of blank lines must give no rows, not end the reader
                _, _, parsed = engine.read()
                columns = [parsed[name] for name in names]
                if any(not isinstance(c, np.ndarray) or c.dtype != np.float64 or len(c) != len(columns[0])
                       for c in columns):
                    raise Unavailable("a piece did not parse to float64 columns")
                with lock:
                    pending[k] = columns
                    while state["next"] in pending:
                        place(pending.pop(state["next"]))
                        state["next"] += 1
        except Exception as exc:  # noqa: BLE001 - reported to the caller, who reads serially
            failed.append(exc)
        finally:
            if reader is not None:
                reader.close()

    threads = [threading.Thread(target=work, name=f"discover-csv-{i}", daemon=True) for i in range(n_workers - 1)]
    for th in threads:
        th.start()
    try:
        work()  # the calling thread parses too
    except BaseException as exc:  # Ctrl-C: stop the workers after their piece, and let it through
        failed.append(exc)
        raise
    finally:
        for th in threads:
            th.join()
    if failed:
        raise Unavailable(repr(failed[0]))
    if state["next"] != len(cuts) - 1:  # pragma: no cover - a piece went missing
        raise Unavailable("not every piece was placed")
    return state["block"], state["rows"]
