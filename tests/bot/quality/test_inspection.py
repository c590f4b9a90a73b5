"""The automatic quality checks on a chat's turns."""

from __future__ import annotations

import importlib

from bot.quality.inspection import Rule, Turn, check

SEEDED = importlib.import_module("migrations.versions.0011_quality").RULES
RULES = [Rule(r["key"], r["kind"], r["pattern"], r["trigger"]) for r in SEEDED]


def chat(*turns: tuple[str, str]) -> list[Turn]:
    return [Turn(i + 1, sender, text) for i, (sender, text) in enumerate(turns)]


def test_a_good_chat_breaks_nothing() -> None:
    turns = chat(
        ("customer", "你们这什么破银行，气死我了"),
        ("agent", "您好，非常抱歉给您带来不便。"),
        ("customer", "我想买理财"),
        ("agent", "理财非存款，产品有风险，投资须谨慎。请先核实一下您的身份。"),
        ("agent", "核实通过，您的账户余额充足。"),
    )
    assert check(RULES, turns) == []


def test_each_rule_flags_the_message_concerned() -> None:
    turns = chat(
        ("customer", "这也太离谱了吧？？？"),  # upset
        ("agent", "这款理财保本保收益，稳赚不赔"),  # no greeting, forbidden, no disclosure
        ("agent", "您的余额是 5 万元"),  # account details, identity never checked
    )
    assert sorted(check(RULES, turns)) == [
        ("empathy", 1),
        ("greeting", 2),
        ("identity_before_details", 3),
        ("no_guaranteed_returns", 2),
        ("risk_disclosure", 2),
    ]


def test_english_and_no_agent_turns() -> None:
    assert check(RULES, chat(("customer", "hello"), ("bot", "hi"))) == []  # no person spoke
    english = chat(
        ("customer", "Is this fund safe?"),
        ("agent", "Hello! It is risk-free, you can't lose."),
    )
    assert sorted(k for k, _ in check(RULES, english)) == [
        "no_guaranteed_returns",
        "risk_disclosure",
    ]


def test_a_bad_pattern_is_skipped_not_fatal() -> None:
    broken = [Rule("x", "forbidden", "([", ""), *RULES]
    assert check(broken, chat(("agent", "您好"))) == []
