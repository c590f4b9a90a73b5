"""Every table says what kind of data it holds, so the retention rules reach whatever a
new feature adds: a table without a retention class (or with an unknown one) fails."""

from __future__ import annotations

from bot.core.models import Base
from bot.core.models.base import RETENTION_CLASSES


def test_every_table_has_a_retention_class() -> None:
    missing = {
        mapper.local_table.name: getattr(mapper.class_, "__retention__", None)
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__retention__", None) not in RETENTION_CLASSES
    }
    assert missing == {}
    tables = {mapper.local_table.name for mapper in Base.registry.mappers}
    assert tables == set(Base.metadata.tables)  # no table outside the models


def test_customer_words_are_never_configuration() -> None:
    held = {m.local_table.name: m.class_.__retention__ for m in Base.registry.mappers}
    assert held["messages"] == "transcripts" and held["kb_queries"] == "kb_queries"
    assert held["customers"] == "contact_vault" and held["audit_log"] == "audit"


def test_every_table_of_a_kind_with_a_clock_is_reached_by_the_purge() -> None:
    """A table of a kind that expires must be one the purge works on (bot.privacy.tables),
    or the purge would leave it behind, or fail on its references."""
    from sqlalchemy import Table

    from bot.privacy import tables

    kept = {"customer_profile", "staff", "configuration", "privacy", "audit"}
    reached = {value.name for value in vars(tables).values() if isinstance(value, Table)}
    missed = {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__retention__ not in kept and mapper.local_table.name not in reached
    }
    assert missed == set()
