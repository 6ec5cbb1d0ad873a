"""Reproduces the recommendation: evaluates incremental.IncrementalClusterer (the proposed product
method) over a threshold grid on ECB+ (all at once), ECB+ split check (topics 1-22 / 23-45, each
clustered separately), ECB+ small-event and mixed-size variants (3 seeds each), and the sample corpus
(boilerplate stripped with the per-outlet rule, real dates, window +-3 days); then, at the chosen
default, incremental feeding in 5 random batches.

usage: final_eval.py [--t 0.60] [--k 3] [--m_raw 40] [--m_smooth 60] [--nosmooth] [--grid lo hi step]
"""
import argparse, time, numpy as np, evlib as E
from incremental import IncrementalClusterer
import harness as H

ap = argparse.ArgumentParser()
ap.add_argument('--t', type=float, default=0.60)
ap.add_argument('--k', type=int, default=3)
ap.add_argument('--alpha', type=float, default=1.0)
ap.add_argument('--floor', type=float, default=0.2)
ap.add_argument('--m_raw', type=int, default=40)
ap.add_argument('--m_smooth', type=int, default=60)
ap.add_argument('--nosmooth', action='store_true')
ap.add_argument('--grid', type=float, nargs=3, default=[0.40, 0.76, 0.02])
ap.add_argument('--no-batches', action='store_true')
a = ap.parse_args()
KW = dict(k=a.k, alpha=a.alpha, floor=a.floor, m_raw=a.m_raw if a.m_raw > 0 else None,
          m_smooth=a.m_smooth if a.m_smooth > 0 else None, smooth=not a.nosmooth)

def run(docs, t, batches=None, seed=0, gap=0.0, **kw):
    c = IncrementalClusterer(threshold=t, **{**KW, **kw})
    if batches is None:
        c.add(docs)
    else:
        perm = np.random.default_rng(seed).permutation(len(docs))
        for bi, b in enumerate(np.array_split(perm, batches)):
            c.add([dict(docs[i], day=docs[i]['day'] + bi * gap) for i in b])
    return c.labels([d['id'] for d in docs])

def sc(docs, lab): return E.scores([d['label'] for d in docs], lab)

grid = np.round(np.arange(*a.grid), 3)
rows = []
T0 = time.time()
for t in grid:
    r = dict(t=t, full=sc(H.ecb, run(H.ecb, t)), A=sc(H.A, run(H.A, t))['F'], B=sc(H.B, run(H.B, t))['F'],
             small=np.mean([sc(s, run(s, t))['F'] for s in H.SMALL]),
             mixed=np.mean([sc(s, run(s, t))['F'] for s in H.MIXED]),
             sample=sc(H.samp, run(H.samp, t)))
    rows.append(r)
    f = r['full']
    print(f"t={t:.2f} ECB+ B3 P {f['P']:.3f} R {f['R']:.3f} F {f['F']:.3f} pwF {f['pF']:.3f} k={f['k']:3d} | A {r['A']:.3f} B {r['B']:.3f}"
          f" | small {r['small']:.3f} mixed {r['mixed']:.3f} | sample B3 F {r['sample']['F']:.3f} pwF {r['sample']['pF']:.3f} k={r['sample']['k']}", flush=True)
F = np.array([r['full']['F'] for r in rows]); FA = np.array([r['A'] for r in rows]); FB = np.array([r['B'] for r in rows])
FS = np.array([r['sample']['F'] for r in rows])
def pl(x, lvl=0.90):
    ok = grid[x >= lvl]; return f"{ok.min():.2f}-{ok.max():.2f}" if len(ok) else "none"
print(f"plateau B3 F>=0.90: ECB+ {pl(F)}  sample {pl(FS)}  small {pl(np.array([r['small'] for r in rows]))}  mixed {pl(np.array([r['mixed'] for r in rows]))}")
ia, ib = FA.argmax(), FB.argmax()
print(f"split: best t on topics 1-22 = {grid[ia]:.2f} (F {FA[ia]:.3f}) -> topics 23-45 F {FB[ia]:.3f}; best t on 23-45 = {grid[ib]:.2f} (F {FB[ib]:.3f}) -> 1-22 F {FA[ib]:.3f};"
      f" ECB+-best t {grid[F.argmax()]:.2f} -> sample F {FS[F.argmax()]:.3f}")
print(f"grid time {time.time()-T0:.0f}s")
if not a.no_batches:
    t = a.t
    full = run(H.ecb, t)
    for desc, kw in [("5 random batches, same date, horizon=window=3", dict(batches=5)),
                     ("5 random batches one day apart, horizon 1 day", dict(batches=5, gap=1.0, horizon=1.0)),
                     ("5 random batches one day apart, horizon 0 (no revision)", dict(batches=5, gap=1.0, horizon=0.0))]:
        Fs, ARI, P, R, pF = [], [], [], [], []
        for seed in range(3):
            lab = run(H.ecb, t, seed=seed, **kw); s = sc(H.ecb, lab)
            Fs.append(s['F']); P.append(s['P']); R.append(s['R']); pF.append(s['pF']); ARI.append(E.ari(full, lab))
        print(f"t={t:.2f} {desc}: B3 P {np.mean(P):.3f} R {np.mean(R):.3f} F {np.mean(Fs):.3f} (min {min(Fs):.3f}) pwF {np.mean(pF):.3f}; ARI vs all-at-once {np.mean(ARI):.3f}")
    c1 = run(H.ecb, t); c2 = run(H.ecb, t)
    print("deterministic (two identical runs equal):", bool((c1 == c2).all()))
