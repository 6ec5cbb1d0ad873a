"""Pair-level diagnostic: AUC of cosine similarity for same-event vs sibling-event pairs (ECB+)."""
import numpy as np, evlib as E
from sklearn.metrics import roc_auc_score
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
ecb=E.load_ecb()
gold=np.array([d['label'] for d in ecb]); top=np.array([d['topic'] for d in ecb])
iu=np.triu_indices(len(ecb),1)
sg=(gold[:,None]==gold[None,:])[iu]; stp=(top[:,None]==top[None,:])[iu]
m=stp
def auc(X):
    S=(X@X.T); S=S.toarray() if hasattr(S,'toarray') else S
    s=S[iu]
    return roc_auc_score(sg[m],s[m]), roc_auc_score(sg,s)
def show(n,X): a=auc(X); print(f'{n:40s} AUC same-vs-sibling {a[0]:.3f}  same-vs-all {a[1]:.4f}',flush=True)
show('words only (title w1)',E.hashed_features(ecb,w_title=1))
show('title2',E.hashed_features(ecb,w_title=2))
show('title2 ent1',E.hashed_features(ecb,w_title=2,w_ent=1))
show('title2 ent1 big1',E.hashed_features(ecb,w_title=2,w_ent=1,w_bigram=1))
show('title2 ent2 big2',E.hashed_features(ecb,w_title=2,w_ent=2,w_bigram=2))
show('title2 ent4 big4',E.hashed_features(ecb,w_title=2,w_ent=4,w_bigram=4))
f=E.HashedTfidf(w_title=0,w_ent=1,w_bigram=1)
# entity-only: body weight 0 trick
import scipy.sparse as sp
class EntOnly(E.HashedTfidf):
    def counts(self,docs):
        out=[]
        for d in docs:
            w,e,b=E.analyse(d['text']); tw,te,tb=E.analyse(d['title'])
            ev=set(e); out.append(e+b+[x for x in te if x in ev])
        C=sp.csr_matrix(self.h.transform(out).astype(float)); return C
fe=EntOnly(); C=fe.counts(ecb); fe.update_df(C); XE=fe.weight(C)
show('entities+bigrams only',XE)
XW=E.hashed_features(ecb,w_title=2)
for a in [0.3,0.5,0.7]:
    show(f'concat words/ents a={a}',sp.hstack([np.sqrt(1-a)*XW,np.sqrt(a)*XE]).tocsr())
for k in [50,100,150,200,300,500]:
    Z=normalize(TruncatedSVD(k,random_state=0).fit_transform(XW)); show(f'LSA{k} on title2',Z)
