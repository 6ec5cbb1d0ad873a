"""Other clustering schemes on the same features: online single-pass centroid assignment (order
sensitivity over 5 random orders) and mutual-kNN graph + connected components."""
import numpy as np, scipy.sparse as sp, evlib as E, harness as H
from scipy.sparse.csgraph import connected_components
from smooth_variants import smooth
kw=dict(w_title=2,w_ent=1,w_bigram=1)
def single_pass(X, order, tau):
    X=sp.csr_matrix(X); n=X.shape[0]; lab=-np.ones(n,int); sums=[]; cent=None
    Xd=X.toarray() if X.shape[1]<5000 else None
    cols=np.unique(X.indices); Xc=X[:,cols].toarray()
    C=np.zeros((0,Xc.shape[1]))
    for i in order:
        x=Xc[i]
        if len(C):
            s=C@x/np.maximum(np.linalg.norm(C,axis=1),1e-12); j=int(s.argmax())
            if s[j]>=tau: lab[i]=j; C[j]+=x; continue
        lab[i]=len(C); C=np.vstack([C,x])
    return lab
def mknn(X, k, tau):
    S=(X@X.T).toarray(); np.fill_diagonal(S,-1); n=len(S)
    idx=np.argsort(-S,axis=1)[:,:k]; A=np.zeros_like(S,dtype=bool); A[np.repeat(np.arange(n),k),idx.ravel()]=True
    M=A&A.T&(S>=tau)
    return connected_components(sp.csr_matrix(M),directed=False)[1]
for name,docs in [('ECB+',H.ecb),('sample',H.samp),('small',H.SMALL[0]),('mixed',H.MIXED[0])]:
    X=E.hashed_features(docs,**kw); gold=[d['label'] for d in docs]
    # time order for sample (real dates); random orders for ECB+ (no dates)
    for tau in (0.15,0.2,0.25,0.3,0.35):
        Fs=[E.scores(gold,single_pass(X,np.random.default_rng(s).permutation(len(docs)),tau))['F'] for s in range(5)]
        print(f"{name:6s} single-pass centroid tau={tau:.2f}: B3 F mean {np.mean(Fs):.3f} min {min(Fs):.3f} max {max(Fs):.3f}",flush=True)
    for k in (3,5,10):
        for tau in (0.1,0.15,0.2,0.25):
            print(f"{name:6s} mutual-{k}NN cc tau={tau:.2f}: B3 F {E.scores(gold,mknn(X,k,tau))['F']:.3f}",flush=True)
