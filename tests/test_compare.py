"""The comparator's pure core: the five verdicts, feed health in a window, profiles, statistics.

Outlets here are letters and facts are made-up ids: the rules, not the matching, are
under test (matching is tests/test_facts.py, alignment tests/test_claims.py).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from narratives.claims import Claim, ClaimSentence
from narratives.compare import (
    Evidence,
    OutletCoverage,
    WindowObservation,
    claim_verdicts,
    compare_groups,
    coverage_from_mentions,
    event_verdicts,
    event_window,
    fact_verdicts,
    fisher,
    outlet_profiles,
    wilson,
    window_health,
)

F = "airstrikes"


def cov(outlet: str, state: str | None = None, *, article: int | None = None, thin: bool = False,
        health: str = "healthy", fact: str = F) -> OutletCoverage:
    """An outlet that covered the event with one article (``state`` of ``fact``), or, with
    ``state=None``, one that published nothing on it."""
    if state is None:
        return OutletCoverage(outlet, health=health)
    aid = article if article is not None else ord(outlet[0])
    evidence = {} if state == "absent" else {
        fact: (Evidence(aid, outlet, f"{outlet} says {state}.", state, 1),)}
    return OutletCoverage(outlet, articles=(aid,), states={} if state == "absent" else {fact: state},
                          evidence=evidence, thin=thin, health=health)


def event(*coverages: OutletCoverage) -> dict[str, OutletCoverage]:
    return {c.outlet: c for c in coverages}


def only(verdicts, **match):
    found = [v for v in verdicts if all(getattr(v, k) == x for k, x in match.items())]
    assert len(found) == 1, (match, verdicts)
    return found[0]


# --------------------------------------------------------------------------- the five verdicts


def test_omitted_needs_min_support_other_outlets_carrying_the_fact():
    e = event(cov("a", "attributed"), cov("b", "agentless"), cov("x", "absent"))
    x = only(fact_verdicts(e, [F], event_id=7), outlet="x")
    assert (x.kind, x.verdict, x.fact_id, x.outlet_state, x.confidence, x.event_id) == (
        "fact", "omitted", F, "absent", "high", 7)
    assert x.supporting_outlets == ("a", "b")
    assert x.supporting_article_ids == (ord("a"), ord("b"))
    assert [(e.outlet, e.sentence) for e in x.evidence] == [("a", "a says attributed."), ("b", "b says agentless.")]
    assert x.counted
    # b carried it without the actor while a named it: that is b's own verdict
    assert only(fact_verdicts(e, [F]), outlet="b").verdict == "agentless"
    assert fact_verdicts(e, [F], min_support=3) == [only(fact_verdicts(e, [F], min_support=3), outlet="b")]


def test_agentless_reports_alone_do_not_make_an_omission():
    # "airstrikes hit the town" twice is no report of *Russian* airstrikes: nobody named the actor
    e = event(cov("a", "agentless"), cov("b", "agentless"), cov("x", "absent"))
    assert [v for v in fact_verdicts(e, [F]) if v.outlet == "x"] == []
    e = event(cov("a", "agentless"), cov("b", "agentless"), cov("c", "attributed"), cov("x", "absent"))
    assert only(fact_verdicts(e, [F]), outlet="x").supporting_outlets == ("a", "b", "c")


def test_one_other_outlet_is_not_enough_by_default():
    e = event(cov("a", "attributed"), cov("x", "absent"))
    assert fact_verdicts(e, [F]) == []
    assert only(fact_verdicts(e, [F], min_support=1), outlet="x").verdict == "omitted"


def test_agentless_quotes_only_the_outlets_that_named_the_actor():
    e = event(cov("a", "attributed"), cov("b", "agentless"), cov("c", "agentless"), cov("x", "agentless"))
    x = only(fact_verdicts(e, [F]), outlet="x")
    assert (x.verdict, x.outlet_state, x.supporting_outlets) == ("agentless", "agentless", ("a",))
    assert [ev.state for ev in x.evidence] == ["attributed"]
    assert fact_verdicts(e, [F], min_support_attributed=2) == []


def test_nobody_named_the_actor_so_agentless_is_no_finding():
    e = event(cov("a", "agentless"), cov("b", "agentless"), cov("x", "agentless"))
    assert fact_verdicts(e, [F]) == []


def test_an_outlet_that_names_the_actor_gets_no_verdict():
    e = event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "attributed"))
    assert fact_verdicts(e, [F]) == []


def test_thin_outlets_are_flagged_not_counted():
    e = event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "absent", thin=True),
              cov("y", "agentless", thin=True))
    x, y = only(fact_verdicts(e, [F]), outlet="x"), only(fact_verdicts(e, [F]), outlet="y")
    assert (x.verdict, x.outlet_state, x.confidence, x.counted) == ("thin", "absent", "low", False)
    assert (y.verdict, y.outlet_state, y.confidence) == ("thin", "agentless", "low")
    # a teaser that does carry the fact still supports the verdict on others
    e2 = event(cov("a", "attributed", thin=True), cov("b", "attributed"), cov("x", "absent"))
    assert only(fact_verdicts(e2, [F]), outlet="x").supporting_outlets == ("a", "b")


def test_not_covered_and_unknown_are_event_level():
    e = event(cov("a", "attributed"), cov("b", "attributed"), cov("n", health="healthy"),
              cov("p", health="partial"), cov("f", health="failing"), cov("c", health="not_collected"),
              cov("q", health="quiet"))
    found = fact_verdicts(e, [F, "other"], event_id=3)
    events = {v.outlet: v for v in found if v.kind == "event"}
    assert {k: (v.verdict, v.confidence) for k, v in events.items()} == {
        "n": ("not_covered", "high"), "p": ("not_covered", "low"), "f": ("unknown", "low"),
        "c": ("unknown", "low")}
    assert all(v.fact_id is None and v.supporting_outlets == ("a", "b") for v in events.values())
    assert events["n"].supporting_article_ids == (ord("a"), ord("b"))
    assert not any(v.counted for v in events.values())
    assert {v.outlet for v in found if v.kind == "fact"} == set()  # nobody covering left it out
    assert event_verdicts(e, event_id=3) == [v for v in found if v.kind == "event"]


def test_one_outlet_and_empty_events_give_nothing():
    assert fact_verdicts({}, [F]) == []
    assert fact_verdicts(event(cov("a", "attributed")), [F]) == []
    # one outlet covered it: nobody else's silence is a blindspot, not even with failing feeds
    assert fact_verdicts(event(cov("a", "attributed"), cov("b"), cov("c", health="failing")), [F]) == []
    assert fact_verdicts(event(cov("a", "attributed"), cov("b")), [F], min_support=1)[0].verdict == "not_covered"
    assert fact_verdicts(event(cov("a", "attributed"), cov("b", "attributed")), []) == []


def test_partly_failing_feeds_lower_confidence_of_fact_verdicts():
    e = event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "absent", health="partial"))
    assert only(fact_verdicts(e, [F]), outlet="x").confidence == "low"


def test_verdicts_are_deterministic_and_in_order():
    facts = [F, "displacement"]
    e = {o: OutletCoverage(o, articles=(i,), states={F: "attributed", "displacement": "attributed"})
         for i, o in enumerate("dcba")}
    e["x"] = OutletCoverage("x", articles=(9,))
    e["m"] = OutletCoverage("m")
    found = fact_verdicts(e, facts)
    assert [(v.outlet, v.kind, v.fact_id) for v in found] == [
        ("m", "event", None), ("x", "fact", F), ("x", "fact", "displacement")]
    assert found == fact_verdicts(dict(reversed(list(e.items()))), facts)
    assert found[1].supporting_outlets == ("a", "b", "c", "d")


def test_linked_coverage_is_judged_with_low_confidence():
    linked = OutletCoverage("x", articles=(9,), states={"other": "agentless"}, linked=True)
    e = event(cov("a", "attributed"), cov("b", "attributed"), linked)
    x = only(fact_verdicts(e, [F]), outlet="x")
    assert (x.kind, x.verdict, x.confidence, x.linked) == ("fact", "omitted", "low", True)
    assert not [v for v in fact_verdicts(e, [F]) if v.kind == "event"]  # linked coverage is coverage
    assert claim_verdicts([claim(0, "a", "b")], e)[0].linked


def test_bad_support_is_refused():
    with pytest.raises(ValueError, match="min_support"):
        fact_verdicts({}, [F], min_support=0)


# --------------------------------------------------------------------------- coverage from mentions


def mention(fact: str, state: str, index: int, sentence: str = "s"):
    return SimpleNamespace(fact_id=fact, state=state, sentence=f"{sentence} {index}", sentence_index=index)


def test_coverage_takes_the_best_state_over_articles_and_orders_evidence():
    c = coverage_from_mentions("a", {5: [mention(F, "agentless", 2)], 3: [mention(F, "attributed", 4),
                                                                         mention("other", "agentless", 1)], 8: []},
                               thin_articles=[5, 8])
    assert c.articles == (3, 5, 8) and c.covered and not c.thin
    assert c.states == {F: "attributed", "other": "agentless"}
    assert [(e.article_id, e.state) for e in c.evidence[F]] == [(3, "attributed"), (5, "agentless")]
    assert c.state("missing") == "absent"
    assert coverage_from_mentions("a", {5: []}, thin_articles=[5]).thin
    assert not coverage_from_mentions("a", {}).covered and not coverage_from_mentions("a", {}).thin


def test_evidence_is_one_quote_per_supporting_article():
    a = coverage_from_mentions("a", {1: [mention(F, "agentless", 1), mention(F, "attributed", 3)],
                                     2: [mention(F, "attributed", 0)]})
    b = coverage_from_mentions("b", {4: [mention(F, "agentless", 2)]})
    x = only(fact_verdicts(event(a, b, cov("x", "absent")), [F]), outlet="x")
    assert [(e.article_id, e.sentence_index) for e in x.evidence] == [(1, 3), (2, 0), (4, 2)]
    assert x.supporting_article_ids == (1, 2, 4)


# --------------------------------------------------------------------------- claims


def claim(cid: int, *outlets: str) -> Claim:
    sentences = tuple(ClaimSentence(100 + i, o, 1, f"{o} states claim {cid}.") for i, o in enumerate(outlets))
    return Claim(cid, sentences, tuple(sorted(outlets)), f"claim {cid}")


def test_claims_others_carry_become_omitted_claim_verdicts():
    e = event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "absent"), cov("t", "absent", thin=True),
              cov("n", health="healthy"))
    claims = [claim(0, "a", "b"), claim(1, "a", "x"), claim(2, "a", "b", "x", "t")]
    found = claim_verdicts(claims, e, event_id=4)
    assert [(v.outlet, v.claim_id, v.verdict) for v in found] == [
        ("b", 1, "omitted"), ("t", 0, "thin"), ("t", 1, "thin"), ("x", 0, "omitted")]
    x = found[-1]
    assert (x.kind, x.event_id, x.outlet_state, x.supporting_outlets) == ("claim", 4, "absent", ("a", "b"))
    assert [e.sentence for e in x.evidence] == ["a states claim 0.", "b states claim 0."]
    assert x.supporting_article_ids == (100, 101)
    assert {v.confidence for v in found} == {"low"}  # a lead to read: alignment misses paraphrases
    assert claim_verdicts(claims, e, min_support=4) == []  # claim 2 is carried by all but n, which did not cover it
    assert claim_verdicts([], e) == []


# --------------------------------------------------------------------------- feed health


@pytest.mark.parametrize("obs, health", [
    (WindowObservation(active=True, feeds_ok=1), "healthy"),
    (WindowObservation(active=True), "healthy"),  # fetched before or after: it published, so we saw it
    (WindowObservation(active=True, feeds_ok=1, feeds_failing=1), "partial"),
    (WindowObservation(active=False, feeds_failing=2), "failing"),
    (WindowObservation(active=False, feeds_ok=1, feeds_failing=1), "failing"),
    (WindowObservation(active=False, feeds_ok=1), "quiet"),
    (WindowObservation(active=False, seen_before=True, seen_after=True), "quiet"),
    (WindowObservation(active=False, seen_before=True), "not_collected"),  # collection paused
    (WindowObservation(active=False, seen_after=True), "not_collected"),  # not collected yet
    (WindowObservation(active=False), "not_collected"),
    (WindowObservation(active=False, configured=False), "quiet"),  # an imported archive
    (WindowObservation(active=True, configured=False), "healthy"),
])
def test_window_health(obs, health):
    assert window_health(obs) == health


def test_event_window_is_the_event_widened_by_a_day():
    first, last = datetime(2026, 3, 2, 6), datetime(2026, 3, 3, 18)
    assert event_window(first, last) == (first - timedelta(days=1), last + timedelta(days=1))


# --------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), Stat Med 17:857, table I, method 3 (Wilson score without correction)
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
    (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0),
])
def test_wilson_interval_matches_published_values(k, n, low, high):
    lo, hi = wilson(k, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_with_no_events_is_the_whole_range():
    assert wilson(0, 0) == (0.0, 1.0)


def _hypergeometric_p(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher p-value by enumerating the tables with the same margins."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = prob(a)
    return sum(p for x in range(max(0, row1 + col1 - n), min(row1, col1) + 1)
               if (p := prob(x)) <= observed * (1 + 1e-7))


@pytest.mark.parametrize("table, odds, p", [
    ([[3, 1], [1, 3]], 9.0, 34 / 70),  # Fisher's lady tasting tea
    ([[8, 2], [1, 5]], 20.0, None), ([[12, 5], [3, 14]], 11.2, None), ([[0, 6], [4, 2]], 0.0, None),
])
def test_fisher_exact(table, odds, p):
    got_odds, got_p = fisher(table)
    assert got_odds == pytest.approx(odds)
    assert got_p == pytest.approx(p if p is not None else _hypergeometric_p(*table[0], *table[1]), rel=1e-9)


def test_profiles_count_what_the_verdicts_say():
    facts = [F, "displacement"]
    events = [
        event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "absent")),
        event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "agentless")),
        event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "attributed")),
        event(cov("a", "attributed"), cov("b", "attributed"), cov("x", "absent", thin=True)),
        event(cov("a", "attributed"), cov("x", "absent")),  # only one other outlet: not at risk
        event(cov("a", "attributed"), cov("b", "attributed"), cov("x")),  # x did not cover it
    ]
    profiles = {(p.outlet, p.fact_id): p for p in outlet_profiles(events, facts)}
    x = profiles[("x", F)]
    assert (x.events, x.omitted, x.agentless, x.thin) == (3, 1, 1, 1)
    assert x.rate == pytest.approx(1 / 3) and (x.ci_low, x.ci_high) == pytest.approx(wilson(1, 3))
    omitted = sum(v.verdict == "omitted" and v.outlet == "x" for e in events for v in fact_verdicts(e, facts))
    assert omitted == x.omitted
    a = profiles[("a", F)]
    assert (a.events, a.omitted) == (2, 0)  # b and x both carried it in events 2 and 3 only
    assert ("x", "displacement") not in profiles  # nobody carried it
    counted = {(p.outlet, p.fact_id): p for p in outlet_profiles(events, facts, count_thin=True)}[("x", F)]
    assert (counted.events, counted.omitted, counted.thin) == (4, 2, 0)
    assert outlet_profiles([], facts) == []


def test_state_and_independent_outlets_compared_with_fisher():
    events = []
    for i in range(6):  # s1 and s2 (state) leave the fact out 5 of 6 times; i1-i3 never
        events.append(event(cov("s1", "absent" if i else "attributed"), cov("s2", "absent" if i < 5 else "agentless"),
                            cov("i1", "attributed"), cov("i2", "attributed"), cov("i3", "attributed"),
                            cov("u", "absent")))
    profiles = outlet_profiles(events, [F])
    affiliations = {"s1": "state-controlled", "s2": "state-controlled", "i1": "independent",
                    "i2": "public-service", "i3": "private", "u": "unknown"}
    (g,) = compare_groups(profiles, affiliations)
    assert (g.state_outlets, g.state_events, g.state_omitted) == (2, 12, 10)
    assert (g.independent_outlets, g.independent_events, g.independent_omitted) == (3, 18, 0)
    assert g.state_rate == pytest.approx(10 / 12) and g.independent_rate == 0.0
    assert g.p_value == pytest.approx(_hypergeometric_p(10, 2, 0, 18), rel=1e-9)
    assert g.odds_ratio is None  # 10*12 / (2*0): infinite
    only_state = compare_groups([p for p in profiles if p.outlet.startswith("s")], affiliations)
    assert only_state[0].p_value is None and only_state[0].independent_events == 0
