"""Evaluation harness: a 'represent' function docs->X (l2 rows), a linkage, a threshold grid.
Test sets: ECB+ full, ECB+ small-events (1-4 docs per sub-topic, 3 seeds), ECB+ mixed sizes
(uniform 1..n per sub-topic, 3 seeds), sample corpus, split check (topics 1-22 / 23-45)."""
import numpy as np, evlib as E
GRID = np.round(np.arange(0.20, 0.981, 0.01), 3)
ecb = E.load_ecb(); samp = E.load_sample()
A = [d for d in ecb if d['topic'] <= 22]; B = [d for d in ecb if d['topic'] > 22]
def _sub(seed, lo_hi):
    r = np.random.default_rng(seed); by = {}
    for d in ecb: by.setdefault(d['label'], []).append(d)
    out = []
    for l in sorted(by):
        ds = by[l]; m = r.integers(1, (5 if lo_hi == 'small' else len(ds) + 1))
        sel = r.choice(len(ds), min(m, len(ds)), replace=False); out += [ds[i] for i in sorted(sel)]
    return out
SMALL = [_sub(s, 'small') for s in range(3)]
MIXED = [_sub(100 + s, 'mixed') for s in range(3)]

def curve(docs, X, link='average', metric='F'):
    gold = [d['label'] for d in docs]
    Z = E.hac_tree(E.window_distance(X, [d['day'] for d in docs]), link)
    return np.array([E.scores(gold, E.cut(Z, t))[metric] for t in GRID])

def pl(F, lvl=0.9):
    ok = GRID[F >= lvl]; return f"{ok.min():.2f}-{ok.max():.2f}" if len(ok) else 'none'

def evaluate(name, rep, link='average', split=True, extra=''):
    F = curve(ecb, rep(ecb), link); FS = curve(samp, rep(samp), link)
    Fs = np.mean([curve(s, rep(s), link) for s in SMALL], 0)
    Fm = np.mean([curve(s, rep(s), link) for s in MIXED], 0)
    i = F.argmax(); worst = np.minimum.reduce([F, Fs, Fm, FS]); j = worst.argmax()
    line = (f"{name:34s} {link[:4]} full {F.max():.3f}@{GRID[i]:.2f} pl {pl(F)} | small {Fs.max():.3f}@{GRID[Fs.argmax()]:.2f} "
            f"mixed {Fm.max():.3f}@{GRID[Fm.argmax()]:.2f} sample {FS.max():.3f}@{GRID[FS.argmax()]:.2f} pl {pl(FS)}"
            f" || minimax t={GRID[j]:.2f}: {F[j]:.3f}/{Fs[j]:.3f}/{Fm[j]:.3f}/{FS[j]:.3f} #t all>=.88: {(worst>=.88).sum()} all>=.90: {(worst>=.90).sum()}")
    if split:
        FA = curve(A, rep(A), link); FB = curve(B, rep(B), link); ia, ib = FA.argmax(), FB.argmax()
        line += f" | split A*{GRID[ia]:.2f}->B {FB[ia]:.3f}; B*{GRID[ib]:.2f}->A {FA[ib]:.3f}"
    print(line + extra, flush=True)
    return dict(full=F, small=Fs, mixed=Fm, sample=FS)
