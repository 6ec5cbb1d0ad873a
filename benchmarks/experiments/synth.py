"""Synthetic 100k-article / 60-day corpus built from ECB+ sentences, for timing and memory only.
Each synthetic event: a random ECB+ sub-topic's sentence pool + 4 event-specific pseudo-names;
sizes heavy-tailed (lognormal), times = event day + exponential jitter; 20 outlets with a
boilerplate sentence each.  Gold labels are the synthetic events (ambiguous when two events share
a sub-topic within the window, so quality numbers on it are only indicative)."""
import numpy as np, evlib as E, string
def make(n=100_000, days=60, seed=0):
    r = np.random.default_rng(seed)
    ecb = E.load_ecb()
    pools = {}
    for d in ecb:
        pools.setdefault(d['label'], []).extend(E.split_sentences(d['title'] + "\n" + d['text']))
    labels = sorted(pools); allsent = [s for l in labels for s in pools[l]]
    outlets = [f"outlet{i}" for i in range(20)]
    boiler = {o: f"Read more from {o.capitalize()} at {o}.example and follow us for breaking updates." for o in outlets}
    docs = []; ev = 0
    while len(docs) < n:
        size = int(min(400, max(1, r.lognormal(1.2, 1.1))))
        base = pools[labels[r.integers(len(labels))]]
        names = ["".join(r.choice(list(string.ascii_lowercase), 7)).capitalize() for _ in range(4)]
        day0 = r.uniform(0, days)
        for _ in range(size):
            if len(docs) >= n: break
            ns = r.integers(12, 30)
            sents = [base[i] for i in r.integers(0, len(base), ns)] + [allsent[i] for i in r.integers(0, len(allsent), 4)]
            sents = [s + f" {names[r.integers(4)]} said ." if r.random() < 0.3 else s for s in sents]
            o = outlets[r.integers(20)]
            docs.append(dict(id=f"s{len(docs):06d}", title=sents[0], text="\n".join(sents[1:] + [boiler[o]]),
                             label=ev, day=float(min(days, day0 + r.exponential(0.5))), outlet=o))
        ev += 1
    return docs
if __name__ == "__main__":
    import time; t=time.time(); d=make(); print(len(d), "docs", len(set(x['label'] for x in d)), "events", f"{time.time()-t:.1f}s",
        "mean words", np.mean([len((x['title']+' '+x['text']).split()) for x in d[:2000]]))
