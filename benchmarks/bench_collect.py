"""Benchmark: `narratives collect` against a naive sequential loop, on loopback feeds.

Usage::

    .venv/bin/python benchmarks/bench_collect.py              # the issue's figures (~8 min)
    .venv/bin/python benchmarks/bench_collect.py --quick --repeat 1     # smoke run (~20 s)

A server process serves ``--feeds`` synthetic RSS feeds of ``--items`` items each from
``--hosts`` loopback addresses (127.0.0.1, 127.0.0.2, ...: one outlet per host, so the
per-host connection limit acts as it does on real outlets), sleeping ``--latency``
seconds before every response. Half of each outlet's feeds honour If-None-Match with a
304; the other half ignore validators and resend the same body, so both skip paths of a
re-collect (304, and an unchanged body hash) are measured.

Each round runs, as separate processes and one after the other:

1. ``narratives collect`` on a fresh store (wall, CPU of the process and its parse
   workers, peak RSS of the main process and of the largest worker);
2. ``narratives collect --force`` on that store: every feed fetched again, unchanged;
3. the naive loop: per feed ``httpx.get`` + ``feedparser.parse`` + sqlite3 inserts and a
   commit, sequentially, on a fresh database.

Medians over ``--repeat`` rounds are printed next to the targets. Timing never makes the
script fail; a wrong article count does (exit 1), since then the figures mean nothing.
The item text is synthetic (seeded word lists), invented for this benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SERVER_LIFETIME = 30 * 60  # the server exits by itself after this many seconds
MB = 1024 * 1024

# --- synthetic feeds ----------------------------------------------------------------

WORDS = """
government ministry officials minister president parliament council committee report
statement election vote campaign opposition coalition party leader spokesman agency
economy inflation budget tax growth market exports imports trade tariff sanctions bank
currency energy gas oil pipeline grid prices wages pensions workers union strike
border region province city village district capital province river port airport
military troops defence exercise drills navy ceasefire talks delegation summit treaty
court judge trial verdict appeal investigation police arrest detained charges lawyer
journalist newspaper broadcaster editor media censorship protest rally crowd square
health hospital doctors vaccine outbreak schools teachers students university research
climate flood drought harvest farmers wheat grain storm wildfire weather forecast
railway bridge road construction housing project contract investment company shares
said announced denied confirmed warned urged rejected welcomed criticised promised
on monday on tuesday on wednesday on thursday on friday over the weekend last week
according to sources familiar with the matter in a statement late on after talks
the the the of of of and and and to to in in a a for on with by from at that which
new major senior former local national foreign regional international official key
""".split()
NAMES = ("Arvid Lenk", "Mira Castell", "Tomas Ribe", "Ines Varga", "Oleg Sarin", "Lena Moor",
         "Jonas Pell", "Dara Quint", "Emil Rusk", "Hana Tove", "Karl Ostrow", "Nia Belden")
SECTIONS = ("world", "politics", "economy", "society", "science", "sport", "culture",
            "opinion", "region", "business", "health", "defence")
BASE_DATE = datetime(2026, 1, 15, 12, 0)  # items are dated before this: fixed, in the past


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(9, 22))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(rng: random.Random) -> str:
    sentences = [_sentence(rng) for _ in range(rng.randint(2, 4))]
    # Inline markup as real feeds carry it: a link, emphasis, an entity-bearing quote.
    if rng.random() < 0.4:
        i = rng.randrange(len(sentences))
        sentences[i] = (f'<a href="/tags/{rng.choice(WORDS)}">{sentences[i][:-1]}</a>.')
    if rng.random() < 0.3:
        sentences.append(f"<em>“{_sentence(rng)[:-1]}”, {rng.choice(NAMES)} said &amp; added.</em>")
    if rng.random() < 0.2:
        sentences.insert(0, f"<strong>{rng.choice(SECTIONS).upper()}:</strong>")
    return "<p>" + " ".join(sentences) + "</p>"


def feed_path(host: int, k: int) -> str:
    return f"/rss/{SECTIONS[k % len(SECTIONS)]}-{k}.xml"


def honours_validators(k: int) -> bool:
    """Even-numbered feeds of each outlet answer If-None-Match with 304; odd ones ignore it."""
    return k % 2 == 0


def layout(feeds: int, hosts: int) -> list[tuple[int, int]]:
    """(host number 1..hosts, feed number within the host) for every feed, host by host."""
    hosts = min(hosts, feeds)
    spots = [(i % hosts + 1, i // hosts) for i in range(feeds)]
    return sorted(spots)


def render_feed(host: int, k: int, n_items: int, seed: int, paragraphs: tuple[int, int] = (2, 4)) -> bytes:
    """One deterministic RSS 2.0 document of ``n_items`` realistic items.

    Descriptions have ``paragraphs`` (low, high) HTML paragraphs; (0, 0) gives the
    one-sentence plain-text teaser many agency feeds carry.
    """
    rng = random.Random(f"{seed}:{host}:{k}")
    site = f"https://www.outlet-{host:02d}.example"
    section = SECTIONS[k % len(SECTIONS)]
    out = ['<?xml version="1.0" encoding="utf-8"?>\n'
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
           f"<title>Outlet {host:02d} — {section}</title>\n<link>{site}/{section}/</link>\n"
           f"<description>Synthetic benchmark feed {host}/{k}</description>\n"
           f"<language>en</language>\n<lastBuildDate>{_rfc822(BASE_DATE)}</lastBuildDate>\n"]
    when = BASE_DATE
    for j in range(n_items):
        when -= timedelta(minutes=rng.randint(3, 90), seconds=rng.randint(0, 59))
        title = " ".join(rng.choices(WORDS, k=rng.randint(6, 13))).capitalize()
        slug = "-".join(title.lower().split()[:6])
        link = f"{site}/{section}/{when:%Y/%m/%d}/{slug}-{host:02d}{k:03d}{j:04d}"
        body = ("\n".join(_paragraph(rng) for _ in range(rng.randint(*paragraphs)))
                if paragraphs[1] else _sentence(rng))
        cats = "".join(f"<category>{c}</category>" for c in rng.sample(SECTIONS, rng.randint(1, 3)))
        out.append(f"<item>\n<title>{escape(title)}</title>\n<link>{link}</link>\n"
                   f'<guid isPermaLink="true">{link}</guid>\n<pubDate>{_rfc822(when)}</pubDate>\n'
                   f"<dc:creator>{rng.choice(NAMES)}</dc:creator>\n{cats}\n"
                   f"<description>{escape(body)}</description>\n</item>\n")
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode("utf-8")


def _rfc822(when: datetime) -> str:
    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")


# --- the server process -------------------------------------------------------------

class _Site:
    def __init__(self, body: bytes, honours: bool):
        self.body, self.honours = body, honours
        self.gz = gzip.compress(body, compresslevel=6, mtime=0)
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _response(status: str, headers: dict[str, str], body: bytes) -> bytes:
    head = [f"HTTP/1.1 {status}", "Server: bench-loopback", "Connection: keep-alive"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


async def _serve(args: argparse.Namespace) -> None:
    spots = layout(args.feeds, args.hosts)
    sites = {(h, feed_path(h, k)): _Site(render_feed(h, k, args.items, args.seed, args.paragraphs), honours_validators(k))
             for h, k in spots}
    hosts = sorted({h for h, _ in spots})

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = int(writer.get_extra_info("sockname")[0].rsplit(".", 1)[1])
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                target = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await asyncio.sleep(args.latency)
                site = sites.get((host, target.split("?", 1)[0]))
                if site is None:
                    writer.write(_response("404 Not Found", {"Content-Type": "text/plain"}, b"no"))
                elif site.honours and headers.get("if-none-match") == site.etag:
                    writer.write(_response("304 Not Modified", {"ETag": site.etag}, b""))
                else:
                    h = {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": site.etag}
                    if "gzip" in headers.get("accept-encoding", ""):
                        h["Content-Encoding"] = "gzip"
                        writer.write(_response("200 OK", h, site.gz))
                    else:
                        writer.write(_response("200 OK", h, site.body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    servers = await _bind_all(handle, hosts)
    port = servers[0].sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "hosts": hosts}), flush=True)
    # Stop when the parent goes away (stdin closes) or after SERVER_LIFETIME, whichever first.
    loop = asyncio.get_running_loop()
    gone = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.buffer.read(), loop.call_soon_threadsafe(gone.set)),
                     daemon=True).start()
    try:
        await asyncio.wait_for(gone.wait(), args.lifetime)
    except TimeoutError:
        pass
    for s in servers:
        s.close()


async def _bind_all(handle, hosts: list[int]) -> list[asyncio.Server]:
    """One listening socket per host address, all on the same port (like real outlets)."""
    for _attempt in range(50):
        servers: list[asyncio.Server] = []
        try:
            first = await asyncio.start_server(handle, f"127.0.0.{hosts[0]}", 0, backlog=256)
            servers.append(first)
            port = first.sockets[0].getsockname()[1]
            for h in hosts[1:]:
                servers.append(await asyncio.start_server(handle, f"127.0.0.{h}", port, backlog=256))
            return servers
        except OSError:
            for s in servers:
                s.close()
    raise SystemExit("bench server: could not bind one port on every loopback host")


def start_server(args: argparse.Namespace) -> tuple[subprocess.Popen, int, list[int]]:
    cmd = [sys.executable, __file__, "_serve", "--feeds", str(args.feeds), "--items", str(args.items),
           "--hosts", str(args.hosts), "--latency", str(args.latency), "--seed", str(args.seed),
           "--paragraphs", "-".join(map(str, args.paragraphs)),
           "--lifetime", str(SERVER_LIFETIME)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("bench server did not start")
    info = json.loads(line)
    return proc, info["port"], info["hosts"]


def system_busy() -> float:
    """CPU seconds all processes on the machine have used since boot (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User+system CPU seconds of a running process (Linux /proc); 0.0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


# --- the measured processes ---------------------------------------------------------

# The collect runs through this wrapper, written to the work dir: it is the `narratives`
# console script plus a rusage report. Spawned parse workers re-import the main script,
# so it must import what the console script imports, or the workers would start cheaper.
COLLECT_WRAPPER = """\
import json, resource, sys
from pathlib import Path
from narratives.cli import main

if __name__ == "__main__":
    out = sys.argv.pop(1)
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parse workers, reaped at shutdown
    Path(out).write_text(json.dumps({
        "main_cpu": me.ru_utime + me.ru_stime, "children_cpu": kids.ru_utime + kids.ru_stime,
        "main_rss": me.ru_maxrss * 1024, "child_rss": kids.ru_maxrss * 1024}))
    sys.exit(code)
"""


def _naive_child(urls_file: str, db: str) -> None:
    """What one would write first: fetch, parse and insert, one feed after another."""
    import feedparser
    import httpx

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")  # as the collector's store, so commits cost alike
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, feed TEXT, guid TEXT, link TEXT, "
                 "title TEXT, summary TEXT, published TEXT)")
    for url in Path(urls_file).read_text().split():
        resp = httpx.get(url, timeout=30)
        resp.raise_for_status()
        doc = feedparser.parse(resp.content)
        for e in doc.entries:
            conn.execute("INSERT INTO articles (feed, guid, link, title, summary, published) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (url, e.get("id"), e.get("link"), e.get("title"), e.get("summary"),
                          e.get("published")))
        conn.commit()
    conn.close()


