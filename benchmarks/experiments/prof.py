import sys, cProfile, pstats, numpy as np, scipy.sparse as sp, synth, evlib as E, resource
from incremental import IncrementalClusterer
N=int(sys.argv[1]); h=float(sys.argv[2])
docs=synth.make(N); docs.sort(key=lambda d:(d['day'],d['id']))
c=IncrementalClusterer(threshold=0.6,chunk=2000,horizon=h)
C=c.f.counts(docs).astype(np.float32)
print('rss before', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)
cProfile.run("c.add_counts(C,[d['day'] for d in docs],[d['id'] for d in docs])","/tmp/prof.out")
print('rss after', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)
p=pstats.Stats("/tmp/prof.out"); p.sort_stats("tottime").print_stats(18)
