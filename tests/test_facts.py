"""Fact catalogue: term matching, per-article states, facts.yaml validation, sentence splitting.

Matching is tested through small catalogues written here (so a test names its own terms);
the shipped facts.yaml is tested for loading and a few sentences a researcher would check
first. All sentences are invented for these tests.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import pytest
import yaml
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.errors import ConfigError
from narratives.facts import (
    STATE_RANK,
    Fact,
    FactCatalogue,
    FactMatcher,
    Mention,
    load_facts,
    parse_facts_yaml,
)
from narratives.terms import TermError, inflections, parse_term
from narratives.text import split_sentences

MESSAGE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<key>.+?): (?P<what>.+)\. Fix: (?P<fix>.+)$")

CATALOGUE = """\
facts:
  - id: russian_airstrikes
    label: Russian airstrikes
    description: Air raids by Russia's air force.
    actor: [Russia, Russian, Moscow, VKS]
    action: [air strike, bomb, warplane]
  - id: hospital_strike
    label: Strike on a hospital
    description: A hospital or clinic hit.
    action: [bomb, shell, strike]
    context: [[hospital, clinic]]
  - id: displacement
    label: Displacement
    description: People fleeing.
    action: [flee, fled, displace]
    exclude: [refugee camp]
"""


@pytest.fixture(scope="module")
def matcher() -> FactMatcher:
    return FactMatcher(parse_facts_yaml(CATALOGUE, "test.yaml"))


@pytest.fixture(scope="module")
def shipped() -> FactMatcher:
    return FactMatcher(load_facts(REPO / "facts.yaml"))


def one(term: str, actor: tuple[str, ...] = ()) -> FactMatcher:
    """A matcher for one fact whose only action term is ``term``."""
    fact = Fact(id="f", label="F", description="test", actor=actor, action=(term,))
    # no vehicles: a term matches on its own, without an attack word ("Two UAVs were downed.")
    return FactMatcher(FactCatalogue(facts=(fact,), path="test", vehicles=()))


def matches(term: str, sentence: str) -> bool:
    return one(term).states([sentence])["f"] != "absent"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# ----------------------------------------------------------------------------- matching terms


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("bomb", "Jets bombed the town."),
        ("bomb", "The bombing went on."),
        ("bomb", "Two bombs fell."),
        ("strike", "Missiles kept striking the port."),
        ("strike", "The strikes stopped."),
        ("shell", "Troops shelled the village."),
        ("shell", "Shelling resumed at dawn."),
        ("casualty", "Casualties were reported."),
        ("die", "Dozens are dying."),
        ("flee", "Families were fleeing."),
        ("target", "It targeted a depot."),
        ("target", "They were targetting depots."),  # doubling accepted either way
        ("ban", "Flights were banned."),
        ("deny", "Moscow denies it."),
        ("occupy", "The occupied territories."),
        ("Russia", "Russia's jets flew."),  # possessive
        ("Russia", "Russia\u2019s jets flew."),  # typographic apostrophe
        ("Russian", "The Russians' jets flew."),  # plural possessive
    ],
)
def test_inflections_and_possessives_match(term, sentence):
    assert matches(term, sentence)


def test_terms_written_in_capitals_are_acronyms():
    assert matches("IDF", "IDF said") and not matches("IDF", "Idf said")
    assert matches("RUSSIA", "RUSSIA said") and not matches("RUSSIA", "Russia said")
    assert matches("Russia", "RUSSIA SAID")  # other terms ignore case, in headlines too


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("Russian", "The Prussian army marched."),
        ("Iran", "An Iranian official spoke."),
        ("war", "A warning was issued."),
        ("ban", "The bank closed."),
        ("hit", "A white flag."),
        ("rocket", "Rocketry advanced."),
        ("US", "They told us nothing."),  # acronyms match only in capitals
        ("US", "Us and them."),
        ("удар", "Нанесён авиаудар."),  # no inflection and whole words for Cyrillic too
        ("mine=", "Mining resumed."),  # = switches inflection off
        ("mine=", "Two mines exploded."),
        ("air strike", "The air, strike and sea forces."),  # punctuation between words
        ("jet", "Jetty repairs."),
    ],
)
def test_word_boundaries_never_match_inside_words(term, sentence):
    assert not matches(term, sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "An air strike hit.",
        "An air-strike hit.",
        "An airstrike hit.",
        "Airstrikes hit.",
        "Air  strikes hit.",
        "Air\tstrikes hit.",
        "Air \u2013 strikes hit.",
        "Air\u2011strike hit.",
        "AIR STRIKES HIT.",
    ],
)
def test_multiword_terms_match_spacing_hyphens_and_closed_compounds(sentence):
    assert matches("air strike", sentence)


def test_hyphenated_term_and_closed_compound_are_the_same_term():
    assert matches("cease-fire", "The ceasefire held.") and matches("cease-fire", "The cease fire held.")
    assert not matches("airstrike", "An air strike hit.")  # documented: write the spaced form
    assert matches("Russian air force", "The Russian air force's jets.")


@pytest.mark.parametrize(
    ("term", "sentence"),
    [
        ("US", "The US said so."),
        ("IDF", "The IDF's statement."),
        ("UAV", "Two UAVs were downed."),
        ("ВКС", "Российские ВКС нанесли удар."),
        ("U.S.", "U.S. officials said."),
        ("авиаудар*", "Сообщается об авиаударах по Идлибу."),
        ("наёмник*", "Иностранные наемники воевали."),  # ё and е are one letter
        ("غارة", "الغارة على المستشفى"),  # Arabic proclitic al-
        ("غارة", "وغارة أخرى"),  # wa- "and"
        ("غارة", "غَارَةٌ جوية"),  # harakat are ignored
        ("إسرائيل", "قالت اسرائيل"),  # alef forms are one letter
        ("frappe aérienne", "Des frappes aériennes ont touché la ville."),
        ("aérienne", unicodedata.normalize("NFD", "Une frappe aérienne.")),  # decomposed accents
    ],
)
def test_acronyms_and_non_english_terms(term, sentence):
    assert matches(term, sentence)


def test_inflection_rules():
    assert inflections("strike") == {"strike", "strikes", "striked", "striking"}
    assert {"bombed", "bombing", "bombs"} < inflections("bomb")
    assert {"shelled", "shelling"} < inflections("shell") and "shellled" not in inflections("shell")
    assert {"casualties", "casualty"} < inflections("casualty")
    assert inflections("us") == {"us"} and inflections("авиаудар") == {"авиаудар"}


@pytest.mark.parametrize(
    ("term", "fix"),
    [
        ("airstrike(s)", "write 'airstrike'"),
        ("air|strike", "not regular expressions"),
        ("bomb[s]", "not regular expressions"),
        ("bomb*=", "drop the ="),
        ("ab*", "longer stem"),
        ("-ing", "whole words"),
        ("...", "write a word"),
    ],
)
def test_bad_terms_are_refused_with_a_fix(term, fix):
    with pytest.raises(TermError, match=re.escape(fix)):
        parse_term(term)


# ----------------------------------------------------------------------------- states


def test_attributed_agentless_absent(matcher):
    assert (
        matcher.states(["Russian warplanes bombed a market in Ariha."])["russian_airstrikes"] == "attributed"
    )
    assert matcher.states(["Airstrikes hit Kafr Nabl on Tuesday."])["russian_airstrikes"] == "agentless"
    assert matcher.states(["The market was bombed."])["russian_airstrikes"] == "agentless"
    assert matcher.states(["Rain fell on Idlib."]) == {
        "russian_airstrikes": "absent",
        "hospital_strike": "absent",
        "displacement": "absent",
    }
    assert matcher.states([]) == dict.fromkeys(
        ("russian_airstrikes", "hospital_strike", "displacement"), "absent"
    )


def test_mention_carries_its_evidence(matcher):
    sentences = ["Rain fell.", "Two Russian air-strikes hit Ariha, monitors said."]
    [m] = [m for m in matcher.mentions(sentences) if m.fact_id == "russian_airstrikes"]
    assert m == Mention(
        fact_id="russian_airstrikes",
        state="attributed",
        sentence_index=1,
        sentence=sentences[1],
        action_term="air strike",
        actor_term="Russian",
        actor_where="sentence",
        cues=(),
    )


def test_fact_without_actor_is_attributed_when_carried(matcher):
    [m] = matcher.mentions(["Thousands fled Saraqeb."])
    assert (m.fact_id, m.state, m.actor_term, m.actor_where) == ("displacement", "attributed", None, None)


def test_context_groups_must_occur_in_the_action_sentence(matcher):
    assert matcher.states(["A clinic was shelled."])["hospital_strike"] == "attributed"
    assert matcher.states(["A market was shelled."])["hospital_strike"] == "absent"
    assert matcher.states(["The clinic stood empty.", "A market was shelled."])["hospital_strike"] == "absent"


@pytest.mark.parametrize(
    "sentences",
    [
        [
            "Russia's defence ministry said it was targeting militants.",
            "Its aircraft bombed a market in Ariha.",
        ],
        ["Moscow sent more aircraft to Hmeimim.", "They bombed Ariha on Tuesday."],
        ["Moscow sent more aircraft to Hmeimim.", "On Tuesday, the warplanes bombed Ariha."],
        # a chain of back-references
        ["Russian pilots arrived in Latakia.", "They flew north.", "They bombed Ariha."],
    ],
)
def test_actor_in_the_previous_sentence_with_a_back_reference(matcher, sentences):
    [m] = [m for m in matcher.mentions(sentences) if m.fact_id == "russian_airstrikes"]
    assert (m.state, m.actor_where, m.sentence_index) == ("attributed", "previous", len(sentences) - 1)


@pytest.mark.parametrize(
    "sentences",
    [
        ["Russia's defence ministry held a briefing.", "A market in Ariha was bombed."],  # no reference
        [
            "Russia's defence ministry held a briefing.",
            "It was not clear who bombed the market.",
        ],  # expletive it
        ["Russian diplomats met in Geneva.", "They were killed when a market was bombed."],  # passive they
        [
            "Russia's defence ministry held a briefing.",
            "A market in the north was bombed, its owner said.",
        ],  # late
        ["Russian pilots arrived.", "Rain fell.", "They bombed Ariha."],  # not the immediately preceding one
        ["Russia's defence ministry held a briefing.", "Residents said their market was bombed."],  # reported
        ["They bombed Ariha.", "Russia's ministry held a briefing."],  # a reference looks back, not forward
        ["Airstrikes hit a market.", "Russia's foreign minister arrived in Ankara."],  # next, without blame
    ],
)
def test_actor_in_a_neighbouring_sentence_without_a_link_is_agentless(matcher, sentences):
    assert matcher.states(sentences)["russian_airstrikes"] == "agentless"


def test_actor_in_the_next_sentence_that_blames_it(matcher):
    [m] = [m for m in matcher.mentions(["Airstrikes hit a market in Ariha.", "Activists blamed Russia."])]
    assert (m.state, m.actor_term, m.actor_where, m.sentence_index) == ("attributed", "Russia", "next", 0)
    [m] = matcher.mentions(["Airstrikes hit a market in Ariha.", "Moscow denied responsibility."])
    assert (m.state, m.actor_where, m.cues) == ("attributed", "next", ("denied",))


@pytest.mark.parametrize(
    ("blame", "state"),
    [
        # an accusation of another act blames no one for this one
        ("Activists accused Russia of using cluster munitions in Idlib.", "agentless"),
        ("Activists accused Russia of systematically hitting hospitals.", "agentless"),
        ("Activists accused Russia of hiding what it does in Idlib.", "agentless"),  # a pronoun is no act
        # ... but an accusation of the act referred back to does, as a plain blame does
        ("Activists accused Russia of the attack.", "attributed"),
        ("Activists accused Russia of carrying out the raid.", "attributed"),
        ("Activists accused Russia.", "attributed"),
        ("Activists accuse Russia, which denies it.", "attributed"),
    ],
)
def test_an_accusation_blames_for_the_previous_act_only_when_it_is_of_that_act(shipped, blame, state):
    [m] = [m for m in shipped.mentions(["Airstrikes hit a market in Ariha.", blame])
           if m.fact_id == "russian_airstrikes" and m.sentence_index == 0]
    assert m.state == state
    assert m.actor_where == ("next" if state == "attributed" else None)


def _next_actor(matcher: FactMatcher, first: str, blame: str) -> dict[str, str | None]:
    """fact -> actor of the first sentence's mentions, when it came from the next sentence."""
    return {m.fact_id: m.actor_term for m in matcher.mentions([first, blame])
            if m.sentence_index == 0 and m.actor_where == "next"}


@pytest.mark.parametrize(
    ("blame", "doers"),
    [
        # the blamed follows an active "blame"/"accuse" ...
        ("Russia blamed Ukraine for the attack.", {"ukrainian_strikes": "Ukraine"}),
        ("Russian officials blame Ukrainian forces for the attack.", {"ukrainian_strikes": "Ukrainian"}),
        ("He accuses Ukraine of carrying out the attack, and Russia's foreign ministry has called it "
         "an act of terrorism.", {"ukrainian_strikes": "Ukraine"}),
        ("Activists blamed the attack on Russian forces.", {"russian_missile_strikes": "Russian"}),
        # ... or comes just before "responsible", "responsibility", "was behind", a passive "was blamed"
        ("Ukraine was blamed for the attack.", {"ukrainian_strikes": "Ukraine"}),
        ("Moscow has denied any responsibility.", {"russian_missile_strikes": "Moscow"}),
        # whoever blames is not the doer: no one named after the blame word, no one blamed
        ("Russia alleged that the attack was staged, a claim the group it blamed has denied.", {}),
        ("The Russian foreign ministry called the attack a terrorist act and said Western countries that "
         "arm the Kyiv regime share responsibility.", {"ukrainian_strikes": "Kyiv"}),
        ("Russia's defence ministry said it had hit workshops and blamed Ukrainian air defences for the "
         "damage.", {}),
    ],
)
def test_the_next_sentence_gives_the_act_to_whom_it_blames_not_to_whoever_blames(shipped, blame, doers):
    first = "A drone hit a bus on the outskirts of the Russian city of Belgorod, killing four people."
    found = _next_actor(shipped, first, blame)
    assert {f: found[f] for f in found if f in ("ukrainian_strikes", "russian_missile_strikes")} == doers


def test_the_blamed_are_the_actors_coordinated_after_carried_out_by_and_the_nearest_before_responsible(shipped):
    found = _next_actor(shipped, "Airstrikes hit a market in Ariha.",
                        "Residents said the bombing was carried out by both Russian and Syrian jets.")
    assert found.get("russian_airstrikes") == "Russian" and found.get("syrian_government_airstrikes")
    # "The IDF holds Hamas responsible": Hamas, not the IDF
    found = _next_actor(shipped, "Rockets were fired at Sderot overnight.",
                        "The IDF holds Hamas responsible for all fire from the Gaza Strip.")
    assert found.get("hamas_rocket_fire") == "Hamas" and "israeli_airstrikes" not in found


@pytest.mark.parametrize(
    ("sentence", "state"),
    [
        # a place named for children is no child hurt
        ("Shrapnel pierced the windows of the children's ward in Gaza City.", "absent"),
        ("A drone hit a children's clinic in Kharkiv, killing two members of staff.", "absent"),
        # ... but children hurt there are
        ("A drone hit a children's clinic in Kharkiv, killing two boys.", "attributed"),
        ("Two children were wounded at the children's hospital in Kharkiv.", "attributed"),
    ],
)
def test_a_place_named_for_children_is_no_child_hurt(shipped, sentence, state):
    assert shipped.states([sentence])["child_casualties"] == state


def test_a_generic_verb_a_few_words_after_another_weapon_is_that_weapons(shipped):
    title = "Israeli army reports rocket fire."  # in the war where Israel strikes
    states = shipped.states([title, "A rocket fired from Gaza struck a house in Ashkelon, injuring a boy."])
    assert (states["israeli_airstrikes"], states["hamas_rocket_fire"]) == ("absent", "agentless")
    # ... but not one far from it
    far = "A rocket was fired from Gaza overnight, sirens sounded across the south, and later a strike hit Rafah."
    assert shipped.states([title, far])["israeli_airstrikes"] == "agentless"


