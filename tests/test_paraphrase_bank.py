"""The paraphrase bank (benchmarks/data/paraphrases/*.yaml) is valid, and its scorer counts right.

The bank is development data for the fact catalogue: snippets written to collect the ways
news writing says each fact, labelled by the held-out sets' rules (benchmarks/README.md).
"""

from __future__ import annotations

import sys
from collections import Counter

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import eval_facts as ev
    import eval_paraphrases as ep
finally:
    sys.path.remove(str(REPO / "benchmarks"))

from narratives.text import split_sentences  # noqa: E402

FILES = sorted(ep.BANK.glob("*.yaml"))


@pytest.fixture(scope="module")
def items():
    return ep.load_bank(FILES)


def test_every_file_is_marked_as_fictional_cc0_development_data():
    assert len(FILES) >= 4
    for path in FILES:
        head = path.read_text("utf-8").split("\nitems:")[0]
        for words in ("FICTIONAL SAMPLE DATA", "NOT real reporting", "CC0", "Development data"):
            assert words in head, (path.name, words)


def test_items_are_short_labelled_snippets_with_near_misses(items):
    assert len(items) >= 500
    for item in items:
        assert 1 <= len(split_sentences(item.text)) <= 3, item.id  # two sentences, or a headline-like lead
    assert sum(not i.gold for i in items) >= 100  # near-misses that must match nothing
    carried = Counter(f for i in items for f in i.gold)
    assert all(carried[f] >= 30 for f in ep._labels().facts), carried


def test_a_bad_label_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("items:\n  - {id: x1, topic: syria, text: 'Crowds fled.', gold: {displacement: agentless}}\n")
    with pytest.raises(ValueError, match="x1: bad gold displacement"):
        ep.load_bank([bad])
    bad.write_text("items:\n  - {id: x1, topic: mars, text: 'Crowds fled.', gold: {}}\n")
    with pytest.raises(ValueError, match="unknown topic"):
        ep.load_bank([bad])


def test_no_snippet_is_taken_from_a_labelled_set(items):
    sets = sorted((REPO / "benchmarks" / "data").glob("facts_eval*.yaml"))
    seen = {s.lower() for path in sets for a in ev.load_eval(path).articles for s in a.sentences if len(s) > 30}
    assert not [i.id for i in items if any(s.lower() in seen for s in split_sentences(i.text))]


def test_scores_count_every_gold_label_once(items):
    pred = ep.predict(items, ev.CATALOGUE)
    table = ep.score(items, pred)
    for fact, kinds in table.items():
        gold = sum(fact in i.gold for i in items)
        assert kinds["carried"]["tp"] + kinds["carried"]["fn"] == gold
        predicted = sum(fact in pred[i.id] for i in items)
        assert kinds["carried"]["tp"] + kinds["carried"]["fp"] == predicted
    # the catalogue finds most of what the bank carries (a floor, so a broken matcher fails)
    tp = sum(k["carried"]["tp"] for k in table.values())
    fn = sum(k["carried"]["fn"] for k in table.values())
    assert tp / (tp + fn) > 0.6
