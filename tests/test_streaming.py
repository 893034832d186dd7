"""`build` streams: batches framed, validated and spooled as sorted runs, merged by doc_id, events built
bucket by bucket. The dataset must not depend on the batch size, the merge fan-in or the bucket size."""

import random

import pandas as pd
import pyarrow.parquet as pq
import pytest

from conftest import ROOT

TABLES = ("mentions", "events", "acled_events", "documents")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from coding.synthetic import write_corpus

    folder = tmp_path_factory.mktemp("corpus")
    lines = write_corpus(folder / "all.jsonl", 90).read_text(encoding="utf-8").splitlines()
    (folder / "all.jsonl").unlink()
    random.Random(6).shuffle(lines)  # doc_ids out of order: the merge, not the input, sorts them
    (folder / "a.jsonl").write_text("\n".join(lines[:60] + [lines[3], "{broken"]) + "\n", encoding="utf-8")
    rows = ["text,publication_date"] + [f'"Iran condemned Israel on Monday, officials said. Row {i}.",2025-06-1{i % 10}'
                                        for i in range(12)]
    (folder / "b.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")  # ids b:2 ... b:13 (b:10 < b:2)
    (folder / "c.jsonl").write_text("\n".join(lines[60:]) + "\n", encoding="utf-8")
    return folder


def _build(inputs, out, coders, **settings):
    from coding.build import Settings, build

    result = build(Settings(tuple(inputs), out, workers=1, **settings), coders)
    assert result.written, result.report.failures[:5]
    return result


def test_batches_runs_and_buckets_do_not_change_the_dataset(corpus, coders, tmp_path, monkeypatch):
    import coding.buckets as buckets
    import coding.spool as spool
    from coding import write

    monkeypatch.setattr(write, "ROW_GROUP_ROWS", 9)  # row groups cut across the pieces the writers are given
    inputs = [ROOT / "seeds", corpus]
    whole = _build(inputs, tmp_path / "whole", coders)  # one batch, one run, one group of buckets
    monkeypatch.setattr(spool, "FAN_IN", 3)  # 17 runs of 7 documents: merged in rounds of 3
    monkeypatch.setattr(spool, "READ_ROWS", 4)
    monkeypatch.setattr(buckets, "BUCKET_ROWS", 150)  # buckets taken in several groups
    monkeypatch.setattr(buckets, "_FLUSH_ROWS", 20)
    pieces = _build(inputs, tmp_path / "pieces", coders, batch_size=7)
    assert whole.counts == pieces.counts and whole.statuses == pieces.statuses
    assert whole.n_sentences == pieces.n_sentences and whole.rejections == pieces.rejections
    for name in TABLES:
        assert (tmp_path / "whole" / f"{name}.csv").read_bytes() == (tmp_path / "pieces" / f"{name}.csv").read_bytes(), name
        assert (tmp_path / "whole" / f"{name}.parquet").read_bytes() == (tmp_path / "pieces" / f"{name}.parquet").read_bytes(), name
    assert pq.ParquetFile(tmp_path / "pieces" / "mentions.parquet").metadata.row_group(0).num_rows == 9
    assert (tmp_path / "whole" / "manifest.json").read_bytes() == (tmp_path / "pieces" / "manifest.json").read_bytes()
    docs = pd.read_parquet(tmp_path / "pieces" / "documents.parquet")
    assert len(docs) == 1 + 62 + 12 + 30 and list(docs["doc_id"]) == sorted(docs["doc_id"])
    assert set(docs["status"]) == {"coded", "duplicate", "rejected"}
    events = pd.read_parquet(tmp_path / "pieces" / "events.parquet")
    assert list(events["event_id"]) == sorted(events["event_id"]) and events["num_mentions"].gt(1).any()
    assert not list((tmp_path).glob(".pieces.*")) and not (tmp_path / "pieces" / ".spool").exists()


