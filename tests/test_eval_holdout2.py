"""The second held-out fact set (benchmarks/data/facts_eval_holdout2.yaml) is valid.

Same checks as tests/test_eval_holdout.py makes of the first held-out set: it loads with
the scorer's own loader, every event has a comparison set with both kinds of outlet, gold
fact ids are the main set's, every evidence fragment is in a sentence of its article, no
sentence is taken from either earlier set, and the set makes the verdicts it was written
to test (agentless, thin, unknown, not covered, omitted).
"""

from __future__ import annotations

import re
import sys
from collections import Counter

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import eval_facts as ev
finally:
    sys.path.remove(str(REPO / "benchmarks"))

from test_eval_facts import FACT_IDS, NO_ACTOR, RELATED  # noqa: E402

from narratives.text import split_sentences  # noqa: E402

HOLDOUT = REPO / "benchmarks" / "data" / "facts_eval_holdout.yaml"
HOLDOUT2 = REPO / "benchmarks" / "data" / "facts_eval_holdout2.yaml"


@pytest.fixture(scope="module")
def data():
    return ev.load_eval(HOLDOUT2)


@pytest.fixture(scope="module")
def main_set():
    return ev.load_eval(ev.DATA)


@pytest.fixture(scope="module")
def holdout():
    return ev.load_eval(HOLDOUT)


def test_header_marks_the_set_as_fictional_cc0_second_held_out_data_with_labelling_rules():
    head = HOLDOUT2.read_text(encoding="utf-8").split("\noutlets:")[0]
    for words in (
        "FICTIONAL SAMPLE DATA",
        "NOT real reporting",
        "CC0",
        "How this was labelled",
        "written after the matcher's third tuning round began; never used for tuning",
    ):
        assert words in head, words


def test_outlets_facts_and_aliases_are_the_main_sets(data, main_set, holdout):
    assert dict(data.outlets) == dict(main_set.outlets) == dict(holdout.outlets)
    assert set(data.facts) == FACT_IDS
    assert {f for f, has_actor in data.facts.items() if not has_actor} == NO_ACTOR
    assert dict(data.facts) == dict(main_set.facts) and dict(data.topics) == dict(main_set.topics)
    assert dict(data.aliases) == dict(main_set.aliases) == dict(holdout.aliases)


def test_events_have_three_outlets_and_both_kinds_of_outlet(data, main_set, holdout):
    assert len(data.events) >= 8
    ids = [e.id for e in data.events]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("k") for i in ids), ids
    assert not set(ids) & {e.id for e in main_set.events}, "event ids collide with the main set"
    assert not set(ids) & {e.id for e in holdout.events}, "event ids collide with the first held-out set"
    topics = Counter(e.topic for e in data.events)
    assert set(topics) <= set(ev.CONFLICTS)
    assert all(topics[t] >= 2 for t in ev.CONFLICTS), topics
    for e in data.events:
        ev.split_of(e.id)  # every id has a number, as the scorer's --split needs
        outlets = {a.outlet for a in e.articles}
        assert len(outlets) >= 3, e.id
        affiliations = {data.outlets[o] for o in outlets}
        assert "state-controlled" in affiliations, e.id
        assert affiliations & {"independent", "public-service"}, e.id


def test_articles_are_news_length_or_teasers(data, main_set, holdout):
    ids = [a.id for a in data.articles]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {a.id for a in main_set.articles}
    assert not set(ids) & {a.id for a in holdout.articles}
    for a in data.articles:
        words = len(a.text.split())
        assert a.sentences and split_sentences(a.text), a.id
        assert a.thin and words < 60 or 80 <= words <= 180, (a.id, words)
    assert sum(a.thin for a in data.articles) >= 1


def test_no_sentence_is_taken_from_either_earlier_set(data, main_set, holdout):
    seen = {s.lower() for a in (*main_set.articles, *holdout.articles) for s in a.sentences if len(s) > 30}
    copied = [(a.id, s) for a in data.articles for s in a.sentences if s.lower() in seen]
    assert not copied, copied


def test_feed_health_cases_for_unknown_and_not_covered_exist(data):
    failing = [(e.id, o) for e in data.events for o, h in e.feeds.items() if h == "failing"]
    assert failing
    for e in data.events:
        for o in e.feeds:
            assert o in e.outlets and not any(a.outlet == o for a in e.articles), (e.id, o)


def test_gold_labels_point_at_a_sentence_that_is_about_the_fact(data):
    counts = Counter()
    for a in data.articles:
        sentences = a.sentences
        for fact, g in a.gold.items():
            assert fact in FACT_IDS and g.state in ("attributed", "agentless"), (a.id, fact)
            assert not (fact in NO_ACTOR and g.state == "agentless"), (a.id, fact)
            hits = [s for s in sentences if g.evidence in s]
            assert hits, f"{a.id} {fact}: evidence {g.evidence!r} is in no sentence"
            assert re.search(RELATED[fact], hits[0], re.I), f"{a.id} {fact}: {hits[0]!r}"
            counts[g.state] += 1
        for fact, evidence in a.distractors:
            assert fact in FACT_IDS and any(evidence in s for s in sentences), (a.id, fact, evidence)
    assert counts["attributed"] >= 60 and counts["agentless"] >= 6
    assert sum(g.cue for a in data.articles for g in a.gold.values()) >= 5
    assert sum(len(a.distractors) for a in data.articles) >= 10


def test_gold_verdicts_include_agentless_thin_unknown_and_omitted(data):
    gold = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    kinds = Counter(k[3] for k in ev.verdicts(data, gold, list(data.facts)))
    assert kinds["agentless"] >= 6 and kinds["omitted"] >= 10
    assert kinds["thin"] >= 1 and kinds["unknown"] >= 1 and kinds["not_covered"] >= 1
