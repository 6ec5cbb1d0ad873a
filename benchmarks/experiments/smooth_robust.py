"""Density robustness of kNN smoothing: ECB+ full / small events (1-4 docs per sub-topic) /
mixed sizes (uniform 1..n per sub-topic), 3 seeds each; F1 curves; report best and F1 at common thresholds."""
import numpy as np, sys, evlib as E
from smooth_variants import smooth, curve, GRID, ecb, samp, small
def mixed(seed):
    r=np.random.default_rng(100+seed); by={}
    for d in ecb: by.setdefault(d['label'],[]).append(d)
    out=[]
    for l in sorted(by):
        ds=by[l]; m=r.integers(1,len(ds)+1); sel=r.choice(len(ds),m,replace=False); out+=[ds[i] for i in sorted(sel)]
    return out
SM=[small(s) for s in range(3)]; MX=[mixed(s) for s in range(3)]
feat=lambda docs: E.hashed_features(docs,w_title=2,w_ent=1,w_bigram=1)
def run(name,sm,m='average'):
    X=lambda docs: sm(feat(docs),[d['day'] for d in docs])
    F=curve(ecb,X(ecb),m); FS=curve(samp,X(samp),m)
    Fs=np.mean([curve(s,X(s),m) for s in SM],0); Fm=np.mean([curve(s,X(s),m) for s in MX],0)
    worst=np.minimum.reduce([F,Fs,Fm,FS]); j=worst.argmax()
    print(f"{name:28s} best: full {F.max():.3f}@{GRID[F.argmax()]:.2f} small {Fs.max():.3f}@{GRID[Fs.argmax()]:.2f} mixed {Fm.max():.3f}@{GRID[Fm.argmax()]:.2f} sample {FS.max():.3f}@{GRID[FS.argmax()]:.2f}"
          f" || minimax t={GRID[j]:.2f}: full {F[j]:.3f} small {Fs[j]:.3f} mixed {Fm[j]:.3f} sample {FS[j]:.3f}; thresholds with all>=.88: {(worst>=.88).sum()}",flush=True)
V={'none':lambda X,d:X}
for k in (3,5,10):
  for fl in (0.2,0.25,0.3,0.35):
    for a in (0.5,1.0):
      V[f'mean k{k} a{a} floor{fl}']=(lambda k,a,fl:lambda X,d:smooth(X,d,k,a,fl))(k,a,fl)
sel=sys.argv[1:]
for n,s in V.items():
    if sel and not any(x in n for x in sel): continue
    run(n,s)
for n,s in [('none complete',V['none'])]:
    pass
