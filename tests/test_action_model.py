"""The trained second opinion: narratives/action_model.py and facts.yaml's ``second_opinion`` key.

The shipped model file is checked against the training script and the labelled sets it was
trained on; veto, rescue, attribute and hold are checked through small catalogues written
here, so that a test names its own rule terms, and end to end through a real store.
Sentences are invented.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import numpy as np
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from test_eval_facts import FACT_IDS, NO_ACTOR
from test_omissions import ARTICLES, CATALOGUE, cluster, compare, event_of, import_articles, invoke, verdicts

from narratives.action_model import (
    ATTRIBUTION,
    MODEL_PATH,
    ActionModel,
    rescue_term,
    rescued_score,
    shipped_model,
)
from narratives.compare import OutletCoverage, fact_verdicts, outlet_profiles
from narratives.errors import ConfigError
from narratives.facts import FactMatcher, load_facts, parse_facts_yaml
from narratives.facts_config import SecondOpinion
from narratives.omissions import catalogue_digest

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import train_action_model as tam
finally:
    sys.path.remove(str(REPO / "benchmarks"))

ON = "second_opinion: {veto: 0.1, rescue: 0.8}\n"  # facts without an actor only
ALL = ("second_opinion: {veto: 0.1, rescue: 0.8, hold: 0.7, attribute: 0.95, veto_actor: 0.02,"
       " deleted: 0.8}\n")  # as shipped
HOLD = "second_opinion: {veto: 0.1, rescue: 0.8, hold: 0.7, attribute: 0.95}\n"  # no agent deletion by the model
# Rules that know one word each, so the model has something to add and something to refuse.
SMALL = """\
facts:
  - id: displacement
    label: People displaced
    description: People flee.
    action: [flee, leave]
  - id: russian_airstrikes
    label: Russian airstrikes
    description: Russian aircraft bomb a place.
    actor: [Russia, Russian]
    action: [strike]
"""
LEFT = "Hundreds of families packed their belongings and left the town on foot."
TEACHERS = "A strike by teachers closed the schools of the town on Monday."
TRIP = "The delegation will leave for Geneva on Monday."
DIPLOMATS = "Russian diplomats said the strike in Gaza must be investigated."
JETS = "Russian jets carried out a strike on the market in Ariha."


# ----------------------------------------------------------------------------- the file


def test_the_file_holds_arrays_only_an_action_head_per_fact_and_an_attribution_head_per_actor_fact():
    with np.load(MODEL_PATH, allow_pickle=False) as arrays:  # no pickled objects: would raise
        assert set(arrays.files) == {"facts", "coef", "intercept", "word_vocabulary", "word_idf",
                                     "char_vocabulary", "char_idf", "info"}
        assert arrays["coef"].shape == (len(arrays["facts"]), len(arrays["word_vocabulary"])
                                        + len(arrays["char_vocabulary"]))
    model = shipped_model()
    assert set(model.facts) == FACT_IDS | {f + ATTRIBUTION for f in FACT_IDS - NO_ACTOR}
    assert model.info["trained_on"] == "benchmarks/data sets 0-78"  # 79 and later stay blind to it


@pytest.fixture(scope="module")
def retrained():
    """The training script's arrays for sets 0-78, made again here (about two minutes)."""
    return tam.train([tam.ev.load_eval(tam.set_file(n)) for n in range(79)], "benchmarks/data sets 0-78")


def test_the_training_script_makes_the_shipped_file_again(retrained):
    with np.load(MODEL_PATH, allow_pickle=False) as shipped:
        for name in ("facts", "word_vocabulary", "char_vocabulary", "info"):
            assert (shipped[name] == retrained[name]).all(), name
        for name in ("word_idf", "char_idf", "intercept"):
            np.testing.assert_allclose(shipped[name], retrained[name], rtol=1e-5)
        # float16 weights; another BLAS may move a weight by its last bit
        np.testing.assert_allclose(shipped["coef"].astype(float), retrained["coef"].astype(float), atol=2e-2)


