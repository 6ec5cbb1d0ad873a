"""Omission verdicts and outlet profiles: what an outlet left out that others reported (pure).

Usage::

    coverage = {
        "eastwire": OutletCoverage("eastwire", articles=(7,), states={"russian_airstrikes": "agentless"}),
        "ledger": OutletCoverage("ledger", articles=(9,), states={"russian_airstrikes": "attributed"}),
        "frontline": OutletCoverage("frontline", articles=(11,), states={"russian_airstrikes": "attributed"}),
        "horizon": OutletCoverage("horizon", health="healthy"),           # published nothing on it
    }
    for o in fact_verdicts(coverage, ["russian_airstrikes"], event_id=25):
        print(o.outlet, o.kind, o.verdict, [e.sentence for e in o.evidence])
    # eastwire fact agentless [...the sentences that name the actor...]
    # horizon event not_covered []

Plain data in, plain data out: the store edge (``omissions.py``) builds an
``OutletCoverage`` per outlet in an event's comparison set, and the evaluation script
builds them from gold states. The verdicts, for outlet X, event E and fact F:

- **omitted** — X covered E, F is absent from all its articles on E, and at least
  ``min_support`` *other* outlets carried F (attributed or agentless), one of them at
  least with its actor.
- **agentless** — X carried F only without its actor ("airstrikes hit the market") while
  at least ``min_support_attributed`` other outlets named the actor.
- **thin** — one of the two above, but every article X published on E is a teaser
  (``narratives.thin``): reported with low confidence and not counted as an omission
  (``outlet_state`` keeps which of the two it would have been).
- **not_covered** — X published nothing on E although it was publishing in E's window
  and its feeds worked (an event-level blindspot; one row per event, ``kind="event"``).
- **unknown** — X published nothing on E and its feeds were failing, or not yet
  collected, in E's window: we cannot know, so it is never an omission.

Event-level verdicts are given only for events at least ``min_support`` outlets covered.
Discovered claims (``claims.py``) give ``omitted``/``thin`` verdicts the same way
(``claim_verdicts``). ``confidence`` is ``low`` for thin, unknown, any verdict on an
outlet whose feeds were only partly working in the window, and any verdict on coverage
that was linked to the event by similarity rather than clustered into it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from .action_model import model_score

State = Literal["attributed", "agentless", "unresolved", "absent"]
Verdict = Literal["omitted", "agentless", "not_covered", "unknown", "thin"]
Kind = Literal["fact", "claim", "event"]
# healthy: published in the window, feeds fine; partial: published, but a feed failed all
# through the window; failing: published nothing, feeds failing; not_collected: published
# nothing and nothing was fetched then; quiet: published nothing although its feeds worked
# (or an imported archive with nothing in the window) -- not compared.
Health = Literal["healthy", "partial", "failing", "not_collected", "quiet"]
Confidence = Literal["high", "low"]

VERDICTS: tuple[str, ...] = ("omitted", "agentless", "not_covered", "unknown", "thin")
KINDS: tuple[str, ...] = ("fact", "claim", "event")
STATE_RANK = {"absent": 0, "unresolved": 1, "agentless": 2, "attributed": 3}
CARRIED = ("attributed", "agentless")
#: Outlets whose editorial line a state sets, against those it does not (``unknown`` is in neither).
STATE_AFFILIATIONS = frozenset({"state-controlled", "state-affiliated"})
INDEPENDENT_AFFILIATIONS = frozenset({"independent", "public-service", "private"})
#: An event's window: its first to last article, widened by this on both sides.
WINDOW_PAD = timedelta(days=1)
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Evidence:
    """A sentence an outlet published: what an omission verdict quotes."""

    article_id: int
    outlet: str
    sentence: str
    state: str = ""  # the mention's state (attributed | agentless | unresolved); "" for claims
    sentence_index: int | None = None
    model: float | None = None  # the second opinion's probability when it rescued the mention


@dataclass(frozen=True)
class OutletCoverage:
    """One outlet in an event's comparison set: what it published on the event, and whether we could see it.

    ``states``: fact id -> the best state over its articles on the event (missing: absent);
    ``evidence``: fact id -> its sentences carrying the fact, best state first; ``thin``:
    every one of its articles on the event is a teaser; ``health``: see ``window_health``;
    ``linked``: its articles are not in the event but were linked to it by similarity (the
    clusterer left them in an event of their own), so its verdicts have low confidence.
    An outlet with no ``articles`` did not cover the event.
    """

    outlet: str
    articles: tuple[int, ...] = ()
    states: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, tuple[Evidence, ...]] = field(default_factory=dict)
    thin: bool = False
    health: str = "healthy"
    linked: bool = False

    @property
    def covered(self) -> bool:
        return bool(self.articles)

    def state(self, fact_id: str) -> str:
        return self.states.get(fact_id, "absent")


@dataclass(frozen=True)
class Omission:
    """One verdict on one outlet for one event: a fact, a discovered claim, or the event itself."""

    outlet: str
    kind: str  # fact | claim | event
    verdict: str  # one of VERDICTS
    event_id: int | None = None
    fact_id: str | None = None
    claim_id: int | None = None
    outlet_state: str | None = None  # the outlet's own state: absent | agentless (facts), absent (claims)
    supporting_outlets: tuple[str, ...] = ()
    supporting_article_ids: tuple[int, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    confidence: str = "high"
    linked: bool = False  # the outlet's coverage was linked to the event by similarity

    @property
    def counted(self) -> bool:
        """Whether this is an omission finding (``omitted`` or ``agentless``; thin ones are not)."""
        return self.verdict in ("omitted", "agentless")


def coverage_from_mentions(outlet: str, articles: Mapping[int, Sequence[Any]], *,
                           thin_articles: Iterable[int] = (), health: str = "healthy",
                           linked: bool = False) -> OutletCoverage:
    """An outlet's coverage from its articles' fact mentions (``facts.Mention`` or alike).

    ``articles``: article id -> its mentions (objects with ``fact_id``, ``state``,
    ``sentence``, ``sentence_index``); ``thin_articles``: which of them are teasers.
    """
    states: dict[str, str] = {}
    found: dict[str, list[Evidence]] = {}
    for article_id in sorted(articles):
        for m in articles[article_id]:
            if STATE_RANK[m.state] > STATE_RANK[states.get(m.fact_id, "absent")]:
                states[m.fact_id] = m.state
            found.setdefault(m.fact_id, []).append(Evidence(
                article_id, outlet, m.sentence, m.state, m.sentence_index, model_score(m)))
    # a rule's sentence is quoted before one only the trained model found
    evidence = {f: tuple(sorted(items, key=lambda e: (-STATE_RANK[e.state], e.model is not None, e.article_id,
                                                      e.sentence_index or 0)))
                for f, items in found.items()}
    thin = set(thin_articles)
    return OutletCoverage(outlet=outlet, articles=tuple(sorted(articles)), states=states, evidence=evidence,
                          thin=bool(articles) and all(a in thin for a in articles), health=health,
                          linked=linked)


# --------------------------------------------------------------------------- verdicts


def _check(min_support: int, min_support_attributed: int = 1) -> None:
    if min_support < 1 or min_support_attributed < 1:
        raise ValueError(f"compare: min_support={min_support}, min_support_attributed="
                         f"{min_support_attributed} must be >= 1. Fix: e.g. 2 and 1")


def _confidence(outlet: OutletCoverage) -> str:
    return "low" if outlet.thin or outlet.linked or outlet.health != "healthy" else "high"


def _best_per_article(outlets: Sequence[OutletCoverage], fact_id: str, states: Sequence[str]) -> tuple[Evidence, ...]:
    """Each supporting article's best sentence for the fact (one quote per article); the
    sentences only the trained second opinion found come last, so the quote is a rule's."""
    chosen = []
    for c in outlets:
        seen: set[int] = set()
        for e in c.evidence.get(fact_id, ()):
            if e.state in states and e.article_id not in seen:
                seen.add(e.article_id)
                chosen.append(e)
    return tuple(sorted(chosen, key=lambda e: e.model is not None))


