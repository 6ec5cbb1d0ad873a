import sys, numpy as np, evlib as E, harness as H
from smooth_variants import smooth
kw=dict(w_title=2,w_ent=1,w_bigram=1)
def rep(**s): return lambda docs: smooth(E.hashed_features(docs,**kw),[d['day'] for d in docs],**s)
V={
 'mean k3 a1 fl.15': rep(k=3,a=1.0,floor=0.15),
 'mean k3 a1 fl.2 (ref)': rep(k=3,a=1.0,floor=0.2),
 'mean k3 a0.75 fl.2': rep(k=3,a=0.75,floor=0.2),
 'mean k2 a1 fl.2': rep(k=2,a=1.0,floor=0.2),
 'mean k4 a1 fl.2': rep(k=4,a=1.0,floor=0.2),
 'sum k3 a1 fl.2': rep(k=3,a=1.0,floor=0.2,mode='sum'),
 'sum k3 a2 fl.2': rep(k=3,a=2.0,floor=0.2,mode='sum'),
 'sum k5 a2 fl.2': rep(k=5,a=2.0,floor=0.2,mode='sum'),
 'mean k3 a1 fl.2 plain feats': lambda docs: smooth(E.hashed_features(docs),[d['day'] for d in docs],k=3,a=1.0,floor=0.2),
}
sel=sys.argv[1:]
for n,f in V.items():
    if sel and not any(x in n for x in sel): continue
    H.evaluate(n,f,split=False)
