"""Processes for tests and benchmarks: a free port, the real service under uvicorn, waiting."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_service(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """The real service in its own process (uvicorn), as ``make run`` starts it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bot.web.app:app_factory",
            "--factory",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(lambda: _alive(port), timeout=30)
    return process


def stop_service(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    os.killpg(process.pid, sig)
    process.wait(timeout=20)
