"""Web chat: the /chat page, its sessions, its WebSocket, an HTTP way in, and delivery
back to the page.

The page opens a session (``channels.webchat_sessions``) and keeps its token, so a
reload or reconnect resumes the same conversation until the customer ends the chat or
the session lapses. Every frame the page sends is validated here and turned into an
``InboundMessage``; replies travel over Redis pub/sub, so any replica can deliver to any
socket, and the history is replayed from the database on connect.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from bot.core.bounded import CLOSE_SECONDS, within
from bot.core.live_events import LiveEvents
from bot.core.rate_limit import RETRY_AFTER_S, LimitUnavailable, RateLimit
from bot.pipeline.messages import DeliveryError, InboundMessage, InvalidInput, OutboundMessage
from bot.pipeline.port import ChannelPort
from channels.webchat_sessions import HEADER, ChatSessions, SessionUnavailable

CHANNEL = "webchat"
HISTORY_LIMIT = 200
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
HELLO_TIMEOUT_S = 10.0
TYPING_EVERY_S = 0.5
ENDED_TEXT = "[客户结束了会话 / the customer ended the chat]"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

log = logging.getLogger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "webchat_assets"))
router = APIRouter()


def parse_frame(visitor_id: str, raw: Any, max_chars: int) -> InboundMessage:
    """Validate one message from the page and normalise it. Raises InvalidInput."""
    if not isinstance(raw, dict):
        raise InvalidInput("bad_json", "消息格式错误 / the message must be a JSON object")
    unknown = set(raw) - {"type", "id", "text", "lang"}
    if unknown:
        raise InvalidInput(
            "unknown_field", f"未知字段 / unknown fields: {', '.join(sorted(unknown))}"
        )
    if raw.get("type", "message") != "message":
        raise InvalidInput("bad_type", "不支持的消息类型 / unsupported message type")
    message_id, text, chosen = raw.get("id"), raw.get("text"), raw.get("lang")
    if chosen is not None and chosen not in ("zh", "en"):
        raise InvalidInput("bad_lang", "语言只能是 zh 或 en / lang must be zh or en")
    if not isinstance(message_id, str) or not _ID.match(message_id):
        raise InvalidInput("bad_id", "消息编号无效 / id must be 8-64 letters, digits, - or _")
    if not isinstance(text, str):
        raise InvalidInput("bad_text", "消息内容必须是文字 / text must be a string")
    text = _CONTROL.sub("", text).strip()
    if not text:
        raise InvalidInput("empty", "消息不能为空 / the message is empty")
    if len(text) > max_chars:
        raise InvalidInput(
            "too_long",
            f"消息过长，请少于 {max_chars} 字 / the message is over {max_chars} characters",
        )
    return InboundMessage(
        channel=CHANNEL,
        provider_msg_id=message_id,
        sender=visitor_id,
        text=text,
        received_at=datetime.now(UTC),
        # the language the customer chose with the page's switch, if they did
        language_hint=chosen,
    )


class WebchatSender:
    """Delivers a stored reply to whichever replica holds the visitor's socket."""

    channel = CHANNEL

    def __init__(self, events: LiveEvents) -> None:
        self._events = events

    async def send(self, message: OutboundMessage) -> str | None:
        try:
            await self._events.publish(message.conversation_public_id, frame_of(message))
        except Exception as exc:
            raise DeliveryError(type(exc).__name__) from exc
        return None


def frame_of(message: OutboundMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "id": message.message_id,
        "sender": message.sender,
        "text": message.text,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "at": message.created_at.isoformat(),
        "agent_name": message.author,
    }