def test_the_vectorizers_read_from_the_file_weigh_text_as_the_fitted_ones(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer

    data = tam.ev.load_eval(tam.set_file(0))
    np.savez_compressed(tmp_path / "m.npz", **tam.train([data], "set 0"))
    model = ActionModel.load(tmp_path / "m.npz")
    sentences = [s for a in data.articles for s in a.sentences]
    probe = [LEFT, TEACHERS, "Russian jets struck the bakery.", "", "Ариха", *sentences[:50]]
    for rebuilt, params, min_df in ((model.word, tam.WORD, 2), (model.char, tam.CHAR, 3)):
        fitted = TfidfVectorizer(min_df=min_df, **params).fit(sentences)
        assert (abs(rebuilt.transform(probe) - fitted.transform(probe)) > 1e-6).nnz == 0


def test_scores_are_probabilities_per_sentence_and_fact():
    model = shipped_model()
    probs = model.scores([LEFT, TEACHERS, "The weather was mild."])
    assert set(probs) == set(model.facts)
    assert all(p.shape == (3,) and ((p >= 0) & (p <= 1)).all() for p in probs.values())
    assert probs["displacement"][0] > 0.8 > probs["displacement"][2]
    assert set(model.scores([])) == set(model.facts) and all(len(p) == 0 for p in model.scores([]).values())
    per_article = model.article_scores([[LEFT], [], [TEACHERS, LEFT]])
    assert [len(p["displacement"]) for p in per_article] == [1, 0, 2]
    assert per_article[2]["displacement"][1] == pytest.approx(probs["displacement"][0])


def _sklearn_scores(model: ActionModel, sentences: list[str]) -> np.ndarray:
    """The same probabilities through scikit-learn's own transform (slower per call)."""
    import scipy.sparse as sp

    x = sp.hstack([model.word.transform(sentences), model.char.transform(sentences)]).tocsr()
    return 1 / (1 + np.exp(-(np.asarray(x @ model.coef.T.astype(float)) + model.intercept)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80) | st.sampled_from([LEFT, TEACHERS, TRIP, "İSTANBUL  ŞEHİR\t", "ﬁre ǅemal"]),
                min_size=1, max_size=6))
def test_scores_are_scikit_learns_tf_idf_for_any_text(sentences):
    """The model weighs n-grams itself (per word, cached) to spare the per-call checks: the
    probabilities must be what TfidfVectorizer.transform gives, for any text."""
    model = shipped_model()
    ours = model.scores(sentences)
    np.testing.assert_allclose(np.column_stack([ours[f] for f in model.facts]), _sklearn_scores(model, sentences),
                               atol=1e-9)


# ----------------------------------------------------------------------------- veto and rescue


def _states(catalogue_text: str, sentences: list[str]) -> dict[str, tuple[str, str]]:
    matcher = FactMatcher(parse_facts_yaml(catalogue_text))
    (found,) = matcher.event_mentions([sentences])
    return {m.fact_id: (m.state, m.action_term) for m in found}


def test_rescue_adds_a_carried_mention_the_rules_missed():
    article = ["Ariha, Syria", LEFT]
    assert "displacement" not in _states(SMALL, article)  # no "flee" in it
    state, term = _states(SMALL + ON, article)["displacement"]
    assert state == "attributed" and rescued_score(term) > 0.8
    (found,) = FactMatcher(parse_facts_yaml(SMALL + ON)).event_mentions([article])
    (m,) = [m for m in found if m.fact_id == "displacement"]
    assert (m.sentence_index, m.sentence, m.actor_term) == (1, LEFT, None)


def test_a_rescue_keeps_the_sentences_cues():
    claimed = "Hundreds of families allegedly packed their belongings and left the town on foot."
    (found,) = FactMatcher(parse_facts_yaml(SMALL + ON)).event_mentions([[claimed]])
    assert [m.cues for m in found if m.fact_id == "displacement"] == [("allegedly",)]


