"""Web-chat sessions: what stands between a browser and a conversation.

``POST /chat/session`` opens one: a new visitor (the conversation's identity, which the
page never learns) and a session token — 256 random bits and an HMAC of them, so a
forged token is refused without a lookup. Redis keeps only the token's SHA-256, mapped
to the visitor and the session's absolute end. The session lapses after
``ANXIN_WEBCHAT_IDLE_MINUTES`` (30) with no message sent or delivered and no socket
opened, and at the latest ``ANXIN_WEBCHAT_SESSION_HOURS`` (12) after it began. "End
chat" deletes it at once: the device can no longer read or write that conversation.

The page keeps the token in its own storage and sends it as the ``X-Chat-Session``
header (HTTP) or in the first WebSocket frame — never in a URL, so it is not in any
access log. A header is not sent by the browser on its own, so another site cannot
ride on it (no CSRF, no cross-site WebSocket hijacking); and it works where a bank
embeds the chat in its own site, where browsers withhold third-party cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from redis.exceptions import RedisError

from bot.core.config import Settings
from bot.core.live_events import LiveEvents

HEADER = "X-Chat-Session"
log = logging.getLogger(__name__)


class SessionUnavailable(Exception):
    """Redis could not be asked: the request is refused for now (503), not let through."""


@dataclass(frozen=True)
class ChatSession:
    token: str
    visitor: str
    ends_at: float  # epoch seconds: the absolute end


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@lru_cache(maxsize=4)
def _signing_key(data_key: str, service_token: str) -> bytes:
    """Derived once per process (every web-chat request builds a ``ChatSessions``)."""
    return hashlib.sha256(
        b"anxin-webchat-session\0" + data_key.encode() + b"\0" + service_token.encode()
    ).digest()


class ChatSessions:
    def __init__(self, events: LiveEvents, settings: Settings) -> None:
        self._events = events
        self._prefix = f"{settings.redis_prefix}:chat-session:"
        self.idle_s = max(1, round(settings.webchat_idle_minutes * 60))
        self.max_age_s = max(1, round(settings.webchat_session_hours * 3600))
        self._key = _signing_key(settings.data_key, settings.service_token)

    def _mac(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()[:16])

    def _redis_key(self, token: str) -> str:
        return self._prefix + hashlib.sha256(token.encode()).hexdigest()

    def _well_formed(self, token: str | None) -> bool:
        if not token or len(token) > 128 or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(self._mac(nonce), mac)

    async def open(self) -> ChatSession:
        nonce = _b64(secrets.token_bytes(32))
        token = f"{nonce}.{self._mac(nonce)}"
        visitor = "w-" + _b64(secrets.token_bytes(18))
        ends_at = time.time() + self.max_age_s
        try:
            await self._events.commands.call(
                "SET", self._redis_key(token), f"{visitor}|{ends_at:.0f}", "EX", self.idle_s
            )
        except (RedisError, OSError) as exc:
            raise SessionUnavailable(type(exc).__name__) from exc
        return ChatSession(token, visitor, ends_at)

    async def visitor_of(self, token: str | None, *, touch: bool = True) -> str | None:
        """The session's visitor, or None when the token is forged, ended or lapsed.
        ``touch``: this is activity, the idle clock starts again."""
        if not self._well_formed(token):
            return None
        assert token is not None
        key = self._redis_key(token)
        command = ("GETEX", key, "EX", self.idle_s) if touch else ("GET", key)
        try:
            value = await self._events.commands.call(*command)
        except (RedisError, OSError) as exc:
            raise SessionUnavailable(type(exc).__name__) from exc
        if not value:
            return None
        visitor, _, ends_at = str(value).partition("|")
        if time.time() >= float(ends_at or 0):
            await self.end(token)
            return None
        return visitor

    async def end(self, token: str | None) -> str | None:
        """Forget the session; returns its visitor if it was alive."""
        if not self._well_formed(token):
            return None
        assert token is not None
        key = self._redis_key(token)
        try:
            value = await self._events.commands.call("GETDEL", key)
        except (RedisError, OSError) as exc:
            raise SessionUnavailable(type(exc).__name__) from exc
        return str(value).partition("|")[0] if value else None
