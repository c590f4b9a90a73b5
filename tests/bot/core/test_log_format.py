"""Structured logs: JSON lines with the conversation id, personal data masked."""

from __future__ import annotations

import io
import json
import logging

from bot.core.log_format import JsonFormatter, RedactingFilter, conversation_id


def _logger() -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("anxin.test.json")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, out


def test_lines_are_json_with_the_conversation_and_masked_numbers() -> None:
    logger, out = _logger()
    token = conversation_id.set("conv-123")
    try:
        logger.info("delivery failed for card %s", "6222021234567890")
    finally:
        conversation_id.reset(token)
    logger.warning("no conversation here")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["conversation_id"] == "conv-123" and first["level"] == "INFO"
    assert "6222021234567890" not in first["msg"] and "[" in first["msg"]  # masked
    assert "conversation_id" not in second


def test_exceptions_keep_their_type_and_a_masked_trace() -> None:
    logger, out = _logger()
    try:
        raise ValueError("phone 13812345678 rejected")
    except ValueError:
        logger.exception("boom")
    line = json.loads(out.getvalue())
    assert line["error"] == "ValueError" and "13812345678" not in line["trace"]
