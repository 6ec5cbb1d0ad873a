"""Round-5 experiment (rejected): lend facts without an actor along discovered claims.

Within each event of the labelled sets, a claim (ClaimAligner) whose sentences include one
matching e.g. civilian_casualties lends that fact to the other articles with a sentence in
the claim. Prints omitted/agentless verdict P/R without and with it, and the sentences it
added with their gold state. Run: ../../.venv/bin/python claims_propagation.py [-v]
"""
import sys
from collections import defaultdict
from pathlib import Path
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks")); sys.path.insert(0, str(REPO))
import eval_facts as ev
from narratives.facts import FactMatcher, load_facts
from narratives.claims import ClaimAligner

RANK = ev.RANK

def run(path, threshold=None, mode="actorless", min_sim=None):
    data = ev.load_eval(path)
    cat = load_facts(ev.CATALOGUE)
    known = set(cat.ids())
    aliases = dict(data.aliases)
    facts = list(data.facts)
    to_gold = {i: f for f in facts for i in aliases.get(f, (f,)) if i in known}
    actorless = {to_gold[i] for i in to_gold if not cat.get(i).actor}
    m = FactMatcher(cat)
    gold = {a.id: {f: g.state for f, g in a.gold.items()} for a in data.articles}
    pred = {}
    ment = {}
    for a in data.articles:
        bf = defaultdict(list)
        for x in m.mentions(a.sentences):
            if x.fact_id in to_gold:
                bf[to_gold[x.fact_id]].append(x)
        ment[a.id] = bf
        pred[a.id] = {f: max((x.state for x in xs), key=RANK.__getitem__) for f, xs in bf.items()}
    base = {k: dict(v) for k, v in pred.items()}
    added = []
    if mode:
        for e in data.events:
            arts = e.articles
            if len({a.outlet for a in arts}) < 2:
                continue
            ids = {i: a for i, a in enumerate(arts)}
            kw = {} if threshold is None else {"threshold": threshold}
            al = ClaimAligner(**kw).fit([(i, a.outlet, a.sentences) for i, a in ids.items()])
            for c in al.claims_:
                # facts carried per sentence
                carried = defaultdict(set)
                for s in c.sentences:
                    a = ids[s.article_id]
                    for f, xs in ment[a.id].items():
                        if f in actorless and any(x.sentence_index == s.sentence_index for x in xs):
                            carried[f].add(s.outlet)
                for f, outs in carried.items():
                    for s in c.sentences:
                        a = ids[s.article_id]
                        if pred[a.id].get(f, "absent") == "absent":
                            pred[a.id][f] = "attributed"
                            added.append((a.id, f, gold[a.id].get(f, "absent"), s.sentence))
    gv = ev.verdicts(data, gold, facts, 2)
    res = {}
    for name, st in (("base", base), ("prop", pred)):
        vs = ev.verdict_scores(gv, ev.verdicts(data, st, facts, 2))
        res[name] = {v: (vs[v]["precision"], vs[v]["recall"]) for v in ("omitted", "agentless")}
    return res, added

if __name__ == "__main__":
    th = float(sys.argv[1]) if len(sys.argv) > 1 else None
    for s in ["facts_eval", "facts_eval_holdout", "facts_eval_holdout2", "facts_eval_holdout3"]:
        res, added = run(REPO / "benchmarks" / "data" / f"{s}.yaml", th)
        good = sum(1 for x in added if x[2] != "absent")
        print(s, {k: {v: tuple(round(z, 3) for z in pr) for v, pr in d.items()} for k, d in res.items()}, f"added {len(added)} right {good}")
        if "-v" in sys.argv:
            for x in added: print("   ", x[2], x[1], "|", x[3][:140])
