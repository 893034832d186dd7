"""Actor coder, table-driven: compounds, metonyms, dated roles, agents, coreference, coordination."""

import datetime as dt

import pytest

from coding.coders.actors import Memory, code_sentence
from coding.text import sentences

PUB = dt.date(2025, 6, 19)


def actors_of(coders, text: str, on=PUB):
    memory = Memory()
    out = []
    for s in sentences(text):
        sa, memory = code_sentence(s, coders.lexicon, coders.grammar, memory, on, False)
        out.append([(a.text, a.code) for a in sa.actors])
    return out


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Russian President Vladimir Putin spoke.", [("Russian President Vladimir Putin", "RUSGOV")]),
        ("Kenyan police moved in.", [("Kenyan police", "KENCOP")]),
        ("Tehran has vowed to respond.", [("Tehran", "IRNGOV")]),
        ("The Russian leader spoke.", [("The Russian leader", "RUSGOV")]),
        ("Iran's Supreme Leader Ayatollah Ali Khamenei spoke.", [("Iran’s Supreme Leader Ayatollah Ali Khamenei", "IRNGOV")]),
        ("Israeli troops advanced.", [("Israeli troops", "ISRMIL")]),
        ("The police arrived.", [("The police", "COP")]),
        ("An Iraqi army member was wounded.", [("An Iraqi army member", "IRQMIL")]),  # a member of the army
    ],
)
def test_compound_actors(coders, text, expected):
    got = actors_of(coders, text.replace("Iran's", "Iran’s"))[0]
    assert got == expected


def test_person_role_depends_on_date(coders):
    assert actors_of(coders, "Trump spoke.", dt.date(2025, 6, 19))[0] == [("Trump", "USAGOV")]
    assert actors_of(coders, "Trump spoke.", dt.date(2022, 6, 19))[0] == [("Trump", "USA")]


def test_pronoun_resolves_to_last_named_person(coders):
    got = actors_of(coders, "Vladimir Putin arrived in Minsk. He met the press.")
    assert got[1] == [("Vladimir Putin", "RUSGOV")]  # the text says who "He" is


def test_plural_nominal_resolves_to_last_pair(coders):
    got = actors_of(coders, "The Israel-Iran war continued. Both sides traded fire.")
    assert got[1] == [("Israel", "ISR"), ("Iran", "IRN")]


def test_coordinated_group(coders):
    from coding.coders.actors import Memory, code_sentence

    (s,) = sentences("He shared ideas with Tehran, Tel Aviv, and Washington.")
    sa, _ = code_sentence(s, coders.lexicon, coders.grammar, Memory(), PUB, False)
    groups = [[m.code for m in g.members] for g in sa.groups]
    assert ["IRNGOV", "ISRGOV", "USAGOV"] in groups
    grp = next(g for g in sa.groups if len(g.members) == 3)
    assert grp.preposition == "with"


def test_lowercase_text_still_matches(coders):
    memory = Memory()
    (s,) = sentences("kenyan police arrested protesters")
    sa, _ = code_sentence(s, coders.lexicon, coders.grammar, memory, PUB, True)
    assert [a.code for a in sa.actors][0] == "KENCOP"


def test_us_pronoun_is_not_the_united_states(coders):
    assert actors_of(coders, "Let us go.")[0] == []


def test_namesakes_are_told_apart_by_date(coders):
    """ "President Bush" is George H. W. Bush in 1990 and George W. Bush in 2003 (the same phrase on
    two people of one country: the one in office on the date)."""
    def who(day):
        from coding.coders.actors import Memory, code_sentence
        (s,) = sentences("President Bush spoke.")
        sa, _ = code_sentence(s, coders.lexicon, coders.grammar, Memory(), day, False)
        return sa.actors[0].code, sa.actors[0].rule_ids[-1]
    assert who(dt.date(1990, 5, 1)) == ("USAGOV", "person.george_h_w_bush")
    assert who(dt.date(2003, 5, 1)) == ("USAGOV", "person.george_w_bush")
    assert who(dt.date(1996, 5, 1))[0] == "USA"


def test_undated_person_takes_last_role(coders):
    from coding.coders.actor_lexicon import RoleSpan
    from coding.coders.actors import person_code
    from coding.coders.actor_lexicon import Entry
    e = Entry("person", "person.x", country="TUN",
              roles=(RoleSpan("GOV", None, dt.date(1970, 1, 1), dt.date(1975, 1, 1)),
                     RoleSpan("IGO", "IGOARL", dt.date(1979, 6, 28), dt.date(1990, 9, 3))))
    assert person_code(e, None) == ("IGOARL", "TUN", "IGO")
    assert person_code(e, dt.date(1995, 1, 1)) == ("TUN", "TUN", None)


def test_an_actor_code_the_schema_rejects_is_a_rule_error(tmp_path, monkeypatch):
    """An organisation code that is not three-letter segments ("FRAOPPRN") would make every build naming
    it fail validation: loading stops it with R007, naming the file and line."""
    import shutil

    import coding.coders.actor_lexicon as lexicon
    from coding.rulebook import RuleError, rules_dir

    shutil.copytree(rules_dir() / "actors", tmp_path / "actors")
    shutil.copy(rules_dir() / "coreference.yaml", tmp_path / "coreference.yaml")
    orgs = tmp_path / "actors" / "organisations.jsonl"
    n = len(orgs.read_text(encoding="utf-8").splitlines())
    with orgs.open("a", encoding="utf-8") as fh:
        fh.write('{"id": "org.test_party", "names": ["Test Party"], "code": "FRAOPPTP", "kind": "party"}\n')
    monkeypatch.setattr(lexicon, "rules_dir", lambda: tmp_path)
    with pytest.raises(RuleError) as err:
        lexicon.load_lexicon()
    assert err.value.code == "R007" and err.value.line == n + 1


def test_organisations_written_the_same_are_told_apart_by_the_countries_in_view(coders):
    # "SNA" is the Syrian National Army and the Somali National Army: the countries named decide
    somali = actors_of(coders, "Al Shabaab fighters ambushed a convoy near Baidoa. SNA troops repelled them.")
    assert ("SNA troops", "SOMMIL") in somali[1]
    syrian = actors_of(coders, "Syrian Kurdish forces held the town. SNA fighters shelled it.")
    assert ("SNA fighters", "SYRINSSNA") in syrian[1]
