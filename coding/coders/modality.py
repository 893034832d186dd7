"""Modality coder: asserted / negated / hypothetical / future / question for each action, from
cue words in scope (``rules/modality.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..grammar import Grammar
from ..records import ActionMatch, Sentence
from ..rulebook import as_int, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir, RuleError
from ..text import normalise_phrase
from .dates import CALENDAR_WORDS
from .intent import WHEN

MODALITIES = ("negated", "hypothetical", "future", "question", "historical")


@dataclass(frozen=True)
class ModalityRule:
    id: str
    modality: str
    cues: dict[str, tuple[tuple[str, ...], ...]]  # first word -> cues, longest first
    sentence_final: frozenset[str]
    recode: str | None = None  # intent.yaml table that turns the act into a statement: future/refusal/demand
    right_before: frozenset[str] = frozenset()  # the cues count only when one of these words precedes the trigger
    after_speech_verb: frozenset[str] = frozenset()  # cue words that count only after a verb of saying ("said ... would")
    after_trigger: frozenset[str] = frozenset()  # cue words that count only after the trigger ("will halt the talks if")
    past_years: int = 0  # a bare year this many years or more before publication in the act's phrase ("the 2006 war")
    not_after: frozenset[str] = frozenset()  # words before such a year that make the act ongoing ("since 2011")


@dataclass(frozen=True)
class ModalityRules:
    window_before: int
    window_after: int
    window_before_nominal: int
    scope_breakers: frozenset[str]
    rules: tuple[ModalityRule, ...]
    intent_roots: frozenset[str]
    relative_openers: frozenset[str] = frozenset()  # "which", "who": open a clause set off by commas or dashes
    parenthesis_marks: frozenset[str] = frozenset()  # ",", "-": what sets such a clause off
    cue_words: frozenset[str] = field(init=False)  # the first words of every rule's cues

    def __post_init__(self) -> None:
        object.__setattr__(self, "cue_words", frozenset(w for r in self.rules for w in r.cues))


def load_modality_rules() -> ModalityRules:
    path = rules_dir() / "modality.yaml"
    data, _ = read_yaml(path)
    for key in data:
        if key not in ("window_before", "window_after", "window_before_nominal", "scope_breakers", "categories",
                       "intent_roots", "relative_openers", "parenthesis_marks"):
            raise RuleError("R002", "rules/modality.yaml", None, f"unknown key '{key}'")
    items = read_yaml_items(path, "categories")
    check_unique_ids(items)
    rules = []
    for it in items:
        check_keys(it, ["id", "modality"], ["cues", "sentence_final", "examples", "recode", "right_before",
                                                   "after_speech_verb", "after_trigger", "past_years", "not_after"])
        if it.data["modality"] not in MODALITIES:
            raise it.error("R007", f"modality must be one of {MODALITIES}")
        cues: dict[str, list] = {}
        for cue in sorted({normalise_phrase(c) for c in it.data.get("cues") or []}, key=len, reverse=True):
            cues.setdefault(cue[0], []).append(cue)
        cues = {k: tuple(v) for k, v in cues.items()}
        if it.data.get("recode") not in (None, *WHEN):
            raise it.error("R007", f"recode must be one of {WHEN}")
        rules.append(ModalityRule(it.data["id"], it.data["modality"], cues, frozenset(it.data.get("sentence_final") or []),
                                  it.data.get("recode"), frozenset(it.data.get("right_before") or []),
                                  frozenset(normalise_phrase(c)[0] for c in it.data.get("after_speech_verb") or []),
                                  frozenset(normalise_phrase(c)[0] for c in it.data.get("after_trigger") or []),
                                  as_int(it, "past_years", 0), frozenset(it.data.get("not_after") or [])))
    order = {m: i for i, m in enumerate(MODALITIES)}
    rules.sort(key=lambda r: order[r.modality])
    return ModalityRules(int(data["window_before"]), int(data["window_after"]),
                         int(data.get("window_before_nominal", data["window_before"])), frozenset(data["scope_breakers"]),
                         tuple(rules), frozenset(data.get("intent_roots") or ()),
                         frozenset(data.get("relative_openers") or ()), frozenset(data.get("parenthesis_marks") or ()))


def _beside_number(norms: list[str], i: int) -> bool:
    """ "27 May", "May 2022": a cue word next to a number is part of a date, not a modal."""
    return (i > 0 and norms[i - 1][:1].isdigit()) or (i + 1 < len(norms) and norms[i + 1][:1].isdigit())


def _cue_at(norms: list[str], i: int, hi: int, cue: tuple[str, ...], skip: frozenset[str]) -> bool:
    """The cue's words from norms[i] on, before ``hi``; words of ``skip`` (dates, adverbs) may come
    between them: "threatened on Monday to"."""
    k = i + 1
    for word in cue[1:]:
        while k < hi and norms[k] != word and norms[k] in skip:
            k += 1
        if k >= hi or norms[k] != word:
            return False
        k += 1
    return True


def _longest_cue(norms: list[str], lo: int, hi: int, cues: dict[str, tuple[tuple[str, ...], ...]],
                 skip: frozenset[str] = frozenset()) -> int:
    """Length of the longest cue found in norms[lo:hi] (0 if none)."""
    best = 0
    for i in range(lo, hi):
        found = cues.get(norms[i])
        if not found or _beside_number(norms, i):
            continue
        for cue in found:
            if len(cue) > best and (len(cue) == 1 or _cue_at(norms, i, hi, cue, skip)):
                best = len(cue)
    return best


def _reported(norms: list[str], lo: int, hi: int, cues: frozenset[str], speech_verbs: frozenset[str]) -> int:
    """2 when one of ``cues`` in norms[lo:hi] follows a verb of saying ("said on Monday it would"): it
    outranks the one-word hypothetical reading of the same word; else 0."""
    if speech_verbs.isdisjoint(norms):
        return 0
    first_speech = next(k for k, w in enumerate(norms) if w in speech_verbs)
    return 2 if not cues.isdisjoint(norms[max(lo, first_speech + 1):hi]) else 0


_YEAR_MIN = 1900
_YEAR_REACH = 4  # tokens between the act's words and the year


def _past_year(sentence: Sentence, action: ActionMatch, grammar: Grammar, latest: int, not_after: frozenset[str]) -> bool:
    """A bare year no later than ``latest`` next to the act (within a few tokens, no comma or clause
    boundary between, no month or weekday there) or opening the sentence ("In 2006, ..."): the act is
    a reference to the past ("the 2006 war", "fought a war in 2006"), not "On 3 May 2024"."""
    norms, tokens = sentence.norms, sentence.tokens
    if norms[action.start] in grammar.speech_verbs:
        return False  # "said the 1994 order applied": the saying is now, the year belongs to what is said

    def bound(w: str) -> bool:
        return w == "," or w in grammar.clause_boundaries
    lo = action.start
    while lo > 0 and action.start - lo < _YEAR_REACH and not bound(norms[lo - 1]):
        lo -= 1
    hi = action.end
    while hi < len(norms) and hi - action.end < _YEAR_REACH and not bound(norms[hi]):
        hi += 1
    spans = [(lo, hi)] + ([(1, 2)] if len(norms) > 2 and norms[0] == "in" and norms[2] == "," else [])
    for a, b in spans:
        if any(norms[k] in CALENDAR_WORDS for k in range(a, b)):
            continue
        for k in range(a, b):
            w = norms[k]
            if not (len(w) == 4 and w.isdigit() and _YEAR_MIN <= int(w) <= latest):
                continue
            before = tokens[k - 1] if k > 0 else None
            if before is not None and (before.norm in not_after  # "since 2011", "about 2000 refugees"
                                       or (before.text[:1].isupper() and before.norm not in grammar.nominal_determiners
                                           and k - 1 > 0)):  # a name: "SEIU Local 2015"
                continue
            return True
    return False


def _after_relative_clause(norms: list[str], lo: int, start: int, rules: ModalityRules) -> int:
    """The start of the scope once a relative clause set off right before the act is left out:
    "Iran - which denies the charge - attacked Israel", "Iran, which denies it, attacked Israel": the
    denial is Iran's, not a negation of the attack."""
    for close in range(start - 1, lo - 1, -1):
        if norms[close] in rules.parenthesis_marks:
            for o in range(close - 1, max(lo, 1) - 1, -1):
                if norms[o] in rules.relative_openers and norms[o - 1] in rules.parenthesis_marks:
                    return close + 1
            return lo
    return lo


