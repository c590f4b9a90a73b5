from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.sla.calendar import BusinessHours, Calendars

SH = ZoneInfo("Asia/Shanghai")
HOURS = BusinessHours(
    tz=SH,
    opens=time(9),
    closes=time(18),
    holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_within_a_day_and_across_the_night() -> None:
    assert HOURS.add(at(2026, 11, 26, 10, 0), timedelta(hours=2)) == at(2026, 11, 26, 12, 0)
    # Thursday 17:00 + 2 h working time → Friday 10:00.
    assert HOURS.add(at(2026, 11, 26, 17, 0), timedelta(hours=2)) == at(2026, 11, 27, 10, 0)
    # Opened at night: the clock starts at 09:00.
    assert HOURS.add(at(2026, 11, 26, 23, 30), timedelta(minutes=30)) == at(2026, 11, 27, 9, 30)


def test_weekends_and_holidays_are_skipped() -> None:
    # Friday 17:00 + 2 h → Monday 10:00.
    assert HOURS.add(at(2026, 11, 27, 17, 0), timedelta(hours=2)) == at(2026, 11, 30, 10, 0)
    # Wednesday 30 Sep 17:00 + 2 h → 1-2 Oct are holidays → Saturday/Sunday → Monday 5 Oct 10:00.
    assert HOURS.add(at(2026, 9, 30, 17, 0), timedelta(hours=2)) == at(2026, 10, 5, 10, 0)


def test_elapsed_counts_working_time_only() -> None:
    assert HOURS.elapsed(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0)) == timedelta(hours=2)
    assert HOURS.elapsed(at(2026, 11, 28, 10, 0), at(2026, 11, 28, 16, 0)) == timedelta(
        0
    )  # Saturday
    assert HOURS.elapsed(at(2026, 11, 26, 12, 0), at(2026, 11, 26, 11, 0)) == timedelta(0)


def test_24x7_is_plain_time() -> None:
    calendars = Calendars(HOURS)
    start = at(2026, 11, 27, 17, 0)
    assert calendars.add("24x7", start, timedelta(hours=4)) == at(2026, 11, 27, 21, 0)
    assert calendars.add("business", start, timedelta(hours=4)) == at(2026, 11, 30, 12, 0)
    assert calendars.elapsed("24x7", start, at(2026, 11, 28, 17, 0)) == timedelta(hours=24)
