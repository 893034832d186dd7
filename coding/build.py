"""Build a dataset: read inputs, code every document, frame, validate, write.

Every input document ends as one row of ``documents``: coded, no_events, duplicate or rejected.
A document that makes a coder raise is rejected with the error as its reason (and logged): one bad
document never costs the others, and the fuzz batch counts these as crashes.

Documents are coded here, by worker processes (``Settings.workers``, coding/parallel.py) or on a Dask
cluster (``Settings.engine``, coding/dask_engine.py) in ordered chunks (coding/dispatch.py), and optionally
(``Settings.incremental``) taken from the caches of earlier builds: whole unchanged JSONL/CSV files
as their validated runs (coding/segments.py), other documents one by one (coding/doc_cache.py); the
dataset is the same every way.

The build streams: coded documents are framed and validated in batches of ``Settings.batch_size`` (split
between the workers of a pool) by whoever coded them (coding/batches.py) and spooled to disk as sorted
runs inside the new dataset's temporary folder (coding/spool.py), then merged into the final tables in
doc_id order; events are built bucket by bucket (by the workers of a pool, when there is one). This
process takes the steps in input order: it counts, keeps the summary and the segments, and writes the
final tables. Only the counts of the summary and the list of rejected documents grow with the corpus.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import __version__
from .batches import Piece, Run, acled_piece, events_piece, shifted
from .dispatch import steps
from .doc_cache import open_cache
from .document_rows import code_record  # noqa: F401 - the documents row of one record, as the build makes it
from .frame import acled_events_frame, documents_frame, events_frame, mentions_frame
from .ingest import Limits, preflight
from .inputs import FileShare, InputReader, Tally, sha256_of
from .merge import MergeRules, merge_rules
from .pipeline import Coders
from .process_setup import lean_memory, pandera_without_dask
from .rules_cache import CodersOnDemand
from .segments import open_segments
from .spool import Spool
from .table_cache import TableCache, open_tables, worth_keeping
from .write import CSV_COLUMN, TableWriter, check_output, discard, new_folder, publish, table_metadata, table_schema
from schemas import SCHEMA_VERSION
from schemas.dataset import Report, validate_frames

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


def _inputs_sha256(files: list[Path], known: dict[str, str]) -> dict[str, str]:
    return {str(f): known.get(str(f)) or sha256_of(f) for f in files}


def _take_run(run: Run, spool: Spool, report: Report, counts: dict[str, int]) -> tuple[Path, Path] | None:
    """Count one batch's rows and failures (row labels continuing the table's: positions in the order
    the runs are taken); its run goes to the spool while the report is clean. The run's paths, if so."""
    report.failures.extend(shifted(f, counts["mentions" if f.table == "mentions" else "documents"]) for f in run.failures)
    counts["mentions"] += run.n_mentions
    counts["documents"] += run.n_documents
    if report.ok and run.paths is not None:
        spool.add_run(run.paths, run.asserted)
        return run.paths
    return None


