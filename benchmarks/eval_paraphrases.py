"""Score fact matching sentence by sentence on the paraphrase bank.

Usage::

    .venv/bin/python benchmarks/eval_paraphrases.py              # per-fact table
    .venv/bin/python benchmarks/eval_paraphrases.py --errors     # ... and every wrong snippet
    .venv/bin/python benchmarks/eval_paraphrases.py --facts /tmp/other-facts.yaml

The bank (``benchmarks/data/paraphrases/*.yaml``) is development data: short snippets (one
sentence, or two when the actor is named in the first) written to collect the many ways
news writing expresses each fact, plus near-misses that must not count, labelled by the
rules of the held-out sets' header. It measures how far the catalogue's words reach, one
snippet at a time, where the labelled sets (benchmarks/eval_facts.py) measure whole
articles and verdicts. Each snippet is read after a dateline sentence naming a town of its
theatre (no actor in it), as the bank's labels assume.

Reported per gold fact: precision and recall of "carried" (the snippet carries the fact in
either state) and, for facts with an actor, of the agentless state; then the totals.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import eval_facts as ev  # noqa: E402

from narratives.text import split_sentences  # noqa: E402

BANK = REPO / "benchmarks" / "data" / "paraphrases"
# A town of each theatre that is no party's name, so the dateline sets the theatre and
# cannot act as the actor of the snippet's first sentence.
DATELINES = {"syria": "Dateline: Idlib.", "russia-ukraine": "Dateline: Kharkiv.",
             "israel-gaza": "Dateline: Khan Younis."}


@functools.cache
def _labels() -> ev.EvalSet:
    """The labelled sets' fact ids (with whether each has an actor) and aliases: the main
    set's, which every set and the bank share. Read once."""
    return ev.load_eval(ev.DATA)


@dataclass(frozen=True)
class Item:
    id: str
    topic: str
    text: str
    gold: dict[str, str]  # fact -> attributed | agentless; missing = absent
    note: str


def load_bank(paths: Iterable[Path]) -> list[Item]:
    """Every item of the bank files, checked: unique ids, known topics, facts and states."""
    facts = _labels().facts
    items: list[Item] = []
    for path in paths:
        for raw in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            gold = dict(raw.get("gold") or {})
            item = Item(str(raw["id"]), raw["topic"], raw["text"].strip(), gold, raw.get("note") or "")
            if item.topic not in DATELINES:
                raise ValueError(f"{path}: {item.id}: unknown topic {item.topic!r}")
            for fact, state in gold.items():
                if fact not in facts or state not in ev.STATES or (state == "agentless" and not facts[fact]):
                    raise ValueError(f"{path}: {item.id}: bad gold {fact}: {state}")
            items.append(item)
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate ids: {sorted(i for i, n in Counter(ids).items() if n > 1)}")
    return items


def predict(items: list[Item], catalogue_path: Path) -> dict[str, dict[str, tuple[str, str]]]:
    """item id -> gold fact -> (best state, its sentence) under the catalogue."""
    from narratives.facts import FactMatcher, load_facts

    catalogue = load_facts(catalogue_path)
    data = _labels()
    to_gold = {c: f for f in data.facts for c in data.aliases.get(f, (f,))}
    matcher = FactMatcher(catalogue)
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for item in items:
        best: dict[str, tuple[str, str]] = {}
        for m in matcher.mentions([DATELINES[item.topic], *split_sentences(item.text)]):
            f = to_gold.get(m.fact_id)
            if f and ev.RANK[m.state] > ev.RANK[best.get(f, ("absent", ""))[0]]:
                best[f] = (m.state, m.sentence)
        out[item.id] = best
    return out


def score(items: list[Item], pred: dict[str, dict[str, tuple[str, str]]]) -> dict[str, dict[str, Counter]]:
    """fact -> {"carried": Counter(tp, fp, fn), "agentless": Counter(...)}."""
    facts = _labels().facts
    table = {f: {"carried": Counter(), "agentless": Counter()} for f in facts}
    for item in items:
        for f in facts:
            g = item.gold.get(f, "absent")
            p = pred[item.id].get(f, ("absent", ""))[0]
            for kind, gi, pi in (("carried", g != "absent", p != "absent"),
                                 ("agentless", g == "agentless", p == "agentless")):
                if gi and pi:
                    table[f][kind]["tp"] += 1
                elif pi:
                    table[f][kind]["fp"] += 1
                elif gi:
                    table[f][kind]["fn"] += 1
    return table


def _f(c: Counter) -> str:
    r = ev.prf(c["tp"], c["fp"], c["fn"])
    return f"{ev._f(r['precision'])} / {ev._f(r['recall'])} ({c['tp'] + c['fn']})"


def markdown(items: list[Item], table: dict[str, dict[str, Counter]]) -> str:
    facts = _labels().facts
    lines = [f"Paraphrase bank: {len(items)} snippets, {sum(not i.gold for i in items)} carrying no fact.", "",
             "| fact | carried P / R (gold) | agentless P / R (gold) |", "|---|---|---|"]
    total = {"carried": Counter(), "agentless": Counter()}
    for f, kinds in table.items():
        for k in total:
            total[k].update(kinds[k])
        lines.append(f"| {f} | {_f(kinds['carried'])} | {_f(kinds['agentless']) if facts[f] else '-'} |")
    lines.append(f"| **all** | {_f(total['carried'])} | {_f(total['agentless'])} |")
    return "\n".join(lines)


def errors(items: list[Item], pred: dict[str, dict[str, tuple[str, str]]]) -> list[str]:
    facts = _labels().facts
    out = []
    for item in items:
        for f in facts:
            g = item.gold.get(f, "absent")
            p, sentence = pred[item.id].get(f, ("absent", ""))
            if g != p:
                out.append(f"{item.id} {f}: {g} -> {p}: {item.text}" + (f"  [{item.note}]" if item.note else ""))
    return out


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bank", type=Path, nargs="*", help="bank files (default: all of benchmarks/data/paraphrases)")
    parser.add_argument("--facts", type=Path, default=ev.CATALOGUE, help="fact catalogue (default: facts.yaml)")
    parser.add_argument("--errors", action="store_true", help="list every wrong snippet x fact")
    args = parser.parse_args(list(argv) if argv is not None else None)
    items = load_bank(args.bank or sorted(BANK.glob("*.yaml")))
    pred = predict(items, args.facts)
    print(markdown(items, score(items, pred)))
    if args.errors:
        print("\n" + "\n".join(errors(items, pred)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
