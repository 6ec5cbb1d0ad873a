"""The exception tree of narratives: catch what you can act on.

::

    NarrativesError                 anything this package raises on purpose
    ├── ConfigError                 feeds.yaml/facts.yaml is wrong; nothing was written (exit 2)
    ├── LockBusy                    another collect holds the store's lock (exit 3)
    ├── StoreError                  the database cannot be opened or has an unknown schema
    ├── QueryError                  `sql`/`export`/`search` cannot run as asked (exit 2)
    │   ├── WriteRefused            the statement would change the store; it was not run
    │   └── QueryTimeout            the statement ran past its time limit
    └── FeedError                   one feed failed; recorded on that feed, the run goes on
        ├── FetchError              the network stage: timeouts, statuses, caps, encodings
        │   ├── FetchTimeout        connect timeout or the hard per-feed deadline
        │   ├── BodyTooLarge        body over the cap after decompression (gzip bombs too)
        │   ├── HTTPStatusError     a status we do not store articles for (4xx/5xx, 410)
        │   └── ProtocolError       truncated body, bad encoding, too many redirects, ...
        └── ParseError              the bytes are not a feed we will parse
            └── UnsafeDocument      DTD entity declarations (billion laughs, XXE)

``FeedError`` subclasses carry a short ``stage`` name used as the error class in the
``fetches`` table, so researchers can group failures without parsing messages.
"""

from __future__ import annotations


class NarrativesError(Exception):
    """Base of every error narratives raises on purpose."""


class ConfigError(NarrativesError):
    """Configuration is invalid. ``problems`` lists each as 'file:line: key: what. Fix: how.'"""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class LockBusy(NarrativesError):
    """Another process holds the collect lock for this store."""


class StoreError(NarrativesError):
    """The store cannot be used (unreachable, or written by a newer narratives)."""


class QueryError(NarrativesError):
    """The request cannot be run as given: bad SQL, several statements, an unknown table
    or view, a missing optional package (exit 2). Nothing was written."""


class WriteRefused(QueryError):
    """The statement would change the store (or attach another file); it was not run."""


class QueryTimeout(QueryError):
    """The statement ran past its time limit and was interrupted."""


class FeedError(NarrativesError):
    """One feed failed. Recorded on the feed; never stops a run."""

    stage = "feed"


class FetchError(FeedError):
    stage = "fetch"


class FetchTimeout(FetchError):
    stage = "timeout"


class BodyTooLarge(FetchError):
    stage = "too_large"


class HTTPStatusError(FetchError):
    stage = "http_status"

    def __init__(self, message: str, status: int, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ProtocolError(FetchError):
    stage = "protocol"


class ParseError(FeedError):
    stage = "parse"


class UnsafeDocument(ParseError):
    stage = "unsafe"
