"""Fact catalogue matching: which facts an article carries, with or without their actor (pure).

Usage::

    matcher = FactMatcher(load_facts("facts.yaml"))     # compiles every term once
    sentences = split_sentences(article_text)            # boilerplate already stripped
    matcher.states(sentences)    # {"russian_airstrikes": "agentless", "displacement": "absent", ...}
    matcher.mentions(sentences)  # the evidence: one Mention per fact and action sentence

Per sentence, a fact's **action** (plus one term of each **context** group) makes a mention.
It is **attributed** when one of the fact's actors is named

- in the same sentence (``actor_where="sentence"``);
- in the previous sentence, and this sentence refers back to it: a back-reference term
  (facts.yaml ``references:``, e.g. "They", "Its jets", "The aircraft") among its first five
  words and not after the action. It does not refer back after a reporting verb ("Residents
  said their homes were bombed") nor, as a pronoun, before a form of "to be" ("It was unclear
  who…", "They were killed…") or before a reporting verb ("He said the militants staged …",
  unless it speaks of itself: "It said its jets …"): the pronoun is then rarely the agent. The previous sentence
  may itself carry the actor by reference, so "They" chains (``actor_where="previous"``);
- in the next sentence, when that sentence blames it (facts.yaml ``blame:``: "Activists
  blamed Russia.", "Moscow denied responsibility."): a report that names the perpetrator
  right after the event has not deleted the agent (``actor_where="next"``). The doer is
  the one blamed, not whoever blames: the actor after an active "blame"/"accuse" or
  "carried out by" ("Russia blamed Ukraine", "He accuses Ukraine of the attack, and
  Russia's foreign ministry called it terrorism": Ukraine), the one just before
  "responsible", "was behind" or a passive "was blamed" ("The IDF holds Hamas
  responsible": Hamas). An accusation of an act it names itself ("Israel accused Hamas of
  using hospitals as cover") blames no one for the previous sentence's act; one "of the
  attack" does.

An actor word counts only where it names the doer: not a target ("strikes on Hezbollah
positions", "Ukraine's grid", "fuel to Russian forces", "a deployment point of Ukrainian
troops"), not a defender ("Russian air defences destroyed 14 drones"), not a place ("homes
in and around Kyiv"), not a source ("Ukrainian officials said a missile hit ...",
"according to Syrian military sources") unless the source speaks of itself ("said its jets
..."), denies the report, says the action hit the other side's fighters ("Israeli
officials said the strike targeted Hamas militants") or is an armed force reporting a
strike no one else is named for ("the IDF said fighter jets had struck launchers"), and
not a dateline ("MOSCOW —"). In a sentence of ;-clauses an actor acts only
in a clause with the action, or one that says whose the weapon was ("Warplanes hit the
town; monitors say the jets were Russian"), or when the action's clause refers back to it. A fact matched only by a generic verb (facts.yaml ``generic:``: strike,
struck) yields to a fact with the same actors matched by a word that says how ("a guided
bomb struck": an air strike, not a missile strike). An age under 18 in commas after a name
or a kin word ("Polina, 16,") also reads as the word "minor". An action term a few words
after a verb of making or keeping ("where Ukrainian troops assembled long-range drones",
"used to manufacture explosive drones") is a weapon made, not used, and does not count. Coordinated modifiers share
their noun: "Syrian and Russian warplanes" names "Syrian warplanes" too. A vehicle
(facts.yaml ``vehicles:``: jet, helicopter, drone) is an action only beside an attack word
(``attacks:``) in its own clause: "counted Russian jets over the camp" is no air strike. A
generic verb up to four words after another fact's weapon is that weapon's ("a rocket
fired from Gaza struck a house" is no air strike). One act has one doer:
a fact whose actor is anyone (hospital strikes) takes the actor of a one-party fact matched
by the same words in the sentence ("it released a barrel bomb that tore through the hospital",
after "It was a government Mi-8").

Otherwise it is **agentless** -- unless the report is someone else's action, or in another
war. No agentless mention is made

- in a sentence that names, in the perpetrator's place, another actor of the same kind of
  action: an actor of a *rival* fact (one that shares an action term with this fact and none
  of its actors: "Moscow's warplanes pound Ariha" is not an agentless Israeli strike, "Regime
  helicopters drop barrel bombs" not an agentless Russian one) or one of facts.yaml
  ``other_actors:`` ("Turkish drones", "coalition jets", "Hezbollah rockets"). An actor word
  just after "on/against/at/targeting", or just before a target noun ("Hezbollah positions",
  "Turkish bases"), is a target, and one just before a reporting verb ("Turkey said",
  "Russia condemned") a source: neither is the perpetrator, and neither counts;
- in a sentence that refers back ("The strikes ...", "They ...") to a previous sentence naming
  such another actor as the doer: the strikes are theirs;
- in an article that names none of the fact's ``agentless_in`` places, when the fact lists
  them (unattributed drones are Ukraine's only where Ukraine strikes: Russia and the areas
  it holds, not Odesa), or in a sentence that names a rival fact's place and none of its own
  ("drone hits bus in Belgorod" in an article that also names Kharkiv);
- in an article of an event (``event_mentions``) whose articles name a rival fact's actor as
  the doer and never this fact's: "the market was bombed" beside reports that name only
  Syrian government jets is no agent-deleted Russian strike. When no article names anyone,
  every fact whose war it is keeps its agentless mention. When the articles name both, the
  action goes to the one whose named action its sentence is clearly most like ("air raid
  knocks out Kafranbel hospital" beside "a Russian jet bombed the hospital in Kafranbel" and
  "government helicopters dropped barrel bombs on Hass");
- in an article that names none of the fact's theatres, and whose event's other articles
  name none either (facts.yaml ``theatres:``: topic -> places and parties; a fact's
  ``topics`` say where it can occur; ``mentions(sentences, theatres=...)`` takes the
  event's): "airstrikes" in an article about Ukraine are not agent-deleted Israeli strikes,
  and a port strike is no air strike. Facts whose topics have no theatre terms, and
  catalogues without ``theatres:``, are not checked.

The theatre rule applies to attributed mentions too, and to facts with no actor terms
(attributed = carried whenever they match): "held hostage by the management" in a labour
dispute is no hostage-taking. Parties are theatre terms (Israeli, Syrian, Hamas), so an
article naming one is in that war wherever it is. Denial and hedging cues (facts.yaml ``cues:``) in the action sentence, and in the
sentence that named the actor, are recorded on the mention and never change the state: the
outlet carried the claim. A term inside an ``exclude`` phrase ("Russian-made jets",
"pro-Russian separatists") does not count, unless the term covers the whole phrase.
Matching rules for single terms are in ``narratives.terms``; the roles of actor words
(agent, target, source, dateline) in ``narratives.roles``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Literal

from .compare import STATE_RANK, State  # one order of the states for matcher and comparison
from .facts_config import Fact, FactCatalogue, load_facts, parse_facts_yaml
from .roles import REACTIONS, SPEECH, STRUCK, actor_role, dateline, defends, ends_clause, nearest
from .terms import Pattern, TermError, Tokens, parse_term, term_key

__all__ = [
    "STATE_RANK",
    "Fact",
    "FactCatalogue",
    "FactMatcher",
    "Mention",
    "State",
    "TermError",
    "load_facts",
    "parse_facts_yaml",
]


#: How many words into a sentence a back-reference may start ("On Tuesday, its jets ...").
REFERENCE_WINDOW = 5
#: How far "of" may follow "accused" (the accused named between), and how far after "of" a
#: back-reference makes the accusation one of the previous sentence's act ("of the attack").
_ACCUSED_REACH = 5
#: How far a generic verb may follow another fact's weapon and still be that weapon's ("a
#: rocket fired from Gaza struck a house" is no air strike).
_WEAPON_REACH = 4
#: How many words may stand between a blame word and the actor it blames ("blamed the attack
#: on Russian jets", "Moscow has denied any responsibility").
_BLAMED_REACH = 4
#: ... and the blamed come before a passive blame word ("Ukraine was blamed").
_PASSIVE = frozenset("is was are were be been being".split())
#: After a pronoun these make it a non-agent (expletive "it", passive "they were killed").
_BE = frozenset("is was are were s re been being remains remained seems seemed appears appeared".split())
#: "Syrian and Russian warplanes", "Syrian or Russian jets": both modifiers take the noun.
_COORDINATORS = frozenset(("and", "or"))
#: ... and actors blamed together ("carried out by both Russian and Syrian jets").
_BLAMED_TOGETHER = _COORDINATORS | {"both"}
_Candidate = tuple[int, Pattern]  # (term index, one of its patterns)
# Roles of a term; fact roles carry the fact's index, shared ones -1.
(
    _ACTOR, _ACTION, _CONTEXT, _EXCLUDE, _CUE, _REFERENCE, _BLAME, _EXCLUDE_ALL, _OTHER, _THEATRE,
    _VEHICLE, _ATTACK, _WHERE, _GENERIC,
) = range(14)  # fmt: skip
_ROLE_NAMES = (
    "actor", "action", "context", "exclude", "cue", "reference", "blame", "exclude", "other actor", "theatre",
    "vehicle", "attack", "agentless_in", "generic",
)  # fmt: skip
#: A source speaks of its own action when one of these follows its verb ("Russia said its
#: jets struck ...") or it denies what it reports ("Russia said reports of airstrikes were
#: fake"); otherwise the action it reports is someone else's ("Ukrainian officials said a
#: missile hit the hospital").
_SELF = frozenset("it its they their we our".split())
_THE = frozenset("the these those both".split())  # "the warplanes were Russian": the ones told
#: ... nor when it looks into others' reports ("it was aware of reports", "it is reviewing").
_SELF_REVIEWS = frozenset("aware investigating reviewing examining checking verifying studying "
                          # ... or holds proof about them ("says it has evidence that the chemical
                          # attack allegations were fabricated")
                          "evidence proof".split())
#: ... nor when it reacts to them ("said it was deeply concerned by attacks on hospitals").
_SELF_CONCERNED = frozenset("concerned alarmed worried".split())
#: Words too common to say which action a sentence is about (``FactMatcher._whose_action``).
_COMMON = frozenset(
    "the a an of in on at to by for from with and or but that this these those it its was were is are "
    "be been has have had he she they their them his her said says say on off as after before when "
    "while also than then there which who whom whose what".split()
)
#: ... and how much more alike a rival's named action must be (a word in every other sentence
#: of the event weighs log 2, about 0.7; one in a single sentence of 100, about 4.6).
_CLEARLY = 1.0
#: ... but not when it speaks again ("an attack that they blame on Ukraine").
_SELF_SPEAKS = SPEECH | frozenset("blame blamed blames accuse accused accuses attribute attributed".split())
#: ... or when what it says was hit is the other side's fighters ("Israeli officials said the
#: strike targeted Hamas militants"): an army announcing a strike on its enemy announces its own.
_ENEMY = frozenset(
    "militant militants terrorist terrorists gunmen insurgents jihadists hamas hezbollah".split()
)
#: A weapon a few words after one of these is made, kept or sold, not used ("a workshop where
#: Ukrainian troops assembled long-range drones", "used to manufacture explosive drones").
_PRODUCE = frozenset(
    # verbs only: "building", "stores", "supplies" are also nouns ("a guided bomb hit the building")
    "assemble assembled assembles assembling built produce produced produces producing manufacture "
    "manufactured manufactures manufacturing stored storing repaired repairing supplied supplying "
    "developed developing".split()
)
_PRODUCE_REACH = 4
#: A vehicle named with one of these before it is armed: an action without an attack word.
_ARMED = frozenset("kamikaze suicide attack strike combat armed loitering fpv".split())
#: A defence verb this close after a source's verb makes what it speaks of its defence.
_DEFEND_REACH = 4
#: An armed force that reports a strike no one else is named for reports its own ("the Israel
#: Defense Forces said fighter jets had struck launchers"): a speaker with one of these words,
#: a plain verb of saying and the action after it.
_FORCES = frozenset("military army forces idf troops defence defense".split())
#: A place this few words after "from" is where the weapon came from (``agentless_in``).
_FROM_REACH = 3
#: ... of what it says, not of when it spoke ("the ministry said after an overnight strike").
_WHEN = frozenset("after before following since during".split())
#: ... itself, not an informant from its ranks ("a Syrian military source said air strikes hit").
_INFORMANTS = frozenset("source sources media bloggers correspondents analysts experts".split())
#: An action term this few words from a mark of a past era is history, not the event:
#: "Kharkiv was bombed during the Second World War", "the October 1973 war, in which the
#: Syrian and Egyptian armies attacked". The marks: a year 1800-1999 or its decade ("the
#: 1850s"), unless after one of ``_NOT_PAST`` ("since 1979", "born in 1958"), and a past
#: war's name (``_PAST_WARS``).
_HISTORY_REACH = 8
_NOT_PAST = frozenset("since born".split())
_PAST_WARS = (
    ("second", "world", "war"), ("first", "world", "war"), ("world", "war", "i"), ("world", "war", "ii"),
    ("world", "war", "one"), ("world", "war", "two"), ("crimean", "war"), ("great", "patriotic", "war"),
    ("six", "day", "war"), ("yom", "kippur", "war"), ("october", "war"),
)
#: A cue after a source's verb makes the source the doer of a one-party fact ("Russia said
#: reports of airstrikes were fake": Russia's, denied). Of a fact whose doer may be anyone, only
#: a cue that denies its own part does ("Ukraine denied it and said Russia had staged the
#: strike"; the catalogue's cues that deny): one that doubts the event says nothing of who did it
#: ("says a so-called chlorine attack ... was staged", "described Ukrainian reports that a
#: hospital had been struck as a provocation").
_DENIALS = ("deni", "deny", "reject", "dismiss", "refut", "опроверг", "نفى")
#: ... and what it says, not what it comments on or rejects (those have rules of their own).
_PLAIN_SPEECH = frozenset("said says reported reports stated states told announced announces".split())
#: How sure the attribution head must be that an article names the doer for a held act in it
#: to stay unresolved (``_deleted``) when facts.yaml's second_opinion sets no ``attribute``:
#: the shipped ``attribute``.
_DOER_NAMED = 0.95


@dataclass(frozen=True)
class Mention:
    """One sentence that carries a fact's action: the evidence for an article's state."""

    fact_id: str
    state: Literal["attributed", "agentless", "unresolved"]  # unresolved: only the model read it (hold)
    sentence_index: int  # index into the sentences given
    sentence: str  # verbatim
    action_term: str  # the catalogue term that matched, as written in facts.yaml
    actor_term: str | None  # None when agentless, or when the fact has no actor
    actor_where: Literal["sentence", "previous", "next"] | None
    cues: tuple[str, ...]  # denial/hedging cues as found, lower case, e.g. ("denied",)


@dataclass(frozen=True)
class Scanned:
    """An article's sentences as ``FactMatcher.scan`` read them."""

    sentences: tuple[str, ...]
    infos: tuple[_Sentence, ...]


