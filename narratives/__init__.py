"""narratives: compare how state-run and independent outlets report the same events.

Usage::

    narratives demo            # sample feeds on loopback -> storage/demo.db
    narratives collect         # one pass over the feeds in feeds.yaml that are due
"""

__version__ = "0.1.0"
