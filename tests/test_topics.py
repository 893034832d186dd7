"""Topics (rules/topics.yaml): the act or phrase an appeal, demand, rejection or protest is about
refines its code; the act used as topic is no event of its own."""

from pathlib import Path

import pytest

from coding.coders import topics as topics_module
from coding.coders.topics import load_topic_rules, refines
from coding.records import ActionMatch
from coding.rulebook import RuleError
from coding.text import sentences


def act(code: str, start: int, end: int, rule_id: str = "act.x") -> ActionMatch:
    return ActionMatch(rule_id=rule_id, code=code, start=start, end=end, tokens=tuple(range(start, end)),
                       source="left", target="right", reciprocal=False, requires_target=False)


def norms(text: str) -> list[str]:
    return list(sentences(text, False)[0].norms)


@pytest.mark.parametrize("head, code, expected", [
    ("020", "0213", True),   # a root's generic code: any code of the root
    ("023", "0233", True),   # else a sub-code
    ("023", "0213", False),
    ("020", "100", False),   # never another root
    ("020", "020", False),
    ("141", "1414", True),
])
def test_refines(head, code, expected):
    assert refines(head, code) is expected


def test_act_asked_for_refines_the_appeal_and_is_consumed(coders):
    words = norms("Kenya urged Uganda to hand over the suspects.")
    acts = [act("020", 1, 2, "act.020.urge"), act("063", 4, 8, "act.063.hand_over")]
    out = coders.topics.refine(acts, words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["0213"]
    assert out[0].rule_id.split(";")[:3] == ["act.020.urge", "topic.appeal", "act.063.hand_over"]


def test_act_after_the_infinitive_wins_over_one_in_the_addressee(coders):
    # "ceasefire monitors" name whom the appeal is addressed to; what they are asked is "hold talks"
    words = norms("Kenya urged the ceasefire monitors to hold talks with Uganda.")
    acts = [act("020", 1, 2), act("0871", 3, 4), act("046", 7, 9)]
    out = coders.topics.refine(acts, words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["026", "0871"]


def test_topic_phrase_when_no_act_maps(coders):
    words = norms("Iran rejected the proposal for a truce.")
    out = coders.topics.refine([act("120", 1, 2)], words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["1246"]
    assert "topic.de_escalation" in out[0].rule_id.split(";")


def test_scope_ends_at_a_breaker(coders):
    words = norms("Kenya urged Uganda to act, saying the prisoners need a truce.")
    out = coders.topics.refine([act("020", 1, 2)], words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["020"]


def test_protest_takes_the_reform_digit_of_its_demand(coders):
    words = norms("Students marched through Dhaka to demand his resignation.")
    acts = [act("141", 1, 2), act("1041", 5, 7)]
    out = coders.topics.refine(acts, words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["1411"]


def test_unrelated_act_is_kept(coders):
    # an attack asked for is no appeal sub-code: the appeal stays generic, the act stays
    words = norms("Hamas urged Palestinians to attack Israeli soldiers.")
    acts = [act("020", 1, 2), act("190", 4, 5)]
    out = coders.topics.refine(acts, words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["020", "190"]


def _head_examples():
    heads = {h.id: h for h in load_topic_rules().heads.values()}
    return [pytest.param(text, code, id=f"{hid}:{code}") for hid, h in sorted(heads.items()) for text, code in h.examples]


@pytest.mark.parametrize("text, code", _head_examples())
def test_head_examples(code_text, text, code):
    got = [m.cameo_code for m in code_text(text) if m.modality == "asserted"]
    assert code in got, f"{text!r}: expected {code}, got {got}"


def test_bad_statement_is_an_error(tmp_path: Path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "topics.yaml").write_text(
        "heads:\n  - {id: topic.x, statement: wish, codes: [\"02\"], examples: [{text: a, code: \"020\"}]}\ntopics: []\n",
        encoding="utf-8")
    monkeypatch.setattr(topics_module, "rules_dir", lambda: rules)
    with pytest.raises(RuleError, match="statement must be one of"):
        load_topic_rules()


def test_direct_statement_takes_the_topic_code_under_the_head(coders):
    words = norms("Serbia accused Croatia of war crimes.")
    out = coders.topics.refine([act("112", 1, 2)], words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["1124"]
    words = norms("The UN opened an inquiry into war crimes in Darfur.")
    out = coders.topics.refine([act("090", 2, 5)], words, coders.intent, coders.grammar)
    assert [a.code for a in out] == ["094"]


def test_a_phrase_under_two_topics_takes_the_one_the_head_maps(coders):
    # "sanctions" is eased (0354) after an appeal and imposed (163 -> 1312) after a threat
    words = norms("Russia threatened sanctions against Georgia.")
    assert [a.code for a in coders.topics.refine([act("130", 1, 2)], words, coders.intent, coders.grammar)] == ["1312"]
    words = norms("Iran urged Europe to lift sanctions.")
    assert [a.code for a in coders.topics.refine([act("020", 1, 2)], words, coders.intent, coders.grammar)] == ["0254"]


def test_words_of_an_unmapped_act_are_no_topic(coders):
    # "impose a curfew" is an act (1723) no appeal code maps; its "curfew" is not a wish to lift one
    words = norms("Activists urged the government to impose a curfew in Ayodhya.")
    acts = [act("020", 1, 2), act("1723", 5, 8)]  # "impose a curfew"
    assert [a.code for a in coders.topics.refine(acts, words, coders.intent, coders.grammar)] == ["020", "1723"]
