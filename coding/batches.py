"""Coded documents -> validated, sorted runs on disk, with their CSV text: the batch stage of a build.

A ``Batcher`` gathers coded documents; every ``size`` documents (and on ``flush``) it frames them
(coding/frame.py), validates the frames (schemas/) and writes them as one sorted run into the spool's
folder (``spool.write_run``: documents and mentions as uncompressed Parquet, each row with the bytes the
dataset's CSV file holds for it, so the final merge copies text instead of serialising rows again).

The events and ACLED events are built the same way, one group of buckets at a time (``events_piece``,
``acled_piece``: built, validated, with their CSV text), in the build's process or on the pool's
workers.

A batcher runs where the documents are coded: in the build's process (one worker, ``--engine dask``), or in
each worker process of a pool (coding/parallel.py), which then sends back only a ``Run``: the paths,
the row counts, the validation failures and the asserted mentions the events are built from. The
build's process counts the rows, shifts the failures' row labels to positions in the table and puts
the run in the spool (``Spool.add_run``) in the order it receives them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from .frame import acled_events_frame, documents_frame, events_frame, mentions_frame
from .merge import MergeRules
from .buckets import read_group
from .records import CodedDocument
from .spool import acled_inputs, arrow_pandas, with_csv, write_run
from schemas.dataset import Failure, validate_frames


@dataclass(frozen=True)
class Run:
    """One batch of documents as the build's process takes it: its run's files (None when the batch
    failed validation), row counts, failures (row labels: positions within the batch's frames) and the
    asserted mentions (``spool.EVENT_INPUTS`` columns) the events are built from."""

    paths: tuple[Path, Path] | None
    n_documents: int
    n_mentions: int
    failures: tuple[Failure, ...]
    asserted: pa.Table | None


def shifted(failure: Failure, offset: int) -> Failure:
    """A failure whose row label is a position within its batch, as a position within the table."""
    index = failure.index
    if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
        return dataclasses.replace(failure, index=int(index) + offset)
    return failure


def frame_run(batch: list[CodedDocument], folder: Path, stem: str) -> Run:
    """Frame and validate one batch; write it as the run ``folder/<stem>-*.parquet`` when it is valid."""
    m = mentions_frame([x for d in batch for x in d.mentions])
    d = documents_frame(batch)
    valid, checked = validate_frames({"mentions": m, "documents": d})
    if checked.failures:
        return Run(None, len(d), len(m), tuple(checked.failures), None)
    paths, asserted = write_run(folder, stem, valid["documents"], valid["mentions"])
    return Run(paths, len(d), len(m), (), asserted)


class Batcher:
    """Coded documents gathered into runs of ``size`` documents, written into ``folder`` as
    ``run-<tag>-<n>``; ``add`` and ``flush`` return the runs written."""

    def __init__(self, folder: Path, tag: str, size: int) -> None:
        self.folder, self.tag, self.size = folder, tag, max(1, size)
        self._batch: list[CodedDocument] = []
        self._made = 0

    def add(self, coded: list[CodedDocument]) -> list[Run]:
        runs = []
        for d in coded:
            self._batch.append(d)
            if len(self._batch) >= self.size:
                runs.append(self._write())
        return runs

    def flush(self) -> list[Run]:
        """The run of the documents gathered, if any."""
        return [self._write()] if self._batch else []

    def _write(self) -> Run:
        batch, self._batch = self._batch, []
        self._made += 1
        return frame_run(batch, self.folder, f"run-{self.tag}-{self._made:06d}")


@dataclass(frozen=True)
class Piece:
    """A group of events (or ACLED events) as the build's process takes it: the validated rows with their
    CSV text (None when they failed validation), row count, failures (row labels: positions within the
    group) and, for events, the rows that go to the ACLED buckets."""

    table: pa.Table | None
    n_rows: int
    failures: tuple[Failure, ...]
    acled: pa.Table | None = None


def _piece(table: str, frame: pd.DataFrame, acled_of: Callable[[pd.DataFrame], pa.Table] | None = None) -> Piece:
    """The validated rows of one table's frame, with their CSV text (and, with ``acled_of``, the rows
    they send to the ACLED buckets)."""
    valid, checked = validate_frames({table: frame})
    if checked.failures:
        return Piece(None, len(frame), tuple(checked.failures))
    rows = valid[table]
    return Piece(with_csv(rows, table), len(frame), (), acled_of(rows) if acled_of else None)


def events_piece(group, merge: MergeRules | None) -> Piece:
    """The events of a group of asserted mentions (``buckets.Buckets.groups``: every mention of each event
    it holds)."""
    return _piece("events", events_frame(arrow_pandas(read_group(group)), merge), acled_inputs)


def acled_piece(group, merge: MergeRules | None) -> Piece:
    """The ACLED events of a group of events (every event of each ACLED event it holds)."""
    return _piece("acled_events", acled_events_frame(arrow_pandas(read_group(group)), merge))
