"""``python -m bot``: migrations, staff accounts and API tokens."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.access.accounts import (
    ROLES,
    AccountError,
    add_user,
    set_public_name,
    unlock_user,
    user_count,
)
from bot.access.tokens import (
    DEFAULT_DAYS,
    SCOPES,
    TokenError,
    create_token,
    list_tokens,
    parse_scopes,
    revoke_token,
)
from bot.audit import trail as audit
from bot.console.throttle import account_key
from bot.core.config import get_settings
from bot.core.contact_vault import ContactVault
from bot.core.db import Database
from bot.core.migrate import upgrade
from bot.core.models import utcnow
from bot.core.models.staff import public_name
from bot.identity import vip
from bot.kb import starter
from bot.kb.store import KbError


def _db() -> Database:
    return Database(get_settings().database_url)


def _audit(db: Database, action: str, object_type: str, object_id: str, detail: str = "") -> None:
    """Record a change made from the command line (the actor: ``cli:<system user>``) and
    anchor the new head in Redis when it answers, as the service does."""
    event = audit.Event(f"cli:{getpass.getuser()}", action, object_type, object_id, None, detail)
    head = audit.record(db, event)
    prefix = get_settings().redis_prefix
    _in_redis(
        lambda client: client.set(audit.anchor_key(prefix), head),
        "Redis unreachable; the audit head is not anchored",
    )


def _in_redis(work: Callable[[redis.Redis], object], unreachable: str) -> None:
    """One command to the service's Redis; a warning, not a failure, when it is down."""
    try:
        client = redis.Redis.from_url(get_settings().redis_url, socket_timeout=2)
        work(client)
        client.close()
    except redis.RedisError:
        print(f"warning: {unreachable}", file=sys.stderr)


def cmd_migrate(_: argparse.Namespace) -> int:
    upgrade(get_settings().database_url)
    print("database is up to date")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    db = _db()
    password = add_user(
        db,
        args.name,
        args.role,
        args.password,
        languages=args.languages,
        skills=args.skills,
        capacity=args.capacity,
        team=args.team,
        display_name=args.display_name,
        staff_number=args.staff_number,
    )
    _audit(db, "user.create", "user", args.name, f"role={args.role} team={args.team}")
    print(f"created {args.role} {args.name!r}")
    if not args.password:
        print(f"password (shown once): {password}")
    return 0


def cmd_user_name(args: argparse.Namespace) -> int:
    db = _db()
    set_public_name(db, args.name, args.display_name, args.staff_number)
    _audit(
        db,
        "user.public_name",
        "user",
        args.name,
        f"display_name={args.display_name} staff_number={args.staff_number}",
    )
    print(f"{args.name}: customers see {public_name(args.display_name, args.staff_number)!r}")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    db = _db()
    if not unlock_user(db, args.name):
        print(f"error: {args.name!r} is not a locked account", file=sys.stderr)
        return 2
    prefix = get_settings().redis_prefix
    _in_redis(
        lambda client: client.delete(account_key(prefix, args.name)),
        "Redis unreachable; the failure count lapses within the hour",
    )
    _audit(db, "account.unlock", "user", args.name)
    print(f"unlocked {args.name!r}")
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    db = _db()
    try:
        scopes = parse_scopes(args.scope or [])
        token = create_token(db, args.name, scopes, owner=args.owner, days=args.days)
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    detail = f"scopes={' '.join(scopes)} owner={args.owner or '-'} days={args.days}"
    _audit(db, "token.create", "api_token", args.name, detail)
    print(f"API token {args.name!r} ({' '.join(scopes)}; {args.days} days) (shown once): {token}")
    return 0


def cmd_token_list(_: argparse.Namespace) -> int:
    now = utcnow()
    rows = list_tokens(_db())
    print(f"{'name':24} {'state':8} {'scopes':40} {'owner':12} {'expires':16} last used")
    for t in rows:
        expires = t.expires_at.strftime("%Y-%m-%d %H:%M") if t.expires_at else "never"
        used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
        name = t.name + (" (legacy)" if t.legacy else "")
        print(
            f"{name:24} {t.state(now):8} {' '.join(t.scopes):40} {t.owner or '-':12} "
            f"{expires:16} {used}"
        )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    db = _db()
    if not revoke_token(db, args.name):
        print(f"error: no live token {args.name!r}", file=sys.stderr)
        return 2
    _audit(db, "token.revoke", "api_token", args.name)
    print(f"revoked {args.name!r}: it is refused from its next call")
    return 0


