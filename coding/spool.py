"""Tables larger than memory: sorted runs of documents and mentions on disk, merged by doc_id, the
asserted mentions partitioned by event_id into buckets from which the events are built, and the events
partitioned by acled_event_id into buckets from which the ACLED events are built.

Each batch of coded documents (a few thousand) is framed, validated and sorted (coding/batches.py,
in the process that coded it) and written as a *run* (``write_run``: two uncompressed Parquet files,
sorted by doc_id, each row with its CSV text in the column ``CSV_COLUMN``, made once from the
validated frame). ``add_run`` takes the run into the ``Spool``, which appends the columns events need
of its asserted mentions to one of 256 bucket files (coding/buckets.py), by the first two hex digits of the event id. At
the end:

- ``merge`` merges the runs by doc_id into the final tables, reading each run a row group at a time:
  at each step it takes, from every run, the buffered documents up to the smallest "last buffered
  doc_id" of all runs, sorts them and writes them (with their mentions, which follow their document
  in each run): as slices of the runs' rows where they follow each other in long stretches (the runs of
  a pool's workers interleave by chunks), else as a copy in order. doc_ids are unique, so the result is
  the order a sort of the whole table gives. More than ``FAN_IN`` runs are first merged in rounds into
  longer runs (Arrow IPC streams), so memory stays bounded. The CSV text travels with the rows, so the
  writer copies it (coding/write.py).
- ``event_groups`` gives the asserted mentions a group of buckets at a time, from which the events are
  built (``frame.build_events``, which groups by event_id: every mention of an event is in the same
  bucket; coding/batches.py); groups in hex order give the events in event_id order. A bucket larger
  than ``buckets.BUCKET_ROWS`` is split again by the next hex digit.
- ``add_acled_inputs`` takes the events' ACLED rows as they are written and ``acled_groups`` gives them
  the same way, from buckets by acled_event_id, for the ACLED events (``merge.build_acled_events``: every event of an ACLED event
  is in the same bucket, whichever documents its events came from).

Memory: one batch while coding; while merging, a row group of ``READ_ROWS`` rows of each of at most
``FAN_IN`` runs and ``MERGE_DOCS`` documents (with their mentions) on their way out; one group of at
most ``buckets.BUCKET_ROWS`` asserted mentions (or events) while building events (or ACLED events).
"""

from __future__ import annotations

import bisect
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .assemble import EVENT_INPUTS
from .buckets import Buckets, group_limit
from .frame import acled_events_frame, arrow_schema, events_frame
from .merge import ACLED_INPUTS, MergeRules
from .write import CSV_COLUMN, csv_text, row_ends

FAN_IN = 64  # runs merged at once
READ_ROWS = 512  # rows per row group of a run: what a merge holds of each run
MERGE_DOCS = 1024  # documents buffered over all runs by a merge, so at most written by one of its steps
_STRETCH_DOCS = 16  # documents a stretch in order holds on average, from which a merge step slices them instead of copying

Emit = Callable[[pa.Table, pa.Table], None]  # (documents, mentions) in final order


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The arrow table of a frame, with the schema's types (a column all null keeps its type)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.cast(schema) if not table.schema.equals(schema, check_metadata=False) else table.replace_schema_metadata(None)


def acled_input_schema() -> pa.Schema:
    """The arrow schema of the rows of an ACLED bucket: the events columns ACLED events are built from."""
    events = arrow_schema("events")
    return pa.schema([events.field(c) for c in ACLED_INPUTS])


def acled_inputs(events: pd.DataFrame) -> pa.Table:
    """The rows of validated events that go to the ACLED buckets: those with an ACLED type."""
    rows = _table(events[ACLED_INPUTS], acled_input_schema())
    return rows.filter(pc.is_valid(rows.column("acled_event_id")))


def with_csv(frame: pd.DataFrame, table: str) -> pa.Table:
    """A validated frame of ``table`` as arrow, with the CSV text of each row (``CSV_COLUMN``)."""
    return _with_csv(frame, arrow_schema(table))


def run_schema(table: str) -> pa.Schema:
    """The arrow schema of a run's table: the table's columns and the CSV text of each row."""
    return arrow_schema(table).append(pa.field(CSV_COLUMN, pa.large_binary()))


