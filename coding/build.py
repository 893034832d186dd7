"""Build a dataset: read inputs, code every document, frame, validate, write.

Every input document ends as one row of ``documents``: coded, no_events, duplicate or rejected.
A document that makes a coder raise is rejected with the error as its reason (and logged): one bad
document never costs the others, and the fuzz batch counts these as crashes.

Documents are coded here, by worker processes (``Settings.workers``, coding/parallel.py) or on a Dask
cluster (``Settings.engine``, coding/dask_engine.py) in ordered chunks, and optionally
(``Settings.incremental``) taken from the caches of earlier builds: whole unchanged JSONL/CSV files
as their validated runs (coding/segments.py), other documents one by one (coding/doc_cache.py); the
dataset is the same every way.

The build streams: coded documents are framed and validated in batches of ``Settings.batch_size`` and
spooled to disk as sorted runs inside the new dataset's temporary folder (coding/spool.py), then merged
into the final tables in doc_id order; events are built bucket by bucket. Only the counts of the
summary and the list of rejected documents grow with the corpus.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import __version__
from .doc_cache import DocumentCache, open_cache
from .document_rows import CODER_ERROR, code_record
from .frame import acled_events_frame, documents_frame, events_frame, mentions_frame
from .ingest import FUTURE_NOTE, Ledger, Limits, preflight, read_file
from .merge import merge_rules
from .pipeline import Coders
from .records import CodedDocument, Document, Rejection
from .rules_cache import CodersOnDemand
from .segments import TABLE_SUFFIXES, Segment, SegmentCache, open_segments
from .spool import Spool
from .table_cache import KeptTables, TableCache, open_tables, worth_keeping
from .write import TableWriter, check_output, discard, new_folder, publish, table_metadata, table_schema
from schemas import SCHEMA_VERSION
from schemas.dataset import Report, validate_frames
from schemas.tables import DOCUMENT_STATUSES

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Settings:
    inputs: tuple[Path, ...]
    out: Path
    limits: Limits = field(default_factory=Limits)
    strict: bool = False  # any rejected document fails the build (nothing is written)
    workers: int = 1  # processes coding documents; 1 codes in this process
    chunk_size: int = 50  # documents sent to a worker at a time (with workers > 1)
    incremental: bool = False  # reuse documents coded by earlier builds with the same rules (doc_cache)
    engine: str = "local"  # "local": this process or a pool of `workers` processes; "dask": a Dask cluster
    scheduler: str | None = None  # with engine "dask": the scheduler's address; None starts a LocalCluster
    batch_size: int = 2000  # documents framed, validated and spooled to disk at a time (coding/spool.py)


@dataclass(frozen=True)
class BuildResult:
    out: Path
    counts: dict[str, int]
    statuses: dict[str, int]  # every status, zeros included, in DOCUMENT_STATUSES order
    n_sentences: int
    report: Report
    rejections: tuple[tuple[str, int | None, str, str], ...]  # (file, line, doc_id, reason), sorted
    n_noted: int  # coded documents whose reason says what was done to code them
    written: bool
    reused: int = 0  # documents taken from the document cache (incremental build)
    spliced: int = 0  # documents whose rows were taken from the kept tables of an earlier build (incremental)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _inputs_sha256(files: list[Path], known: dict[str, str]) -> dict[str, str]:
    return {str(f): known.get(str(f)) or _sha256(f) for f in files}


def _chunks(records: Iterable, size: int) -> Iterator[list]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _loaded(coders: Coders | CodersOnDemand) -> Coders:
    return coders.get() if isinstance(coders, CodersOnDemand) else coders


def code_records(records: Iterable[Document | Rejection], coders: Coders | CodersOnDemand, workers: int = 1, chunk_size: int = 50,
                 progress: Callable[[int], None] | None = None, cache: DocumentCache | None = None,
                 engine: str = "local", scheduler: str | None = None) -> Iterator[CodedDocument]:
    """The documents row of every record, in input order, coded here or (``workers`` > 1) by a pool of
    worker processes in ordered chunks, or (``engine`` "dask") by the workers of a Dask cluster: the
    same rows every way. With the local engine, inputs that fit in one chunk are coded here (starting
    workers would cost more than it saves). With a ``cache``, documents coded by an earlier build with
    the same rules are taken from it and the others are stored in it."""
    chunks = _chunks(records, chunk_size)
    head = list(itertools.islice(chunks, 2))
    taken: deque[tuple[list, dict[int, CodedDocument]]] = deque()

    def to_code() -> Iterator[list]:
        for chunk in itertools.chain(head, chunks):
            hits: dict[int, CodedDocument] = {}
            if cache is not None:
                for i, rec in enumerate(chunk):
                    if isinstance(rec, Document) and (found := cache.get(rec)) is not None:
                        hits[i] = found
            taken.append((chunk, hits))
            yield [rec for i, rec in enumerate(chunk) if i not in hits]

    if engine == "dask":
        from .dask_engine import code_on_dask

        coded_chunks = code_on_dask(to_code(), workers, coders.rules_sha256, scheduler)
    elif workers > 1 and len(head) > 1:
        from .parallel import code_in_pool

        coded_chunks = code_in_pool(to_code(), workers, coders.rules_sha256)
    else:
        coded_chunks = ([code_record(rec, _loaded(coders)) for rec in todo] for todo in to_code())
    for coded in coded_chunks:
        chunk, hits = taken.popleft()
        fresh = iter(coded)
        for i, rec in enumerate(chunk):
            if i in hits:
                yield hits[i]
                continue
            row = next(fresh)
            if cache is not None and isinstance(rec, Document) and row.status in ("coded", "no_events"):
                cache.put(rec, row)
            yield row
        if progress is not None:
            progress(len(chunk))


class _Tally:
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


class _Reader:
    """The records of every input file, in input order, settled by one duplicate ledger. With a segment
    cache (``build --incremental``), a JSONL or CSV file whose segment is cached and still applies is not
    read: its counts go to the tally as they are, and its runs to the spool, unless the kept tables of an
    earlier build (``kept``, coding/table_cache.py) hold its rows from the same segment (then the file is
    in ``kept_files``, and its rows are taken from those tables); the other table files are followed
    (``followed``) so the build can store their segments once they are spooled. ``sources`` tells, for
    each file whose rows are those of a segment, its segment key and documents."""

    def __init__(self, files: list[Path], limits: Limits, segments: SegmentCache | None, spool: Spool,
                 tally: _Tally, counts: dict[str, int], progress: Callable[[int], None] | None) -> None:
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
                self.shas[str(path)] = _sha256(path)
                keys[str(path)] = self.segments.key(path, self.shas[str(path)])
        return keys

    def records(self) -> Iterator[Document | Rejection]:
        for path in self.files:
            if not self.tracked(path):
                yield from read_file(path, self.limits, self.ledger)
                continue
            sha = self.shas.get(str(path)) or _sha256(path)
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


class _FileShare:
    """What one followed input file has put in the spool so far (its segment, once the file is done)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tally = _Tally()
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

    def store(self, reader: _Reader, spool: Spool, limits: Limits) -> None:
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


