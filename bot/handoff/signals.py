"""Distress, escalation risk and anger in a customer's words: such a customer goes to
a person at once. Escalation risk (a complaint to the regulator — 12378, 金融监管总局,
the former 银保监会 —, the media or a court) is a bank's most expensive complaint: its
ticket becomes P1, which pages the on-call supervisor.

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
    r"去你的|有病吧|脑子有病|太离谱|报警抓|"
    r"\bfurious\b|\bridiculous\b|\bunacceptable\b|\bfed up\b|\bfuck|\bshit\b|\bwtf\b|"
    r"\bdisgusting\b|\bworst bank\b|\bpathetic\b",
    re.IGNORECASE,
)
ESCALATION = re.compile(
    r"12378|银保监|保监会|银监会|金融监管|监管局|监管部门|监管机构|人民银行.{0,4}投诉|消协|消费者协会|"
    r"曝光|(?:找|向|告诉|联系)(?:媒体|记者|电视台|报社)|上热搜|发微博|"
    r"(?:去|上|到)法院|起诉|告你们|打官司|(?:找|请)律师|律师函|"
    r"\bregulators?\b|\bregulatory\b|\bombudsman\b|\bCBIRC\b|\bNFRA\b|"
    r"\b(?:to|tell|call) the (?:press|media|news(?:papers?)?)\b|\bjournalists?\b|"
    r"\bsue\b|\bsuing\b|\blawsuit\b|\b(?:to|in) court\b|\blawyers?\b|\blegal action\b",
    re.IGNORECASE,
)
SHOUTING = re.compile(r"[!！?？]{3,}")
WORD = re.compile(r"\w")


def detect(text: str) -> str | None:
    """ "distress", "escalation", "anger" or None. Punctuation alone (「？？？」) is confusion, not
    anger: it goes to the assistant, which asks what the customer means."""
    if not WORD.search(text):
        return None
    if DISTRESS.search(text):
        return "distress"
    if ESCALATION.search(text):
        return "escalation"
    if ANGER.search(text) or SHOUTING.search(text):
        return "anger"
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.8:
        return "anger"  # SHOUTING IN CAPITALS
    return None
