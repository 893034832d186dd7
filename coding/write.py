"""Write a validated dataset: Parquet + CSV per table and manifest.json, atomically.

The new dataset is written into a temporary folder beside ``out`` (``.<out>.new-<pid>-*``) and
swapped in only when every file is complete. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``
call, so at every moment ``out`` is either the complete old dataset or the complete new one; elsewhere
it is two renames, and a build that finds ``out`` missing beside the saved old one puts it back first.
Leftovers of killed builds are removed by the next build. ``out`` is replaced only if it is a
dataset (has a manifest.json) or an empty folder. CSV cells that a spreadsheet would run as a
formula (text starting with = + - @) get a leading apostrophe, and carriage returns inside cells
become line feeds; Parquet keeps the exact text.

A table is written in pieces (``TableWriter``: one Parquet row group and one CSV append per piece), so
a build never needs a whole table in memory; the pieces must come in the table's final row order. A
piece may carry the CSV text of its rows (the column ``CSV_COLUMN``, made once when its batch was
validated, coding/spool.py): then the text is copied, not made again.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas import SCHEMA_VERSION

_FORMULA_START = ("=", "+", "-", "@")
CSV_COLUMN = "__csv__"  # the CSV text of each row, in the runs of the spool (not a column of the dataset)
ROW_GROUP_ROWS = 20_000  # rows of every Parquet row group of a table but its last, whatever the pieces written


class OutputError(ValueError):
    """The output folder cannot be (re)placed; nothing was written."""


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV copy of a table: formulas neutralised, and a carriage return inside a cell written as a
    line feed (the csv writer quotes a cell only for the line terminator, \n, while readers also end
    a row at a bare \r)."""
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype):
            s = out[c]
            if s.str.contains("\r", regex=False, na=False).any():
                s = s.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
            risky = s.str.startswith(_FORMULA_START, na=False)
            out[c] = s.where(~risky, "'" + s) if risky.any() else s
    return out


def csv_text(frame: pd.DataFrame, header: bool) -> bytes:
    """The CSV text of a validated frame, as the dataset's CSV files hold it."""
    return _csv_safe(frame).to_csv(None, index=False, header=header, lineterminator="\n",
                                   date_format="%Y-%m-%d").encode("utf-8")


def row_ends(text: bytes | memoryview) -> np.ndarray:
    """The offset just after each row of CSV ``text`` (the header counts as a row): a line feed ends a
    row unless it is inside a quoted cell, that is after an odd number of quote characters (a quote
    inside a cell is doubled, and a cell holding a quote is quoted)."""
    b = np.frombuffer(text, dtype=np.uint8)
    lf = np.flatnonzero(b == 10)
    quotes = np.flatnonzero(b == 34)
    return lf[np.searchsorted(quotes, lf) % 2 == 0] + 1


def binary_text(column: pa.ChunkedArray) -> tuple[list, np.ndarray]:
    """The bytes of a binary column, as pieces to join (without copying), and the length of each value."""
    pieces, lengths = [], []
    for chunk in column.chunks:
        if not len(chunk):
            continue
        offsets_buf, data = chunk.buffers()[1], chunk.buffers()[2]
        width = np.int64 if pa.types.is_large_binary(chunk.type) else np.int32
        offsets = np.frombuffer(offsets_buf, dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1].astype(np.int64)
        lengths.append(np.diff(offsets))
        if data is not None and offsets[-1] > offsets[0]:
            pieces.append(memoryview(data)[int(offsets[0]):int(offsets[-1])])
    return pieces, (np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64))


