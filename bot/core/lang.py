"""Which language a customer writes in: Chinese or English."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])")

SUPPORTED = ("zh", "en")


def detect_language(text: str, previous: str = "zh") -> str:
    """Chinese if the text has Chinese characters (unless it is mostly English),
    English if it has Latin letters, otherwise the conversation's previous language."""
    cjk = len(_CJK.findall(text))
    latin = sum(len(word) for word in _LATIN.findall(text))  # codes like AX261128... don't count
    if cjk and latin <= cjk * 4:
        return "zh"
    if latin >= 2:
        return "en"
    return previous if previous in SUPPORTED else "zh"


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
