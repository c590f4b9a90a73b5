"""Helpers for tests that drive the ASGI app."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient, WebSocketTestSession

from bot.core.models import Conversation, Message
from bot.handoff.presence import Presence
from bot.web.app import create_app
from fakes.processes import free_port, start_service, stop_service
from tests.conftest import SERVICE_TOKEN


def app_routes(app: Any) -> list[Any]:
    """Every HTTP route of the app with its full path and dependencies, through FastAPI's
    included routers (``.path``, ``.methods``, ``.dependencies``, ``.original_route``)."""
    found: list[Any] = []
    for route in app.routes:
        contexts = (
            route.effective_route_contexts()
            if hasattr(route, "effective_route_contexts")
            else [route]
        )
        found.extend(c for c in contexts if getattr(c, "methods", None))
    return found


def new_id() -> str:
    return uuid.uuid4().hex


def receive_until(
    ws: WebSocketTestSession, predicate: Callable[[dict[str, Any]], bool], limit: int = 20
) -> dict[str, Any]:
    """Read frames until one matches (the worker replies asynchronously)."""
    for _ in range(limit):
        frame = ws.receive_json()
        if predicate(frame):
            return frame
    raise AssertionError("expected frame never arrived")


def service_env(settings: Any, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        ANXIN_REDIS_PREFIX=settings.redis_prefix,
        RASA_URL=settings.rasa_url,
        ANXIN_SERVICE_TOKEN=settings.service_token,
        ANXIN_DATA_KEY=settings.data_key,
        ANXIN_RETENTION_PURGE="false",  # tests/bot/privacy run the purge themselves
    )
    env.update(extra)
    return env


@contextmanager
def running_service(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    process = start_service(env, port, log)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_service(process)


SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def sign_in(client: Any, name: str, password: str) -> Any:
    """Sign in to the console the way its pages do: the session cookie, and the CSRF
    token sent back as a header on every later request."""
    response = client.post("/console/api/login", json={"name": name, "password": password})
    if response.status_code == 200:
        client.headers["X-CSRF-Token"] = client.cookies.get("anxin_csrf")
    return response


def sign_in_page(page: Any, url: str, name: str, password: str) -> None:
    """Sign in on the console page in a real browser, as a member of staff does."""
    page.goto(f"{url}/console")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#signin")
    page.wait_for_selector("#app", state="visible")


def agent_client(settings, name: str, password: str) -> TestClient:
    client = TestClient(create_app(settings))
    client.__enter__()
    assert sign_in(client, name, password).status_code == 200
    return client


def beat(settings, *agents: str) -> None:
    async def go() -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        for agent in agents:
            await Presence(redis, settings.redis_prefix).beat(agent)
        await redis.aclose()

    # A thread of its own: the caller may be inside a running loop (Playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, go()).result()


SESSION_HEADER = "X-Chat-Session"


def open_chat(http: Any, base_url: str = "") -> str:
    """A web-chat session token, opened as the chat page opens one."""
    response = http.post(f"{base_url}/chat/session")
    assert response.status_code == 201, response.text
    return str(response.json()["session"])


def chat_headers(client: Any, visitor: str) -> dict[str, str]:
    """The session header of ``visitor`` — a test's name for one customer's device —
    its session opened on first use and kept on ``client``."""
    sessions = client.__dict__.setdefault("_anxin_chat_sessions", {})
    if visitor not in sessions:
        sessions[visitor] = open_chat(client)
    return {SESSION_HEADER: sessions[visitor]}


def chat_post(client: Any, visitor: str, text: str, message_id: str | None = None) -> Any:
    """What the chat page sends for one message, as ``visitor``."""
    return client.post(
        "/webhooks/webchat",
        json={"id": message_id or new_id(), "text": text},
        headers=chat_headers(client, visitor),
    )


@contextmanager
def chat_socket(client: Any, visitor: str) -> Iterator[Any]:
    """The chat page's socket for ``visitor``, past its hello (the history not read)."""
    token = chat_headers(client, visitor)[SESSION_HEADER]
    with client.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "hello", "session": token})
        yield ws


