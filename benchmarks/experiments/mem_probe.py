"""Per-phase peak RSS of the clusterer (Linux VmHWM reset via /proc/self/clear_refs)."""
import sys, pickle, numpy as np, scipy.sparse as sp, collections, functools
import incremental as I
def hwm():
    for l in open('/proc/self/status'):
        if l.startswith('VmHWM'): return int(l.split()[1])/1024
def cur():
    for l in open('/proc/self/status'):
        if l.startswith('VmRSS'): return int(l.split()[1])/1024
def reset():
    open('/proc/self/clear_refs','w').write('5')
peaks=collections.defaultdict(float)
def wrap(name):
    f=getattr(I.IncrementalClusterer,name)
    @functools.wraps(f)
    def g(*a,**k):
        base=cur(); reset(); r=f(*a,**k); peaks[name]=max(peaks[name],hwm()-base); reset(); return r
    setattr(I.IncrementalClusterer,name,g)
for n in ['_update_neighbours','_smoothed','_joint']: wrap(n)
C=sp.load_npz('/tmp/scale_C.npz').tocsr(); meta=pickle.load(open('/tmp/scale_meta.pkl','rb'))
N=int(sys.argv[1]); h=float(sys.argv[2])
C=C[:N]; print('inputs rss',cur())
c=I.IncrementalClusterer(threshold=0.6,horizon=h)
reset(); b=cur()
c.add_counts(C,meta['days'][:N],meta['ids'][:N])
print('add_counts rss now',cur(),'peak over add_counts (approx)', {k:round(v) for k,v in peaks.items()})
print('VmHWM since reset (whole add_counts incl. cache):', hwm())
c2=I.IncrementalClusterer(threshold=0.6,horizon=h)
reset(); b=cur(); c2.f.update_df(C); print('update_df peak', hwm()-b)
reset(); b=cur(); X=c2._counts() if c2.blocks else None
idf=c2.f.idf().astype(np.float32); reset(); b=cur()
Y=c2._weight(C[:5000],idf); print('weight 5000 rows peak', hwm()-b)