@pytest.mark.parametrize(
    ("sentence", "state"),
    [
        # mortar fire is not rocket fire (the fact's label); rockets are
        ("Israel closed the Kerem Shalom crossing after Hamas fighters fired mortars at the terminal.", "absent"),
        ("Israel closed the Kerem Shalom crossing after mortar shells were fired at it from Gaza.", "absent"),
        ("Hamas fired a barrage of rockets at Ashkelon.", "attributed"),
        ("Israel closed Kerem Shalom after mortar and rocket fire by Hamas.", "attributed"),
        # a barrage of words is no barrage
        ("In Sderot, the mayor faced a barrage of criticism from residents over the Gaza truce.", "absent"),
    ],
)
def test_rocket_fire_is_rockets_not_mortars_nor_a_barrage_of_words(shipped, sentence, state):
    assert shipped.states([sentence])["hamas_rocket_fire"] == state


_BLAME_WORDS = ("blamed accused was is responsible responsibility behind carried out by attributed to of for "
                "the attack Russia Russian Ukraine Kyiv regime Hamas IDF and both jets drones said it "
                "denied any holds officials").split()


@settings(max_examples=300, deadline=None)
@given(blame=st.lists(st.sampled_from(_BLAME_WORDS), min_size=1, max_size=14).map(" ".join))
def test_a_blaming_sentence_of_any_words_gives_the_act_only_to_an_actor_it_names(shipped, blame):
    first = "Airstrikes and drones hit a market in Ariha."
    for m in shipped.mentions([first, blame + "."]):
        if m.sentence_index == 0 and m.actor_where == "next":
            assert m.actor_term.lower() in blame.lower()


@pytest.mark.parametrize(
    ("sentence", "fact", "state"),
    [
        # an actor after "of" after a target noun is the target
        ("Russia's Defence Ministry said missiles hit a deployment point of Ukrainian troops.",
         "ukrainian_strikes", "absent"),
        ("Drones struck positions of the Syrian army near Saraqib.", "syrian_government_airstrikes", "absent"),
        # an actor right before "air defences" defends
        ("Russian air defences destroyed a further 14 drones over the region.", "russian_missile_strikes", "absent"),
        # an actor after "around"/"outside" is a place
        ("Homes in and around Kyiv lost power after a plant was struck by missiles.", "ukrainian_strikes", "absent"),
        ("The Kerem Shalom crossing between Israel and the Gaza Strip was closed to aid trucks.",
         "aid_blocked", "agentless"),
        # an actor before a rank and a target noun is the target
        ("Kharkiv, Ukraine's second-largest city, lies close enough for missiles to land within a minute.",
         "ukrainian_strikes", "absent"),
        ("Israel's largest air strike in months hit Gaza City.", "israeli_airstrikes", "attributed"),
        # ... the word right after it only
        ("Russian jets bombed villages around Ariha in Idlib.", "russian_airstrikes", "attributed"),
        ("In Idlib, Russian jets bombed villages outside Ariha.", "russian_airstrikes", "attributed"),
    ],
)
def test_targets_defenders_and_places_are_not_the_doer(shipped, sentence, fact, state):
    assert shipped.states([sentence])[fact] == state


@pytest.mark.parametrize(
    ("sentence", "cues"),
    [
        ("Moscow denied its warplanes bombed the market.", ("denied",)),
        ("Russia said reports of airstrikes were fake and staged.", ("fake", "staged")),
        ("Russian jets allegedly bombed Ariha, but there was no evidence.", ("allegedly", "no evidence")),
        (
            "Moscow rejected claims that it bombed the market, calling them a provocation.",
            ("rejected", "claims", "provocation"),
        ),
        (
            "The bombing by Russian jets could not be independently verified.",
            ("could not be independently verified",),
        ),
    ],
)
def test_denials_and_hedges_are_recorded_and_do_not_change_the_state(matcher, sentence, cues):
    [m] = matcher.mentions([sentence])
    assert (m.state, m.cues) == ("attributed", cues)
    assert matcher.states([sentence])["russian_airstrikes"] == "attributed"


def test_cues_of_the_sentence_that_named_the_actor_are_kept(matcher):
    [m] = matcher.mentions(
        ["Moscow denied it was operating over Ariha.", "Its aircraft bombed no market, it said."]
    )
    assert (m.actor_where, m.cues) == ("previous", ("denied",))


def test_excluded_phrases_do_not_count(matcher):
    assert (
        matcher.states(["Syrian pilots flying Russian-made warplanes struck Idlib."])["russian_airstrikes"]
        == "agentless"
    )
    assert matcher.states(["Pro-Russian fighters bombed the town."])["russian_airstrikes"] == "agentless"
    assert matcher.states(["Shelling hit the Jabalia refugee camp."])["displacement"] == "absent"
    assert matcher.states(["Thousands fled to the refugee camp."])["displacement"] == "attributed"


def test_a_term_covering_the_whole_excluded_phrase_still_counts():
    fact = Fact(id="f", label="F", description="d", actor=("pro-Russian separatists",), action=("shell",))
    m = FactMatcher(FactCatalogue(facts=(fact,)))
    assert m.states(["Pro-Russian separatists shelled Donetsk."])["f"] == "attributed"
    assert m.states(["Pro-Russian activists shelled nothing."])["f"] == "agentless"


def test_the_best_state_wins_and_mentions_are_in_order(matcher):
    sentences = ["A clinic was bombed.", "Russian warplanes bombed it again.", "Thousands fled."]
    found = matcher.mentions(sentences)
    assert [(m.sentence_index, m.fact_id, m.state) for m in found] == [
        (0, "russian_airstrikes", "agentless"),
        (0, "hospital_strike", "attributed"),
        (1, "russian_airstrikes", "attributed"),
        (2, "displacement", "attributed"),
    ]
    assert matcher.states(sentences)["russian_airstrikes"] == "attributed"
    assert STATE_RANK == {"absent": 0, "unresolved": 1, "agentless": 2, "attributed": 3}


def test_terms_in_explains_a_sentence(matcher):
    assert ("Russian", "actor", "russian_airstrikes") in matcher.terms_in("Russian jets bombed it.")
    assert ("bomb", "action", "hospital_strike") in matcher.terms_in("Russian jets bombed it.")


# ----------------------------------------------------------------------------- properties

FILLER = [
    "the",
    "weather",
    "in",
    "town",
    "was",
    "mild",
    "and",
    "markets",
    "opened",
    "early",
    "officials",
    "met",
]
WORDS = FILLER + [
    "Russian",
    "Moscow's",
    "warplanes",
    "bombed",
    "airstrikes",
    "air",
    "strike",
    "clinic",
    "they",
    "its",
    "denied",
    "fled",
    "blamed",
    "refugee",
    "camp",
    "it",
    "was",
    "Russian-made",
    "hospital",
]
sentence_st = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(lambda ws: " ".join(ws) + ".")
article_st = st.lists(sentence_st, max_size=6)


def _recase_and_respace(sentence: str, data: st.DataObject) -> str:
    chars = [c.upper() if c.isalpha() and data.draw(st.booleans()) else c.lower() for c in sentence]
    out = "".join(chars)
    return re.sub(" ", lambda _m: data.draw(st.sampled_from([" ", "  ", "\t", " \n "])), out)


@settings(max_examples=150, deadline=None)
@given(article=article_st, data=st.data())
def test_states_ignore_letter_case_and_extra_white_space(matcher, article, data):
    changed = [_recase_and_respace(s, data) for s in article]
    assert matcher.states(changed) == matcher.states(article)


@settings(max_examples=150, deadline=None)
@given(
    article=article_st, before=st.lists(st.sampled_from(FILLER), min_size=1).map(" ".join), after=sentence_st
)
def test_adding_sentences_never_lowers_a_state(matcher, article, before, after):
    states = matcher.states(article)
    # an unrelated sentence before, and any sentence after, the article
    widened = matcher.states([before + ".", *article, after])
    assert all(STATE_RANK[widened[f]] >= STATE_RANK[s] for f, s in states.items())
    assert matcher.states([before + ".", *article, before + "."]) == states


@settings(max_examples=200, deadline=None)
@given(article=st.lists(st.text(max_size=80), max_size=5))
def test_any_text_is_matched_without_error(shipped, article):
    for m in shipped.mentions(article):
        assert m.sentence == article[m.sentence_index]
        assert m.action_term in shipped.catalogue.get(m.fact_id).action
    assert set(shipped.states(article)) == set(shipped.catalogue.ids())


# ----------------------------------------------------------------------------- facts.yaml validation


def problems(text: str) -> list[re.Match[str]]:
    with pytest.raises(ConfigError) as info:
        parse_facts_yaml(text, "my-facts.yaml")
    found = [MESSAGE.match(p) for p in info.value.problems]
    assert all(found), info.value.problems
    assert all(m["path"] == "my-facts.yaml" for m in found)
    return found  # type: ignore[return-value]


def fact_yaml(**fields: str) -> str:
    base = {"id": "f1", "label": "F", "description": "d", "actor": "[Russia]", "action": "[bomb]"}
    base.update(fields)
    return "facts:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in base.items() if v is not None) + "\n"


@pytest.mark.parametrize(
    ("text", "needle", "key", "what", "fix"),
    [
        (fact_yaml(actors="[Russia]"), "actors:", "facts[0].actors", "unknown key", "did you mean 'actor'"),
        (
            fact_yaml(acton="[bomb]", action=None),
            "acton:",
            "facts[0].acton",
            "unknown key",
            "did you mean 'action'",
        ),
        (fact_yaml(action="[]"), "action:", "facts[0] (f1).action", "empty list", "write [term, term"),
        (fact_yaml(actor="[]"), "actor:", "facts[0] (f1).actor", "empty list", "leave the key out"),
        (
            fact_yaml(action="[bomb, air(strike)]"),
            "action:",
            "facts[0] (f1).action[1]",
            "contains ( )",
            "not regular expressions",
        ),
        (fact_yaml(action="[airstrike(s)]"), "action:", "facts[0] (f1).action[0]", "uses (s)", "'airstrike'"),
        (
            fact_yaml(action="[bomb, Bomb]"),
            "action:",
            "facts[0] (f1).action[1]",
            "already matched by 'bomb'",
            "remove 'Bomb'",
        ),
        (
            fact_yaml(action="[bombed, bomb]"),
            "action:",
            "facts[0] (f1).action[0]",
            "already matched by 'bomb'",
            "-ed/-ing forms",
        ),
        (
            fact_yaml(action="[air strike, air-strikes]"),
            "action:",
            "facts[0] (f1).action[1]",
            "already matched",
            "hyphen/space variants",
        ),
        (
            fact_yaml(action="[bomb, 2024]"),
            "action:",
            "facts[0] (f1).action[1]",
            "expected a non-empty string",
            'put it in quotes, e.g. "2024"',
        ),
        (fact_yaml(action="[bomb, [jet]]"), "action:", "facts[0] (f1).action[1]", "got a list", "as text"),
        (fact_yaml(action="bomb"), "action:", "facts[0] (f1).action", "got 'bomb'", "write [term, term"),
        (
            fact_yaml(actor="[Russia, bomb]"),
            "action:",
            "facts[0] (f1).action",
            "also listed under actor",
            "keep the term in one group",
        ),
        (
            fact_yaml(context="[hospital]"),
            "context:",
            "facts[0] (f1).context",
            "list of term lists",
            "[[hospital",
        ),
        (fact_yaml(id="Russian-Airstrikes"), "id:", "facts[0].id", "is not valid", "lowercase letters"),
        (fact_yaml(action=None), "- id:", "facts[0].action", "missing", "add 'action:'"),
        (fact_yaml(topics="[Syria!]"), "topics:", "facts[0] (f1).topics[0]", "is not valid", "slug"),
        ("cue: [deny]\n" + fact_yaml(), "cue:", "(top).cue", "unknown key", "did you mean 'cues'"),
        (
            "cues: [deny, denied]\n" + fact_yaml(),
            "cues:",
            "cues[1]",
            "already matched by 'deny'",
            "remove 'denied'",
        ),
        ("facts: []\n", "facts:", "facts", "non-empty list", "add '- id:"),
        ("facts:\n  - id: [a\n", "id:", "(syntax)", "", "correct the YAML syntax"),
    ],
)
def test_each_problem_names_file_line_key_and_fix(text, needle, key, what, fix):
    found = problems(text)
    assert any(m["key"] == key and what in m["what"] and fix in m["fix"] for m in found), [
        m[0] for m in found
    ]
    m = next(m for m in found if m["key"] == key)
    if key != "(syntax)":
        assert int(m["line"]) == line_of(text, needle), m[0]


def test_duplicate_fact_ids_name_the_first_line():
    text = fact_yaml() + fact_yaml().removeprefix("facts:\n")
    [m] = problems(text)
    assert (m["key"], m["line"]) == ("facts[1].id", "7") and "also at line 2" in m["what"]


def test_every_problem_is_reported_at_once():
    text = fact_yaml(actors="[x]", action="[]", label="''") + "bogus: 1\n"
    keys = {m["key"] for m in problems(text)}
    assert keys == {"facts[0].actors", "facts[0] (f1).action", "facts[0] (f1).label", "(top).bogus"}


