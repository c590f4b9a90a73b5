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
    def __init__(self, base_url: str, token: str, timeout_s: float) -> None:
        self.stats = RasaStats()
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)

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
        try:
            response = await self._http.post(
                "/webhooks/rest/webhook",
                json={"sender": sender_id, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
            replies = _parse_replies(response.json())
            if not replies:
                # Every turn of this assistant says something; silence means a custom
                # action failed (action server or desk down). Retry rather than go quiet.
                raise RasaUnavailable("empty reply")
            tracker = await self._http.get(
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
        try:
            response = await self._http.get("/")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def close(self) -> None:
        await self._http.aclose()