@dataclass
class _Sentence:
    """What one sentence holds, per fact index."""

    actors: dict[int, str] = field(default_factory=dict)  # fact -> first actor term, any role
    agents: dict[int, str] = field(default_factory=dict)  # fact -> first actor term naming the doer
    actions: dict[int, tuple[str, int]] = field(default_factory=dict)  # fact -> (action term, word index)
    cues: tuple[str, ...] = ()
    reference: int | None = None  # word index of the first back-reference in the window
    blame: bool = False
    blamed: dict[int, str] = field(default_factory=dict)  # fact -> actor term the sentence blames
    # fact -> actor term the sentence names as the doer of an act it does not tell: "Moscow says it
    # hit ...", "the warplanes were Russian" (``_named_back``)
    named_back: dict[int, str] = field(default_factory=dict)
    # word spans (start, end) of: every actor term per fact; those that name a perpetrator (not a
    # target or a source) per fact; other_actors terms naming a perpetrator; action terms per fact
    actor_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    perpetrators: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    others: list[tuple[int, int]] = field(default_factory=list)
    action_spans: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)  # folded words, for _nearest
    theatres: set[int] = field(default_factory=set)  # indexes into catalogue.theatres
    places: set[int] = field(default_factory=set)  # facts one of whose agentless_in terms is here
    specific: set[int] = field(default_factory=set)  # facts matched by an action term that is not generic