def measure(cmd: list[str], work: Path, server_pid: int, rusage_file: Path | None = None) -> dict:
    """Run one process to completion: wall, CPU of it and its reaped children, peak RSS.

    ``os.wait4`` reports the process's own usage plus that of the children it reaped (the
    parse workers); the collect wrapper splits the two in ``rusage_file``.
    """
    server_before, busy_before = proc_cpu(server_pid), system_busy()
    out, err = work / "stdout.txt", work / "stderr.txt"
    with out.open("w") as fo, err.open("w") as fe:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = {"wall": wall, "code": proc.returncode, "stdout": out.read_text(), "stderr": err.read_text(),
              "cpu": usage.ru_utime + usage.ru_stime, "main_rss": usage.ru_maxrss * 1024,
              "child_rss": 0, "main_cpu": usage.ru_utime + usage.ru_stime, "children_cpu": 0.0,
              "server_cpu": proc_cpu(server_pid) - server_before}
    # What everything else on the machine used meanwhile: other jobs skew wall times.
    result["other_cpu"] = max(0.0, system_busy() - busy_before - result["cpu"] - result["server_cpu"])
    if rusage_file is not None and rusage_file.exists():
        result.update(json.loads(rusage_file.read_text()))
        rusage_file.unlink()
    return result


# --- orchestration ------------------------------------------------------------------

