"""Anger and distress in a customer's words: such a customer goes to a person at once.

A short, reviewed word list rather than a model: what triggers a handoff must be
predictable and auditable. Plain complaints (「我要投诉」) are not anger; they open a
complaint ticket through the assistant as usual.
"""

from __future__ import annotations

import re

DISTRESS = re.compile(
    r"不想活|活不下去|想死|自杀|轻生|跳楼|走投无路|救救我|救命|"
    r"kill myself|suicid|want to die|end my life|can'?t go on|desperate",
    re.IGNORECASE,
)
ANGER = re.compile(
    r"气死|太过分|忍无可忍|受够了|垃圾银行|什么破|破银行|骗子银行|坑人|给我滚|滚蛋|去死|混蛋|他妈|妈的|"
    r"去你的|有病吧|脑子有病|太离谱|我要曝光|找媒体|报警抓|银保监.*投诉|投诉.*银保监|金融监管.*投诉|"
    r"\bfurious\b|\bridiculous\b|\bunacceptable\b|\bfed up\b|\bfuck|\bshit\b|\bwtf\b|"
    r"\bdisgusting\b|\bworst bank\b|\bpathetic\b",
    re.IGNORECASE,
)
SHOUTING = re.compile(r"[!！?？]{3,}")
WORD = re.compile(r"\w")


def detect(text: str) -> str | None:
    """ "distress", "anger" or None. Punctuation alone (「？？？」) is confusion, not
    anger: it goes to the assistant, which asks what the customer means."""
    if not WORD.search(text):
        return None
    if DISTRESS.search(text):
        return "distress"
    if ANGER.search(text) or SHOUTING.search(text):
        return "anger"
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return "anger"  # SHOUTING IN CAPITALS
    return None
