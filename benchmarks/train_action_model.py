"""Train the second opinion on actions (narratives/action_model.npz) from the labelled sets.

Usage::

    .venv/bin/python benchmarks/train_action_model.py              # sets 0-78 -> narratives/action_model.npz
    .venv/bin/python benchmarks/train_action_model.py --sets 0-40 -o /tmp/model.npz

Two kinds of logistic regression (C=4, classes balanced), one per fact and kind, over
TF-IDF word 1-2-grams (min_df 2) and character 3-5-grams within words (min_df 3), both
fitted once on every sentence of the training sets:

* **action** (every fact): positives are the fact's gold evidence sentences (the first
  sentence that gives an article its state, attributed or agentless); negatives all
  sentences of the articles that do not carry it;
* **attribution** (``fact/actor``, the facts with an actor): positives are the evidence
  sentences of articles whose state is ``attributed``; negatives all sentences of the
  articles that are ``agentless`` or do not carry it.

An article's other sentences are left out: they may carry the fact too.

The shipped file is trained on sets 0-78 (0-40 until round 38), so held-out sets 79 and
later stay blind to it (benchmarks/README.md). Training takes about two and a half minutes
and is deterministic (lbfgs, no sampling): the same sets give the same arrays.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import eval_facts as ev  # noqa: E402

from narratives.action_model import ATTRIBUTION, CHAR, MODEL_PATH, WORD, ActionModel  # noqa: E402

DATA = REPO / "benchmarks" / "data"
C = 4.0


def set_file(n: int) -> Path:
    """Set 0 is facts_eval.yaml, 1 facts_eval_holdout.yaml, n facts_eval_holdout{n}.yaml."""
    return DATA / ("facts_eval.yaml" if n == 0 else "facts_eval_holdout.yaml" if n == 1 else f"facts_eval_holdout{n}.yaml")


def numbers(spec: str) -> list[int]:
    """"0-40" or "0-26,29-40" -> the set numbers."""
    out = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def rows(data: ev.EvalSet, fact: str, attribution: bool = False) -> list[tuple[str, int]]:
    """(sentence, 1 if it reports the fact) for one fact over one set (see module doc).
    ``attribution``: 1 only if it also names the fact's actor as the doer: an agent-deleted
    article's sentences are then negatives too."""
    out = []
    for a in data.articles:
        sentences = a.sentences
        gold = a.gold.get(fact)
        if gold is None or attribution and gold.state == "agentless":
            out += [(s, 0) for s in sentences]
        else:
            hit = next((s for s in sentences if gold.evidence in s), None)
            if hit is not None:
                out.append((hit, 1))
    return out


def train(sets: Sequence[ev.EvalSet], note: str = "") -> dict[str, np.ndarray]:
    """The model's arrays, as ``ActionModel.from_arrays`` and the .npz file hold them: a row
    per fact (does the sentence report it?), then a row per fact with an actor named
    ``fact/actor`` (does it report it and name the fact's actor as the doer?)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    everything = [s for data in sets for a in data.articles for s in a.sentences]
    word = TfidfVectorizer(min_df=2, **WORD).fit(everything)
    char = TfidfVectorizer(min_df=3, **CHAR).fit(everything)
    facts = sets[0].facts
    heads = [(f, f, False) for f in facts] + [(f + ATTRIBUTION, f, True) for f, has_actor in facts.items() if has_actor]
    coef, intercept, trained = [], [], []
    for name, fact, attribution in heads:
        pairs = [r for data in sets for r in rows(data, fact, attribution)]
        y = np.array([label for _, label in pairs])
        if y.sum() < 5:  # too few examples to learn from: the rules decide alone
            continue
        x = sp.hstack([word.transform([s for s, _ in pairs]), char.transform([s for s, _ in pairs])]).tocsr()
        model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x, y)
        coef.append(model.coef_[0])
        intercept.append(model.intercept_[0])
        trained.append((name, int(y.sum()), len(y)))
    word_terms = sorted(word.vocabulary_, key=word.vocabulary_.__getitem__)
    char_terms = sorted(char.vocabulary_, key=char.vocabulary_.__getitem__)
    info = {"trained_on": note, "C": C, "min_df": {"word": 2, "char": 3},
            "examples": {f: {"positive": p, "all": n} for f, p, n in trained}}
    return {"facts": np.array([f for f, _, _ in trained]), "coef": np.array(coef, dtype=np.float16),
            "intercept": np.array(intercept, dtype=np.float32),
            "word_vocabulary": np.array(word_terms), "word_idf": word.idf_.astype(np.float32),
            "char_vocabulary": np.array(char_terms), "char_idf": char.idf_.astype(np.float32),
            "info": np.array(json.dumps(info, sort_keys=True))}


def fit(numbers_: Sequence[int], note: str | None = None) -> ActionModel:
    """A model trained on the given sets, in memory (as the cross-validation needs it)."""
    sets = [ev.load_eval(set_file(n)) for n in numbers_]
    return ActionModel.from_arrays(train(sets, note or f"sets {numbers_}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", default="0-78", help="labelled sets to train on (default 0-78)")
    ap.add_argument("-o", "--out", default=str(MODEL_PATH))
    args = ap.parse_args()
    sets = [ev.load_eval(set_file(n)) for n in numbers(args.sets)]
    arrays = train(sets, f"benchmarks/data sets {args.sets}")
    np.savez_compressed(args.out, **arrays)
    print(f"{args.out}: {len(arrays['facts'])} facts, {len(arrays['word_vocabulary'])} word and "
          f"{len(arrays['char_vocabulary'])} character n-grams, {Path(args.out).stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