def write_feeds_yaml(path: Path, port: int, spots: list[tuple[int, int]]) -> list[str]:
    by_host: dict[int, list[str]] = {}
    for h, k in spots:
        by_host.setdefault(h, []).append(f"http://127.0.0.{h}:{port}{feed_path(h, k)}")
    lines = ["defaults:", "  interval: 15m", "  max_per_host: 2", "outlets:"]
    for h, urls in by_host.items():
        lines += [f"  - id: outlet-{h:02d}", f"    name: Benchmark outlet {h}", "    country: XX",
                  "    language: en", "    affiliation: unknown", "    owner: synthetic",
                  f"    homepage: https://www.outlet-{h:02d}.example/", "    feeds:"]
        lines += [f"      - url: {u}" for u in urls]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [u for urls in by_host.values() for u in urls]


def db_counts(db: Path, since_fetch: int = 0) -> tuple[int, dict[str, int], int]:
    conn = sqlite3.connect(db)
    try:
        articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        outcomes = dict(conn.execute("SELECT outcome, COUNT(*) FROM fetches WHERE id > ? "
                                     "GROUP BY outcome", (since_fetch,)).fetchall())
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM fetches").fetchone()[0]
    finally:
        conn.close()
    return articles, outcomes, last


def one_round(args: argparse.Namespace, work: Path, n: int, feeds_yaml: Path, urls_file: Path,
              server_pid: int) -> dict:
    db = work / f"collect-{n}.db"
    rus = work / f"rusage-{n}.json"
    base = [sys.executable, str(work / "narratives_collect.py"), str(rus), "collect", "--db", str(db),
            "--feeds", str(feeds_yaml), "--quiet"]
    first = measure(base, work, server_pid, rus)
    articles1, outcomes1, last = db_counts(db)
    forced = measure(base + ["--force"], work, server_pid, rus)
    articles2, outcomes2, _ = db_counts(db, last)
    naive_db = work / f"naive-{n}.db"
    naive = measure([sys.executable, __file__, "_naive", str(urls_file), str(naive_db)], work, server_pid)
    with sqlite3.connect(naive_db) as conn:
        naive_articles = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    for run, name in ((first, "collect"), (forced, "collect --force"), (naive, "naive")):
        if run["code"] != 0:
            print(f"  warning: {name} exited {run['code']}: {(run['stderr'] or run['stdout'])[-800:]}")
    return {"first": first, "forced": forced, "naive": naive, "articles1": articles1,
            "articles2": articles2, "naive_articles": naive_articles, "outcomes1": outcomes1,
            "outcomes2": outcomes2}


