"""Audited reads: a read is recorded with its object, a refused one as denied (and
answered as a miss), a missing one not at all."""

from typing import Any

import pytest
from fastapi import HTTPException

from bot.web.audited_reads import AuditedReads


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    async def audit(self, *event: Any) -> None:
        self.events.append(event)


def _refused() -> list[str]:
    raise PermissionError("conv-2")


async def test_reads_denials_and_misses() -> None:
    recorder = Recorder()
    reads = AuditedReads(recorder, "li.na", "10.0.0.9")  # type: ignore[arg-type]
    found = await reads.read("transcripts", lambda: ["a", "b"], lambda f: f"{len(f)} found")
    assert found == ["a", "b"]
    with pytest.raises(HTTPException) as denied:
        await reads.read("timeline", _refused, lambda f: "unused", detail="why")
    assert denied.value.status_code == 404  # answered as a miss
    with pytest.raises(HTTPException) as missing:
        await reads.read_one("ticket", lambda: None, "AX1", "no such ticket")
    assert missing.value.status_code == 404 and missing.value.detail == "no such ticket"
    exported = await reads.read_one("figures", lambda: {"n": 1}, "csv", "none", action="export")
    assert exported == {"n": 1}
    assert recorder.events == [
        ("li.na", "read", "transcripts", "2 found", "10.0.0.9", ""),
        ("li.na", "denied", "timeline", "conv-2", "10.0.0.9", "why"),
        ("li.na", "export", "figures", "csv", "10.0.0.9", ""),
    ]