def test_veto_drops_a_rule_mention_the_model_refuses():
    article = ["Ariha, Syria", TRIP]
    assert _states(SMALL, article)["displacement"] == ("attributed", "leave")
    assert shipped_model().scores([TRIP])["displacement"][0] < 0.1
    assert "displacement" not in _states(SMALL + ON, article)


def test_veto_actor_drops_a_rule_mention_of_a_fact_with_an_actor_the_model_refuses():
    article = ["Ariha, Syria", DIPLOMATS, JETS]
    p = shipped_model().scores([DIPLOMATS, JETS])["russian_airstrikes"]
    assert p[0] < 0.02 < p[1]
    (rules,) = FactMatcher(parse_facts_yaml(SMALL + ON)).event_mentions([article])
    assert [m.sentence_index for m in rules if m.fact_id == "russian_airstrikes"] == [1, 2]
    vetoing = SMALL + "second_opinion: {veto: 0.1, rescue: 0.8, veto_actor: 0.02}\n"
    (kept,) = FactMatcher(parse_facts_yaml(vetoing)).event_mentions([article])
    assert [(m.sentence_index, m.state) for m in kept if m.fact_id == "russian_airstrikes"] == [(2, "attributed")]
    # the diplomats' sentence alone: the article no longer carries the fact at all
    assert "russian_airstrikes" not in _states(vetoing, ["Ariha, Syria", DIPLOMATS])
    assert "russian_airstrikes" in _states(SMALL + ON, ["Ariha, Syria", DIPLOMATS])


def test_without_hold_and_attribute_facts_with_an_actor_and_unknown_facts_are_left_to_the_rules():
    # russian_airstrikes has an actor: a teachers' strike the rules take stays theirs to judge
    assert _states(SMALL + ON, ["Ariha, Syria", TEACHERS])["russian_airstrikes"] == ("agentless", "strike")
    # a known id given an actor by this catalogue is not the fact the model learnt
    with_actor = SMALL.replace("description: People flee.", "description: People flee.\n    actor: [Army]")
    assert _states(with_actor + ON, ["Ariha, Syria", TRIP])["displacement"] == ("agentless", "leave")
    assert "displacement" not in _states(with_actor + ON, ["Ariha, Syria", LEFT])
    renamed = SMALL.replace("id: displacement", "id: people_leaving")
    assert "people_leaving" not in _states(renamed + ON, ["Ariha, Syria", LEFT])
    assert _states(renamed + ON, ["Ariha, Syria", TRIP])["people_leaving"] == ("attributed", "leave")


def test_without_the_key_the_rules_decide_alone():
    shipped = load_facts(REPO / "facts.yaml")
    assert shipped.second_opinion == SecondOpinion(veto=0.1, rescue=0.8, hold=0.7, attribute=0.95,
                                                   veto_actor=0.02, deleted=0.8)  # on
    rules = FactMatcher(dataclasses.replace(shipped, second_opinion=None))
    assert rules.catalogue.second_opinion is None
    article = ["Ariha, Syria", TEACHERS, LEFT]
    assert rules.event_mentions([article]) == [rules.mentions(article, rules.theatres(rules.scan(article)))]


def test_a_fact_is_rescued_only_in_the_wars_the_event_is_in():
    """The model learnt from war reporting: an earthquake's homeless are no displacement."""
    shipped = FactMatcher(load_facts(REPO / "facts.yaml"))
    quake = ["Quake rocks eastern Turkey",  # the demo sample's words
             "Buildings collapse and residents flee into the streets as a 6.1 quake rocks eastern Turkey.",
             "Officials say at least four people have died."]
    assert shipped.event_mentions([quake]) == [[]]
    assert shipped_model().scores(quake[1:])["displacement"][0] > 0.8  # what the war check holds back
    text = SMALL.replace("    action: [flee, leave]\n", "    action: [flee, leave]\n    topics: [syria]\n")
    matcher = FactMatcher(parse_facts_yaml(text + ON + "theatres:\n  syria: [Idlib]\n"))
    assert matcher.event_mentions([["Ariha, Turkey", LEFT]]) == [[]]
    ((m,),) = matcher.event_mentions([["Idlib, Syria", LEFT]])
    assert m.fact_id == "displacement" and rescued_score(m.action_term) > 0.8
    # an article naming no place is in the war its event's other articles name
    _, (m,) = matcher.event_mentions([["Idlib, Syria"], [LEFT]])
    assert m.fact_id == "displacement" and rescued_score(m.action_term) > 0.8


