"""Action coder: CAMEO patterns (``rules/actions/*.yaml``) compiled into a trigger index and
matched over a sentence's token norms. See ``rules/README.md`` for the pattern language."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import compress

from ..grammar import Grammar
from ..records import ActionMatch, Sentence
from ..rulebook import Item, as_bool, as_int, check_keys, check_unique_ids, read_yaml_items, rules_dir
from schemas.codebook import cameo_codes

GAP_DEFAULT = 3
GAP_MAX = 8
_GAP_RE = re.compile(r"^\*(\d+)?$")
_WORD_RE = re.compile(r"^[=^]?[a-z0-9'][a-z0-9'\-.]*$")
ROLE_SOURCES = ("left", "right", "speaker")
ROLE_TARGETS = ("right", "left", "none")


@lru_cache(maxsize=None)
def inflections(word: str) -> frozenset[str]:
    """All surface forms of a word as verb and noun (lemminflect), the word itself included."""
    import lemminflect  # here: only compiling the rules looks words up, not coding with compiled ones

    forms = {word}
    for upos in ("VERB", "NOUN"):
        for values in lemminflect.getAllInflections(word, upos=upos).values():
            forms.update(values)
    return frozenset(forms)


@lru_cache(maxsize=None)
def participles(word: str) -> frozenset[str]:
    """Past participles of a verb; lemminflect lists VBN only where it differs from VBD."""
    import lemminflect

    forms = lemminflect.getAllInflections(word, upos="VERB")
    return frozenset(forms.get("VBN") or forms.get("VBD") or ())


@lru_cache(maxsize=65536)
def is_participle(form: str) -> bool:
    """True if the form is the past participle of some verb (struck, attacked, shelled)."""
    import lemminflect

    for lemma in lemminflect.getAllLemmas(form, upos="VERB").get("VERB", ()):
        if form in participles(lemma):
            return True
    return False


@lru_cache(maxsize=65536)
def is_noun_only(word: str) -> bool:
    """A word that cannot be a verb ("intervention"): modals after such a trigger scope over it."""
    import lemminflect

    lemmas = lemminflect.getAllLemmas(word)
    return bool(lemmas) and "VERB" not in lemmas


@dataclass(frozen=True)
class Slot:
    forms: frozenset[str] | None  # None for a gap
    gap: int = 0
    participles: frozenset[str] = frozenset()
    after_marker: frozenset[str] = frozenset()  # forms that match only after a verb marker ("will support")


@dataclass(frozen=True)
class ActionRule:
    id: str
    code: str
    pattern: str
    slots: tuple[Slot, ...]
    source: str
    target: str
    reciprocal: bool
    requires_target: bool
    priority: int
    fallback: bool  # a bare statement, dropped when the sentence asserts something more specific
    match_examples: tuple[str, ...]
    no_match_examples: tuple[str, ...]
    path: str
    line: int | None


def compile_pattern(item: Item, pattern: str) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for raw in pattern.split():
        gap = _GAP_RE.match(raw)
        if gap:
            n = int(gap.group(1)) if gap.group(1) else GAP_DEFAULT
            if not 0 < n <= GAP_MAX:
                raise item.error("R006", f"gap {raw!r} must be *1..*{GAP_MAX}")
            if not slots:
                raise item.error("R006", "a pattern cannot start with a gap")
            if slots[-1].forms is None:
                raise item.error("R006", "two gaps in a row")
            slots.append(Slot(None, n))
            continue
        forms: set[str] = set()
        parts: set[str] = set()
        marked: set[str] = set()
        for alt in raw.split("|"):
            if not _WORD_RE.match(alt):
                raise item.error("R006", f"bad word {alt!r} in pattern {pattern!r} (lower-case words, '=' for exact, "
                                         "'^' for a bare verb after will/to/...)")
            if alt.startswith("^"):
                marked.add(alt[1:])
            elif alt.startswith("="):
                forms.add(alt[1:])
            else:
                forms |= inflections(alt)
                parts |= participles(alt)
        only_marked = frozenset(marked - forms)
        slots.append(Slot(frozenset(forms | marked), 0, frozenset(parts), only_marked))
    if not slots:
        raise item.error("R006", "empty pattern")
    if slots[-1].forms is None:
        raise item.error("R006", "a pattern cannot end with a gap")
    return tuple(slots)


def _examples(item: Item, key: str) -> tuple[str, ...]:
    ex = item.data.get("examples") or {}
    if not isinstance(ex, dict):
        raise item.error("R007", "examples must be a mapping with match / no_match lists")
    values = ex.get(key) or []
    if not isinstance(values, list):
        raise item.error("R007", f"examples.{key} must be a list")
    return tuple(values)


_KEYS_REQUIRED = ("id", "code", "pattern")
_KEYS_OPTIONAL = ("source", "target", "reciprocal", "requires_target", "priority", "fallback", "note", "examples")


def load_action_rules() -> list[ActionRule]:
    book = cameo_codes()
    items: list[Item] = []
    for path in sorted((rules_dir() / "actions").glob("*.yaml")):
        items.extend(read_yaml_items(path))
    check_unique_ids(items)
    rules = []
    for it in items:
        check_keys(it, _KEYS_REQUIRED, _KEYS_OPTIONAL)
        d = it.data
        if d["code"] not in book:
            raise it.error("R005", f"unknown CAMEO code {d['code']!r}")
        source, target = d.get("source", "left"), d.get("target", "right")
        if source not in ROLE_SOURCES:
            raise it.error("R007", f"source must be one of {ROLE_SOURCES}, not {source!r}")
        if target not in ROLE_TARGETS:
            raise it.error("R007", f"target must be one of {ROLE_TARGETS}, not {target!r}")
        rules.append(
            ActionRule(
                id=d["id"], code=d["code"], pattern=d["pattern"], slots=compile_pattern(it, d["pattern"]),
                source=source, target=target, reciprocal=as_bool(it, "reciprocal"),
                requires_target=as_bool(it, "requires_target"), priority=as_int(it, "priority", 0) or 0,
                fallback=as_bool(it, "fallback"),
                match_examples=_examples(it, "match"), no_match_examples=_examples(it, "no_match"),
                path=it.path, line=it.line,
            )
        )
    return rules


@dataclass(frozen=True)
class Triggered:
    """The rules a trigger form starts, split for a quick look-up: those with no word slot after the
    trigger, and the others by each form of one later word slot (the one with the fewest forms), which
    a sentence must hold for the rule to match. Nine in ten rules a trigger starts fail that test."""

    unconditional: tuple[ActionRule, ...]
    by_later_word: dict[str, tuple[tuple[ActionRule, tuple[frozenset[str], ...]], ...]]
    later_words: frozenset[str]

    @classmethod
    def of(cls, rules: list[tuple[ActionRule, tuple[frozenset[str], ...]]]) -> "Triggered":
        unconditional, keyed = [], {}
        for rule, later in rules:
            if not later:
                unconditional.append(rule)
                continue
            for word in min(later, key=len):
                keyed.setdefault(word, []).append((rule, later))
        return cls(tuple(unconditional), {w: tuple(v) for w, v in keyed.items()}, frozenset(keyed))

    def rules_for(self, present: frozenset[str]) -> tuple[ActionRule, ...] | list[ActionRule]:
        """The rules whose every later word slot has a form among the sentence's words ``present``."""
        if self.later_words.isdisjoint(present):  # six in ten look-ups (no new set, unlike &)
            return self.unconditional
        found = list(self.unconditional)
        seen = set()
        for word in present & self.later_words:
            for rule, later in self.by_later_word[word]:
                if rule.id not in seen and not any(map(present.isdisjoint, later)):
                    seen.add(rule.id)
                    found.append(rule)
        return found