class FactMatcher:
    """Matches a ``FactCatalogue`` against an article's sentences.

    Every term is compiled once and indexed by the folded forms of its first word (stems by
    their first three letters), so a sentence costs one dictionary look-up per word plus the
    few candidate terms that start there.
    """

    def __init__(self, catalogue: FactCatalogue):
        self.catalogue = catalogue
        # A fact's `also:` rules are matched as facts of their own that report its id, after
        # the catalogue's facts; _order[f] is the catalogue position mentions are sorted by.
        variants = [(k, replace(fact, action=v.action, context=v.context, topics=v.topics or fact.topics, also=()))
                    for k, fact in enumerate(catalogue.facts) for v in fact.also]
        self._facts = catalogue.facts + tuple(fact for _, fact in variants)
        self._order = list(range(len(catalogue.facts))) + [k for k, _ in variants]
        self._terms: list[str] = []  # term index -> text as written
        self._roles: list[list[tuple[int, int, int]]] = []  # term index -> (role, fact, group)
        # first word's form -> (patterns of one word, second word's form -> patterns)
        self._first: dict[str, tuple[list[_Candidate], dict[str, list[_Candidate]]]] = {}
        self._stems: dict[str, list[tuple[int, Pattern]]] = {}
        index: dict[str, int] = {}
        for f, fact in enumerate(self._facts):
            for role, terms, group in [
                (_ACTOR, fact.actor, 0),
                (_ACTION, fact.action, 0),
                (_EXCLUDE, fact.exclude, 0),
                (_WHERE, fact.agentless_in, 0),
            ] + [(_CONTEXT, g, k) for k, g in enumerate(fact.context)]:
                for term in terms:
                    self._add(index, term, (role, f, group))
        for role, terms in [
            (_CUE, catalogue.cues),
            (_REFERENCE, catalogue.references),
            (_BLAME, catalogue.blame),
            (_EXCLUDE_ALL, catalogue.exclude),
            (_OTHER, catalogue.other_actors),
            (_VEHICLE, catalogue.vehicles),
            (_ATTACK, catalogue.attacks),
            (_GENERIC, catalogue.generic),
        ]:
            for term in terms:
                self._add(index, term, (role, -1, 0))
        for k, (_topic, terms) in enumerate(catalogue.theatres):
            for term in terms:
                self._add(index, term, (_THEATRE, -1, k))
        # Terms that are actions of facts with actors: an actor word next to one did it ("Russian
        # jets bombed"); the words of actorless facts ("told to leave") say nothing of who acted.
        self._actor_actions = frozenset(
            t for t, roles in enumerate(self._roles)
            if any(role == _ACTION and self._facts[f].actor for role, f, _ in roles)
        )
        # Rivals: facts with other actors doing the same kind of thing (a shared action term).
        actions = [{term_key(t) for t in fact.action} for fact in self._facts]
        actors = [{term_key(t) for t in fact.actor} for fact in self._facts]
        self._rivals: list[frozenset[int]] = [
            frozenset(
                g
                for g, other in enumerate(self._facts)
                if g != f
                and fact.actor
                and other.actor
                and actions[f] & actions[g]
                and not actors[f] & actors[g]
            )
            for f, fact in enumerate(self._facts)
        ]
        # ... by fact id, for the event's plausible perpetrators (event_mentions)
        self._rival_ids: dict[str, frozenset[str]] = {}
        for f, fact in enumerate(self._facts):
            ids = {self._facts[g].id for g in self._rivals[f]} - {fact.id}
            self._rival_ids[fact.id] = self._rival_ids.get(fact.id, frozenset()) | ids
        # Siblings: facts with the same actors doing another kind of thing (air strikes and
        # missile strikes by Russia), between which a generic action word yields.
        self._siblings: list[frozenset[int]] = [
            frozenset(
                g for g, other in enumerate(self._facts) if g != f and fact.actor and actors[f] == actors[g]
            )
            for f, fact in enumerate(self._facts)
        ]
        # Partners: a fact whose actor is anyone (it shares actors with rival facts: a strike
        # on a hospital, by Russia or by Israel) and the one-party facts it shares one with (air
        # strikes by the Syrian government), so that one act in one sentence has one doer.
        sharing = [{g for g, theirs in enumerate(actors) if ours & theirs} for ours in actors]
        broad = [any(self._rivals[h] & shares for h in shares) for shares in sharing]
        self._broad = frozenset(f for f, b in enumerate(broad) if b)
        self._partners: list[frozenset[int]] = [
            frozenset(g for g in shares if g != f and not broad[g]) if broad[f] else frozenset()
            for f, shares in enumerate(sharing)
        ]
        # The theatres (indexes into catalogue.theatres) where each fact's mentions count;
        # None: not checked.
        self._topic_index = {topic: k for k, (topic, _terms) in enumerate(catalogue.theatres)}
        where = self._topic_index
        self._theatres: list[frozenset[int] | None] = [
            frozenset(where[t] for t in fact.topics if t in where) or None for fact in self._facts
        ]

    def _add(self, index: dict[str, int], term: str, role: tuple[int, int, int]) -> None:
        if term not in index:
            index[term] = len(self._terms)
            self._terms.append(term)
            self._roles.append([])
            for pattern in parse_term(term):  # TermError for terms not from load_facts
                first, candidate = pattern.words[0], (index[term], pattern)
                if first.stem is not None:
                    self._stems.setdefault(first.stem[:3], []).append(candidate)
                second = pattern.words[1] if len(pattern.words) > 1 else None
                for form in first.forms:
                    direct, nested = self._first.setdefault(form, ([], {}))
                    if second is None or second.stem is not None or pattern.gaps[0] == "any":
                        direct.append(candidate)  # (after "...", the second word is further on)
                    else:  # "the jet", "the army", ...: look at the second word before trying them
                        for form2 in second.forms:
                            nested.setdefault(form2, []).append(candidate)
        self._roles[index[term]].append(role)

    # ------------------------------------------------------------------ one sentence

    def _hits(self, tokens: Tokens) -> list[tuple[int, int, int]]:
        """(term, start, end) of every term occurrence; overlapping ones included."""
        found: dict[tuple[int, int], int] = {}
        first, stems = self._first, self._stems
        for i, form in enumerate(tokens.words):
            if form in first or (stems and form[:3] in stems):
                self._try(tokens, i, form, found)
        for i, extra in tokens.alts.items():
            for form in extra:
                self._try(tokens, i, form, found)
        for i in range(len(tokens.words) - 3):
            # not letter case (states must not depend on it), and not into a compound word
            # ("Russian and Russian-made" shares no "made")
            if tokens.words[i + 1] in _COORDINATORS and tokens.gaps[i + 2].strip() == "":
                self._shared_head(tokens, i, found)
        return [(term, start, end) for (term, start), end in found.items()]

    def _shared_head(self, tokens: Tokens, i: int, found: dict[tuple[int, int], int]) -> None:
        """Coordinated modifiers share their noun: "Syrian and Russian warplanes" holds "Syrian
        warplanes" (words i .. i+3). Terms of two or more words are matched at word i as if
        "and Russian" were not there."""
        keep = [k for k in range(len(tokens.raw)) if k not in (i + 1, i + 2)]
        short = Tokens(
            [tokens.raw[k] for k in keep],
            [tokens.words[k] for k in keep],
            {keep.index(k): v for k, v in tokens.alts.items() if k in keep},
            tokens.gaps[:i] + tokens.gaps[i + 2 :],
        )
        local: dict[tuple[int, int], int] = {}
        for form in short.forms(i):
            self._try(short, i, form, local)
        for (term, start), end in local.items():
            if end > i + 1 and end + 2 > found.get((term, start), 0):
                found[(term, start)] = end + 2

    def _try(self, tokens: Tokens, i: int, form: str, found: dict[tuple[int, int], int]) -> None:
        """Match the terms whose first word may be ``form`` (word i) from word i on."""
        candidates: list[_Candidate] = []
        entry = self._first.get(form)
        if entry is not None:
            candidates = entry[0]
            if entry[1] and i + 1 < len(tokens.words):
                # "the regime's aircraft": the term's second word may be after the "s"
                seconds = (i + 1, i + 2) if tokens.possessive(i + 1) else (i + 1,)
                for second in seconds:
                    for form2 in tokens.forms(second):
                        candidates = candidates + entry[1].get(form2, [])
        if self._stems:
            candidates = candidates + self._stems.get(form[:3], [])
        for term, pattern in candidates:
            end = pattern.match(tokens, i)
            if end is not None and end > found.get((term, i), 0):
                found[(term, i)] = end

    def _accuses_of_another(self, words: Sequence[str], start: int, end: int,
                            hits: list[tuple[int, int, int]]) -> bool:
        """Whether the blame word at ``start:end`` is an accusation of an act it names itself:
        "accused Hamas of using hospitals", "accused Moscow of committing a war crime". Such a
        sentence does not blame anyone for the previous sentence's act (when the act it names
        is the fact's own, the sentence carries the fact itself); "accused Ukraine of the
        attack" ("of" followed by a back-reference of two words or more, facts.yaml
        ``references:``) still does. Looked at only for a blame word, not for every sentence."""
        if not words[start].startswith("accus"):
            return False
        after = words[end : end + _ACCUSED_REACH + 1]
        if "of" not in after:
            return False
        of = end + after.index("of")
        # "the attack", "the strike"; not a pronoun ("accused Hamas of diverting aid to its fighters")
        return not any(
            of < s <= of + _ACCUSED_REACH and e > s + 1 and any(r == _REFERENCE for r, _, _ in self._roles[term])
            for term, s, e in hits
        )

    def _sentence(self, sentence: str) -> _Sentence:
        tokens = Tokens.of(sentence)
        _mark_minor_ages(tokens)
        _mark_counts(tokens)
        hits = self._hits(tokens)
        info = _Sentence(words=tokens.words)
        if not hits:
            return info
        excluded_all: list[tuple[int, int]] = []
        excluded: dict[int, list[tuple[int, int]]] = {}
        vehicles: set[tuple[int, int]] = set()  # spans of vehicle terms
        generic: set[tuple[int, int]] = set()  # spans of generic action words
        attacks: list[int] = []  # where attack words start
        for term, start, end in hits:
            for role, f, _ in self._roles[term]:
                if role == _EXCLUDE_ALL:
                    excluded_all.append((start, end))
                elif role == _EXCLUDE:
                    if not _blamed_on(tokens.words, start):
                        excluded.setdefault(f, []).append((start, end))
                elif role == _VEHICLE:
                    vehicles.add((start, end))
                elif role == _ATTACK:
                    attacks.append(start)
                elif role == _GENERIC:
                    generic.add((start, end))
        clause = list(accumulate((";" in g for g in tokens.gaps), initial=0))
        several = clause[-1] > 0  # a sentence of ;-clauses: who acts in which
        # ... but a clause saying whose the weapon was names the doer: "Warplanes hit the town;
        # monitors say the jets were Russian"
        identified = {clause[s] for s, e in vehicles if _BE.intersection(tokens.words[e : e + 2])} if several else set()
        idle = set(vehicles)  # every vehicle term, busy or not, for _named_without_act
        if attacks:
            # ... in its own clause: "Russian and Syrian aircraft operate over the area; neither
            # has commented on the strike" names no one's strike
            attacked = {clause[a] for a in attacks}
            vehicles = {(s, e) for s, e in vehicles if clause[s] not in attacked}
        # "assembled long-range drones": a weapon made, not used, is no action
        made = {
            start for _, start, _ in hits
            if _PRODUCE.intersection(tokens.words[max(0, start - _PRODUCE_REACH) : start])
        }
        past = _past(tokens.words)
        actions: dict[int, tuple[int, str]] = {}
        contexts: dict[int, set[int]] = {}
        actors: dict[int, tuple[int, str]] = {}
        agents: dict[int, tuple[int, str]] = {}
        sources: dict[int, list[tuple[int, int, int, str]]] = {}  # fact -> (start, end, verb, term)
        action_starts = {start for term, start, _ in hits if term in self._actor_actions}
        acted: set[int] = set()  # clauses with an action term (not a bare vehicle)
        blamed: set[int] = set()  # ... with a blame word
        referring: set[int] = set()  # ... with "it", "its", "they" ...
        if several:
            for term, start, end in hits:
                roles = self._roles[term]
                if any(r == _ACTION for r, _, _ in roles) and (start, end) not in vehicles:
                    acted.add(clause[start])
                if any(r == _BLAME for r, _, _ in roles):
                    blamed.add(clause[start])
            referring = {clause[k] for k, w in enumerate(tokens.words) if w in _SELF}

        def alone(start: int) -> bool:
            """Whether an actor stands in a clause of its own, with no action, blame or
            reference back to it in the others ("Both Russian and Syrian aircraft operate over
            the area; neither has commented on the strike")."""
            here = clause[start]
            return several and here not in acted | blamed | identified and not referring - {here}

        cues: list[tuple[int, str]] = []
        blames: list[tuple[int, int]] = []  # spans of blame words that blame the previous act
        named_here: list[tuple[int, int, int, str]] = []  # (start, end, fact, term) of every actor
        for term, start, end in sorted(hits, key=lambda h: (h[1], -h[2])):
            text = self._terms[term]
            for role, f, group in self._roles[term]:
                if role in (_ACTOR, _ACTION, _CONTEXT):
                    spans = excluded_all + excluded.get(f, [])
                    if any(s < end and start < e and not (start <= s and e <= end) for s, e in spans):
                        continue
                    if role == _ACTOR:
                        if dateline(tokens, start, end, text):
                            continue
                        actors.setdefault(f, (start, text))
                        info.actor_spans.setdefault(f, []).append((start, end))
                        named_here.append((start, end, f, text))
                        kind, verb = actor_role(tokens, start, end, action_starts)
                        if kind == "agent" and alone(start):
                            kind = "named"  # named, and neither the doer nor a source
                        if kind == "agent":
                            agents.setdefault(f, (start, text))
                            info.perpetrators.setdefault(f, []).append((start, end))
                        elif kind == "source":
                            sources.setdefault(f, []).append((start, end, verb, text))
                    elif role == _ACTION:
                        # jets over the camp; drones assembled -- but not an armed one ("kamikaze
                        # drones used against cars")
                        if any(
                            e == end and s >= start and not _ARMED.intersection(tokens.words[start:s])
                            for s, e in vehicles
                        ) or start in made or any(abs(k - start) <= _HISTORY_REACH for k in past):
                            continue
                        actions.setdefault(f, (start, text))
                        info.action_spans.setdefault(f, []).append((start, end))
                        if (start, end) not in generic:
                            info.specific.add(f)
                    else:
                        contexts.setdefault(f, set()).add(group)
                elif role == _CUE:
                    cues.append((start, " ".join(tokens.text(start, end).lower().split())))
                elif role == _BLAME:
                    if not self._accuses_of_another(tokens.words, start, end, hits):
                        info.blame = True
                        blames.append((start, end))
                elif role == _OTHER:
                    if (
                        not any(s < end and start < e for s, e in excluded_all)
                        and not dateline(tokens, start, end, text)
                        and actor_role(tokens, start, end, action_starts)[0] == "agent"
                    ):
                        info.others.append((start, end))
                elif role == _THEATRE:
                    info.theatres.add(group)
                elif role == _WHERE:
                    # where the weapon came from is not where it struck ("an Iskander fired
                    # from Russia's Belgorod region"; "drones launched from Crimea")
                    if "from" not in tokens.words[max(0, start - _FROM_REACH) : start]:
                        info.places.add(f)
                elif (
                    role == _REFERENCE
                    and start < REFERENCE_WINDOW
                    and (info.reference is None or start < info.reference)
                ):
                    pronoun = end == start + 1 and end < len(tokens.raw)
                    reported = any(w in SPEECH for w in tokens.words[:start])
                    # "He said the militants staged ...": the pronoun is the previous sentence's
                    # speaker, not its doer -- unless it speaks of itself ("It said its jets ...")
                    speaker = pronoun and tokens.words[end] in SPEECH and not _of_itself(tokens.words[end + 1 :])
                    if not reported and not speaker and not (pronoun and tokens.words[end] in _BE):
                        info.reference = start
        info.actors = {f: text for f, (_, text) in actors.items()}
        if blames:
            info.blamed = _blamed(tokens.words, blames, named_here)
        # A source speaks of its own action only when it refers back to itself after its verb.
        named = sorted(s for spans in info.actor_spans.values() for s, _ in spans)
        doing = sorted(s for spans in info.perpetrators.values() for s, _ in spans)
        for f, said in sources.items():
            for start, end, verb, text in said:
                # its own denial: a cue before anyone else is named ("Ukraine denied it and said
                # Russia had staged the strike" is Ukraine's denial, and Russia's alleged act)
                stop = next((s for s in named if s > verb), len(tokens.words))
                after = tokens.words[verb + 1 :]
                defence = next((k for k in range(min(_DEFEND_REACH, len(after))) if defends(after, k)), None)
                if defence is not None and not _of_itself(after[defence + 1 :]):
                    # "Ukraine's navy said it had intercepted 16 of the drones": its defence;
                    # but "said Iron Dome intercepted the rockets and that its jets struck ..."
                    continue
                if (
                    tokens.words[verb] in _PLAIN_SPEECH
                    and _FORCES.intersection(tokens.words[start:verb])
                    and not _INFORMANTS.intersection(tokens.words[start:verb])
                    and not any(s > verb for s in doing)
                    and not any(s > verb for s, _ in info.others)
                    and any(a > verb and not _WHEN.intersection(tokens.words[verb:a]) for a, _ in actions.values())
                    and not _SELF_REVIEWS.intersection(after)
                    and not any(defends(after, k) for k in range(len(after)))
                ) or (
                    # "its" after another doer is named is the doer's ("condemned the attack as a
                    # crime committed by the Kyiv regime with its Western patrons"); after
                    # another speaker, still its own ("rejected Ukrainian claims that its jets");
                    # and it, or the enemy it struck, must come before the act it speaks of
                    _of_itself(after, _self_reach(verb, doing, acts := info.action_spans.get(f, ())))
                    or (_enemy_named(tokens.words, verb, _clause_end(tokens, verb)) and any(a > verb for a, _ in acts))
                    or (
                        tokens.words[verb] not in REACTIONS
                        and any(verb < c < stop and (f not in self._broad or cue.startswith(_DENIALS))
                                for c, cue in cues)
                    )
                ):
                    agents.setdefault(f, (start, text))
                    info.perpetrators.setdefault(f, []).append((start, end))
        if several and not blamed:
            # a doer acts in its own clause: "Israeli strike kills seven aid workers; charity
            # suspends operations" does not say who suspended them -- unless the action's clause
            # refers back to it ("...; it then dropped bombs")
            for f in list(agents):
                acts = {clause[s] for s, _ in info.action_spans.get(f, ())}
                if (
                    acts
                    and not (acts | identified) & {clause[s] for s, _ in info.perpetrators.get(f, ())}
                    and not acts & referring
                ):
                    del agents[f]
                    del info.perpetrators[f]
        info.agents = {f: text for f, (_, text) in sorted(agents.items(), key=lambda x: x[1][0])}
        info.named_back = self._named_without_act(tokens.words, hits, idle, sources, attacks, info.actor_spans,
                                                  actors)
        info.actions = {
            f: (text, start)
            for f, (start, text) in actions.items()
            if len(contexts.get(f, ())) == len(self._facts[f].context)
        }
        info.cues = tuple(dict.fromkeys(cue for _, cue in sorted(cues)))
        return info

    def _named_without_act(self, words: list[str], hits, vehicles: set[tuple[int, int]],
                           sources: dict[int, list[tuple[int, int, int, str]]], attacks: list[int],
                           actor_spans: dict[int, list[tuple[int, int]]],
                           actors: dict[int, tuple[int, str]]) -> dict[int, str]:
        """Facts whose doer the sentence names without an action term of the fact, with the
        actor term: a source claiming an attack of its own ("Russia says it hit naval drone
        sites", "Moscow said that it had struck a militant depot") or a weapon told before said
        to be the actor's ("the warplanes were Russian"). ``_named_back`` gives them the
        article's earlier act."""
        out: dict[int, str] = {}
        starts = set(attacks)
        for f, said in sources.items():
            for _, _, verb, text in said:
                k = verb + 1 + (words[verb + 1 : verb + 2] == ["that"])
                if words[k : k + 1] and words[k] in ("it", "they"):
                    k += 1 + (words[k + 1 : k + 2] in (["had"], ["has"], ["have"]))
                    # an act done, not a policy: "say they target only militants"
                    if k in starts and words[k] in STRUCK:
                        out.setdefault(f, text)
        for term, start, end in hits:
            if (start, end) not in vehicles or not _THE.intersection(words[max(0, start - 2) : start]):
                continue
            if not (words[end : end + 1] and words[end] in _BE):
                continue
            for role, f, _ in self._roles[term]:
                if role == _ACTION and any(a == end + 1 for a, _ in actor_spans.get(f, ())):
                    out.setdefault(f, actors[f][1])
        return out

    # ------------------------------------------------------------------ an article

    def scan(self, sentences: Sequence[str]) -> Scanned:
        """Read an article's sentences once: ``mentions_in`` judges them, ``theatres`` says
        which wars they name (so an event's articles can share their theatres)."""
        return Scanned(tuple(sentences), tuple(self._sentence(s) for s in sentences))

    def theatres(self, scanned: Scanned) -> frozenset[str]:
        """The topics of facts.yaml ``theatres:`` whose places or parties the article names."""
        found = set().union(*(info.theatres for info in scanned.infos)) if scanned.infos else set()
        return frozenset(self.catalogue.theatres[k][0] for k in found)

    def mentions(self, sentences: Sequence[str], theatres: Iterable[str] = ()) -> list[Mention]:
        """Every (fact, sentence) where the fact's action occurs, in sentence then catalogue order.

        ``theatres``: topics the article is in besides those it names itself -- its event's,
        named by the other articles on it ("a block on Fontanska Road" is in Odesa's war when
        the other reports of the strike say Odesa)."""
        return self.mentions_in(self.scan(sentences), theatres)

    def event_mentions(self, articles: Sequence[Sequence[str]]) -> list[list[Mention]]:
        """``mentions`` of each article of one event, every one in the wars two of them name
        (any of them when none is named twice: ``_event_theatres``; ``narratives.omissions``
        and the scorer judge an event's articles so), and each
        agent-deleted action given only to the perpetrators the event makes plausible: when
        some article names a rival fact's actor as the doer and none names this fact's ("the
        market was bombed" where the other reports name only Syrian government jets is no
        agentless Russian air strike). When no article names anyone, every fact whose war it
        is keeps its agentless mention."""
        scanned = [self.scan(sentences) for sentences in articles]
        theatres = _event_theatres([self.theatres(scan) for scan in scanned])
        found = [self.mentions_in(scan, theatres) for scan in scanned]
        named = {m.fact_id for ms in found for m in ms if m.state == "attributed"}
        found = [
            [m for m in ms if m.state != "agentless" or self._plausible_doer(m.fact_id, named)]
            for ms in found
        ]
        if any(self._rival_ids.get(f, frozenset()) & named for f in named):
            found = self._whose_action(scanned, found)
        if self.catalogue.second_opinion is not None:
            found = self._second_opinion(scanned, found, theatres)
        return found

    def _plausible_doer(self, fact_id: str, named: set[str]) -> bool:
        """Whether an act no sentence gives a doer may be ``fact_id``'s, ``named`` being the
        facts whose actor the event's articles name as the doer: unless a rival's is named
        and this fact's is not."""
        return fact_id in named or not self._rival_ids.get(fact_id, frozenset()) & named

    def _second_opinion(self, scanned: list[Scanned], found: list[list[Mention]],
                        theatres: set[str]) -> list[list[Mention]]:
        """The trained model's say (``action_model``; thresholds in facts.yaml), for the facts
        it knows in the wars the event is in, as the rules count them (an earthquake's dead
        are no civilian casualties of a war; the model learnt from war reporting only):

        * without an actor, carrying the action is the whole state: a mention whose sentence
          scores below ``veto`` is dropped; an article without one gets an ``attributed``
          (carried) mention when a sentence scores above ``rescue`` ("(model 0.93)");
        * with an actor: a rule mention whose sentence scores below ``veto_actor`` for the
          action is dropped (on sets the model had not seen, such mentions were nearly all
          distractors: round 39); an agent-deleted article whose best sentence naming an
          actor (or following one that does) scores above ``attribute`` for naming the doer
          becomes ``attributed`` (actor "(model 0.97)");
          an article without a mention whose best sentence scores above ``hold`` for the
          action, the rules having read no rival fact's act there, gets an ``unresolved``
          one: no verdict against the outlet, none from it -- or an ``agentless`` one when
          it scores above ``deleted`` and no actor of the fact is named there or in the sentence
          before (``_deleted``)."""
        from .action_model import ATTRIBUTION, rescue_term, shipped_model

        opinion = self.catalogue.second_opinion
        model = shipped_model()
        in_war = [f for f in self.catalogue.facts
                  if f.id in model.facts and (not f.topics or not self.catalogue.theatres or set(f.topics) & theatres)]
        judged = {f.id for f in in_war if not f.actor}
        whose = ({f.id for f in in_war if f.actor and f.id + ATTRIBUTION in model.facts}
                 if opinion.attribute is not None else set())
        held = {f.id for f in in_war if f.actor} if opinion.hold is not None else set()
        vetoed = {f.id for f in in_war if f.actor} if opinion.veto_actor is not None else set()
        if not judged | whose | held | vetoed:  # an event in none of the facts' wars: nothing for the model to read
            return found
        position = {f: k for k, f in enumerate(self.catalogue.ids())}
        # the facts whose actor some article names as the doer: an act held in an article
        # naming no one may be an agent deletion of one of them, not of a rival's (as in
        # ``event_mentions``)
        named = {m.fact_id for ms in found for m in ms if m.state == "attributed"}
        out = []
        for scan, probs, mentions in zip(scanned, model.article_scores([s.sentences for s in scanned]), found,
                                         strict=True):
            mentions = [m for m in mentions
                        if m.fact_id not in vetoed or probs[m.fact_id][m.sentence_index] >= opinion.veto_actor]
            kept, rescues = model.review({f: p for f, p in probs.items() if f in judged}, mentions,
                                         opinion.veto, opinion.rescue)
            kept += [Mention(f, "attributed", k, scan.sentences[k], rescue_term(p), None, None,
                             scan.infos[k].cues) for f, k, p in rescues]
            kept += self._whose_and_held(scan, probs, mentions, whose, held, named)
            out.append(sorted(kept, key=lambda m: (m.sentence_index, position[m.fact_id])))
        return out

    def _whose_and_held(self, scan: Scanned, probs: dict, mentions: list[Mention], whose: set[str],
                        held: set[str], named: set[str]) -> list[Mention]:
        """The attributed mentions ``attribute`` adds to an agent-deleted article, and the
        unresolved ones ``hold`` adds to one without a mention (``_second_opinion``)."""
        from .action_model import ATTRIBUTION, rescue_term

        opinion = self.catalogue.second_opinion
        states: dict[str, set[str]] = {}
        by_sentence: dict[tuple[str, int], Mention] = {}
        for m in mentions:
            states.setdefault(m.fact_id, set()).add(m.state)
            by_sentence.setdefault((m.fact_id, m.sentence_index), m)
        added = []
        deleted = [f for f in sorted(whose) if states.get(f) == {"agentless"}]
        # The model says whose an act is; it cannot supply a doer no sentence names ("Missile
        # strikes hotel in Kramatorsk"): only a sentence that names an actor, or follows one
        # that does, may attribute.
        unnamed = _unnamed(scan.infos) if deleted else []
        for f in deleted:
            p = probs[f + ATTRIBUTION].copy()
            p[unnamed] = 0.0
            k = int(p.argmax())
            if p[k] > opinion.attribute:
                rule = by_sentence.get((f, k))
                added.append(Mention(f, "attributed", k, scan.sentences[k],
                                     rule.action_term if rule else rescue_term(float(probs[f][k])),
                                     rescue_term(float(p[k])), "sentence", scan.infos[k].cues))
        for f in sorted(held - states.keys()):
            p = probs[f].copy()
            # not where the rules read a rival's act (the same act, another actor): whose it
            # is is known ("the market was bombed" beside reports naming only government jets)
            p[[m.sentence_index for m in mentions if m.fact_id in self._rival_ids.get(f, ())]] = 0.0
            k = int(p.argmax()) if len(p) else -1
            if k >= 0 and p[k] > opinion.hold:
                state = "agentless" if self._deleted(scan, probs, f, k, float(p[k]), named) else "unresolved"
                added.append(Mention(f, state, k, scan.sentences[k], rescue_term(float(p[k])), None, None,
                                     scan.infos[k].cues))
        return added

    def _deleted(self, scan: Scanned, probs: dict, fact_id: str, k: int, p: float, named: set[str]) -> bool:
        """Whether a held act (``hold``, in sentence ``k``) is an agent deletion: the model is
        surer than ``deleted`` of the act, neither its sentence nor the one before names any of
        the fact's actors in any role (a doer named further back is not this act's, as for the
        rules' back-references; round 40 asked it of the whole article), no sentence of the
        article scores above ``attribute`` for naming the doer (the Russian
        defence ministry's "the Aerospace Forces' aviation worked on a depot" names it in
        words the rules do not take as an actor), the event names no rival's doer unless it
        names this fact's too, and the article names one of the fact's ``agentless_in``
        places when it lists them."""
        from .action_model import ATTRIBUTION

        opinion = self.catalogue.second_opinion
        if opinion.deleted is None or p <= opinion.deleted:
            return False
        whose = probs.get(fact_id + ATTRIBUTION)
        if whose is not None and len(whose) and float(whose.max()) > (opinion.attribute or _DOER_NAMED):
            return False
        ks = {j for j, fact in enumerate(self._facts) if fact.id == fact_id}  # with its variants
        if any(ks & info.actors.keys() for info in scan.infos[max(0, k - 1) : k + 1]):
            return False
        if not self._plausible_doer(fact_id, named):
            return False
        return not self.catalogue.get(fact_id).agentless_in or any(ks & info.places for info in scan.infos)

    def _whose_action(self, scanned: list[Scanned], found: list[list[Mention]]) -> list[list[Mention]]:
        """Where the event names two rival perpetrators (Russian jets bombed the hospital,
        government helicopters dropped barrel bombs on the next village), an agent-deleted
        action is given to the one whose named action it is most like: "air raid knocks out
        Idlib hospital" is the Russian jets'. Likeness is the shared words of the two
        sentences, each weighing the more the rarer it is in the event (log of sentences over
        sentences with it); a rival must be more alike by ``_CLEARLY``, or the mention stays."""
        words = [[set(info.words) - _COMMON for info in scan.infos] for scan in scanned]
        df = Counter(w for article in words for sentence in article for w in sentence)
        n = sum(len(article) for article in words)
        weight = {w: math.log(n / d) for w, d in df.items()}
        by_fact: dict[str, list[set[str]]] = {}
        for k, ms in enumerate(found):
            for m in ms:
                if m.state == "attributed":
                    by_fact.setdefault(m.fact_id, []).append(words[k][m.sentence_index])

        def likeness(sentence: set[str], fact_id: str) -> float:
            return max((sum(weight[w] for w in sentence & other) for other in by_fact.get(fact_id, ())), default=0.0)

        out = []
        for k, ms in enumerate(found):
            kept = []
            for m in ms:
                rivals = self._rival_ids.get(m.fact_id, frozenset()) & by_fact.keys()
                if m.state == "agentless" and rivals and m.fact_id in by_fact:
                    own = words[k][m.sentence_index]
                    if likeness(own, m.fact_id) + _CLEARLY < max(likeness(own, g) for g in rivals):
                        continue
                kept.append(m)
            out.append(kept)
        return out

    def mentions_in(self, scanned: Scanned, theatres: Iterable[str] = ()) -> list[Mention]:
        """``mentions`` of an article already scanned."""
        sentences, infos = scanned.sentences, scanned.infos
        theatres = {self._topic_index[t] for t in theatres if t in self._topic_index}
        theatres |= set().union(*(info.theatres for info in infos)) if infos else set()
        places = set().union(*(info.places for info in infos)) if infos else set()
        # carried[i]: fact -> (actor term, sentence it was named in), following "They" chains.
        carried: list[dict[int, tuple[str, int]]] = []
        # doers[i]: facts whose actor is named as the perpetrator in sentence i, or in the
        # sentence it refers back to (-1: one of other_actors)
        doers: list[set[int]] = []
        for i, info in enumerate(infos):
            here = {f: (term, i) for f, term in info.actors.items()}
            did = set(info.perpetrators) | ({-1} if info.others else set())
            if i and info.reference is not None:
                for f, named in carried[i - 1].items():
                    here.setdefault(f, named)
                did |= doers[i - 1]
            carried.append(here)
            doers.append(did)
        out: list[Mention] = []
        best: dict[tuple[str, int], int] = {}  # (fact id, sentence) -> index in out
        made: list[tuple[int, int]] = []  # this sentence's (fact, index in out)
        for i, info in enumerate(infos):
            for f in sorted(info.actions, key=lambda f: (self._order[f], f)):
                if f not in info.specific and self._siblings[f] & info.specific & info.actions.keys():
                    continue  # "a guided bomb struck": the bomb says which of its actor's strikes
                if f not in info.specific and f not in info.agents and any(
                    0 <= s - e2 <= _WEAPON_REACH
                    for g in info.specific - {f}
                    if self._facts[g].actor
                    for _, e2 in info.action_spans.get(g, ())
                    for s, _ in info.action_spans[f]
                ):
                    continue  # "a rocket (fired from Gaza) struck a house": the rocket's, no air strike
                fact = self._facts[f]
                term, start = info.actions[f]
                cues = info.cues
                actor: str | None = None
                where: Literal["sentence", "previous", "next"] | None = None
                if not fact.actor:
                    pass
                elif f in info.agents:
                    actor, where = info.agents[f], "sentence"
                elif f in info.blamed:  # "Residents blamed the attack on the government helicopters"
                    actor, where = info.blamed[f], "sentence"
                elif i and info.reference is not None and f in carried[i - 1]:
                    actor, j = carried[i - 1][f]
                    where, cues = "previous", _merge(infos[j].cues, cues)
                elif i + 1 < len(infos) and f in infos[i + 1].blamed:
                    actor, where = infos[i + 1].blamed[f], "next"
                    cues = _merge(cues, infos[i + 1].cues)
                state: Literal["attributed", "agentless"] = (
                    "agentless" if fact.actor and actor is None else "attributed"
                )
                if self._theatres[f] is not None and self._theatres[f].isdisjoint(theatres):
                    continue  # another war's, or no war's: a dockers' strike, a museum bombed in 1944
                if state == "agentless" and fact.agentless_in and (
                    f not in places or (f not in info.places and self._rivals[f] & info.places)
                ):
                    # not where this actor strikes: "drones hit Odesa" are not Ukraine's; and the
                    # sentence's own place, where a rival strikes, outweighs the article's others
                    # ("drone hits bus in Belgorod" in an article that also names Kharkiv)
                    continue
                # a rival of another war is none ("the air force struck" in Gaza is not Syria's)
                rivals = info.others + [
                    span for g in self._rivals[f] for span in info.perpetrators.get(g, ())
                    if self._theatres[g] is None or not self._theatres[g].isdisjoint(theatres)
                ]
                if (
                    where is None
                    and fact.actor
                    and i
                    and info.reference is not None
                    and doers[i - 1] & (self._rivals[f] | {-1})
                ):
                    continue  # "The strikes ..." after "Turkish drones hit ...": theirs
                if (
                    rivals
                    and fact.actor
                    and (
                        where != "sentence"  # agentless, or its actor is in a neighbouring sentence
                        or f not in info.perpetrators  # its doer only blamed, beside a rival's act
                        or not nearest(info.action_spans[f], info.perpetrators[f], rivals, info.words)
                    )
                ):
                    continue  # someone else's action
                mention = Mention(
                    fact_id=fact.id,
                    state=state,
                    sentence_index=i,
                    sentence=sentences[i],
                    action_term=term,
                    actor_term=actor,
                    actor_where=where,
                    cues=cues,
                )
                # one mention per fact and sentence, the best of its rules'
                k = best.get((fact.id, i))
                if k is None:
                    best[(fact.id, i)] = len(out)
                    out.append(mention)
                    made.append((f, k := len(out) - 1))
                elif STATE_RANK[state] > STATE_RANK[out[k].state]:
                    out[k] = mention
                    made.append((f, k))
            self._share_doers(info, out, made)
            made.clear()
            if info.reference is not None:
                out += self._named_back(info.blamed, info, i, sentences[i], out, best)
            if info.named_back:
                out += self._named_back(info.named_back, info, i, sentences[i], out, best)
        return out

    def _named_back(self, named: dict[int, str], info: _Sentence, i: int, sentence: str, out: list[Mention],
                    best: dict[tuple[str, int], int]) -> list[Mention]:
        """A sentence that names the doer of an act told earlier in the article, in its own
        words and without an action term of the fact: a blame that refers back ("Two people
        were killed when a drone struck a car in Rylsk. [...] Russian officials blamed the
        attack on Ukraine's armed forces"), a claim ("Drones struck the port. [...] Russia says
        it hit naval drone sites"), an identification ("the warplanes were Russian"). The act
        is the earlier mention's, of a fact with one possible doer. ``named``: fact -> actor."""
        added = []
        for f, actor in named.items():
            fact = self._facts[f]
            # a fact whose doer may be anyone (a hospital struck) is not said to be the act
            # blamed: "the attack" may be another of the article's acts
            if f in info.actions or not fact.actor or f in self._broad or (fact.id, i) in best:
                continue
            told = [m for m in out if m.fact_id == fact.id and m.sentence_index < i and m.state != "unresolved"]
            if told:
                best[(fact.id, i)] = len(out) + len(added)
                added.append(Mention(fact.id, "attributed", i, sentence, told[-1].action_term, actor, "sentence",
                                     info.cues))
        return added

    def _share_doers(self, info: _Sentence, out: list[Mention], made: list[tuple[int, int]]) -> None:
        """One act, one doer: an unattributed action that is, in the same words, a partner
        fact's attributed one takes its actor ("it released a barrel bomb that tore through
        the hospital", after "It was a government Mi-8", is the government's hospital strike,
        whether or not the hospital fact lists "Mi-8")."""
        for f, k in made:
            if out[k].state != "agentless":
                continue
            spans = info.action_spans[f]
            for g, j in made:
                done = out[j]
                if (
                    g in self._partners[f]
                    and done.state == "attributed"
                    and any(a < e and s < b for a, b in spans for s, e in info.action_spans[g])
                ):
                    out[k] = replace(out[k], state="attributed", actor_term=done.actor_term,
                                     actor_where=done.actor_where)
                    break

    def states(self, sentences: Sequence[str]) -> dict[str, State]:
        """Every fact id -> the best state among the article's mentions ("absent" if none)."""
        best: dict[str, State] = {fid: "absent" for fid in self.catalogue.ids()}
        for m in self.mentions(sentences):
            if STATE_RANK[m.state] > STATE_RANK[best[m.fact_id]]:
                best[m.fact_id] = m.state
        return best

    def terms_in(self, sentence: str) -> list[tuple[str, str, str | None]]:
        """(term as written, role, fact id or None) of every term found in one sentence --
        for researchers checking why a sentence did or did not match."""
        names = _ROLE_NAMES
        out = []
        for term, _start, _end in sorted(self._hits(Tokens.of(sentence)), key=lambda h: h[1:]):
            for role, f, _ in self._roles[term]:
                out.append((self._terms[term], names[role], self._facts[f].id if f >= 0 else None))
        return out


