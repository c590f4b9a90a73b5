"""API tokens: scoped, owned, expiring, revocable. Only a token's SHA-256 is stored.

Scopes (``admin`` holds every other):

- ``tickets:read``   tickets, their events and escalations, transcripts, timelines, the
                     contact behind a conversation (with a reason), follow-up tasks,
                     live escalation notices
- ``tickets:write``  ticket actions (transition, assign, notes, replies, acknowledge),
                     follow-up outcomes, quality reviews
- ``kb:read``        the knowledge base, its history, gaps and export, trying a question
- ``kb:write``       knowledge-base changes, imports and rollbacks
- ``reports:read``   figures, the dashboard, quality figures and their exports
- ``audit:read``     the audit trail
- ``admin``          SLA policies, priority rules, holidays, 回访 plans, the quality rubric
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import ApiToken, User, utcnow
from bot.core.security import generate_token, token_digest

SCOPES = (
    "tickets:read",
    "tickets:write",
    "kb:read",
    "kb:write",
    "reports:read",
    "audit:read",
    "admin",
)
DEFAULT_DAYS = 90
MAX_DAYS = 366
# last_used_at is written at most this often per token (a busy client is not a write
# per request)
LAST_USED_EVERY = timedelta(minutes=1)


class TokenError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who a request's token speaks for, and what it may do."""

    name: str
    scopes: frozenset[str]
    owner: str | None

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    scopes: tuple[str, ...]
    owner: str | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    legacy: bool

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def parse_scopes(given: Iterable[str]) -> tuple[str, ...]:
    """Scopes from the command line or an API call (comma or space separated)."""
    scopes: list[str] = []
    for item in given:
        for scope in item.replace(",", " ").split():
            if scope not in SCOPES:
                raise TokenError(f"unknown scope {scope!r}; scopes: {', '.join(SCOPES)}")
            if scope not in scopes:
                scopes.append(scope)
    if not scopes:
        raise TokenError(f"give at least one scope: {', '.join(SCOPES)}")
    return tuple(scopes)


def create_token(
    db: Database,
    name: str,
    scopes: Iterable[str],
    *,
    owner: str | None = None,
    days: int = DEFAULT_DAYS,
) -> str:
    """Create a token; it is shown once (only its digest is kept)."""
    granted = parse_scopes(scopes)
    if not name.strip() or len(name) > 64:
        raise TokenError("a token's name is 1 to 64 characters")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lives 1 to {MAX_DAYS} days")
    token = generate_token()
    with db.session() as session:
        if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
            raise TokenError(f"token {name!r} already exists")
        session.add(
            ApiToken(
                name=name,
                token_hash=token_digest(token),
                scopes=" ".join(granted),
                owner=owner,
                expires_at=utcnow() + timedelta(days=days),
            )
        )
    return token


class Refused(Exception):
    """A token that is not (or no longer) good: ``name`` when it is known."""

    def __init__(self, reason: str, name: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.name = reason, name


def authenticate(db: Database, token: str) -> TokenHolder:
    """The holder of a live token (its last use noted); raises ``Refused``."""
    now = utcnow()
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if row is None:
            raise Refused("unknown")
        if row.revoked_at is not None:
            raise Refused("revoked", row.name)
        if row.expires_at is not None and row.expires_at <= now:
            raise Refused("expired", row.name)
        if row.owner is not None and session.scalar(
            select(User.disabled_at).where(User.name == row.owner)
        ):
            raise Refused("owner disabled", row.name)
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
            row.last_used_at = now
        return TokenHolder(row.name, frozenset(row.scopes.split()), row.owner)


def list_tokens(db: Database) -> list[TokenInfo]:
    with db.session() as session:
        return [
            TokenInfo(
                row.name,
                tuple(row.scopes.split()),
                row.owner,
                row.created_at,
                row.expires_at,
                row.last_used_at,
                row.revoked_at,
                row.legacy,
            )
            for row in session.scalars(select(ApiToken).order_by(ApiToken.id))
        ]


def revoke_token(db: Database, name: str) -> bool:
    """Revoke ``name`` at once; False when there is no such live token."""
    with db.session() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name).with_for_update())
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        return True