def _spool_batch(batch: list[CodedDocument], spool: Spool, report: Report,
                 counts: dict[str, int]) -> tuple[Path, Path] | None:
    """Frame, validate and spool one batch of documents (as one sorted run); the run's paths."""
    m = mentions_frame([x for d in batch for x in d.mentions])
    d = documents_frame(batch)
    m.index += counts["mentions"]  # failures name rows by their position in coding order
    d.index += counts["documents"]
    valid, checked = validate_frames({"mentions": m, "documents": d})
    report.failures.extend(checked.failures)
    counts["mentions"] += len(m)
    counts["documents"] += len(d)
    if report.ok:
        return spool.add(valid["documents"], valid["mentions"])
    return None


def _pandera_without_dask() -> None:
    """Let pandera's typing module find dask absent. Building a schema's index types imports
    ``pandera.typing.dask``, which imports ``dask.dataframe`` (about 0.5 s, a tenth of a small
    incremental build) only to recognise dask frames; a build validates pandas frames only. The module
    table is put back as it was at once, so ``--engine dask`` and everything else import dask as usual."""
    import sys

    if "pandera.typing.dask" in sys.modules:
        return
    saved = sys.modules.get("dask.dataframe")
    sys.modules["dask.dataframe"] = None  # an import of it raises ImportError
    try:
        import pandera.typing.dask  # noqa: F401
    finally:
        if saved is None:
            del sys.modules["dask.dataframe"]
        else:
            sys.modules["dask.dataframe"] = saved


