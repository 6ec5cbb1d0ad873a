import time, numpy as np, scipy.sparse as sp, synth, evlib as E
docs=synth.make(7000, days=4)
f=E.HashedTfidf(w_title=2,w_ent=1,w_bigram=1); C=f.counts(docs); f.update_df(C); X=f.weight(C).astype(np.float32)
def topm(X,m):
    X=X.copy()
    for i in range(X.shape[0]):
        a,b=X.indptr[i],X.indptr[i+1]
        if b-a>m: r=X.data[a:b]; c=np.partition(r,-m)[-m]; r[r<c]=0
    X.eliminate_zeros(); return X
A=X[:3700]; B=X
for name,(P,Q) in {'raw':(A,B),'top40':(topm(A,40),topm(B,40)),'top20':(topm(A,20),topm(B,20))}.items():
    t=time.time(); S=P@Q.T; dt=time.time()-t
    print(name,'nnz/row',P.nnz/P.shape[0],'out nnz frac',S.nnz/(P.shape[0]*Q.shape[0]),f'{dt:.2f}s', f'{dt/(P.shape[0]*Q.shape[0])*1e9:.1f} ns/pair')
