"""Provider webhooks go past FastAPI's routing, with the same answers as through it."""

from __future__ import annotations

from typing import Any

from bot.web.fast_path import WebhookFastPath, fast_endpoints
from channels import registry
from tests.helpers import chat_headers, new_id


def _fast_path(client: Any) -> WebhookFastPath:
    layer = client.app.middleware_stack
    while not isinstance(layer, WebhookFastPath):
        layer = layer.app
    return layer


def test_every_provider_webhook_post_takes_the_fast_path() -> None:
    paths = set(fast_endpoints(r for router in registry.ROUTERS for r in router.routes))
    assert {
        "/webhooks/wechat",
        "/webhooks/wecom",
        "/webhooks/webchat",
        "/webhooks/telegram",
        "/webhooks/sms",
        "/webhooks/sms/gateway",
        "/chat/session",
    } <= paths
    assert not any(path.startswith("/api/") or path == "/chat" for path in paths)


def test_fast_path_answers_as_the_route_declares(customer) -> None:
    fast = _fast_path(customer)
    headers = chat_headers(customer, "visitor-fastpath1")
    before = fast.served
    body = {"id": new_id(), "text": "你好"}
    accepted = customer.post("/webhooks/webchat", json=body, headers=headers)
    assert accepted.status_code == 202 and accepted.json()["duplicate"] is False
    assert accepted.headers["x-content-type-options"] == "nosniff"  # headers still added
    refused = customer.post("/webhooks/webchat", content=b"\xff garbage")
    assert refused.status_code == 400 and "detail" in refused.json()
    too_large = customer.post("/webhooks/webchat", content=b"x" * (2 * 1024 * 1024))
    assert too_large.status_code == 413  # the size limit still comes first
    assert fast.served == before + 2  # the refused-as-too-large never reached it
    # Not a webhook POST: on to the router as before.
    assert customer.get("/webhooks/webchat").status_code == 405
    assert customer.get("/healthz").status_code == 200
    assert fast.served == before + 2
    opened = customer.post("/chat/session")  # a new chat's session goes the same way
    assert opened.status_code == 201 and opened.json()["session"]
    assert opened.headers["x-content-type-options"] == "nosniff"
    assert fast.served == before + 3
