"""Four-eyes on the knowledge base through the API: a supervisor's change waits, the
assistant keeps answering as before, the editor cannot approve it, a second person can;
forbidden words cannot be published; diffs of a change and between versions; a change
overtaken by another is refused; review-due notices reach an entry's owner once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.access.tokens import create_token
from bot.core.db import Database
from bot.core.models import AuditEntry, KbEntry, StaffNotice, utcnow
from bot.kb import reminders
from bot.web.app import create_app
from tests.conftest import SERVICE_TOKEN
from tests.helpers import sign_in

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
KEY = "reset_password"


@pytest.fixture
def people(settings, desk_db):
    add_user(desk_db, "zhou.sup", "supervisor", "pw-zhou-sup-1234")
    clients: dict[str, TestClient] = {}
    for name, password in (("sun.sup", "pw-sun-sup-123"), ("zhou.sup", "pw-zhou-sup-1234")):
        client = TestClient(create_app(settings))
        client.__enter__()
        assert sign_in(client, name, password).status_code == 200
        clients[name] = client
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def _answer(client: TestClient) -> str:
    return client.get(f"/api/v1/internal/kb/{KEY}", headers=SERVICE).json()["answer"]


def _edited(client: TestClient, answer: str) -> dict:
    entry = client.get(f"/api/v1/kb/{KEY}").json()
    fields = {
        k: entry[k] for k in entry if k not in ("key", "active", "hits", "updated_at", "updated_by")
    }
    return {**fields, "answer_zh": answer}


def test_a_change_waits_for_a_second_person(people, desk_db) -> None:
    editor, reviewer = people["sun.sup"], people["zhou.sup"]
    before = _answer(editor)
    proposed = editor.put(
        f"/api/v1/kb/{KEY}", json=_edited(editor, "请在手机银行「我的-安全中心」重置登录密码。")
    )
    assert proposed.status_code == 202
    change = proposed.json()
    assert change["state"] == "pending" and change["proposed_by"] == "sun.sup"
    [answer_diff] = [d for d in change["diff"] if d["field"] == "answer_zh"]
    assert answer_diff["after"] == "请在手机银行「我的-安全中心」重置登录密码。"
    assert any(op["op"] != "equal" for op in answer_diff["ops"])
    assert _answer(editor) == before  # customers still get the approved answer

    own = editor.post(f"/api/v1/kb/changes/{change['id']}/approve")
    assert own.status_code == 403 and "提交人以外" in own.json()["detail"]
    listed = reviewer.get("/api/v1/kb/changes").json()
    assert [c["id"] for c in listed] == [change["id"]]
    approved = reviewer.post(f"/api/v1/kb/changes/{change['id']}/approve")
    assert approved.status_code == 200 and approved.json()["updated_by"] == "sun.sup"
    assert _answer(editor) == "请在手机银行「我的-安全中心」重置登录密码。"
    again = reviewer.post(f"/api/v1/kb/changes/{change['id']}/approve")
    assert again.status_code == 422

    history = editor.get(f"/api/v1/kb/{KEY}/history").json()
    assert history[0]["changed_by"] == "sun.sup" and history[0]["approved_by"] == "zhou.sup"
    newest, older = history[0]["version"], history[1]["version"]
    between = editor.get(f"/api/v1/kb/{KEY}/diff", params={"from": older, "to": newest}).json()
    assert [d["field"] for d in between] == ["answer_zh"]
    with desk_db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == KEY))
        assert entry.reviewed_at is not None
        actions = [
            a
            for a in session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == KEY).order_by(AuditEntry.id)
            )
        ]
    assert actions == ["kb.propose", "kb.approve"]


def test_forbidden_words_cannot_be_published(people) -> None:
    editor = people["sun.sup"]
    refused = editor.put(
        f"/api/v1/kb/{KEY}", json=_edited(editor, "本行理财产品保本保收益，放心购买。")
    )
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail["findings"][0]["found"] == "保本保收益" and "禁用语" in detail["message"]
    assert editor.get("/api/v1/kb/changes").json() == []


def test_an_overtaken_change_is_refused_and_changes_are_rejected_or_withdrawn(
    people, settings
) -> None:
    editor, reviewer = people["sun.sup"], people["zhou.sup"]
    first = editor.put(
        f"/api/v1/kb/{KEY}", json=_edited(editor, "第一版答案：请在手机银行重置。")
    ).json()
    second = editor.put(
        f"/api/v1/kb/{KEY}", json=_edited(editor, "第二版答案：请到网点重置。")
    ).json()
    assert first["base_version"] == second["base_version"]
    assert reviewer.post(f"/api/v1/kb/changes/{first['id']}/approve").status_code == 200
    stale = reviewer.get(f"/api/v1/kb/changes/{second['id']}").json()
    assert stale["stale"] is True
    assert reviewer.post(f"/api/v1/kb/changes/{second['id']}/approve").status_code == 409
    rejected = reviewer.post(
        f"/api/v1/kb/changes/{second['id']}/reject", json={"note": "已被新版本取代"}
    )
    assert rejected.json()["state"] == "rejected"
    third = editor.delete(f"/api/v1/kb/{KEY}").json()
    withdrawn = editor.post(f"/api/v1/kb/changes/{third['id']}/reject", json={"note": "误操作"})
    assert withdrawn.json()["state"] == "withdrawn"
    assert editor.get("/api/v1/kb/changes").json() == []

    db = Database(settings.database_url)
    token = create_token(db, "kb-bot", ["kb:read", "kb:write"])
    db.dispose()
    proposed = editor.put(f"/api/v1/kb/{KEY}", json=_edited(editor, "第三版答案。")).json()
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as bot:
        refused = bot.post(f"/api/v1/kb/changes/{proposed['id']}/approve")
        assert refused.status_code == 403  # four eyes are two people, not a token


def test_review_due_notices_reach_the_owner_once(people, desk_db) -> None:
    with desk_db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == KEY))
        entry.owner = "sun.sup"
        entry.updated_at = utcnow() - timedelta(days=200)
        ending = session.scalar(select(KbEntry).where(KbEntry.key != KEY, KbEntry.active.is_(True)))
        ending.owner = "zhou.sup"
        ending.valid_to = date.today() + timedelta(days=5)
        ending_key = ending.key
    told = reminders.remind(desk_db, utcnow(), 180, date.today())
    assert sorted(told) == sorted([KEY, ending_key])
    assert reminders.remind(desk_db, utcnow(), 180, date.today()) == []  # not twice a week
    notices = people["sun.sup"].get("/api/v1/desk/me").json()["notices"]
    assert notices[0]["kind"] == "kb_review" and notices[0]["subject"] == f"kb:{KEY}"
    assert "180" in notices[0]["body"]
    with desk_db.session() as session:
        body = session.scalar(select(StaffNotice.body).where(StaffNotice.user_name == "zhou.sup"))
    assert "失效" in body


def test_the_daily_reminder_runs_once_a_day_after_nine(settings, desk_db) -> None:
    from datetime import UTC, datetime

    with desk_db.session() as session:
        entry = session.scalar(select(KbEntry).where(KbEntry.key == KEY))
        entry.owner, entry.updated_at = "sun.sup", utcnow() - timedelta(days=200)
    daily = reminders.ReviewReminders(desk_db, settings)
    early = datetime(2026, 12, 3, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    assert daily.send_if_due(early) == []
    late = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)  # 10:00
    assert daily.send_if_due(late) == [KEY]
    assert daily.last_day == date(2026, 12, 3)
    assert daily.send_if_due(late + timedelta(hours=1)) == []  # the day is done here
    other = reminders.ReviewReminders(desk_db, settings)  # another replica, same day
    assert other.send_if_due(late) == []
