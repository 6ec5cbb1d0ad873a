import re, time, synth, evlib as E
docs=synth.make(3000); texts=[d['text'] for d in docs]+[d['text'] for d in E.load_ecb()]+[d['text'] for d in E.load_sample()]
CAPCTX=re.compile(r"(?<![\w\-'’])([A-Z]\w+)")
def analyse2(text, want_bigrams=True):
    words=[w for w in E._TOK.findall(text.lower()) if w not in E.STOP]
    ent_vocab=set(); caps=[]
    for m in CAPCTX.finditer(text):
        s=m.start(); w=m.group(1)
        j=s-1
        while j>=0 and text[j] in ' \t': j-=1
        lw=w.lower()
        if j>=0 and text[j] not in E._INITIAL: ent_vocab.add(lw)
        caps.append((s,m.end(),lw))
    ent_vocab-=E.CAL; ent_vocab-=E.STOP
    ents=[c[2] for c in caps if c[2] in ent_vocab]
    bigr=[]
    if want_bigrams:
        for (s1,e1,a),(s2,e2,b) in zip(caps,caps[1:]):
            if a in ent_vocab and b in ent_vocab and text[e1:s2].strip(' \t')=='' and '\n' not in text[e1:s2]: bigr.append(a+'_'+b)
    return words,ents,bigr
t=time.time(); r1=[E.analyse(x) for x in texts]; print('old',time.time()-t)
t=time.time(); r2=[analyse2(x) for x in texts]; print('new',time.time()-t)
diff=sum(1 for a,b in zip(r1,r2) if sorted(a[1])!=sorted(b[1]) or sorted(a[2])!=sorted(b[2]))
print('docs differing',diff,len(texts))
for a,b,x in zip(r1,r2,texts):
    if sorted(a[1])!=sorted(b[1]) or sorted(a[2])!=sorted(b[2]):
        import collections
        print(collections.Counter(a[1])-collections.Counter(b[1]), collections.Counter(b[1])-collections.Counter(a[1]), set(a[2])^set(b[2])); break
