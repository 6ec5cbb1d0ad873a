"""Issue 4 experiment: does a syntactic parse decide who did it better than the matcher's rules?

No statistical English parser model is in the package registries this project may use
(spaCy's and Stanza's models are downloaded from GitHub / Hugging Face), but Debian packages
CMU's Link Grammar parser with an English dictionary: ``apt-get install python3-link-grammar
link-grammar-dictionaries-en``. This script reads its links to say whether an actor word
names the doer of an action word -- the actor's noun phrase is the action ("Russian
airstrikes", "jets of the regime"), its subject ("Russian jets bombed", "Russia launched a
wave of strikes", "attacked the port with drones"), a participle or relative on it, or the
"by" agent ("struck by Russian warplanes") -- in the ten best linkages of the sentence.

Variants, applied to every sentence where the matcher found a fact's action and one of its
actor words: ``veto`` drops an attribution the rules made to a plain agent when no linkage
of a parse with no null words supports it; ``rescue`` adds one the rules did not make when
most linkages support it; ``both``. Run with the matcher that had not seen the sets:

    apt-get install -y python3-link-grammar link-grammar-dictionaries-en
    git worktree add /tmp/wt17 ad7ec37        # round 17, blind to held-out 27 and later
    ../../.venv/bin/python linkgrammar_roles.py --repo /tmp/wt17 27-42 --json out.json

(about 3 minutes a variant over sixteen sets). Measured, not shipped: see ../README.md,
"A parser for roles".
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from functools import cache

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's binding, for the venv's Python 3.11
import linkgrammar.clinkgrammar as clg
from linkgrammar import Dictionary, ParseOptions, Sentence
from role_variants import add_doer, drop_doer, offsets, score_variants

_DICT = Dictionary("en")


def _opts(nulls: bool) -> ParseOptions:
    po = ParseOptions(verbosity=0, linkage_limit=100, max_parse_time=3)
    if nulls:
        po.min_null_count = 1
        po.max_null_count = 250
    return po


_PO = _opts(False)
_PO_NULL = _opts(True)


class Parse:
    """One linkage: word character spans and links (left word, right word, label)."""

    def __init__(self, text: str, lk=None, nulls=0):
        self.ok = lk is not None
        self.nulls = nulls
        self.text = text
        self.words = []
        self.links = []
        self.adj = {}
        if lk is None:
            return
        n = lk.num_of_words()
        self.words = [(lk.word_char_start(w), lk.word_char_end(w)) for w in range(n)]
        o = lk._obj
        self.links = [(clg.linkage_get_link_lword(o, i), clg.linkage_get_link_rword(o, i), clg.linkage_get_link_label(o, i)) for i in range(lk.num_of_links())]
        for a, b, lab in self.links:
            self.adj.setdefault(a, []).append((b, lab, "R"))  # b is right of a
            self.adj.setdefault(b, []).append((a, lab, "L"))

    def word_text(self, w: int) -> str:
        s, e = self.words[w]
        return self.text[s:e].lower()

    def word_at(self, start: int, end: int) -> list[int]:
        return [w for w, (s, e) in enumerate(self.words) if s < end and start < e and s >= 0]

    def _n(self, w: int, labels: tuple[str, ...], side: str | None = None):
        for v, lab, d in self.adj.get(w, ()):
            if lab.startswith(labels) and (side is None or d == side):
                yield v, lab, d


# Links inside a verb group: auxiliaries to participles, modals to infinitives, coordination.
_VG = ("PP", "Pv", "Pg", "I", "TO", "VJ", "PF", "Pa")


def _closure(p: Parse, w: int, follows) -> set[int]:
    """w and every word reached from it over links for which follows(label, side) holds."""
    seen = {w}
    todo = [w]
    while todo:
        for v, lab, d in p.adj.get(todo.pop(), ()):
            if v not in seen and follows(lab, d):
                seen.add(v)
                todo.append(v)
    return seen


def heads(p: Parse, w: int) -> set[int]:
    """w and the heads it modifies: adjectives, nouns as modifiers, determiners and
    possessives, proper-noun chains (to the head on the right), coordination."""
    return _closure(p, w, lambda lab, d: lab.startswith(("AN", "A", "G", "D", "YS", "YP", "GN")) and d == "R"
                    or lab.startswith(("AJ", "NJ", "SJ")))


def verb_group(p: Parse, v: int) -> set[int]:
    """v and its auxiliaries' participles, infinitives after modals, coordinated verbs."""
    return _closure(p, v, lambda lab, d: lab.startswith(_VG) and (d == "R" or lab.startswith("VJ")))


def object_nps(p: Parse, v: int) -> set[int]:
    """The heads of v's object, with 'a wave of strikes' -> strikes."""
    out = set()
    for o, lab, d in p._n(v, ("O",), "R"):
        out |= heads(p, o) | {o}
        for of, lab2, d2 in p._n(o, ("OF", "Mf", "M"), "R"):
            for j, _, _ in p._n(of, ("J",), "R"):
                out |= heads(p, j) | {j}
    return out