def build(settings: Settings, coders: Coders | CodersOnDemand, progress: Callable[[int], None] | None = None) -> BuildResult:
    """Code, validate and write the dataset, streaming: documents are framed, validated and spooled to disk
    in batches of ``Settings.batch_size`` (coding/spool.py), then merged into the final tables, so memory
    does not grow with the corpus."""
    pandera_without_dask()
    lean_memory()
    check_output(settings.out)
    files = preflight(list(settings.inputs))
    cache = open_cache() if settings.incremental else None
    segments = open_segments(settings.limits.max_chars) if settings.incremental else None
    tables = open_tables() if segments is not None else None
    tally, report = Tally(), Report()
    counts = {"mentions": 0, "events": 0, "acled_events": 0, "documents": 0}
    with ExitStack() as stack:  # the pool of workers, if one is started, stops when the build ends
        tmp = new_folder(settings.out)
        try:
            spool = Spool(tmp / ".spool", merge_rules())  # not coders.merge: the rules load only where they code
            reader = InputReader(files, settings.limits, segments, spool, tally, counts, progress)
            if tables is not None:
                reader.kept = tables.find(reader.segment_keys())
            key_of = ((lambda rec: rec.input_file if reader.tracked(rec.input_file) else None) if segments is not None
                      else (lambda rec: None))
            share: FileShare | None = None  # the followed file the documents belong to (a segment cache is used)
            share_mentions = 0
            coded_steps, pool = steps(reader.records(), key_of, coders=coders, chunk_size=settings.chunk_size,
                                      batch_size=settings.batch_size, folder=spool.folder, workers=settings.workers,
                                      engine=settings.engine, scheduler=settings.scheduler, cache=cache, stack=stack,
                                      log_level=logging.getLogger().getEffectiveLevel())
            for step in coded_steps:
                if step.key is not None and share is None:
                    share, share_mentions = FileShare(step.key), 0
                for coded in step.docs:
                    tally.add(coded)
                    if share is not None:
                        share.add(coded)
                for run in step.runs:
                    paths = _take_run(run, spool, report, counts)
                    if share is not None and paths is not None:
                        share.runs.append(paths)
                        share_mentions += run.n_mentions
                if step.flush and share is not None:
                    if report.ok:
                        share.rows["mentions"] = share_mentions  # a pool sends the documents rows without their mentions
                        share.store(reader, spool, settings.limits)
                    share = None
                if progress is not None and step.records:
                    progress(step.records)
            write = report.ok and not (settings.strict and tally.statuses["rejected"])
            keep = _keep_folder(tables, reader, counts) if write else None
            if write:
                try:
                    _write_tables(tmp, spool, coders.rules_sha256, report, counts, reader, keep, pool)
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


def _pieces(name: str, make: Callable, groups: Iterator, merge: MergeRules, pool, report: Report,
            counts: dict[str, int]) -> Iterator[Piece]:
    """The pieces of table ``name`` made (``make``: ``batches.events_piece`` or ``acled_piece``) of each
    group, here or on the pool's workers, in order, counted; the valid ones while the report is clean
    (failures go to the report, row labels continuing the table's)."""
    payloads = ((rows, merge) for rows in groups)
    made = pool.map(make, payloads, window=1) if pool is not None else (make(*p) for p in payloads)
    for piece in made:
        report.failures.extend(shifted(f, counts[name]) for f in piece.failures)
        counts[name] += piece.n_rows
        if report.ok and piece.table is not None:
            yield piece


def _keep_folder(tables: TableCache | None, reader: InputReader, counts: dict[str, int]) -> Path | None:
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
                  reader: InputReader, keep: Path | None, pool=None) -> None:
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
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="merge") as thread:
                # with workers, this process merges the documents and mentions while they build the events
                merge = lambda: spool.merge(lambda docs, mentions: (writers["documents"].write_arrow(docs),  # noqa: E731
                                                                    writers["mentions"].write_arrow(mentions)))
                merged = thread.submit(merge) if pool is not None else None
                if merged is None:
                    merge()
                parts = 4 * pool.workers if pool is not None else 1
                for piece in _pieces("events", events_piece, spool.event_groups(parts), spool.merge_rules, pool, report, counts):
                    writers["events"].write_arrow(piece.table)
                    spool.add_acled_inputs(piece.acled)
                for piece in _pieces("acled_events", acled_piece, spool.acled_groups(parts), spool.merge_rules, pool, report,
                                     counts):
                    writers["acled_events"].write_arrow(piece.table)
                if merged is not None:
                    merged.result()
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


def _splice(spool: Spool, reader: InputReader, writers: dict[str, TableWriter], report: Report,
            counts: dict[str, int]) -> None:
    import pyarrow as pa

    from .splice import write_spliced

    docs, mentions = [], []
    spool.merge(lambda d, m: (docs.append(d), mentions.append(m)))
    new = {name: (pa.concat_tables(pieces).replace_schema_metadata(None) if pieces else spool.schemas[name].empty_table())
           .drop_columns([CSV_COLUMN]) for name, pieces in (("documents", docs), ("mentions", mentions))}

    def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame | None:
        valid = list(_validated(name, [frame], report, counts))
        return valid[0] if valid else None

    write_spliced(reader.kept, reader.kept_files, new["documents"], new["mentions"], writers, spool.events_frame,
                  spool.acled_events_frame, spool.bucket_schema, spool.acled_schema, validate)
