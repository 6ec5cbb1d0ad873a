"""Benchmark: `narratives fulltext` end to end vs trafilatura's raw extraction, same pages.

Usage::

    .venv/bin/python benchmarks/bench_fulltext.py                      # 500 pages (one run's --limit), 3 rounds
    .venv/bin/python benchmarks/bench_fulltext.py --quick --repeat 1   # smoke run (~15 s)

A server process serves ``--pages`` synthetic article pages (gzip, HTTP/1.1 keep-alive,
no artificial latency) from ``--hosts`` loopback addresses, one outlet per address,
each with a feed that lists its pages with one-sentence teasers. The pages look like
real news pages in size and shape (~70 KB: inline CSS and scripts, JSON-LD, a mega-menu,
cookie banner, share bar, figure, related and most-read lists, newsletter box, footer)
and are generated from seeded word lists, so every run serves the same bytes.

Each round measures, one after the other:

1. raw: ``trafilatura.extract(page_bytes, include_comments=False)`` on every page, in
   memory, in this process (one core) — the extractor's own speed;
2. ``narratives fulltext`` on a store the feeds were collected into (untimed): wall
   time of the whole command (interpreter start-up, imports, pool start, fetching,
   robots.txt, decoding, extraction, writes) and the stage's own time from its summary;
3. the same with ``--workers 1`` (one extraction process), to show the overhead alone.

Medians over ``--repeat`` rounds are printed with the ratios to the raw speed (target:
end to end >= 0.8x). A wrong result (a page not extracted, a text that differs from
trafilatura's own) exits 1; timings never do. The text is synthetic, invented here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_collect import NAMES, SECTIONS, WORDS, cpu_model, proc_cpu, system_busy

SERVER_LIFETIME = 30 * 60
PAGE_TITLE = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


# --- synthetic pages ----------------------------------------------------------------

def _sentence(rng: random.Random, lo: int = 9, hi: int = 24) -> str:
    words = rng.choices(WORDS, k=rng.randint(lo, hi))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _links(rng: random.Random, n: int, prefix: str) -> str:
    return "".join(f'<li><a href="{prefix}/{rng.choice(WORDS)}-{rng.randrange(10**6)}">'
                   f"{' '.join(rng.choices(WORDS, k=rng.randint(2, 7))).capitalize()}</a></li>"
                   for _ in range(n))


def _script(rng: random.Random, kb: int) -> str:
    parts, size = [], 0
    while size < kb * 1024:
        line = (f"var {rng.choice(WORDS)}_{rng.randrange(9999)}=function(e,t){{return e&&t?"
                f"'{rng.choice(WORDS)}'+e.{rng.choice(WORDS)}:null}};")
        parts.append(line)
        size += len(line)
    return "".join(parts)


def _css(rng: random.Random, kb: int) -> str:
    parts, size = [], 0
    while size < kb * 1024:
        rule = (f".{rng.choice(WORDS)}-{rng.randrange(999)}{{margin:{rng.randrange(40)}px;"
                f"color:#{rng.randrange(16**6):06x};font-size:{rng.randrange(10, 30)}px}}")
        parts.append(rule)
        size += len(rule)
    return "".join(parts)


def article(host: int, i: int, seed: int) -> tuple[str, str, list[str]]:
    """(title, teaser, paragraphs) of page ``i`` on ``host``: the same for every call."""
    rng = random.Random(f"{seed}:{host}:{i}:text")
    title = " ".join(rng.choices(WORDS, k=rng.randint(6, 12))).capitalize()
    paragraphs = [" ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
                  for _ in range(rng.randint(6, 14))]
    return title, paragraphs[0].split(".")[0] + ".", paragraphs


def render_page(host: int, i: int, seed: int) -> bytes:
    rng = random.Random(f"{seed}:{host}:{i}:page")
    title, _teaser, paragraphs = article(host, i, seed)
    site = f"Outlet {host:02d}"
    body = []
    for j, p in enumerate(paragraphs):
        if rng.random() < 0.3:
            words = p.split(" ")
            k = rng.randrange(len(words))
            words[k] = f'<a href="/tags/{rng.choice(WORDS)}">{words[k]}</a>'
            p = " ".join(words)
        body.append(f"<p>{p}</p>")
        if j == 2:
            body.append(f'<figure><img src="/img/{rng.randrange(10**6)}.jpg" alt=""><figcaption>'
                        f"{_sentence(rng, 5, 10)} Photo: {rng.choice(NAMES)}</figcaption></figure>")
        if j == 4:
            body.append(f'<div class="inline-related"><b>Read also:</b> <a href="/x">'
                        f"{_sentence(rng, 4, 8)}</a></div>")
    menu = "".join(f'<li class="menu"><a href="/{s}">{s.title()}</a><ul>{_links(rng, 8, "/" + s)}</ul></li>'
                   for s in SECTIONS[:8])
    footer = "".join(f"<div class='col'><h4>{s.title()}</h4><ul>{_links(rng, 8, '/' + s)}</ul></div>"
                     for s in SECTIONS[:5])
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "author": {"@type": "Person", "name": rng.choice(NAMES)},
                     "publisher": {"@type": "Organization", "name": site}})
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site}</title>
<meta name="description" content="{_sentence(rng, 8, 14)}"><meta property="og:title" content="{title}">
<style>{_css(rng, 6)}</style><script type="application/ld+json">{ld}</script>
<script>{_script(rng, 8)}</script></head>
<body><div class="cookie-banner" id="consent"><p>We and our partners use cookies to personalise
content and ads and to analyse our traffic.</p><button>Accept all</button><button>Reject</button>
<a href="/privacy">Privacy settings</a></div>
<header><a class="logo" href="/">{site}</a><nav class="mega"><ul>{menu}</ul></nav>
<form action="/search"><input name="q" placeholder="Search"></form></header>
<main><div class="breadcrumbs"><a href="/">Home</a> › <a href="/{SECTIONS[i % 12]}">
{SECTIONS[i % 12].title()}</a></div>
<article class="story"><h1>{title}</h1><div class="meta">By {rng.choice(NAMES)} ·
<time datetime="2026-01-15T12:00:00Z">15 January 2026</time></div>
<div class="share"><a href="#">Share</a> <a href="#">Post</a> <a href="#">Email</a></div>
{"".join(body)}
<div class="tags">{"".join(f'<a href="/tags/{w}">{w}</a> ' for w in rng.sample(WORDS, 6))}</div>
</article>
<aside class="related"><h2>Related</h2><ul>{_links(rng, 10, "/news")}</ul></aside>
<aside class="most-read"><h2>Most read</h2><ol>{_links(rng, 10, "/news")}</ol></aside>
<div class="newsletter"><h3>Our morning briefing</h3><p>{_sentence(rng, 10, 16)}</p>
<input type="email"><button>Sign up</button></div></main>
<footer>{footer}<p>© 2026 {site}. All rights reserved. Synthetic benchmark page.</p></footer>
<script>{_script(rng, 10)}</script></body></html>"""
    return html.encode("utf-8")


