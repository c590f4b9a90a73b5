"""Staff accounts, for administrators: unlocking an account locked after too many wrong
passwords. (Creating and disabling users is on the command line for now.)"""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, HTTPException, status

from bot.access.accounts import unlock_user
from bot.api.deps import Address, Admin, ServicesDep, needs
from bot.console.throttle import LoginGuard

router = APIRouter(tags=["users"])


@router.post("/users/{name}/unlock", dependencies=[needs("admin")])
async def unlock(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    if not await to_thread.run_sync(unlock_user, services.db, name):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "没有被锁定的此账户 / no locked account by that name"
        )
    settings = services.settings
    await LoginGuard(services.events.redis, settings.redis_prefix, settings.login_lock_at).unlocked(
        name
    )
    await services.audit(actor, "account.unlock", "user", name, address)
    return {"unlocked": True}
