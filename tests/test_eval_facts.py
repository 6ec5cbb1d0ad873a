"""The labelled fact set is valid, the scorer counts right, and benchmarks/eval_facts.py runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import eval_facts as ev
finally:
    sys.path.remove(str(REPO / "benchmarks"))

from narratives.compare import fact_verdicts  # noqa: E402
from narratives.text import split_sentences  # noqa: E402

DATA = ev.DATA
FACT_IDS = {
    "russian_airstrikes", "syrian_government_airstrikes", "israeli_airstrikes", "hospital_strike",
    "civilian_casualties", "child_casualties", "displacement", "russian_missile_strikes", "ukrainian_strikes",
    "hamas_rocket_fire", "hostages", "aid_blocked", "foreign_mercenaries", "chemical_weapons",
    "war_crimes_allegations",
}  # fmt: skip
NO_ACTOR = {"civilian_casualties", "child_casualties", "displacement", "hostages", "foreign_mercenaries",
            "war_crimes_allegations"}
# A word any evidence sentence of the fact must contain (stems; independent of facts.yaml).
_AIR = r"air|bomb|jet|warplane|aircraft|aviation|sortie|raid|strike|struck|pound|plane|helicopter|drone"
RELATED = {
    "russian_airstrikes": _AIR + r"|aerospace",
    "syrian_government_airstrikes": _AIR + r"|barrel|canister|dropp",
    "israeli_airstrikes": _AIR + r"|missile",
    "hospital_strike": r"hospital|clinic|medical|ward\b",
    "civilian_casualties": r"kill|wound|injur|dead|death|died|hurt|harm|casualt|martyr|affected|treated|shrapnel|victim|bodies|get up|massacr|did not surviv|murder|lost their lives|toll\b|poison|lost (his|her|their) (leg|arm|eye|hand|foot)|\bdies?\b",
    "child_casualties": r"child|boy|girl|pupil|son\b|daughter|brother|teen|\d|newborn|baby|babies|infant|nephew|niece",
    "displacement": r"fled|flee|flight|displac|evacuat|refugee|left|leave|homeless|families|out of|taken out|moved|camp|resettl|relocat|evacuee|forcibl\w* transfer|leaving|forced from|belongings",
    "russian_missile_strikes": r"missile|drone|shahed|weapon|strike|struck|unmanned|shelling|grenade",
    "ukrainian_strikes": r"drone|shell|strike|attack|uav|unmanned|rocket|missile|artiller|fired|firing|\brounds\b",
    "hamas_rocket_fire": r"rocket|missile|barrage|salvo",
    "hostages": r"hostage|captive|still held|prisoner",
    "aid_blocked": r"\baid\b|truck|block|halt|crossing|deliver|convoy|suspend|paus|limit|closed|cut off|restrict|refused passage|turn(ed)? back|\bcloses\b",
    "foreign_mercenaries": r"mercenar|foreign|western fighter|wagner|contractor|legion|uighur|private (military|security)|afghan|fatemiyoun|iraqi",
    "chemical_weapons": r"chemical|chlorine|gas|toxic|\bcs\b|chloropicrin|choking",
    "war_crimes_allegations": r"war crime|crimes? against humanity|genocide|\bicc\b|criminal court|warrant|customs of war",
}


@pytest.fixture(scope="module")
def data():
    return ev.load_eval(DATA)


# --------------------------------------------------------------------------- the data file


def test_header_marks_the_set_as_fictional_cc0_sample_data_with_labelling_rules():
    head = DATA.read_text(encoding="utf-8").split("\noutlets:")[0]
    for words in ("FICTIONAL SAMPLE DATA", "NOT real reporting", "CC0", "How this was labelled"):
        assert words in head, words


def test_fact_ids_are_the_fifteen_of_the_brief_with_their_actor_kind(data):
    assert set(data.facts) == FACT_IDS
    assert {f for f, has_actor in data.facts.items() if not has_actor} == NO_ACTOR


def test_enough_events_each_with_three_outlets_and_both_kinds_of_outlet(data):
    assert len(data.events) >= 32
    assert len({e.id for e in data.events}) == len(data.events)
    topics = Counter(e.topic for e in data.events)
    assert topics["syria"] >= 8 and topics["russia-ukraine"] >= 8 and topics["israel-gaza"] >= 8
    assert 1 <= topics["off-topic"] <= 5
    for e in data.events:
        outlets = {a.outlet for a in e.articles}
        assert len(outlets) >= 3, e.id
        affiliations = {data.outlets[o] for o in outlets}
        if e.topic != "off-topic":
            assert "state-controlled" in affiliations, e.id
            assert affiliations & {"independent", "public-service"}, e.id
    assert sum(len({a.outlet for a in e.articles}) >= 4 for e in data.events) >= len(data.events) // 2


def test_articles_are_news_length_or_teasers_and_split_into_sentences(data):
    ids = [a.id for a in data.articles]
    assert len(ids) == len(set(ids))
    for a in data.articles:
        words = len(a.text.split())
        assert a.sentences and split_sentences(a.text), a.id
        assert a.thin and words < 60 or 80 <= words <= 250, (a.id, words)
    assert 3 <= sum(a.thin for a in data.articles) <= 10
    # Some outlets carry two articles on one event (a teaser and the full story, or an update).
    assert any(len(e.articles) > len({a.outlet for a in e.articles}) for e in data.events)


def test_feed_health_cases_for_unknown_and_not_covered_exist(data):
    failing = [(e.id, o) for e in data.events for o, h in e.feeds.items() if h == "failing"]
    assert failing and all(not any(a.outlet == o for a in e.articles)
                           for e in data.events for o in e.feeds)
    silent_healthy = [(e.id, o) for e in data.events for o in e.outlets
                      if o not in e.feeds and not any(a.outlet == o for a in e.articles)]
    assert silent_healthy


def check_gold_labels(data) -> Counter:
    """Assert every gold label and distractor of a labelled set points at a sentence of its
    article that is about the fact; returns the labels by state, plus "cue" and "distractor"
    counts. Shared by the held-out sets' tests."""
    counts = Counter()
    for a in data.articles:
        sentences = a.sentences
        for fact, g in a.gold.items():
            assert fact in FACT_IDS and g.state in ("attributed", "agentless"), (a.id, fact)
            assert not (fact in NO_ACTOR and g.state == "agentless"), (a.id, fact)
            at = [k for k, s in enumerate(sentences) if g.evidence in s]
            assert at, f"{a.id} {fact}: evidence {g.evidence!r} is in no sentence"
            # A sentence that refers back ("Adam was one of four people killed", his age given
            # earlier) passes with the sentences before it, if the label's note says why.
            said = sentences[at[0]] if not g.note else " ".join(sentences[:at[0] + 1])
            assert re.search(RELATED[fact], said, re.I), f"{a.id} {fact}: {sentences[at[0]]!r}"
            counts[g.state] += 1
            counts["cue"] += g.cue
        for fact, evidence in a.distractors:
            assert fact in FACT_IDS and any(evidence in s for s in sentences), (a.id, fact, evidence)
            counts["distractor"] += 1
    return counts


