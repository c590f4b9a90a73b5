"""Shared set-up for the handoff tests: two agents, a customer, presence, a 转人工."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.accounts import add_user
from bot.app import create_app
from bot.db import Database
from bot.handoff.presence import Presence
from bot.models import Message
from tests.conftest import SERVICE_TOKEN
from tests.helpers import new_id

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


@pytest.fixture
def app_db(settings):
    db = Database(settings.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    add_user(db, "wang.wei", "agent", "pw-wang-wei-123")
    yield db
    db.dispose()


@pytest.fixture
def customer(settings, app_db):
    with TestClient(create_app(settings)) as c:
        yield c


def agent_client(settings, name: str, password: str) -> TestClient:
    client = TestClient(create_app(settings))
    client.__enter__()
    assert (
        client.post("/console/api/login", json={"name": name, "password": password}).status_code
        == 200
    )
    return client


def beat(settings, *agents: str) -> None:
    async def go() -> None:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        for agent in agents:
            await Presence(redis, settings.redis_prefix).beat(agent)
        await redis.aclose()

    asyncio.run(go())


def ask_for_human(customer, visitor: str = "visitor-handoff") -> tuple[str, dict]:
    ack = customer.post(
        "/webhooks/webchat",
        json={"visitor_id": visitor, "id": new_id(), "text": "转人工"},
    )
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
