"""Pairwise precision, recall and F1 of the clusterer at both levels, beside an ISBN-only baseline.

The baseline puts records together when they share a normalised ISBN (python-stdnum), at both
levels; it is what a catalogue without matching would do. Both run on the same generated set.
Pairs are counted from the contingency of (truth, predicted) groups, never enumerated, so large
sets are cheap:

    python -m benchmarks.merge_quality --works 5000 --seed 11
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence

from benchmarks.gen_labelled import Labelled, generate
from catalog.cluster import cluster_full
from catalog.match import Key, match_key
from catalog.normalize import normalize_isbn

TARGETS = {"manifestations": (0.999, 0.99), "works": (0.995, 0.98)}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(
    truth: Mapping[Key, Hashable], predicted: Mapping[Key, Hashable]
) -> tuple[float, float, float]:
    """(precision, recall, F1) over all record pairs, from group sizes."""
    both = Counter((truth[k], predicted[k]) for k in truth)
    tp = sum(_pairs(n) for n in both.values())
    pred_pairs = sum(_pairs(n) for n in Counter(predicted[k] for k in truth).values())
    true_pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def isbn_baseline(data: Sequence[Labelled]) -> dict[Key, Hashable]:
    """Union records that share a normalised ISBN; everything else stands alone."""
    parent: dict[Key, Key] = {}

    def find(x: Key) -> Key:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_isbn: dict[str, Key] = {}
    for d in data:
        k = d.record.key
        parent[k] = k
        for raw in d.record.isbns:
            n = normalize_isbn(raw)
            if n is None:
                continue
            if n in by_isbn:
                a, b = find(k), find(by_isbn[n])
                if a != b:
                    parent[a] = b
            else:
                by_isbn[n] = k
    return {k: find(k) for k in parent}


def run(
    works: int, seed: int, hard: bool = False
) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Generate, cluster, score; returns {level: {method: (P, R, F1)}}."""
    data = generate(works, seed, hard)
    t0 = time.perf_counter()
    assignment = cluster_full([match_key(d.record) for d in data])
    elapsed = time.perf_counter() - t0
    baseline = isbn_baseline(data)
    truth_m = {d.record.key: d.manifestation for d in data}
    truth_w = {d.record.key: d.work for d in data}
    results = {
        "manifestations": {
            "bokflyt": pairwise_scores(truth_m, {k: p.cluster for k, p in assignment.items()}),
            "isbn-only": pairwise_scores(truth_m, baseline),
        },
        "works": {
            "bokflyt": pairwise_scores(truth_w, {k: p.work for k, p in assignment.items()}),
            "isbn-only": pairwise_scores(truth_w, baseline),
        },
    }
    profile = "hard" if hard else "standard"
    print(
        f"{len(data)} records ({works} works, seed {seed}, {profile} profile); "
        f"clustered in {elapsed:.2f} s"
    )
    print(f"{'level':<15} {'method':<10} {'precision':>10} {'recall':>8} {'F1':>8}  target")
    for level, rows in results.items():
        tp, tr = TARGETS[level]
        for method, (p, r, f) in rows.items():
            target = ""
            if method == "bokflyt":
                ok = p >= tp and r >= tr
                target = f"P>={tp} R>={tr} {'met' if ok else 'MISSED'}"
            print(f"{level:<15} {method:<10} {p:>10.4f} {r:>8.4f} {f:>8.4f}  {target}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--profile", choices=("standard", "hard", "both"), default="both",
        help="cataloguing habits to generate (hard: more missing ISBNs, typos, sparse records)",
    )  # fmt: skip
    args = parser.parse_args()
    for hard in {"standard": [False], "hard": [True], "both": [False, True]}[args.profile]:
        run(args.works, args.seed, hard)
        print()


if __name__ == "__main__":
    main()
