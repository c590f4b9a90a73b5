"""The audit trail: reads and changes recorded; any edit or deletion detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.access.tokens import create_token
from bot.audit import trail as audit
from bot.cli import main
from bot.core.db import Database
from bot.core.models import AuditEntry
from tests.helpers import agent_client, ask_for_human, beat


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def _fill(db, n: int = 5) -> str:
    head = ""
    for i in range(n):
        event = audit.Event("li.na", "read", "ticket", f"AX2611280000{i}", "10.0.0.1")
        head = audit.record(db, event)
    return head


def test_an_intact_chain_verifies(db) -> None:
    head = _fill(db)
    verdict = audit.verify(db, anchor=head)
    assert verdict.ok and verdict.entries == 5 and verdict.head == head


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_log SET actor = 'someone.else' WHERE id = 3", "entry 3 was altered"),
        ("UPDATE audit_log SET object_id = 'AX00000000000' WHERE id = 1", "entry 1 was altered"),
        ("DELETE FROM audit_log WHERE id = 2", "entry 2 is missing"),
    ],
)
def test_editing_or_deleting_a_row_is_detected(db, tamper: str, problem: str) -> None:
    head = _fill(db)
    with db.session() as s:
        s.execute(text(tamper))
    verdict = audit.verify(db, anchor=head)
    assert not verdict.ok and verdict.problem == problem


def test_a_row_rewritten_with_a_fresh_hash_breaks_the_next_link(db) -> None:
    head = _fill(db)
    with db.session() as s:
        row = s.get(AuditEntry, 2)
        assert row is not None
        row.actor = "forger"
        row.hash = audit.digest(row.prev_hash, row.id, row.at, audit._fields(row))
    verdict = audit.verify(db, anchor=head)
    assert not verdict.ok and verdict.problem == "entry 3 does not follow its predecessor"


def test_cutting_the_newest_rows_is_caught_by_the_anchor(db) -> None:
    head = _fill(db)
    with db.session() as s:
        s.execute(text("DELETE FROM audit_log WHERE id >= 4"))
    assert audit.verify(db).ok  # the chain alone cannot tell
    verdict = audit.verify(db, anchor=head)
    assert not verdict.ok and "newest entries are missing" in verdict.problem


def test_reads_and_changes_are_recorded_and_verify_cli(customer, settings, app_db, cli_db, capsys):
    beat(settings, "li.na")
    conversation, _ = ask_for_human(customer)
    li = agent_client(settings, "li.na", "pw-li-na-123")
    try:
        [item] = li.get("/console/api/queue").json()
        li.post(f"/console/api/handoffs/{item['handoff_id']}/accept")
        li.get(f"/console/api/handoffs/{item['handoff_id']}/messages")
        token = create_token(app_db, "auditor-tool", ["tickets:read", "tickets:write"])
        auth = {"Authorization": f"Bearer {token}"}
        customer.get(f"/api/v1/tickets/{item['ticket']}", headers=auth)
        customer.get(f"/api/v1/conversations/{conversation}/messages", headers=auth)
        customer.post(
            f"/api/v1/tickets/{item['ticket']}/notes", json={"body": "核实中"}, headers=auth
        )
        customer.post("/console/api/login", json={"name": "li.na", "password": "wrong"})
    finally:
        li.__exit__(None, None, None)
    with app_db.session() as s:
        rows = [
            (e.actor, e.action, e.object_type, e.object_id, e.address)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert ("li.na", "login", "user", "li.na", "testclient") in rows
    assert ("li.na", "read", "transcript", f"handoff:{item['handoff_id']}", "testclient") in rows
    assert ("auditor-tool", "read", "ticket", item["ticket"], "testclient") in rows
    assert ("auditor-tool", "read", "transcript", conversation, "testclient") in rows
    assert ("auditor-tool", "ticket.note", "ticket", item["ticket"], "testclient") in rows
    assert rows[-1][:2] == ("li.na", "login_failed")

    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert f"intact: {len(rows)} entries" in capsys.readouterr().out
    with app_db.session() as s:
        s.execute(text("UPDATE audit_log SET address = '1.2.3.4' WHERE id = 2"))
    assert main(["audit", "verify"]) == 1
    assert "entry 2 was altered" in capsys.readouterr().out
