"""The inputs of a build as they stream in: the records of every input file in input order, settled by one
duplicate ledger, or, with ``build --incremental``, whole files taken from the segment cache
(coding/segments.py) or from the kept tables of an earlier build (coding/table_cache.py); and the tally
of what the summary and the manifest say about the documents."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterator

from .document_rows import CODER_ERROR
from .ingest import FUTURE_NOTE, Limits, read_file
from .ledger import Ledger
from .records import CodedDocument, Document, Rejection
from .segments import TABLE_SUFFIXES, Segment, SegmentCache
from .spool import Spool
from .table_cache import KeptTables
from schemas.tables import DOCUMENT_STATUSES


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Tally:
    """What the summary and the manifest say about the documents, counted as they stream by."""

    def __init__(self) -> None:
        self.statuses = {s: 0 for s in DOCUMENT_STATUSES}
        self.inputs = self.n_sentences = self.n_noted = 0
        self.rejections: list[tuple[str, int | None, str, str]] = []

    def add(self, d: CodedDocument) -> None:
        self.inputs += 1
        self.statuses[d.status] = self.statuses.get(d.status, 0) + 1
        self.n_sentences += d.n_sentences
        if d.status == "rejected":
            self.rejections.append((d.input_file, d.input_line, d.doc_id, d.reason))
        elif d.status in ("coded", "no_events") and d.reason:
            self.n_noted += 1

    def merge(self, seg: Segment) -> None:
        """The counts of a file taken whole from the segment cache."""
        self.inputs += seg.documents
        for status, n in seg.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.n_sentences += seg.n_sentences
        self.n_noted += seg.n_noted
        self.rejections.extend(seg.rejections)


class InputReader:
    """The records of every input file, in input order, settled by one duplicate ledger. With a segment
    cache (``build --incremental``), a JSONL or CSV file whose segment is cached and still applies is not
    read: its counts go to the tally as they are, and its runs to the spool, unless the kept tables of an
    earlier build (``kept``, coding/table_cache.py) hold its rows from the same segment (then the file is
    in ``kept_files``, and its rows are taken from those tables); the other table files are followed
    (``followed``) so the build can store their segments once they are spooled. ``sources`` tells, for
    each file whose rows are those of a segment, its segment key and documents."""

    def __init__(self, files: list[Path], limits: Limits, segments: SegmentCache | None, spool: Spool,
                 tally: Tally, counts: dict[str, int], progress: Callable[[int], None] | None) -> None:
        self.files, self.limits, self.segments = files, limits, segments
        self.spool, self.tally, self.counts, self.progress = spool, tally, counts, progress
        self.ledger = Ledger()
        self.shas: dict[str, str] = {}
        self.followed: dict[str, tuple[Path, str, bool, dict, dict]] = {}  # file -> (path, sha256, outside, ids, texts)
        self.reused = 0
        self.kept: KeptTables | None = None
        self.kept_files: set[str] = set()
        self.kept_documents = 0
        self.sources: dict[str, tuple[str, int]] = {}  # file -> (segment key, documents)

    def tracked(self, path: Path | str) -> bool:
        """True for the files whose segments are cached: JSONL and CSV files, with a segment cache."""
        return self.segments is not None and str(path).lower().endswith(TABLE_SUFFIXES)

    def segment_keys(self) -> dict[str, str]:
        """The segment key of every tracked file (file -> key), as this build will look them up."""
        keys = {}
        for path in self.files:
            if self.tracked(path):
                self.shas[str(path)] = sha256_of(path)
                keys[str(path)] = self.segments.key(path, self.shas[str(path)])
        return keys

    def records(self) -> Iterator[Document | Rejection]:
        try:
            yield from self._records()
        finally:
            self.ledger.close()

    def _records(self) -> Iterator[Document | Rejection]:
        for path in self.files:
            if not self.tracked(path):
                yield from read_file(path, self.limits, self.ledger)
                continue
            sha = self.shas.get(str(path)) or sha256_of(path)
            self.shas[str(path)] = sha
            seg = self.segments.get(path, sha)
            if seg is not None and seg.fits(self.limits.latest_date) and not self.ledger.conflicts(seg.ids, seg.texts):
                key = self.segments.key(path, sha)
                self.ledger.adopt(seg.ids, seg.texts)
                if self.kept is not None and self.kept.files.get(str(path)) == key:
                    self.kept_files.add(str(path))
                    self.kept_documents += seg.documents
                else:
                    self.spool.add_runs(seg.runs)
                self.sources[str(path)] = (key, seg.documents)
                self.tally.merge(seg)
                for k in ("documents", "mentions"):
                    self.counts[k] += seg.rows[k]
                self.reused += seg.statuses.get("coded", 0) + seg.statuses.get("no_events", 0)
                if self.progress is not None:
                    self.progress(seg.documents)
                continue
            self.ledger.begin_file()
            yield from read_file(path, self.limits, self.ledger)
            self.followed[str(path)] = (path, sha, *self.ledger.end_file())


class FileShare:
    """What one followed input file has put in the spool so far (its segment, once the file is done)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tally = Tally()
        self.rows = {"documents": 0, "mentions": 0}
        self.runs: list[tuple[Path, Path]] = []
        self.max_date = None
        self.dates_ignored = self.coder_error = False

    def add(self, d: CodedDocument) -> None:
        self.tally.add(d)
        self.rows["documents"] += 1
        self.rows["mentions"] += len(d.mentions)
        if d.publication_date is not None and (self.max_date is None or d.publication_date > self.max_date):
            self.max_date = d.publication_date
        self.dates_ignored = self.dates_ignored or FUTURE_NOTE in (d.reason or "")
        self.coder_error = self.coder_error or (d.status == "rejected" and d.reason.startswith(CODER_ERROR))

    def store(self, reader: InputReader, spool: Spool, limits: Limits) -> None:
        followed = reader.followed.pop(self.name, None)
        if followed is None or reader.segments is None:
            return
        path, sha, outside, ids, texts = followed
        if outside or self.coder_error or not self.runs:
            return
        t = self.tally
        reader.segments.put(path, sha, Segment(
            ids=ids, texts=texts, statuses={k: v for k, v in t.statuses.items() if v}, n_sentences=t.n_sentences,
            n_noted=t.n_noted, rejections=t.rejections, rows=self.rows,
            latest_date=limits.latest_date, max_date=self.max_date, dates_ignored=self.dates_ignored, runs=self.runs))
        reader.sources[self.name] = (reader.segments.key(path, sha), self.rows["documents"])