def _past(words: Sequence[str]) -> list[int]:
    """Where the marks of a past era are in a sentence's words (``_HISTORY_REACH``)."""
    out = []
    for k, w in enumerate(words):
        year = w[:-1] if w.endswith("s") else w
        if year.isdigit() and len(year) == 4 and 1800 <= int(year) <= 1999:
            if not (k and words[k - 1] in _NOT_PAST) and not (k > 1 and words[k - 1] == "in" and words[k - 2] in _NOT_PAST):
                out.append(k)
        elif any(tuple(words[k : k + len(war)]) == war for war in _PAST_WARS):
            out.append(k)
    return out


def _enemy_named(words: Sequence[str], verb: int, reach: int | None) -> bool:
    """Whether the other side's fighters are named within ``reach`` words after a source's
    verb as what was struck ("said the strike targeted Hamas militants"), not after "by" as
    who did something ("footage ... had been staged by militants")."""
    said = words[verb + 1 :][:reach]
    return any(w in _ENEMY and not (k and said[k - 1] == "by") for k, w in enumerate(said))


def _clause_end(tokens: Tokens, verb: int) -> int | None:
    """How many words after ``verb`` its clause runs (to a semicolon or colon); None: to the
    end. "The Herald sent the Israeli military questions about the strike; it referred to a
    statement saying militants were present": the militants are not what it said it struck."""
    for k in range(verb, len(tokens.words) - 1):
        if ";" in tokens.gaps[k] or ":" in tokens.gaps[k]:
            return k - verb
    return None


