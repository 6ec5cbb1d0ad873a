"""Issue 4 experiment: where do the matcher's errors on unseen text come from?

Each wrong article x fact state is either a **role** error (the action was found, its doer
was not: attributed <-> agentless) or an **action** error (one side is absent: a missed
paraphrase, a distractor, a rule that blocked a real mention). The omission verdicts are
scored three ways: as the matcher made them; with every role error corrected (a perfect
role model); with every action error corrected (perfect action detection). The gap each
correction closes is the most that work on that side could gain.

Run it with the matcher that had not seen the sets, from its own checkout (its
benchmarks/eval_facts.py and facts.yaml; the sets are read from this checkout):

    git worktree add /tmp/wt17 ad7ec37        # round 17, blind to held-out 27 and later
    ../../.venv/bin/python error_split.py --repo /tmp/wt17 27-44
    ../../.venv/bin/python error_split.py --repo ../.. 41-44   # the shipped matcher

SETS: numbers or ranges (0 = facts_eval.yaml, 1 = facts_eval_holdout.yaml). ``--by-support``
also gives the precision of the matcher's verdicts by how many other outlets support them
(for ``agentless``: outlets that name the actor). ``--min-attributed N`` scores the verdicts,
gold and predicted, with ``narratives compare --min-attributed N``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
KINDS = ("omitted", "agentless")


def set_file(n: int) -> Path:
    return DATA / ("facts_eval.yaml" if n == 0 else "facts_eval_holdout.yaml" if n == 1 else f"facts_eval_holdout{n}.yaml")


def numbers(specs: list[str]) -> list[int]:
    out = []
    for spec in specs:
        lo, _, hi = spec.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True, help="checkout whose matcher and scorer to use")
    ap.add_argument("--by-support", action="store_true", help="precision by number of supporting outlets")
    ap.add_argument("--min-attributed", type=int, default=1, help="as narratives compare --min-attributed")
    ap.add_argument("sets", nargs="+")
    args = ap.parse_args()
    repo = str(Path(args.repo).resolve())
    sys.path[:0] = [repo, repo + "/benchmarks"]
    import eval_facts as ev  # the checkout's own scorer and matcher
    from narratives.compare import fact_verdicts

    support: Counter = Counter()  # (verdict, bucket, right) -> count

    totals: Counter = Counter()
    classes: Counter = Counter()
    for n in numbers(args.sets):
        data = ev.load_eval(set_file(n))
        result = ev.evaluate(data, f"{repo}/facts.yaml")
        facts = list(data.facts)
        gold = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
        ways = {name: {a: dict(s) for a, s in gold.items()} for name in ("matcher", "roles fixed", "actions fixed")}
        for e in result.errors:
            a, f, g, p = e["article"], e["fact"], e["gold"], e["predicted"]
            ways["matcher"][a][f] = p
            role = g != "absent" and p != "absent"
            # a role error stays when only actions are fixed, and the other way round
            ways["actions fixed" if role else "roles fixed"][a][f] = p
            classes["role" if role else "action"] += 1
            classes[e["class"]] += 1
        def verdicts(states, data=data, facts=facts):
            """{(event, outlet, fact, verdict): the Omission} over the given article states."""
            return {(e.id, o.outlet, o.fact_id, o.verdict): o for e in data.events
                    for o in fact_verdicts(ev.event_coverage(e, states), facts, min_support=2,
                                           min_support_attributed=args.min_attributed, event_id=0)}

        gold_v = set(verdicts(gold))
        for name, states in ways.items():
            states = {a: {f: s for f, s in d.items() if s != "absent"} for a, d in states.items()}
            made = verdicts(states)
            scores = ev.verdict_scores(gold_v, set(made))
            if name == "matcher":
                for k, o in made.items():
                    if o.verdict in KINDS:
                        support[(o.verdict, min(len(o.supporting_outlets), 4), k in gold_v)] += 1
            for v in KINDS:
                for k in ("tp", "fp", "fn"):
                    totals[(name, v, k)] += scores[v][k]
    for name in ("matcher", "roles fixed", "actions fixed"):
        cells = []
        for v in KINDS:
            tp, fp, fn = (totals[(name, v, k)] for k in ("tp", "fp", "fn"))
            cells.append(f"{v} {tp / (tp + fp):.3f} / {tp / (tp + fn):.3f} ({tp + fn} gold; {fp} wrong, {fn} missed)")
        print(f"{name:14s} " + "   ".join(cells))
    print(f"state errors: {classes['action']} action, {classes['role']} role")
    print("by class:", ", ".join(f"{k} {v}" for k, v in classes.most_common() if k not in ("action", "role")))
    if args.by_support:
        for v in KINDS:
            cells = []
            for b in (1, 2, 3, 4):
                right, wrong = support[(v, b, True)], support[(v, b, False)]
                if right + wrong:
                    cells.append(f"{b}{'+' if b == 4 else ''}: {right / (right + wrong):.3f} ({right}/{right + wrong})")
            print(f"{v} precision by supporting outlets: " + ", ".join(cells))


if __name__ == "__main__":
    main()
