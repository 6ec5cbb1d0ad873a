import numpy as np, collections, evlib as E, sys
ecb=E.load_ecb()
X=E.hashed_features(ecb,w_title=2,w_ent=1)
gold=np.array([d['label'] for d in ecb]); top=np.array([d['topic'] for d in ecb])
for meth,t in [('average',0.82),('complete',0.89)]:
    lab=E.cut(E.hac_tree(E.window_distance(X,[0]*len(ecb)),meth),t)
    same_topic_mix=cross_topic=0; split=0
    for c in set(lab):
        idx=np.where(lab==c)[0]
        st=set(gold[idx]); tp=set(top[idx])
        if len(tp)>1: cross_topic+=1
        elif len(st)>1: same_topic_mix+=1
    # gold subtopics split across clusters
    for g in set(gold):
        if len(set(lab[gold==g]))>1: split+=1
    print(meth,t,'clusters',len(set(lab)),'mix sibling',same_topic_mix,'mix cross-topic',cross_topic,'gold split',split)
# similarity stats: within-subtopic, sibling, other
S=(X@X.T).toarray(); iu=np.triu_indices(len(ecb),1)
s=S[iu]; sg=(gold[:,None]==gold[None,:])[iu]; stp=(top[:,None]==top[None,:])[iu]
for nm,m in [('same event',sg),('sibling',stp&~sg),('other',~stp)]:
    print(nm, np.percentile(s[m],[5,25,50,75,95]).round(3))
