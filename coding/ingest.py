"""Ingest: input files -> Document records (or Rejections with a reason). Every input document
yields exactly one of the two, so every document is accounted for in the output.

Inputs: ``*.txt`` / ``*.md`` / ``*.html`` / ``*.htm`` articles with an optional sidecar
``<name>.json`` of document fields; ``*.jsonl`` (one document a line; blank lines are not
documents); ``*.csv`` (one document a row, with a header). Bytes become text in :mod:`decode`;
:func:`screen` then applies the limits (HTML, size, language, future dates) and :func:`read_inputs`
settles duplicates: the first occurrence in input order (files sorted by path, then line) is kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from .decode import SNIFF_BYTES, NotText, decode, html_to_text, looks_like_html, sniff
from .language import not_english
from .ledger import Ledger
from .records import Document, Rejection

ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
TABLE_SUFFIXES = (".jsonl", ".csv")
FIELDS = ("doc_id", "text", "publication_date", "source", "url", "title", "language")
DEFAULT_MAX_CHARS = 200_000
FUTURE_NOTE = "is in the future (after"  # in the reason of a document whose publication date was ignored


class IngestError(ValueError):
    """An input that cannot be read at all (the build stops with this message)."""


@dataclass(frozen=True)
class Limits:
    """What ingest accepts. ``latest_date``: publication dates after it are ignored (set by the CLI
    to the build date plus two days); None disables the check."""

    max_chars: int = DEFAULT_MAX_CHARS
    latest_date: dt.date | None = None

    @property
    def max_bytes(self) -> int:
        """Inputs larger than this are rejected unread (4 bytes a character, plus markup slack)."""
        return 4 * self.max_chars + 4096


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
            raise IngestError(f"{f}: unsupported input type (use .txt, .md, .html, .jsonl or .csv)")
    return sorted(set(files))


_SURROGATE = re.compile("[\ud800-\udfff]")
_VISIBLE = re.compile(r"[^\s\u200b-\u200d\u2060\ufeff\u00ad]")


def _opt(value) -> str | None:
    if value is None:
        return None
    s = _SURROGATE.sub("\ufffd", str(value)).strip()
    return s or None


def _date(value) -> tuple[dt.date | None, str | None]:
    """(date, note): an unusable publication date is dropped with a note saying why."""
    from schemas.tables import EARLIEST_DATE, LATEST_DATE  # the schema's bounds (pandera: not at import time)

    if value in (None, ""):
        return None, None
    s = _opt(value) or ""
    try:
        if s[10:] and s[10] not in "T ":
            raise ValueError
        date = dt.date.fromisoformat(s[:10])
    except ValueError:
        return None, f"publication_date {s[:40]!r} is not an ISO date (YYYY-MM-DD or ISO datetime): coded undated"
    if not EARLIEST_DATE <= date <= LATEST_DATE:
        return None, f"publication_date {date} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}: coded undated"
    return date, None


def _meta(fields: dict) -> dict:
    """The descriptive fields a rejected document keeps in its row, cleaned like a Document's."""
    return {k: _opt(fields.get(k)) for k in ("source", "url", "title", "language")}


