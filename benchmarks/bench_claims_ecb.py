"""Benchmark: discovered claims on real news text (ECB+): controlled deletion and gold alignment.

Usage::

    .venv/bin/python benchmarks/bench_claims_ecb.py                      # all 86 sub-topics (~1 min)
    .venv/bin/python benchmarks/bench_claims_ecb.py --limit 3 --json out.json   # smoke
    .venv/bin/python benchmarks/bench_claims_ecb.py --input gold.jsonl    # import rows with "event"
    .venv/bin/python benchmarks/bench_claims_ecb.py --sweep              # the grid the defaults came from

Input: ECB+ ``documents.jsonl`` (``../shared/data/ecbplus``; one seminal event per
sub-topic, each document from a different source, so each document is one "outlet") or
import rows as ``narratives eval-clusters`` reads them (``id``, ``outlet``, ``title``,
``text``, ``event``; sentences by ``narratives.text.split_sentences``; a real outlet may
have several articles). Events with fewer than 3 outlets are skipped.

**Controlled deletion**, for every event and every outlet X of it in turn (the target):

1. Align all of the event's sentences (``ClaimAligner`` with the given parameters).
   *Deleted claims* = the claims X carries that >= ``min_support`` other outlets carry.
2. Remove from X's articles every sentence of a deleted claim; align again.
3. *Flagged* = ``omission_candidates(claims_after, outlets)[X]``. A flagged claim F
   *recovers* a deleted claim C when the other outlets' sentences of the two (X's own
   excluded) have Jaccard overlap >= 0.5, matched one-to-one, greedily by overlap. Both
   are sets of (article, sentence index) outside X, which the deletion never touches.

Reported (micro-averaged over targets): recall = recovered / deleted; FP rate =
flagged not recovering a deleted claim / flagged (the brief's definition: it also counts
claims X never carried); new-FP rate = flagged that neither recover a deleted claim nor
match (Jaccard >= 0.5) a claim already flagged before the deletion / flagged: spurious
flags the deletion caused; and *flagged before deletion* = claims flagged for the
unmodified X / claims >= ``min_support`` others carry. Those are real omissions or
alignment misses; for ECB+ the gold below tells the two apart where it can.

**ECB+ gold (independent of the aligner's claims)**: ECB+ links mentions across
documents (cross-document ``instance`` of actions, people, places, times), completely in
each document's ``annotated_sentences``. Over pairs of annotated sentences from
different documents of a sub-topic (predicted-aligned: in one claim):

* strict gold: the two sentences' instance sets overlap with Jaccard >= 0.5; pairwise
  precision, recall, F1 and the base precision of aligning every pair;
* coarse gold: they share an action instance (most annotated sentences speak of the
  seminal event, so only its precision is telling);
* *gold miss*: a claim flagged for the unmodified target although one of the target's
  annotated sentences is a strict paraphrase of at least half of the claim's annotated
  sentences (the target did state it);
* *gold deletion*: delete from the target every sentence mentioning an action instance
  that >= ``min_support`` other documents mention; recall = deleted happenings for which
  a flagged claim holds sentences mentioning it from >= ``min_support`` other documents;
  and the share of newly flagged claims that hold a sentence about a deleted happening.

ECB+ sub-topics of odd topics are the dev split, even ones the test split (the sweep
chose the defaults on dev only). Events are processed in name order. Timings are wall
clock, never asserted. Figures and how to read them: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from narratives.claims import Claim, ClaimAligner, omission_candidates  # noqa: E402
from narratives.text import split_sentences  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus" / "documents.jsonl"
MATCH_JACCARD = 0.5


@dataclass
class Event:
    """One event: documents as (article_id, outlet, sentences); ECB+ gold per (article, index)."""

    name: str
    split: str | None  # "dev" | "test" for ECB+ (odd | even topic), None for other corpora
    docs: list[tuple[int, str, list[str]]]
    annotated: set[tuple[int, int]] = field(default_factory=set)  # fully annotated (article, index)
    actions: dict[tuple[int, int], frozenset[str]] = field(default_factory=dict)  # cross-doc action instances
    instances: dict[tuple[int, int], frozenset[str]] = field(default_factory=dict)  # all, annotated sentences

    @property
    def outlets(self) -> list[str]:
        return sorted({o for _a, o, _s in self.docs})


def load_events(path: Path) -> list[Event]:
    """Events from ECB+ documents.jsonl or from import rows with an ``event`` column."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    by_event: dict[str, list[dict]] = defaultdict(list)
    ecb = bool(rows) and "subtopic" in rows[0]
    for row in rows:
        by_event[str(row["subtopic"] if ecb else row["event"])].append(row)
    events = []
    for name in sorted(by_event, key=_order):
        first = by_event[name][0]
        event = Event(name, ("dev" if int(first["topic"]) % 2 else "test") if ecb else None, [])
        rows_in_order = sorted(by_event[name], key=lambda r: _order(str(r.get("doc_id", r.get("id")))))
        for article_id, row in enumerate(rows_in_order):
            if ecb:
                sentences = list(row["sentences"])
                if row["doc_id"].endswith("ecbplus") and sentences:
                    sentences[0] = ""  # the URL the text was found at; indexes stay the corpus's
                event.docs.append((article_id, row["doc_id"], sentences))
                event.annotated.update((article_id, i) for i in row["annotated_sentences"])
                actions, instances = defaultdict(set), defaultdict(set)
                for m in row["mentions"]:
                    if m.get("relation") == "CROSS_DOC_COREF":
                        instances[(article_id, m["sent"])].add(m["instance"])
                        if "ACTION" in m["type"]:
                            actions[(article_id, m["sent"])].add(m["instance"])
                event.instances.update(
                    {k: frozenset(instances[k]) for k in event.annotated if k[0] == article_id}
                )
                event.actions.update({k: frozenset(v) for k, v in actions.items()})
                event.actions.update({k: frozenset() for k in event.annotated if k not in event.actions})
            else:
                text = "\n".join(t for t in (row.get("title"), row.get("text") or row.get("summary")) if t)
                event.docs.append((article_id, str(row["outlet"]), split_sentences(text)))
        if len(event.outlets) >= 3:
            events.append(event)
    return events


