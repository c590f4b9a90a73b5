"""``bot.stack``: what runs behind the inbox runs at a lower CPU priority when asked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.stack import Stack, StackConfig, background_nice

SHOW_NICE = [sys.executable, "-c", "import os; print(os.nice(0))"]


def _niceness(tmp_path: Path, nice: int, background: bool) -> int:
    stack = Stack(
        StackConfig(
            database_url="sqlite://", redis_url=None, log_dir=tmp_path, background_nice=nice
        )
    )
    stack._spawn("probe", SHOW_NICE, {}, background=background)
    assert stack.processes["probe"].wait(timeout=30) == 0
    return int((tmp_path / "probe.log").read_text().split()[-1])


def test_background_processes_run_at_the_configured_nice(tmp_path: Path) -> None:
    base = _niceness(tmp_path / "a", 0, background=True)
    assert _niceness(tmp_path / "b", 7, background=True) == min(base + 7, 19)
    assert _niceness(tmp_path / "c", 7, background=False) == base  # the web process


def test_background_nice_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANXIN_BACKGROUND_NICE", "10")
    assert background_nice() == 10
    monkeypatch.setenv("ANXIN_BACKGROUND_NICE", "twenty")
    with pytest.raises(SystemExit, match="ANXIN_BACKGROUND_NICE"):
        background_nice()
