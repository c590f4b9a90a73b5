"""HTTP client for the Rasa server (REST channel plus the tracker for intent and confidence)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from channels.base import Button


class RasaUnavailable(Exception):
    """Rasa did not answer usefully; the inbox will retry."""


@dataclass(frozen=True, slots=True)
class BotReply:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True, slots=True)
class BotTurn:
    replies: tuple[BotReply, ...]
    intent: str | None
    confidence: float | None


def _parse_replies(payload: Any) -> tuple[BotReply, ...]:
    if not isinstance(payload, list):
        raise RasaUnavailable("unexpected reply shape from Rasa")
    replies: list[BotReply] = []
    for item in payload:
        if not isinstance(item, dict):
            continue
        text = str(item.get("text") or "")
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict)
        )
        if text or buttons:
            replies.append(BotReply(text=text, buttons=buttons))
    return tuple(replies)


@dataclass
class RasaStats:
    """Turns asked of Rasa by this process, for /metrics."""

    calls: int = 0
    failures: int = 0
    seconds: float = 0.0


class RasaClient:
    """Asks one Rasa server, or several in turn (``base_url`` comma-separated; they share
    the Redis tracker and lock store, so any of them can take any turn). A server that
    refuses the connection is skipped for the next; a turn that may have reached a
    server is never sent to a second one."""

    def __init__(self, base_url: str, token: str, timeout_s: float) -> None:
        self.stats = RasaStats()
        self._token = token
        urls = [url.strip().rstrip("/") for url in base_url.split(",") if url.strip()]
        if not urls:
            raise ValueError("RASA_URL names no server")
        self._servers = [httpx.AsyncClient(base_url=url, timeout=timeout_s) for url in urls]
        self._next = 0

    def _in_turn(self) -> list[httpx.AsyncClient]:
        """Every server, starting with the next one in the rotation."""
        start = self._next % len(self._servers)
        self._next += 1
        return self._servers[start:] + self._servers[:start]

    def _params(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}

    async def handle(self, sender_id: str, text: str, metadata: dict[str, Any]) -> BotTurn:
        started = time.monotonic()
        try:
            return await self._handle(sender_id, text, metadata)
        except RasaUnavailable:
            self.stats.failures += 1
            raise
        finally:
            self.stats.calls += 1
            self.stats.seconds += time.monotonic() - started

    async def _handle(self, sender_id: str, text: str, metadata: dict[str, Any]) -> BotTurn:
        servers = self._in_turn()
        for index, server in enumerate(servers):
            try:
                return await self._turn(server, sender_id, text, metadata)
            except httpx.ConnectError as exc:  # never reached it: the next may take the turn
                if index == len(servers) - 1:
                    raise RasaUnavailable(type(exc).__name__) from exc
        raise AssertionError("unreachable")

    async def _turn(
        self, server: httpx.AsyncClient, sender_id: str, text: str, metadata: dict[str, Any]
    ) -> BotTurn:
        try:
            response = await server.post(
                "/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
        except httpx.ConnectError:
            raise  # the turn never reached this server
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        try:
            response.raise_for_status()
            replies = _parse_replies(response.json())
            if not replies:
                # Every turn of this assistant says something; silence means a custom
                # action failed (action server or desk down). Retry rather than go quiet.
                raise RasaUnavailable("empty reply")
            tracker = await server.get(
                f"/conversations/{sender_id}/tracker",
                params={"include_events": "NONE", **self._params()},
            )
            tracker.raise_for_status()
            intent = (tracker.json().get("latest_message") or {}).get("intent") or {}
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        name = intent.get("name")
        confidence = intent.get("confidence")
        return BotTurn(
            replies=replies,
            intent=str(name) if name else None,
            confidence=float(confidence) if confidence is not None else None,
        )

    async def ready(self) -> bool:
        """At least one server answers (with one down the others take every turn)."""
        for server in self._servers:
            try:
                response = await server.get("/")
            except httpx.HTTPError:
                continue
            if response.status_code == 200:
                return True
        return False

    async def close(self) -> None:
        for server in self._servers:
            await server.aclose()
