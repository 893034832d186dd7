"""Code documents on several processes: a pool of workers that code, frame, validate and spool.

The build's process reads the inputs and settles duplicates in input order (ingest depends on it) and
sends the records in chunks; each worker codes its chunks and gathers the coded documents into runs of
its own (coding/batches.py: framed, validated, written into the spool's folder with their CSV text), so
the build's process receives only small things: per chunk, the documents rows without their mentions
(for the summary) and the runs the chunk completed (paths, counts, failures, asserted mentions). A
``flush`` step is sent to every worker: each writes the run of what it has gathered (at the end of the
inputs, and at the end of each input file an incremental build keeps as a segment). After coding, the
same workers build the events and ACLED events, bucket group by bucket group (``Pool.map``).

Steps are dispatched to the worker with the fewest outstanding, at most ``DEPTH`` each; the results
are handed back in the order of the steps, so the summary, the failures and the segments are settled
in input order. Which worker wrote which run does not change the dataset: the runs are merged by
doc_id.

Start: on Linux the workers are forked from the build's process once it has loaded the rules, so they
share one copy of them (copy-on-write) and start at once; elsewhere (``spawn``) each worker starts a
fresh interpreter and loads the rules from the cache, checking they are the build's. Workers ignore
Ctrl-C (the build's process stops them); a worker whose parent dies (killed build) exits at once
instead of waiting for work, and the build's process stops its workers on any error, so a killed or
failed build leaves no worker behind.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import traceback
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .records import CodedDocument, Document, Rejection

log = logging.getLogger(__name__)

DEPTH = 2  # steps outstanding per worker: one being worked on, one waiting
_WINDOW_PER_WORKER = 8  # steps sent but not yet handed back, per worker (results that came back early wait)


class WorkerError(RuntimeError):
    """A worker could not code with the same rules as the parent (the rules changed mid-build, or no
    longer load), failed, or died."""


@dataclass(frozen=True)
class Setup:
    """What a worker needs: the spool's folder and batch size, the build's rules (``coders``, inherited
    when forked; loaded by the worker and checked against ``rules_sha256`` when spawned), and the
    document cache to store what it codes in (incremental builds)."""

    folder: Path
    batch_size: int
    rules_sha256: str
    log_level: int = logging.WARNING
    cache: Any = None  # coding.doc_cache.DocumentCache
    coders: Any = None  # coding.pipeline.Coders (fork only)


@dataclass
class _Worker:
    coders: Any
    batcher: Any
    cache: Any
    mismatch: str | None


_worker: _Worker | None = None  # this worker process's state, set when it starts


def _exit_with_parent() -> None:
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(tag: str, setup: Setup) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the build's process stops the workers
    logging.basicConfig(level=setup.log_level, format="%(levelname)s %(message)s")
    _exit_with_parent()
    from .batches import Batcher
    from .process_setup import lean_memory

    lean_memory()  # inherited when forked; a spawned worker chooses it again

    coders, mismatch = setup.coders, None
    if coders is None:
        from .rules_cache import load_coders_cached

        try:
            coders = load_coders_cached()
        except Exception as err:
            mismatch = f"a worker could not load the rules: {type(err).__name__}: {err}"
    if coders is not None and coders.rules_sha256 != setup.rules_sha256:
        mismatch = (f"a worker loaded rules {coders.rules_sha256[:12]} but the build started with "
                    f"{setup.rules_sha256[:12]}: the rules changed during the build; run it again")
    _worker = _Worker(coders, Batcher(setup.folder, tag, setup.batch_size), setup.cache, mismatch)


def _send(outbox: queue.SimpleQueue, conn, failed: Callable[[str], None]) -> None:
    """The build's process sends a worker its tasks from a thread: a large task (a group of events) and a
    large result must not wait for each other in the two pipes. A task that cannot be sent (it does not
    pickle) is reported with ``failed``, which stops the worker, so the build stops instead of waiting."""
    while True:
        task = outbox.get()
        try:
            conn.send(task)
        except OSError:  # the worker is gone; the build's process finds out from its result pipe
            return
        except BaseException as err:  # noqa: BLE001 - reported to the build's process, which stops
            failed(f"a task could not be sent to a worker: {type(err).__name__}: {err}")
            return
        if task is None:
            conn.close()
            return


def _serve(tasks, results, tag: str, setup: Setup) -> None:
    """A worker's loop: run each (function, arguments) received, send back ("ok", result) or ("error",
    message); stop at None."""
    _start_worker(tag, setup)
    conn = results
    while True:
        try:
            task = tasks.recv()
        except EOFError:
            return
        if task is None:
            return
        fn, args = task
        try:
            reply = ("ok", fn(*args))
        except WorkerError as err:
            reply = ("error", str(err))
        except BaseException as err:  # noqa: BLE001 - reported to the build's process, which stops
            reply = ("error", f"a worker failed: {type(err).__name__}: {err}\n{traceback.format_exc()}")
        conn.send(reply)


def code_step(items: list[Document | Rejection | CodedDocument]) -> tuple[list[CodedDocument], list]:
    """In a worker: code a chunk (a CodedDocument is one taken from the document cache), gather it into
    runs; the documents rows without their mentions, and the runs completed."""
    from .document_rows import code_record

    state = _worker
    if state.mismatch is not None:
        raise WorkerError(state.mismatch)
    coded = []
    for item in items:
        if isinstance(item, CodedDocument):
            coded.append(item)
            continue
        row = code_record(item, state.coders)
        if state.cache is not None and isinstance(item, Document) and row.status in ("coded", "no_events"):
            state.cache.put(item, row)
        coded.append(row)
    runs = state.batcher.add(coded)
    return [dataclasses.replace(d, mentions=()) for d in coded], runs


def flush_step() -> list:
    """In a worker: the run of the documents it has gathered, if any."""
    return _worker.batcher.flush()


def start_method() -> str:
    """fork where it is safe and shares the loaded rules (Linux), else spawn."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


