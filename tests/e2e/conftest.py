"""One real stack for every end-to-end test: trained model, Rasa, actions, service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.stack import Stack, StackConfig, prepare_database
from bot.training import ensure_model
from tests.conftest import schema_reset
from tests.helpers import free_port


@pytest.fixture(scope="session")
def stack(
    pg_server: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    model = ensure_model()
    schema_reset(pg_server)
    prepare_database(pg_server)
    running = Stack(
        StackConfig(
            database_url=pg_server,
            redis_url=redis_url,
            service_port=free_port(),
            rasa_port=free_port(),
            actions_port=free_port(),
            service_token=uuid.uuid4().hex + uuid.uuid4().hex,
            rasa_token=uuid.uuid4().hex,
            log_dir=Path(tmp_path_factory.mktemp("logs")),
            extra_env={"ANXIN_REDIS_PREFIX": f"e2e-{uuid.uuid4().hex[:6]}"},
        )
    )
    try:
        running.start_rasa(model)
        running.start_service()
        running.wait_ready(timeout_s=300)
        yield running
    finally:
        running.stop()
        for log in sorted(running.config.log_dir.glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            print(f"--- {log.name}\n" + "\n".join(tail))