def visitor_of(db: Any, conversation_public_id: str) -> str:
    """The channel identity the service gave a web-chat conversation."""
    with db.session() as session:
        found = session.scalar(
            select(Conversation.external_user_id).where(
                Conversation.public_id == conversation_public_id
            )
        )
    assert found is not None, conversation_public_id
    return str(found)


def ask_for_human(customer, visitor: str = "visitor-handoff") -> tuple[str, dict]:
    ack = chat_post(customer, visitor, "转人工")
    conversation = ack.json()["conversation_id"]
    ticket = customer.post(
        "/api/v1/internal/tickets",
        json={
            "conversation_id": conversation,
            "category": "inquiry",
            "subcategory": "human_request",
            "description": "转人工",
            "idempotency_key": new_id(),
        },
        headers=SERVICE,
    ).json()["number"]
    handoff = customer.post(
        "/api/v1/internal/handoffs",
        json={"conversation_id": conversation, "ticket_number": ticket},
        headers=SERVICE,
    )
    return conversation, handoff.json()


def texts(db, sender: str) -> list[str]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Message.text)
                .where(Message.sender == sender, Message.direction == "out")
                .order_by(Message.id)
            )
        )


def verify_identity(db: Any, conversation_public_id: str, phone: str = "+8613800001111") -> None:
    """Bind a conversation to the customer of ``phone`` as a passed SMS code would (for
    tests about what a verified customer is told; tests/bot/test_identity.py drives the
    code itself)."""
    from datetime import timedelta

    from bot.core.contact_vault import ContactVault
    from bot.core.models import Conversation, Customer, utcnow
    from tests.conftest import DATA_KEY

    vault = ContactVault(DATA_KEY, db.engine)
    pseudonym = vault.pseudonym(phone)
    with db.session() as session:
        customer = session.scalar(select(Customer).where(Customer.phone_pseudonym == pseudonym))
        if customer is None:
            customer = Customer(
                phone_pseudonym=pseudonym,
                phone_sealed=vault.seal_phone(phone, session.connection()),
                phone_tail=phone[-4:],
            )
            session.add(customer)
            session.flush()
        conversation = session.scalar(
            select(Conversation).where(Conversation.public_id == conversation_public_id)
        )
        assert conversation is not None
        conversation.customer_id = customer.id
        conversation.verified_until = utcnow() + timedelta(hours=1)


def seed_ticket(
    db: Any,
    visitor: str,
    text: str = "信用卡年费问题",
    category: str = "complaint",
    *,
    team: str | None = None,
    elapsed: float | None = None,
) -> str:
    """A ticket of web-chat ``visitor`` opened by the assistant, for ``team``;
    ``elapsed``: the share of its running clock already gone."""
    from bot.core.config import Settings
    from bot.core.models import Ticket
    from bot.pipeline.inbox import get_or_create_conversation
    from bot.tickets import clock
    from bot.tickets.service import open_ticket

    conversation = get_or_create_conversation(db, "webchat", visitor)
    view, _ = open_ticket(
        db,
        Settings(),
        conversation_public_id=conversation.public_id,
        category=category,
        subcategory=None,
        description=text,
        idempotency_key=f"{visitor}-{text}-{team}-{elapsed}",
    )
    with db.session() as session:
        row = session.scalar(select(Ticket).where(Ticket.number == view.number))
        assert row is not None
        row.team = team
        if elapsed is not None:
            span = row.first_response_due_at - row.created_at
            shift = span * elapsed
            row.created_at -= shift
            row.first_response_due_at -= shift
            row.resolution_due_at -= shift
        clock.refresh(row)
    return view.number


def Settings():
    from bot.core.config import Settings

    return Settings()