async def history(port: ChannelPort, visitor_id: str) -> tuple[str | None, list[dict[str, Any]]]:
    """The conversation id and its last messages, oldest first, as page frames."""
    public_id, messages = await port.recent_messages(CHANNEL, visitor_id, HISTORY_LIMIT)
    return public_id, [
        {
            "type": "message",
            "id": m.id,
            "client_id": m.provider_msg_id if m.direction == "in" else None,
            "sender": m.sender,
            "text": m.text,
            "buttons": [{"title": b.title, "payload": b.payload} for b in m.buttons],
            "at": m.created_at.isoformat(),
            "agent_name": m.author,
        }
        for m in messages
    ]


class TooFast(Exception):
    def __init__(self, wait_s: int) -> None:
        super().__init__(f"rate limited for {wait_s} s")
        self.wait_s = wait_s


TOO_FAST = "您发送得太快了，请稍后重发 / you are sending too fast, please resend shortly"
BUSY = "系统繁忙，请稍后重发 / we cannot take messages right now, please resend shortly"
TOO_DEEP = "请求嵌套过深 / the message is nested too deeply"
EXPIRED = "会话已结束或已过期，请重新开始对话 / this chat has ended or expired, please start again"
NO_SESSION = HTTPException(
    401, {"code": "session_expired", "message": EXPIRED}, {"WWW-Authenticate": HEADER}
)
UNAVAILABLE = HTTPException(
    503, {"code": "unavailable", "message": BUSY}, {"Retry-After": str(RETRY_AFTER_S)}
)


async def _check_rate(port: ChannelPort, visitor_id: str, address: str | None) -> None:
    """Too many messages from one visitor or one address in a minute: refused, not
    stored (the page keeps the message and resends it after ``wait_s``)."""
    settings = port.settings
    redis, prefix = port.events.redis, settings.redis_prefix
    for limit, who in (
        (RateLimit(redis, prefix, "webchat-visitor", settings.webchat_per_visitor, 60), visitor_id),
        (
            RateLimit(redis, prefix, "webchat-address", settings.webchat_per_address, 60),
            address or "-",
        ),
    ):
        wait = await limit.wait_s(who)
        if wait:
            raise TooFast(wait)


async def _accept(
    port: ChannelPort, visitor_id: str, raw: Any, address: str | None = None
) -> dict[str, Any]:
    inbound = parse_frame(visitor_id, raw, port.settings.max_message_chars)
    await _check_rate(port, inbound.sender, address)
    accepted = await port.store(inbound)
    return {
        "type": "ack",
        "id": inbound.provider_msg_id,
        "message_id": accepted.message_id,
        "conversation_id": accepted.conversation_public_id,
        "duplicate": accepted.duplicate,
    }


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
async def chat_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "chat.html", {})


@router.post("/chat/session", status_code=status.HTTP_201_CREATED, tags=["webchat"])
async def open_session(request: Request) -> dict[str, Any]:
    """A new chat: the session token the page sends with everything from now on."""
    port: ChannelPort = request.app.state.services
    settings = port.settings
    limit = RateLimit(
        port.events.redis,
        settings.redis_prefix,
        "webchat-session-address",
        settings.webchat_sessions_per_address,
        60,
    )
    try:
        wait = await limit.wait_s(request.client.host if request.client else "-")
        if wait:
            raise HTTPException(
                429, {"code": "rate_limited", "message": TOO_FAST}, {"Retry-After": str(wait)}
            )
        session = await ChatSessions(port.events, settings).open()
    except (LimitUnavailable, SessionUnavailable) as exc:
        raise UNAVAILABLE from exc
    return {
        "session": session.token,
        "idle_minutes": settings.webchat_idle_minutes,
        "expires_at": datetime.fromtimestamp(session.ends_at, UTC).isoformat(),
    }


