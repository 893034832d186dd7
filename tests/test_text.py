import pytest

from coding.text import sentences, tokenize


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Gen. Smith arrived. He spoke.", ["Gen. Smith arrived.", "He spoke."]),
        ("The U.S. Army moved in. Iran objected.", ["The U.S. Army moved in.", "Iran objected."]),
        ("George W. Bush met Putin. They talked.", ["George W. Bush met Putin.", "They talked."]),
        ("“We will respond,” he said. Then he left.", ["“We will respond,” he said.", "Then he left."]),
        ("First paragraph\nSecond paragraph", ["First paragraph", "Second paragraph"]),
        ("   ", []),
    ],
)
def test_sentence_split(text, expected):
    assert [s.text for s in sentences(text)] == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("U.S. forces didn't fire.", ["U.S.", "forces", "did", "n't", "fire", "."]),
        ("Putin’s offer", ["Putin", "’s", "offer"]),
        ("Israel-Iran war", ["Israel", "-", "Iran", "war"]),
        ("on 13/06/2025 at 10:30", ["on", "13/06/2025", "at", "10:30"]),
    ],
)
def test_tokens(text, expected):
    assert [t.text for t in tokenize(text)] == expected


def test_offsets_point_into_the_text():
    text = "Moscow’s help — and Tehran's."
    for t in tokenize(text):
        assert text[t.start:t.end] == t.text


def test_very_long_sentence_is_bounded():
    text = "word " * 10000
    got = sentences(text)
    assert sum(len(s.tokens) for s in got) == 10000
    assert max(len(s.text) for s in got) <= 5000
