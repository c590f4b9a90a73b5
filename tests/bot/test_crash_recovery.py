"""kill -9 the service in the middle of a turn: on restart the customer gets exactly one reply."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.db import Database
from bot.models import Message, OutboxItem
from tests.conftest import SERVICE_TOKEN
from tests.helpers import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.app:app_factory", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: _alive(port), timeout=30)
    return process


def _alive(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_kill_9_mid_turn_then_restart_answers_once(
    database_url, redis_url, fake_rasa, tmp_path
) -> None:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ANXIN_REDIS_PREFIX=f"crash-{uuid.uuid4().hex[:6]}",
        RASA_URL=fake_rasa.url,
        RASA_TIMEOUT_S="10",
        ANXIN_INBOX_LEASE_S="4",
        ANXIN_SERVICE_TOKEN=SERVICE_TOKEN,
    )
    port = _free_port()
    fake_rasa.delay = 3.0
    first = _start(env, port, tmp_path / "service.log")
    try:
        ack = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/webchat",
            json={
                "visitor_id": "visitor-crash-01",
                "id": uuid.uuid4().hex,
                "text": "我的信用卡丢了",
            },
        )
        assert ack.status_code == 202
        wait_for(lambda: len(fake_rasa.calls) == 1)  # the turn is in flight inside Rasa
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()

    db = Database(database_url)
    try:
        with db.session() as s:
            inbound = s.scalar(select(Message).where(Message.direction == "in"))
            assert inbound.status == "processing"
            assert s.scalars(select(Message).where(Message.direction == "out")).all() == []

        fake_rasa.delay = 0.0
        second = _start(env, port, tmp_path / "service.log")
        try:

            def delivered() -> bool:
                with db.session() as s:
                    return s.scalar(select(OutboxItem.status)) == "sent"

            wait_for(delivered, timeout=30)
            with db.session() as s:
                replies = s.scalars(select(Message).where(Message.direction == "out")).all()
                assert [r.text for r in replies] == ["echo: 我的信用卡丢了"]
                assert s.get(Message, inbound.id).status == "done"
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        db.dispose()
    assert len(fake_rasa.calls) == 2  # asked again after the crash, answered once
