"""Two Rasa servers share the dialogue state in Redis: a form begun on one is finished
on the other, as the service's round-robin client sends consecutive turns."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from fakes.processes import wait_for
from launcher.stack import Stack
from tests.helpers import SESSION_HEADER, open_chat

pytestmark = pytest.mark.e2e


def _answered(stack: Stack, conversation: str) -> bool:
    tracker = httpx.get(
        f"{stack.rasa_urls[0]}/conversations/{conversation}/tracker",
        params={"token": stack.config.rasa_token},
        timeout=10,
    ).json()
    return (tracker.get("latest_message") or {}).get("text") == "你好" and any(
        e.get("event") == "bot" for e in tracker.get("events") or []
    )


def _turn(url: str, sender: str, text: str) -> str:
    response = httpx.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": {"language": "zh"}},
        timeout=60,
    )
    response.raise_for_status()
    return " ".join(str(item.get("text", "")) for item in response.json())


def test_a_form_begun_on_one_rasa_server_is_finished_on_the_other(stack: Stack) -> None:
    first, second = stack.rasa_urls
    ack = httpx.post(
        f"{stack.service_url}/webhooks/webchat",
        json={"id": f"m-{uuid.uuid4().hex[:12]}", "text": "你好"},
        headers={SESSION_HEADER: open_chat(httpx, stack.service_url)},
        timeout=10,
    )
    assert ack.status_code == 202
    sender = ack.json()["conversation_id"]  # a conversation the desk knows, for its ticket
    wait_for(lambda: _answered(stack, sender), timeout=60)
    asked = _turn(first, sender, "我要投诉")
    assert "描述" in asked  # the ticket form asks for the details
    opened = _turn(second, sender, "昨天在中关村支行排队两个小时没有人办理业务")
    assert re.search(r"AX\d{11}", opened), opened  # the second server knew the form
