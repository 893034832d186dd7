"""Write the final tables of an incremental build from kept tables (coding/table_cache.py) and new rows.

The kept tables are those of an earlier build. The files this build took from the segment cache with
the segment keys the kept tables hold (``kept_files``) have the same rows now, CSV text included; every
other row of the kept tables is dropped (its file changed or is gone), and the rows of the other files
come from the spool (coding/spool.py: this build's runs, which hold only those files). Then:

- documents and mentions: the kept rows and the new ones, merged by doc_id (no doc_id is in both);
- events: an event is built again when one of its mentions is dropped or new (from all its mentions
  now: the kept ones and the new ones), any other keeps its row;
- ACLED events: built again when one of their events is built again (its ACLED event before and
  after), the others keep their row.

Each table is written as runs of consecutive rows from one side: a run of kept rows is a slice of the
memory-mapped Arrow table and a byte range of the kept CSV text, so unchanged rows are neither framed
nor serialised again. The events and ACLED events are both rebuilt before either is written, then written a
row group of each in turn, so the writers' threads encode them at once. The rows written are the ones a
full build writes (``tests/test_incremental.py`` compares the CSV bytes and the Parquet content).

Memory: the new documents and mentions, and the mentions and events of the rebuilt events, are held
at once (the changed part of the corpus); the kept tables are memory-mapped.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .assemble import EVENT_INPUTS
from .merge import ACLED_INPUTS
from .table_cache import KeptTables
from .write import ROW_GROUP_ROWS, TableWriter, csv_text, row_ends

Validate = Callable[[str, pd.DataFrame], pd.DataFrame | None]  # a frame validated, or None (failures reported)


@dataclass
class _Rows:
    """Rows of one side: an arrow table, the CSV text of its rows and where each row's text starts
    (``ends``: one offset per row, then the end of the last), in groups of consecutive rows (``first``
    and ``last``: the first row of each group and one past its last; a document's mentions, else one
    row)."""

    table: pa.Table
    text: memoryview | bytes
    ends: np.ndarray
    first: np.ndarray
    last: np.ndarray

    def __post_init__(self) -> None:
        self.table = self.table.replace_schema_metadata(None)
        self.lengths = np.diff(self.ends)
        batches = self.table.to_batches()
        sizes = [b.num_rows for b in batches]
        same_chunks = all(c.num_chunks == len(sizes) and [len(x) for x in c.chunks] == sizes for c in self.table.columns)
        # rows are taken as slices of the record batches (a third of the cost of a table's slice, once per
        # run of rows), which are the chunks a table's slice gives when every column has the batches'
        # chunks and none is empty; otherwise as slices of the table
        self._batches = batches if same_chunks and all(sizes) else None
        self._starts = np.cumsum([0, *sizes]).tolist()

    def slices(self, a: int, b: int) -> list[pa.RecordBatch] | list[pa.Table]:
        """Rows ``a`` to ``b`` (not included), in the chunks ``table.slice`` gives them."""
        if self._batches is None:
            return [self.table.slice(a, b - a)]
        i = bisect_right(self._starts, a) - 1
        out = []
        while a < b:
            start, stop = self._starts[i], self._starts[i + 1]
            out.append(self._batches[i].slice(a - start, min(b, stop) - a))
            a, i = stop, i + 1
        return out


def _one_per_row(n: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(n, dtype=np.int64)
    return rows, rows + 1


def _fresh(table: pa.Table, schema: pa.Schema, first: np.ndarray | None = None, last: np.ndarray | None = None,
           frame: pd.DataFrame | None = None) -> _Rows:
    """New rows (an arrow table of the table's columns, and the validated frame it was made of if any)
    with their CSV text."""
    if table.num_rows and not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema)
    table = table.replace_schema_metadata(schema.metadata)
    text = csv_text(table.to_pandas() if frame is None else frame, header=False) if table.num_rows else b""
    ends = np.concatenate([[0], row_ends(text)]).astype(np.int64)
    if first is None:
        first, last = _one_per_row(table.num_rows)
    return _Rows(table, text, ends, first, last)


def _kept(kept: KeptTables, name: str, table: pa.Table, first: np.ndarray | None = None, last: np.ndarray | None = None) -> _Rows:
    ends = kept.row_ends(name)
    if len(ends) != table.num_rows + 1:
        raise ValueError(f"kept {name}: {len(ends) - 1} CSV rows for {table.num_rows} rows")
    if first is None:
        first, last = _one_per_row(table.num_rows)
    return _Rows(table, kept.csv(name), ends, first, last)


def _interleave(writer: TableWriter, old: _Rows, old_keys: pa.Array, old_groups: np.ndarray, new: _Rows,
                new_keys: pa.Array) -> Iterator[None]:
    """Write the groups ``old_groups`` of ``old`` (keys ``old_keys``, sorted) and every group of ``new``
    (keys ``new_keys``, sorted; none also in ``old_keys``) in key order: runs of consecutive groups of
    one side become one slice of its table and one byte range of its CSV text, and the runs are handed
    to the writer about a row group at a time (this generator yields after each: ``_in_turns``)."""
    n_old = len(old_keys)
    order = pc.sort_indices(pa.concat_arrays([old_keys, new_keys.cast(old_keys.type)])).to_numpy()
    if not len(order):
        return
    from_old = order < n_old
    group = order - n_old
    group[from_old] = old_groups[order[from_old]]
    cut = np.ones(len(order), dtype=bool)
    cut[1:] = (from_old[1:] != from_old[:-1]) | (group[1:] != group[:-1] + 1)
    starts = np.flatnonzero(cut)
    stops = np.append(starts[1:], len(order))
    side = from_old[starts]
    first, last = group[starts], group[stops - 1]
    row_from, row_to = np.empty(len(starts), dtype=np.int64), np.empty(len(starts), dtype=np.int64)
    row_from[side], row_to[side] = old.first[first[side]], old.last[last[side]]
    row_from[~side], row_to[~side] = new.first[first[~side]], new.last[last[~side]]
    pieces, text, lengths, rows = [], [], [], 0
    for is_old, a, b in zip(side.tolist(), row_from.tolist(), row_to.tolist()):
        if b == a:
            continue
        rows_of = old if is_old else new
        pieces += rows_of.slices(a, b)
        text.append(rows_of.text[int(rows_of.ends[a]):int(rows_of.ends[b])])
        lengths.append(rows_of.lengths[a:b])
        rows += b - a
        if rows >= ROW_GROUP_ROWS:
            writer.write_text(_joined(pieces), text, np.concatenate(lengths))
            yield
            pieces, text, lengths, rows = [], [], [], 0
    if pieces:
        writer.write_text(_joined(pieces), text, np.concatenate(lengths))
        yield


def _in_turns(*writes: Iterator[None]) -> None:
    """Run the writes of several tables (``_interleave``) a row group of each in turn, so that their
    writers' threads encode at once instead of one table after the other."""
    active = list(writes)
    while active:
        for w in list(active):
            if next(w, _DONE) is _DONE:
                active.remove(w)


_DONE = object()


def _joined(pieces: list[pa.RecordBatch] | list[pa.Table]) -> pa.Table:
    """One table of the pieces (record batches or tables), in their chunks."""
    if all(isinstance(p, pa.RecordBatch) for p in pieces):
        return pa.Table.from_batches(pieces)
    return pa.concat_tables([pa.Table.from_batches([p]) if isinstance(p, pa.RecordBatch) else p for p in pieces])


def _mask(values: pa.ChunkedArray | pa.Array, members: pa.Array) -> np.ndarray:
    """True where the value is one of ``members`` (never for a null)."""
    found = pc.is_in(values, value_set=members)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def _ids(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The distinct non-null values."""
    combined = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.unique(combined.drop_null())


def write_spliced(kept: KeptTables, kept_files: set[str], new_docs: pa.Table, new_mentions: pa.Table,
                  writers: dict[str, TableWriter], build_events: Callable[[pa.Table], pd.DataFrame],
                  build_acled: Callable[[pa.Table], pd.DataFrame], bucket_schema: pa.Schema,
                  acled_schema: pa.Schema, validate: Validate) -> bool:
    """Write the four tables; False (nothing more written) when a rebuilt frame failed validation.
    ``new_docs`` and ``new_mentions``: the rows of the files not kept, in final order;
    ``build_events``/``build_acled``: the spool's frame builders (of the rows of whole events)."""
    docs = kept.table("documents")
    keep = _mask(docs.column("input_file"), pa.array(sorted(kept_files), docs.schema.field("input_file").type))
    kept_docs = np.flatnonzero(keep)
    n_mentions = docs.column("n_mentions").to_numpy().astype(np.int64)
    mention_end = np.cumsum(n_mentions)
    mention_start = mention_end - n_mentions
    new_n = new_docs.column("n_mentions").to_numpy(zero_copy_only=False).astype(np.int64)
    new_end = np.cumsum(new_n)

    doc_keys = docs.column("doc_id").combine_chunks()
    new_doc_keys = new_docs.column("doc_id").combine_chunks()
    _in_turns(_interleave(writers["documents"], _kept(kept, "documents", docs), doc_keys.take(pa.array(kept_docs)),
                          kept_docs, _fresh(new_docs, writers["documents"].schema), new_doc_keys))

    mentions = kept.table("mentions")
    if mentions.num_rows != (int(mention_end[-1]) if len(mention_end) else 0):
        raise ValueError("kept mentions do not match the kept documents' n_mentions")
    _in_turns(_interleave(writers["mentions"], _kept(kept, "mentions", mentions, mention_start, mention_end),
                          doc_keys.take(pa.array(kept_docs)), kept_docs,
                          _fresh(new_mentions, writers["mentions"].schema, new_end - new_n, new_end), new_doc_keys))

    # events: those with a dropped or a new mention are built again from all their mentions now
    kept_mention = np.repeat(keep, n_mentions)
    event_ids = mentions.column("event_id")
    touched = _ids(pa.chunked_array([event_ids.filter(pa.array(~kept_mention)).combine_chunks(),
                                     new_mentions.column("event_id").combine_chunks().cast(event_ids.type)],
                                    type=event_ids.type))
    again = pa.concat_tables([
        mentions.filter(pa.array(kept_mention & _mask(event_ids, touched))).select(EVENT_INPUTS).cast(bucket_schema),
        new_mentions.filter(pc.is_valid(new_mentions.column("event_id"))).select(EVENT_INPUTS).cast(bucket_schema),
    ]).replace_schema_metadata(None)
    rebuilt = validate("events", build_events(again)) if again.num_rows else _empty(writers["events"])
    if rebuilt is None:
        return False
    events = kept.table("events")
    changed = _mask(events.column("event_id"), touched)
    kept_events = np.flatnonzero(~changed)
    fresh_events = _fresh(pa.Table.from_pandas(rebuilt, preserve_index=False), writers["events"].schema, frame=rebuilt)
    write_events = _interleave(writers["events"], _kept(kept, "events", events),
                               events.column("event_id").combine_chunks().take(pa.array(kept_events)), kept_events,
                               fresh_events, fresh_events.table.column("event_id").combine_chunks())

    # ACLED events: those with an event built again (its ACLED event before and after) are built again;
    # meanwhile the mentions' last row groups are encoded, then the events and ACLED events are written in turns
    acled_ids = events.column("acled_event_id")
    rebuilt_rows = fresh_events.table.select(ACLED_INPUTS).cast(acled_schema)
    touched_acled = _ids(pa.chunked_array([acled_ids.filter(pa.array(changed)).combine_chunks(),
                                           rebuilt_rows.column("acled_event_id").combine_chunks()], type=acled_ids.type))
    inputs = pa.concat_tables([
        events.filter(pa.array(~changed & _mask(acled_ids, touched_acled))).select(ACLED_INPUTS).cast(acled_schema),
        rebuilt_rows.filter(pa.array(_mask(rebuilt_rows.column("acled_event_id"), touched_acled))),
    ]).replace_schema_metadata(None)
    merged = validate("acled_events", build_acled(inputs)) if inputs.num_rows else _empty(writers["acled_events"])
    if merged is None:
        return False
    acled = kept.table("acled_events")
    kept_acled = np.flatnonzero(~_mask(acled.column("acled_event_id"), touched_acled))
    fresh_acled = _fresh(pa.Table.from_pandas(merged, preserve_index=False), writers["acled_events"].schema, frame=merged)
    _in_turns(write_events, _interleave(writers["acled_events"], _kept(kept, "acled_events", acled),
                                        acled.column("acled_event_id").combine_chunks().take(pa.array(kept_acled)),
                                        kept_acled, fresh_acled, fresh_acled.table.column("acled_event_id").combine_chunks()))
    return True


def _empty(writer: TableWriter) -> pd.DataFrame:
    return writer.schema.empty_table().to_pandas()
