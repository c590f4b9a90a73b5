"""Shared dependencies: the process's services and bearer-token authentication."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select

from bot.access.accounts import token_name
from bot.console.auth import COOKIE, agent_of
from bot.core.db import Database
from bot.core.models import User
from bot.core.security import same_secret
from bot.web.services import Services

_bearer = HTTPBearer(auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorised() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid bearer token",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def require_service_token(services: ServicesDep, credentials: Credentials) -> None:
    """Internal API: only the service token (held by the Rasa action server)."""
    if credentials is None or not same_secret(
        credentials.credentials, services.settings.service_token
    ):
        raise _unauthorised()


async def require_api_token(services: ServicesDep, credentials: Credentials) -> str:
    """Public API: a token from ``python -m bot token create``; returns the token's name,
    which is recorded as the actor of every change made with it."""
    if credentials is None:
        raise _unauthorised()
    name = await to_thread.run_sync(token_name, services.db, credentials.credentials)
    if name is None:
        raise _unauthorised()
    return name


Actor = Annotated[str, Depends(require_api_token)]


def address_of(request: Request) -> str | None:
    """Where a request came from, for the audit log."""
    return request.client.host if request.client else None


Address = Annotated[str | None, Depends(address_of)]


def _role_of(db: Database, name: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(User.role).where(User.name == name))


async def staff_member(
    request: Request, services: ServicesDep, credentials: Credentials
) -> tuple[str, str]:
    """(name, role) of the caller: an API token (role "token"), or a console session."""
    if credentials is not None:
        return await require_api_token(services, credentials), "token"
    name = await agent_of(services, request.cookies.get(COOKIE))
    if name is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 / please sign in")
    role = await to_thread.run_sync(_role_of, services.db, name)
    return name, role or ""


StaffMember = Annotated[tuple[str, str], Depends(staff_member)]
SUPERVISOR_ROLES = ("supervisor", "admin")


async def any_staff(staff: StaffMember) -> str:
    return staff[0]


async def supervisor(staff: StaffMember) -> str:
    """Supervisors and admins (and API tokens); agents are refused."""
    name, role = staff
    if role != "token" and role not in SUPERVISOR_ROLES:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "只有主管和管理员可以这样做 / only supervisors and admins may do this",
        )
    return name


Staff = Annotated[str, Depends(any_staff)]
Supervisor = Annotated[str, Depends(supervisor)]


@dataclass
class Window:
    """A reporting period [since, until) from the query string."""

    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        # A time without a zone is UTC (as stored); then the two compare safely.
        if self.since is not None and self.since.tzinfo is None:
            self.since = self.since.replace(tzinfo=UTC)
        if self.until is not None and self.until.tzinfo is None:
            self.until = self.until.replace(tzinfo=UTC)
        if self.since and self.until and self.until <= self.since:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "until must be after since")

    def __str__(self) -> str:
        return f"{self.since}..{self.until}"


Period = Annotated[Window, Depends()]
