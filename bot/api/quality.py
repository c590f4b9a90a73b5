"""Quality inspection for supervisors: the rubric, flagged and sampled chats, scoring,
and agent scorecards. Supervisors and admins (or an API token) only; audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from bot.access.scopes import scope_of
from bot.api.deps import Address, Period, ServicesDep, Staff, StaffMember, Supervisor, needs
from bot.core.models import QaRule
from bot.quality import appeals, inspection, reviews, rubric
from bot.web.audited_reads import AuditedReads

router = APIRouter(prefix="/qa", tags=["quality"])
T = TypeVar("T")


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handoff_id: int = Field(ge=1, le=2**31 - 1)
    scores: dict[str, int]
    comment: str = Field(default="", max_length=2000)


KIND = "^(" + "|".join(rubric.KINDS) + ")$"


class RuleWriting(BaseModel):
    """How a rule is written: phrases, or (``advanced``) regular expressions."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(pattern=KIND)
    phrases: list[str] = Field(default_factory=list, max_length=rubric.MAX_PHRASES)
    trigger_phrases: list[str] = Field(default_factory=list, max_length=rubric.MAX_PHRASES)
    advanced: bool = False
    pattern: str = Field(default="", max_length=2000)
    trigger: str = Field(default="", max_length=2000)

    def written(self) -> rubric.Written:
        return rubric.Written(
            self.kind,
            tuple(p.strip() for p in self.phrases if p.strip()),
            tuple(p.strip() for p in self.trigger_phrases if p.strip()),
            self.advanced,
            self.pattern,
            self.trigger,
        )


class RuleEdit(RuleWriting):
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=200)
    examples: list[str] = Field(default_factory=list, max_length=20)
    weight: int = Field(default=1, ge=0, le=10)
    active: bool = True


class RuleTrial(RuleWriting):
    text: str = Field(min_length=1, max_length=4000)


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(pattern="^(upheld|changed)$")
    note: str = Field(min_length=1, max_length=2000)
    scores: dict[str, int] | None = None


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
        raise HTTPException(status.HTTP_404_NOT_FOUND, "没有找到 / not found") from exc
    except reviews.ReviewError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except PermissionError as exc:  # another team's chat: answered as if there were none
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such ended chat") from exc


def _agents(session: Any, staff: tuple[str, str]) -> frozenset[str] | None:
    """The agents a team's supervisor answers for; None for everyone."""
    scope = scope_of(session, *staff)
    return None if scope.everything else scope.agents


@router.get("/rules", dependencies=[needs("tickets:read")])
async def rules(services: ServicesDep, _: Staff) -> list[dict[str, Any]]:
    """The rubric: every member of staff may read what their chats are scored on."""
    return await _in_session(services, reviews.rules)


@router.put("/rules/{key}", dependencies=[needs("admin")])
async def edit_rule(
    key: Annotated[str, Path(pattern="^[a-z0-9_]{1,64}$")],
    body: RuleEdit,
    services: ServicesDep,
    actor: Supervisor,
    address: Address,
) -> dict[str, bool]:
    """Add or change a rubric line, written as phrases (or, advanced, as regular
    expressions); refused with the reason when it could not work."""
    written = body.written()
    try:
        written.check()
    except rubric.RubricError as exc:
        raise HTTPException(422, str(exc)) from exc

    def work(session: Any) -> bool:
        rule = session.scalar(select(QaRule).where(QaRule.key == key))
        created = rule is None
        if rule is None:
            rule = QaRule(key=key)
            session.add(rule)
        for name, value in body.model_dump().items():
            setattr(rule, name, value)
        rule.phrases, rule.trigger_phrases = list(written.phrases), list(written.trigger_phrases)
        rule.examples = [e.strip() for e in body.examples if e.strip()]
        return created

    created = await _in_session(services, work)
    said = "regex" if body.advanced else " | ".join(written.phrases)
    detail = f"{'new' if created else 'changed'} {body.kind}: {said}"[:500]
    await services.audit(actor, "qa.rule", "qa_rule", key, address, detail)
    return {"ok": True}


@router.post("/rules/test", dependencies=[needs("admin")])
async def test_rule(body: RuleTrial, _: Supervisor) -> dict[str, Any]:
    """Try a rule, unsaved, on a sample chat (客户: lines are the customer's, the rest
    the agent's): whether it flags it, on which line, and every phrase found."""
    try:
        trial = inspection.try_rule(body.written(), body.text)
    except rubric.RubricError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {
        "flagged": trial.flagged,
        "flagged_line": trial.flagged_line,
        "lines": [{"sender": sender, "text": text} for sender, text in trial.lines],
        "found": [asdict(f) for f in trial.found],
    }


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


@router.get("/calibration", dependencies=[needs("reports:read")])
async def calibration(
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    address: Address,
    period: Period,
) -> dict[str, Any]:
    """Chats scored by two or more supervisors, and how far their scores agree."""
    return await AuditedReads(services, actor, address).read(
        "qa_calibration",
        _session_work(
            services,
            lambda s: reviews.calibration(s, period.since, period.until, _agents(s, staff)),
        ),
        str(period),
    )


@router.get("/my-reviews", dependencies=[needs("tickets:read")])
async def my_reviews(services: ServicesDep, me: Staff) -> list[dict[str, Any]]:
    """The scores my chats were given, with the reviewer's comment and any appeal."""
    return await _in_session(services, lambda s: appeals.mine(s, me))


@router.post(
    "/reviews/{review_id}/appeal",
    status_code=status.HTTP_201_CREATED,
    dependencies=[needs("tickets:write")],
)
async def appeal(
    review_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: AppealIn,
    services: ServicesDep,
    me: Staff,
    address: Address,
) -> dict[str, int]:
    """Appeal a score of one of my chats, once, within 30 days."""
    made = await _in_session(services, lambda s: appeals.appeal(s, review_id, me, body.reason))
    await services.audit(me, "qa.appeal", "qa_review", str(review_id), address)
    return {"appeal_id": made.id}


@router.get("/appeals", dependencies=[needs("reports:read")])
async def open_appeals(
    services: ServicesDep, _: Supervisor, staff: StaffMember
) -> list[dict[str, Any]]:
    """Appeals waiting for a decision (a team's supervisor: their team's)."""
    return await _in_session(services, lambda s: appeals.waiting(s, _agents(s, staff)))


@router.post("/appeals/{appeal_id}/decide", dependencies=[needs("tickets:write")])
async def decide(
    appeal_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Decision,
    services: ServicesDep,
    actor: Supervisor,
    staff: StaffMember,
    address: Address,
) -> dict[str, Any]:
    """The score stands (``upheld``) or is replaced by new ``scores`` (``changed``)."""
    done = await _in_session(
        services,
        lambda s: appeals.decide(
            s, appeal_id, actor, body.outcome, body.note, body.scores, _agents(s, staff)
        ),
    )
    old = done["appeal"]["old_total"]
    detail = f"changed: total {old} → {done['total']}" if old is not None else "upheld"
    await services.audit(actor, "qa.appeal_decision", "qa_appeal", str(appeal_id), address, detail)
    return done


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
