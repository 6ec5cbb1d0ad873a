"""Score fact matching and omission verdicts against the labelled evaluation set.

Usage::

    .venv/bin/python benchmarks/eval_facts.py                     # Markdown tables
    .venv/bin/python benchmarks/eval_facts.py --errors            # ... and every wrong article x fact state
    .venv/bin/python benchmarks/eval_facts.py --json /tmp/facts-eval.json
    .venv/bin/python benchmarks/eval_facts.py --split dev --errors   # tune on dev only

Protocol (dev/test split). The events are split deterministically by their number:
``dev`` = events whose number is odd (syr01, syr03, ..., ukr01, ..., gaz01, ..., off01,
off03), ``test`` = events whose number is even; ``--split all`` (the default) scores every
event. Work on the matcher and the catalogue looks at ``--split dev`` only, as often as
needed, errors included. The test split is held out: its errors, sentences and gold are
not read while working, and its aggregate figures are run once, at the end, and reported
next to dev's. A figure that holds on dev but not on test is overfitting, not progress.
The split is printed in the report's header and stored in the JSON (``data.split``).

Data: ``benchmarks/data/facts_eval.yaml`` (fictional articles written for this project,
gold per article x fact: attributed / agentless / absent; its header gives the labelling
rules). For every article, ``narratives.text.split_sentences("title\\ntext")`` goes to
``FactMatcher(load_facts("facts.yaml"))``. Reported:

(a) per fact and overall (micro), precision/recall/F1 of the article states
    ``attributed`` and ``agentless`` (an article's state is the best of its mentions), and
    of "carried" (either of the two), plus how often a denied or hedged gold label
    (``cue: true``) got a cue on the matcher's mention;
(b) the issue-4 verdicts from ``narratives.compare.fact_verdicts``, once over gold states
    and once over predicted states, for every event's comparison set (its ``outlets``;
    an outlet without articles is not_covered, or unknown when its feeds were failing;
    an outlet whose articles are all teasers gets ``thin``); precision/recall of
    ``omitted`` and ``agentless`` verdicts (targets: >= 0.9 each), matching verdicts on
    (event, outlet, fact);
(c) with ``--errors``, every wrong article x fact state, classed: ``missed`` (gold carried,
    predicted absent), ``spurious`` (gold absent), ``actor`` (attributed vs agentless),
    ``distractor`` (a spurious mention in a sentence the data marks as a distractor),
    ``not in catalogue`` (the fact id is missing from facts.yaml).

Aliases: the data file may map a gold fact id to catalogue fact ids (``aliases:``, gold id
-> [catalogue ids]; the article's state is the best among them), for catalogues whose facts
are finer than the gold's; ``--alias`` adds to or overrides that map.

Only the facts the data defines are scored; catalogue facts outside it are listed as not
evaluated. A gold fact missing from the catalogue is reported, and scored as never found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from narratives.compare import STATE_RANK, OutletCoverage, fact_verdicts  # noqa: E402
from narratives.text import split_sentences  # noqa: E402
from narratives.thin import is_thin  # noqa: E402

DATA = REPO / "benchmarks" / "data" / "facts_eval.yaml"
CATALOGUE = REPO / "facts.yaml"
STATES = ("attributed", "agentless")
RANK = dict(STATE_RANK)  # a copy: the experiments rank states of their own in it
HEALTH = ("healthy", "failing", "not_collected")
CONFLICTS = ("syria", "russia-ukraine", "israel-gaza")
SCORED_VERDICTS = ("omitted", "agentless")
TARGET = 0.9


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Gold:
    fact: str
    state: str
    evidence: str
    cue: bool = False
    note: str = ""


@dataclass(frozen=True)
class Article:
    id: str
    event: str
    outlet: str
    title: str
    text: str
    gold: Mapping[str, Gold]
    distractors: tuple[tuple[str, str], ...] = ()  # (fact, evidence fragment)

    @property
    def sentences(self) -> list[str]:
        return split_sentences(f"{self.title}\n{self.text}")

    @property
    def thin(self) -> bool:
        return is_thin(self.text.strip())


@dataclass(frozen=True)
class Event:
    id: str
    topic: str
    outlets: tuple[str, ...]
    feeds: Mapping[str, str]
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class EvalSet:
    outlets: Mapping[str, str]  # id -> affiliation
    facts: Mapping[str, bool]  # id -> has an actor
    topics: Mapping[str, tuple[str, ...]]  # id -> the theatres (event topics) it can occur in
    events: tuple[Event, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # gold id -> catalogue ids

    @property
    def articles(self) -> list[Article]:
        return [a for e in self.events for a in e.articles]


SPLITS = ("all", "dev", "test")


def split_of(event_id: str) -> str:
    """The split of an event: "dev" when its number is odd (syr01-..., off03-...), else "test"."""
    digits = re.search(r"\d+", event_id)
    if digits is None:
        raise ValueError(f"event {event_id!r} has no number: name events like syr01-ariha-market")
    return "dev" if int(digits.group()) % 2 else "test"


def select(data: EvalSet, split: str) -> EvalSet:
    """The events of one split (see the protocol in the module docstring); "all" keeps every event."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {', '.join(SPLITS)}")
    if split == "all":
        return data
    return replace(data, events=tuple(e for e in data.events if split_of(e.id) == split))


