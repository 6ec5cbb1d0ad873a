"""Write our sample corpus (``narratives/sample/articles.yaml``) as gold import rows.

Usage::

    python benchmarks/sample_gold.py -o /tmp/sample.jsonl
    narratives eval-clusters /tmp/sample.jsonl

One row per sample article, with its real (relative) publication time and its ``event``
label. Summary and content are given separately, as the
collector stores them from the demo feeds. The sample is fiction written for this project.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from narratives.demo import load_sample
from narratives.fetch import utcnow


def gold_rows() -> list[dict]:
    outlets, articles = load_sample(utcnow())
    names = {o["id"]: o for o in outlets}
    return [{"id": a.guid, "outlet": a.outlet, "outlet_name": names[a.outlet]["name"],
             "affiliation": names[a.outlet]["affiliation"], "title": a.title,
             "summary": a.summary, "text": a.content, "url": f"{names[a.outlet]['homepage']}/{a.guid}",
             "published": a.published.strftime("%Y-%m-%dT%H:%M:%SZ"), "event": a.event}
            for a in articles]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = gold_rows()
    with args.output.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    print(f"{len(rows)} articles, {len({r['event'] for r in rows})} events -> {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
