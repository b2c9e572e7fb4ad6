"""Generate unseen pickup-and-delivery instances in the Li & Lim text format.

    python -m benchmarks.gen_lilim --kind lr1 --tasks 100 --seed 7 -o /tmp/gen-lr1-100-7.txt

Only five public Li & Lim instances are at hand (../shared/benchmarks/lilim) and the solver was
tuned on them, so the benchmark also runs on instances nobody has tuned on.  They are built the
way Li & Lim built theirs from Solomon's VRPTW instances: first a set of routes through
Solomon-style customers, then customers paired *within* a route (the earlier one picks up, the
later one delivers), so every instance has a known feasible solution:

1. customers in a 100 x 100 square: uniform (`lr`), in clusters (`lc`) or half and half (`lrc`);
   the depot in the middle;
2. routes by sweeping the customers around the depot in slices of `tasks / routes` (each route
   ordered by nearest neighbour), timed with travel = Euclidean distance and 10 per service;
3. each customer's window contains its arrival time on that route; half the windows are tight
   and half loose, as in Solomon's sets: 10-30 or 60-180 wide for type 1 (short horizon, many
   vehicles), 60-120 or 240-480 for type 2 (long horizon, few vehicles);
4. pairs drawn at random within a route, demand 10-40, scaled down where the route would carry
   more than the capacity (200).

The header's vehicle count is 25 for 100 tasks (50 for 200), as in Li & Lim; the constructed
routes are an upper bound on the vehicles needed, not a best known solution.
"""

from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

KINDS = ("lr1", "lc1", "lrc1", "lr2", "lc2", "lrc2")
CAPACITY = 200
SERVICE = 10


def _points(kind: str, n: int, rng: random.Random) -> list[tuple[float, float]]:
    def uniform() -> tuple[float, float]:
        return (round(rng.uniform(0, 100)), round(rng.uniform(0, 100)))

    centres = [(rng.uniform(15, 85), rng.uniform(15, 85)) for _ in range(8)]

    def clustered() -> tuple[float, float]:
        cx, cy = rng.choice(centres)
        x = min(100.0, max(0.0, rng.gauss(cx, 5)))
        y = min(100.0, max(0.0, rng.gauss(cy, 5)))
        return (round(x), round(y))

    if kind.startswith("lrc"):
        return [uniform() if i % 2 else clustered() for i in range(n)]
    if kind.startswith("lc"):
        return [clustered() for _ in range(n)]
    return [uniform() for _ in range(n)]


def generate_lilim(
    kind: str = "lr1", tasks: int = 100, seed: int = 1
) -> tuple[str, list[list[int]]]:
    """Li & Lim text for a reproducible random instance, and the routes it was built from
    (task ids, depot left out: a feasible solution).  Same arguments, same text."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if tasks < 4 or tasks % 2:
        raise ValueError("tasks must be an even number >= 4")
    rng = random.Random(f"{kind}-{tasks}-{seed}")
    depot = (50.0, 50.0)
    pts = _points(kind, tasks, rng)
    type2 = kind.endswith("2")
    per_route = 30 if type2 else 10
    order = sorted(
        range(tasks), key=lambda i: math.atan2(pts[i][1] - depot[1], pts[i][0] - depot[0])
    )
    routes = [order[k : k + per_route] for k in range(0, tasks, per_route)]
    built: list[list[int]] = []

    def dist(a: tuple[float, float], b: tuple[float, float]) -> float:
        return math.hypot(a[0] - b[0], a[1] - b[1])

    arrival: dict[int, float] = {}
    window: dict[int, tuple[float, float]] = {}
    demand: dict[int, int] = {}
    partner: dict[int, tuple[int, bool]] = {}  # task -> (other task, is pickup)
    horizon = 0.0
    for members in routes:
        # Nearest neighbour order from the depot, timed without waiting.
        left, seq, here = set(members), [], depot
        while left:
            nxt = min(left, key=lambda i: (dist(here, pts[i]), i))
            seq.append(nxt)
            left.remove(nxt)
            here = pts[nxt]
        built.append([i + 1 for i in seq])
        t, here = 0.0, depot
        for i in seq:
            t += dist(here, pts[i])
            arrival[i] = t
            t += SERVICE
            here = pts[i]
        horizon = max(horizon, t + dist(here, depot))
        positions = list(range(len(seq)))
        rng.shuffle(positions)
        for a, b in zip(positions[0::2], positions[1::2], strict=False):
            p, d = seq[min(a, b)], seq[max(a, b)]
            partner[p], partner[d] = (d, True), (p, False)
            demand[p] = rng.randint(1, 4) * 10
        # Keep the constructed route within capacity.
        load, peak = 0, 0
        for i in seq:
            other, pick = partner[i]
            load += demand[i] if pick else -demand[other]
            peak = max(peak, load)
        if peak > CAPACITY:
            for i in seq:
                if partner[i][1]:
                    demand[i] = max(1, demand[i] * CAPACITY // peak)
    horizon = math.ceil(horizon * (1.3 if type2 else 1.1))
    for i in range(tasks):
        tight = rng.random() < 0.5
        if type2:
            width = rng.uniform(60, 120) if tight else rng.uniform(240, 480)
        else:
            width = rng.uniform(10, 30) if tight else rng.uniform(60, 180)
        lo = max(0.0, arrival[i] - rng.uniform(0, width))
        hi = min(horizon - dist(pts[i], depot) - SERVICE, lo + width)
        window[i] = (math.floor(lo), max(math.ceil(arrival[i]), math.floor(hi)))
    vehicles = 25 * tasks // 100
    lines = [
        f"{vehicles}\t{CAPACITY}\t1",
        f"0\t{depot[0]:g}\t{depot[1]:g}\t0\t0\t{horizon}\t0\t0\t0",
    ]
    for i in range(tasks):
        other, pick = partner[i]
        q = demand[i] if pick else -demand[other]
        sib_p, sib_d = (0, other + 1) if pick else (other + 1, 0)
        lo, hi = window[i]
        x, y = pts[i]
        lines.append(f"{i + 1}\t{x:g}\t{y:g}\t{q}\t{lo}\t{hi}\t{SERVICE}\t{sib_p}\t{sib_d}")
    return "\n".join(lines) + "\n", built


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=KINDS, default="lr1")
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args(argv)
    text, routes = generate_lilim(a.kind, a.tasks, a.seed)
    a.output.write_text(text, encoding="utf-8")
    print(f"{a.output}: {a.tasks} tasks, built on {len(routes)} routes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