def test_gold_labels_point_at_a_sentence_that_is_about_the_fact(data):
    counts = check_gold_labels(data)
    assert counts["attributed"] >= 200 and counts["agentless"] >= 20
    assert counts["cue"] >= 30
    assert counts["distractor"] >= 40


def test_gold_verdicts_cover_every_kind(data):
    gold = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    kinds = Counter(k[3] for k in ev.verdicts(data, gold, list(data.facts)))
    assert kinds["omitted"] >= 50 and kinds["agentless"] >= 10
    assert kinds["thin"] >= 1 and kinds["not_covered"] >= 1 and kinds["unknown"] >= 1


def test_loading_rejects_an_agentless_label_on_a_fact_without_actor(tmp_path):
    bad = DATA.read_text(encoding="utf-8").replace(
        '{fact: civilian_casualties, state: attributed, evidence: "wounding four civilians"}',
        '{fact: civilian_casualties, state: agentless, evidence: "wounding four civilians"}', 1)
    path = tmp_path / "bad.yaml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError, match="civilian_casualties has no actor"):
        ev.load_eval(path)


# --------------------------------------------------------------------------- the scorer


def test_prf_and_its_undefined_cases():
    assert ev.prf(3, 1, 2) == {"tp": 3, "fp": 1, "fn": 2, "precision": 0.75, "recall": 0.6,
                               "f1": pytest.approx(2 * 0.75 * 0.6 / 1.35)}
    assert ev.prf(0, 0, 0)["precision"] is None and ev.prf(0, 0, 0)["f1"] is None
    assert ev.prf(0, 2, 0) == {"tp": 0, "fp": 2, "fn": 0, "precision": 0.0, "recall": None, "f1": 0.0}


