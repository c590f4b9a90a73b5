from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.core.models import PriorityRule, SlaPolicyRow
from bot.sla.calendar import BusinessHours, Calendars
from bot.sla.policy import Targets, deadlines, priority_for, targets_for

UTC_CALENDARS = Calendars(BusinessHours(tz=UTC))


def test_seeded_priority_rules(db) -> None:
    with db.session() as s:
        assert priority_for(s, "incident", "card_lost") == "P1"
        assert priority_for(s, "incident", "fraud") == "P1"
        assert priority_for(s, "incident", "account_compromised") == "P1"
        assert priority_for(s, "complaint", "large_amount_dispute") == "P1"
        assert priority_for(s, "incident", "other") == "P2"
        assert priority_for(s, "complaint", None) == "P2"
        assert priority_for(s, "inquiry", None) == "P3"
        assert priority_for(s, "suggestion", None) == "P4"


def test_staff_edit_rules_and_targets(db) -> None:
    with db.session() as s:
        s.execute(
            update(PriorityRule).where(PriorityRule.category == "suggestion").values(priority="P3")
        )
        s.execute(
            update(SlaPolicyRow)
            .where(SlaPolicyRow.priority == "P3")
            .values(resolution_minutes=60, calendar="business")
        )
    with db.session() as s:
        assert priority_for(s, "suggestion", None) == "P3"
        assert targets_for(s, "P3", "inquiry") == Targets(
            timedelta(hours=24), timedelta(minutes=60), "business"
        )
        assert targets_for(s, "P1", "incident").resolution == timedelta(hours=4)


def test_deadlines_first_response_never_after_resolution() -> None:
    opened = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    first, resolution = deadlines(
        Targets(timedelta(hours=24), timedelta(hours=4), "24x7"), UTC_CALENDARS, opened
    )
    assert resolution == opened + timedelta(hours=4) and first == resolution
