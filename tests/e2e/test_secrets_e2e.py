"""Security finding 2 on the whole stack: a password, a one-time code, an e-mail address
and a CVV said over web chat and WeChat are found nowhere — not in any table of the
database, not in any Redis key (Rasa's conversation trackers included), not in any log
of any process."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
import redis
from sqlalchemy import inspect, text

from bot.core.db import Database
from fakes.processes import wait_for
from launcher.stack import Stack
from tests.e2e.conftest import Providers
from tests.e2e.test_channels_e2e import _wechat_to, wechat_text
from tests.e2e.webchat_client import Customer

pytestmark = pytest.mark.e2e

SAID = [
    "登录密码是 Abc@2024x，验证码 654321",
    "我的邮箱是 zhang.wei.e2e@example.com，请发到这里",
    "卡背面的 CVV 739，可以帮我查一下吗",
]
SECRETS = [
    re.compile(r"Abc@2024x"),
    # bounded by non-digits: a timestamp or an id that happens to hold these digits
    # (Rasa's trackers keep floats such as 1764654321.25) is not the code
    re.compile(r"(?<![0-9a-f.])654321(?![0-9a-f])"),
    re.compile(r"zhang\.wei\.e2e@example\.com"),
    re.compile(r"zhang\.wei\.e2e"),
    re.compile(r"CVV\W{0,6}739"),
]


def _database_text(url: str) -> str:
    db = Database(url)
    chunks: list[str] = []
    try:
        with db.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    chunks.append(" ".join(str(v) for v in row))
    finally:
        db.dispose()
    return "\n".join(chunks)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return " ".join(f"{_text(k)} {_text(v)}" for k, v in value.items())
    if isinstance(value, list | set | tuple):
        return " ".join(_text(v) for v in value)
    return str(value)


def _redis_text(url: str) -> tuple[list[str], str]:
    """Every key of the stack's Redis database and its value, whatever its type."""
    client = redis.Redis.from_url(url)
    keys, chunks = [], []
    for raw in client.scan_iter(count=1000):
        key = raw.decode(errors="replace")
        keys.append(key)
        kind = client.type(raw).decode()
        value: object
        if kind == "string":
            value = client.get(raw)
        elif kind == "hash":
            value = client.hgetall(raw)
        elif kind == "list":
            value = client.lrange(raw, 0, -1)
        elif kind == "set":
            value = client.smembers(raw)
        elif kind == "zset":
            value = client.zrange(raw, 0, -1)
        elif kind == "stream":
            value = client.xrange(raw)
        else:
            value = kind
        chunks.append(f"{key} {_text(value)}")
    client.close()
    return keys, "\n".join(chunks)


async def _over_web_chat(stack: Stack) -> str:
    async with Customer(stack) as customer:
        for words in SAID:
            await customer.say(words)
        return customer.conversation


def test_finding_2_secrets_said_over_web_chat_and_wechat_are_stored_nowhere(
    stack: Stack, providers: Providers
) -> None:
    conversation = asyncio.run(_over_web_chat(stack))
    openid = f"o-secrets-{uuid.uuid4().hex[:8]}"
    for n, words in enumerate(SAID):
        seen = len(_wechat_to(providers, openid))
        assert wechat_text(stack, openid, 7_300_000_000 + n, words).text == "success"
        wait_for(lambda seen=seen: len(_wechat_to(providers, openid)) > seen, timeout=60)

    stored = _database_text(stack.config.database_url)
    keys, cached = _redis_text(stack.redis_url)
    logged = "\n".join(
        path.read_text(errors="replace") for path in sorted(stack.config.log_dir.glob("*.log"))
    )
    # The places searched are the right ones: the messages are there, masked.
    assert "[已隐藏/hidden]" in stored and "[邮箱/email]" in stored
    assert any(conversation in key for key in keys), "no Rasa tracker for the web chat"
    # the masked words reached Rasa's tracker (as JSON, whose Chinese may be escaped)
    assert "/hidden]" in cached and "/email]" in cached
    assert logged
    for place, content in (("database", stored), ("redis", cached), ("logs", logged)):
        found = [
            content[max(0, hit.start() - 80) : hit.end() + 80]
            for pattern in SECRETS
            if (hit := pattern.search(content))
        ]
        assert not found, f"in clear in the {place}: {found}"