def _self_reach(verb: int, doing: Sequence[int], acts: Iterable[tuple[int, int]]) -> int:
    """How many words after a source's verb a reference to itself makes it the doer: up to
    the next doer named and the fact's last action term after the verb. A speaker of its own
    act names itself first ("said its jets struck", "said it had targeted"); "claim that a
    clinic was hit by an aerial bomb, but they have offered no evidence" and "... was struck
    from the air; the military says its troops came under fire" speak of something else.
    0 when no action term follows the verb."""
    later = [a for a, _ in acts if a > verb]
    if not later:
        return 0
    reach = max(later) - verb - 1
    return min(reach, next((s - verb - 1 for s in doing if s > verb), reach))


def _of_itself(words: Sequence[str], stop: int | None = None) -> bool:
    """Whether a speaker's words (up to ``stop``) refer back to itself ("said its jets ...",
    "It said they struck ..."), not to itself speaking again ("an attack that they blame on
    Ukraine"), looking into what others report ("said it was aware of reports ...") or
    reacting to it ("said it was deeply concerned by attacks")."""
    return any(
        w in _SELF
        and not _SELF_SPEAKS.intersection(words[k + 1 : k + 2])
        and not _SELF_REVIEWS.intersection(words[k + 1 : k + 3])
        and not _SELF_CONCERNED.intersection(words[k + 1 : k + 4])
        for k, w in enumerate(words[:stop])
    )


