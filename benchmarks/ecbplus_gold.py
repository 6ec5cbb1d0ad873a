"""Convert ECB+ (../shared/data/ecbplus/documents.jsonl) into narratives gold import rows.

Usage::

    python benchmarks/ecbplus_gold.py -o /tmp/ecbplus.jsonl
    narratives eval-clusters /tmp/ecbplus.jsonl

One row per document: ``id`` = doc_id, ``event`` = sub-topic (one seminal event),
``title`` = the first sentence, ``text`` = the rest. ECB+ has no dates, so every row gets
the same one; the outlet is the source's domain where the corpus gives a URL (the
``*ecbplus`` documents), else ``ecb-unknown``. ECB+ is CC BY 3.0 (Cybulska & Vossen 2014).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ecbplus" / "documents.jsonl"
ONE_DATE = "2026-01-15T12:00:00Z"


def outlet_of(url: str | None) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    host = re.sub(r"^www\d?\.", "", host.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", host).strip("-")[:60]
    return slug or "ecb-unknown"


def gold_rows(path: Path = DEFAULT) -> list[dict]:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        doc = json.loads(line)
        sentences = list(doc["sentences"])
        if doc["doc_id"].endswith("ecbplus"):
            sentences = sentences[1:]  # sentence 0 is the URL the text was found at
        rows.append({"id": doc["doc_id"], "outlet": outlet_of(doc.get("url")),
                     "title": sentences[0] if sentences else doc["doc_id"],
                     "text": "\n".join(sentences[1:]) or (sentences[0] if sentences else doc["doc_id"]),
                     "url": doc.get("url") or "", "published": ONE_DATE, "language": "en",
                     "event": doc["subtopic"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=DEFAULT)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = gold_rows(args.input)
    with args.output.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} documents, {len({r['event'] for r in rows})} events -> {args.output}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