def test_interleaved_runs_are_merged_in_slices(tmp_path, monkeypatch):
    """Runs whose doc_ids interleave in stretches (a pool's workers take chunks in turn) are merged by
    slicing the stretches; the tables are the ones a copy in doc_id order gives, byte for byte."""
    import pyarrow as pa

    from coding import spool

    def run(ids):
        n = [int(i[1:]) % 3 for i in ids]
        docs = pa.table({"doc_id": ids, "n_mentions": pa.array(n, pa.int64())})
        mentions = pa.table({"doc_id": [i for i, k in zip(ids, n) for _ in range(k)],
                             "k": pa.array([j for k in n for j in range(k)], pa.int64())})
        return docs, mentions

    ids = [f"d{i:04d}" for i in range(400)]
    runs = []
    for r in range(3):  # run r holds the stretches r, r + 3, r + 6 ... of 20 ids
        docs, mentions = run([i for s in range(r, 20, 3) for i in ids[20 * s:20 * s + 20]])
        paths = (tmp_path / f"r{r}-documents.parquet", tmp_path / f"r{r}-mentions.parquet")
        pa.parquet.write_table(docs, paths[0], row_group_size=64)
        pa.parquet.write_table(mentions, paths[1], row_group_size=64)
        runs.append(paths)
    merged = {}
    for stretch in (16, 10**6):  # slices; a copy in order
        monkeypatch.setattr(spool, "_STRETCH_DOCS", stretch)
        got: list = []
        spool._merge(runs, lambda d, m, got=got: got.append((d, m)), run([])[1].schema)
        merged[stretch] = [pa.concat_tables(t).combine_chunks() for t in zip(*got)]
        chunks = max(d.column("doc_id").num_chunks for d, _ in got)
        assert chunks > 1 if stretch == 16 else chunks == 1  # slices of several runs; one copy
    assert merged[16][0].column("doc_id").to_pylist() == ids
    assert all(a.equals(b) for a, b in zip(merged[16], merged[10**6]))
    assert merged[16][1].column("doc_id").to_pylist() == [i for i in ids for _ in range(int(i[1:]) % 3)]


def test_an_empty_corpus_writes_empty_tables(coders, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.jsonl").write_text("\n", encoding="utf-8")
    result = _build([tmp_path / "in"], tmp_path / "out", coders)
    assert result.counts == {"mentions": 0, "events": 0, "acled_events": 0, "documents": 0}
    for name in TABLES:
        assert len(pd.read_parquet(tmp_path / "out" / f"{name}.parquet")) == 0
        assert (tmp_path / "out" / f"{name}.csv").read_text(encoding="utf-8").count("\n") == 1  # the header


def test_strict_build_with_a_rejection_writes_nothing(corpus, coders, tmp_path):
    from coding.build import Settings, build

    result = build(Settings((corpus,), tmp_path / "out", workers=1, strict=True, batch_size=10), coders)
    assert not result.written and result.statuses["rejected"] == 1
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


def test_large_buckets_are_split_by_the_next_hex_digit(coders, tmp_path, monkeypatch):
    """Events built from buckets split down to single event ids equal events built from all mentions, and
    ACLED events built from split buckets of those events equal ACLED events built from all of them."""
    import coding.buckets as buckets
    import coding.spool as spool
    from coding.frame import acled_events_frame, documents_frame, events_frame, mentions_frame
    from coding.pipeline import code_document
    from coding.records import Document
    from coding.synthetic import write_corpus
    from schemas.dataset import validate_frames

    path = write_corpus(tmp_path / "c.jsonl", 12)
    docs = [Document(r["doc_id"], r["text"], "c.jsonl", i + 1, publication_date=None, source=r["source"])
            for i, r in enumerate(pd.read_json(path, lines=True).to_dict("records"))]
    docs.append(Document("copy", docs[0].text + " Again.", "c.jsonl", 99, source="other"))  # events in two documents
    coded = [code_document(d, coders) for d in docs]
    frames, report = validate_frames({"mentions": mentions_frame([m for c in coded for m in c.mentions]),
                                      "documents": documents_frame(coded)})
    assert report.ok, report.failures[:3]
    monkeypatch.setattr(buckets, "BUCKET_ROWS", 2)
    splits = []
    split = buckets.Buckets._split
    monkeypatch.setattr(buckets.Buckets, "_split", lambda self, p, prefix: splits.append(prefix) or split(self, p, prefix))
    box = spool.Spool(tmp_path / "spool")
    box.add_run(*spool.write_run(box.folder, "run", frames["documents"], frames["mentions"]))
    parts = [box.events_frame(buckets.read_group(group)) for group in box.event_groups()]
    for part in parts:
        box.add_acled_inputs(spool.acled_inputs(part))
    acled_pieces = pd.concat([box.acled_events_frame(buckets.read_group(group)) for group in box.acled_groups()],
                             ignore_index=True)
    box.remove()
    pieces = pd.concat(parts, ignore_index=True)
    whole = events_frame(frames["mentions"])
    assert len(whole) > 30 and whole["num_mentions"].gt(2).any() and any(len(p) > 3 for p in splits)
    pd.testing.assert_frame_equal(whole, pieces)
    assert any(p.startswith("a") for p in splits)  # the ACLED buckets were split too
    pd.testing.assert_frame_equal(acled_events_frame(whole), acled_pieces)
