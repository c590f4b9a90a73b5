"""Client for the service desk's internal API (bot/), authenticated with the service token."""

from __future__ import annotations

import os
from typing import Any

import aiohttp


class DeskError(Exception):
    """The service desk could not be reached or refused the request."""


class IdentityRequired(Exception):
    """The customer must verify who they are before ticket details are told."""


class TicketNotFound(Exception):
    """No such ticket among this verified customer's; ``zh`` and ``en`` say so."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__("no such ticket for this customer")
        self.zh, self.en = zh, en


class DeskClient:
    def __init__(self, base_url: str | None = None, token: str | None = None) -> None:
        self.base_url = (
            base_url or os.environ.get("ANXIN_DESK_URL", "http://127.0.0.1:8000")
        ).rstrip("/")
        self.token = token if token is not None else os.environ.get("ANXIN_SERVICE_TOKEN", "")
        self.timeout = aiohttp.ClientTimeout(total=10)

    async def _request(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with aiohttp.ClientSession(timeout=self.timeout, headers=headers) as session:
                async with session.request(method, f"{self.base_url}{path}", **kwargs) as response:
                    body = await response.json(content_type=None)
                    return response.status, body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise DeskError(type(exc).__name__) from exc

    async def open_ticket(
        self,
        conversation_id: str,
        category: str,
        description: str,
        idempotency_key: str,
        subcategory: str | None = None,
    ) -> dict[str, Any]:
        status, body = await self._request(
            "POST",
            "/api/v1/internal/tickets",
            json={
                "conversation_id": conversation_id,
                "category": category,
                "subcategory": subcategory,
                "description": description,
                "idempotency_key": idempotency_key,
            },
        )
        if status not in (200, 201):
            raise DeskError(f"open_ticket answered {status}")
        return body

    async def ticket_status(self, conversation_id: str, number: str) -> dict[str, Any]:
        status, body = await self._request(
            "GET",
            f"/api/v1/internal/tickets/{number}",
            params={"conversation_id": conversation_id},
        )
        if status == 403:
            raise IdentityRequired(number)
        said = body.get("detail")
        if status == 404 and isinstance(said, dict) and {"zh", "en"} <= said.keys():
            raise TicketNotFound(str(said["zh"]), str(said["en"]))
        if status != 200:
            raise DeskError(f"ticket_status answered {status}")
        return body

    async def start_identity_check(self, conversation_id: str, number: str) -> dict[str, str]:
        """Begin an SMS one-time-code check; returns what to tell the customer (zh, en)."""
        status, body = await self._request(
            "POST",
            "/api/v1/internal/identity/checks",
            json={"conversation_id": conversation_id, "ticket_number": number},
        )
        if status != 200:
            raise DeskError(f"start_identity_check answered {status}")
        return body

    async def kb_match(self, conversation_id: str, text: str, language: str) -> dict[str, Any]:
        """The knowledge base's decision on a question: answered, suggested or unanswered."""
        status, body = await self._request(
            "POST",
            "/api/v1/internal/kb/match",
            json={"conversation_id": conversation_id, "text": text, "language": language},
        )
        if status != 200:
            raise DeskError(f"kb_match answered {status}")
        return body

    async def request_handoff(
        self, conversation_id: str, ticket_number: str | None, reason: str
    ) -> dict[str, Any]:
        status, body = await self._request(
            "POST",
            "/api/v1/internal/handoffs",
            json={
                "conversation_id": conversation_id,
                "ticket_number": ticket_number,
                "reason": reason,
            },
        )
        if status != 200:
            raise DeskError(f"request_handoff answered {status}")
        return body
