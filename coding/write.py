"""Write a validated dataset: Parquet + CSV per table and manifest.json, atomically.

The new dataset is written into a temporary folder beside ``out`` (``.<out>.new-<pid>-*``) and
swapped in only when every file is complete. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)``
call, so at every moment ``out`` is either the complete old dataset or the complete new one; elsewhere
it is two renames, and a build that finds ``out`` missing beside the saved old one puts it back first.
Leftovers of killed builds are removed by the next build. ``out`` is replaced only if it is a
dataset (has a manifest.json) or an empty folder. CSV cells that a spreadsheet would run as a
formula (text starting with = + - @) get a leading apostrophe, and carriage returns inside cells
become line feeds; Parquet keeps the exact text.
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


def _write_table(frame: pd.DataFrame, folder: Path, name: str, metadata: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in metadata.items()})
    pq.write_table(table.replace_schema_metadata(meta), folder / f"{name}.parquet")
    _csv_safe(frame).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n", date_format="%Y-%m-%d")


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


def write_dataset(out: Path, frames: dict[str, pd.DataFrame], manifest: dict) -> None:
    out = out.resolve()
    check_output(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-{os.getpid()}-", dir=out.parent))
    try:
        meta = {"schema_version": SCHEMA_VERSION, "coder_version": manifest["coder_version"],
                "rules_sha256": manifest["rules_sha256"]}
        for name, frame in frames.items():
            _write_table(frame, tmp, name, meta)
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
        shutil.rmtree(tmp, ignore_errors=True)
        raise
