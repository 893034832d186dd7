"""Intent: a stated future act is coded as the expression of an intent or a threat
(``rules/intent.yaml``): "Finland will give Tanzania a grant" -> 0331, "X will attack Y" -> 1384."""

from __future__ import annotations

from dataclasses import dataclass

from ..rulebook import check_keys, check_unique_ids, read_yaml_items, rules_dir
from schemas.codebook import cameo_codes


SAME = "same"


@dataclass(frozen=True)
class IntentRules:
    by_prefix: dict[str, tuple[str, str]]  # code prefix -> (intent code, rule id)

    def recode(self, code: str) -> tuple[str, str] | None:
        """(intent code, rule id) for the longest prefix of ``code`` that has one."""
        for n in range(len(code), 1, -1):
            hit = self.by_prefix.get(code[:n])
            if hit is not None:
                return (code, hit[1]) if hit[0] == SAME else hit
        return None


def load_intent_rules() -> IntentRules:
    book = cameo_codes()
    items = read_yaml_items(rules_dir() / "intent.yaml")
    check_unique_ids(items)
    by_prefix: dict[str, tuple[str, str]] = {}
    for it in items:
        check_keys(it, ["id", "from", "to"], ["note"])
        if it.data["to"] != SAME and it.data["to"] not in book:
            raise it.error("R005", f"unknown CAMEO code {it.data['to']!r}")
        for prefix in it.data["from"]:
            if prefix in by_prefix:
                raise it.error("R008", f"prefix {prefix!r} already mapped by {by_prefix[prefix][1]}")
            by_prefix[prefix] = (it.data["to"], it.data["id"])
    return IntentRules(by_prefix)