def cmd_kb_starter(args: argparse.Namespace) -> int:
    """Add the starter knowledge base's entries the knowledge base does not have."""
    db = _db()
    try:
        loaded = starter.load(db, Path(args.file) if args.file else starter.STARTER)
    except KbError as exc:
        raise AccountError(str(exc)) from exc
    _audit(db, "kb.starter", "kb", "starter", f"{len(loaded.created)} entries")
    print(
        f"added {len(loaded.created)} entries; {len(loaded.kept)} already there were left as they are"
    )
    return 0


def cmd_bootstrap(_: argparse.Namespace) -> int:
    """Load the starter knowledge base the first time, and create the first admin with a
    generated password, printed once; later runs do nothing."""
    db = _db()
    loaded = starter.load_once(db)
    if loaded is not None and loaded.created:
        _audit(db, "kb.starter", "kb", "starter", f"{len(loaded.created)} entries")
        print(f"Loaded the starter knowledge base: {len(loaded.created)} entries.")
    if user_count(db) > 0:
        return 0
    password = add_user(db, "admin", "admin")
    _audit(db, "user.create", "user", "admin", "role=admin (bootstrap)")
    bar = "=" * 64
    print(f"{bar}\nFirst admin account created. Save this password now; it is not shown again.")
    print(f"  user: admin\n  password: {password}\n{bar}")
    return 0


def _vip_key(args: argparse.Namespace) -> str:
    settings = get_settings()
    vault = ContactVault(settings.data_key) if settings.data_key else None
    try:
        return vip.identity(args.channel, args.id, vault)
    except ValueError as exc:
        raise AccountError(str(exc)) from exc


def cmd_vip_add(args: argparse.Namespace) -> int:
    db = _db()
    vip.add(db, args.channel, _vip_key(args))
    _audit(db, "vip.add", "vip", args.channel)
    print(f"VIP added on {args.channel}")
    return 0


def cmd_vip_remove(args: argparse.Namespace) -> int:
    db = _db()
    if not vip.remove(db, args.channel, _vip_key(args)):
        print("error: no such VIP", file=sys.stderr)
        return 2
    _audit(db, "vip.remove", "vip", args.channel)
    print(f"VIP removed on {args.channel}")
    return 0


def cmd_vip_list(_: argparse.Namespace) -> int:
    for channel, key in vip.listing(_db()):
        print(f"{channel}\t{key}")
    return 0


def cmd_audit_verify(_: argparse.Namespace) -> int:
    """Walk the hash chain; compare its head with the one the service anchored in Redis."""
    settings = get_settings()
    anchor = None
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
        raw = client.get(audit.anchor_key(settings.redis_prefix))
        anchor = raw.decode() if isinstance(raw, bytes) else None
        client.close()
    except redis.RedisError:
        print(
            "warning: Redis unreachable; rows cut from the end cannot be detected", file=sys.stderr
        )
    verdict = audit.verify(_db(), anchor)
    if not verdict.ok:
        print(f"AUDIT LOG BROKEN after {verdict.entries} good entries: {verdict.problem}")
        return 1
    print(f"audit log intact: {verdict.entries} entries, head {verdict.head[:16]}…")
    return 0


