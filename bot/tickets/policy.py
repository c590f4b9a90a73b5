"""Priority rules and SLA deadlines (first cut; the ticket issue makes them editable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CATEGORIES = ("complaint", "suggestion", "inquiry", "incident")
MAJOR_INCIDENTS = ("card_lost", "fraud", "account_compromised", "large_amount_dispute")

CATEGORY_LABELS = {
    "complaint": {"zh": "投诉", "en": "complaint"},
    "suggestion": {"zh": "建议", "en": "suggestion"},
    "inquiry": {"zh": "咨询", "en": "inquiry"},
    "incident": {"zh": "紧急事件", "en": "incident"},
}

STATUS_LABELS = {
    "new": {"zh": "已受理，待处理", "en": "received, waiting to be handled"},
    "open": {"zh": "处理中", "en": "being handled"},
    "pending_customer": {"zh": "等待您的回复", "en": "waiting for your reply"},
    "resolved": {"zh": "已解决", "en": "resolved"},
    "closed": {"zh": "已关闭", "en": "closed"},
}

_DEFAULT_PRIORITY = {"complaint": "P2", "inquiry": "P3", "suggestion": "P4"}


def priority_for(category: str, subcategory: str | None) -> str:
    """Major incidents are P1; complaint P2; inquiry P3; suggestion P4."""
    if category == "incident":
        return "P1" if subcategory in MAJOR_INCIDENTS else "P2"
    return _DEFAULT_PRIORITY.get(category, "P3")


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    first_response: timedelta
    resolution_by_priority: dict[str, timedelta]

    @classmethod
    def from_hours(
        cls, first_response_hours: float, resolution_hours: dict[str, float]
    ) -> SlaPolicy:
        return cls(
            first_response=timedelta(hours=first_response_hours),
            resolution_by_priority={k: timedelta(hours=v) for k, v in resolution_hours.items()},
        )

    def deadlines(self, priority: str, opened_at: datetime) -> tuple[datetime, datetime]:
        """(first response due, resolution due). Nothing is due later than its resolution."""
        resolution = opened_at + self.resolution_by_priority.get(priority, timedelta(hours=72))
        first = min(opened_at + self.first_response, resolution)
        return first, resolution