def _join(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def document_from_fields(fields: dict, default_id: str, file: str, line: int | None) -> Document | Rejection:
    doc_id = _opt(fields.get("doc_id")) or default_id
    text = fields.get("text")
    if not isinstance(text, str):
        return Rejection(doc_id, file, line, "no text field" if text is None else "text is not a string", _meta(fields))
    surrogates = len(_SURROGATE.findall(text))
    text = unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", text))
    if not text:
        return Rejection(doc_id, file, line, "empty text", _meta(fields))
    if not _VISIBLE.search(text):
        return Rejection(doc_id, file, line, "text is only whitespace", _meta(fields), n_chars=len(text))
    pub, date_note = _date(fields.get("publication_date"))
    note = _join(f"{surrogates} invalid code points (lone surrogates) replaced by U+FFFD" if surrogates else None, date_note)
    return Document(doc_id=doc_id, text=text, input_file=file, input_line=line, publication_date=pub,
                    source=_opt(fields.get("source")), url=_opt(fields.get("url")), title=_opt(fields.get("title")),
                    language=_opt(fields.get("language")), note=note)


def screen(doc: Document, limits: Limits, html: bool = False) -> Document | Rejection:
    """Apply the limits to a document: HTML to text, size, language, future publication date."""

    def reject(reason: str, n_chars: int) -> Rejection:
        return Rejection(doc.doc_id, doc.input_file, doc.input_line, reason, doc.fields(), n_chars=n_chars)

    text, title, notes = doc.text, doc.title, [doc.note]
    if len(text) > limits.max_bytes:
        return reject(f"too large: {len(text):,} characters (--max-chars is {limits.max_chars:,})", len(text))
    if html or looks_like_html(text):
        text, page_title = html_to_text(text)
        title = title or page_title
        notes.append("HTML: tags stripped")
        if not text:
            return reject("HTML page without text", 0)
    if len(text) > limits.max_chars:
        return reject(f"too large: {len(text):,} characters (--max-chars is {limits.max_chars:,})", len(text))
    foreign = not_english(text, doc.language)
    if foreign:
        return reject(foreign, len(text))
    pub = doc.publication_date
    if pub is not None and limits.latest_date is not None and pub > limits.latest_date:
        notes.append(f"publication_date {pub} {FUTURE_NOTE} {limits.latest_date}): coded undated")
        pub = None
    return replace(doc, text=text, title=title, publication_date=pub, note=_join(*notes))


def _noted(rec: Document | Rejection, note: str | None) -> Document | Rejection:
    return replace(rec, note=_join(note, rec.note)) if note and isinstance(rec, Document) else rec


def _sidecar(path: Path) -> tuple[dict, str | None]:
    sidecar = path.with_suffix(".json")
    if not sidecar.exists():
        return {}, None
    try:
        fields = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return {}, f"sidecar {sidecar.name} is not valid JSON ({err})"
    if not isinstance(fields, dict):
        return {}, f"sidecar {sidecar.name} is not a JSON object"
    return fields, None


def _article(path: Path, limits: Limits) -> Iterator[Document | Rejection]:
    fields, problem = _sidecar(path)
    doc_id = _opt(fields.get("doc_id")) or path.stem
    size = path.stat().st_size
    if problem is None and size > limits.max_bytes:
        problem = f"too large: {size:,} bytes (--max-chars is {limits.max_chars:,} characters)"
    if problem is not None:
        yield Rejection(doc_id, str(path), None, problem, _meta(fields))
        return
    try:
        text, note = decode(path.read_bytes())
    except NotText as err:
        yield Rejection(doc_id, str(path), None, str(err), _meta(fields))
        return
    yield _noted(document_from_fields({**fields, "text": text}, path.stem, str(path), None), note)


def _lines(path: Path, limits: Limits) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text or None, note or rejection reason) for each line of a JSONL file."""
    with path.open("rb") as fh:
        bom = sniff(fh.read(SNIFF_BYTES), nul_is_binary=False)  # NotText for a known binary format
        fh.seek(0)
        if bom is not None:  # UTF-16/32 cannot be split into lines as bytes
            text, note = decode(fh.read())
            for n, line in enumerate(text.split("\n"), 1):
                yield n, line, note
            return
        for n, raw in enumerate(fh, 1):
            if len(raw) > limits.max_bytes:
                yield n, None, f"too large: line of {len(raw):,} bytes (--max-chars is {limits.max_chars:,} characters)"
                continue
            try:
                yield n, *decode(raw)
            except NotText as err:
                yield n, None, str(err)


def _jsonl(path: Path, limits: Limits) -> Iterator[Document | Rejection]:
    try:
        for n, line, note in _lines(path, limits):
            default_id = f"{path.stem}:{n}"
            if line is None:
                yield Rejection(default_id, str(path), n, note or "unreadable line")
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
            yield _noted(document_from_fields(fields, default_id, str(path), n), note)
    except NotText as err:
        yield Rejection(path.name, str(path), None, str(err))


def _csv_columns(text: str, path: Path) -> list[str]:
    """The header of a CSV text; IngestError unless it has a ``text`` column."""
    try:
        columns = next(csv.reader(io.StringIO(text, newline="")), None)
    except csv.Error as err:
        raise IngestError(f"{path}:1: unreadable CSV header ({err})") from None
    if not columns or "text" not in columns:
        raise IngestError(f"{path}:1: CSV has no 'text' column (columns: {', '.join(columns or [])})")
    return columns


def _csv(path: Path, limits: Limits) -> Iterator[Document | Rejection]:
    try:
        text, note = decode(path.read_bytes(), nul_is_binary=False)
    except NotText as err:
        yield Rejection(path.name, str(path), None, str(err))
        return
    _csv_columns(text, path)
    # Our own limit (--max-chars) replaces the csv module's 128 KiB field limit.
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_bytes))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    while True:
        last = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield Rejection(f"{path.stem}:{last + 1}", str(path), last + 1, f"unparseable CSV row: {err}")
            continue
        n = reader.line_num
        if row.get("text") is None:
            doc_id = _opt(row.get("doc_id")) or f"{path.stem}:{n}"
            yield Rejection(doc_id, str(path), n, "CSV row has fewer fields than the header (no text)", _meta(row))
            continue
        yield _noted(document_from_fields(row, f"{path.stem}:{n}", str(path), n), note)


def preflight(paths: list[Path]) -> list[Path]:
    """The input files (see :func:`discover`), after checking what would stop the build midway: a
    missing path, an unsupported file, a CSV without a ``text`` column. Raises IngestError."""
    files = discover(paths)
    for path in files:
        if path.suffix.lower() == ".csv":
            try:
                text, _ = decode(path.read_bytes(), nul_is_binary=False)
            except NotText:
                continue  # rejected as a whole when read
            _csv_columns(text, path)
    return files


def read_file(path: Path, limits: Limits, ledger: Ledger) -> Iterator[Document | Rejection]:
    """Every document of one input file, screened and settled against the documents read before it."""
    suffix = path.suffix.lower()
    reader = _jsonl if suffix == ".jsonl" else _csv if suffix == ".csv" else _article
    for rec in reader(path, limits):
        if isinstance(rec, Document):
            rec = screen(rec, limits, html=suffix in HTML_SUFFIXES)
        yield ledger.settle(rec)


def read_inputs(paths: list[Path], limits: Limits = Limits()) -> Iterator[Document | Rejection]:
    """Every document of every input file, screened and de-duplicated, in a stable order."""
    ledger = Ledger()
    try:
        for path in discover(paths):
            yield from read_file(path, limits, ledger)
    finally:
        ledger.close()