def agentive(p: Parse, actor: list[int], action: list[int]) -> bool:
    """Whether an actor word names the doer of an action word, by the parse."""
    act = set(action)
    for a in actor:
        h = heads(p, a)
        if h & act:  # "Russian airstrikes", "Russia's jets"
            return True
        # "jets of the Zionist regime": the action noun's own "of" names its owner
        for of, lab, d in p._n(a, ("J",), "L"):
            if p.word_text(of) == "of" and any(v in act for v, _, _ in p._n(of, ("Mf", "Mp", "OF"), "L")):
                return True
        for hh in list(h):
            for of, lab, d in p._n(hh, ("J",), "L"):
                if p.word_text(of) == "of" and any(v in act for v, _, _ in p._n(of, ("Mf", "Mp", "OF"), "L")):
                    return True
        for x in h:
            # subject: "Russian jets bombed", "Russia launched strikes", "jets have struck"
            for v, lab, d in p._n(x, ("S",), "R"):
                vg = verb_group(p, v)
                if vg & act:
                    return True
                if any(object_nps(p, y) & act for y in vg):
                    return True
                # the instrument: "attacked the port with drones", "struck ... using missiles"
                for y in vg:
                    for w, lab2, d2 in p._n(y, ("MV",), "R"):
                        if p.word_text(w) in ("with", "using"):
                            for j, _, _ in p._n(w, ("J", "O"), "R"):
                                if (heads(p, j) | {j}) & act:
                                    return True
            # participle or relative: "jets bombing the town", "jets that struck"
            for v, lab, d in p._n(x, ("Mg", "Mv", "R", "MX"), "R"):
                for y in {v} | {z for z, _, _ in p._n(v, ("RS", "S", "Bs", "Bp"), "R")}:
                    vg = verb_group(p, y)
                    if vg & act or any(object_nps(p, z) & act for z in vg):
                        return True
            # passive or nominal agent: "struck by Russian jets", "strikes by Russia"
            for by, lab, d in p._n(x, ("J",), "L"):
                if p.word_text(by) != "by":
                    continue
                for v, lab2, d2 in p._n(by, ("MV", "Mp", "M"), "L"):
                    if v in act:
                        return True
                    groups = {v}
                    for u, lab3, d3 in p.adj.get(v, ()):
                        if lab3.startswith(_VG) and d3 == "L":
                            groups.add(u)
                    if any(verb_group(p, g) & act for g in groups):
                        return True
    return False


K = 10


@cache
def parses(text: str) -> list:
    """The K best linkages (all with the fewest null words)."""
    try:
        ls = Sentence(text, _DICT, _PO).parse()
        if len(ls) == 0:
            ls = Sentence(text, _DICT, _PO_NULL).parse()
        out = []
        for lk in ls:
            out.append(Parse(text, lk, lk.unused_word_cost()))
            if len(out) >= K:
                break
        return out
    except Exception:  # noqa: BLE001
        return []


# --------------------------------------------------------------------------- the matcher


def patch(F, Tokens, variant: str, stats: Counter, log: list) -> None:
    """Wrap FactMatcher._sentence: after the rules, the parse may veto or add a doer."""
    original = F.FactMatcher._sentence

    def sentence_with_parse(self, sentence):
        info = original(self, sentence)
        cands = [f for f in info.actions if f in info.actor_spans and self._facts[f].actor]
        if variant == "rules" or not cands:
            return info
        tokens = Tokens.of(sentence)
        offs = offsets(sentence, tokens.raw)
        ps = parses(sentence) if offs is not None and len(tokens.words) <= 60 else []
        if not ps:
            stats["no parse"] += 1
            return info
        clean = ps[0].nulls == 0
        starts = {s for spans in info.action_spans.values() for s, _ in spans}
        for f in cands:
            acts = info.action_spans.get(f, [])

            def lg(q, span):
                return q.word_at(offs[span[0]][0], offs[span[1] - 1][1])

            votes = {span: [any(agentive(q, lg(q, span), lg(q, a)) for a in acts) for q in ps]
                     for span in info.actor_spans[f]}
            some = any(v for vs in votes.values() for v in vs)
            most = [span for span, vs in votes.items() if sum(vs) * 2 > len(vs)]
            rule = f in info.agents
            stats[f"rules {'agent' if rule else 'not agent'}, parse {'agent' if most else 'not agent'}"] += 1
            if variant in ("veto", "both") and rule and not some and clean:
                if drop_doer(F, info, f, tokens, starts):
                    stats["vetoed"] += 1
                    log.append(("veto", self._facts[f].id, sentence))
            elif variant in ("rescue", "both") and not rule and most and clean:
                add_doer(info, f, most[0])
                stats["rescued"] += 1
                log.append(("rescue", self._facts[f].id, sentence))
        return info

    F.FactMatcher._sentence = sentence_with_parse


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True, help="checkout whose matcher and scorer to use")
    ap.add_argument("--variants", default="rules,veto,rescue,both")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--log", help="write every changed decision here")
    ap.add_argument("sets", nargs="+")
    args = ap.parse_args()
    score_variants(args.repo, args.sets, args.variants.split(","), patch, args.json, args.log)


if __name__ == "__main__":
    main()
