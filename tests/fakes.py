"""Small real HTTP servers on 127.0.0.1 that play the providers' part in tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse


@dataclass
class FakeRasa:
    """Answers Rasa's REST webhook and tracker endpoints.

    ``reply`` maps the customer's text to the bot's replies; ``fail_next`` makes the next
    N webhook calls answer 500; ``delay`` sleeps inside the webhook (to catch a crash
    mid-turn). Every webhook call is recorded in ``calls``.
    """

    reply: Callable[[str], list[dict[str, Any]]] = lambda text: [{"text": f"echo: {text}"}]
    fail_next: int = 0
    delay: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    last_intent: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeRasa:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                if path == "/":
                    self._send(200, "Hello from Rasa: 3.6.21")
                elif path.startswith("/conversations/") and path.endswith("/tracker"):
                    sender = path.split("/")[2]
                    intent = fake.last_intent.get(sender, {"name": "greet", "confidence": 0.9})
                    self._send(200, {"sender_id": sender, "latest_message": {"intent": intent}})
                else:
                    self._send(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if urlparse(self.path).path != "/webhooks/rest/webhook":
                    self._send(404, {})
                    return
                fake.calls.append(body)
                if fake.delay:
                    threading.Event().wait(fake.delay)
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._send(500, {"error": "boom"})
                    return
                text = body.get("message", "")
                fake.last_intent[body["sender"]] = {"name": "echo", "confidence": 0.87}
                self._send(200, [{"recipient_id": body["sender"], **r} for r in fake.reply(text)])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
