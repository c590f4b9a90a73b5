"""The starter knowledge base (``data/kb/starter.yml``): the everyday questions of a
generic retail bank, loaded into a new installation once, never over the bank's own.

``load`` adds the entries whose key is not in the knowledge base yet (an entry staff
changed or deleted is left as it is). ``load_once`` does that only the first time, so
entries staff deleted stay deleted; ``python -m bot bootstrap`` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select

from bot.core.db import Database
from bot.core.models import KbEntry, KbVersion
from bot.kb import changes
from bot.kb.store import KbError, NewEntry, create_in

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "data" / "kb" / "starter.yml"
NLU_FILE = ROOT / "data" / "nlu" / "faq_starter.yml"
# Entries whose questions the other intents own: an incident (a P1 ticket with advice),
# a complaint or suggestion (a ticket), or an inquiry that needs someone to look at the
# customer's own account (a ticket). The knowledge base still answers them when a
# message reaches it, but they do not teach the ``faq`` intent.
NOT_FAQ = frozenset(
    """card_lost_what_to_do report_fraud_how account_hacked password_leaked card_skimming
    sim_swap unknown_debit fraud_call phishing_sms loan_fraud_agents staff_attitude long_queue
    debt_collection_calls wealth_misselling complaint_not_satisfied complaint_how
    service_feedback wrong_fee_refund transfer_not_arrived account_frozen_why judicial_freeze
    loan_status transfer_returned refund_arrival deceased_account change_phone_number
    bank_statement deposit_certificate loan_early_repayment credit_limit_increase
    business_account loan_contract_copy statement_instalment early_withdrawal_deposit
    loan_hardship""".split()
)
ACTOR = "starter"
MIN_SIMILAR = 3


@dataclass(frozen=True, slots=True)
class Loaded:
    created: list[str]
    kept: list[str]  # already in the knowledge base: left as they are


def read(path: Path = STARTER) -> list[NewEntry]:
    """The file's entries, validated as staff edits are; raises KbError naming each
    entry that is not right (a missing field, too few similar questions, a key twice)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows: list[dict[str, Any]] = raw.get("entries") or []
    entries: list[NewEntry] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        key = str(row.get("key", f"#{n}"))
        try:
            entry = NewEntry(
                key=key,
                category=row.get("category", "general"),
                question_zh=row.get("zh", ""),
                question_en=row.get("en", ""),
                similar_zh=row.get("similar_zh") or [],
                similar_en=row.get("similar_en") or [],
                answer_zh="".join(str(row.get("answer_zh", "")).split("\n")).strip(),
                answer_en=" ".join(str(row.get("answer_en", "")).split()),
            )
        except ValidationError as exc:
            problems.append(f"{key}: {exc.errors()[0]['msg']}")
            continue
        if min(len(entry.similar_zh), len(entry.similar_en)) < MIN_SIMILAR:
            problems.append(f"{key}: fewer than {MIN_SIMILAR} similar questions in a language")
        if key in seen:
            problems.append(f"{key}: the key is used twice")
        seen.add(key)
        entries.append(entry)
    if problems:
        raise KbError("; ".join(problems))
    return entries


def load(db: Database, path: Path = STARTER, proposed_by: str | None = None) -> Loaded:
    """Add the entries whose key the knowledge base does not have yet; with
    ``proposed_by``, propose each for a second person's review instead (the staff app
    with four-eyes on)."""
    entries = read(path)
    with db.session() as session:
        present = set(session.scalars(select(KbEntry.key)))
        created: list[str] = []
        for entry in entries:
            if entry.key in present:
                continue
            if proposed_by is None:
                create_in(session, entry, ACTOR, action="import")
            else:
                proposal = changes.Proposal("create", entry.key, changes.fields_of(entry), None)
                changes.propose_in(session, proposal, proposed_by)
            created.append(entry.key)
        return Loaded(created, sorted(present & {e.key for e in entries}))


def load_once(db: Database, path: Path = STARTER) -> Loaded | None:
    """``load`` unless the starter was loaded before (then None: deleted stays deleted)."""
    with db.session() as session:
        if session.scalar(select(KbVersion.id).where(KbVersion.changed_by == ACTOR).limit(1)):
            return None
    return load(db, path)


def nlu_examples(path: Path = STARTER) -> str:
    """The ``faq`` intent's examples the starter adds to the training data (each entry's
    standard questions, but for ``NOT_FAQ``), as the YAML of ``NLU_FILE``."""
    lines = [
        'version: "3.1"',
        "# Generated from data/kb/starter.yml by `python -m bot.kb.starter`: do not edit.",
        "# Each starter entry's standard questions teach the faq intent; which entry answers",
        "# is decided at question time by the matcher (bot/nlu/retrieval.py).",
        "nlu:",
        "  - intent: faq",
        "    examples: |",
    ]
    for entry in read(path):
        if entry.key not in NOT_FAQ:
            lines += [f"      - {entry.question_zh}", f"      - {entry.question_en}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    NLU_FILE.write_text(nlu_examples(), encoding="utf-8")
    print(f"wrote {NLU_FILE.relative_to(ROOT)}")
