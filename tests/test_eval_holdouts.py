"""The held-out fact sets (benchmarks/data/facts_eval_holdout*.yaml) are valid.

The checks tests/test_eval_facts.py makes of facts_eval.yaml, sized for smaller sets: each
loads with the scorer's own loader; its outlets, facts and aliases are the earlier sets';
every event has a comparison set with both kinds of outlet and ids of its own; every
evidence fragment is in a sentence of its article; no sentence is taken from an earlier
set; and it makes the verdicts it was written to test (agentless, thin, unknown, not
covered, omitted).
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from dataclasses import dataclass

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import eval_facts as ev
finally:
    sys.path.remove(str(REPO / "benchmarks"))

from test_eval_facts import FACT_IDS, NO_ACTOR, check_gold_labels  # noqa: E402

from narratives.text import split_sentences  # noqa: E402

DATA_DIR = REPO / "benchmarks" / "data"


@dataclass(frozen=True)
class HeldOut:
    file: str
    prefix: str  # every event id starts with it, so ids never collide across sets
    written: str  # what the header says of when it was written
    earlier: tuple[str, ...]  # the sets written before it


def _before(n: int) -> tuple[str, ...]:
    """The files of the sets written before held-out set n: the main set, then held-out 1 to
    n - 1 (the first is facts_eval_holdout.yaml, without a number)."""
    return ("facts_eval.yaml", "facts_eval_holdout.yaml", *(f"facts_eval_holdout{k}.yaml" for k in range(2, n)))


def _written(round_: str, when: str = "after") -> str:
    return f"written {when} the matcher's {round_} tuning round; never used for tuning"


SETS = [
    HeldOut("facts_eval_holdout.yaml", "h", "written after the matcher was tuned; never used for tuning",
            ("facts_eval.yaml",)),
    HeldOut("facts_eval_holdout2.yaml", "k",
            "written after the matcher's third tuning round began; never used for tuning", _before(2)),
    HeldOut("facts_eval_holdout3.yaml", "m", _written("third"), _before(3)),
    HeldOut("facts_eval_holdout4.yaml", "n", _written("fourth"), _before(4)),
    HeldOut("facts_eval_holdout5.yaml", "p", _written("fifth"), _before(5)),
    HeldOut("facts_eval_holdout6.yaml", "q", _written("sixth"), _before(6)),
    # From the seventh on, sets were written in pairs side by side by two writers, so neither
    # of a pair is "earlier" than the other.
    HeldOut("facts_eval_holdout7.yaml", "r", _written("seventh"), _before(7)),
    HeldOut("facts_eval_holdout8.yaml", "s", _written("seventh"), _before(7)),
    HeldOut("facts_eval_holdout9.yaml", "t", _written("eighth"), _before(9)),
    HeldOut("facts_eval_holdout10.yaml", "u", _written("eighth"), _before(9)),
    HeldOut("facts_eval_holdout11.yaml", "v", _written("ninth"), _before(11)),
    HeldOut("facts_eval_holdout12.yaml", "w", _written("ninth"), _before(11)),
    HeldOut("facts_eval_holdout13.yaml", "x", _written("tenth"), _before(13)),
    HeldOut("facts_eval_holdout14.yaml", "y", _written("tenth"), _before(13)),
    HeldOut("facts_eval_holdout15.yaml", "z", _written("eleventh"), _before(15)),
    HeldOut("facts_eval_holdout16.yaml", "j", _written("eleventh"), _before(15)),
    HeldOut("facts_eval_holdout17.yaml", "b", _written("twelfth"), _before(17)),
    HeldOut("facts_eval_holdout18.yaml", "c", _written("twelfth"), _before(17)),
    HeldOut("facts_eval_holdout19.yaml", "d", _written("thirteenth"), _before(19)),
    HeldOut("facts_eval_holdout20.yaml", "e", _written("thirteenth"), _before(19)),
    HeldOut("facts_eval_holdout21.yaml", "f", _written("fourteenth", "during"), _before(21)),
    HeldOut("facts_eval_holdout22.yaml", "a", _written("fourteenth", "during"), _before(21)),
    HeldOut("facts_eval_holdout23.yaml", "i", _written("fifteenth"), _before(23)),
    HeldOut("facts_eval_holdout24.yaml", "l", _written("fifteenth"), _before(23)),
    HeldOut("facts_eval_holdout25.yaml", "g", _written("sixteenth"), _before(25)),
    HeldOut("facts_eval_holdout26.yaml", "o", _written("sixteenth"), _before(25)),
    HeldOut("facts_eval_holdout27.yaml", "aa", _written("seventeenth"), _before(27)),
    HeldOut("facts_eval_holdout28.yaml", "bb", _written("seventeenth"), _before(27)),
    HeldOut("facts_eval_holdout29.yaml", "cc", _written("eighteenth"), _before(29)),
    HeldOut("facts_eval_holdout30.yaml", "dd", _written("eighteenth"), _before(29)),
    HeldOut("facts_eval_holdout31.yaml", "ee", _written("nineteenth", "during"), _before(29)),
    HeldOut("facts_eval_holdout32.yaml", "ff", _written("nineteenth", "during"), _before(29)),
    HeldOut("facts_eval_holdout33.yaml", "gg", _written("twentieth"), _before(33)),
    HeldOut("facts_eval_holdout34.yaml", "hh", _written("twentieth"), _before(33)),
    HeldOut("facts_eval_holdout35.yaml", "ii", _written("twenty-first"), _before(35)),
    HeldOut("facts_eval_holdout36.yaml", "jj", _written("twenty-first"), _before(35)),
    HeldOut("facts_eval_holdout37.yaml", "kk", _written("twenty-second"), _before(37)),
    HeldOut("facts_eval_holdout38.yaml", "ll", _written("twenty-second"), _before(37)),
    HeldOut("facts_eval_holdout39.yaml", "mm", _written("twenty-second"), _before(37)),
    HeldOut("facts_eval_holdout40.yaml", "nn", _written("twenty-second"), _before(37)),
    HeldOut("facts_eval_holdout41.yaml", "pp", _written("twenty-third"), _before(41)),
    HeldOut("facts_eval_holdout42.yaml", "qq", _written("twenty-third"), _before(41)),
    HeldOut("facts_eval_holdout43.yaml", "rr", _written("twenty-fourth"), _before(43)),
    HeldOut("facts_eval_holdout44.yaml", "ss", _written("twenty-fourth"), _before(43)),
    HeldOut("facts_eval_holdout45.yaml", "tt", _written("twenty-fourth"), _before(45)),
    HeldOut("facts_eval_holdout46.yaml", "uu", _written("twenty-fourth"), _before(45)),
    HeldOut("facts_eval_holdout47.yaml", "vv", _written("twenty-fourth"), _before(47)),
    HeldOut("facts_eval_holdout48.yaml", "ww", _written("twenty-fourth"), _before(47)),
    HeldOut("facts_eval_holdout49.yaml", "xx", _written("twenty-fifth"), _before(49)),
    HeldOut("facts_eval_holdout50.yaml", "yy", _written("twenty-fifth"), _before(49)),
    HeldOut("facts_eval_holdout51.yaml", "zz", _written("twenty-sixth"), _before(51)),
    HeldOut("facts_eval_holdout52.yaml", "ab", _written("twenty-sixth"), _before(51)),
    HeldOut("facts_eval_holdout53.yaml", "ac", _written("twenty-seventh"), _before(53)),
    HeldOut("facts_eval_holdout54.yaml", "ad", _written("twenty-seventh"), _before(53)),
    HeldOut("facts_eval_holdout55.yaml", "ae", _written("twenty-seventh"), _before(55)),
    HeldOut("facts_eval_holdout56.yaml", "af", _written("twenty-seventh"), _before(55)),
    HeldOut("facts_eval_holdout57.yaml", "ag", _written("twenty-seventh"), _before(57)),
    HeldOut("facts_eval_holdout58.yaml", "ah", _written("twenty-seventh"), _before(57)),
    HeldOut("facts_eval_holdout59.yaml", "ai", _written("twenty-eighth"), _before(59)),
    HeldOut("facts_eval_holdout60.yaml", "aj", _written("twenty-eighth"), _before(59)),
    HeldOut("facts_eval_holdout61.yaml", "ak", _written("twenty-ninth"), _before(61)),
    HeldOut("facts_eval_holdout62.yaml", "al", _written("twenty-ninth"), _before(61)),
    HeldOut("facts_eval_holdout63.yaml", "am", _written("thirtieth"), _before(63)),
    HeldOut("facts_eval_holdout64.yaml", "an", _written("thirtieth"), _before(63)),
    HeldOut("facts_eval_holdout65.yaml", "ao", _written("thirty-first"), _before(65)),
    HeldOut("facts_eval_holdout66.yaml", "ap", _written("thirty-first"), _before(65)),
    HeldOut("facts_eval_holdout67.yaml", "aq", _written("thirty-second"), _before(67)),
    HeldOut("facts_eval_holdout68.yaml", "ar", _written("thirty-second"), _before(67)),
    HeldOut("facts_eval_holdout69.yaml", "as", _written("thirty-third"), _before(69)),
    HeldOut("facts_eval_holdout70.yaml", "at", _written("thirty-third"), _before(69)),
    HeldOut("facts_eval_holdout71.yaml", "au", _written("thirty-fourth"), _before(71)),
    HeldOut("facts_eval_holdout72.yaml", "av", _written("thirty-fourth"), _before(71)),
    HeldOut("facts_eval_holdout73.yaml", "aw", _written("thirty-fourth"), _before(73)),
    HeldOut("facts_eval_holdout74.yaml", "ax", _written("thirty-fourth"), _before(73)),
    HeldOut("facts_eval_holdout75.yaml", "ay", _written("thirty-fifth"), _before(75)),
    HeldOut("facts_eval_holdout76.yaml", "az", _written("thirty-fifth"), _before(75)),
    HeldOut("facts_eval_holdout77.yaml", "ba", _written("thirty-sixth", "during"), _before(77)),
    HeldOut("facts_eval_holdout78.yaml", "bc", _written("thirty-sixth", "during"), _before(77)),
    HeldOut("facts_eval_holdout79.yaml", "bd", _written("thirty-seventh"), _before(79)),
    HeldOut("facts_eval_holdout80.yaml", "be", _written("thirty-seventh"), _before(79)),
    HeldOut("facts_eval_holdout81.yaml", "bf", _written("thirty-eighth", "during"), _before(81)),
    HeldOut("facts_eval_holdout82.yaml", "bg", _written("thirty-eighth", "during"), _before(81)),
    HeldOut("facts_eval_holdout83.yaml", "bh", _written("thirty-ninth"), _before(83)),
    HeldOut("facts_eval_holdout84.yaml", "bi", _written("thirty-ninth"), _before(83)),
    HeldOut("facts_eval_holdout85.yaml", "bj", _written("fortieth"), _before(85)),
    HeldOut("facts_eval_holdout86.yaml", "bk", _written("fortieth"), _before(85)),
    HeldOut("facts_eval_holdout87.yaml", "bl", _written("forty-first", "during"), _before(87)),
    HeldOut("facts_eval_holdout88.yaml", "bm", _written("forty-first", "during"), _before(87)),
    HeldOut("facts_eval_holdout89.yaml", "bn", _written("forty-second", "during"), _before(89)),
    HeldOut("facts_eval_holdout90.yaml", "bo", _written("forty-second", "during"), _before(89)),
    HeldOut("facts_eval_holdout91.yaml", "bp", _written("forty-second"), _before(91)),
    HeldOut("facts_eval_holdout92.yaml", "bq", _written("forty-second"), _before(91)),
]


@functools.cache
def _load(file: str):
    """Each set read once: every later set's checks compare against the earlier ones."""
    return ev.load_eval(DATA_DIR / file)


