from datetime import UTC, datetime, timedelta

from bot.tickets.policy import SlaPolicy, priority_for


def test_priorities() -> None:
    assert priority_for("incident", "card_lost") == "P1"
    assert priority_for("incident", "fraud") == "P1"
    assert priority_for("incident", "account_compromised") == "P1"
    assert priority_for("incident", "other") == "P2"
    assert priority_for("complaint", None) == "P2"
    assert priority_for("inquiry", None) == "P3"
    assert priority_for("suggestion", None) == "P4"


def test_deadlines() -> None:
    policy = SlaPolicy.from_hours(24, {"P1": 4, "P2": 48})
    opened = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    first, resolution = policy.deadlines("P1", opened)
    assert resolution == opened + timedelta(hours=4)
    assert first == resolution  # first response can never be later than resolution
    first, resolution = policy.deadlines("P2", opened)
    assert first == opened + timedelta(hours=24)
    assert resolution == opened + timedelta(hours=48)
