"""VIP customers, for administrators: list, add, remove a channel identity (as the
command line does), audited. An SMS VIP is kept as its phone number's pseudonym."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import Address, Admin, ServicesDep, needs
from bot.identity import vip

router = APIRouter(prefix="/vips", tags=["VIP customers"])
CHANNELS = "^(webchat|wechat|wecom|sms|telegram)$"


class VipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=CHANNELS)
    id: str = Field(min_length=1, max_length=128, description="openid, chat id or phone number")


@router.get("", dependencies=[needs("admin")])
async def vips(services: ServicesDep, _: Admin) -> list[dict[str, str]]:
    found = await to_thread.run_sync(vip.listing, services.db)
    return [{"channel": channel, "key": key} for channel, key in found]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[needs("admin")])
async def add(body: VipIn, services: ServicesDep, actor: Admin, address: Address) -> dict[str, str]:
    try:
        key = vip.identity(body.channel, body.id.strip(), services.vault)
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    await to_thread.run_sync(vip.add, services.db, body.channel, key)
    await services.audit(actor, "vip.add", "vip", body.channel, address)
    return {"channel": body.channel, "key": key}


@router.delete("/{channel}/{key}", dependencies=[needs("admin")])
async def remove(
    channel: Annotated[str, Path(pattern=CHANNELS)],
    key: Annotated[str, Path(min_length=1, max_length=128)],
    services: ServicesDep,
    actor: Admin,
    address: Address,
) -> dict[str, bool]:
    if not await to_thread.run_sync(vip.remove, services.db, channel, key):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有该 VIP / no such VIP")
    await services.audit(actor, "vip.remove", "vip", channel, address)
    return {"ok": True}