def median(rounds: list[dict], run: str, key: str) -> float:
    return statistics.median(r[run][key] for r in rounds)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def report(args: argparse.Namespace, rounds: list[dict], workers: int) -> bool:
    total = args.feeds * args.items
    honours = sum(honours_validators(k) for _, k in layout(args.feeds, args.hosts))
    ok = True
    for i, r in enumerate(rounds, 1):
        good = (r["articles1"] == total and r["articles2"] == total and r["naive_articles"] == total
                and r["outcomes1"] == {"ok": args.feeds}
                and r["outcomes2"] == {k: v for k, v in (("not_modified", honours),
                                                         ("unchanged", args.feeds - honours)) if v})
        ok &= good
        print(f"verify round {i}: articles after first collect {r['articles1']}/{total}, after "
              f"forced re-collect {r['articles2']}/{total}, naive {r['naive_articles']}/{total}; "
              f"re-collect outcomes {r['outcomes2']}: {'OK' if good else 'FAILED'}")

    med = {run: {key: median(rounds, run, key) for key in rounds[0][run] if key not in
                 ("code", "stdout", "stderr")} for run in ("first", "forced", "naive")}
    print(f"\nmedians of {len(rounds)} round(s): {args.feeds} feeds x {args.items} items = {total:,} "
          f"items on {args.hosts} hosts, {args.latency * 1000:g} ms latency, paragraphs "
          f"{'-'.join(map(str, args.paragraphs))}, {workers} parse workers")
    print(f"{'run':<29}{'wall s':>8}{'CPU s':>8}{'main':>8}{'workers':>9}{'main MB':>9}"
          f"{'worker MB':>10}{'items/s':>9}{'server':>8}{'others':>8}")
    for run, label in (("first", "collect (fresh store)"), ("forced", "collect --force (unchanged)"),
                       ("naive", "naive sequential loop")):
        m = med[run]
        ips = f"{total / m['wall']:,.0f}" if run != "forced" else "-"
        print(f"{label:<29}{m['wall']:>8.2f}{m['cpu']:>8.2f}{m['main_cpu']:>8.2f}{m['children_cpu']:>9.2f}"
              f"{m['main_rss'] / MB:>9.0f}{m['child_rss'] / MB:>10.0f}{ips:>9}{m['server_cpu']:>8.2f}"
              f"{m['other_cpu']:>8.2f}")
    print("(CPU s = user+sys of the process and its reaped children = main + workers; server, "
          "others = CPU s the feed server and all other processes on the machine used meanwhile)")

    first, forced, naive = med["first"], med["forced"], med["naive"]
    speedup, cpu_ratio = naive["wall"] / first["wall"], first["cpu"] / forced["cpu"]
    # Peak memory of the whole collect: main process plus every parse worker at its largest.
    peak = max(m["main_rss"] + workers * m["child_rss"] for m in (first, forced)) / MB

    def verdict(good: bool) -> str:
        return "met" if good else "MISSED"

    print(f"\n{'target':<52}{'measured':>10}  result")
    print(f"{'first collect >= 12x faster than naive (wall)':<52}{speedup:>9.1f}x  {verdict(speedup >= 12)}")
    print(f"{'forced re-collect uses >= 5x less CPU than first':<52}{cpu_ratio:>9.1f}x  "
          f"{verdict(cpu_ratio >= 5)}")
    print(f"{'peak memory <= 300 MB (main + workers x largest)':<52}{peak:>8.0f}MB  {verdict(peak <= 300)}")

    ncpu = os.cpu_count() or 1
    connections = min(16, 2 * args.hosts)
    latency_floor = math.ceil(args.feeds / connections) * args.latency
    cpu_floor = (first["cpu"] + first["server_cpu"]) / ncpu
    per_item = first["children_cpu"] / total * 1000
    print(f"\nbounds: latency floor {latency_floor:.2f} s ({args.feeds} feeds x "
          f"{args.latency * 1000:g} ms over {connections} connections); CPU floor {cpu_floor:.2f} s "
          f"(collect + server CPU over {ncpu} cores); parsing costs {per_item:.2f} CPU ms/item "
          f"({1000 / per_item if per_item else 0:,.0f} items/s per core) in the workers, the main "
          f"process (fetch, writes, start-up) {first['main_cpu']:.2f} CPU s; the naive loop cannot "
          f"beat {args.feeds * args.latency:.1f} s latency + its {naive['cpu']:.2f} CPU s. So the "
          f"speed-up cannot exceed ~{naive['wall'] / max(latency_floor, cpu_floor):.1f}x with this "
          "much CPU work per item.")
    busy = max(m["other_cpu"] / (m["wall"] * ncpu) for m in (first, forced, naive))
    if busy > 0.05:
        print(f"warning: other processes used up to {busy:.0%} of the machine's CPU during the runs; "
              "wall times are inflated (CPU times much less so). Re-run on an idle machine.")
    print(f"machine: {ncpu} CPUs, {cpu_model()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}")
    return ok


