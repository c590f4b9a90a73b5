"""Staff accounts, used by the CLI and the console (API tokens: ``bot.access.tokens``)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.core.db import Database
from bot.core.models import User, utcnow
from bot.core.security import generate_password, hash_password

ROLES = ("agent", "supervisor", "admin")


class AccountError(ValueError):
    pass


def add_user(
    db: Database,
    name: str,
    role: str,
    password: str | None = None,
    *,
    languages: str = "zh,en",
    skills: str = "",
    capacity: int = 3,
    team: str | None = None,
) -> str:
    """Create a staff account; returns the password (generated when not given).

    ``languages`` and ``skills`` are comma-separated (skills: ticket categories and
    ``vip``); ``capacity`` is how many chats the agent takes at once."""
    if capacity < 1:
        raise AccountError("capacity must be at least 1")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise AccountError("name must not be empty")
    password = password or generate_password()
    with db.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise AccountError(f"user {name!r} already exists")
        session.add(
            User(
                name=name,
                role=role,
                password_hash=hash_password(password),
                languages=languages,
                skills=skills,
                capacity=capacity,
                team=team,
            )
        )
    return password


def user_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count(User.id))) or 0)


def lock_user(db: Database, name: str) -> bool:
    """Lock ``name`` (too many wrong passwords); False if there is no such open account."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name).with_for_update())
        if user is None or user.locked_at is not None:
            return False
        user.locked_at = utcnow()
        return True


def unlock_user(db: Database, name: str) -> bool:
    """An admin's unlock; False if ``name`` is not locked."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name).with_for_update())
        if user is None or user.locked_at is None:
            return False
        user.locked_at = None
        return True


def is_locked(db: Database, name: str) -> bool:
    with db.session() as session:
        return session.scalar(select(User.locked_at).where(User.name == name)) is not None
