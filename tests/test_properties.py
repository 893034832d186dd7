"""Property tests: coding never raises on arbitrary text, is deterministic, and always validates."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coding.frame import documents_frame, events_frame, mentions_frame
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
    frames = {"mentions": m, "events": events_frame(m), "documents": documents_frame(docs)}
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
        return m, events_frame(m), documents_frame(coded)

    for a, b in zip(frames(docs), frames(order)):
        assert a.equals(b)
