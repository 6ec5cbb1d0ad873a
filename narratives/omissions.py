"""Comparison runs against the store: match facts, align claims, write verdicts per event.

Usage::

    catalogue = load_facts("facts.yaml")
    report = run_compare(engine, catalogue, CompareSettings(), now=utcnow())   # narratives compare
    report.events, report.verdicts

The verdict rules live in ``compare.py`` and the matching in ``facts.py`` and
``claims.py`` (all pure); this module is their I/O edge. Per event it reads each
article's best text (``v_articles.full_text``, with the feed summary in front when the
text does not already hold it), strips the outlet's boilerplate as the clusterer counted
it (``model_state`` ``cluster.boilerplate``), splits it into sentences
(``text.split_sentences``; the title is sentence 0), and matches the fact catalogue and
aligns claims over them. Which outlets are compared, and the event's window, are
described in ``comparison_set``.

An event is compared again when (``stale_events``): it was never compared (and at
least two outlets covered it); clustering changed its articles since; its window was
still open when it was last compared (feed health, and whether an outlet was publishing,
may have changed); an article published inside its window was clustered since (an
outlet that was silent then may now be seen publishing); or one of its articles' text
changed (a feed edit, a page extracted). A changed facts.yaml, parameters or code make
every event stale; the run records why. Each run is a ``runs`` row of kind ``compare``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Boolean, DateTime, case, column, delete, func, insert, select, table, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .cluster_state import stack_terms, stored_boilerplate, stored_idf, weight_counts
from .compare import (
    WINDOW_PAD,
    Omission,
    OutletCoverage,
    WindowObservation,
    claim_verdicts,
    coverage_from_mentions,
    event_window,
    fact_verdicts,
    window_health,
)
from .compare_current import code_version, why_full
from .compare_stale import MIN_OUTLETS
from .compare_stale import todo as todo_events
from .models import (
    ArticleFactsRow,
    ArticleRow,
    ArticleTextRow,
    ClaimRow,
    ClaimSentenceRow,
    ClusterArticleRow,
    EventArticleRow,
    EventComparisonRow,
    EventLinkRow,
    EventRow,
    FactMentionRow,
    FactRow,
    FeedRow,
    FetchRow,
    OmissionRow,
    OutletRow,
    RunRow,
)
from .store import batches
from .text import BoilerplateFilter, article_text, sentence_hash, split_sentences

if TYPE_CHECKING:
    import scipy.sparse as sp

OK_OUTCOMES = ("ok", "not_modified", "unchanged")
FAILED_OUTCOMES = ("error", "gone")

V_ARTICLES = table("v_articles", column("article_id"), column("outlet"), column("title"), column("summary"),
                   column("full_text"), column("thin", Boolean), column("published_at", DateTime),
                   column("updated_at", DateTime), column("event_id"))


#: ``claims.ClaimAligner()``'s defaults (tests/test_omissions.py keeps the two equal).
ALIGNER_DEFAULTS = {"char_weight": 1.0, "linkage": "average", "min_outlets": 2, "min_words": 5, "threshold": 0.4}


@dataclass(frozen=True)
class CompareSettings:
    """Parameters of a comparison run; ``params()`` is what is recorded and compared."""

    min_support: int = 2  # other outlets that must carry a fact/claim for its absence to count
    min_support_attributed: int = 1  # other outlets naming the actor, for an agentless verdict
    claims: bool = True  # align discovered claims
    claim_threshold: float | None = None  # None: the aligner's default
    max_claim_sentences: int = 3000  # larger events are compared on facts only (memory)
    link_threshold: float | None = 0.2  # cosine to link an absent outlet's own article; None: never
    rebuild: bool = False  # compare every event again
    batch: int = 25  # events written per transaction

    def __post_init__(self) -> None:
        if self.link_threshold is not None and not 0 < self.link_threshold <= 1:
            raise ValueError(f"compare: link_threshold={self.link_threshold} must be in (0, 1] or None. Fix: e.g. 0.2")

    def aligner_params(self) -> dict:
        """``claims.ClaimAligner``'s parameters, known without importing scikit-learn (a test
        checks them against ``ClaimAligner().get_params()``): ``compare EVENT`` checks the
        stored run's parameters on every call and must stay quick."""
        threshold = ALIGNER_DEFAULTS["threshold"] if self.claim_threshold is None else self.claim_threshold
        return {**ALIGNER_DEFAULTS, "min_outlets": MIN_OUTLETS, "threshold": threshold}

    def aligner(self) -> Any:
        from .claims import ClaimAligner

        return ClaimAligner(**self.aligner_params())

    def params(self, catalogue: Any) -> dict:
        return {"min_support": self.min_support, "min_support_attributed": self.min_support_attributed,
                "window_pad_days": WINDOW_PAD.total_seconds() / 86400, "min_outlets": MIN_OUTLETS,
                "claims": self.aligner_params() if self.claims else None,
                "max_claim_sentences": self.max_claim_sentences, "link_threshold": self.link_threshold,
                "facts_digest": catalogue_digest(catalogue)}


