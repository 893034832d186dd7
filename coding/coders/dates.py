"""Date coder: the date an event happened, from date expressions in the sentence resolved against
the publication date (``rules/dates.yaml``). Explicit dates are parsed with dateparser (the plain ones
by ``plain_date``, to the same result)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from ..caseless import CaselessRegex, lowered
from ..records import DateFinding
from ..rulebook import as_bool, as_int, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RESOLVERS = ("parse", "weekday", "offset", "month")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
CALENDAR_WORDS = frozenset(MONTHS + WEEKDAYS)


@dataclass(frozen=True)
class DateRule:
    id: str
    regex: re.Pattern
    resolve: str
    precision: int
    parse_groups: tuple[str, ...]
    strict: bool
    days: int


def load_date_rules() -> DateRules:
    path = rules_dir() / "dates.yaml"
    data, _ = read_yaml(path)
    months = data["months"]
    items = read_yaml_items(path, "rules")
    check_unique_ids(items)
    out = []
    for it in items:
        check_keys(it, ["id", "pattern", "resolve", "precision"], ["parse_groups", "strict", "days", "examples"])
        if it.data["resolve"] not in RESOLVERS:
            raise it.error("R007", f"resolve must be one of {RESOLVERS}")
        try:
            regex = re.compile(it.data["pattern"].replace("{months}", months), re.IGNORECASE)
        except re.error as err:
            raise it.error("R006", f"bad regular expression: {err}") from None
        out.append(DateRule(it.data["id"], regex, it.data["resolve"], as_int(it, "precision"),
                            tuple(it.data.get("parse_groups") or ()), as_bool(it, "strict"), as_int(it, "days", 0)))
    return DateRules(tuple(out))


class DateRules:
    """The date rules, and all their patterns in one alternation without capturing groups (capturing
    makes it three times slower): one search tells whether a sentence has a date expression and where
    the leftmost one starts; the first rule, in file order, that matches there is the one that found
    it, with the same match as when each rule searched the sentence on its own."""

    def __init__(self, rules: tuple[DateRule, ...]):
        self.rules = rules
        self.any = CaselessRegex.compile("|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", r.regex.pattern) + ")"
                                                  for r in rules))

    def search(self, text: str) -> tuple[DateRule, re.Match] | None:
        """The leftmost date expression of ``text``: the rule that matches it, and the match."""
        leftmost = self.any.search(text, lowered(text))
        if leftmost is None:
            return None
        for rule in self.rules:
            m = rule.regex.match(text, leftmost.start())
            if m is not None:
                return rule, m
        return None  # not reached: the alternative that matched is one of the rules


def dateparser_date(phrase: str, base: dt.date) -> dt.date | None:
    """The date dateparser reads in ``phrase``, relative to ``base``, preferring the past."""
    import dateparser  # imported on first use: most builds never need it (see plain_date)

    settings = {"RELATIVE_BASE": dt.datetime(base.year, base.month, base.day), "PREFER_DATES_FROM": "past",
                "DATE_ORDER": "DMY", "REQUIRE_PARTS": ["day", "month"]}
    try:
        got = dateparser.parse(phrase, languages=["en"], settings=settings)
    except (ValueError, OverflowError):
        return None
    return got.date() if got is not None else None


# the month words of the date rules (a trailing period dropped) by month number
_MONTH_NUMBERS = {word: k for k, month in enumerate(MONTHS, 1) for word in (month, month[:3])} | {"sept": 9}


def _ascii_number(text: str, digits: tuple[int, ...]) -> int | None:
    return int(text) if len(text) in digits and text.isascii() and text.isdigit() else None


def plain_date(phrase: str, base: dt.date) -> dt.date | None:
    """The date of a day and a month word, either way round, with or without a year ("13 June 2002",
    "June 13"), as dateparser reads it, computed here: dateparser spends half a second on its first
    parse (compiling its time-zone and language tables) and a millisecond on each. Without a year,
    the latest such day not after ``base``. None for any other phrase, a day the month lacks, or 29
    February without a year: those go to dateparser (tests/test_dates.py checks that the two agree on
    every month word, day and order)."""
    parts = phrase.split()
    if len(parts) not in (2, 3):
        return None
    day_word, month_word = parts[:2] if parts[0][:1].isdigit() else reversed(parts[:2])
    month = _MONTH_NUMBERS.get(month_word.lower())
    day = _ascii_number(day_word, (1, 2))
    year = _ascii_number(parts[2], (4,)) if len(parts) == 3 else base.year
    if month is None or day is None or year is None or year < 2:
        return None
    if len(parts) == 2 and (month, day) == (2, 29):
        return None
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None
    if len(parts) == 2 and date > base:
        date = date.replace(year=year - 1)
    return date


@lru_cache(maxsize=65536)
def _parse(phrase: str, base: dt.date, has_year: bool) -> dt.date | None:
    d = plain_date(phrase, base) or dateparser_date(phrase, base)
    if d is None:
        return None
    if not has_year and d > base + dt.timedelta(days=1):
        try:
            d = d.replace(year=d.year - 1)
        except ValueError:
            return None
    return d


def _resolve(rule: DateRule, m: re.Match, base: dt.date) -> dt.date | None:
    if rule.resolve == "offset":
        return base + dt.timedelta(days=rule.days)
    if rule.resolve == "weekday":
        target = WEEKDAYS.index(m.group("w").lower())
        back = (base.weekday() - target) % 7
        if back == 0 and rule.strict:
            back = 7
        return base - dt.timedelta(days=back)
    if rule.resolve == "month":
        month = MONTHS.index(m.group("m").lower()) + 1
        year = int(m.group("y")) if m.groupdict().get("y") else base.year - (1 if month > base.month else 0)
        return dt.date(year, month, 1)
    parts = [m.group(g) for g in rule.parse_groups if m.groupdict().get(g)]
    has_year = bool(m.groupdict().get("y"))
    return _parse(" ".join(p.rstrip(".") for p in parts), base, has_year)


def find_date(sentence_text: str, publication_date: dt.date | None, rules: DateRules) -> DateFinding | None:
    """The event date of a sentence: its leftmost resolvable date expression, else the publication
    date (precision 2: news reports events of the past days), else None."""
    base = publication_date
    found = rules.search(sentence_text)
    if found is not None:
        rule, m = found
        if base is None and rule.resolve == "parse" and m.groupdict().get("y"):
            base = dt.date(int(m.group("y")), 12, 31)
        if base is not None:
            d = _resolve(rule, m, base)
            if d is not None:
                return DateFinding(d, rule.precision, m.group(0).strip(), rule.id)
    if publication_date is not None:
        return DateFinding(publication_date, 2, None, None)
    return None


DATE_FROM_DOCUMENT = "infer.date_from_document"


class DocumentDates:
    """Dates of a document's sentences, found on demand. A sentence with no date expression of its
    own takes the last explicit date of one of the `window` sentences before it ("On 13 June, troops
    raided X. They killed three civilians."), else the publication date (precision 2)."""

    window = 3

    def __init__(self, texts: list[str], publication_date: dt.date | None, rules: DateRules):
        self.texts = texts
        self.publication_date = publication_date
        self.rules = rules
        self._own: dict[int, DateFinding | None] = {}

    def _explicit(self, i: int) -> DateFinding | None:
        if i not in self._own:
            got = find_date(self.texts[i], self.publication_date, self.rules)
            self._own[i] = got if got is not None and got.rule_id is not None else None
        return self._own[i]

    def date(self, i: int) -> DateFinding | None:
        own = self._explicit(i)
        if own is not None:
            return own
        for k in range(i - 1, max(-1, i - 1 - self.window), -1):
            earlier = self._explicit(k)
            if earlier is not None:
                return DateFinding(earlier.date, earlier.precision, earlier.text, DATE_FROM_DOCUMENT)
        if self.publication_date is not None:
            return DateFinding(self.publication_date, 2, None, None)
        return None