def load_eval(path: Path | str = DATA) -> EvalSet:
    """Read the evaluation set; raises ValueError naming the first inconsistency."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    outlets = {o["id"]: o["affiliation"] for o in raw["outlets"]}
    facts = {f["id"]: f["actor"] is True for f in raw["facts"]}
    topics = {f["id"]: tuple(f.get("topics") or CONFLICTS) for f in raw["facts"]}
    events = []
    for e in raw["events"]:
        feeds = {k: str(v) for k, v in (e.get("feeds") or {}).items()}
        articles = []
        for a in e["articles"]:
            gold = {}
            for g in a.get("gold") or []:
                if g["fact"] not in facts or g["state"] not in STATES or g["fact"] in gold:
                    raise ValueError(f"{path}: article {a['id']}: bad or repeated gold label {g}")
                if g["state"] == "agentless" and not facts[g["fact"]]:
                    raise ValueError(f"{path}: article {a['id']}: {g['fact']} has no actor, cannot be agentless")
                gold[g["fact"]] = Gold(g["fact"], g["state"], g["evidence"], bool(g.get("cue")), g.get("note", ""))
            distractors = tuple((d["fact"], d["evidence"]) for d in a.get("distractors") or [])
            articles.append(Article(a["id"], e["id"], a["outlet"], a["title"], a["text"], gold, distractors))
        event = Event(e["id"], e["topic"], tuple(e["outlets"]), feeds, tuple(articles))
        unknown = ({a.outlet for a in articles} | set(event.outlets) | set(feeds)) - set(outlets)
        if unknown or not {a.outlet for a in articles} <= set(event.outlets):
            raise ValueError(f"{path}: event {e['id']}: outlets {sorted(unknown)} unknown or not in its comparison set")
        if set(feeds.values()) - set(HEALTH):
            raise ValueError(f"{path}: event {e['id']}: feed health must be one of {HEALTH}")
        events.append(event)
    aliases = {str(k): tuple(str(i) for i in v) for k, v in (raw.get("aliases") or {}).items()}
    if set(aliases) - set(facts):
        raise ValueError(f"{path}: aliases: {sorted(set(aliases) - set(facts))} are not facts of the set")
    return EvalSet(outlets, facts, topics, tuple(events), aliases)


# --------------------------------------------------------------------------- scores


def prf(tp: int, fp: int, fn: int) -> dict[str, float | int | None]:
    """Precision, recall and F1 (None where undefined: nothing predicted / nothing to find)."""
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if p == 0 or r == 0 else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}


def _matches(state: str, wanted: str) -> bool:
    return state in STATES if wanted == "carried" else state == wanted


def state_scores(gold: Mapping[str, Mapping[str, str]], pred: Mapping[str, Mapping[str, str]],
                 facts: Sequence[str]) -> dict[str, dict[str, dict]]:
    """Per fact (and "all", micro-averaged): P/R/F1 of attributed, agentless and carried.

    ``gold``/``pred``: article id -> {fact id: state}; a missing fact is absent. Every
    article in ``gold`` is scored; ``pred`` may lack articles (all absent).
    """
    counts: dict[str, dict[str, list[int]]] = {f: {s: [0, 0, 0] for s in (*STATES, "carried")}
                                               for f in (*facts, "all")}
    for article, gold_states in gold.items():
        pred_states = pred.get(article, {})
        for fact in facts:
            g, p = gold_states.get(fact, "absent"), pred_states.get(fact, "absent")
            for wanted in (*STATES, "carried"):
                hit_g, hit_p = _matches(g, wanted), _matches(p, wanted)
                index = 0 if hit_g and hit_p else 1 if hit_p else 2 if hit_g else None
                if index is not None:
                    counts[fact][wanted][index] += 1
                    counts["all"][wanted][index] += 1
    return {f: {s: prf(*c) for s, c in by_state.items()} for f, by_state in counts.items()}


def event_coverage(event: Event, states: Mapping[str, Mapping[str, str]]) -> dict[str, OutletCoverage]:
    """The comparison set of one event as ``compare.OutletCoverage``, from per-article states."""
    coverage = {}
    for outlet in event.outlets:
        mine = [(i, a) for i, a in enumerate(event.articles) if a.outlet == outlet]
        best: dict[str, str] = {}
        for _i, a in mine:
            for fact, state in states.get(a.id, {}).items():
                if RANK[state] > RANK[best.get(fact, "absent")]:
                    best[fact] = state
        coverage[outlet] = OutletCoverage(
            outlet=outlet, articles=tuple(i for i, _a in mine), states=best,
            thin=bool(mine) and all(a.thin for _i, a in mine), health=event.feeds.get(outlet, "healthy"))
    return coverage


VerdictKey = tuple[str, str, str | None, str]  # event, outlet, fact (None: event level), verdict


def verdicts(data: EvalSet, states: Mapping[str, Mapping[str, str]], facts: Sequence[str],
             min_support: int = 2) -> set[VerdictKey]:
    """Every verdict ``compare.fact_verdicts`` gives over the given article states."""
    found = set()
    for n, event in enumerate(data.events):
        for o in fact_verdicts(event_coverage(event, states), facts, min_support=min_support, event_id=n):
            found.add((event.id, o.outlet, o.fact_id, o.verdict))
    return found


def verdict_scores(gold: set[VerdictKey], pred: set[VerdictKey]) -> dict[str, dict]:
    """P/R/F1 per verdict kind, a verdict matching on (event, outlet, fact, verdict)."""
    kinds = sorted({k[3] for k in gold | pred} | set(SCORED_VERDICTS))
    return {v: prf(len({k for k in gold & pred if k[3] == v}), len({k for k in pred - gold if k[3] == v}),
                   len({k for k in gold - pred if k[3] == v})) for v in kinds}


# --------------------------------------------------------------------------- run


@dataclass
class Result:
    data: dict
    catalogue: dict
    states: dict
    cues: dict
    verdicts: dict
    targets: list[dict]
    errors: list[dict] = field(default_factory=list)
    error_classes: dict = field(default_factory=dict)
    verdict_errors: list[dict] = field(default_factory=list)


#: What each error class asks for: a catalogue edit (terms, ids, actor lists), a change of
#: the matcher's rules, or sharper terms (a term that also matches where it should not).
CLASS_KINDS = {
    "not in catalogue": "catalogue gap", "fact shape": "catalogue gap",
    "missed: no action term": "catalogue gap", "actor: no actor term": "catalogue gap",
    "missed: terms present": "matcher rule", "actor: actor term present": "matcher rule",
    "actor: over-attributed": "matcher rule", "spurious: other actor named": "matcher rule",
    "spurious: other theatre": "catalogue gap",
    "distractor": "term precision", "spurious": "term precision",
    "unresolved": "model hold",
}


@dataclass(frozen=True)
class _Scored:
    """One scored fact as the catalogue sees it: its catalogue ids (aliases may name several)."""

    fact: str
    ids: tuple[str, ...]
    gold_has_actor: bool
    catalogue_has_actor: bool | None  # None: not in the catalogue
    topics: tuple[str, ...] = CONFLICTS


def classify(article: Article, s: _Scored, gold: str, pred: str, mention_sentence: str | None,
             terms: Callable[[str], list[tuple[str, str, str | None]]] | None, topic: str = "") -> str:
    """Why the matcher's state for one article x fact differs from gold (a key of CLASS_KINDS).

    ``terms(sentence)`` -> [(term, role, catalogue fact id)]: the matcher's ``terms_in``, used
    to tell a missing term (catalogue) from a term the rules did not use (matcher).
    """
    if not s.ids:
        return "not in catalogue"
    sentences = article.sentences
    label = article.gold.get(s.fact)
    at = next((i for i, x in enumerate(sentences) if label and label.evidence in x), None)

    def roles(i: int | None, own: bool = True) -> set[str]:
        if terms is None or i is None or not 0 <= i < len(sentences):
            return set()
        return {role for _t, role, f in terms(sentences[i]) if (f in s.ids) == own}

    if pred == "unresolved":  # the model read an act whose doer nobody can tell: no verdict
        return "unresolved"
    if gold == "absent":
        if mention_sentence and any(f == s.fact and ev in mention_sentence for f, ev in article.distractors):
            return "distractor"
        if topic in CONFLICTS and topic not in s.topics:
            return "spurious: other theatre"
        i = sentences.index(mention_sentence) if mention_sentence in sentences else None
        return "spurious: other actor named" if "actor" in roles(i, own=False) else "spurious"
    if s.catalogue_has_actor != s.gold_has_actor:
        return "fact shape"
    if pred == "absent":
        return "missed: terms present" if "action" in roles(at) else "missed: no action term"
    if gold == "agentless":
        return "actor: over-attributed"
    near = roles(at) | (roles(at - 1) if at else set())
    return "actor: actor term present" if "actor" in near else "actor: no actor term"


def evaluate(data: EvalSet, catalogue_path: Path | str = CATALOGUE, min_support: int = 2,
             aliases: Mapping[str, Sequence[str]] | None = None, split: str = "all") -> Result:
    """Run the matcher over the articles of one split and score states and verdicts.

    ``aliases``: gold fact id -> catalogue fact ids scored in its place (best state among
    them), for trying a catalogue whose ids differ; by default the data file's ``aliases``,
    and a fact not named there is its own id. ``split``: "all", "dev" or "test" (see the
    protocol in the module docstring).
    """
    from narratives.facts import FactMatcher, load_facts  # the module under evaluation

    catalogue = load_facts(catalogue_path)
    known = set(catalogue.ids())
    aliases = dict(data.aliases if aliases is None else aliases)
    data = select(data, split)
    facts = list(data.facts)
    scored = {}
    for f in facts:
        ids = tuple(i for i in aliases.get(f, (f,)) if i in known)
        has = any(catalogue.get(i).actor for i in ids) if ids else None
        scored[f] = _Scored(f, ids, data.facts[f], has, data.topics[f])
    to_gold = {i: f for f, sc in scored.items() for i in sc.ids}
    matcher = FactMatcher(catalogue)
    terms = getattr(matcher, "terms_in", None)

    topic = {a.id: e.topic for e in data.events for a in e.articles}
    gold_states = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    pred_states: dict[str, dict[str, str]] = {}
    mentions: dict[str, dict[str, list]] = {}
    started = time.perf_counter()
    # As narratives.omissions does: an article is in the wars its event's articles name
    # (FactMatcher.event_mentions: two of them, or any when none is named twice).
    found = {a.id: ms for e in data.events
             for a, ms in zip(e.articles, matcher.event_mentions([a.sentences for a in e.articles]), strict=True)}
    for a in data.articles:
        by_fact: dict[str, list] = defaultdict(list)
        for m in found[a.id]:
            if m.fact_id in to_gold:
                by_fact[to_gold[m.fact_id]].append(m)
        mentions[a.id] = by_fact
        pred_states[a.id] = {f: max((m.state for m in ms), key=RANK.__getitem__) for f, ms in by_fact.items()}
    match_s = time.perf_counter() - started

    # Cues: of the gold labels found with the right state, does a mention of it carry a cue?
    cue = Counter()
    for a in data.articles:
        for fact, g in a.gold.items():
            same = [m for m in mentions[a.id].get(fact, []) if m.state == g.state]
            if same:
                cue[(g.cue, any(m.cues for m in same))] += 1
    cue_prf = prf(cue[(True, True)], cue[(False, True)], cue[(True, False)])
    cues = {"gold_cue_with_pred_cue": cue[(True, True)], "gold_cue_without_pred_cue": cue[(True, False)],
            "no_gold_cue_with_pred_cue": cue[(False, True)], "neither": cue[(False, False)],
            "recall": cue_prf["recall"], "precision": cue_prf["precision"]}

    gold_v = verdicts(data, gold_states, facts, min_support)
    pred_v = verdicts(data, pred_states, facts, min_support)
    vscores = verdict_scores(gold_v, pred_v)
    targets = [{"target": f"{v} verdicts {m} >= {TARGET}", "measured": vscores[v][m],
                "met": vscores[v][m] is not None and vscores[v][m] >= TARGET}
               for v in SCORED_VERDICTS for m in ("precision", "recall")]

    errors = []
    for a in data.articles:
        for fact in facts:
            g, p = gold_states[a.id].get(fact, "absent"), pred_states[a.id].get(fact, "absent")
            if g == p:
                continue
            best = sorted(mentions[a.id].get(fact, []), key=lambda m: -RANK[m.state])
            m = best[0] if best else None
            label = a.gold.get(fact)
            cls = classify(a, scored[fact], g, p, m.sentence if m else None, terms, topic[a.id])
            errors.append({
                "article": a.id, "event": a.event, "outlet": a.outlet, "fact": fact, "gold": g, "predicted": p,
                "class": cls, "kind": CLASS_KINDS[cls],
                "gold_sentence": next((x for x in a.sentences if label and label.evidence in x), None),
                "predicted_sentence": m.sentence if m else None,
                "action_term": m.action_term if m else None, "actor_term": m.actor_term if m else None,
                "actor_where": m.actor_where if m else None, "note": label.note if label else ""})
    classes = Counter(e["class"] for e in errors)
    error_classes = {k: {"errors": n, "kind": CLASS_KINDS[k]} for k, n in classes.most_common()}

    verdict_errors = []
    for kind, keys in (("false positive", pred_v - gold_v), ("missed", gold_v - pred_v)):
        for event_id, outlet, fact, verdict in sorted(keys, key=lambda k: (k[0], k[1], k[2] or "", k[3])):
            if verdict in SCORED_VERDICTS:
                causes = [e for e in errors if e["event"] == event_id and e["fact"] == fact]
                verdict_errors.append({
                    "kind": kind, "event": event_id, "outlet": outlet, "fact": fact, "verdict": verdict,
                    "state_errors": [f"{e['article']}: {e['gold']} -> {e['predicted']} ({e['class']})"
                                     for e in causes]})

    labels = Counter(g.state for a in data.articles for g in a.gold.values())
    return Result(
        data={"split": split, "events": len(data.events), "articles": len(data.articles),
              "outlets": len({a.outlet for a in data.articles}), "facts": len(facts),
              "gold_attributed": labels["attributed"], "gold_agentless": labels["agentless"],
              "gold_absent": len(data.articles) * len(facts) - sum(labels.values()),
              "gold_cue": sum(g.cue for a in data.articles for g in a.gold.values()),
              "thin_articles": sum(a.thin for a in data.articles),
              "outlets_without_articles": sum(not any(a.outlet == o for a in e.articles)
                                              for e in data.events for o in e.outlets),
              "failing_feeds": sum(len(e.feeds) for e in data.events),
              "gold_verdicts": dict(sorted(Counter(k[3] for k in gold_v).items())),
              "predicted_verdicts": dict(sorted(Counter(k[3] for k in pred_v).items()))},
        catalogue={"path": str(catalogue_path), "facts": len(known),
                   "aliases": {f: list(v) for f, v in aliases.items()},
                   "missing_gold_facts": sorted(f for f, sc in scored.items() if not sc.ids),
                   "not_evaluated": sorted(known - set(to_gold)), "match_seconds": round(match_s, 3)},
        states=state_scores(gold_states, pred_states, facts), cues=cues, verdicts=vscores, targets=targets,
        errors=errors, error_classes=error_classes, verdict_errors=verdict_errors)


# --------------------------------------------------------------------------- report


def _f(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _cell(s: Mapping) -> str:
    return f"{_f(s['precision'])} / {_f(s['recall'])} / {_f(s['f1'])}"


def markdown(r: Result, show_errors: bool = False) -> str:
    d, c = r.data, r.catalogue
    lines = [
        "# Fact matching and omission verdicts on the labelled set",
        "",
        f"Split: **{d['split']}** (dev = odd-numbered events, test = even; see the protocol in "
        "benchmarks/eval_facts.py).",
        "",
        f"Data: {d['events']} events, {d['articles']} articles from {d['outlets']} outlets (fictional sample data), "
        f"{d['facts']} facts; gold article x fact states: {d['gold_attributed']} attributed, "
        f"{d['gold_agentless']} agentless, {d['gold_absent']} absent ({d['gold_cue']} denied/hedged); "
        f"{d['thin_articles']} teasers; {d['outlets_without_articles']} outlets in comparison sets without "
        f"articles ({d['failing_feeds']} with failing feeds).",
        f"Catalogue: {c['path']} ({c['facts']} facts; matching took {c['match_seconds']} s).",
    ]
    if c["aliases"]:
        lines.append("Aliases (gold fact = best of catalogue facts): "
                     + "; ".join(f"{k} = {' + '.join(v)}" for k, v in c["aliases"].items()) + ".")
    if c["missing_gold_facts"]:
        lines.append(f"**Gold facts missing from the catalogue** (scored as never found): {', '.join(c['missing_gold_facts'])}.")
    if c["not_evaluated"]:
        lines.append(f"Catalogue facts without gold labels (not evaluated): {', '.join(c['not_evaluated'])}.")
    lines += ["", "## (a) Article x fact states (precision / recall / F1)", "",
              "| fact | attributed (gold n) | attributed P / R / F1 | agentless (gold n) | agentless P / R / F1 "
              "| carried P / R / F1 |", "|---|---|---|---|---|---|"]
    for fact, s in r.states.items():
        name = "**all (micro)**" if fact == "all" else fact
        at, ag = s["attributed"], s["agentless"]
        lines.append(f"| {name} | {at['tp'] + at['fn']} | {_cell(at)} | {ag['tp'] + ag['fn']} | {_cell(ag)} "
                     f"| {_cell(s['carried'])} |")
    cu = r.cues
    lines += ["", f"Cues: of the gold labels found with the right state, {cu['gold_cue_with_pred_cue']} denied/hedged "
              f"ones have a cue on the matcher's mention, {cu['gold_cue_without_pred_cue']} do not; "
              f"{cu['no_gold_cue_with_pred_cue']} unhedged ones got a cue (recall {_f(cu['recall'])}, "
              f"precision {_f(cu['precision'])}).",
              "", "## (b) Omission verdicts from gold vs predicted states (compare.fact_verdicts)", "",
              "| verdict | gold | predicted | agree | precision | recall | F1 |", "|---|---|---|---|---|---|---|"]
    for v, s in r.verdicts.items():
        lines.append(f"| {v} | {s['tp'] + s['fn']} | {s['tp'] + s['fp']} | {s['tp']} | {_f(s['precision'])} "
                     f"| {_f(s['recall'])} | {_f(s['f1'])} |")
    lines += ["", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {t['target']} | {_f(t['measured'])} | {'met' if t['met'] else 'MISSED'} |" for t in r.targets]
    kinds = Counter()
    for v in r.error_classes.values():
        kinds[v["kind"]] += v["errors"]
    lines += ["", f"## Errors by class ({len(r.errors)} wrong article x fact states, "
              f"{len(r.verdict_errors)} wrong omitted/agentless verdicts)", "",
              "| class | errors | fix belongs to |", "|---|---|---|"]
    lines += [f"| {k} | {v['errors']} | {v['kind']} |" for k, v in r.error_classes.items()]
    lines += ["", "By kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + "."]
    if not show_errors:
        lines += ["Run with --errors for every error with its sentences."]
    if show_errors:
        lines += ["", "## (c) Errors", "", "| article | fact | gold | predicted | class | gold sentence "
                  "| matcher's sentence (action / actor, where) |", "|---|---|---|---|---|---|---|"]
        for e in sorted(r.errors, key=lambda e: (e["kind"], e["class"], e["fact"], e["article"])):
            how = f" ({e['action_term']} / {e['actor_term']}, {e['actor_where']})" if e["predicted_sentence"] else ""
            note = f" *{e['note']}*" if e["note"] else ""
            lines.append(f"| {e['article']} | {e['fact']} | {e['gold']} | {e['predicted']} | {e['class']} "
                         f"| {_md(e['gold_sentence'])}{_md(note) if note else ''} "
                         f"| {_md(e['predicted_sentence'])}{_md(how) if how else ''} |")
        lines += ["", "| verdict error | event | outlet | fact | verdict | caused by state errors |",
                  "|---|---|---|---|---|---|"]
        for v in r.verdict_errors:
            lines.append(f"| {v['kind']} | {v['event']} | {v['outlet']} | {v['fact']} | {v['verdict']} "
                         f"| {'; '.join(v['state_errors']) or '–'} |")
    return "\n".join(lines) + "\n"


def _md(text: str | None) -> str:
    return "–" if not text else text.replace("|", "\\|").replace("\n", " ")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="evaluation set (default: %(default)s)")
    parser.add_argument("--facts", type=Path, default=CATALOGUE, help="fact catalogue (default: %(default)s)")
    parser.add_argument("--min-support", type=int, default=2, help="other outlets needed for 'omitted' (default 2)")
    parser.add_argument("--alias", action="append", default=[], metavar="GOLD=CAT[+CAT]",
                        help="score catalogue fact(s) CAT as gold fact GOLD (repeatable), e.g. "
                             "war_crimes_allegations=war_crimes_allegations+icc_arrest_warrant")
    parser.add_argument("--split", choices=SPLITS, default="all",
                        help="score the dev (odd-numbered) or test (even-numbered) events only, or all "
                             "(default: %(default)s); tune on dev, run test once at the end")
    parser.add_argument("--errors", action="store_true", help="list every wrong state and verdict")
    parser.add_argument("--json", type=Path, help="also write all figures and errors to this file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    data = load_eval(args.data)
    aliases = {k: list(v) for k, v in data.aliases.items()}
    for spec in args.alias:
        gold, _, ids = spec.partition("=")
        if not gold or not ids:
            parser.error(f"--alias {spec!r}: expected GOLD=CAT or GOLD=CAT1+CAT2")
        aliases[gold.strip()] = [i.strip() for i in ids.split("+") if i.strip()]
    unknown = sorted(set(aliases) - set(data.facts))
    if unknown:
        parser.error(f"--alias: {', '.join(unknown)} not a fact of {args.data}; its facts: {', '.join(data.facts)}")
    result = evaluate(data, args.facts, args.min_support, aliases, args.split)
    sys.stdout.write(markdown(result, args.errors))
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
