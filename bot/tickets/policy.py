"""Ticket categories and the labels customers and staff see, in Chinese and English.

Priorities and SLA targets are data (tables ``priority_rules`` and ``sla_policies``),
read by ``bot.sla.policy``.
"""

from __future__ import annotations

CATEGORIES = ("complaint", "suggestion", "inquiry", "incident")

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

STATUSES = tuple(STATUS_LABELS)
