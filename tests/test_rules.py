"""Rules files load and validate; every action rule's examples behave as declared."""

from pathlib import Path

import pytest

from coding.coders.actions import compile_pattern, load_action_rules
from coding.rulebook import Item, RuleError, check_keys, read_yaml_items
from schemas.codebook import cameo_codes

RULES = load_action_rules()


def test_every_cameo_root_is_reachable():
    roots = {r.code[:2] for r in RULES}
    assert roots == {f"{i:02d}" for i in range(1, 21)}


def test_every_rule_has_examples():
    missing = [r.id for r in RULES if not r.match_examples or not r.no_match_examples]
    assert not missing


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_examples(rule, code_text):
    for sentence in rule.match_examples:
        fired = {rid for m in code_text(sentence) for rid in m.rule_ids.split(";")}
        assert rule.id in fired, f"{rule.id} ({rule.path}:{rule.line}) did not fire on: {sentence}"
    for sentence in rule.no_match_examples:
        fired = {rid for m in code_text(sentence) for rid in m.rule_ids.split(";")}
        assert rule.id not in fired, f"{rule.id} ({rule.path}:{rule.line}) fired on no_match: {sentence}"


@pytest.mark.parametrize(
    "pattern,code",
    [("* attack", "R006"), ("attack *", "R006"), ("attack * * Iran", "R006"), ("attack *9 on", "R006"), ("Attack", "R006")],
)
def test_bad_patterns_are_errors(pattern, code):
    with pytest.raises(RuleError) as err:
        compile_pattern(Item({}, "rules/actions/x.yaml", 3), pattern)
    assert err.value.code == code and "x.yaml:3" in str(err.value)


def test_unknown_key_is_an_error(tmp_path: Path):
    f = tmp_path / "r.yaml"
    f.write_text('- id: a\n  code: "190"\n  pattern: "attack"\n  colour: red\n')
    (item,) = read_yaml_items(f)
    with pytest.raises(RuleError) as err:
        check_keys(item, ["id", "code", "pattern"], ["examples"])
    assert err.value.code == "R002" and err.value.line == 1


def test_yaml_keeps_codes_as_strings(tmp_path: Path):
    f = tmp_path / "r.yaml"
    f.write_text("- id: a\n  code: 010\n  country: NO\n")
    (item,) = read_yaml_items(f)
    assert item.data["code"] == "010" and item.data["country"] == "NO"


def test_all_codes_known():
    book = cameo_codes()
    assert all(r.code in book for r in RULES)


def test_lint_finds_shadowing_patterns():
    from dataclasses import replace

    from coding.lint import _shadowing

    a = RULES[0]
    b = replace(a, id="act.test.copy", code="190" if a.code != "190" else "010")
    problems = _shadowing([a, b])
    assert [p.code for p in problems] == ["R008"] and a.id in problems[0].message


def test_lint_is_clean_on_the_shipped_rules(coders):
    from coding.lint import _shadowing

    assert _shadowing(coders.actions.rules) == []
