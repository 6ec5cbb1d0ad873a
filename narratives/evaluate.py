"""Clustering quality against gold event labels: pairwise and B-cubed precision/recall/F1.

Usage::

    scores = score_clusters(predicted=["e1", "e1", "e2"], gold=["a", "a", "a"])
    scores["bcubed"].f1

Pairwise (as in Miranda et al. 2018) counts all pairs of documents: a pair is a true
positive when both partitions put the two documents together. B-cubed (Bagga & Baldwin
1998) averages, per document, the precision and recall of its own cluster. Both are
computed from the contingency table, so they cost O(n), not O(n^2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def score_clusters(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, PRF]:
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold differ in length")
    if not gold:
        return {"pairwise": PRF(0.0, 0.0), "bcubed": PRF(0.0, 0.0)}
    joint = Counter(zip(predicted, gold, strict=True))
    pred_sizes, gold_sizes = Counter(predicted), Counter(gold)
    tp = sum(_pairs(n) for n in joint.values())
    pred_pairs = sum(_pairs(n) for n in pred_sizes.values())
    gold_pairs = sum(_pairs(n) for n in gold_sizes.values())
    # A partition of singletons has no pairs: its pairwise precision is vacuously 1.
    pairwise = PRF(tp / pred_pairs if pred_pairs else 1.0, tp / gold_pairs if gold_pairs else 1.0)
    n = len(gold)
    b_p = sum(c * c / pred_sizes[p] for (p, _g), c in joint.items()) / n
    b_r = sum(c * c / gold_sizes[g] for (_p, g), c in joint.items()) / n
    return {"pairwise": pairwise, "bcubed": PRF(b_p, b_r)}
