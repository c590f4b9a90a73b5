"""Quality inspection for supervisors: the rubric, flagged and sampled chats, scoring,
and agent scorecards. Supervisors and admins (or an API token) only; audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.access.scopes import scope_of
from bot.api.deps import Address, Period, ServicesDep, StaffMember, Supervisor, needs
from bot.core.models import QaRule
from bot.quality import reviews
from bot.web.audited_reads import AuditedReads

router = APIRouter(prefix="/qa", tags=["quality"])
T = TypeVar("T")


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handoff_id: int = Field(ge=1, le=2**31 - 1)
    scores: dict[str, int]
    comment: str = Field(default="", max_length=2000)


class RuleEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(greeting|forbidden|disclosure|empathy|identity|manual)$")
    pattern: str = Field(default="", max_length=2000)
    trigger: str = Field(default="", max_length=2000)
    weight: int = Field(default=1, ge=0, le=10)
    active: bool = True


def _session_work(services: ServicesDep, work: Callable[[Any], T]) -> Callable[[], T]:
    """``work`` inside a session of its own."""

    def run() -> T:
        with services.db.session() as session:
            return work(session)

    return run


async def _in_session(services: ServicesDep, work: Callable[[Any], T]) -> T:
    run = _session_work(services, work)
    try:
        return await to_thread.run_sync(run)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ended chat") from exc
    except reviews.ReviewError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except PermissionError as exc:  # another team's chat: answered as if there were none
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ended chat") from exc


def _agents(session: Any, staff: tuple[str, str]) -> frozenset[str] | None:
    """The agents a team's supervisor answers for; None for everyone."""
    scope = scope_of(session, *staff)
    return None if scope.everything else scope.agents


@router.get("/rules", dependencies=[needs("admin")])
async def rules(services: ServicesDep, _: Supervisor) -> list[dict[str, Any]]:
    return await _in_session(services, reviews.rules)


@router.put("/rules/{key}", dependencies=[needs("admin")])
async def edit_rule(
    key: Annotated[str, Path(pattern="^[a-z0-9_]{1,64}$")],
    body: RuleEdit,
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
) -> dict[str, bool]:
    """Add or change a rubric line (a pattern is a regular expression, checked here)."""
    for pattern in (body.pattern, body.trigger):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise HTTPException(422, f"invalid pattern: {exc}") from exc

    def work(session: Any) -> None:
        rule = session.scalar(select(QaRule).where(QaRule.key == key))
        if rule is None:
            rule = QaRule(key=key)
            session.add(rule)
        for name, value in body.model_dump().items():
            setattr(rule, name, value)

    await _in_session(services, work)
    await services.audit(actor, "qa.rule", "qa_rule", key, address)
    return {"ok": True}


@router.get("/flagged", dependencies=[needs("reports:read")])
async def flagged(
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    address: Address,
    period: Period,
) -> list[dict[str, Any]]:
    """Ended chats the automatic inspection flagged, newest first."""
    return await AuditedReads(services, actor, address).read(
        "qa_flagged",
        _session_work(
            services, lambda s: reviews.flagged(s, period.since, period.until, _agents(s, staff))
        ),
        lambda found: f"{len(found)} chats",
    )


@router.get("/sample", dependencies=[needs("reports:read")])
async def sample(
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    period: Period,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    seed: int | None = None,
) -> list[dict[str, Any]]:
    """A random sample of ended chats nobody has scored yet."""
    return await _in_session(
        services,
        lambda s: reviews.sample(s, size, period.since, period.until, seed, _agents(s, staff)),
    )


@router.post("/reviews", status_code=status.HTTP_201_CREATED, dependencies=[needs("tickets:write")])
async def review(
    body: Review, services: ServicesDep, actor: Supervisor, staff: StaffMember, address: Address
) -> dict[str, Any]:
    made = await _in_session(
        services,
        lambda s: reviews.score(
            s, body.handoff_id, actor, body.scores, body.comment, _agents(s, staff)
        ),
    )
    await services.audit(
        actor, "qa.review", "handoff", str(body.handoff_id), address, f"total {made['total']}"
    )
    return made


@router.get("/scorecards", dependencies=[needs("reports:read")])
async def scorecards(
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    address: Address,
    period: Period,
) -> list[dict[str, Any]]:
    return await AuditedReads(services, actor, address).read(
        "qa_scorecards",
        _session_work(
            services,
            lambda s: reviews.scorecards(s, period.since, period.until, _agents(s, staff)),
        ),
        str(period),
    )
