import cProfile, pstats, synth, evlib as E
docs=synth.make(5000)
bp=E.BoilerplateStripper()
cProfile.run("bp.update(docs); [bp.strip(d) for d in docs]","/tmp/bp.out")
pstats.Stats("/tmp/bp.out").sort_stats("tottime").print_stats(8)
f=E.HashedTfidf(w_title=2,w_ent=1,w_bigram=1)
cProfile.run("f.counts(docs)","/tmp/v.out")
pstats.Stats("/tmp/v.out").sort_stats("tottime").print_stats(8)
