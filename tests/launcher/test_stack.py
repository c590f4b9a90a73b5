"""``launcher.stack``: what runs behind the inbox runs at a lower CPU priority when asked."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from fakes.processes import free_port, wait_for
from fakes.providers import FakeRasa
from launcher.stack import Stack, StackConfig, background_nice, prepare_database

SHOW_NICE = [sys.executable, "-c", "import os; print(os.nice(0))"]
AUTOGROUPS = Path("/proc/sys/kernel/sched_autogroup_enabled")


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


@pytest.mark.skipif(
    not AUTOGROUPS.exists() or AUTOGROUPS.read_text().strip() != "1",
    reason="the kernel does not group sessions for scheduling",
)
def test_background_sessions_get_the_lower_priority_too(tmp_path: Path) -> None:
    """Each spawned process leads a session of its own, and with autogroups the kernel
    shares the CPU between sessions regardless of nice: the group must be niced too."""
    stack = Stack(
        StackConfig(database_url="sqlite://", redis_url=None, log_dir=tmp_path, background_nice=7)
    )
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    stack._spawn("background", sleeper, {}, background=True)
    stack._spawn("web", sleeper, {}, background=False)
    try:
        groups = {
            name: Path(f"/proc/{p.pid}/autogroup").read_text()
            for name, p in stack.processes.items()
        }
        assert groups["background"].split()[-1] == "7"
        assert groups["web"].split()[-1] == "0"
        assert groups["background"].split()[0] != groups["web"].split()[0]
    finally:
        stack.stop()


def test_background_nice_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANXIN_BACKGROUND_NICE", "10")
    assert background_nice() == 10
    monkeypatch.setenv("ANXIN_BACKGROUND_NICE", "twenty")
    with pytest.raises(SystemExit, match="ANXIN_BACKGROUND_NICE"):
        background_nice()


def _service_stack(tmp_path: Path, redis_url: str, fake_rasa: FakeRasa, **config: Any) -> Stack:
    """The service's processes on SQLite, Redis and the fake Rasa (no model, no actions)."""
    database_url = f"sqlite:///{tmp_path / 'stack.db'}"
    prepare_database(database_url)
    return Stack(
        StackConfig(
            database_url=database_url,
            redis_url=redis_url,
            service_port=free_port(),
            worker_port=free_port(),
            rasa_port=int(fake_rasa.url.rsplit(":", 1)[1]),
            service_token=uuid.uuid4().hex * 2,
            log_dir=tmp_path / "log",
            extra_env={"ANXIN_REDIS_PREFIX": f"test-stack-{uuid.uuid4().hex[:6]}"},
            **config,
        )
    )


def test_several_web_processes_share_the_port(
    tmp_path: Path, redis_url: str, fake_rasa: FakeRasa
) -> None:
    stack = _service_stack(tmp_path, redis_url, fake_rasa, web_processes=2)
    try:
        stack.start_service()
        stack.wait_ready(timeout_s=120)
        supervisor = psutil.Process(stack.processes["service"].pid)
        web = [p for p in supervisor.children() if "spawn_main" in " ".join(p.cmdline())]
        assert len(web) == 2  # uvicorn's two web processes (beside multiprocessing's tracker)
        assert httpx.get(f"{stack.service_url}/healthz").json() == {"status": "alive"}
    finally:
        stack.stop()


def test_the_desk_runs_apart_at_the_background_priority(
    tmp_path: Path, redis_url: str, fake_rasa: FakeRasa
) -> None:
    """With a desk process, the assistant's internal API (and its embeddings) runs there
    at the background priority, and the worker, which takes the database's write lock,
    runs at the web process's."""
    stack = _service_stack(tmp_path, redis_url, fake_rasa, desk_port=free_port(), background_nice=7)
    try:
        stack.start_service()
        stack.wait_ready(timeout_s=120)
        assert stack.desk_url.endswith(f":{stack.config.desk_port}")
        niceness = {name: psutil.Process(p.pid).nice() for name, p in stack.processes.items()}
        assert niceness["desk"] == niceness["service"] + 7
        assert niceness["worker"] == niceness["service"]
        # The loops' process leaves syncing SQLite to the web process's commits.
        environ = {
            name: psutil.Process(p.pid).environ().get("ANXIN_SQLITE_SYNCHRONOUS", "FULL")
            for name, p in stack.processes.items()
        }
        assert environ == {"service": "FULL", "worker": "NORMAL", "desk": "FULL"}
        answer = httpx.post(
            f"{stack.desk_url}/api/v1/internal/kb/match",
            json={"text": "信用卡丢了怎么办"},
            headers={"Authorization": f"Bearer {stack.config.service_token}"},
            timeout=60,
        )
        assert answer.status_code == 200
        assert answer.json()["decision"] in ("answered", "suggested", "unanswered")
    finally:
        stack.stop()


LAUNCHER = """
import sys, time
from pathlib import Path
from launcher.stack import Stack, StackConfig
stack = Stack(StackConfig(database_url="sqlite://", redis_url=None, log_dir=Path(sys.argv[1])))
stack._spawn("child", [sys.executable, "-c", "import time; time.sleep(120)"], {})
print(stack.processes["child"].pid, flush=True)
time.sleep(120)
"""


def test_finding_15_children_die_with_a_killed_launcher(tmp_path: Path) -> None:
    """Security finding 15: a launcher killed with SIGKILL left Rasa, the action server,
    the service processes and Redis running, holding the ports."""
    import os
    import signal
    import subprocess

    launcher = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert launcher.stdout is not None
    child = psutil.Process(int(launcher.stdout.readline()))
    assert child.is_running() and child.status() != psutil.STATUS_ZOMBIE
    os.kill(launcher.pid, signal.SIGKILL)
    launcher.wait(timeout=10)
    gone, alive = psutil.wait_procs([child], timeout=10)
    assert gone and not alive


def test_finding_12_the_embedded_redis_needs_its_password(tmp_path: Path) -> None:
    """Security finding 12: the embedded Redis listened on TCP without a password, so any
    local process could plant a console session. Rasa's stores get the password too."""
    import redis

    from launcher.stack import rasa_redis_env

    stack = Stack(
        StackConfig(
            database_url="sqlite://",
            redis_url=None,
            log_dir=tmp_path,
            embedded_redis_port=free_port(),
            embedded_redis_password="pw-" + uuid.uuid4().hex,
        )
    )
    stack.start_redis()
    try:
        log = tmp_path / "redis.log"
        wait_for(lambda: log.exists() and "Ready to accept" in log.read_text(), timeout=30)
        port = stack.config.embedded_redis_port
        anonymous = redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)
        with pytest.raises(redis.AuthenticationError):
            anonymous.ping()
        assert redis.Redis.from_url(stack.redis_url, socket_timeout=2).ping()
        env = rasa_redis_env(stack.redis_url, "anxin")
        assert env["RASA_REDIS_PASSWORD"] == stack.config.embedded_redis_password
    finally:
        stack.stop()