@router.delete("/chat/session", status_code=status.HTTP_204_NO_CONTENT, tags=["webchat"])
async def end_session(request: Request) -> Response:
    """End chat: this device forgets the conversation; staff see that the customer left."""
    port: ChannelPort = request.app.state.services
    try:
        visitor = await ChatSessions(port.events, port.settings).end(request.headers.get(HEADER))
    except SessionUnavailable as exc:
        raise UNAVAILABLE from exc
    if visitor is not None:
        await _record_end(port, visitor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _record_end(port: ChannelPort, visitor: str) -> None:
    public_id, _ = await port.recent_messages(CHANNEL, visitor, 1)
    if public_id is None:
        return  # nothing was said: nothing to record
    ended = InboundMessage(
        channel=CHANNEL,
        provider_msg_id=f"ended-{visitor}",
        sender=visitor,
        text=ENDED_TEXT,
        received_at=datetime.now(UTC),
        kind="event:chat_ended",
    )
    await port.store(ended)
    await port.events.publish(public_id, {"type": "ended", "reason": "ended"})


@router.post("/webhooks/webchat", status_code=status.HTTP_202_ACCEPTED, tags=["webchat"])
async def webchat_post(request: Request) -> dict[str, Any]:
    """HTTP way in for web chat (and for load tests): the session in ``X-Chat-Session``;
    stored before it is acknowledged."""
    port: ChannelPort = request.app.state.services
    try:
        body = await request.json()  # too deeply nested: RecursionError, answered 400 by the app
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, "请求体不是合法的 JSON / body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "请求体必须是 JSON 对象 / body must be a JSON object")
    try:
        visitor = await ChatSessions(port.events, port.settings).visitor_of(
            request.headers.get(HEADER)
        )
    except SessionUnavailable as exc:
        raise UNAVAILABLE from exc
    if visitor is None:
        raise NO_SESSION
    address = request.client.host if request.client else None
    try:
        return await _accept(port, visitor, body, address)
    except InvalidInput as exc:
        raise HTTPException(422, {"code": exc.code, "message": exc.message}) from exc
    except TooFast as exc:
        raise HTTPException(
            429, {"code": "rate_limited", "message": TOO_FAST}, {"Retry-After": str(exc.wait_s)}
        ) from exc
    except LimitUnavailable as exc:
        raise UNAVAILABLE from exc


@router.websocket("/chat/ws")
async def chat_socket(websocket: WebSocket) -> None:
    """The page's socket. Its first frame is ``{"type": "hello", "session": token}``;
    then the history, then live replies both ways until the session ends or lapses."""
    port: ChannelPort = websocket.app.state.services
    sessions = ChatSessions(port.events, port.settings)
    await websocket.accept()
    token = await _hello(websocket)
    try:
        visitor = await sessions.visitor_of(token) if token else None
    except SessionUnavailable:
        await _refuse(websocket, 1013, "unavailable", BUSY)
        return
    if visitor is None:
        await _refuse(websocket, 4401, "session_expired", EXPIRED)
        return
    conversation = await port.open_conversation(CHANNEL, visitor)
    activity = _Activity(sessions, token or "")
    # Subscribe before reading history so no reply falls between the two.
    async with port.events.subscribe(conversation) as live:
        _, frames = await history(port, visitor)
        await websocket.send_json({"type": "history", "messages": frames})
        pump = asyncio.create_task(_pump(websocket, live, activity))
        watch = asyncio.create_task(_watch(websocket, activity))
        typed_at = 0.0
        try:
            while True:
                event = await websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                raw_text = event.get("text")
                if raw_text is None:
                    await _send_error(websocket, "binary", "只接受文字消息 / text frames only")
                    continue
                try:
                    raw = json.loads(raw_text)
                except RecursionError:
                    await _send_error(websocket, "too_deep", TOO_DEEP)
                    continue
                except ValueError:
                    await _send_error(websocket, "bad_json", "消息格式错误 / not valid JSON")
                    continue
                if isinstance(raw, dict) and raw.get("type") == "typing":
                    # shown to the agent who has the chat; at most one sign a second
                    if time.monotonic() - typed_at >= TYPING_EVERY_S:
                        typed_at = time.monotonic()
                        await port.events.publish(
                            conversation, {"type": "typing", "sender": "customer"}
                        )
                    continue
                typed_at = 0.0  # a message sent: the next typing is news again
                await activity.touch()
                address = websocket.client.host if websocket.client else None
                await _accept_or_error(websocket, port, visitor, raw, address)
        except WebSocketDisconnect:
            pass
        finally:
            for task in (pump, watch):
                task.cancel()
                await within("stopping a chat's live feed", task, CLOSE_SECONDS)


async def _refuse(websocket: WebSocket, code: int, reason: str, message: str) -> None:
    with suppress(WebSocketDisconnect, RuntimeError):  # unless the page has gone already
        await _send_error(websocket, reason, message)
        await websocket.close(code=code, reason=reason)


async def _hello(websocket: WebSocket) -> str | None:
    """The session token from the first frame (within ``HELLO_TIMEOUT_S``), or None."""
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_S)
        frame = json.loads(raw)
    except (TimeoutError, ValueError, RecursionError, KeyError, WebSocketDisconnect):
        return None
    if not isinstance(frame, dict) or frame.get("type") != "hello":
        return None
    token = frame.get("session")
    return token if isinstance(token, str) else None


