"""The collect benchmark must keep running: a --quick round, correctness checks only, no timing."""

import re
import subprocess
import sys

import pytest
from conftest import REPO

FEEDS, ITEMS = 50, 50  # what --quick serves


@pytest.mark.slow
def test_bench_collect_quick_round_verifies_article_counts():
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_collect.py"), "--quick",
                           "--repeat", "1"], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    total = FEEDS * ITEMS
    # Both skip paths ran: half the feeds answered 304, the other half resent the same body.
    expected = (f"verify round 1: articles after first collect {total}/{total}, after forced "
                f"re-collect {total}/{total}, naive {total}/{total}; re-collect outcomes "
                f"{{'not_modified': {FEEDS // 2}, 'unchanged': {FEEDS // 2}}}: OK")
    assert expected in proc.stdout, proc.stdout
    for target in ("first collect >= 12x faster than naive", "forced re-collect uses >= 5x less CPU",
                   "peak memory <= 300 MB"):
        assert re.search(re.escape(target) + r".*\d+(\.\d)?(x|MB)\s+(met|MISSED)$", proc.stdout, re.M), target
    assert " exited " not in proc.stdout and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
