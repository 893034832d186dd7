"""Code documents on a Dask cluster (``build --engine dask``): the same ordered chunks as coding/parallel.py.

The parent still reads the inputs and settles duplicates in input order; each chunk of records is a
task on a ``dask.distributed`` cluster, and the results are taken back in the order the chunks were
sent, so the dataset is exactly the one ``--engine local`` writes. Without a scheduler address a
``LocalCluster`` of ``workers`` processes (one thread each: coding is pure Python) is started for the
build and closed after it; with one (``tcp://host:8786``) the chunks go to that cluster, whose workers
need this package installed (the same version: a worker with other rules stops the build).

Every worker loads the compiled rules once, when the build registers a worker plugin
(``load_coders_cached``: a pickle load when the worker's cache is warm), and keeps them on the worker
for the tasks of this build. At most ``4 x`` the cluster's threads chunks are in flight, so a large
corpus is never queued whole in the scheduler's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import ExitStack
from typing import Iterable, Iterator

from distributed import Client, KilledWorker, LocalCluster, WorkerPlugin, get_worker

from . import __version__
from .parallel import WorkerError
from .records import CodedDocument, Document, Rejection

log = logging.getLogger(__name__)

_IN_FLIGHT_PER_THREAD = 4
_CONNECT_TIMEOUT = "10s"
_WORKERS_TIMEOUT = 60  # seconds to wait for a first worker on a scheduler that has none
PLUGIN_NAME = "cameo-acled-coder-rules"


class EngineError(RuntimeError):
    """The Dask cluster could not be reached or started."""


class RulesPlugin(WorkerPlugin):
    """Worker plugin: loads the compiled rules once per worker and checks they are the build's."""

    name = PLUGIN_NAME

    def __init__(self, rules_sha256: str, version: str) -> None:
        self.rules_sha256 = rules_sha256
        self.version = version
        self.coders = None
        self.mismatch: str | None = None

    async def setup(self, worker) -> None:
        # off the worker's event loop: compiling the rules on a cold cache takes seconds
        await asyncio.get_running_loop().run_in_executor(None, self._load)

    def _load(self) -> None:
        from .rules_cache import load_coders_cached

        if self.version != __version__:
            self.mismatch = (f"a Dask worker runs cameo-acled-coder {__version__} but the build runs {self.version}: "
                             "install the same version on every worker")
            return
        try:
            self.coders = load_coders_cached()
        except Exception as err:  # raising here would leave the worker without rules, silently
            self.mismatch = f"a Dask worker could not load the rules: {type(err).__name__}: {err}"
            return
        if self.coders.rules_sha256 != self.rules_sha256:
            self.mismatch = (f"a Dask worker loaded rules {self.coders.rules_sha256[:12]} but the build started with "
                             f"{self.rules_sha256[:12]}: install the same rules on every worker")

    def teardown(self, worker) -> None:
        self.coders = None


def _code_chunk(records: list[Document | Rejection]) -> list[CodedDocument]:
    """Runs on a worker: the documents rows of one chunk, with the rules its plugin loaded."""
    from .document_rows import code_record

    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None:
        raise WorkerError("a Dask worker has no rules loaded (it joined without the build's plugin)")
    if plugin.mismatch is not None:
        raise WorkerError(plugin.mismatch)
    return [code_record(r, plugin.coders) for r in records]


def _client(stack: ExitStack, workers: int, scheduler: str | None):
    if scheduler is None:
        try:
            cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                       dashboard_address=None, silence_logs=logging.ERROR))
        except Exception as err:
            raise EngineError(f"could not start a local Dask cluster: {type(err).__name__}: {err}") from None
        return stack.enter_context(Client(cluster))
    try:
        client = stack.enter_context(Client(scheduler, timeout=_CONNECT_TIMEOUT))
    except (OSError, TimeoutError, ValueError) as err:
        raise EngineError(f"could not reach the Dask scheduler at {scheduler}: {err}") from None
    try:  # a scheduler without workers would leave the build waiting for ever
        client.wait_for_workers(1, timeout=_WORKERS_TIMEOUT)
    except TimeoutError:
        raise EngineError(f"the Dask scheduler at {scheduler} has no workers (waited {_WORKERS_TIMEOUT} s); "
                          "start some with `dask worker " + scheduler + "`") from None
    return client


def _cluster_failed(doing: str, err: Exception) -> str:
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return (f"the Dask cluster failed {doing}: {type(err).__name__}: {first} (do the scheduler and every worker "
            f"have cameo-acled-coder {__version__} installed?)")


def _threads(client) -> int:
    return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()))


def code_on_dask(chunks: Iterable[list[Document | Rejection]], workers: int, rules_sha256: str,
                 scheduler: str | None = None) -> Iterator[list[CodedDocument]]:
    """The coded documents of every chunk, chunk by chunk, in the order the chunks were given. The
    cluster is started (or reached) with the first non-empty chunk."""
    with ExitStack() as stack:
        client = None
        limit = 1
        pending: deque = deque()
        for chunk in chunks:
            if not chunk:
                pending.append(None)
            else:
                if client is None:
                    client = _client(stack, workers, scheduler)
                    try:
                        client.register_plugin(RulesPlugin(rules_sha256, __version__), name=PLUGIN_NAME)
                    except Exception as err:
                        raise EngineError(_cluster_failed("loading the rules on the workers", err)) from None
                    limit = _threads(client) * _IN_FLIGHT_PER_THREAD
                pending.append(client.submit(_code_chunk, chunk, pure=False))
            while len(pending) >= limit:
                yield _take(pending)
        while pending:
            yield _take(pending)


def _take(pending: deque) -> list[CodedDocument]:
    future = pending.popleft()
    if future is None:
        return []
    try:
        coded = future.result()
    except KilledWorker as err:
        raise WorkerError(f"a Dask worker died while coding (it may have run out of memory): {err}") from None
    except WorkerError:
        raise
    except Exception as err:  # code_record keeps coder errors in the rows: anything else is the cluster's
        raise EngineError(_cluster_failed("coding a chunk", err)) from None
    future.release()
    return coded
