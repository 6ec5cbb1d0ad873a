"""Timing / memory on the synthetic corpus (synth.py): N articles over 60 days, then +1,000 newest.
usage: scale.py N HORIZON CHUNK [THRESHOLD]
Stage 1 (this process): build corpus, boilerplate stripping (timed; one pass), hashed counts with 2
worker processes (of the UNSTRIPPED texts: synthetic articles reuse ECB+ sentences, which the
stripper would partly remove, making the benchmark unrealistically cheap).
Stage 2 (fresh subprocess, so its peak RSS is the clusterer's own): load counts, cluster N, then add
the 1,000 newest articles (strip + vectorise + cluster timed together)."""
import sys, os, time, json, pickle, resource, subprocess, numpy as np, scipy.sparse as sp, evlib as E
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024
def stage1(N):
    import synth
    from concurrent.futures import ProcessPoolExecutor
    from bench_ingest import counts
    docs=synth.make(N+1000); docs.sort(key=lambda d:(d['day'],d['id']))
    main, extra = docs[:N], docs[N:]
    T=time.time(); bp=E.BoilerplateStripper(); bp.process([dict(d) for d in main]); tb=time.time()-T
    T=time.time()
    with ProcessPoolExecutor(2) as ex:
        parts=list(ex.map(counts,[main[i:i+2000] for i in range(0,N,2000)]))
    C=sp.vstack(parts,format='csr').astype(np.float32); tv=time.time()-T
    print(f"[stage1] boilerplate (1 pass, 1 proc) {tb:.1f}s = {tb/N*1000:.2f}s/1000  vectorise (2 procs) {tv:.1f}s = {tv/N*1000:.2f}s/1000  nnz/doc {C.nnz/N:.0f}", flush=True)
    sp.save_npz('/tmp/scale_C.npz',C)
    pickle.dump(dict(days=[d['day'] for d in main],ids=[d['id'] for d in main],labels=[d['label'] for d in main],extra=extra,bp=bp),open('/tmp/scale_meta.pkl','wb'))
def stage2(h,ch,t):
    from incremental import IncrementalClusterer
    C=sp.load_npz('/tmp/scale_C.npz').tocsr(); meta=pickle.load(open('/tmp/scale_meta.pkl','rb'))
    r0=rss()
    c=IncrementalClusterer(threshold=t,horizon=h,chunk=ch)
    T=time.time(); c.add_counts(C,meta['days'],meta['ids']); tc=time.time()-T
    lab=c.labels(meta['ids']); s=E.scores(meta['labels'],lab)
    print(f"[stage2 h={h} chunk={ch} t={t}] cluster {C.shape[0]}: {tc:.1f}s  largest component {c.stats['max_nodes']}  events {c.n_events}  peak RSS {rss():.0f} MB (after loading inputs {r0:.0f} MB) | synthetic gold, indicative only: {E.fmt(s)}", flush=True)
    extra=meta['extra']; bp=meta['bp']
    T=time.time(); bp.process(extra); c.add(extra); ti=time.time()-T
    print(f"[stage2] +1000 newest (strip+vectorise+cluster, 1 proc): {ti:.2f}s  peak RSS {rss():.0f} MB", flush=True)
if __name__=='__main__':
    if sys.argv[1]=='stage2': stage2(float(sys.argv[2]),int(sys.argv[3]),float(sys.argv[4])); sys.exit()
    N=int(sys.argv[1]); h=float(sys.argv[2]); ch=int(sys.argv[3]); t=float(sys.argv[4]) if len(sys.argv)>4 else 0.6
    if os.environ.get('SKIP1')!='1': stage1(N)
    subprocess.run([sys.executable,__file__,'stage2',str(h),str(ch),str(t)],check=True)
