"""Sign-in guard against guessing passwords, which nobody can turn into locking others out.

- Per account **and** address: the first ``FREE_TRIES`` (3) wrong passwords within 15
  minutes cost nothing; after that each further try must wait twice as long as the one
  before (1 s, 2 s, 4 s … up to 15 minutes), answered 429 with ``Retry-After``. Someone
  guessing from one address slows down only themselves: the account's owner signs in
  from their own address at once.
- Per address, any accounts: 20 wrong passwords within 15 minutes and that address waits
  out the window (password spraying).
- Per account, any addresses: ``ANXIN_LOGIN_LOCK_AT`` (50) wrong passwords within an
  hour lock the account outright (``users.locked_at``) and alert administrators (a
  notice on the staff consoles, the audit trail, an e-mail to ``ANXIN_SECURITY_EMAILS``);
  only an admin unlocks it (``python -m bot user unlock NAME`` or the console API).

Counters live in Redis (one atomic script, commands Redis 6.2 knows), shared by every
replica; a right password clears that account-and-address pair's count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

WINDOW_S = 15 * 60
FREE_TRIES = 3
MAX_DELAY_S = 15 * 60
MAX_PER_ADDRESS = 20
LOCK_WINDOW_S = 3600

# KEYS: pair hash, address counter, account counter; ARGV: now, window, lock window.
# Returns the account's failures within the lock window.
_FAILED = """
redis.call('HINCRBY', KEYS[1], 'count', 1)
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
return n
"""


def account_key(prefix: str, name: str) -> str:
    """The Redis key of ``name``'s failures across addresses."""
    return f"{prefix}:login:user:{name}"


def delay_s(failures: int) -> int:
    """How long the next try waits after ``failures`` wrong passwords from one address."""
    if failures < FREE_TRIES:
        return 0
    return int(min(2 ** (failures - FREE_TRIES), MAX_DELAY_S))


@dataclass(frozen=True, slots=True)
class Failure:
    account_failures: int
    lock: bool  # this failure reached the lock threshold


class LoginGuard:
    def __init__(self, redis: Redis, prefix: str, lock_at: int) -> None:
        self._redis = redis
        self._root = prefix
        self._prefix = f"{prefix}:login"
        self.lock_at = lock_at
        self._failed = redis.register_script(_FAILED)

    def _pair(self, name: str, address: str | None) -> str:
        return f"{self._prefix}:pair:{name}:{address or '-'}"

    def _address(self, address: str | None) -> str:
        return f"{self._prefix}:addr:{address or '-'}"

    def _account(self, name: str) -> str:
        return account_key(self._root, name)

    async def wait_s(self, name: str, address: str | None) -> int:
        """Seconds before ``name`` may be tried again from ``address``; 0: now."""
        count, last = await self._redis.hmget(self._pair(name, address), ["count", "last"])
        wait = 0.0
        if count is not None and last is not None:
            wait = float(last) + delay_s(int(count)) - time.time()
        sprayed = await self._redis.get(self._address(address))
        if sprayed is not None and int(sprayed) >= MAX_PER_ADDRESS:
            wait = max(wait, await self._redis.ttl(self._address(address)))
        return max(int(wait + 0.999), 0)

    async def failed(self, name: str, address: str | None) -> Failure:
        keys = [self._pair(name, address), self._address(address), self._account(name)]
        count = int(await self._failed(keys=keys, args=[time.time(), WINDOW_S, LOCK_WINDOW_S]))
        return Failure(count, self.lock_at > 0 and count == self.lock_at)

    async def succeeded(self, name: str, address: str | None) -> None:
        await self._redis.delete(self._pair(name, address))

    async def unlocked(self, name: str) -> None:
        """An admin unlocked ``name``: its count across addresses starts again."""
        await self._redis.delete(self._account(name))
