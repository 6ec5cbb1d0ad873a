"""A small threaded HTTP server on 127.0.0.1 for the demo, the tests and the benchmarks.

Usage::

    with LoopbackServer() as server:
        server.add("/feed.xml", static(rss_bytes, "application/rss+xml"))
        url = server.url("/feed.xml")

A route is a callable taking the request handler; it writes whatever it likes to
``req.wfile`` — a well-behaved feed (``static``), or a server that drips, stalls or lies,
which is what the collector's tests need. Nothing here listens beyond loopback.
"""

from __future__ import annotations

import email.utils
import gzip as gzip_lib
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


def send(req: BaseHTTPRequestHandler, status: int, body: bytes = b"",
         headers: dict[str, str] | None = None) -> None:
    """Write a complete response with a correct Content-Length."""
    req.send_response(status)
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    if req.command != "HEAD" and body:
        req.wfile.write(body)


def static(body: bytes, content_type: str = "application/rss+xml; charset=utf-8", *,
           etag: bool = True, last_modified: float | None = None, gzip: bool = False,
           delay: float = 0.0) -> Route:
    """A well-behaved feed: ETag/Last-Modified validators, 304s, optional gzip and latency."""
    tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    lm = email.utils.formatdate(last_modified, usegmt=True) if last_modified else None
    payload = gzip_lib.compress(body, mtime=0) if gzip else body

    def route(req: BaseHTTPRequestHandler) -> None:
        if delay:
            time.sleep(delay)
        headers = {"Content-Type": content_type}
        if etag:
            headers["ETag"] = tag
        if lm:
            headers["Last-Modified"] = lm
        if (etag and req.headers.get("If-None-Match") == tag) or (
                lm and not etag and req.headers.get("If-Modified-Since") == lm):
            send(req, 304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
            return
        if gzip and "gzip" in (req.headers.get("Accept-Encoding") or ""):
            headers["Content-Encoding"] = "gzip"
            send(req, 200, payload, headers)
        else:
            send(req, 200, body, headers)

    return route


class LoopbackServer:
    """Threaded HTTP/1.1 server on a loopback address; routes can be swapped while running."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        if not host.startswith("127."):
            raise ValueError("LoopbackServer only listens on 127.0.0.0/8")
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                route = server.routes.get(path)
                if route is None:
                    send(self, 404, b"not found", {"Content-Type": "text/plain"})
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def add(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # stalled routes watch this and return
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