# ----------------------------------------------------------------------------- attribute and hold

HIT = "A strike hit the market in Ariha."  # the rules' action, nobody named
BOMBED = "Russian warplanes bombed the market in Ariha on Monday."  # no rule word for the act
NAMELESS = "Warplanes bombed the market in Ariha on Monday."


def _mentions(text: str, article: list[str]):
    (found,) = FactMatcher(parse_facts_yaml(text)).event_mentions([article])
    return [m for m in found if m.fact_id == "russian_airstrikes"]


def test_attribute_finds_the_doer_of_an_agent_deleted_article():
    article = ["Ariha, Syria", HIT, BOMBED]
    assert [(m.state, m.sentence_index) for m in _mentions(SMALL + ON, article)] == [("agentless", 1)]
    scores = shipped_model().scores([HIT, BOMBED])
    assert scores["russian_airstrikes" + ATTRIBUTION][1] > 0.95 > scores["russian_airstrikes" + ATTRIBUTION][0]
    rule, found = _mentions(SMALL + ALL, article)
    assert (rule.state, rule.sentence_index, rule.action_term) == ("agentless", 1, "strike")  # kept, as evidence
    assert (found.state, found.sentence_index, found.sentence, found.actor_where) == ("attributed", 2, BOMBED, "sentence")
    assert rescued_score(found.actor_term) > 0.95 and rescued_score(found.action_term) > 0.7  # no rule read it
    # where the rules read the act (not its doer) in the model's sentence, their term stays
    blind = SMALL.replace("action: [strike]", "action: [strike, bombed]")
    article = ["Ariha, Syria", HIT, "Warplanes from the Russian base at Hmeimim bombed the market in Ariha on Monday."]
    assert [m.state for m in _mentions(blind + ON, article)] == ["agentless", "agentless"]
    *_, found = _mentions(blind + ALL, article)
    assert (found.state, found.sentence_index, found.action_term) == ("attributed", 2, "bombed")
    assert rescued_score(found.actor_term) > 0.95


def test_attribute_needs_a_sentence_that_names_an_actor():
    # "the Aerospace Forces" are Russia's, and the model knows it, but this catalogue does not:
    # no sentence names an actor it knows, so the model cannot supply one
    forces = "The Aerospace Forces bombed the market in Ariha on Monday."
    assert shipped_model().scores([forces])["russian_airstrikes" + ATTRIBUTION][0] > 0.95
    assert [m.state for m in _mentions(SMALL + ALL, ["Ariha, Syria", HIT, forces])] == ["agentless"]
    # ... the sentence before naming one is enough ("Russia widened its campaign. The
    # Aerospace Forces bombed ..."), as is the sentence itself
    named = ["Ariha, Syria", HIT, "Russia widened its air campaign over Idlib this week.", forces]
    *_, found = _mentions(SMALL + ALL, named)
    assert (found.state, found.sentence_index) == ("attributed", 3)


def test_attribute_leaves_an_article_no_sentence_of_which_names_the_doer():
    article = ["Ariha, Syria", HIT, NAMELESS]
    assert shipped_model().scores([NAMELESS])["russian_airstrikes" + ATTRIBUTION][0] < 0.95
    assert [m.state for m in _mentions(SMALL + ALL, article)] == ["agentless"]


