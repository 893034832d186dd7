"""coding/caseless.py: a case-sensitive copy of a pattern, searched in the lower-cased text, finds what
the pattern finds with IGNORECASE, on any text lowered() accepts."""

import re
import sys

import pytest

from coding.caseless import CaselessRegex, lowered


@pytest.fixture(scope="module")
def every() -> str:
    """Every character but the surrogates and those lowered() refuses, after a letter and before a
    space (so that word boundaries are tried on both sides of it)."""
    chars = (chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF)
    return "".join(f"a{c} " for c in chars if lowered(c) is not None)

# the pieces the rules' patterns are made of: classes, ASCII words and punctuation, uncased dashes
PIECES = [r"\w+", r"\W+", r"\d+", r"\D+", r"\s+", r"\S+", r"\b\w", r"\w\b", r"\B\w", r"[a-z]+", r"[^a-z]+",
          r"[^\W\d_]+", r"[\w-]+", r"(?:[A-Za-z]\.){2,}".lower(), "–", r"[-–]", "ab", "killed", "k", "s", "i"]


def test_lowered_keeps_every_offset(every):
    assert len(lowered(every)) == len(every)


@pytest.mark.parametrize("piece", PIECES)
def test_every_character_matches_as_with_the_flag(every, piece):
    found = CaselessRegex.compile(piece)
    assert found.lowercase is not None
    low = lowered(every)
    assert [m.span() for m in found.lowercase.finditer(low)] == [m.span() for m in found.regex.finditer(every)]


@pytest.mark.parametrize("text", ["İstanbul", "Bıg", "ſtrike"])
def test_the_characters_the_flag_folds_otherwise_keep_it(text):
    assert lowered(text) is None
    assert CaselessRegex.compile("i|s|b").search(text, lowered(text)).group() == text[0]


@pytest.mark.parametrize("pattern, foldable", [("killed", True), ("Killed", False), ("(?i:killed)", False),
                                               (r"\x4b", False), ("killed–wounded", True), ("mañana", False)])
def test_which_patterns_get_a_lowercase_copy(pattern, foldable):
    assert (CaselessRegex.compile(pattern).lowercase is not None) is foldable
