"""ACLED-style coding (issue 5): places with admin1 divisions, the document's place, date and toll
for sentences that name none, fatalities, and the ACLED types of crowd violence, attacks on victims
and demonstrations. Sentences are written for these tests."""

import datetime as dt

import pytest

from coding.coders.dates import DocumentDates, load_date_rules
from coding.coders.fatalities import DocumentFatalities, find_fatalities, load_fatality_rules
from coding.rulebook import read_yaml_items, rules_dir


def first(mentions, field):
    return next((m for m in mentions if m.modality == "asserted" and getattr(m, field) is not None), None)


@pytest.mark.parametrize("text, country", [
    ("On 3 May, teachers held a protest in Canton (Michigan) over pay.", "USA"),
    ("On 3 May, residents demonstrated in Koro (Koro, Mopti) against water cuts.", "MLI"),
    ("On 3 May, Russian forces shelled Kharkiv.", "UKR"),
    # a governorate as news spells it (places.yaml admin1_aliases), and an Arabic article that is no town
    # ("Al" is also a town in Norway)
    ("On 3 May, Turkish forces shelled a village in Al Hasakeh countryside.", "SYR"),
    ("On 3 May, Houthi forces shelled positions in Al Qarn (Al Dhaher, Sadah).", "YEM"),
    # an acronym is no region ("SUD" unions are not Haiti's Sud department)
    ("On 3 May, at the call of the CGT and SUD unions, teachers demonstrated in Toulon.", "FRA"),
    ("On 3 May, Israeli forces demolished a house in Al Quds - Silwan (Al Quds, West Bank).", "PSE"),
    # divisions as ACLED notes write them (Cameroon's in French, Chile's Metropolitana)
    ("On 3 May 2022, separatists attacked soldiers in Bali (Mezam, Nord-Ouest).", "CMR"),
    ("On 3 May 2022, students threw stones at police officers in Santiago - Providencia (Metropolitana).", "CHL"),
    ("On 3 May, about 40 people gathered at City Hall in Athens (Georgia) to protest rising rents.", "USA"),
    # a subdivision the gazetteer lacks is hopped over to the division after it (Yala, Kenya, not Thailand)
    ("On 3 May 2022, traders protested near Yala (Gem, Siaya County) over market fees.", "KEN"),
    # no namesake in the division named after it: one in its country, not a larger one abroad
    ("On 3 May 2022, relatives of detainees protested in Yenisehir town, Diyarbakir.", "TUR"),
    # a division whose name is an English word, where a place's divisions are listed
    ("On 3 May 2022, gunmen abducted two traders near Awdiinle village (Qansax Dheere, Bay).", "SOM"),
    # a state by the abbreviation Indian news writes, in capitals only
    ("On 3 May 2022, students staged a protest in Mandi town (Mandi district, HP) over exam fees.", "IND"),
    # a town by its own name before another by one of its other names (Nice was once "Nis")
    ("On 3 May 2022, teachers protested in Nis over pay.", "SRB"),
    # "as" after a division is English, not the particle of a longer name
    ("On 3 May 2022, fighting took place near Marinka, Donetsk as Russian forces advanced.", "UKR"),
    # a place after the act behind a word of its topic is what the protest is about
    ("On 3 May 2022, Ukrainian students gathered in Vienna, protesting against the war in Ukraine.", "AUT"),
    # a generic word after a known name does not make it a longer, unknown name
    ("On 3 May 2022, supporters of the jailed mayor rallied in Rustavi City.", "GEO"),
    # a hyphenated town name written without its hyphens
    ("On 3 May 2022, dockers marched in Saint Nazaire over pensions.", "FRA"),
    # a district of places.yaml `districts` after an unknown village
    ("On 3 May 2022, farmers staged a protest in Pipara village (Mahottari district) over fertiliser.", "NPL"),
    # "regency" is a generic word of a division's name, hopped over to the province
    ("On 3 May 2022, workers protested in Cikarang district (Bekasi regency, West Java province).", "IDN"),
])
def test_place_country(code_text, text, country):
    m = first(code_text(text), "location_country")
    assert m is not None and m.location_country == country


def test_town_carries_its_admin1_division(code_text):
    m = first(code_text("On 3 May, police arrested 20 protesters in Lahore."), "location_country")
    assert (m.location_country, m.admin1) == ("PAK", "Punjab")


