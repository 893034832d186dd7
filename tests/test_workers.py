"""`build --workers N`: the worker count does not change the dataset (bytes of CSV, content of Parquet)."""

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
        pd.testing.assert_frame_equal(pd.read_parquet(outs[1] / f"{name}.parquet"),
                                      pd.read_parquet(outs[2] / f"{name}.parquet"))
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


def test_a_worker_with_other_rules_stops_the_build():
    """Rules edited between the start of the build and a worker's start: an error, not a mixed dataset."""
    from coding.parallel import WorkerError, code_in_pool
    from coding.records import Document

    chunks = iter([[Document("d1", "Iran condemned Israel.", "f.jsonl", 1)]])
    with pytest.raises(WorkerError, match="rules changed during the build"):
        list(code_in_pool(chunks, 2, "0" * 64))