def table_schema(name: str) -> pa.Schema:
    """The arrow schema a table is written with, and its pandas metadata: that of a frame with the
    dtypes the table's pandera schema gives and a value in every column, so the metadata does not
    depend on which rows a build happened to see first (pandas calls a date column without a value
    "empty")."""
    import datetime as dt

    from schemas.tables import TABLES

    from .frame import arrow_schema

    schema = arrow_schema(name)
    dtypes = TABLES[name].to_schema().dtypes
    sample = {}
    for f in schema:
        if pa.types.is_date32(f.type):
            sample[f.name] = pd.Series([dt.date(2000, 1, 1)], dtype=object)
        elif pa.types.is_int64(f.type) or pa.types.is_float64(f.type):
            sample[f.name] = pd.Series([0]).astype(dtypes[f.name].type)
        else:
            sample[f.name] = pd.Series(["x"]).astype(dtypes[f.name].type)
    return schema.with_metadata(pa.Schema.from_pandas(pd.DataFrame(sample), preserve_index=False).metadata)


def _split_bytes(pieces: list, n: int) -> tuple[list, list]:
    """Byte pieces (to join) split after their first ``n`` bytes, without copying."""
    for i, part in enumerate(pieces):
        if n < len(part):
            part = memoryview(part)
            return [*pieces[:i], *([part[:n]] if n else [])], [part[n:], *pieces[i + 1:]]
        n -= len(part)
    return list(pieces), []


