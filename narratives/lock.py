"""An advisory file lock so two collects never fetch and write the same store at once.

Usage::

    with collect_lock(lock_path_for(db_url), wait=0):   # raises LockBusy if taken
        ...

``flock`` locks vanish with their process, so a collect killed with SIGKILL never leaves
a stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import LockBusy
from .store import sqlite_path


def lock_path_for(url: str, suffix: str = ".lock") -> Path:
    """``<db>.lock`` for collects; ``suffix=".cluster.lock"`` for clustering runs."""
    path = sqlite_path(url)
    if path is not None:
        return path.with_name(path.name + suffix)
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"narratives-{digest}{suffix}"


@contextmanager
def collect_lock(path: Path, wait: float = 0.0, what: str = "collect") -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                    raise LockBusy(f"{what}: another {what} is running on this store "
                                   f"({holder}); exiting. Use --wait SECONDS to wait for it") from None
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.pwrite(fd, f"pid {os.getpid()} since {since}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