@dataclass
class CompareReport:
    run_id: int | None  # None: nothing was stale, no run recorded
    full: bool = False
    reason: str = ""  # why every event was compared again
    events: int = 0  # events compared
    articles: int = 0  # articles matched against the catalogue
    removed: int = 0  # events whose verdicts were dropped (merged away, or left with one outlet)
    verdicts: dict[str, int] = field(default_factory=dict)  # verdict -> rows written
    events_total: int = 0  # events with a comparison in the store


def catalogue_digest(catalogue: Any) -> str:
    """A digest of everything facts.yaml says (facts, shared vocabularies, theatres, the
    second opinion's thresholds), not of its comments, layout or path."""
    content = {k: v for k, v in dataclasses.asdict(catalogue).items() if k != "path"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- the run


def run_compare(engine: Engine, catalogue: Any, settings: CompareSettings, *, now: datetime,
                events: Sequence[int] | None = None, matcher: Any = None,
                progress: Callable[[int, int], None] | None = None) -> CompareReport:
    """Compare every stale event (or, with ``events``, those of them that are stale).

    The caller holds the compare lock. When the facts, parameters or code differ from
    the last run's, every event is compared, whatever ``events`` says: the verdicts in
    one store always come from one catalogue. ``matcher``: a ``facts.FactMatcher`` for
    ``catalogue`` (built here when not given).
    """
    if matcher is None:
        from .facts import FactMatcher

        matcher = FactMatcher(catalogue)
    params, code = settings.params(catalogue), code_version()
    with Session(engine) as s:  # deciding what to do only reads: collects may write meanwhile
        cluster_run = s.scalar(select(func.max(RunRow.id)).where(RunRow.kind == "cluster", RunRow.status == "done")) or 0
        reason = why_full(s, params, code, settings.rebuild)
        full = reason is not None
        scope = "all" if full else ("event" if events is not None else "stale")
        todo, drop = todo_events(s, full, events)
        if not todo and not drop and not full:
            return CompareReport(run_id=None, events_total=_compared(s))
    with Session(engine) as s, s.begin():
        run = RunRow(kind="compare", started_at=now, code_version=code,
                     params=json.dumps({**params, "scope": scope, "cluster_run": cluster_run}, sort_keys=True))
        s.add(run)
        s.flush()
        run_id = run.id
        report = CompareReport(run_id=run_id, full=full, reason=reason or "")
        if full:
            _forget_comparisons(s)
        _sync_facts(s, catalogue, run_id)
        for part in batches(sorted(drop), 500):
            _clear_events(s, part)
        report.removed = len(drop)
    try:
        with Session(engine) as s:
            context = _Context.load(s, matcher, catalogue, settings, run_id, cluster_run, now)
        ordered = sorted(todo)
        for i, part in enumerate(batches(ordered, settings.batch)):
            with Session(engine) as s:
                results = [_compare_event(s, context, event_id) for event_id in part]
            with Session(engine) as s, s.begin():
                _clear_events(s, part)
                for result in results:
                    if result is not None:
                        _write(s, result, context)
                        report.articles += len(result.articles)
                        report.events += 1
                        for o in result.omissions:
                            report.verdicts[o.verdict] = report.verdicts.get(o.verdict, 0) + 1
                    else:
                        report.removed += 1
            if progress:
                progress(min(len(ordered), (i + 1) * settings.batch), len(ordered))
    except BaseException as exc:
        with Session(engine) as s, s.begin():
            s.execute(update(RunRow).where(RunRow.id == report.run_id).values(
                status="failed", finished_at=_utcnow(), note=f"{type(exc).__name__}: {exc}"[:500]))
        raise
    with Session(engine) as s, s.begin():
        report.events_total = _compared(s)
        s.execute(update(RunRow).where(RunRow.id == report.run_id).values(
            status="done", finished_at=_utcnow(), articles_in=report.articles,
            events_changed=report.events, note=reason))
    return report


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _compared(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(EventComparisonRow)) or 0


def _forget_comparisons(s: Session) -> None:
    for model in (OmissionRow, ClaimSentenceRow, ClaimRow, FactMentionRow, ArticleFactsRow, EventLinkRow,
                  EventComparisonRow):
        s.execute(delete(model))


def _clear_events(s: Session, event_ids: Sequence[int]) -> None:
    """Remove everything a comparison wrote for these events (and their articles)."""
    if not event_ids:
        return
    ids = list(event_ids)
    articles = set(s.scalars(select(EventArticleRow.article_id).where(EventArticleRow.event_id.in_(ids))))
    articles |= set(s.scalars(select(ArticleFactsRow.article_id).where(ArticleFactsRow.event_id.in_(ids))))
    articles -= set(s.scalars(select(EventLinkRow.article_id).where(  # still linked from other events
        EventLinkRow.article_id.in_(select(ArticleFactsRow.article_id).where(ArticleFactsRow.event_id.in_(ids))),
        EventLinkRow.event_id.not_in(ids))))
    s.execute(delete(OmissionRow).where(OmissionRow.event_id.in_(ids)))
    s.execute(delete(ClaimSentenceRow).where(
        ClaimSentenceRow.claim_id.in_(select(ClaimRow.id).where(ClaimRow.event_id.in_(ids)))))
    s.execute(delete(ClaimRow).where(ClaimRow.event_id.in_(ids)))
    for part in batches(sorted(articles), 500):
        s.execute(delete(FactMentionRow).where(FactMentionRow.article_id.in_(part)))
        s.execute(delete(ArticleFactsRow).where(ArticleFactsRow.article_id.in_(part)))
    s.execute(delete(EventLinkRow).where(EventLinkRow.event_id.in_(ids)))
    s.execute(delete(EventComparisonRow).where(EventComparisonRow.event_id.in_(ids)))


def _sync_facts(s: Session, catalogue: Any, run_id: int) -> None:
    """Make the ``facts`` table the catalogue this run uses (labels for the views)."""
    stored = {f.id: f for f in s.scalars(select(FactRow))}
    for fact in catalogue.facts:
        values = {"label": fact.label, "description": fact.description,
                  "actor": json.dumps(list(fact.actor), ensure_ascii=False),
                  "action": json.dumps(list(fact.action), ensure_ascii=False),
                  "context": json.dumps([list(g) for g in fact.context], ensure_ascii=False),
                  "topics": json.dumps(list(fact.topics), ensure_ascii=False)}
        row = stored.pop(fact.id, None)
        if row is None:
            s.add(FactRow(id=fact.id, run_id=run_id, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.run_id = run_id
    for row in stored.values():
        s.delete(row)


# --------------------------------------------------------------------------- one event


@dataclass
class _Context:
    """What every event of a run needs: the matcher, boilerplate, outlets' histories."""

    matcher: Any
    fact_ids: tuple[str, ...]
    settings: CompareSettings
    run_id: int
    cluster_run: int
    now: datetime
    boilerplate: BoilerplateFilter
    configured: set[str]  # outlets collected from feeds.yaml (enabled, with an enabled feed)
    bp_cache: dict[str, frozenset[int]] = field(default_factory=dict)
    spans: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    idf: np.ndarray | None = None  # the clusterer's, loaded when first needed
    top_raw: int = 40
    rows: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # id -> weighted terms

    @classmethod
    def load(cls, s: Session, matcher: Any, catalogue: Any, settings: CompareSettings, run_id: int,
             cluster_run: int, now: datetime) -> _Context:
        boilerplate = stored_boilerplate(s)
        configured = set(s.scalars(
            select(OutletRow.id).join(FeedRow, FeedRow.outlet_id == OutletRow.id)
            .where(OutletRow.enabled.is_(True), OutletRow.in_config.is_(True),
                   FeedRow.enabled.is_(True), FeedRow.in_config.is_(True)).distinct()))
        return cls(matcher=matcher, fact_ids=tuple(catalogue.ids()), settings=settings, run_id=run_id,
                   cluster_run=cluster_run, now=now, boilerplate=boilerplate, configured=configured)

    def span(self, s: Session, outlet: str) -> tuple[datetime | None, datetime | None]:
        """The outlet's first and last article (by the outlet/published index)."""
        if outlet not in self.spans:
            self.spans[outlet] = tuple(s.execute(  # type: ignore[assignment]
                select(func.min(ArticleRow.published_at), func.max(ArticleRow.published_at))
                .where(ArticleRow.outlet_id == outlet)).one())
        return self.spans[outlet]

    def vectors(self, s: Session, ids: Sequence[int]) -> sp.csr_matrix | None:
        """The clusterer's l2-normalised TF-IDF rows of these articles (None before clustering).

        Stored term counts (``cluster_articles.terms``: int32 feature indices, then uint16
        counts) weighted with the clusterer's document frequencies (``model_state``).
        """
        import scipy.sparse as sp  # here: linking is rare, and scipy costs every start-up ~0.1 s

        if self.idf is None:
            stored = stored_idf(s)
            if stored is None:
                return None
            self.idf, params = stored
            self.top_raw = params["top_raw"]
        missing = [i for i in dict.fromkeys(ids) if i not in self.rows]
        for part in batches(missing, 500):
            found = dict(s.execute(select(ClusterArticleRow.article_id, ClusterArticleRow.terms)
                                   .where(ClusterArticleRow.article_id.in_(part))).all())
            counts = stack_terms([found.get(i, b"") for i in part], len(self.idf))
            # Weighted in the columns these rows use (the same numbers, far less work than
            # scaling all 2**20 columns), then put back in place.
            cols = np.unique(counts.indices)
            compact = sp.csr_matrix((counts.data, np.searchsorted(cols, counts.indices), counts.indptr),
                                    shape=(counts.shape[0], len(cols)))
            weighted = weight_counts(compact, self.idf[cols], self.top_raw)
            indices, ptr = cols[weighted.indices], weighted.indptr
            for i, article_id in enumerate(part):
                self.rows[article_id] = (indices[ptr[i] : ptr[i + 1]], weighted.data[ptr[i] : ptr[i + 1]])
        if not ids:
            return None
        rows = [self.rows[i] for i in ids]
        indptr = np.concatenate([[0], np.cumsum([len(x) for x, _d in rows])])
        return sp.csr_matrix((np.concatenate([d for _x, d in rows]), np.concatenate([x for x, _d in rows]), indptr),
                             shape=(len(ids), len(self.idf)))

    def boilerplate_of(self, outlet: str) -> frozenset[int]:
        if outlet not in self.bp_cache:
            self.bp_cache[outlet] = self.boilerplate.boilerplate_of(outlet)
        return self.bp_cache[outlet]


@dataclass
class _Article:
    id: int
    outlet: str
    thin: bool
    sentences: list[str]
    mentions: list[Any]
    text_seen_at: datetime | None
    event_id: int  # its own event
    linked: float | None = None  # linked to the compared event with this similarity


@dataclass
class _Result:
    event_id: int
    window: tuple[datetime, datetime]
    articles: list[_Article]
    outlets: dict[str, OutletCoverage]
    omissions: list[Omission]
    claims: list[Any]


def article_sentences(title: str | None, summary: str | None, full_text: str | None,
                      boilerplate: frozenset[int] = frozenset()) -> list[str]:
    """What an article is matched on: its title, then its text's sentences minus boilerplate."""
    body = article_text(summary, full_text)
    sentences = [s for s in split_sentences(body) if sentence_hash(s) not in boilerplate]
    title = " ".join((title or "").split())
    return ([title] if title else []) + sentences


def _load_articles(s: Session, ctx: _Context, where: Any) -> list[_Article]:
    """Articles (and their own events) with their sentences and fact mentions."""
    t = V_ARTICLES.c
    rows = s.execute(
        select(t.article_id, t.outlet, t.title, t.summary, t.full_text, t.thin, t.updated_at,
               ArticleTextRow.fetched_at, EventArticleRow.event_id)
        .select_from(V_ARTICLES.join(EventArticleRow, EventArticleRow.article_id == t.article_id))
        .outerjoin(ArticleTextRow, ArticleTextRow.article_id == t.article_id)
        .where(where).order_by(t.outlet, t.published_at, t.article_id)).all()
    sentences = [article_sentences(r.title, r.summary, r.full_text, ctx.boilerplate_of(r.outlet)) for r in rows]
    # An article is in the wars its event's articles name (two of them, or any when none is
    # named twice): a feature that names only a street is in the war the other reports of the
    # strike place it in (facts.py, theatres).
    by_event: dict[int, list[int]] = {}
    for k, r in enumerate(rows):
        by_event.setdefault(r.event_id, []).append(k)
    mentions: list[list[Any]] = [[] for _ in rows]
    for ks in by_event.values():
        for k, found in zip(ks, ctx.matcher.event_mentions([sentences[k] for k in ks]), strict=True):
            mentions[k] = found
    articles = []
    for r, text, found in zip(rows, sentences, mentions, strict=True):
        seen = max((_as_datetime(x) for x in (r.updated_at, r.fetched_at) if x is not None), default=None)
        articles.append(_Article(r.article_id, r.outlet, bool(r.thin), text, found, seen, r.event_id))
    return articles


def _compare_event(s: Session, ctx: _Context, event_id: int) -> _Result | None:
    """Match, align and judge one event (reads only). None: the event is gone."""
    event = s.get(EventRow, event_id)
    if event is None:
        return None
    articles = _load_articles(s, ctx, EventArticleRow.event_id == event_id)
    window = event_window(event.first_published, event.last_published)
    articles += linked_articles(s, ctx, event_id, articles, window)
    outlets = comparison_set(s, ctx, articles, window)
    omissions = fact_verdicts(outlets, ctx.fact_ids, min_support=ctx.settings.min_support,
                              min_support_attributed=ctx.settings.min_support_attributed, event_id=event_id)
    claims: list[Any] = []
    covering = {a.outlet for a in articles}
    if (ctx.settings.claims and len(covering) >= MIN_OUTLETS
            and sum(len(a.sentences) for a in articles) <= ctx.settings.max_claim_sentences):
        claims = ctx.settings.aligner().fit([(a.id, a.outlet, a.sentences) for a in articles]).claims_
        omissions += claim_verdicts(claims, outlets, min_support=ctx.settings.min_support, event_id=event_id)
    return _Result(event_id, window, articles, outlets, omissions, claims)


def linked_articles(s: Session, ctx: _Context, event_id: int, members: Sequence[_Article],
                    window: tuple[datetime, datetime]) -> list[_Article]:
    """Articles of outlets absent from the event that are probably about it anyway.

    A state outlet's report of an offensive may share so few words with the others' that
    the clusterer leaves it in an event of its own; the outlet would then look as if it
    had not covered the event at all. Linked are the articles, published in the event's
    window by outlets that did not cover it, that no other outlet's article joined (their
    event has one outlet), and whose cosine to the event's centroid, by the clusterer's
    own TF-IDF, is at least ``link_threshold``. Verdicts on them have low confidence.
    """
    threshold = ctx.settings.link_threshold
    if threshold is None or not members:
        return []
    lo, hi = window
    covering = sorted({a.outlet for a in members})
    candidates = s.execute(
        select(ArticleRow.id).join(EventArticleRow, EventArticleRow.article_id == ArticleRow.id)
        .join(EventRow, EventRow.id == EventArticleRow.event_id)
        .where(ArticleRow.published_at.between(lo, hi), EventRow.outlet_count == 1,
               EventArticleRow.event_id != event_id, ArticleRow.outlet_id.not_in(covering))
        .order_by(ArticleRow.id)).scalars().all()
    if not candidates:
        return []
    vectors = ctx.vectors(s, [a.id for a in members] + list(candidates))
    if vectors is None:
        return []
    centroid = np.asarray(vectors[: len(members)].mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centroid))
    if norm == 0:
        return []
    sims = np.asarray(vectors[len(members) :] @ (centroid / norm)).ravel()
    close = {int(a): round(float(x), 6) for a, x in zip(candidates, sims, strict=True) if x >= threshold}
    if not close:
        return []
    found = _load_articles(s, ctx, EventArticleRow.article_id.in_(sorted(close)))
    for a in found:
        a.linked = close[a.id]
    return found


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # SQLite views hand back text


def comparison_set(s: Session, ctx: _Context, articles: Sequence[_Article],
                   window: tuple[datetime, datetime]) -> dict[str, OutletCoverage]:
    """The outlets that could have covered the event, with what they published and their health.

    The window is the event's first to last article ± one day (``compare.WINDOW_PAD``).
    Compared are the outlets that covered the event, the outlets that published anything
    else in the window (they were publishing, so silence on the event is theirs), and the
    outlets collected from feeds.yaml whose feeds failed or were not yet collected in the
    window (``unknown``). Imported archives have no feed health: inside the window they
    count as collected when they published something in it, and are left out otherwise.
    ``articles`` may include ``linked_articles``: their outlets count as covering, linked.
    """
    lo, hi = window
    active = set(s.scalars(select(ArticleRow.outlet_id).distinct().where(ArticleRow.published_at.between(lo, hi))))
    feeds: dict[str, list[tuple[bool, bool]]] = {}
    for outlet, _feed, any_ok, any_failed in s.execute(
            select(FeedRow.outlet_id, FetchRow.feed_id,
                   func.max(case((FetchRow.outcome.in_(OK_OUTCOMES), 1), else_=0)),
                   func.max(case((FetchRow.outcome.in_(FAILED_OUTCOMES), 1), else_=0)))
            .join(FeedRow, FeedRow.id == FetchRow.feed_id)
            .where(FetchRow.started_at.between(lo, hi)).group_by(FeedRow.outlet_id, FetchRow.feed_id)):
        feeds.setdefault(outlet, []).append((bool(any_ok), bool(any_failed)))
    by_outlet: dict[str, list[_Article]] = {}
    for a in articles:
        by_outlet.setdefault(a.outlet, []).append(a)
    coverage = {}
    for outlet in sorted(set(by_outlet) | active | ctx.configured):
        stats = feeds.get(outlet, [])
        is_active = outlet in active or outlet in by_outlet
        first, last = ctx.span(s, outlet) if not is_active and not stats else (None, None)
        obs = WindowObservation(
            active=is_active, configured=outlet in ctx.configured,
            feeds_ok=sum(o for o, _f in stats), feeds_failing=sum(f and not o for o, f in stats),
            seen_before=first is not None and first < lo, seen_after=last is not None and last > hi)
        health = window_health(obs)
        if health == "quiet" and outlet not in by_outlet:
            continue
        own = by_outlet.get(outlet, [])
        coverage[outlet] = coverage_from_mentions(
            outlet, {a.id: a.mentions for a in own}, thin_articles=[a.id for a in own if a.thin], health=health,
            linked=bool(own) and all(a.linked is not None for a in own))
    return coverage


# --------------------------------------------------------------------------- writing


def _write(s: Session, r: _Result, ctx: _Context) -> None:
    ids = [a.id for a in r.articles]
    for part in batches(ids, 500):  # a linked article may have been matched for another event
        s.execute(delete(FactMentionRow).where(FactMentionRow.article_id.in_(part)))
        s.execute(delete(ArticleFactsRow).where(ArticleFactsRow.article_id.in_(part)))
    s.execute(insert(ArticleFactsRow), [
        {"article_id": a.id, "event_id": a.event_id, "sentences": len(a.sentences), "thin": a.thin,
         "digest": hashlib.sha256("\n".join(a.sentences).encode("utf-8", "replace")).hexdigest(),
         "text_seen_at": a.text_seen_at, "run_id": ctx.run_id} for a in r.articles])
    links = [{"event_id": r.event_id, "article_id": a.id, "outlet_id": a.outlet, "similarity": a.linked,
              "run_id": ctx.run_id} for a in r.articles if a.linked is not None]
    if links:
        s.execute(insert(EventLinkRow), links)
    mentions = [{"article_id": a.id, "fact_id": m.fact_id, "state": m.state, "sentence_index": m.sentence_index,
                 "sentence": m.sentence, "action_term": m.action_term, "actor_term": m.actor_term,
                 "actor_where": m.actor_where, "cues": ", ".join(m.cues), "run_id": ctx.run_id}
                for a in r.articles for m in a.mentions]
    if mentions:
        s.execute(insert(FactMentionRow), mentions)
    claim_ids = {}
    for claim in r.claims:
        row = ClaimRow(event_id=r.event_id, number=claim.id, label=claim.label,
                       outlets=json.dumps(list(claim.outlets), ensure_ascii=False),
                       outlet_count=len(claim.outlets), run_id=ctx.run_id)
        s.add(row)
        s.flush()
        claim_ids[claim.id] = row.id
        s.execute(insert(ClaimSentenceRow), [
            {"claim_id": row.id, "article_id": x.article_id, "outlet_id": x.outlet,
             "sentence_index": x.sentence_index, "sentence": x.sentence} for x in claim.sentences])
    rows = [omission_row(o, claim_ids, ctx.run_id) for o in r.omissions]
    if rows:
        s.execute(insert(OmissionRow), rows)
    s.add(EventComparisonRow(event_id=r.event_id, run_id=ctx.run_id, cluster_run=ctx.cluster_run,
                             compared_at=ctx.now, window_start=r.window[0], window_end=r.window[1],
                             articles=len(r.articles), outlets=len(r.outlets)))


def omission_row(o: Omission, claim_ids: dict[int, int], run_id: int) -> dict:
    """An ``omissions`` row for a verdict (claim numbers mapped to ``claims.id``)."""
    evidence = [{"article_id": e.article_id, "outlet": e.outlet, "sentence": e.sentence,
                 **({"state": e.state} if e.state else {}), **({"model": e.model} if e.model is not None else {})}
                for e in o.evidence]
    first = o.evidence[0] if o.evidence else None
    return {"event_id": o.event_id, "outlet_id": o.outlet, "kind": o.kind, "fact_id": o.fact_id,
            "claim_id": claim_ids.get(o.claim_id) if o.claim_id is not None else None,
            "verdict": o.verdict, "outlet_state": o.outlet_state, "confidence": o.confidence,
            "supporting_outlets": json.dumps(list(o.supporting_outlets), ensure_ascii=False),
            "supporting_article_ids": json.dumps(list(o.supporting_article_ids)),
            "evidence": json.dumps(evidence, ensure_ascii=False),
            "quote": first.sentence if first else None, "quote_outlet": first.outlet if first else None,
            "quote_article_id": first.article_id if first else None, "linked": o.linked, "run_id": run_id}

