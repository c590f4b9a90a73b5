"""Train the Rasa model only when its inputs changed (a content hash names the model)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
MODELS = ROOT / "models"


def training_inputs(root: Path = ROOT) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files += sorted(p for p in (root / "data").rglob("*.yml") if p.is_file())
    files += sorted((root / "bot" / "nlu").glob("*.py"))  # the intent model's own code
    return files


def inputs_digest(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT) -> Path:
    return root / "models" / f"anxin-{inputs_digest(root)}.tar.gz"


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONPATH"] = str(ROOT)  # config.yml names bot.nlu.rasa_component
    return env


def ensure_model(root: Path = ROOT) -> Path:
    """Return the model for the current data, training it first if it does not exist."""
    target = model_path(root)
    if target.exists():
        print(f"model up to date: {target.relative_to(root)}")
        return target
    print(f"training data or config changed: training {target.name} (a few minutes)...", flush=True)
    subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            str(RASA_BIN),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(target.parent),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=root,
        env=rasa_env(),
        check=True,
    )
    for old in target.parent.glob("anxin-*.tar.gz"):
        if old != target:
            old.unlink()
    print(f"trained: {target.relative_to(root)}")
    return target


if __name__ == "__main__":
    ensure_model()
    sys.exit(0)
