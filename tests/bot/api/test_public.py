"""Public API: API tokens, ticket and transcript reads, health, OpenAPI."""

import pytest
from starlette.testclient import TestClient

from bot.access.tokens import create_token
from bot.core.db import Database
from bot.web.app import create_app
from fakes.processes import wait_for
from tests.conftest import SERVICE_TOKEN
from tests.helpers import chat_post


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def token(settings) -> str:
    db = Database(settings.database_url)
    value = create_token(db, "reporting", ["tickets:read"])
    db.dispose()
    return value


def test_health_and_readiness(client, fake_rasa) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    # ready once the knowledge base is indexed (a background task at start)
    ready = wait_for(lambda: (r := client.get("/readyz")).status_code == 200 and r, timeout=60)
    assert ready.json()["checks"] == {
        "database": True,
        "redis": True,
        "rasa": True,
        "knowledge_base": True,
    }
    fake_rasa.stop()
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json()["checks"]["rasa"] is False


def test_openapi_lists_the_api(client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in spec["paths"] and "/api/v1/internal/tickets" in spec["paths"]


def test_api_needs_a_valid_token(client, token) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    assert (
        client.get("/api/v1/tickets", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    # The service token is for the action server only.
    assert (
        client.get(
            "/api/v1/tickets", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
        ).status_code
        == 401
    )
    assert (
        client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )


def test_transcript_has_both_directions_with_intent(client, token) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    ack = chat_post(client, "visitor-transcript", "卡号4111111111111111")
    conversation = ack.json()["conversation_id"]
    url = f"/api/v1/conversations/{conversation}/messages"
    messages = wait_for(lambda: (m := client.get(url, headers=auth).json()) and len(m) == 2 and m)
    customer, bot = messages
    assert (customer["direction"], customer["sender"], customer["intent"]) == (
        "in",
        "customer",
        "echo",
    )
    assert customer["confidence"] == pytest.approx(0.87)
    assert "4111111111111111" not in customer["text"] and "****1111" in customer["text"]
    assert (bot["direction"], bot["sender"]) == ("out", "bot")
    assert "4111111111111111" not in bot["text"]
    assert client.get("/api/v1/conversations/nope/messages", headers=auth).status_code == 404


def test_finding_10_the_cdn_docs_page_is_off_outside_development(settings) -> None:
    """Security finding 10: Swagger UI loads its scripts from a public CDN without an
    integrity check; outside development the page is off unless asked for."""
    production = settings.model_copy(
        update={"environment": "production", "service_token": "s" * 32, "api_docs": None}
    )
    with TestClient(create_app(production)) as client:
        assert client.get("/api/v1/docs").status_code == 404
        assert client.get("/api/v1/openapi.json").status_code == 200
    asked = production.model_copy(update={"api_docs": True})
    with TestClient(create_app(asked)) as client:
        assert client.get("/api/v1/docs").status_code == 200
    with TestClient(create_app(settings)) as client:  # development
        assert client.get("/api/v1/docs").status_code == 200
