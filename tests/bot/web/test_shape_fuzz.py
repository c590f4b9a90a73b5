"""Every HTTP route, the XML webhooks and the WebSocket frames, fed bodies of the wrong
depth, size and shape (security finding 5 and the issue's fuzzing): never a 5xx, never
an exception out of a socket. The requests carry valid credentials — an admin token, a
chat session, signed webhooks, a signed-in agent — so they reach the parsing behind the
sign-in. Every channel is configured; the worker is off (nothing is answered here)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.web.app import create_app
from channels.telegram import SECRET_HEADER
from channels.wechat_crypto import MessageCrypto, sha1_signature
from tests.channels import test_sms as sms_test
from tests.channels import test_telegram as telegram_test
from tests.channels import test_wechat as wechat_test
from tests.channels import test_wecom as wecom_test
from tests.conftest import SERVICE_TOKEN
from tests.helpers import SESSION_HEADER, app_routes, chat_headers, new_id

GATEWAY_TOKEN = "gateway-token-0123456789"
DEEP = 100_000
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + "]><xml><Content>&lol9;</Content></xml>"
).replace("&lol0;", "&lol;")

BODIES: dict[str, tuple[bytes, str]] = {
    "deep-array": (b"[" * DEEP + b"]" * DEEP, "application/json"),
    "deep-object": (b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json"),
    "deep-text-field": (
        b'{"id": "deep-0001", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "application/json",
    ),
    "too-large": (b"x" * (2 * 1024 * 1024), "application/json"),
    "array": (b"[1, 2, 3]", "application/json"),
    "string": (b'"text"', "application/json"),
    "number": (b"1e999", "application/json"),
    "null": (b"null", "application/json"),
    "empty": (b"", "application/json"),
    "wrong-types": (
        b'{"id": 1, "text": {"a": [null]}, "name": [], "password": {}}',
        "application/json",
    ),
    "bad-utf8": (b"\xff\xfe\x00\xc3(", "application/json"),
    "deep-xml": (b"<xml>" + b"<a>" * DEEP + b"</a>" * DEEP + b"</xml>", "text/xml"),
    "xml-bomb": (BOMB.encode(), "text/xml"),
    "xml-external-entity": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<xml><Content>&e;</Content></xml>",
        "text/xml",
    ),
    "form": (b"a=" + b"%5B" * 10_000 + b"&b[]=1&b[]=2", "application/x-www-form-urlencoded"),
}


def _wecom_signed(inner: str) -> tuple[str, bytes]:
    crypto = MessageCrypto(wecom_test.TOKEN, wecom_test.AES_KEY, wecom_test.CORP)
    encrypted = crypto.encrypt(inner)
    ts, nonce = str(int(time.time())), "12345"
    query = urlencode(
        {
            "msg_signature": sha1_signature(wecom_test.TOKEN, ts, nonce, encrypted),
            "timestamp": ts,
            "nonce": nonce,
        }
    )
    return query, f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


@pytest.fixture
def app(settings) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "worker_enabled": False,
            "webchat_per_visitor": 0,
            "webchat_per_address": 0,
            "webchat_sessions_per_address": 0,
            "wechat_token": wechat_test.TOKEN,
            "wechat_app_id": wechat_test.APP_ID,
            "wechat_app_secret": wechat_test.SECRET,
            "wecom_corp_id": wecom_test.CORP,
            "wecom_secret": wecom_test.SECRET,
            "wecom_token": wecom_test.TOKEN,
            "wecom_aes_key": wecom_test.AES_KEY,
            "wecom_api_base_url": "http://127.0.0.1:9",
            "twilio_account_sid": sms_test.SID,
            "twilio_auth_token": sms_test.AUTH,
            "twilio_from": "+15550001111",
            "sms_public_url": sms_test.PUBLIC,
            "sms_gateway_url": "http://127.0.0.1:9/send",
            "sms_gateway_token": GATEWAY_TOKEN,
            "telegram_bot_token": telegram_test.TOKEN,
            "telegram_secret_token": telegram_test.SECRET,
        }
    )
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        yield client


def _credentials(client: TestClient, path: str, token: str) -> tuple[str, dict[str, str]]:
    """The query and headers that get a request to ``path`` past authentication."""
    if path == "/webhooks/wechat":
        return wechat_test.signed_query(), {}
    if path == "/webhooks/telegram":
        return "", {SECRET_HEADER: telegram_test.SECRET}
    if path == "/webhooks/sms/gateway":
        return "", {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    if path == "/webhooks/webchat":
        return "", chat_headers(client, "visitor-shapes")
    if path.startswith("/api/v1/internal/"):
        return "", {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    return "", {"Authorization": f"Bearer {token}"}


def _routes(client: TestClient) -> list[tuple[str, str]]:
    found = []
    for route in app_routes(client.app):
        path = re.sub(r"\{[^}]+\}", "x1", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append((method, path))
    return found


def test_every_route_answers_bad_depth_size_and_shape_without_a_5xx(app, settings) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "shapes", ["admin"])
    db.dispose()
    routes = _routes(app)
    assert len(routes) >= 80, routes
    failures: list[tuple[str, str, str, int]] = []
    for method, path in routes:
        query, headers = _credentials(app, path, token)
        for name, (body, content_type) in BODIES.items():
            if path == "/webhooks/wechat":
                query = wechat_test.signed_query()  # a nonce is good once
            url = f"{path}?{query}" if query else path
            response = app.request(
                method, url, content=body, headers={**headers, "Content-Type": content_type}
            )
            if response.status_code >= 500 and not (path == "/readyz"):
                failures.append((method, path, name, response.status_code))
    assert failures == []


def test_wecom_decrypted_xml_of_any_depth_and_shape_is_refused_politely(app) -> None:
    for inner in (
        "<xml>" + "<a>" * DEEP + "</a>" * DEEP + "</xml>",
        BOMB,
        "<xml><MsgType>event</MsgType></xml>",
        "not xml at all",
        "",
    ):
        query, body = _wecom_signed(inner)
        response = app.post(f"/webhooks/wecom?{query}", content=body)
        assert response.status_code < 500, (inner[:40], response.status_code)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
_frames = st.one_of(
    _json.map(json.dumps),
    st.text(max_size=200),
    st.binary(max_size=200),
    st.integers(1, 20_000).map(lambda n: "[" * n + "]" * n),
    st.fixed_dictionaries(
        {"type": st.just("message"), "id": st.text(max_size=70), "text": _json}
    ).map(json.dumps),
)


def _send(ws: Any, frame: str | bytes) -> None:
    if isinstance(frame, bytes):
        ws.send_bytes(frame)
    else:
        ws.send_text(frame)


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(frames=st.lists(_frames, min_size=1, max_size=6))
def test_chat_socket_frames_never_break_it(app, frames) -> None:
    token = chat_headers(app, "visitor-frames")[SESSION_HEADER]
    with app.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "hello", "session": token})
        assert ws.receive_json()["type"] == "history"
        for frame in frames:
            _send(ws, frame)
            answer = ws.receive_json()
            assert answer["type"] in ("ack", "error"), answer
        message_id = new_id()
        ws.send_json({"type": "message", "id": message_id, "text": "still here"})
        answer = ws.receive_json()
        while answer.get("id") != message_id:  # replies to earlier frames may come first
            answer = ws.receive_json()
        assert answer["type"] == "ack"


@hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(first=_frames)
def test_a_socket_hello_of_any_shape_is_refused_with_a_code(app, settings, first) -> None:
    from starlette.websockets import WebSocketDisconnect

    for path in ("/chat/ws", "/api/v1/notifications/ws"):
        with pytest.raises(WebSocketDisconnect) as closed, app.websocket_connect(path) as ws:
            _send(ws, first)
            for _ in range(3):
                ws.receive_json()
        assert closed.value.code == 4401


def test_console_socket_takes_any_frame_as_a_heartbeat(customer) -> None:
    signed_in = customer.post(
        "/console/api/login", json={"name": "li.na", "password": "pw-li-na-123"}
    )
    assert signed_in.status_code == 200
    with customer.websocket_connect("/console/ws") as ws:
        for _, (body, _type) in BODIES.items():
            ws.send_bytes(body[:100_000]) if body.startswith(b"\xff") else ws.send_text(
                body[:100_000].decode("utf-8", "replace")
            )
        assert customer.get("/console/api/me").json() == {"name": "li.na"}  # still signed in


def test_sms_gateway_and_telegram_deep_json(app) -> None:
    deep = b'{"update_id": 1, "message": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    for path, headers in (
        ("/webhooks/telegram", {SECRET_HEADER: telegram_test.SECRET}),
        ("/webhooks/sms/gateway", {"Authorization": f"Bearer {GATEWAY_TOKEN}"}),
    ):
        response = app.post(
            path, content=deep, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, response.status_code)
