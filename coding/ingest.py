"""Ingest: input files -> Document records (or Rejections with a reason). Every input document
yields exactly one of the two, so every document is accounted for in the output.

Inputs: ``*.txt`` / ``*.md`` articles with an optional sidecar ``<name>.json`` of document fields;
``*.jsonl`` (one document a line); ``*.csv`` (one document a row, with a header).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from pathlib import Path
from typing import Iterator

from .records import Document, Rejection

ARTICLE_SUFFIXES = (".txt", ".md")
TABLE_SUFFIXES = (".jsonl", ".csv")
FIELDS = ("doc_id", "text", "publication_date", "source", "url", "title", "language")


class IngestError(ValueError):
    """An input that cannot be read at all (the build stops with this message)."""


def discover(paths: list[Path]) -> list[Path]:
    """Input files under the given files/folders, sorted; sidecar .json files are not inputs."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in ARTICLE_SUFFIXES + TABLE_SUFFIXES)
        elif p.is_file():
            files.append(p)
        else:
            raise IngestError(f"{p}: no such file or folder")
    for f in files:
        if f.suffix.lower() not in ARTICLE_SUFFIXES + TABLE_SUFFIXES:
            raise IngestError(f"{f}: unsupported input type (use .txt, .md, .jsonl or .csv)")
    return sorted(set(files))


def _decode(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return unicodedata.normalize("NFC", text)


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    s = str(value).strip()
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        raise ValueError(f"publication_date {s!r} is not an ISO date (YYYY-MM-DD or ISO datetime)") from None


def _opt(value) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None


def document_from_fields(fields: dict, default_id: str, file: str, line: int | None) -> Document | Rejection:
    doc_id = _opt(fields.get("doc_id")) or default_id
    text = fields.get("text")
    if not isinstance(text, str):
        return Rejection(doc_id, file, line, "no text field" if text is None else "text is not a string", fields)
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        return Rejection(doc_id, file, line, "empty text", fields)
    try:
        pub = _date(fields.get("publication_date"))
    except ValueError as err:
        return Rejection(doc_id, file, line, str(err), fields)
    return Document(doc_id=doc_id, text=text, input_file=file, input_line=line, publication_date=pub,
                    source=_opt(fields.get("source")), url=_opt(fields.get("url")), title=_opt(fields.get("title")),
                    language=_opt(fields.get("language")))


def _article(path: Path) -> Iterator[Document | Rejection]:
    fields: dict = {}
    sidecar = path.with_suffix(".json")
    if sidecar.exists():
        try:
            fields = json.loads(sidecar.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise IngestError(f"{sidecar}: sidecar is not valid JSON ({err})") from None
        if not isinstance(fields, dict):
            raise IngestError(f"{sidecar}: sidecar must be a JSON object")
    text = _decode(path.read_bytes())
    if text is None:
        yield Rejection(_opt(fields.get("doc_id")) or path.stem, str(path), None, "not UTF-8 text", fields)
        return
    yield document_from_fields({**fields, "text": text}, path.stem, str(path), None)


def _jsonl(path: Path) -> Iterator[Document | Rejection]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            default_id = f"{path.stem}:{n}"
            line = _decode(raw)
            if line is None:
                yield Rejection(default_id, str(path), n, "line is not UTF-8 text")
                continue
            if not line.strip():
                continue
            try:
                fields = json.loads(line)
            except json.JSONDecodeError as err:
                yield Rejection(default_id, str(path), n, f"unparseable JSON line: {err.msg} at column {err.colno}")
                continue
            if not isinstance(fields, dict):
                yield Rejection(default_id, str(path), n, "JSON line is not an object")
                continue
            yield document_from_fields(fields, default_id, str(path), n)


def _csv(path: Path) -> Iterator[Document | Rejection]:
    text = _decode(path.read_bytes())
    if text is None:
        raise IngestError(f"{path}: not UTF-8 text")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or "text" not in reader.fieldnames:
        raise IngestError(f"{path}:1: CSV has no 'text' column (columns: {', '.join(reader.fieldnames or [])})")
    for row in reader:
        n = reader.line_num
        yield document_from_fields(row, f"{path.stem}:{n}", str(path), n)


def read_inputs(paths: list[Path]) -> Iterator[Document | Rejection]:
    """Every document of every input file, in a stable order; duplicate doc_ids are rejected."""
    seen: dict[str, str] = {}
    for path in discover(paths):
        suffix = path.suffix.lower()
        reader = _jsonl if suffix == ".jsonl" else _csv if suffix == ".csv" else _article
        for rec in reader(path):
            where = f"{rec.input_file}:{rec.input_line}" if rec.input_line else rec.input_file
            if rec.doc_id in seen:
                yield Rejection(f"{rec.doc_id}~{where}", rec.input_file, rec.input_line,
                                f"duplicate doc_id {rec.doc_id!r} (first at {seen[rec.doc_id]})")
                continue
            seen[rec.doc_id] = where
            yield rec