#: Words before an age in commas that make it a person's age ("their son Andriy, 15,").
_KIN = frozenset(
    "son daughter brother sister child boy girl nephew niece grandson granddaughter cousin".split()
)


def _blamed(words: Sequence[str], blames: Sequence[tuple[int, int]],
            named: Sequence[tuple[int, int, int, str]]) -> dict[int, str]:
    """The actors a blaming sentence blames (fact -> term), not the ones blaming: "Russia
    blamed Ukraine" blames Ukraine, "He accuses Ukraine of the attack, and Russia's foreign
    ministry called it terrorism" not Russia. The blamed follows an active "blame"/"accuse",
    "carried out by", "attributed to" (with the actors coordinated with it: "by both Russian
    and Syrian jets"); it comes just before "responsible", "was behind" or a passive "was
    blamed" ("The IDF holds Hamas responsible": Hamas, not the IDF)."""
    out: dict[int, str] = {}
    for b_start, b_end in blames:
        word = words[b_start]
        # "was blamed", "has been accused" (not "are blaming")
        passive = word.endswith("ed") and bool(_PASSIVE.intersection(words[max(0, b_start - 2) : b_start]))
        if word.startswith(("blam", "accus")) and not passive or words[b_end - 1] in ("by", "to"):
            after = sorted((s, e, f, t) for s, e, f, t in named if b_end <= s <= b_end + _BLAMED_REACH)
            if not after:
                continue
            chosen, last = [after[0]], after[0][1]  # last: where the chosen actors end
            for s, e, f, t in after[1:]:
                if s < last or set(words[last:s]) <= _BLAMED_TOGETHER:
                    chosen.append((s, e, f, t))
                    last = max(last, e)
        else:
            before = [(s, e, f, t) for s, e, f, t in named if e <= b_start]
            last = max((e for _, e, _, _ in before), default=-1)
            if not before or last < b_start - _BLAMED_REACH:
                continue
            # the actor that ends last, with every term overlapping it ("Kyiv regime", "Kyiv")
            nearest = min(s for s, e, _, _ in before if e == last)
            chosen = [(s, e, f, t) for s, e, f, t in before if e > nearest]
        for _s, _e, f, t in chosen:
            out.setdefault(f, t)
    return out


