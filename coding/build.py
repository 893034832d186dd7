"""Build a dataset: read inputs, code every document, frame, validate, write.

Every input document ends as one row of ``documents``: coded, no_events, duplicate or rejected.
A document that makes a coder raise is rejected with the error as its reason (and logged): one bad
document never costs the others, and the fuzz batch counts these as crashes.

Documents are coded here, by worker processes (``Settings.workers``, coding/parallel.py) or on a Dask
cluster (``Settings.engine``, coding/dask_engine.py) in ordered chunks, and optionally taken from the
cache of coded documents (``Settings.incremental``, coding/doc_cache.py); the dataset is the same
every way.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__
from .doc_cache import DocumentCache, open_cache
from .frame import acled_events_frame, arrow_schema, documents_frame, events_frame, mentions_frame
from .ingest import Limits, preflight, read_inputs
from .pipeline import Coders, code_document
from .records import CodedDocument, Document, Rejection
from .spool import Spool
from .write import TableWriter, check_output, discard, new_folder, publish, table_metadata
from schemas import SCHEMA_VERSION
from schemas.dataset import Report, validate_frames
from schemas.tables import DOCUMENT_STATUSES

log = logging.getLogger(__name__)

CODER_ERROR = "coder error"


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


def _inputs_sha256(files: list[Path]) -> dict[str, str]:
    out = {}
    for f in files:
        h = hashlib.sha256()
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        out[str(f)] = h.hexdigest()
    return out


def _not_coded(rec: Rejection) -> CodedDocument:
    f = rec.fields  # cleaned by ingest: source, url, title, language
    return CodedDocument(doc_id=rec.doc_id, input_file=rec.input_file, input_line=rec.input_line, status=rec.status,
                         reason=rec.reason, n_sentences=0, n_chars=rec.n_chars, text_sha256=rec.text_sha256,
                         publication_date=None, source=f.get("source"), url=f.get("url"), title=f.get("title"),
                         language=f.get("language"), mentions=())


def code_record(rec: Document | Rejection, coders: Coders) -> CodedDocument:
    """The documents row (with its mentions) of one ingested record."""
    if isinstance(rec, Rejection):
        log.warning("%s %s (%s:%s): %s", rec.status, rec.doc_id, rec.input_file, rec.input_line, rec.reason)
        return _not_coded(rec)
    try:
        coded = code_document(rec, coders)
    except MemoryError:
        raise
    except Exception as err:  # a bug in a coder: keep the others, say which document and why
        log.exception("coder error on %s (%s:%s)", rec.doc_id, rec.input_file, rec.input_line)
        return _not_coded(Rejection(rec.doc_id, rec.input_file, rec.input_line,
                                    f"{CODER_ERROR} (a bug, please report): {type(err).__name__}: {err}"[:500],
                                    {"source": rec.source, "url": rec.url, "title": rec.title, "language": rec.language},
                                    n_chars=len(rec.text)))
    return replace(coded, reason=rec.note) if rec.note else coded


def _chunks(records: Iterable, size: int) -> Iterator[list]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def code_records(records: Iterable[Document | Rejection], coders: Coders, workers: int = 1, chunk_size: int = 50,
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
        coded_chunks = ([code_record(rec, coders) for rec in todo] for todo in to_code())
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


def _spool_batch(batch: list[CodedDocument], spool: Spool, report: Report, counts: dict[str, int]) -> None:
    """Frame, validate and spool one batch of documents (as one sorted run)."""
    m = mentions_frame([x for d in batch for x in d.mentions])
    d = documents_frame(batch)
    m.index += counts["mentions"]  # failures name rows by their position in coding order
    d.index += counts["documents"]
    valid, checked = validate_frames({"mentions": m, "documents": d})
    report.failures.extend(checked.failures)
    counts["mentions"] += len(m)
    counts["documents"] += len(d)
    if report.ok:
        spool.add(valid["documents"], valid["mentions"])


def build(settings: Settings, coders: Coders, progress: Callable[[int], None] | None = None) -> BuildResult:
    """Code, validate and write the dataset, streaming: documents are framed, validated and spooled to disk
    in batches of ``Settings.batch_size`` (coding/spool.py), then merged into the final tables, so memory
    does not grow with the corpus."""
    check_output(settings.out)
    files = preflight(list(settings.inputs))
    records = read_inputs(list(settings.inputs), settings.limits)
    cache = open_cache() if settings.incremental else None
    tally, report = _Tally(), Report()
    counts = {"mentions": 0, "events": 0, "acled_events": 0, "documents": 0}
    tmp = new_folder(settings.out)
    try:
        spool = Spool(tmp / ".spool", coders.merge)
        batch: list[CodedDocument] = []
        for coded in code_records(records, coders, settings.workers, settings.chunk_size, progress, cache,
                                  settings.engine, settings.scheduler):
            tally.add(coded)
            batch.append(coded)
            if len(batch) >= settings.batch_size:
                _spool_batch(batch, spool, report, counts)
                batch = []
        if batch or not spool.runs:
            _spool_batch(batch, spool, report, counts)
        write = report.ok and not (settings.strict and tally.statuses["rejected"])
        if write:
            _write_tables(tmp, spool, coders.rules_sha256, report, counts)
            write = report.ok
        spool.remove()
        if write:
            manifest = {
                "package": "cameo-acled-coder", "coder_version": __version__, "schema_version": SCHEMA_VERSION,
                "rules_sha256": coders.rules_sha256, "inputs_sha256": _inputs_sha256(files),
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
                       tally.n_noted, write, reused=cache.reused if cache is not None else 0)


def _write_tables(tmp: Path, spool: Spool, rules_sha256: str, report: Report, counts: dict[str, int]) -> None:
    """The final Parquet + CSV tables in ``tmp``: documents and mentions merged from the runs in doc_id
    order, events built and validated bucket by bucket in event_id order, then the ACLED events (the
    events merged by actors, place and day, coding/merge.py) bucket by bucket in acled_event_id order."""
    meta = table_metadata(__version__, rules_sha256)
    writers = {name: TableWriter(tmp, name, meta, arrow_schema(name).with_metadata(spool.pandas_metadata[name]))
               for name in ("mentions", "documents")}
    for name in ("events", "acled_events"):
        writers[name] = TableWriter(tmp, name, meta, arrow_schema(name))
    try:
        spool.merge(lambda docs, mentions: (writers["documents"].write_arrow(docs),
                                            writers["mentions"].write_arrow(mentions)))
        for frame in spool.events():
            frame.index += counts["events"]
            valid, checked = validate_frames({"events": frame})
            report.failures.extend(checked.failures)
            counts["events"] += len(frame)
            if report.ok:
                writers["events"].write(valid["events"])
                spool.add_events(valid["events"])
        for frame in spool.acled_events():
            frame.index += counts["acled_events"]
            valid, checked = validate_frames({"acled_events": frame})
            report.failures.extend(checked.failures)
            counts["acled_events"] += len(frame)
            if report.ok:
                writers["acled_events"].write(valid["acled_events"])
        empty = mentions_frame([])
        for name, writer in writers.items():
            if not writer.started:  # nothing to write: the table's header (CSV) and schema (Parquet)
                events = events_frame(empty)
                frame = {"mentions": empty, "events": events, "acled_events": acled_events_frame(events),
                         "documents": documents_frame([])}[name]
                writer.write(validate_frames({name: frame})[0][name])
    finally:
        for w in writers.values():
            w.close()
