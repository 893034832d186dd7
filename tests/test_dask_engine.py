"""`build --engine dask`: coding on a Dask cluster (here a LocalCluster) writes the local engine's dataset."""

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main
from conftest import ROOT, synthetic_corpus

TABLES = ("mentions", "events", "acled_events", "documents")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory.mktemp("corpus"), 120)


def _build(*args):
    result = CliRunner().invoke(main, ["build", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_dask_engine_writes_the_local_dataset(corpus, tmp_path):
    """The seeds plus 122 synthetic lines (three chunks of 50) on a LocalCluster of two workers."""
    local, dask = tmp_path / "local", tmp_path / "dask"
    _build("--input", ROOT / "seeds", "--input", corpus, "--out", local, "--workers", 1)
    _build("--input", ROOT / "seeds", "--input", corpus, "--out", dask, "--workers", 2, "--engine", "dask")
    for name in TABLES:
        assert (local / f"{name}.csv").read_bytes() == (dask / f"{name}.csv").read_bytes(), name
        assert (local / f"{name}.parquet").read_bytes() == (dask / f"{name}.parquet").read_bytes(), name
    assert (local / "manifest.json").read_bytes() == (dask / "manifest.json").read_bytes()
    docs = pd.read_parquet(dask / "documents.parquet")
    assert len(docs) == 123 and set(docs["status"]) == {"coded", "duplicate", "rejected"}
    assert len(pd.read_parquet(dask / "mentions.parquet")) > 100


def test_chunks_come_back_in_order_from_the_cluster(coders):
    """Small chunks, many in flight on two workers: each chunk's rows are the ones coded here."""
    from coding.build import code_record
    from coding.dask_engine import code_on_dask
    from coding.records import Document

    texts = ["Iran condemned Israel.", "Kenyan police arrested 12 protesters in Nairobi.", "",
             "Russia and Ukraine signed a ceasefire agreement.", "The weather was fine."]
    chunks = [[Document(f"d{i}-{j}", t, "f.jsonl", i * 10 + j) for j, t in enumerate(texts[i % 5:] + texts[:i % 5])]
              for i in range(12)]
    chunks.insert(4, [])  # an incremental build can leave a chunk with nothing to code
    got = list(code_on_dask(iter(chunks), 2, coders.rules_sha256))
    assert got == [[code_record(r, coders) for r in chunk] for chunk in chunks]


def test_a_worker_with_other_rules_stops_the_build():
    from coding.dask_engine import code_on_dask
    from coding.parallel import WorkerError
    from coding.records import Document

    chunks = iter([[Document("d1", "Iran condemned Israel.", "f.jsonl", 1)]])
    with pytest.raises(WorkerError, match="install the same rules on every worker"):
        list(code_on_dask(chunks, 1, "0" * 64))


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    import coding.dask_engine

    monkeypatch.setattr(coding.dask_engine, "_CONNECT_TIMEOUT", "1s")
    result = CliRunner().invoke(main, ["build", "--input", str(ROOT / "seeds"), "--out", str(tmp_path / "o"),
                                       "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "could not reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()


def test_scheduler_needs_the_dask_engine(tmp_path):
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:9"])
    assert result.exit_code == 2 and "--scheduler needs --engine dask" in result.output


def test_a_scheduler_without_workers_is_a_clear_error(tmp_path, monkeypatch):
    from distributed import LocalCluster

    import coding.dask_engine

    monkeypatch.setattr(coding.dask_engine, "_WORKERS_TIMEOUT", 1)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        result = CliRunner().invoke(main, ["build", "--input", str(ROOT / "seeds"), "--out", str(tmp_path / "o"),
                                           "--engine", "dask", "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 1, result.output
    assert f"the Dask scheduler at {cluster.scheduler_address} has no workers" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o").exists()
