"""Where the documents of a build are coded and batched: in the build's process, on a pool of worker
processes (coding/parallel.py) or on a Dask cluster (coding/dask_engine.py); the same steps every way.

The records are cut into ordered chunks of ``chunk_size`` (``plan``). A chunk never spans two input
files an incremental build follows (``key``: the file, else None), and a *flush* ends each run of
chunks with the same key and the inputs: the coded documents are gathered into runs
(coding/batches.py) by whoever codes them, and a flush writes the run of what was gathered, so a
followed file's documents make runs of their own (its segment, coding/segments.py). ``steps`` gives,
for each chunk and each flush in input order, a ``Step``: the documents rows (on a pool, without their
mentions: they are in the runs) and the runs completed.

With a document cache (``build --incremental``), the documents coded by an earlier build with the
same rules are taken from it here and the others are stored in it by whoever codes them.
"""

from __future__ import annotations

import itertools
from collections import deque
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .batches import Batcher, Run
from .doc_cache import DocumentCache
from .document_rows import code_record
from .records import CodedDocument, Document, Rejection

_START = object()


@dataclass
class Step:
    docs: list[CodedDocument]  # documents rows, in input order
    runs: list[Run] = field(default_factory=list)  # runs completed, in the order they are to be taken
    key: str | None = None  # the followed file of the chunk (or of the documents the flush ended)
    flush: bool = False
    records: int = 0  # records of the chunk (for progress)


def plan(records: Iterable[Document | Rejection], size: int,
         key_of: Callable[[Document | Rejection], str | None]) -> Iterator[tuple[str, list | None, str | None]]:
    """("chunk", records, key) and ("flush", None, key) in input order: chunks of at most ``size``
    records with one key; a flush after the last chunk of each key, and at the end."""
    chunk: list = []
    current = _START
    for rec in records:
        key = key_of(rec)
        if key != current:
            if chunk:
                yield "chunk", chunk, current
                chunk = []
            if current is not _START:
                yield "flush", None, current
            current = key
        chunk.append(rec)
        if len(chunk) >= size:
            yield "chunk", chunk, current
            chunk = []
    if chunk:
        yield "chunk", chunk, current
    yield "flush", None, None if current is _START else current


def _hits(chunk: list, cache: DocumentCache | None) -> dict[int, CodedDocument]:
    hits: dict[int, CodedDocument] = {}
    if cache is not None:
        for i, rec in enumerate(chunk):
            if isinstance(rec, Document) and (found := cache.get(rec)) is not None:
                hits[i] = found
    return hits


def steps_here(planned: Iterable, code_chunks: Callable[[Iterator[list]], Iterator[list[CodedDocument]]],
               batcher: Batcher, cache: DocumentCache | None) -> Iterator[Step]:
    """Steps whose chunks ``code_chunks`` codes (the documents rows of each chunk, in order: in this
    process, or on Dask) and whose runs are written here by ``batcher``."""
    taken: deque = deque()

    def to_code() -> Iterator[list]:
        for kind, chunk, key in planned:
            hits = _hits(chunk, cache) if kind == "chunk" else {}
            taken.append((kind, chunk, key, hits))
            if kind == "chunk":
                yield [rec for i, rec in enumerate(chunk) if i not in hits]

    def flushes() -> Iterator[Step]:
        while taken and taken[0][0] == "flush":
            key = taken.popleft()[2]
            yield Step([], batcher.flush(), key, flush=True)

    for coded in code_chunks(to_code()):
        yield from flushes()
        _, chunk, key, hits = taken.popleft()
        fresh = iter(coded)
        rows = []
        for i, rec in enumerate(chunk):
            if i in hits:
                rows.append(hits[i])
                continue
            row = next(fresh)
            if cache is not None and isinstance(rec, Document) and row.status in ("coded", "no_events"):
                cache.put(rec, row)
            rows.append(row)
        yield Step(rows, batcher.add(rows), key, records=len(chunk))
    yield from flushes()


def steps_in_pool(planned: Iterable, pool, cache: DocumentCache | None) -> Iterator[Step]:
    """Steps coded and batched by the workers of ``pool`` (coding/parallel.py)."""
    from .parallel import code_step, flush_step

    meta: deque = deque()

    def to_send() -> Iterator[tuple]:
        for kind, chunk, key in planned:
            if kind == "flush":
                meta.append((True, key, 0))
                yield flush_step, (), True
                continue
            hits = _hits(chunk, cache)
            meta.append((False, key, len(chunk)))
            yield code_step, ([hits.get(i, rec) for i, rec in enumerate(chunk)],), False

    for result in pool.run(to_send()):
        flush, key, n = meta.popleft()
        if flush:
            yield Step([], [run for runs in result for run in runs], key, flush=True)
        else:
            docs, runs = result
            yield Step(docs, runs, key, records=n)


def steps(records: Iterable[Document | Rejection], key_of: Callable, *, coders, chunk_size: int, batch_size: int,
          folder, workers: int, engine: str, scheduler: str | None, cache: DocumentCache | None,
          stack: ExitStack, log_level: int) -> tuple[Iterator[Step], object | None]:
    """The steps of a build, and the pool of workers when one was started (it lives as long as
    ``stack``, so it can build the events too). ``coders``: the rules, or a ``CodersOnDemand`` loaded
    only where it is needed. With the local engine, inputs that fit in one chunk are coded here
    (starting workers would cost more than it saves)."""
    planned = plan(records, chunk_size, key_of)

    def loaded():
        return coders.get() if hasattr(coders, "get") else coders

    if engine == "dask":
        from .dask_engine import code_on_dask

        return steps_here(planned, lambda chunks: code_on_dask(chunks, workers, coders.rules_sha256, scheduler),
                          Batcher(folder, "b", batch_size), cache), None
    head: list = []
    if workers > 1:
        chunks = 0
        for item in planned:
            head.append(item)
            chunks += item[0] == "chunk"
            if chunks > 1:
                break
        planned = itertools.chain(head, planned)
        if chunks > 1:
            from .parallel import Pool, Setup, start_method

            rules = loaded() if start_method() == "fork" else None
            setup = Setup(folder, max(1, batch_size // workers), coders.rules_sha256, log_level, cache, rules)
            pool = stack.enter_context(Pool(workers, setup))
            return steps_in_pool(planned, pool, cache), pool
    return steps_here(planned, lambda chunks: ([code_record(rec, loaded()) for rec in todo] for todo in chunks),
                      Batcher(folder, "b", batch_size), cache), None