def test_namesake_far_from_the_division_named_after_it_is_placed_in_the_division(code_text):
    # the gazetteer's only Yenisehir is in Bursa, 900 km away: the event is in Diyarbakir
    m = first(code_text("On 3 May 2022, relatives of detainees protested in Yenisehir town, Diyarbakir, on Monday."),
              "location_country")
    assert (m.location_country, m.admin1, m.location_text) == ("TUR", "Diyarbakır", "Yenisehir")
    # a list of places is no division: Izium stays in Kharkiv oblast
    m = first(code_text("On 3 May 2022, Russian forces shelled Izium, Donetsk and Luhansk."), "location_country")
    assert m.admin1 == "Kharkivska"


def test_acronym_is_no_town(code_text):
    ms = code_text("On 3 May, Iraqi warplanes struck IS positions in the desert.")
    assert all(m.location_text != "IS" for m in ms)


def test_sentence_without_place_takes_the_documents_place(code_text):
    ms = code_text("On 3 May, soldiers clashed with rebels in Goma. The rebels later attacked a convoy.")
    assert {m.location_country for m in ms if m.modality == "asserted"} == {"COD"}


def test_sentence_without_date_takes_the_last_explicit_one():
    rules = load_date_rules()
    texts = ["On 13 June 2022, troops raided the village.", "They killed three civilians."]
    dates = DocumentDates(texts, dt.date(2022, 6, 20), rules)
    got = dates.date(1)
    assert (got.date, got.rule_id) == (dt.date(2022, 6, 13), "infer.date_from_document")
    assert DocumentDates(["Troops raided the village."], dt.date(2022, 6, 20), rules).date(0).precision == 2


def test_every_fatality_rule_example_yields_a_count():
    rules = load_fatality_rules()
    for item in read_yaml_items(rules_dir() / "fatalities.yaml", "rules"):
        for example in item.data.get("examples") or []:
            assert find_fatalities(example, rules) is not None, (item.data["id"], example)


@pytest.mark.parametrize("text, count", [
    ("On 29 May 2022, 2 men were shot dead by gunmen.", 2),
    ("Militants attacked the town. 6 fatalities reported.", 6),
    ("A former police officer was killed by unidentified gunmen.", 1),
    ("Unspecified fatalities coded as 10.", 10),
    ("1,200 to 1,500 people were killed.", 1200),
    ("During the clash, 2 men and 3 women were killed.", 5),  # a split toll is added up
    ("Gunmen killed two soldiers and a civilian.", 3),
    ("Gunmen killed two soldiers and injured three civilians.", 2),
    ("Gunmen opened fire on a shopkeeper, killing the victim.", 1),  # a fallback rule: no number given
    ("Gunmen killed the mayor; later 4 guards were killed too.", 4),  # a number beats the fallback
    ("Drivers protested against the killing of a colleague.", None),  # what a protest is about, no toll
])
def test_fatalities(text, count):
    found = find_fatalities(text, load_fatality_rules())
    assert (found[0] if found else None) == count


def test_toll_of_a_following_sentence_is_counted_once():
    tolls = DocumentFatalities(["Gunmen attacked a bus.", "Four passengers were killed."], load_fatality_rules())
    assert tolls.deaths(0) == (4, "infer.fatalities_from_document")
    assert tolls.deaths(1)[0] == 4


