"""Topics: what an appeal, demand, rejection or protest is about decides its sub-code
(``rules/topics.yaml``): "urged Uganda to hand over the suspects" 020 -> 0213, "demonstrated for
independence" 141 -> 1414, "rejected the proposal for a ceasefire" 120 -> 1246.

The topic is the first act in the head's complement whose intent code the head's statement table in
``intent.yaml`` maps (the act is then part of the statement, not an event of its own), else the first
topic phrase there. A head only ever gets a more specific code of its own (020 -> 0213, 023 -> 0233).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..grammar import Grammar
from ..records import ActionMatch
from ..rulebook import Item, RuleError, as_int, check_keys, check_unique_ids, read_yaml, read_yaml_items, rules_dir
from ..text import normalise_phrase
from .intent import WHEN, IntentRules
from schemas.codebook import cameo_codes

REFORM = "reform"  # protests: the digit of a political-reform topic (0341 leadership ... 0344 institutions)
DIRECT = "direct"  # accusations, investigations: the topic's own code under the head (112 -> 1124)
STATEMENTS = (*WHEN, REFORM, DIRECT)
_FILE = "rules/topics.yaml"
INFINITIVE = "to"


@dataclass(frozen=True)
class Head:
    id: str
    statement: str
    examples: tuple[tuple[str, str], ...] = ()  # (sentence, code it must give): run by the tests


@dataclass(frozen=True)
class TopicRules:
    max_distance: int
    scope_breakers: frozenset[str]
    reform_codes: tuple[str, ...]
    opaque_roots: frozenset[str]
    heads: dict[str, Head]  # code prefix -> head
    phrases: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]]  # first word -> (phrase, CAMEO codes, id), longest first

    def _head(self, code: str) -> Head | None:
        for n in range(len(code), 1, -1):
            head = self.heads.get(code[:n])
            if head is not None:
                return head
        return None

    def _code(self, head_code: str, head: Head, topic_codes: tuple[str, ...], intent: IntentRules) -> tuple[str, str] | None:
        """(refined code, intent rule ids) for a topic given as CAMEO codes (a phrase may name the
        parallel codes of several families: 1124 and 094 for war crimes), or None."""
        if head.statement == DIRECT:
            return next(((c, "") for c in topic_codes if refines(head_code, c)), None)
        topic_code = topic_codes[0]
        if head.statement == REFORM:
            if len(topic_code) == 4 and topic_code[:3] in self.reform_codes:
                return head_code[:3] + topic_code[3], ""
            return None
        return intent.recode(topic_code, head.statement)

    def _scope_end(self, norms: list[str], start: int, grammar: Grammar) -> int:
        stop = min(len(norms), start + self.max_distance)
        for k in range(start, stop):
            if norms[k] in grammar.clause_boundaries or norms[k] in self.scope_breakers:
                return k
        return stop

    def _phrases_at(self, norms: list[str], k: int):
        """(codes, rule id) of the topic phrases starting at token k, longest first."""
        return [(codes, rule_id) for phrase, codes, rule_id in self.phrases.get(norms[k], ())
                if tuple(norms[k:k + len(phrase)]) == phrase]

    def _topic(self, head_code: str, head: Head, acts: list[ActionMatch], i: int, used: set[int], norms: list[str],
               start: int, end: int, intent: IntentRules):
        """((code, intent rule ids), topic rule id, index of the act used or None) for the complement
        norms[start:end]: the first act there the statement table maps, else the first topic phrase."""
        for j in range(i + 1, len(acts)):
            act = acts[j]
            if act.start >= end:
                break
            if j in used or act.start < start:
                continue
            hit = self._code(head_code, head, (act.code,), intent)
            if hit is not None:
                return hit, act.rule_id, j
        # the object of an act of force or coercion is what it imposes, not a topic ("urged X to impose a curfew")
        inside = {k for act in acts[i + 1:] if start <= act.start < end and act.code[:2] in self.opaque_roots
                  for k in range(act.start + 1, act.end)}
        for k in range(start, end):
            if k in inside:
                continue
            for codes, rule_id in self._phrases_at(norms, k):  # "sanctions": eased (0354) or threatened (1312)
                hit = self._code(head_code, head, codes, intent)
                if hit is not None and (hit[0] == head_code or refines(head_code, hit[0])):
                    return hit, rule_id, None
        return None

    def refine(self, actions: list[ActionMatch], norms: list[str], intent: IntentRules,
               grammar: Grammar) -> list[ActionMatch]:
        """The actions with each head recoded by its topic and the acts used as topics removed."""
        if not any(self._head(a.code) for a in actions):
            return actions
        out = list(actions)
        used: set[int] = set()
        for i in range(len(out) - 1, -1, -1):  # right to left: "demonstrated to demand reforms" needs the demand's topic first
            head_act = out[i]
            head = self._head(head_act.code)
            if head is None or i in used:
                continue
            # the complement starts after the trigger: a pattern may reach into it ("demonstrated ... to demand autonomy")
            first = head_act.start + 1
            end = self._scope_end(norms, first, grammar)
            infinitive = next((k + 1 for k in range(first, end) if norms[k] == INFINITIVE), None)
            found = None
            for start in dict.fromkeys(s for s in (infinitive, first) if s is not None):
                found = self._topic(head_act.code, head, out, i, used, norms, start, end, intent)
                if found is not None:
                    break
            if found is None:
                continue
            (code, intent_ids), topic_id, j = found
            if code != head_act.code:
                if not refines(head_act.code, code):
                    continue
                ids = ";".join(x for x in (head_act.rule_id, head.id, topic_id, intent_ids) if x)
                out[i] = replace(head_act, code=code, rule_id=ids)
            if j is not None:
                used.add(j)
        return [a for k, a in enumerate(out) if k not in used]


def refines(head: str, code: str) -> bool:
    """Whether ``code`` is a more specific code under ``head``: under a root's generic code (020)
    any code of the root (0213), else a sub-code (023 -> 0233)."""
    under = head[:2] if head.endswith("0") and len(head) == 3 else head
    return code != head and code.startswith(under)


def load_topic_rules() -> TopicRules:
    path = rules_dir() / "topics.yaml"
    data, _ = read_yaml(path)
    known = ("max_distance", "scope_breakers", "reform_codes", "opaque_roots", "heads", "topics")
    for key in data:
        if key not in known:
            raise RuleError("R002", _FILE, None, f"unknown key '{key}'")
    book = cameo_codes()
    heads: dict[str, Head] = {}
    head_items = read_yaml_items(path, "heads")
    topic_items = read_yaml_items(path, "topics")
    check_unique_ids(head_items + topic_items)
    for it in head_items:
        check_keys(it, ["id", "statement", "codes"], ["examples"])
        examples = tuple((ex.get("text", ""), ex.get("code", "")) for ex in it.data.get("examples") or ())
        if not examples or any(not text or code not in book for text, code in examples):
            raise it.error("R003", "a head needs examples, each a `text` and a known CAMEO `code`")
        if it.data["statement"] not in STATEMENTS:
            raise it.error("R007", f"statement must be one of {STATEMENTS}")
        for code in it.data["codes"]:
            if not any(c.startswith(code) for c in book):
                raise it.error("R005", f"no CAMEO code starts with {code!r}")
            if code in heads:
                raise it.error("R008", f"code {code!r} already a head of {heads[code].id}")
            heads[code] = Head(it.data["id"], it.data["statement"], examples)
    phrases: dict[str, list] = {}
    for it in topic_items:
        check_keys(it, ["id", "phrases"], ["code", "codes"])
        codes = tuple(it.data.get("codes") or ()) + ((it.data["code"],) if it.data.get("code") else ())
        if not codes:
            raise it.error("R003", "a topic needs `code` or `codes`")
        for code in codes:
            if code not in book:
                raise it.error("R005", f"unknown CAMEO code {code!r}")
        for text in it.data["phrases"]:
            phrase = normalise_phrase(text)
            if not phrase:
                raise it.error("R006", f"empty phrase {text!r}")
            phrases.setdefault(phrase[0], []).append((phrase, codes, it.data["id"]))
    return TopicRules(
        max_distance=as_int(Item(data, _FILE, None), "max_distance", 12),
        scope_breakers=frozenset(data.get("scope_breakers") or ()),
        reform_codes=tuple(data.get("reform_codes") or ()),
        opaque_roots=frozenset(data.get("opaque_roots") or ()),
        heads=heads,
        phrases={k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in phrases.items()},
    )
