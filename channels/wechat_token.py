"""Access tokens for WeChat APIs, cached in Redis so every process shares one token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.pipeline.messages import DeliveryError
from channels.json_http import HTTP_ERRORS, JsonHttp

Fetch = Callable[[], Awaitable[tuple[str, int]]]

# WeChat error codes that mean "this access token is no longer good".
TOKEN_EXPIRED = {40001, 40014, 42001}


class TokenError(Exception):
    pass


# What a call with the shared token may raise (a body that is not JSON: ValueError).
CALL_ERRORS: tuple[type[Exception], ...] = (*HTTP_ERRORS, ValueError, TokenError, RedisError)


class SharedToken:
    """One access token per app, in Redis with a TTL a little under WeChat's."""

    def __init__(self, redis: Redis, key: str, fetch: Fetch, margin_s: int = 300) -> None:
        self._redis = redis
        self._key = key
        self._fetch = fetch
        self._margin_s = margin_s

    async def get(self) -> str:
        cached = await self._redis.get(self._key)
        if cached:
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        token, expires_in = await self._fetch()
        ttl = max(expires_in - self._margin_s, 60)
        await self._redis.set(self._key, token, ex=ttl)
        return token

    async def invalidate(self, token: str) -> None:
        """Drop the token if it is still the cached one (another process may have renewed it)."""
        cached = await self._redis.get(self._key)
        current = cached.decode() if isinstance(cached, bytes) else cached
        if current == token:
            await self._redis.delete(self._key)


async def post_with_token(
    http: JsonHttp, url: str, token: SharedToken, payload: dict[str, Any], provider: str
) -> dict[str, Any]:
    """POST JSON (UTF-8, not \\u-escaped) with the shared token; renew it once if it expired."""
    for _ in range(2):
        access_token = await token.get()
        response = await http.post(url, {"access_token": access_token}, payload)
        if response.status >= 500:
            raise DeliveryError(f"{provider} answered {response.status}")
        data: dict[str, Any] = response.json()
        if int(data.get("errcode", 0)) in TOKEN_EXPIRED:
            await token.invalidate(access_token)
            continue
        return data
    raise DeliveryError("access token rejected twice")
