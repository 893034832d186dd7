"""Acceptance on the seed article (issue 2)."""

import datetime as dt

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def seed(code_text):
    text = (ROOT / "seeds" / "000_207b969bab2c243d.txt").read_text(encoding="utf-8")
    return code_text(text, dt.date(2025, 6, 19))


def asserted(mentions):
    return [m for m in mentions if m.modality == "asserted"]


def test_russia_offers_to_broker(seed):
    assert any(m.actor_country == "RUS" and m.cameo_root in ("03", "04") and m.target_country in ("ISR", "IRN")
               and m.event_date == dt.date(2025, 6, 18) for m in asserted(seed))


def test_trump_rejects_mediation(seed):
    assert any(m.actor_country == "USA" and m.cameo_root == "12" and m.target_country == "RUS" for m in asserted(seed))


def test_israel_attacks_iran_on_13_june(seed):
    assert any(m.actor_country == "ISR" and m.cameo_root in ("18", "19", "20") and m.target_country == "IRN"
               and m.event_date == dt.date(2025, 6, 13) and m.location_country == "IRN" for m in asserted(seed))


def test_khamenei_threatens_us(seed):
    assert any(m.actor_country == "IRN" and m.cameo_root == "13" and m.target_country == "USA" for m in asserted(seed))


def test_no_asserted_attack_from_speculation_or_conditionals(seed):
    bad = [m for m in asserted(seed) if m.actor_country in ("USA", "ISR") and m.target_country == "IRN"
           and m.cameo_root in ("18", "19", "20")
           and ("might consider" in m.sentence_text or "intervention would" in m.sentence_text)]
    assert not bad, [(m.sentence_text, m.action_text) for m in bad]


def test_no_asserted_consult_from_refusal_to_discuss(seed):
    bad = [m for m in asserted(seed) if m.cameo_root == "04" and "discuss" in m.action_text]
    assert not bad