def test_hold_marks_an_act_only_the_model_read_as_unresolved():
    article = ["Ariha, Syria", NAMELESS]
    assert _mentions(SMALL + ON, article) == []
    (m,) = _mentions(SMALL + HOLD, article)
    assert (m.state, m.sentence_index, m.actor_term, m.actor_where) == ("unresolved", 1, None, None)
    assert rescued_score(m.action_term) > 0.7
    # a rule mention, or a sentence the model does not read as the act, is no hold
    assert _mentions(SMALL + HOLD, ["Ariha, Syria", TEACHERS])[0].state == "agentless"
    assert _mentions(SMALL + HOLD, ["Ariha, Syria", TRIP]) == []
    assert _mentions(SMALL + "second_opinion: {veto: 0.1, rescue: 0.8, hold: 0.999}\n", article) == []


def test_deleted_makes_a_sure_hold_in_an_article_naming_no_actor_an_agent_deletion():
    article = ["Ariha, Syria", NAMELESS]
    assert shipped_model().scores([NAMELESS])["russian_airstrikes"][0] > 0.9
    (m,) = _mentions(SMALL + ALL, article)
    assert (m.state, m.sentence_index, m.actor_term) == ("agentless", 1, None)
    assert rescued_score(m.action_term) > 0.8
    # the act read, but the fact's actor named in its sentence or the one before (here as a
    # speaker): whose it is stays unknown
    speaker = "Russia's defence ministry said it was checking reports from Idlib."
    assert [m.state for m in _mentions(SMALL + ALL, ["Ariha, Syria", speaker, NAMELESS])] == ["unresolved"]
    # named two sentences back, or only after the act, the actor is not this act's doer (as
    # the rules read back-references): an agent deletion (before round 41, a hold)
    far = ["Ariha, Syria", speaker, "Markets in the province reopened last week.", NAMELESS]
    after = ["Ariha, Syria", NAMELESS, speaker]
    for article in (far, after):
        assert [(m.state, m.sentence_index) for m in _mentions(SMALL + ALL, article)] == [
            ("agentless", article.index(NAMELESS))]
    # below the threshold, or without the key, a hold
    assert _mentions(SMALL + ALL.replace("deleted: 0.8", "deleted: 0.999"), article)[0].state == "unresolved"
    assert _mentions(SMALL + HOLD, article)[0].state == "unresolved"


def test_no_agent_deletion_by_the_model_where_the_event_names_only_a_rivals_doer():
    """As with the rules' agentless mentions (``event_mentions``): beside reports naming only
    Syrian government helicopters, the model's read of a paraphrase is no agent-deleted
    Russian strike."""
    text = SMALL + """  - id: syrian_government_airstrikes
    label: Syrian government airstrikes
    description: Syrian government aircraft bomb a place.
    actor: [Syrian government, regime]
    action: [strike, barrel bomb]
"""
    article = ["Ariha, Syria", NAMELESS]
    named = ["Ariha, Syria", "Regime helicopters dropped a barrel bomb on the market in Ariha."]
    alone = FactMatcher(parse_facts_yaml(text + ALL)).event_mentions([article])
    assert ("russian_airstrikes", "agentless") in {(m.fact_id, m.state) for m in alone[0]}
    found, _ = FactMatcher(parse_facts_yaml(text + ALL)).event_mentions([article, named])
    assert ("russian_airstrikes", "agentless") not in {(m.fact_id, m.state) for m in found}


def test_no_hold_where_the_rules_read_a_rival_facts_act():
    """The event decides whose an agent-deleted strike is (the government's, beside a report
    naming only its helicopters): the model's read of the act must not bring the rival's
    fact back as unresolved."""
    shipped = FactMatcher(load_facts(REPO / "facts.yaml"))
    bombed = ["The market in Saraqib in Idlib was bombed at dawn, killing nine."]
    named = ["Syrian government helicopters bombed the market in Saraqib in Idlib at dawn."]
    assert shipped_model().scores(bombed)["russian_airstrikes"][0] > 0.7  # what the guard holds back
    found, _ = shipped.event_mentions([bombed, named])
    assert {(m.fact_id, m.state) for m in found if m.fact_id.endswith("airstrikes")} == {
        ("syrian_government_airstrikes", "agentless")}
    # alone, with no rival's act read, the same sentence is the rules' agentless mention of both
    (alone,) = shipped.event_mentions([bombed])
    assert {("russian_airstrikes", "agentless"), ("syrian_government_airstrikes", "agentless")} <= {
        (m.fact_id, m.state) for m in alone}