def _blamed_on(words: Sequence[str], start: int) -> bool:
    """Whether an exclude term at ``start`` ("on Ukraine": a target) is the "on" of a blame
    word before it, which names the accused: "officials blamed the attack on Ukraine's armed
    forces", "blames every attack on Kyiv"."""
    return words[start] == "on" and any(
        w.startswith("blam") for w in words[max(0, start - _BLAMED_REACH - 1) : start])


def _event_theatres(named: Sequence[frozenset[str]]) -> set[str]:
    """The wars an event is in: those at least two of its articles name (each article stays
    in the wars it names itself), so one report's aside ("In Damascus, a delegation of
    Palestinian factions met officials") does not put a Gaza strike into Syria's war; the
    wars any of them names when none is named twice."""
    counts = Counter(t for theatres in named for t in theatres)
    return {t for t, n in counts.items() if n >= 2} or set(counts)


def _unnamed(infos: Sequence[_Sentence]) -> list[int]:
    """The sentences that name no actor (of any fact) and do not follow one that does:
    where the second opinion's ``attribute`` may not find a doer."""
    return [k for k in range(len(infos)) if not infos[k].actors and not (k and infos[k - 1].actors)]


def _mark_minor_ages(tokens: Tokens) -> None:
    """Let an age under 18 set off by commas after a name or a kin word ("Polina, 16, was
    on her way", "her brother, 14, survived", "Noa, six,", "Yamen, who was nine") also read as
    the word "minor", so a catalogue that lists "minor" among its child words counts it; an
    older age so placed ("Miriam Azoulay, 62,") reads as "person". "Kyiv, 16 people ..." is no
    age: the number must be followed by a comma, a closing parenthesis or a full stop."""
    words = tokens.words
    for i in range(1, len(words)):
        before = tokens.gaps[i - 1]
        if not ("," in before or "(" in before):  # checked first: most words have no comma before
            continue
        w = words[i]
        after = tokens.gaps[i] if i < len(tokens.gaps) else "."
        if not _age(w, adult=True) or not any(c in after for c in ",)."):
            continue
        if tokens.raw[i - 1][:1].isupper() or words[i - 1] in _KIN:
            # a person named with an age is no soldier: news gives soldiers ranks, not ages
            tokens.alts[i] = (*tokens.alts.get(i, ()), "minor" if _age(w) else "person")
    # ... and "who is four", "who was 12," after a kin word or a name ("Her grandson, who is four,")
    for i in (k + 2 for k, w in enumerate(words) if w == "who" and 1 <= k < len(words) - 2):
        if words[i - 1] in ("is", "was") and _age(words[i]) and (
            i + 1 >= len(words) or any(c in tokens.gaps[i] for c in ",.;)") or words[i + 1] == "and"
        ) and "," in tokens.gaps[i - 3]:
            tokens.alts[i] = (*tokens.alts.get(i, ()), "minor")