class Pool:
    """``workers`` worker processes (see the module docstring); a context manager that stops them."""

    def __init__(self, workers: int, setup: Setup, method: str | None = None) -> None:
        method = method or start_method()
        if method != "fork":
            setup = dataclasses.replace(setup, coders=None)
        ctx = mp.get_context(method)
        self._conns, self._procs, self._outboxes = [], [], []
        self._errors: dict[int, str] = {}  # worker -> why its task could not be sent
        try:
            for k in range(workers):
                tasks_in, tasks_out = ctx.Pipe(duplex=False)
                results_in, results_out = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_serve, args=(tasks_in, results_out, f"w{k}", setup), name=f"coding-worker-{k}",
                                   daemon=True)
                proc.start()
                tasks_in.close()
                results_out.close()
                self._conns.append(results_in)
                self._procs.append(proc)
                outbox: queue.SimpleQueue = queue.SimpleQueue()
                threading.Thread(target=_send, args=(outbox, tasks_out, self._failed(k)), name=f"to-worker-{k}",
                                 daemon=True).start()
                self._outboxes.append(outbox)
        except BaseException:
            self.close(kill=True)
            raise

    def _failed(self, k: int) -> Callable[[str], None]:
        def failed(message: str) -> None:
            self._errors[k] = message
            self._procs[k].kill()  # its sentinel wakes the build's process, which reports the message
        return failed

    @property
    def workers(self) -> int:
        return len(self._procs)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind, value, tb) -> None:
        self.close(kill=kind is not None)

    def close(self, kill: bool = False) -> None:
        for outbox in self._outboxes:
            outbox.put(None)  # the sender sends it (the worker stops) and stops
        for proc in self._procs:
            if not kill:
                proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in self._conns:
            conn.close()
        self._conns, self._procs, self._outboxes = [], [], []

    def run(self, steps: Iterable[tuple[Callable, tuple, bool]], window: int = _WINDOW_PER_WORKER) -> Iterator[Any]:
        """The result of each step ``(function, arguments, broadcast)``, in the order of the steps. A
        step with ``broadcast`` goes to every worker; its result is the list of their results. At most
        ``window`` steps per worker are sent and not yet handed back (results that come back early wait)."""
        n = len(self._procs)
        steps = iter(steps)
        outstanding: list[deque[int]] = [deque() for _ in range(n)]
        parts: dict[int, list] = {}
        wanted: dict[int, int] = {}
        broadcasts: set[int] = set()
        done: dict[int, Any] = {}
        sent = head = 0
        exhausted = False
        while True:
            while head in done:
                yield done.pop(head)
                head += 1
            while not exhausted and sent - head < window * n and min(map(len, outstanding)) < DEPTH:
                step = next(steps, None)
                if step is None:
                    exhausted = True
                    break
                fn, args, broadcast = step
                targets = range(n) if broadcast else [min(range(n), key=lambda k: len(outstanding[k]))]
                for k in targets:
                    self._outboxes[k].put((fn, args))
                    outstanding[k].append(sent)
                parts[sent], wanted[sent] = [], len(targets)
                if broadcast:
                    broadcasts.add(sent)
                sent += 1
            if exhausted and head == sent:
                return
            if head in done:
                continue
            busy = [k for k in range(n) if outstanding[k]]
            ready = wait([self._conns[k] for k in busy] + [self._procs[k].sentinel for k in busy])
            for k in busy:
                conn = self._conns[k]
                if conn not in ready and self._procs[k].sentinel not in ready:
                    continue
                try:
                    if not conn.poll():
                        raise EOFError
                    status, value = conn.recv()
                except (EOFError, OSError):
                    if k in self._errors:
                        raise WorkerError(self._errors[k]) from None
                    raise WorkerError(f"a worker stopped (exit code {self._procs[k].exitcode}); "
                                      "the build was stopped") from None
                if status != "ok":
                    raise WorkerError(value)
                seq = outstanding[k].popleft()
                parts[seq].append(value)
                if len(parts[seq]) == wanted[seq]:
                    got = parts.pop(seq)
                    del wanted[seq]
                    if seq in broadcasts:
                        broadcasts.discard(seq)
                        done[seq] = got
                    else:
                        done[seq] = got[0]

    def map(self, fn: Callable, payloads: Iterable[tuple], window: int = _WINDOW_PER_WORKER) -> Iterator[Any]:
        """``fn(*payload)`` of each payload on the workers, in order."""
        return self.run(((fn, payload, False) for payload in payloads), window)
