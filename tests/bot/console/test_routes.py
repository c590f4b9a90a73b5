"""The agents' console routes: sign-in, session, status, the customer panel, canned replies."""

from __future__ import annotations

from bot.core.models import Conversation, Handoff
from tests.helpers import agent_client, ask_for_human, beat, verify_identity


def test_sign_in_is_required_and_checked(customer) -> None:
    assert customer.get("/console/api/queue").status_code == 401
    assert (
        customer.post("/console/api/login", json={"name": "li.na", "password": "wrong"}).status_code
        == 401
    )
    assert (
        customer.post("/console/api/login", json={"name": "nobody", "password": "x"}).status_code
        == 401
    )
    response = customer.post(
        "/console/api/login", json={"name": "li.na", "password": "pw-li-na-123"}
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_customer_panel_and_canned_replies(customer, settings, app_db) -> None:
    beat(settings, "li.na", "wang.wei")
    ask_for_human(customer)
    li, wang = (
        agent_client(settings, "li.na", "pw-li-na-123"),
        agent_client(settings, "wang.wei", "pw-wang-wei-123"),
    )
    try:
        [item] = li.get("/console/api/queue").json()
        li.post(f"/console/api/handoffs/{item['handoff_id']}/accept")
        panel = li.get(f"/console/api/handoffs/{item['handoff_id']}/customer").json()
        assert panel["channel"] == "webchat" and panel["tickets"][0]["number"] == item["ticket"]
        assert isinstance(panel["suggestions"], list)
        assert panel["verified"] is False and panel["phone_tail"] is None
        with app_db.session() as s:
            handoff = s.get(Handoff, item["handoff_id"])
            public_id = s.get(Conversation, handoff.conversation_id).public_id
        verify_identity(app_db, public_id, "+8613800004321")
        panel = li.get(f"/console/api/handoffs/{item['handoff_id']}/customer").json()
        assert panel["verified"] is True and panel["phone_tail"] == "4321"
        assert wang.get(f"/console/api/handoffs/{item['handoff_id']}/customer").status_code == 404
        zh = li.get("/console/api/canned").json()
        en = li.get("/console/api/canned", params={"language": "en"}).json()
        assert len(zh) == len(en) >= 5 and "您好" in zh[0]["text"] and "Hello" in en[0]["text"]
        assert customer.get("/console/api/canned").status_code == 401
    finally:
        for client in (li, wang):
            client.__exit__(None, None, None)


def test_me_status_and_logout_follow_the_session(customer, settings, app_db) -> None:
    beat(settings, "li.na")  # the console's heartbeat: on shift
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        assert li.get("/console/api/me").json() == {"name": "li.na"}
        assert li.get("/console/api/status").json()["status"] == "online"
        assert li.post("/console/api/status", json={"status": "away"}).status_code == 200
        assert li.get("/console/api/status").json()["status"] == "away"
        assert li.post("/console/api/status", json={"status": "asleep"}).status_code == 422
        assert li.post("/console/api/logout").json() == {"ok": True}
        assert li.get("/console/api/me").status_code == 401
    finally:
        li.__exit__(None, None, None)


def test_finding_8_the_console_socket_checks_the_origin(customer, settings, app_db) -> None:
    """Security finding 8: /console/ws accepted any Origin, so another site's page could
    open it with an agent's cookie."""
    import pytest
    from starlette.websockets import WebSocketDisconnect

    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        with pytest.raises(WebSocketDisconnect) as refused:
            with li.websocket_connect(
                "/console/ws", headers={"origin": "https://evil.example"}
            ) as ws:
                ws.receive_json()
        assert refused.value.code == 4403
        for origin in ("http://testserver", settings.public_url):
            with li.websocket_connect("/console/ws", headers={"origin": origin}) as ws:
                ws.send_json({"type": "ping"})  # accepted: the socket is open
    finally:
        li.__exit__(None, None, None)