#: Ages in words, for "who is four".
_AGE_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen".split()
)


def _age(word: str, adult: bool = False) -> bool:
    """Whether a word is an age under 18 ("4", "four"), or any age (up to 110) when ``adult``."""
    if word in _AGE_WORDS:
        return True
    return len(word) <= 3 and word.isascii() and word.isdigit() and 0 < int(word) < (111 if adult else 18)


#: Numbers that count people in casualty reports ("killing 14", "six dead", "dozens wounded").
_COUNTS = frozenset(
    """two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred dozen
    dozens scores hundreds thousands""".split()
)
#: Casualty words a count sits right after ("14 killed") or right before ("killing 14").
_HURT = frozenset("killed dead wounded injured hurt died".split())
_HURTING = frozenset("killing killed kills wounding wounded wounds injuring injured injures".split())
#: Words between a casualty word and its count ("killing at least 14").
_ABOUT = frozenset("at least some about around nearly almost over more than up to another a further".split())
#: A count of these is of combatants, not people ("killing 20 militants", "20 of the fighters":
#: a count followed by "of" names its people after it, where the context words look for them).
_COMBATANTS = frozenset(
    """soldier soldiers fighter fighters militant militants terrorist terrorists troops serviceman
    servicemen gunman gunmen insurgent insurgents rebel rebels militiaman militiamen jihadist
    jihadists mercenary mercenaries combatant combatants personnel members member of""".split()
)


#: How many words after a count may still say who was counted ("three Israeli soldiers").
_COUNTED_REACH = 3


def _phrase(tokens: Tokens, start: int, reach: int) -> list[str]:
    """Up to ``reach`` words from ``start``, not past a comma, semicolon or colon."""
    out = []
    for k in range(start, min(start + reach, len(tokens.words))):
        if k > start and ends_clause(tokens.gaps[k - 1]):
            break
        out.append(tokens.words[k])
    return out


def _mark_counts(tokens: Tokens) -> None:
    """Let a count next to a casualty word ("killing at least 14", "6 dead, 40 hurt", "wounded
    eight") also read as the word "people": news counts the dead without naming them, and
    the rules count people not named as combatants. A count followed by a combatant word
    ("killing 20 militants") is not marked."""
    words = tokens.words
    for i, w in enumerate(words):
        if not ((w.isdigit() and w.isascii() and len(w) <= 6) or w in _COUNTS):
            continue
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt == "of" and i + 2 < len(words) and words[i + 2] in _HURT:
            nxt = words[i + 2]  # "dozens of dead"
        elif _COMBATANTS.intersection(_phrase(tokens, i + 1, _COUNTED_REACH)):
            continue  # "wounded three Israeli soldiers", "two Syrian army servicemen"
        j = i - 1
        while j >= 0 and words[j] in _ABOUT:
            j -= 1
        if nxt in _HURT or (j >= 0 and words[j] in _HURTING):
            tokens.alts[i] = (*tokens.alts.get(i, ()), "people")


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a + b))
