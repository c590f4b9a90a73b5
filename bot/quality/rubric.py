"""The quality rubric as people write it: phrases instead of regular expressions.

A rule lists phrases (any one of them counts) and, for the kinds that need one, trigger
phrases. Case is ignored; a phrase that begins or ends with a Latin letter or digit
matches whole words only ("hi" is not found in "this"), Chinese phrases anywhere. A rule
marked ``advanced`` keeps its own regular expressions instead.

A sample text to try a rule on (``bot.quality.inspection.try_rule``) is written as a
short chat: lines beginning 客户:/customer: are the customer's, every other line the
agent's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import QaRule

KINDS = ("greeting", "forbidden", "disclosure", "empathy", "identity", "manual")
NEEDS_TRIGGER = ("disclosure", "identity")
MAX_PHRASES = 50
CUSTOMER_LINE = re.compile(r"^\s*(客户|顾客|customer)\s*[:：]\s*", re.IGNORECASE)
AGENT_LINE = re.compile(r"^\s*(坐席|客服|agent)\s*[:：]\s*", re.IGNORECASE)


class RubricError(ValueError):
    pass


def _word_edge(char: str) -> bool:
    return char.isascii() and char.isalnum()


def phrase_pattern(phrases: list[str]) -> str:
    """One regular expression matching any of ``phrases``."""
    parts = []
    for phrase in phrases:
        text = phrase.strip()
        if not text:
            continue
        part = re.escape(text)
        if _word_edge(text[0]):
            part = r"(?<![A-Za-z0-9])" + part
        if _word_edge(text[-1]):
            part += r"(?![A-Za-z0-9])"
        parts.append(part)
    return "|".join(parts)


@dataclass(frozen=True, slots=True)
class Written:
    """A rule as written: phrases, or (advanced) regular expressions."""

    kind: str
    phrases: tuple[str, ...] = ()
    trigger_phrases: tuple[str, ...] = ()
    advanced: bool = False
    pattern: str = ""
    trigger: str = ""

    @classmethod
    def of(cls, rule: QaRule) -> Written:
        return cls(
            rule.kind,
            tuple(rule.phrases or ()),
            tuple(rule.trigger_phrases or ()),
            rule.advanced,
            rule.pattern,
            rule.trigger,
        )

    def expressions(self) -> tuple[str, str]:
        """(pattern, trigger) as regular expressions."""
        if self.advanced:
            return self.pattern, self.trigger
        return phrase_pattern(list(self.phrases)), phrase_pattern(list(self.trigger_phrases))

    def check(self) -> None:
        """Refuse a rule that cannot work, with a reason a supervisor understands."""
        if self.kind not in KINDS:
            raise RubricError(f"unknown kind {self.kind!r}")
        if self.kind == "manual":
            return
        if self.advanced:
            for name, value in (("pattern", self.pattern), ("trigger", self.trigger)):
                try:
                    re.compile(value)
                except re.error as exc:
                    raise RubricError(f"{name}: invalid regular expression ({exc})") from exc
            if not self.pattern:
                raise RubricError("请填写表达式 / give the expression")
            return
        cleaned = [p.strip() for p in self.phrases if p.strip()]
        if not cleaned:
            raise RubricError("请至少填写一个短语 / give at least one phrase")
        if len(self.phrases) > MAX_PHRASES or len(self.trigger_phrases) > MAX_PHRASES:
            raise RubricError(f"at most {MAX_PHRASES} phrases / 最多 {MAX_PHRASES} 个短语")
        if any(len(p) > 100 for p in (*self.phrases, *self.trigger_phrases)):
            raise RubricError("一个短语最多 100 个字 / a phrase is at most 100 characters")
        if self.kind in NEEDS_TRIGGER and not [p for p in self.trigger_phrases if p.strip()]:
            raise RubricError("这类规则需要触发短语 / this kind of rule needs trigger phrases")


def sample_turns(text: str) -> list[tuple[str, str]]:
    """A sample text as (sender, text) turns."""
    turns: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if CUSTOMER_LINE.match(line):
            turns.append(("customer", CUSTOMER_LINE.sub("", line, count=1)))
        else:
            turns.append(("agent", AGENT_LINE.sub("", line, count=1)))
    return turns