def build(settings: Settings, coders: Coders | CodersOnDemand, progress: Callable[[int], None] | None = None) -> BuildResult:
    """Code, validate and write the dataset, streaming: documents are framed, validated and spooled to disk
    in batches of ``Settings.batch_size`` (coding/spool.py), then merged into the final tables, so memory
    does not grow with the corpus."""
    _pandera_without_dask()
    check_output(settings.out)
    files = preflight(list(settings.inputs))
    cache = open_cache() if settings.incremental else None
    segments = open_segments(settings.limits.max_chars) if settings.incremental else None
    tables = open_tables() if segments is not None else None
    tally, report = _Tally(), Report()
    counts = {"mentions": 0, "events": 0, "acled_events": 0, "documents": 0}
    tmp = new_folder(settings.out)
    try:
        spool = Spool(tmp / ".spool", merge_rules())  # not coders.merge: the rules load only where they code
        reader = _Reader(files, settings.limits, segments, spool, tally, counts, progress)
        if tables is not None:
            reader.kept = tables.find(reader.segment_keys())
        batch: list[CodedDocument] = []
        share: _FileShare | None = None  # the followed file the batch belongs to (a segment cache is used)

        def flush() -> None:
            nonlocal batch
            run = _spool_batch(batch, spool, report, counts)
            if share is not None and run is not None:
                share.runs.append(run)
            batch = []

        for coded in code_records(reader.records(), coders, settings.workers, settings.chunk_size, progress, cache,
                                  settings.engine, settings.scheduler):
            if segments is not None:
                name = coded.input_file if reader.tracked(coded.input_file) else None
                if name != (share.name if share is not None else None):
                    if batch:  # a followed file's documents make runs of their own
                        flush()
                    if share is not None and report.ok:
                        share.store(reader, spool, settings.limits)
                    share = _FileShare(name) if name is not None else None
            tally.add(coded)
            if share is not None:
                share.add(coded)
            batch.append(coded)
            if len(batch) >= settings.batch_size:
                flush()
        if batch or not spool.runs:
            flush()
        if share is not None and report.ok:
            share.store(reader, spool, settings.limits)
        write = report.ok and not (settings.strict and tally.statuses["rejected"])
        keep = _keep_folder(tables, reader, counts) if write else None
        if write:
            try:
                _write_tables(tmp, spool, coders.rules_sha256, report, counts, reader, keep)
            except BaseException:
                if keep is not None:
                    TableCache.abandon(keep)
                raise
            write = report.ok
        spool.remove()
        if keep is not None:
            if write:
                tables.store(keep, tmp, {f: key for f, (key, _) in reader.sources.items()},
                             {f: n for f, (_, n) in reader.sources.items()}, counts["documents"])
            else:
                TableCache.abandon(keep)
        if write:
            manifest = {
                "package": "cameo-acled-coder", "coder_version": __version__, "schema_version": SCHEMA_VERSION,
                "rules_sha256": coders.rules_sha256, "inputs_sha256": _inputs_sha256(files, reader.shas),
                "rows": {k: counts[k] for k in ("mentions", "events", "acled_events", "documents")},
                "documents_by_status": tally.statuses, "inputs": tally.inputs, "sentences": tally.n_sentences,
                "limits": {"max_chars": settings.limits.max_chars,
                           "latest_publication_date": str(settings.limits.latest_date) if settings.limits.latest_date else None},
            }
            publish(tmp, settings.out, manifest)
        else:
            discard(tmp)
    except BaseException:
        discard(tmp)
        raise
    report.rows.update(counts)
    rejections = tuple(sorted(tally.rejections, key=lambda r: (r[0], r[1] or 0, r[2])))
    return BuildResult(settings.out, dict(counts), tally.statuses, tally.n_sentences, report, rejections,
                       tally.n_noted, write, reused=(cache.reused if cache is not None else 0) + reader.reused,
                       spliced=reader.kept_documents if reader.kept_files else 0)


