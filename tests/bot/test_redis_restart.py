"""Fault: the service's Redis is killed (kill -9) in the middle of a burst of web-chat
and WeChat messages and started again empty. Nothing is lost and nothing is doubled:
every accepted message is stored once and answered once, and WeChat's own retry of a
message refused with 503 while Redis was down is answered too."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import Message, OutboxItem
from fakes.processes import free_port, wait_for
from fakes.providers import FakeWeChat
from tests.channels import test_wechat as wechat_test
from tests.helpers import chat_post

pytestmark = pytest.mark.fault

BURST = 90
RETRIES = 3


class RedisServer:
    """A Redis of this test's own (the shared one must not be restarted)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, timeout=10)

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url).ping())
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat()
    yield fake
    fake.stop()


def test_redis_killed_mid_burst_loses_nothing(
    channel_client, settings, fake_rasa, fake_wechat, own_redis
) -> None:
    client = channel_client(redis_url=own_redis.url, **wechat_test._config(fake_wechat))
    refused: list[int] = []
    accepted = {"webchat": 0, "wechat": 0}

    def post(n: int) -> tuple[str, int, str]:
        """Message ``n`` (odd: WeChat, even: web chat): (channel, status, body)."""
        if n % 2:
            xml = wechat_test.text_xml(800_000 + n, f"微信消息 {n}", openid=f"o-fault-{n % 5}")
            response = client.post(f"/webhooks/wechat?{wechat_test.signed_query()}", content=xml)
            return "wechat", response.status_code, response.text
        visitor = f"visitor-fault{n % 5:07d}"
        response = chat_post(client, visitor, f"网页消息 {n}", f"fault-msg-{n}")
        if response.status_code == 401:  # Redis came back empty: the page opens a new session
            client.__dict__["_anxin_chat_sessions"].pop(visitor)
            response = chat_post(client, visitor, f"网页消息 {n}", f"fault-msg-{n}")
        return "webchat", response.status_code, response.text

    def send(n: int) -> None:
        kind, status, text = post(n)
        if status == 503:  # the provider (or the page) sends it again later
            refused.append(n)
            return
        assert status in (200, 202), (kind, status, text)
        accepted[kind] += 1

    for n in range(BURST // 3):
        send(n)
    own_redis.kill()
    for n in range(BURST // 3, 2 * BURST // 3):
        send(n)
    assert refused  # WeChat's replay check needs Redis: 503, so WeChat retries
    time.sleep(1)
    own_redis.start()  # empty: Redis keeps nothing on disk here
    for n in refused:  # the provider's (or the page's) retries: WeChat makes three
        for _ in range(RETRIES):
            kind, status, text = post(n)
            if status != 503:
                break
            time.sleep(0.5)
        assert status in (200, 202), (kind, status, text)
        accepted[kind] += 1
    for n in range(2 * BURST // 3, BURST):
        send(n)

    db = Database(settings.database_url)
    try:

        def counts() -> tuple[int, int, int]:
            with db.session() as session:
                inbound = session.scalar(
                    select(func.count(Message.id)).where(Message.direction == "in")
                )
                replies = session.scalar(
                    select(func.count(Message.id)).where(Message.direction == "out")
                )
                unsent = session.scalar(
                    select(func.count(OutboxItem.id)).where(OutboxItem.status != "sent")
                )
            return inbound or 0, replies or 0, unsent or 0

        wait_for(lambda: counts() == (BURST, BURST, 0), timeout=120)
    finally:
        db.dispose()
    assert sum(accepted.values()) == BURST
    sent = fake_wechat.calls("/cgi-bin/message/custom/send")
    assert len(sent) == accepted["wechat"] == BURST // 2  # each WeChat message answered once