def _outlet(name: str, state: str | None) -> OutletCoverage:
    return OutletCoverage(name, articles=(1,), states={"russian_airstrikes": state} if state else {})


def test_an_unresolved_outlet_gets_no_verdict_and_supports_none():
    event = {o.outlet: o for o in (_outlet("a", "attributed"), _outlet("b", "agentless"), _outlet("x", "unresolved"),
                                   _outlet("y", None))}
    found = {(o.outlet, o.verdict): o for o in fact_verdicts(event, ["russian_airstrikes"])}
    assert set(found) == {("y", "omitted"), ("b", "agentless")}
    assert found["y", "omitted"].supporting_outlets == ("a", "b")
    # with x carrying it as absent, x would be omitted too; unresolved, it is not judged
    event["x"] = _outlet("x", None)
    assert ("x", "omitted") in {(o.outlet, o.verdict) for o in fact_verdicts(event, ["russian_airstrikes"])}
    # and the outlet profiles do not count it among the events it could have omitted the fact in
    event["x"] = _outlet("x", "unresolved")
    profiles = {p.outlet: p for p in outlet_profiles([event], ["russian_airstrikes"])}
    assert "x" not in profiles and profiles["y"].events == 1 and profiles["y"].omitted == 1
    # one outlet supporting, one unresolved: no omission (the unresolved one is no carrier)
    event = {o.outlet: o for o in (_outlet("a", "attributed"), _outlet("x", "unresolved"), _outlet("y", None))}
    assert fact_verdicts(event, ["russian_airstrikes"]) == []


@given(st.floats(min_value=0, max_value=1))
def test_a_rescued_term_gives_back_its_probability(p):
    assert rescued_score(rescue_term(p)) == pytest.approx(round(p, 2))


@pytest.mark.parametrize("term", ["strike", "(model x)", "", None, "model 0.5", "(model 0.5"])
def test_rule_terms_are_no_rescue(term):
    assert rescued_score(term) is None


# ----------------------------------------------------------------------------- facts.yaml


@pytest.mark.parametrize(("value", "message"), [
    ("{veto: 0.1}", "test.yaml:11: second_opinion.rescue: missing. Fix: add 'rescue:'"),
    ("{veto: 0.1, rescue: 1.5}", "test.yaml:11: second_opinion.rescue: expected a probability from 0 to 1"),
    ("{veto: yes, rescue: 0.8}", "second_opinion.veto: expected a probability from 0 to 1"),
    ("{veto: 0.9, rescue: 0.8}", "second_opinion: veto (0.9) must be below rescue (0.8)"),
    ("{veto: 0.1, rescue: 0.8, vetoo: 1}", "second_opinion.vetoo: unknown key. Fix: rename or remove it"),
    ("on", "second_opinion: expected a mapping"),
    ("{veto: 0.1, rescue: 0.8, hold: 2}", "second_opinion.hold: expected a probability from 0 to 1"),
    ("{veto: 0.1, rescue: 0.8, attribute: high}", "second_opinion.attribute: expected a probability from 0 to 1"),
    ("{veto: 0.1, rescue: 0.8, veto_actor: 1.2}", "second_opinion.veto_actor: expected a probability from 0 to 1"),
    ("{veto: 0.1, rescue: 0.8, deleted: -1}", "second_opinion.deleted: expected a probability from 0 to 1"),
    ("{veto: 0.1, rescue: 0.8, atribute: 0.9}", "second_opinion.atribute: unknown key. Fix: rename or remove it "
                                                "(did you mean 'attribute'?)"),
])
def test_a_bad_second_opinion_is_named_with_its_line_and_fix(value, message):
    with pytest.raises(ConfigError) as err:
        parse_facts_yaml(SMALL + f"second_opinion: {value}\n", "test.yaml")
    assert message in str(err.value)
    assert "Fix:" in str(err.value)