def test_bad_file_raises_before_anything_is_built(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text(fact_yaml(action="[air|strike]"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_facts(path)
    assert info.value.problems[0].startswith(f"{path}:6: ")
    with pytest.raises(ConfigError, match="not found. Fix: pass --facts"):
        load_facts(tmp_path / "missing.yaml")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="save it as UTF-8"):
        load_facts(path)
    with pytest.raises(ConfigError, match="the file is empty"):
        parse_facts_yaml("# nothing\n")


def test_the_default_catalogue_is_the_working_directorys_else_the_installed_one(tmp_path, monkeypatch):
    import tomllib

    from narratives.facts_config import default_facts_path

    monkeypatch.chdir(tmp_path)
    installed = default_facts_path()
    # The package's copy is the repository's catalogue (a link that a wheel turns into bytes)...
    assert installed.is_absolute() and installed.read_bytes() == (REPO / "facts.yaml").read_bytes()
    assert len(load_facts(installed).facts) >= 15
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "facts.yaml" in pyproject["tool"]["setuptools"]["package-data"]["narratives"]
    # ... and a researcher's own facts.yaml in the working directory wins.
    (tmp_path / "facts.yaml").write_text(fact_yaml(), encoding="utf-8")
    assert default_facts_path().resolve() == (tmp_path / "facts.yaml").resolve()


def test_valid_catalogue_is_frozen_and_keeps_the_shared_vocabularies():
    catalogue = parse_facts_yaml(
        "cues: [deny]\nexclude: [Russian-made]\n"
        + fact_yaml(context="[[hospital, clinic], [night]]", topics="[syria]")
    )
    fact = catalogue.get("f1")
    assert fact == Fact(
        id="f1",
        label="F",
        description="d",
        actor=("Russia",),
        action=("bomb",),
        context=(("hospital", "clinic"), ("night",)),
        topics=("syria",),
    )
    assert catalogue.cues == ("deny",) and catalogue.exclude == ("Russian-made",)
    assert catalogue.references == FactCatalogue(facts=()).references  # default kept
    assert catalogue.ids() == ("f1",)
    with pytest.raises(KeyError, match="no fact 'nope'"):
        catalogue.get("nope")
    with pytest.raises(AttributeError):
        fact.label = "changed"  # type: ignore[misc]


# ----------------------------------------------------------------------------- the shipped facts.yaml


def test_shipped_catalogue_loads_and_is_documented(shipped):
    catalogue = shipped.catalogue
    assert len(catalogue.facts) >= 15
    assert all(f.label and f.description and f.action for f in catalogue.facts)
    assert {t for f in catalogue.facts for t in f.topics} <= {"syria", "ukraine", "gaza"}
    terms = [t for f in catalogue.facts for t in (*f.actor, *f.action)]
    assert any(re.search("[а-я]", t) for t in terms) and any(re.search("[\u0600-\u06ff]", t) for t in terms)
    header = (REPO / "facts.yaml").read_text(encoding="utf-8").split("\nfacts:")[0]
    for documented in (
        "attributed",
        "agentless",
        "absent",
        "cues:",
        "references:",
        "blame:",
        "exclude:",
        " * ",
        " = ",
        "Prussian",
        "air-strike",
    ):
        assert documented in header


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        (["Russian warplanes bombed a market in Ariha."], "russian_airstrikes", "attributed"),
        (["Airstrikes hit Kafr Nabl, killing 12 civilians."], "russian_airstrikes", "agentless"),
        (["Airstrikes hit Kafr Nabl, killing 12 civilians."], "civilian_casualties", "attributed"),
        # Russian-made jets are not Russian ones: these are the Syrian pilots' strikes
        (["Syrian pilots flying Russian-made jets bombed the town."], "russian_airstrikes", "absent"),
        (["Syrian pilots flying Russian-made jets bombed the town."], "syrian_government_airstrikes", "attributed"),
        (["The Prussian army bombed the town near Idlib."], "russian_airstrikes", "agentless"),
        (["Российские ВКС нанесли авиаудары по Идлибу."], "russian_airstrikes", "attributed"),
        (["غارات روسية على مستشفى في إدلب"], "russian_airstrikes", "attributed"),
        (["غارات روسية على مستشفى في إدلب"], "hospital_strike", "attributed"),
        (["An Israeli air strike killed two children in Rafah."], "child_casualties", "attributed"),
        (["An Israeli air strike killed two children in Rafah."], "israeli_airstrikes", "attributed"),
        (["Shelling hit the Jabalia refugee camp."], "displacement", "absent"),
        (["The workers went on strike at the hospital."], "hospital_strike", "absent"),
        (["Barrel bombs fell on Daraya."], "barrel_bombs", "agentless"),
        # a country named as the place or the target is not the actor
        (["Russian drones attacked Ukraine overnight."], "russian_missile_strikes", "attributed"),
        # ... and an action done by a rival fact's actor is not an agentless one of this fact
        (["Russian drones attacked Ukraine overnight."], "ukrainian_strikes", "absent"),
        (
            ["Ukrainian drones hit a block of flats in the Russian city of Belgorod."],
            "russian_missile_strikes",
            "absent",
        ),
        (
            ["Ukrainian drones hit a block of flats in the Russian city of Belgorod."],
            "ukrainian_strikes",
            "attributed",
        ),
        (
            ["Warplanes from the Russian air base at Hmeimim bombed Idlib."],
            "russian_airstrikes",
            "attributed",
        ),
    ],
)
def test_shipped_catalogue_on_plain_sentences(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # another fact's actor, or an other_actors term, did it: no agentless mention
        (["Moscow's warplanes pound Ariha market in Idlib."], "israeli_airstrikes", "absent"),
        (["Moscow's warplanes pound Ariha market in Idlib."], "syrian_government_airstrikes", "absent"),
        (["Regime helicopters drop barrel bombs on Daraa."], "russian_airstrikes", "absent"),
        (["Turkish drone strike kills three in northeast Syria."], "israeli_airstrikes", "absent"),
        (["Hezbollah rockets hit the Galilee, Israel said."], "hamas_rocket_fire", "absent"),
        # ... but a target or a source is not the perpetrator
        (["Air strikes hit Hezbollah positions in southern Lebanon."], "israeli_airstrikes", "agentless"),
        (["Turkey said air strikes hit a market in Idlib."], "russian_airstrikes", "agentless"),
        # the action belongs to the nearest actor, unless they act together
        (
            ["Ukrainian officials in Kharkiv said the blast was caused by Russian missiles."],
            "ukrainian_strikes",
            "absent",
        ),
        (
            ["Ukrainian officials in Kharkiv said the blast was caused by Russian missiles."],
            "russian_missile_strikes",
            "attributed",
        ),
        (["Russian and Syrian jets struck Idlib."], "russian_airstrikes", "attributed"),
        (["Russian and Syrian jets struck Idlib."], "syrian_government_airstrikes", "attributed"),
        # theatres: no agentless strike outside the fact's wars, no actor-less fact outside them
        (["Airstrikes hit a market in Kharkiv, Ukraine."], "israeli_airstrikes", "absent"),
        (["Airstrikes hit a market in Kharkiv, Ukraine."], "russian_airstrikes", "agentless"),
        (["Dock workers strike halts traffic at Carrow port."], "israeli_airstrikes", "absent"),
        (["The union said its members were held hostage by management."], "hostages", "absent"),
        (["A museum was bombed in 1944, killing 30 people."], "civilian_casualties", "absent"),
        # word senses
        (["Nurses' strike at a hospital in Gaza enters its second day."], "hospital_strike", "absent"),
        (["Families in Gaza had to shell out for flour."], "ukrainian_strikes", "absent"),
        (["At least 20 children in Gaza have died of malnutrition."], "child_casualties", "absent"),
        (["An air strike in Gaza killed a 15-year-old."], "child_casualties", "attributed"),
        # fact shapes: hostages have no actor, a hospital strike has every attacker
        (["About 130 hostages are still held in Gaza."], "hostages", "attributed"),
        (["Israeli jets struck a hospital in Gaza."], "hospital_strike", "attributed"),
        (["Russian missiles hit a children's hospital in Kharkiv."], "hospital_strike", "attributed"),
        (["A hospital in Idlib was bombed."], "hospital_strike", "agentless"),
        # actors and paraphrases a catalogue should know
        (["Zionist warplanes bombed Khan Younis."], "israeli_airstrikes", "attributed"),
        (["Islamic Jihad fired rockets from Gaza at Sderot."], "hamas_rocket_fire", "attributed"),
        (
            ["Helicopters of the Syrian Arab Air Force bombed Daraa."],
            "syrian_government_airstrikes",
            "attributed",
        ),
        (
            ["Hundreds of families left Ariha for camps near the Turkish border."],
            "displacement",
            "attributed",
        ),
    ],
)
def test_shipped_catalogue_rules_for_agents_theatres_and_senses(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # a vehicle is an action only beside an attack word
        (["A resident of Idlib counted Russian jets over the camp."], "russian_airstrikes", "absent"),
        (["Regime helicopters dropped leaflets over Daraa."], "syrian_government_airstrikes", "absent"),
        (["Russian jets pounded Ariha in Idlib."], "russian_airstrikes", "attributed"),
        # a source is not the perpetrator of what it reports, unless it speaks of itself
        (
            ["Ukraine's air force said the building in Donetsk was hit by a missile."],
            "ukrainian_strikes",
            "agentless",
        ),
        (["Ukraine's army said its drones hit a depot in Donetsk."], "ukrainian_strikes", "attributed"),
        (
            ["The jets fired missiles at Ariha, according to Syrian military sources."],
            "syrian_government_airstrikes",
            "agentless",
        ),
        # possessive + target noun, and a place after a preposition, are targets
        (["Missiles knocked out Ukraine's grid near Donetsk."], "ukrainian_strikes", "agentless"),
        (
            ["The depot supplied fuel to Russian forces near Kharkiv before the strike."],
            "russian_missile_strikes",
            "agentless",
        ),
        (
            ["Two people were killed in Russian strikes on Kharkiv, Ukraine."],
            "russian_missile_strikes",
            "attributed",
        ),
        # ... but the accused after "blamed on" is the perpetrator
        (
            ["The bombing of the market in Idlib was blamed on government helicopters."],
            "syrian_government_airstrikes",
            "attributed",
        ),
        # a dateline in capitals is where the report was filed, not who acted
        (["MOSCOW — Airstrikes hit a market in Idlib."], "russian_airstrikes", "agentless"),
        # a noun back-reference links to the previous sentence's actor
        (
            [
                "Aid convoys stopped at the Syrian border after a Russian veto.",
                "The veto cut off aid to Idlib.",
            ],
            "aid_blocked",
            "attributed",
        ),
        # the next sentence blames its object, not its speaker; someone named here did it
        (
            ["A drone struck the Zaporizhzhia plant.", "Russia blamed Ukraine for the attack."],
            "russian_missile_strikes",
            "agentless",
        ),
        (
            ["A drone struck the Zaporizhzhia plant.", "Russia blamed Ukraine for the attack."],
            "ukrainian_strikes",
            "attributed",
        ),
        (
            ["Russian forces shelled Kherson overnight.", "Moscow blamed Ukrainian forces for the fire."],
            "ukrainian_strikes",
            "absent",
        ),
    ],
)
def test_shipped_catalogue_rules_for_roles_vehicles_and_datelines(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


def test_rivals_share_an_action_and_no_actor(shipped):
    ids = [fact.id for fact in shipped._facts]  # the catalogue's facts, then their also: rules
    rivals: dict[str, set[str]] = {}
    for f, gs in enumerate(shipped._rivals):
        rivals.setdefault(ids[f], set()).update(ids[g] for g in gs)
    assert "russian_airstrikes" in rivals["israeli_airstrikes"]
    assert "ukrainian_strikes" in rivals["russian_missile_strikes"]
    # same actors: not rivals; a fact whose actors include this one's (hospital_strike): not a rival
    assert "russian_missile_strikes" not in rivals["russian_airstrikes"]
    assert "hospital_strike" not in rivals["israeli_airstrikes"]
    assert rivals["civilian_casualties"] == set()


def test_theatres_and_other_actors_are_off_without_those_keys(matcher):
    assert matcher.catalogue.theatres == () and matcher.catalogue.other_actors == ()


def test_theatres_and_other_actors_are_validated():
    base = "facts:\n  - {id: a, label: A, description: d, actor: [X], action: [bomb], topics: [syria]}\n"
    good = parse_facts_yaml(base + "theatres:\n  syria: [Idlib]\nother_actors: [Turkish]\n")
    assert good.theatres == (("syria", ("Idlib",)),) and good.other_actors == ("Turkish",)
    with pytest.raises(ConfigError, match=r"theatres.syria\[1\]: 'idlib' is already matched"):
        parse_facts_yaml(base + "theatres:\n  syria: [Idlib, idlib]\n")
    with pytest.raises(ConfigError, match="theatres.gaza: no fact has this topic"):
        parse_facts_yaml(base + "theatres:\n  gaza: [Rafah]\n")
    with pytest.raises(ConfigError, match="other_actors"):
        parse_facts_yaml(base + "other_actors: Turkish\n")


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(
    ["syria", "ukraine", "Idlib", "a", "bomb", "X", "id", "topics", "also", "label", "!!", ""]))
_NODES = st.recursive(_SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=3),
    st.dictionaries(st.sampled_from(["id", "label", "description", "actor", "action", "topics", "also",
                                     "context", "syria", "ukraine"]), kids, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(theatres=_NODES, facts=_NODES)
def test_any_shape_of_theatres_and_facts_is_a_config_error_or_a_catalogue(theatres, facts):
    """Whatever the file holds under theatres: and facts:, the result is a catalogue or a
    ConfigError naming the problems, never a crash (the topic check walks raw YAML nodes)."""
    text = yaml.safe_dump({"theatres": theatres, "facts": facts})
    try:
        parse_facts_yaml(text)
    except ConfigError as exc:
        assert str(exc)


def test_with_theatres_every_topic_a_fact_names_must_be_one():
    """A misspelt topic would leave the fact's mentions in that war unchecked, or drop them as
    another war's: with theatres: it is an error naming the line, the fact and the slugs."""
    text = ("theatres:\n  syria: [Idlib]\n  ukraine: [Kharkiv]\nfacts:\n"
            "  - {id: a, label: A, description: d, actor: [X], action: [bomb], topics: [syria]}\n"
            "  - id: b\n    label: B\n    description: d\n    actor: [Y]\n    action: [shell]\n"
            "    topics: [syria, ukrane]\n    also: [{action: [drone], topics: [gazza]}]\n")
    with pytest.raises(ConfigError) as err:
        parse_facts_yaml(text)
    problems = str(err.value)
    assert "facts.yaml:11: facts[1] (b).topics[1]: topic 'ukrane' is not one of theatres: (syria, ukraine)" in problems
    assert "facts.yaml:12: facts[1] (b).also[0].topics[0]: topic 'gazza'" in problems
    assert "facts[0]" not in problems  # its topic is a theatre
    assert "theatres.ukraine: no fact has this topic" in problems  # the typo, seen from both sides
    # ... and in the same run as the file's other problems, so one run shows them all
    with pytest.raises(ConfigError) as err:
        parse_facts_yaml(text.replace("label: B", "lable: B"))
    assert "facts[1].lable: unknown key" in str(err.value) and "topic 'ukrane'" in str(err.value)
    fixed = parse_facts_yaml(text.replace("ukrane", "ukraine").replace("gazza", "ukraine"))
    assert [f.topics for f in fixed.facts] == [("syria",), ("syria", "ukraine")]
    # without theatres: topics are only labels, and any slug will do
    plain = parse_facts_yaml(text.split("facts:\n", 1)[1].join(["facts:\n", ""]))
    assert plain.facts[1].topics == ("syria", "ukrane")


# ----------------------------------------------------------------------------- sentence splitting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Gen. Ivanov said the jets returned. They landed.",
            ["Gen. Ivanov said the jets returned.", "They landed."],
        ),
        (
            "Lt. Col. Petrov and Maj. Gen. Sidorov spoke. Then they left.",
            ["Lt. Col. Petrov and Maj. Gen. Sidorov spoke.", "Then they left."],
        ),
        (
            "The U.S. and the U.K. condemned it. Moscow did not.",
            ["The U.S. and the U.K. condemned it.", "Moscow did not."],
        ),
        ('He said "we will win." Then he left.', ['He said "we will win."', "Then he left."]),
        (
            "He called it \u201cstaged.\u201d Moscow agreed.",
            ["He called it \u201cstaged.\u201d", "Moscow agreed."],
        ),
        (
            '"Who bombed the market?" she asked. Nobody knew.',
            ['"Who bombed the market?" she asked.', "Nobody knew."],
        ),
        (
            '"Who bombed the market?" Ivanov asked. Nobody knew.',
            ['"Who bombed the market?" Ivanov asked.', "Nobody knew."],
        ),
        ('"Why?" Gen. Ivanov said. No answer came.', ['"Why?" Gen. Ivanov said.', "No answer came."]),
        ('"Stop!" The crowd fled.', ['"Stop!"', "The crowd fled."]),
        ("Did they bomb it? Ivanov asked nobody.", ["Did they bomb it?", "Ivanov asked nobody."]),
        ("(It was a provocation.) Moscow said so.", ["(It was a provocation.)", "Moscow said so."]),
        ("Он сказал: «Это провокация.» Затем ушёл.", ["Он сказал: «Это провокация.»", "Затем ушёл."]),
        ("قتل عشرة؟ نعم.", ["قتل عشرة؟", "نعم."]),
        (
            "It happened on Sept. 5 in No. 3 district. Ten died.",
            ["It happened on Sept. 5 in No. 3 district.", "Ten died."],
        ),
    ],
)
def test_split_sentences_with_abbreviations_and_quotes(text, expected):
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # the accused is the perpetrator, not a source: "X accused of", "X blamed for"
        (["The Syrian government accused of using chlorine in Idlib."], "chemical_weapons", "attributed"),
        # chemical weapons in Ukraine are in the catalogue's theatres
        (["Russian troops used chloropicrin grenades near Bakhmut."], "chemical_weapons", "attributed"),
        # the country after a city in capitals is part of the dateline
        (
            ["KHARKIV, Ukraine (Kestrel) — A missile hit a depot in Donetsk, officials said."],
            "ukrainian_strikes",
            "agentless",
        ),
        # coordinated modifiers share their noun: "Syrian and Russian warplanes"
        (["Syrian and Russian warplanes pounded Ariha."], "syrian_government_airstrikes", "attributed"),
        (["Syrian and Russian warplanes pounded Ariha."], "russian_airstrikes", "attributed"),
        (["A government helicopter bombed Tafas in Syria."], "syrian_government_airstrikes", "attributed"),
        # "The strikes" after a sentence naming another perpetrator refers to theirs
        (
            ["Turkish drones hit a village near Qamishli in Syria.", "The strikes killed three."],
            "israeli_airstrikes",
            "absent",
        ),
        # unattributed drones are Ukraine's only where Ukraine strikes (agentless_in)
        (["Drones hit the port of Odesa overnight."], "ukrainian_strikes", "absent"),
        (["Drones hit a fuel depot in Belgorod overnight."], "ukrainian_strikes", "agentless"),
        # right after "at", a country is the target; possessions are not agents
        (["Russia fired missiles at Ukraine overnight."], "ukrainian_strikes", "absent"),
        (["Shelling near Donetsk destroyed Ukraine's harvest."], "ukrainian_strikes", "agentless"),
        # air defence shoots down, it does not strike
        (
            ["Officials said a Ukrainian air-defence missile fell on a house in Kyiv."],
            "ukrainian_strikes",
            "absent",
        ),
        # journalistic paraphrases
        (
            ["Two foreign volunteers from the International Legion were freed in Ukraine."],
            "foreign_mercenaries",
            "attributed",
        ),
        (["A blast at the hospital in Gaza killed dozens."], "hospital_strike", "agentless"),
        (["A nine-year-old boy in Idlib was hit by shrapnel."], "child_casualties", "attributed"),
        (["An Israeli drone killed two men in Gaza."], "israeli_airstrikes", "attributed"),
        (
            ["Fighters were killed in Syria, according to people familiar with the matter."],
            "civilian_casualties",
            "absent",
        ),
    ],
)
def test_shipped_catalogue_rules_for_accused_coordination_places_and_paraphrases(
    shipped, sentences, fact, state
):
    assert shipped.states(sentences)[fact] == state


