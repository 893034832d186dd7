"""`rules lint` and `rules stats`: checks every rules file beyond what loading checks, and counts
what the rules cover.

Loading already rejects unknown keys and codes, duplicate ids and malformed patterns (R001-R009).
Lint adds: patterns that shadow each other with different codes (R008) and examples that no longer
behave as declared (R010).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from .coders.actions import ActionRule
from .pipeline import Coders, code_document
from .records import Document
from .rulebook import RuleError
from schemas.codebook import cameo_codes

EXAMPLE_DATE = dt.date(2025, 6, 19)


@dataclass(frozen=True)
class LintProblem:
    code: str
    where: str
    message: str


def _shadowing(rules: list[ActionRule]) -> list[LintProblem]:
    """Two rules with the same slots (the same words in the same order) but different codes: the
    one that wins depends on priority alone, so one of them is dead or ambiguous."""
    by_slots: dict[tuple, list[ActionRule]] = defaultdict(list)
    for r in rules:
        by_slots[tuple((s.forms, s.gap) for s in r.slots)].append(r)
    out = []
    for group in by_slots.values():
        codes = {r.code for r in group}
        if len(codes) > 1:
            first = group[0]
            others = ", ".join(f"{r.id} ({r.code})" for r in group[1:])
            out.append(LintProblem("R008", f"{first.path}:{first.line}",
                                   f"{first.id} ({first.code}) has the same pattern as {others}"))
    return out


def _examples(rules: list[ActionRule], coders: Coders) -> list[LintProblem]:
    out = []
    for r in rules:
        for sentence in r.match_examples:
            fired = _fired(sentence, coders)
            if r.id not in fired:
                out.append(LintProblem("R010", f"{r.path}:{r.line}", f"{r.id} does not fire on its match example: {sentence!r}"))
        for sentence in r.no_match_examples:
            if r.id in _fired(sentence, coders):
                out.append(LintProblem("R010", f"{r.path}:{r.line}", f"{r.id} fires on its no_match example: {sentence!r}"))
    return out


def _fired(sentence: str, coders: Coders) -> set[str]:
    doc = Document("lint", sentence, "<lint>", publication_date=EXAMPLE_DATE)
    return {rid for m in code_document(doc, coders).mentions for rid in m.rule_ids.split(";")}


def lint(coders: Coders) -> list[LintProblem]:
    rules = coders.actions.rules
    return _shadowing(rules) + _examples(rules, coders)


def stats(coders: Coders) -> dict[str, int]:
    from .rulebook import read_jsonl, rules_dir

    rules = coders.actions.rules
    book = cameo_codes()
    codes = {r.code for r in rules}
    reachable = {c for c in book if any(r == c or (len(c) == 2 and r.startswith(c)) for r in codes)}
    people = read_jsonl(rules_dir() / "actors" / "people.jsonl")
    orgs = read_jsonl(rules_dir() / "actors" / "organisations.jsonl")
    countries = read_jsonl(rules_dir() / "actors" / "countries.jsonl")
    agents = read_jsonl(rules_dir() / "actors" / "agents.jsonl")
    return {
        "cameo_codes_in_codebook": len(book),
        "cameo_codes_reachable": len(reachable),
        "cameo_roots_reachable": len({c[:2] for c in codes}),
        "action_rules": len(rules),
        "action_rule_examples": sum(len(r.match_examples) + len(r.no_match_examples) for r in rules),
        "actor_phrases": coders.lexicon.size,
        "countries_and_territories": len(countries),
        "named_people": len(people),
        "organisations": len(orgs),
        "armed_groups": sum(1 for o in orgs if o.data.get("kind") == "armed_group"),
        "generic_agents": len(agents),
        "gazetteer_place_names": len(coders.gazetteer.places),
    }


__all__ = ["LintProblem", "lint", "stats", "RuleError"]