def test_the_digest_follows_everything_the_catalogue_says():
    base = parse_facts_yaml(SMALL)
    digests = {catalogue_digest(c) for c in (
        base, parse_facts_yaml(SMALL + ON), parse_facts_yaml(SMALL + "second_opinion: {veto: 0.2, rescue: 0.8}\n"),
        parse_facts_yaml(SMALL + ALL),
        dataclasses.replace(base, other_actors=("Turkish",)), dataclasses.replace(base, theatres=(("syria", ("Idlib",)),)))}
    assert len(digests) == 6
    assert catalogue_digest(dataclasses.replace(base, path="elsewhere.yaml")) == catalogue_digest(base)


# ----------------------------------------------------------------------------- end to end


PAVEL = ("pavel", "state-controlled", "pv-1", 6, "Velmora grain market struck by Kestrian warplanes",
         "Kestrian warplanes bombed the grain market in Velmora on Monday, the regional governor said. "
         "Hundreds of families packed their belongings and left Velmora on foot during the afternoon, "
         "heading for the hills to the north. The governor said eleven people were killed at the grain "
         "market in Velmora and asked for help from aid groups to shelter the families from the town. "
         "Traders at the market said they had never seen fighters there.")


def test_a_rescued_report_is_no_omission_and_shows_as_carried_by_the_model(store, tmp_path):
    import_articles(store, tmp_path, [*ARTICLES, PAVEL])
    cluster(store)
    market = event_of(store, "tw-1")
    assert event_of(store, "pv-1") == market
    compare(store)  # the test catalogue's rules only: "left ... on foot" is no "fled"
    assert ("pavel", "fact", "displacement", "omitted") in verdicts(store, events=(market,))
    facts = tmp_path / "facts.yaml"
    facts.write_text(CATALOGUE + ON, "utf-8")
    compare(store, facts=load_facts(facts))  # a changed catalogue compares every event again
    found = verdicts(store, events=(market,))
    assert ("pavel", "fact", "displacement", "omitted") not in found
    assert ("crown", "fact", "displacement", "omitted") in found  # crown says nothing of it: still omitted
    (term,) = store.rows("SELECT action_term FROM v_fact_mentions WHERE outlet = 'pavel' AND fact_id = 'displacement'")
    assert rescued_score(term[0]) > 0.8
    r = invoke("compare", str(market), "--db", str(store.path), "--facts", str(facts))
    assert r.exit_code == 0, r.output
    assert "People displaced: carried (model " in r.output
    as_json = json.loads(invoke("compare", str(market), "--db", str(store.path), "--facts", str(facts),
                                "--format", "json").stdout)
    pavel = next(o for o in as_json["outlets"] if o["outlet"] == "pavel")
    assert pavel["facts"]["displacement"]["model"] > 0.8 and pavel["facts"]["displacement"]["verdict"] is None
    # the omission it supports quotes the rules' sentences first and marks the model's
    crown = next(o for o in as_json["outlets"] if o["outlet"] == "crown")["facts"]["displacement"]
    assert crown["verdict"] == "omitted"
    assert [e["outlet"] for e in crown["evidence"]][-1] == "pavel" and crown["evidence"][-1]["model"] > 0.8
    assert all("model" not in e for e in crown["evidence"][:-1])
    marked = [line for line in r.output.splitlines()
              if line.strip().startswith("pavel #") and re.search(r"\(model [01]\.\d\d\)", line)]
    assert marked and all("packed their belongings" in line for line in marked)