def test_agentless_in_is_validated_as_terms():
    base = "facts:\n  - {id: a, label: A, description: d, actor: [X], action: [bomb], agentless_in: %s}\n"
    assert parse_facts_yaml(base % "[Belgorod]").facts[0].agentless_in == ("Belgorod",)
    with pytest.raises(ConfigError, match="agentless_in"):
        parse_facts_yaml(base % "[a(s)]")


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # "occupation" names Israel in some state media, not when another state is the occupier
        (["Turkish occupation drones kill three civilians in Hasakah countryside."], "israeli_airstrikes", "absent"),
        (["Occupation drones struck a house in Khan Younis."], "israeli_airstrikes", "attributed"),
        # an actor opening a clause that describes the target did not act
        (
            ["A warehouse where the Ukrainian military stored weapons was destroyed by drones overnight."],
            "ukrainian_strikes",
            "absent",
        ),
        (
            ["Russian forces struck a port that the Kyiv regime uses to receive drones from NATO countries."],
            "ukrainian_strikes",
            "absent",
        ),
        (
            ["Russian missiles hit enterprises of the Ukrainian military-industrial complex that assemble drones."],
            "ukrainian_strikes",
            "absent",
        ),
        # ... but it did when an action follows at once, or "that" opens what was found or said
        (["Residents of the Idlib town where Russian jets struck the market buried seven people."],
         "russian_airstrikes", "attributed"),
        (["The commission found that Russian forces had bombed the hospital in Kharkiv with guided bombs."],
         "russian_airstrikes", "attributed"),
        # children by age, and the "martyring" idiom of some outlets
        (["A brother and sister aged seven and nine were injured when the shell hit Kherson."], "child_casualties",
         "attributed"),
        (["The strike on Gaza City martyred 15 people, six of them children."], "child_casualties", "attributed"),
        (["A teenage apprentice was hurt when drones hit the grain terminal in Odesa."], "child_casualties", "attributed"),
        (["The minister, aged 70, was injured in the blast in Kyiv."], "child_casualties", "absent"),
        # paraphrases of flight
        (["Dozens of families moved to Hasakah to escape the shelling."], "displacement", "attributed"),
    ],
)
def test_shipped_catalogue_round_4_rules(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # a generic verb ("struck") yields to the weapon that says which of the actor's strikes
        (["A guided bomb struck a nine-storey building in Kharkiv."], "russian_missile_strikes", "absent"),
        (["A guided bomb struck a nine-storey building in Kharkiv."], "russian_airstrikes", "agentless"),
        (["Russian glide bombs hit apartment blocks in Zaporizhzhia."], "russian_missile_strikes", "absent"),
        (["Russian missiles struck the power grid in Kharkiv."], "russian_missile_strikes", "attributed"),
        (["Russian forces struck a railway depot in Kharkiv."], "russian_missile_strikes", "attributed"),
        (["Artillery shells fired by Syrian government forces struck the clinic in Atarib."],
         "syrian_government_airstrikes", "absent"),
        (["Artillery shells fired by Syrian government forces struck the clinic in Atarib."],
         "syrian_government_shelling", "attributed"),
        (["Syrian government forces struck the market in Idlib."], "syrian_government_airstrikes", "attributed"),
        # a drone facility is a target, not the weapon
        (["A drone workshop in Zaporizhzhia was hit by a guided bomb."], "russian_missile_strikes", "absent"),
        # an army's officials announcing a strike on the other side's fighters announce their own
        (["Israeli officials said the strike targeted Hamas militants using a school in Gaza."],
         "israeli_airstrikes", "attributed"),
        (["Ukrainian officials said a missile hit the hospital in Kharkiv."], "russian_missile_strikes", "agentless"),
        # "allegations that X had ...": X is the accused, not a target
        (["The ministry rejected allegations that the Syrian Arab Army had used chlorine in Kafr Zita."],
         "chemical_weapons", "attributed"),
        # strikes that have not happened
        (["The aim was to give Western countries a pretext for strikes on Syria."],
         "syrian_government_airstrikes", "absent"),
        (["The aim is to provoke Western strikes on Syria, Popov said."], "syrian_government_airstrikes", "absent"),
        # "the occupation" names Israel for hospitals and aid in Gaza, not another occupier
        (["Occupation bombs courtyard of al-Awda hospital in Gaza."], "hospital_strike", "attributed"),
        (["The occupation kept the Kerem Shalom crossing closed, blocking aid trucks bound for Gaza."],
         "aid_blocked", "attributed"),
        (["Turkish occupation forces closed the crossing at Ras al-Ain, blocking aid."], "aid_blocked", "absent"),
        # casualties counted as the treated, burnt or cut; citizens
        (["Among those treated at the field hospital in Idlib were five children."], "child_casualties",
         "attributed"),
        (["Her grandchildren were cut by glass when the building in Kyiv shook."], "child_casualties", "attributed"),
        (["Four citizens were killed in Khan Younis."], "civilian_casualties", "attributed"),
        (["The hospital in Gaza treated its last patient and closed."], "civilian_casualties", "absent"),
        # a gas cylinder is an attack word, and Latamneh is in Syria
        (["A cylinder dropped from a helicopter released a choking cloud over Latamneh."],
         "syrian_government_airstrikes", "agentless"),
        (["Helicopters dropped leaflets over Latamneh."], "syrian_government_airstrikes", "absent"),
        # the Aerospace Forces are aircraft: an action beside an attack word, and their actor
        (["The Russian Aerospace Forces struck a command post on the outskirts of Salqin."],
         "russian_airstrikes", "attributed"),
        (["The Aerospace Forces parade was held in Moscow."], "russian_airstrikes", "absent"),
        (["Russian aircraft had flown no combat missions near Maarat Misrin, the ministry said."],
         "russian_airstrikes", "attributed"),
        (["The Israeli enemy carried out an air aggression on sites near Masyaf in Syria."],
         "israeli_airstrikes", "attributed"),
        (["Occupation aircraft pounded the Nuseirat camp in Gaza."], "israeli_airstrikes", "attributed"),
        # each side in Ukraine accuses the other of chemical weapons
        (["Units of the Ukrainian armed forces used munitions filled with chloropicrin near Donetsk."],
         "chemical_weapons", "attributed"),
        (["A canister fell from the sky over Habit in Idlib and burst next to the houses."],
         "syrian_government_airstrikes", "agentless"),
        # an unattributed drone attack on a Russian region is in the Ukrainian war
        (["Fire at Krasnodar refinery after drone attack, governor says"], "ukrainian_strikes", "agentless"),
        # ages under 18 in commas after a name or a kin word are children
        (["Three passengers died, among them Polina, 16, who was on her way to Belgorod."], "child_casualties",
         "attributed"),
        (["Their son Andriy, 15, was killed in Kyiv."], "child_casualties", "attributed"),
        (["In Kyiv, 16 people were killed."], "child_casualties", "absent"),
        (["Three men, all over 40, were killed in Kharkiv on 14 March."], "child_casualties", "absent"),
        (["The strike wounded a mother and her young son in Sderot."], "child_casualties", "attributed"),
        # more ways to report casualties and flight
        (["The aggression led to the martyrdom of two civilians in Quneitra, Syria."], "civilian_casualties",
         "attributed"),
        (["No civilians were harmed in the strikes on Idlib, the source said."], "civilian_casualties",
         "attributed"),
        (["Night of drones leaves Zaporizhzhia in the dark and a lineman dead"], "civilian_casualties",
         "attributed"),
        (["Dozens of families moved into temporary shelters run by the city of Dnipro."], "displacement",
         "attributed"),
        (["Israeli drones fire on Gaza hospital, wounding medics"], "hospital_strike", "attributed"),
        (["Medical complex in southern Gaza hit"], "hospital_strike", "agentless"),
        (["Deliveries through Kerem Shalom into Gaza were suspended by Israel."], "aid_blocked", "attributed"),
        # "Israeli fighter jets": aircraft, not fighters (a target)
        (["Within an hour, Israeli fighter jets struck two sites in Beit Lahia."], "israeli_airstrikes", "attributed"),
        (["Israeli strikes hit Hamas fighters in Rafah."], "israeli_airstrikes", "attributed"),
        (["Strikes on Hezbollah fighters in southern Lebanon killed three."], "israeli_airstrikes", "agentless"),
        # attacks from the air
        (["A charity's car came under fire from the air in al-Mawasi in Gaza."], "israeli_airstrikes", "agentless"),
        (["Precise strikes from the air destroyed workshops in Idlib, a military source said."],
         "russian_airstrikes", "agentless"),
        # the wounded by their condition
        (["Nineteen people remained in hospital in Kharkiv, three of them in a serious condition."],
         "civilian_casualties", "attributed"),
        (["Five mechanics working in the hangar in Zaporizhzhia were killed."], "civilian_casualties", "attributed"),
        # an army turning back aid lorries
        (["A UN convoy bound for Daraa was refused entry by the Syrian army."], "aid_blocked", "attributed"),
        (["Soldiers turned back fourteen UN lorries carrying flour to Daraa in Syria."], "aid_blocked", "agentless"),
        # leaving a home hit in the war
        (["About 120 people were moved out of the damaged building in Odesa."], "displacement", "attributed"),
        # a weapon being made, kept or sold is not being used
        (["Russian jets struck a workshop in Zaporizhzhia where Ukrainian troops assembled long-range drones."],
         "russian_missile_strikes", "absent"),
        (["Workshops used to manufacture explosive drones in Idlib were destroyed."], "israeli_airstrikes", "absent"),
        (["Russia had dropped a guided bomb on the building, killing five people in Kharkiv."], "civilian_casualties",
         "attributed"),
        (["Syrian aviation hits fortified militant positions in Hama province"], "russian_airstrikes", "absent"),
    ],
)
def test_shipped_catalogue_rules_of_rounds_5_to_7(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


def test_a_generic_action_word_yields_to_a_sibling_fact_with_the_same_actors():
    two = (
        "facts:\n"
        "  - {id: air, label: A, description: d, actor: [Russian], action: [bomb, strike, struck]}\n"
        "  - {id: missile, label: M, description: d, actor: [Russian], action: [missile, strike, struck]}\n"
    )
    matcher = FactMatcher(parse_facts_yaml(two))
    states = matcher.states(["Russian bombs struck the town."])
    assert states == {"air": "attributed", "missile": "absent"}
    # "strike" alone says nothing about the weapon: both facts keep it
    assert matcher.states(["A Russian strike hit the town."]) == {"air": "attributed", "missile": "attributed"}
    # with generic words switched off, every action word counts as it is
    matcher = FactMatcher(dataclasses.replace(parse_facts_yaml(two), generic=("attack",)))
    assert matcher.states(["Russian bombs struck the town."]) == {"air": "attributed", "missile": "attributed"}
    assert FactCatalogue(facts=()).generic == ("strike", "struck", "hit", "attack")
    with pytest.raises(ConfigError, match=r"generic: expected a non-empty list of terms"):
        parse_facts_yaml(two + "generic: []\n")


# --------------------------------------------------------------------------- rounds 8-13: counts, possessives, references


@pytest.mark.parametrize(
    ("term", "sentence", "found"),
    [
        ("regime aircraft", "The regime's aircraft pounded the town.", True),
        ("regime aircraft", "The regime\u2019s aircraft pounded the town.", True),
        ("Syrian army", "The Syrian army's helicopters dropped barrels.", True),
        ("regime aircraft", "The regime said aircraft were seen.", False),
        ("U.S. official", "U.S. officials said.", True),
        ("aircraft", "The regime's aircraft pounded the town.", True),
    ],
)
def test_a_word_inside_a_term_may_carry_a_possessive(term, sentence, found):
    assert matches(term, sentence) is found


@pytest.mark.parametrize(
    ("sentence", "state"),
    [
        ("Shelling killed at least 14 in Kharkiv.", "attributed"),
        ("Kharkiv: glide bomb hits a quarter, 6 dead, 40 hurt.", "attributed"),
        ("The strike in Kharkiv wounded eight, the governor said.", "attributed"),
        ("Dozens wounded as shells hit Kharkiv.", "attributed"),
        ("The strike in Kharkiv killed 20 militants.", "absent"),
        ("Kharkiv lost 14 of its buses in the winter.", "absent"),
    ],
)
def test_a_count_next_to_a_casualty_word_reads_as_people(shipped, sentence, state):
    assert shipped.states([sentence])["civilian_casualties"] == state


def test_a_reference_word_after_the_action_word_still_refers_back(matcher):
    sentences = ["Russian warplanes circled over the market.", "The bombs they dropped killed nine."]
    (m,) = [m for m in matcher.mentions(sentences) if m.fact_id == "russian_airstrikes"]
    assert (m.state, m.actor_where, m.sentence_index) == ("attributed", "previous", 1)


# --------------------------------------------------------------------------- rounds 8-13: also rules, the event's wars, the shipped catalogue

ALSO = """\
facts:
  - id: displacement
    label: Displacement
    description: People fleeing.
    action: [flee, fled]
    also:
      - action: [head for, drive]
        context: [[camp, border], [family, resident]]
  - id: air
    label: Air strikes
    description: Bombing.
    actor: [Russian]
    action: [bomb]
    also:
      - action: [pilot]
        context: [[munition]]
"""


def test_an_also_rule_reports_its_fact_once_per_sentence():
    m = FactMatcher(parse_facts_yaml(ALSO, "also.yaml"))
    assert m.states(["Families were heading for the camps near the border."])["displacement"] == "attributed"
    # every group of the rule must occur: a movement and a refuge without people is no flight
    assert m.states(["Troops were heading for the border."])["displacement"] == "absent"
    # the fact's own words and a rule's in one sentence: one mention
    both = m.mentions(["Residents fled, driving their families to the camps."])
    assert [(x.fact_id, x.sentence_index) for x in both] == [("displacement", 0)]
    # a rule's mention takes the fact's actor like any other: the best state wins
    (x,) = m.mentions(["Russian pilots dropped munitions and bombs on the town."])
    assert (x.fact_id, x.state, x.actor_term) == ("air", "attributed", "Russian")
    assert m.states(["The pilots dropped munitions on the town."])["air"] == "agentless"
    fact = m.catalogue.get("displacement")
    assert fact.also[0].action == ("head for", "drive") and len(fact.also[0].context) == 2


@pytest.mark.parametrize(
    ("also", "key", "fix"),
    [
        ("also: []", "facts[0] (f1).also", "write also:"),
        ("also: [{context: [[x]]}]", "facts[0] (f1).also[0].action", "add 'action:'"),
        ("also: [{action: [y], contexts: [[x]]}]", "facts[0] (f1).also[0].contexts", "did you mean 'context'"),
        ("also: [{action: [Russia]}]", "facts[0] (f1).also[0].action", "keep the term in one group"),
        ("also: [{action: [y], context: [x]}]", "facts[0] (f1).also[0].context", "each inner list is one group"),
    ],
)
def test_a_bad_also_rule_is_named_with_its_fix(also, key, fix):
    found = problems(fact_yaml(actor="[Russia]", also=also.removeprefix("also: ")))
    assert [m["key"] for m in found] == [key]
    assert fix in found[0]["fix"]


def test_an_article_is_in_the_wars_its_event_names(shipped):
    # a feature that names only a street: no war of its own, so no mention ...
    feature = ["Tetiana was asleep on the sixth floor when the Russian drone hit the block on Fontanska Road."]
    assert not shipped.mentions(feature)
    # ... until its event's other reports place it (narratives.omissions passes them)
    other = shipped.scan(["A Russian drone hit a block in Odesa overnight."])
    assert shipped.theatres(other) == {"ukraine"}
    (m,) = shipped.mentions(feature, theatres=shipped.theatres(other))
    assert (m.fact_id, m.state) == ("russian_missile_strikes", "attributed")
    assert shipped.mentions_in(shipped.scan(feature), {"ukraine"}) == [m]


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # ---- round 8
        # "Hamas" does not put a Gaza article in Syria's war (Hama is a Syrian city)
        (["Israeli air raids hit Gaza City, Hamas said.", "Air raids hit the camp overnight."],
         "russian_airstrikes", "absent"),
        # unattributed air strikes are Israel's only where Israel strikes
        (["Warplanes struck a bakery in Ariha in Idlib at dawn."], "israeli_airstrikes", "absent"),
        (["Warplanes struck a bakery in Ariha in Idlib at dawn."], "russian_airstrikes", "agentless"),
        (["A missile struck a building in the Mezzeh district of Damascus."], "israeli_airstrikes", "agentless"),
        (["An Israeli quadcopter opened fire on people queuing for water in Jabalia."],
         "israeli_airstrikes", "attributed"),
        # a hospital that treats the wounded is not the one hit
        (["Jets bombed the market in Saraqib in Idlib, and the wounded were rushed to a hospital."],
         "hospital_strike", "absent"),
        (["A drone hit the emergency department of the clinical centre in Kherson."], "hospital_strike", "agentless"),
        # figurative strikes and bombs no aircraft dropped
        (["Israel struck a deal with Egypt to let more lorries into Gaza."], "israeli_airstrikes", "absent"),
        (["A car bomb tore through the market in Azaz in Syria."], "russian_airstrikes", "absent"),
        (["The regime's pilots unleashed thermobaric munitions on Saraqib in Idlib."],
         "syrian_government_airstrikes", "attributed"),
        # casualties, displacement, captivity and blocked aid in other words
        (["Six siblings perished when their home in Sarmin in Idlib was bombed."], "civilian_casualties", "attributed"),
        (["Among the victims of the raid on Jisr al-Shughur in Syria was a teacher."],
         "civilian_casualties", "attributed"),
        (["Government forces expelled the inhabitants of Qusayr in Syria."], "displacement", "attributed"),
        (["Some 30,000 refugees have returned home to Kharkiv in Ukraine."], "displacement", "absent"),
        (["A 21-year-old seized near Gaza was flown home after 471 days in captivity."], "hostages", "attributed"),
        (["Progress in the Gaza talks remains hostage to disagreements."], "hostages", "absent"),
        (["The ICRC team carrying medicine for Mariupol in Ukraine was refused passage again."],
         "aid_blocked", "agentless"),
        (["Congress blocked military aid to Ukraine for months."], "aid_blocked", "absent"),
        (["The court in Donetsk sentenced two Britons as hirelings of Ukraine."], "foreign_mercenaries", "attributed"),
        (["The World Court ordered Israel to prevent genocidal acts in Gaza."], "war_crimes_allegations", "attributed"),
        (["Militants used poisonous substances against residents of Aleppo in Syria."], "chemical_weapons", "agentless"),
        # ---- round 9
        # barrel bombs are the Syrian government's weapon
        (["Barrel bombs hit a tent camp near Atarib in Idlib."], "russian_airstrikes", "absent"),
        (["Barrel bombs hit a tent camp near Atarib in Idlib."], "syrian_government_airstrikes", "agentless"),
        # the government does not bomb the cities it holds, where Israel strikes
        (["Jets fired missiles at Damascus overnight, Syrian state media said."],
         "syrian_government_airstrikes", "absent"),
        # people on their way to a refuge; captors holding people; aid not let through
        (["By evening dozens of families were driving north toward the camps near Atmeh in Idlib."],
         "displacement", "attributed"),
        (["Residents of Khan Younis left for schools in the west of the city of Gaza."], "displacement", "attributed"),
        (["The army called on residents of Idlib to leave for the shelters."], "displacement", "absent"),
        (["Hamas is still holding 101 people in Gaza."], "hostages", "attributed"),
        (["Hamas fighters held their positions in Rafah in Gaza."], "hostages", "absent"),
        (["No food convoy has been allowed into northern Gaza for eleven days."], "aid_blocked", "agentless"),
        (["Forty aid lorries entered Gaza on Sunday."], "aid_blocked", "absent"),
        (["Doctors in Idlib said 23 people were treated for burns, nine of them under 15."],
         "child_casualties", "attributed"),
        # "one of them" refers back
        (["Two regime helicopters circled over Kafr Zita in Syria.", "One of them dropped a barrel bomb."],
         "syrian_government_airstrikes", "attributed"),
        # ---- round 10
        # a Gaza hospital's name places the article in Gaza
        (["Statement: attacks on Kamal Adwan hospital must stop."], "hospital_strike", "agentless"),
        # unattributed drones over a Russian region are Ukraine's, not Russia's
        (["Air defence units destroyed four drones over the Belgorod region."], "russian_missile_strikes", "absent"),
        (["A drone struck a minibus in Kharkiv, killing a woman."], "russian_missile_strikes", "agentless"),
        # a depot's contents are a target, not the attacker
        (["Ukraine hits Russian fuel depot in long-range drone campaign."], "russian_missile_strikes", "absent"),
        (["Ukraine hits Russian fuel depot in long-range drone campaign."], "ukrainian_strikes", "attributed"),
        # shells are no air strike; a hospital next to the target is not hit
        (["A doctor at Al-Awda Hospital in Gaza said shells struck the upper floors at dawn."],
         "israeli_airstrikes", "absent"),
        (["An Israeli jet struck a car parked next to the hospital in Gaza."], "hospital_strike", "absent"),
        # people gone for good; aid kept at the crossings; Syria's own army
        (["Most of Valentyna's neighbours in Kharkiv have already left for central Ukraine."],
         "displacement", "attributed"),
        (["Trucks of aid for Gaza have remained stuck at the crossings for weeks."], "aid_blocked", "agentless"),
        (["Syria's military dismissed reports that its helicopters dropped barrel bombs on Idlib."],
         "syrian_government_airstrikes", "attributed"),
        (["Zionist warplanes bombed a school in Gaza, massacring 22 Palestinians."],
         "civilian_casualties", "attributed"),
        # ---- round 11
        # shrapnel wounds with words between; a report that nobody was hurt
        (["Noa, 6, was hit in the leg by shrapnel in Ashkelon as she ran with her mother."],
         "civilian_casualties", "attributed"),
        (["Hamas fired rockets at central Israel; there were no reports of injuries."],
         "civilian_casualties", "attributed"),
        (["The aggression on Damascus led to the martyrdom of two civilians, among them a child."],
         "child_casualties", "attributed"),
        # sorties of the Syrian air force; Russian helicopters named as Russian
        (["Formations of the Syrian Arab Air Force carried out sorties over Kafr Zita in Syria."],
         "syrian_government_airstrikes", "attributed"),
        (["Nine truffle pickers near Palmyra in Syria were killed in a Russian helicopter attack."],
         "russian_airstrikes", "attributed"),
        (["A government helicopter dropped chlorine on Kansafra in Idlib, activists said."],
         "syrian_government_airstrikes", "attributed"),
        # displacement: driven out of their homes; returns are not flight
        (["The offensive in Jabalia in Gaza has driven tens of thousands of people out of their homes."],
         "displacement", "attributed"),
        (["Thousands of displaced families have returned to their homes in Hama in Syria."], "displacement", "absent"),
        (["Afghan militiamen fighting for Iran-backed groups died in Sayyida Zeinab in Syria."],
         "foreign_mercenaries", "attributed"),
        # the sentence's own place, where the rival strikes, outweighs the article's others
        (["Three killed as drone hits bus in Russia's Belgorod.", "The region borders Kharkiv province."],
         "russian_missile_strikes", "absent"),
        (["Three killed as drone hits bus in Russia's Belgorod.", "The region borders Kharkiv province."],
         "ukrainian_strikes", "agentless"),
        # ---- round 12
        # Ukraine's air force shoots drones down; it does not strike with them
        (["Ukraine's air force said it had shot down 31 of 40 drones over Odesa."], "ukrainian_strikes", "absent"),
        # an explosion that struck is no air strike; the army's helicopters in Syrian state media
        (["An explosion struck a medical centre in Latamneh in Syria."], "syrian_government_airstrikes", "absent"),
        (["Reports that army helicopters dropped barrel bombs on Latamneh in Syria are lies."],
         "syrian_government_airstrikes", "attributed"),
        (["Russian army helicopters destroyed a convoy east of Palmyra in Syria."],
         "syrian_government_airstrikes", "absent"),
        # who claims responsibility did it
        (["Islamic Jihad's armed wing claimed responsibility for the barrage of rockets at Sderot."],
         "hamas_rocket_fire", "attributed"),
        # hospitals hit by drones and gunfire; a crossing closed to aid
        (["A Russian drone dropped an explosive onto the maternity ward in Kherson."], "hospital_strike", "attributed"),
        (["An Israeli quadcopter fired into the corridor of Al-Awda Hospital in Gaza."],
         "hospital_strike", "attributed"),
        (["Israel closed the Kerem Shalom crossing into Gaza again."], "aid_blocked", "attributed"),
        # organisations named after refugees; repeated moves
        (["'No bread for families in Gaza,' said an official of the Norwegian Refugee Council."],
         "displacement", "absent"),
        (["Mahmoud had moved his family four times before settling in a classroom in Nuseirat in Gaza."],
         "displacement", "attributed"),
        # ---- round 13
        # strikes by the West are nobody's here; tank fire is no air strike
        (["The provocation in Idlib is meant to justify strikes by Western countries on Syria."],
         "syrian_government_airstrikes", "absent"),
        (["Two staff members in Gaza were killed when Israeli tank fire struck the building."],
         "israeli_airstrikes", "absent"),
        # "dozens of dead"; the body of a child; people in hospital
        (["The Ukrainian side reported dozens of dead and injured in the building in Dnipro."],
         "civilian_casualties", "attributed"),
        (["Rescuers in Kharkiv carried out the body of Kostiantyn, a 13-year-old."], "child_casualties", "attributed"),
        (["A 16-year-old boy is among twelve people in hospital in Belgorod."], "child_casualties", "attributed"),
        # a hospital under fire; the Russian air group; militants and checkpoints stopping aid
        (["Two employees of the hospital in Gaza were killed when the building came under fire."],
         "hospital_strike", "agentless"),
        (["The Syrian army and the Russian air group carried out strikes on militants in Idlib."],
         "russian_airstrikes", "attributed"),
        (["Militants have prevented a UN humanitarian convoy from entering the area near Idlib."],
         "aid_blocked", "attributed"),
        # people staying at a refuge; running for cover is no flight from home
        (["Dozens of families in Dnipro are staying with relatives or in school gyms turned into shelters."],
         "displacement", "attributed"),
        (["Sirens sounded near Gaza and settlers fled to shelters, Hebrew media reported."], "displacement", "absent"),
    ],
)
def test_shipped_catalogue_rules_of_rounds_8_to_13(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


# --------------------------------------------------------------------------- rounds 14-17: speakers, rules with their own wars, the event's perpetrators

TOPICAL = """\
facts:
  - id: hostages
    label: Hostages
    description: People held by an armed group.
    action: [hostage, captivity]
    also:
      - action: [hostage]
        topics: [ukraine]
    topics: [gaza]
theatres:
  gaza: [Gaza]
  ukraine: [Kursk, Ukraine]
"""


def test_an_also_rule_may_count_in_wars_of_its_own():
    m = FactMatcher(parse_facts_yaml(TOPICAL, "topical.yaml"))
    assert m.catalogue.get("hostages").also[0].topics == ("ukraine",)
    assert m.states(["Villagers in Kursk were held hostage in a basement."])["hostages"] == "attributed"
    # the fact's other words still count only in its own war ...
    assert m.states(["Two soldiers from Kursk returned from captivity."])["hostages"] == "absent"
    assert m.states(["Two women were freed from captivity in Gaza."])["hostages"] == "attributed"
    # ... and the rule in none but its own
    assert m.states(["The talks are a hostage of politics."])["hostages"] == "absent"


def test_a_bad_topics_list_of_an_also_rule_is_named_with_its_fix():
    found = problems(fact_yaml(also="[{action: [y], topics: ukraine}]"))
    assert [m["key"] for m in found] == ["facts[0] (f1).also[0].topics"]
    assert "write topics: [syria]" in found[0]["fix"]
    found = problems(fact_yaml(also="[{action: [y], topics: [Ukraine War]}]"))
    assert [m["key"] for m in found] == ["facts[0] (f1).also[0].topics[0]"]


def test_a_number_takes_a_plural_s_as_model_names_do():
    assert inflections("24") == {"24", "24s"}
    assert matches("Su-24", "Two Su-24s made the first runs.")
    assert not matches("Su-24", "Two Su-25s made the first runs.")


def test_he_said_refers_to_a_speaker_and_it_said_its_jets_to_the_doer(shipped):
    said = ["A Syrian Arab Army spokesman spoke in Damascus on Syria's war.",
            "He said the White Helmets had staged footage of a clinic in the town being hit."]
    assert shipped.states(said)["hospital_strike"] == "agentless"
    own = ["Russia's defence ministry announced new air strikes in Idlib.",
           "It said its jets bombed a militant headquarters."]
    (m,) = [m for m in shipped.mentions(own) if m.sentence_index == 1]
    assert (m.fact_id, m.state, m.actor_where) == ("russian_airstrikes", "attributed", "previous")


def test_an_agentless_action_goes_only_to_the_perpetrators_its_event_names(shipped):
    bombed = ["The market in Saraqib in Idlib was bombed at dawn, killing nine."]
    named = ["Syrian government helicopters bombed the market in Saraqib in Idlib at dawn."]
    # alone, the usual perpetrators of the war are both plausible
    assert {m.fact_id for m in shipped.mentions(bombed)} >= {"russian_airstrikes", "syrian_government_airstrikes"}
    # beside a report that names only the government, the strike is the government's
    found, other = shipped.event_mentions([bombed, named])
    assert {(m.fact_id, m.state) for m in found if m.fact_id.endswith("airstrikes")} == {
        ("syrian_government_airstrikes", "agentless")}
    assert ("syrian_government_airstrikes", "attributed") in {(m.fact_id, m.state) for m in other}
    # one that names both keeps both
    both = ["Russian and Syrian government jets bombed the market in Saraqib in Idlib."]
    found, _ = shipped.event_mentions([bombed, both])
    assert {m.fact_id for m in found if m.state == "agentless"} >= {
        "russian_airstrikes", "syrian_government_airstrikes"}


# --------------------------------------------------------------------------- rounds 14-17: gaps in terms, the shipped catalogue


@pytest.mark.parametrize(
    ("term", "sentence", "found"),
    [
        ("according to ... hospital", "Nine were killed, according to Nasser hospital.", True),
        ("according to ... hospital", "Nine were killed, according to the hospital.", True),
        ("according to ... hospital", "Nine were killed, according to medics at the Kuwaiti hospital.", True),
        # at most four words between, and never across a comma
        ("according to ... hospital", "according to officials and the director of the main hospital", False),
        ("according to ... hospital", "According to doctors, the strike hit the hospital.", False),
        ("according to ... hospital", "according to Nasser", False),
    ],
)
def test_three_dots_in_a_term_stand_for_a_few_words_of_the_same_clause(term, sentence, found):
    assert matches(term, sentence) is found


def test_a_term_with_three_dots_is_checked_like_any_other():
    with pytest.raises(TermError):
        parse_term("... hospital")
    with pytest.raises(TermError) as info:
        parse_term("according to ...")
    assert "... only between two words" in info.value.fix
    # the gap covers the term without it: listing both is refused as redundant
    found = problems(fact_yaml(actor=None, action="[strike]", exclude="[near ... hospital, near the hospital]"))
    assert [m["key"] for m in found] == ["facts[0] (f1).exclude[1]"]
    assert "already matched by 'near ... hospital'" in found[0]["what"]


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # ---- round 14
        # who reacts to a report, or speaks through an envoy, did not act
        (["Moscow is deeply concerned by reports of an air strike on the Kamal Adwan hospital in Gaza, in "
          "which patients were reportedly killed."], "hospital_strike", "agentless"),
        (["Nine dead after missile hits Kharkiv block.", "Russia's defence ministry has not commented on the strike."],
         "russian_missile_strikes", "agentless"),
        (["Kyiv claims a missile hit a block of flats in Kharkiv, allegations Moscow has not addressed."],
         "russian_missile_strikes", "agentless"),
        (["Russia's permanent representative to the UN demanded that the restrictions keeping aid convoys "
          "from reaching northern Gaza be lifted."], "aid_blocked", "agentless"),
        (["Statements by the Kiev regime about a strike on a polyclinic in Zaporozhye are a provocation."],
         "hospital_strike", "agentless"),
        # who rejects another's claims reports them; who denies its own act is named
        (["Russia's Defence Ministry rejected Ukrainian claims that a school had been bombed in Kharkiv."],
         "russian_airstrikes", "agentless"),
        (["Russia's Defence Ministry rejected claims that its jets had bombed a school in Kharkiv."],
         "russian_airstrikes", "attributed"),
        # a place, and supply lines, are no attacker
        (["The attempt to attack facilities on the territory of the Russian Federation with drones from Ukraine "
          "was thwarted."], "russian_missile_strikes", "absent"),
        (["Ukrainian artillery and drones are pounding Russian supply lines near Rylsk."],
         "russian_missile_strikes", "absent"),
        # a report's "that" a few words back
        (["The UN rapporteur said on Thursday that the Israeli military's raid on Al-Awda hospital in Gaza may "
          "amount to war crimes."], "hospital_strike", "attributed"),
        # hostage-taking in Ukraine; not a simile
        (["Russia accuses Ukrainian troops of holding about forty villagers hostage in Kursk region."],
         "hostages", "attributed"),
        (["'They hold back the ones we want most, like hostages in a bargain,' said a mother in Kyiv."],
         "hostages", "absent"),
        # the Syrian government's aircraft by type and by possessive; other regimes are not Syria's
        (["Observers said a Syrian government Su-22 carried out the first raid on Kafranbel in Idlib."],
         "syrian_government_airstrikes", "attributed"),
        (["Syrian MiG-23s bombed the outskirts of Idlib city."], "syrian_government_airstrikes", "attributed"),
        (["The government's air war on rebel-held areas of Syria has relied on barrel bombs."],
         "syrian_government_airstrikes", "attributed"),
        (["Iran condemned the Zionist regime's air raids on Masyaf in Syria."],
         "syrian_government_airstrikes", "absent"),
        (["Syria's government denied using toxic gas in Idlib."], "chemical_weapons", "attributed"),
        (["Claims that a failed Palestinian rocket hit the hospital in Gaza are not supported by the imagery."],
         "hamas_rocket_fire", "attributed"),
        (["Air defences confront Israeli aerial aggression on Hama countryside in Syria."],
         "israeli_airstrikes", "attributed"),
        (["Doctors in Idlib say Russian warplanes have hit more than 20 medical sites since the spring."],
         "hospital_strike", "attributed"),
        # made to leave; gone to live with family; housed in a school; air-raid shelters and refugees going home
        (["The attacks on Kherson forced thousands of residents to leave riverside neighbourhoods."],
         "displacement", "attributed"),
        (["In Dnipro, Marchuk has moved in with her daughter on the left bank."], "displacement", "attributed"),
        (["The mayor said families from the block in Kyiv were being housed in a school gym."],
         "displacement", "attributed"),
        (["The missiles hit Kharkiv, leaving residents little time to reach shelters once the alert sounded."],
         "displacement", "absent"),
        (["Turkey opened a crossing for Syrian refugees who wish to go home before the winter."],
         "displacement", "absent"),
        # people treated for what a weapon did, children among them
        (["Medics in Saraqib in Idlib treated 37 people for choking and burning eyes, including 12 children."],
         "civilian_casualties", "attributed"),
        (["Medics in Saraqib in Idlib treated 37 people for choking and burning eyes, including 12 children."],
         "child_casualties", "attributed"),
        (["Doctors in Idlib treated the militants' commander for burns."], "child_casualties", "absent"),
        # aid turned away, or paused
        (["An army checkpoint turns a UN food convoy away from the Rukban road in Syria."],
         "aid_blocked", "attributed"),
        (["COGAT said it had paused deliveries of aid through Kerem Shalom into Gaza."], "aid_blocked", "attributed"),
        # rockets land in Israel; missiles on Damascus are Israel's
        (["The enemy launched a barrage of missiles from the occupied Golan at points south of Damascus in Syria.",
          "Israeli jets were seen over the area."], "hamas_rocket_fire", "absent"),
        (["A barrage of rockets hit Sderot near Gaza at dawn."], "hamas_rocket_fire", "agentless"),
        # who intercepts drones defends; whose drones are intercepted attacks
        (["Russian air defences intercepted 22 Ukrainian drones over the Belgorod region."],
         "ukrainian_strikes", "attributed"),
        (["Russian air defences intercepted 22 Ukrainian drones over the Belgorod region."],
         "russian_missile_strikes", "absent"),
        (["Ukraine's navy said it had intercepted 16 of the drones over the sea near Odesa."],
         "ukrainian_strikes", "absent"),
        # inverted attributions, users, neighbours and centres speak or are places, not attackers
        (["Ukraine's grid 'a legitimate target', say Russian lawmakers after overnight strikes on Kyiv."],
         "russian_missile_strikes", "agentless"),
        (["Russian forces struck port facilities in Odesa used by the Kyiv regime with attack drones."],
         "ukrainian_strikes", "absent"),
        (["Belgorod, which borders Ukraine's Kharkiv province, has been targeted by drones since 2022."],
         "ukrainian_strikes", "agentless"),
        (["Militants in Idlib have released a video purporting to show a chemical attack on Saraqib, the Russian "
          "Centre for Reconciliation said."], "chemical_weapons", "agentless"),
        (["Aid groups say the inspection regime at the crossings into Gaza is strangling deliveries of food."],
         "aid_blocked", "absent"),
        (["The Russian Defence Ministry said it had destroyed a facility in Kharkiv used by Ukrainian drone units."],
         "russian_missile_strikes", "absent"),
        # displacement in more words: tents lived in, driven out, told to go, moving again and again
        (["The family has lived in a tent in Gaza since their house in Rafah was destroyed."],
         "displacement", "attributed"),
        (["Fear of the drones has driven thousands of residents out of Kherson's riverside districts."],
         "displacement", "attributed"),
        (["Residents said the bombs were pushed out of a government helicopter over Idlib in Syria."],
         "displacement", "absent"),
        (["Regional authorities ordered families with children to leave eleven villages near Huliaipole in Ukraine."],
         "displacement", "attributed"),
        (["The Abu Shamala family had moved five times in Gaza since October."], "displacement", "attributed"),
        (["The monitor has documented the flight of more than 6,000 people from towns near Idlib in Syria."],
         "displacement", "attributed"),
        (["Residents of al-Daraj in Gaza reported intense flights of reconnaissance drones all night."],
         "displacement", "absent"),
        (["Thousands of families from Lebanon's border villages have taken refuge in schools in Sidon."],
         "displacement", "attributed"),
        # a displacement word next to a source does not make the source the attacker
        # the state denying it; its checkpoints; what reports claim
        (["Syria has denied ever using chemical weapons in Idlib."], "chemical_weapons", "attributed"),
        (["Soldiers at the government's Saraya checkpoint in Daraa in Syria turned back fourteen UN lorries of flour."],
         "aid_blocked", "attributed"),
        (["A source denied reports claiming that army helicopters had dropped barrel bombs on Latamneh in Syria."],
         "syrian_government_airstrikes", "attributed"),
        (["A Syrian military source told reporters that air strikes hit a market in Idlib."],
         "syrian_government_airstrikes", "agentless"),
        # ---- round 15
        # a hospital that reports, receives or treats, whatever its name, is not the one hit
        (["Air strikes on Khan Younis in Gaza killed seven people, according to Nasser hospital."],
         "hospital_strike", "absent"),
        (["Two wounded soldiers died in the national hospital in Hama after the strikes on Masyaf in Syria."],
         "hospital_strike", "absent"),
        (["An Israeli strike hit the al-Ahli hospital in Gaza City, according to the civil defence."],
         "hospital_strike", "attributed"),
        # a warning of an air raid is not one
        (["Air-raid sirens are sounding in Belgorod."], "russian_airstrikes", "absent"),
        (["Air-raid alerts had been declared across eastern Ukraine shortly before."], "russian_airstrikes", "absent"),
        # the dead who did not survive, the hurt named by age, people gone for good
        (["Two of her colleagues and three patients on that floor in Gaza did not survive."],
         "civilian_casualties", "attributed"),
        (["In Kherson in Ukraine the 58-year-old was hurt by flying glass."], "civilian_casualties", "attributed"),
        (["Her flat in Dnipro is uninhabitable and she has moved in with her niece."], "displacement", "attributed"),
        (["In Kherson in Ukraine many residents of the riverside districts have left."], "displacement", "attributed"),
        # "regime's" alone is no Syrian actor: the Kyiv regime's drones are Ukraine's
        (["Belgorod residents were killed by the Kyiv regime's drones."], "ukrainian_strikes", "attributed"),
        # ---- round 16
        (["Israeli soldiers stormed the hospital compound in Jabalia in Gaza."], "hospital_strike", "attributed"),
        (["Russian forces committed the murder of civilians in Kherson in Ukraine with drones."],
         "civilian_casualties", "attributed"),
        (["A bomb destroyed the bakery in Kharkiv in Ukraine, killing its owner."], "civilian_casualties", "attributed"),
        (["The ministry said 40 foreign mercenaries, most of them citizens of Colombia, were killed near Kramatorsk "
          "in Ukraine."], "civilian_casualties", "absent"),
        (["The city council in Dnipro has moved the families into a student hostel."], "displacement", "attributed"),
        (["Pokrovsk residents in Ukraine continue to be forcibly removed, local sources say."],
         "displacement", "attributed"),
        (["The army in Gaza ordered everyone to leave through a single exit."], "displacement", "attributed"),
        (["Hundreds of displaced citizens returned to their villages in Idlib in Syria."], "displacement", "absent"),
        # ---- round 17
        # a reporting source that blames another is not itself the doer
        (["Three people died in Belgorod after a drone attack that Russian authorities say they blame on Ukraine."],
         "ukrainian_strikes", "attributed"),
        (["Three people died in Belgorod after a drone attack that Russian authorities say they blame on Ukraine."],
         "russian_missile_strikes", "absent"),
        # aid refused, turned back at the actor's checkpoints, or not allowed in
        (["Russian authorities again refused to let a UN convoy cross to Oleshky in Kherson in Ukraine."],
         "aid_blocked", "attributed"),
        (["Fuel deliveries for al-Awda in Gaza have been turned back at Israeli checkpoints."],
         "aid_blocked", "attributed"),
        (["The Russian-installed administration in Kherson in Ukraine rejected a request to send a UN convoy."],
         "aid_blocked", "attributed"),
        (["In Gaza, no new deliveries have been allowed in since Sunday."], "aid_blocked", "agentless"),
        # children who did not survive; a child's body; families setting off for the border or al-Mawasi
        (["Her mother, two brothers and a baby sister in Gaza did not survive."], "child_casualties", "attributed"),
        (["Rescuers in Kharkiv in Ukraine found the boy's body on Sunday morning."], "child_casualties", "attributed"),
        (["Hundreds of families in Idlib in Syria set off north toward the Turkish border."],
         "displacement", "attributed"),
        (["Many survivors in Gaza loaded what they had onto donkey carts and left for al-Mawasi."],
         "displacement", "attributed"),
    ],
)
def test_shipped_catalogue_rules_of_rounds_14_to_17(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


# --------------------------------------------------------------------------- rounds 18-22: whose action, one act one doer, the shipped catalogue
def test_an_agentless_action_goes_to_the_rival_whose_named_action_it_is_most_like(shipped):
    """Two perpetrators named in one event: the hospital raid is the Russian jets', the
    barrel bombs on the next village the government's."""
    russian = ["A Russian Su-34 jet bombed the surgical hospital in Kafranbel in Idlib at dawn."]
    syrian = ["Syrian government helicopters dropped barrel bombs on the village of Hass in Idlib."]
    unnamed = ["The surgical hospital in Kafranbel was knocked out by an air raid at dawn."]
    _, _, found = shipped.event_mentions([russian, syrian, unnamed])
    assert {(m.fact_id, m.state) for m in found if m.fact_id.endswith("airstrikes")} == {
        ("russian_airstrikes", "agentless")}
    # nothing tells the two apart: both keep it
    vague = ["Air raids were reported in Idlib province."]
    _, _, found = shipped.event_mentions([russian, syrian, vague])
    assert {m.fact_id for m in found if m.state == "agentless"} >= {
        "russian_airstrikes", "syrian_government_airstrikes"}


def test_one_act_has_one_doer_for_a_fact_whose_actor_is_anyone(shipped):
    found = shipped.mentions([
        "It was a government Mi-8 that had circled over Atarib in Idlib for an hour.",
        "A few minutes later it released a barrel bomb that tore through the hospital's emergency wing.",
    ])
    got = {(m.fact_id, m.state, m.actor_term) for m in found if m.sentence_index == 1}
    assert ("hospital_strike", "attributed", "government Mi-8") in got
    assert ("syrian_government_airstrikes", "attributed", "government Mi-8") in got
    # ... but a fact with one actor takes nobody's from the any-actor fact
    occupied = shipped.mentions(["Occupation forces bomb al-Awda hospital in Jabalia in Gaza."])
    assert "russian_airstrikes" not in {m.fact_id for m in occupied if m.state == "attributed"}


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # ---- round 18: whose action, one act one doer
        # an accused in a clause of its own stays the accused, whatever the next clause says
        (["Russia says rockets hit the centre of Belgorod, and it blames Ukraine; Kyiv has made no comment."],
         "ukrainian_strikes", "attributed"),
        # forces named without a country (state media of their own): any side's attacker
        (["The source denied claims that army aircraft had targeted a medical facility in Idlib in Syria."],
         "hospital_strike", "attributed"),
        (["A military source denied that the army had used chlorine gas in Saraqib in Idlib."],
         "chemical_weapons", "attributed"),
        (["Claims that a hospital in Kafr Zita in Syria was hit aim to tarnish the image of the army."],
         "hospital_strike", "agentless"),
        (["Shells hit the army hospital in Donetsk in Ukraine."], "hospital_strike", "agentless"),
        # a government aircraft hits a clinic
        (["A barrel bomb dropped by a government helicopter hit the clinic in Hass in Idlib."],
         "hospital_strike", "attributed"),
        # "its" after the doer is named is the doer's, not the speaker's
        (["The Russian Foreign Ministry condemned the drone attack on Belgorod as a crime committed by the "
          "Kyiv regime with its Western patrons."], "ukrainian_strikes", "attributed"),
        (["The Russian Foreign Ministry condemned the drone attack on Belgorod as a crime committed by the "
          "Kyiv regime with its Western patrons."], "russian_missile_strikes", "absent"),
        (["The Russian Defence Ministry rejected Ukrainian claims that its aircraft had bombed a clinic in Kharkiv."],
         "russian_airstrikes", "attributed"),
        # ---- round 19: counts, ages, poisoning, where people went
        # a count followed, a word or two on, by soldiers counts soldiers
        (["Rockets fired from Rafah in Gaza wounded three Israeli soldiers on Sunday."], "civilian_casualties", "absent"),
        (["Militants in Idlib in Syria wounded two Syrian army servicemen near Kabani."], "civilian_casualties", "absent"),
        (["Rockets fired from Rafah in Gaza wounded three, the army said."], "civilian_casualties", "attributed"),
        # a person named with an age, written in words or after "who was"
        (["In Ashkelon in Israel, Daniel Peretz, 41, and his daughter Noa, six, were treated for shrapnel wounds."],
         "child_casualties", "attributed"),
        (["Among those killed in Idlib in Syria was his neighbour's son, Yamen, who was nine and sold parsley."],
         "child_casualties", "attributed"),
        (["In Sderot in Israel, Miriam Azoulay, 62, was treated for shrapnel wounds."], "civilian_casualties", "attributed"),
        # poisoning by a chemical agent, captives, guards, colleagues, tolls
        (["Medics in Idlib in Syria recorded 19 cases of chlorine poisoning, including seven children."],
         "child_casualties", "attributed"),
        (["Hamas said a third captive had died in an Israeli strike in Gaza."], "civilian_casualties", "attributed"),
        (["Officials in Belgorod said a security guard was hurt when drone debris fell."],
         "civilian_casualties", "attributed"),
        (["The confirmed death toll in Kharkiv in Ukraine stood at nine."], "civilian_casualties", "attributed"),
        (["The death toll among Russian troops near Bakhmut in Ukraine rose."], "civilian_casualties", "absent"),
        (["There were no casualties in Belgorod in Russia, the governor said."], "civilian_casualties", "attributed"),
        (["The strikes in Syria caused no casualties among Russian military personnel."], "civilian_casualties", "absent"),
        (["A food poisoning outbreak in a school in Kharkiv in Ukraine sent children to doctors."],
         "child_casualties", "absent"),
        (["Ronit, 58, now lives in a hotel by the Dead Sea in Israel."], "civilian_casualties", "absent"),
        # where people went, and where they did not go
        (["Thousands of residents of Shebekino in Russia have moved to Belgorod after the shelling."],
         "displacement", "attributed"),
        (["Forty families in Kharkiv in Ukraine whose flats were wrecked were taken to a student dormitory."],
         "displacement", "attributed"),
        (["In Odesa in Ukraine, 14 women and 6 newborns were moved to the basement of the hospital."],
         "displacement", "absent"),
        (["Some of the 22 wounded in Idlib in Syria were taken to hospitals near the Turkish border."],
         "displacement", "absent"),
        (["The governor in Idlib in Syria discussed the return of displaced families to their villages."],
         "displacement", "absent"),
        # who fired: the resistance in Gaza, Hamas's fighters after "by"; an air force that intercepts
        # and then strikes
        (["Israel says the crossing in Gaza was closed because the resistance fired rockets at its troops."],
         "hamas_rocket_fire", "attributed"),
        (["The closure in Gaza followed a rocket attack by Hamas fighters on an army post."],
         "hamas_rocket_fire", "attributed"),
        (["The Israeli military said Iron Dome intercepted most of the rockets from Gaza and that its jets "
          "later struck launch positions."], "israeli_airstrikes", "attributed"),
        (["Ukraine's navy said it had intercepted 16 of the Russian drones over Odesa."],
         "ukrainian_strikes", "absent"),
        (["The Israeli military in Gaza denied that its forces had fired at the hospital."],
         "hospital_strike", "attributed"),
        (["Warplanes hit houses in Khan Younis in Gaza, and Nasser hospital received 12 bodies."],
         "hospital_strike", "absent"),
        # fighters from abroad, by nationality
        (["Terrorists were killed in Idlib in Syria, among them two foreign drone operators from Uzbekistan."],
         "foreign_mercenaries", "attributed"),
        # who speaks of a clinic, rejects findings, or looks into reports did not strike
        (["Zaporozhye: command post destroyed, Kyiv speaks of clinic"], "hospital_strike", "agentless"),
        (["Moscow rejects UN findings on Kherson drone attacks"], "russian_missile_strikes", "agentless"),
        (["The IDF said it was aware of reports that the hospital in Gaza had been hit."],
         "hospital_strike", "agentless"),
        (["The IDF said its aircraft had hit the hospital in Gaza."], "hospital_strike", "attributed"),
        # who holds a town holds no hostages; a practice professed is no strike, a denial is
        (["Militants in Idlib in Syria shelled government-held districts of Aleppo, wounding four residents."],
         "hostages", "absent"),
        (["Russia has repeatedly stressed that its forces in Ukraine do not strike civilian targets."],
         "russian_missile_strikes", "absent"),
        (["Russia denied that its missiles had struck the hospital in Kharkiv in Ukraine."],
         "russian_missile_strikes", "attributed"),
        # patients moved between hospitals have not been driven from their homes
        (["The IDF said it had coordinated the evacuation of patients from the hospital in Gaza."],
         "displacement", "absent"),
        (["Doctors evacuated the remaining patients to a field clinic in Kafr Nabl in Syria."], "displacement", "absent"),
        (["The IDF ordered the evacuation of residents of eastern Rafah in Gaza."], "displacement", "attributed"),
        # ---- round 20: another war's bombing, the air force, homes lost
        (["In Kharkiv in Ukraine, she had survived the German bombing of the city in 1941."],
         "russian_airstrikes", "absent"),
        (["Air force formations flew sorties over the supply routes near Ariha in Idlib, destroying vehicles."],
         "syrian_government_airstrikes", "attributed"),
        (["The Russian air force struck militant positions near Ariha in Idlib."], "syrian_government_airstrikes", "absent"),
        # "the air force" in Gaza is no Syrian rival to an unattributed Israeli strike
        (["In response, the air force struck rocket launchers in Khan Younis in Gaza, the military said."],
         "israeli_airstrikes", "agentless"),
        (["One rocket landed in Ashkelon in Israel and wounded a mother and her small son."],
         "child_casualties", "attributed"),
        (["The ministry said the strikes in Idlib in Syria ruled out harm to the civilian population."],
         "civilian_casualties", "attributed"),
        (["Volunteers in Dnipro in Ukraine fed the families who had lost their homes."], "displacement", "attributed"),
        (["Shebekino in Russia has been shelled for months, and a large part of its population has left."],
         "displacement", "attributed"),
        (["More than 20 militants in Idlib in Syria, including foreign instructors, were killed."],
         "foreign_mercenaries", "attributed"),
        # an armed vehicle needs no attack word; a plain one does
        (["Ukrainian troops have used cheap kamikaze drones against cars in the Belgorod region."],
         "ukrainian_strikes", "attributed"),
        (["Russian helicopters provided air cover for the patrols near Tal Tamr in Syria."],
         "russian_airstrikes", "absent"),
        # an actor a word or two before the action after "where" acts; an interceptor defends
        (["Nobody looked at the left bank of the Dnieper, where Ukrainian troops regularly shell Oleshky."],
         "ukrainian_strikes", "attributed"),
        (["Bloggers in Belgorod claimed a Ukrainian interceptor had hit the building, but a missile came down."],
         "ukrainian_strikes", "agentless"),
        # ---- round 21: who left, famine, fighters from abroad
        (["Hundreds of families have walked out of the district of Daraa in Syria in recent days."],
         "displacement", "attributed"),
        (["Daraa siege in Syria: families who left describe hunger and shelling"], "displacement", "attributed"),
        (["Residents continue to leave Kherson in Ukraine, which the authorities have fortified."],
         "displacement", "attributed"),
        (["The blockade of Gaza is deepening a famine that has already killed dozens of children."],
         "child_casualties", "absent"),
        (["An air strike in Gaza killed dozens of children, the health ministry said."], "child_casualties", "attributed"),
        (["Missiles hit a compound near Albukamal in Syria used by Iraqi and Lebanese fighters."],
         "foreign_mercenaries", "attributed"),
        (["The UN says a convoy it sent to Daraa in Syria on Saturday did not get through."], "aid_blocked", "agentless"),
        (["Moments later barrels packed with explosives crashed into a lane in Idlib."],
         "syrian_government_airstrikes", "agentless"),
        # ---- round 22: shooting down, a word further on, hunting drones
        # who shoots the drones down defends
        (["Russia's Defence Ministry said it had shot down 41 drones over Belgorod overnight."],
         "russian_missile_strikes", "absent"),
        # an actor a word before a target noun owns the target
        (["Russia's defence ministry said its drones had hit Ukrainian army positions in Kharkiv."],
         "ukrainian_strikes", "absent"),
        (["Russia's defence ministry said its drones had hit Ukrainian army positions in Kharkiv."],
         "russian_missile_strikes", "attributed"),
        (["Night of drones near Moscow: Kyiv regime targets homes in Belgorod"], "ukrainian_strikes", "attributed"),
        # drones that hunt people attack them
        (["Russian armed forces have used drones to hunt civilians in Kherson in Ukraine, the inquiry said."],
         "russian_missile_strikes", "attributed"),
        # people who left for somewhere else; customers; fighters of foreign nationalities
        (["Marchenko's own family left Kherson in Ukraine for Odesa last year."], "displacement", "attributed"),
        (["Reports of casualties among bakery customers in Idlib in Syria are a provocation."],
         "civilian_casualties", "attributed"),
        (["Terrorists were killed near Latakia in Syria, including fighters of foreign nationalities."],
         "foreign_mercenaries", "attributed"),
        # a doctor at a clinic, a hospital ready to receive the wounded: no hospital hit
        (["Rockets hit Bdama in Syria, according to a doctor at the local clinic."], "hospital_strike", "absent"),
        (["Hospitals were ready to receive civilians hurt by the shelling in Latakia in Syria."],
         "hospital_strike", "absent"),
        # ---- round 23: an army reporting a strike, clauses of their own, where a weapon came from
        # an armed force that reports a strike no one else is named for reports its own; an
        # informant from its ranks does not, nor does it when it speaks after the strike
        (["The Israeli army said warplanes had struck a launch site in Rafah in Gaza."],
         "israeli_airstrikes", "attributed"),
        (["A Syrian military source said air strikes hit a bakery in Idlib."],
         "syrian_government_airstrikes", "agentless"),
        (["Russia's Defence Ministry said air defence systems had intercepted nine rockets over Belgorod."],
         "russian_missile_strikes", "absent"),
        # firing at a place; its troops gathered there are the target
        (["Ukraine denied firing at the bus station in Donetsk."], "ukrainian_strikes", "attributed"),
        (["Russian troops hit a gathering of Ukrainian soldiers in Sumy with an Iskander missile."],
         "ukrainian_strikes", "absent"),
        (["Russian troops hit a gathering of Ukrainian soldiers in Sumy with an Iskander missile."],
         "russian_missile_strikes", "attributed"),
        # the Russian defence ministry's own aviation
        (["Operational-tactical aviation and drones hit Ukrainian positions near Kupiansk, the ministry said."],
         "russian_airstrikes", "attributed"),
        # where a missile was launched from is not where it hit
        (["The missile that hit Kharkiv in Ukraine was launched from the Belgorod region, officials said."],
         "ukrainian_strikes", "absent"),
        # an actor in a clause of its own, without the action, did not do it
        (["Russian and Syrian government jets both fly over Idlib; no one has claimed the air raid on the market."],
         "russian_airstrikes", "agentless"),
        (["Israeli shelling wounds four in Rafah in Gaza; charity suspends food deliveries."],
         "aid_blocked", "agentless"),
        # ... but a clause saying whose the weapon was names the doer
        (["Warplanes hit Ariha in Syria; witnesses said the jets were Russian."], "russian_airstrikes", "attributed"),
        # a practice professed; who hails, doubts or has not answered; the people counted
        (["The Russian military says it strikes only military sites in Ukraine."], "russian_missile_strikes", "absent"),
        (["Rockets hit Sderot in Israel overnight, and Hamas praised the barrage."],
         "hamas_rocket_fire", "agentless"),
        (["The Israeli military did not respond to questions about the strike on Rafah in Gaza."],
         "israeli_airstrikes", "agentless"),
        (["A rocket fired from Gaza hit Ashkelon, injuring two Israelis."], "israeli_airstrikes", "absent"),
        # a hospital's wards
        (["A drone hit the surgical ward in Kherson in Ukraine."], "hospital_strike", "agentless"),
        # ---- round 24: whose weapon, where the fire came from, who shot the drones down
        # a professed practice, whoever professes it; shrapnel that hits a person
        (["Damascus says its air force strikes only terrorist targets in Idlib province."],
         "syrian_government_airstrikes", "absent"),
        (["A rocket hit Sderot in Israel and a boy was struck in the leg by shrapnel."], "israeli_airstrikes", "absent"),
        # Russia's named missiles are not Ukraine's; the rocket's strike is no air strike
        (["Overnight they launched Kalibr cruise missiles at Odesa and Kherson in Ukraine."],
         "ukrainian_strikes", "absent"),
        (["In Ashkelon in Israel, a rocket struck a school."], "israeli_airstrikes", "absent"),
        # fire from an actor's positions is its fire; "shellfire"
        (["Officials in Donetsk said the shells were fired from Ukrainian positions to the west."],
         "ukrainian_strikes", "attributed"),
        (["Nine people died under Ukrainian shellfire in Horlivka."], "ukrainian_strikes", "attributed"),
        # planes; regions of Russia are places; drones destroyed by the count are shot down
        (["Syria's military said its planes had hit militant depots near Idlib."],
         "syrian_government_airstrikes", "attributed"),
        (["Kyiv rarely comments, but its drones have hit refineries across southern Russia."],
         "ukrainian_strikes", "attributed"),
        (["Russia's defence ministry said it had destroyed 27 drones over Bryansk and Kursk."],
         "russian_missile_strikes", "absent"),
        # who turned the aid back: protesters too; requests refused
        (["Protesters blocked aid lorries at the Kerem Shalom crossing into Gaza for a day."], "aid_blocked", "attributed"),
        (["The UN says Israel rejects most of its requests for convoys into northern Gaza."], "aid_blocked", "attributed"),
        # foreign units
        (["Iraqi and Afghan units have been deployed around Aleppo in Syria."], "foreign_mercenaries", "attributed"),
    ],
)
def test_shipped_catalogue_rules_of_rounds_18_to_24(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


def test_coordinated_modifiers_share_their_noun_in_any_letter_case(matcher):
    """Found by the letter-case property: coordination once needed capitals ("Syrian and
    Russian"), so a lower-case copy of a sentence could change its states; and it must not
    reach into a compound word ("Russian and Russian-made" shares no "made")."""
    for sentence in ("Russian and Russian-made bombed.", "Syrian and Russian warplanes struck Idlib."):
        assert matcher.states([sentence]) == matcher.states([sentence.lower()]) == matcher.states([sentence.upper()])
    assert matcher.states(["Russian and Russian-made bombed."])["russian_airstrikes"] == "attributed"


@pytest.mark.parametrize(
    ("sentence", "fact", "state"),
    [
        # a speaker who doubts that an act anyone may do happened (a hospital struck, a chemical
        # attack) does not become its doer; one who denies its own part does, and so does one
        # doubting its own side's act ("Russia said reports of airstrikes were fake") (round 31)
        ("The Russian Centre for Reconciliation says a so-called chlorine attack in Idlib was staged.",
         "chemical_weapons", "agentless"),
        ("A ministry spokesman described Ukrainian reports that a hospital in Kharkiv had been struck as a "
         "provocation.", "hospital_strike", "agentless"),
        ("The Syrian government said reports that a clinic in Idlib had been hit were fake.", "hospital_strike",
         "agentless"),
        ("The Syrian government said reports that a clinic in Idlib had been hit were fake and denied any attack.",
         "hospital_strike", "attributed"),
        ("The Syrian government said reports of a barrel bomb on the clinic in Idlib were fake.", "hospital_strike",
         "attributed"),
        ("Russia said reports of airstrikes on a hospital in Idlib were fake.", "hospital_strike", "attributed"),
        # a speaker names itself before the act it did; after the act, or with no act after its
        # verb, "they" and "it" are something else
        ("Ukrainian officials claim that a clinic in Zaporizhzhia was hit by an aerial bomb, but they have "
         "offered no evidence.", "hospital_strike", "agentless"),
        ("No group had claimed the barrage on Sderot by Wednesday, although Hamas and Islamic Jihad both praised it.",
         "hamas_rocket_fire", "agentless"),
        ("The Israeli military said it had struck Hamas militants in a school in Gaza.", "israeli_airstrikes",
         "attributed"),
        # ... and so does the enemy it names: "the strike targeted Hamas militants" (above), not an
        # act done before it speaks
        ("An air raid hit a building in Darat Izza in Idlib which, according to Syrian military sources, housed a "
         "militant headquarters.", "syrian_government_airstrikes", "agentless"),
        # a hospital fire came from, or fighters used, is not the hospital struck
        ("Israel's military said Hamas gunmen had opened fire from inside the hospital compound in Gaza.",
         "hospital_strike", "absent"),
        ("The Israeli military said Hamas militants had been operating in the hospital yard in Gaza.",
         "hospital_strike", "absent"),
        ("Israel accuses Hamas of building tunnels under hospitals in Gaza.", "hospital_strike", "absent"),
        ("Shells fired from Israeli tanks hit the hospital in Gaza.", "hospital_strike", "attributed"),
        ("Israeli tanks fired two shells into the hospital in Gaza from the road outside.", "hospital_strike",
         "attributed"),
    ],
)
def test_a_speaker_is_the_doer_only_of_the_act_it_claims_and_a_hospital_is_struck_only_as_a_target(
    shipped, sentence, fact, state
):
    assert shipped.states([sentence])[fact] == state


@pytest.mark.parametrize(
    ("sentence", "fact", "state"),
    [
        # an act near a mark of a past era is history, not the event (round 32)
        ("Near the centre of Kharkiv stands a memorial to those killed when the city was bombed during the "
         "Second World War.", "russian_airstrikes", "absent"),
        ("Near the centre of Kharkiv stands a memorial to those killed when the city was bombed during the "
         "Second World War.", "civilian_casualties", "absent"),
        ("Odesa's port has a long history, going back to the Crimean War of the 1850s, when British and French "
         "warships bombarded it.", "russian_airstrikes", "absent"),
        ("In Quneitra in Syria, veterans marked the anniversary of the October 1973 war, when Israeli aircraft bombed "
         "the city's power station and hospital.", "israeli_airstrikes", "absent"),
        # ... but not a year someone has lived somewhere since, or was born in, nor one far from the act
        ("She had lived in the same flat in Kharkiv since 1979, and left only after a bomb dropped by a jet tore "
         "the roof off the building next door.", "russian_airstrikes", "agentless"),
        ("A woman born in 1958 was wounded in Kursk when a drone dropped an explosive on her yard.",
         "civilian_casualties", "attributed"),
        ("Russian jets bombed a market in the old quarter of Idlib on Monday morning, a quarter whose oldest houses "
         "were built around 1890.", "russian_airstrikes", "attributed"),
        # people forced from their villages, not only their homes, are displaced
        ("Thousands of people in Idlib have been forced from their villages by a new wave of bombing.",
         "displacement", "attributed"),
    ],
)
def test_an_act_in_a_past_era_is_history_and_the_displaced_are_forced_from_villages(shipped, sentence, fact, state):
    assert shipped.states([sentence])[fact] == state


@given(year=st.integers(min_value=1800, max_value=2030))
@settings(max_examples=40, deadline=None)
def test_a_year_beside_the_act_makes_it_history_only_before_2000(shipped, year):
    sentence = f"Russian jets bombed a market in Idlib in {year}."
    assert shipped.states([sentence])["russian_airstrikes"] == ("absent" if year < 2000 else "attributed")


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # an actor's press and its unarmed people report or suffer an act, they do not do it (round 33)
        (["Russian state media described the missile strike on the Kharkiv depot as an attack on a military "
          "target."], "russian_missile_strikes", "agentless"),
        (["Ukrainian medics treated eleven soldiers for chlorine poisoning after the gas attack near Bakhmut."],
         "chemical_weapons", "agentless"),
        (["Ukraine's prosecutor-general has opened an investigation into the strike on the hospital."],
         "hospital_strike", "agentless"),
        # ... nor one that made no statement
        (["Officials did not say where the drone that hit a block of flats in Belgorod was launched from, and "
          "Ukraine made no statement."], "ukrainian_strikes", "agentless"),
        # ... but the press may report an actor's act, and a statement may speak of its own
        (["Russian state media said Russian jets struck militant positions near Idlib."], "russian_airstrikes",
         "attributed"),
        (["Syrian state television said the army's helicopters had bombed terrorist positions near Idlib."],
         "syrian_government_airstrikes", "attributed"),
        (["Ukraine made a statement saying its drones struck the depot in Rylsk."], "ukrainian_strikes", "attributed"),
        (["Israeli protesters blocked the aid trucks at the crossing for a third day."], "aid_blocked", "attributed"),
        # a blame that refers back to the article's act names its doer, two sentences on too
        (["A drone hit a block of flats in Belgorod overnight.", "The governor said three people were hurt.",
          "Moscow blamed the attack on Kyiv."], "ukrainian_strikes", "attributed"),
        (["A barrel bomb hit the market in Ariha, and a clinic nearby was damaged.", "Medics counted the dead.",
          "Residents blamed the attack on government helicopters."], "syrian_government_airstrikes", "attributed"),
        # ... but not of a fact whose doer may be anyone: "the attack" may be another of its acts
        (["A barrel bomb hit the market in Ariha, and a clinic nearby was damaged.", "Medics counted the dead.",
          "Residents blamed the attack on government helicopters."], "hospital_strike", "agentless"),
        # ... and a blame of another sentence's act names no doer of this one
        (["A drone hit a block of flats in Belgorod overnight.", "Officials counted the damage."],
         "ukrainian_strikes", "agentless"),
    ],
)
def test_the_press_and_the_unarmed_do_not_act_and_a_blame_names_the_doer_of_the_act_it_refers_to(
    shipped, sentences, fact, state
):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # "one of the barrels" refers back to the bombs told before, and to their doer (round 34)
        (["Government helicopters dropped barrels on Kansafra before dawn.", "One of the barrels hit the field clinic."],
         "hospital_strike", "attributed"),
        (["The helicopters circled Kansafra before dawn.", "One of the barrels hit the field clinic."],
         "hospital_strike", "agentless"),
        # ... not "one of the drones" after a count of those shot down: the defender is no doer
        (["Ukrainian air defences shot down 20 drones overnight.", "One of the drones fell on a house in Kharkiv."],
         "ukrainian_strikes", "absent"),
        # the Syrian army's Fourth Division keeps its checkpoints
        (["The aid convoy was turned back at a Fourth Division checkpoint outside Daraa."], "aid_blocked", "attributed"),
    ],
)
def test_one_of_the_bombs_told_before_is_its_doers_and_the_fourth_division_blocks_aid(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # a claim of a strike by the one who made it names the doer of the act told before (round 35)
        (["Drones struck grain warehouses in Odesa's port overnight, killing two workers.",
          "Russia says it hit naval drone sites."], "russian_missile_strikes", "attributed"),
        (["An air strike hit a school in Nuseirat where families were sheltering.",
          "Israel's military said that it had struck Hamas militants operating there."], "israeli_airstrikes",
         "attributed"),
        # ... not a policy, an aim, or what was destroyed: they do not say the strike was theirs
        (["An air strike hit the market in Kafranbel.", "The Syrian government and Russia say they target only "
          "militants."], "russian_airstrikes", "agentless"),
        (["An air strike hit the market in Kafranbel.", "Russia says it targeted a weapons depot."],
         "russian_airstrikes", "agentless"),
        (["Two guided aerial bombs hit the hospital's car park in Zaporizhzhia.", "The defence ministry in Moscow said it had destroyed a "
          "facility used by drone units."], "russian_airstrikes", "agentless"),
        # ... nor with no act told before it
        (["Russia says it hit naval drone sites."], "russian_missile_strikes", "absent"),
        # the weapons told before, said to be the actor's, are its doer's
        (["The market in Maarrat Misrin, north of Idlib city, was bombed twice on Thursday morning.",
          "Nine people were killed.",
          "Monitors said the warplanes were Russian and had flown in from the coast."], "russian_airstrikes",
         "attributed"),
        # ... but warplanes said to be Russian without an act told before do nothing
        (["Monitors said the warplanes were Russian and had flown in from the coast."], "russian_airstrikes",
         "absent"),
        # ... nor before the act, nor jets said not to be Russian
        (["Monitors said the two aircraft were Russian.", "Most people ran for the walls.",
          "The market in Idlib was bombed on Thursday."], "russian_airstrikes", "agentless"),
        (["The market in Idlib was bombed on Thursday.", "Residents said the jets were not Russian."],
         "russian_airstrikes", "agentless"),
    ],
)
def test_a_claim_or_an_identification_names_the_doer_of_the_act_told_before(shipped, sentences, fact, state):
    assert shipped.states(sentences)[fact] == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # round 36: an actor that has not answered is a source, with an adverb between too
        (["On Saturday an air strike hit the school in Bani Suheila, killing six people.",
          "The Israeli military did not immediately respond to questions about the strike."],
         "israeli_airstrikes", "agentless"),
        # ... its enemy words make a source the doer only in its own clause
        (["On Tuesday at noon an air strike tore open the classroom's outer wall in Nuseirat.",
          "The Herald sent the Israeli military questions about the strike; it referred to an earlier "
          "statement saying militants were present."], "israeli_airstrikes", "agentless"),
        (["Israeli officials said the strike in Nuseirat targeted Hamas militants."], "israeli_airstrikes",
         "attributed"),
        # ... and one concerned by attacks reacts to them
        (["The Russian Foreign Ministry said it was deeply concerned by attacks on hospitals in Gaza."],
         "hospital_strike", "agentless"),
        # a place named for an actor is no doer
        (["Flour runs short in Gaza as Israeli crossing stays shut."], "aid_blocked", "agentless"),
        (["The convoy had been stopped, once again, before it could leave the Damascus countryside."],
         "aid_blocked", "agentless"),
        (["Israel closed the crossing to aid trucks on Sunday."], "aid_blocked", "attributed"),
        # who reports or blames speaks
        (["Families are leaving villages near Huliaipole as Ukrainian officials report growing use of "
          "tear gas dropped from drones."], "chemical_weapons", "agentless"),
        (["Drones struck energy facilities in Kharkiv region overnight, with Moscow and Kyiv each blaming "
          "the other."], "russian_missile_strikes", "agentless"),
        # a "since" clause dates the act, it does not name its doer
        (["The hospital in Kherson had been hit twice before since the city was retaken by Ukrainian troops."],
         "hospital_strike", "agentless"),
        (["A glide bomb hit the courtyard in Kharkiv, a city shelled ever since Russia's full-scale invasion "
          "began in 2022."], "russian_airstrikes", "agentless"),
        (["The town in Idlib has been quiet since Russian jets bombed its market in May."], "russian_airstrikes",
         "attributed"),
        # a group that claims the attack by name made it; one that claims what it hit did not
        (["About twenty rockets were launched from Gaza at Ashkelon, and the Qassam Brigades claimed the "
          "launch in a statement."], "hamas_rocket_fire", "attributed"),
        (["A missile hit an apartment block in Kharkiv, and Russian military bloggers claim the strike "
          "targeted a hotel used by soldiers."], "russian_missile_strikes", "agentless"),
    ],
)
def test_speakers_places_and_dates_are_not_doers_and_a_claimed_attack_is(shipped, sentences, fact, state):
    assert shipped.states(sentences).get(fact, "absent") == state


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # round 37: fighters named after "by" did something; they are not what the source struck
        (["The Russian Centre for Reconciliation said footage purporting to show a chlorine attack on "
          "al-Lataminah had been staged by militants with the help of the White Helmets."],
         "chemical_weapons", "agentless"),
        # one barrel refers back to the bombs told before, and to their doer
        (["Two regime helicopters dropped barrel bombs on Ariha on Tuesday night.",
          "One barrel hit the outpatient wing of Ariha Surgical Hospital."], "hospital_strike", "attributed"),
        (["One barrel hit the outpatient wing of Ariha Surgical Hospital in Idlib."], "hospital_strike",
         "agentless"),
        # Israel's missiles on Syria are no rocket fire, intercepted or not; Gaza's rockets still are
        (["DAMASCUS — The Israeli enemy fired a barrage of missiles from the direction of the occupied "
          "Golan at points near Damascus, a military source said.",
          "Our air defence crews intercepted the bulk of the hostile missiles."], "hamas_rocket_fire", "absent"),
        (["Syria says its air defences intercepted most of a salvo of Israeli missiles fired at the outskirts "
          "of Damascus."], "hamas_rocket_fire", "absent"),
        (["A barrage of rockets hit Sderot on Tuesday evening."], "hamas_rocket_fire", "agentless"),
        (["Iron Dome intercepted most of the rockets fired at Ashkelon."], "hamas_rocket_fire", "agentless"),
    ],
)
def test_enemies_by_name_one_barrel_and_missiles_on_syria(shipped, sentences, fact, state):
    assert shipped.states(sentences).get(fact, "absent") == state


