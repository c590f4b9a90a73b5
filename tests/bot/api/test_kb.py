"""The knowledge base over the API with four-eyes switched off (ANXIN_KB_FOUR_EYES=false):
edit, version, roll back, import and export; live for the assistant at once; only
supervisors and admins (or an API token) may edit. (Four-eyes: test_kb_changes.py.)"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.access.accounts import add_user
from bot.access.tokens import create_token
from bot.core.db import Database
from bot.core.models import KbVersion
from bot.web.app import create_app
from tests.conftest import SERVICE_TOKEN
from tests.helpers import sign_in

SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
ENTRY = {
    "key": "card_freeze_test",
    "category": "cards",
    "question_zh": "新卡怎么激活？",
    "question_en": "How do I activate a new card?",
    "similar_zh": ["信用卡激活", "收到新卡后如何开卡", "信用卡激活"],
    "similar_en": ["activate my card"],
    "answer_zh": "在手机银行「卡片管理」中点击「激活」。",
    "answer_en": "Open Card Management in the app and tap Activate.",
    "owner": "cards-team",
}


@pytest.fixture
def direct(settings):
    """The service with changes live at once (no second person)."""
    return settings.model_copy(update={"kb_four_eyes": False})


@pytest.fixture
def api(direct):
    db = Database(direct.database_url)
    token = create_token(db, "kb-editor", ["kb:read", "kb:write"])
    db.dispose()
    with TestClient(create_app(direct), headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def _answer(client: TestClient, key: str, language: str = "zh") -> int | str:
    found = client.get(f"/api/v1/internal/kb/{key}", params={"language": language}, headers=SERVICE)
    return found.json()["answer"] if found.status_code == 200 else found.status_code


def test_edit_is_live_at_once_versioned_and_rolled_back(api) -> None:
    created = api.post("/api/v1/kb", json=ENTRY)
    assert created.status_code == 201 and created.json()["version"] == 1
    assert created.json()["similar_zh"] == ["信用卡激活", "收到新卡后如何开卡"]  # duplicates folded
    assert api.post("/api/v1/kb", json=ENTRY).status_code == 409
    assert _answer(api, "card_freeze_test") == ENTRY["answer_zh"]
    changed = {**ENTRY, "answer_zh": "拨打 95588 激活。", "version": 1}
    del changed["key"]
    assert api.put("/api/v1/kb/card_freeze_test", json=changed).json()["version"] == 2
    assert _answer(api, "card_freeze_test") == "拨打 95588 激活。"  # no retraining
    stale = api.put("/api/v1/kb/card_freeze_test", json={**changed, "answer_zh": "x"})
    assert stale.status_code == 409  # edited from version 1, but it is at 2 now
    assert api.delete("/api/v1/kb/card_freeze_test").status_code == 200
    assert _answer(api, "card_freeze_test") == 404  # withdrawn
    history = api.get("/api/v1/kb/card_freeze_test/history").json()
    assert [(h["version"], h["action"], h["changed_by"]) for h in history] == [
        (3, "delete", "kb-editor"),
        (2, "update", "kb-editor"),
        (1, "create", "kb-editor"),
    ]
    back = api.post("/api/v1/kb/card_freeze_test/rollback", json={"version": 1})
    assert back.status_code == 200 and back.json()["version"] == 4
    assert _answer(api, "card_freeze_test") == ENTRY["answer_zh"]
    assert api.post("/api/v1/kb/card_freeze_test/rollback", json={"version": 9}).status_code == 404
    assert _answer(api, "card_freeze_test", "en") == ENTRY["answer_en"]
    assert api.get("/api/v1/kb/card_freeze_test").json()["hits"] == 4


def test_validity_dates_and_bad_input(api) -> None:
    past = {**ENTRY, "key": "old_rate", "valid_from": "2020-01-01", "valid_to": "2020-12-31"}
    assert api.post("/api/v1/kb", json=past).status_code == 201
    assert _answer(api, "old_rate") == 404  # expired: the assistant does not use it
    backwards = {**ENTRY, "key": "bad_dates", "valid_from": "2026-02-01", "valid_to": "2026-01-01"}
    assert api.post("/api/v1/kb", json=backwards).status_code == 422
    assert api.post("/api/v1/kb", json={**ENTRY, "key": "Bad Key!"}).status_code == 422
    assert api.post("/api/v1/kb", json={**ENTRY, "key": "x", "answer_zh": ""}).status_code == 422
    assert api.post("/api/v1/kb", json={**ENTRY, "key": "y", "admin": True}).status_code == 422
    assert api.get("/api/v1/kb/nothing_here").status_code == 404


def test_export_then_import_round_trips_and_refuses_bad_files(api, direct) -> None:
    api.post("/api/v1/kb", json={**ENTRY, "answer_zh": '=HYPERLINK("http://evil")'})
    exported = api.get("/api/v1/kb/export").content
    assert exported.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    mine = next(r for r in rows if r["key"] == "card_freeze_test")
    assert mine["answer_zh"].startswith("'=")  # never run as a formula
    assert mine["similar_zh"] == "信用卡激活\n收到新卡后如何开卡"
    unchanged = api.post("/api/v1/kb/import", files={"file": ("kb.csv", exported)})
    assert unchanged.status_code == 200 and unchanged.json()["created"] == []
    assert unchanged.json()["updated"] == []  # identical rows are left alone

    mine["answer_en"] = "Call us to activate."
    rows.append({**mine, "key": "card_pin_test", "question_zh": "怎么设置密码？"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    applied = api.post("/api/v1/kb/import", files={"file": ("kb.csv", out.getvalue().encode())})
    assert applied.json()["created"] == ["card_pin_test"] and applied.json()["updated"] == [
        "card_freeze_test"
    ]
    entry = api.get("/api/v1/kb/card_freeze_test").json()
    assert entry["answer_zh"] == '=HYPERLINK("http://evil")' and entry["version"] == 2

    bad = [*rows[:1], {**rows[0], "key": "Bad Key"}, {**rows[0], "answer_en": ""}]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(bad)
    refused = api.post("/api/v1/kb/import", files={"file": ("kb.csv", out.getvalue().encode())})
    assert refused.status_code == 422
    problems = refused.json()["detail"]
    assert any(p.startswith("row 3: key") for p in problems)
    assert any(p.startswith("row 4: answer_en") for p in problems)
    db = Database(direct.database_url)
    with db.session() as s:  # nothing of the refused file was applied
        count = len(list(s.scalars(select(KbVersion.id))))
    db.dispose()
    assert count == 3  # create, import (card_pin_test), import (card_freeze_test)
    assert api.post("/api/v1/kb/import", files={"file": ("kb.csv", b"\xff\xfe")}).status_code == 422
    assert api.post("/api/v1/kb/import", files={"file": ("kb.xlsx", b"nope")}).status_code == 422
    # a stray carriage return (found by the OpenAPI fuzzer: it used to be a 500)
    stray = api.post("/api/v1/kb/import", files={"file": ("kb.csv", "n\r\x9fH".encode())})
    assert stray.status_code == 422


def test_xlsx_round_trip(api) -> None:
    api.post("/api/v1/kb", json=ENTRY)
    book = api.get("/api/v1/kb/export", params={"format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(book)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["key", "category", "question_zh"]
    key_column = header.index("answer_en") + 1
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "card_freeze_test":
            sheet.cell(row=row[0].row, column=key_column, value="Activate it in the app.")
    out = io.BytesIO()
    sheet.parent.save(out)
    applied = api.post("/api/v1/kb/import", files={"file": ("kb.xlsx", out.getvalue())})
    assert applied.json()["updated"] == ["card_freeze_test"]
    assert _answer(api, "card_freeze_test", "en") == "Activate it in the app."


def test_only_supervisors_and_admins_edit_in_the_console(direct) -> None:
    db = Database(direct.database_url)
    add_user(db, "li.na", "agent", "pw-li-na-123")
    add_user(db, "zhang.sup", "supervisor", "pw-zhang-sup-123")
    db.dispose()
    with TestClient(create_app(direct)) as client:
        assert client.get("/api/v1/kb").status_code == 401
        sign_in(client, "li.na", "pw-li-na-123")
        assert client.get("/api/v1/kb").status_code == 200  # agents read
        assert client.post("/api/v1/kb", json=ENTRY).status_code == 403
        sign_in(client, "zhang.sup", "pw-zhang-sup-123")
        made = client.post("/api/v1/kb", json=ENTRY)
        assert made.status_code == 201 and made.json()["updated_by"] == "zhang.sup"