def event_verdicts(event_outlets: Mapping[str, OutletCoverage], *, min_support: int = 2,
                   event_id: int | None = None) -> list[Omission]:
    """``not_covered``/``unknown`` for the outlets that published nothing on the event."""
    _check(min_support)
    coverages = [event_outlets[k] for k in sorted(event_outlets)]
    covering = [c for c in coverages if c.covered]
    if len(covering) < min_support:
        return []
    outlets = tuple(c.outlet for c in covering)
    article_ids = tuple(sorted(a for c in covering for a in c.articles))
    found = []
    for c in coverages:
        if c.covered or c.health == "quiet":
            continue
        if c.health in ("failing", "not_collected"):
            verdict, confidence = "unknown", "low"
        else:
            verdict, confidence = "not_covered", "high" if c.health == "healthy" else "low"
        found.append(Omission(outlet=c.outlet, kind="event", verdict=verdict, event_id=event_id,
                              supporting_outlets=outlets, supporting_article_ids=article_ids,
                              confidence=confidence))
    return found


def fact_verdicts(event_outlets: Mapping[str, OutletCoverage], facts: Sequence[str], *,
                  min_support: int = 2, min_support_attributed: int = 1,
                  event_id: int | None = None) -> list[Omission]:
    """Every verdict of one event's fact comparison: event-level rows, then fact rows.

    Outlets are taken in sorted order and facts in the order given, so the result is
    deterministic. Outlets that published nothing on the event get ``event_verdicts``.
    """
    _check(min_support, min_support_attributed)
    found = event_verdicts(event_outlets, min_support=min_support, event_id=event_id)
    covering = [event_outlets[k] for k in sorted(event_outlets) if event_outlets[k].covered]
    for x in covering:
        others = [c for c in covering if c.outlet != x.outlet]
        for fact in facts:
            own = x.state(fact)
            carriers = [c for c in others if c.state(fact) in CARRIED]
            attributors = [c for c in carriers if c.state(fact) == "attributed"]
            # An agentless "airstrikes hit the town" supports "Russian airstrikes" only once
            # some outlet has named Russia: on its own it is no report of the fact.
            if own == "absent" and len(carriers) >= min_support and attributors:
                verdict, support, wanted = "omitted", carriers, CARRIED
            elif own == "agentless" and len(attributors) >= min_support_attributed:
                verdict, support, wanted = "agentless", attributors, ("attributed",)
            else:
                continue
            evidence = _best_per_article(support, fact, wanted)
            article_ids = (tuple(sorted({e.article_id for e in evidence})) if evidence
                           else tuple(sorted(a for c in support for a in c.articles)))
            found.append(Omission(
                outlet=x.outlet, kind="fact", verdict="thin" if x.thin else verdict, event_id=event_id,
                fact_id=fact, outlet_state=own, supporting_outlets=tuple(c.outlet for c in support),
                supporting_article_ids=article_ids, evidence=evidence, confidence=_confidence(x),
                linked=x.linked))
    return found


