"""``bot.console.live_feed``: an agent's console gets their own chats live, and a chat
passed to them as soon as it is theirs, without a database query per message of the
other conversations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from starlette.testclient import WebSocketTestSession

from tests.helpers import agent_client, ask_for_human, beat, chat_post

STRANGERS = 20


def _until(ws: WebSocketTestSession, conversation: str, text: str) -> list[dict[str, Any]]:
    """Frames up to the one carrying ``text`` in ``conversation``."""
    frames: list[dict[str, Any]] = []
    while True:
        frame = ws.receive_json()
        frames.append(frame)
        if frame.get("conversation_id") == conversation and frame.get("text") == text:
            return frames


def test_own_chats_live_and_no_query_per_message_of_others(customer, settings, app_db) -> None:
    beat(settings, "li.na", "wang.wei")
    mine, _ = ask_for_human(customer, "visitor-mine")
    li = agent_client(settings, "li.na", "pw-li-na-123")
    wang = agent_client(settings, "wang.wei", "pw-wang-wei-123")
    [item] = li.get("/console/api/queue").json()
    url = f"/console/api/handoffs/{item['handoff_id']}"
    lookups: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if "handoffs.agent" in statement and "conversations.public_id" in statement:
            lookups.append(statement)

    engine = li.app.state.services.db.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert li.post(f"{url}/accept").status_code == 200
        with (
            li.websocket_connect("/console/ws") as li_ws,
            wang.websocket_connect("/console/ws") as wang_ws,
        ):
            before = len(lookups)
            for n in range(STRANGERS):
                chat_post(customer, f"visitor-other-{n}", "你好")
            chat_post(customer, "visitor-mine", "还在吗")
            frames = _until(li_ws, mine, "还在吗")
            chats = {f["conversation_id"] for f in frames if "conversation_id" in f}
            assert chats == {mine}  # nobody else's conversation reached this console
            # 21 conversations' messages passed the feed: the database was asked about
            # the agent's own chat, not about each of the others.
            assert len(lookups) - before <= 3, lookups[before:]

            # Passed on to a colleague: his console has it at once, from the next message.
            assert (
                li.post(f"{url}/transfer", json={"to": "wang.wei", "note": "交接"}).status_code
                == 200
            )
            chat_post(customer, "visitor-mine", "换人了吗")
            assert _until(wang_ws, mine, "换人了吗")
    finally:
        event.remove(engine, "before_cursor_execute", count)
        for client in (li, wang):
            client.__exit__(None, None, None)
