"""Code documents on several processes: ordered chunks of documents through a pool of workers.

Each worker loads the compiled rules once (``load_coders_cached``, a pickle load when the cache is
warm) and codes whole chunks; the parent sends chunks in input order and takes the results back in
the same order, so the dataset is exactly the one a single process writes. Ingest and the duplicate
bookkeeping stay in the parent (they depend on the order of the inputs); workers only code (a
rejected or duplicate record is passed through and becomes its documents row there).

The pool uses the ``spawn`` start method (safe with threads and on every platform). At most
``4 x workers`` chunks are in flight, so a large corpus is not queued whole in memory. A worker
whose parent dies (killed build) exits instead of waiting for work forever.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
from collections import deque
from contextlib import ExitStack
from typing import Callable, Iterable, Iterator

from .records import CodedDocument, Document, Rejection

log = logging.getLogger(__name__)

_IN_FLIGHT_PER_WORKER = 4


class WorkerError(RuntimeError):
    """A worker could not code with the same rules as the parent (the rules changed mid-build, or no
    longer load)."""


_coders = None  # the worker's compiled rules, set once by the pool initializer
_mismatch: str | None = None


def _exit_with_parent() -> None:
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        from multiprocessing.connection import wait

        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(expected_rules_sha256: str, log_level: int) -> None:
    global _coders, _mismatch
    logging.basicConfig(level=log_level, format="%(levelname)s %(message)s")
    _exit_with_parent()
    from .rules_cache import load_coders_cached

    try:
        _coders = load_coders_cached()
    except Exception as err:  # raising here would make the pool start new workers forever
        _mismatch = f"a worker could not load the rules: {type(err).__name__}: {err}"
        return
    if _coders.rules_sha256 != expected_rules_sha256:
        _mismatch = (f"a worker loaded rules {_coders.rules_sha256[:12]} but the build started with "
                     f"{expected_rules_sha256[:12]}: the rules changed during the build; run it again")


def _code_chunk(records: list[Document | Rejection]) -> list[CodedDocument]:
    from .document_rows import code_record

    if _mismatch is not None:
        raise WorkerError(_mismatch)
    return [code_record(r, _coders) for r in records]


def code_in_pool(chunks: Iterable[list[Document | Rejection]], workers: int, rules_sha256: str,
                 progress: Callable[[int], None] | None = None) -> Iterator[list[CodedDocument]]:
    """The coded documents of every chunk, chunk by chunk, in the order the chunks were given. The pool
    starts with the first non-empty chunk (an incremental build may have nothing left to code)."""
    with ExitStack() as stack:
        pool = None
        pending: deque = deque()
        for chunk in chunks:
            if not chunk:
                pending.append((0, None))
            else:
                if pool is None:
                    ctx = mp.get_context("spawn")
                    level = logging.getLogger().getEffectiveLevel()
                    pool = stack.enter_context(ctx.Pool(workers, initializer=_init_worker, initargs=(rules_sha256, level)))
                pending.append((len(chunk), pool.apply_async(_code_chunk, (chunk,))))
            while len(pending) >= workers * _IN_FLIGHT_PER_WORKER:
                yield _take(pending, progress)
        while pending:
            yield _take(pending, progress)


def _take(pending: deque, progress: Callable[[int], None] | None) -> list[CodedDocument]:
    n, result = pending.popleft()
    coded = [] if result is None else result.get()
    if progress is not None and n:
        progress(n)
    return coded
