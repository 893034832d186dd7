"""Is a text English? A cheap, deterministic rule, because the coder's rules read English only.

- a ``language`` field decides when given: ``en``, ``en-GB``, ``eng``, ``English`` ... are English,
  ``und``/``unknown``/``mul`` count as not given, anything else is not English;
- otherwise, over the first 10,000 characters: a text whose letters are mostly outside the Latin
  alphabet (Arabic, Cyrillic, CJK ...) is not English; so is a text of 20 words or more in which the
  commonest function words of another language (French, Spanish, Portuguese, Italian, German, Dutch,
  Indonesian, Turkish, Swahili) are at least 10% of the words and outnumber the English ones, or a
  text of 100 words or more with under 2% English function words. English news runs at 35-50%
  English function words; the densest English texts seen here (ACLED notes full of names) at 4%.
  The word lists are in ``rules/language.yaml``. Shorter texts are given the benefit of the doubt: a
  headline has few function words.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import repeat

from .rulebook import RuleError, read_yaml, rules_dir

@lru_cache(maxsize=1)
def _function_words() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """(English function words, other language -> its function words) from ``rules/language.yaml``."""
    data, _ = read_yaml(rules_dir() / "language.yaml")
    for key in data:
        if key not in ("english", "others"):
            raise RuleError("R002", "rules/language.yaml", None, f"unknown key '{key}'")
    return frozenset(data["english"].split()), {lang: frozenset(w.split()) for lang, w in data["others"].items()}


_UNKNOWN = frozenset({"und", "unknown", "mul", "zxx", "xx"})
_WORD = re.compile(r"[^\W\d_]+")
_ASCII_WORD = re.compile(r"[A-Za-z]+")  # _WORD on ASCII text, where its letters are these; a fifth faster
_LATIN_LETTERS = re.compile(r"[A-Za-z\u00c0-\u024f]+")  # runs: counting their lengths is cheaper than one match a letter
_SAMPLE = 10_000


def not_english(text: str, language: str | None) -> str | None:
    """None for English, else why the text is taken for another language (a rejection reason)."""
    lang = (language or "").strip().lower().replace("_", "-")
    if lang and lang not in _UNKNOWN:
        if lang.startswith("en"):
            return None
        return f"not English: language field is {language!r} (the rules read English only)"
    sample = text[:_SAMPLE]
    found = (_ASCII_WORD if sample.isascii() else _WORD).findall(sample)
    letters = sum(map(len, found))
    if letters >= 50 and not sample.isascii():
        latin = sum(map(len, _LATIN_LETTERS.findall(sample))) / letters
        if latin < 0.5:
            return f"not English: {100 - round(100 * latin)}% of the letters are not Latin"
    words = Counter(map(str.lower, found))
    n = len(found)
    if n < 20:
        return None
    english_words, others = _function_words()

    def share_of(function_words: frozenset[str]) -> float:
        # words.get, not words[w]: a missing word would go through Counter.__missing__; map: no Python loop
        return sum(map(words.get, function_words, repeat(0))) / n

    english = share_of(english_words)
    other, share = max(((lang, share_of(ws)) for lang, ws in others.items()), key=lambda kv: kv[1])
    hint = '; give "language": "en" to code it anyway'
    if share >= 0.10 and share > english:
        return f"not English: {100 * share:.0f}% {other} function words, {100 * english:.0f}% English ones{hint}"
    if n >= 100 and english < 0.02:
        return f"not English: {100 * english:.0f}% of {n} words are English function words{hint}"
    return None