@pytest.fixture(scope="module", params=SETS, ids=[s.file for s in SETS])
def held(request):
    spec = request.param
    return spec, _load(spec.file), [_load(f) for f in spec.earlier]


def test_header_marks_the_set_as_fictional_cc0_held_out_data_with_labelling_rules(held):
    spec, _data, _earlier = held
    head = (DATA_DIR / spec.file).read_text(encoding="utf-8").split("\noutlets:")[0]
    for words in ("FICTIONAL SAMPLE DATA", "NOT real reporting", "CC0", "How this was labelled", spec.written):
        assert words in head, words


def test_outlets_facts_and_aliases_are_the_main_sets(held):
    _spec, data, earlier = held
    main_set = earlier[0]
    assert set(data.facts) == FACT_IDS
    assert {f for f, has_actor in data.facts.items() if not has_actor} == NO_ACTOR
    assert dict(data.facts) == dict(main_set.facts) and dict(data.topics) == dict(main_set.topics)
    for other in earlier:
        assert dict(data.outlets) == dict(other.outlets)
        assert dict(data.aliases) == dict(other.aliases)


def test_events_have_three_outlets_and_both_kinds_of_outlet(held):
    spec, data, earlier = held
    assert len(data.events) >= 8
    ids = [e.id for e in data.events]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(spec.prefix) for i in ids), ids
    for other in earlier:
        assert not set(ids) & {e.id for e in other.events}, "event ids collide with an earlier set"
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


