"""Neighbourhood-based re-representations (kNN smoothing, 2nd-order similarity) on ECB+ and sample."""
import numpy as np, scipy.sparse as sp, evlib as E, sys
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import normalize
GRID=np.round(np.arange(0.30,0.981,0.01),3)
def topk_sparse(S,k):
    n=S.shape[0]; S=S.copy(); np.fill_diagonal(S,-1)
    idx=np.argpartition(-S,k,axis=1)[:,:k]
    rows=np.repeat(np.arange(n),k); vals=S[rows,idx.ravel()]
    return sp.csr_matrix((np.maximum(vals,0),(rows,idx.ravel())),shape=(n,n))
def smooth(X,k,a):
    S=(X@X.T).toarray(); K=topk_sparse(S,k)
    Kn=sp.diags(1/np.maximum(np.asarray(K.sum(1)).ravel(),1e-9))@K
    return normalize(X + a*(Kn@X))
def second_order(X,k):
    S=(X@X.T).toarray(); K=topk_sparse(S,k)+sp.eye(S.shape[0])
    return normalize(K)
def evaluate(name,docs,X,methods=('average',)):
    gold=[d['label'] for d in docs]; days=[d['day'] for d in docs]
    out=[]
    for m in methods:
        Z=E.hac_tree(E.window_distance(X,days),m)
        cur=[E.scores(gold,E.cut(Z,t)) for t in GRID]
        F=[c['F'] for c in cur]; i=int(np.argmax(F))
        ok=[t for t,f in zip(GRID,F) if f>=0.9]
        pl=f"{min(ok):.2f}-{max(ok):.2f}({len(ok)})" if ok else 'none'
        out.append(f"{m}: best {F[i]:.3f}@{GRID[i]:.2f} P{cur[i]['P']:.3f} R{cur[i]['R']:.3f} pwF{cur[i]['pF']:.3f} plateau {pl}")
    return out, cur
if __name__=='__main__':
    ecb=E.load_ecb(); samp=E.load_sample()
    A=[d for d in ecb if d['topic']<=22]; B=[d for d in ecb if d['topic']>22]
    base=dict(w_title=2,w_ent=1,w_bigram=1)
    def feats(docs): return E.hashed_features(docs,**base)
    TR={'none':lambda X:X}
    for k in (3,5,10):
        for a in (0.5,1.0,2.0):
            TR[f'smooth k{k} a{a}']=(lambda k,a:lambda X:smooth(X,k,a))(k,a)
    for k in (5,10,20):
        TR[f'2nd-order k{k}']=(lambda k:lambda X:second_order(X,k))(k)
    sel=sys.argv[1:]
    for n,f in TR.items():
        if sel and not any(s in n for s in sel): continue
        o,_=evaluate(n,ecb,f(feats(ecb)),('average','complete'))
        os,_=evaluate(n,samp,f(feats(samp)))
        print(f"{n:20s} ECB {' | '.join(o)}\n{'':20s} sample {os[0]}",flush=True)
