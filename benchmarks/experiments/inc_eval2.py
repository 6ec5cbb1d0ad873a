"""Incremental clusterer: all-at-once vs N random batches (ECB+, 3 seeds), sample corpus.
usage: inc_eval2.py NBATCHES HORIZON T1 [T2 ...]
ECB+ has no dates: batch b is given day = b * gap (gap from env GAP, default 0 = same date)."""
import os, sys, time, numpy as np, evlib as E
from incremental import IncrementalClusterer
ecb=E.load_ecb(); S=E.load_sample()
gold_e=[d['label'] for d in ecb]; gold_s=[d['label'] for d in S]
GAP=float(os.environ.get('GAP','0'))
def go(docs,nb,seed,**kw):
    c=IncrementalClusterer(**kw)
    if nb==1: c.add(docs)
    else:
        perm=np.random.default_rng(seed).permutation(len(docs))
        for bi,b in enumerate(np.array_split(perm,nb)): c.add([dict(docs[i],day=docs[i]['day']+bi*GAP) for i in b])
    return c.labels([d['id'] for d in docs])
if __name__=='__main__':
    nb=int(sys.argv[1]); h=float(sys.argv[2]); ts=[float(x) for x in sys.argv[3:]]
    kw=dict(k=int(os.environ.get('K','3')), smooth=os.environ.get('SMOOTH','1')=='1')
    for t in ts:
        t0=time.time(); a=go(ecb,1,0,threshold=t,horizon=h,**kw); ta=time.time()-t0
        sa=E.scores(gold_e,a); Fb=[];ARI=[];PB=[];P=[];R=[]
        for seed in range(3):
            lb=go(ecb,nb,seed,threshold=t,horizon=h,**kw); sb=E.scores(gold_e,lb); Fb.append(sb['F']); PB.append(sb['pF']); ARI.append(E.ari(a,lb)); P.append(sb['P']); R.append(sb['R'])
        ss=E.scores(gold_s,go(S,1,0,threshold=t,horizon=h,**kw))
        print(f"h={h} {kw} t={t:.2f} ECB all {E.fmt(sa)} ({ta:.1f}s) | {nb} batches gap {GAP} B3 P {np.mean(P):.3f} R {np.mean(R):.3f} F {np.mean(Fb):.3f} (min {min(Fb):.3f}) pwF {np.mean(PB):.3f} ARI-vs-all {np.mean(ARI):.3f} | sample {E.fmt(ss)}",flush=True)
