"""Canned replies agents insert with one click (Chinese and English)."""

from __future__ import annotations

CANNED: tuple[tuple[str, str, str], ...] = (
    # key, Chinese, English
    (
        "greeting",
        "您好，很高兴为您服务，请问有什么可以帮您？",
        "Hello, happy to help. What can I do for you?",
    ),
    (
        "verify",
        "为保护您的账户安全，请先提供预留手机号后四位以核实身份。",
        "To protect your account, please give the last four digits of your registered phone number.",
    ),
    (
        "freeze",
        "已为您临时冻结该卡，冻结后卡片无法交易，补卡可在手机银行或网点办理。",
        "The card is now frozen and cannot be used; you can order a replacement in the app or at a branch.",
    ),
    ("wait", "正在为您查询，请稍候。", "I am checking this for you, one moment please."),
    (
        "closing",
        "感谢您的耐心，还有其他可以帮您的吗？",
        "Thank you for your patience. Is there anything else I can help with?",
    ),
)


def canned_replies(language: str) -> list[dict[str, str]]:
    return [{"key": key, "text": en if language == "en" else zh} for key, zh, en in CANNED]