def test_articles_are_news_length_or_teasers(held):
    _spec, data, earlier = held
    ids = [a.id for a in data.articles]
    assert len(ids) == len(set(ids))
    for other in earlier:
        assert not set(ids) & {a.id for a in other.articles}
    for a in data.articles:
        words = len(a.text.split())
        assert a.sentences and split_sentences(a.text), a.id
        assert a.thin and words < 60 or 80 <= words <= 180, (a.id, words)
    assert sum(a.thin for a in data.articles) >= 1


def test_no_sentence_is_taken_from_an_earlier_set(held):
    _spec, data, earlier = held
    seen = {s.lower() for other in earlier for a in other.articles for s in a.sentences if len(s) > 30}
    copied = [(a.id, s) for a in data.articles for s in a.sentences if s.lower() in seen]
    assert not copied, copied


def test_feed_health_cases_for_unknown_and_not_covered_exist(held):
    _spec, data, _earlier = held
    failing = [(e.id, o) for e in data.events for o, h in e.feeds.items() if h == "failing"]
    assert failing
    for e in data.events:
        for o in e.feeds:
            assert o in e.outlets and not any(a.outlet == o for a in e.articles), (e.id, o)


def test_gold_labels_point_at_a_sentence_that_is_about_the_fact(held):
    _spec, data, _earlier = held
    counts = check_gold_labels(data)
    assert counts["attributed"] >= 60 and counts["agentless"] >= 6
    assert counts["cue"] >= 5
    assert counts["distractor"] >= 10


def test_gold_verdicts_include_agentless_thin_unknown_and_omitted(held):
    _spec, data, _earlier = held
    gold = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    kinds = Counter(k[3] for k in ev.verdicts(data, gold, list(data.facts)))
    assert kinds["agentless"] >= 6 and kinds["omitted"] >= 10
    assert kinds["thin"] >= 1 and kinds["unknown"] >= 1 and kinds["not_covered"] >= 1