def cmd_telegram_set_webhook(args: argparse.Namespace) -> int:
    """Tell Telegram where to deliver updates, with our secret token."""
    from channels.telegram import set_webhook

    s = get_settings()
    if not s.telegram_enabled:
        print("error: set TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN first", file=sys.stderr)
        return 2
    url = args.url or f"{s.public_url.rstrip('/')}/webhooks/telegram"
    ok = asyncio.run(
        set_webhook(s.telegram_bot_token, s.telegram_api_base_url, url, s.telegram_secret_token)
    )
    print(f"setWebhook {url}: {'ok' if ok else 'refused'}")
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Anxin service desk")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("bootstrap", help="create the first admin if there is none").set_defaults(
        func=cmd_bootstrap
    )

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="action", required=True
    )
    user_add = user.add_parser("add", help="add a staff account")
    user_add.add_argument("name")
    user_add.add_argument("--role", choices=ROLES, required=True)
    user_add.add_argument("--password", help="set this password instead of generating one")
    user_add.add_argument("--languages", default="zh,en", help="languages served, e.g. zh,en")
    user_add.add_argument(
        "--skills", default="", help="ticket categories and vip, e.g. complaint,incident,vip"
    )
    user_add.add_argument("--capacity", type=int, default=3, help="chats at once (default 3)")
    user_add.add_argument("--team", default=None, help="the agent's team")
    user_name = user.add_parser(
        "name", help="what customers see: display name and staff number (工号)"
    )
    for named in (user_add, user_name):
        named.add_argument("--display-name", default=None, help="shown to customers, e.g. 小李")
        named.add_argument("--staff-number", default=None, help="工号, e.g. 1024")
    user_add.set_defaults(func=cmd_user_add)
    user_name.add_argument("name")
    user_name.set_defaults(func=cmd_user_name)
    user_unlock = user.add_parser("unlock", help="unlock an account locked by wrong passwords")
    user_unlock.add_argument("name")
    user_unlock.set_defaults(func=cmd_user_unlock)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create an API token (printed once)")
    token_create.add_argument("name")
    token_create.add_argument(
        "--scope",
        action="append",
        required=True,
        help=f"what it may do (repeat, or comma-separate): {', '.join(SCOPES)}",
    )
    token_create.add_argument("--owner", default=None, help="the person answerable for it")
    token_create.add_argument(
        "--days", type=int, default=DEFAULT_DAYS, help=f"lifetime in days (default {DEFAULT_DAYS})"
    )
    token_create.set_defaults(func=cmd_token_create)
    token.add_parser("list", help="list tokens: scopes, owner, expiry, last use").set_defaults(
        func=cmd_token_list
    )
    token_revoke = token.add_parser("revoke", help="revoke a token at once")
    token_revoke.add_argument("name")
    token_revoke.set_defaults(func=cmd_token_revoke)

    kb = sub.add_parser("kb", help="the knowledge base").add_subparsers(
        dest="action", required=True
    )
    kb_starter = kb.add_parser(
        "starter", help="add the starter entries the knowledge base lacks (never overwrites)"
    )
    kb_starter.add_argument("--file", help="another file of the same shape (data/kb/starter.yml)")
    kb_starter.set_defaults(func=cmd_kb_starter)

    vips = sub.add_parser("vip", help="VIP customers").add_subparsers(dest="action", required=True)
    for name, func, text in (
        ("add", cmd_vip_add, "mark a channel identity as VIP"),
        ("remove", cmd_vip_remove, "remove a VIP"),
    ):
        one = vips.add_parser(name, help=text)
        one.add_argument("channel", choices=("webchat", "wechat", "wecom", "sms", "telegram"))
        one.add_argument("id", help="openid, chat id, or (SMS) the phone number")
        one.set_defaults(func=func)
    vips.add_parser("list", help="list VIPs").set_defaults(func=cmd_vip_list)

    audits = sub.add_parser("audit", help="the audit trail").add_subparsers(
        dest="action", required=True
    )
    audits.add_parser("verify", help="detect any edited or deleted audit entry").set_defaults(
        func=cmd_audit_verify
    )

    telegram = sub.add_parser("telegram", help="Telegram channel").add_subparsers(
        dest="action", required=True
    )
    hook = telegram.add_parser("set-webhook", help="register the webhook URL with Telegram")
    hook.add_argument("url", nargs="?", help="default: ANXIN_PUBLIC_URL + /webhooks/telegram")
    hook.set_defaults(func=cmd_telegram_set_webhook)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(
            f"error: the database is not ready ({reason}). If it has not been set up yet, "
            "run: python -m bot migrate",
            file=sys.stderr,
        )
        return 2
    return result