class _Activity:
    """A socket's activity keeps its session alive: a message sent or delivered starts
    the idle clock again (at most one Redis call a minute)."""

    def __init__(self, sessions: ChatSessions, token: str) -> None:
        self.sessions, self.token = sessions, token
        self._touched = time.monotonic()
        self.every_s = min(60.0, sessions.idle_s / 4)

    async def touch(self) -> None:
        if time.monotonic() - self._touched >= self.every_s:
            self._touched = time.monotonic()
            await self.sessions.visitor_of(self.token)

    async def alive(self) -> bool:
        return await self.sessions.visitor_of(self.token, touch=False) is not None


async def _watch(websocket: WebSocket, activity: _Activity) -> None:
    """Close the socket when its session has lapsed or was ended elsewhere."""
    while True:
        await asyncio.sleep(activity.every_s)
        try:
            alive = await activity.alive()
        except SessionUnavailable:
            continue  # cannot tell now; ask again next time
        if not alive:
            await websocket.send_json({"type": "ended", "reason": "expired"})
            await websocket.close(code=4401, reason="session expired")
            return


async def _send_error(websocket: WebSocket, code: str, message: str) -> None:
    await websocket.send_json({"type": "error", "code": code, "message": message})


async def _accept_or_error(
    websocket: WebSocket, port: ChannelPort, visitor_id: str, raw: Any, address: str | None
) -> None:
    try:
        ack = await _accept(port, visitor_id, raw, address)
    except InvalidInput as exc:
        await _send_error(websocket, exc.code, exc.message)
        return
    except TooFast as exc:
        await websocket.send_json(
            {
                "type": "error",
                "code": "rate_limited",
                "message": TOO_FAST,
                "retry_after": exc.wait_s,
                "id": raw.get("id") if isinstance(raw, dict) else None,
            }
        )
        return
    except LimitUnavailable:
        await websocket.send_json(
            {
                "type": "error",
                "code": "unavailable",
                "message": BUSY,
                "retry_after": RETRY_AFTER_S,
                "id": raw.get("id") if isinstance(raw, dict) else None,
            }
        )
        return
    except Exception:
        log.exception("could not store a web chat message")
        await websocket.send_json(
            {
                "type": "error",
                "code": "unavailable",
                "message": "服务暂时不可用，请稍后重发 / service unavailable, please resend",
                "id": raw.get("id") if isinstance(raw, dict) else None,
            }
        )
        return
    await websocket.send_json(ack)


async def _pump(websocket: WebSocket, live: Any, activity: _Activity) -> None:
    async for frame in live:
        await websocket.send_json(frame)
        if frame.get("type") == "ended":
            await websocket.close(code=4401, reason="chat ended")
            return
        try:
            await activity.touch()
        except SessionUnavailable:
            pass
