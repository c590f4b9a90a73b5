"""The Rasa training data: `rasa data validate` finds no error, and Rasa's own test
stories (test_stories.yml) over every rule and the ticket form pass on the trained
model. (The checks the service makes before Rasa have their own tests, in
tests/bot/pipeline/test_checks.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from launcher.training import ROOT, ensure_model, rasa_env

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
STORIES = Path(__file__).with_name("test_stories.yml")


def _rasa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    if not RASA.exists():
        pytest.fail(f"{RASA} is missing: run make install")
    return subprocess.run(
        [str(RASA), *args], cwd=cwd, env=rasa_env(), capture_output=True, text=True, timeout=900
    )


def test_rasa_data_validate_finds_no_error() -> None:
    done = _rasa(
        "data", "validate", "--data", "data", "--domain", "domain.yml", "--config", "config.yml"
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " ERROR " not in done.stdout + done.stderr


def test_the_stories_cover_every_rule_and_the_form() -> None:
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    stories = yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]
    tested = {
        step.get("action") or step.get("intent")
        for story in stories
        for step in story["steps"]
        if "action" in step or "intent" in step
    }
    for rule in rules:
        for step in rule["steps"]:
            for name in (step.get("action"), step.get("intent")):
                assert name is None or name in tested, f"{rule['rule']}: {name} is never tested"


@pytest.mark.e2e
def test_rasas_test_stories_pass_on_the_trained_model(tmp_path: Path) -> None:
    model = ensure_model()
    done = _rasa(
        "test", "core", "--model", str(model), "--stories", str(STORIES), "--out", str(tmp_path)
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert "story:" not in failed, failed
