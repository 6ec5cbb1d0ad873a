"""The JSON shapes the README documents are the ones the commands print.

The table between the ``json-shapes`` markers in README.md names, per command, the keys of
each JSON object; this runs every command on the demo pipeline's store (collect through
loopback, cluster, compare) and compares, so documentation and output cannot drift.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import REPO, pipeline_copy

from narratives.cli import cli

START, END = "<!-- json-shapes:start", "<!-- json-shapes:end -->"


def documented() -> dict[str, tuple[str, list[str]]]:
    """command (as written, e.g. "outlets --groups") -> (its JSON kind, its top-level keys)."""
    readme = (REPO / "README.md").read_text("utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0]
    shapes = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`narratives "):
            continue
        command = cells[0].strip("`").removeprefix("narratives ")
        # top-level keys: backticked names outside parentheses
        keys = re.findall(r"`([a-z_]+)`", re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "", cells[2]))
        shapes[command] = (cells[1], keys)
    return shapes


SHAPES = documented()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return pipeline_copy(tmp_path_factory.mktemp("shapes"))


def run_json(*args: str):
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout)


def an_event(db) -> str:
    events = run_json("events", "--db", str(db))
    return str(max(events, key=lambda e: e["outlets"])["id"])


def test_the_readme_documents_every_listing_command():
    assert len(SHAPES) >= 13
    assert {"feeds", "collect", "fulltext", "cluster", "events", "event ID", "compare", "compare ID",
            "omissions", "outlets", "outlets --groups", "search", "eval-clusters"} <= set(SHAPES)


@pytest.mark.parametrize("command", ["feeds", "cluster", "events", "event ID", "compare", "compare ID",
                                     "omissions", "outlets", "outlets --groups", "search"])
def test_json_keys_are_the_documented_ones(db, command):
    kind, keys = SHAPES[command]
    args = command.replace("ID", an_event(db)).split()
    if command == "search":
        args.append("strike")
    out = run_json(*args, "--db", str(db))
    if kind.startswith("list"):
        assert isinstance(out, list) and out, (command, out)
        for row in out:
            assert list(row) == keys, command
    else:
        assert isinstance(out, dict) and sorted(out) == sorted(keys), command


def test_collect_and_fulltext_rows_have_the_documented_keys():
    from narratives.cli_collect import SUMMARY_COLUMNS
    from narratives.cli_fulltext import RESULT_COLUMNS

    assert SHAPES["collect"][1] == SUMMARY_COLUMNS  # run for real in test_cli.py
    assert SHAPES["fulltext"][1] == RESULT_COLUMNS  # run for real in test_fulltext.py


def test_eval_clusters_json_has_the_documented_keys(tmp_path):
    rows = [{"id": f"a{i}", "outlet": o, "title": f"Harbour strike day {i}", "text": "Dockers stopped work.",
             "published": "2026-11-20T10:00:00Z", "event": "strike"} for i, o in enumerate(["x", "y", "z"])]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    out = run_json("eval-clusters", str(gold), "--workers", "0")
    assert set(SHAPES["eval-clusters"][1]) <= set(out)
    for metric in ("pairwise", "bcubed"):
        assert set(out[metric]) == {"precision", "recall", "f1"}
