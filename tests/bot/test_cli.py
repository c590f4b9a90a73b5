"""``python -m bot``: accounts and tokens, passwords shown once and never stored in clear."""

import pytest
from sqlalchemy import select

from bot.access.tokens import Refused, authenticate
from bot.cli import main
from bot.core.config import get_settings
from bot.core.models import ApiToken, AuditEntry, User
from bot.core.security import verify_password


def test_user_add_generates_a_password_printed_once(cli_db, capsys) -> None:
    assert main(["user", "add", "li.na", "--role", "agent"]) == 0
    out = capsys.readouterr().out
    password = out.split("password (shown once): ")[1].strip()
    with cli_db.session() as s:
        user = s.scalar(select(User).where(User.name == "li.na"))
        assert user.role == "agent" and password not in user.password_hash
        assert verify_password(user.password_hash, password)
    assert main(["user", "add", "li.na", "--role", "agent"]) == 2


def test_bad_role_is_refused(cli_db) -> None:
    with pytest.raises(SystemExit):
        main(["user", "add", "x", "--role", "root"])


def test_bootstrap_creates_the_first_admin_only_once(cli_db, capsys) -> None:
    assert main(["bootstrap"]) == 0
    first = capsys.readouterr().out
    assert "password:" in first
    assert main(["bootstrap"]) == 0
    assert capsys.readouterr().out == ""


def test_token_create_stores_only_a_digest(cli_db, capsys) -> None:
    assert main(["token", "create", "reporting", "--scope", "reports:read"]) == 0
    token = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    assert authenticate(cli_db, token).name == "reporting"
    with pytest.raises(Refused):
        authenticate(cli_db, token + "x")
    with cli_db.session() as s:
        assert token not in s.scalar(select(ApiToken.token_hash))


def test_telegram_set_webhook_calls_the_bot_api(cli_db, monkeypatch, capsys) -> None:
    from fakes.providers import FakeTelegram

    fake = FakeTelegram()
    try:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
        monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "s3cret-token")
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)
        get_settings.cache_clear()
        assert main(["telegram", "set-webhook", "https://bank.example/webhooks/telegram"]) == 0
        [call] = fake.calls("/bot123:abc/setWebhook")
        form = call.form()
        assert form["url"] == "https://bank.example/webhooks/telegram"
        assert form["secret_token"] == "s3cret-token"
        assert "ok" in capsys.readouterr().out
    finally:
        fake.stop()


def test_telegram_set_webhook_needs_credentials(cli_db, capsys) -> None:
    assert main(["telegram", "set-webhook"]) == 2


def test_finding_13_cli_changes_are_audited(cli_db, capsys) -> None:
    """Security finding 13: users and tokens made on the command line left no trace."""
    from bot.core.models import AuditEntry

    assert main(["user", "add", "wang.fang", "--role", "supervisor", "--team", "cards"]) == 0
    assert main(["token", "create", "reporting", "--scope", "reports:read"]) == 0
    with cli_db.session() as s:
        entries = [
            (e.actor.startswith("cli:"), e.action, e.object_id)
            for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert entries == [(True, "user.create", "wang.fang"), (True, "token.create", "reporting")]
    assert main(["audit", "verify"]) == 0


def test_finding_13_an_unmigrated_database_says_what_to_do(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        assert main(["user", "add", "li.na", "--role", "agent"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "python -m bot migrate" in err and "Traceback" not in err


def test_user_name_sets_what_customers_see(cli_db, capsys) -> None:
    assert main(["user", "add", "li.na", "--role", "agent", "--display-name", "小李"]) == 0
    assert main(["user", "add", "wang.fang", "--role", "agent", "--staff-number", "1024"]) == 0
    assert main(["user", "name", "li.na", "--display-name", "小李", "--staff-number", "1025"]) == 0
    assert "小李 · 工号 1025" in capsys.readouterr().out
    # a staff number is one person's; a bad one is refused with the reason
    assert main(["user", "name", "li.na", "--staff-number", "1024"]) == 2
    assert "belongs to wang.fang" in capsys.readouterr().err
    assert main(["user", "name", "li.na", "--staff-number", "10 24"]) == 2
    assert main(["user", "name", "nobody", "--display-name", "无"]) == 2
    with cli_db.session() as session:
        user = session.scalar(select(User).where(User.name == "li.na"))
        assert user is not None and (user.display_name, user.staff_number) == ("小李", "1025")
        audited = select(AuditEntry.action).where(AuditEntry.action == "user.public_name")
        assert session.scalar(audited) is not None


def test_privacy_commands_hold_erase_export_and_retention(
    cli_db, monkeypatch, capsys, redis_url, tmp_path
) -> None:
    """``python -m bot privacy``: a hold refuses the erasure with its reason; lifted, the
    customer is erased and the audit trail still verifies; the export writes JSON and a
    page; retention is listed, changed (audited) and run."""
    import json

    from tests.bot.privacy.seed import seed
    from tests.conftest import DATA_KEY

    monkeypatch.setenv("ANXIN_DATA_KEY", DATA_KEY)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ANXIN_REDIS_PREFIX", f"cli-privacy-{tmp_path.name}")
    get_settings.cache_clear()
    zhang = seed(cli_db, "张三丰", "+8613912345678", "visitor-zhang", "我的借记卡丢了")
    li = seed(cli_db, "李四光", "+8613700002222", "visitor-li", "账单金额不对")
    capsys.readouterr()
    reason = "--reason"
    assert (
        main(["privacy", "hold", "add", "--ticket", zhang.ticket, reason, "诉讼保全 2026-9"]) == 0
    )
    assert "hold #1 on 工单" in capsys.readouterr().out
    assert main(["privacy", "erase", "--phone", "13912345678", reason, "PIPL 47 #118"]) == 3
    assert "诉讼保全 2026-9" in capsys.readouterr().err
    assert main(["privacy", "hold", "list"]) == 0
    assert "诉讼保全 2026-9" in capsys.readouterr().out
    assert main(["privacy", "hold", "lift", "1", reason, "案件已结"]) == 0
    assert main(["privacy", "erase", "--phone", "13912345678", reason, "PIPL 47 #118"]) == 0
    report = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert report["conversations"] == 2 and report["keys_destroyed"] == 1
    assert main(["audit", "verify"]) == 0
    assert "audit log intact" in capsys.readouterr().out
    out = tmp_path / "export"
    assert (
        main(["privacy", "export", "--ticket", li.ticket, "--lang", "en", "--out", str(out)]) == 0
    )
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == 2 and written[0].endswith(".en.html") and written[1].endswith(".json")
    data = json.loads((out / written[1]).read_text())
    assert data["tickets"][0]["number"] == li.ticket
    assert main(["privacy", "retention", "--set", "kb_queries", "180"]) == 0
    assert "kb_queries: days 365 → 180" in capsys.readouterr().out
    assert main(["privacy", "retention"]) == 0
    assert "kb_queries" in capsys.readouterr().out
    assert main(["privacy", "retention", "--run"]) == 0
    assert json.loads(capsys.readouterr().out)["held_kept"] == 0
    with cli_db.session() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {
        "privacy.hold",
        "privacy.erase_refused",
        "privacy.hold_lift",
        "privacy.erase",
        "privacy.export",
        "privacy.retention",
        "privacy.purge",
    } <= actions
