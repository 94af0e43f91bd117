"""Loopback servers the ivr tests start: an HTTP stub answering JSON (a look-up's server, an
SMS gateway) that keeps what it was sent."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Route = Callable[[dict[str, Any]], tuple[int, bytes]]
"""The request (method, path, query, json, headers) → (status, body)."""


@dataclass
class Stub:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


def reply(obj: Any, status: int = 200) -> tuple[int, bytes]:
    return status, json.dumps(obj).encode()


@contextmanager
def http_stub(routes: dict[str, Route]) -> Iterator[Stub]:
    """A server on 127.0.0.1 answering ``routes`` by path (404 otherwise), in a thread."""
    stub = Stub("")

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            req = {"method": self.command, "path": parts.path,
                   "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                   "json": json.loads(raw) if raw and "json" in self.headers.get("Content-Type", "") else None,
                   "body": raw, "headers": dict(self.headers)}
            stub.requests.append(req)
            route = routes.get(parts.path)
            status, body = route(req) if route else (404, b"{}")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (a timeout test)
                pass

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


def slow(seconds: float, then: tuple[int, bytes]) -> Route:
    def route(_req: dict[str, Any]) -> tuple[int, bytes]:
        time.sleep(seconds)
        return then
    return route


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
