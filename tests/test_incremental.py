"""`build --incremental`: documents coded by an earlier build are reused; the dataset equals a full rebuild."""

import pandas as pd
import pytest
from click.testing import CliRunner

from coding.cli import main

TABLES = ("mentions", "events", "acled_events", "documents")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One cache for the module: the rules are compiled once (each test reads its own input paths, which
    are part of every cache key)."""
    return {"CAMEO_ACLED_CACHE": str(tmp_path_factory.mktemp("cache")), "SOURCE_DATE_EPOCH": "1767225600"}


def _build(*args, env):
    result = CliRunner().invoke(main, ["build", *map(str, args)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_adding_articles_codes_only_the_new_ones(tmp_path, env):
    from coding.synthetic import write_corpus

    corpus = tmp_path / "in"
    lines = write_corpus(tmp_path / "all.jsonl", 101).read_text(encoding="utf-8").splitlines(keepends=True)
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(lines[:100]) + "{broken\n", encoding="utf-8")
    first = _build("--input", corpus, "--out", tmp_path / "first", "--incremental", "--workers", 2, env=env)
    assert "incremental: 0 documents taken from the cache" in first
    (corpus / "b.jsonl").write_text(lines[100] + lines[5], encoding="utf-8")  # one new article, one duplicate
    again = _build("--input", corpus, "--out", tmp_path / "again", "--incremental", "--workers", 2, env=env)
    assert "incremental: 100 documents taken from the cache" in again
    full = _build("--input", corpus, "--out", tmp_path / "full", "--workers", 1, env=env)
    assert "incremental" not in full
    for name in TABLES:
        assert (tmp_path / "again" / f"{name}.csv").read_bytes() == (tmp_path / "full" / f"{name}.csv").read_bytes()
        assert (tmp_path / "again" / f"{name}.parquet").read_bytes() == (tmp_path / "full" / f"{name}.parquet").read_bytes()
    docs = pd.read_parquet(tmp_path / "full" / "documents.parquet")
    assert len(docs) == 103 and set(docs["status"]) == {"coded", "duplicate", "rejected"}
    # in process too: everything is now cached
    third = _build("--input", corpus, "--out", tmp_path / "third", "--incremental", "--workers", 1, env=env)
    assert "incremental: 101 documents taken from the cache" in third
    assert (tmp_path / "third" / "mentions.csv").read_bytes() == (tmp_path / "full" / "mentions.csv").read_bytes()


def test_a_changed_document_is_coded_again(tmp_path, coders):
    from coding.doc_cache import DocumentCache
    from coding.records import Document

    cache = DocumentCache(tmp_path, "rules-a")
    doc = Document("d1", "Iran condemned Israel.", "f.jsonl", 1)
    assert cache.get(doc) is None
    from coding.build import code_record

    cache.put(doc, code_record(doc, coders))
    assert cache.get(doc) is not None and cache.reused == 1
    assert cache.get(Document("d1", "Iran condemned Israel!", "f.jsonl", 1)) is None  # other text
    assert cache.get(Document("d1", "Iran condemned Israel.", "f.jsonl", 2)) is None  # other line
    assert DocumentCache(tmp_path, "rules-b").get(doc) is None  # other rules
    (path,) = (tmp_path / "documents" / "rules-a").rglob("*.pickle")
    path.write_bytes(b"not a pickle")
    assert cache.get(doc) is None  # unreadable: coded again


def test_a_cached_file_is_read_again_when_an_earlier_file_changes_its_rows(tmp_path, env):
    """A file taken whole from the segment cache must give the rows a full build gives: here a new file,
    read before it, holds one of its texts (so that document becomes a duplicate) and one of its doc_ids
    (so that document is renamed), and a later build date ignores no more dates."""
    from coding.synthetic import write_corpus

    lines = write_corpus(tmp_path / "all.jsonl", 21).read_text(encoding="utf-8").splitlines(keepends=True)
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "b.jsonl").write_text("".join(lines[:20]), encoding="utf-8")
    _build("--input", corpus, "--out", tmp_path / "first", "--incremental", "--workers", 1, env=env)
    again = _build("--input", corpus, "--out", tmp_path / "again", "--incremental", "--workers", 1, env=env)
    assert "incremental: 20 documents taken from the cache" in again
    later = {**env, "SOURCE_DATE_EPOCH": str(1767225600 + 86400 * 30)}
    assert "incremental: 20 documents taken" in _build("--input", corpus, "--out", tmp_path / "later", "--incremental", env=later)
    import json

    renamed = {**json.loads(lines[20]), "doc_id": json.loads(lines[7])["doc_id"]}
    (corpus / "a.jsonl").write_text(lines[3] + json.dumps(renamed) + "\n", encoding="utf-8")
    inc = _build("--input", corpus, "--out", tmp_path / "inc", "--incremental", "--workers", 1, env=env)
    full = _build("--input", corpus, "--out", tmp_path / "full", "--workers", 1, env=env)
    assert "1 duplicate + 1 rejected" in full and "1 duplicate + 1 rejected" in inc
    for name in TABLES:
        assert (tmp_path / "inc" / f"{name}.csv").read_bytes() == (tmp_path / "full" / f"{name}.csv").read_bytes()


def test_a_cached_file_with_an_ignored_date_is_read_again_when_the_date_becomes_acceptable(tmp_path, env):
    """A publication date after the build date (plus two days) is ignored; a later build accepts it, so
    the file's cached rows no longer apply."""
    import json

    corpus = tmp_path / "in"
    corpus.mkdir()
    doc = {"doc_id": "d1", "text": "Kenyan police arrested 12 protesters in Nairobi on Monday.", "publication_date": "2030-06-19"}
    (corpus / "a.jsonl").write_text(json.dumps(doc) + "\n", encoding="utf-8")
    assert env["SOURCE_DATE_EPOCH"] == "1767225600"  # 2026-01-01
    first = _build("--input", corpus, "--out", tmp_path / "first", "--incremental", env=env)
    assert "1 coded with a note in reason" in first
    assert "incremental: 1 documents taken" in _build("--input", corpus, "--out", tmp_path / "again", "--incremental", env=env)
    later = {**env, "SOURCE_DATE_EPOCH": "1924992000"}  # 2031-01-01: the date is accepted now
    inc = _build("--input", corpus, "--out", tmp_path / "inc", "--incremental", env=later)
    assert "incremental: 0 documents taken" in inc and "with a note" not in inc
    _build("--input", corpus, "--out", tmp_path / "full", env=later)
    for name in TABLES:
        assert (tmp_path / "inc" / f"{name}.csv").read_bytes() == (tmp_path / "full" / f"{name}.csv").read_bytes()


