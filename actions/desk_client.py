"""Client for the service desk's internal API (bot/), authenticated with the service
token. It answers with small typed objects (dataclasses: the Rasa environment pins
pydantic 1.10), and raises ``DeskError`` whenever the desk cannot be reached or answers
something else than it promises."""

from __future__ import annotations

import os
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class OpenedTicket:
    number: str
    priority: str
    first_response_due_display: str
    resolution_due_display: str
    reused: bool = False  # the request was added to this open ticket
    query_code: bool = False  # the reply tells the ticket's query code (a marker for it)


@dataclass(frozen=True, slots=True)
class TicketStatus:
    """What the customer is told about their ticket, in both languages."""

    number: str
    summary_zh: str
    summary_en: str


@dataclass(frozen=True, slots=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class KbChoice:
    number: int
    key: str
    question: str


@dataclass(frozen=True, slots=True)
class KbMatch:
    decision: str  # answered | suggested | unanswered
    key: str | None = None
    answer: str | None = None
    choices: tuple[KbChoice, ...] = ()


@dataclass(frozen=True, slots=True)
class Handoff:
    queued: bool
    position: int = 0
    wait_minutes: int = 0
    back_at_display: str | None = None  # when the next shift starts, with nobody on shift
    callback_asked: bool = False  # ask the customer for a call-back number


NOT_QUEUED = Handoff(queued=False)


def _field(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise DeskError(f"the desk's answer has no {name!r}")
    return body[name]


def _opened(body: dict[str, Any]) -> OpenedTicket:
    return OpenedTicket(
        number=str(_field(body, "number")),
        priority=str(_field(body, "priority")),
        first_response_due_display=str(_field(body, "first_response_due_display")),
        resolution_due_display=str(_field(body, "resolution_due_display")),
        reused=bool(body.get("reused")),
        query_code=bool(body.get("query_code")),
    )


def _status(body: dict[str, Any]) -> TicketStatus:
    summary = _field(body, "summary")
    if not isinstance(summary, dict):
        raise DeskError("the ticket's summary is not a pair of texts")
    return TicketStatus(
        number=str(_field(body, "number")),
        summary_zh=str(_field(summary, "zh")),
        summary_en=str(_field(summary, "en")),
    )


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
        reuse: str | None = None,
    ) -> OpenedTicket:
        status, body = await self._request(
            "POST",
            "/api/v1/internal/tickets",
            json={
                "conversation_id": conversation_id,
                "category": category,
                "subcategory": subcategory,
                "description": description,
                "idempotency_key": idempotency_key,
                "reuse": reuse,
            },
        )
        if status not in (200, 201):
            raise DeskError(f"open_ticket answered {status}")
        return _opened(body)

    async def add_to_ticket(self, conversation_id: str, text: str) -> TicketStatus | None:
        """Add the words to the conversation's recent open ticket; None when it has none."""
        status, body = await self._request(
            "POST",
            f"/api/v1/internal/conversations/{conversation_id}/additions",
            json={"text": text},
        )
        if status == 404:
            return None
        if status != 200:
            raise DeskError(f"add_to_ticket answered {status}")
        return _status(body)

    async def open_tickets(self, conversation_id: str) -> tuple[TicketStatus, ...]:
        """The open tickets the customer may be told about without naming one."""
        status, body = await self._request(
            "GET", f"/api/v1/internal/conversations/{conversation_id}/tickets"
        )
        if status != 200:
            raise DeskError(f"open_tickets answered {status}")
        tickets = _field(body, "tickets")
        if not isinstance(tickets, list):
            raise DeskError("the desk's tickets are not a list")
        return tuple(_status(t) for t in tickets if isinstance(t, dict))

    async def ticket_status(self, conversation_id: str, number: str) -> TicketStatus:
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
        return _status(body)

    async def start_identity_check(self, conversation_id: str, number: str) -> Bilingual:
        """Begin an SMS one-time-code check; returns what to tell the customer."""
        status, body = await self._request(
            "POST",
            "/api/v1/internal/identity/checks",
            json={"conversation_id": conversation_id, "ticket_number": number},
        )
        if status != 200:
            raise DeskError(f"start_identity_check answered {status}")
        return Bilingual(str(_field(body, "zh")), str(_field(body, "en")))

    async def kb_match(self, conversation_id: str, text: str, language: str) -> KbMatch:
        """The knowledge base's decision on a question: answered, suggested or unanswered."""
        status, body = await self._request(
            "POST",
            "/api/v1/internal/kb/match",
            json={"conversation_id": conversation_id, "text": text, "language": language},
        )
        if status != 200:
            raise DeskError(f"kb_match answered {status}")
        choices = body.get("choices") or []
        return KbMatch(
            decision=str(_field(body, "decision")),
            key=body.get("key"),
            answer=body.get("answer"),
            choices=tuple(
                KbChoice(int(c["number"]), str(c["key"]), str(c["question"]))
                for c in choices
                if isinstance(c, dict)
            ),
        )

    async def request_handoff(
        self, conversation_id: str, ticket_number: str | None, reason: str
    ) -> Handoff:
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
        if not _field(body, "queued"):
            return Handoff(
                queued=False,
                back_at_display=body.get("back_at_display"),
                callback_asked=bool(body.get("callback_asked")),
            )
        return Handoff(True, int(_field(body, "position")), int(body.get("wait_minutes") or 0))
