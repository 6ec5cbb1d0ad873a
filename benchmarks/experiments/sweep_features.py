"""Sweep feature pipelines x linkage x threshold on ECB+ (all at once) and the sample corpus.

Prints, per config: best B3 F1 and its threshold, F1 at fixed thresholds, plateau width
(thresholds with B3 F1 >= 0.90), split check (threshold chosen on topics 1-22, applied to
23-45 and vice versa; each half clustered on its own with its own DF counts), sample F1.
"""
import sys
import time

import numpy as np

import evlib as E

GRID = np.round(np.arange(0.50, 0.981, 0.01), 3)


def curve(X, docs, method, grid=GRID, window=3.0):
    D = E.window_distance(X, [d["day"] for d in docs], window=window)
    Z = E.hac_tree(D, method)
    gold = [d["label"] for d in docs]
    return [E.scores(gold, E.cut(Z, t)) for t in grid]


def plateau(cur, grid=GRID, lvl=0.90):
    ok = [t for t, s in zip(grid, cur) if s["F"] >= lvl]
    if not ok:
        return "none"
    return f"{min(ok):.2f}-{max(ok):.2f} ({len(ok)} pts)"


def run(name, featfn, methods=("average",), show=(0.70, 0.75, 0.80, 0.85)):
    ecb = E.load_ecb()
    samp = E.load_sample()
    t0 = time.time()
    X = featfn(ecb)
    tf = time.time() - t0
    A = [d for d in ecb if d["topic"] <= 22]
    B = [d for d in ecb if d["topic"] > 22]
    XA, XB, XS = featfn(A), featfn(B), featfn(samp)
    for m in methods:
        t0 = time.time()
        cur = curve(X, ecb, m)
        tc = time.time() - t0
        Fs = [s["F"] for s in cur]
        i = int(np.argmax(Fs))
        ca, cb, cs = curve(XA, A, m), curve(XB, B, m), curve(XS, samp, m)
        ia, ib = int(np.argmax([s["F"] for s in ca])), int(np.argmax([s["F"] for s in cb]))
        fixed = " ".join(f"{t:.2f}:{cur[list(GRID).index(t)]['F']:.3f}" for t in show)
        fixed_s = " ".join(f"{t:.2f}:{cs[list(GRID).index(t)]['F']:.3f}" for t in show)
        isb = int(np.argmax([s["F"] for s in cs]))
        print(f"{name:42s} {m:8s} best t={GRID[i]:.2f} {E.fmt(cur[i])} | plateau>=.90 {plateau(cur)}"
              f" | {fixed}\n    split: A-best t={GRID[ia]:.2f} -> B F={cb[ia]['F']:.3f} (B own best {cb[ib]['F']:.3f}@{GRID[ib]:.2f});"
              f" B-best t={GRID[ib]:.2f} -> A F={ca[ib]['F']:.3f} (A own best {ca[ia]['F']:.3f})"
              f"\n    sample: best {cs[isb]['F']:.3f}@{GRID[isb]:.2f} plateau {plateau(cs)} | {fixed_s} | ECB t* -> sample {cs[i]['F']:.3f}"
              f"\n    feat {tf:.2f}s clust {tc:.2f}s", flush=True)


CONFIGS = {
    "fitted_tfidf_sublinear": lambda d: E.fitted_tfidf(d),
    "hash_plain(w_title=1)": lambda d: E.hashed_features(d),
    "hash_title2": lambda d: E.hashed_features(d, w_title=2),
    "hash_title3": lambda d: E.hashed_features(d, w_title=3),
    "hash_ent1": lambda d: E.hashed_features(d, w_ent=1),
    "hash_ent2": lambda d: E.hashed_features(d, w_ent=2),
    "hash_title2_ent1": lambda d: E.hashed_features(d, w_title=2, w_ent=1),
    "hash_title2_ent1_big1": lambda d: E.hashed_features(d, w_title=2, w_ent=1, w_bigram=1),
    "hash_title2_big1": lambda d: E.hashed_features(d, w_title=2, w_bigram=1),
    "hash_ent1_big1": lambda d: E.hashed_features(d, w_ent=1, w_bigram=1),
    "hash_title2_ent1_maxdf.5": lambda d: E.hashed_features(d, w_title=2, w_ent=1, max_df=0.5),
    "hash_nosublinear": lambda d: E.hashed_features(d, sublinear=False),
}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CONFIGS)
    methods = ("average", "complete")
    if "--linkages" in names:
        names.remove("--linkages")
        methods = ("average", "complete", "weighted", "single")
    for n in names:
        run(n, CONFIGS[n], methods)
