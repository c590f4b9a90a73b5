"""Each benchmark runs from the command line on a small CSV and ends with one JSON line
holding the project's figures and the baseline's."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from bench.classify import Reference
from bench.oos import figures

ROOT = Path(__file__).resolve().parents[2]

INTENTS = {
    "card_lost": [
        "I lost my card",
        "my card was stolen",
        "can't find my card",
        "card is missing",
        "someone took my card",
        "my debit card is gone",
    ],
    "hours": [
        "when do you open",
        "opening hours",
        "are you open sunday",
        "what time do you close",
        "branch hours today",
        "when does the bank open",
    ],
    "oos": [
        "tell me a joke",
        "what's the weather",
        "recommend a film",
        "who won the game",
        "sing a song",
        "what is the capital of france",
    ],
}


def _write(path: Path, fields: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(module: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _intent_files(tmp_path: Path, label: str) -> tuple[Path, Path]:
    train = [{"text": t, label: k} for k, ts in INTENTS.items() for t in ts[:5]]
    test = [{"text": ts[5], label: k} for k, ts in INTENTS.items()]
    return (
        _write(tmp_path / "train.csv", ["text", label], train),
        _write(tmp_path / "test.csv", ["text", label], test),
    )


def test_nlu(tmp_path: Path) -> None:
    train, test = _intent_files(tmp_path, "category")
    result = _run("bench.nlu", "--train", str(train), "--test", str(test), "--no-rasa")
    assert {"accuracy", "macro_f1", "train_seconds", "baseline", "tfidf"} <= set(result)
    assert 0 <= result["accuracy"] <= 1 and 0 <= result["baseline"]["accuracy"] <= 1
    assert result["baseline"] == result["tfidf"]  # without Rasa, TF-IDF is the baseline


def test_oos_against_rasas_default_pipeline(tmp_path: Path) -> None:
    train, test = _intent_files(tmp_path, "intent")
    result = _run("bench.oos", "--train", str(train), "--test", str(test))
    assert {"in_scope_accuracy", "oos_recall", "baseline", "tfidf"} <= set(result)
    rasa = result["baseline"]
    assert rasa["name"].startswith("Rasa") and rasa["train_seconds"] > 0
    assert 0 <= rasa["in_scope_accuracy"] <= 1 and 0 <= rasa["oos_recall"] <= 1
    assert {"in_scope_accuracy", "oos_recall"} <= set(result["tfidf"])


def test_match(tmp_path: Path) -> None:
    pairs = [("花呗怎么还款", "花呗如何还钱", 1), ("花呗怎么还款", "花呗额度怎么提升", 0)] * 25
    rows = [{"sentence1": a, "sentence2": b, "label": y} for a, b, y in pairs]
    path = _write(tmp_path / "pairs.csv", ["sentence1", "sentence2", "label"], rows)
    result = _run("bench.match", "--train", str(path), "--test", str(path))
    assert result["accuracy"] == 1.0  # a threshold tuned on these very pairs
    assert result["learned_pair_model"]["accuracy"] == 1.0  # the same pairs it learned
    assert 0 <= result["baseline"]["accuracy"] <= 1


def test_faq_split_and_retrieval(tmp_path: Path) -> None:
    faq = [
        ("1", "信用卡丢了怎么办", "挂失"),
        ("1", "信用卡遗失如何挂失", "挂失"),
        ("2", "网点几点营业", "九点"),
        ("2", "银行营业时间是什么", "九点"),
        ("3", "转账限额是多少", "五万"),
        ("3", "每天最多能转多少钱", "五万"),
    ] + [(str(p), f"问题{p}", "答") for p in range(4, 14)]
    path = _write(
        tmp_path / "faq.csv",
        ["pid", "question", "answer"],
        [{"pid": p, "question": q, "answer": a} for p, q, a in faq],
    )
    out = tmp_path / "dev"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.faq_split",
            "--faq",
            str(path),
            "--out",
            str(out),
            "--distractors",
            "2",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    result = _run(
        "bench.faq",
        "--kb",
        f"{out}_kb.csv",
        "--queries",
        f"{out}_candidates.csv",
        "--queries",
        f"{out}_withdrawn.csv",
    )
    assert {"top1", "mrr", "oos_recall", "baseline"} <= set(result)
    assert result["queries"] >= 1 and 0 <= result["top1"] <= 1


def test_rasas_fallback_counts_as_out_of_scope() -> None:
    rasa = Reference("Rasa", ["nlu_fallback", "nlu_fallback", "card_lost"], 1.0)
    result = figures(["oos", "card_lost", "card_lost"], rasa)
    assert result["oos_recall"] == 1.0 and result["in_scope_accuracy"] == 0.5


def test_desk_lists_on_postgresql(pg_server: str) -> None:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "bench.desk", "--tickets", "6000", "--repeat", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": pg_server},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["tickets"] == 6000 and result["trigram_index"] is True
    assert result["at_risk"] > 0 and result["search_hits"] > 0
    for key in ("first_page_p95_ms", "at_risk_p95_ms", "search_p95_ms", "number_search_p95_ms"):
        assert result[key] > 0 and len(result[key.replace("_p95_ms", "_runs_ms")]) == 3


def test_kpi_report_on_postgresql(pg_server: str) -> None:
    import os

    done = subprocess.run(
        [sys.executable, "-m", "bench.kpi", "--tickets", "12000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": pg_server},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["tickets"] == 12000 and 900 <= result["month_tickets"] <= 1100
    assert result["report_seconds"] > 0 and len(result["report_runs_seconds"]) == 3
    assert 0 < result["answered"] < 1 and 0 < result["repeat"] < 0.2
    assert 0.3 < result["containment"] < 0.4  # one kept conversation for every two tickets
