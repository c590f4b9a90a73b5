"""One real stack for every end-to-end test: trained model, Rasa, actions, service,
with the WeChat, Twilio and Telegram APIs played by fakes on 127.0.0.1."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakes.processes import free_port, wait_for
from fakes.providers import FakeTelegram, FakeTwilio, FakeWeChat
from launcher.stack import Stack, StackConfig, prepare_database
from launcher.training import ensure_model
from tests.conftest import schema_reset


@dataclass
class Providers:
    wechat: FakeWeChat
    twilio: FakeTwilio
    telegram: FakeTelegram


def texts_to(providers: Providers, phone: str) -> list[dict[str, str]]:
    """The text messages the fake Twilio was asked to send to ``phone``."""
    forms = [call.form() for call in providers.twilio.calls("/Messages.json")]
    return [form for form in forms if form["To"] == phone]


def sms_code(providers: Providers, phone: str) -> str:
    """The newest one-time code texted to ``phone`` (waits for it)."""
    codes = wait_for(
        lambda: [f["Body"] for f in texts_to(providers, phone) if "验证码" in f["Body"]],
        timeout=60,
    )
    found = re.search(r"\b(\d{6})\b", codes[-1])
    assert found is not None, codes[-1]
    return found.group(1)


CHANNEL_SECRETS = {
    "WECHAT_TOKEN": "e2e-wechat-token",
    "WECHAT_APP_ID": "wxe2e",
    "WECHAT_APP_SECRET": "e2e-secret",
    "TWILIO_ACCOUNT_SID": "AC" + "e" * 32,
    "TWILIO_AUTH_TOKEN": "e2e-twilio-auth",
    "TWILIO_FROM": "+15550001111",
    "SMS_PUBLIC_URL": "https://bank.example/webhooks/sms",
    "TELEGRAM_BOT_TOKEN": "42:e2e-token",
    "TELEGRAM_SECRET_TOKEN": "e2e-telegram-secret",
}


@pytest.fixture(scope="session")
def providers() -> Iterator[Providers]:
    fakes = Providers(FakeWeChat(), FakeTwilio(), FakeTelegram())
    yield fakes
    for fake in (fakes.wechat, fakes.twilio, fakes.telegram):
        fake.stop()


@pytest.fixture(scope="session")
def stack(
    pg_server: str, redis_url: str, providers: Providers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    model = ensure_model()
    schema_reset(pg_server)
    prepare_database(pg_server)
    running = Stack(
        StackConfig(
            database_url=pg_server,
            redis_url=redis_url,
            service_port=free_port(),
            worker_port=free_port(),  # as `make run`: webhooks, the worker and the desk apart
            desk_port=free_port(),
            rasa_port=free_port(),
            extra_rasa_ports=(free_port(),),  # two Rasa servers on the Redis tracker store
            actions_port=free_port(),
            service_token=uuid.uuid4().hex + uuid.uuid4().hex,
            rasa_token=uuid.uuid4().hex,
            data_key=uuid.uuid4().hex,
            log_dir=Path(tmp_path_factory.mktemp("logs")),
            extra_env={
                "ANXIN_REDIS_PREFIX": f"e2e-{uuid.uuid4().hex[:6]}",
                # the dialogue suite opens a web chat per dialogue, all from 127.0.0.1
                "ANXIN_WEBCHAT_SESSIONS_PER_ADDRESS_PER_MIN": "1000",
                **CHANNEL_SECRETS,
                "WECHAT_API_BASE_URL": providers.wechat.url,
                "TWILIO_API_BASE_URL": providers.twilio.url,
                "TELEGRAM_API_BASE_URL": providers.telegram.url,
            },
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
