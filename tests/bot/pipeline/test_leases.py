"""Leases in the row: a row is taken once until its lease runs out, oldest first."""

from datetime import UTC, datetime, timedelta

import time_machine

from bot.pipeline.inbox import accept
from bot.pipeline.messages import InboundMessage
from bot.pipeline.worker import claim_inbox


def _message(db, n: int) -> int:
    inbound = InboundMessage(
        "webchat", f"lease-{n}", f"visitor-lease-{n:04d}", "hi", datetime.now(UTC)
    )
    return accept(db, inbound).message_id


def test_a_taken_row_is_nobody_elses_until_its_lease_runs_out(db) -> None:
    ids = [_message(db, n) for n in range(3)]
    assert claim_inbox(db, 2) == ids[:2]  # oldest first, no more than asked
    assert claim_inbox(db, 5) == ids[2:]  # a second taker gets only what is left
    assert claim_inbox(db, 5) == []
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61)):
        assert claim_inbox(db, 5) == ids  # a crashed worker's rows come back
