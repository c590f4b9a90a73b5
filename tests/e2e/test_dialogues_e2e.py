"""The dialogue suite (dialogues.yml): multi-turn conversations in Chinese and English,
run end to end through web chat against the real model, the action server and the
desk. At least 95 % must pass; every failure is printed with what was said."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from launcher.stack import Stack
from tests.e2e.webchat_client import Customer, text_of

ROOT = Path(__file__).resolve().parents[2]
SUITE = yaml.safe_load((Path(__file__).with_name("dialogues.yml")).read_text(encoding="utf-8"))
DIALOGUES: list[dict[str, Any]] = SUITE["dialogues"]
PASS_SHARE = 0.95
AT_ONCE = 4  # dialogues run side by side (each is its own web-chat visitor)
TICKET = re.compile(r"AX\d{11}")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Outcome:
    name: str
    problems: list[str] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)


def check_turn(turn: dict[str, Any], replies: list[dict], tickets: list[str]) -> list[str]:
    """What is wrong with the replies to one turn (nothing: the turn passed)."""
    said = text_of(replies)
    has, some, nots = ([str(s) for s in turn.get(k, [])] for k in ("has", "any", "not"))
    problems = [f"lacks {s!r}" for s in has if s not in said]
    if some and not any(s in said for s in some):
        problems.append(f"has none of {some!r}")
    problems += [f"has {s!r}" for s in nots if s in said]
    numbers = TICKET.findall(said)
    expected = turn.get("ticket")
    if expected == "none" and numbers:
        problems.append(f"names a ticket {numbers[0]}")
    if expected == "new" and not [n for n in numbers if n not in tickets]:
        problems.append("opens no new ticket")
    if expected == "same" and (not tickets or tickets[-1] not in numbers or len(set(numbers)) > 1):
        problems.append(f"is not about the chat's ticket {tickets[-1] if tickets else None}")
    language = turn.get("lang")
    if language == "en" and CJK.search(said):
        problems.append("is not in English")
    if language == "zh" and not CJK.search(said):
        problems.append("is not in Chinese")
    titles = {b["title"] for r in replies for b in r.get("buttons") or []}
    problems += [f"lacks the button {b!r}" for b in turn.get("buttons", []) if b not in titles]
    tickets += [n for n in numbers if n not in tickets]
    return problems


async def run_dialogue(stack: Stack, dialogue: dict[str, Any]) -> Outcome:
    outcome = Outcome(dialogue["name"])
    tickets: list[str] = []
    async with Customer(stack, settle_s=1.5) as customer:
        for n, turn in enumerate(dialogue["turns"], start=1):
            replies = await customer.say(str(turn["say"]))
            outcome.transcript += [f"  > {turn['say']}", *(f"    {r['text']}" for r in replies)]
            outcome.problems += [f"turn {n}: {p}" for p in check_turn(turn, replies, tickets)]
    return outcome


def customer_lines() -> list[str]:
    return [str(turn["say"]) for d in DIALOGUES for turn in d["turns"]]


def _normal(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text).lower()


def known_phrasings() -> set[str]:
    """Every training example and every knowledge-base question the project ships."""
    found: set[str] = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                found.add(_normal(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.lstrip("- "))))
    starter = yaml.safe_load((ROOT / "data" / "kb" / "starter.yml").read_text(encoding="utf-8"))
    for entry in starter["entries"]:
        for question in (entry["zh"], entry["en"], *entry["similar_zh"], *entry["similar_en"]):
            found.add(_normal(question))
    for path in (ROOT / "migrations" / "versions").glob("*.py"):  # the shipped FAQ's seeds
        for quoted in re.findall(r'"([^"\n]{2,200})"', path.read_text(encoding="utf-8")):
            found.add(_normal(quoted))
    found.discard("")
    return found


def test_the_suite_is_large_bilingual_and_unseen() -> None:
    assert len(DIALOGUES) >= 60
    assert len({d["name"] for d in DIALOGUES}) == len(DIALOGUES)
    english = [d for d in DIALOGUES if not CJK.search(str(d["turns"][0]["say"]))]
    assert len(english) >= 15 and len(DIALOGUES) - len(english) >= 30
    assert all(len(d["turns"]) >= 2 for d in DIALOGUES)  # every one multi-turn
    known = known_phrasings()
    seen = [line for line in customer_lines() if _normal(line) in known and len(line) > 3]
    assert seen == [], f"customer lines that are training data or KB questions: {seen}"


@pytest.mark.e2e
async def test_at_least_95_percent_of_the_dialogues_pass(stack: Stack) -> None:
    gate = asyncio.Semaphore(AT_ONCE)

    async def one(dialogue: dict[str, Any]) -> Outcome:
        async with gate:
            return await run_dialogue(stack, dialogue)

    outcomes = await asyncio.gather(*(one(d) for d in DIALOGUES))
    failed = [o for o in outcomes if o.problems]
    report = "\n".join(
        f"FAILED {o.name}: {'; '.join(o.problems)}\n" + "\n".join(o.transcript) for o in failed
    )
    print(f"dialogues: {len(outcomes) - len(failed)}/{len(outcomes)} passed\n{report}")
    assert len(failed) <= len(outcomes) * (1 - PASS_SHARE), report
