"""Staff accounts and teams, used by the CLI, the console and the administration screens
(API tokens: ``bot.access.tokens``).

An administrator creates, edits, disables and re-enables accounts and resets passwords.
Disabling stops the person at once: their API tokens are revoked here and their console
sessions are ended by the caller (they live in Redis). A reset password is temporary:
the next sign-in must choose a new one before anything else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.db import Database
from bot.core.models import ApiToken, Team, User, utcnow
from bot.core.security import generate_password, hash_password, verify_password

ROLES = ("agent", "supervisor", "admin")
LANGUAGES = ("zh", "en")
MIN_PASSWORD = 10
TEAM_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


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
    must_change: bool = False,
) -> str:
    """Create a staff account; returns the password (generated when not given);
    ``must_change``: it is temporary, to be replaced at the first sign-in.

    ``languages`` and ``skills`` are comma-separated (skills: ticket categories and
    ``vip``); ``capacity`` is how many chats the agent takes at once."""
    if capacity < 1:
        raise AccountError("capacity must be at least 1")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise AccountError("name must not be empty")
    _check_public_name(display_name, staff_number)
    _check_languages(languages)
    password = password or generate_password()
    with db.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise AccountError(f"user {name!r} already exists / 该用户已存在")
        _number_is_free(session, staff_number, name)
        if team:
            _team_record(session, team)
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
                must_change_password=must_change,
            )
        )
    return password


def _check_languages(languages: str) -> None:
    given = [code.strip() for code in languages.split(",") if code.strip()]
    if not given or any(code not in LANGUAGES for code in given):
        raise AccountError("languages: zh, en or both / 语言只能是 zh、en")


def _team_record(session: Session, name: str) -> None:
    """A team named on the command line becomes a record when it is not one yet."""
    if not TEAM_NAME.match(name):
        raise AccountError("team: up to 64 letters, digits, - or _ / 团队标识格式不正确")
    if session.scalar(select(Team.id).where(Team.name == name)) is None:
        session.add(Team(name=name, title_zh=name, title_en=name))
        session.flush()


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


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a right password opens: the role, or a demand to choose a new password."""

    role: str
    must_change: bool


class Disabled(AccountError):
    pass


class WrongPassword(AccountError):
    pass


def check_sign_in(db: Database, name: str, password: str) -> SignIn | None:
    """None for a wrong name or password (the same work either way); ``Disabled`` for a
    disabled account whose password is right."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
    if user is None:
        verify_password(
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", password
        )
        return None
    if not verify_password(user.password_hash, password):
        return None
    if user.disabled_at is not None:
        raise Disabled("账户已停用，请联系管理员 / this account is disabled; ask an administrator")
    return SignIn(user.role, user.must_change_password)


def active_role(session: Session, name: str) -> str | None:
    """The role of an enabled account; None for a disabled or unknown one."""
    row = session.execute(select(User.role, User.disabled_at).where(User.name == name)).first()
    return row.role if row is not None and row.disabled_at is None else None


def _check_new_password(name: str, new: str) -> None:
    if len(new) < MIN_PASSWORD or len(new) > 256:
        raise AccountError(
            f"新密码至少 {MIN_PASSWORD} 个字符 / a new password has at least {MIN_PASSWORD} characters"
        )
    if new.strip().lower() == name.lower():
        raise AccountError("密码不能与用户名相同 / the password must not be the user name")


def change_password(db: Database, name: str, old: str, new: str) -> str:
    """The person's own change (forced after a reset); returns their role."""
    _check_new_password(name, new)
    found = check_sign_in(db, name, old)
    if found is None:
        raise WrongPassword("原密码错误 / the current password is wrong")
    if old == new:
        raise AccountError("新密码不能与原密码相同 / choose a password other than the current one")
    with db.session() as session:
        user = _locked_user(session, name)
        user.password_hash = hash_password(new)
        user.must_change_password = False
        return user.role


def _locked_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name).with_for_update())
    if user is None:
        raise LookupError(name)
    return user


def reset_password(db: Database, name: str) -> str:
    """A temporary password (shown once) the person must change at their next sign-in."""
    password = generate_password()
    with db.session() as session:
        user = _locked_user(session, name)
        user.password_hash = hash_password(password)
        user.must_change_password = True
    return password


