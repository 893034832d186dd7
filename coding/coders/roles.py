"""Role assignment: who is the source and who the target of an action, from the actor groups
around its trigger (nearest subject on the left, first actor on the right, passive voice swapped,
speaker of the clause, coordinated and reciprocal actors)."""

from __future__ import annotations

from ..grammar import Grammar
from ..records import ActionMatch, Actor, ActorGroup, PlaceFinding
from .actors import SentenceActors


IMPLICIT_PROTESTERS_RULE = "infer.implicit_protesters"
PROTESTERS = Actor(text="(protesters)", code="OPP", country=None, role="OPP", acled_type=None,
                   start=-1, end=-1, rule_ids=(IMPLICIT_PROTESTERS_RULE,))
UNIDENTIFIED_RULE = "infer.unidentified_perpetrator"
UNIDENTIFIED = Actor(text="(unidentified)", code="UAF", country=None, role="UAF", acled_type=None,
                     start=-1, end=-1, rule_ids=(UNIDENTIFIED_RULE,))
IMPLICIT_POLICE_RULE = "infer.implicit_police"
POLICE = Actor(text="(police)", code="COP", country=None, role="COP", acled_type="State forces",
               start=-1, end=-1, rule_ids=(IMPLICIT_POLICE_RULE,))


def _left_subject(
    groups, action: ActionMatch, norms, g: Grammar, taken: set[int], triggers: tuple[tuple[int, str], ...] = ()
) -> ActorGroup | None:
    # a noun trigger after a determiner ("condemned the attack") is the object of a commenting verb
    # before it: its agent is not found across that verb
    nominal = action.start > 0 and norms[action.start - 1] in g.nominal_determiners
    participial = norms[action.start].endswith("ing") and action.start > 0 and norms[action.start - 1] == ","
    barrier = max((t for t, code in triggers if t < action.start and code[:2] in g.object_taking_roots
                   and norms[t] not in g.announcing_verbs), default=-1) if nominal else -1
    for idx in range(len(groups) - 1, -1, -1):
        grp = groups[idx]
        if grp.start >= action.start:
            continue
        if grp.end <= barrier:
            return None
        if g.crosses_clause(norms, grp.end, action.start):
            return None
        if grp.preposition is not None and not (grp.preposition == "by" and participial):
            continue  # ("attacked by militiamen, killing 156": the agent is the participle's subject)
        if grp.start in taken:
            # an object is not the subject of what follows it, unless the next verb comes right
            # after it; a noun in a prepositional phrase ("wounded two soldiers in a bomb attack")
            # belongs to the clause's subject
            between = norms[grp.end:action.start]
            if any(w in g.coordinators or w in g.prepositions for w in between) or len(between) > 2:
                continue
        return grp
    return None


def _event_noun_subject(norms, start: int, g: Grammar) -> bool:
    """A violent-event noun stands in the trigger's clause before it ("A roadside bombing near the
    town of Samarra on Sunday killed ...")."""
    for k in range(start - 1, max(-1, start - 12), -1):
        w = norms[k]
        if w in g.clause_boundaries or w == ",":
            return False
        if w in g.violent_event_nouns:
            return True
    return False


def _right(
    groups, start: int, norms, g: Grammar, skip: set[int], prep: str | None = None, exclude: frozenset[str] = frozenset(),
    stop: int | None = None,
) -> ActorGroup | None:
    for idx, grp in enumerate(groups):
        if grp.start < start or idx in skip:
            continue
        if stop is not None and grp.start > stop:
            return None
        if exclude and all(m.code in exclude or m.country in exclude and m.code == m.country for m in grp.members):
            continue  # the source's own side ("offered Moscow's help", "Putin ... Russia's proposal")
        if g.crosses_clause(norms, start, grp.start):
            return None
        if prep is not None and grp.preposition != prep:
            continue
        return grp
    return None


