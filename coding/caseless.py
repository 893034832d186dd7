"""Case-insensitive regular expressions, matched faster on ASCII text.

Python's ``re`` runs an IGNORECASE pattern several times slower than the same pattern without the
flag (the fatality triggers, an alternation of words: seven times; the date rules: twice). On ASCII
text, a pattern none of whose letters is a capital matches case-insensitively exactly where, and as
far as, it matches the lower-cased text case-sensitively (lower-casing ASCII keeps every offset), so
the coders search ``text.lower()`` with a case-sensitive copy. Patterns this cannot be said of
(capitals, inline flags, escapes that name a character by number) and non-ASCII text keep the flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

# escapes of a character class (\d \W \b) or of punctuation (\. \( \ ): no letter to fold
_CLASS_ESCAPE_RE = re.compile(r"\\[^xuUN0-9]")
# left after those: a capital, an escape naming a character by number, an inline flag ("(?i)", "(?-i:")
_NOT_FOLDABLE_RE = re.compile(r"[A-Z]|\\|\(\?(?!P[<=])[a-zA-Z-]")


def lowered(text: str) -> str | None:
    """``text`` lower-cased, for the lower-case copies of patterns, when it is ASCII; else None."""
    return text.lower() if text.isascii() else None


@dataclass(frozen=True)
class CaselessRegex:
    regex: re.Pattern  # the pattern, IGNORECASE
    lowercase: re.Pattern | None  # a case-sensitive copy for lower-cased ASCII text, where it agrees

    @classmethod
    def compile(cls, pattern: str) -> CaselessRegex:
        """Raises re.error like re.compile."""
        regex = re.compile(pattern, re.IGNORECASE)
        body = _CLASS_ESCAPE_RE.sub("", pattern).replace("(?P<", "(").replace("(?P=", "(")
        foldable = _NOT_FOLDABLE_RE.search(body) is None
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
