"""Fatalities coder: reported deaths in a sentence (``rules/fatalities.yaml``), lowest estimate,
ACLED's conventions for vague counts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..caseless import CaselessRegex, lowered
from ..rulebook import as_bool, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir


@dataclass(frozen=True)
class FatalityRule:
    id: str
    regex: CaselessRegex
    count: int | None  # fixed count (vague or "no fatalities"), else the number in group n
    combine_sum: bool = False  # a split toll: the groups n, n2, n3 added up ("2 men and 3 women")
    fallback: bool = False  # counts only when no other rule found a toll in the sentence


@dataclass(frozen=True)
class FatalityRules:
    rules: tuple[FatalityRule, ...]
    number_words: dict[str, int]
    prefilter: CaselessRegex
    # the non-fallback rules' patterns as one alternation (names of groups dropped): it matches
    # somewhere in a text exactly when one of them does, so a text it misses needs no rule by rule
    # search (four in five of the sentences past the prefilter; one search costs ~2/5 of the sixteen)
    any_toll: CaselessRegex | None = None


def load_fatality_rules() -> FatalityRules:
    path = rules_dir() / "fatalities.yaml"
    data, _ = read_yaml(path)
    words = {k.lower(): int(v) for k, v in data["number_words"].items()}
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    digits = r"\d{1,3}(?:,\d{3})+(?!\d)|\d+"  # "1,200"; "2022, 2 people" is not 2,022
    number = rf"(?:{digits})(?:\s*(?:-|–|to)\s*(?:{digits}))?|(?:{alternatives})"
    items = read_yaml_items(path, "rules")
    check_unique_ids(items)
    rules = []
    for it in items:
        check_keys(it, ["id", "pattern"], ["count", "examples", "combine", "fallback", "note"])
        if it.data.get("combine", "sum") != "sum":
            raise it.error("R007", f"combine must be sum, not {it.data['combine']!r}")
        src = (it.data["pattern"].replace("{q}", data["qualifiers"]).replace("{victims}", data["victims"])
               .replace("{victim}", data["victim"]))
        src = src.replace("{n}", number)
        try:
            regex = CaselessRegex.compile(src)
        except re.error as err:
            raise it.error("R006", f"bad regular expression: {err}") from None
        count = it.data.get("count")
        rules.append(FatalityRule(it.data["id"], regex, int(count) if count is not None else None,
                                  it.data.get("combine") == "sum", as_bool(it, "fallback")))
    prefilter = CaselessRegex.compile("|".join(re.escape(t) for t in data["triggers"]))
    return FatalityRules(tuple(rules), words, prefilter, _any_toll(rules))


def _any_toll(rules: list[FatalityRule]) -> CaselessRegex | None:
    """One pattern matching where any non-fallback rule matches, or None when the patterns cannot be
    joined as they are (a numbered back-reference would then name another group)."""
    patterns = [r.regex.regex.pattern for r in rules if not r.fallback]
    if not patterns or any(re.search(r"\\\d|\(\?P=", p) for p in patterns):
        return None
    return CaselessRegex.compile("|".join("(?:" + re.sub(r"\(\?P<\w+>", "(", p) + ")" for p in patterns))


def _number(text: str, words: dict[str, int]) -> int | None:
    text = text.strip().lower()
    first = re.split(r"\s*(?:-|–|to)\s*", text)[0].replace(",", "")
    if first.isdigit():
        return int(first)
    return words.get(text)


def find_fatalities(sentence_text: str, rules: FatalityRules) -> tuple[int, str] | None:
    """(count, rule id) for the lowest death count reported in the sentence, or None."""
    low = lowered(sentence_text)
    if not rules.prefilter.search(sentence_text, low):
        return None
    found: list[tuple[int, str, int, int, bool]] = []  # (count, rule id, start, end, a split toll)
    none_found = rules.any_toll is not None and rules.any_toll.search(sentence_text, low) is None
    for rule in () if none_found else rules.rules:
        if rule.fallback:
            continue
        for m in rule.regex.finditer(sentence_text, low):  # groups in lower case: numbers are read lower-cased
            if rule.count is not None:
                n = rule.count
            else:
                parts = [_number(m.group(g), rules.number_words) for g in ("n", "n2", "n3") if g in rule.regex.regex.groupindex
                         and m.group(g) is not None] if rule.combine_sum else [_number(m.group("n"), rules.number_words)]
                n = None if not parts or None in parts else sum(parts)
            if n is not None:
                found.append((n, rule.id, m.start(), m.end(), rule.combine_sum))
    splits = [(s, e) for _, _, s, e, combined in found if combined]
    best: tuple[int, str] | None = None
    for n, rule_id, start, end, combined in found:
        if not combined and any(s <= start and end <= e for s, e in splits):
            continue  # a part of a split toll
        if best is None or n < best[0]:
            best = (n, rule_id)
    if best is None:  # the fallback rules only where no other rule found a toll
        best = min(((r.count, r.id) for r in rules.rules if r.fallback and r.regex.search(sentence_text, low)), default=None)
    return best


FATALITIES_FROM_DOCUMENT = "infer.fatalities_from_document"


class DocumentFatalities:
    """Death tolls of a document's sentences, found on demand. An event sentence that reports none
    takes the first toll of the next `window` sentences ("Troops raided X. Three civilians were
    killed."): the toll is counted once, for the event it follows, never summed."""

    window = 3

    def __init__(self, texts: list[str], rules: FatalityRules):
        self.texts = texts
        self.rules = rules
        self._own: dict[int, tuple[int, str] | None] = {}

    def _found(self, i: int) -> tuple[int, str] | None:
        if i not in self._own:
            self._own[i] = find_fatalities(self.texts[i], self.rules)
        return self._own[i]

    def deaths(self, i: int) -> tuple[int, str] | None:
        own = self._found(i)
        if own is not None:
            return own
        for k in range(i + 1, min(i + 1 + self.window, len(self.texts))):
            later = self._found(k)
            if later is not None:
                return later[0], FATALITIES_FROM_DOCUMENT
        return None
