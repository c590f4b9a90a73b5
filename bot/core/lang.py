"""Which language a customer writes in: Chinese or English."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])")

SUPPORTED = ("zh", "en")


# Short answers that say nothing about the language the customer prefers.
ACKNOWLEDGEMENTS = frozenset(
    {
        "ok", "okay", "k", "yes", "yeah", "yep", "no", "nope", "y", "n", "sure",
        "thanks", "thank you", "thx", "ty",
        "好", "好的", "好滴", "嗯", "嗯嗯", "是", "是的", "对", "对的", "行", "可以", "不是", "没有",
        "谢谢", "收到", "知道了",
    }
)  # fmt: skip
# ticket numbers, digits, punctuation, emoji and spaces
_NOISE = re.compile(r"AX\d+|[\W\d_]+", re.IGNORECASE)


def detect_language(text: str, previous: str = "zh", settled: bool = True) -> str:
    """The language of a customer's message, given the conversation's so far.

    A conversation's first message sets it: Chinese if the text has Chinese characters
    (unless it is mostly English), English if it has Latin letters. Once ``settled``, it
    changes only with a sentence in the other language: two English words, or two
    Chinese characters — "ok", 「好的」, digits, emoji and ticket numbers never switch it,
    nor does one English word in a Chinese message ("ATM", "app")."""
    previous = previous if previous in SUPPORTED else "zh"
    bare = " ".join(_NOISE.sub(" ", text).lower().split())
    if not bare or (settled and bare in ACKNOWLEDGEMENTS):
        return previous
    cjk = len(_CJK.findall(text))
    words = _LATIN.findall(text)  # codes like AX261128... don't count
    latin = sum(len(word) for word in words)
    if cjk and latin <= cjk * 4:
        return previous if settled and previous == "en" and cjk < 2 else "zh"
    if latin >= 2:
        return previous if settled and previous == "zh" and len(words) < 2 else "en"
    return previous


def pick(language: str, zh: str, en: str) -> str:
    """Choose the Chinese or English copy of a customer-facing text."""
    return en if language == "en" else zh


@dataclass(frozen=True, slots=True)
class Said:
    """A customer-facing text in both languages."""

    zh: str
    en: str

    def to(self, language: str) -> str:
        return pick(language, self.zh, self.en)
