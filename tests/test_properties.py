"""Property tests: coding never raises on arbitrary text, is deterministic, and always validates."""

import csv
import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coding.frame import acled_events_frame, documents_frame, events_frame, mentions_frame
from coding.pipeline import code_document
from coding.records import Document
from schemas.dataset import validate_frames

WORDS = st.sampled_from([
    "Iran", "Israel", "attacked", "Russian", "President", "Vladimir", "Putin", "said", "not", "might", "police",
    "Kenyan", "arrested", "protesters", "in", "Nairobi", "on", "Monday", "killing", "12", "people", "he", "and",
    "Tehran", ",", ".", "“", "”", "U.S.", "would", "condemned", "talks", "with", "was", "struck", "by", "both", "sides",
])
TEXT = st.one_of(st.text(max_size=400), st.lists(WORDS, max_size=60).map(" ".join))
DATES = st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=1, max_size=3), date=DATES)
def test_coding_never_raises_and_always_validates(coders, texts, date):
    docs = [code_document(Document(f"d{i}", t, "<h>", publication_date=date), coders) for i, t in enumerate(texts)]
    again = [code_document(Document(f"d{i}", t, "<h>", publication_date=date), coders) for i, t in enumerate(texts)]
    assert docs == again
    mentions = [m for d in docs for m in d.mentions]
    m = mentions_frame(mentions)
    e = events_frame(m)
    frames = {"mentions": m, "events": e, "acled_events": acled_events_frame(e), "documents": documents_frame(docs)}
    _, report = validate_frames(frames)
    assert report.ok, report.failures[:5]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.lists(WORDS, max_size=40).map(" ".join), min_size=2, max_size=4), data=st.data())
def test_document_order_does_not_change_the_dataset(coders, texts, data):
    docs = [Document(f"d{i}", t, "<h>", publication_date=dt.date(2025, 6, 19)) for i, t in enumerate(texts)]
    order = data.draw(st.permutations(docs))

    def frames(ds):
        coded = [code_document(d, coders) for d in ds]
        m = mentions_frame([x for c in coded for x in c.mentions])
        e = events_frame(m)
        return m, e, acled_events_frame(e), documents_frame(coded)

    for a, b in zip(frames(docs), frames(order)):
        assert a.equals(b)


# Adversarial text: invisible and bidirectional marks, control characters, odd line breaks, letters that
# change length when lower-cased, combining marks, emoji sequences, markup and formula starts.
SPECIAL = st.sampled_from([
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066",
    "\u2069", "\x00", "\x07", "\x1b", "\x7f", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t",
    "İ", "ß", "ﬁ", "Ⅻ", "①", "٣", "e\u0301", "a\u0308\u0323", "👩‍👩‍👧", "\U0001f1fa\U0001f1f8", "\U0010ffff",
    "'", '"', "“", "’s", "<p>", "</div>", "<script>", "&amp;", "&#0;", "=SUM(A1)", "@", "+", "-", "...", "U.S.",
    "Mr.", "\\", "\u0645\u0635\u0631", "\u05d9\u05e9\u05e8\u05d0\u05dc", "中国", "Россия",
])
LONG_TOKEN = st.tuples(st.sampled_from(["x", "Iran", "9", "-", "\u200b", "é"]), st.integers(300, 6000)).map(lambda t: t[0] * t[1])
ADVERSARIAL = st.tuples(
    st.lists(st.one_of(WORDS, SPECIAL, st.text(st.characters(codec="utf-8"), max_size=12), LONG_TOKEN), max_size=60),
    st.sampled_from([" ", "", "\n", " \u200b"]),
).map(lambda t: t[1].join(t[0]))


def _frames(coded):
    m = mentions_frame([x for c in coded for x in c.mentions])
    e = events_frame(m)
    return {"mentions": m, "events": e, "acled_events": acled_events_frame(e), "documents": documents_frame(coded)}