ARIHA = [  # (outlet, affiliation, id, hours after BASE, title, text): an Idlib market, the shipped catalogue
    ("tidewater", "independent", "ar-1", 2, "Russian jets bomb vegetable market in Ariha",
     "Russian jets bombed the vegetable market in Ariha, in Idlib province, on Monday morning, killing six "
     "people, the civil defence in Ariha said. Rescuers pulled survivors from the rubble of the market stalls "
     "for hours, and traders said the vegetable market had been crowded with farmers from the villages around "
     "Ariha when the bombs fell."),
    ("harbor", "public-service", "ar-2", 4, "Vegetable market in Ariha hit by Russian air strikes",
     "Russian warplanes struck the vegetable market in Ariha on Monday, witnesses in Idlib province told Harbor "
     "Radio. Six people died, according to the civil defence in Ariha, and dozens of traders and farmers were "
     "wounded at the market stalls. Residents said the market had been crowded since dawn with farmers "
     "bringing vegetables from the villages around Ariha."),
    ("crown", "state-controlled", "ar-3", 6, "Terrorist depot destroyed near Ariha vegetable market",
     "The Aerospace Forces' aviation worked on a depot of the terrorists beside the vegetable market in Ariha, "
     "in Idlib province, on Monday, a military source told Crown News. The source said the depot at the "
     "market stored drones and ammunition, and that reports of farmers and traders hurt at the Ariha market "
     "were spread by the terrorists' media to mislead the villages around Ariha."),
]


def test_an_act_only_the_model_read_is_unresolved_in_the_store_and_no_omission(store, tmp_path):
    """crown's paraphrase has no catalogue word for an air strike: by the rules alone it
    "omitted" the Russian strikes the others named; the model read the act, so crown is not
    judged on that fact, and the store and compare EVENT say why."""
    import_articles(store, tmp_path, ARIHA)
    cluster(store)
    market = event_of(store, "ar-1")
    assert {event_of(store, g) for g in ("ar-2", "ar-3")} == {market}
    shipped = load_facts(REPO / "facts.yaml")
    compare(store, facts=dataclasses.replace(shipped, second_opinion=SecondOpinion(0.1, 0.8)))
    assert ("crown", "fact", "russian_airstrikes", "omitted") in verdicts(store, events=(market,))
    compare(store, facts=shipped)  # a changed catalogue compares every event again
    assert not {v for v in verdicts(store, events=(market,)) if v[0] == "crown" and v[2] == "russian_airstrikes"}
    ((state, term, actor),) = store.rows("SELECT state, action_term, actor_term FROM v_fact_mentions "
                                         "WHERE outlet = 'crown' AND fact_id = 'russian_airstrikes'")
    assert state == "unresolved" and rescued_score(term) > 0.7 and actor is None
    r = invoke("compare", str(market), "--db", str(store.path))
    assert r.exit_code == 0, r.output
    assert "unresolved (model " in r.output
    as_json = json.loads(invoke("compare", str(market), "--db", str(store.path), "--format", "json").stdout)
    crown = next(o for o in as_json["outlets"] if o["outlet"] == "crown")["facts"]["russian_airstrikes"]
    assert crown["state"] == "unresolved" and crown["model"] > 0.7 and crown["verdict"] is None
    # the report's side-by-side table says so too, not "not reported"
    md = tmp_path / "report.md"
    r = invoke("report", "--db", str(store.path), "--since", "all", "-o", str(md))
    assert r.exit_code == 0, r.output
    row = next(line for line in md.read_text("utf-8").splitlines() if line.startswith("| Russian airstrikes |"))
    assert row.count("unresolved") == 1 and row.count("named") == 2


def test_the_model_loads_from_any_path(tmp_path):
    with np.load(MODEL_PATH, allow_pickle=False) as arrays:
        np.savez_compressed(tmp_path / "copy.npz", **dict(arrays))
    copy = ActionModel.load(tmp_path / "copy.npz")
    assert copy.facts == shipped_model().facts
    assert (copy.scores([LEFT])["displacement"] == shipped_model().scores([LEFT])["displacement"]).all()
