"""Calendars for SLA clocks: round the clock (24x7), or business hours with holidays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessHours:
    """Working time on working days (Monday=0 … Friday=4) in one time zone, minus holidays."""

    tz: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(18, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def _is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, self.tz),
            datetime.combine(day, self.closes, self.tz),
        )

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``."""
        remaining = duration
        moment = start.astimezone(self.tz)
        for _ in range(3700):  # ten years of days: a guard, never reached in practice
            day = moment.date()
            if self._is_working_day(day):
                opens, closes = self._window(day)
                begin = max(moment, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            moment = datetime.combine(day + timedelta(days=1), time(0, 0), self.tz)
        raise ValueError("duration too long for the business calendar")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        moment = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        while moment < end:
            day = moment.date()
            if self._is_working_day(day):
                opens, closes = self._window(day)
                begin, finish = max(moment, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            moment = datetime.combine(day + timedelta(days=1), time(0, 0), self.tz)
        return total


@dataclass(frozen=True)
class Calendars:
    """The calendars a policy may name."""

    business: BusinessHours

    def add(self, calendar: str, start: datetime, duration: timedelta) -> datetime:
        if calendar == "business":
            return self.business.add(start, duration)
        return start + duration

    def elapsed(self, calendar: str, start: datetime, end: datetime) -> timedelta:
        if calendar == "business":
            return self.business.elapsed(start, end)
        return max(end - start, timedelta(0))
