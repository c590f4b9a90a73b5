"""People and teams, for administrators: accounts (create, edit, disable, enable, reset a
password, unlock) and teams as records. Every change is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from anyio import to_thread
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from bot.access import accounts
from bot.api.deps import Address, Admin, ServicesDep, Staff, needs
from bot.console.auth import end_sessions
from bot.console.throttle import LoginGuard
from bot.handoff.presence import Presence
from bot.tickets.policy import CATEGORIES
from bot.web.services import Services

router = APIRouter(tags=["people"])
T = TypeVar("T")
SKILLS = (*CATEGORIES, "vip")
NAME = r"^[A-Za-z0-9_.@-]{1,64}$"
LANGUAGES = "^(zh|en|zh,en|en,zh)$"


async def _run(work: Callable[[], T]) -> T:
    try:
        return await to_thread.run_sync(work)
    except LookupError as exc:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "没有该用户或团队 / no such user or team"
        ) from exc
    except accounts.AccountError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc


def _skills(skills: list[str]) -> str:
    unknown = [s for s in skills if s not in SKILLS]
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"unknown skills {', '.join(unknown)}; skills: {', '.join(SKILLS)}",
        )
    return ",".join(dict.fromkeys(skills))


class PersonEdit(BaseModel):
    """What an administrator changes of an account (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")
    role: str | None = Field(default=None, pattern="^(agent|supervisor|admin)$")
    team: str | None = Field(default=None, max_length=64)
    skills: list[str] | None = Field(default=None, max_length=10)
    languages: str | None = Field(default=None, pattern=LANGUAGES)
    capacity: int | None = Field(default=None, ge=1, le=20)
    display_name: str | None = Field(default=None, max_length=32)
    staff_number: str | None = Field(default=None, max_length=16)


class NewPerson(PersonEdit):
    name: str = Field(pattern=NAME)
    role: str = Field(pattern="^(agent|supervisor|admin)$")


def _person(p: accounts.Person) -> dict[str, Any]:
    data = asdict(p)
    data["skills"] = [s for s in p.skills.split(",") if s]
    for key in ("created_at", "disabled_at", "locked_at"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


@router.get("/users", dependencies=[needs("admin")])
async def people(services: ServicesDep, _: Admin) -> list[dict[str, Any]]:
    """Every account: role, team, skills, languages, capacity, what customers see, and
    whether it is disabled, locked or waiting for a new password."""
    return [_person(p) for p in await _run(lambda: accounts.people(services.db))]


@router.post("/users", status_code=status.HTTP_201_CREATED, dependencies=[needs("admin")])
async def create_person(
    body: NewPerson, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    """A new account with a temporary password, shown once; it must be changed at the
    first sign-in."""
    skills = _skills(body.skills or [])

    def work() -> str:
        return accounts.add_user(
            services.db,
            body.name,
            body.role,
            languages=body.languages or "zh,en",
            skills=skills,
            capacity=body.capacity or 3,
            team=body.team or None,
            display_name=body.display_name or None,
            staff_number=body.staff_number or None,
            must_change=True,
        )

    if body.team:  # a record first (the command line makes one on the fly)
        known = {t.name for t in await _run(lambda: accounts.teams(services.db))}
        if body.team not in known:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"没有该团队 / no team {body.team!r}"
            )
    password = await _run(work)
    await services.audit(
        actor, "user.create", "user", body.name, address, f"role={body.role} team={body.team}"
    )
    return {"name": body.name, "password": password}


@router.patch("/users/{name}", dependencies=[needs("admin")])
async def edit_person(
    name: str, body: PersonEdit, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    if "skills" in changes:
        changes["skills"] = _skills(changes["skills"] or [])
    for key in ("display_name", "staff_number", "team"):
        if key in changes and not changes[key]:
            changes[key] = None
    done = await _run(lambda: accounts.update_user(services.db, name, changes))
    if done:
        detail = "; ".join(f"{k}: {old} → {new}" for k, (old, new) in done.items())
        await services.audit(actor, "user.update", "user", name, address, detail)
    return {"changed": sorted(done)}


async def _sign_out_everywhere(services: Services, name: str) -> int:
    """End the person's sessions: their next call is refused and their open sockets
    close at their next heartbeat; they stop being offered chats at once."""
    ended = await end_sessions(services, name)
    await Presence(services.events.redis, services.settings.redis_prefix).leave(name)
    services.wake_scanner()
    return ended


@router.post("/users/{name}/disable", dependencies=[needs("admin")])
async def disable(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    """Disable an account: no sign-in, its sessions ended and its API tokens revoked at
    once."""
    if name == actor:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "不能停用自己的账户 / you cannot disable yourself",
        )
    revoked = await _run(lambda: accounts.set_disabled(services.db, name, True))
    ended = await _sign_out_everywhere(services, name)
    detail = f"sessions ended {ended}; tokens revoked {', '.join(revoked) or '-'}"
    await services.audit(actor, "user.disable", "user", name, address, detail)
    return {"disabled": True, "sessions_ended": ended, "tokens_revoked": revoked}


@router.post("/users/{name}/enable", dependencies=[needs("admin")])
async def enable(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    await _run(lambda: accounts.set_disabled(services.db, name, False))
    await services.audit(actor, "user.enable", "user", name, address)
    return {"disabled": False}


@router.post("/users/{name}/password-reset", dependencies=[needs("admin")])
async def reset_password(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, str]:
    """A temporary password, shown once; the person must choose a new one at their next
    sign-in. Their open sessions end."""
    password = await _run(lambda: accounts.reset_password(services.db, name))
    ended = await _sign_out_everywhere(services, name)
    await services.audit(
        actor, "user.password_reset", "user", name, address, f"sessions ended {ended}"
    )
    return {"name": name, "password": password}


@router.post("/users/{name}/unlock", dependencies=[needs("admin")])
async def unlock(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    """Unlock an account locked after too many wrong passwords."""
    if not await to_thread.run_sync(accounts.unlock_user, services.db, name):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, "没有被锁定的此账户 / no locked account by that name"
        )
    settings = services.settings
    await LoginGuard(services.events.redis, settings.redis_prefix, settings.login_lock_at).unlocked(
        name
    )
    await services.audit(actor, "account.unlock", "user", name, address)
    return {"unlocked": True}


# Teams


class TeamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title_zh: str = Field(min_length=1, max_length=64)
    title_en: str = Field(min_length=1, max_length=64)


@router.get("/teams", dependencies=[needs("tickets:read")])
async def team_list(services: ServicesDep, _: Staff) -> list[dict[str, Any]]:
    """The teams, with their titles in both languages and how many enabled members."""
    return [asdict(t) for t in await _run(lambda: accounts.teams(services.db))]


@router.put("/teams/{name}", dependencies=[needs("admin")])
async def save_team(
    name: str, body: TeamIn, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    created = await _run(
        lambda: accounts.save_team(services.db, name, body.title_zh, body.title_en)
    )
    action = "team.create" if created else "team.update"
    await services.audit(actor, action, "team", name, address, f"{body.title_zh} / {body.title_en}")
    return {"created": created}


@router.delete("/teams/{name}", dependencies=[needs("admin")])
async def delete_team(
    name: str, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, bool]:
    await _run(lambda: accounts.delete_team(services.db, name))
    await services.audit(actor, "team.delete", "team", name, address)
    return {"ok": True}
