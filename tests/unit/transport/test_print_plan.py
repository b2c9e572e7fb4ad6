"""Mapping a stored plan onto the printed documents, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from transport.documents import SheetSite
from transport.models import PlanCrate, RoutePlan, RouteStop
from transport.print_plan import (
    ItemInfo,
    PrintPlanError,
    crate_id,
    crate_lookup,
    plan_documents,
    short_title,
)
from transport.problem import Problem, Route, Shipment, Site, Solution, Stop, TimeWindow, Van
from transport.problem_json import problem_to_dict, solution_to_dict

DAY = dt.date(2026, 11, 30)
SITES = {
    code: SheetSite(code, name, 59.9, 10.5 + i / 100, library_number=f"202190{i}",
                    hours_today="10:00–16:00", notes=f"notat {code}")
    for i, (code, name) in enumerate(
        [("SAN", "Sandvika bibliotek"), ("BEK", "Bekkestua bibliotek"), ("SKA", "Bekkestua skole")]
    )
}  # fmt: skip


def _plan() -> RoutePlan:
    """SAN->BEK (2 crates) and BEK->SKA (1 crate, dropped by the solver: unrouted)."""
    km = [[0.0, 5000.0, 6000.0], [5000.0, 0.0, 1000.0], [6000.0, 1000.0, 0.0]]
    problem = Problem(
        sites=tuple(Site(c, time_windows=(TimeWindow(0, 86400),)) for c in SITES),
        vans=(Van("1", 20, "SAN", "SAN", TimeWindow(27000, 55800)),),
        shipments=(Shipment("SAN>BEK", "SAN", "BEK", 2), Shipment("BEK>SKA", "BEK", "SKA", 1)),
        durations=tuple(tuple(x / 10 for x in row) for row in km),
        distances=tuple(tuple(row) for row in km),
    )
    stops = (
        Stop("SAN", "SAN>BEK", "pickup", 27000, 2),
        Stop("BEK", "SAN>BEK", "delivery", 28000, 0),
    )
    solution = Solution(routes=(Route("1", stops, 27000, 30000),), solver="test")
    plan = RoutePlan(day=DAY, status="draft", solver="test", vehicles=1, distance_m=10000.0,
                     cost=0.0, problem_json=problem_to_dict(problem),
                     solution_json=solution_to_dict(solution))  # fmt: skip
    for seq, s in enumerate(stops):
        plan.stops.append(RouteStop(van="1", seq=seq, site=s.site, kind=s.kind, leg=s.shipment,
                                    eta_s=s.start, crates=2, load_after=s.load))  # fmt: skip
    for number, barcodes in ((2, ["B3"]), (1, ["B1", "B2"])):
        plan.crates.append(
            PlanCrate(
                origin="SAN", destination="BEK", number=number, barcodes=barcodes, routed=True
            )
        )
    plan.crates.append(
        PlanCrate(origin="BEK", destination="SKA", number=1, barcodes=["B9"], routed=False)
    )
    return plan


def test_sheet_has_stops_etas_totals_and_crates() -> None:
    """One sheet for the van: stops in order with ETAs, the crates at each, km and minutes."""
    docs = plan_documents(_plan(), SITES, {})
    (sheet,) = docs.sheets
    assert sheet.van == "Bil 1" and sheet.start == dt.time(7, 30) and sheet.end == dt.time(8, 20)
    assert sheet.driving_km == 10.0 and sheet.driving_minutes == 17
    assert [s.site.code for s in sheet.stops] == ["SAN", "BEK"]
    assert sheet.stops[1].eta == dt.time(7, 47)
    assert [c.crate_id for c in sheet.stops[0].pickups] == ["K261130-02", "K261130-03"]
    assert sheet.stops[1].drops == sheet.stops[0].pickups


def test_labels_picklists_and_slips_only_for_routed_crates() -> None:
    """The unrouted crate gets no label; unknown items are listed by barcode at the origin."""
    items = {"B1": ItemInfo("B1", "Sult", "Hamsun", "Sandvika bibliotek")}
    docs = plan_documents(_plan(), SITES, items)
    assert [(lb.crate_id, lb.stop, lb.item_count) for lb in docs.labels] == [
        ("K261130-02", 2, 2),
        ("K261130-03", 2, 1),
    ]
    assert docs.picklists["K261130-02"][0].title == "Sult"
    assert docs.picklists["K261130-03"][0].shelf_site == "Sandvika bibliotek"
    assert [s.barcode for s in docs.slips] == ["B1", "B2", "B3"]
    assert {s.destination_library_number for s in docs.slips} == {"2021901"}


def test_van_filter_and_unknown_van() -> None:
    """Asking for a van without a route is an error, not an empty document."""
    assert len(plan_documents(_plan(), SITES, {}, van="1").sheets) == 1
    with pytest.raises(PrintPlanError):
        plan_documents(_plan(), SITES, {}, van="7")


def test_unconfigured_site_is_named() -> None:
    """A plan site missing from the configuration raises an error naming it."""
    with pytest.raises(PrintPlanError, match="BEK"):
        plan_documents(_plan(), {k: v for k, v in SITES.items() if k != "BEK"}, {})


def test_crate_id_round_trip_and_rejects() -> None:
    """A printed crate id gives back its day and index; other text is refused."""
    assert crate_lookup(crate_id(DAY, 7)) == (DAY, 7)
    assert crate_lookup(" k261130-12 ") == (DAY, 12)
    for bad in ("K261399-01", "X261130-01", "K261130"):
        with pytest.raises(PrintPlanError):
            crate_lookup(bad)


def test_short_title_uses_title_fields_only() -> None:
    """Part number and name join the title; other keys (even a planted borrower) are ignored."""
    data = {"source": "s", "record_id": "1", "title": "Kristin Lavransdatter",
            "part_number": "1", "part_name": "Kransen", "borrower": "BRW-1"}  # fmt: skip
    assert short_title(data, "x") == "Kristin Lavransdatter. 1. Kransen"
    assert short_title(None, "Sult\n") == "Sult"
