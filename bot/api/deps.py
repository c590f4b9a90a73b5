"""Shared dependencies: the process's services, bearer-token authentication and the
scope each API route needs of a token (``needs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.access.accounts import active_role
from bot.access.tokens import SCOPES, Refused, TokenHolder, authenticate
from bot.console.auth import COOKIE, agent_of
from bot.core.db import Database
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


async def bearer_token(
    request: Request, services: ServicesDep, credentials: Credentials
) -> TokenHolder | None:
    """The API token of this request, None without one. An unknown, expired or revoked
    token is refused (401) and the refusal audited; every accepted use is audited."""
    if credentials is None:
        return None
    address = address_of(request)
    what = f"{request.method} {request.url.path}"
    try:
        holder = await to_thread.run_sync(authenticate, services.db, credentials.credentials)
    except Refused as refused:
        actor = refused.name or "anonymous"
        await services.audit(
            actor, "denied", "api_token", refused.name or "-", address, f"{refused} · {what}"
        )
        raise _unauthorised() from refused
    await services.audit(holder.name, "token.use", "api_token", holder.name, address, what)
    return holder


BearerToken = Annotated[TokenHolder | None, Depends(bearer_token)]


async def require_api_token(token: BearerToken) -> str:
    """A route for API tokens alone; returns the token's name, recorded as the actor of
    every change made with it."""
    if token is None:
        raise _unauthorised()
    return token.name


def needs(scope: str) -> Any:
    """A route's scope: a token without it is refused (403, audited). Console sessions
    are not concerned (their role decides)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")

    async def check(request: Request, services: ServicesDep, token: BearerToken) -> None:
        if token is None or token.allows(scope):
            return
        await services.audit(
            token.name,
            "denied",
            "api_token",
            token.name,
            address_of(request),
            f"needs {scope} · {request.method} {request.url.path}",
        )
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"此令牌没有 {scope} 权限 / this token lacks the {scope} scope",
        )

    check.scope = scope  # type: ignore[attr-defined]
    return Depends(check)


Actor = Annotated[str, Depends(require_api_token)]


def address_of(request: Request) -> str | None:
    """Where a request came from, for the audit log."""
    return request.client.host if request.client else None


Address = Annotated[str | None, Depends(address_of)]


def _role_of(db: Database, name: str) -> str | None:
    with db.session() as session:
        return active_role(session, name)


async def staff_member(
    request: Request, services: ServicesDep, token: BearerToken
) -> tuple[str, str]:
    """(name, role) of the caller: an API token (role "token"), or a console session."""
    if token is not None:
        return token.name, "token"
    name = await agent_of(services, request.cookies.get(COOKIE))
    if name is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 / please sign in")
    role = await to_thread.run_sync(_role_of, services.db, name)
    if role is None:  # disabled since the session was opened
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "请先登录 / please sign in")
    return name, role


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


async def admin(staff: StaffMember) -> str:
    """Admins (and API tokens, whose ``admin`` scope the route checks)."""
    name, role = staff
    if role not in ("token", "admin"):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "只有管理员可以这样做 / only administrators may do this"
        )
    return name


Staff = Annotated[str, Depends(any_staff)]
Supervisor = Annotated[str, Depends(supervisor)]
Admin = Annotated[str, Depends(admin)]


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
