"""ACLED-style actor names (acled.yaml `actor_names`) beside the CAMEO codes."""

import pytest


@pytest.mark.parametrize("text, actor, target", [
    ("Israeli warplanes struck Hamas positions in Gaza.", "Military Forces of Israel", "Hamas"),
    ("Kenyan police arrested 40 protesters in Nairobi.", "Police Forces of Kenya", "Protesters (Kenya)"),
    ("Gunmen killed five villagers in central Mali.", "Unidentified Armed Group (Mali)", "Civilians (Mali)"),
    ("Israel struck Iran.", "Military Forces of Israel", "Military Forces of Iran"),
    ("Philippine troops clashed with rebels in Mindanao.", "Military Forces of the Philippines",
     "Unidentified Armed Group (Philippines)"),
    # a target standing only for the country of the place names no actor (was "Military Forces of Kenya")
    ("On 3 May 2024, Kenyan teachers gathered in Nakuru in a large rally.", "Protesters (Kenya)", None),
    # a named group under the name ACLED gives it (organisations.jsonl acled_name)
    ("JNIM militants attacked Malian soldiers near Gao.", "JNIM: Group for Support of Islam and Muslims",
     "Military Forces of Mali"),
])
def test_acled_actor_names(code_text, text, actor, target):
    m = next(m for m in code_text(text) if m.modality == "asserted")
    assert (m.actor_acled, m.target_acled) == (actor, target)


def test_name_without_period_suffix_matches_gold():
    from coding.evaluation.metrics import acled_name_key
    assert acled_name_key("Military Forces of Israel (2022-)") == acled_name_key("Military Forces of Israel")
    assert acled_name_key("Police Forces of India (2014-2019)") == "police forces of india"
    assert acled_name_key(None) is None
