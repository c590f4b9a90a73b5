"""The tables the purge and the erasure work on, as Core tables, and a row counter."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import BindParameter, Connection, Table, bindparam

from bot.core.models import (
    ChannelState,
    Conversation,
    Customer,
    DeliveryAttempt,
    EscalationEvent,
    Followup,
    FollowupAttempt,
    FollowupTask,
    Handoff,
    IdentityCheck,
    KbQuery,
    LegalHold,
    Message,
    OutboxItem,
    PrivacyRecord,
    QaAppeal,
    QaFlag,
    QaReview,
    StaffNotice,
    SurveyResponse,
    Ticket,
    TicketEvent,
    VaultKey,
    VipCustomer,
)

DONE = ("resolved", "closed")
# a list of ids or pseudonyms, as ``{"ids": [...]}``, written into the statement as
# literals: thousands of bound parameters cost more to send than the work they name
IDS: BindParameter[Any] = bindparam("ids", expanding=True, literal_execute=True)


def table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


T, C, M = table(Ticket), table(Conversation), table(Message)
OUT, TRIES, H = table(OutboxItem), table(DeliveryAttempt), table(Handoff)
FL, RV, AP = table(QaFlag), table(QaReview), table(QaAppeal)
FU, SR = table(Followup), table(SurveyResponse)
TASK, CALL = table(FollowupTask), table(FollowupAttempt)
EV, ESC, NOTE = table(TicketEvent), table(EscalationEvent), table(StaffNotice)
KQ, IC, CU, LH = table(KbQuery), table(IdentityCheck), table(Customer), table(LegalHold)
CS, VIP, VK = table(ChannelState), table(VipCustomer), table(VaultKey)
RECORDS = table(PrivacyRecord)


def count_rows(counts: Counter[str], name: str, result: Any) -> None:
    """Add a statement's row count to ``counts[name]``."""
    if result.rowcount and result.rowcount > 0:
        counts[name] += result.rowcount


class Counted:
    """Runs statements on one connection with the same parameters, adding each one's
    row count to ``counts[name]``."""

    def __init__(
        self, connection: Connection, counts: Counter[str], params: dict[str, Any] | None = None
    ) -> None:
        self.connection, self.counts, self.params = connection, counts, params or {}

    def __call__(self, name: str, statement: Any, params: dict[str, Any] | None = None) -> None:
        result = self.connection.execute(statement, self.params if params is None else params)
        count_rows(self.counts, name, result)
