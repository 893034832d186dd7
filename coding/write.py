"""Write a validated dataset: Parquet + CSV per table and manifest.json, atomically.

The new dataset is written into a temporary folder beside ``out`` and swapped in only when every
file is complete, so an interrupted build leaves the previous dataset intact. CSV cells that a
spreadsheet would run as a formula (text starting with = + - @) get a leading apostrophe; Parquet
keeps the exact text.
"""

from __future__ import annotations

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


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.StringDtype):
            s = out[c]
            risky = s.str.startswith(_FORMULA_START, na=False)
            if risky.any():
                out[c] = s.where(~risky, "'" + s)
    return out


def _write_table(frame: pd.DataFrame, folder: Path, name: str, metadata: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in metadata.items()})
    pq.write_table(table.replace_schema_metadata(meta), folder / f"{name}.parquet")
    _csv_safe(frame).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n", date_format="%Y-%m-%d")


def write_dataset(out: Path, frames: dict[str, pd.DataFrame], manifest: dict) -> None:
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        meta = {"schema_version": SCHEMA_VERSION, "coder_version": manifest["coder_version"],
                "rules_sha256": manifest["rules_sha256"]}
        for name, frame in frames.items():
            _write_table(frame, tmp, name, meta)
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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