def modality(
    action: ActionMatch, sentence: Sentence, rules: ModalityRules, grammar: Grammar, speech_verb: int | None = None,
    published: int | None = None,
) -> tuple[str, str | None, str | None]:
    """(modality, rule id or None for asserted, recode table or None) of one action in its sentence
    (``published``: the publication year, for historical references). For actions whose
    source is the speaker ("X warned that any attack would ..."), the scope is the speaker's verb
    of saying: the warning is asserted even though its content is conditional."""
    norms = sentence.norms
    if action.source == "speaker" and speech_verb is not None:
        action = ActionMatch(action.rule_id, action.code, speech_verb, speech_verb + 1, (speech_verb,), action.source,
                             action.target, action.reciprocal, action.requires_target)
    lo = action.start
    window = rules.window_before_nominal if action.nominal and action.source != "speaker" else rules.window_before
    while lo > 0 and action.start - lo < window:
        w = norms[lo - 1]
        if w in grammar.clause_boundaries or w in rules.scope_breakers:
            break
        lo -= 1
    lo = _after_relative_clause(norms, lo, action.start, rules)
    ahead = rules.window_after if action.source != "speaker" and action.nominal else 0
    hi = min(len(norms), action.end + ahead)
    intent = action.code[:2] in rules.intent_roots
    after = next((j for j in range(action.end, hi) if norms[j] in grammar.clause_boundaries), hi)
    clause_end = next((j for j in range(action.end, len(norms)) if norms[j] in grammar.clause_boundaries), len(norms))
    # a cue is found where its first word is (_longest_cue): with none in scope, none is found
    cued = not (rules.cue_words.isdisjoint(norms[lo:action.start]) and rules.cue_words.isdisjoint(norms[action.end:after]))
    best: tuple[bool, int, int, ModalityRule] | None = None
    for order, rule in enumerate(rules.rules):
        if intent and rule.modality in ("hypothetical", "future") and rule.recode != "demand":
            continue
        if rule.sentence_final and norms and norms[-1] in rule.sentence_final:
            return rule.modality, rule.id, rule.recode
        if rule.past_years:
            if published is not None and _past_year(sentence, action, grammar, published - rule.past_years, rule.not_after):
                best = best or (False, 1, -order, rule)
            continue
        if rule.right_before and (action.start == 0 or norms[action.start - 1] not in rule.right_before):
            continue
        skip = grammar.gap_free_words
        n = max(_longest_cue(norms, lo, action.start, rule.cues, skip),
                _longest_cue(norms, action.end, after, rule.cues, skip)) if cued else 0
        if rule.after_speech_verb:
            n = max(n, _reported(norms, lo, action.start, rule.after_speech_verb, grammar.speech_verbs))
        if rule.after_trigger and not rule.after_trigger.isdisjoint(norms[action.end:clause_end]):
            n = max(n, 2)  # outranks the one-word hypothetical reading of the same word
        if rule.modality == "negated":  # inside a gapped pattern: "will not attack", "held no talks"
            n = max(n, _longest_cue(norms, action.start + 1, action.end, rule.cues))
        # a negation in scope wins over any modal ("said he would not provide"); otherwise the
        # longest cue ("said it would" over "would"), then the category order
        key = (rule.modality == "negated", n, -order, rule)
        if n and (best is None or key[:3] > best[:3]):
            best = key
    return (best[3].modality, best[3].id, best[3].recode) if best is not None else ("asserted", None, None)