@pytest.mark.parametrize("text, sub_event", [
    ("On 3 May, residents beat a suspected thief to death in Kisumu.", "Mob violence"),
    ("On 3 May, residents set fire to the house of a suspected thief in Kisumu.", "Mob violence"),
    ("On 3 May, gunmen shot dead a teacher in Maiduguri.", "Attack"),
    ("On 3 May, protesters demanded the resignation of the mayor in Lima.", "Peaceful protest"),
    ("On 3 May, demonstrators blocked the highway with burning tyres in Quito and demanded lower fuel prices.",
     "Violent demonstration"),
    ("On 3 May, Ukrainian forces shot down a Russian drone over Odesa.", "Disrupted weapons use"),
    ("On 3 May, a bomb exploded prematurely while militants were planting it near Gao.", "Disrupted weapons use"),
    ("On 3 May, police arrested ten protesters at a rally in Nairobi.", "Protest with intervention"),
    ("On 3 May, a landmine exploded near a school in Kandahar.", "Remote explosive/landmine/IED"),
    ("On 3 May, gunmen clashed with Nigerian soldiers in Maiduguri.", "Armed clash"),
    ("On 3 May, supporters of two parties clashed with sticks and stones in Dhaka.", "Mob violence"),
    ("On 3 May, gunmen shot dead an off-duty police officer in Recife.", "Attack"),
    ("On 3 May, Myanmar soldiers detained a journalist and tortured him in Yangon.", "Attack"),
    ("On 3 May, QSD forces detained three men in Raqqa.", "Abduction/forced disappearance"),
    ("On 3 May, monitors recorded 12 shots involving small arms near Donetsk.", "Armed clash"),
    # heavy weapons with small-arms fire between forces are a battle, not remote violence
    ("On 3 May, Ukrainian forces fired mortars and small arms at Russian positions near Donetsk.", "Armed clash"),
    ("On 3 May, Ukrainian forces fired mortars at Russian positions near Donetsk.", "Shelling/artillery/missile attack"),
    # a killing in a relative clause is what a demonstration is about
    ("On 3 May, relatives of a driver who was killed last year protested in Lima to demand justice.", "Peaceful protest"),
    ("On 3 May, about 40 activists occupied a vacant building in Vienna against rising rents.", "Peaceful protest"),
    ("On 3 May, police clashed with villagers in Koraput over a land dispute.", "Mob violence"),
    ("On 3 May, soldiers raided a village and burned down ten houses near Shwebo.", "Looting/property destruction"),
    ("On 3 May, students burned effigies of the minister at a protest in Bhopal.", "Peaceful protest"),
    # confiscating property (CAMEO 1711) is no abduction
    ("On 3 May, Myanmar soldiers sealed and seized the house of an opposition politician in Mandalay.",
     "Looting/property destruction"),
    ("On 3 May, Malian soldiers discovered and defused two IEDs planted by JNIM militants near Gao.", "Disrupted weapons use"),
    ("On 3 May, Yemeni government forces took control of the port peacefully after the rebels withdrew.",
     "Non-violent transfer of territory"),
    ("On 3 May, rowdy youths disrupted a campaign meeting in Kisumu.", "Mob violence"),
    ("On 3 May, Indian soldiers seized a large weapons cache near Imphal.", "Disrupted weapons use"),
    ("On 3 May, teachers protested outside the ministry in Budapest. Police interrupted the protest.",
     "Protest with intervention"),
])
def test_acled_sub_event_type(code_text, text, sub_event):
    m = first(code_text(text), "acled_sub_event_type")
    assert m is not None and m.acled_sub_event_type == sub_event


def test_peaceful_protest_counts_no_deaths(code_text):
    m = first(code_text("On 3 May, relatives of a man who was killed last year protested in Lima to demand justice."),
              "acled_sub_event_type")
    assert m.acled_event_type == "Protests" and not m.fatalities


def test_part_of_a_town_is_not_a_namesake_town(code_text):
    m = first(code_text("On 3 May, in Porto Alegre (Rio Grande do Sul), gunmen killed a man in the Sarandi neighborhood."),
              "location_country")
    assert (m.location_country, m.location_text) == ("BRA", "Porto Alegre")


def test_act_of_an_unknown_group_gets_a_fallback_source(code_text):
    ms = [m for m in code_text("On 3 May, the Zarqa Hawks opened fire on a car near Raqqa.") if m.modality == "asserted"]
    assert ms and "infer.fallback_source" in ms[0].rule_ids and ms[0].acled_event_type is not None


def test_no_fallback_for_an_accident(code_text):
    assert not [m for m in code_text("The explosion of a gas pipe killed five workers in Lagos.")
                if m.modality == "asserted"]


def test_a_former_or_off_duty_member_attacked_is_a_civilian(code_text):
    m = first(code_text("On 3 May, gunmen killed a former soldier in Maiduguri."), "acled_event_type")
    assert m.target_type == "Civilians" and "acled.civilian_status" in m.rule_ids
    m = first(code_text("On 3 May, gunmen killed a soldier in Maiduguri."), "acled_event_type")
    assert m.target_type == "State forces"


def test_an_acronym_is_no_form_of_be(code_text):
    """ "IS members attacked ...": IS (the Islamic State) is a name, not "is", so the verb is active."""
    m = first(code_text("On 3 May, IS members attacked army positions near Palmyra."), "acled_event_type")
    assert "infer.unidentified_perpetrator" not in m.rule_ids and m.actor_code != "UAF"


def test_the_place_an_event_is_coded_to_is_the_documents_place(code_text):
    """ "(coded to Lahore)": ACLED notes name where the event is coded; it wins over the region named."""
    m = first(code_text("On 3 May 2022, farmers protested across Punjab state (coded to Lahore) against fuel prices."),
              "location_country")
    assert (m.location_country, m.location_text) == ("PAK", "Lahore") and "place.coded_to" in m.rule_ids
