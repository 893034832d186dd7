"""Where an actor's written text starts and ends: "[Up to 1,000 ethnic] Turks", "President [Emile
Lahoud]", "the United Arab Emirates [(UAE)]", "the rebel [Revolutionary United Front]". Only the
actor's text and extent change; its code is the dictionary's."""

from __future__ import annotations

from dataclasses import replace

from ..grammar import Grammar
from ..records import Actor, Sentence

_APPROXIMATORS = frozenset(("some", "about", "around", "nearly", "almost", "roughly", "approximately", "over",
                            "least", "than", "more", "up", "estimated"))


def _is_number(w: str) -> bool:
    return w.replace(",", "").replace(".", "").isdigit()


def written_start(first: int, norms: tuple[str, ...] | list[str], g: Grammar) -> int:
    """Where a group of people is written to start: "[Up to 1,000 ethnic] Turks", "[Thousands of]
    protesters", "[A group of angry] farmers". Only the actor's text uses it; roles and syntax keep
    the dictionary match."""
    i = first
    while i > 0:
        w = norms[i - 1]
        if w in ("a", "an", "the"):
            return i - 1
        if w == "of" and i >= 2 and (norms[i - 2] in g.quantifiers or _is_number(norms[i - 2])):
            i -= 1
        elif w == "to" and i >= 2 and norms[i - 2] == "up":
            i -= 1
        elif w == "at" and norms[i] == "least":
            i -= 1
        elif _is_number(w) or w in g.quantifiers or w in _APPROXIMATORS or (w in g.title_modifiers and w[:1].isalnum()):
            i -= 1
        else:
            break
    return i


_NAME_MAX_TOKENS = 4


def titled_name(actor: Actor, sentence: Sentence, covered: set[int]) -> Actor:
    """A title followed by a name the dictionaries do not know ("President Emile Lahoud",
    "Secretary-General Boutros Boutros-Ghali"): the name belongs to the actor, who is a person."""
    toks = sentence.tokens
    j = actor.end
    while j < len(toks) and j - actor.end < _NAME_MAX_TOKENS and j not in covered and _name_token(toks[j].text):
        j += 1
        if j < len(toks) and toks[j].text == "-" and j + 1 < len(toks) and _name_token(toks[j + 1].text):
            j += 2
    if j == actor.end:
        return actor
    text = sentence.text[toks[actor.start].start - sentence.start: toks[j - 1].end - sentence.start]
    return replace(actor, text=text, end=j, is_person=True)


def _name_token(text: str) -> bool:
    return text[:1].isupper() and text.replace(".", "").isalpha() and not text.isupper()




_MEMBERS_GAP = 6


def merge_appositions(actors: list[Actor], sentence: Sentence, g: Grammar) -> list[Actor]:
    """One actor where the text writes one twice: a titled person and their country ("King Hassan
    of Morocco"), a name and its bracketed acronym ("the
    International Labour Organization (ILO)"), a generic role word before the name of a group in
    that role ("the rebel Revolutionary United Front"), or members of a named group ("Leaders
    of the ECOWAS", "activists from the defeated Fatah party": the group, written from the members on). ``actors`` are in text order."""
    toks = sentence.tokens
    out: list[Actor] = []
    for a in actors:
        prev = out[-1] if out else None
        if prev is not None and _members_of(prev, a, sentence, g):
            # written from the members on; where the members' word may belong to a verb before it
            # ("expelled inspectors of the IAEA"), only the text is, and the syntax keeps the group's
            k = prev.start - 1
            if k < 0 or sentence.norms[k] in g.determiners or sentence.norms[k] in (",", "(") \
                    or sentence.norms[k] in g.quantifiers or sentence.norms[k] in g.title_modifiers:
                out[-1] = _spanning(a, prev.start, a.end, sentence)
            else:
                out[-1] = replace(a, text=_spanning(a, prev.start, a.end, sentence).text)
            continue
        if prev is not None and prev.is_person and prev.country is None and prev.role is not None \
                and a.role is None and a.country is not None and a.start == prev.end + 1 \
                and sentence.norms[prev.end] == "of":  # "King Hassan of Morocco": the person's country
            out[-1] = replace(_spanning(prev, prev.start, a.end, sentence), code=a.country + prev.role, country=a.country,
                              rule_ids=prev.rule_ids + a.rule_ids)
            continue
        if prev is not None and a.code == prev.code and a.start == prev.end + 1 and toks[prev.end].text == "(" \
                and a.end < len(toks) and toks[a.end].text == ")":
            out[-1] = _spanning(prev, prev.start, a.end + 1, sentence)
            continue
        if prev is not None and a.start == prev.end and prev.role is not None and prev.code == prev.role \
                and a.role == prev.role and a.code != prev.code and not prev.is_person:
            out[-1] = _spanning(a, prev.start, a.end, sentence)
            continue
        out.append(a)
    return out


def _spanning(actor: Actor, start: int, end: int, sentence: Sentence) -> Actor:
    toks = sentence.tokens
    text = sentence.text[toks[start].start - sentence.start: toks[end - 1].end - sentence.start]
    return replace(actor, text=text, start=start, end=end)


def _members_of(members: Actor, group: Actor, sentence: Sentence, g: Grammar) -> bool:
    """ "Leaders of the [pro-government] Fatah party": a word for members (grammar.yaml
    ``member_words``), "of"/"from", then at most a few determiners, modifiers or name words, then a
    named group."""
    if members.role is None or members.code != members.role or members.is_person or members.country is not None:
        return False
    if group.is_person or group.role is None or group.code == group.role:  # only a named group's members
        return False
    norms, toks = sentence.norms, sentence.tokens
    if norms[members.end - 1] not in g.member_words:
        return False
    if members.end >= len(norms) or norms[members.end] not in g.member_links:
        return False
    between = range(members.end + 1, group.start)
    if group.start <= members.end or len(between) > _MEMBERS_GAP:
        return False
    return all(norms[k] in g.determiners or norms[k] in g.title_modifiers or norms[k] in ("(", ")")
               or toks[k].text[:1].isupper() for k in between)
