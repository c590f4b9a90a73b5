"""Rasa custom actions. Thin: every business rule lives in bot/, reached over HTTP."""