class ActionIndex:
    """Rules indexed by the surface forms of their trigger slot."""

    def __init__(self, rules: list[ActionRule], grammar: Grammar):
        self.rules = rules
        self.grammar = grammar
        # word classes of the rules' words, looked up once here so that coding needs no lemminflect
        words = {f for r in rules for s in r.slots if s.forms for f in s.forms}
        self.participle_forms = frozenset(w for w in words if is_participle(w))
        self.noun_only_forms = frozenset(w for w in words if is_noun_only(w))
        by_form: dict[str, list[tuple[ActionRule, tuple[frozenset[str], ...]]]] = {}
        for r in rules:
            # the word slots after the trigger: a sentence lacking any of them cannot match the rule
            later = tuple(s.forms for s in r.slots[1:] if s.forms is not None)
            for form in r.slots[0].forms or ():
                by_form.setdefault(form, []).append((r, later))
        self.by_form = {form: Triggered.of(found) for form, found in by_form.items()}

    def _match_from(self, rule: ActionRule, norms: list[str], i: int) -> list[int] | None:
        boundaries = self.grammar.clause_boundaries
        free = self.grammar.gap_free_words
        dets = self.grammar.determiners
        slots = rule.slots

        def go(si: int, ti: int, acc: list[int]) -> list[int] | None:
            if si == len(slots):
                return acc
            slot = slots[si]
            if slot.forms is None:
                nxt = slots[si + 1]
                cost = 0  # gap tokens skipped so far, not counting free words (dates, hyphen parts)
                t = ti
                while cost <= slot.gap and t < len(norms):
                    if t > ti and norms[t - 1] in boundaries:
                        return None
                    if norms[t] in nxt.forms:
                        found = go(si + 2, t + 1, acc + [t])
                        if found is not None:
                            return found
                    # free: dates, adverbs, numbers, hyphen parts, and the article that opens the gap
                    if not (norms[t] in free or (t == ti and norms[t] in dets) or norms[t][:1].isdigit()
                            or (t > 0 and norms[t - 1] == "-")):
                        cost += 1
                    t += 1
                return None
            if ti < len(norms) and norms[ti] in slot.forms:
                return go(si + 1, ti + 1, acc + [ti])
            return None

        return go(1, i + 1, [i]) if len(slots) > 1 else [i]

    def find(self, sentence: Sentence, names: frozenset[int] = frozenset()) -> list[ActionMatch]:
        """Non-overlapping matches, longest first; no trigger inside a proper name ("United States")."""
        norms = sentence.norms
        present = frozenset(norms)
        candidates: list[tuple[ActionRule, list[int]]] = []
        markers = self.grammar.verb_markers
        by_form = self.by_form
        # the tokens that start a rule, picked by C-level iterators (one in five tokens of news text)
        for i in compress(range(len(norms)), map(by_form.__contains__, norms)):
            if i in names:
                continue
            w = norms[i]
            triggered = by_form[w]
            # (rules_for's first test, here: six in ten triggers have no later word in the sentence)
            rules = triggered.unconditional if triggered.later_words.isdisjoint(present) else triggered.rules_for(present)
            for rule in rules:
                if w in rule.slots[0].after_marker and (i == 0 or norms[i - 1] not in markers):
                    continue
                got = self._match_from(rule, norms, i)
                if got is not None:
                    candidates.append((rule, got))
        # longest (most slot tokens), then priority, then leftmost; no shared tokens
        candidates.sort(key=lambda c: (-len(c[1]), -c[0].priority, c[1][0], c[0].id))
        used: set[int] = set()
        out = []
        for rule, toks in candidates:
            if used.intersection(toks):
                continue
            used.update(toks)
            out.append(
                ActionMatch(
                    rule_id=rule.id, code=rule.code, start=toks[0], end=toks[-1] + 1, tokens=tuple(toks),
                    source=rule.source, target=rule.target, reciprocal=rule.reciprocal,
                    requires_target=rule.requires_target, passive=self._passive(rule, norms, toks[0], names),
                    fallback=rule.fallback, nominal=norms[toks[-1]] in self.noun_only_forms,
                )
            )
        out.sort(key=lambda m: m.start)
        return self._by_instrument(out, norms)

    def _by_instrument(self, found: list[ActionMatch], norms: list[str]) -> list[ActionMatch]:
        """A generic killing or attack ("killed", 190) takes the code of the weapon named beside it in
        its clause ("killed in an air strike" 195, "a car bomb killed" 1832, "killed by shelling" 194):
        the nearest more specific act of force; both rule ids reach the output."""
        g = self.grammar
        weapons = [m for m in found if m.code[:2] in g.instrument_roots
                   and m.code not in g.instrument_generic_codes]
        if not weapons:
            return found
        out = []
        for m in found:
            if m.code in g.instrument_generic_codes:
                near = [w for w in weapons
                        if not g.crosses_clause(norms, *((m.end, w.start) if m.start < w.start else (w.end, m.start)))]
                if near:
                    w = min(near, key=lambda w: abs(w.start - m.start))
                    m = replace(m, code=w.code, rule_id=f"{m.rule_id};{w.rule_id}")
            out.append(m)
        return out

    def _passive(self, rule: ActionRule, norms: list[str], i: int, names: frozenset[int] = frozenset()) -> bool:
        """A participle trigger after a form of *be* (adverbs between allowed): roles swap. A word inside
        a name is no form of *be* ("IS members attacked": the Islamic State)."""
        if norms[i] in self.grammar.adjectival_participles:
            return False
        if norms[i] not in rule.slots[0].participles and norms[i] not in self.participle_forms:
            return False
        for j in range(i - 1, max(-1, i - 4), -1):
            if norms[j] in self.grammar.be_forms and j not in names:
                return True
            if norms[j] in self.grammar.clause_boundaries or norms[j] in self.grammar.coordinators:
                return False
        return False


