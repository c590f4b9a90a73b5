"""A fixed, stratified train/test split of a labelled CSV (``text`` plus a label).

    python -m bench.split --data ../shared/data/banking77/train.csv --out var/bench/banking77

writes ``<out>_train.csv`` and ``<out>_test.csv`` (default: a fifth held out, seed 0).
Pair files (``sentence1,sentence2,label``) split the same way, by label."""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

from bench.data import label_column, read_rows, write_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = read_rows(args.data)
    column = label_column(rows)
    by_label: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_label[row[column]].append(row)
    rnd = random.Random(args.seed)
    train: list[dict[str, str]] = []
    test: list[dict[str, str]] = []
    for label in sorted(by_label):
        group = by_label[label]
        rnd.shuffle(group)
        cut = round(len(group) * args.test_share)
        test += group[:cut]
        train += group[cut:]
    fields = list(rows[0])
    write_rows(f"{args.out}_train.csv", fields, train)
    write_rows(f"{args.out}_test.csv", fields, test)
    print(f"{len(train)} training rows, {len(test)} test rows")


if __name__ == "__main__":
    main()