def set_disabled(db: Database, name: str, disabled: bool) -> list[str]:
    """Disable (or enable again) an account; disabling revokes the live API tokens it
    owns and returns their names. The last enabled admin cannot be disabled."""
    with db.session() as session:
        user = _locked_user(session, name)
        if not disabled:
            user.disabled_at = None
            return []
        if user.disabled_at is not None:
            return []
        if user.role == "admin" and _enabled_admins(session) <= 1:
            raise AccountError("不能停用最后一个管理员 / the last administrator cannot be disabled")
        now = utcnow()
        user.disabled_at = now
        revoked = list(
            session.scalars(
                select(ApiToken).where(ApiToken.owner == name, ApiToken.revoked_at.is_(None))
            )
        )
        for token in revoked:
            token.revoked_at = now
        return [token.name for token in revoked]


def _enabled_admins(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(User.id)).where(User.role == "admin", User.disabled_at.is_(None))
        )
        or 0
    )


EDITABLE = ("role", "team", "skills", "languages", "capacity", "display_name", "staff_number")


def update_user(db: Database, name: str, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply an administrator's edit; returns what changed (old, new) for the audit."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise AccountError(f"not editable: {', '.join(sorted(unknown))}")
    with db.session() as session:
        user = _locked_user(session, name)
        if "role" in changes:
            if changes["role"] not in ROLES:
                raise AccountError(f"role must be one of {', '.join(ROLES)}")
            if (
                user.role == "admin"
                and changes["role"] != "admin"
                and _enabled_admins(session) <= 1
            ):
                raise AccountError("不能取消最后一个管理员 / the last administrator must stay one")
        if changes.get("capacity") is not None and not 1 <= int(changes["capacity"]) <= 20:
            raise AccountError("capacity: 1 to 20 chats / 同时接待数 1 到 20")
        if "languages" in changes:
            _check_languages(changes["languages"])
        if changes.get("team"):
            if session.scalar(select(Team.id).where(Team.name == changes["team"])) is None:
                raise AccountError(f"no team {changes['team']!r} / 没有该团队")
        display = changes.get("display_name", user.display_name)
        number = changes.get("staff_number", user.staff_number)
        _check_public_name(display, number)
        _number_is_free(session, number, name)
        done: dict[str, tuple[Any, Any]] = {}
        for field, value in changes.items():
            if field == "team" and not value:
                value = None
            if field == "display_name" and value:
                value = value.strip()
            if getattr(user, field) != value:
                done[field] = (getattr(user, field), value)
                setattr(user, field, value)
        return done


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: str
    team: str | None
    skills: str
    languages: str
    capacity: int
    display_name: str | None
    staff_number: str | None
    created_at: datetime
    disabled_at: datetime | None
    locked_at: datetime | None
    must_change_password: bool


def people(db: Database) -> list[Person]:
    with db.session() as session:
        return [
            Person(
                u.name,
                u.role,
                u.team,
                u.skills,
                u.languages,
                u.capacity,
                u.display_name,
                u.staff_number,
                u.created_at,
                u.disabled_at,
                u.locked_at,
                u.must_change_password,
            )
            for u in session.scalars(select(User).order_by(User.name))
        ]


# Teams


@dataclass(frozen=True, slots=True)
class TeamInfo:
    name: str
    title_zh: str
    title_en: str
    members: int


def teams(db: Database) -> list[TeamInfo]:
    with db.session() as session:
        counts = dict(
            session.execute(
                select(User.team, func.count(User.id))
                .where(User.team.is_not(None), User.disabled_at.is_(None))
                .group_by(User.team)
            ).all()
        )
        return [
            TeamInfo(t.name, t.title_zh, t.title_en, int(counts.get(t.name, 0)))
            for t in session.scalars(select(Team).order_by(Team.name))
        ]


def save_team(db: Database, name: str, title_zh: str, title_en: str) -> bool:
    """Create a team or rename its titles; True when it was created."""
    if not TEAM_NAME.match(name):
        raise AccountError("team: up to 64 letters, digits, - or _ / 团队标识格式不正确")
    if not title_zh.strip() or not title_en.strip():
        raise AccountError("a team needs a Chinese and an English title / 请填写中英文名称")
    with db.session() as session:
        team = session.scalar(select(Team).where(Team.name == name).with_for_update())
        if team is None:
            session.add(Team(name=name, title_zh=title_zh.strip(), title_en=title_en.strip()))
            return True
        team.title_zh, team.title_en = title_zh.strip(), title_en.strip()
        return False


def delete_team(db: Database, name: str) -> None:
    """Remove a team nobody belongs to any more."""
    with db.session() as session:
        team = session.scalar(select(Team).where(Team.name == name).with_for_update())
        if team is None:
            raise LookupError(name)
        members = session.scalar(select(func.count(User.id)).where(User.team == name)) or 0
        if members:
            raise AccountError(f"团队还有 {members} 名成员 / the team still has {members} members")
        session.delete(team)