def assign_roles(
    action: ActionMatch, sa: SentenceActors, norms: list[str], g: Grammar, taken: set[int],
    triggers: tuple[tuple[int, str], ...] = (),
) -> list[tuple[Actor, Actor | None]]:
    """(source, target) pairs for one action. ``taken`` holds the start tokens of groups already
    used as targets in the sentence (they are not subjects of a later verb) and is updated;
    ``triggers`` are (trigger token, code) of all the sentence's actions."""
    # a bare agent inside the pattern is part of the action ("recalled its ambassador"); a
    # qualified one is an actor ("Israeli warplanes struck", "expelled the Lebanese ambassador")
    inside = set(action.tokens)
    groups = [grp for grp in sa.groups if not (inside.intersection(range(grp.start, grp.end))
                                               and all(m.country is None for m in grp.members))]
    index = {id(grp): i for i, grp in enumerate(groups)}
    speaker_idx = index.get(id(sa.speaker)) if sa.speaker is not None else None
    source = target = None
    if action.passive:
        target = _left_subject(groups, action, norms, g, set())
        source = _right(groups, action.end, norms, g, set(), prep="by")
    else:
        if action.source == "left":
            source = _left_subject(groups, action, norms, g, taken, triggers)
        elif action.source == "right":
            source = _right(groups, action.end, norms, g, set())
        else:
            source = sa.speaker
        skip = {index[id(source)]} if source is not None else set()
        if speaker_idx is not None and action.source != "speaker":
            skip.add(speaker_idx)
        own = frozenset(c for m in source.members for c in (m.code, m.country) if c) if source is not None else frozenset()
        # the object of an action ends where another speaker's clause starts ("..., with X stating that")
        stop = next((k for k in range(action.end, len(norms)) if norms[k] in g.speech_verbs), None)
        if action.target == "right":
            target = _right(groups, action.start + 1, norms, g, skip, exclude=own, stop=stop)
        elif action.target == "left":
            lo = source.end if source is not None and source.end <= action.start else 0
            target = next((grp for grp in reversed(groups) if lo <= grp.start and grp.end <= action.start
                           and index[id(grp)] not in skip), None)
    if source is None and not action.passive and action.source == "left" and action.code[:2] in g.implicit_protester_roots:
        return [(PROTESTERS, b) for b in target.members] if target is not None else [(PROTESTERS, None)]
    if source is None and not action.passive and action.source == "left" and target is not None \
            and action.code[:2] in g.unidentified_perpetrator_roots and _event_noun_subject(norms, action.start, g):
        taken.add(target.start)  # "a roadside bombing killed one soldier": someone unnamed did it
        return [(UNIDENTIFIED, b) for b in target.members]
    if source is None and not action.passive and action.source != "speaker" \
            and action.code[:2] in g.unidentified_perpetrator_roots and norms[action.start] in g.violent_event_nouns:
        # "a landmine exploded near the school", "an IED exploded in front of a Taliban member's home":
        # the trigger is the violent noun itself; someone unnamed did it
        if target is None:
            return [(UNIDENTIFIED, None)]
        taken.add(target.start)
        return [(UNIDENTIFIED, b) for b in target.members]
    if source is None:
        if action.passive and target is not None:
            taken.add(target.start)  # "a man was killed in a shooting": the victim is nobody's subject
            if action.code[:2] in g.unidentified_perpetrator_roots:
                return [(UNIDENTIFIED, b) for b in target.members]
            if action.code.startswith(tuple(g.implicit_police_codes)):
                return [(POLICE, b) for b in target.members]  # "the opposition leader was arrested"
        return []
    if action.reciprocal and len(source.members) >= 2:
        sources = source.members  # "Iran and Israel traded blows": each on the other
        return [(a, b) for a in sources for b in sources if a.code != b.code]
    if target is not None:
        taken.add(target.start)
    sources = source.members
    if target is None:
        if action.reciprocal and len(sources) >= 2:
            return [(a, b) for a in sources for b in sources if a.code != b.code]
        return [] if action.requires_target else [(a, None) for a in sources]
    pairs = [(a, b) for a in sources for b in target.members if a.code != b.code]
    if not pairs and not action.requires_target:
        pairs = [(a, None) for a in sources]
    return pairs


TARGET_FROM_PLACE_RULE = "infer.target_from_place"


def target_from_place(place: PlaceFinding) -> Actor:
    """The country of the event's place as the target of material conflict with no target actor."""
    return Actor(text=place.text, code=place.country, country=place.country, role=None, acled_type=None,
                 start=-1, end=-1, rule_ids=(TARGET_FROM_PLACE_RULE,))
