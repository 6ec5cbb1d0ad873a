"""kNN-smoothing variants: weighting, similarity floor, k, alpha; feature ablations under smoothing.
Reports ECB+ (all), split check, sample, and a 'small events' ECB+ variant (each sub-topic
subsampled to 1-4 docs, seeds 0-2) which stresses smoothing of singletons / tiny events."""
import numpy as np, scipy.sparse as sp, evlib as E, sys
from sklearn.preprocessing import normalize
GRID=np.round(np.arange(0.20,0.981,0.01),3)

def smooth(X, days, k=5, a=1.0, floor=0.0, mode='mean', window=3.0, iters=1):
    for _ in range(iters):
        S=(X@X.T).toarray(); np.fill_diagonal(S,-1)
        d=np.asarray(days,float)
        if np.ptp(d)>window: S[np.abs(d[:,None]-d[None,:])>window]=-1
        n=S.shape[0]; kk=min(k,n-1)
        idx=np.argpartition(-S,kk-1,axis=1)[:,:kk]
        rows=np.repeat(np.arange(n),kk); vals=S[rows,idx.ravel()]
        keep=vals>floor
        K=sp.csr_matrix((vals[keep],(rows[keep],idx.ravel()[keep])),shape=(n,n))
        if mode=='mean':   # sim-weighted mean of neighbours, weight a
            s=np.asarray(K.sum(1)).ravel(); K=sp.diags(np.where(s>0,1/np.maximum(s,1e-12),0))@K
        elif mode=='uniform':
            K.data[:]=1.0; s=np.asarray(K.sum(1)).ravel(); K=sp.diags(np.where(s>0,1/np.maximum(s,1e-12),0))@K
        elif mode=='sum':  # x + a * sum s_ij x_j   (weak neighbours contribute little)
            pass
        X=sp.csr_matrix(normalize(X + a*(K@X)))
    return X

def curve(docs,X,m='average'):
    gold=[d['label'] for d in docs]; Z=E.hac_tree(E.window_distance(X,[d['day'] for d in docs]),m)
    return np.array([E.scores(gold,E.cut(Z,t))['F'] for t in GRID])
def pl(F):
    ok=GRID[F>=0.9]; return f"{ok.min():.2f}-{ok.max():.2f}" if len(ok) else 'none'

ecb=E.load_ecb(); samp=E.load_sample()  # module-level data (shared by importers)
A=[d for d in ecb if d['topic']<=22]; B=[d for d in ecb if d['topic']>22]
rng=np.random.default_rng(0)
def small(seed):
    r=np.random.default_rng(seed); by={}
    for d in ecb: by.setdefault(d['label'],[]).append(d)
    out=[]
    for l in sorted(by):
        ds=by[l]; m=r.integers(1,5); sel=r.choice(len(ds),min(m,len(ds)),replace=False); out+= [ds[i] for i in sorted(sel)]
    return out
SM=[small(s) for s in range(3)]

if __name__=='__main__':
    def run(name, feat, sm, m='average'):
        X=lambda docs: sm(feat(docs),[d['day'] for d in docs])
        F=curve(ecb,X(ecb),m); i=F.argmax()
        FA=curve(A,X(A),m); FB=curve(B,X(B),m); FS=curve(samp,X(samp),m)
        FSm=np.mean([curve(s,X(s),m) for s in SM],axis=0)
        ia,ib=FA.argmax(),FB.argmax()
        t55=list(GRID).index(0.55)
        print(f"{name:34s} ECB {F[i]:.3f}@{GRID[i]:.2f} pl {pl(F)} | split A*{GRID[ia]:.2f}->B {FB[ia]:.3f}, B*{GRID[ib]:.2f}->A {FA[ib]:.3f}"
              f" | sample {FS.max():.3f} pl {pl(FS)} @t*:{FS[i]:.3f} | small-ev {FSm.max():.3f}@{GRID[FSm.argmax()]:.2f} pl {pl(FSm)} @t*:{FSm[i]:.3f}",flush=True)
    
    feat=lambda docs: E.hashed_features(docs,w_title=2,w_ent=1,w_bigram=1)
    V={
     'no smoothing': (feat, lambda X,d:X),
     'mean k5 a1': (feat, lambda X,d:smooth(X,d,5,1.0)),
     'mean k5 a1 floor.1': (feat, lambda X,d:smooth(X,d,5,1.0,0.1)),
     'mean k5 a1 floor.2': (feat, lambda X,d:smooth(X,d,5,1.0,0.2)),
     'mean k5 a2 floor.1': (feat, lambda X,d:smooth(X,d,5,2.0,0.1)),
     'uniform k5 a1 floor.1': (feat, lambda X,d:smooth(X,d,5,1.0,0.1,'uniform')),
     'sum k5 a2': (feat, lambda X,d:smooth(X,d,5,2.0,0.0,'sum')),
     'sum k5 a3 floor.1': (feat, lambda X,d:smooth(X,d,5,3.0,0.1,'sum')),
     'sum k10 a2 floor.1': (feat, lambda X,d:smooth(X,d,10,2.0,0.1,'sum')),
     'mean k5 a1 x2iter': (feat, lambda X,d:smooth(X,d,5,1.0,0.0,iters=2)),
     'mean k5 a1 floor.1 plainfeat': (lambda docs:E.hashed_features(docs), lambda X,d:smooth(X,d,5,1.0,0.1)),
     'mean k5 a1 floor.1 title2': (lambda docs:E.hashed_features(docs,w_title=2), lambda X,d:smooth(X,d,5,1.0,0.1)),
     'mean k5 a1 floor.1 t2e1': (lambda docs:E.hashed_features(docs,w_title=2,w_ent=1), lambda X,d:smooth(X,d,5,1.0,0.1)),
     'mean k5 a1 floor.1 t2e2b2': (lambda docs:E.hashed_features(docs,w_title=2,w_ent=2,w_bigram=2), lambda X,d:smooth(X,d,5,1.0,0.1)),
    }
    sel=sys.argv[1:]
    for n,(f,s) in V.items():
        if sel and not any(x in n for x in sel): continue
        run(n,f,s)