def _span(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    span = (int(lo), int(hi or lo))
    if not 0 <= span[0] <= span[1] <= 20 or (span[0] == 0 < span[1]):
        raise argparse.ArgumentTypeError("give LO-HI with 1 <= LO <= HI <= 20, or 0")
    return span


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_naive"]:
        _naive_child(argv[1], argv[2])
        return 0
    serve = argv[:1] == ["_serve"]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--feeds", type=int, default=None, help="feeds in all [500; --quick 50]")
    p.add_argument("--items", type=int, default=50, help="items per feed")
    p.add_argument("--hosts", type=int, default=None, help="loopback hosts = outlets [50; --quick 5]")
    p.add_argument("--latency", type=float, default=0.1, help="seconds before each response")
    p.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    p.add_argument("--quick", action="store_true", help="smoke run: 50 feeds on 5 hosts")
    p.add_argument("--paragraphs", type=_span, default=(2, 4), metavar="LO-HI",
                   help="HTML paragraphs per description; 0 = one-sentence plain teaser")
    p.add_argument("--seed", type=int, default=2026, help="seed of the synthetic text")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (databases, feeds.yaml)")
    p.add_argument("--lifetime", type=float, default=SERVER_LIFETIME, help=argparse.SUPPRESS)
    args = p.parse_args(argv[1:] if serve else argv)
    args.feeds = args.feeds or (50 if args.quick else 500)
    args.hosts = min(args.hosts or (5 if args.quick else 50), args.feeds)
    if not 1 <= args.hosts <= 254:
        p.error("--hosts must be 1..254 (127.0.0.1 .. 127.0.0.254)")
    if min(args.feeds, args.items, args.repeat) < 1 or args.latency < 0:
        p.error("--feeds, --items and --repeat must be at least 1, --latency not negative")
    if serve:
        asyncio.run(_serve(args))
        return 0

    workers = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="narratives-bench-"))
    print(f"bench: {args.feeds} feeds x {args.items} items on {args.hosts} loopback hosts, "
          f"{args.latency * 1000:g} ms latency, {args.repeat} round(s); work dir {work}", flush=True)
    started = time.perf_counter()
    server = None
    try:
        server, port, _hosts = start_server(args)
        feeds_yaml, urls_file = work / "feeds.yaml", work / "urls.txt"
        (work / "narratives_collect.py").write_text(COLLECT_WRAPPER, encoding="utf-8")
        urls = write_feeds_yaml(feeds_yaml, port, layout(args.feeds, args.hosts))
        urls_file.write_text("\n".join(urls) + "\n")
        print(f"server ready on port {port} after {time.perf_counter() - started:.1f} s", flush=True)
        rounds = []
        for n in range(1, args.repeat + 1):
            r = one_round(args, work, n, feeds_yaml, urls_file, server.pid)
            rounds.append(r)
            print(f"round {n}: collect {r['first']['wall']:.2f} s, --force {r['forced']['wall']:.2f} s, "
                  f"naive {r['naive']['wall']:.2f} s", flush=True)
        ok = report(args, rounds, workers)
    finally:
        if server is not None:
            server.stdin.close()  # the server's cue to exit
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