def _validated(name: str, frames: Iterable[pd.DataFrame], report: Report, counts: dict[str, int]) -> Iterator[pd.DataFrame]:
    """Each frame of table ``name`` validated and counted, with row labels continuing the table's; the
    valid frames while the report is clean (failures go to the report)."""
    for frame in frames:
        frame.index += counts[name]
        valid, checked = validate_frames({name: frame})
        report.failures.extend(checked.failures)
        counts[name] += len(frame)
        if report.ok:
            yield valid[name]


def _keep_folder(tables: TableCache | None, reader: _Reader, counts: dict[str, int]) -> Path | None:
    """Where the writers keep the tables for later incremental builds (coding/table_cache.py), when it is
    worth it: a build that took no rows from kept tables, or built many afresh."""
    if tables is None:
        return None
    dropped = 0
    if reader.kept_files:
        dropped = reader.kept.rows - reader.kept_documents
    if not worth_keeping(reader.kept_documents, counts["documents"] - reader.kept_documents + dropped):
        return None
    return tables.start()


def _write_tables(tmp: Path, spool: Spool, rules_sha256: str, report: Report, counts: dict[str, int],
                  reader: _Reader, keep: Path | None) -> None:
    """The final Parquet + CSV tables in ``tmp``: documents and mentions merged from the runs in doc_id
    order, events built and validated bucket by bucket in event_id order, then the ACLED events (the
    events merged by actors, place and day, coding/merge.py) bucket by bucket in acled_event_id order.
    When files were kept (``reader.kept_files``), the tables are spliced from the kept tables and the runs
    of the other files instead (coding/splice.py). With ``keep``, the writers keep the tables there."""
    meta = table_metadata(__version__, rules_sha256)
    writers = {name: TableWriter(tmp, name, meta, table_schema(name), keep)
               for name in ("mentions", "documents", "events", "acled_events")}
    try:
        if reader.kept_files:
            _splice(spool, reader, writers, report, counts)
        else:
            spool.merge(lambda docs, mentions: (writers["documents"].write_arrow(docs),
                                                writers["mentions"].write_arrow(mentions)))
            for valid in _validated("events", spool.events(), report, counts):
                writers["events"].write(valid)
                spool.add_events(valid)
            for valid in _validated("acled_events", spool.acled_events(), report, counts):
                writers["acled_events"].write(valid)
        empty = mentions_frame([])
        for name, writer in writers.items():
            if report.ok and not writer.started:  # nothing to write: the table's header (CSV) and schema (Parquet)
                events = events_frame(empty)
                frame = {"mentions": empty, "events": events, "acled_events": acled_events_frame(events),
                         "documents": documents_frame([])}[name]
                writer.write(validate_frames({name: frame})[0][name])
    finally:
        for w in writers.values():
            w.close()
    if reader.kept_files and report.ok:
        for name in ("events", "acled_events"):
            counts[name] = writers[name].rows
        for name in ("documents", "mentions"):  # every row counted while reading is written, no other
            if writers[name].rows != counts[name]:
                raise RuntimeError(f"spliced {name}: {writers[name].rows} rows written, {counts[name]} expected")


def _splice(spool: Spool, reader: _Reader, writers: dict[str, TableWriter], report: Report,
            counts: dict[str, int]) -> None:
    import pyarrow as pa

    from .splice import write_spliced

    docs, mentions = [], []
    spool.merge(lambda d, m: (docs.append(d), mentions.append(m)))
    new = {name: pa.concat_tables(pieces).replace_schema_metadata(None) if pieces else spool.schemas[name].empty_table()
           for name, pieces in (("documents", docs), ("mentions", mentions))}

    def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame | None:
        valid = list(_validated(name, [frame], report, counts))
        return valid[0] if valid else None

    write_spliced(reader.kept, reader.kept_files, new["documents"], new["mentions"], writers, spool.events_frame,
                  spool.acled_events_frame, spool.bucket_schema, spool.acled_schema, validate)