def _same_dataset(a, b):
    for name in TABLES:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name
    assert (a / "manifest.json").read_bytes() == (b / "manifest.json").read_bytes()


def _schema_dtypes(folder):
    """Parquet tables read back with the dtypes their schema gives (the pandas metadata written)."""
    from schemas.tables import TABLES

    for name in TABLES:
        frame = pd.read_parquet(folder / f"{name}.parquet")
        assert frame.dtypes.to_dict() == TABLES[name].validate(frame).dtypes.to_dict(), name


def test_kept_tables_are_spliced_for_an_added_and_a_changed_file(tmp_path, coders, monkeypatch):
    """The tables of an earlier build are kept (coding/table_cache.py) and a later build splices them
    (coding/splice.py): the rows of unchanged files are taken as they are, those of a changed file
    dropped, and the events and ACLED events that new or dropped mentions touch built again. Doc_ids
    interleave between the files, texts share events, and the dataset must be a full build's."""
    import json
    import random

    from coding.build import Settings, build
    from coding.synthetic import write_corpus

    monkeypatch.setenv("CAMEO_ACLED_CACHE", str(tmp_path / "cache"))
    lines = write_corpus(tmp_path / "all.jsonl", 130).read_text(encoding="utf-8").splitlines(keepends=True)
    random.Random(4).shuffle(lines)  # doc_ids of every file interleave
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("".join(lines[:60]) + "{broken\n", encoding="utf-8")
    (corpus / "c.jsonl").write_text("".join(lines[60:100]), encoding="utf-8")
    (corpus / "note.txt").write_text("Kenyan police arrested 12 protesters in Nairobi on Monday.", encoding="utf-8")

    def run(out, incremental):
        result = build(Settings((corpus,), tmp_path / out, workers=1, incremental=incremental, batch_size=25), coders)
        assert result.written, result.report.failures[:5]
        return result

    assert run("first", True).spliced == 0  # keeps its tables
    echo = {**json.loads(lines[3]), "doc_id": "echo", "text": json.loads(lines[3])["text"] + " Officials gave no details."}
    (corpus / "d.jsonl").write_text("".join(lines[100:110]) + lines[70] + json.dumps(echo) + "\n", encoding="utf-8")
    added = run("added", True)  # d: 10 new articles, a duplicate of one of c, one repeating the events of one of a
    assert added.spliced == 101  # a (60 + the broken line) and c taken from the kept tables
    run("full", False)
    _same_dataset(tmp_path / "added", tmp_path / "full")
    mentions = pd.read_parquet(tmp_path / "full" / "mentions.parquet")
    events_of = {d: set(mentions.loc[mentions["doc_id"] == d, "event_id"].dropna()) for d in ("echo", json.loads(lines[3])["doc_id"])}
    assert len(set.intersection(*events_of.values())) > 1  # kept events built again with a new mention

    (corpus / "c.jsonl").write_text("".join(lines[62:100]) + lines[110], encoding="utf-8")  # 2 gone, 1 new
    changed = run("changed", True)
    assert changed.spliced == 61  # a only: c changed, d was not in the kept tables
    run("full2", False)
    _same_dataset(tmp_path / "changed", tmp_path / "full2")
    _schema_dtypes(tmp_path / "changed")

    for ends in (tmp_path / "cache").rglob("mentions.rows.npy"):  # a damaged entry is not used
        ends.write_bytes(ends.read_bytes()[:-8])
    damaged = run("damaged", True)
    assert damaged.spliced == 0
    _same_dataset(tmp_path / "damaged", tmp_path / "full2")


@pytest.mark.parametrize("chunks", [[5, 7, 3], [15], [5, 0, 10]])
def test_spliced_rows_are_taken_in_the_chunks_a_table_slice_gives(chunks):
    """Runs of kept rows are slices of record batches; the Parquet writer's pages follow the chunks, so
    they must be the chunks ``Table.slice`` gives (an empty chunk falls back to table slices)."""
    import numpy as np
    import pyarrow as pa

    from coding.splice import _joined, _one_per_row, _Rows

    start = np.cumsum([0, *chunks])
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    table = pa.Table.from_batches([pa.record_batch([list(range(s, e)), [str(i) for i in range(s, e)]], schema=schema)
                                   for s, e in zip(start[:-1], start[1:])])
    rows = _Rows(table, b"", np.zeros(table.num_rows + 1, dtype=np.int64), *_one_per_row(table.num_rows))
    for a in range(table.num_rows):
        for b in range(a + 1, table.num_rows + 1):
            got, want = _joined(rows.slices(a, b)), table.slice(a, b - a)
            assert got.equals(want)
            assert [[len(c) for c in got.column(i).chunks] for i in range(2)] == \
                   [[len(c) for c in want.column(i).chunks] for i in range(2)]
