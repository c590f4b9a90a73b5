"""Staff accounts, used by the CLI and the console (API tokens: ``bot.access.tokens``)."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    display_name: str | None = None,
    staff_number: str | None = None,
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
    _check_public_name(display_name, staff_number)
    password = password or generate_password()
    with db.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise AccountError(f"user {name!r} already exists")
        _number_is_free(session, staff_number, name)
        session.add(
            User(
                name=name,
                role=role,
                password_hash=hash_password(password),
                languages=languages,
                skills=skills,
                capacity=capacity,
                team=team,
                display_name=display_name,
                staff_number=staff_number,
            )
        )
    return password


STAFF_NUMBER = re.compile(r"^[A-Za-z0-9-]{1,16}$")


def _check_public_name(display_name: str | None, staff_number: str | None) -> None:
    if display_name is not None and not 1 <= len(display_name.strip()) <= 32:
        raise AccountError("display name: 1 to 32 characters")
    if staff_number is not None and not STAFF_NUMBER.match(staff_number):
        raise AccountError("staff number: up to 16 letters, digits or dashes")


def _number_is_free(session: Session, staff_number: str | None, name: str) -> None:
    if staff_number is None:
        return
    holder = session.scalar(select(User.name).where(User.staff_number == staff_number))
    if holder is not None and holder != name:
        raise AccountError(f"staff number {staff_number} belongs to {holder}")


def set_public_name(
    db: Database, name: str, display_name: str | None, staff_number: str | None
) -> None:
    """What customers see of ``name``: a display name and a staff number (工号)."""
    _check_public_name(display_name, staff_number)
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name).with_for_update())
        if user is None:
            raise AccountError(f"no user {name!r}")
        _number_is_free(session, staff_number, name)
        user.display_name = display_name.strip() if display_name else None
        user.staff_number = staff_number


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