def _csv_tables_validate(folder):
    from schemas.dataset import read_table
    from schemas.tables import TABLES

    _, report = validate_frames({name: read_table(folder / f"{name}.csv") for name in TABLES})
    assert report.ok, report.failures[:5]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(texts=st.lists(ADVERSARIAL, min_size=1, max_size=3), date=DATES)
def test_adversarial_text_never_raises_and_its_csv_validates(coders, texts, date):
    from coding.write import write_dataset

    docs = [Document(f"d{i}", t, "<h>", publication_date=date) for i, t in enumerate(texts)]
    coded = [code_document(d, coders) for d in docs]
    assert coded == [code_document(d, coders) for d in docs]
    valid, report = validate_frames(_frames(coded))
    assert report.ok, report.failures[:5]
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(Path(tmp) / "out", valid, {"coder_version": "test", "rules_sha256": "0" * 64})
        _csv_tables_validate(Path(tmp) / "out")


def _any_value(max_leaves=6):
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), ADVERSARIAL,
                        st.dates().map(str), st.datetimes().map(dt.datetime.isoformat),
                        st.sampled_from(["2025-06-19", "2090-01-01", "0001-01-01", "19/06/2025", "", " ", "NaN"]))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                        max_leaves=max_leaves)


FIELD_DICTS = st.dictionaries(
    st.one_of(st.sampled_from(["doc_id", "text", "publication_date", "source", "url", "title", "language"]), st.text(max_size=8)),
    _any_value(), max_size=8,
).map(lambda d: d if "text" in d and not isinstance(d["text"], str) else {**d, "text": d.get("text", "")})
JSON_LINES = st.one_of(
    FIELD_DICTS.map(lambda d: json.dumps(d, allow_nan=True)),  # ASCII escapes: lone surrogates survive as \\udxxx
    FIELD_DICTS.map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "replace").decode("utf-8")),
    st.text(max_size=40),  # not JSON, or JSON that is not an object
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                                HealthCheck.data_too_large])
@given(lines=st.lists(JSON_LINES, min_size=1, max_size=6),
       rows=st.lists(st.lists(st.one_of(st.text(max_size=30), ADVERSARIAL), min_size=0, max_size=4), max_size=4),
       raw=st.binary(max_size=300))
def test_arbitrary_document_fields_are_accounted_for_and_validate(coders, lines, rows, raw):
    from coding.build import Settings, build

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        jsonl = "\n".join(line.replace("\n", " ").replace("\r", " ") for line in lines) + "\n"
        (folder / "a.jsonl").write_text(jsonl, encoding="utf-8", errors="surrogatepass")
        with (folder / "b.csv").open("w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["doc_id", "text", "publication_date"])
            writer.writerows(rows)
        (folder / "c.txt").write_bytes(raw)
        result = build(Settings((folder,), Path(tmp) / "out"), coders)
        assert result.report.ok and result.written, result.report.failures[:5]
        # blank lines are not documents (an empty CSV row is written as one)
        expected = sum(1 for line in jsonl.split("\n") if line.strip()) + sum(1 for r in rows if r) + 1
        assert result.counts["documents"] == sum(result.statuses.values()) == expected
        assert not any(r.startswith("coder error") for *_, r in result.rejections)
        _csv_tables_validate(Path(tmp) / "out")


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.binary(max_size=200), ADVERSARIAL.map(lambda t: t.encode("utf-8")),
                     ADVERSARIAL.map(lambda t: t.encode("cp1252", "ignore")), ADVERSARIAL.map(lambda t: t.encode("utf-16"))))
def test_bytes_decode_to_text_or_a_reason(raw):
    from coding.decode import NotText, decode, html_to_text

    try:
        text, note = decode(raw)
    except NotText as err:
        assert str(err).startswith(("not text", "undecodable"))
    else:
        assert isinstance(text, str) and (note is None or note.startswith("decoded as"))
        page, title = html_to_text(text)
        assert isinstance(page, str) and "\n\n" not in page
