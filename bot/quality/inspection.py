"""The automatic checks, run on every chat an agent ends (bot.handoff.queue.end).

Each active rubric line with an automatic ``kind`` is checked against the chat's turns
from the moment it was handed over; a broken rule becomes one ``qa_flags`` row pointing
at the message concerned. The checks are phrases supervisors edit (or, for an advanced
rule, regular expressions: ``bot.quality.rubric``), not a model, so a flag can always
be explained.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.models import Handoff, Message, QaFlag, QaRule
from bot.handoff import signals
from bot.quality.rubric import Written, sample_turns

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Turn:
    id: int
    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    kind: str
    pattern: str
    trigger: str


def _rx(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE) if pattern else None
    except re.error:
        log.warning("a quality rule has an invalid pattern; it is skipped")
        return None


def check(rules: list[Rule], turns: list[Turn]) -> list[tuple[str, int | None]]:
    """(rule key, message id) for every rule the chat broke."""
    agent = [t for t in turns if t.sender == "agent"]
    if not agent:
        return []
    broken: list[tuple[str, int | None]] = []
    for rule in rules:
        rx, trigger = _rx(rule.pattern), _rx(rule.trigger)
        said = [t for t in agent if rx and rx.search(t.text)]
        if rule.kind == "greeting" and rx and not rx.search(agent[0].text):
            broken.append((rule.key, agent[0].id))
        elif rule.kind == "forbidden" and said:
            broken.append((rule.key, said[0].id))
        elif rule.kind == "disclosure" and trigger and not said:
            mentioned = [
                t for t in turns if t.sender in ("customer", "agent") and trigger.search(t.text)
            ]
            if mentioned:
                broken.append((rule.key, mentioned[0].id))
        elif rule.kind == "empathy" and not said:
            upset = [t for t in turns if t.sender == "customer" and signals.detect(t.text)]
            if upset:
                broken.append((rule.key, upset[0].id))
        elif rule.kind == "identity" and trigger:
            for turn in agent:
                if rx and rx.search(turn.text):
                    break  # asked to verify before any detail
                if trigger.search(turn.text):
                    broken.append((rule.key, turn.id))
                    break
    return broken


def inspect(session: Session, handoff: Handoff) -> int:
    """Check one ended chat; returns how many rules it broke."""
    rules = [
        Rule(r.key, r.kind, *Written.of(r).expressions())
        for r in session.scalars(select(QaRule).where(QaRule.active.is_(True)))
        if r.kind != "manual"
    ]
    turns = [
        Turn(m.id, m.sender, m.text)
        for m in session.scalars(
            select(Message)
            .where(
                Message.conversation_id == handoff.conversation_id,
                Message.created_at >= handoff.queued_at,
            )
            .order_by(Message.id)
        )
    ]
    broken = check(rules, turns)
    for key, message_id in broken:
        session.add(
            QaFlag(
                handoff_id=handoff.id,
                conversation_id=handoff.conversation_id,
                agent=handoff.agent or "",
                rule_key=key,
                message_id=message_id,
            )
        )
    return len(broken)


@dataclass(frozen=True, slots=True)
class DraftFinding:
    """A rubric line an agent's draft would break (事中质检), shown before it is sent."""

    key: str
    kind: str
    title_zh: str
    title_en: str


def check_draft(session: Session, handoff: Handoff, draft: str) -> list[DraftFinding]:
    """The rubric's forbidden phrases in the draft, and a disclosure it brings up (say, a
    wealth product) without the risk statement, unless the agent already gave it."""
    rules = session.scalars(
        select(QaRule).where(QaRule.active.is_(True), QaRule.kind.in_(("forbidden", "disclosure")))
    )
    earlier = list(
        session.scalars(
            select(Message.text).where(
                Message.conversation_id == handoff.conversation_id,
                Message.created_at >= handoff.queued_at,
                Message.sender == "agent",
            )
        )
    )
    found: list[DraftFinding] = []
    for rule in rules:
        pattern, trigger_text = Written.of(rule).expressions()
        rx, trigger = _rx(pattern), _rx(trigger_text)
        if rx is None:
            continue
        if rule.kind == "forbidden":
            broken = rx.search(draft) is not None
        else:
            broken = (
                trigger is not None
                and trigger.search(draft) is not None
                and rx.search(draft) is None
                and not any(rx.search(text) for text in earlier)
            )
        if broken:
            found.append(DraftFinding(rule.key, rule.kind, rule.title_zh, rule.title_en))
    return found


@dataclass(frozen=True, slots=True)
class Found:
    line: int  # 0-based line of the sample
    start: int
    end: int
    text: str
    role: str  # "pattern" | "trigger"


@dataclass(frozen=True, slots=True)
class Trial:
    flagged: bool
    flagged_line: int | None
    lines: list[tuple[str, str]]  # (sender, text) as read from the sample
    found: list[Found]


def try_rule(written: Written, text: str) -> Trial:
    """What the rule does with a sample chat: whether it flags it, on which line, and
    every phrase found."""
    written.check()
    turns = sample_turns(text)
    pattern, trigger = written.expressions()
    found: list[Found] = []
    for n, (_, said) in enumerate(turns):
        for role, expression in (("pattern", pattern), ("trigger", trigger)):
            if not expression:
                continue
            for match in re.finditer(expression, said, re.IGNORECASE):
                found.append(Found(n, match.start(), match.end(), match.group(0), role))
    broken = check(
        [Rule("trial", written.kind, pattern, trigger)],
        [Turn(n, sender, said) for n, (sender, said) in enumerate(turns)],
    )
    line = broken[0][1] if broken else None
    return Trial(bool(broken), line, turns, found)
