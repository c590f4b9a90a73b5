"""The hours people answer chats (ANXIN_SERVICE_HOURS, in the display time zone; every
day, the service runs 7x24). An agent online outside them is not "on shift" for a
customer: the assistant says when people are back instead of promising a wait.

"00:00-24:00" (the default) is always; "08:30-20:00" is every day from 08:30 to 20:00;
"20:00-08:00" runs past midnight. The shift calendar (administration) will replace it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DAY = 24 * 60


class ServiceHoursError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ServiceHours:
    start: int  # minutes after midnight
    end: int  # minutes after midnight, up to 24:00; before ``start``: past midnight

    @classmethod
    def parse(cls, text: str) -> ServiceHours:
        found = _SPAN.match(text)
        if found is None:
            raise ServiceHoursError(f"service hours {text!r} are not like 08:30-20:00")
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or end > DAY or start == end:
            raise ServiceHoursError(f"service hours {text!r} are not a span of the day")
        return cls(start, end)

    @property
    def always(self) -> bool:
        return self.start == 0 and self.end == DAY

    def is_open(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def next_open(self, local: datetime) -> datetime:
        """When people are next back (``local`` itself while open)."""
        if self.is_open(local):
            return local
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        today = midnight + timedelta(minutes=self.start)
        return today if today > local else today + timedelta(days=1)

    def label(self) -> str:
        def hhmm(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return f"{hhmm(self.start)}–{hhmm(self.end)}"
