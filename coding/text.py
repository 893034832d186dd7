"""Text machinery: sentence splitting and tokenisation with character offsets.

Hand-written rather than syntok/spaCy for speed: the project's target is 2,000+ sentences/s per
core end to end, and a regex splitter and tokenizer cost a few microseconds a sentence where syntok
costs ~300 (measured here). Abbreviations that do not end a sentence are data
(``rules/text/abbreviations.txt``). Offsets always refer to the document text as ingested.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from .records import Sentence, Token

# Same-length character normalisation (offsets stay valid): typographic quotes and dashes.
_NORM = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_NORMALISED_RE = re.compile("[" + "".join(map(chr, _NORM)) + "]")


def _normalised(text: str) -> str:
    """``text.translate(_NORM)``, without calling ``translate`` on a text that holds none of those
    characters: a search costs far less than ``translate``, which goes through the table character
    by character (splitting and tokenizing the India corpus: 0.66 s -> 0.60 s)."""
    return text.translate(_NORM) if _NORMALISED_RE.search(text) else text

_ACRONYM_OR_NUMBER = (r"(?:[A-Za-z]\.){2,}"  # U.S. U.N. (acronyms with dots)
                      r"|\d+(?:[.,:/]\d+)*(?:st|nd|rd|th|s)?")  # numbers, dates, ordinals
_CONTRACTION = r"[^\W\d_]+(?=n['’]t\b)|n['’]t\b"  # don't -> do + n't
_WORD_OR_SYMBOL = (r"['’]s\b"  # possessive
                   r"|\w+"
                   r"|[^\w\s]")
TOKEN_RE = re.compile("|".join((_ACRONYM_OR_NUMBER, _CONTRACTION, _WORD_OR_SYMBOL)))

# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a plausible start,
# or at a blank line / line break (articles put one paragraph a line).
_BOUNDARY_RE = re.compile(r"[.!?…]+['\"’”)\]]*(?=\s+['\"‘“(\[]?[A-Z0-9])|\n+")
_MAX_SENTENCE_CHARS = 5000


@lru_cache(maxsize=1)
def abbreviations() -> frozenset[str]:
    path = resources.files("coding").joinpath("rules", "text", "abbreviations.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def _ends_with_abbreviation(text: str, dot: int, abbrevs: frozenset[str]) -> bool:
    """True when the period at ``dot`` closes an abbreviation (Mr., Gen., U.S.) or an initial."""
    j = dot
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] == "."):
        j -= 1
    word = text[j:dot].lower()
    if not word:
        return False
    if len(word) == 1 and text[j].isupper():  # an initial: "George W. Bush"
        return True
    return word in abbrevs


def split_sentences(text: str, lowercase_doc: bool = False) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``text`` (whitespace trimmed, empty ones dropped)."""
    abbrevs = abbreviations()
    boundary = _BOUNDARY_RE if not lowercase_doc else _LOWER_BOUNDARY_RE
    spans: list[tuple[int, int]] = []
    start = 0
    for m in boundary.finditer(text):
        end = m.end()
        if text[m.start()] == ".":
            last_dot = m.start()
            if m.group().rstrip("'\"’”)]") == "." and _ends_with_abbreviation(text, last_dot, abbrevs):
                continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        # Pathologically long "sentences" (no punctuation) are cut into bounded pieces at spaces.
        while e - s > _MAX_SENTENCE_CHARS:
            cut = text.rfind(" ", s, s + _MAX_SENTENCE_CHARS)
            cut = cut if cut > s else s + _MAX_SENTENCE_CHARS
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


_LOWER_BOUNDARY_RE = re.compile(r"[.!?…]+['\"’”)\]]*(?=\s+['\"‘“(\[]?[a-z0-9])|\n+")


# Every character that is not white space starts a token, so the tokens of a text are the matches of
# TOKEN_RE with only white space between them: ``findall`` of (space, token) pairs gives them with
# their offsets by adding up lengths, at half the cost of a match object per token.
_SPACED_TOKEN_RE = re.compile(r"(\s*)(" + TOKEN_RE.pattern + ")")
# The contraction alternatives are the costliest (they run back over every word) and match only in a
# text holding n't (or n’t): other texts are read without them, to the same tokens.
_SPACED_TOKEN_NO_CONTRACTION_RE = re.compile(r"(\s*)(" + _ACRONYM_OR_NUMBER + "|" + _WORD_OR_SYMBOL + ")")


# Token(text, norm, start, end) as Token._make makes it, without the Python-level __new__ of a named
# tuple: half a million tokens a corpus, a tenth of the cost of tokenizing
_token = tuple.__new__


def tokenize(text: str, offset: int = 0) -> tuple[Token, ...]:
    """Tokens of ``text`` with offsets shifted by ``offset``."""
    low = _normalised(text).lower()
    if len(low) != len(text):  # a few characters lower-case to two ("İ"): normalise token by token
        return tuple(Token(m.group(), m.group().translate(_NORM).lower(), m.start() + offset, m.end() + offset)
                     for m in TOKEN_RE.finditer(text))
    out = []
    end = 0
    spaced = _SPACED_TOKEN_RE if "n'" in low else _SPACED_TOKEN_NO_CONTRACTION_RE  # (low: ’ is ' there)
    for space, word in spaced.findall(text):
        start = end + len(space)
        end = start + len(word)
        out.append(_token(Token, (word, low[start:end], start + offset, end + offset)))
    return tuple(out)


_LETTER_RE = re.compile(r"[^\W\d_]")
_ASCII_NON_CAPITALS = bytes(b for b in range(128) if not 65 <= b <= 90)  # all but A-Z


def is_lowercase_document(text: str) -> bool:
    """True for texts with (almost) no capitals, e.g. corpora lower-cased by their authors."""
    sample = text[:5000]
    # the capitals A-Z, counted by deleting every other byte of the ASCII characters (C-level, six
    # times faster than a regular expression)
    capitals = len(sample.encode("ascii", "ignore").translate(None, _ASCII_NON_CAPITALS))
    if 1000 * capitals > 3 * len(sample):  # ordinary text: far more capitals than 0.2% of letters, no need to count them
        return False
    letters = _count_letters(sample)
    return letters > 20 and capitals / letters < 0.002


_ASCII_NON_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _count_letters(text: str) -> int:
    """How many letters (``_LETTER_RE``) ``text`` has: the ASCII ones by deleting the other bytes, the
    few others (accented letters) by the regular expression over the runs of non-ASCII characters;
    ten times faster than the regular expression over the whole text."""
    ascii_letters = len(text.encode("ascii", "ignore").translate(None, _ASCII_NON_LETTERS))
    return ascii_letters + sum(len(_LETTER_RE.findall(run)) for run in _NON_ASCII_RE.findall(text))


def sentences(text: str, lowercase_doc: bool | None = None) -> list[Sentence]:
    """Split and tokenize a document."""
    lower = is_lowercase_document(text) if lowercase_doc is None else lowercase_doc
    out = []
    for i, (s, e) in enumerate(split_sentences(text, lowercase_doc=lower)):
        chunk = text[s:e]
        tokens = tokenize(chunk, s)
        out.append(Sentence(index=i, start=s, end=e, text=chunk, tokens=tokens, norms=tuple([t.norm for t in tokens])))
    return out


def normalise_phrase(phrase: str) -> tuple[str, ...]:
    """Token norms of a dictionary phrase, tokenised exactly like running text."""
    return tuple(t.norm for t in tokenize(phrase))
