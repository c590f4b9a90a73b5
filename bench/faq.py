"""Knowledge-base retrieval over a real bank FAQ: top-1 and MRR, against TF-IDF.

    python -m bench.faq_split --faq ../shared/data/esun_faq/faq_flat.csv --out var/bench/esun
    python -m bench.faq --kb var/bench/esun_kb.csv --queries var/bench/esun_candidates.csv

``--kb`` is ``pid,question,answer`` (several questions per entry); ``--queries`` is
``qid,query,gold_pid,candidate_pids`` and may be given more than once. A query with
``candidate_pids`` is ranked among those entries only; a query with an empty
``gold_pid`` has no right answer and counts towards ``oos_recall`` (the share the
assistant would not answer outright). The project's figures use the matcher the
assistant uses (``bot.nlu.retrieval``); ``baseline`` is character TF-IDF, nearest
question. ``--calibrate`` fits the matcher's confidence on these queries and writes
``bot/nlu/calibration.json`` (do it on development queries only)."""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.data import finish, read_rows
from bot.nlu.retrieval import (
    ANSWER_AT,
    CALIBRATION_FILE,
    Calibration,
    Entry,
    Match,
    QuestionIndex,
    load_calibration,
)
from bot.nlu.text_features import char_vectorizer


def entries_of(path: str) -> list[Entry]:
    questions: dict[str, list[str]] = defaultdict(list)
    for row in read_rows(path):
        questions[row["pid"]].append(row["question"])
    return [Entry(pid, tuple(qs)) for pid, qs in questions.items()]


def ranks(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> list[int]:
    """1-based rank of the right entry (0 when it is not ranked at all)."""
    return [list(r).index(g) + 1 if g in r else 0 for r, g in zip(ranked, gold, strict=True)]


def summary(found: Sequence[int]) -> dict[str, float]:
    n = max(len(found), 1)
    return {
        "top1": sum(1 for r in found if r == 1) / n,
        "mrr": sum(1 / r for r in found if r) / n,
    }


def tfidf_baseline(entries: Sequence[Entry], queries: Sequence[dict[str, str]]) -> list[list[str]]:
    questions = [(e.key, q) for e in entries for q in e.questions]
    vectorizer = char_vectorizer()
    rows = vectorizer.fit_transform([q for _, q in questions])
    scores = (vectorizer.transform([q["query"] for q in queries]) @ rows.T).toarray()
    out = []
    for i, query in enumerate(queries):
        allowed = set(query.get("candidate_pids", "").split()) or None
        best: dict[str, float] = {}
        for j, (key, _) in enumerate(questions):
            if (allowed is None or key in allowed) and scores[i, j] > best.get(key, -1.0):
                best[key] = scores[i, j]
        out.append(sorted(best, key=lambda k: -best[k]))
    return out


def matcher_ranking(index: QuestionIndex, queries: Sequence[dict[str, str]]) -> list[list[Match]]:
    out = []
    for query in queries:
        allowed = set(query.get("candidate_pids", "").split()) or None
        out.append(index.rank(query["query"], limit=len(index), among=allowed))
    return out


def fit_calibration(rankings: Sequence[Sequence[Match]], right: Sequence[bool]) -> Calibration:
    features = np.array(
        [
            [r[0].score, r[0].score - (r[1].score if len(r) > 1 else 0.0)] if r else [0.0, 0.0]
            for r in rankings
        ]
    )
    model = LogisticRegression(C=100.0, max_iter=1000).fit(features, np.array(right, dtype=int))
    return Calibration(
        float(model.coef_[0][0]), float(model.coef_[0][1]), float(model.intercept_[0])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", required=True)
    parser.add_argument("--queries", required=True, action="append")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    entries = entries_of(args.kb)
    queries = [q for path in args.queries for q in read_rows(path)]
    answerable = [q for q in queries if q["gold_pid"]]
    withdrawn = [q for q in queries if not q["gold_pid"]]

    started = time.perf_counter()
    index = QuestionIndex(entries)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rankings = matcher_ranking(index, queries)
    per_query_ms = (time.perf_counter() - started) * 1000 / max(len(queries), 1)
    gold = [q["gold_pid"] for q in queries]
    right = [bool(r) and r[0].key == g for r, g in zip(rankings, gold, strict=True)]
    if args.calibrate:
        calibration = fit_calibration(rankings, right)
        CALIBRATION_FILE.write_text(calibration.to_json(), encoding="utf-8")
        print(f"wrote {CALIBRATION_FILE}")
    calibration = load_calibration()
    confidence = [calibration.confidence(r) for r in rankings]
    answered = [i for i, q in enumerate(queries) if q["gold_pid"] and confidence[i] >= ANSWER_AT]
    in_scope = [i for i, q in enumerate(queries) if q["gold_pid"]]
    ours = summary(
        ranks([[m.key for m in rankings[i]] for i in in_scope], [gold[i] for i in in_scope])
    )
    base = summary(ranks(tfidf_baseline(entries, answerable), [q["gold_pid"] for q in answerable]))
    result: dict[str, object] = {
        **ours,
        "queries": len(answerable),
        "entries": len(entries),
        "answered_share": len(answered) / max(len(in_scope), 1),
        "answered_precision": sum(right[i] for i in answered) / max(len(answered), 1),
        "index_seconds": index_seconds,
        "ms_per_query": per_query_ms,
    }
    if withdrawn:
        not_answered = sum(
            1 for i, q in enumerate(queries) if not q["gold_pid"] and confidence[i] < ANSWER_AT
        )
        result["oos_queries"] = len(withdrawn)
        result["oos_recall"] = not_answered / len(withdrawn)
    result["baseline"] = {"name": "char TF-IDF, nearest question", **base}
    print(
        f"top-1 {ours['top1']:.1%} (TF-IDF {base['top1']:.1%}), MRR {ours['mrr']:.3f} "
        f"(TF-IDF {base['mrr']:.3f}) over {len(answerable)} queries and {len(entries)} entries"
    )
    finish(result)


if __name__ == "__main__":
    main()
