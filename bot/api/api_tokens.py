"""API tokens, for administrators: create with scopes, an owner and an expiry (the token
is shown once), list with their last use, revoke at once. Every change is audited."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from bot.access import tokens
from bot.api.deps import Address, Admin, ServicesDep, needs
from bot.core.models import utcnow

router = APIRouter(tags=["API tokens"])


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    scopes: list[str] = Field(min_length=1, max_length=len(tokens.SCOPES))
    owner: str | None = Field(default=None, max_length=64)
    days: int = Field(default=tokens.DEFAULT_DAYS, ge=1, le=tokens.MAX_DAYS)


@router.get("/tokens", dependencies=[needs("admin")])
async def token_list(services: ServicesDep, _: Admin) -> dict[str, Any]:
    """Every token (never the token itself): scopes, owner, expiry, last use, state; and
    the scopes there are."""
    now = utcnow()
    found = await to_thread.run_sync(tokens.list_tokens, services.db)
    return {
        "scopes": list(tokens.SCOPES),
        "tokens": [
            {
                "name": t.name,
                "scopes": list(t.scopes),
                "owner": t.owner,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
                "legacy": t.legacy,
                "state": t.state(now),
            }
            for t in found
        ],
    }


@router.post("/tokens", status_code=status.HTTP_201_CREATED, dependencies=[needs("admin")])
async def create(
    body: TokenIn, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, str]:
    """Create a token; the answer holds it, and it is never shown again."""
    try:
        token = await to_thread.run_sync(
            lambda: tokens.create_token(
                services.db, body.name, body.scopes, owner=body.owner or None, days=body.days
            )
        )
    except tokens.TokenError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    detail = f"scopes={' '.join(body.scopes)} owner={body.owner or '-'} days={body.days}"
    await services.audit(actor, "token.create", "api_token", body.name, address, detail)
    return {"name": body.name, "token": token}


@router.post("/tokens/{name}/revoke", dependencies=[needs("admin")])
async def revoke(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    """Revoke a token: it is refused from its next call."""
    if not await to_thread.run_sync(tokens.revoke_token, services.db, name):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "没有该有效令牌 / no live token by that name"
        )
    await services.audit(actor, "token.revoke", "api_token", name, address)
    return {"revoked": True}
