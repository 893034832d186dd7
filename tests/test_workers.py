"""`build --workers N`: the worker count does not change the dataset (the bytes of its CSV and Parquet files)."""

import os

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main
from conftest import ROOT, synthetic_corpus

TABLES = ("mentions", "events", "acled_events", "documents")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus"), 60)


def _build(inputs, out, workers, chunk_size=None):
    from coding.build import Settings, build
    from coding.rules_cache import load_coders_cached

    result = build(Settings(tuple(inputs), out, workers=workers, **({"chunk_size": chunk_size} if chunk_size else {})),
                   load_coders_cached())
    assert result.written
    return result


def test_two_workers_write_the_same_dataset_as_one(corpus, tmp_path):
    """Through the command, as users run it: the seeds plus 62 synthetic lines (two chunks of 50)."""
    outs = {}
    for workers in (1, 2):
        outs[workers] = tmp_path / f"w{workers}"
        result = CliRunner().invoke(main, ["build", "--input", str(ROOT / "seeds"), "--input", str(corpus),
                                           "--out", str(outs[workers]), "--workers", str(workers)])
        assert result.exit_code == 0, result.output
    for name in TABLES:
        assert (outs[1] / f"{name}.csv").read_bytes() == (outs[2] / f"{name}.csv").read_bytes(), name
        assert (outs[1] / f"{name}.parquet").read_bytes() == (outs[2] / f"{name}.parquet").read_bytes(), name
    assert (outs[1] / "manifest.json").read_bytes() == (outs[2] / "manifest.json").read_bytes()
    docs = pd.read_parquet(outs[2] / "documents.parquet")
    assert len(docs) == 63 and set(docs["status"]) == {"coded", "duplicate", "rejected"}


def test_small_chunks_keep_the_order(corpus, tmp_path):
    """Many small chunks in flight (results come back out of order) still give the one-worker rows."""
    one = _build([corpus], tmp_path / "one", workers=1)
    many = _build([corpus], tmp_path / "many", workers=2, chunk_size=3)
    assert one.counts == many.counts and one.statuses == many.statuses
    for name in TABLES:
        assert (tmp_path / "one" / f"{name}.csv").read_bytes() == (tmp_path / "many" / f"{name}.csv").read_bytes()


def test_workers_must_be_positive(tmp_path):
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "o"), "--workers", "0"])
    assert result.exit_code == 2


def _pool(tmp_path, workers, method=None, rules_sha256=None, coders=None):
    from coding.parallel import Pool, Setup

    return Pool(workers, Setup(tmp_path, 10, rules_sha256 or coders.rules_sha256, coders=coders), method)


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_a_worker_with_other_rules_stops_the_build(tmp_path, method):
    """Rules edited between the start of the build and a worker's start: an error, not a mixed dataset."""
    from coding.parallel import WorkerError, code_step
    from coding.records import Document
    from coding.rules_cache import load_coders_cached

    coders = load_coders_cached() if method == "fork" else None
    with _pool(tmp_path, 2, method, "0" * 64, coders) as pool:
        with pytest.raises(WorkerError, match="rules changed during the build"):
            list(pool.run([(code_step, ([Document("d1", "Iran condemned Israel.", "f.jsonl", 1)],), False)]))


def _square(x):
    return x * x


def _fail(x):
    raise ValueError(f"bad {x}")


def _die(x):
    import os

    os._exit(3)


def _pid():
    import os

    return os.getpid()


def test_the_pool_hands_results_back_in_order_and_broadcasts(tmp_path):
    from coding.rules_cache import load_coders_cached

    with _pool(tmp_path, 2, coders=load_coders_cached()) as pool:
        assert list(pool.map(_square, [(i,) for i in range(40)], window=2)) == [i * i for i in range(40)]
        pids = list(pool.run([(_pid, (), True)]))[0]
        assert len(set(pids)) == 2
        procs = list(pool._procs)
    assert not any(p.is_alive() for p in procs)  # stopped when the pool closes


@pytest.mark.parametrize("task, message", [(_fail, r"ValueError: bad \d"), (_die, "a worker stopped")])
def test_a_failed_or_dead_worker_stops_the_build_and_no_worker_is_left(tmp_path, task, message):
    from coding.parallel import WorkerError
    from coding.rules_cache import load_coders_cached

    pool = _pool(tmp_path, 2, coders=load_coders_cached())
    with pytest.raises(WorkerError, match=message):
        with pool:
            list(pool.map(task, [(i,) for i in range(4)]))
    assert not pool._procs


def test_a_task_that_cannot_be_sent_stops_the_build_instead_of_hanging(tmp_path):
    """A task that does not pickle fails in the thread that sends it; the build stops with the reason."""
    import threading

    from coding.parallel import WorkerError
    from coding.rules_cache import load_coders_cached

    pool = _pool(tmp_path, 2, coders=load_coders_cached())
    with pytest.raises(WorkerError, match="could not be sent to a worker"):
        with pool:
            list(pool.map(_square, [(threading.Lock(),)]))  # a lock does not pickle
    assert not pool._procs


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="finds the workers through /proc (Linux)")
def test_workers_exit_when_the_build_is_killed(tmp_path):
    """A killed build process (SIGKILL: no clean-up runs) leaves no worker behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    corpus = synthetic_corpus(tmp_path, 400)
    proc = subprocess.Popen([sys.executable, "-m", "coding", "build", "--input", str(corpus), "--out", str(tmp_path / "o"),
                             "--workers", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[int] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children) < 2:
        time.sleep(0.2)
        children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(p) == proc.pid]
    assert len(children) == 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{c}") and _ppid(str(c)) != 0 for c in children):
        time.sleep(0.1)
    assert not [c for c in children if _alive(c)]


def _ppid(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return 0


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
