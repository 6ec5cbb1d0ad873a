"""What the trained second opinion costs: matching with and without it, side by side.

Usage::

    .venv/bin/python benchmarks/bench_second_opinion.py              # 7 rounds over sets 0-48
    .venv/bin/python benchmarks/bench_second_opinion.py --rounds 3 --sets 0-10

Every event of the labelled sets is matched as ``narratives compare`` matches it
(``FactMatcher.event_mentions``), once by the shipped catalogue's rules alone and once with
its ``second_opinion``; the two alternate within each round, so load on the machine falls
on both alike. Printed: the median seconds of each over the rounds, their ratio, and the
one-off cost of reading the model file (once per process).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import eval_facts as ev  # noqa: E402
from train_action_model import numbers, set_file  # noqa: E402

from narratives.action_model import ActionModel, shipped_model  # noqa: E402
from narratives.facts import FactMatcher, load_facts  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--sets", default="0-48")
    args = ap.parse_args()
    events = [[a.sentences for a in e.articles] for n in numbers(args.sets)
              for e in ev.load_eval(set_file(n)).events]
    articles = sum(len(e) for e in events)
    sentences = sum(len(a) for e in events for a in e)
    started = time.perf_counter()
    ActionModel.load()
    load_s = time.perf_counter() - started
    catalogue = load_facts(REPO / "facts.yaml")
    if catalogue.second_opinion is None:
        raise SystemExit("facts.yaml has no second_opinion: nothing to compare")
    both = {"rules": FactMatcher(dataclasses.replace(catalogue, second_opinion=None)),
            "rules + model": FactMatcher(catalogue)}
    shipped_model()  # read once, as a compare run does, outside the timing
    times: dict[str, list[float]] = {name: [] for name in both}
    for r in range(args.rounds):
        order = list(both) if r % 2 == 0 else list(reversed(both))
        for name in order:
            started = time.perf_counter()
            for e in events:
                both[name].event_mentions(e)
            times[name].append(time.perf_counter() - started)
    rules, model = (statistics.median(times[n]) for n in both)
    print(f"{len(events)} events, {articles} articles, {sentences} sentences; {args.rounds} rounds")
    for name, ts in times.items():
        print(f"  {name:<14} median {statistics.median(ts):.3f} s  ({' / '.join(f'{t:.3f}' for t in ts)})")
    print(f"  ratio {model / rules:.2f}; per article {1000 * rules / articles:.2f} ms and "
          f"{1000 * model / articles:.2f} ms; reading the model file once: {load_s:.2f} s")


if __name__ == "__main__":
    main()
