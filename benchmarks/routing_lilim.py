"""Routing benchmark: bokflyt against VROOM and PyVRP, in the same run, with the same time limit.

    python benchmarks/routing_lilim.py [--time-limit 10] [--no-days] [instances...]

Instances are Li & Lim PDPTW files (default: every `.txt` in ../shared/benchmarks/lilim, with the
best known solution from the `.sol` beside it) and generated Bærum-size days
(`benchmarks/gen_day.py`: 15 sites/40 shipments/2 vans, 30/120/3, 60/300/5).  Each is solved by

* bokflyt — `transport.solve.solve`, the product's solver, within the limit (wall clock);
* VROOM — pyvroom alone, exploration level chosen to fit the limit, two threads;
* PyVRP — PyVRP alone with `MaxRuntime(limit)` (its clock excludes its own setup, so it gets a
  little more than the limit);

the references get the same model as bokflyt (fixed cost per van, same integer scaling).  Every
answer is re-timed and re-checked by `transport.verify` and the table says so.  Li & Lim rows
rank by (vehicles, distance) against the best known; day rows by the objective (cost: fixed cost
per van + driving time + distance + drop penalties weighted by priority and age).  The "target"
column says whether bokflyt is no worse than the better reference.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gen_day import generate_day  # noqa: E402

from adapters.lilim import read_lilim, read_lilim_solution, route_distance  # noqa: E402
from transport.cost import route_distance as solution_distance  # noqa: E402
from transport.cost import solution_cost  # noqa: E402
from transport.graph import build_graph  # noqa: E402
from transport.problem import Problem, Solution  # noqa: E402
from transport.schedule import ScheduleError, schedule  # noqa: E402
from transport.seeds.pyvrp import solve_pyvrp  # noqa: E402
from transport.seeds.vroom import solve_vroom  # noqa: E402
from transport.solve import solve  # noqa: E402
from transport.verify import verify  # noqa: E402

LILIM_DIR = ROOT.parent / "shared" / "benchmarks" / "lilim"
DAYS = [(15, 40, 2), (30, 120, 3), (60, 300, 5)]


@dataclass
class Row:
    instance: str
    engine: str
    vehicles: int | None
    dropped: int | None
    distance: float | None
    cost: float | None
    seconds: float
    verified: str

    def key(self, lilim: bool) -> tuple[float, ...]:
        if self.vehicles is None or self.distance is None or self.cost is None:
            return (float("inf"),)
        if lilim:
            return (self.dropped or 0, self.vehicles, round(self.distance, 6))
        return (round(self.cost, 3),)


def _row(problem: Problem, name: str, engine: str, sol: Solution | None, secs: float) -> Row:
    if sol is None:
        return Row(name, engine, None, None, None, None, secs, "no answer")
    bad = verify(problem, sol)
    ok = "yes" if not bad else f"NO ({len(bad)}: {bad[0].code})"
    return Row(
        name,
        engine,
        sol.vehicles,
        len(sol.dropped),
        solution_distance(problem, sol),
        solution_cost(problem, sol),
        secs,
        ok,
    )


def _timed(problem: Problem, seq: dict[str, list[tuple[str, str, str]]] | None) -> Solution | None:
    if seq is None:
        return None
    try:
        return schedule(problem, seq)
    except ScheduleError as e:
        logging.warning("reference routes cannot be timed: %s", e)
        return None


def run(problem: Problem, name: str, limit: float, seed: int) -> list[Row]:
    rows = []
    t = time.monotonic()
    sol = solve(problem, time_limit=limit, seed=seed)
    engine = f"bokflyt ({sol.solver.split('/')[-1]})"
    rows.append(_row(problem, name, engine, sol, time.monotonic() - t))
    graph = build_graph(problem)
    t = time.monotonic()
    seq = solve_vroom(problem, graph, timeout=limit, threads=2)
    rows.append(_row(problem, name, "VROOM", _timed(problem, seq), time.monotonic() - t))
    t = time.monotonic()
    seq = solve_pyvrp(problem, graph, max_runtime=limit, seed=seed)
    rows.append(_row(problem, name, "PyVRP", _timed(problem, seq), time.monotonic() - t))
    return rows


def _dash(x: float | int | None, fmt: str = "{}") -> str:
    return "–" if x is None else fmt.format(x)


def _format(r: Row, bks: tuple[int, float] | None, ok: bool) -> str:
    gap = "" if bks is None or r.distance is None else f"{100 * (r.distance - bks[1]) / bks[1]:.2f}"
    known = "" if bks is None else f"{bks[0]} / {bks[1]:.2f}"
    target = ("yes" if ok else "NO") if r.engine.startswith("bokflyt") else ""
    cells = [
        r.instance,
        known,
        r.engine,
        _dash(r.vehicles),
        _dash(r.dropped),
        _dash(r.distance, "{:.2f}"),
        gap,
        _dash(r.cost, "{:.1f}"),
        f"{r.seconds:.1f}",
        r.verified,
        target,
    ]
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="*", type=Path, help="Li & Lim .txt files")
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per engine")
    ap.add_argument("--seed", type=int, default=0, help="random seed for every engine")
    ap.add_argument("--no-days", action="store_true", help="skip the generated Bærum days")
    ap.add_argument("--no-lilim", action="store_true", help="skip the Li & Lim instances")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    files = a.instances or ([] if a.no_lilim else sorted(LILIM_DIR.glob("*.txt")))
    print(f"time limit {a.time_limit:g} s, seed {a.seed}\n", flush=True)
    print(
        "| instance | best known | engine | vehicles | dropped | distance | gap % | cost "
        "| s | verified | target |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    held = total = 0
    jobs: list[tuple[str, Problem, tuple[int, float] | None]] = []
    for f in files:
        problem = read_lilim(f)
        sol_file = f.with_suffix(".sol")
        bks = None
        if sol_file.exists():
            routes = read_lilim_solution(sol_file)
            bks = (len(routes), route_distance(problem, routes))
        jobs.append((f.stem, problem, bks))
    if not a.no_days:
        for s, n, v in DAYS:
            p = generate_day(s, n, v, seed=1)
            jobs.append((p.name, p, None))
    for name, problem, bks in jobs:
        lilim = bks is not None or not name.startswith("day-")
        rows = run(problem, name, a.time_limit, a.seed)
        refs = [r for r in rows[1:] if r.verified == "yes"]
        best_ref = min((r.key(lilim) for r in refs), default=(float("inf"),))
        ours = rows[0].key(lilim) if rows[0].verified == "yes" else (float("inf"),)
        ok = ours <= best_ref
        total += 1
        held += ok
        for r in rows:
            print(_format(r, bks, ok), flush=True)
    print(f"\ntarget held on {held}/{total} instances")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
