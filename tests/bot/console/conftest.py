"""The console tests use the handoff tests' agents and customer."""

from tests.bot.handoff.conftest import app_db, customer

__all__ = ["app_db", "customer"]