def test_an_event_is_in_the_wars_two_of_its_articles_name(shipped):
    """One report's aside about Damascus does not put a Gaza strike into Syria's war (round 37);
    a war two reports name does, and an article stays in the wars it names itself."""
    from narratives.facts import _event_theatres

    assert _event_theatres([frozenset({"gaza"}), frozenset({"gaza"}), frozenset({"syria", "gaza"})]) == {"gaza"}
    assert _event_theatres([frozenset({"syria"}), frozenset({"gaza"})]) == {"syria", "gaza"}
    assert _event_theatres([frozenset({"syria"}), frozenset()]) == {"syria"}
    assert _event_theatres([]) == set()
    israeli = ["An Israeli air strike hit the courtyard of Nasser Hospital in Khan Younis."]
    army = ["The army's aircraft bombed tents in the courtyard of Nasser Medical Complex in Khan Younis."]
    aside = ["The courtyard of Nasser Hospital in Khan Younis was bombed.",
             "In Damascus, a delegation of Palestinian factions met officials."]
    found = shipped.event_mentions([israeli, army, aside])
    assert "syrian_government_airstrikes" not in {m.fact_id for m in found[1]}
    # ... but with Syria named by two of the reports the army's aircraft may be Syria's
    syrian = ["Syrian state media reported strikes near Damascus."]
    found = shipped.event_mentions([israeli, army, aside, syrian])
    assert "syrian_government_airstrikes" in {m.fact_id for m in found[1]}