def claim_verdicts(claims: Sequence[Any], event_outlets: Mapping[str, OutletCoverage], *,
                   min_support: int = 2, event_id: int | None = None) -> list[Omission]:
    """``omitted`` (``thin`` for teasers) for each discovered claim an outlet lacks.

    ``claims``: ``claims.Claim`` objects of the event. A claim carried by at least
    ``min_support`` other outlets and not by X is an omission candidate for X
    (``claims.omission_candidates``); its sentences are the evidence.
    """
    from .claims import omission_candidates  # scikit-learn: only when claims are compared

    _check(min_support)
    covering = {k: c for k, c in event_outlets.items() if c.covered}
    found = []
    for outlet, missing in omission_candidates(claims, covering, min_support=min_support).items():
        x = covering[outlet]
        for claim in missing:
            found.append(Omission(
                outlet=outlet, kind="claim", verdict="thin" if x.thin else "omitted", event_id=event_id,
                claim_id=claim.id, outlet_state="absent", supporting_outlets=tuple(claim.outlets),
                supporting_article_ids=tuple(sorted({s.article_id for s in claim.sentences})),
                evidence=tuple(Evidence(s.article_id, s.outlet, s.sentence, "", s.sentence_index)
                               for s in claim.sentences),
                # A lead to read, not a finding: on ECB+ about 4 in 10 claims an unmodified
                # document "lacks" are said there in other words (benchmarks/README.md).
                confidence="low", linked=x.linked))
    return found


# --------------------------------------------------------------------------- feed health


def event_window(first: datetime, last: datetime, pad: timedelta = WINDOW_PAD) -> tuple[datetime, datetime]:
    """The time in which an outlet could have covered an event: first to last article, ± ``pad``."""
    return first - pad, last + pad


@dataclass(frozen=True)
class WindowObservation:
    """What the store saw of one outlet in an event's window (see ``window_health``)."""

    active: bool  # it published at least one article in the window
    configured: bool = True  # collected from feeds.yaml (False: an imported archive only)
    feeds_ok: int = 0  # its feeds with a successful fetch in the window
    feeds_failing: int = 0  # its feeds with failed fetches and no successful one in the window
    seen_before: bool = False  # it has articles published before the window
    seen_after: bool = False  # ... and after it


def window_health(obs: WindowObservation) -> str:
    """Whether an outlet's silence on an event can be read as a choice.

    An outlet that published anything in the window was collected then (``healthy``, or
    ``partial`` when one of its feeds failed all through it). One that published nothing
    is ``failing`` if its feeds failed in the window, ``quiet`` if they worked (or its
    store history runs on both sides of the window, or it is an imported archive), and
    ``not_collected`` otherwise (collection started later, or paused).
    """
    if obs.active:
        return "partial" if obs.feeds_failing else "healthy"
    if obs.feeds_failing:
        return "failing"
    if not obs.configured or obs.feeds_ok or (obs.seen_before and obs.seen_after):
        return "quiet"
    return "not_collected"


