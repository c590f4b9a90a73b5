"""Audited reads: every read, search, export and unmasking the API serves goes through
here, so none misses the audit trail, and a refused one is recorded as ``denied``.

Outside the caller's scope the answer is the one for a thing that does not exist (404,
the same words), so a refusal does not tell that another team's object is there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from anyio import to_thread
from fastapi import HTTPException, status

from bot.web.services import Services

T = TypeVar("T")
NOT_FOUND = "未找到 / not found"


@dataclass(frozen=True, slots=True)
class AuditedReads:
    """The reads of one member of staff (or API token), from one address."""

    services: Services
    actor: str
    address: str | None

    async def _run(
        self,
        what: str,
        work: Callable[[], T],
        named: str | None,
        detail: str,
        missing: str = NOT_FOUND,
    ) -> T:
        """``work`` in a worker thread; a ``PermissionError`` from it is recorded as
        ``denied`` and answered as a miss: 404 with ``missing``."""
        try:
            return await to_thread.run_sync(work)
        except PermissionError as exc:
            denied = named if named is not None else str(exc)
            await self.services.audit(self.actor, "denied", what, denied, self.address, detail)
            raise HTTPException(status.HTTP_404_NOT_FOUND, missing) from exc

    async def check(self, what: str, work: Callable[[], T], object_id: str) -> T:
        """A permission check before a change (the change is audited by its command): a
        refusal is recorded as ``denied`` and answered 404."""
        return await self._run(what, work, object_id, "change")

    async def _record(
        self, what: str, found: T, object_id: str | Callable[[T], str], action: str, detail: str
    ) -> T:
        named = object_id(found) if callable(object_id) else object_id
        await self.services.audit(self.actor, action, what, named, self.address, detail)
        return found

    async def read(
        self,
        what: str,
        work: Callable[[], T],
        object_id: str | Callable[[T], str],
        *,
        action: str = "read",
        detail: str = "",
    ) -> T:
        """Run ``work`` and record ``action`` (read, search, export, unmask) on ``what``."""
        named = object_id if isinstance(object_id, str) else None
        found = await self._run(what, work, named, detail)
        return await self._record(what, found, object_id, action, detail)

    async def read_one(
        self,
        what: str,
        work: Callable[[], T | None],
        object_id: str | Callable[[T], str],
        missing: str,
        *,
        action: str = "read",
        detail: str = "",
    ) -> T:
        """``read`` of one thing that may not exist: 404 with ``missing`` (not recorded:
        nothing was read)."""
        named = object_id if isinstance(object_id, str) else None
        found = await self._run(what, work, named, detail, missing)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
        return await self._record(what, found, object_id, action, detail)
