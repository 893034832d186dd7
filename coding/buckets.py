"""Rows partitioned on disk by the first two hex digits of an id column, from which frames are built
group by group: the spool's asserted mentions by event_id (events) and its events by acled_event_id
(ACLED events). Every row of an id lands in the same bucket, so a group of whole buckets holds every
row of each of its ids, and the groups in hex order give the frames in id order.

Bucket files are Arrow IPC files, appended to at every flush of ``_FLUSH_ROWS`` rows: IPC keeps
nothing per batch in memory, whereas a Parquet writer keeps every row group's metadata until it is
closed (about 14 KB a row group, 256 row groups a flush: it grew with the corpus). A bucket larger than
``BUCKET_ROWS`` is split again by the next hex digit.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BUCKET_ROWS = 20_000  # asserted mentions per events frame (a bucket above it is split by the next hex digit)
_FLUSH_ROWS = 100_000  # rows buffered before they are appended to their bucket files (one row group per bucket)
_HEX = "0123456789abcdef"

Group = "pa.Table | list[Path]"  # rows of a bucket group: in memory, or the bucket files holding them


def read_group(group: pa.Table | list[Path]) -> pa.Table:
    """The rows of a group of ``Buckets.groups`` (read by whoever builds its frame: a worker, or this
    process)."""
    if isinstance(group, pa.Table):
        return group
    return pa.concat_tables([_read_ipc(p) for p in group])


def _read_ipc(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


MIN_GROUP_ROWS = 2_000  # rows below which a group is not split for several workers (a validation costs ~20 ms)
POOL_GROUP_ROWS = 10_000  # at most, per group, when a pool's workers build the groups


def group_limit(rows: int, parts: int) -> int:
    """The rows of a group when the rows are to be built in at least ``parts`` groups: ``BUCKET_ROWS`` in
    one process; with a pool (``parts`` > 1) about rows / parts, within ``MIN_GROUP_ROWS`` and
    ``POOL_GROUP_ROWS``: each worker holds a group's frames while the build process holds the pieces
    coming back, and half the group halved what the workers added at the end of a two-worker build
    (peak PSS of 30,000 articles 859-867 MB against 932-978; benchmarks/results.md), for about 1% more CPU
    in validations."""
    return BUCKET_ROWS if parts <= 1 else min(BUCKET_ROWS, POOL_GROUP_ROWS, max(MIN_GROUP_ROWS, -(-rows // parts)))


class Buckets:
    """Rows partitioned on disk by the first two hex digits of an id column (ids are a letter and hex
    digits: ``e3f0...``), in ``folder/<name>-<xx>.arrow`` (Arrow IPC: written and read without
    encoding); ``groups`` gives them in groups of consecutive buckets, whose frames (built by grouping by
    the id: all rows of an id are in one bucket) are built by whoever reads them (``read_group``)."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema, id_column: str) -> None:
        self.folder, self.name, self.schema, self.id_column = folder, name, schema, id_column
        self._buffered: list[pa.Table] = []
        self._buffered_rows = 0
        self._writers: dict[str, pa.ipc.RecordBatchFileWriter] = {}
        self._counts: dict[str, int] = {}  # rows written per bucket file
        self._closed = False
        self._letter: str | None = None
        self.rows = 0  # rows added

    def add(self, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        if self._letter is None:
            self._letter = rows.column(self.id_column)[0].as_py()[0]
        self._buffered.append(rows)
        self._buffered_rows += rows.num_rows
        self.rows += rows.num_rows
        if self._buffered_rows >= _FLUSH_ROWS:
            self._flush()

    def _path(self, key: str) -> Path:
        return self.folder / f"{self.name}-{key}.arrow"

    def _flush(self) -> None:
        if not self._buffered:
            return
        rows = pa.concat_tables(self._buffered)
        self._buffered, self._buffered_rows = [], 0
        keys = pc.utf8_slice_codeunits(rows.column(self.id_column), 1, 3)
        rows = rows.take(pc.sort_indices(keys))
        keys = pc.utf8_slice_codeunits(rows.column(self.id_column), 1, 3).to_pylist()
        start = 0
        while start < len(keys):
            key = keys[start]
            end = bisect.bisect_right(keys, key, lo=start)
            if key not in self._writers:
                self._writers[key] = pa.ipc.new_file(str(self._path(key)), self.schema)
                self._counts[key] = 0
            self._writers[key].write_table(rows.slice(start, end - start))
            self._counts[key] += end - start
            start = end

    def groups(self, limit: int | None = None) -> Iterator[Group]:
        """The rows in groups of whole ids, in id order (``read_group`` reads one): consecutive buckets are
        taken together up to ``limit`` rows (``BUCKET_ROWS`` by default; each group's frame costs a
        validation), as the list of their files. When no bucket file was written yet and the rows are at
        most ``BUCKET_ROWS``, they are taken from memory, in groups of about ``limit`` rows."""
        self._limit = limit = min(limit or BUCKET_ROWS, BUCKET_ROWS)
        if not self._writers and self._buffered_rows <= BUCKET_ROWS:
            rows = pa.concat_tables(self._buffered) if self._buffered else None
            self._buffered, self._buffered_rows = [], 0
            if rows is not None:
                yield from (self._cut(rows, limit) if rows.num_rows > limit else [rows])
            return
        self._flush()
        self.close()
        group: list[Path] = []
        rows = 0
        for key in sorted(self._writers):
            path = self._path(key)
            n = self._counts[key]
            if group and rows + n > limit:
                yield group
                group, rows = [], 0
            if n > limit:
                yield from self._split(path, self._letter + key)
                continue
            group.append(path)
            rows += n
        if group:
            yield group

    def _cut(self, rows: pa.Table, limit: int) -> Iterator[pa.Table]:
        """Rows held in memory in groups of about ``limit`` rows of whole ids, in id order (a stable sort:
        the rows of an id keep their order, as in the bucket files)."""
        rows = rows.take(pc.sort_indices(rows.column(self.id_column)))
        ids = rows.column(self.id_column).to_numpy(zero_copy_only=False)
        start = 0
        while start < len(ids):
            end = min(start + limit, len(ids))
            if end < len(ids):  # the group ends with its last id whole
                end = int(np.searchsorted(ids, ids[end - 1], side="right"))
            yield rows.slice(start, end - start)
            start = end

    def _split(self, path: Path, prefix: str) -> Iterator[pa.Table]:
        """A bucket too large for a group: one pass over it per next hex digit of the id."""
        limit = getattr(self, "_limit", BUCKET_ROWS)
        for digit in _HEX:
            sub = path.with_name(f"{path.stem}{digit}.arrow")
            n = 0
            with pa.OSFile(str(path)) as source, pa.ipc.new_file(str(sub), self.schema) as writer:
                reader = pa.ipc.open_file(source)
                for i in range(reader.num_record_batches):
                    batch = reader.get_batch(i)
                    part = batch.filter(pc.starts_with(batch.column(self.id_column), prefix + digit))
                    if part.num_rows:
                        writer.write_batch(part)
                        n += part.num_rows
            if n > limit and len(prefix) < 8:
                yield from self._split(sub, prefix + digit)
            elif n:
                yield read_group([sub])
            sub.unlink()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for w in self._writers.values():
                w.close()