def render_feed(host: int, pages: list[int], seed: int, base: str) -> bytes:
    from xml.sax.saxutils import escape

    items = []
    for k, i in enumerate(pages):
        title, teaser, _ = article(host, i, seed)
        items.append(f"<item><title>{escape(title)}</title><link>{base}/news/{i}</link>"
                     f"<guid>{base}/news/{i}</guid><pubDate>Thu, 15 Jan 2026 "
                     f"{10 + k // 60 % 10:02d}:{k % 60:02d}:00 GMT</pubDate>"
                     f"<description>{escape(teaser)}</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet '
            f"{host}</title><link>{base}/</link>{''.join(items)}</channel></rss>").encode()


def layout(pages: int, hosts: int) -> dict[int, list[int]]:
    """host number (1..hosts) -> page numbers on it."""
    out: dict[int, list[int]] = {h: [] for h in range(1, hosts + 1)}
    for i in range(pages):
        out[i % hosts + 1].append(i)
    return out


# --- the server process -------------------------------------------------------------

def serve(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from narratives.loopback import LoopbackServer, static

    servers, ports = [], {}
    for host, pages in layout(args.pages, args.hosts).items():
        server = LoopbackServer(host=f"127.0.0.{host}")
        # http.server writes headers and body separately; with Nagle's algorithm on, the
        # body's last segment waits for the client's delayed ACK (~40 ms a response),
        # which no production server does. The benchmark measures our side, not that.
        server.httpd.RequestHandlerClass.disable_nagle_algorithm = True
        server.httpd.handle_error = lambda *_: None  # a client closing keep-alive is no news
        server.start()
        base = server.url("")
        for i in pages:
            server.add(f"/news/{i}", static(render_page(host, i, args.seed), "text/html; charset=utf-8",
                                            gzip=True))
        server.add("/feed.xml", static(render_feed(host, pages, args.seed, base)))
        servers.append(server)
        ports[host] = server.port
    print(json.dumps(ports), flush=True)
    done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), done.set()), daemon=True).start()
    done.wait(args.lifetime)
    for server in servers:
        server.stop()


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, dict[int, int]]:
    cmd = [sys.executable, __file__, "_serve", "--pages", str(args.pages), "--hosts", str(args.hosts),
           "--seed", str(args.seed), "--lifetime", str(SERVER_LIFETIME)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("bench server did not start")
    return proc, {int(k): v for k, v in json.loads(line).items()}


# --- measuring ------------------------------------------------------------------------

def raw_extraction(pages: list[bytes]) -> tuple[dict, list[str]]:
    import trafilatura

    trafilatura.extract(pages[0], include_comments=False)  # warm-up: imports, lazy tables
    busy, cpu, began = system_busy(), time.process_time(), time.perf_counter()
    texts = [trafilatura.extract(page, include_comments=False) or "" for page in pages]
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {"wall": wall, "cpu": cpu, "other_cpu": max(system_busy() - busy - cpu, 0.0)}, texts


def run_command(cmd: list[str], cwd: Path) -> dict:
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    return {"wall": wall, "code": proc.returncode, "stdout": out, "stderr": err}


def fulltext_round(args: argparse.Namespace, work: Path, feeds: Path, n: int, workers: int | None,
                   server_pid: int) -> dict:
    db = work / f"store-{n}-{workers or 'all'}.db"
    narratives = [sys.executable, "-m", "narratives"]
    prep = run_command(narratives + ["collect", "--db", str(db), "--feeds", str(feeds), "--workers", "0",
                                     "--quiet"], work)
    if prep["code"] != 0:
        raise SystemExit(f"collect failed: {prep['stderr'][-2000:]}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, server = system_busy(), proc_cpu(server_pid)
    cmd = narratives + ["fulltext", "--db", str(db), "--feeds", str(feeds), "--limit", str(args.pages),
                        "--quiet"] + (["--workers", str(workers)] if workers is not None else [])
    run = run_command(cmd, work)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the command and its extractor processes (reaped by the time it exits).
    run["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    run["server_cpu"] = proc_cpu(server_pid) - server
    run["other_cpu"] = max(system_busy() - busy - run["cpu"] - run["server_cpu"], 0.0)
    match = re.search(r"(\d+) of (\d+) due pages in ([\d.]+) s", run["stdout"])
    run["stage"] = float(match.group(3)) if match else float("nan")
    with sqlite3.connect(db) as conn:
        run["texts"] = {url: text for url, text in conn.execute(
            "SELECT a.url, t.text FROM article_texts t JOIN articles a ON a.id = t.article_id "
            "WHERE t.status = 'extracted'")}
    db.unlink()
    return run


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    serve_mode = argv[:1] == ["_serve"]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--pages", type=int, default=None, help="article pages [500: what one `fulltext` run reads at most by default; --quick 40]")
    p.add_argument("--hosts", type=int, default=None, help="loopback hosts = outlets [6; --quick 2]")
    p.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    p.add_argument("--quick", action="store_true", help="smoke run: 40 pages on 2 hosts")
    p.add_argument("--seed", type=int, default=2026, help="seed of the synthetic pages")
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    p.add_argument("--lifetime", type=float, default=SERVER_LIFETIME, help=argparse.SUPPRESS)
    args = p.parse_args(argv[1:] if serve_mode else argv)
    args.pages = args.pages or (40 if args.quick else 500)
    args.hosts = min(args.hosts or (2 if args.quick else 6), args.pages)
    if not 1 <= args.hosts <= 254 or min(args.pages, args.repeat) < 1:
        p.error("--hosts must be 1..254, --pages and --repeat at least 1")
    if serve_mode:
        serve(args)
        return 0

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from narratives.fulltext import PAGES_PER_WORKER
    from narratives.parse import clean_text

    ncpu = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="narratives-bench-fulltext-"))
    started = time.perf_counter()
    by_host = layout(args.pages, args.hosts)
    pages = {(h, i): render_page(h, i, args.seed) for h, idx in by_host.items() for i in idx}
    size = statistics.mean(len(b) for b in pages.values()) / 1024
    print(f"bench: {args.pages} pages (mean {size:.0f} KB) on {args.hosts} loopback hosts, no added "
          f"latency, {args.repeat} round(s); {ncpu} CPUs; work dir {work}", flush=True)
    server = None
    ok = True
    try:
        server, ports = start_server(args)
        lines = ["outlets:"]
        urls = {}
        for h in by_host:
            base = f"http://127.0.0.{h}:{ports[h]}"
            urls.update({f"{base}/news/{i}": (h, i) for i in by_host[h]})
            lines += [f"  - id: outlet-{h:02d}", f"    name: Benchmark outlet {h}", "    country: XX",
                      "    language: en", "    affiliation: unknown", "    owner: synthetic",
                      f"    homepage: {base}/", "    full_text: true", "    feeds:",
                      f"      - url: {base}/feed.xml"]
        feeds = work / "feeds.yaml"
        feeds.write_text("\n".join(lines) + "\n", encoding="utf-8")
        rounds = []
        for n in range(1, args.repeat + 1):
            raw, raw_texts = raw_extraction(list(pages.values()))
            raw_s = raw["wall"]
            raw_by_page = dict(zip(pages, raw_texts, strict=True))
            runs = {"all": fulltext_round(args, work, feeds, n, None, server.pid),
                    "one": fulltext_round(args, work, feeds, n, 1, server.pid)}
            for name, run in runs.items():
                same = sum(clean_text(raw_by_page[urls[u]]) == t for u, t in run["texts"].items())
                good = run["code"] == 0 and len(run["texts"]) == args.pages and same == args.pages
                ok &= good
                print(f"verify round {n} ({'--workers 1' if name == 'one' else 'default workers'}): "
                      f"{len(run['texts'])}/{args.pages} extracted, {same}/{args.pages} identical to "
                      f"trafilatura's own text, exit {run['code']}: {'OK' if good else 'FAILED'}")
                if run["code"] != 0:
                    print("  " + (run["stderr"] or run["stdout"])[-1500:])
            rounds.append({"raw": raw_s, "raw_cpu": raw["cpu"], "raw_other": raw["other_cpu"],
                           **{f"{k}_{m}": v[m] for k, v in runs.items()
                              for m in ("wall", "stage", "cpu", "server_cpu", "other_cpu")}})
            print(f"round {n}: raw {raw_s:.2f} s, fulltext {runs['all']['wall']:.2f} s "
                  f"(stage {runs['all']['stage']:.2f} s), --workers 1 {runs['one']['wall']:.2f} s",
                  flush=True)
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        n = args.pages
        raw_rate = n / med["raw"]
        print(f"\nmedians of {len(rounds)} round(s), {n} pages:")
        raw_cpu_rate = n / med["raw_cpu"]
        print(f"{'run':<56}{'seconds':>9}{'pages/s':>9}{'vs raw':>8}{'CPU s':>8}{'pages/CPU s':>12}"
              f"{'vs raw':>8}")
        print(f"{'trafilatura.extract, in memory, one process':<56}{med['raw']:>9.2f}{raw_rate:>9.1f}"
              f"{1:>7.2f}x{med['raw_cpu']:>8.2f}{raw_cpu_rate:>12.1f}{1:>7.2f}x")

        def extractors(cap: int) -> str:
            k = min(cap, n // PAGES_PER_WORKER)
            return f"{k} extractor process{'es' if k > 1 else ''}" if k else "extraction in a thread"

        for key, label in (("all", f"fulltext ({extractors(ncpu)})"),
                           ("one", f"fulltext --workers 1 ({extractors(1)})")):
            for what, suffix in (("wall", "command"), ("stage", "stage only")):
                secs = med[f"{key}_{what}"]
                cpu = (f"{med[f'{key}_cpu']:>8.2f}{n / med[f'{key}_cpu']:>12.1f}"
                       f"{(n / med[f'{key}_cpu']) / raw_cpu_rate:>7.2f}x" if what == "wall" else "")
                print(f"{label + ': ' + suffix:<56}{secs:>9.2f}{n / secs:>9.1f}"
                      f"{(n / secs) / raw_rate:>7.2f}x{cpu}")
        print("(command: the whole `narratives fulltext` process, start-up included; stage only: "
              "its own\n summary's time, fetch to last write; CPU s: user+sys of the command and its "
              f"extractor\n processes, start-up included; the page server used "
              f"{med['all_server_cpu']:.2f} CPU s per run besides)")
        ratio = (n / med["all_wall"]) / raw_rate
        print(f"\n{'target':<64}{'measured':>9}  result")
        print(f"{'fulltext command end to end >= 0.8x raw trafilatura (pages/s)':<64}{ratio:>8.2f}x  "
              f"{'met' if ratio >= 0.8 else 'MISSED'}")
        busy = max([r["raw_other"] / (r["raw"] * ncpu) for r in rounds]
                   + [r[f"{k}_other_cpu"] / (r[f"{k}_wall"] * ncpu) for r in rounds for k in ("all", "one")])
        if busy > 0.05:
            print(f"warning: other processes used up to {busy:.0%} of the machine's CPU during the "
                  "runs; the figures are inflated. Re-run on an idle machine.")
        print(f"machine: {ncpu} CPUs, {cpu_model()}, Python {platform.python_version()}, "
              f"{platform.system()} {platform.release()}")
    finally:
        if server is not None:
            server.stdin.close()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"command: {Path(sys.executable).name} {' '.join([sys.argv[0]] + argv)}; "
          f"took {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
