"""The data's lifecycle, for administrators (PIPL): retention per kind of data and the
purge, legal holds, and a customer's erasure (art. 47) and export (art. 45). Every
change and every export is audited; an erasure a hold covers is refused (409) with the
hold's reason, and the refusal is audited too."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from bot.api.deps import Address, Admin, ServicesDep, needs
from bot.core.config import rasa_key_prefix
from bot.core.models import LegalHold, PrivacyRecord, Ticket
from bot.privacy import erasure, export, holds, policy, schedule, subjects
from bot.web.services import Services

log = logging.getLogger(__name__)
_CLEANING: set[asyncio.Task[str]] = set()  # vacuums running after an erasure's answer
router = APIRouter(prefix="/privacy", tags=["Privacy (PIPL)"])
ADMIN = [needs("admin")]
HoldId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Who(BaseModel):
    """One way of naming the customer: a phone number, a ticket number, or a channel
    and its user id."""

    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=32)
    ticket: str | None = Field(default=None, max_length=20)
    channel: str | None = Field(default=None, pattern="^(webchat|wechat|wecom|sms|telegram)$")
    user: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def one_way(self) -> Who:
        given = [x for x in (self.phone, self.ticket, self.channel and self.user) if x]
        if len(given) != 1:
            raise ValueError(
                "请用一种方式指定客户：手机号、工单号，或渠道与用户标识 / name the customer one "
                "way: a phone number, a ticket number, or a channel and its user id"
            )
        return self


class Reasoned(Who):
    reason: str = Field(min_length=holds.MIN_REASON, max_length=500)


class Erase(Reasoned):
    # what the preview showed: the erasure goes ahead only for the customer confirmed
    confirm: str = Field(min_length=1, max_length=120)


class ExportIn(Who):
    language: str = Field(default="zh", pattern="^(zh|en)$")


class Days(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(ge=0, le=policy.MAX_DAYS)


class Lift(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=holds.MIN_REASON, max_length=500)


def _find(services: Services, who: Who) -> subjects.Subject:
    try:
        with services.db.session() as session:
            return subjects.find(
                session,
                services.vault,
                phone=who.phone,
                ticket=who.ticket,
                channel=who.channel,
                user=who.user,
            )
    except subjects.SubjectError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


def _hold_view(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "scope": hold.scope,
        "label": hold.label,
        "reason": hold.reason,
        "set_by": hold.set_by,
        "set_at": hold.set_at,
        "lifted_by": hold.lifted_by,
        "lifted_at": hold.lifted_at,
        "lift_reason": hold.lift_reason,
    }


@router.get("/retention", dependencies=ADMIN)
async def retention(services: ServicesDep, _: Admin) -> dict[str, Any]:
    """Each kind of data: its retention in force, the default and the rule behind it;
    and the last purge runs."""

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            chosen = policy.days(session)
            runs = session.scalars(
                select(PrivacyRecord)
                .where(PrivacyRecord.kind == "purge")
                .order_by(PrivacyRecord.id.desc())
                .limit(10)
            ).all()
            return {
                "kinds": [
                    {
                        "kind": k.key,
                        "days": chosen[k.key],
                        "default": k.days,
                        "title_zh": k.title_zh,
                        "title_en": k.title_en,
                        "rule": k.rule,
                        "rule_zh": k.rule_zh,
                    }
                    for k in policy.KINDS
                ],
                "runs": [{"at": r.at, "actor": r.actor, "report": r.report} for r in runs],
            }

    return await to_thread.run_sync(work)


@router.put("/retention/{kind}", dependencies=ADMIN)
async def set_retention(
    kind: Annotated[str, Path(max_length=32)],
    body: Days,
    services: ServicesDep,
    actor: Admin,
    address: Address,
) -> dict[str, str]:
    def work() -> str:
        with services.db.session() as session:
            return policy.set_days(session, kind, body.days, actor)

    try:
        change = await to_thread.run_sync(work)
    except policy.PolicyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    await services.audit(actor, "privacy.retention", "retention", kind, address, change)
    return {"change": change}


@router.post("/retention/run", dependencies=ADMIN)
async def run_purge(services: ServicesDep, actor: Admin) -> dict[str, Any]:
    """Purge what has expired now (the nightly job, at once); recorded and audited."""
    report = await to_thread.run_sync(
        lambda: schedule.purge_and_record(services.db, actor, services.settings)
    )
    return report.as_dict()


@router.get("/holds", dependencies=ADMIN)
async def hold_list(
    services: ServicesDep, _: Admin, lifted: Annotated[bool, Query()] = False
) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        with services.db.session() as session:
            return [_hold_view(h) for h in holds.listing(session, include_lifted=lifted)]

    return await to_thread.run_sync(work)


@router.post("/holds", status_code=status.HTTP_201_CREATED, dependencies=ADMIN)
async def hold_add(
    body: Reasoned, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    """Hold a ticket (named by its number), else the whole customer."""
    subject = await to_thread.run_sync(_find, services, body)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            return _hold_view(holds.place(session, subject, body.reason, actor))

    try:
        hold = await to_thread.run_sync(work)
    except holds.HoldError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    detail = f"{hold['label']}: {body.reason}"
    await services.audit(actor, "privacy.hold", "legal_hold", str(hold["id"]), address, detail)
    return hold


@router.post("/holds/{hold_id}/lift", dependencies=ADMIN)
async def hold_lift(
    hold_id: HoldId, body: Lift, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with services.db.session() as session:
            return _hold_view(holds.lift(session, hold_id, body.reason, actor))

    try:
        hold = await to_thread.run_sync(work)
    except holds.HoldError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    detail = f"{hold['label']}: {body.reason}"
    await services.audit(actor, "privacy.hold_lift", "legal_hold", str(hold_id), address, detail)
    return hold


@router.post("/subject", dependencies=ADMIN)
async def preview(
    body: Who, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    """Who a request would be about, before it is made: the label to confirm, how many
    conversations and which tickets, and the holds that would stop an erasure."""
    subject = await to_thread.run_sync(_find, services, body)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            numbers = session.scalars(
                select(Ticket.number).where(Ticket.conversation_id.in_(subject.conversation_ids))
            ).all()
            blocking = holds.live(session).covers(subject)
            return {
                "label": subject.label,
                "conversations": len(subject.conversation_ids),
                "tickets": sorted(n for n in numbers if n),
                "holds": [_hold_view(h) for h in blocking],
            }

    found = await to_thread.run_sync(work)
    detail = f"{found['conversations']} conversations, tickets {' '.join(found['tickets'])}"
    await services.audit(actor, "privacy.lookup", "customer", subject.label, address, detail)
    return found


@router.post("/erase", dependencies=ADMIN)
async def erase(
    body: Erase, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    subject = await to_thread.run_sync(_find, services, body)
    if body.confirm.strip() != subject.label:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"请输入「{subject.label}」确认 / type “{subject.label}” to confirm",
        )
    sqlite = services.db.is_sqlite
    try:
        result = await to_thread.run_sync(
            lambda: erasure.erase(services.db, subject, actor, body.reason, clean=sqlite)
        )
    except erasure.Refused as exc:
        await services.audit(
            actor, "privacy.erase_refused", "customer", subject.label, address, str(exc)
        )
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    if result.senders:
        prefix = rasa_key_prefix(services.settings.redis_prefix) + ":tracker:"
        try:
            await services.events.redis.delete(*(prefix + s for s in result.senders))
        except Exception:  # the states expire after 30 idle days anyway
            log.warning("Redis unreachable: the erased customer's dialogue states stay 30 days")
    if not sqlite:  # vacuuming big tables outlasts a request: it goes on after the answer
        cleaning = asyncio.create_task(
            to_thread.run_sync(erasure.clean_storage, services.db), name="erasure-vacuum"
        )
        _CLEANING.add(cleaning)
        cleaning.add_done_callback(_CLEANING.discard)
        result.storage = f"postgresql: VACUUM of {len(erasure.TABLES)} tables started"
    report = result.as_dict()
    await services.audit(
        actor, "privacy.erase", "customer", result.label, address, f"{body.reason} · {report}"
    )
    return report


@router.post("/export", dependencies=ADMIN)
async def export_data(
    body: ExportIn, services: ServicesDep, actor: Admin, address: Address
) -> dict[str, Any]:
    """Everything held about the customer, as data and as a page to hand them."""
    subject = await to_thread.run_sync(_find, services, body)

    def work() -> dict[str, Any]:
        with services.db.session() as session:
            return export.collect(session, services.vault, subject)

    data = await to_thread.run_sync(work)
    page = export.document(data, body.language, ZoneInfo(services.settings.display_timezone))
    counts = f"{len(data['conversations'])} conversations, {len(data['tickets'])} tickets"
    await services.audit(actor, "privacy.export", "customer", subject.label, address, counts)
    return {"data": data, "document": page}


@router.get("/records", dependencies=ADMIN)
async def records(services: ServicesDep, _: Admin) -> list[dict[str, Any]]:
    """Erasures, refusals and purge runs, newest first (what was done, never to whom
    beyond a record number)."""

    def work() -> list[dict[str, Any]]:
        with services.db.session() as session:
            return [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "at": r.at,
                    "actor": r.actor,
                    "subject": r.subject,
                    "reason": r.reason,
                    "report": r.report,
                }
                for r in session.scalars(
                    select(PrivacyRecord).order_by(PrivacyRecord.id.desc()).limit(100)
                )
            ]

    return await to_thread.run_sync(work)