@pytest.mark.parametrize(
    ("sentences", "fact", "state"),
    [
        # round 42: Russia's air force by its own name is the doer and the act in one
        (["CORRESPONDENT: The Aerospace Forces delivered a precision strike before dawn on a workshop near "
          "Khan Sheikhoun in Idlib."], "russian_airstrikes", "attributed"),
        (["Aerospace Forces hit militant depot in Idlib zone"], "russian_airstrikes", "attributed"),
        (["Air strikes destroyed a depot near Khan Sheikhoun in Idlib."], "russian_airstrikes", "agentless"),
        # ... and an actor of Russia's other facts ("struck with cruise missiles")
        (["The Aerospace Forces struck a plant in Kharkiv with cruise missiles."], "russian_missile_strikes",
         "attributed"),
        # the one struck is no doer: not Hamas, whose gunman the aircraft struck
        (["A missile struck a Hamas gunman at the gate of the al-Amal hospital in Khan Younis."],
         "hospital_strike", "agentless"),
        (["A drone hit Hamas gunmen at the gate of the al-Amal hospital in Khan Younis."], "hospital_strike",
         "agentless"),
        # ... nor one who describes the targets, gives a reason or tells of the act
        (["Air strikes later hit what the Israeli military described as rocket launchers in the northern Gaza "
          "Strip."], "israeli_airstrikes", "agentless"),
        (["Notes: the closure reason given by COGAT is mortar fire at the crossing; Kerem Shalom stayed closed to "
          "aid trucks."], "aid_blocked", "agentless"),
        (["Ukrainian Telegram channels are already spreading stories about a hit clinic in Kharkiv."],
         "hospital_strike", "agentless"),
        (["Douma is known for an alleged chemical attack that Russian experts showed had been staged."],
         "chemical_weapons", "agentless"),
        (["The Russian Centre for Reconciliation says it has evidence that the chemical attack allegations from "
          "Idlib were fabricated."], "chemical_weapons", "agentless"),
        # ... but a ministry in its capital speaks of its own strike
        (["However, the Defence Ministry in Moscow says its strike was aimed at a plant repairing armoured "
          "vehicles in Kryvyi Rih."], "russian_missile_strikes", "attributed"),
        (["Rescuers in Kryvyi Rih said a missile hit the tram depot."], "russian_missile_strikes", "agentless"),
        # the first of those told is one of them, and theirs is its act
        (["Residents said two Russian warplanes had been circling high over Saraqib.",
          "Then the first of them dived and dropped its bombs on the bakery roof."], "russian_airstrikes",
         "attributed"),
    ],
)
def test_own_names_struck_targets_describers_and_seats_round_42(shipped, sentences, fact, state):
    assert shipped.states(sentences).get(fact, "absent") == state


def test_an_actor_action_term_is_attributed_alone_and_must_be_an_actor():
    """facts.yaml ``actor_action``: actor terms that say the act too are also action terms; one
    that is not among the fact's actors is an error with its line, key and fix."""
    ok = parse_facts_yaml(fact_yaml(actor="[Russia, Aerospace Forces]", actor_action="[Aerospace Forces]"), "t.yaml")
    fact = ok.get("f1")
    assert fact.actor_action == ("Aerospace Forces",) and fact.action == ("bomb", "Aerospace Forces")
    m = FactMatcher(ok)
    assert m.states(["The Aerospace Forces delivered a strike on a depot."]) == {"f1": "attributed"}
    assert m.states(["Bombs hit a depot."]) == {"f1": "agentless"}
    text = fact_yaml(actor_action="[Aerospace Forces]")
    with pytest.raises(ConfigError) as info:
        parse_facts_yaml(text, "t.yaml")
    message = str(info.value)
    line = text.splitlines().index("    actor_action: [Aerospace Forces]") + 1
    assert f"t.yaml:{line}:" in message and "actor_action" in message
    assert "is not one of the fact's actor terms" in message and "add it to actor" in message