class TableWriter:
    """One table of a dataset (``<name>.parquet`` and ``<name>.csv`` in ``folder``), written piece by
    piece in the table's final row order: ``write`` takes a validated pandas frame, ``write_arrow`` an
    arrow table of the same columns (converted to pandas for its CSV text, which is the one ``write``
    gives), ``write_text`` an arrow table with its CSV text already made (rows of an earlier build's
    table, coding/splice.py). Pieces are gathered and cut into Parquet row groups of exactly
    ``ROW_GROUP_ROWS`` rows, one chunk a column, so the file's bytes do not depend on the pieces (each row
    group's metadata stays in memory until the file is closed).

    With ``keep`` (a folder), the table is also kept for later incremental builds (coding/table_cache.py):
    an Arrow IPC copy (``<name>.arrow``) and the offsets of the CSV rows (``<name>.rows.npy``: the
    header's end, then the end of each row)."""

    def __init__(self, folder: Path, name: str, metadata: dict[str, str], schema: pa.Schema | None = None,
                 keep: Path | None = None) -> None:
        self.name = name
        self.parquet_path, self.csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
        self.metadata = {k.encode(): v.encode() for k, v in metadata.items()}
        self.schema = schema  # arrow types (and pandas metadata) to write; from the first piece when not given
        self.rows = 0
        self.keep = keep
        self._parquet: pq.ParquetWriter | None = None
        self._csv = None
        self._ipc = None
        self._thread: ThreadPoolExecutor | None = None
        self._queued: deque[Future] = deque()
        self._ends: list[np.ndarray] = []
        self._csv_bytes = 0
        self._pending: list[tuple[pa.Table, list | None, np.ndarray | None]] = []  # (rows, CSV text, row lengths)
        self._pending_rows = 0

    @property
    def started(self) -> bool:
        return self._parquet is not None or bool(self._pending)

    def write(self, frame: pd.DataFrame) -> None:
        self._flush()
        self._write([(pa.Table.from_pandas(frame, preserve_index=False), frame, None, None)])

    def write_arrow(self, table: pa.Table) -> None:
        """Rows as an arrow table; with a ``CSV_COLUMN`` column, that is their CSV text."""
        if CSV_COLUMN in table.column_names:
            text, lengths = binary_text(table.column(CSV_COLUMN))
            self._add(table.drop_columns([CSV_COLUMN]), text, lengths)
        else:
            self._add(table, None, None)

    def write_text(self, table: pa.Table, text: list, lengths: np.ndarray) -> None:
        """Rows whose CSV text is known: ``text`` holds the bytes of the rows (pieces to join), ``lengths``
        the length of each row's text."""
        self._add(table, text, lengths)

    def _add(self, table: pa.Table, text: list | None, lengths: np.ndarray | None) -> None:
        """Gather rows into row groups of exactly ``ROW_GROUP_ROWS`` rows (the table's last excepted),
        whatever pieces they come in, so the Parquet file is the same however the rows were made (by one
        worker or several, by a full build or a splice)."""
        while table.num_rows and table.num_rows >= ROW_GROUP_ROWS - self._pending_rows:
            room = ROW_GROUP_ROWS - self._pending_rows
            head_text = head_lengths = None
            if text is not None:
                head_text, text = _split_bytes(text, int(lengths[:room].sum()))
                head_lengths, lengths = lengths[:room], lengths[room:]
            self._pending.append((table.slice(0, room), head_text, head_lengths))
            self._pending_rows = ROW_GROUP_ROWS
            self._flush()
            table = table.slice(room)
        if table.num_rows or not self.started:
            self._pending.append((table, text, lengths))
            self._pending_rows += table.num_rows

    def _flush(self) -> None:
        if self._pending:
            pieces, self._pending, self._pending_rows = self._pending, [], 0
            self._write([(t, None, text, n) for t, text, n in pieces])

    def _open(self, table: pa.Table) -> None:
        schema = table.schema if self.schema is None else self.schema
        meta = dict(schema.metadata or table.schema.metadata or {})
        meta.update(self.metadata)
        self.schema = schema.with_metadata(meta)
        self._parquet = pq.ParquetWriter(self.parquet_path, self.schema)
        self._csv = self.csv_path.open("wb")
        header = csv_text(pd.DataFrame(columns=self.schema.names), header=True)
        self._csv.write(header)
        self._csv_bytes = len(header)
        if self.keep is not None:
            self._ipc = pa.ipc.new_file(self.keep / f"{self.name}.arrow", self.schema)
            self._ends.append(np.array([self._csv_bytes], dtype=np.int64))

    def _write(self, pieces: list[tuple[pa.Table, pd.DataFrame | None, list | None, np.ndarray | None]]) -> None:
        """One row group: the pieces' rows, and their CSV text (made from pandas for runs of pieces
        without it)."""
        if self._parquet is None:
            self._open(pieces[0][0])
        tables = [self._typed(t) for t, *_ in pieces]
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        if table.num_rows:
            self._encode(table)
        i = 0
        while i < len(pieces):
            _, frame, text, lengths = pieces[i]
            if text is not None:
                for part in text:
                    self._csv.write(part)
                self._row_lengths(lengths)
                i += 1
                continue
            j = i + 1
            while j < len(pieces) and pieces[j][2] is None and pieces[j][1] is None and frame is None:
                j += 1
            if frame is None:
                group = tables[i:j]
                frame = (pa.concat_tables(group) if len(group) > 1 else group[0]).to_pandas()
            if len(frame):
                data = csv_text(frame, header=False)
                self._csv.write(data)
                if self.keep is not None:
                    self._row_lengths(np.diff(row_ends(data), prepend=0))
            i = j
        self.rows += table.num_rows

    def _encode(self, table: pa.Table) -> None:
        """Write a row group (and its Arrow copy) on the writer's thread: encoding and compressing
        Parquet releases the GIL, so it overlaps the CSV text and whatever the build does next. At
        most two row groups wait, so a fast producer does not queue a whole table."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{self.name}")
        while len(self._queued) >= 2:
            self._queued.popleft().result()
        self._queued.append(self._thread.submit(self._encode_now, table))

    def _encode_now(self, table: pa.Table) -> None:
        # one chunk a column: where the pieces' chunks begin changes where Parquet's writer checks its page
        # and dictionary sizes, so the file's bytes would depend on how the rows came (workers, merge steps)
        table = table.combine_chunks()
        self._parquet.write_table(table)
        if self._ipc is not None:
            self._ipc.write_table(table)

    def _row_lengths(self, lengths: np.ndarray) -> None:
        if self.keep is not None and len(lengths):
            self._ends.append(self._csv_bytes + np.cumsum(lengths, dtype=np.int64))
        self._csv_bytes += int(lengths.sum()) if len(lengths) else 0

    def _typed(self, table: pa.Table) -> pa.Table:
        if not table.schema.equals(self.schema, check_metadata=False):
            table = table.cast(self.schema)  # a column all null in this piece
        return table.replace_schema_metadata(self.schema.metadata)

    def close(self) -> None:
        try:
            self._flush()
            while self._queued:
                self._queued.popleft().result()  # a failed write raises here
        finally:
            if self._thread is not None:
                self._thread.shutdown(wait=True)
                self._thread = None
            self._queued.clear()
            if self._parquet is not None:
                self._parquet.close()
                self._csv.close()
                self._parquet = self._csv = None
            ipc, self._ipc = self._ipc, None
            if ipc is not None:
                ipc.close()
        if ipc is not None:
            ends = np.concatenate(self._ends)
            if len(ends) != self.rows + 1:
                raise ValueError(f"{self.name}: {len(ends) - 1} CSV rows for {self.rows} rows")
            np.save(self.keep / f"{self.name}.rows.npy", ends)


def _write_table(frame: pd.DataFrame, folder: Path, name: str, metadata: dict[str, str]) -> None:
    writer = TableWriter(folder, name, metadata)
    writer.write(frame)
    writer.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(out: Path) -> list[tuple[Path, str, int]]:
    """(path, kind, pid) of the temporary folders that builds of ``out`` left beside it."""
    found = []
    for kind in ("new", "old"):
        for p in out.parent.glob(f".{out.name}.{kind}-*"):
            pid = p.name[len(f".{out.name}.{kind}-"):].split("-")[0]
            if pid.isdigit():
                found.append((p, kind, int(pid)))
    return sorted(found)


def check_output(out: Path) -> None:
    """Raise OutputError unless ``out`` may be replaced by a dataset; recover from a killed swap."""
    out = out.resolve()
    dead = [(p, kind) for p, kind, pid in _leftovers(out) if not _alive(pid)]
    if not out.exists():
        saved = [p for p, kind in dead if kind == "old"]
        if saved:  # killed between the two renames of the portable swap: put the old dataset back
            os.replace(saved[-1], out)
    for p, _ in dead:
        if p.exists():
            shutil.rmtree(p, ignore_errors=True)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    if out.is_dir() and not (out / "manifest.json").exists() and any(out.iterdir()):
        raise OutputError(f"{out}: exists and is not a dataset (no manifest.json); refusing to replace it")


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the call is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(a))


def table_metadata(coder_version: str, rules_sha256: str) -> dict[str, str]:
    """Key-value metadata written into every Parquet table of a dataset."""
    return {"schema_version": SCHEMA_VERSION, "coder_version": coder_version, "rules_sha256": rules_sha256}


def new_folder(out: Path) -> Path:
    """The temporary folder beside ``out`` that a new dataset is written into (then ``publish``)."""
    out = out.resolve()
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


def publish(tmp: Path, out: Path, manifest: dict) -> None:
    """Write the manifest into the complete dataset ``tmp`` and swap it in as ``out``."""
    out = out.resolve()
    try:
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if out.exists() and _exchange(tmp, out):
            shutil.rmtree(tmp, ignore_errors=True)  # now holds the old dataset
            return
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        discard(tmp)
        raise


def write_dataset(out: Path, frames: dict[str, pd.DataFrame], manifest: dict) -> None:
    """Write whole validated frames as a dataset (the build streams its tables instead)."""
    tmp = new_folder(out)
    try:
        meta = table_metadata(manifest["coder_version"], manifest["rules_sha256"])
        for name, frame in frames.items():
            _write_table(frame, tmp, name, meta)
    except BaseException:
        discard(tmp)
        raise
    publish(tmp, out, manifest)
