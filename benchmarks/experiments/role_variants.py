"""Shared by the parser-role experiments (``linkgrammar_roles.py``, ``spacy_roles.py``): the
alignment of the matcher's words to a parser's characters, the two ways a parse may overrule
the rules' doer, and the scoring of every variant against the rules on labelled sets.
Scratch code for measurements, not product."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from error_split import numbers, set_file


def offsets(sentence: str, raw: list[str]) -> list[tuple[int, int]] | None:
    """Character spans of the matcher's raw words in the sentence (None if one is not found)."""
    out, pos = [], 0
    for w in raw:
        k = sentence.find(w, pos)
        if k < 0:
            return None
        out.append((k, k + len(w)))
        pos = k + len(w)
    return out


def drop_doer(F, info, f: int, tokens, starts: set[int]) -> bool:
    """Veto the rules' doer of fact f -- only doers they took as plain agents, not sources
    speaking of themselves. Returns whether it was dropped."""
    doers = info.perpetrators.get(f, [])
    if not doers or not all(F.actor_role(tokens, s, e, starts)[0] == "agent" for s, e in doers):
        return False
    del info.agents[f]
    info.perpetrators.pop(f, None)
    return True


def add_doer(info, f: int, span: tuple[int, int]) -> None:
    """Rescue: the parse's doer of fact f, which the rules did not take."""
    info.agents[f] = info.actors.get(f) or "?"
    info.perpetrators.setdefault(f, []).append(span)


def score_variants(repo_arg: str, specs: list[str], variants: list[str],
                   patch: Callable[..., None], json_path: str | None = None,
                   log_path: str | None = None) -> dict:
    """Score each variant's verdicts on the sets with the checkout's own scorer and matcher;
    ``patch(F, Tokens, variant, stats, log)`` wraps ``FactMatcher._sentence`` for a variant.
    State errors fixed / introduced are counted against the "rules" variant (run it first)."""
    repo = str(Path(repo_arg).resolve())
    sys.path[:0] = [repo, repo + "/benchmarks"]
    import eval_facts as ev

    from narratives import facts as F
    from narratives.terms import Tokens

    original = F.FactMatcher._sentence
    sets = numbers(specs)
    data = {n: ev.load_eval(set_file(n)) for n in sets}
    out, base, logs = {}, {}, {}
    for variant in variants:
        F.FactMatcher._sentence = original
        stats: Counter = Counter()
        log: list = []
        patch(F, Tokens, variant, stats, log)
        totals: Counter = Counter()
        errors = {}
        for n in sets:
            r = ev.evaluate(data[n], f"{repo}/facts.yaml")
            for v in ("omitted", "agentless"):
                for k in ("tp", "fp", "fn"):
                    totals[(v, k)] += r.verdicts[v][k]
            errors[n] = {(e["article"], e["fact"], e["gold"], e["predicted"]) for e in r.errors}
        if variant == "rules":
            base = errors
        fixed = sum(len(base[n] - errors[n]) for n in sets) if base else None
        made = sum(len(errors[n] - base[n]) for n in sets) if base else None
        row = {}
        for v in ("omitted", "agentless"):
            tp, fp, fn = (totals[(v, k)] for k in ("tp", "fp", "fn"))
            row[v] = {"precision": round(tp / (tp + fp), 3), "recall": round(tp / (tp + fn), 3),
                      "f1": round(2 * tp / (2 * tp + fp + fn), 4), "gold": tp + fn}
        row.update(state_errors_fixed=fixed, state_errors_introduced=made, decisions=dict(stats))
        if base and variant != "rules":
            row["fixed"] = sorted(str(e) for n in sets for e in base[n] - errors[n])
            row["made"] = sorted(str(e) for n in sets for e in errors[n] - base[n])
        out[variant] = row
        logs[variant] = log
        print(f"{variant:7s} omitted {row['omitted']['precision']:.3f} / {row['omitted']['recall']:.3f}"
              f" (F1 {row['omitted']['f1']:.4f})  agentless {row['agentless']['precision']:.3f} /"
              f" {row['agentless']['recall']:.3f} (F1 {row['agentless']['f1']:.4f})"
              f"  state errors fixed {fixed} introduced {made}  {dict(stats)}", flush=True)
    F.FactMatcher._sentence = original
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=1))
    if log_path:
        Path(log_path).write_text(json.dumps(logs, indent=1))
    return out
