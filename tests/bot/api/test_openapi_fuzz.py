"""Schemathesis against the service's own OpenAPI description: for every operation,
generated requests (with valid credentials, so they get past sign-in) never get a 5xx
(``/readyz`` may say 503: no Rasa runs in this test)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings

from bot.access.tokens import create_token
from bot.core.db import Database
from tests.conftest import SERVICE_TOKEN
from tests.helpers import running_service, service_env

EXAMPLES = 12


def fuzz(operation: Any, base: str, token: str, failures: dict[str, Any]) -> None:
    secret = SERVICE_TOKEN if "/internal/" in operation.path else token
    headers = {"Authorization": f"Bearer {secret}"}

    @hsettings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def call(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=30)
        allowed = operation.path == "/readyz" and response.status_code == 503
        if response.status_code >= 500 and not allowed:
            failures.setdefault(operation.label, (response.status_code, str(case.body)[:300]))

    call()


def test_no_operation_answers_5xx(settings, tmp_path) -> None:
    db = Database(settings.database_url)
    token = create_token(db, "fuzzer", ["admin"])
    db.dispose()
    env = service_env(settings, ANXIN_WORKER="false")
    failures: dict[str, Any] = {}
    with running_service(env, tmp_path / "service.log") as base:
        schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 50
        for operation in operations:
            fuzz(operation, base, token, failures)
    assert not failures, failures
