"""Development queries for ``bench.faq`` from a flat FAQ (``pid,question,answer``).

    python -m bench.faq_split --faq ../shared/data/esun_faq/faq_flat.csv --out var/bench/esun

Writes ``<out>_kb.csv`` (the FAQ without the held-out questions) and three query files:
``<out>_queries.csv`` holds one question out of every entry that has two or more
(ranked against the whole knowledge base); ``<out>_candidates.csv`` the same queries
with ``candidate_pids``: the right entry and nine others drawn at random, as in the
E.SUN (玉山) FAQ retrieval task; ``<out>_withdrawn.csv`` every question of a tenth of
the entries, removed from the knowledge base, so nothing should answer them (their
``gold_pid`` is empty), and ``<out>_withdrawn_candidates.csv`` those with ten candidates
each, none of them right. The split is fixed by ``--seed``.

Calibrate the matcher on all four (a large and a small knowledge base, with and without
the right answer in it): ``python -m bench.faq --kb <out>_kb.csv --calibrate --queries
<out>_queries.csv --queries <out>_candidates.csv --queries <out>_withdrawn.csv --queries
<out>_withdrawn_candidates.csv``."""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

from bench.data import read_rows, write_rows

QUERY_FIELDS = ["qid", "query", "gold_pid", "candidate_pids"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--distractors", type=int, default=9)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    by_entry: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in read_rows(args.faq):
        by_entry[row["pid"]].append(row)
    pids = sorted(by_entry, key=lambda p: (len(p), p))
    withdrawn = set(rnd.sample(pids, len(pids) // 10))
    kept = [p for p in pids if p not in withdrawn]
    kb: list[dict[str, str]] = []
    queries: list[dict[str, str]] = []
    for pid in kept:
        rows = by_entry[pid]
        held = rnd.randrange(len(rows)) if len(rows) >= 2 else -1
        for i, row in enumerate(rows):
            if i == held:
                queries.append(
                    {"qid": f"q{len(queries)}", "query": row["question"], "gold_pid": pid}
                )
            else:
                kb.append(row)
    with_candidates = []
    for query in queries:
        others = rnd.sample([p for p in kept if p != query["gold_pid"]], args.distractors)
        candidates = [query["gold_pid"], *others]
        rnd.shuffle(candidates)
        with_candidates.append({**query, "candidate_pids": " ".join(candidates)})
    gone = [
        {"qid": f"w{i}", "query": row["question"], "gold_pid": ""}
        for i, row in enumerate(r for p in sorted(withdrawn) for r in by_entry[p])
    ]
    gone_among = [
        {**query, "candidate_pids": " ".join(rnd.sample(kept, args.distractors + 1))}
        for query in gone
    ]
    write_rows(f"{args.out}_kb.csv", ["pid", "question", "answer"], kb)
    write_rows(f"{args.out}_queries.csv", QUERY_FIELDS, queries)
    write_rows(f"{args.out}_candidates.csv", QUERY_FIELDS, with_candidates)
    write_rows(f"{args.out}_withdrawn.csv", QUERY_FIELDS, gone)
    write_rows(f"{args.out}_withdrawn_candidates.csv", QUERY_FIELDS, gone_among)
    print(
        f"{len(kept)} entries ({len(kb)} questions) in the knowledge base, {len(queries)} "
        f"held-out queries, {len(gone)} questions of {len(withdrawn)} withdrawn entries"
    )


if __name__ == "__main__":
    main()
