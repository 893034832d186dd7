"""Validate a whole built dataset: each table against its model, then the keys between tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors as pa_errors

from .tables import TABLES, columns, model


@dataclass(frozen=True)
class Failure:
    """One failed check: which table, column and check, on which row, with which value."""

    table: str
    check: str
    column: str | None
    index: object
    value: object


@dataclass
class Report:
    failures: list[Failure] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def read_table(path: Path) -> pd.DataFrame:
    """Read one table from Parquet or CSV; CSV cells are read as strings and coerced by the schema."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    # The CSV writer neutralises spreadsheet formulas by prefixing a quote; undo for validation.
    return frame.apply(lambda s: s.str.replace(r"^'(?=[=+\-@])", "", regex=True) if pd.api.types.is_string_dtype(s) else s)


def find_tables(path: Path) -> dict[str, Path]:
    """Tables of a dataset folder (Parquet preferred over CSV) or a single table file."""
    if path.is_file():
        name = path.stem
        if name not in TABLES:
            raise ValueError(f"{path}: not a dataset table (expected one of {', '.join(TABLES)})")
        return {name: path}
    found = {}
    for name in TABLES:
        for suffix in (".parquet", ".csv"):
            candidate = path / f"{name}{suffix}"
            if candidate.exists():
                found[name] = candidate
                break
    return found


def validate_frames(frames: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], Report]:
    """Validate each frame (lazily: every failure) and the foreign keys; return coerced frames."""
    report = Report()
    valid: dict[str, pd.DataFrame] = {}
    for name, frame in frames.items():
        report.rows[name] = len(frame)
        try:
            valid[name] = model(name).validate(frame, lazy=True)
        except pa_errors.SchemaErrors as err:
            cases = err.failure_cases
            for row in cases.itertuples(index=False):
                report.failures.append(
                    Failure(name, str(row.check), None if pd.isna(row.column) else str(row.column), row.index, row.failure_case)
                )
    if report.failures:
        return valid, report
    report.failures.extend(_foreign_keys(valid))
    return valid, report


def _links(child: str, rows: pd.DataFrame, parent: str, parents: pd.DataFrame, key: str, count: str) -> list[Failure]:
    """Every ``key`` of the child rows is one of the parent's, and each parent's ``count`` column says
    how many child rows link to it (e.g. mentions -> events by event_id, num_mentions)."""
    linked = rows[key].dropna()
    bad = ~linked.isin(parents[key])
    out = [Failure(child, f"{key}_in_{parent}", key, i, v) for i, v in linked[bad].items()]
    expect = linked.value_counts()
    got = parents.set_index(key)[count]
    expect = expect.reindex(got.index, fill_value=0)
    for pid in got.index[got.astype("int64") != expect.astype("int64")]:
        out.append(Failure(parent, f"{count}_matches_{child}", count, pid, int(got[pid])))
    return out


def _foreign_keys(frames: dict[str, pd.DataFrame]) -> list[Failure]:
    out: list[Failure] = []
    mentions, events, documents = (frames.get(n) for n in ("mentions", "events", "documents"))
    acled = frames.get("acled_events")
    if mentions is not None and documents is not None:
        out += _links("mentions", mentions, "documents", documents, "doc_id", "n_mentions")
    if mentions is not None and events is not None:
        out += _links("mentions", mentions, "events", events, "event_id", "num_mentions")
    if events is not None and acled is not None:
        out += _links("events", events, "acled_events", acled, "acled_event_id", "num_events")
    return out


def validate_path(path: Path) -> Report:
    """Validate a dataset folder or one table file; missing tables in a folder are failures."""
    tables = find_tables(path)
    report = Report()
    if path.is_dir():
        for name in TABLES:
            if name not in tables:
                report.failures.append(Failure(name, "table_present", None, None, f"no {name}.parquet or {name}.csv in {path}"))
    frames = {}
    for name, file in tables.items():
        frame = read_table(file)
        missing = [c for c in columns(name) if c not in frame.columns]
        if missing:
            report.failures.append(Failure(name, "column_present", ", ".join(missing), None, None))
        frames[name] = frame
    _, inner = validate_frames(frames)
    report.failures.extend(inner.failures)
    report.rows.update(inner.rows)
    return report