def test_state_scores_on_a_hand_made_case():
    gold = {"a1": {"f": "attributed"}, "a2": {"f": "agentless"}, "a3": {}, "a4": {"f": "attributed"}}
    pred = {"a1": {"f": "attributed"}, "a2": {"f": "attributed"}, "a3": {"f": "agentless"}}  # a4 missing: absent
    s = ev.state_scores(gold, pred, ["f"])
    # attributed: a1 right; a2 predicted but gold agentless; a4 missed.
    assert s["f"]["attributed"] == {"tp": 1, "fp": 1, "fn": 1, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    # agentless: a2 missed (predicted attributed), a3 spurious.
    assert (s["f"]["agentless"]["tp"], s["f"]["agentless"]["fp"], s["f"]["agentless"]["fn"]) == (0, 1, 1)
    assert s["f"]["agentless"]["precision"] == 0.0 and s["f"]["agentless"]["recall"] == 0.0
    # carried: a1, a2 right; a3 spurious; a4 missed.
    assert s["f"]["carried"]["precision"] == pytest.approx(2 / 3) and s["f"]["carried"]["recall"] == pytest.approx(2 / 3)
    assert s["all"] == s["f"]


def _article(aid, outlet, words=90, **gold):
    text = " ".join(["word"] * (words - 1)) + "."
    return ev.Article(aid, "e1", outlet, f"title {aid}", text,
                      {f: ev.Gold(f, state, "word") for f, state in gold.items()})


def _tiny_event():
    articles = (
        _article("s1", "state"),                                   # the outlet under test
        _article("b1", "b", airstrikes="attributed", casualties="attributed"),
        _article("c1", "c", airstrikes="attributed", casualties="attributed"),
        _article("t1", "teaser", words=20),                        # thin: a teaser only
    )
    event = ev.Event("e1", "syria", ("state", "b", "c", "teaser", "silent", "down"), {"down": "failing"}, articles)
    return ev.EvalSet({o: "independent" for o in event.outlets}, {"airstrikes": True, "casualties": False},
                      {"airstrikes": ("syria",), "casualties": ev.CONFLICTS}, (event,))


def test_verdicts_from_states_follow_the_issue_rules_and_score_on_a_hand_made_case():
    data = _tiny_event()
    facts = ["airstrikes", "casualties"]
    gold_states = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    gold_states["s1"] = {"airstrikes": "agentless"}
    gold = ev.verdicts(data, gold_states, facts)
    assert gold == {
        ("e1", "state", "airstrikes", "agentless"),   # carried without the actor others named
        ("e1", "state", "casualties", "omitted"),     # two others carried it, it did not
        ("e1", "teaser", "airstrikes", "thin"),       # would be omitted, but it is a teaser
        ("e1", "teaser", "casualties", "thin"),
        ("e1", "silent", None, "not_covered"),        # nothing published, feeds healthy
        ("e1", "down", None, "unknown"),              # nothing published, feeds failing
    }
    # The matcher found casualties in s1 (no omission) and nothing on airstrikes (omitted, not agentless).
    pred_states = dict(gold_states, s1={"casualties": "attributed"})
    pred = ev.verdicts(data, pred_states, facts)
    s = ev.verdict_scores(gold, pred)
    assert (s["omitted"]["tp"], s["omitted"]["fp"], s["omitted"]["fn"]) == (0, 1, 1)
    assert s["omitted"]["precision"] == 0.0 and s["omitted"]["recall"] == 0.0
    assert (s["agentless"]["tp"], s["agentless"]["fp"], s["agentless"]["fn"]) == (0, 0, 1)
    assert s["agentless"]["precision"] is None and s["agentless"]["recall"] == 0.0
    assert s["thin"]["precision"] == s["thin"]["recall"] == 1.0
    # One more outlet carrying casualties without naming anyone changes nothing for a no-actor fact.
    assert ("e1", "state", "casualties", "omitted") in ev.verdicts(data, gold_states, facts, min_support=2)
    assert ("e1", "state", "casualties", "omitted") not in ev.verdicts(data, gold_states, facts, min_support=3)


def test_event_coverage_is_what_compare_fact_verdicts_expects():
    data = _tiny_event()
    coverage = ev.event_coverage(data.events[0], {"b1": {"airstrikes": "attributed"}})
    assert coverage["b"].articles == (1,) and coverage["b"].state("airstrikes") == "attributed"
    assert coverage["teaser"].thin and not coverage["state"].thin
    assert coverage["down"].health == "failing" and not coverage["silent"].covered
    assert {o.verdict for o in fact_verdicts(coverage, ["airstrikes"])} >= {"not_covered", "unknown"}


def test_classify_names_catalogue_gaps_distractors_and_other_theatres():
    a = ev.Article("x", "e", "o", "Title", "Jets bombed Ariha. The Prussian army shelled Paris.", {},
                   (("russian_airstrikes", "Prussian army"),))
    missing = ev._Scored("ukrainian_strikes", (), True, None)
    assert ev.classify(a, missing, "attributed", "absent", None, None) == "not in catalogue"
    ra = ev._Scored("russian_airstrikes", ("russian_airstrikes",), True, True, ("syria",))
    sentence = "The Prussian army shelled Paris."
    assert ev.classify(a, ra, "absent", "agentless", sentence, None) == "distractor"
    assert ev.classify(a, ra, "absent", "agentless", "Jets bombed Ariha.", None, "israel-gaza") \
        == "spurious: other theatre"
    assert ev.CLASS_KINDS["not in catalogue"] == "catalogue gap"


# --------------------------------------------------------------------------- the script


def test_eval_facts_script_runs_end_to_end(tmp_path, data):
    if not (REPO / "narratives" / "facts.py").exists():
        pytest.skip("narratives/facts.py not written yet")
    out = tmp_path / "eval.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "eval_facts.py"), "--errors", "--json", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["data"]["events"] == len(data.events) and result["data"]["articles"] == len(data.articles)
    assert result["data"]["gold_verdicts"]["omitted"] >= 50
    for fact in (*FACT_IDS, "all"):
        for state in ("attributed", "agentless", "carried"):
            s = result["states"][fact][state]
            assert all(v is None or 0 <= v <= 1 for v in (s["precision"], s["recall"], s["f1"])), (fact, state)
    assert {t["target"] for t in result["targets"]} == {
        f"{v} verdicts {m} >= 0.9" for v in ("omitted", "agentless") for m in ("precision", "recall")}
    assert sum(v["errors"] for v in result["error_classes"].values()) == len(result["errors"])
    assert all(e["kind"] in ("catalogue gap", "matcher rule", "term precision", "model hold") for e in result["errors"])
    # Gold facts the catalogue lacks are named, never silently dropped.
    missing = result["catalogue"]["missing_gold_facts"]
    assert all(f in FACT_IDS for f in missing)
    if missing:
        assert "Gold facts missing from the catalogue" in proc.stdout
    for heading in ("## (a) Article x fact states", "## (b) Omission verdicts", "## (c) Errors",
                    "| omitted verdicts precision >= 0.9 |"):
        assert heading in proc.stdout, heading
    assert re.search(r"^\| \*\*all \(micro\)\*\* \| \d+ \| ", proc.stdout, re.M)


def test_eval_facts_alias_scores_catalogue_facts_under_a_gold_id(tmp_path):
    if not (REPO / "narratives" / "facts.py").exists():
        pytest.skip("narratives/facts.py not written yet")
    from narratives.facts import load_facts

    first = load_facts(REPO / "facts.yaml").ids()[0]
    result = ev.evaluate(ev.load_eval(DATA), aliases={"ukrainian_strikes": [first]})
    assert "ukrainian_strikes" not in result.catalogue["missing_gold_facts"]
    assert result.catalogue["aliases"] == {"ukrainian_strikes": [first]}
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "eval_facts.py"), "--alias", "nonsense=x"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 2 and "not a fact of" in proc.stderr


