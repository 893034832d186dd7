"""Intent: what an actor says about a future act is coded as the statement it is
(``rules/intent.yaml``).

- ``future``: a stated future act is an expression of intent or a threat ("Finland will give
  Tanzania a grant" -> 0331, "X will attack Y" -> 1384).
- ``refusal``: a refused act of cooperation is a rejection ("Syria said it would not accept
  refugees", "refused to withdraw"): the intent code is mapped to the matching 12 code.
- ``demand``: a speaker saying another actor must act is a demand by the speaker on that actor
  ("Britain said Libya must hand over the suspects"): the intent code is mapped to the matching 10 code.

- ``appeal``: used by the topics coder (``topics.py``): what an actor is asked to do decides the
  appeal's code ("urged Uganda to hand over the suspects" -> 0213).

Refusals, demands and appeals are looked up on the intent code of the act, so ``intent.yaml`` states
each parallel once: 0311 (intend economic cooperation) <-> 0211 (appeal for it) <-> 1011 (demand it)
<-> 1211 (reject it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rulebook import check_keys, check_unique_ids, read_yaml_items, rules_dir
from schemas.codebook import cameo_codes


SAME = "same"
WHEN = ("future", "refusal", "demand", "appeal")


@dataclass(frozen=True)
class IntentRules:
    tables: dict[str, dict[str, tuple[str, str]]]  # when -> code prefix -> (new code, rule id)

    def _lookup(self, when: str, code: str) -> tuple[str, str] | None:
        table = self.tables.get(when, {})
        for n in range(len(code), 1, -1):
            hit = table.get(code[:n])
            if hit is not None:
                return (code, hit[1]) if hit[0] == SAME else hit
        return None

    def recode(self, code: str, when: str = "future") -> tuple[str, str] | None:
        """(new code, rule ids) for an act stated as future, refused or demanded; None when the
        codebook has no such statement for it (a refused attack is simply not an attack)."""
        intent = self._lookup("future", code)
        if when == "future" or intent is None:
            return intent
        hit = self._lookup(when, intent[0])
        return None if hit is None else (hit[0], f"{intent[1]};{hit[1]}")


def load_intent_rules() -> IntentRules:
    book = cameo_codes()
    items = read_yaml_items(rules_dir() / "intent.yaml")
    check_unique_ids(items)
    tables: dict[str, dict[str, tuple[str, str]]] = {w: {} for w in WHEN}
    for it in items:
        check_keys(it, ["id", "from", "to"], ["note", "when"])
        when = it.data.get("when", "future")
        if when not in WHEN:
            raise it.error("R007", f"when must be one of {WHEN}")
        if it.data["to"] != SAME and it.data["to"] not in book:
            raise it.error("R005", f"unknown CAMEO code {it.data['to']!r}")
        table = tables[when]
        for prefix in it.data["from"]:
            if prefix in table:
                raise it.error("R008", f"prefix {prefix!r} already mapped by {table[prefix][1]}")
            table[prefix] = (it.data["to"], it.data["id"])
    return IntentRules(tables)