# --------------------------------------------------------------------------- profiles


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (95 % by default); (0, 1) when n = 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Profile:
    """How often one outlet left out one fact that others carried, across events.

    ``events``: events the outlet covered (not only with teasers) where at least
    ``min_support`` other outlets carried the fact; ``omitted``: of those, the ones where
    the fact was absent from all its articles; ``agentless``: the ones where it carried
    the fact only without the actor while another outlet named it; ``thin``: events left
    out of ``events`` because its text was a teaser; ``rate`` = omitted / events with its
    Wilson 95 % interval.
    """

    outlet: str
    fact_id: str
    events: int
    omitted: int
    agentless: int
    thin: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


def outlet_profiles(events: Iterable[Mapping[str, OutletCoverage]], facts: Sequence[str], *,
                    min_support: int = 2, min_support_attributed: int = 1,
                    count_thin: bool = False) -> list[Profile]:
    """Per outlet × fact profiles over events (each a mapping outlet -> coverage), sorted."""
    _check(min_support, min_support_attributed)
    counts: dict[tuple[str, str], list[int]] = {}  # events, omitted, agentless, thin
    for event in events:
        covering = [c for c in event.values() if c.covered]
        for fact in facts:
            states = {c.outlet: c.state(fact) for c in covering}
            carrying = sum(s in CARRIED for s in states.values())
            naming = sum(s == "attributed" for s in states.values())
            for x in covering:
                own = states[x.outlet]
                if own == "unresolved":
                    continue  # the model read the act, nobody can tell whose: not judged, as in fact_verdicts
                if carrying - (own in CARRIED) < min_support or naming - (own == "attributed") < 1:
                    continue  # as in fact_verdicts: others carried it, and one of them named the actor
                row = counts.setdefault((x.outlet, fact), [0, 0, 0, 0])
                if x.thin and not count_thin:
                    row[3] += 1
                    continue
                row[0] += 1
                if own == "absent":
                    row[1] += 1
                elif own == "agentless" and naming >= min_support_attributed:
                    row[2] += 1
    profiles = []
    for (outlet, fact), (n, k, agentless, thin) in sorted(counts.items()):
        low, high = wilson(k, n) if n else (None, None)
        profiles.append(Profile(outlet, fact, n, k, agentless, thin, k / n if n else None, low, high))
    return profiles


@dataclass(frozen=True)
class GroupComparison:
    """State-controlled against independent outlets for one fact, with Fisher's exact test.

    Counts are pooled over the outlets of each group (``Profile.events``/``omitted``).
    ``odds_ratio`` (state vs independent odds of omitting) and ``p_value`` (two-sided) are
    None when a group has no events, ``odds_ratio`` also when it is not finite.
    """

    fact_id: str
    state_outlets: int
    state_events: int
    state_omitted: int
    state_rate: float | None
    independent_outlets: int
    independent_events: int
    independent_omitted: int
    independent_rate: float | None
    odds_ratio: float | None
    p_value: float | None


def fisher(table: Sequence[Sequence[int]]) -> tuple[float, float]:
    """Fisher's exact test (two-sided) of a 2×2 table: (sample odds ratio, p-value)."""
    from scipy.stats import fisher_exact  # scipy loads in ~0.3 s: only when profiling

    result = fisher_exact([list(table[0]), list(table[1])], alternative="two-sided")
    return float(result[0]), float(result[1])


def compare_groups(profiles: Iterable[Profile], affiliations: Mapping[str, str]) -> list[GroupComparison]:
    """Per fact: omission rates of state-controlled vs independent outlets, Fisher-tested."""
    groups: dict[str, dict[str, list[int]]] = {}  # fact -> group -> [outlets, events, omitted]
    for p in profiles:
        affiliation = affiliations.get(p.outlet, "unknown")
        group = ("state" if affiliation in STATE_AFFILIATIONS
                 else "independent" if affiliation in INDEPENDENT_AFFILIATIONS else None)
        if group is None or not p.events:
            continue
        row = groups.setdefault(p.fact_id, {"state": [0, 0, 0], "independent": [0, 0, 0]})[group]
        row[0] += 1
        row[1] += p.events
        row[2] += p.omitted
    found = []
    for fact, g in sorted(groups.items()):
        (so, sn, sk), (io, in_, ik) = g["state"], g["independent"]
        odds = p_value = None
        if sn and in_:
            odds, p_value = fisher([[sk, sn - sk], [ik, in_ - ik]])
            odds = odds if math.isfinite(odds) else None
        found.append(GroupComparison(fact, so, sn, sk, sk / sn if sn else None, io, in_, ik,
                                     ik / in_ if in_ else None, odds, p_value))
    return found
