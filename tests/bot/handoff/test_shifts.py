"""The shift calendar: scheduling (repeated days, no overlap for one person, 24 hours at
most), who is on shift at a moment and when the next shift starts, and the floor setting
the scheduled beside the online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.access.accounts import add_user, set_disabled
from bot.handoff import floor, shifts

NINE = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Monday


@pytest.fixture
def staff(db):
    add_user(db, "li.na", "agent", "pw-li-na-123", team="cards")
    add_user(db, "wang.wei", "agent", "pw-wang-wei-123", team="loans")
    add_user(db, "gone.agent", "agent", "pw-gone-123")
    set_disabled(db, "gone.agent", True)
    return db


def test_shifts_are_scheduled_without_overlap(staff) -> None:
    made = shifts.add(staff, "li.na", NINE, NINE + timedelta(hours=8), "sup", repeat_days=5)
    assert len(made) == 5
    with pytest.raises(shifts.ShiftError, match="重叠"):
        shifts.add(
            staff,
            "li.na",
            NINE + timedelta(days=2, hours=7),
            NINE + timedelta(days=2, hours=9),
            "sup",
        )
    with pytest.raises(shifts.ShiftError, match="24"):
        shifts.add(staff, "wang.wei", NINE, NINE + timedelta(hours=25), "sup")
    with pytest.raises(shifts.ShiftError, match="晚于"):
        shifts.add(staff, "wang.wei", NINE, NINE, "sup")
    with pytest.raises(shifts.ShiftError, match=r"gone\.agent"):
        shifts.add(staff, "gone.agent", NINE, NINE + timedelta(hours=1), "sup")
    week = shifts.between(staff, NINE - timedelta(hours=9), NINE + timedelta(days=7))
    assert [s.starts_at for s in week] == [NINE + timedelta(days=n) for n in range(5)]
    assert shifts.between(staff, NINE, NINE + timedelta(days=7), team="loans") == []
    with pytest.raises(shifts.ShiftError):
        shifts.between(staff, NINE, NINE + timedelta(days=200))


def test_who_is_on_shift_and_when_people_are_back(staff) -> None:
    assert shifts.cover_now(staff, NINE) == shifts.Cover(False, frozenset(), None)  # not kept
    (first,) = shifts.add(staff, "li.na", NINE, NINE + timedelta(hours=8), "sup")
    shifts.add(staff, "wang.wei", NINE + timedelta(hours=4), NINE + timedelta(hours=12), "sup")
    during = shifts.cover_now(staff, NINE + timedelta(hours=5))
    assert during.scheduled == {"li.na", "wang.wei"} and not during.closed()
    night = shifts.cover_now(staff, NINE - timedelta(hours=2))
    assert night.closed() and night.next_start == NINE
    shifts.change(staff, first, NINE + timedelta(minutes=30), NINE + timedelta(hours=8))
    assert shifts.cover_now(staff, NINE - timedelta(hours=2)).next_start == NINE + timedelta(
        minutes=30
    )
    shifts.remove(staff, first)
    assert shifts.cover_now(staff, NINE - timedelta(hours=2)).next_start == NINE + timedelta(
        hours=4
    )
    with pytest.raises(LookupError):
        shifts.remove(staff, first)


def test_the_floor_sets_the_scheduled_beside_the_online(staff) -> None:
    now = datetime.now(UTC)
    shifts.add(staff, "li.na", now - timedelta(hours=1), now + timedelta(hours=3), "sup")
    with staff.session() as session:
        seen = floor.snapshot(session, {"wang.wei": "online"}, None)
    people = {p["name"]: p for p in seen["people"]}
    assert "gone.agent" not in people  # disabled accounts are not on the floor
    assert people["li.na"]["scheduled"] is True and people["li.na"]["state"] == "offline"
    assert seen["calendar_kept"] and seen["scheduled"] == 1
    assert seen["scheduled_missing"] == ["li.na"] and seen["unscheduled_online"] == ["wang.wei"]
