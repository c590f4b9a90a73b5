"""Rasa's default NLU pipeline on the same rows: the baseline ``bench.nlu`` and
``bench.oos`` compare against. ``rasa train nlu`` with a config that names no pipeline
(Rasa fills in its default: whitespace tokens, count vectors of words and character
n-grams, DIETClassifier for 100 epochs, FallbackClassifier at 0.3), then
``rasa test nlu`` on the test rows; both run in the Rasa environment (``.venv-rasa``).
On Banking77 this takes the better part of an hour on 2 cores."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from launcher.training import RASA_BIN, rasa_env

NAME = "Rasa 3.6 default NLU pipeline (DIET, 100 epochs)"
FALLBACK = "nlu_fallback"
"""What Rasa's FallbackClassifier predicts below its threshold."""

CONFIG = "recipe: default.v1\nlanguage: en\nassistant_id: bench\n"
"""No pipeline given: Rasa trains its default one (it prints it)."""


def _examples(texts: Sequence[str], labels: Sequence[str]) -> str:
    common = [{"text": t, "intent": label} for t, label in zip(texts, labels, strict=True)]
    return json.dumps({"rasa_nlu_data": {"common_examples": common}}, ensure_ascii=False)


def _rasa(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [str(RASA_BIN), *args, "--quiet"], cwd=cwd, env=rasa_env(), capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"rasa {args[0]} {args[1]} failed:\n{done.stderr[-2000:]}")


def classify(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
) -> tuple[list[str], float]:
    """Train Rasa's default pipeline on the training rows; every test row's predicted
    intent (``nlu_fallback`` where Rasa's fallback takes over) and the training seconds."""
    with tempfile.TemporaryDirectory(prefix="anxin-rasa-bench-") as tmp:
        work = Path(tmp)
        (work / "config.yml").write_text(CONFIG, encoding="utf-8")
        (work / "train.json").write_text(_examples(train_texts, train_labels), encoding="utf-8")
        # Rasa reports on test rows only with their labels; its predictions are read
        # back and scored like every other model's.
        (work / "test.json").write_text(_examples(test_texts, test_labels), encoding="utf-8")
        started = time.perf_counter()
        _rasa("train", "nlu", "--config", "config.yml", "--nlu", "train.json",
              "--out", "models", "--fixed-model-name", "bench", cwd=work)  # fmt: skip
        seconds = time.perf_counter() - started
        _rasa("test", "nlu", "--model", "models/bench.tar.gz", "--nlu", "test.json",
              "--out", "results", "--successes", "--no-plot", cwd=work)  # fmt: skip
        found: dict[str, str] = {}
        for name in ("intent_successes.json", "intent_errors.json"):
            path = work / "results" / name
            if path.exists():
                for row in json.loads(path.read_text(encoding="utf-8")):
                    found[row["text"]] = row["intent_prediction"]["name"] or FALLBACK
    return [found.get(t, FALLBACK) for t in test_texts], seconds
