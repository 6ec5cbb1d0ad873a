"""LSA (k fixed / relative to n) and centroid refinement after average linkage, under the density variants."""
import sys, numpy as np, scipy.sparse as sp, evlib as E
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize
import harness as H
from smooth_variants import smooth
kw=dict(w_title=2,w_ent=1,w_bigram=1)
def lsa(k=None, frac=None):
    def rep(docs):
        X=E.hashed_features(docs,**kw); cols=np.unique(X.indices); X=X[:,cols]
        kk=k if k else max(2,int(frac*len(docs))); kk=min(kk,len(docs)-1)
        return normalize(TruncatedSVD(kk,random_state=0).fit_transform(X))
    return rep
if 'lsa' in sys.argv:
    for k in (50,100,200): H.evaluate(f'LSA k={k}',lsa(k=k),split=False)
    for f in (0.05,0.1,0.2): H.evaluate(f'LSA k={f}*n',lsa(frac=f),split=False)
if 'refine' in sys.argv:
    # average linkage then centroid reassignment (threshold on doc-centroid sim = 1 - t)
    def curve_ref(docs,X,link='average'):
        gold=[d['label'] for d in docs]; days=[d['day'] for d in docs]
        Z=E.hac_tree(E.window_distance(X,days),link)
        return np.array([E.scores(gold,E.centroid_refine(X,E.cut(Z,t),t,days))['F'] for t in H.GRID])
    H.curve_orig=H.curve
    H.curve=lambda docs,X,link='average': curve_ref(docs,X,link)
    H.evaluate('raw + refine',lambda d:E.hashed_features(d,**kw),split=False)
    H.evaluate('smooth k3 a1 fl.2 + refine',lambda d:smooth(E.hashed_features(d,**kw),[x['day'] for x in d],3,1.0,0.2),split=False)
