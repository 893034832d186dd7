"""`evaluate` reproduces hand-computed metrics on small gold files written for the test."""

import json

import pytest
from click.testing import CliRunner

from coding.cli import main
from coding.evaluation.gold import GoldError, read_gold
from coding.evaluation.metrics import dice, haversine_km
from conftest import ROOT, shared_or_skip

FIX = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    files = [str(FIX / f) for f in ("gold_acled.jsonl", "gold_cameo.jsonl", "gold_plover.jsonl", "gold_five_class.jsonl")]
    result = CliRunner().invoke(main, ["evaluate", *files, "--out", str(out), "--errors", "5"])
    assert result.exit_code == 0, result.output
    return json.loads((out / "scorecard.json").read_text()), out


def test_acled_metrics_by_hand(card):
    s = card[0]["sets"]["gold_acled"]
    # a1 (Kenyan police arrest in Nairobi) is right on every field; a2 (Israeli air strike on Tyre)
    # is right except fatalities (gold says 5, the text says three; Israeli forces in Lebanon are
    # "External/Other forces", ACLED inter 8); a3 has no event: wrong on all.
    assert s["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    for field in ("event_type", "sub_event_type", "event_date", "country", "location", "actor1_type"):
        assert s[field] == pytest.approx(2 / 3, abs=1e-4), field
    assert s["fatalities"] == pytest.approx(1 / 3, abs=1e-4)
    # macro-F1 over gold types: Strategic developments 1, Explosions/Remote violence 1, Protests 0
    assert s["event_type_macro_f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_cameo_metrics_by_hand(card):
    s = card[0]["sets"]["gold_cameo"]
    # c1 and c2 code 111 (root 11): c1 exact, c2 root only (gold 1121); c3 no event
    assert s["root"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["root_any"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["base_any"] == pytest.approx(1 / 3, abs=1e-4)
    assert s["code_any"] == pytest.approx(1 / 3, abs=1e-4)


def test_plover_metrics_by_hand(card):
    s = card[0]["sets"]["gold_plover"]
    # sources: IRN, IGO (IGOUNO starts with IGO), IRN -> 3/3; targets: ISR right, SYR wrong -> 1/2
    assert (s["source_country"], s["source_country_n"]) == (1.0, 3)
    assert (s["target_country"], s["target_country_n"]) == (0.5, 2)
    assert (s["dyad_any"], s["dyad_any_n"]) == (0.5, 2)


def test_five_class_metrics_by_hand(card):
    s = card[0]["sets"]["gold_five_class"]
    # f1 verbal conflict (111) right; f2 signs an agreement (057, verbal cooperation) vs gold material conflict
    assert s["class"] == 0.5
    assert s["class_macro_f1"] == 0.5
    assert (s["source_span"], s["source_span_n"]) == (1.0, 2)
    assert (s["target_span"], s["target_span_n"]) == (1.0, 1)


def test_reports_written(card):
    _, out = card
    assert (out / "confusion_gold_acled.csv").exists() and (out / "confusion_gold_cameo.csv").exists()
    errors = (out / "errors.csv").read_text()
    assert "a3" in errors and "c2" in errors and "rule_ids" in errors.splitlines()[0]


def test_dice_and_distance():
    assert dice("the Russian President", "Russian President Putin") == pytest.approx(2 * 2 / 6)
    assert haversine_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)


def test_unrecognised_gold_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "gold": {"colour": "red"}}\n')
    with pytest.raises(GoldError, match="bad.jsonl:1"):
        read_gold(bad)
    result = CliRunner().invoke(main, ["evaluate", str(bad)])
    assert result.exit_code == 1 and "unknown gold format" in result.output


def test_shared_gold_sets_are_recognised():
    path = shared_or_skip("gold/cameo_manual_examples_dev.jsonl")
    assert read_gold(path).kind == "cameo_manual"


@pytest.mark.parametrize("root, expected", [
    ("01", "statement"), ("02", "statement"), ("04", "verbal_cooperation"), ("08", "material_cooperation"),
    ("13", "verbal_conflict"), ("16", "verbal_conflict"), ("14", "material_conflict"), ("19", "material_conflict"),
])
def test_five_class_follows_the_sets_definition(root, expected):
    """Appeals are statements and "reduce relations" is verbal conflict in the five-class sets."""
    from coding.evaluation.metrics import FIVE_CLASS_OF_ROOT
    assert FIVE_CLASS_OF_ROOT[root] == expected
    assert sorted(FIVE_CLASS_OF_ROOT) == [f"{i:02d}" for i in range(1, 21)]
