"""Generate a Bærum-size transport day as a routing problem (bokflyt JSON).

    python benchmarks/gen_day.py --sites 60 --shipments 300 --vans 5 --seed 1 -o day.json

Sites are scattered over Bærum around the main library in Sandvika (the depot and hub); schools
take deliveries 08:30–14:30 (with `--lunch-gap`, closed 11:30–12:00), branches 10:00–18:00.
Crates for the same origin → destination are one shipment (1–4 crates), about half of them to or
from the main library, as the real flows are.  Times are seconds after midnight, distances metres,
from `adapters.distance.HaversineProvider` (offline).  `--breaks` gives every driver a 30-minute
break starting 11:00–12:30; `--any-copy` turns some shipments into "any copy" transfers with
alternative pickup sites.  Without those options the day can be handed unchanged to VROOM and
PyVRP for comparison.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.distance import HaversineProvider  # noqa: E402
from transport.problem import (  # noqa: E402
    Break,
    Objective,
    Problem,
    Shipment,
    Site,
    TimeWindow,
    Van,
)
from transport.problem_json import dump_problem  # noqa: E402

SANDVIKA = (59.8896, 10.5236)


def hms(h: float) -> float:
    return h * 3600.0


def generate_day(
    sites: int = 60,
    shipments: int = 300,
    vans: int = 5,
    seed: int = 1,
    breaks: bool = False,
    any_copy: bool = False,
    lunch_gap: bool = False,
    capacity: int = 20,
) -> Problem:
    """A reproducible random day; the same arguments always give the same problem."""
    rng = random.Random(seed)
    points = [SANDVIKA]
    kinds = ["hub"]
    for i in range(1, sites):
        # Bærum is roughly 15 x 20 km: spread within ~0.09 deg lat and ~0.17 deg lon.
        points.append(
            (SANDVIKA[0] + rng.uniform(-0.05, 0.09), SANDVIKA[1] + rng.uniform(-0.12, 0.12))
        )
        kinds.append("branch" if i % 6 == 0 else "school")
    site_values = []
    for i, kind in enumerate(kinds):
        if kind == "hub":
            tws: tuple[TimeWindow, ...] = (TimeWindow(hms(7.5), hms(17)),)
        elif kind == "branch":
            tws = (TimeWindow(hms(10), hms(18)),)
        elif lunch_gap and i % 2:
            tws = (TimeWindow(hms(8.5), hms(11.5)), TimeWindow(hms(12), hms(14.5)))
        else:
            tws = (TimeWindow(hms(8.5), hms(14.5)),)
        site_values.append(
            Site(
                id=f"S{i:02d}" if i else "HUB",
                x=points[i][1],
                y=points[i][0],
                time_windows=tws,
                service_time=240.0,
                service_per_crate=20.0,
            )
        )
    matrix = HaversineProvider().matrix(points)
    ids = [s.id for s in site_values]
    pairs: dict[tuple[str, str], int] = {}
    while len(pairs) < min(shipments, sites * (sites - 1)):
        if rng.random() < 0.5:
            other = rng.choice(ids[1:])
            pair = ("HUB", other) if rng.random() < 0.6 else (other, "HUB")
        else:
            a, b = rng.sample(ids[1:], 2)
            pair = (a, b)
        pairs.setdefault(pair, rng.choice([1, 1, 1, 2, 2, 3, 4]))
    ship_values = []
    for k, ((a, b), size) in enumerate(pairs.items()):
        alts: tuple[str, ...] = ()
        if any_copy and a != "HUB" and rng.random() < 0.15:
            alts = tuple(x for x in rng.sample(ids[1:], 3) if x not in (a, b))[:2]
        ship_values.append(
            Shipment(
                id=f"T{k:03d}",
                pickup=a,
                delivery=b,
                size=size,
                priority=rng.choice([0, 0, 0, 1, 2]),
                age=rng.choice([0, 0, 1, 2, 3]),
                alternatives=alts,
            )
        )
    van_values = tuple(
        Van(
            id=f"V{v + 1}",
            capacity=capacity,
            start="HUB",
            end="HUB",
            shift=TimeWindow(hms(7.5), hms(15.5)),
            break_=Break(hms(11), hms(12.5), 1800.0) if breaks else None,
            fixed_cost=3600.0,
        )
        for v in range(vans)
    )
    return Problem(
        sites=tuple(site_values),
        vans=van_values,
        shipments=tuple(ship_values),
        durations=matrix.durations,
        distances=matrix.distances,
        objective=Objective(time_weight=1.0, distance_weight=0.01, drop_penalty=20000.0),
        name=f"day-{sites}s-{len(ship_values)}t-{vans}v-seed{seed}",
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=60, help="sites including the hub (<= 60)")
    ap.add_argument("--shipments", type=int, default=300, help="origin-destination shipments")
    ap.add_argument("--vans", type=int, default=5, help="vans available")
    ap.add_argument("--seed", type=int, default=1, help="random seed")
    ap.add_argument("--breaks", action="store_true", help="give every driver a break")
    ap.add_argument("--any-copy", action="store_true", help="add alternative pickup sites")
    ap.add_argument("--lunch-gap", action="store_true", help="schools closed 11:30-12:00")
    ap.add_argument("-o", "--output", type=Path, required=True, help="problem JSON to write")
    a = ap.parse_args(argv)
    p = generate_day(a.sites, a.shipments, a.vans, a.seed, a.breaks, a.any_copy, a.lunch_gap)
    dump_problem(p, a.output)
    print(f"{p.name}: {len(p.sites)} sites, {len(p.shipments)} shipments -> {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
