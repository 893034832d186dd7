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
a build never needs a whole table in memory; the pieces must come in the table's final row order.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from schemas import SCHEMA_VERSION

_FORMULA_START = ("=", "+", "-", "@")
ROW_GROUP_ROWS = 20_000  # rows gathered from write_arrow pieces before they are written as one row group


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


class TableWriter:
    """One table of a dataset (``<name>.parquet`` and ``<name>.csv`` in ``folder``), written piece by
    piece, one Parquet row group and one CSV append per piece: ``write`` takes a validated pandas
    frame, ``write_arrow`` an arrow table of the same columns (converted to pandas for the CSV with the
    schema's pandas metadata, so the CSV text is the one ``write`` gives)."""

    def __init__(self, folder: Path, name: str, metadata: dict[str, str], schema: pa.Schema | None = None) -> None:
        self.parquet_path, self.csv_path = folder / f"{name}.parquet", folder / f"{name}.csv"
        self.metadata = {k.encode(): v.encode() for k, v in metadata.items()}
        self.schema = schema  # arrow types (and pandas metadata) to write; from the first piece when not given
        self.rows = 0
        self._parquet: pq.ParquetWriter | None = None
        self._csv = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    @property
    def started(self) -> bool:
        return self._parquet is not None or bool(self._pending)

    def write(self, frame: pd.DataFrame) -> None:
        self._write(pa.Table.from_pandas(frame, preserve_index=False), frame)

    def write_arrow(self, table: pa.Table) -> None:
        """Buffered up to ``ROW_GROUP_ROWS`` rows, so that many small pieces make few row groups (each
        row group's metadata stays in memory until the file is closed)."""
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pieces, self._pending, self._pending_rows = self._pending, [], 0
            self._write(pa.concat_tables(pieces) if len(pieces) > 1 else pieces[0], None)

    def _write(self, table: pa.Table, frame: pd.DataFrame | None) -> None:
        first = self._parquet is None
        if first:
            schema = table.schema if self.schema is None else self.schema
            meta = dict(schema.metadata or table.schema.metadata or {})
            meta.update(self.metadata)
            self.schema = schema.with_metadata(meta)
            self._parquet = pq.ParquetWriter(self.parquet_path, self.schema)
            self._csv = self.csv_path.open("w", encoding="utf-8", newline="")
        if table.num_rows or first:
            if not table.schema.equals(self.schema, check_metadata=False):  # a column all null in this piece
                table = table.cast(self.schema)
            table = table.replace_schema_metadata(self.schema.metadata)
            self._parquet.write_table(table)
            if frame is None:
                frame = table.to_pandas()
            _csv_safe(frame).to_csv(self._csv, index=False, header=first, lineterminator="\n", date_format="%Y-%m-%d")
        self.rows += table.num_rows

    def close(self) -> None:
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
            self._csv.close()
            self._parquet = self._csv = None


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
