"""Sign-in throttling: after 5 wrong passwords for one account, or 20 from one address,
within 15 minutes, sign-in is refused (429) until the window has passed. Counters live
in Redis, so every replica sees the same ones; a right password clears the account's."""

from __future__ import annotations

from redis.asyncio import Redis

WINDOW_S = 15 * 60
MAX_PER_ACCOUNT = 5
MAX_PER_ADDRESS = 20


class LoginThrottle:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:login:fail"

    def _keys(self, name: str, address: str | None) -> tuple[str, str]:
        return f"{self._prefix}:user:{name}", f"{self._prefix}:addr:{address or '-'}"

    async def wait_s(self, name: str, address: str | None) -> int:
        """Seconds until sign-in may be tried again; 0 when it may be tried now."""
        for key, limit in zip(
            self._keys(name, address), (MAX_PER_ACCOUNT, MAX_PER_ADDRESS), strict=True
        ):
            count = await self._redis.get(key)
            if count is not None and int(count) >= limit:
                return max(int(await self._redis.ttl(key)), 1)
        return 0

    async def failed(self, name: str, address: str | None) -> None:
        for key in self._keys(name, address):
            count = await self._redis.incr(key)
            if count == 1:
                await self._redis.expire(key, WINDOW_S)

    async def succeeded(self, name: str) -> None:
        await self._redis.delete(self._keys(name, None)[0])
