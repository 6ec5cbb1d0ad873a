"""Quality of top-m truncated vectors (needed for speed) with kNN smoothing, under the density variants."""
import sys, numpy as np, scipy.sparse as sp, evlib as E, harness as H
from sklearn.preprocessing import normalize
from smooth_variants import smooth
def topm(X,m):
    X=sp.csr_matrix(X).copy()
    for i in range(X.shape[0]):
        a,b=X.indptr[i],X.indptr[i+1]
        if b-a>m: r=X.data[a:b]; c=np.partition(r,-m)[-m]; r[r<c]=0
    X.eliminate_zeros(); return sp.csr_matrix(normalize(X))
kw=dict(w_title=2,w_ent=1,w_bigram=1)
def rep(m1,m2,k=3,a=1.0,fl=0.2):
    def f(docs):
        X=E.hashed_features(docs,**kw)
        if m1: X=topm(X,m1)
        X=smooth(X,[d['day'] for d in docs],k,a,fl) if k else X
        if m2: X=topm(X,m2)
        return X
    return f
V={}
for m1 in (None,30,40,60):
    for m2 in (None,60,100):
        V[f'top{m1} smooth k3 top{m2}']=rep(m1,m2)
V['top40 nosmooth']=rep(40,None,k=0)
V['top40 smooth k2 top100']=rep(40,100,k=2)
sel=sys.argv[1:]
for n,f in V.items():
    if sel and not any(x==n for x in sel): continue
    H.evaluate(n,f,split=False)
