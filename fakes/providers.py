"""Small real HTTP servers on 127.0.0.1 that play the providers' part in tests."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

# Keep connections open between requests, as Rasa and the providers' APIs do (HTTP/1.0
# would make every call a new connection and a new thread, which a benchmark then counts).
KEEP_ALIVE = "HTTP/1.1"


class FakeServer(ThreadingHTTPServer):
    """A threaded HTTP server with a listen backlog for bursts (the default of 5 makes a
    burst of new connections fail at the fake, not at the code under test)."""

    request_queue_size = 128
    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Stopped means stopped: kept-alive connections are cut too, as when the
        provider's server goes away."""
        super().server_close()
        with self._open_lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


@dataclass
class FakeRasa:
    """Answers Rasa's REST webhook and tracker endpoints.

    ``reply`` maps the customer's text to the bot's replies; ``fail_next`` makes the next
    N webhook calls answer 500; ``delay`` sleeps inside the webhook (to catch a crash
    mid-turn) and ``slow`` for the texts it names. Every webhook call is recorded in
    ``calls``.
    """

    reply: Callable[[str], list[dict[str, Any]]] = lambda text: [{"text": f"echo: {text}"}]
    fail_next: int = 0
    delay: float = 0.0
    slow: dict[str, float] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None
    last_intent: dict[str, dict[str, Any]] = field(default_factory=dict)
    # the intent the tracker reports for a text ("echo" for any other)
    intents: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> FakeRasa:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = KEEP_ALIVE

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
                if fake.delay or body.get("message") in fake.slow:
                    threading.Event().wait(fake.slow.get(body.get("message"), fake.delay))
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    self._send(500, {"error": "boom"})
                    return
                text = body.get("message", "")
                name = fake.intents.get(text, "echo")
                fake.last_intent[body["sender"]] = {"name": name, "confidence": 0.87}
                self._send(200, [{"recipient_id": body["sender"], **r} for r in fake.reply(text)])

        self.server = FakeServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = 0.0  # time.monotonic() when it arrived

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode()))


class FakeProvider(ABC):
    """A provider API over real HTTP on 127.0.0.1. Subclasses answer in ``answer``.

    ``down`` makes every call answer 503 (the provider is out); every call is recorded.
    """

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.down = False
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = KEEP_ALIVE

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                from urllib.parse import parse_qsl

                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length", 0))
                request = Recorded(
                    self.command,
                    parsed.path,
                    dict(parse_qsl(parsed.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                    time.monotonic(),
                )
                with fake._lock:
                    fake.requests.append(request)
                    status, payload, headers = (
                        (503, {"error": "down"}, {}) if fake.down else fake.answer(request)
                    )
                data = (
                    payload
                    if isinstance(payload, bytes)
                    else json.dumps(payload, ensure_ascii=False).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

        self.server = FakeServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @abstractmethod
    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        """(status, JSON body or bytes, headers) for one recorded call."""

    def calls(self, path_suffix: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith(path_suffix)]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeWeChat(FakeProvider):
    """api.weixin.qq.com: token, 客服消息 and template messages. ``errcodes`` queues answers."""

    def __init__(self) -> None:
        self.errcodes: list[int] = []
        self.tokens_issued = 0
        super().__init__()

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/cgi-bin/token":
            self.tokens_issued += 1
            return 200, {"access_token": f"token-{self.tokens_issued}", "expires_in": 7200}, {}
        if request.path in ("/cgi-bin/message/custom/send", "/cgi-bin/message/template/send"):
            code = self.errcodes.pop(0) if self.errcodes else 0
            return 200, {"errcode": code, "errmsg": "ok" if code == 0 else "error"}, {}
        return 404, {"errcode": 404}, {}


class FakeTwilio(FakeProvider):
    """api.twilio.com Messages.json. ``statuses`` queues HTTP statuses to answer."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        super().__init__()

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        status = self.statuses.pop(0) if self.statuses else 201
        if status == 201:
            return 201, {"sid": f"SM{len(self.requests):032d}", "status": "queued"}, {}
        return (
            status,
            {"code": 20429 if status == 429 else 20500, "message": "error"},
            {"Retry-After": "1"},
        )


class FakeTelegram(FakeProvider):
    """api.telegram.org Bot API. ``errors`` queues (status, description, retry_after)."""

    def __init__(self) -> None:
        self.errors: list[tuple[int, str, int | None]] = []
        super().__init__()

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if self.errors:
            status, description, retry_after = self.errors.pop(0)
            body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if retry_after is not None:
                body["parameters"] = {"retry_after": retry_after}
            return status, body, {}
        method = request.path.rsplit("/", 1)[-1]
        if method == "sendMessage":
            fields = (
                request.form()
                if "json" not in request.headers.get("content-type", "")
                else request.json()
            )
            chat_id = int(fields["chat_id"])
            message = {
                "message_id": len(self.requests),
                "date": 1_700_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "text": fields.get("text", ""),
            }
            return 200, {"ok": True, "result": message}, {}
        return 200, {"ok": True, "result": True}, {}


class FakeWeCom(FakeProvider):
    """qyapi.weixin.qq.com 微信客服: gettoken, kf/sync_msg (with a cursor), kf/send_msg, trans."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []  # messages not yet read past the cursor
        self.page_size = 2
        self.send_errcodes: list[int] = []
        super().__init__()

    def answer(self, request: Recorded) -> tuple[int, Any, dict[str, str]]:
        if request.path == "/cgi-bin/gettoken":
            return 200, {"errcode": 0, "access_token": "wecom-token", "expires_in": 7200}, {}
        if request.path == "/cgi-bin/kf/sync_msg":
            cursor = int(request.json().get("cursor") or 0)
            page = self.pending[cursor : cursor + self.page_size]
            nxt = cursor + len(page)
            return (
                200,
                {
                    "errcode": 0,
                    "next_cursor": str(nxt),
                    "has_more": int(nxt < len(self.pending)),
                    "msg_list": page,
                },
                {},
            )
        if request.path == "/cgi-bin/kf/send_msg":
            code = self.send_errcodes.pop(0) if self.send_errcodes else 0
            return 200, {"errcode": code, "errmsg": "ok", "msgid": "wecom-msg"}, {}
        if request.path == "/cgi-bin/kf/service_state/trans":
            return 200, {"errcode": 0, "errmsg": "ok"}, {}
        return 404, {"errcode": 404}, {}