# --------------------------------------------------------------------------- dev/test split


def test_split_is_by_event_number_odd_dev_even_test(data):
    assert ev.split_of("syr01-ariha-market") == "dev" and ev.split_of("off03-nurses-strike") == "dev"
    assert ev.split_of("gaz10-rafah-evacuation") == "test" and ev.split_of("ukr02-odesa-port-drones") == "test"
    with pytest.raises(ValueError, match="has no number"):
        ev.split_of("market")
    dev, test = ev.select(data, "dev"), ev.select(data, "test")
    assert {e.id for e in dev.events} | {e.id for e in test.events} == {e.id for e in data.events}
    assert not {e.id for e in dev.events} & {e.id for e in test.events}
    assert dev.events and test.events and ev.select(data, "all") is data
    with pytest.raises(ValueError, match="unknown split"):
        ev.select(data, "train")


def test_data_file_aliases_are_used_unless_overridden(data):
    assert data.aliases["war_crimes_allegations"][0] == "war_crimes_allegations"
    small = ev.select(data, "dev")
    result = ev.evaluate(small, split="all")
    assert result.catalogue["aliases"] == {k: list(v) for k, v in data.aliases.items()}
    assert ev.evaluate(small, aliases={}).catalogue["aliases"] == {}


def test_eval_facts_script_scores_one_split(tmp_path, data):
    out = tmp_path / "dev.json"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "eval_facts.py"), "--split", "dev",
                           "--json", str(out)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Split: **dev**" in proc.stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["data"]["split"] == "dev"
    assert result["data"]["events"] == sum(ev.split_of(e.id) == "dev" for e in data.events)
