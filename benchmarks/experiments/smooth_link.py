"""Smoothing / 2nd-order x linkage under the density variants."""
import sys, numpy as np, scipy.sparse as sp, evlib as E
from sklearn.preprocessing import normalize
from harness import evaluate
from smooth_variants import smooth
from neigh import second_order
kw=dict(w_title=2,w_ent=1,w_bigram=1)
def rep(sm): return lambda docs: sm(E.hashed_features(docs,**kw),[d['day'] for d in docs])
V={}
for k in (3,5):
  for a in (0.5,1.0):
    for fl in (0.1,0.2):
      V[f'smooth k{k} a{a} fl{fl}']=rep((lambda k,a,fl:lambda X,d:smooth(X,d,k,a,fl))(k,a,fl))
for k in (3,5,10): V[f'2nd-order k{k}']=rep((lambda k:lambda X,d:second_order(X,k))(k))
sel=[a for a in sys.argv[1:] if not a.startswith('--')]
links=[a[2:] for a in sys.argv[1:] if a.startswith('--')] or ['average','complete']
for n,f in V.items():
    if sel and not any(x in n for x in sel): continue
    for l in links: evaluate(n,f,l,split=False)
