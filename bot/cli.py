"""``python -m bot``: migrations, staff accounts and API tokens."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

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
from bot.privacy import erasure, export, holds, policy, schedule, subjects
from bot.privacy.subjects import Subject


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
    """Walk the hash chain from its checkpoint; compare the head and the checkpoint with
    the ones the service anchored in Redis."""
    settings = get_settings()
    anchored = audit.anchored(settings.redis_url, settings.redis_prefix)
    if anchored is None:
        print(
            "warning: Redis unreachable; rows cut from the end cannot be detected", file=sys.stderr
        )
    anchor, checkpoint = anchored or (None, None)
    verdict = audit.verify(_db(), anchor, checkpoint)
    if not verdict.ok:
        print(f"AUDIT LOG BROKEN after {verdict.entries} good entries: {verdict.problem}")
        return 1
    print(f"audit log intact: {verdict.entries} entries, head {verdict.head[:16]}…")
    return 0


def _vault(db: Database) -> ContactVault | None:
    settings = get_settings()
    return ContactVault(settings.data_key, db.engine) if settings.data_key else None


def _subject(db: Database, args: argparse.Namespace) -> Subject:
    vault = _vault(db)
    try:
        with db.session() as session:
            return subjects.find(
                session,
                vault,
                phone=args.phone,
                ticket=args.ticket,
                channel=args.channel,
                user=args.user,
            )
    except subjects.SubjectError as exc:
        raise AccountError(str(exc)) from exc


def cmd_privacy_retention(args: argparse.Namespace) -> int:
    """Show the retention of each kind of data; change one; or run the purge now."""
    db = _db()
    actor = f"cli:{getpass.getuser()}"
    if args.set:
        kind, days = args.set
        try:
            with db.session() as session:
                change = policy.set_days(session, kind, int(days), actor)
        except (policy.PolicyError, ValueError) as exc:
            raise AccountError(str(exc)) from exc
        _audit(db, "privacy.retention", "retention", kind, change)
        print(change)
        return 0
    if args.run:
        report = schedule.purge_and_record(db, actor, get_settings())
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    with db.session() as session:
        chosen = policy.days(session)
    print(f"{'kind':16} {'days':>6}  {'default':>7}  what")
    for kind in policy.KINDS:
        days = chosen[kind.key]
        shown = "keep" if days == 0 else str(days)
        print(f"{kind.key:16} {shown:>6}  {kind.days:>7}  {kind.title_en}")
    return 0


def cmd_privacy_hold(args: argparse.Namespace) -> int:
    db = _db()
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.hold_action == "list":
            with db.session() as session:
                for hold in holds.listing(session, include_lifted=args.all):
                    state = f"lifted {hold.lifted_at:%Y-%m-%d}" if hold.lifted_at else "live"
                    print(
                        f"#{hold.id}\t{hold.scope}\t{hold.label}\t{state}\t"
                        f"{hold.set_by} {hold.set_at:%Y-%m-%d}\t{hold.reason}"
                    )
            return 0
        if args.hold_action == "lift":
            with db.session() as session:
                hold = holds.lift(session, args.id, args.reason, actor)
                label = hold.label
            _audit(db, "privacy.hold_lift", "legal_hold", str(args.id), f"{label}: {args.reason}")
            print(f"hold #{args.id} lifted")
            return 0
        subject = _subject(db, args)
        with db.session() as session:
            hold = holds.place(session, subject, args.reason, actor)
            hold_id, label = hold.id, hold.label
    except holds.HoldError as exc:
        raise AccountError(str(exc)) from exc
    _audit(db, "privacy.hold", "legal_hold", str(hold_id), f"{label}: {args.reason}")
    print(f"hold #{hold_id} on {label}")
    return 0


def cmd_privacy_erase(args: argparse.Namespace) -> int:
    db = _db()
    subject = _subject(db, args)
    actor = f"cli:{getpass.getuser()}"
    try:
        result = erasure.erase(db, subject, actor, args.reason, full_vacuum=args.full_vacuum)
    except erasure.Refused as exc:
        _audit(db, "privacy.erase_refused", "customer", subject.label, str(exc))
        print(f"refused: {exc}", file=sys.stderr)
        return 3
    except holds.HoldError as exc:
        raise AccountError(str(exc)) from exc
    settings = get_settings()
    forgotten = erasure.forget_dialogues(settings.redis_url, settings.redis_prefix, result.senders)
    if forgotten is None:
        print("warning: Redis unreachable; the assistant's dialogue state expires in 30 days")
    _audit(db, "privacy.erase", "customer", result.label, json.dumps(result.as_dict()))
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_privacy_export(args: argparse.Namespace) -> int:
    db = _db()
    subject = _subject(db, args)
    settings = get_settings()
    with db.session() as session:
        data = export.collect(session, _vault(db), subject)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"anxin-export-{utcnow():%Y%m%d%H%M%S}"
    (out / f"{stem}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2))
    page = export.document(data, args.lang, ZoneInfo(settings.display_timezone))
    (out / f"{stem}.{args.lang}.html").write_text(page)
    counts = f"{len(data['conversations'])} conversations, {len(data['tickets'])} tickets"
    _audit(db, "privacy.export", "customer", subject.label, counts)
    print(f"wrote {out / stem}.json and {stem}.{args.lang}.html ({counts})")
    return 0


def _name_customer(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--phone", help="the customer's phone number")
    parser.add_argument("--ticket", help="a ticket number of theirs")
    parser.add_argument("--channel", choices=subjects.CHANNELS, help="with --user")
    parser.add_argument("--user", help="their id on --channel (openid, chat id, phone for SMS)")


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

    privacy = sub.add_parser(
        "privacy", help="retention, legal holds, erasure and export (PIPL)"
    ).add_subparsers(dest="action", required=True)
    retention = privacy.add_parser(
        "retention", help="list the retention per kind of data; --set KIND DAYS; --run"
    )
    retention.add_argument("--set", nargs=2, metavar=("KIND", "DAYS"), help="0 keeps it")
    retention.add_argument("--run", action="store_true", help="purge what has expired now")
    retention.set_defaults(func=cmd_privacy_retention)
    hold = privacy.add_parser("hold", help="legal holds").add_subparsers(
        dest="hold_action", required=True
    )
    hold_add = hold.add_parser("add", help="hold a customer, or a ticket with --ticket")
    _name_customer(hold_add)
    hold_add.add_argument("--reason", required=True)
    hold_list = hold.add_parser("list", help="live holds (--all: lifted ones too)")
    hold_list.add_argument("--all", action="store_true")
    hold_lift = hold.add_parser("lift", help="lift a hold")
    hold_lift.add_argument("id", type=int)
    hold_lift.add_argument("--reason", required=True)
    for one in (hold_add, hold_list, hold_lift):
        one.set_defaults(func=cmd_privacy_hold)
    erase = privacy.add_parser("erase", help="erase a customer's personal data (art. 47)")
    _name_customer(erase)
    erase.add_argument("--reason", required=True, help="e.g. the request's reference")
    erase.add_argument(
        "--full-vacuum", action="store_true", help="PostgreSQL: VACUUM FULL (locks the tables)"
    )
    erase.set_defaults(func=cmd_privacy_erase)
    exported = privacy.add_parser("export", help="everything held about a customer (art. 45)")
    _name_customer(exported)
    exported.add_argument("--lang", choices=("zh", "en"), default="zh")
    exported.add_argument("--out", default=".", help="directory for the JSON and the page")
    exported.set_defaults(func=cmd_privacy_export)

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
