"""A loopback HTTP receiver of the lab's alerts (apprise's `json://` service); the `receiver`
fixture (tests/conftest.py) gives each test a new one."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """A loopback HTTP endpoint that keeps every JSON body posted to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def titles(self, count: int) -> list[str]:
        """The titles received, once there are at least `count` (or the deadline passed)."""
        deadline = time.monotonic() + 30
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return [r["title"] for r in self.received]