ASSASSINATION_RULE = "infer.assassination"


def by_victim(action: ActionMatch, target, grammar: Grammar, norms: list[str] = ()) -> ActionMatch:
    """A generic killing (grammar.yaml ``assassination_generic_codes``) of a named or titled person
    ("killed the deputy governor", "killed Hamas leader Yahya Sinwar"), or of a group's leader named
    by office only ("killed the deputy chief of the militia", grammar.yaml ``leader_nouns``), is an
    assassination (``assassination_code``, CAMEO 186)."""
    if action.code not in grammar.assassination_generic_codes:
        return action
    if not ((target is not None and target.is_person) or _leader_object(norms, action.end, grammar)):
        return action
    return replace(action, code=grammar.assassination_code, rule_id=f"{action.rule_id};{ASSASSINATION_RULE}")


def _leader_object(norms, k: int, grammar: Grammar) -> bool:
    """The object after the trigger is an office holder: "the (deputy) chief of", "a senior commander of"."""
    while k + 1 < len(norms):
        if norms[k] in grammar.leader_nouns and norms[k + 1] in grammar.member_links:
            return True
        if norms[k] not in grammar.nominal_determiners and norms[k] not in grammar.title_modifiers:
            return False
        k += 1
    return False


def not_attributive(found: list[ActionMatch], norms: list[str], grammar: Grammar) -> list[ActionMatch]:
    """The acts a sentence reports, without participles used as adjectives: "supporters of the jailed
    opposition leader protested" reports a protest, not a jailing (grammar.yaml
    ``attributive_determiners``)."""
    return [m for m in found if not _attributive(m, norms, grammar)]


def _attributive(m: ActionMatch, norms: list[str], g: Grammar) -> bool:
    i = m.start
    if m.end - i != 1 or i == 0 or i + 1 >= len(norms) or not norms[i].endswith("ed") \
            or m.code[:2] not in g.attributive_roots:
        return False
    nxt = norms[i + 1]
    return (norms[i - 1] in g.attributive_determiners and nxt[:1].isalpha() and nxt not in g.prepositions
            and nxt not in g.passive_agent and nxt not in g.be_forms and nxt not in g.coordinators)
