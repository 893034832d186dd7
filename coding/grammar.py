"""Closed-class word lists (``rules/grammar.yaml``) shared by the coders."""

from __future__ import annotations

from dataclasses import dataclass

from .rulebook import RuleError, read_yaml, rules_dir

_KEYS = ("clause_boundaries", "coordinators", "determiners", "prepositions", "be_forms", "passive_agent", "speech_verbs", "quantifiers", "object_taking_roots", "title_modifiers", "agent_country_links", "verb_markers",
         "unidentified_perpetrator_roots", "adjectival_participles", "implicit_protester_roots",
         "target_from_place_roots", "nominal_determiners", "gap_free_words", "violent_event_nouns",
         "instrument_generic_codes", "instrument_roots", "member_words",
         "implicit_police_codes", "ethnic_markers", "surname_titles",
         "assassination_generic_codes", "member_links", "announcing_verbs", "leader_nouns", "dateline_dashes",
         "attributive_determiners", "attributive_roots")


_SCALARS = ("ethnic_group_role", "assassination_code")


@dataclass(frozen=True)
class Grammar:
    clause_boundaries: frozenset[str]
    coordinators: frozenset[str]
    determiners: frozenset[str]
    prepositions: frozenset[str]
    be_forms: frozenset[str]
    passive_agent: frozenset[str]
    speech_verbs: frozenset[str]
    quantifiers: frozenset[str]
    object_taking_roots: frozenset[str]
    announcing_verbs: frozenset[str]
    leader_nouns: frozenset[str]
    dateline_dashes: frozenset[str]
    title_modifiers: frozenset[str]
    agent_country_links: frozenset[str]
    verb_markers: frozenset[str]
    unidentified_perpetrator_roots: frozenset[str]
    adjectival_participles: frozenset[str]
    implicit_protester_roots: frozenset[str]
    target_from_place_roots: frozenset[str]
    nominal_determiners: frozenset[str]
    gap_free_words: frozenset[str]
    violent_event_nouns: frozenset[str]
    instrument_generic_codes: frozenset[str]
    instrument_roots: frozenset[str]
    member_words: frozenset[str]
    implicit_police_codes: frozenset[str]
    ethnic_markers: frozenset[str]
    surname_titles: frozenset[str]
    assassination_generic_codes: frozenset[str]
    member_links: frozenset[str]
    attributive_determiners: frozenset[str]
    attributive_roots: frozenset[str]
    ethnic_group_role: str
    assassination_code: str

    def crosses_clause(self, norms, lo: int, hi: int) -> bool:
        """Whether norms[lo:hi] holds a clause boundary (";", ":", a sentence end); ``lo`` >= 0."""
        return not self.clause_boundaries.isdisjoint(norms[lo:hi])


def load_grammar() -> Grammar:
    path = rules_dir() / "grammar.yaml"
    data, _ = read_yaml(path)
    for key in data:
        if key not in _KEYS and key not in _SCALARS:
            raise RuleError("R002", "rules/grammar.yaml", None, f"unknown key '{key}'")
    missing = [k for k in _KEYS if k not in data]
    if missing:
        raise RuleError("R003", "rules/grammar.yaml", None, f"missing keys: {', '.join(missing)}")
    return Grammar(**{k: frozenset(data[k]) for k in _KEYS}, **{k: str(data[k]) for k in _SCALARS})