def _order(name: str) -> tuple:
    """ECB+ names ("12_3ecb") by topic number first; other names as strings after them."""
    head, _, tail = name.partition("_")
    return (int(head), tail) if head.isdigit() else (10**9, name)


# --------------------------------------------------------------------------- deletion test


def _others(claim: Claim, target: str) -> frozenset[tuple[int, int]]:
    return frozenset((s.article_id, s.sentence_index) for s in claim.sentences if s.outlet != target)


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def match(found: Sequence[Claim], wanted: Sequence[Claim], target: str) -> list[tuple[int, int]]:
    """One-to-one pairs (found id, wanted id) whose other-outlet sentences overlap >= MATCH_JACCARD."""
    pairs = sorted(
        ((_jaccard(_others(f, target), _others(w, target)), f.id, w.id) for f in found for w in wanted),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    used_f, used_w, out = set(), set(), []
    for score, f, w in pairs:
        if score >= MATCH_JACCARD and f not in used_f and w not in used_w:
            used_f.add(f)
            used_w.add(w)
            out.append((f, w))
    return out


def deletion_test(event: Event, params: dict, min_support: int) -> dict:
    """Counts over every target outlet of the event, and gold figures where ECB+ gives them."""
    before = ClaimAligner(**params).fit(event.docs).claims_
    counts = defaultdict(int, before_counts(event, before, min_support))
    flagged_before_all = omission_candidates(before, event.outlets, min_support)
    for target in event.outlets:
        deleted = [c for c in before if target in c.outlets and len(c.outlets) - 1 >= min_support]
        flagged_before = flagged_before_all[target]
        counts["deleted"] += len(deleted)
        drop = {(s.article_id, s.sentence_index) for c in deleted for s in c.sentences if s.outlet == target}
        docs = [
            (a, o, [t for i, t in enumerate(sents) if (a, i) not in drop] if o == target else sents)
            for a, o, sents in event.docs
        ]
        after = ClaimAligner(**params).fit(docs).claims_
        flagged = omission_candidates(after, event.outlets, min_support)[target]
        recovered = match(flagged, deleted, target)
        unexplained = {c.id for c in flagged} - {f for f, _w in recovered}
        old = {f for f, _w in match([c for c in flagged if c.id in unexplained], flagged_before, target)}
        counts["flagged"] += len(flagged)
        counts["recovered"] += len(recovered)
        counts["false_positive"] += len(unexplained)
        counts["new_false_positive"] += len(unexplained - old)
        if event.actions:
            for key, value in _gold_deletion(event, params, min_support, target, flagged_before).items():
                counts[key] += value
    return dict(counts)


def _gold_deletion(
    event: Event, params: dict, min_support: int, target: str, flagged_before: Sequence[Claim]
) -> dict[str, int]:
    """Delete the target's sentences mentioning a happening >= min_support other documents mention.

    A deleted happening (ECB+ action instance) is recovered when a claim flagged for the
    target holds sentences mentioning it from >= min_support other documents.
    """
    doc_of = {a: o for a, o, _s in event.docs}
    mine = {k: v for k, v in event.actions.items() if doc_of[k[0]] == target}
    support = defaultdict(set)
    for (article, _i), instances in event.actions.items():
        if doc_of[article] != target:
            for instance in instances:
                support[instance].add(article)
    shared = {i for v in mine.values() for i in v if len(support[i]) >= min_support}
    if not shared:
        return {}
    drop = {k for k, v in mine.items() if v & shared}
    docs = [(a, o, [t for i, t in enumerate(sents) if (a, i) not in drop]) for a, o, sents in event.docs]
    # Indexes shift in the target only; the other documents' sentences keep theirs.
    flagged = omission_candidates(ClaimAligner(**params).fit(docs).claims_, event.outlets, min_support)[
        target
    ]
    recovered = set()
    for claim in flagged:
        for instance in shared:
            articles = {
                s.article_id
                for s in claim.sentences
                if instance in event.actions.get((s.article_id, s.sentence_index), ())
            }
            if len(articles) >= min_support:
                recovered.add(instance)
    before = {(s.article_id, s.sentence_index) for c in flagged_before for s in c.sentences}
    new = [c for c in flagged if not {(s.article_id, s.sentence_index) for s in c.sentences} <= before]
    about = [
        c
        for c in new
        if any(event.actions.get((s.article_id, s.sentence_index), frozenset()) & shared for s in c.sentences)
    ]
    return {
        "gold_deleted": len(shared),
        "gold_recovered": len(recovered),
        "gold_deleted_sentences": len(drop),
        "gold_new_flags": len(new),
        "gold_new_flags_about_deleted": len(about),
    }


def before_counts(event: Event, claims: Sequence[Claim], min_support: int) -> dict[str, int]:
    """What the unmodified event gives: flags per target, gold pair counts, gold misses."""
    counts = defaultdict(int, _gold_pairs(event, claims))
    flagged = omission_candidates(claims, event.outlets, min_support)
    for target in event.outlets:
        counts["targets"] += 1
        counts["flagged_before"] += len(flagged[target])
        counts["eligible_before"] += sum(
            len(c.outlets) - (target in c.outlets) >= min_support for c in claims
        )
        for claim in flagged[target]:
            miss = _gold_miss(event, claim, target)
            if miss is not None:
                counts["flagged_before_gold_known"] += 1
                counts["flagged_before_gold_miss"] += miss
    counts["claims"] = len(claims)
    counts["claimed_sentences"] = sum(len(c.sentences) for c in claims)
    return dict(counts)


def _paraphrase(event: Event, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Strict gold: the two annotated sentences' cross-document instances overlap >= 0.5 (Jaccard)."""
    x, y = event.instances[a], event.instances[b]
    return bool(x | y) and len(x & y) * 2 >= len(x | y)


def _gold_pairs(event: Event, claims: Sequence[Claim]) -> dict[str, int]:
    """Pairwise counts over annotated sentences of different documents (ECB+ only).

    Coarse gold: the pair shares an action instance; strict gold: ``_paraphrase``.
    """
    if not event.annotated:
        return {}
    claim_of = {(s.article_id, s.sentence_index): c.id for c in claims for s in c.sentences}
    outlet_of = {a: o for a, o, _s in event.docs}
    keys = sorted(event.annotated)
    out = defaultdict(int)
    for n, a in enumerate(keys):
        for b in keys[n + 1 :]:
            if outlet_of[a[0]] == outlet_of[b[0]]:
                continue
            pred = a in claim_of and claim_of.get(a) == claim_of.get(b)
            out["gold_pairs"] += 1
            out["pred_pos"] += pred
            for name, gold in (
                ("", bool(event.actions[a] & event.actions[b])),
                ("strict_", _paraphrase(event, a, b)),
            ):
                out[f"{name}gold_pos"] += gold
                out[f"{name}true_pos"] += gold and pred
    return dict(out)


def _gold_miss(event: Event, claim: Claim, target: str) -> bool | None:
    """Whether the target states the claim by strict gold; None when gold is silent.

    Yes when one of the target's annotated sentences is a strict-gold paraphrase of at
    least half of the claim's annotated sentences.
    """
    keys = [
        (s.article_id, s.sentence_index)
        for s in claim.sentences
        if (s.article_id, s.sentence_index) in event.annotated and s.outlet != target
    ]
    mine = [k for k in event.annotated if event.docs[k[0]][1] == target]
    if not keys or not mine:
        return None
    return any(sum(_paraphrase(event, t, k) for k in keys) * 2 >= len(keys) for t in mine)


# --------------------------------------------------------------------------- reporting


def summarise(rows: Sequence[dict]) -> dict:
    total = defaultdict(int)
    for row in rows:
        for key, value in row.items():
            if isinstance(value, int):
                total[key] += value
    t = dict(total)

    def ratio(a: str, b: str) -> float | None:
        return round(t.get(a, 0) / t[b], 4) if t.get(b) else None

    def f1(p: float | None, r: float | None) -> float | None:
        return round(2 * p * r / (p + r), 4) if p and r else None

    precision, recall = ratio("true_pos", "pred_pos"), ratio("true_pos", "gold_pos")
    strict_p, strict_r = ratio("strict_true_pos", "pred_pos"), ratio("strict_true_pos", "strict_gold_pos")
    t.update(
        recall=ratio("recovered", "deleted"),
        fp_rate=ratio("false_positive", "flagged"),
        new_fp_rate=ratio("new_false_positive", "flagged"),
        flagged_before_rate=ratio("flagged_before", "eligible_before"),
        flagged_before_per_target=ratio("flagged_before", "targets"),
        flagged_before_gold_miss_rate=ratio("flagged_before_gold_miss", "flagged_before_gold_known"),
        gold_deletion_recall=ratio("gold_recovered", "gold_deleted"),
        gold_new_flag_precision=ratio("gold_new_flags_about_deleted", "gold_new_flags"),
        gold_precision=precision,
        gold_recall=recall,
        gold_base_precision=ratio("gold_pos", "gold_pairs"),
        gold_f1=f1(precision, recall),
        strict_precision=strict_p,
        strict_recall=strict_r,
        strict_f1=f1(strict_p, strict_r),
        strict_base_precision=ratio("strict_gold_pos", "gold_pairs"),
    )
    return t


def run(events: Sequence[Event], params: dict, min_support: int) -> dict:
    rows, started = [], time.perf_counter()
    for event in events:
        t0 = time.perf_counter()
        row = deletion_test(event, params, min_support)
        row.update(
            event=event.name,
            split=event.split,
            documents=len(event.docs),
            seconds=round(time.perf_counter() - t0, 3),
        )
        rows.append(row)
    result = {
        "params": params,
        "min_support": min_support,
        "seconds": round(time.perf_counter() - started, 2),
        "events": rows,
        "n_events": len(rows),
        "n_documents": sum(r["documents"] for r in rows),
    }
    for split in SPLITS:
        if _split_rows(result, split):
            result[split] = summarise(_split_rows(result, split))
    return result


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


SPLITS = ("all", "dev", "test")


def _split_rows(result: dict, split: str) -> list[dict]:
    return [r for r in result["events"] if split in ("all", r["split"])]


def markdown(result: dict) -> str:
    """Two tables: the controlled deletion, then the ECB+ gold figures (when the input has gold)."""
    lines = [
        "| split | sub-topics | documents | targets | deleted claims | recall | FP rate | new-FP rate "
        "| flagged before / target (share of eligible) | runtime s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    splits = [sp for sp in SPLITS if sp in result]
    for split in splits:
        s, rows = result[split], _split_rows(result, split)
        lines.append(
            f"| {split} | {len(rows)} | {sum(r['documents'] for r in rows)} | {s.get('targets', 0)} "
            f"| {s.get('deleted', 0)} | {_fmt(s['recall'])} | {_fmt(s['fp_rate'])} | {_fmt(s['new_fp_rate'])} "
            f"| {_fmt(s['flagged_before_per_target'])} ({_fmt(s['flagged_before_rate'])}) "
            f"| {sum(r['seconds'] for r in rows):.1f} |"
        )
    if not result["all"].get("gold_pairs"):
        return "\n".join(lines)
    lines += [
        "",
        "| split | annotated pairs | strict P / R / F1 (base P) | coarse P / R (base P) "
        "| flagged before: gold miss | gold deletion: happenings, recall | new flags about them |",
        "|---|---|---|---|---|---|---|",
    ]
    for split in splits:
        s = result[split]
        lines.append(
            f"| {split} | {s['gold_pairs']} | {_fmt(s['strict_precision'])} / {_fmt(s['strict_recall'])} / "
            f"{_fmt(s['strict_f1'])} ({_fmt(s['strict_base_precision'])}) | {_fmt(s['gold_precision'])} / "
            f"{_fmt(s['gold_recall'])} ({_fmt(s['gold_base_precision'])}) "
            f"| {_fmt(s['flagged_before_gold_miss_rate'])} of {s.get('flagged_before_gold_known', 0)} "
            f"| {s.get('gold_deleted', 0)}, {_fmt(s['gold_deletion_recall'])} | {_fmt(s['gold_new_flag_precision'])} |"
        )
    return "\n".join(lines)


SWEEP = {
    "linkage": ("average", "complete", "single", "mutual"),
    "char_weight": (0.0, 0.5, 1.0),
    "threshold": (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
}


def sweep(events: Sequence[Event], min_support: int) -> list[dict]:
    """The grid on the dev split (odd topics), without deletions: gold figures and flags before."""
    dev = [e for e in events if e.split == "dev"]
    out = []
    print(f"dev split: {len(dev)} sub-topics\n")
    print(
        "| linkage | char_weight | threshold | strict P | strict R | strict F1 | coarse P | claims "
        "| sentences in claims | flagged before (share) | gold miss |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for link in SWEEP["linkage"]:
        for cw in SWEEP["char_weight"]:
            for th in SWEEP["threshold"]:
                params = {"threshold": th, "linkage": link, "char_weight": cw}
                s = summarise(
                    [before_counts(e, ClaimAligner(**params).fit(e.docs).claims_, min_support) for e in dev]
                )
                print(
                    f"| {link} | {cw} | {th} | {_fmt(s['strict_precision'])} | {_fmt(s['strict_recall'])} "
                    f"| {_fmt(s['strict_f1'])} | {_fmt(s['gold_precision'])} | {s['claims']} "
                    f"| {s['claimed_sentences']} | {_fmt(s['flagged_before_rate'])} "
                    f"| {_fmt(s['flagged_before_gold_miss_rate'])} |",
                    flush=True,
                )
                out.append({"params": params, "dev": s})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument(
        "--input", type=Path, default=DEFAULT, help="ECB+ documents.jsonl or import rows with 'event'"
    )
    p.add_argument("--limit", type=int, help="only the first N events (sub-topic order)")
    p.add_argument("--min-support", type=int, default=2, help="other outlets that must carry a claim")
    p.add_argument("--threshold", type=float, help="ClaimAligner threshold (default: the aligner's)")
    p.add_argument("--linkage", help="ClaimAligner linkage (default: the aligner's)")
    p.add_argument("--char-weight", type=float, help="ClaimAligner char_weight (default: the aligner's)")
    p.add_argument("--sweep", action="store_true", help="print the parameter grid on the dev split and exit")
    p.add_argument("--json", type=Path, metavar="FILE", help="write all results as JSON here")
    args = p.parse_args(argv)
    if not args.input.exists():
        print(
            f"bench_claims_ecb: {args.input} not found. Fix: pass --input PATH/documents.jsonl",
            file=sys.stderr,
        )
        return 2
    events = load_events(args.input)[: args.limit]
    if args.sweep:
        result = {"sweep": sweep(events, args.min_support)}
    else:
        given = {"threshold": args.threshold, "linkage": args.linkage, "char_weight": args.char_weight}
        params = ClaimAligner().set_params(**{k: v for k, v in given.items() if v is not None}).get_params()
        result = run(events, params, args.min_support)
        print(
            f"ClaimAligner({', '.join(f'{k}={v!r}' for k, v in sorted(params.items()))}), "
            f"min_support={args.min_support}, input {args.input.name}\n"
        )
        print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
