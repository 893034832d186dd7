import datetime as dt

import pytest

from coding.coders.dates import find_date, load_date_rules

PUB = dt.date(2025, 6, 19)  # a Thursday


@pytest.fixture(scope="module")
def rules():
    return load_date_rules()


@pytest.mark.parametrize(
    "sentence,date,precision,rule",
    [
        ("Putin said on Wednesday that talks could resume.", "2025-06-18", 1, "date.weekday"),
        ("Israel launched the operation last Friday.", "2025-06-13", 1, "date.weekday_last"),
        ("Officials met on Thursday.", "2025-06-19", 1, "date.weekday"),
        ("The strike took place on 13 June.", "2025-06-13", 1, "date.day_month_year"),
        ("On 19 February 2022, troops entered the town.", "2022-02-19", 1, "date.day_month_year"),
        ("The talks began on Feb. 19.", "2025-02-19", 1, "date.month_day_year"),
        ("It happened on June 13, 2025.", "2025-06-13", 1, "date.month_day_year"),
        ("The report is dated 19/02/2022.", "2022-02-19", 1, "date.numeric_dmy"),
        ("Clashes occurred between 3 and 5 May 2022.", "2022-05-03", 2, "date.range_day_month"),
        ("Protesters gathered yesterday.", "2025-06-18", 1, "date.yesterday"),
        ("Police arrested him last week.", "2025-06-16", 2, "date.last_week"),
        ("Fighting broke out in May 2022.", "2022-05-01", 3, "date.in_month"),
        ("The ceasefire was signed on 25 December.", "2024-12-25", 1, "date.day_month_year"),
    ],
)
def test_resolves_against_publication_date(rules, sentence, date, precision, rule):
    got = find_date(sentence, PUB, rules)
    assert (got.date.isoformat(), got.precision, got.rule_id) == (date, precision, rule)


def test_no_date_phrase_uses_publication_date(rules):
    got = find_date("Iran condemned the attack.", PUB, rules)
    assert (got.date, got.precision, got.text, got.rule_id) == (PUB, 2, None, None)


def test_no_publication_date_and_no_phrase(rules):
    assert find_date("Iran condemned the attack.", None, rules) is None


def test_plain_dates_read_as_dateparser_reads_them():
    """plain_date computes "13 June 2002" and "June 13" itself (dateparser's first parse costs half a
    second); wherever it gives a date, dateparser gives the same one."""
    import itertools

    from coding.coders.dates import _MONTH_NUMBERS, dateparser_date, plain_date

    bases = [dt.date(2002, 5, 1), dt.date(2004, 2, 29), dt.date(2001, 12, 31)]
    checked = 0
    for word, day, day_first in itertools.product(sorted(_MONTH_NUMBERS), ("1", "09", "13", "29", "30", "31", "32"),
                                                 (True, False)):
        phrase = f"{day} {word.title()}" if day_first else f"{word.upper()} {day}"
        for phrase, base in [(phrase, b) for b in bases] + [(f"{phrase} 2000", PUB)]:
            got = plain_date(phrase, base)
            if got is not None:
                checked += 1
                assert got == dateparser_date(phrase, base), (phrase, base)
    assert checked > 500
    assert plain_date("29 Feb", PUB) is None and plain_date("31 June", PUB) is None  # left to dateparser
    assert plain_date("2022 02 19", PUB) is None
