"""The duplicate ledger (coding/ledger.py) answers the same whether its keys are in dicts or on disk."""

import pytest

from coding import ledger as ledger_module
from coding.ledger import Ledger
from coding.records import Document, Rejection
from conftest import ROOT, synthetic_corpus

TABLES = ("mentions", "events", "acled_events", "documents")


def _doc(doc_id, text, line):
    return Document(doc_id, text, "a.jsonl", line, source="wire")


def _records():
    return [
        _doc("d1", "Police arrested ten protesters.", 1),
        _doc("d2", "Troops shelled the town.", 2),
        _doc("d3", "Police arrested ten protesters.", 3),  # same text as d1: a duplicate
        _doc("d1", "Another text under d1.", 4),  # d1 again, other text: rejected
        _doc("d1", "Police arrested ten protesters.", 5),  # d1 again, same text: a duplicate
        Rejection("d2", "a.jsonl", 6, "not English"),  # a rejection keeps a unique row id
        Rejection("d2", "a.jsonl", 6, "not English"),
        _doc("d4", "Rebels attacked a convoy.", 7),
    ]


def _settled(ledger):
    return [(r.doc_id, type(r).__name__, getattr(r, "status", None), getattr(r, "reason", None))
            for r in map(ledger.settle, _records())]


@pytest.mark.parametrize("in_memory", [0, 3])
def test_keys_on_disk_settle_like_keys_in_memory(in_memory):
    expected = _settled(Ledger())
    spilled = Ledger(in_memory=in_memory)
    assert _settled(spilled) == expected and spilled.on_disk
    spilled.close()
    assert [e[:3] for e in expected] == [
        ("d1", "Document", None), ("d2", "Document", None), ("d3", "Rejection", "duplicate"),
        ("d1~a.jsonl:4", "Rejection", "rejected"), ("d1~a.jsonl:5", "Rejection", "duplicate"),
        ("d2~a.jsonl:6", "Rejection", "rejected"), ("d2~a.jsonl:6~2", "Rejection", "rejected"),
        ("d4", "Document", None)]
    assert expected[2][3] == "duplicate of 'd1' (a.jsonl:1): same text"
    assert expected[3][3] == "doc_id 'd1' already used at a.jsonl:1 for a different text (the first is kept)"


@pytest.mark.parametrize("in_memory", [0, 10_000])
def test_following_a_file_and_adopting_its_keys(in_memory):
    """What the segment cache relies on: the keys a file added, whether it looked at earlier files' keys."""
    first = Ledger(in_memory=in_memory)
    first.begin_file()
    first.settle(_doc("x", "one text", 1))
    outside, ids, texts = first.end_file()
    assert not outside and ids == {"x": "a.jsonl:1"} and len(texts) == 1

    later = Ledger(in_memory=in_memory)
    assert not later.conflicts(ids, texts)
    later.adopt(ids, texts)
    assert later.conflicts(ids, {}) and later.conflicts({}, texts)
    later.begin_file()
    again = later.settle(_doc("y", "one text", 2))
    assert again.status == "duplicate" and later.end_file()[0]  # it depended on an earlier file


def test_a_build_with_the_ledger_on_disk_writes_the_same_dataset(tmp_path, monkeypatch):
    from coding.build import Settings, build
    from coding.rules_cache import load_coders_cached

    (tmp_path / "corpus").mkdir()
    corpus = synthetic_corpus(tmp_path / "corpus", 30)
    inputs = (ROOT / "seeds", ROOT / "tests" / "fixtures" / "bad_inputs", corpus)
    build(Settings(inputs, tmp_path / "dicts", workers=1), load_coders_cached())
    monkeypatch.setattr(ledger_module, "IN_MEMORY_KEYS", 5)
    build(Settings(inputs, tmp_path / "disk", workers=1), load_coders_cached())
    for name in TABLES:
        assert (tmp_path / "dicts" / f"{name}.csv").read_bytes() == (tmp_path / "disk" / f"{name}.csv").read_bytes()
