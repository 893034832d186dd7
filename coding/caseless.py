r"""Case-insensitive regular expressions, matched faster on lower-cased text.

Python's ``re`` runs an IGNORECASE pattern several times slower than the same pattern without the
flag (the fatality triggers, an alternation of words: seven times; the date rules: twice). A pattern
none of whose letters is a capital, and whose characters outside ASCII have no case (dashes, quotes),
matches a text case-insensitively exactly where, and as far as, it matches the lower-cased text
case-sensitively, so the coders search ``text.lower()`` with a case-sensitive copy:

- on ASCII text, lower-casing keeps every offset and makes each letter the one the flag compares;
- on other text too, but for three characters (``_FOLD_TRAPS_RE``): for every other character of
  Unicode, lower() gives one character, and the flag's classes (``\w \d \s [a-z]``...) and ASCII
  characters match it exactly when they match its lower-case form (tests/test_caseless.py checks
  every code point). 'İ' lower-cases to two characters, and the flag matches 'ı' with i and 'ſ' with
  s, which lower() keeps as they are: a text with one of them is searched with the flag.

Patterns this cannot be said of (capitals, inline flags, escapes that name a character by number,
cased letters outside ASCII) keep the flag. One in eight of the India corpus's sentences is not ASCII
(mojibake quotes): searched with the flag, they took as long as all the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# escapes of a character class (\d \W \b) or of punctuation (\. \( \ ): no letter to fold
_CLASS_ESCAPE_RE = re.compile(r"\\[^xuUN0-9]")
# left after those: a capital, an escape naming a character by number, an inline flag ("(?i)", "(?-i:")
_NOT_FOLDABLE_RE = re.compile(r"[A-Z]|\\|\(\?(?!P[<=])[a-zA-Z-]")
# the characters whose lower-case form the flag does not compare like lower() does (see above)
_FOLD_TRAPS_RE = re.compile("[\u0130\u0131\u017f]")  # İ ı ſ


def lowered(text: str) -> str | None:
    """``text`` lower-cased, for the lower-case copies of patterns; None for a text with a
    character that lower-casing does not fold like the flag (``_FOLD_TRAPS_RE``)."""
    if text.isascii() or _FOLD_TRAPS_RE.search(text) is None:
        return text.lower()
    return None


def _uncased(pattern: str) -> bool:
    """True when the pattern's characters outside ASCII have no case ("–", "’")."""
    return all(c.lower() == c == c.upper() for c in pattern if not c.isascii())


@dataclass(frozen=True)
class CaselessRegex:
    regex: re.Pattern  # the pattern, IGNORECASE
    lowercase: re.Pattern | None  # a case-sensitive copy for lower-cased text, where it agrees

    @classmethod
    def compile(cls, pattern: str) -> CaselessRegex:
        """Raises re.error like re.compile."""
        regex = re.compile(pattern, re.IGNORECASE)
        body = _CLASS_ESCAPE_RE.sub("", pattern).replace("(?P<", "(").replace("(?P=", "(")
        foldable = _NOT_FOLDABLE_RE.search(body) is None and _uncased(pattern)
        return cls(regex, re.compile(pattern) if foldable else None)

    def search(self, text: str, low: str | None) -> re.Match | None:
        """The first match in ``text``; ``low`` is ``lowered(text)``. A match found in ``low`` has the
        offsets of the match in ``text``, and its groups in lower case."""
        if low is not None and self.lowercase is not None:
            return self.lowercase.search(low)
        return self.regex.search(text)

    def finditer(self, text: str, low: str | None) -> Iterator[re.Match]:
        """Every match in ``text`` (see ``search``)."""
        if low is not None and self.lowercase is not None:
            return self.lowercase.finditer(low)
        return self.regex.finditer(text)
