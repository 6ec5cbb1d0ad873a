"""Issue 4 experiment (rounds 38-41): the second opinion's training sets and thresholds, on unseen sets.

Usage::

    cd benchmarks/experiments
    # round 38 (the rules of 7e041ff had no veto_actor)
    ../../.venv/bin/python model_timesplit.py --train 0-40 --train 0-58 --test 59-78 --veto-actor off
    ../../.venv/bin/python model_timesplit.py --train 0-40 --train 0-58 --train 0-68 --test 69-78 --veto-actor off
    ../../.venv/bin/python model_timesplit.py --train 0-58 --test 59-78 --attribute 0.9,0.95,0.97 \
        --hold 0.6,0.7,0.8 --veto-actor off
    # round 39 (the rules of 45609c4 had no deleted)
    ../../.venv/bin/python model_timesplit.py --train 0-58 --test 59-78 --veto-actor off,0.02,0.05,0.1,0.2 \
        --deleted off
    # round 40
    ../../.venv/bin/python model_timesplit.py --train 0-58 --test 59-78 --deleted off,0.8,0.9,0.95
    # round 41 (a narrower actor check for deleted, no new key): the same command here and
    # in a checkout of round 40 (git worktree add /tmp/wt40 5188826)
    ../../.venv/bin/python model_timesplit.py --train 0-58 --test 59-78 --deleted 0.8,0.9

A time split: each ``--train`` range trains a model in memory the way
``benchmarks/train_action_model.py`` does (same features, same C), and the shipped rules
(this checkout's facts.yaml and matcher) score the ``--test`` sets with it in place of the
shipped file. The test sets must lie outside every training range, so every figure is out of
the model's sample; the rules themselves were tuned on the test sets after their looks, the
same for every model, so the comparison isolates what the model was trained on.
``--attribute`` / ``--hold`` / ``--veto-actor`` / ``--deleted`` (comma-separated) score a grid
of those thresholds of facts.yaml's ``second_opinion`` for each model (default: the shipped
values, veto 0.1, rescue 0.8, hold 0.7, attribute 0.95, veto_actor 0.02, deleted 0.8; ``off``
leaves veto_actor or deleted out).

Prints, per model and thresholds, pooled verdict precision / recall / F1 over the test sets,
with the counts (as ``eval_facts.py`` and ``error_split.py`` score them). About 1.5 minutes
to train a model on 60 sets, 20 seconds to score 20 sets.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import eval_facts as ev  # noqa: E402
import train_action_model as tam  # noqa: E402

import narratives.action_model as action_model  # noqa: E402

KINDS = ("omitted", "agentless")
OPINION = re.compile(r"^second_opinion: \{.*\}$", re.MULTILINE)


def score(tests: list[int], catalogue: Path) -> Counter:
    """tp / fp / fn per verdict kind, pooled over the test sets."""
    out = Counter()
    for n in tests:
        r = ev.evaluate(ev.load_eval(tam.set_file(n)), catalogue)
        for kind in KINDS:
            for m in ("tp", "fp", "fn"):
                out[kind, m] += r.verdicts[kind][m]
    return out


def line(counts: Counter) -> str:
    parts = []
    for kind in KINDS:
        tp, fp, fn = (counts[kind, m] for m in ("tp", "fp", "fn"))
        p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        parts.append(f"{kind} {p:.4f} / {r:.4f} F1 {f1:.4f} (tp {tp} fp {fp} fn {fn})")
    return "   ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", action="append", required=True, help="training sets, e.g. 0-58 (repeatable)")
    ap.add_argument("--test", required=True, help="test sets, e.g. 59-78")
    ap.add_argument("--attribute", default="0.95")
    ap.add_argument("--hold", default="0.7")
    ap.add_argument("--veto-actor", default="0.02", help="veto for the facts with an actor, e.g. off,0.02,0.05")
    ap.add_argument("--deleted", default="0.8", help="held acts as agent deletions above it, e.g. off,0.8,0.9")
    args = ap.parse_args()
    tests = tam.numbers(args.test)
    text = (REPO / "facts.yaml").read_text(encoding="utf-8")
    if len(OPINION.findall(text)) != 1:
        sys.exit("facts.yaml has no single 'second_opinion: {...}' line to vary")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.train:
            overlap = set(tam.numbers(spec)) & set(tests)
            if overlap:
                sys.exit(f"--train {spec} holds test sets {sorted(overlap)}: the figures would be in-sample")
            model = tam.fit(tam.numbers(spec), f"sets {spec}")
            action_model.shipped_model = lambda model=model: model  # facts.py looks it up per call
            for attribute in args.attribute.split(","):
                for hold in args.hold.split(","):
                    for veto in args.veto_actor.split(","):
                        for deleted in args.deleted.split(","):
                            line_ = f"second_opinion: {{veto: 0.1, rescue: 0.8, hold: {hold}, attribute: {attribute}"
                            line_ += "" if veto == "off" else f", veto_actor: {veto}"
                            line_ += "}" if deleted == "off" else f", deleted: {deleted}}}"
                            catalogue = Path(tmp) / f"facts-{attribute}-{hold}-{veto}-{deleted}.yaml"
                            catalogue.write_text(OPINION.sub(line_, text), encoding="utf-8")
                            print(f"train {spec}, test {args.test}, attribute {attribute}, hold {hold}, "
                                  f"veto_actor {veto}, deleted {deleted}: {line(score(tests, catalogue))}",
                                  flush=True)

if __name__ == "__main__":
    main()
