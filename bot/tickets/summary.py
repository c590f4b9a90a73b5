"""What a customer is told about their ticket, in both languages (the assistant's
status answer and the answer after an identity check use the same words)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.lang import Said
from bot.tickets.policy import CATEGORY_LABELS, STATUS_LABELS


def due_display(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def summary(
    number: str, category: str, priority: str, status: str, due: datetime, tz: ZoneInfo
) -> Said:
    kind, state, when = CATEGORY_LABELS[category], STATUS_LABELS[status], due_display(due, tz)
    return Said(
        f"工单 {number}（{kind['zh']}，优先级 {priority}）当前状态：{state['zh']}。"
        f"预计在 {when} 前处理完毕。",
        f"Ticket {number} ({kind['en']}, priority {priority}) is {state['en']}. "
        f"It is due to be resolved by {when}.",
    )
