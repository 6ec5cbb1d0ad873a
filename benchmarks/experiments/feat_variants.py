"""Feature variants without smoothing: lead truncation, top-K terms per doc, BM25-ish tf, linkages."""
import sys, numpy as np, scipy.sparse as sp, evlib as E
from sklearn.preprocessing import normalize
from harness import evaluate
def lead(docs, n):
    out=[]
    for d in docs:
        s=E.split_sentences(d['text']); out.append(dict(d, text="\n".join(s[:n])))
    return out
def leadw(docs, n):
    return [dict(d, text=" ".join(d['text'].split()[:n])) for d in docs]
def topk(X, k):
    X=sp.csr_matrix(X).copy()
    for i in range(X.shape[0]):
        a,b=X.indptr[i],X.indptr[i+1]
        if b-a>k:
            row=X.data[a:b]; cut=np.partition(row,-k)[-k]; row[row<cut]=0
    X.eliminate_zeros(); return sp.csr_matrix(normalize(X))
class BM25(E.HashedTfidf):
    def __init__(self,k1=1.2,b=0.75,**kw): super().__init__(**kw); self.k1=k1; self.b=b
    def weight(self,C,idf=None):
        X=sp.csr_matrix(C.copy()); L=np.asarray(X.sum(1)).ravel(); avg=L.mean()
        rowl=np.repeat(L,np.diff(X.indptr))
        X.data=X.data*(self.k1+1)/(X.data+self.k1*(1-self.b+self.b*rowl/avg))
        X=sp.csr_matrix(X@sp.diags(self.idf())); return sp.csr_matrix(normalize(X))
def bm(docs,**kw):
    f=BM25(**kw); C=f.counts(docs); f.update_df(C); return f.weight(C)
kw=dict(w_title=2,w_ent=1,w_bigram=1)
V={
 'base t2e1b1': lambda d:E.hashed_features(d,**kw),
 'lead3': lambda d:E.hashed_features(lead(d,3),**kw),
 'lead5': lambda d:E.hashed_features(lead(d,5),**kw),
 'lead8': lambda d:E.hashed_features(lead(d,8),**kw),
 'lead12': lambda d:E.hashed_features(lead(d,12),**kw),
 'words150': lambda d:E.hashed_features(leadw(d,150),**kw),
 'words300': lambda d:E.hashed_features(leadw(d,300),**kw),
 'top30': lambda d:topk(E.hashed_features(d,**kw),30),
 'top60': lambda d:topk(E.hashed_features(d,**kw),60),
 'top100': lambda d:topk(E.hashed_features(d,**kw),100),
 'bm25 b.75': lambda d:bm(d,**kw),
 'bm25 b.3': lambda d:bm(d,b=0.3,**kw),
}
sel=[a for a in sys.argv[1:] if not a.startswith('--')]
links=['average','complete'] if '--complete' in sys.argv else ['average']
for n,f in V.items():
    if sel and not any(x in n for x in sel): continue
    for l in links: evaluate(n,f,l,split=False)