def _with_csv(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The arrow table of a validated frame with the CSV text of each row (``CSV_COLUMN``)."""
    table = _table(frame, schema)
    text = csv_text(frame, header=False) if len(frame) else b""
    ends = np.concatenate([[0], row_ends(text)]).astype(np.int64)
    if len(ends) != len(frame) + 1:
        raise ValueError(f"{len(ends) - 1} CSV rows for {len(frame)} rows")
    column = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(frame),
                                              [None, pa.py_buffer(ends), pa.py_buffer(text)])
    return table.append_column(pa.field(CSV_COLUMN, pa.large_binary()), column)


def write_run(folder: Path, stem: str, documents: pd.DataFrame, mentions: pd.DataFrame) -> tuple[tuple[Path, Path], pa.Table]:
    """Write validated frames (documents sorted by doc_id, mentions by doc_id then position) as the run
    ``folder/<stem>-documents.parquet`` and ``-mentions.parquet``; its paths and asserted mentions (the
    ``EVENT_INPUTS`` columns the events are built from)."""
    paths = (folder / f"{stem}-documents.parquet", folder / f"{stem}-mentions.parquet")
    m = _with_csv(mentions, arrow_schema("mentions"))
    pq.write_table(_with_csv(documents, arrow_schema("documents")), paths[0], row_group_size=READ_ROWS,
                   compression="none")
    pq.write_table(m, paths[1], row_group_size=READ_ROWS, compression="none")
    return paths, m.select(EVENT_INPUTS).filter(pc.is_valid(m.column("event_id")))


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``range(start, start + count)`` for each pair, vectorised."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(offsets, counts) + np.repeat(starts, counts)


def arrow_pandas(table: pa.Table) -> pd.DataFrame:
    """A table of the spool as pandas: integers nullable (Int64), as the frames are typed."""
    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _batches(path: Path, size: int) -> Iterator[pa.RecordBatch]:
    """The rows of a run file, ``size`` at a time at most: a Parquet run (a batch's, written as row groups
    of ``READ_ROWS``) or the Arrow IPC stream of a merge round (batches of ``READ_ROWS``)."""
    if path.suffix == ".parquet":
        yield from pq.ParquetFile(path).iter_batches(batch_size=size)
        return
    with pa.OSFile(str(path), "rb") as source:
        for batch in pa.ipc.open_stream(source):
            for start in range(0, batch.num_rows, size):
                yield batch.slice(start, size)


class _Run:
    """A run being read: its documents ``batch`` at a time, its mentions as many rows as asked."""

    def __init__(self, docs: Path, mentions: Path, batch: int) -> None:
        self._docs = _batches(docs, batch)
        self._mentions = _batches(mentions, READ_ROWS)
        self.buffer: pa.Table | None = None
        self.ids: list[str] = []
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def fill(self) -> bool:
        """Buffer the next documents if none are left; False when the run is exhausted."""
        while self.buffer is None or self.buffer.num_rows == 0:
            batch = next(self._docs, None)
            if batch is None:  # let go of the readers now: a suspended one holds its decoded row groups
                self._docs = self._mentions = self.buffer = None
                self._pending = []
                return False
            self.buffer = pa.Table.from_batches([batch]).replace_schema_metadata(None)
            self.ids = batch.column("doc_id").to_pylist()
        return True

    def take(self, upto: str) -> tuple[pa.Table, pa.Table | None] | None:
        """The buffered documents whose doc_id <= ``upto``, and their mentions (None when there are none)."""
        k = bisect.bisect_right(self.ids, upto)
        if k == 0:
            return None
        docs, self.buffer, self.ids = self.buffer.slice(0, k), self.buffer.slice(k), self.ids[k:]
        need = int(pc.sum(docs.column("n_mentions")).as_py() or 0)
        while self._pending_rows < need:
            batch = next(self._mentions)
            self._pending.append(batch)
            self._pending_rows += batch.num_rows
        rows = pa.Table.from_batches(self._pending).replace_schema_metadata(None) if self._pending else None
        if rows is None:
            return docs, None
        mentions, rest = rows.slice(0, need), rows.slice(need)
        self._pending = rest.combine_chunks().to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows
        return docs, mentions


def _merge(runs: list[tuple[Path, Path]], emit: Emit, mentions_schema: pa.Schema) -> None:
    batch = max(8, MERGE_DOCS // len(runs))  # a step writes at most MERGE_DOCS documents, however many runs
    live = [r for r in (_Run(d, m, batch) for d, m in runs) if r.fill()]
    empty = mentions_schema.empty_table()
    while live:
        upto = min(r.ids[-1] for r in live)
        parts = [p for p in (r.take(upto) for r in live) if p is not None]
        docs = pa.concat_tables([d for d, _ in parts])
        mentions = pa.concat_tables([m for _, m in parts if m is not None] or [empty])
        order = pc.sort_indices(docs.column("doc_id")).to_numpy()
        counts = docs.column("n_mentions").to_numpy().astype(np.int64)
        ends = np.cumsum(counts)
        starts = ends - counts  # each document's first mention in ``mentions``
        stretch = np.flatnonzero(np.diff(order) != 1) + 1  # where the order stops following the positions
        if not len(stretch):  # already in order (one run's documents, or runs of consecutive ids)
            emit(docs, mentions)
        elif len(order) >= _STRETCH_DOCS * (len(stretch) + 1):  # in long stretches (runs whose ids interleave)
            bounds = [0, *stretch.tolist(), len(order)]
            firsts = order[bounds[:-1]]
            spans = [(int(first), b - a) for first, a, b in zip(firsts, bounds, bounds[1:])]
            emit(pa.concat_tables([docs.slice(first, n) for first, n in spans]),
                 pa.concat_tables([mentions.slice(int(starts[first]), int(ends[first + n - 1] - starts[first]))
                                   for first, n in spans]))
        else:
            emit(docs.take(order), mentions.take(_ranges(starts[order], counts[order])))
        live = [r for r in live if r.fill()]


class Spool:
    """Sorted runs of documents and mentions, and event and ACLED event buckets, in ``folder`` (removed by
    ``remove``)."""

    def __init__(self, folder: Path, merge: MergeRules | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.schemas = {"documents": run_schema("documents"), "mentions": run_schema("mentions")}
        mentions = arrow_schema("mentions")
        self.bucket_schema = pa.schema([mentions.field(c) for c in EVENT_INPUTS])
        self.acled_schema = acled_input_schema()
        self.runs: list[tuple[Path, Path]] = []
        self.merge_rules = merge
        self._events = Buckets(folder, "bucket", self.bucket_schema, "event_id")
        self._acled = Buckets(folder, "acled", self.acled_schema, "acled_event_id")
        self._made = 0

    def add_run(self, paths: tuple[Path, Path], asserted: pa.Table) -> None:
        """A run written into the folder (``write_run``), with its asserted mentions."""
        self.runs.append(paths)
        self._events.add(asserted)

    def add_runs(self, runs: list[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
        """Runs written by an earlier build (coding/segments.py), linked (or copied) into the spool as
        they are; returns the spool's paths of them."""
        from .segments import link_or_copy

        added = []
        for docs, mentions in runs:
            self._made += 1
            paths = (self.folder / f"run-{self._made:06d}-documents.parquet",
                     self.folder / f"run-{self._made:06d}-mentions.parquet")
            link_or_copy(docs, paths[0])
            link_or_copy(mentions, paths[1])
            added.append(paths)
            m = pq.read_table(paths[1], columns=EVENT_INPUTS).replace_schema_metadata(None)
            self._events.add(m.filter(pc.is_valid(m.column("event_id"))))
        self.runs.extend(added)
        return added

    def merge(self, emit: Emit) -> None:
        """Every document and mention of every run, in doc_id order, in pieces to ``emit`` (with their
        CSV text, ``CSV_COLUMN``)."""
        runs = self.runs
        if not runs:
            return
        while len(runs) > FAN_IN:
            merged = []
            for i in range(0, len(runs), FAN_IN):
                group = runs[i:i + FAN_IN]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                with self._round_writers() as (docs_out, mentions_out, paths):
                    _merge(group, lambda d, m: (docs_out.write_table(d, max_chunksize=READ_ROWS),
                                                mentions_out.write_table(m, max_chunksize=READ_ROWS)),
                           self.schemas["mentions"])
                merged.append(paths)
                for d, m in group:
                    d.unlink()
                    m.unlink()
            runs = merged
        _merge(runs, emit, self.schemas["mentions"])

    @contextmanager
    def _round_writers(self) -> Iterator[tuple[pa.ipc.RecordBatchStreamWriter, pa.ipc.RecordBatchStreamWriter, tuple[Path, Path]]]:
        """Writers of the run a merge round makes: Arrow IPC streams, which keep nothing of what they
        wrote (a Parquet writer keeps every row group's metadata, about 14 KB each, until it is closed,
        and a round's run grows with the corpus)."""
        self._made += 1
        paths = (self.folder / f"run-{self._made:06d}-documents.arrow",
                 self.folder / f"run-{self._made:06d}-mentions.arrow")
        with pa.OSFile(str(paths[0]), "wb") as docs_sink, pa.OSFile(str(paths[1]), "wb") as mentions_sink, \
                pa.ipc.new_stream(docs_sink, self.schemas["documents"]) as docs_out, \
                pa.ipc.new_stream(mentions_sink, self.schemas["mentions"]) as mentions_out:
            yield docs_out, mentions_out, paths

    def events_frame(self, rows: pa.Table) -> pd.DataFrame:
        """The events (typed, not yet validated) of asserted mentions (``bucket_schema``): every mention
        of each event they hold."""
        return events_frame(arrow_pandas(rows), self.merge_rules)

    def acled_events_frame(self, rows: pa.Table) -> pd.DataFrame:
        """The ACLED events (typed, not yet validated) of events (``acled_schema``): every event of each
        ACLED event they hold."""
        return acled_events_frame(arrow_pandas(rows), self.merge_rules)

    def add_acled_inputs(self, rows: pa.Table) -> None:
        """Rows of validated events with an ACLED type (``acled_inputs``), to the ACLED buckets."""
        self._acled.add(rows)

    def event_groups(self, parts: int = 1) -> Iterator[pa.Table]:
        """The asserted mentions in groups of whole events, in event_id order: at least ``parts`` groups
        when there are enough rows (so several workers can build them), each at most ``buckets.BUCKET_ROWS``."""
        return self._events.groups(group_limit(self._events.rows, parts))

    def acled_groups(self, parts: int = 1) -> Iterator[pa.Table]:
        """The ACLED buckets' events in groups of whole ACLED events, in acled_event_id order (after every
        ``add_acled_inputs``)."""
        return self._acled.groups(group_limit(self._acled.rows, parts))

    def remove(self) -> None:
        self._events.close()
        self._acled.close()
        shutil.rmtree(self.folder, ignore_errors=True)
